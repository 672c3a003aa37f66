//! BARs: sizing and addresses, and a guest placing a BAR over other memory.
//!
//! A guest chooses its BAR addresses. qemu's xen_pt warned about, but
//! mapped, BARs overlapping other devices' regions or RAM, and a BAR moved
//! over the MSI-X table page could take that page away from the trap that
//! keeps the host's table out of the guest's hands (the table is the class
//! of XSA-164 and XSA-129). What vpcie does:
//!
//! - BAR and ROM registers are emulated (`ConfigSpace::set_bar`): sizing
//!   and addresses never reach the host's registers;
//! - every change of where a BAR decodes is an event with the BAR's size
//!   (`FunctionEvent::BarMapping` for the front end of a passthrough
//!   function, `Event::BarChanged` from the platform), so the front end
//!   can refuse a mapping over RAM, the ECAM window, another BAR or a
//!   trapped MSI-X page before it asks the hypervisor to map the host BAR;
//! - the MSI-X table trap is BAR-relative (`msix_mmio_*` take BAR and
//!   offset), so it moves with the BAR;
//! - the platform itself decodes only configuration space: an ECAM access
//!   stays an ECAM access whatever BAR claims the same address.

mod common;

use common::*;
use vpcie_config::BarId;
use vpcie_passthrough::{FunctionEvent, PassthroughOptions};
use vpcie_platform::Event;
use vpcie_security::fixture::Rig;

/// Sizing (all-ones), addresses, 64-bit upper halves and the ROM enable,
/// through every fixture endpoint: the host's BAR registers never change
/// and no write reaches them; the guest reads the size mask.
#[test]
fn advisory_bar_sizing_and_addresses_never_reach_the_host() {
    for (label, host) in fixture_endpoints() {
        let image = host.image();
        let (mut f, spec) = over_image(&image, PassthroughOptions::default());
        let host_bars = host_bytes(&f, 0x10, 0x24);
        let host_rom = host_bytes(&f, 0x30, 4);
        for v in [0xffff_ffffu32, 0xfe00_0000, 0xffff_f801, 0x0000_1000, 0] {
            for reg in (0x10..0x28).step_by(4).chain([0x30]) {
                f.config_write(reg, 4, v);
                f.config_write(reg + 2, 2, v >> 16);
                f.config_write(reg + 1, 1, v >> 8);
            }
            f.config_write(0x04, 2, 0x0003);
        }
        assert_eq!(host_bytes(&f, 0x10, 0x24), host_bars, "{label}: host BARs");
        assert_eq!(host_bytes(&f, 0x30, 4), host_rom, "{label}: host ROM BAR");
        assert_within_spec(&f, &spec, &label);
        // Sizing reads the size mask of what the guest sees.
        for (id, bar) in f.config_space().bars().collect::<Vec<_>>() {
            let reg = match id {
                BarId::Bar(i) => 0x10 + 4 * u16::from(i),
                BarId::Rom => 0x30,
            };
            f.config_write(0x04, 2, 0);
            f.config_write(reg, 4, 0xffff_ffff);
            let low = f.config_read(reg, 4);
            let size_bits = if id == BarId::Rom {
                low & !0x7ff
            } else {
                low & !0xf
            };
            assert_eq!(
                u64::from(size_bits) & 0xffff_ffff & bar.size.wrapping_sub(1),
                0,
                "{label}: {id} of {:#x} bytes reads {low:#x} after sizing",
                bar.size
            );
        }
    }
}

