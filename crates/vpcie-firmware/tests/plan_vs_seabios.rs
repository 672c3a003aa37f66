//! The firmware against what SeaBIOS did on the same topology under QEMU
//! Q35 (`tests/data/qemu-q35-default`: `earlydump.txt` is the
//! configuration space as SeaBIOS left it, before Linux touched it).
//!
//! Compared where the rules are the same: depth-first bus numbers (exact),
//! which bridges get an I/O window (only those with I/O BARs below), which
//! bridges get memory windows, nesting and no overlap (both sides). Not
//! compared: addresses (SeaBIOS packs from 0xfebfffff down with 2 MiB
//! bridge granules, and reserves windows on empty hotplug ports, which our
//! root ports are not), the ECAM base (SeaBIOS fixes 0xb0000000).

mod common;

use common::{bar, build, check, device, with_bars};
use std::collections::BTreeMap;
use std::path::PathBuf;
use vpcie_config::lspci;
use vpcie_firmware::{Bdf, FirmwareConfig};
use vpcie_platform::DeviceKind;
use vpcie_platform::description::BarKindDescription::{Io, Mem32, Mem64};

fn capture_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/qemu-q35-default"
    ))
}

/// A bridge as SeaBIOS left it: bus numbers and which windows are open.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Seen {
    buses: (u8, u8, u8),
    io: Option<(u64, u64)>,
    mem: Option<(u64, u64)>,
}

fn seabios_bridges() -> BTreeMap<Bdf, Seen> {
    let path = capture_dir().join("earlydump.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the capture {}: {e}", path.display()));
    let functions = lspci::parse(&text).expect("the capture parses");
    let mut out = BTreeMap::new();
    for f in functions {
        let c = f.config();
        if c[0x0e] & 0x7f != 1 {
            continue;
        }
        let a = f.address;
        let io_base = u64::from(c[0x1c] & 0xf0) << 8;
        let io_limit = u64::from(c[0x1d] & 0xf0) << 8 | 0xfff;
        let mem_base = u64::from(u16::from_le_bytes([c[0x20], c[0x21]]) & 0xfff0) << 16;
        let mem_limit = u64::from(u16::from_le_bytes([c[0x22], c[0x23]]) & 0xfff0) << 16 | 0xfffff;
        out.insert(
            Bdf::new(a.bus, a.device, a.function),
            Seen {
                buses: (c[0x18], c[0x19], c[0x1a]),
                io: (io_base <= io_limit).then_some((io_base, io_limit)),
                mem: (mem_base <= mem_limit).then_some((mem_base, mem_limit)),
            },
        );
    }
    out
}

/// `topology-default.args` with our models: 4 root ports at 1c.0-1c.3, a
/// switch below 1c.0 (NVMe, e1000e), an e1000e below 1c.1, a PCIe-to-PCI
/// bridge with an e1000 below 1c.2, 1c.3 empty. BARs as QEMU's devices
/// have them (nvme: 16 KiB 64-bit; e1000e: 128 KiB, 128 KiB, I/O 32,
/// 16 KiB; e1000: 128 KiB, I/O 64).
fn same_topology() -> vpcie_platform::Platform {
    let e1000e = |name: &str, parent: &str| {
        let mut d = device(DeviceKind::Endpoint, name, Some(parent), "00.0");
        d = with_bars(
            d,
            vec![
                bar(0, Mem32, 0x2_0000, false),
                bar(1, Mem32, 0x2_0000, false),
                bar(2, Io, 0x20, false),
                bar(3, Mem32, 0x4000, false),
            ],
        );
        d
    };
    let mut nvme = device(DeviceKind::Endpoint, "nvme", Some("dsp1"), "00.0");
    nvme = with_bars(nvme, vec![bar(0, Mem64, 0x4000, false)]);
    let mut e1000 = device(DeviceKind::Endpoint, "e1000", Some("pbr1"), "01.0");
    e1000 = with_bars(
        e1000,
        vec![bar(0, Mem32, 0x2_0000, false), bar(1, Io, 0x40, false)],
    );
    build(vec![
        device(DeviceKind::RootPort, "rp1", None, "1c.0"),
        device(DeviceKind::RootPort, "rp2", None, "1c.1"),
        device(DeviceKind::RootPort, "rp3", None, "1c.2"),
        device(DeviceKind::RootPort, "rp4", None, "1c.3"),
        device(DeviceKind::SwitchUpstream, "usp1", Some("rp1"), "00.0"),
        device(DeviceKind::SwitchDownstream, "dsp1", Some("usp1"), "00.0"),
        device(DeviceKind::SwitchDownstream, "dsp2", Some("usp1"), "01.0"),
        nvme,
        e1000e("nic1", "dsp2"),
        e1000e("nic2", "rp2"),
        device(DeviceKind::PcieToPciBridge, "pbr1", Some("rp3"), "00.0"),
        e1000,
    ])
}

