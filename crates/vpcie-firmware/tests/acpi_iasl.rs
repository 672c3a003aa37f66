//! ACPICA's `iasl` as the oracle for our tables: it must disassemble the
//! MCFG and the DSDT without errors, the disassembly must say what the plan
//! says, and the DSDT's disassembly must compile again.
//!
//! `iasl` (acpica-tools) is required: the test fails with what to install
//! when it is missing, unless `VPCIE_SKIP_IASL=1`, when it prints a SKIP line.

mod common;

use common::{bar, build, device, with_bars};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use vpcie_firmware::acpi::{self, HostBridge, McfgAllocation, OemIds, Prt, PrtEntry, PrtTarget};
use vpcie_firmware::{FirmwareConfig, Plan, Range};
use vpcie_platform::DeviceKind;
use vpcie_platform::description::BarKindDescription::{Io, Mem32, Mem64};

fn iasl_available(test: &str) -> bool {
    if std::env::var_os("VPCIE_SKIP_IASL").is_some_and(|v| v == "1") {
        // Straight to stderr: libtest captures eprintln! of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {test}: VPCIE_SKIP_IASL=1, iasl oracle not run"
        );
        return false;
    }
    match Command::new("iasl").arg("-v").output() {
        Ok(_) => true,
        Err(e) => panic!(
            "{test}: cannot run iasl ({e}); install acpica-tools (apt-get install acpica-tools) or set VPCIE_SKIP_IASL=1"
        ),
    }
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vpcie-iasl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs iasl with `args` in `dir`; returns stdout+stderr, failing on a
/// non-zero exit or an "Error" line.
fn iasl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("iasl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("iasl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "iasl {args:?} failed:\n{text}");
    for line in text.lines() {
        assert!(
            !line.contains("Error") || line.contains(" 0 Errors"),
            "iasl {args:?} reported: {line}\n{text}"
        );
        assert!(
            !line.to_lowercase().contains("invalid checksum")
                && !line.contains("Incorrect checksum"),
            "{line}"
        );
    }
    text
}

/// Disassembles `bytes` written as `file`; returns the ASL text.
fn disassemble(dir: &Path, file: &str, bytes: &[u8]) -> String {
    std::fs::write(dir.join(file), bytes).expect("write table");
    iasl(dir, &["-d", file]);
    let dsl = dir.join(Path::new(file).with_extension("dsl"));
    std::fs::read_to_string(&dsl).unwrap_or_else(|e| panic!("no {}: {e}", dsl.display()))
}

/// The README's platform shape: a GPU + HDA below a root port, a switch with
/// an NVMe, an empty root port.
fn planned() -> (Plan, FirmwareConfig) {
    let gpu = with_bars(
        device(DeviceKind::Endpoint, "gpu", Some("rp1"), "00.0"),
        vec![
            bar(0, Mem32, 16 << 20, false),
            bar(1, Mem64, 8 << 30, true),
            bar(3, Mem64, 32 << 20, true),
            bar(5, Io, 0x80, false),
        ],
    );
    let hda = with_bars(
        device(DeviceKind::Endpoint, "hda", Some("rp1"), "00.1"),
        vec![bar(0, Mem32, 0x4000, false)],
    );
    let nvme = with_bars(
        device(DeviceKind::Endpoint, "nvme", Some("dn0"), "00.0"),
        vec![bar(0, Mem64, 0x4000, false)],
    );
    let mut platform = build(vec![
        device(DeviceKind::RootPort, "rp1", None, "1c.0"),
        gpu,
        hda,
        device(DeviceKind::RootPort, "rp2", None, "1c.1"),
        device(DeviceKind::SwitchUpstream, "up", Some("rp2"), "00.0"),
        device(DeviceKind::SwitchDownstream, "dn0", Some("up"), "00.0"),
        nvme,
        device(DeviceKind::RootPort, "rp3", None, "1c.2"),
    ]);
    let cfg = FirmwareConfig::default();
    let plan = vpcie_firmware::run_platform(&mut platform, &cfg).expect("plans");
    (plan, cfg)
}

/// The value iasl prints after `Name :` in a data-table disassembly.
fn field<'a>(dsl: &'a str, name: &str) -> &'a str {
    dsl.lines()
        .find(|l| l.contains(name) && l.contains(" : "))
        .and_then(|l| l.split(" : ").nth(1))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no `{name}` in:\n{dsl}"))
}

