//! Segment mode with the planned hierarchy: the real-Xen harness's config
//! built, planned and announced, then enumerated through the simulated
//! hypervisor; and the firmware driven through ioreqs giving the same
//! answers as direct platform calls.

use vpcie_firmware::{Bdf, ConfigAccess};
use vpcie_testkit::{TempFile, fixture};
use vpcie_xen::DomainConfig;
use vpcie_xen::dispatch::Dispatch;
use vpcie_xen::segment::{Segment, SegmentDispatch, firmware_config, topology, writable_masks};
use vpcie_xen::server::IoreqServer;
use vpcie_xen::sim::{Sim, SimTransport};

/// The harness's guest config (scripts/xen-e2e/vpcie.cfg) with the fixtures' paths.
fn e2e_config() -> DomainConfig {
    let text = include_str!("../../../scripts/xen-e2e/vpcie.cfg");
    let dir = fixture("d01_").parent().unwrap().display().to_string();
    DomainConfig::parse(&text.replace("/root/vpcie/fixtures", &dir)).expect("the e2e config parses")
}

#[test]
fn the_e2e_hierarchy_is_built_and_planned() {
    let seg = Segment::build(&e2e_config()).expect("builds and plans");
    let l = &seg.layout;
    let bdfs: Vec<_> = l.functions.iter().map(|f| f.bdf).collect();
    // Root ports at 01-03, the GPU + HD Audio below the first, the switch below
    // the second with two downstream ports, the NVMe below the first of them.
    assert_eq!(
        bdfs,
        vec![
            (0, 1, 0),
            (1, 0, 0),
            (1, 0, 1),
            (0, 2, 0),
            (2, 0, 0),
            (3, 0, 0),
            (4, 0, 0),
            (3, 1, 0),
            (0, 3, 0)
        ]
    );
    // Every BAR inside the segment's windows, every bridge window too.
    let in_windows = |r: vpcie_firmware::Range| {
        let w32 = l.mmio32;
        let in32 = r.base >= w32.base && r.end() <= w32.base + w32.size;
        let in64 = l
            .mmio64
            .is_some_and(|w| r.base >= w.base && r.end() <= w.base + w.size);
        let io =
            l.io.iter()
                .any(|&(a, b)| r.base >= u64::from(a) && r.limit() <= u64::from(b));
        in32 || in64 || io
    };
    for f in &l.plan.functions {
        for b in &f.bars {
            if let Some(r) = b.range {
                assert!(
                    in_windows(r),
                    "{} {}: {r} outside the windows",
                    f.bdf,
                    b.bar
                );
            }
        }
        for w in f
            .windows
            .iter()
            .flat_map(|w| [w.io, w.mem, w.pref])
            .flatten()
        {
            assert!(
                in_windows(w),
                "{} window {w} outside the segment's windows",
                f.bdf
            );
        }
    }
    // MSI-only: every function with an interrupt pin reads Interrupt Line 0xff.
    let mut p = seg.platform;
    for &(b, d, f) in &bdfs {
        if p.config_read(b, d, f, 0x3d, 1) != 0 {
            assert_eq!(p.config_read(b, d, f, 0x3c, 1), 0xff, "{b:02x}:{d:02x}.{f}");
        }
    }
    // Claims: ECAM, the 32- and 64-bit windows, the I/O window of the GPU's port.
    let ranges = l.ranges();
    assert!(
        ranges
            .iter()
            .any(|r| r.start == 0xe000_0000 && r.end == 0xefff_ffff)
    );
    assert!(
        ranges
            .iter()
            .any(|r| r.start == 0xd000_0000 && r.end == 0xdfff_ffff)
    );
    assert!(ranges.iter().any(|r| r.start == 0x40_0000_0000));
}

