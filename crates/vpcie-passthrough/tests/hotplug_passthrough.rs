//! Passed-through functions and the platform's hot-plug, AER and link
//! management, with m01's RTX 3070 Ti (01:00.0, AER @420) and its HD Audio
//! (01:00.1) below the host's x16 port 00:01.0 (16 GT/s, x8 wired):
//! - the emulated Root Port's Link Capabilities and Status mirror the
//!   host's port above the GPU;
//! - a guest's Retrain Link reaches the host when the policy allows;
//! - the GPU and its audio function are hot-added as one card and removed
//!   after the guest powers the slot off; the host functions come back;
//! - an error the host reports on the GPU shows in its AER registers and
//!   header log and reaches the Root Port's Root Error Status and Error
//!   Source Identification, with masks and severities honoured.

mod common;

use common::*;
use vpcie_config::regs::*;
use vpcie_passthrough::group::DeviceGroup;
use vpcie_passthrough::host::dump::DumpHost;
use vpcie_passthrough::host::record::{HostOp, RecordingHost};
use vpcie_passthrough::*;
use vpcie_platform::enumerate::assign_bus_numbers;
use vpcie_platform::spec::*;
use vpcie_platform::{
    Delivery, ErrorSeverity, Event, Function, FunctionId, PcieError, Platform, PlatformDescription,
};

type Gpu = PassthroughFunction<RecordingHost<DumpHost>>;

/// Root port PCI Express capability and AER (ICH9 layout).
const RP_PCIE: u16 = 0x40;
const RP_MSI: u16 = 0x80;
const RP_AER: u16 = 0x100;
/// The GPU's PCI Express capability and AER (m01).
const GPU_PCIE: u16 = 0x78;
const GPU_AER: u16 = 0x420;

const PLATFORM: &str = r#"
[[device]]
name = "rp1"
kind = "root-port"
at = "1c.0"

[[device]]
kind = "external"
parent = "rp1"
at = "00.0"
backend = "fn0"

[[device]]
kind = "external"
parent = "rp1"
at = "00.1"
backend = "fn1"

[[device]]
name = "rp2"
kind = "root-port"
at = "1c.1"
"#;

fn gpu_card(options: PassthroughOptions) -> Vec<(u8, Box<dyn Function>)> {
    gpu_card_of(machine("m01_"), options)
}

/// m01 with the GPU's link trained down to 2.5 GT/s (x8): the state after a
/// reset that a guest's Retrain Link is for.
fn slow_m01() -> vpcie_passthrough::host::dump::DumpMachine {
    let text = std::fs::read_to_string(vpcie_testkit::fixture("m01_")).unwrap();
    // 00:01.0's Link Status (PCIe capability at 0x40, LNKSTA at 0x52):
    // Current Link Speed 4 (16 GT/s) -> 1 (2.5 GT/s).
    let fast = "50: 40 00 84 f0 80 25 0c 00 00 00 48 01 08 00 00 00";
    assert_eq!(text.matches(fast).count(), 1, "00:01.0's row 0x50");
    let slow = text.replacen(
        fast,
        "50: 40 00 81 f0 80 25 0c 00 00 00 48 01 08 00 00 00",
        1,
    );
    vpcie_passthrough::host::dump::DumpMachine::parse(&slow, None).unwrap()
}

fn gpu_card_of(
    m: vpcie_passthrough::host::dump::DumpMachine,
    options: PassthroughOptions,
) -> Vec<(u8, Box<dyn Function>)> {
    let hosts = vec![
        RecordingHost::new(m.host("01:00.0".parse().unwrap()).unwrap()),
        RecordingHost::new(m.host("01:00.1".parse().unwrap()).unwrap()),
    ];
    DeviceGroup::new(hosts, options)
        .unwrap()
        .into_functions()
        .into_iter()
        .enumerate()
        .map(|(n, f)| (n as u8, Box::new(f) as Box<dyn Function>))
        .collect()
}

/// The platform with the GPU card cold-plugged below 1c.0 (`mirror`: the
/// port mirrors the host link) and 1c.1 empty.
fn platform(mirror: bool, options: PassthroughOptions) -> Platform {
    platform_of(mirror, gpu_card(options))
}

