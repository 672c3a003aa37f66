//! The IOREQ server against the simulated hypervisor: set-up order, the
//! three request kinds, malformed requests, teardown.

use vpcie_xen::abi::*;
use vpcie_xen::dispatch::{ConfigTarget, Dispatch, EcamDispatch};
use vpcie_xen::functions::{FunctionMap, demo_endpoint};
use vpcie_xen::server::{IoreqServer, Range, RefuseReason};
use vpcie_xen::sim::{Sim, SimError, SimTransport};

const ECAM: u64 = 0xe000_0000;
const ECAM_SIZE: u64 = 256 << 20;

/// Records every access, answers reads with a pattern.
#[derive(Default)]
struct Recorder {
    log: Vec<String>,
}

impl Dispatch for Recorder {
    fn pio_read(&mut self, port: u16, size: u8) -> u32 {
        self.log.push(format!("pio r {port:#x}/{size}"));
        0xdead_beef
    }
    fn pio_write(&mut self, port: u16, size: u8, value: u32) {
        self.log.push(format!("pio w {port:#x}/{size} {value:#x}"));
    }
    fn mmio_read(&mut self, addr: u64, size: u8) -> u64 {
        self.log.push(format!("mmio r {addr:#x}/{size}"));
        0x1122_3344_5566_7788
    }
    fn mmio_write(&mut self, addr: u64, size: u8, value: u64) {
        self.log.push(format!("mmio w {addr:#x}/{size} {value:#x}"));
    }
    fn pci_config_read(&mut self, sbdf: Sbdf, reg: u16, size: u8) -> u32 {
        self.log.push(format!("cfg r {sbdf} {reg:#x}/{size}"));
        0xa1b2_c3d4
    }
    fn pci_config_write(&mut self, sbdf: Sbdf, reg: u16, size: u8, value: u32) {
        self.log
            .push(format!("cfg w {sbdf} {reg:#x}/{size} {value:#x}"));
    }
}

fn ranges() -> Vec<Range> {
    vec![
        Range {
            kind: RangeKind::Memory,
            start: ECAM,
            end: ECAM + ECAM_SIZE - 1,
        },
        Range {
            kind: RangeKind::Port,
            start: 0x5000,
            end: 0x5007,
        },
        Range {
            kind: RangeKind::Pci,
            start: Sbdf {
                seg: 0,
                bus: 0,
                dev: 3,
                func: 0,
            }
            .dmop(),
            end: Sbdf {
                seg: 0,
                bus: 0,
                dev: 3,
                func: 7,
            }
            .dmop(),
        },
    ]
}

fn start(vcpus: u32) -> (Sim, IoreqServer<SimTransport>) {
    let (sim, t) = Sim::new(7, vcpus);
    let srv = IoreqServer::start(t, &ranges(), vcpus).expect("set-up");
    (sim, srv)
}

#[test]
fn setup_follows_the_order_that_works_on_xen() {
    let (sim, srv) = start(2);
    let ops = sim.dm_ops();
    assert!(matches!(
        ops[0],
        DmOp::CreateIoreqServer { handle_bufioreq: 0 }
    ));
    assert!(
        ops[1..4]
            .iter()
            .all(|o| matches!(o, DmOp::MapIoRange { .. }))
    );
    assert!(matches!(
        ops[4],
        DmOp::SetIoreqServerState { enabled: true, .. }
    ));
    assert_eq!(srv.ports().len(), 2);
    assert!(sim.server_enabled());
}

#[test]
fn binding_before_enable_is_refused_by_the_simulated_xen() {
    use vpcie_xen::Transport;
    let (_sim, mut t) = Sim::new(1, 1);
    let id = t.create_server().unwrap();
    let _page = t.map_ioreq_page(id).unwrap();
    let e = t.bind(vpcie_xen::sim::REMOTE_PORT_BASE).unwrap_err();
    assert!(e.to_string().contains("after enabling"), "{e}");
}

