//! MSI-X: Message Control (Enable, Function Mask), the table and the PBA.
//!
//! - XSA-129 (CVE-2015-4104): mask bits exposed to the guest; for MSI-X
//!   the host's Message Control (Enable, Function Mask) and the table's
//!   Vector Control mask bits must never take guest values.
//! - XSA-157 (CVE-2015-8550..8553): MSI-X enable and mask handling in the
//!   Linux pciback driver trusted the guest.
//! - XSA-164 (CVE-2015-8554, qemu-traditional): MSI-X table writes past
//!   the entries the device model allocated corrupted its memory.
//! - XSA-130 (CVE-2015-4105, qemu): guest-triggerable MSI-X error
//!   messages filled the host's logs.
//!
//! vpcie models the table and PBA itself (`interrupts::MsixTable`):
//! guest table accesses land in that model, bounded by the table's size;
//! the host's capability and table are the hypervisor's to program.

mod common;

use common::*;
use vpcie_passthrough::{FunctionEvent, PassthroughOptions};
use vpcie_security::fuzz::{MAX_FUNCTION_EVENTS, MAX_FUNCTION_WARNINGS};

const MSIX: u16 = 0x11;

/// Message Control through every size and alignment, the Table and PBA
/// offset registers, the whole capability: nothing reaches the host, whose
/// Enable and Function Mask keep their values; Table Size is read-only.
#[test]
fn advisory_xsa129_msix_control_never_reaches_the_host() {
    for (name, (mut f, spec)) in [
        ("X710", x710(PassthroughOptions::default())),
        ("RTL8125", rtl8125(PassthroughOptions::default())),
    ] {
        let msix = cap(&f, false, MSIX);
        let host_cap = host_bytes(&f, msix, 12);
        let table_size = f.config_read(msix + 2, 2) & 0x07ff;
        let table_regs = f.config_read(msix + 4, 4);
        let pba_regs = f.config_read(msix + 8, 4);
        for v in VALUES {
            for (at, size) in accesses_over(msix, 12) {
                f.config_write(at, size, v);
            }
        }
        assert!(f.host().log().is_empty(), "{name}: {:?}", f.host().log());
        assert_eq!(
            host_bytes(&f, msix, 12),
            host_cap,
            "{name}: host MSI-X capability"
        );
        assert_within_spec(&f, &spec, name);
        assert_eq!(
            f.config_read(msix + 2, 2) & 0x07ff,
            table_size,
            "{name}: Table Size"
        );
        assert_eq!(
            f.config_read(msix + 4, 4),
            table_regs,
            "{name}: Table Offset/BIR"
        );
        assert_eq!(
            f.config_read(msix + 8, 4),
            pba_regs,
            "{name}: PBA Offset/BIR"
        );
        // The guest's Enable and Function Mask are its own.
        f.config_write(msix + 2, 2, 0xc000);
        assert_eq!(f.config_read(msix + 2, 2) & 0xc000, 0xc000);
        let t = f.msix().unwrap();
        assert!(t.enabled && t.function_masked);
        f.config_write(msix + 3, 1, 0x00);
        assert!(!f.msix().unwrap().enabled);
        assert!(f.host().log().is_empty());
    }
}

/// The Function Mask (mask-all) bit is virtual: it gates delivery in the
/// model and is reported to the interrupt path, and the host's is untouched.
#[test]
fn advisory_xsa157_msix_mask_all_is_virtual() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let msix = cap(&f, false, MSIX);
    let host_ctrl = host_word(&mut f, msix + 2);
    let table = f.msix().unwrap().table_range();
    // Vector 0: address, data, unmasked.
    assert!(f.msix_mmio_write(table.bar, table.offset, 8, 0x0000_0000_fee0_0000));
    assert!(f.msix_mmio_write(table.bar, table.offset + 8, 4, 0x31));
    assert!(f.msix_mmio_write(table.bar, table.offset + 12, 4, 0));
    f.config_write(msix + 2, 2, 0x8000);
    assert!(f.msix().unwrap().deliverable(0));
    f.take_events();
    f.config_write(msix + 2, 2, 0xc000);
    assert!(!f.msix().unwrap().deliverable(0), "mask-all gates delivery");
    assert_eq!(
        f.take_events(),
        vec![FunctionEvent::MsixControl {
            enabled: true,
            function_masked: true
        }]
    );
    f.config_write(msix + 2, 2, 0x8000);
    assert!(f.msix().unwrap().deliverable(0));
    assert_eq!(host_word(&mut f, msix + 2), host_ctrl);
    assert!(f.host().log().is_empty());
    assert_within_spec(&f, &spec, "mask-all");
}