#[test]
fn mcfg_decodes_exactly() {
    if !iasl_available("mcfg_decodes_exactly") {
        return;
    }
    let (plan, cfg) = planned();
    let tables = acpi::tables(&plan, &cfg).unwrap();
    let mcfg = tables.mcfg.expect("Q35 has ECAM");
    assert!(acpi::checksum_ok(&mcfg));
    // PCI Firmware 3.3 table 4-2: 36-byte header, 8 reserved, 16 per entry.
    assert_eq!(mcfg.len(), 36 + 8 + 16);
    let dir = temp_dir("mcfg");
    let dsl = disassemble(&dir, "mcfg.dat", &mcfg);
    let ecam = plan.ecam.unwrap();
    assert_eq!(
        field(&dsl, "Signature"),
        "\"MCFG\"    [Memory Mapped Configuration table]"
    );
    assert_eq!(field(&dsl, "Table Length"), "0000003C");
    assert_eq!(field(&dsl, "Revision"), "01");
    assert_eq!(
        field(&dsl, "Base Address"),
        format!("{:016X}", ecam.range.base)
    );
    assert_eq!(field(&dsl, "Segment Group Number"), "0000");
    assert_eq!(field(&dsl, "Start Bus Number"), "00");
    assert_eq!(
        field(&dsl, "End Bus Number"),
        format!("{:02X}", ecam.end_bus)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dsdt_decodes_and_recompiles() {
    if !iasl_available("dsdt_decodes_and_recompiles") {
        return;
    }
    let (plan, cfg) = planned();
    let tables = acpi::tables(&plan, &cfg).unwrap();
    assert!(acpi::checksum_ok(&tables.dsdt));
    let dir = temp_dir("dsdt");
    let dsl = disassemble(&dir, "dsdt.aml", &tables.dsdt);

    // The PCI root: PCI Express host bridge, PCI compatible.
    assert!(dsl.contains("Device (PCI0)"), "{dsl}");
    assert!(dsl.contains("Name (_HID, EisaId (\"PNP0A08\")"));
    assert!(dsl.contains("Name (_CID, EisaId (\"PNP0A03\")"));
    assert!(dsl.contains("Name (_SEG, Zero)") && dsl.contains("Name (_BBN, Zero)"));
    // _CRS: buses up to the ECAM's last, the hole windows, the 64-bit window.
    let ecam = plan.ecam.unwrap();
    let bus_max = format!("0x{:04X},             // Range Maximum", ecam.end_bus);
    assert!(dsl.contains(&bus_max), "bus range {bus_max}");
    for w in acpi::hole_windows(&plan) {
        assert!(
            dsl.contains(&format!("0x{:08X},         // Range Minimum", w.base)),
            "window {w}"
        );
        assert!(
            dsl.contains(&format!("0x{:08X},         // Range Maximum", w.limit())),
            "window {w}"
        );
        assert!(!w.overlaps(&ecam.range));
    }
    let high = plan.high_window.expect("64-bit window");
    assert!(
        dsl.contains(&format!("0x{:016X}, // Range Minimum", high.base)),
        "{dsl}"
    );
    assert!(dsl.contains(&format!("0x{:016X}, // Range Maximum", high.limit())));
    // _PRT of bus 0: 32 slots x 4 pins, PIC (LNKx) and APIC (GSIx) tables.
    assert!(dsl.contains("Method (_PRT, 0, NotSerialized)"));
    assert_eq!(
        dsl.matches("Package (0x80)").count(),
        2,
        "two 128-entry tables"
    );
    // Slot 0x1c (the root ports) INTA -> PIRQA: LNKA / GSIA (QEMU ich9 table).
    let flat = dsl.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("0x001CFFFF, Zero, \\_SB.LNKA, Zero"),
        "slot 1c INTA -> LNKA"
    );
    assert!(
        flat.contains("0x001CFFFF, Zero, \\_SB.GSIA, Zero"),
        "slot 1c INTA -> GSIA"
    );
    // Slot 0 INTA -> PIRQE (QEMU keeps A-D for the ports).
    assert!(
        flat.contains("0xFFFF, Zero, \\_SB.LNKE, Zero"),
        "slot 0 INTA -> LNKE"
    );
    // Root ports: _ADR and a _PRT for device 0 below them.
    for rp in plan.root_ports() {
        let name = acpi::root_port_name(rp.bdf.device, rp.bdf.function);
        assert!(dsl.contains(&format!("Device ({name})")), "{name}");
        let adr = format!(
            "Name (_ADR, 0x{:04X}{:04X})",
            rp.bdf.device, rp.bdf.function
        );
        assert!(dsl.contains(&adr), "{adr}");
    }
    assert!(dsl.matches("Package (0x04)").count() >= 128 * 2 + 3 * 8);
    // Link devices with the resource methods.
    for l in [
        "LNKA", "LNKB", "LNKC", "LNKD", "LNKE", "LNKF", "LNKG", "LNKH",
    ] {
        assert!(dsl.contains(&format!("Device ({l})")), "{l}");
    }
    assert_eq!(dsl.matches("Name (_HID, EisaId (\"PNP0C0F\")").count(), 16);
    for m in [
        "Name (_PRS",
        "Method (_CRS, 0",
        "Method (_SRS, 1",
        "Method (_DIS, 0",
        "Method (_STA, 0",
    ] {
        assert!(dsl.contains(m), "{m}");
    }
    assert!(flat.contains("Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, ,, ) { 0x00000005, 0x0000000A, 0x0000000B, }"), "LNK _PRS");
    assert!(
        flat.contains(
            "Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, ,, ) { 0x00000017, }"
        ),
        "GSIH _PRS"
    );
    assert!(dsl.contains("OperationRegion (PIRQ, PCI_Config, 0x60, 0x0C)"));
    // _OSC granting native hotplug, PME, AER and the PCIe capability (0x1D).
    assert!(dsl.contains("Method (_OSC, 4, NotSerialized)"));
    assert!(dsl.contains("ToUUID (\"33db4d5b-1ff7-401c-9657-7441c03dd766\")"));
    assert!(dsl.contains("Local0 &= 0x1D"));
    // The ECAM reservation.
    assert!(dsl.contains("EisaId (\"PNP0C02\")"));
    assert!(dsl.contains(&format!(
        "0x{:08X},         // Address Base",
        ecam.range.base
    )));
    // Compiles again from the disassembly.
    iasl(&dir, &["-p", "recompiled", "dsdt.dsl"]);
    let _ = std::fs::remove_dir_all(dir);
}

/// The builders as the Xen segment mode uses them: an SSDT with a second
/// host bridge on segment 1, its ECAM reservation, and an MCFG entry.
#[test]
fn segment_ssdt_builders() {
    if !iasl_available("segment_ssdt_builders") {
        return;
    }
    let ecam = Range::new(0xe000_0000, 16 << 20).unwrap();
    let bridge = HostBridge {
        name: "PCI1".into(),
        uid: 1,
        segment: 1,
        bus_start: 0,
        bus_end: 15,
        cf8: false,
        io: vec![],
        mem32: vec![Range::new(0xe100_0000, 16 << 20).unwrap()],
        mem64: vec![Range::new(0x80_0000_0000, 64 << 30).unwrap()],
        prt: Some(Prt::Static(
            (0..4)
                .map(|pin| PrtEntry {
                    slot: 0,
                    pin,
                    target: PrtTarget::Gsi(36 + u32::from(pin)),
                })
                .collect(),
        )),
        osc_control: Some(0x1d),
        children: vec![],
    };
    let mut body = bridge.aml().unwrap();
    body.extend(acpi::ecam_reservation("ECM1", 1, ecam).unwrap());
    let scoped = {
        use acpi_tables::aml::Scope;
        let raw = acpi::aml::Raw(body);
        acpi::aml::encode(&Scope::new(acpi::aml::path("\\_SB_").unwrap(), vec![&raw]))
    };
    let ssdt = acpi::definition_block(*b"SSDT", &OemIds::default(), &scoped);
    assert!(acpi::checksum_ok(&ssdt));
    let mcfg = acpi::mcfg(
        &[McfgAllocation {
            base: ecam.base,
            segment: 1,
            start_bus: 0,
            end_bus: 15,
        }],
        &OemIds::default(),
    );
    let dir = temp_dir("ssdt");
    let dsl = disassemble(&dir, "ssdt.aml", &ssdt);
    assert!(dsl.contains("Device (PCI1)"));
    assert!(dsl.contains("Name (_SEG, One)") && dsl.contains("Name (_UID, One)"));
    let flat = dsl.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Package (0x04) { 0xFFFF, Zero, Zero, 0x24 }"),
        "{dsl}"
    );
    assert!(dsl.contains("Device (ECM1)") && dsl.contains("0xE0000000,         // Address Base"));
    let mcfg_dsl = disassemble(&dir, "mcfg.dat", &mcfg);
    assert_eq!(field(&mcfg_dsl, "Segment Group Number"), "0001");
    assert_eq!(field(&mcfg_dsl, "End Bus Number"), "0F");
    let _ = std::fs::remove_dir_all(dir);
}
