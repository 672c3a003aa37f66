//! BAR emulation: the sizing protocol as guests and firmware run it, and
//! the decode events a move, enable or disable produces.

use vpcie_config::regs::*;
use vpcie_config::{
    Bar, BarChange, BarError, BarId, BitPolicy, ConfigHandler, ConfigSize, ConfigSpace, NoHandler,
};

#[derive(Default)]
struct Events(Vec<BarChange>);

impl ConfigHandler for Events {
    fn on_bar_change(&mut self, _cfg: &ConfigSpace, change: BarChange) {
        self.0.push(change);
    }
}

/// A Type 0 function with Command's I/O and memory enables guest-writable.
fn endpoint() -> ConfigSpace {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.set_u8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL);
    cfg.set_policy(
        PCI_COMMAND,
        2,
        BitPolicy {
            writable: u32::from(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
            ..BitPolicy::READ_ONLY
        },
    );
    cfg
}

/// Sizes a BAR the way Linux's `__pci_read_base` does: save, write ones,
/// read, restore. Returns the read-back value.
fn size_probe(cfg: &mut ConfigSpace, offset: u16, h: &mut impl ConfigHandler) -> u32 {
    let saved = cfg.read(offset, 4, h);
    cfg.write(offset, 4, u32::MAX, h);
    let mask = cfg.read(offset, 4, h);
    cfg.write(offset, 4, saved, h);
    assert_eq!(cfg.read(offset, 4, h), saved, "restore");
    mask
}

#[test]
fn memory32_bar_reads_back_its_size_mask_and_flags() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(0x10_0000, false))
        .unwrap();
    cfg.set_bar(BarId::Bar(1), Bar::memory32(0x1000, true))
        .unwrap();
    let mut h = NoHandler;
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_0, &mut h),
        0xfff0_0000
    );
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_1, &mut h),
        0xffff_f008
    );
    // Address bits below the size are read-only zero.
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xfebc_1234, &mut h);
    assert_eq!(cfg.read(PCI_BASE_ADDRESS_0, 4, &mut h), 0xfeb0_0000);
}

#[test]
fn memory64_bar_sizes_across_both_dwords() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(2), Bar::memory64(8 << 30, true))
        .unwrap();
    let mut h = NoHandler;
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_2, &mut h),
        0x0000_000c
    );
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_3, &mut h),
        0xffff_fffe
    );
    // Small 64-bit BAR: upper dword fully writable.
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory64(0x4000, false))
        .unwrap();
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_0, &mut h),
        0xffff_c004
    );
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_1, &mut h),
        0xffff_ffff
    );
}

#[test]
fn io_bar_and_rom_follow_their_own_masks() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(4), Bar::io(0x20)).unwrap();
    cfg.set_bar(BarId::Rom, Bar::rom(0x2_0000)).unwrap();
    let mut h = NoHandler;
    assert_eq!(
        size_probe(&mut cfg, PCI_BASE_ADDRESS_4, &mut h),
        0xffff_ffe1
    );
    // Linux sizes the ROM with the enable bit clear: ~0x7ff written.
    cfg.write(PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK, &mut h);
    assert_eq!(cfg.read(PCI_ROM_ADDRESS, 4, &mut h), 0xfffe_0000);
    // The enable bit is writable; reserved bits 10:1 are not.
    cfg.write(PCI_ROM_ADDRESS, 4, 0xfeb0_07ff, &mut h);
    assert_eq!(cfg.read(PCI_ROM_ADDRESS, 4, &mut h), 0xfeb0_0001);
    cfg.write(PCI_ROM_ADDRESS, 4, 0xfeb1_0000, &mut h);
    assert_eq!(
        cfg.read(PCI_ROM_ADDRESS, 4, &mut h),
        0xfeb0_0000,
        "bit 16 is below the 128 KiB size"
    );
}

