//! A scripted guest driver against real-hardware fixtures behind a recording
//! double: BAR sizing, MSI and MSI-X setup, AER masks, power transitions,
//! FLR, VPD and random writes reach the host only where the policy allows,
//! checked on the host's write log.

mod common;

use common::*;
use proptest::prelude::*;
use vpcie_config::BarId;
use vpcie_config::regs::*;
use vpcie_passthrough::host::record::HostOp;
use vpcie_passthrough::interrupts::MsiState;
use vpcie_passthrough::*;

fn cap_offset<H: HostDevice>(f: &PassthroughFunction<H>, extended: bool, id: u16) -> u16 {
    f.capabilities()
        .iter()
        .find(|c| c.extended == extended && c.id == id && c.decision != Decision::Hidden)
        .unwrap_or_else(|| panic!("no visible capability {id:#x}"))
        .offset
}

fn mappings(events: &[FunctionEvent]) -> Vec<(BarId, Option<u64>)> {
    events
        .iter()
        .filter_map(|e| match e {
            FunctionEvent::BarMapping { bar, new, .. } => Some((*bar, *new)),
            _ => None,
        })
        .collect()
}

#[test]
fn bar_sizing_and_programming_never_reach_the_host() {
    // Fiji: BAR0 256M 64-bit pf, BAR2 2M 64-bit pf, BAR4 256 I/O, BAR5 256K, ROM 128K.
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let host_bars: Vec<u32> = (0..7)
        .map(|i| {
            f.host_mut()
                .config_read(if i == 6 { 0x30 } else { 0x10 + 4 * i }, 4)
                .unwrap()
        })
        .collect();
    let size_of = |f: &mut PassthroughFunction<_>, off: u16| {
        let old = f.config_read(off, 4);
        f.config_write(off, 4, u32::MAX);
        let v = f.config_read(off, 4);
        f.config_write(off, 4, old);
        v
    };
    assert_eq!(
        size_of(&mut f, 0x10),
        0xf000_000c,
        "BAR0 256M 64-bit prefetchable"
    );
    assert_eq!(size_of(&mut f, 0x14), 0xffff_ffff);
    assert_eq!(size_of(&mut f, 0x18), 0xffe0_000c, "BAR2 2M");
    assert_eq!(size_of(&mut f, 0x20), 0xffff_ff01, "BAR4 256 I/O ports");
    assert_eq!(size_of(&mut f, 0x24), 0xfffc_0000, "BAR5 256K");
    assert_eq!(
        size_of(&mut f, 0x30),
        0xfffe_0001,
        "ROM 128K (and its enable bit)"
    );
    assert!(
        f.host().log().is_empty(),
        "sizing wrote the host: {:?}",
        f.host().log()
    );

    // Program guest addresses and enable decoding.
    f.config_write(0x10, 4, 0x0000_000c);
    f.config_write(0x14, 4, 0x0000_0004);
    f.config_write(0x18, 4, 0x1000_000c);
    f.config_write(0x1c, 4, 0x0000_0004);
    f.config_write(0x20, 4, 0xc000);
    f.config_write(0x24, 4, 0xfe00_0000);
    f.config_write(0x30, 4, 0xfd00_0001);
    f.take_events();
    f.config_write(
        0x04,
        2,
        u32::from(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR),
    );
    let mapped = mappings(&f.take_events());
    assert!(
        mapped.contains(&(BarId::Bar(0), Some(0x4_0000_0000))),
        "{mapped:?}"
    );
    assert!(mapped.contains(&(BarId::Bar(2), Some(0x4_1000_0000))));
    assert!(mapped.contains(&(BarId::Bar(4), Some(0xc000))));
    assert!(mapped.contains(&(BarId::Bar(5), Some(0xfe00_0000))));
    assert!(mapped.contains(&(BarId::Rom, Some(0xfd00_0000))));
    // The host's BARs are untouched; its Command got bus master only
    // (decode was already on), never SERR.
    for (i, v) in host_bars.iter().enumerate() {
        let off = if i == 6 { 0x30 } else { 0x10 + 4 * i as u16 };
        assert_eq!(
            f.host_mut().config_read(off, 4).unwrap(),
            *v,
            "host BAR at {off:#x}"
        );
    }
    let host_cmd = f.host_mut().config_read(0x04, 2).unwrap() as u16;
    assert_eq!(host_cmd & PCI_COMMAND_SERR, 0);
    assert_ne!(host_cmd & PCI_COMMAND_MASTER, 0);
    // Disabling decode unmaps every BAR but leaves the host decoding
    // (XSA-120/126); bus master is cleared on the host.
    f.config_write(0x04, 2, 0);
    let unmapped = mappings(&f.take_events());
    assert_eq!(unmapped.len(), 5, "{unmapped:?}");
    assert!(unmapped.iter().all(|(_, new)| new.is_none()));
    let host_cmd = f.host_mut().config_read(0x04, 2).unwrap() as u16;
    assert_eq!(
        host_cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO),
        PCI_COMMAND_MEMORY | PCI_COMMAND_IO
    );
    assert_eq!(host_cmd & PCI_COMMAND_MASTER, 0);
    assert_log_within_policy(&f, "d07 BARs");
    // INTx Disable is virtual and reported.
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_INTX_DISABLE));
    assert!(f.take_events().contains(&FunctionEvent::IntxDisable(true)));
    assert_eq!(
        f.host_mut().config_read(0x04, 2).unwrap() as u16 & PCI_COMMAND_INTX_DISABLE,
        host_cmd & PCI_COMMAND_INTX_DISABLE
    );
}

