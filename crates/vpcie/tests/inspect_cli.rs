//! `vpcie inspect`: text and JSON reports of the guest's view of a host
//! function described by a fixture dump, sysfs read-only, and clear errors.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use vpcie_testkit::{TempFile, fixture};

fn vpcie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(args)
        .output()
        .expect("run vpcie")
}

fn dump(prefix: &str) -> String {
    fixture(prefix).display().to_string()
}

fn json(args: &[&str]) -> Value {
    let out = vpcie(args);
    assert!(
        out.status.success(),
        "vpcie {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn find(list: &Value, id: u64) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no id {id:#x} in {list}"))
}

#[test]
fn json_lists_every_capability_with_its_decision() {
    let d07 = dump("d07_");
    let v = json(&["inspect", "--host-dump", &d07, "09:00.0", "--json"]);
    assert_eq!(v["bdf"], "0000:09:00.0");
    let caps = &v["caps"];
    let ext = &v["ext_caps"];
    for c in caps
        .as_array()
        .unwrap()
        .iter()
        .chain(ext.as_array().unwrap())
    {
        for key in ["offset", "id", "name", "len", "decision"] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
        let d = c["decision"].as_str().unwrap();
        assert!(["passthrough", "emulated", "hidden"].contains(&d), "{d}");
    }
    assert_eq!(caps.as_array().unwrap().len(), 4);
    assert_eq!(ext.as_array().unwrap().len(), 8);
    let msi = find(caps, 0x05);
    assert_eq!(
        (msi["offset"].as_u64(), msi["len"].as_u64()),
        (Some(0xa0), Some(0x10))
    );
    assert_eq!(msi["decision"], "emulated");
    assert_eq!(find(caps, 0x09)["decision"], "passthrough");
    assert_eq!(find(ext, 0x15)["decision"], "emulated", "Resizable BAR");
    assert_eq!(find(ext, 0x0f)["decision"], "hidden", "ATS");
    assert_eq!(
        find(ext, 0x0e)["decision"],
        "hidden",
        "ARI: not in the table"
    );
    assert_eq!(
        v["guest_ext_chain"],
        serde_json::json!([0x100, 0x150, 0x200])
    );
    let diffs = v["differences"].as_array().unwrap();
    assert!(diffs.iter().any(|d| d["name"] == "Message Control"));
}

#[test]
fn text_report_names_decisions_differences_and_warnings() {
    let d07 = dump("d07_");
    let out = vpcie(&["inspect", "--host-dump", &d07, "0000:09:00.0"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("0000:09:00.0: Endpoint below an emulated Root Port"),
        "{text}"
    );
    assert!(text.contains("[200] Resizable BAR"), "{text}");
    assert!(
        text.contains("hidden      translated requests would bypass the IOMMU"),
        "{text}"
    );
    assert!(text.contains("registers that differ from the host:"));
    assert!(text.contains("[0a2] Message Control"));
    assert!(text.contains("warnings:"));
}

#[test]
fn rc_integrated_placement_hides_link_capabilities() {
    let d01 = dump("d01_");
    let v = json(&[
        "inspect",
        "--host-dump",
        &d01,
        "01:00.0",
        "--placement",
        "rc-integrated",
        "--json",
    ]);
    assert_eq!(v["placement"], "rc-integrated");
    assert_eq!(
        find(&v["ext_caps"], 0x1e)["decision"],
        "hidden",
        "L1 PM Substates"
    );
    assert_eq!(find(&v["caps"], 0x10)["decision"], "emulated");
}

#[test]
fn bar_sizes_sidecar_replaces_guesses() {
    let d08 = dump("d08_");
    let before = json(&["inspect", "--host-dump", &d08, "05:00.0", "--json"]);
    let guessed = |v: &Value| {
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("BAR0 size is not in the dump"))
    };
    assert!(guessed(&before));
    let sidecar = TempFile::new(
        "d08.bars",
        "# Quadro P1000\n05:00.0 bar0 16M\n05:00.0 bar1 256M\n",
    );
    let p = sidecar.path().display().to_string();
    let after = json(&[
        "inspect",
        "--host-dump",
        &d08,
        "05:00.0",
        "--bar-sizes",
        &p,
        "--json",
    ]);
    assert!(!guessed(&after), "{after}");
}

#[test]
fn errors_name_the_function_and_what_to_do() {
    let d07 = dump("d07_");
    let out = vpcie(&["inspect", "--host-dump", &d07, "0a:00.0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0000:0a:00.0 is not in the host dump") && err.contains("0000:09:00.0"),
        "{err}"
    );
    let d23 = dump("d23_");
    let out = vpcie(&["inspect", "--host-dump", &d23, "00:01.0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0000:00:01.0") && err.contains("not an endpoint"),
        "{err}"
    );
    let out = vpcie(&["inspect", "--host-dump", &d07, "09:00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a PCI address"));
    let out = vpcie(&["inspect", "--sysfs-root", "/nonexistent", "00:01.0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lspci -D"));
}

#[test]
fn sysfs_read_only_on_this_machine() {
    let root = PathBuf::from("/sys/bus/pci/devices");
    let Some(bdf) = std::fs::read_dir(&root).ok().and_then(|d| {
        d.flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| {
                // A Type 0 function.
                std::fs::read(root.join(n).join("config"))
                    .is_ok_and(|c| c.len() > 0x0e && c[0x0e] & 0x7f == 0)
            })
            .min()
    }) else {
        eprintln!("SKIP sysfs_read_only_on_this_machine: no PCI functions in /sys");
        return;
    };
    let before = std::fs::read(root.join(&bdf).join("config")).unwrap();
    let v = json(&["inspect", &bdf, "--json"]);
    assert_eq!(v["bdf"], bdf.as_str());
    assert_eq!(
        std::fs::read(root.join(&bdf).join("config")).unwrap(),
        before
    );
}