#[test]
fn unimplemented_bars_read_zero_whatever_is_written() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(0x1000, false))
        .unwrap();
    let mut h = NoHandler;
    for off in [PCI_BASE_ADDRESS_1, PCI_BASE_ADDRESS_5, PCI_ROM_ADDRESS] {
        cfg.write(off, 4, u32::MAX, &mut h);
        assert_eq!(cfg.read(off, 4, &mut h), 0, "{off:#x}");
    }
}

#[test]
fn bridge_has_two_bars_and_rom_at_0x38() {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.set_u8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE);
    assert_eq!(
        cfg.set_bar(BarId::Bar(2), Bar::memory32(0x1000, false)),
        Err(BarError::NoSuchBar {
            bar: BarId::Bar(2),
            header_type: 1
        })
    );
    cfg.set_bar(BarId::Rom, Bar::rom(0x800)).unwrap();
    let mut h = NoHandler;
    cfg.write(PCI_ROM_ADDRESS1, 4, u32::MAX, &mut h);
    assert_eq!(cfg.read(PCI_ROM_ADDRESS1, 4, &mut h), 0xffff_f801);
    assert_eq!(cfg.read(PCI_ROM_ADDRESS, 4, &mut h), 0);
}

#[test]
fn bad_bar_declarations_are_refused_with_a_reason() {
    let mut cfg = endpoint();
    assert!(matches!(
        cfg.set_bar(BarId::Bar(0), Bar::memory32(0x1800, false)),
        Err(BarError::BadSize { .. })
    ));
    assert!(matches!(
        cfg.set_bar(BarId::Bar(5), Bar::memory64(0x1000, false)),
        Err(BarError::BadKind { .. })
    ));
    assert!(matches!(
        cfg.set_bar(BarId::Rom, Bar::io(0x10)),
        Err(BarError::BadKind { .. })
    ));
    cfg.set_bar(BarId::Bar(0), Bar::memory64(0x1000, false))
        .unwrap();
    assert_eq!(
        cfg.set_bar(BarId::Bar(1), Bar::memory32(0x1000, false)),
        Err(BarError::Taken { bar: BarId::Bar(1) })
    );
    let e = cfg.set_bar(BarId::Bar(2), Bar::io(3)).unwrap_err();
    assert!(e.to_string().contains("BAR2"), "{e}");
}

#[test]
fn moving_enabling_and_disabling_a_bar_emits_one_event_each() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(0x1000, false))
        .unwrap();
    cfg.set_bar(BarId::Bar(2), Bar::memory64(0x10_0000, true))
        .unwrap();
    cfg.set_bar(BarId::Bar(4), Bar::io(0x100)).unwrap();
    let mut ev = Events::default();

    // Programming addresses while decode is off: no event.
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xfe00_0000, &mut ev);
    cfg.write(PCI_BASE_ADDRESS_2, 4, 0x0000_0000, &mut ev);
    cfg.write(PCI_BASE_ADDRESS_3, 4, 0x0000_0008, &mut ev);
    cfg.write(PCI_BASE_ADDRESS_4, 4, 0xc000, &mut ev);
    assert!(ev.0.is_empty(), "{:?}", ev.0);

    // Memory enable: both memory BARs start decoding, the I/O BAR does not.
    cfg.write(PCI_COMMAND, 2, u32::from(PCI_COMMAND_MEMORY), &mut ev);
    assert_eq!(ev.0.len(), 2, "{:?}", ev.0);
    assert_eq!(
        (ev.0[0].bar, ev.0[0].old, ev.0[0].new),
        (BarId::Bar(0), None, Some(0xfe00_0000))
    );
    assert_eq!(
        (ev.0[1].bar, ev.0[1].new),
        (BarId::Bar(2), Some(0x8_0000_0000))
    );
    ev.0.clear();

    // Move BAR0 while decoding.
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xfd00_0000, &mut ev);
    assert_eq!(
        ev.0,
        vec![BarChange {
            bar: BarId::Bar(0),
            info: Bar::memory32(0x1000, false),
            old: Some(0xfe00_0000),
            new: Some(0xfd00_0000),
        }]
    );
    ev.0.clear();

    // Writing the same value again changes nothing.
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xfd00_0000, &mut ev);
    assert!(ev.0.is_empty());

    // I/O enable, then everything off.
    cfg.write(
        PCI_COMMAND,
        2,
        u32::from(PCI_COMMAND_MEMORY | PCI_COMMAND_IO),
        &mut ev,
    );
    assert_eq!(
        (ev.0.len(), ev.0[0].bar, ev.0[0].new),
        (1, BarId::Bar(4), Some(0xc000))
    );
    ev.0.clear();
    cfg.write(PCI_COMMAND, 2, 0, &mut ev);
    assert_eq!(
        ev.0.iter().map(|e| (e.bar, e.new)).collect::<Vec<_>>(),
        vec![
            (BarId::Bar(0), None),
            (BarId::Bar(2), None),
            (BarId::Bar(4), None),
        ]
    );
}