#[test]
fn a_host_that_does_not_decode_is_enabled_by_the_guest_enable() {
    // The host hands the device over with decode off (pciback does, XSA-126).
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    f.host_mut().inner_mut().config_write(0x04, 2, 0).unwrap();
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_MEMORY));
    let host_cmd = f.host_mut().config_read(0x04, 2).unwrap() as u16;
    assert_eq!(host_cmd, PCI_COMMAND_MEMORY);
    assert!(assert_log_within_policy(&f, "enable") >= 1);
}

#[test]
fn msi_programming_stays_virtual() {
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let msi = cap_offset(&f, false, u16::from(PCI_CAP_ID_MSI));
    f.config_write(msi + PCI_MSI_ADDRESS_LO, 4, 0xfee0_1004);
    f.config_write(msi + PCI_MSI_ADDRESS_HI, 4, 0);
    f.config_write(msi + PCI_MSI_DATA_64, 2, 0x4041);
    f.config_write(msi + PCI_MSI_FLAGS, 2, u32::from(PCI_MSI_FLAGS_ENABLE));
    let want = MsiState {
        enabled: true,
        vectors: 1,
        address: 0xfee0_1004,
        data: 0x4041,
        mask: 0,
    };
    assert_eq!(f.msi(), Some(want));
    assert!(f.take_events().contains(&FunctionEvent::Msi(want)));
    // Address bits 1:0 and the capability bits are not the guest's.
    f.config_write(msi + PCI_MSI_ADDRESS_LO, 4, 0xffff_ffff);
    assert_eq!(f.config_read(msi + PCI_MSI_ADDRESS_LO, 4), 0xffff_fffc);
    f.config_write(msi + PCI_MSI_FLAGS, 2, 0xffff);
    assert_eq!(
        f.config_read(msi + PCI_MSI_FLAGS, 2) & 0xff80,
        0x0080,
        "64-bit stays, no mask"
    );
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
    // The host's MSI registers still hold what the host programmed.
    assert_eq!(
        f.host_mut()
            .config_read(msi + PCI_MSI_ADDRESS_LO, 4)
            .unwrap(),
        0xfee0_0000
    );
}

#[test]
fn msix_setup_is_modelled_and_never_reaches_the_host() {
    // Intel 82576: MSI-X with 10 vectors, table at BAR3 + 0, PBA at BAR3 + 0x2000.
    let mut f = recorded("d14_", "01:00.0", PassthroughOptions::default());
    let cap = cap_offset(&f, false, u16::from(PCI_CAP_ID_MSIX));
    let t = f.msix().unwrap().clone();
    assert_eq!(t.len(), 10);
    assert_eq!((t.table_range().bar, t.table_range().offset), (3, 0));
    assert_eq!((t.pba_range().bar, t.pba_range().offset), (3, 0x2000));
    // Linux: enable with the function masked, program, unmask.
    let ctrl = f.config_read(cap + PCI_MSIX_FLAGS, 2) as u16;
    assert_eq!(
        ctrl & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL),
        0,
        "starts disabled"
    );
    f.config_write(
        cap + PCI_MSIX_FLAGS,
        2,
        u32::from(ctrl | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL),
    );
    for i in 0..10u64 {
        assert!(f.msix_mmio_write(3, 16 * i, 4, 0xfee0_0000 | (i << 12)));
        assert!(f.msix_mmio_write(3, 16 * i + 4, 4, 0));
        assert!(f.msix_mmio_write(3, 16 * i + 8, 4, 0x30 + i));
        assert!(f.msix_mmio_write(3, 16 * i + 12, 4, 0));
    }
    f.config_write(
        cap + PCI_MSIX_FLAGS,
        2,
        u32::from(ctrl | PCI_MSIX_FLAGS_ENABLE),
    );
    let events = f.take_events();
    assert!(events.contains(&FunctionEvent::MsixControl {
        enabled: true,
        function_masked: false
    }));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, FunctionEvent::MsixEntry { .. }))
            .count(),
        40
    );
    let t = f.msix().unwrap();
    let e = t.entry(7).unwrap();
    assert_eq!((e.address, e.data, e.masked), (0xfee0_7000, 0x37, false));
    assert!(t.deliverable(7));
    assert_eq!(f.msix_mmio_read(3, 16 * 7 + 8, 4), Some(0x37));
    // The interrupt path marks a pending vector; the guest sees it in the PBA.
    f.msix_mut().unwrap().set_pending(9, true);
    assert_eq!(f.msix_mmio_read(3, 0x2000, 8), Some(1 << 9));
    // Outside the table: not ours (mapped straight to the device).
    assert!(!f.msix_mmio_write(3, 0x1000, 4, 0));
    assert_eq!(f.msix_mmio_read(0, 0, 4), None);
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
}

