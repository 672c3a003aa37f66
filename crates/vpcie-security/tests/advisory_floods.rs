//! Error paths that log or loop without bound, and the work one access costs.
//!
//! - XSA-130 (CVE-2015-4105, qemu): guest-triggerable error messages in
//!   MSI-X passthrough filled the host's logs (a denial of service).
//! - XSA-157 (CVE-2015-8552, Linux pciback): a continuous stream of WARN
//!   messages from guest requests.
//! - CVE-2014-3968 (Xen HVMOP_inject_msi): crafted requests triggering a
//!   log message each.
//!
//! vpcie's queues and logs a guest can fill have fixed bounds: the
//! platform's event queue (`EVENT_QUEUE_CAPACITY`), a passthrough
//! function's events (4096) and warnings (64), the IOREQ server's refusal
//! log (`REFUSAL_LOG`); past them a counter grows, nothing else. And a
//! guest access costs a bounded number of host accesses (ARCHITECTURE.md:
//! "O(1) hot path").

mod common;

use common::*;
use vpcie_passthrough::host::dump::DumpHost;
use vpcie_passthrough::{PassthroughFunction, PassthroughOptions};
use vpcie_platform::events::EVENT_QUEUE_CAPACITY;
use vpcie_security::dispatch::PlatformDispatch;
use vpcie_security::fixture::{self, Rig};
use vpcie_security::fuzz::MAX_FUNCTION_WARNINGS;
use vpcie_security::hosts::{CountingHost, FailingHost};
use vpcie_xen::abi::{IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, Ioreq, RangeKind};
use vpcie_xen::server::{IoreqServer, REFUSAL_LOG, Range};
use vpcie_xen::sim::Sim;

/// A guest that moves a BAR and reprograms a bridge forever, with a front
/// end that never drains: the platform keeps `EVENT_QUEUE_CAPACITY` events
/// and counts the rest.
#[test]
fn advisory_xsa130_platform_event_queue_is_bounded() {
    let mut rig = Rig::new(true);
    let p = &mut rig.platform;
    p.events().drain();
    let port = p
        .function_ids()
        .find(|id| p.describe(*id).contains("Root Port 4"))
        .and_then(|id| p.bdf(id))
        .expect("the empty root port");
    let (d, f) = (port.devfn.device(), port.devfn.function());
    let n = 50_000u32;
    for i in 0..n {
        // Subordinate bus and the memory window change: two events each.
        p.config_write(
            0,
            d,
            f,
            0x18,
            4,
            0x0000_2000 | (0x20 + (i & 0x1f)) << 16 | 0x20 << 8,
        );
        p.config_write(
            0,
            d,
            f,
            0x20,
            4,
            (0xf000 + ((i & 0xff) << 4)) << 16 | 0xf000,
        );
    }
    assert_eq!(p.events().len(), EVENT_QUEUE_CAPACITY);
    assert!(
        p.events().dropped() > u64::from(n),
        "dropped {}",
        p.events().dropped()
    );
    // The queue is still usable: drained, it fills again.
    assert_eq!(p.events().drain().len(), EVENT_QUEUE_CAPACITY);
    p.config_write(0, d, f, 0x18, 4, 0);
    assert!(!p.events().is_empty());
    if let Err(v) = rig.check_hosts() {
        panic!("{v}");
    }
}

/// A host that fails every operation after the function is built (a
/// device that fell off the bus): each guest access that reaches it fails,
/// and the function keeps at most 64 warnings plus a count.
#[test]
fn advisory_xsa130_function_warnings_are_bounded() {
    let host = FailingHost::new(fixture::host(fixture::x710(), fixture::X710_FN0));
    let mut f = PassthroughFunction::new(host, PassthroughOptions::default()).expect("builds");
    f.host_mut().failing = true;
    for i in 0..100_000u32 {
        f.config_write(0x04, 2, 0x0007 ^ (i & 4)); // enable and bus master reach the host
        let _ = f.config_read(0x06, 2); // Status: live bits read the host
        let _ = f.config_read(0xaa, 2); // Device Status: Transactions Pending is live
        f.config_write(0xa8, 2, 0x8000); // FLR: a host reset
        f.config_write(0x44, 2, i & 3); // D-states forwarded
    }
    let w = f.warnings();
    assert!(w.len() <= MAX_FUNCTION_WARNINGS, "{} warnings", w.len());
    assert!(
        w.iter().any(|l| l.contains("more warnings not kept")),
        "the rest is counted: {w:?}"
    );
}