/// XSA-164: table and PBA accesses at every offset of the BAR and far
/// beyond, of every size and alignment: only the table's own entries
/// change, only their defined bits, the PBA is read-only, the entry count
/// never changes and nothing reaches the host's configuration space.
#[test]
fn advisory_xsa164_msix_table_accesses_stay_inside_the_table() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let t = f.msix().unwrap().clone();
    let entries = t.len();
    let table = t.table_range();
    let pba = t.pba_range();
    let end = (pba.offset + pba.len).max(table.offset + table.len) + 0x1000;
    let mut inside = 0u64;
    for offset in (0..end).step_by(2) {
        for size in [1u8, 2, 4, 8, 16] {
            if f.msix_mmio_write(table.bar, offset, size, u64::MAX) {
                inside += 1;
            }
            let _ = f.msix_mmio_read(table.bar, offset, size);
        }
    }
    for offset in [
        u64::MAX,
        u64::MAX - 3,
        u64::MAX - 7,
        1 << 63,
        table.offset + table.len,
    ] {
        for size in [4u8, 8] {
            assert!(
                !f.msix_mmio_write(table.bar, offset, size, 0),
                "{offset:#x}"
            );
            assert_eq!(
                f.msix_mmio_read(table.bar, offset, size),
                None,
                "{offset:#x}"
            );
        }
    }
    for bar in (0..=255u8).filter(|b| *b != table.bar && *b != pba.bar) {
        assert!(!f.msix_mmio_write(bar, table.offset, 4, 0), "BAR{bar}");
    }
    assert!(inside > 0);
    let now = f.msix().unwrap();
    assert_eq!(now.len(), entries);
    for i in 0..entries {
        let e = now.entry(i).unwrap();
        // Address bits 1:0 read 0; only the mask bit of Vector Control exists.
        assert_eq!(e.address & 3, 0, "entry {i}");
        assert!(e.masked, "entry {i}");
    }
    assert!(now.entry(entries).is_none());
    assert!(
        (0..entries).all(|i| !now.pending(i)),
        "the PBA is read-only"
    );
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
    assert_within_spec(&f, &spec, "MSI-X table");
}

/// XSA-130: a flood of bad MSI-X and configuration accesses leaves the
/// function's warnings and events within their bounds.
#[test]
fn advisory_xsa130_msix_error_paths_are_bounded() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let msix = cap(&f, false, MSIX);
    let table = f.msix().unwrap().table_range();
    for i in 0..200_000u64 {
        f.msix_mmio_write(table.bar, table.offset + (i % 4096) * 3, (i % 9) as u8, i);
        f.msix_mmio_write((i % 7) as u8, i.wrapping_mul(0x9e37_79b9_7f4a_7c15), 4, i);
        f.config_write(msix + 2, 2, ((i & 3) << 14) as u32);
        f.config_write(0x1000 + (i % 4096) as u16, 4, 0xffff_ffff);
    }
    let warnings = f.warnings();
    assert!(
        warnings.len() <= MAX_FUNCTION_WARNINGS,
        "{}",
        warnings.len()
    );
    assert!(f.take_events().len() <= MAX_FUNCTION_EVENTS);
    assert!(f.host().log().is_empty());
    assert_within_spec(&f, &spec, "flood");
}