#[test]
fn aer_masks_and_status_are_the_guests() {
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let aer = cap_offset(&f, true, PCI_EXT_CAP_ID_ERR);
    let host_mask = f.host_mut().config_read(aer + 8, 4).unwrap();
    f.config_write(aer + 8, 4, u32::MAX);
    assert_eq!(f.config_read(aer + 8, 4), 0x03ff_f031, "defined bits only");
    f.config_write(aer + 0x14, 4, 0);
    assert_eq!(f.config_read(aer + 0x14, 4), 0);
    // The platform reports an error; the guest clears it by writing 1.
    assert!(f.report_aer(0x4000, 0x1));
    assert_eq!(f.config_read(aer + 4, 4), 0x4000);
    f.config_write(aer + 4, 4, 0x4000);
    assert_eq!(f.config_read(aer + 4, 4), 0);
    assert_eq!(f.host_mut().config_read(aer + 8, 4).unwrap(), host_mask);
    assert!(f.host().log().is_empty(), "{:?}", f.host().log());
}

#[test]
fn power_transitions_are_forwarded_and_unmap_bars() {
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let pm = cap_offset(&f, false, u16::from(PCI_CAP_ID_PM));
    f.config_write(0x24, 4, 0xfe00_0000);
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_MEMORY));
    f.take_events();
    f.host_mut().clear_log();
    f.config_write(pm + PCI_PM_CTRL, 2, 3);
    assert_eq!(f.power_state(), Some(PowerState::D3Hot));
    assert_eq!(f.config_read(pm + PCI_PM_CTRL, 2) & 3, 3);
    let events = f.take_events();
    assert!(events.contains(&FunctionEvent::PowerState {
        from: PowerState::D0,
        to: PowerState::D3Hot
    }));
    assert!(
        mappings(&events).contains(&(BarId::Bar(5), None)),
        "{events:?}"
    );
    // Fiji has No_Soft_Reset: back in D0 the BARs come back as they were.
    f.config_write(pm + PCI_PM_CTRL, 2, 0);
    let events = f.take_events();
    assert!(
        mappings(&events).contains(&(BarId::Bar(5), Some(0xfe00_0000))),
        "{events:?}"
    );
    assert!(!events.contains(&FunctionEvent::Reset));
    assert_eq!(
        f.host().log(),
        [
            HostOp::SetPowerState(PowerState::D3Hot),
            HostOp::SetPowerState(PowerState::D0)
        ]
    );
    // PME cannot be enabled; PME_Support reads 0.
    f.config_write(pm + PCI_PM_CTRL, 2, u32::from(PCI_PM_CTRL_PME_ENABLE));
    assert_eq!(
        f.config_read(pm + PCI_PM_CTRL, 2) as u16 & PCI_PM_CTRL_PME_ENABLE,
        0
    );
    assert_eq!(f.config_read(pm + PCI_PM_PMC, 2) as u16 & 0xf800, 0);

    // Without forwarding nothing reaches the host.
    let mut g = recorded(
        "d07_",
        "09:00.0",
        PassthroughOptions {
            forward_power_state: false,
            ..PassthroughOptions::default()
        },
    );
    g.config_write(pm + PCI_PM_CTRL, 2, 3);
    g.config_write(pm + PCI_PM_CTRL, 2, 0);
    assert!(g.host().log().is_empty());
}