fn platform_of(mirror: bool, card: Vec<(u8, Box<dyn Function>)>) -> Platform {
    let mut card: Vec<Option<Box<dyn Function>>> = card.into_iter().map(|(_, f)| Some(f)).collect();
    let text = if mirror {
        PLATFORM.to_string()
    } else {
        PLATFORM.replacen("at = \"1c.0\"\n", "at = \"1c.0\"\nmirror_link = false\n", 1)
    };
    let mut p = PlatformDescription::from_toml(&text)
        .unwrap()
        .build_with(&mut |d| {
            let i = usize::from(d.backend.as_deref() == Some("fn1"));
            card[i].take().ok_or_else(|| "placed twice".to_string())
        })
        .unwrap();
    assign_bus_numbers(&mut p);
    p.events().drain();
    p
}

fn gpu(p: &mut Platform, bus: u8) -> &mut Gpu {
    let id = p.function_at(bus, vpcie_platform::Devfn(0)).unwrap();
    p.function_as::<Gpu>(id).expect("the GPU")
}

#[test]
fn root_port_link_mirrors_the_hosts_port_above_the_gpu() {
    let mut p = platform(true, PassthroughOptions::default());
    // Host 00:01.0: LnkCap 16 GT/s x8, LnkSta 16 GT/s x8; LnkCap2 2.5–16 GT/s.
    let lnkcap = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKCAP, 4);
    assert_eq!(
        lnkcap & 0x3ff,
        0x084,
        "Max Link Speed 16 GT/s, Max Link Width x8"
    );
    assert_eq!(lnkcap >> 24, 1, "our Port Number");
    assert_ne!(lnkcap & 0x0010_0000, 0, "DLLLARC");
    assert_eq!(
        p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKCAP2, 4),
        0x1e
    );
    let lnksta = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKSTA, 2) as u16;
    assert_eq!(lnksta & 0x3ff, 0x084, "16 GT/s x8");
    assert_ne!(
        lnksta & PCI_EXP_LNKSTA_DLLLA,
        0,
        "Data Link Layer Link Active"
    );
    let gpu_lnksta = p.config_read(1, 0, 0, GPU_PCIE + PCI_EXP_LNKSTA, 2) as u16;
    assert_eq!(gpu_lnksta & 0x3ff, 0x084, "both ends agree");

    // Without mirroring the port keeps its own 2.5 GT/s x1 and the link
    // trains to that.
    let mut p = platform(false, PassthroughOptions::default());
    let lnkcap = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKCAP, 4);
    assert_eq!(lnkcap & 0x3ff, 0x011);
    let lnksta = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKSTA, 2) as u16;
    assert_eq!(lnksta & 0x3ff, 0x011);
    assert_eq!(
        p.config_read(1, 0, 0, GPU_PCIE + PCI_EXP_LNKSTA, 2) & 0x3ff,
        0x011
    );
}

#[test]
fn guest_retrain_link_reaches_the_host_when_allowed() {
    // A link at full speed and width: nothing to gain, nothing forwarded.
    let mut p = platform(true, PassthroughOptions::default());
    gpu(&mut p, 1).host_mut().clear_log();
    let lnkctl = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKCTL, 2);
    p.config_write(
        0,
        0x1c,
        0,
        RP_PCIE + PCI_EXP_LNKCTL,
        2,
        lnkctl | u32::from(PCI_EXP_LNKCTL_RL),
    );
    assert!(
        gpu(&mut p, 1).host().log().is_empty(),
        "full-speed link not retrained"
    );

    // A link trained down (2.5 GT/s of 16): the retrain reaches the host,
    // once; a guest repeating it at once does not flap the host link.
    let mut p = platform_of(true, gpu_card_of(slow_m01(), PassthroughOptions::default()));
    gpu(&mut p, 1).host_mut().clear_log();
    let lnkctl = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKCTL, 2);
    p.config_write(
        0,
        0x1c,
        0,
        RP_PCIE + PCI_EXP_LNKCTL,
        2,
        lnkctl | u32::from(PCI_EXP_LNKCTL_RL),
    );
    assert_eq!(
        p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKCTL, 2) as u16 & PCI_EXP_LNKCTL_RL,
        0,
        "Retrain Link reads 0"
    );
    assert_eq!(gpu(&mut p, 1).host().log(), &[HostOp::RetrainLink]);
    assert_eq!(gpu(&mut p, 1).host().inner().retrains, 1);
    for _ in 0..100 {
        p.config_write(
            0,
            0x1c,
            0,
            RP_PCIE + PCI_EXP_LNKCTL,
            2,
            lnkctl | u32::from(PCI_EXP_LNKCTL_RL),
        );
    }
    assert_eq!(
        gpu(&mut p, 1).host().inner().retrains,
        1,
        "at most one per LINK_RETRAIN_INTERVAL"
    );
    let rp = p
        .function_at(0, vpcie_platform::Devfn::new(0x1c, 0).unwrap())
        .unwrap();
    let ev = p.events().drain();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::LinkChanged { port, link: Some(l) } if *port == rp && l.width == 8)),
        "{ev:?}"
    );
    assert_ne!(
        p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_LNKSTA, 2) as u16 & PCI_EXP_LNKSTA_LT,
        PCI_EXP_LNKSTA_LT,
        "training done"
    );
    // The policy says no: nothing reaches the host.
    let mut p = platform(
        true,
        PassthroughOptions {
            forward_link_retrain: false,
            ..PassthroughOptions::default()
        },
    );
    gpu(&mut p, 1).host_mut().clear_log();
    p.config_write(
        0,
        0x1c,
        0,
        RP_PCIE + PCI_EXP_LNKCTL,
        2,
        u32::from(PCI_EXP_LNKCTL_RL),
    );
    assert!(gpu(&mut p, 1).host().log().is_empty());
    assert_log_within_policy(gpu(&mut p, 1), "retrain refused");
}

