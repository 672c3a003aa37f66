//! Every platform command accepts an xl domain config with `--config`: the
//! platform is the one `vpcie serve` gives that domain (here: PCI segment 1
//! with root ports, a switch, a GPU with its HD Audio and an NVMe drive).

use std::process::Command;
use vpcie_testkit::{TempFile, fixture, lspci, lspci_available};

fn vpcie(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(args)
        .output()
        .expect("vpcie runs")
}

fn domain_cfg() -> TempFile {
    let dump = |p: &str| fixture(p).display().to_string();
    TempFile::new(
        "domain.cfg",
        &format!(
            r#"# xl.cfg(5), with the keys vpcie reads
name = "guest"
type = "hvm"
memory = 1024
vpcie_segment = 1
vpcie_ecam_base = 0xe0000000
vpcie_mmio32 = "0xd0000000+256M"
vpcie_mmio64 = "0x4000000000+64G"
vpcie_root_ports = [ "rp0", "rp1", "rp2" ]
vpcie_switches = [ "sw0,port=rp1,downstream=2" ]
vpcie_pci = [
    "0000:01:00.0,dump={},group=gpu,port=rp0",
    "0000:01:00.1,dump={},group=gpu,port=rp0",
    "0000:02:00.0,dump={},port=sw0.0",
]
"#,
            dump("d01_"),
            dump("d02_"),
            dump("d11_")
        ),
    )
}

#[test]
fn plan_of_an_xl_config_is_its_segment() {
    let cfg = domain_cfg();
    let out = vpcie(&["plan", "--config", cfg.path().to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let functions = plan["functions"].as_array().expect("functions");
    // 3 root ports, a switch (upstream + 2 downstream), GPU, HDA, NVMe.
    assert_eq!(functions.len(), 9, "{functions:#?}");
    let gpu = functions
        .iter()
        .find(|f| f["vendor_id"] == 0x10de && f["device_id"] == 0x24a0)
        .expect("the GPU");
    // The 8 GiB BAR above 4 GiB, in the config's 64-bit window.
    let high = gpu["bars"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["range"]["base"].as_u64())
        .any(|a| a >= 0x40_0000_0000);
    assert!(high, "{gpu:#}");
}

#[test]
fn dump_of_an_xl_config_draws_segment_one() {
    if !lspci_available("dump_of_an_xl_config_draws_segment_one") {
        return;
    }
    let cfg = domain_cfg();
    let file = TempFile::new("seg.txt", "");
    let out = vpcie(&[
        "dump",
        "--config",
        cfg.path().to_str().unwrap(),
        "-o",
        file.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = lspci(file.path(), &["-tv"]);
    // lspci always draws segment 0's root, empty here.
    assert!(
        tree.contains("\\-[0001:00]-+-01.0-[01]--+-00.0  NVIDIA"),
        "{tree}"
    );
    assert!(
        tree.contains("NVIDIA Corporation GA104 High Definition Audio Controller"),
        "{tree}"
    );
    assert!(tree.contains("Kingston"), "{tree}");
}

#[test]
fn acpi_of_an_xl_config_is_the_acpi_firmware_file() {
    let cfg = domain_cfg();
    let out_file = TempFile::new("acpi.bin", "");
    let out = vpcie(&[
        "acpi",
        "--config",
        cfg.path().to_str().unwrap(),
        "--out",
        out_file.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(out_file.path()).unwrap();
    // An SSDT then an MCFG, each with its length in its header.
    assert_eq!(&bytes[..4], b"SSDT");
    let ssdt_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(&bytes[ssdt_len..ssdt_len + 4], b"MCFG");
    let mcfg = &bytes[ssdt_len..];
    let mcfg_len = u32::from_le_bytes(mcfg[4..8].try_into().unwrap()) as usize;
    assert_eq!(ssdt_len + mcfg_len, bytes.len());
    // One allocation: base 0xe0000000, segment 1.
    assert_eq!(
        u64::from_le_bytes(mcfg[44..52].try_into().unwrap()),
        0xe000_0000
    );
    assert_eq!(u16::from_le_bytes(mcfg[52..54].try_into().unwrap()), 1);
    for table in [&bytes[..ssdt_len], mcfg] {
        let sum = table.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        assert_eq!(sum, 0, "checksum");
    }
}

#[test]
fn a_broken_xl_config_is_reported_with_line_and_column() {
    let cfg = TempFile::new("bad.cfg", "name = \"guest\"\nvpcie_segment = [1\n");
    let out = vpcie(&["plan", "--config", cfg.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2:") || err.contains("line 2"), "{err}");
}
