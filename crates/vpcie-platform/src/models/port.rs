//! PCI Express ports and the PCIe-to-PCI bridge: one Type 1 model, the
//! identity and capability layout varying by kind (as crosvm's
//! `pcie_port.rs` shares one port between root and switch ports).
//!
//! | kind | identity | capabilities | source of the layout |
//! |---|---|---|---|
//! | Root Port at 00:1c.0–1c.5 | ICH9 8086:2940/42/44/46/48/4a, rev 02 | PCIe v2 @40, MSI 32-bit @80, SSVID @90, PM @a0, AER @100 | real ICH8M/ICH9 port (fixture m04); AER added (issue 3; ICH9 has VC there) |
//! | Root Port elsewhere | QEMU generic 1b36:000c, rev 00 | same layout | ours |
//! | switch upstream port | TI XIO3130 104c:8232, rev 02 | PM @40, MSI 64-bit @70, SSVID @80, PCIe v2 @90, AER @100 | QEMU `x3130-upstream` + PM |
//! | switch downstream port | TI XIO3130 104c:8233, rev 01 | same | QEMU `xio3130-downstream` + PM |
//! | PCIe-to-PCI bridge | QEMU 1b36:000e, rev 00 | PCIe v2 (type 7) @48, PM @84, MSI 64-bit @8c, AER @100 | QEMU `pcie-pci-bridge` without SHPC |
//!
//! PCI Express requires the PM capability of every function (PCIe r6.x
//! §7.5.2); QEMU's ports lack it, ours have it.
//!
//! Root Ports and switch downstream ports have a slot: native hot-plug by
//! default ([`SlotOptions::NATIVE`], see [`super::hotplug`]), interrupts
//! by MSI or INTx ([`super::interrupt`]); Root Ports also log the error and
//! PME messages their hierarchy sends ([`crate::signal`]).

use super::caps::*;
use super::header::{TYPE1_PCIE_PORT, TYPE1_PCIE_TO_PCI};
use super::hotplug::{PCIE_SLOT_HOTPLUG, SlotOptions};
use super::interrupt::PortState;
use super::{Model, Role, set_identity, set_pcie};
use crate::function::{Link, LinkSpeed};
use crate::platform::Devfn;
use crate::regs::*;
use vpcie_config::regs::*;
use vpcie_config::{BitPolicy, ConfigSize, ConfigSpace};

/// What varies between ports of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortOptions {
    /// Port Number in Link Capabilities.
    pub port_number: u8,
    /// Physical Slot Number in Slot Capabilities (unique per chassis).
    pub slot_number: u16,
    /// The widest, fastest link the port trains.
    pub link: Link,
    /// The slot of a Root Port or downstream port: hot-plug and what it
    /// offers ([`SlotOptions::NONE`]: no hot-plug).
    pub slot: SlotOptions,
    /// With a passed-through device below, Link Capabilities show the
    /// host's port above it (Max Link Speed and Width) instead of `link`.
    pub mirror_link: bool,
}

impl Default for PortOptions {
    fn default() -> Self {
        PortOptions {
            port_number: 1,
            slot_number: 1,
            link: Link {
                speed: LinkSpeed::GT2_5,
                width: 1,
            },
            slot: SlotOptions::NATIVE,
            mirror_link: true,
        }
    }
}

/// Interrupt Pin of the ICH9 root ports by function (D28IP default
/// 0x00214321: F0 INTA, F1 INTB, F2 INTC, F3 INTD, F4 INTA, F5 INTB).
fn ich9_root_port_pin(function: u8) -> u8 {
    function % 4 + 1
}