#[test]
fn the_three_request_kinds_and_the_invalidate_broadcast() {
    let (sim, mut srv) = start(2);
    let mut d = Recorder::default();
    // MMIO in the ECAM window: COPY.
    assert_eq!(
        sim.mmio_read(&mut srv, &mut d, 1, ECAM + 0x1000, 2)
            .unwrap(),
        0x7788
    );
    sim.mmio_write(&mut srv, &mut d, 0, ECAM + 0x8004, 4, 0x1_0000_0006)
        .unwrap();
    // A claimed port: PIO.
    assert_eq!(sim.pio_read(&mut srv, &mut d, 0, 0x5004, 1).unwrap(), 0xef);
    // CF8/CFC to a claimed SBDF: PCI_CONFIG, register from CF8 and the port's low bits.
    sim.pio_write(&mut srv, &mut d, 0, 0xcf8, 4, 0x8000_1844)
        .unwrap();
    assert_eq!(sim.pio_read(&mut srv, &mut d, 0, 0xcfe, 2).unwrap(), 0xc3d4);
    // CF8/CFC to an unclaimed SBDF: not ours, all-ones, never reaches the server.
    sim.pio_write(&mut srv, &mut d, 0, 0xcf8, 4, 0x8000_2000)
        .unwrap();
    assert_eq!(
        sim.pio_read(&mut srv, &mut d, 0, 0xcfc, 4).unwrap(),
        0xffff_ffff
    );
    assert_eq!(
        d.log,
        [
            "mmio r 0xe0001000/2",
            "mmio w 0xe0008004/4 0x6",
            "pio r 0x5004/1",
            "cfg r 0000:00:03.0 0x46/2",
        ]
    );
    let s = srv.stats();
    assert_eq!(
        (s.broadcasts, s.mmio, s.pio, s.pci_config, s.refused),
        (1, 2, 1, 1, 0)
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn malformed_requests_are_refused_logged_and_completed() {
    let (sim, mut srv) = start(1);
    let mut d = Recorder::default();
    let cases: Vec<(Ioreq, RefuseReason)> = vec![
        (
            Ioreq::simple(IOREQ_TYPE_COPY, ECAM, 3, true, 0),
            RefuseReason::Size,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_COPY, ECAM, 16, true, 0),
            RefuseReason::Size,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_PIO, 0x5000, 8, true, 0),
            RefuseReason::Size,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_COPY, ECAM - 2, 4, true, 0),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_COPY, ECAM + ECAM_SIZE - 2, 4, true, 0),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_COPY, u64::MAX - 1, 4, true, 0),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_PIO, 0x5006, 4, false, 1),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(IOREQ_TYPE_PIO, 0x1_5000, 1, true, 0),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(
                IOREQ_TYPE_PCI_CONFIG,
                PciConfigAddr {
                    sbdf: Sbdf {
                        seg: 0,
                        bus: 0,
                        dev: 3,
                        func: 0,
                    },
                    reg: 0xffe,
                }
                .encode(),
                4,
                true,
                0,
            ),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(
                IOREQ_TYPE_PCI_CONFIG,
                PciConfigAddr {
                    sbdf: Sbdf {
                        seg: 0,
                        bus: 0,
                        dev: 3,
                        func: 0,
                    },
                    reg: 0xffff_fff0,
                }
                .encode(),
                4,
                true,
                0,
            ),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq::simple(
                IOREQ_TYPE_PCI_CONFIG,
                PciConfigAddr {
                    sbdf: Sbdf {
                        seg: 0,
                        bus: 0,
                        dev: 4,
                        func: 0,
                    },
                    reg: 0,
                }
                .encode(),
                4,
                true,
                0,
            ),
            RefuseReason::OutOfRange,
        ),
        (
            Ioreq {
                count: 4,
                ..Ioreq::simple(IOREQ_TYPE_COPY, ECAM, 4, true, 0)
            },
            RefuseReason::Count,
        ),
        (
            Ioreq {
                count: 0,
                ..Ioreq::simple(IOREQ_TYPE_COPY, ECAM, 4, true, 0)
            },
            RefuseReason::Count,
        ),
        (
            Ioreq {
                flags: Ioreq::make_flags(STATE_IOREQ_READY, true, true, false),
                ..Ioreq::simple(IOREQ_TYPE_COPY, ECAM, 4, true, 0x1000)
            },
            RefuseReason::DataPointer,
        ),
        (
            Ioreq::simple(5, ECAM, 4, true, 0),
            RefuseReason::UnknownType,
        ),
        (
            Ioreq::simple(0xff, 0, 0, false, 0),
            RefuseReason::UnknownType,
        ),
    ];
    for (req, reason) in &cases {
        let done = sim
            .deliver(&mut srv, &mut d, 0, *req)
            .unwrap_or_else(|e| panic!("{req:?}: {e}"));
        assert_eq!(done.state(), STATE_IORESP_READY);
        if req.is_read() && !req.data_is_ptr() {
            assert_eq!(
                done.data,
                vpcie_xen::dispatch::all_ones(req.size.min(8) as u8),
                "{req:?}"
            );
        } else {
            assert_eq!(done.data, req.data, "data pointer / write untouched");
        }
        let (log, dropped) = srv.take_refusals();
        assert_eq!(dropped, 0);
        assert_eq!(log.len(), 1, "{req:?}");
        assert_eq!(log[0].reason, *reason, "{req:?}");
        assert!(!log[0].to_string().is_empty());
    }
    assert!(
        d.log.is_empty(),
        "nothing malformed reached the emulation: {:?}",
        d.log
    );
    assert_eq!(srv.stats().refused, cases.len() as u64);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    // Broadcasts are completed without a refusal.
    let done = sim
        .deliver(
            &mut srv,
            &mut d,
            0,
            Ioreq::simple(IOREQ_TYPE_TIMEOFFSET, 0, 8, false, 123),
        )
        .unwrap();
    assert_eq!(done.state(), STATE_IORESP_READY);
    assert!(srv.take_refusals().0.is_empty());
}