#[test]
fn the_ssdt_and_mcfg_announce_the_segment() {
    let seg = Segment::build(&e2e_config()).unwrap();
    let bytes = seg.layout.acpi_tables().unwrap();
    let ssdt_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let (ssdt, mcfg) = bytes.split_at(ssdt_len);
    assert_eq!(&ssdt[..4], b"SSDT");
    assert_eq!(&mcfg[..4], b"MCFG");
    assert!(vpcie_firmware::acpi::checksum_ok(ssdt));
    assert!(vpcie_firmware::acpi::checksum_ok(mcfg));
    // MCFG entry: base, segment 1, buses 0-255.
    assert_eq!(mcfg.len(), 60);
    assert_eq!(
        u64::from_le_bytes(mcfg[44..52].try_into().unwrap()),
        0xe000_0000
    );
    assert_eq!(u16::from_le_bytes(mcfg[52..54].try_into().unwrap()), 1);
    assert_eq!((mcfg[54], mcfg[55]), (0, 0xff));
    // The outside world's decoding: iasl, when installed (CI installs acpica-tools).
    if std::process::Command::new("iasl")
        .arg("-v")
        .output()
        .is_err()
    {
        println!("SKIP iasl not installed: the SSDT is not decompiled");
        return;
    }
    let dir = std::env::temp_dir().join(format!("vpcie-ssdt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ssdt.dat"), ssdt).unwrap();
    let out = std::process::Command::new("iasl")
        .args(["-d", "ssdt.dat"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let dsl = std::fs::read_to_string(dir.join("ssdt.dsl")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "Device (PCI1)",
        "EisaId (\"PNP0A08\")",
        "Name (_SEG, One)",
        "Name (_BBN, Zero)",
        "Name (_UID, One)",
        "0xD0000000",
        "0x0000004000000000",
        "Method (_OSC, 4",
        "Local0 &= 0x1D",
        "Device (MCF1)",
        "EisaId (\"PNP0C02\")",
        "Name (_UID, 0x56500001)",
        "Memory32Fixed (ReadWrite,\n                    0xE0000000,",
    ] {
        assert!(dsl.contains(needle), "no `{needle}` in\n{dsl}");
    }
    assert!(!dsl.contains("_PRT"), "the segment is MSI-only");
}

fn serve(platform: vpcie_platform::Platform) -> (Sim, IoreqServer<SimTransport>, SegmentDispatch) {
    let cfg = e2e_config();
    let (sim, t) = Sim::new(1, 2);
    let ecam = cfg.vpcie.ecam;
    let ranges = [vpcie_xen::Range {
        kind: vpcie_xen::abi::RangeKind::Memory,
        start: ecam.base,
        end: ecam.last(),
    }];
    let srv = IoreqServer::start(t, &ranges, 2).unwrap();
    (sim, srv, SegmentDispatch::new(platform, 1, ecam))
}

/// The firmware's config accesses as ECAM MMIO through the simulated Xen.
struct ThroughSim<'a> {
    sim: &'a Sim,
    srv: &'a mut IoreqServer<SimTransport>,
    d: &'a mut dyn Dispatch,
    ecam: u64,
    vcpu: usize,
}

impl ThroughSim<'_> {
    fn addr(&self, bdf: Bdf, offset: u16) -> u64 {
        self.ecam
            + (u64::from(bdf.bus) << 20
                | u64::from(bdf.device) << 15
                | u64::from(bdf.function) << 12
                | u64::from(offset))
    }
}

impl ConfigAccess for ThroughSim<'_> {
    fn read(&mut self, bdf: Bdf, offset: u16, size: u8) -> u32 {
        // Alternate vCPUs, as a guest's CPUs would.
        self.vcpu ^= 1;
        let a = self.addr(bdf, offset);
        self.sim
            .mmio_read(self.srv, self.d, self.vcpu, a, size)
            .expect("no violation") as u32
    }
    fn write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32) {
        self.vcpu ^= 1;
        let a = self.addr(bdf, offset);
        self.sim
            .mmio_write(self.srv, self.d, self.vcpu, a, size, u64::from(value))
            .expect("no violation");
    }
}