#[test]
fn d3hot_to_d0_without_no_soft_reset_resets_the_guest_view() {
    // Alder Lake iGPU: NoSoftRst-, no D1/D2.
    let mut f = recorded("d10_", "00:02.0", PassthroughOptions::default());
    let pm = cap_offset(&f, false, u16::from(PCI_CAP_ID_PM));
    f.config_write(0x10, 4, 0x8000_0004);
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_MEMORY));
    // D1 is not supported: the write is discarded.
    f.config_write(pm + PCI_PM_CTRL, 2, 1);
    assert_eq!(f.power_state(), Some(PowerState::D0));
    f.config_write(pm + PCI_PM_CTRL, 2, 3);
    f.config_write(pm + PCI_PM_CTRL, 2, 0);
    assert!(f.take_events().contains(&FunctionEvent::Reset));
    assert_eq!(f.config_read(0x04, 2), 0, "Command back to its reset value");
    assert_eq!(f.config_read(0x10, 4), 0x4, "BAR0 address lost");
    assert_log_within_policy(&f, "d10 PM");
}

#[test]
fn function_level_reset_resets_host_and_guest_view() {
    let mut f = recorded("d10_", "00:02.0", PassthroughOptions::default());
    let pcie = cap_offset(&f, false, u16::from(PCI_CAP_ID_EXP));
    f.config_write(0x04, 2, u32::from(PCI_COMMAND_MASTER));
    f.host_mut().clear_log();
    f.config_write(pcie + PCI_EXP_DEVCTL, 2, 0x8000);
    assert_eq!(f.host().log(), [HostOp::Reset]);
    assert_eq!(f.config_read(0x04, 2), 0);
    assert_eq!(
        f.config_read(pcie + PCI_EXP_DEVCTL, 2) & 0x8000,
        0,
        "FLR reads 0"
    );
    // Fiji does not advertise FLR: the bit does nothing.
    let mut g = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let pcie = cap_offset(&g, false, u16::from(PCI_CAP_ID_EXP));
    g.config_write(pcie + PCI_EXP_DEVCTL, 2, 0x8000);
    assert!(g.host().log().is_empty());
}

#[test]
fn vpd_reads_go_through_and_writes_never_do() {
    let mut f = recorded("d18_", "2e:00.0", PassthroughOptions::default());
    let vpd = cap_offset(&f, false, u16::from(PCI_CAP_ID_VPD));
    // A read request at address 0x10 reaches the host's VPD Address.
    f.config_write(vpd + 2, 2, 0x0010);
    assert_eq!(f.host_mut().config_read(vpd + 2, 2).unwrap() & 0x7fff, 0x10);
    // A write request (F = 1) and a data write never do.
    f.config_write(vpd + 4, 4, 0xdead_beef);
    f.config_write(vpd + 2, 2, 0x8020);
    assert_eq!(f.host_mut().config_read(vpd + 2, 2).unwrap() & 0x8000, 0);
    assert_ne!(f.host_mut().config_read(vpd + 4, 4).unwrap(), 0xdead_beef);
    assert_eq!(assert_log_within_policy(&f, "VPD"), 1);
    for op in f.host().log() {
        if let HostOp::ConfigWrite { offset, value, .. } = op {
            assert!(*offset == vpd + 2 && value & 0x8000 == 0, "{op:?}");
        }
    }
    assert!(f.warnings().iter().any(|w| w.contains("write VPD")));
}

#[test]
fn read_through_capabilities_drop_writes_unless_permissive() {
    // Fiji's vendor-specific capability at 0x48 and VSEC at 0x100.
    let mut f = recorded("d07_", "09:00.0", PassthroughOptions::default());
    let before = f.config_read(0x4c, 4);
    f.config_write(0x4c, 4, !before);
    f.config_write(0x104, 4, 0x1234_5678);
    // Bytes outside any capability are zero and read-only.
    f.config_write(0xf0, 4, u32::MAX);
    assert_eq!(f.config_read(0xf0, 4), 0);
    assert_eq!(f.config_read(0x4c, 4), before);
    assert!(f.host().log().is_empty());
    let mut p = recorded(
        "d07_",
        "09:00.0",
        PassthroughOptions {
            permissive: true,
            ..PassthroughOptions::default()
        },
    );
    assert!(p.warnings().iter().any(|w| w.contains("permissive")));
    p.config_write(0x104, 4, 0x1234_5678);
    assert_eq!(p.host().log().len(), 1);
    // Even permissive, BARs and MSI stay virtual.
    p.config_write(0x10, 4, u32::MAX);
    p.config_write(0xa4, 4, 0xfee0_0000);
    assert_eq!(p.host().log().len(), 1);
    assert_log_within_policy(&p, "permissive");
}