#[test]
fn sizing_while_decoding_reports_unmapped_not_a_bogus_address() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(0x10_0000, false))
        .unwrap();
    let mut ev = Events::default();
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xe000_0000, &mut ev);
    cfg.write(PCI_COMMAND, 2, u32::from(PCI_COMMAND_MEMORY), &mut ev);
    ev.0.clear();
    size_probe(&mut cfg, PCI_BASE_ADDRESS_0, &mut ev);
    let seen: Vec<_> = ev.0.iter().map(|e| e.new).collect();
    assert_eq!(seen, vec![None, Some(0xe000_0000)]);
}

#[test]
fn rom_decodes_only_with_memory_enable_and_its_own_enable_bit() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Rom, Bar::rom(0x1_0000)).unwrap();
    let mut ev = Events::default();
    cfg.write(PCI_COMMAND, 2, u32::from(PCI_COMMAND_MEMORY), &mut ev);
    cfg.write(PCI_ROM_ADDRESS, 4, 0xfeb0_0000, &mut ev);
    assert!(ev.0.is_empty());
    cfg.write(PCI_ROM_ADDRESS, 4, 0xfeb0_0001, &mut ev);
    assert_eq!(
        ev.0.last().map(|e| (e.bar, e.new)),
        Some((BarId::Rom, Some(0xfeb0_0000)))
    );
    cfg.write(PCI_COMMAND, 2, 0, &mut ev);
    assert_eq!(
        ev.0.last().map(|e| (e.bar, e.new)),
        Some((BarId::Rom, None))
    );
}

#[test]
fn byte_writes_to_a_bar_build_the_address() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(0x1000, false))
        .unwrap();
    let mut h = NoHandler;
    for (i, b) in [0x00u32, 0x10, 0xbc, 0xfe].iter().enumerate() {
        cfg.write(PCI_BASE_ADDRESS_0 + i as u16, 1, *b, &mut h);
    }
    assert_eq!(cfg.read(PCI_BASE_ADDRESS_0, 4, &mut h), 0xfebc_1000);
    assert_eq!(cfg.bar_address(BarId::Bar(0)), Some(0xfebc_1000));
}

#[test]
fn reset_returns_bars_to_zero_and_reports_them_off() {
    let mut cfg = endpoint();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(0x1000, false))
        .unwrap();
    cfg.mark_reset_state();
    let mut ev = Events::default();
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xfe00_0000, &mut ev);
    cfg.write(PCI_COMMAND, 2, u32::from(PCI_COMMAND_MEMORY), &mut ev);
    ev.0.clear();
    cfg.reset(&mut ev);
    assert_eq!(cfg.read(PCI_BASE_ADDRESS_0, 4, &mut NoHandler), 0);
    assert_eq!(ev.0.iter().map(|e| e.new).collect::<Vec<_>>(), vec![None]);
}