/// The GPU and its audio function go into the empty slot 1c.1 at run time;
/// the guest powers the slot on (pciehp's enable), uses it, powers it off
/// after the attention button; the front end takes the card out and gets
/// the host functions back.
#[test]
fn gpu_card_hot_added_and_removed() {
    let mut p = platform(true, PassthroughOptions::default());
    let rp2 = p
        .function_at(0, vpcie_platform::Devfn::new(0x1c, 1).unwrap())
        .unwrap();
    let bus = p.config_read(0, 0x1c, 1, PCI_SECONDARY_BUS, 1) as u8;
    // portdrv + pciehp probe: MSI, events clear, notifications on.
    p.config_write(0, 0x1c, 1, PCI_COMMAND, 2, u32::from(PCI_COMMAND_MASTER));
    p.config_write(0, 0x1c, 1, RP_MSI + PCI_MSI_ADDRESS_LO, 4, 0xfee0_0000);
    p.config_write(0, 0x1c, 1, RP_MSI + PCI_MSI_DATA_32, 2, 0x41);
    p.config_write(0, 0x1c, 1, RP_MSI + PCI_MSI_FLAGS, 2, 1);
    let sltctl = |p: &mut Platform| p.config_read(0, 0x1c, 1, RP_PCIE + PCI_EXP_SLTCTL, 2) as u16;
    let write_sltctl = |p: &mut Platform, v: u16| {
        p.config_write(0, 0x1c, 1, RP_PCIE + PCI_EXP_SLTCTL, 2, u32::from(v));
        p.config_write(
            0,
            0x1c,
            1,
            RP_PCIE + PCI_EXP_SLTSTA,
            2,
            u32::from(PCI_EXP_SLTSTA_CC),
        );
    };
    p.config_write(0, 0x1c, 1, RP_PCIE + PCI_EXP_SLTSTA, 2, 0x1ff);
    let on = sltctl(&mut p)
        | PCI_EXP_SLTCTL_DLLSCE
        | PCI_EXP_SLTCTL_ABPE
        | PCI_EXP_SLTCTL_HPIE
        | PCI_EXP_SLTCTL_CCIE;
    write_sltctl(&mut p, on);
    p.events().drain();

    let ids = p
        .hot_add_card(rp2, gpu_card(PassthroughOptions::default()))
        .unwrap();
    assert_eq!(ids.len(), 2);
    let ev = p.events().drain();
    assert!(ev.iter().any(|e| matches!(e, Event::Msi { function, address: 0xfee0_0000, data: 0x41 } if *function == rp2)), "{ev:?}");
    assert_eq!(
        p.config_read(bus, 0, 0, 0, 4),
        u32::MAX,
        "slot still powered off"
    );
    // The guest: button seen, events cleared, power on, power indicator on.
    let sta = p.config_read(0, 0x1c, 1, RP_PCIE + PCI_EXP_SLTSTA, 2);
    assert_eq!(
        sta as u16 & (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_PDS),
        0x49
    );
    p.config_write(0, 0x1c, 1, RP_PCIE + PCI_EXP_SLTSTA, 2, sta & 0x11f);
    let ctl = sltctl(&mut p) & !(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
    write_sltctl(
        &mut p,
        ctl | PCI_EXP_SLTCTL_IND_ON << PCI_EXP_SLTCTL_PIC_SHIFT,
    );
    let lnksta = p.config_read(0, 0x1c, 1, RP_PCIE + PCI_EXP_LNKSTA, 2) as u16;
    assert_ne!(lnksta & PCI_EXP_LNKSTA_DLLLA, 0);
    assert_eq!(
        lnksta & 0x3ff,
        0x084,
        "the hot-added GPU's host link, mirrored"
    );
    assert_eq!(
        p.config_read(0, 0x1c, 1, RP_PCIE + PCI_EXP_LNKCAP, 4) & 0x3ff,
        0x084
    );
    assert_eq!(p.config_read(bus, 0, 0, 0, 4), 0x24a0_10de, "the GPU");
    assert_eq!(p.config_read(bus, 0, 1, 0, 2), 0x10de, "its audio function");
    assert_eq!(p.config_read(bus, 0, 0, PCI_HEADER_TYPE, 1) & 0x80, 0x80);
    // The guest's driver programs BAR0 and enables decoding.
    p.config_write(bus, 0, 0, PCI_BASE_ADDRESS_0, 4, 0xfa00_0000);
    p.config_write(bus, 0, 0, PCI_COMMAND, 2, u32::from(PCI_COMMAND_MEMORY));
    let ev = p.events().drain();
    assert!(ev.iter().any(|e| matches!(e, Event::BarChanged { function, change } if *function == ids[0] && change.new == Some(0xfa00_0000))), "{ev:?}");

    // Removal: button, the guest unbinds and powers off.
    p.press_attention_button(rp2).unwrap();
    let f = p.function_as::<Gpu>(ids[0]).unwrap();
    f.host_mut().clear_log();
    p.config_write(bus, 0, 0, PCI_COMMAND, 2, 0);
    let ctl = sltctl(&mut p) & !PCI_EXP_SLTCTL_PIC;
    write_sltctl(
        &mut p,
        ctl | PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_IND_OFF << PCI_EXP_SLTCTL_PIC_SHIFT,
    );
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::SlotPower {
            port: rp2,
            on: false
        }),
        "{ev:?}"
    );
    assert_eq!(p.config_read(bus, 0, 0, 0, 4), u32::MAX);
    let mut removed = p.hot_remove(rp2).unwrap();
    assert_eq!(removed.len(), 2);
    let gpu = removed[0]
        .function
        .as_any_mut()
        .and_then(|a| a.downcast_mut::<Gpu>())
        .expect("the passthrough function comes back");
    assert_eq!(gpu.bdf().to_string(), "0000:01:00.0");
    assert!(
        gpu.host().log().contains(&HostOp::Reset),
        "powering the slot off reset the host function: {:?}",
        gpu.host().log()
    );
    assert_log_within_policy(gpu, "after hot-removal");
    assert_eq!(p.config_read(bus, 0, 0, 0, 4), u32::MAX);
    assert_eq!(p.config_read(bus, 0, 1, 0, 4), u32::MAX);
    assert_eq!(
        p.config_read(0, 0x1c, 1, PCI_SECONDARY_BUS, 1) as u8,
        bus,
        "bus numbers unchanged"
    );
}

