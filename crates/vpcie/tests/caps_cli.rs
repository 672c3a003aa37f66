//! `vpcie caps` as a user runs it: the JSON keys scripts depend on, the
//! values lspci agrees with, and messages for bad input.

use serde_json::Value;
use std::process::Command;
use vpcie_testkit::{TempFile, fixture, fixture_files, lspci, lspci_available, lspci_cap_offsets};

fn vpcie(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(args)
        .output()
        .expect("run vpcie")
}

fn caps_json(path: &std::path::Path) -> Vec<Value> {
    let out = vpcie(&["caps", "--dump", path.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("JSON")
        .as_array()
        .expect("an array")
        .clone()
}

#[test]
fn json_has_the_documented_keys_with_numbers() {
    let all = caps_json(&fixture("d07_"));
    assert_eq!(all.len(), 1);
    let f = &all[0];
    assert_eq!(f["bdf"], "09:00.0");
    let rebar = f["ext_caps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 0x15)
        .expect("Resizable BAR listed");
    assert_eq!(rebar["offset"], 0x200);
    assert_eq!(rebar["version"], 1);
    assert_eq!(rebar["len"], 12);
    assert!(rebar["name"].as_str().unwrap().contains("Resizable BAR"));
    let pm = &f["caps"][1];
    assert_eq!(
        (pm["offset"].as_u64(), pm["id"].as_u64(), pm["len"].as_u64()),
        (Some(0x50), Some(1), Some(8))
    );
    assert!(f["diagnostics"].as_array().unwrap().is_empty());
}

#[test]
fn json_offsets_are_what_lspci_walks_for_every_fixture() {
    if !lspci_available("json_offsets_are_what_lspci_walks_for_every_fixture") {
        return;
    }
    for file in fixture_files() {
        let seen = lspci_cap_offsets(&lspci(&file, &["-vvv"]));
        for f in caps_json(&file) {
            let bdf = f["bdf"].as_str().unwrap();
            // lspci drops a zero domain unless the machine has others.
            let short = bdf.strip_prefix("0000:").unwrap_or(bdf);
            let (std, ext) = seen
                .get(bdf)
                .or_else(|| seen.get(short))
                .cloned()
                .unwrap_or_default();
            let ours: Vec<u16> = f["caps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["offset"].as_u64().unwrap() as u16)
                .collect();
            assert_eq!(ours, std, "{} {bdf}", file.display());
            if !std.is_empty() && !ext.is_empty() {
                let ours_ext: Vec<u16> = f["ext_caps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["offset"].as_u64().unwrap() as u16)
                    .collect();
                assert_eq!(ours_ext, ext, "{} {bdf}", file.display());
            }
        }
    }
}

#[test]
fn a_malformed_chain_is_reported_not_hidden() {
    // A function whose capability list loops back on itself.
    let mut image = vec![0u8; 256];
    image[..4].copy_from_slice(&[0x86, 0x80, 0x34, 0x12]);
    image[6] = 0x10; // Status: capability list
    image[0x34] = 0x40;
    image[0x40..0x42].copy_from_slice(&[0x01, 0x48]);
    image[0x48..0x4a].copy_from_slice(&[0x05, 0x40]);
    let f = vpcie_config::lspci::DumpFunction::new(
        "01:00.0".parse().unwrap(),
        "Looping device",
        &image,
    );
    let file = TempFile::new("loop.txt", &vpcie_config::lspci::write(&[f]));
    let all = caps_json(file.path());
    let diags = all[0]["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    assert!(
        diags.iter().any(|d| d.as_str().unwrap().contains("loops")),
        "{diags:?}"
    );
    let text = vpcie(&["caps", "--dump", file.path().to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("!"),
        "diagnostics shown in text form"
    );
}

#[test]
fn bad_input_gets_a_message_naming_the_file_and_what_was_expected() {
    let out = vpcie(&["caps", "--dump", "/nonexistent/dump.txt"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/dump.txt"), "{err}");

    let file = TempFile::new("bad.txt", "00:1f.0 thing\n00: zz 80\n");
    let out = vpcie(&["caps", "--dump", file.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("lspci -xxxx"),
        "{err}"
    );

    let empty = TempFile::new("empty.txt", "nothing to see\n");
    let out = vpcie(&["caps", "--dump", empty.path().to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no function found"));
}