/// A PCI Express Root Port placed at `devfn` on bus 0: the ICH9 port of
/// that function at device 0x1c (functions 0–5), QEMU's generic root port
/// identity elsewhere.
pub fn root_port(devfn: Devfn, opts: PortOptions) -> Model {
    let ich9 = devfn.device() == ICH9_PCIE_DEV && devfn.function() < ICH9_ROOT_PORTS;
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.apply(0, TYPE1_PCIE_PORT).expect("static table");
    cfg.set_u8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE);
    let (name, pin) = if ich9 {
        let f = devfn.function();
        set_identity(
            &mut cfg,
            PCI_VENDOR_ID_INTEL,
            PCI_DEVICE_ID_INTEL_ICH9_RP1 + 2 * u16::from(f),
            0x02,
            CLASS_BRIDGE_PCI,
        );
        (
            format!("ICH9 PCI Express Root Port {}", f + 1),
            ich9_root_port_pin(f),
        )
    } else {
        set_identity(
            &mut cfg,
            PCI_VENDOR_ID_REDHAT,
            PCI_DEVICE_ID_REDHAT_PCIE_RP,
            0,
            CLASS_BRIDGE_PCI,
        );
        ("PCI Express Root Port".to_string(), 1)
    };
    cfg.set_u8(PCI_INTERRUPT_PIN, pin);
    // ICH9 layout: PCIe @40 → MSI @80 → SSVID @90 → PM @a0; AER @100.
    const PCIE: u16 = 0x40;
    const MSI: u16 = 0x80;
    const SSVID_AT: u16 = 0x90;
    const PM_AT: u16 = 0xa0;
    const AER_AT: u16 = 0x100;
    Layout::new(&mut cfg)
        .cap(PCIE, PCI_CAP_ID_EXP, PCIE_CAP_COMMON)
        .extra(PCIE, PCIE_CAP_DOWNSTREAM)
        .extra(PCIE, PCIE_CAP_ROOT)
        .cap(MSI, PCI_CAP_ID_MSI, MSI_32)
        .cap(SSVID_AT, PCI_CAP_ID_SSVID, SSVID)
        .cap(PM_AT, PCI_CAP_ID_PM, PM)
        .ext_cap(AER_AT, PCI_EXT_CAP_ID_ERR, 2, AER)
        .extra(AER_AT, AER_ROOT);
    set_pcie(
        &mut cfg,
        PCIE,
        PCI_EXP_TYPE_ROOT_PORT,
        true,
        opts.link,
        opts.port_number,
    );
    set_slot(&mut cfg, PCIE, &opts);
    set_ssvid(&mut cfg, SSVID_AT);
    let mut model = Model::new(cfg, name, Role::Other);
    model.link.pcie = Some(PCIE);
    model.link.downstream_cap = Some(opts.link);
    model.sticky = sticky(AER_AT, &[AER_STICKY, AER_ROOT_STICKY]);
    model.aer = Some(AER_AT);
    model.port = Some(port_state(PCIE, MSI, AER_AT, true, &opts));
    model.init_slot_power();
    model.fixup();
    model.cfg.mark_reset_state();
    model
}

/// A switch upstream port (TI XIO3130 identity, QEMU's layout plus PM).
pub fn switch_upstream(link: Link) -> Model {
    // Port Number 0, as QEMU's x3130-upstream.
    switch_port(
        PCI_EXP_TYPE_UPSTREAM,
        PortOptions {
            link,
            port_number: 0,
            slot_number: 0,
            slot: SlotOptions::NONE,
            mirror_link: false,
        },
    )
}

/// A switch downstream port (TI XIO3130 identity, QEMU's layout plus PM).
pub fn switch_downstream(opts: PortOptions) -> Model {
    switch_port(PCI_EXP_TYPE_DOWNSTREAM, opts)
}

fn switch_port(port_type: u8, opts: PortOptions) -> Model {
    let downstream = port_type == PCI_EXP_TYPE_DOWNSTREAM;
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.apply(0, TYPE1_PCIE_PORT).expect("static table");
    cfg.set_u8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE);
    let (device, revision, name) = if downstream {
        (
            PCI_DEVICE_ID_TI_XIO3130D,
            0x01,
            "PCI Express switch downstream port",
        )
    } else {
        (
            PCI_DEVICE_ID_TI_XIO3130U,
            0x02,
            "PCI Express switch upstream port",
        )
    };
    set_identity(
        &mut cfg,
        PCI_VENDOR_ID_TI,
        device,
        revision,
        CLASS_BRIDGE_PCI,
    );
    // Interrupt Pin 0: events by MSI only, as QEMU's xio3130 ports.
    const PM_AT: u16 = 0x40;
    const MSI: u16 = 0x70;
    const SSVID_AT: u16 = 0x80;
    const PCIE: u16 = 0x90;
    const AER_AT: u16 = 0x100;
    let mut layout = Layout::new(&mut cfg);
    layout
        .cap(PCIE, PCI_CAP_ID_EXP, PCIE_CAP_COMMON)
        .cap(SSVID_AT, PCI_CAP_ID_SSVID, SSVID)
        .cap(MSI, PCI_CAP_ID_MSI, MSI_64)
        .cap(PM_AT, PCI_CAP_ID_PM, PM)
        .ext_cap(AER_AT, PCI_EXT_CAP_ID_ERR, 2, AER);
    if downstream {
        layout.extra(PCIE, PCIE_CAP_DOWNSTREAM);
    }
    set_pcie(
        &mut cfg,
        PCIE,
        port_type,
        downstream,
        opts.link,
        opts.port_number,
    );
    if downstream {
        set_slot(&mut cfg, PCIE, &opts);
    }
    set_ssvid(&mut cfg, SSVID_AT);
    let mut model = Model::new(cfg, name, Role::Other);
    model.link.pcie = Some(PCIE);
    if downstream {
        model.link.downstream_cap = Some(opts.link);
        model.port = Some(port_state(PCIE, MSI, AER_AT, false, &opts));
        model.init_slot_power();
    } else {
        model.link.upstream_cap = Some(opts.link);
    }
    model.aer = Some(AER_AT);
    model.sticky = sticky(AER_AT, &[AER_STICKY]);
    model.fixup();
    model.cfg.mark_reset_state();
    model
}

