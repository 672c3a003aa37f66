//! MSI: control, address, data and the per-vector mask bits.
//!
//! - XSA-128 (CVE-2015-4103, qemu): a guest write spanning several MSI
//!   fields reached the host's Message Data (qemu wrote back what it had
//!   read, but the host may have changed it meanwhile), confusing host
//!   interrupt handling.
//! - XSA-129 (CVE-2015-4104, qemu): the per-vector MSI mask bits were
//!   exposed to the guest, which could mask or unmask the host's vectors
//!   (unexpected interrupts, host crash).
//! - XSA-237 (CVE-2017-15590, Xen): MSI mapping issues — host MSI state out
//!   of step with what the guest programmed.
//! - XSA-157 (CVE-2015-8550..8553, Linux pciback): enabling MSI while MSI-X
//!   is enabled (or the other way round) crashed or flooded the backend.
//!
//! vpcie's MSI capability is fully virtual (`MSI_64_MASKABLE` and friends):
//! the host never sees a guest address, vector, mask or enable; the
//! interrupt path gets `FunctionEvent::Msi` and programs the host side.

mod common;

use common::*;
use vpcie_passthrough::{FunctionEvent, PassthroughOptions};
use vpcie_security::fuzz::{MAX_FUNCTION_EVENTS, MAX_FUNCTION_WARNINGS};

const MSI: u16 = 0x05;
const MSIX: u16 = 0x11;

/// Every write that starts before, inside or across the MSI capability,
/// misaligned included: the host's MSI registers never change and no write
/// reaches them.
#[test]
fn advisory_xsa128_writes_spanning_msi_fields_never_reach_the_host() {
    for (name, (mut f, spec)) in [
        ("X710", x710(PassthroughOptions::default())),
        ("RTL8125", rtl8125(PassthroughOptions::default())),
    ] {
        let msi = cap(&f, false, MSI);
        let len = 0x18; // 64-bit address, per-vector masking
        let host_msi = host_bytes(&f, msi, len);
        for v in VALUES {
            for (at, size) in accesses_over(msi, len) {
                f.config_write(at, size, v);
            }
        }
        assert!(f.host().log().is_empty(), "{name}: {:?}", f.host().log());
        assert_eq!(
            host_bytes(&f, msi, len),
            host_msi,
            "{name}: host MSI registers"
        );
        assert_within_spec(&f, &spec, name);
        // The guest's view took the writes: it is the guest's MSI.
        let state = f.msi().expect("MSI");
        f.config_write(msi + 0x0c, 2, 0x4321);
        assert_ne!(f.msi().unwrap(), state);
        assert_eq!(f.msi().unwrap().data, 0x4321);
    }
}

/// The per-vector mask bits are the guest's alone.
#[test]
fn advisory_xsa129_msi_mask_bits_stay_virtual() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let msi = cap(&f, false, MSI);
    let mask_at = msi + 0x10;
    let pending_at = msi + 0x14;
    let host_mask = host_bytes(&f, mask_at, 8);
    for v in [u32::MAX, 0, 1, 0x8000_0000] {
        f.config_write(mask_at, 4, v);
        assert_eq!(f.config_read(mask_at, 4), v, "the guest reads its own mask");
        assert_eq!(f.msi().unwrap().mask, v);
        for b in 0..4 {
            f.config_write(mask_at + b, 1, 0xff);
        }
        f.config_write(pending_at, 4, u32::MAX); // Pending Bits are read-only
    }
    assert_eq!(f.config_read(pending_at, 4), 0);
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
    assert_eq!(host_bytes(&f, mask_at, 8), host_mask);
    assert_within_spec(&f, &spec, "MSI mask");
}

/// Address, data, Multiple Message Enable and MSI Enable stay virtual and
/// reach the interrupt path as events, not the host.
#[test]
fn advisory_xsa237_msi_programming_never_reaches_the_host() {
    let (mut f, spec) = rtl8125(PassthroughOptions::default());
    let msi = cap(&f, false, MSI);
    let host_msi = host_bytes(&f, msi, 0x18);
    f.take_events();
    f.config_write(msi + 0x04, 4, 0xfee0_1004);
    f.config_write(msi + 0x08, 4, 0x0000_0001);
    f.config_write(msi + 0x0c, 2, 0x0041);
    f.config_write(msi + 0x02, 2, 0x0051); // enable, 32 vectors asked (QSIZE 5)
    let state = f.msi().unwrap();
    assert!(state.enabled);
    assert_eq!(state.address, 0x1_fee0_1004);
    assert_eq!(state.data, 0x0041);
    let events = f.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, FunctionEvent::Msi(s) if s.enabled && s.address == 0x1_fee0_1004)),
        "{events:?}"
    );
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
    assert_eq!(host_bytes(&f, msi, 0x18), host_msi);
    assert_within_spec(&f, &spec, "MSI programming");
}

/// XSA-157: MSI and MSI-X enabled together, toggled without end. Nothing
/// reaches the host; the events and warnings it causes stay bounded.
#[test]
fn advisory_xsa157_msi_and_msix_enabled_together() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let msi = cap(&f, false, MSI);
    let msix = cap(&f, false, MSIX);
    for i in 0..100_000u32 {
        f.config_write(msi + 2, 2, i & 1);
        f.config_write(msix + 2, 2, if i & 2 == 0 { 0x8000 } else { 0xc000 });
        f.config_write(0x05, 1, (i & 1) << 2); // INTx Disable
    }
    assert!(f.msi().unwrap().enabled || f.msix().unwrap().enabled);
    assert!(f.host().log().is_empty(), "{:?}", f.host().log().first());
    assert_within_spec(&f, &spec, "MSI and MSI-X");
    assert_eq!(
        f.take_events().len(),
        MAX_FUNCTION_EVENTS,
        "events are kept up to the bound, the rest counted"
    );
    let warnings = f.warnings();
    assert!(
        warnings.len() <= MAX_FUNCTION_WARNINGS,
        "{}",
        warnings.len()
    );
    assert!(
        warnings.iter().any(|w| w.contains("events dropped")),
        "the drop is reported: {warnings:?}"
    );
}
