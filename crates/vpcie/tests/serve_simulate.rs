//! `vpcie serve` without Xen: the planned segment served to the simulated
//! hypervisor and enumerated by a scripted guest, its ACPI tables for
//! xl's `acpi_firmware=`, and messages for broken configs.

use std::process::Command;
use vpcie_testkit::{TempFile, fixture, lspci, lspci_available};

fn vpcie(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(args)
        .output()
        .expect("run vpcie")
}

/// The real-Xen harness's guest config, pointing at the fixtures.
fn e2e_config() -> TempFile {
    let text = include_str!("../../../scripts/xen-e2e/vpcie.cfg");
    let dir = fixture("d01_").parent().unwrap().display().to_string();
    TempFile::new("vpcie.cfg", &text.replace("/root/vpcie/fixtures", &dir))
}

#[test]
fn the_scripted_guest_finds_the_hierarchy() {
    let cfg = e2e_config();
    let out = vpcie(&[
        "serve",
        "--config",
        cfg.path().to_str().unwrap(),
        "--simulate",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "guest found 0001:00:01.0 1b36:000c class 060400",
        "guest found 0001:01:00.0 10de:24a0 class 030000",
        "guest found 0001:01:00.1 10de:228b class 040300",
        "guest found 0001:02:00.0 104c:8232 class 060400",
        "guest found 0001:03:00.0 104c:8233 class 060400",
        "guest found 0001:03:01.0 104c:8233 class 060400",
        "guest found 0001:04:00.0 2646:5013 class 010802",
        "guest found 0001:00:03.0 1b36:000c class 060400",
    ] {
        assert!(stdout.contains(line), "no `{line}` in\n{stdout}");
    }
    assert!(
        stdout.contains("0 refused") && stdout.contains("0 violations"),
        "{stdout}"
    );
}

#[test]
fn lspci_decodes_the_view_as_a_pcie_hierarchy() {
    if !lspci_available("lspci_decodes_the_view_as_a_pcie_hierarchy") {
        return;
    }
    let cfg = e2e_config();
    let out = vpcie(&[
        "serve",
        "--config",
        cfg.path().to_str().unwrap(),
        "--simulate",
        "--lspci",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = TempFile::new("view.txt", &String::from_utf8_lossy(&out.stdout));
    let vvv = lspci(dump.path(), &["-vvv"]);
    for needle in [
        "0001:00:01.0 PCI bridge",
        "Express (v2) Root Port",
        "Bus: primary=00, secondary=01, subordinate=01",
        "Express (v2) Upstream Port",
        "Express (v2) Downstream Port",
        "0001:04:00.0 Non-Volatile memory controller",
        "Advanced Error Reporting",
        "Interrupt: pin A routed to IRQ 255",
    ] {
        assert!(vvv.contains(needle), "no `{needle}` in\n{vvv}");
    }
}

#[test]
fn acpi_out_writes_the_ssdt_and_mcfg_of_the_segment() {
    let cfg = e2e_config();
    let file = TempFile::new("acpi.bin", "");
    let out = vpcie(&[
        "serve",
        "--config",
        cfg.path().to_str().unwrap(),
        "--acpi-out",
        file.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("SSDT with \\_SB.PCI1 for segment 1"));
    let bytes = std::fs::read(file.path()).unwrap();
    assert_eq!(&bytes[..4], b"SSDT");
    let n = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(&bytes[n..n + 4], b"MCFG");
    assert_eq!(bytes.len(), n + 60);
}

#[test]
fn broken_configs_are_refused_with_what_to_change() {
    let gpu = fixture("d01_").display().to_string();
    // Real Xen (no --simulate): bus-0 mode is refused before touching Xen.
    let bus0 = TempFile::new("bus0.cfg", "vpcie_mode = \"bus0\"");
    let out = vpcie(&[
        "serve",
        "--config",
        bus0.path().to_str().unwrap(),
        "--domid",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs the hypervisor-side ECAM decode"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (body, want) in [
        (
            format!(
                "vpcie_root_ports = [\"rp0\"]\nvpcie_pci = [\"0000:01:00.0,dump={gpu},port=rp9\"]"
            ),
            "rp9",
        ),
        (
            format!(
                "vpcie_switches = [\"sw,port=nowhere\"]\nvpcie_pci = [\"0000:01:00.0,dump={gpu}\"]"
            ),
            "nowhere",
        ),
        (
            "vpcie_pci = [\"0000:01:00.0,dump=/no/such/file\"]".to_string(),
            "/no/such/file",
        ),
        (
            "vpcie_mmio32 = \"0xd0000000+256M\"\nvpcie_bogus = 1".to_string(),
            "unknown vpcie setting",
        ),
    ] {
        let cfg = TempFile::new("broken.cfg", &body);
        let out = vpcie(&[
            "serve",
            "--config",
            cfg.path().to_str().unwrap(),
            "--simulate",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{body}: accepted");
        assert!(stderr.contains(want), "{body}: `{want}` not in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn bus0_mode_runs_the_firmware_and_the_guest_through_the_simulated_hypervisor() {
    let text = include_str!("../../../scripts/xen-e2e/vpcie.cfg");
    let dir = fixture("d01_").parent().unwrap().display().to_string();
    let cfg = TempFile::new(
        "bus0.cfg",
        &text
            .replace("/root/vpcie/fixtures", &dir)
            .replace("vpcie_mode = \"segment\"", "vpcie_mode = \"bus0\""),
    );
    let out = vpcie(&[
        "serve",
        "--config",
        cfg.path().to_str().unwrap(),
        "--simulate",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "guest found 0000:00:00.0 8086:29c0 class 060000",
        "guest found 0000:00:1f.0 8086:2918 class 060100",
        "guest found 0000:01:00.0 10de:24a0 class 030000",
        "guest found 0000:04:00.0 2646:5013 class 010802",
        "the hypervisor decodes ECAM at",
        "claims PCI 0000:00:00.0-0000:00:03.7",
        "0 refused); 0 violations",
    ] {
        assert!(stdout.contains(line), "no `{line}` in\n{stdout}");
    }
}