/// A PCIe-to-PCI bridge (QEMU `pcie-pci-bridge` identity, without SHPC):
/// its secondary bus is conventional PCI.
pub fn pcie_to_pci_bridge(link: Link) -> Model {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.apply(0, TYPE1_PCIE_PORT).expect("static table");
    cfg.apply(0, TYPE1_PCIE_TO_PCI).expect("static table");
    cfg.set_u8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE);
    set_identity(
        &mut cfg,
        PCI_VENDOR_ID_REDHAT,
        PCI_DEVICE_ID_REDHAT_PCIE_BRIDGE,
        0,
        CLASS_BRIDGE_PCI,
    );
    cfg.set_u8(PCI_INTERRUPT_PIN, 1); // QEMU pcie-pci-bridge: INTA
    // Secondary Status: 66 MHz capable (the conventional side), as QEMU.
    cfg.set_u16(PCI_SEC_STATUS, PCI_STATUS_66MHZ);
    const PCIE: u16 = 0x48;
    const PM_AT: u16 = 0x84;
    const MSI: u16 = 0x8c;
    const AER_AT: u16 = 0x100;
    Layout::new(&mut cfg)
        .cap(MSI, PCI_CAP_ID_MSI, MSI_64)
        .cap(PM_AT, PCI_CAP_ID_PM, PM)
        .cap(PCIE, PCI_CAP_ID_EXP, PCIE_CAP_COMMON)
        .ext_cap(AER_AT, PCI_EXT_CAP_ID_ERR, 2, AER);
    set_pcie(&mut cfg, PCIE, PCI_EXP_TYPE_PCI_BRIDGE, false, link, 0);
    let mut model = Model::new(cfg, "PCIe-to-PCI bridge", Role::Other);
    model.link.pcie = Some(PCIE);
    model.link.upstream_cap = Some(link);
    model.aer = Some(AER_AT);
    model.sticky = sticky(AER_AT, &[AER_STICKY]);
    model.fixup();
    model.cfg.mark_reset_state();
    model
}

/// Slot Capabilities from the port's options (Physical Slot Number in bits
/// 31:19, the hot-plug features); a hot-plug slot gets the hot-plug slot
/// table, with the Slot Control bits its capabilities lack made read-only.
fn set_slot(cfg: &mut ConfigSpace, pcie: u16, opts: &PortOptions) {
    let cap = opts.slot.capabilities(opts.slot_number);
    if opts.slot.hotplug {
        cfg.apply(pcie, PCIE_SLOT_HOTPLUG).expect("static table");
        cfg.set_policy(
            pcie + PCI_EXP_SLTCTL,
            2,
            BitPolicy {
                writable: u32::from(SlotOptions::control_writable(cap)),
                ..BitPolicy::READ_ONLY
            },
        );
    }
    cfg.set_u32(pcie + PCI_EXP_SLTCAP, cap);
}

/// The state a downstream port keeps beside its image.
fn port_state(pcie: u16, msi: u16, aer: u16, root: bool, opts: &PortOptions) -> Box<PortState> {
    let mut p = PortState::new(pcie, Some(msi), Some(aer), root, true);
    p.mirror_link = opts.mirror_link;
    if opts.slot.hotplug {
        p.slot = Some(super::hotplug::Slot {
            options: opts.slot,
            powered: true,
            command_pending: false,
        });
    }
    Box::new(p)
}

/// Bridge subsystem IDs: QEMU's default subsystem (as the MCH and LPC).
fn set_ssvid(cfg: &mut ConfigSpace, at: u16) {
    cfg.set_u16(at + PCI_SSVID_VENDOR_ID, PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
    cfg.set_u16(at + PCI_SSVID_DEVICE_ID, PCI_SUBDEVICE_ID_QEMU);
}

fn sticky(base: u16, parts: &[&[(u16, u16)]]) -> Vec<(u16, u16)> {
    parts
        .iter()
        .flat_map(|p| p.iter().map(|&(a, b)| (base + a, base + b)))
        .collect()
}
