//! The Xen front end of vpcie: the xl domain configuration, Xen's IOREQ
//! server ABI behind a [`transport::Transport`] trait (real Xen through the
//! Linux privcmd/evtchn devices in [`linux`], or the in-process simulated
//! hypervisor in [`sim`]), the [`server::IoreqServer`] that validates and
//! completes every request, and the [`dispatch::Dispatch`] seam to the
//! emulation behind it.
//!
//! Segment mode (vpcie owns a whole PCI segment, announced by its own
//! SSDT + MCFG through xl's `acpi_firmware=`) works on unmodified Xen 4.17:
//! [`segment`] builds the segment from the domain config (root ports,
//! switches, passed-through functions), runs the firmware on it before the
//! guest starts and writes the tables. Bus-0 mode ([`bus0`]) serves device
//! numbers of segment 0 beside another device model; its claims follow the
//! guest's bridges and PCIEXBAR ([`claims`]), and it needs the
//! hypervisor-side ECAM decode documented in [`sim`].

pub mod abi;
pub mod bus0;
pub mod claims;
pub mod control;
pub mod dispatch;
pub mod functions;
#[cfg(target_os = "linux")]
pub mod linux;
pub mod page;
pub mod port_services;
pub mod segment;
pub mod server;
pub mod sim;
pub mod transport;
pub mod xl;

pub use dispatch::{ConfigTarget, Dispatch, EcamDispatch};
pub use server::{IoreqServer, Range};
pub use transport::{Transport, XenError};
pub use xl::DomainConfig;