#[test]
fn overrides_hide_or_expose_with_a_warning_and_refuse_emulated_ones() {
    let o = PassthroughOptions {
        overrides: vec![
            CapOverride {
                cap: CapRef::Ext(PCI_EXT_CAP_ID_SECPCI),
                action: OverrideAction::ReadThrough,
            },
            CapOverride {
                cap: CapRef::Std(PCI_CAP_ID_VNDR),
                action: OverrideAction::Hide,
            },
        ],
        ..PassthroughOptions::default()
    };
    let mut f = recorded("d07_", "09:00.0", o);
    let (std, ext) = assert_guest_chain(&mut f, "overrides");
    assert!(ext.contains(&0x270), "Secondary PCIe shown");
    assert!(!std.contains(&0x48), "vendor-specific hidden");
    assert_eq!(
        f.warnings()
            .iter()
            .filter(|w| w.contains("override"))
            .count(),
        2
    );
    let m = machine("d07_");
    let bad = PassthroughOptions {
        overrides: vec![CapOverride {
            cap: CapRef::Std(PCI_CAP_ID_MSI),
            action: OverrideAction::ReadThrough,
        }],
        ..PassthroughOptions::default()
    };
    let e = PassthroughFunction::new(m.host("09:00.0".parse().unwrap()).unwrap(), bad).unwrap_err();
    assert!(
        e.to_string().contains("0000:09:00.0") && e.to_string().contains("MSI"),
        "{e}"
    );
}

/// Fixture functions the random driver runs against.
const RANDOM_TARGETS: &[(&str, &str)] = &[
    ("d07_", "09:00.0"),
    ("d01_", "01:00.0"),
    ("d10_", "00:02.0"),
    ("d14_", "01:00.0"),
    ("d18_", "2e:00.0"),
    ("d21_", "00:14.0"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever a hostile guest writes (any offset, any size including
    /// invalid ones, any value, in MSI-X memory too), the host sees only
    /// the bits the policy lets through, and nothing panics. Half the
    /// writes aim at the registers the policy knows (header and visible
    /// capabilities), half anywhere; the host may start with decoding off.
    #[test]
    fn random_guest_writes_reach_the_host_only_where_the_policy_allows(
        target in 0..RANDOM_TARGETS.len(),
        permissive in any::<bool>(),
        placement_rc in any::<bool>(),
        host_decode_off in any::<bool>(),
        writes in prop::collection::vec(
            (any::<bool>(), 0u16..0x1010, 0u8..9, any::<u32>(), 0u8..8),
            1..200,
        ),
    ) {
        let (prefix, bdf) = RANDOM_TARGETS[target];
        let options = PassthroughOptions {
            permissive,
            placement: if placement_rc { Placement::RcIntegrated } else { Placement::UnderRootPort },
            ..PassthroughOptions::default()
        };
        let mut f = recorded(prefix, bdf, options);
        if host_decode_off {
            f.host_mut().inner_mut().config_write(0x04, 2, 0).unwrap();
        }
        let mut known: Vec<u16> = (0..0x40).collect();
        for c in f.capabilities().iter().filter(|c| c.decision != Decision::Hidden) {
            known.extend(c.offset..c.offset + c.len);
        }
        let mut mmio_writes = 0;
        for (aim, raw, size, value, kind) in writes {
            let offset = if aim { known[usize::from(raw) % known.len()] } else { raw };
            if kind == 0 {
                // MSI-X table/PBA memory: BAR and offset near where it lives.
                if let Some(t) = f.msix().map(|t| t.table_range()) {
                    let off = t.offset + u64::from(raw % 0x100);
                    f.msix_mmio_write(t.bar, off, size, u64::from(value));
                    let _ = f.msix_mmio_read(t.bar, off, size);
                    mmio_writes += 1;
                }
            } else {
                f.config_write(offset, size, value);
                let _ = f.config_read(offset ^ 0x5, size);
            }
        }
        let _ = (f.take_events(), mmio_writes);
        assert_log_within_policy(&f, &format!("{prefix} {bdf}"));
        for op in f.host().log() {
            prop_assert!(matches!(
                op,
                HostOp::ConfigWrite { .. } | HostOp::Reset | HostOp::SetPowerState(_) | HostOp::ResizeBar { .. }
            ), "{op:?}");
        }
        assert_guest_chain(&mut f, "after random writes");
    }
}
