//! Guest writes reaching host registers unmediated.
//!
//! - XSA-131 (CVE-2015-4106, qemu): "Unmediated PCI register access in
//!   qemu". qemu's xen_pt passed guest writes to registers its tables did
//!   not know (and to bits of known registers it did not emulate) straight
//!   to the device. The fix series made every known field explicit, marked
//!   the PCI Express capability and reserved bits read-only, and made
//!   unknown registers read-only unless the device is configured
//!   `permissive`.
//! - XSA-124: non-standard device functionality (device-specific config
//!   registers) may break isolation, so such registers must not be
//!   reachable by default.
//!
//! Every test here checks the recording host's log against
//! `vpcie_security::spec::HostWriteSpec`, the allowlist written apart from
//! the passthrough tables: a table that grows a `to_device` bit fails here.

mod common;

use common::*;
use vpcie_config::caps::parse_capabilities;
use vpcie_passthrough::host::record::HostOp;
use vpcie_passthrough::{Decision, PassthroughOptions, PowerState};

/// Capability IDs used below (PCI Code and ID Assignment).
const PM: u16 = 0x01;
const PCIE: u16 = 0x10;

/// Whether the host image advertises Function Level Reset (Device
/// Capabilities bit 28 of its PCI Express capability).
fn advertises_flr(image: &[u8]) -> bool {
    let caps = parse_capabilities(image);
    caps.caps.iter().filter(|c| c.id == 0x10).any(|c| {
        let at = usize::from(c.offset) + 4;
        image.get(at + 3).is_some_and(|b| b & 0x10 != 0)
    })
}

/// Every byte of every fixture endpoint, at every size, with hostile
/// values: the host sees only what the allowlist permits, and a reset only
/// from a function that advertises FLR.
#[test]
fn advisory_xsa131_no_register_outside_the_allowlist_reaches_the_host() {
    let mut total_writes = 0;
    for (label, host) in fixture_endpoints() {
        let image = host.image();
        let flr = advertises_flr(&image);
        let (mut f, spec) = over_image(&image, PassthroughOptions::default());
        let size = image.len() as u16;
        for v in VALUES {
            for at in 0..size {
                for s in [1u8, 2, 4] {
                    f.config_write(at, s, v);
                }
            }
            total_writes += assert_within_spec(&f, &spec, &format!("{label}, value {v:#x}"));
            let resets = other_ops(&f)
                .iter()
                .filter(|o| **o == HostOp::Reset)
                .count();
            assert!(
                flr || resets == 0,
                "{label}: {resets} host resets without FLR"
            );
            f.host_mut().clear_log();
        }
    }
    // The sweep did reach the host where it may (Command, Device Control 2):
    // the check above is not vacuous.
    assert!(total_writes > 0);
}

/// `permissive` (xl's per-device escape hatch of the XSA-131 fix) lets
/// writes to registers the policy does not know reach the host — the spec
/// catches them — but never writes to what vpcie emulates: the header, PM,
/// MSI, MSI-X, PCI Express, AER, LTR, L1SS, or hidden capabilities.
#[test]
fn advisory_xsa131_permissive_opens_unknown_registers_only() {
    let options = PassthroughOptions {
        permissive: true,
        ..PassthroughOptions::default()
    };
    let (mut f, spec) = rtl8125(options);
    let reports = f.capabilities().to_vec();
    let size = f.config_space().size().bytes() as u16;
    for at in 0..size {
        f.config_write(at, 1, 0xa5);
    }
    let mut unknown = 0;
    for op in f.host().log() {
        let HostOp::ConfigWrite {
            offset,
            size,
            value,
            before,
            after,
        } = *op
        else {
            continue;
        };
        if spec.check_write(offset, size, value, before, after).is_ok() {
            continue;
        }
        unknown += 1;
        // Which capability holds the byte?
        let holder = reports
            .iter()
            .find(|c| offset >= c.offset && offset < c.offset + c.len);
        match holder {
            None => assert!(offset >= 0x40, "permissive wrote header byte {offset:#05x}"),
            Some(c) => assert!(
                c.decision == Decision::Passthrough
                    && offset >= c.offset + if c.extended { 4 } else { 2 },
                "permissive wrote {offset:#05x} inside {} ({})",
                c.name,
                c.decision
            ),
        }
    }
    assert!(
        unknown > 0,
        "permissive must open the read-through capabilities (VPD data, DSN, vendor-specific)"
    );
}

