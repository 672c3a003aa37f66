//! The security harness of vpcie.
//!
//! A device model is a security boundary: the guest drives every
//! configuration access. This crate holds what checks that boundary from
//! the outside:
//!
//! - [`spec`]: the host registers a guest may change, written down apart
//!   from the passthrough policy tables, and a check of a recording host's
//!   log against it;
//! - [`hosts`]: host doubles for attacks (a recording host shared with the
//!   platform, a host that counts its accesses, a host that fails);
//! - [`fixture`]: real-hardware dumps behind those hosts, placed on the
//!   Q35 platform and booted by vpcie's firmware;
//! - [`dispatch`]: the Xen IOREQ server in front of the whole platform;
//! - [`fuzz`]: the fuzz targets' logic, driven by libFuzzer from `fuzz/`
//!   and replayed over `fuzz/corpus/` by `cargo test`.
//!
//! The tests beside it are the advisory regression suite (`tests/advisory_*.rs`,
//! one test per class of the public Xen and QEMU advisories on PCI
//! passthrough), the bounded-resources checks (`tests/bounded_memory.rs`)
//! and the corpus replay (`tests/fuzz_corpus.rs`).

pub mod dispatch;
pub mod fixture;
pub mod fuzz;
pub mod hosts;
pub mod spec;