/// Errors the host reports on the GPU: AER status (even when masked),
/// severities, First Error Pointer and Header Log; the messages reach the
/// Root Port, whose MSI tells the guest, and the guest clears by writing 1.
#[test]
fn aer_injection_end_to_end_with_masks_and_severities() {
    let mut p = platform(true, PassthroughOptions::default());
    let rp = p
        .function_at(0, vpcie_platform::Devfn::new(0x1c, 0).unwrap())
        .unwrap();
    let gpu_id = p.function_at(1, vpcie_platform::Devfn(0)).unwrap();
    let audio_id = p.function_at(1, vpcie_platform::Devfn(1)).unwrap();
    // pci_configure_serr, aer_enable_rootport (with MSI), device enables.
    p.config_write(
        0,
        0x1c,
        0,
        PCI_BRIDGE_CONTROL,
        2,
        u32::from(PCI_BRIDGE_CTL_SERR),
    );
    p.config_write(0, 0x1c, 0, PCI_COMMAND, 2, u32::from(PCI_COMMAND_MASTER));
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_ADDRESS_LO, 4, 0xfee0_2000);
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_DATA_32, 2, 0x61);
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_FLAGS, 2, 1);
    p.config_write(0, 0x1c, 0, RP_AER + PCI_ERR_ROOT_COMMAND, 4, 0x7);
    let devctl = p.config_read(1, 0, 0, GPU_PCIE + PCI_EXP_DEVCTL, 2);
    p.config_write(1, 0, 0, GPU_PCIE + PCI_EXP_DEVCTL, 2, devctl | 0x7);
    p.events().drain();
    let gpu_aer = |p: &mut Platform, reg: u16| p.config_read(1, 0, 0, GPU_AER + reg, 4);
    let root = |p: &mut Platform, reg: u16| p.config_read(0, 0x1c, 0, RP_AER + reg, 4);
    let msis = |p: &mut Platform| {
        p.events()
            .drain()
            .iter()
            .filter(|e| matches!(e, Event::Msi { function, address: 0xfee0_2000, data: 0x61 } if *function == rp))
            .count()
    };

    // Correctable, unmasked: logged, ERR_COR to the Root Port, one MSI.
    let o = p
        .inject_error(gpu_id, PcieError::correctable(PCI_ERR_COR_BAD_TLP))
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::Correctable));
    assert_eq!(
        o.delivery,
        Delivery::RootPort {
            port: rp,
            interrupt: true
        }
    );
    assert_eq!(gpu_aer(&mut p, PCI_ERR_COR_STATUS), PCI_ERR_COR_BAD_TLP);
    assert_eq!(root(&mut p, PCI_ERR_ROOT_STATUS), PCI_ERR_ROOT_COR_RCV);
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_ERR_SRC) & 0xffff,
        0x0100,
        "source 01:00.0"
    );
    assert_eq!(msis(&mut p), 1);
    // Correctable, masked by the host's default (Advisory Non-Fatal): the
    // status shows it, nothing is sent.
    let o = p
        .inject_error(gpu_id, PcieError::correctable(PCI_ERR_COR_ADV_NFAT))
        .unwrap();
    assert_eq!(o.message, None);
    assert_eq!(o.delivery, Delivery::NotSent);
    assert_eq!(
        gpu_aer(&mut p, PCI_ERR_COR_STATUS),
        PCI_ERR_COR_BAD_TLP | PCI_ERR_COR_ADV_NFAT
    );
    // aer_isr: the guest clears the device's status, then the Root Port's.
    p.config_write(
        1,
        0,
        0,
        GPU_AER + PCI_ERR_COR_STATUS,
        4,
        PCI_ERR_COR_BAD_TLP | PCI_ERR_COR_ADV_NFAT,
    );
    assert_eq!(gpu_aer(&mut p, PCI_ERR_COR_STATUS), 0);
    p.config_write(
        0,
        0x1c,
        0,
        RP_AER + PCI_ERR_ROOT_STATUS,
        4,
        PCI_ERR_ROOT_COR_RCV,
    );
    assert_eq!(root(&mut p, PCI_ERR_ROOT_STATUS), 0);

    // Uncorrectable masked by the guest: status only.
    p.config_write(
        1,
        0,
        0,
        GPU_AER + PCI_ERR_UNCOR_MASK,
        4,
        PCI_ERR_UNC_COMP_TIME,
    );
    let o = p
        .inject_error(gpu_id, PcieError::uncorrectable(PCI_ERR_UNC_COMP_TIME))
        .unwrap();
    assert_eq!(o.delivery, Delivery::NotSent);
    assert_eq!(gpu_aer(&mut p, PCI_ERR_UNCOR_STATUS), PCI_ERR_UNC_COMP_TIME);
    assert_eq!(
        gpu_aer(&mut p, PCI_ERR_CAP) & 0x1f,
        0,
        "no First Error Pointer for a masked error"
    );
    // Non-fatal by the host's severity (Completer Abort), with a TLP header.
    let header = [0x4000_0001, 0x0100_000f, 0xfa00_0000, 0];
    let o = p
        .inject_error(
            gpu_id,
            PcieError::uncorrectable(PCI_ERR_UNC_COMP_ABORT).with_header(header),
        )
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::NonFatal));
    assert_eq!(
        o.delivery,
        Delivery::RootPort {
            port: rp,
            interrupt: true
        }
    );
    assert_eq!(msis(&mut p), 1);
    assert_eq!(
        gpu_aer(&mut p, PCI_ERR_UNCOR_STATUS),
        PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_COMP_ABORT
    );
    assert_eq!(
        gpu_aer(&mut p, PCI_ERR_CAP) & 0x1f,
        15,
        "First Error Pointer: Completer Abort"
    );
    for (i, dw) in header.iter().enumerate() {
        assert_eq!(
            gpu_aer(&mut p, PCI_ERR_HEADER_LOG + 4 * i as u16),
            *dw,
            "header log {i}"
        );
    }
    let devsta = p.config_read(1, 0, 0, GPU_PCIE + PCI_EXP_DEVSTA, 2) as u16;
    assert_eq!(devsta & 0xf, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED);
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_STATUS),
        PCI_ERR_ROOT_UNCOR_RCV | PCI_ERR_ROOT_NONFATAL_RCV
    );
    assert_eq!(root(&mut p, PCI_ERR_ROOT_ERR_SRC) >> 16, 0x0100);
    // The guest makes Completer Abort fatal; a second one keeps the first
    // error's log (no Multiple Header Recording) and is reported as fatal.
    p.config_write(
        1,
        0,
        0,
        GPU_AER + PCI_ERR_UNCOR_SEVER,
        4,
        0x0046_2030 | PCI_ERR_UNC_COMP_ABORT,
    );
    let o = p
        .inject_error(
            gpu_id,
            PcieError::uncorrectable(PCI_ERR_UNC_COMP_ABORT).with_header([1, 2, 3, 4]),
        )
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::Fatal));
    assert_eq!(gpu_aer(&mut p, PCI_ERR_HEADER_LOG), header[0]);
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_STATUS),
        PCI_ERR_ROOT_UNCOR_RCV
            | PCI_ERR_ROOT_MULTI_UNCOR_RCV
            | PCI_ERR_ROOT_NONFATAL_RCV
            | PCI_ERR_ROOT_FATAL_RCV
    );
    assert_eq!(
        msis(&mut p),
        0,
        "the error source is still pending: no new MSI"
    );
    // Cleared by write-1; then an error from the audio function names it.
    p.config_write(1, 0, 0, GPU_AER + PCI_ERR_UNCOR_STATUS, 4, u32::MAX);
    assert_eq!(gpu_aer(&mut p, PCI_ERR_UNCOR_STATUS), 0);
    p.config_write(0, 0x1c, 0, RP_AER + PCI_ERR_ROOT_STATUS, 4, u32::MAX);
    assert_eq!(root(&mut p, PCI_ERR_ROOT_STATUS), 0);
    let devctl = p.config_read(1, 0, 1, 0x78 + PCI_EXP_DEVCTL, 2);
    p.config_write(1, 0, 1, 0x78 + PCI_EXP_DEVCTL, 2, devctl | 0x7);
    let o = p
        .inject_error(audio_id, PcieError::uncorrectable(PCI_ERR_UNC_POISON_TLP))
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::NonFatal));
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_ERR_SRC) >> 16,
        0x0101,
        "source 01:00.1"
    );
    assert_eq!(msis(&mut p), 1);
    assert_eq!(
        p.config_read(1, 0, 1, 0x100 + PCI_ERR_UNCOR_STATUS, 4),
        PCI_ERR_UNC_POISON_TLP
    );
    // Nothing of this reached the host.
    let f = p.function_as::<Gpu>(gpu_id).unwrap();
    assert_log_within_policy(f, "AER injection");
}

#[test]
fn the_host_side_library_api_logs_without_a_platform() {
    let mut f = recorded("m01_", "01:00.0", PassthroughOptions::default());
    let s = f.inject_error(&PcieError::uncorrectable(PCI_ERR_UNC_UNSUP));
    // Reporting disabled (the host's Device Control has no enables): logged only.
    assert_eq!(s, vpcie_platform::ErrorSignal::Logged { message: None });
    assert_eq!(
        f.config_read(GPU_AER + PCI_ERR_UNCOR_STATUS, 4),
        PCI_ERR_UNC_UNSUP
    );
    let devsta = f.config_read(GPU_PCIE + PCI_EXP_DEVSTA, 2) as u16;
    assert_eq!(devsta & 0xf, PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_URD);
    let _ = FunctionId(0);
}