#[test]
fn a_firmware_enumeration_through_ioreqs_gives_the_direct_answers() {
    let cfg = e2e_config();
    let fw = firmware_config(&cfg).unwrap();
    // Directly on the platform.
    let (mut direct, _) = topology(&cfg).unwrap();
    let direct_plan = vpcie_firmware::run(&mut direct, &fw).unwrap();
    // The same firmware as a guest: every access an ioreq through the simulated hypervisor.
    let (platform, _) = topology(&cfg).unwrap();
    let (sim, mut srv, mut d) = serve(platform);
    let plan = {
        let mut a = ThroughSim {
            sim: &sim,
            srv: &mut srv,
            d: &mut d,
            ecam: cfg.vpcie.ecam.base,
            vcpu: 0,
        };
        vpcie_firmware::run(&mut a, &fw).unwrap()
    };
    assert_eq!(plan, direct_plan, "same plan through ioreqs as directly");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let stats = srv.stats();
    assert!(stats.mmio > 500 && stats.refused == 0, "{stats:?}");
    // Every byte of every function the same afterwards (read through ioreqs vs directly).
    let found = sim
        .ecam_enumerate(&mut srv, &mut d, cfg.vpcie.ecam.base, 256, 4096)
        .unwrap();
    assert_eq!(found.len(), 9);
    for f in &found {
        let (b, dv, fun) = f.bdf;
        let mine: Vec<u8> = (0..4096u16)
            .step_by(4)
            .flat_map(|o| direct.config_read(b, dv, fun, o, 4).to_le_bytes())
            .collect();
        assert_eq!(f.config, mine, "{b:02x}:{dv:02x}.{fun}");
    }
}

#[test]
fn writable_masks_find_what_a_guest_can_change() {
    let mut seg = Segment::build(&e2e_config()).unwrap();
    let masks = writable_masks(&mut seg.platform, &[(0, 1, 0), (1, 0, 0)]);
    let (port, gpu) = (&masks[0], &masks[1]);
    // Root port: bus numbers writable, Vendor ID not, Secondary Bus Reset never probed.
    assert_eq!(&port[0x18..0x1b], &[0xff, 0xff, 0xff]);
    assert_eq!(&port[0..2], &[0, 0]);
    assert_eq!(port[0x3e] & 0x40, 0);
    // GPU: BAR 0 address bits writable, class code not.
    assert_ne!(gpu[0x13], 0);
    assert_eq!(&gpu[0x09..0x0c], &[0, 0, 0]);
}

#[test]
fn broken_segment_configs_are_refused_with_a_reason() {
    let gpu = fixture("d01_").display().to_string();
    for (body, want) in [
        (
            format!(
                "vpcie_pci = [ \"0000:01:00.0,dump={gpu}\" ]\nvpcie_mmio32 = \"0xd0000000+1M\""
            ),
            "enlarge vpcie_mmio32",
        ),
        (
            format!(
                "vpcie_pci = [ \"0000:07:00.0,dump={gpu}\" ]\nvpcie_mmio64 = \"0x4000000000+64G\""
            ),
            "holds only",
        ),
        (
            "vpcie_pci = [ \"0000:01:00.0,dump=/nonexistent/dump.txt\" ]".to_string(),
            "cannot read /nonexistent/dump.txt",
        ),
        (
            format!(
                "vpcie_pci = [ \"0000:01:00.0,dump={gpu}\" ]\nvpcie_mmio64 = \"0x4000100000+64G\""
            ),
            "1 GiB boundary",
        ),
    ] {
        let f = TempFile::new("seg.cfg", &body);
        let cfg = DomainConfig::from_file(f.path()).unwrap();
        match Segment::build(&cfg) {
            Err(e) => assert!(e.to_string().contains(want), "{want}: {e}"),
            Ok(seg) => {
                // A dump with one function serves it under the asked address, with a note.
                assert!(
                    seg.layout.notes.iter().any(|n| n.contains(want)),
                    "{want}: {:?}",
                    seg.layout.notes
                );
            }
        }
    }
}
