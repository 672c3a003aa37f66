//! The oracle's own rules can fail: firmware results that break nesting,
//! overlap or coverage are caught; PCIEXBAR decodes as Intel says; BAR
//! sizing reads back kinds and sizes; the table in the repository parses.
//! (No QEMU needed; `crates/vpcie/tests/qemu_oracle.rs` runs the oracle.)

use serde_json::json;
use vpcie_oracle::guest::decode_pciexbar;
use vpcie_oracle::hierarchy::{Space, Tree, bars_from_sizing};
use vpcie_oracle::regs::{Role, nonzero_bytes, registers};
use vpcie_oracle::table::Table;

fn window(base: u64, limit: u64) -> serde_json::Value {
    json!({ "base": base, "limit": limit, "size": limit - base + 1 })
}

/// A root port with a switch-less endpoint below, as `vpcie plan --json`.
fn plan(port_mem: (u64, u64), bar: (u64, u64), sibling: Option<(u64, u64)>) -> serde_json::Value {
    let mut functions = vec![
        json!({
            "bdf": "00:1c.0", "parent": null,
            "buses": { "primary": 0, "secondary": 1, "subordinate": 1 },
            "windows": { "io": null, "mem": window(port_mem.0, port_mem.1), "pref": null },
            "bars": []
        }),
        json!({
            "bdf": "01:00.0", "parent": "00:1c.0", "buses": null, "windows": null,
            "bars": [{ "bar": "BAR0", "kind": "mem32", "prefetchable": false,
                       "size": bar.1 - bar.0 + 1, "range": window(bar.0, bar.1) }]
        }),
    ];
    if let Some(s) = sibling {
        functions.push(json!({
            "bdf": "00:1c.1", "parent": null,
            "buses": { "primary": 0, "secondary": 2, "subordinate": 2 },
            "windows": { "io": null, "mem": window(s.0, s.1), "pref": null },
            "bars": []
        }));
    }
    json!({ "functions": functions })
}

#[test]
fn a_correct_result_has_no_problems() {
    let t = Tree::from_plan(&plan(
        (0xf000_0000, 0xf00f_ffff),
        (0xf000_0000, 0xf000_3fff),
        Some((0xf010_0000, 0xf01f_ffff)),
    ));
    assert_eq!(
        t.problems(Some((0xe000_0000, 0xefff_ffff))),
        Vec::<String>::new()
    );
    assert_eq!(t.nodes["00:1c.0/00.0"].parent.as_deref(), Some("00:1c.0"));
    assert!(t.needs("00:1c.0", Space::Mem));
    assert!(!t.needs("00:1c.0", Space::Io));
}

#[test]
fn a_bar_outside_its_window_is_caught() {
    let t = Tree::from_plan(&plan(
        (0xf000_0000, 0xf00f_ffff),
        (0xf010_0000, 0xf010_3fff),
        None,
    ));
    let p = t.problems(None);
    assert!(p.iter().any(|l| l.contains("outside the windows")), "{p:?}");
}

#[test]
fn overlapping_siblings_are_caught() {
    let t = Tree::from_plan(&plan(
        (0xf000_0000, 0xf01f_ffff),
        (0xf000_0000, 0xf000_3fff),
        Some((0xf010_0000, 0xf02f_ffff)),
    ));
    let p = t.problems(None);
    assert!(p.iter().any(|l| l.contains("overlaps")), "{p:?}");
}

#[test]
fn a_misaligned_bar_and_ecam_overlap_are_caught() {
    let t = Tree::from_plan(&plan(
        (0xf000_0000, 0xf00f_ffff),
        (0xf000_1000, 0xf000_4fff),
        None,
    ));
    let p = t.problems(Some((0xf000_0000, 0xf3ff_ffff)));
    assert!(p.iter().any(|l| l.contains("naturally aligned")), "{p:?}");
    assert!(p.iter().any(|l| l.contains("overlaps ECAM")), "{p:?}");
}

#[test]
fn pciexbar_decodes_as_intel_says() {
    assert_eq!(decode_pciexbar(0xb000_0001), Some((0xb000_0000, 256 << 20)));
    assert_eq!(decode_pciexbar(0xe800_0003), Some((0xe800_0000, 128 << 20)));
    // Bit 26 is not a base bit at 128 MiB; bits 27:26 are at 64 MiB.
    assert_eq!(decode_pciexbar(0xec00_0003), Some((0xe800_0000, 128 << 20)));
    assert_eq!(decode_pciexbar(0xec00_0005), Some((0xec00_0000, 64 << 20)));
    assert_eq!(decode_pciexbar(0xe000_0007), None);
    assert_eq!(decode_pciexbar(0xe000_0000), None);
}

#[test]
fn bar_sizing_reads_kind_and_size() {
    let mut ones = vec![0u8; 256];
    ones[0x10..0x14].copy_from_slice(&0xfffe_0000u32.to_le_bytes()); // 128 KiB mem32
    ones[0x14..0x18].copy_from_slice(&0xffff_c00cu32.to_le_bytes()); // 16 KiB mem64 pref
    ones[0x18..0x1c].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
    ones[0x1c..0x20].copy_from_slice(&0xffff_ffe1u32.to_le_bytes()); // 32 ports
    let bars = bars_from_sizing(&ones, 0);
    assert_eq!(bars.len(), 3);
    assert_eq!((bars[0].space, bars[0].size), (Space::Mem, 0x2_0000));
    assert_eq!(
        (bars[1].space, bars[1].wide, bars[1].size),
        (Space::Pref, true, 0x4000)
    );
    assert_eq!(
        (bars[2].index, bars[2].space, bars[2].size),
        (3, Space::Io, 0x20)
    );
}

#[test]
fn registers_are_named_through_capabilities() {
    // A Type 1 header with PM at 0x40 -> MSI (32-bit) at 0x50.
    let mut c = vec![0u8; 256];
    c[0x0e] = 0x01;
    c[0x06] = 0x10;
    c[0x34] = 0x40;
    c[0x40..0x42].copy_from_slice(&[0x01, 0x50]);
    c[0x50..0x52].copy_from_slice(&[0x05, 0x00]);
    c[0x60] = 0x5a;
    let r = registers(&c, Role::Other);
    let names: Vec<&str> = r.items.iter().map(|i| i.name.as_str()).collect();
    for want in [
        "SECONDARY_BUS",
        "BRIDGE_CONTROL",
        "PM.PMCSR",
        "MSI.FLAGS",
        "MSI.DATA",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(r.layout, "PM@40 MSI@50");
    assert_eq!(nonzero_bytes(&r.unnamed, |b| c[b]), "60=5a");
}

#[test]
fn the_table_in_the_repository_parses() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/qemu-oracle/intended-differences.tsv"
    );
    let text = std::fs::read_to_string(path).expect("the table is in the repository");
    let table = Table::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(!table.rows.is_empty());
}
