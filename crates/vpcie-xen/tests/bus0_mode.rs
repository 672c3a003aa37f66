//! Bus-0 mode against the simulated hypervisor: vpcie serves a Q35 platform
//! on segment 0 through PCI_CONFIG requests (CF8/CFC, and ECAM with the
//! hypervisor-side decode the mode needs); its claims follow the guest's
//! bridge bus numbers and PCIEXBAR before the access that moved them completes.

use vpcie_firmware::{Bdf, ConfigAccess, FirmwareConfig};
use vpcie_platform::PlatformDescription;
use vpcie_xen::abi::{RangeKind, Sbdf};
use vpcie_xen::bus0::Bus0Dispatch;
use vpcie_xen::server::{IoreqServer, Range};
use vpcie_xen::sim::{Sim, SimTransport};

fn start() -> (Sim, IoreqServer<SimTransport>, Bus0Dispatch) {
    let platform = PlatformDescription::default_q35().build().unwrap();
    let d = Bus0Dispatch::new(platform);
    let (sim, t) = Sim::new(3, 2);
    let srv = IoreqServer::start(t, &d.wanted().0, 2).unwrap();
    (sim, srv, d)
}

/// Config accesses as a guest makes them through CF8/CFC (offsets below 0x100).
struct Cf8<'a> {
    sim: &'a Sim,
    srv: &'a mut IoreqServer<SimTransport>,
    d: &'a mut Bus0Dispatch,
}

impl ConfigAccess for Cf8<'_> {
    fn read(&mut self, bdf: Bdf, offset: u16, size: u8) -> u32 {
        if offset >= 0x100 {
            return u32::MAX;
        }
        let a = 0x8000_0000
            | u32::from(bdf.bus) << 16
            | u32::from(bdf.devfn()) << 8
            | u32::from(offset & 0xfc);
        self.sim
            .pio_write(self.srv, self.d, 0, 0xcf8, 4, a)
            .unwrap();
        self.sim
            .pio_read(self.srv, self.d, 1, 0xcfc + (offset & 3), size)
            .unwrap()
    }
    fn write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32) {
        if offset >= 0x100 {
            return;
        }
        let a = 0x8000_0000
            | u32::from(bdf.bus) << 16
            | u32::from(bdf.devfn()) << 8
            | u32::from(offset & 0xfc);
        self.sim
            .pio_write(self.srv, self.d, 0, 0xcf8, 4, a)
            .unwrap();
        self.sim
            .pio_write(self.srv, self.d, 1, 0xcfc + (offset & 3), size, value)
            .unwrap();
    }
}

fn pci(bus: u8) -> (u64, u64) {
    (
        Sbdf {
            seg: 0,
            bus,
            dev: 0,
            func: 0,
        }
        .dmop(),
        Sbdf {
            seg: 0,
            bus,
            dev: 31,
            func: 7,
        }
        .dmop(),
    )
}

fn claims_bus(claims: &[Range], bus: u8) -> bool {
    let (a, b) = pci(bus);
    claims
        .iter()
        .any(|r| r.kind == RangeKind::Pci && r.start <= a && b <= r.end)
}

fn firmware(
    sim: &Sim,
    srv: &mut IoreqServer<SimTransport>,
    d: &mut Bus0Dispatch,
) -> vpcie_firmware::Plan {
    let mut a = Cf8 { sim, srv, d };
    vpcie_firmware::run(&mut a, &FirmwareConfig::default()).unwrap()
}

#[test]
fn the_firmware_through_cf8_ioreqs_gives_the_direct_answers() {
    let (sim, mut srv, mut d) = start();
    let plan = firmware(&sim, &mut srv, &mut d);
    let mut direct = PlatformDescription::default_q35().build().unwrap();
    let direct_plan = vpcie_firmware::run(
        &mut vpcie_firmware::PortIo(&mut direct),
        &FirmwareConfig::default(),
    )
    .unwrap();
    assert_eq!(plan, direct_plan);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(srv.stats().pci_config > 500, "{:?}", srv.stats());
    assert_eq!(srv.stats().claim_errors, 0);
    // Every bus the firmware numbered is claimed now; ECAM follows PCIEXBAR.
    for f in &plan.functions {
        let s = Sbdf {
            seg: 0,
            bus: f.bdf.bus,
            dev: f.bdf.device,
            func: f.bdf.function,
        }
        .dmop();
        let claimed = srv
            .ranges()
            .iter()
            .any(|r| r.kind == RangeKind::Pci && r.start <= s && s <= r.end);
        assert!(claimed, "{} is not claimed", f.bdf);
    }
    // Bus 0 only by device: the other device model keeps the rest of it.
    assert!(!claims_bus(srv.ranges(), 0));
    let ecam = plan.ecam.expect("the firmware enables ECAM").range;
    assert_eq!(sim.ecam_decode(), Some((ecam.base, ecam.size, 0)));
    // Through ECAM (the hypervisor decodes it into PCI_CONFIG), every byte
    // of every function reads as a direct call reads it.
    for f in &plan.functions {
        let (b, dv, fun) = (f.bdf.bus, f.bdf.device, f.bdf.function);
        for reg in (0..4096u64).step_by(4) {
            let addr =
                ecam.base + (u64::from(b) << 20 | u64::from(dv) << 15 | u64::from(fun) << 12 | reg);
            let through = sim.mmio_read(&mut srv, &mut d, 0, addr, 4).unwrap() as u32;
            assert_eq!(
                through,
                direct.config_read(b, dv, fun, reg as u16, 4),
                "{} +{reg:#x}",
                f.bdf
            );
        }
    }
}

