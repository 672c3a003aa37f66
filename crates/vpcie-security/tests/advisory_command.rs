//! The PCI Command register of a passed-through function.
//!
//! - XSA-120 (CVE-2015-2150, Linux pciback) and XSA-126 (CVE-2015-2756,
//!   qemu): guests could modify the writable Command bits of a device passed
//!   through to them. A device whose Memory or I/O Space decode is turned
//!   off answers the CPU's accesses to its BARs with Unsupported Request,
//!   which platforms may surface as fatal NMIs (host crash). Devices handed
//!   out by pciback also start with decode off.
//! - vpcie's answer (`vpcie_passthrough::policy::tables::TYPE0_HEADER`): the
//!   guest's Command is virtual; Bus Master is written through; an enable of
//!   Memory or I/O Space passes to the host, a disable never does (the guest
//!   view stops decoding and the front end unmaps the BARs instead);
//!   SERR#, Parity Error Response and every other bit stay virtual.

mod common;

use common::*;
use vpcie_passthrough::{FunctionEvent, PassthroughOptions};
use vpcie_security::fuzz::build_over_image;

const CMD: u16 = 0x04;
const IO: u16 = 0x0001;
const MEM: u16 = 0x0002;
const MASTER: u16 = 0x0004;

/// Every way a guest can write Command: each size, misaligned words and
/// dwords that cover it, through every fixture endpoint.
#[test]
fn advisory_xsa120_xsa126_guest_never_clears_host_decode() {
    for (label, host) in fixture_endpoints() {
        let initial = host.image();
        let host_cmd = u16::from_le_bytes([initial[4], initial[5]]);
        let (mut f, spec) = over_image(&initial, PassthroughOptions::default());
        for (at, size) in accesses_over(CMD, 2) {
            for v in [0u32, 0xffff_ffff, 0xffff_fffc, 0x0000_0400] {
                f.config_write(at, size, v);
                let now = host_word(&mut f, CMD);
                assert_eq!(
                    now & (IO | MEM) & host_cmd,
                    host_cmd & (IO | MEM),
                    "{label}: a {size}-byte write of {v:#x} at {at:#04x} cleared host decode \
                     ({host_cmd:#06x} -> {now:#06x})"
                );
            }
        }
        assert_within_spec(&f, &spec, &label);
        // The guest's own view did change: it reads what it wrote.
        f.config_write(CMD, 2, 0);
        assert_eq!(
            f.config_read(CMD, 2) as u16 & (IO | MEM | MASTER),
            0,
            "{label}"
        );
    }
}

/// SERR#, Parity Error Response, INTx Disable and the reserved or
/// hardwired bits never reach the host, written alone or all at once.
#[test]
fn advisory_xsa120_serr_parity_and_other_command_bits_stay_virtual() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let before = host_word(&mut f, CMD);
    for bit in 3..16 {
        f.config_write(CMD, 2, 1 << bit);
        f.config_write(CMD, 1, (1 << bit) & 0xff);
        f.config_write(CMD + 1, 1, (1 << bit) >> 8);
        f.config_write(0x02, 4, (1 << bit) << 16);
    }
    f.config_write(CMD, 2, 0xfff8);
    let after = host_word(&mut f, CMD);
    assert_eq!(
        after & !(IO | MEM | MASTER),
        before & !(IO | MEM | MASTER),
        "host Command {before:#06x} -> {after:#06x}"
    );
    assert_within_spec(&f, &spec, "Command bits");
    // SERR#, Parity and INTx Disable are the guest's to set and read back.
    f.config_write(CMD, 2, 0x0540);
    assert_eq!(f.config_read(CMD, 2), 0x0540);
    assert_eq!(host_word(&mut f, CMD) & 0x0540, before & 0x0540);
    // INTx Disable goes to the INTx path as an event, not to the host.
    assert!(f.take_events().contains(&FunctionEvent::IntxDisable(true)));
}

/// XSA-126: a device handed to the guest with decode off. The guest's
/// enable reaches the host (it must, or the device never works); its later
/// disable does not, and the guest's BARs stop decoding in its view — the
/// front end unmaps them, so the guest's accesses reach nothing rather than
/// a device that answers Unsupported Request.
#[test]
fn advisory_xsa126_enable_passes_through_disable_unmaps_instead() {
    let mut image = fixture_image_x710();
    image[4] &= !0x07; // pciback hands the device out with Command = 0
    let (mut f, spec) = build_over_image(&image, 0).expect("builds");
    f.host_mut().clear_log();
    assert_eq!(host_word(&mut f, CMD) & (IO | MEM | MASTER), 0);
    // The firmware places BAR0 and enables memory decode and bus mastering.
    f.config_write(0x10, 4, 0xfe00_0000);
    f.config_write(CMD, 2, u32::from(MEM | MASTER));
    assert_eq!(
        host_word(&mut f, CMD) & (MEM | MASTER),
        MEM | MASTER,
        "enable reaches the host"
    );
    let mapped = f.take_events();
    assert!(
        mapped.iter().any(|e| matches!(
            e,
            FunctionEvent::BarMapping {
                new: Some(0xfe00_0000),
                ..
            }
        )),
        "{mapped:?}"
    );
    // The attack: turn decode off while the BAR is mapped, then touch it.
    f.config_write(CMD, 2, u32::from(MASTER));
    f.config_write(CMD, 1, 0);
    assert_eq!(host_word(&mut f, CMD) & MEM, MEM, "the host keeps decoding");
    assert_eq!(
        f.config_read(CMD, 2) as u16 & MEM,
        0,
        "the guest sees decode off"
    );
    let unmapped = f.take_events();
    assert!(
        unmapped.iter().any(|e| matches!(
            e,
            FunctionEvent::BarMapping {
                old: Some(0xfe00_0000),
                new: None,
                ..
            }
        )),
        "the front end is told to unmap: {unmapped:?}"
    );
    assert_within_spec(&f, &spec, "enable then disable");
    // The only host writes were the enables (the Bus Master clear is allowed).
    let writes = config_writes(&f);
    assert!(!writes.is_empty() && writes.len() <= 4, "{writes:?}");
}

fn fixture_image_x710() -> Vec<u8> {
    vpcie_security::fixture::host(
        vpcie_security::fixture::x710(),
        vpcie_security::fixture::X710_FN0,
    )
    .image()
}

/// A guest write that changes none of the written-through bits does not
/// rewrite the host byte that holds them. XSA-128 (CVE-2015-4103) is the
/// pattern guarded against: a write-back of a value read earlier loses
/// whatever the host changed in between (here: Command's decode enables,
/// which Xen's MSI-X code and pciback also touch). The engine passes an
/// emulated `to_device` bit on only when the write changed it.
#[test]
fn advisory_xsa128_unchanged_writes_do_not_rewrite_host_bytes() {
    let (mut f, _spec) = x710(PassthroughOptions::default());
    f.config_write(CMD, 2, u32::from(MEM | MASTER));
    f.host_mut().clear_log();
    for _ in 0..3 {
        f.config_write(CMD, 2, u32::from(MEM | MASTER)); // nothing changes
        f.config_write(CMD + 1, 1, 0x04); // INTx Disable: virtual only
    }
    assert!(config_writes(&f).is_empty(), "{:?}", config_writes(&f));
}
