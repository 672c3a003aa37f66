//! Register hooks: found by dword, called once per guest write with what
//! the guest wrote, after the masks applied.

use vpcie_config::regs::*;
use vpcie_config::{
    ConfigHandler, ConfigSize, ConfigSpace, HookId, NoHandler, PolicyError, Reg, RegTable, RegWrite,
};

const ON_SLOT_CONTROL: HookId = HookId(1);
const ON_BRIDGE_CONTROL: HookId = HookId(2);

/// A fragment of a port: Slot Control with a hook, Slot Status RW1C.
const SLOT: RegTable = &[
    Reg::emulated(0x18, 2, "Slot Control")
        .writable(0x1fff)
        .hook(ON_SLOT_CONTROL),
    Reg::emulated(0x1a, 2, "Slot Status")
        .w1c(0x011f)
        .value(0x0048),
];

#[derive(Default)]
struct Recorder(Vec<(HookId, RegWrite, u32)>);

impl ConfigHandler for Recorder {
    fn on_write(&mut self, cfg: &mut ConfigSpace, hook: HookId, write: RegWrite) {
        let now = cfg.get_u32(write.dword_offset());
        self.0.push((hook, write, now));
        if hook == ON_BRIDGE_CONTROL {
            // A side effect: the hook may change the image (e.g. a reset
            // bit that reads back as 0).
            cfg.clear_bits(PCI_BRIDGE_CONTROL, 2, u32::from(PCI_BRIDGE_CTL_BUS_RESET));
        }
    }
}

fn port() -> ConfigSpace {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.apply(0x40, SLOT).unwrap();
    cfg
}

#[test]
fn a_write_to_a_hooked_register_calls_its_hook_once_with_the_write() {
    let mut cfg = port();
    let mut rec = Recorder::default();
    cfg.write(0x58, 2, 0xffff, &mut rec);
    assert_eq!(rec.0.len(), 1);
    let (hook, w, now) = rec.0[0];
    assert_eq!(hook, ON_SLOT_CONTROL);
    assert_eq!((w.offset, w.size, w.value), (0x58, 2, 0xffff));
    assert_eq!(w.old_dword, 0x0048_0000);
    // The hook sees the image after the masks: 0x1fff written, status kept.
    assert_eq!(now, 0x0048_1fff);
    assert_eq!(w.value_in_dword(), 0x0000_ffff);
    assert_eq!(w.lanes_in_dword(), 0x0000_ffff);
}

#[test]
fn a_write_to_the_same_dword_outside_the_register_still_calls_the_hook() {
    // Hooks are per dword: the owner sees which lanes were written.
    let mut cfg = port();
    let mut rec = Recorder::default();
    cfg.write(0x5a, 2, 0x0008, &mut rec);
    assert_eq!(rec.0.len(), 1);
    assert_eq!(rec.0[0].1.lanes_in_dword(), 0xffff_0000);
    assert_eq!(
        cfg.read(0x5a, 2, &mut NoHandler),
        0x0040,
        "RW1C cleared bit 3"
    );
}

#[test]
fn writes_elsewhere_call_no_hook() {
    let mut cfg = port();
    let mut rec = Recorder::default();
    for off in (0..0x1000u16).step_by(4).filter(|o| *o != 0x58) {
        cfg.write(off, 4, u32::MAX, &mut rec);
    }
    assert!(rec.0.is_empty(), "{:?}", rec.0);
}

#[test]
fn a_dword_crossing_write_calls_each_dwords_hook() {
    let mut cfg = port();
    cfg.set_hook(0x5c, HookId(3));
    let mut rec = Recorder::default();
    cfg.write(0x5b, 2, 0xabcd, &mut rec);
    let hooks: Vec<_> = rec
        .0
        .iter()
        .map(|(h, w, _)| (h.0, w.offset, w.size, w.value))
        .collect();
    assert_eq!(hooks, vec![(1, 0x5b, 1, 0xcd), (3, 0x5c, 1, 0xab)]);
}

#[test]
fn a_hook_may_change_the_image() {
    const BRIDGE: RegTable = &[Reg::emulated(PCI_BRIDGE_CONTROL, 2, "Bridge Control")
        .writable(0x0fff)
        .hook(ON_BRIDGE_CONTROL)];
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.apply(0, BRIDGE).unwrap();
    let mut rec = Recorder::default();
    let v = u32::from(PCI_BRIDGE_CTL_BUS_RESET | PCI_BRIDGE_CTL_SERR);
    cfg.write(PCI_BRIDGE_CONTROL, 2, v, &mut rec);
    assert_eq!(
        cfg.read(PCI_BRIDGE_CONTROL, 2, &mut NoHandler),
        u32::from(PCI_BRIDGE_CTL_SERR)
    );
}

#[test]
fn tables_that_contradict_themselves_are_refused_naming_the_register() {
    let mut cfg = ConfigSpace::new(ConfigSize::Conventional);
    const BOTH: RegTable = &[Reg::emulated(0x40, 2, "Thing").writable(1).w1c(1)];
    let err = cfg.apply(0, BOTH).unwrap_err();
    assert!(matches!(
        err,
        PolicyError::Inconsistent {
            name: "Thing",
            offset: 0x40,
            ..
        }
    ));
    const DEVICE_WRITABLE: RegTable = &[Reg::device(0x40, 2, "Other").writable(1)];
    assert!(cfg.apply(0, DEVICE_WRITABLE).is_err());
    const MISALIGNED: RegTable = &[Reg::emulated(0x41, 2, "Odd")];
    assert!(matches!(
        cfg.apply(0, MISALIGNED),
        Err(PolicyError::BadSize { .. })
    ));
    const BEYOND: RegTable = &[Reg::emulated(0x100, 4, "Far")];
    let err = cfg.apply(0, BEYOND).unwrap_err();
    assert!(
        err.to_string().contains("Far") && err.to_string().contains("256"),
        "{err}"
    );
    // Nothing of a refused table is applied.
    assert_eq!(cfg.register_name(0x40), None);
}

#[test]
fn register_names_come_from_the_tables() {
    let cfg = port();
    assert_eq!(cfg.register_name(0x59), Some("Slot Control"));
    assert_eq!(cfg.register_name(0x5b), Some("Slot Status"));
    assert_eq!(cfg.register_name(0x5c), None);
}