#[test]
fn claims_follow_bridge_reprogramming_without_a_gap() {
    let (sim, mut srv, mut d) = start();
    let plan = firmware(&sim, &mut srv, &mut d);
    let port = plan
        .root_ports()
        .find(|p| p.buses.is_some_and(|b| b.secondary == b.subordinate))
        .expect("a leaf root port");
    let old = port.buses.unwrap().secondary;
    let child = plan
        .functions
        .iter()
        .find(|f| f.bdf.bus == old)
        .expect("a device below it")
        .clone();
    let (pb, pd, pf) = (port.bdf.bus, port.bdf.device, port.bdf.function);
    let mut a = Cf8 {
        sim: &sim,
        srv: &mut srv,
        d: &mut d,
    };
    let vendor = |a: &mut Cf8<'_>, bus: u8| a.read(Bdf::new(bus, 0, child.bdf.function), 0, 2);
    assert_eq!(vendor(&mut a, old), u32::from(child.vendor_id));
    // The guest moves the port's buses to 0x80 (subordinate first, then
    // secondary, as Linux's pci_scan_bridge does): after each write the
    // device answers wherever the bridge routes it, never lost in between.
    a.write(Bdf::new(pb, pd, pf), 0x1a, 1, 0x80);
    assert_eq!(
        vendor(&mut a, old),
        u32::from(child.vendor_id),
        "still at its old bus"
    );
    assert!(
        claims_bus(a.srv.ranges(), 0x80),
        "the widened range is claimed at once"
    );
    a.write(Bdf::new(pb, pd, pf), 0x19, 1, 0x80);
    assert_eq!(
        vendor(&mut a, 0x80),
        u32::from(child.vendor_id),
        "found at the new bus"
    );
    assert_eq!(
        vendor(&mut a, old),
        0xffff,
        "the old bus is no longer routed"
    );
    assert!(
        !claims_bus(a.srv.ranges(), old),
        "and no longer claimed: the other device model gets it"
    );
    assert_eq!(a.srv.stats().claim_errors, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(d.changes.iter().any(|c| c.contains("BusNumbersChanged")));
}

#[test]
fn the_ecam_decode_follows_pciexbar() {
    let (sim, mut srv, mut d) = start();
    let plan = firmware(&sim, &mut srv, &mut d);
    let old = plan.ecam.unwrap().range;
    let mch = Bdf::new(0, 0, 0);
    let read_vendor =
        |sim: &Sim, srv: &mut IoreqServer<SimTransport>, d: &mut Bus0Dispatch, base: u64| {
            sim.mmio_read(srv, d, 1, base, 2).unwrap()
        };
    assert_eq!(read_vendor(&sim, &mut srv, &mut d, old.base), 0x8086);
    let updates = sim.ecam_updates();
    // The guest moves PCIEXBAR to 0xb0000000, 256 MiB (length 00b), enabled.
    {
        let mut a = Cf8 {
            sim: &sim,
            srv: &mut srv,
            d: &mut d,
        };
        a.write(mch, 0x60, 4, 0xb000_0001);
    }
    assert_eq!(sim.ecam_decode(), Some((0xb000_0000, 256 << 20, 0)));
    assert!(sim.ecam_updates() > updates);
    assert_eq!(read_vendor(&sim, &mut srv, &mut d, 0xb000_0000), 0x8086);
    // The old window decodes nothing now: plain MMIO nobody claims.
    if old.base != 0xb000_0000 {
        assert_eq!(read_vendor(&sim, &mut srv, &mut d, old.base), 0xffff);
    }
    // Disabled: no decode at all.
    {
        let mut a = Cf8 {
            sim: &sim,
            srv: &mut srv,
            d: &mut d,
        };
        a.write(mch, 0x60, 4, 0xb000_0000);
    }
    assert_eq!(sim.ecam_decode(), None);
    assert_eq!(srv.stats().claim_errors, 0);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn set_claims_adds_before_it_removes_and_splits_like_xen() {
    let (sim, t) = Sim::new(1, 1);
    let m = |s: u64, e: u64| Range {
        kind: RangeKind::Memory,
        start: s,
        end: e,
    };
    let mut srv = IoreqServer::start(t, &[m(0x1000, 0x1fff)], 1).unwrap();
    srv.set_claims(&[m(0x1000, 0x3fff)]).unwrap();
    srv.release(m(0x2000, 0x2fff)).unwrap();
    assert_eq!(srv.ranges(), &[m(0x1000, 0x1fff), m(0x3000, 0x3fff)]);
    assert_eq!(sim.claimed(), vec![m(0x1000, 0x1fff), m(0x3000, 0x3fff)]);
    let ops = sim.dm_ops();
    let kinds: Vec<_> = ops
        .iter()
        .filter_map(|o| match o {
            vpcie_xen::abi::DmOp::MapIoRange { start, end, .. } => Some(("map", *start, *end)),
            vpcie_xen::abi::DmOp::UnmapIoRange { start, end, .. } => Some(("unmap", *start, *end)),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("map", 0x1000, 0x1fff),
            ("map", 0x2000, 0x3fff),
            ("unmap", 0x2000, 0x2fff)
        ]
    );
}