/// The MSI-X table trap moves with its BAR: programmed at one address,
/// moved over another, the guest's table accesses are the model's, and the
/// front end learns both places.
#[test]
fn advisory_bar_moved_over_the_msix_table_keeps_the_table_trapped() {
    let (mut f, spec) = x710(PassthroughOptions::default());
    let table = f.msix().unwrap().table_range();
    let bar = BarId::Bar(table.bar);
    let reg = 0x10 + 4 * u16::from(table.bar);
    let first = 0xfe00_0000u64;
    let second = 0xfd00_0000u64;
    f.config_write(reg, 4, first as u32);
    f.config_write(reg + 4, 4, 0);
    f.config_write(0x04, 2, 0x0002);
    assert!(f.msix_mmio_write(table.bar, table.offset, 4, 0xfee0_0000));
    // The guest moves the BAR (decode on: a live move).
    f.config_write(reg, 4, second as u32);
    let events = f.take_events();
    let moves: Vec<_> = events
        .iter()
        .filter_map(|e| match *e {
            FunctionEvent::BarMapping { bar: b, old, new } if b == bar => Some((old, new)),
            _ => None,
        })
        .collect();
    assert_eq!(moves.first(), Some(&(None, Some(first))), "{events:?}");
    assert_eq!(
        moves.last(),
        Some(&(Some(first), Some(second))),
        "{events:?}"
    );
    // The table keeps its entries and is trapped at its BAR-relative offset.
    assert_eq!(
        f.msix_mmio_read(table.bar, table.offset, 4),
        Some(0xfee0_0000)
    );
    assert!(f.msix_mmio_write(table.bar, table.offset + 4, 4, 0));
    assert!(f.host().log().iter().all(|op| !matches!(op,
        vpcie_passthrough::host::record::HostOp::ConfigWrite { offset, .. } if (0x10..0x28).contains(offset))));
    assert_within_spec(&f, &spec, "BAR move");
}

/// On the booted platform, the guest places a passed-through BAR over the
/// ECAM window, over RAM and over another function's BAR. The platform
/// reports each placement with the BAR's size (what a front end needs to
/// refuse it), keeps decoding ECAM as configuration space, and the host's
/// BAR registers never change.
#[test]
fn advisory_bar_over_ecam_ram_and_other_bars_is_reported_for_refusal() {
    let mut rig = Rig::new(true);
    let ecam = rig.platform.ecam_window().expect("ECAM placed");
    let mch_id = rig.platform.mmio_read(ecam.base, 4).expect("ECAM decodes");
    // The X710's first function and the RTL8125 below their ports.
    let find = |rig: &Rig, needle: &str| {
        rig.platform
            .function_ids()
            .find(|id| rig.platform.describe(*id).contains(needle))
            .map(|id| (id, rig.platform.bdf(id).expect("reachable")))
            .expect("placed")
    };
    let (x_id, x) = find(&rig, "04:00.0");
    let (_, r) = find(&rig, "2e:00.0");
    let (xb, xd, xf) = (x.bus, x.devfn.device(), x.devfn.function());
    // Another function's BAR: the RTL8125's BAR2 as the firmware placed it.
    let rtl_bar2 = rig
        .platform
        .config_read(r.bus, r.devfn.device(), r.devfn.function(), 0x18, 4)
        & !0xf;
    assert_ne!(rtl_bar2, 0, "the firmware placed the RTL8125's BAR2");
    rig.platform.events().drain();
    for (what, addr) in [
        ("ECAM", ecam.base),
        ("RAM", 0x0010_0000),
        ("another BAR", u64::from(rtl_bar2)),
    ] {
        // X710 BAR0 is 64-bit: low then high dword, decode on.
        rig.platform
            .config_write(xb, xd, xf, 0x10, 4, addr as u32 | 0xc);
        rig.platform
            .config_write(xb, xd, xf, 0x14, 4, (addr >> 32) as u32);
        rig.platform.config_write(xb, xd, xf, 0x04, 2, 0x0006);
        let events = rig.platform.events().drain();
        let change = events
            .iter()
            .find_map(|e| match e {
                Event::BarChanged { function, change }
                    if *function == x_id && change.bar == BarId::Bar(0) =>
                {
                    Some(*change)
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("{what}: no BarChanged in {events:?}"));
        assert_eq!(change.new, Some(addr), "{what}");
        assert!(change.info.size >= 0x1000, "{what}: the size is reported");
        // The platform still decodes ECAM as configuration space.
        assert_eq!(rig.platform.mmio_read(ecam.base, 4), Some(mch_id), "{what}");
        if let Err(v) = rig.check_hosts() {
            panic!("{what}: {v}");
        }
    }
}
