//! Resizable BAR end to end on the AMD Fiji fixture (d07): BAR0 256 MB,
//! sizes 256 MB to 4 GB. A guest resize changes the virtual BAR, resizes
//! the host BAR, and the BAR sizing protocol answers the new size; what
//! the device does not support, or a resize with decoding on, changes
//! nothing; a host that cannot resize gets no Resizable BAR at all.

mod common;

use common::*;
use vpcie_config::BarId;
use vpcie_config::regs::*;
use vpcie_passthrough::host::record::HostOp;
use vpcie_passthrough::*;

const REBAR: u16 = 0x200;
const CTRL: u16 = REBAR + 8;

fn bar0_size<H: HostDevice>(f: &mut PassthroughFunction<H>) -> u64 {
    let (lo, hi) = (f.config_read(0x10, 4), f.config_read(0x14, 4));
    f.config_write(0x10, 4, u32::MAX);
    f.config_write(0x14, 4, u32::MAX);
    let mask = u64::from(f.config_read(0x10, 4) & !0xf) | (u64::from(f.config_read(0x14, 4)) << 32);
    f.config_write(0x10, 4, lo);
    f.config_write(0x14, 4, hi);
    (!mask).wrapping_add(1)
}

#[test]
fn guest_resize_changes_the_virtual_bar_and_the_host_bar() {
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let rebar = f
        .capabilities()
        .iter()
        .find(|c| c.extended && c.id == 0x15)
        .unwrap();
    assert_eq!(rebar.decision, Decision::Emulated);
    // Capability: sizes 256M..4G (bits 8..12 of the 1 MB-based vector, at 4+).
    assert_eq!(f.config_read(REBAR + 4, 4), 0x0001_f000);
    let ctrl = f.config_read(CTRL, 4);
    assert_eq!((ctrl >> 8) & 0x3f, 8, "256 MB");
    assert_eq!(ctrl & 7, 0, "BAR0");
    assert_eq!(bar0_size(&mut f), 256 << 20);

    // Linux pci_resize_resource: decoding off, write the size, reassign.
    f.config_write(0x04, 2, 0);
    f.host_mut().clear_log();
    f.config_write(CTRL, 4, (ctrl & !0x3f00) | (10 << 8));
    assert_eq!(
        f.host().log(),
        [HostOp::ResizeBar {
            index: 0,
            size: 1 << 30
        }]
    );
    assert_eq!((f.config_read(CTRL, 4) >> 8) & 0x3f, 10);
    assert!(f.take_events().contains(&FunctionEvent::BarResized {
        bar: 0,
        old_size: 256 << 20,
        new_size: 1 << 30
    }));
    assert_eq!(bar0_size(&mut f), 1 << 30);
    // The host BAR and the host's Resizable BAR control agree.
    assert_eq!(f.host_bar(BarId::Bar(0)).unwrap().bar.size, 1 << 30);
    let host_ctrl = f.host_mut().config_read(CTRL, 4).unwrap();
    assert_eq!((host_ctrl >> 8) & 0x3f, 10);
    // Placed at a 1 GB-aligned address, it maps there.
    f.config_write(0x10, 4, 0x4000_000c);
    f.config_write(0x14, 4, 0x4);
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_MEMORY));
    let events = f.take_events();
    assert!(
        events.contains(&FunctionEvent::BarMapping {
            bar: BarId::Bar(0),
            old: None,
            new: Some(0x4_4000_0000)
        }),
        "{events:?}"
    );
    assert_log_within_policy(&f, "rebar");
}

#[test]
fn unsupported_sizes_and_resizes_while_decoding_change_nothing() {
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let ctrl = f.config_read(CTRL, 4);
    f.config_write(0x04, 2, 0);
    f.host_mut().clear_log();
    // 128 MB (size 7) is not in the capability.
    f.config_write(CTRL, 4, (ctrl & !0x3f00) | (7 << 8));
    assert_eq!(f.config_read(CTRL, 4), ctrl);
    assert!(
        f.warnings()
            .iter()
            .any(|w| w.contains("0000:09:00.0") && w.contains("does not support"))
    );
    // Memory Space enabled: refused.
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_MEMORY));
    f.host_mut().clear_log();
    f.config_write(CTRL, 4, (ctrl & !0x3f00) | (9 << 8));
    assert_eq!(f.config_read(CTRL, 4), ctrl);
    assert!(
        f.host()
            .log()
            .iter()
            .all(|op| !matches!(op, HostOp::ResizeBar { .. }))
    );
    assert!(
        f.warnings()
            .iter()
            .any(|w| w.contains("Memory Space enabled"))
    );
    // The BAR index and NBAR fields are read-only.
    f.config_write(0x04, 2, 0);
    f.config_write(CTRL, 4, ctrl | 0xe7);
    assert_eq!(f.config_read(CTRL, 4), ctrl);
    assert_eq!(bar0_size(&mut f), 256 << 20);
}

#[test]
fn a_host_that_cannot_resize_gets_no_resizable_bar() {
    let m = machine("d07_");
    let mut host = m.host("09:00.0".parse().unwrap()).unwrap();
    host.forbid_resize();
    let mut f = PassthroughFunction::new(host, PassthroughOptions::default()).unwrap();
    let rebar = f
        .capabilities()
        .iter()
        .find(|c| c.extended && c.id == 0x15)
        .unwrap()
        .clone();
    assert_eq!(rebar.decision, Decision::Hidden);
    assert!(rebar.why.contains("worse than none"), "{}", rebar.why);
    let (_, ext) = assert_guest_chain(&mut f, "no resize");
    assert!(!ext.contains(&REBAR));
    // Its bytes read 0 and the BAR keeps its size.
    assert_eq!(f.config_read(CTRL, 4), 0);
    assert_eq!(bar0_size(&mut f), 256 << 20);
}
