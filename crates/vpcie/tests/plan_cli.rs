//! `vpcie plan` and `vpcie acpi` as a user runs them.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn vpcie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(args)
        .output()
        .expect("vpcie runs")
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vpcie-plan-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

fn function<'v>(plan: &'v Value, bdf: &str) -> &'v Value {
    plan["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["bdf"] == bdf)
        .unwrap_or_else(|| panic!("no {bdf} in the plan"))
}

fn bar<'v>(f: &'v Value, name: &str) -> &'v Value {
    f["bars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bar"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn default_plan_as_json() {
    let out = vpcie(&["plan", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // The GPU with its HD Audio function below the first root port.
    let rp = function(&plan, "00:1c.0");
    assert_eq!(rp["kind"], "root-port");
    assert_eq!(rp["buses"]["secondary"], 1);
    assert_eq!(rp["vga_enable"], true);
    let gpu = function(&plan, "01:00.0");
    assert_eq!(gpu["vendor_id"], 0x10de);
    assert_eq!(gpu["parent"], "00:1c.0");
    let hda = function(&plan, "01:00.1");
    assert_eq!(hda["device_id"], 0x228b);
    // The 8 GiB aperture is large: above 4 GiB, inside the port's prefetchable window.
    let bar1 = &bar(gpu, "BAR1")["range"];
    let pref = &rp["windows"]["pref"];
    assert!(bar1["base"].as_u64().unwrap() >= 1 << 32);
    assert!(pref["base"].as_u64() <= bar1["base"].as_u64());
    assert!(bar1["limit"].as_u64() <= pref["limit"].as_u64());
    // BAR0 (32-bit) below 4 GiB, in the memory window.
    let bar0 = &bar(gpu, "BAR0")["range"];
    let mem = &rp["windows"]["mem"];
    assert!(
        mem["base"].as_u64() <= bar0["base"].as_u64()
            && bar0["limit"].as_u64() <= mem["limit"].as_u64()
    );
    // The NVMe below the switch.
    let nvme = plan["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vendor_id"] == 0x2646)
        .expect("the NVMe");
    assert_eq!(
        function(&plan, nvme["parent"].as_str().unwrap())["kind"],
        "switch-downstream"
    );
    // ECAM in the hole, reserved in E820.
    let ecam = &plan["ecam"]["range"];
    let hole = &plan["mmio_hole"];
    assert!(hole["base"].as_u64() <= ecam["base"].as_u64());
    let e820 = plan["e820"].as_array().unwrap();
    assert!(e820.iter().any(|e| e["type"] == "reserved"
        && e["base"].as_u64() <= ecam["base"].as_u64()
        && ecam["limit"].as_u64() <= e["limit"].as_u64()));
    assert!(e820.iter().any(|e| e["type"] == "acpi"));
}

#[test]
fn default_plan_as_text() {
    let out = vpcie(&["plan"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for part in [
        "PCI hierarchy",
        "00:1c.0 8086:2940 root-port",
        "[buses 01-01]",
        "ECAM ",
        "Memory map",
        "MMIO hole",
        "64-bit window",
        "E820",
        "BAR1  mem64 pref",
    ] {
        assert!(text.contains(part), "`{part}` missing:\n{text}");
    }
}

#[test]
fn acpi_writes_both_tables() {
    let dir = temp("acpi");
    let out = vpcie(&["acpi", "--out", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["mcfg.dat", "dsdt.aml"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize,
            bytes.len()
        );
        assert_eq!(
            bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b)),
            0,
            "{name} checksum"
        );
    }
    assert_eq!(&std::fs::read(dir.join("mcfg.dat")).unwrap()[0..4], b"MCFG");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_file_with_firmware_table() {
    let dir = temp("config");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p.toml");
    std::fs::write(
        &file,
        r#"
[firmware]
ram = "8 GiB"
bar64 = "low"
ecam_buses = 256

[[device]]
name = "rp"
kind = "root-port"
at = "1c.0"

[[device]]
kind = "endpoint"
parent = "rp"
at = "00.0"
bars = [{ bar = 0, kind = "mem64", size = 0x10000000, prefetchable = true }]
"#,
    )
    .unwrap();
    let out = vpcie(&["plan", "--json", "--config", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["memory"]["ram"], 8u64 << 30);
    assert_eq!(plan["ecam"]["range"]["size"], 256u64 << 20);
    // "low": the 256 MiB BAR stays below 4 GiB, the hole grows for it.
    let ep = function(&plan, "01:00.0");
    assert!(bar(ep, "BAR0")["range"]["base"].as_u64().unwrap() < 1 << 32);

    // 40 GiB of 32-bit BARs: refused, naming the device.
    let mut big = String::new();
    for p in 0..20 {
        let at = if p < 8 {
            format!("1c.{p}")
        } else if p < 16 {
            format!("1d.{}", p - 8)
        } else {
            format!("1e.{}", p - 16)
        };
        big += &format!(
            "[[device]]\nname = \"rp{p}\"\nkind = \"root-port\"\nat = \"{at}\"\n[[device]]\nkind = \"endpoint\"\nparent = \"rp{p}\"\nat = \"00.0\"\nbars = [{{ bar = 0, kind = \"mem32\", size = 0x80000000 }}]\n"
        );
    }
    std::fs::write(&file, big).unwrap();
    let out = vpcie(&["plan", "--config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("01:00.0 BAR0 (2 GiB, 32-bit memory BAR) cannot be placed below 4 GiB"),
        "{err}"
    );
    assert!(
        err.contains("short by") && err.contains("What to do"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