#[test]
fn a_flood_of_refusals_is_bounded() {
    let (sim, mut srv) = start(1);
    let mut d = Recorder::default();
    for _ in 0..(vpcie_xen::server::REFUSAL_LOG + 10) {
        sim.deliver(&mut srv, &mut d, 0, Ioreq::simple(9, 0, 4, true, 0))
            .unwrap();
    }
    let (log, dropped) = srv.take_refusals();
    assert_eq!((log.len(), dropped), (vpcie_xen::server::REFUSAL_LOG, 10));
}

#[test]
fn unbound_and_missing_vcpus_are_errors_not_hangs() {
    let (sim, mut srv) = start(1);
    let mut d = Recorder::default();
    let r = Ioreq::simple(IOREQ_TYPE_COPY, ECAM, 4, true, 0);
    assert!(matches!(
        sim.deliver(&mut srv, &mut d, 200, r),
        Err(SimError::NoVcpu(200))
    ));
}

#[test]
fn shutdown_disables_unmaps_destroys_and_unbinds() {
    let (sim, srv) = start(3);
    assert_eq!(sim.bound_ports(), 3);
    let errors = srv.shutdown();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!sim.server_enabled());
    assert_eq!(sim.bound_ports(), 0);
    let ops = sim.dm_ops();
    let tail: Vec<_> = ops.iter().rev().take(5).rev().collect();
    assert!(matches!(
        tail[0],
        DmOp::SetIoreqServerState { enabled: false, .. }
    ));
    assert!(
        tail[1..4]
            .iter()
            .all(|o| matches!(o, DmOp::UnmapIoRange { .. }))
    );
    assert!(matches!(tail[4], DmOp::DestroyIoreqServer { .. }));
}