/// PCI Express Device Control, Link Control and their second versions:
/// every bit the guest writes stays virtual (Relaxed Ordering, No Snoop,
/// MPS/MRRS, error reporting enables, ASPM, Link Disable, Retrain Link,
/// target speed, compliance), except AtomicOp Requester Enable. FLR resets
/// the host only where the host advertises it.
#[test]
fn advisory_xsa131_pcie_control_registers_are_virtual() {
    for (name, (mut f, spec), flr) in [
        ("X710", x710(PassthroughOptions::default()), true),
        ("RTL8125", rtl8125(PassthroughOptions::default()), false),
    ] {
        let pcie = cap(&f, false, PCIE);
        let devctl = pcie + 0x08;
        let lnkctl = pcie + 0x10;
        let devctl2 = pcie + 0x28;
        let lnkctl2 = pcie + 0x30;
        let host_before: Vec<u16> = [devctl, lnkctl, devctl2, lnkctl2]
            .iter()
            .map(|&o| host_word(&mut f, o))
            .collect();
        for bit in 0..15 {
            f.config_write(devctl, 2, 1 << bit);
            assert_eq!(
                f.config_read(devctl, 2),
                1 << bit,
                "{name}: Device Control bit {bit} is the guest's"
            );
        }
        for reg in [lnkctl, lnkctl2] {
            for bit in 0..16 {
                f.config_write(reg, 2, 1 << bit);
            }
            f.config_write(reg, 2, 0xffff);
        }
        for bit in (0..16).filter(|b| *b != 6) {
            f.config_write(devctl2, 2, 1 << bit);
        }
        // Device Control 2 writes carry the AtomicOp bit (as the host has it)
        // to the host; nothing else is written.
        assert!(
            config_writes(&f)
                .iter()
                .all(|w| matches!(w, HostOp::ConfigWrite { offset, .. } if *offset == devctl2)),
            "{name}: {:?}",
            config_writes(&f)
        );
        assert!(
            other_ops(&f).is_empty(),
            "{name}: no reset, no retrain: {:?}",
            other_ops(&f)
        );
        let host_after: Vec<u16> = [devctl, lnkctl, devctl2, lnkctl2]
            .iter()
            .map(|&o| host_word(&mut f, o))
            .collect();
        assert_eq!(host_before, host_after, "{name}");
        // AtomicOp Requester Enable is the one bit written through.
        f.config_write(devctl2, 2, 0x0040);
        assert_eq!(
            host_word(&mut f, devctl2) & 0x0040,
            0x0040,
            "{name}: AtomicOp Requester Enable"
        );
        assert_within_spec(&f, &spec, name);
        f.host_mut().clear_log();
        // Function Level Reset: a host reset exactly when advertised; FLR reads 0.
        f.config_write(devctl, 2, 0x8000);
        let resets = other_ops(&f)
            .iter()
            .filter(|o| **o == HostOp::Reset)
            .count();
        assert_eq!(resets, usize::from(flr), "{name}: FLR");
        assert_eq!(f.config_read(devctl, 2) & 0x8000, 0, "{name}: FLR reads 0");
        assert!(config_writes(&f).is_empty(), "{name}");
    }
}

/// Power Management Control/Status: PME Enable, PME Status, Data Select
/// and Scale never reach the host; a D-state change is forwarded as a
/// power-state operation only when the function's options say so.
#[test]
fn advisory_xsa131_power_management_control_is_mediated() {
    for forward in [true, false] {
        let options = PassthroughOptions {
            forward_power_state: forward,
            ..PassthroughOptions::default()
        };
        let (mut f, spec) = x710(options);
        let pm = cap(&f, false, PM);
        let pmcsr = pm + 4;
        let host_before = host_word(&mut f, pmcsr);
        for v in [0x0100u32, 0x8000, 0x1e00, 0x6000, 0x0008, 0xfffc] {
            f.config_write(pmcsr, 2, v);
            f.config_write(pm + 2, 2, 0xffff); // PMC is read-only
            f.config_write(pm + 6, 2, 0xffff); // Bridge extensions, Data
        }
        assert!(config_writes(&f).is_empty(), "{:?}", config_writes(&f));
        assert!(other_ops(&f).is_empty());
        assert_eq!(host_word(&mut f, pmcsr) & !3, host_before & !3);
        f.config_write(pmcsr, 2, 3);
        assert_eq!(f.power_state(), Some(PowerState::D3Hot));
        let ops = other_ops(&f);
        if forward {
            assert_eq!(ops, vec![HostOp::SetPowerState(PowerState::D3Hot)]);
        } else {
            assert!(ops.is_empty(), "{ops:?}");
        }
        assert!(config_writes(&f).is_empty());
        assert_within_spec(&f, &spec, "PM");
    }
}