fn nested_and_disjoint(windows: &[(Bdf, Option<Bdf>, (u64, u64))], what: &str) {
    for (b, parent, (lo, hi)) in windows {
        if let Some(p) = parent {
            if let Some((_, _, (plo, phi))) = windows.iter().find(|w| w.0 == *p) {
                assert!(
                    plo <= lo && hi <= phi,
                    "{what}: {b} {lo:#x}-{hi:#x} outside parent {p}"
                );
            }
        }
        for (c, cparent, (clo, chi)) in windows {
            if c != b && cparent == parent {
                assert!(chi < lo || hi < clo, "{what}: siblings {b} and {c} overlap");
            }
        }
    }
}

#[test]
fn bus_numbers_and_window_rules_match_seabios() {
    let seabios = seabios_bridges();
    let cfg = FirmwareConfig {
        ecam_buses: Some(256),
        ..FirmwareConfig::default()
    };
    let mut platform = same_topology();
    let plan = vpcie_firmware::run_platform(&mut platform, &cfg).expect("plans");
    check(&mut platform, &plan, &cfg).unwrap_or_else(|e| panic!("{e}\n{plan}"));

    let ours: BTreeMap<Bdf, &vpcie_firmware::PlannedFunction> = plan
        .functions
        .iter()
        .filter(|f| f.buses.is_some())
        .map(|f| (f.bdf, f))
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        seabios.keys().collect::<Vec<_>>(),
        "the same bridges at the same BDFs"
    );
    let mut parent_of = BTreeMap::new();
    for (bdf, f) in &ours {
        let s = seabios[bdf];
        let b = f.buses.unwrap();
        assert_eq!(
            (b.primary, b.secondary, b.subordinate),
            s.buses,
            "{bdf}: bus numbers"
        );
        let has_devices_below = plan
            .functions
            .iter()
            .any(|g| g.bdf.bus >= b.secondary && g.bdf.bus <= b.subordinate && g.buses.is_none());
        let w = f.windows.unwrap();
        // I/O windows: SeaBIOS opens one only where I/O BARs sit below; so do we.
        assert_eq!(w.io.is_some(), s.io.is_some(), "{bdf}: I/O window presence");
        if has_devices_below {
            assert_eq!(
                w.mem.is_some(),
                s.mem.is_some(),
                "{bdf}: memory window presence"
            );
        }
        parent_of.insert(*bdf, f.parent);
    }
    // The oracle's own windows nest and do not overlap, as ours do.
    let theirs_io: Vec<_> = seabios
        .iter()
        .filter_map(|(b, s)| s.io.map(|r| (*b, parent_of[b], r)))
        .collect();
    let theirs_mem: Vec<_> = seabios
        .iter()
        .filter_map(|(b, s)| s.mem.map(|r| (*b, parent_of[b], r)))
        .collect();
    nested_and_disjoint(&theirs_io, "SeaBIOS I/O");
    nested_and_disjoint(&theirs_mem, "SeaBIOS memory");
    // Same ECAM shape as SeaBIOS's MCFG: one 60-byte table, segment 0, buses 00-ff.
    let theirs = std::fs::read(capture_dir().join("mcfg.bin")).expect("mcfg.bin in the capture");
    let tables = vpcie_firmware::acpi::tables(&plan, &cfg).expect("tables");
    let mcfg = tables.mcfg.expect("an MCFG");
    assert_eq!(mcfg.len(), theirs.len());
    assert_eq!(&mcfg[0..4], &theirs[0..4]);
    assert_eq!(mcfg[8], theirs[8], "revision");
    assert_eq!(&mcfg[52..56], &theirs[52..56], "segment and bus range");
}