#[test]
fn dropping_a_server_tears_it_down_too() {
    let (sim, srv) = start(1);
    drop(srv);
    assert!(!sim.server_enabled());
    assert_eq!(sim.bound_ports(), 0);
    assert!(sim.claimed().is_empty());
}

#[test]
fn msi_injection_reaches_the_hypervisor() {
    let (sim, mut srv) = start(1);
    use vpcie_xen::Transport;
    srv.transport().inject_msi(0xfee0_0000, 0x4021).unwrap();
    assert!(srv.transport().inject_msi(0x1234, 0).is_err());
    assert_eq!(sim.msis(), [(0xfee0_0000, 0x4021)]);
}

/// The ECAM enumeration a guest does gets the same bytes through ioreqs as
/// direct calls on the same functions.
#[test]
fn ecam_enumeration_through_ioreqs_equals_direct_reads() {
    let (sim, mut srv) = start(1);
    let mut map = FunctionMap::new();
    map.insert(0, 0, 0, "demo", demo_endpoint());
    let mut e = demo_endpoint();
    e.set_u8(0x0e, 0x80);
    map.insert(0, 2, 0, "multi", e.clone());
    map.insert(0, 2, 3, "multi.3", e);
    let mut direct = FunctionMap::new();
    for (b, dv, f, n, s) in map.functions() {
        direct.insert(b, dv, f, n, s.clone());
    }
    let mut d = EcamDispatch {
        base: ECAM,
        size: ECAM_SIZE,
        target: map,
    };
    let found = sim.ecam_scan(&mut srv, &mut d, ECAM, 4096).unwrap();
    assert_eq!(
        found.iter().map(|f| f.bdf).collect::<Vec<_>>(),
        [(0, 0, 0), (0, 2, 0), (0, 2, 3)]
    );
    for f in &found {
        let (b, dv, fun) = f.bdf;
        for reg in (0..4096u16).step_by(4) {
            let v = direct.config_read(b, dv, fun, reg, 4).to_le_bytes();
            assert_eq!(
                &f.config[reg as usize..reg as usize + 4],
                &v,
                "{:?} {reg:#x}",
                f.bdf
            );
        }
    }
    // Writes go through too: Command's enable bits are writable, the rest is not.
    sim.mmio_write(&mut srv, &mut d, 0, ECAM + 4, 2, 0xffff)
        .unwrap();
    assert_eq!(
        sim.mmio_read(&mut srv, &mut d, 0, ECAM + 4, 2).unwrap(),
        0x0547
    );
    sim.mmio_write(&mut srv, &mut d, 0, ECAM, 4, 0).unwrap();
    assert_eq!(
        sim.mmio_read(&mut srv, &mut d, 0, ECAM, 4).unwrap(),
        0x5e61_1234
    );
    // Misaligned and odd-sized guest accesses are answered, never a panic.
    for (off, size) in [(0xfff, 1), (0xffe, 2), (0xffd, 4), (0x3, 2), (0x1, 4)] {
        let _ = sim
            .mmio_read(&mut srv, &mut d, 0, ECAM + off, size)
            .unwrap();
    }
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// Bus-0 mode's contract: with the hypervisor-side ECAM decode on, an ECAM
/// access to a claimed SBDF arrives as PCI_CONFIG, like CF8/CFC.
#[test]
fn hypervisor_ecam_decode_routes_by_sbdf() {
    let (sim, mut srv) = start(1);
    let mut d = Recorder::default();
    sim.set_ecam_decode(0xb000_0000, 256, 0);
    assert_eq!(
        sim.mmio_read(&mut srv, &mut d, 0, 0xb000_0000 + (3 << 15) + 0x104, 4)
            .unwrap(),
        0xa1b2_c3d4
    );
    assert_eq!(
        sim.mmio_read(&mut srv, &mut d, 0, 0xb000_0000 + (4 << 15), 4)
            .unwrap(),
        0xffff_ffff
    );
    assert_eq!(d.log, ["cfg r 0000:00:03.0 0x104/4"]);
}