/// Header registers: BIST (starting a self test is not the guest's), Cache
/// Line Size, Latency Timer, Interrupt Line, Header Type, Capabilities
/// Pointer, CardBus CIS, Subsystem IDs.
#[test]
fn advisory_xsa131_header_registers_are_virtual() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let before = f.host().inner().image();
    let guest_before = f.guest_view();
    for (at, size) in [
        (0x0cu16, 1u8),
        (0x0d, 1),
        (0x0e, 1),
        (0x0f, 1),
        (0x28, 4),
        (0x2c, 4),
        (0x34, 1),
        (0x3c, 1),
        (0x3d, 1),
        (0x3e, 2),
        (0x00, 4),
        (0x08, 4),
    ] {
        f.config_write(at, size, 0xffff_ffff);
        f.config_write(at, size, 0x4040_4040);
    }
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
    assert_eq!(f.host().inner().image(), before);
    assert_eq!(
        f.config_read(0x0f, 1),
        0,
        "BIST reads 0: no self test offered"
    );
    let after = f.guest_view();
    for (at, what) in [
        (0x00usize, "IDs"),
        (0x0e, "Header Type"),
        (0x34, "Capabilities Pointer"),
        (0x2c, "Subsystem"),
    ] {
        assert_eq!(after[at], guest_before[at], "{what} is read-only");
    }
    assert_within_spec(&f, &spec, "header");
}

/// Standard capabilities a guest may see at all: PM, VPD, MSI, vendor-specific,
/// PCI Express, MSI-X. Everything else (AGP, PCI-X, HyperTransport,
/// Advanced Features, Enhanced Allocation, unassigned IDs) is hidden.
const GUEST_STD_CAPS: &[u8] = &[0x01, 0x03, 0x05, 0x09, 0x10, 0x11];
/// Extended capabilities a guest may see: AER, DSN, vendor-specific,
/// Resizable BAR, LTR, DVSEC, L1 PM Substates. SR-IOV, ATS, PRI, PASID,
/// VC, MFVC, TPH, DPC, multicast, ARI and unassigned IDs are hidden.
const GUEST_EXT_CAPS: &[u16] = &[0x01, 0x03, 0x0b, 0x15, 0x18, 0x23, 0x1e];

/// XSA-124: the capabilities a guest must not have (they give the device
/// new ways to reach memory or other functions, or configure the shared
/// link), and device-specific bytes outside every capability, read 0,
/// ignore writes and are absent from the guest's chains — judged from the
/// host image and the lists above, not from vpcie's own report.
#[test]
fn advisory_xsa124_hidden_and_device_specific_bytes_are_unreachable() {
    let mut hidden_bytes = 0;
    let mut hidden_caps = 0;
    for (label, host) in fixture_endpoints() {
        let image = host.image();
        let host_caps = parse_capabilities(&image);
        let (mut f, spec) = over_image(&image, PassthroughOptions::default());
        let in_allowed = |o: u16| {
            host_caps
                .caps
                .iter()
                .filter(|c| GUEST_STD_CAPS.contains(&c.id))
                .any(|c| o >= c.offset && o < c.end())
                || host_caps
                    .ext_caps
                    .iter()
                    .filter(|c| GUEST_EXT_CAPS.contains(&c.id))
                    .any(|c| o >= c.offset && o < c.end())
        };
        let size = image.len() as u16;
        let unreachable: Vec<u16> = (0x40..size)
            .filter(|&o| !in_allowed(o))
            // The Null capability that stands in for a hidden first extended one.
            .filter(|&o| !(0x100..0x104).contains(&o))
            .collect();
        for &o in &unreachable {
            f.config_write(o, 1, 0xff);
        }
        let view = f.guest_view();
        for &o in &unreachable {
            assert_eq!(
                view[usize::from(o)],
                0,
                "{label}: byte {o:#05x} is outside every capability a guest may see"
            );
        }
        let guest = parse_capabilities(&view);
        for c in &guest.caps {
            assert!(
                GUEST_STD_CAPS.contains(&c.id),
                "{label}: the guest sees {} at {:#04x}",
                c.name(),
                c.offset
            );
        }
        for c in &guest.ext_caps {
            assert!(
                GUEST_EXT_CAPS.contains(&c.id) || (c.id == 0 && c.offset == 0x100),
                "{label}: the guest sees {} at {:#05x}",
                c.name(),
                c.offset
            );
        }
        hidden_caps += host_caps
            .caps
            .iter()
            .filter(|c| !GUEST_STD_CAPS.contains(&c.id))
            .count()
            + host_caps
                .ext_caps
                .iter()
                .filter(|c| !GUEST_EXT_CAPS.contains(&c.id))
                .count();
        hidden_bytes += unreachable.len();
        assert!(f.host().log().is_empty(), "{label}: {:?}", f.host().log());
        assert_within_spec(&f, &spec, &label);
        // The host still has them: hiding is a view, not a change.
        assert_eq!(f.host().inner().image(), image, "{label}");
    }
    assert!(
        hidden_caps >= 20,
        "the fixtures have capabilities to hide ({hidden_caps})"
    );
    assert!(
        hidden_bytes > 10_000,
        "and device-specific bytes ({hidden_bytes})"
    );
}