/// A guest that sends the IOREQ server nothing but malformed requests:
/// each is completed and refused, the log keeps `REFUSAL_LOG` of them and
/// counts the rest, and the simulated hypervisor sees no protocol violation.
#[test]
fn advisory_xsa130_xen_refusal_log_is_bounded() {
    let mut rig = Rig::new(true);
    let (sim, t) = Sim::new(1, 1);
    let ranges = [Range {
        kind: RangeKind::Port,
        start: 0x5000,
        end: 0x5003,
    }];
    let mut srv = IoreqServer::start(t, &ranges, 1).expect("server");
    let mut d = PlatformDispatch {
        platform: &mut rig.platform,
    };
    let n = 20_000u64;
    for i in 0..n {
        let mut req = Ioreq::simple(IOREQ_TYPE_PIO, 0x5000, 4, i & 1 == 0, i);
        match i % 4 {
            0 => req.count = 2,                   // rep ins/outs
            1 => req.size = 3,                    // no such size
            2 => req.addr = 0x6000,               // not claimed
            _ => req.typ = IOREQ_TYPE_PCI_CONFIG, // nothing claimed
        }
        sim.deliver(&mut srv, &mut d, 0, req).expect("completed");
    }
    let (kept, dropped) = srv.take_refusals();
    assert_eq!(kept.len(), REFUSAL_LOG);
    assert_eq!(dropped, n - REFUSAL_LOG as u64);
    assert_eq!(srv.stats().refused, n);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    // Taken, the log starts again from empty.
    assert_eq!(srv.take_refusals(), (Vec::new(), 0));
}

/// Most host operations one guest configuration access may cost. The
/// worst case is a write of Command's enables: the Bus Master write-through
/// reads and writes the host byte, then hook `command` reads the host's
/// Command and writes the enables (4). A misaligned access is split into
/// parts, but only one part can hold Command.
const MAX_HOST_OPS_PER_ACCESS: u64 = 4;

/// Every offset, size and alignment, read and written, through every
/// fixture endpoint: no guest access costs more than
/// `MAX_HOST_OPS_PER_ACCESS` host operations.
#[test]
fn advisory_work_per_access_is_bounded() {
    let mut worst = 0;
    for (label, host) in fixture_endpoints() {
        let image = host.image();
        let counting = CountingHost::new(DumpHost::new(
            vpcie_passthrough::Bdf::new(0, 1, 0, 0),
            &image,
            &[],
            &Default::default(),
            None,
            Vec::new(),
        ));
        let mut f =
            PassthroughFunction::new(counting, PassthroughOptions::default()).expect("builds");
        let size = image.len() as u16;
        for at in 0..size + 8 {
            for s in [1u8, 2, 3, 4, 8] {
                for v in [0xffff_ffffu32, 0] {
                    f.host_mut().reset_counts();
                    f.config_write(at, s, v);
                    let w = f.host().total();
                    f.host_mut().reset_counts();
                    let _ = f.config_read(at, s);
                    let r = f.host().total();
                    worst = worst.max(w).max(r);
                    assert!(
                        w <= MAX_HOST_OPS_PER_ACCESS && r <= MAX_HOST_OPS_PER_ACCESS,
                        "{label}: {s} bytes at {at:#05x}: write cost {w}, read cost {r} host operations"
                    );
                }
            }
        }
    }
    assert!(worst >= 2, "the bound is exercised (worst {worst})");
}

/// A guest that writes Retrain Link in the emulated Root Port above a
/// passed-through function, over and over, must not flap the host's
/// physical link (the XSA-120 class: the guest drives host-side link and
/// error machinery): a retrain reaches the host only while the host link is
/// slow, and at most once per `LINK_RETRAIN_INTERVAL`.
#[test]
fn advisory_guest_link_retrains_are_bounded() {
    let mut rig = Rig::new(true);
    let p = &mut rig.platform;
    let port = p
        .function_ids()
        .find(|id| p.describe(*id).contains("Root Port 6"))
        .and_then(|id| p.bdf(id))
        .expect("the RTL8125's port");
    let (d, f) = (port.devfn.device(), port.devfn.function());
    let mut at = p.config_read(0, d, f, 0x34, 1) as u16;
    while at != 0 && p.config_read(0, d, f, at, 1) != 0x10 {
        at = p.config_read(0, d, f, at + 1, 1) as u16;
    }
    assert_ne!(at, 0, "the port has a PCI Express capability");
    for _ in 0..1000 {
        p.config_write(0, d, f, at + 0x10, 2, 0x0020); // Link Control: Retrain Link
    }
    let rtl = rig
        .watched
        .iter()
        .find(|w| w.name == "rtl8125")
        .expect("watched");
    let retrains = rtl
        .host
        .log()
        .iter()
        .filter(|op| matches!(op, vpcie_passthrough::host::record::HostOp::RetrainLink))
        .count();
    assert!(
        retrains <= 1,
        "1000 guest writes of Retrain Link retrained the host link {retrains} times"
    );
}
