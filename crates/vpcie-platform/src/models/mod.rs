//! The emulated functions: Q35 MCH and ICH9 LPC, PCI Express Root Ports
//! and switch ports, the PCIe-to-PCI bridge, a plain endpoint.
//!
//! Every model is a [`Model`]: a [`ConfigSpace`] built from declarative
//! policy tables (`header`, `caps` and each model's own), plus the few
//! named hooks below. Parameters (IDs, port and slot numbers, link widths)
//! are written into the image by the constructors, each with its source.

pub mod caps;
pub mod endpoint;
pub mod header;
pub mod lpc;
pub mod mch;
pub mod port;

use crate::function::{Function, Link, Notify};
use vpcie_config::regs::*;
use vpcie_config::{BarChange, ConfigHandler, ConfigSize, ConfigSpace, HookId, RegWrite};

/// Hook: MCH PCIEXBAR written (moves the ECAM window).
pub const HOOK_PCIEXBAR: HookId = HookId(1);
/// Hook: LPC PIRQx_ROUT written (re-routes INTx).
pub const HOOK_PIRQ: HookId = HookId(2);
/// Hook: LPC PMBASE or ACPI_CNTL written (moves the ACPI PM block / SCI).
pub const HOOK_ACPI_PM: HookId = HookId(3);
/// Hook: PMCSR written (unsupported power states are ignored).
pub const HOOK_PMCSR: HookId = HookId(4);

/// Where a model's PCI Express link state lives, for the link fix-ups.
#[derive(Clone, Copy, Debug, Default)]
struct LinkRegs {
    /// Offset of the PCI Express capability.
    pcie: Option<u16>,
    /// The link the function's upstream port can train to.
    upstream_cap: Option<Link>,
    /// The link a downstream port can train on its secondary side.
    downstream_cap: Option<Link>,
    /// What the platform said trained upstream.
    upstream: Option<Link>,
    /// What the platform said trained downstream (and so: slot occupied).
    downstream: Option<Link>,
}

/// An emulated function: configuration space, name and link state.
#[derive(Clone, Debug)]
pub struct Model {
    cfg: ConfigSpace,
    name: String,
    /// Register ranges kept across a conventional reset (sticky bits).
    sticky: Vec<(u16, u16)>,
    link: LinkRegs,
    multifunction: bool,
    /// Header Type's multi-function bit is fixed on (ICH9 LPC).
    always_multifunction: bool,
    role: Role,
}

/// Models whose side effects reach the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Mch,
    Lpc,
    Other,
}

impl Model {
    /// A model from a built configuration space; records its reset state.
    fn new(mut cfg: ConfigSpace, name: impl Into<String>, role: Role) -> Self {
        cfg.mark_reset_state();
        Model {
            cfg,
            name: name.into(),
            sticky: Vec::new(),
            link: LinkRegs::default(),
            multifunction: false,
            always_multifunction: false,
            role,
        }
    }

    /// The configuration space (image and policy), for tests and dumps.
    pub fn config(&self) -> &ConfigSpace {
        &self.cfg
    }

    /// Rewrites what the platform, not the guest, decides: the
    /// multi-function bit and the link and slot state.
    fn fixup(&mut self) {
        let ht = self.cfg.get_u8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
        let mfd = if self.multifunction || self.always_multifunction {
            PCI_HEADER_TYPE_MFD
        } else {
            0
        };
        self.cfg.set_u8(PCI_HEADER_TYPE, ht | mfd);
        let Some(pcie) = self.link.pcie else { return };
        let port_type = (self.cfg.get_u16(pcie + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE)
            >> PCI_EXP_FLAGS_TYPE_SHIFT;
        let downstream = matches!(
            port_type as u8,
            PCI_EXP_TYPE_ROOT_PORT | PCI_EXP_TYPE_DOWNSTREAM
        );
        let lnksta = pcie + PCI_EXP_LNKSTA;
        let (current, active) = if downstream {
            (self.link.downstream, self.link.downstream.is_some())
        } else {
            (self.link.upstream.or(self.link.upstream_cap), false)
        };
        // An empty slot's link is down: speed 2.5 GT/s, width 0 (as real
        // empty ICH ports read).
        let (speed, width) = current.map_or((1, 0), |l| (l.speed.0, l.width));
        let mut sta =
            u32::from(speed & 0xf) | u32::from(width & 0x3f) << 4 | caps::PCI_EXP_LNKSTA_SLC;
        if active {
            sta |= caps::PCI_EXP_LNKSTA_DLLLA;
        }
        self.cfg.set_u16(lnksta, sta as u16);
        if downstream && self.cfg.get_u16(pcie + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT != 0 {
            let sltsta = pcie + PCI_EXP_SLTSTA;
            if self.link.downstream.is_some() {
                self.cfg.set_bits(sltsta, 2, caps::PCI_EXP_SLTSTA_PDS);
            } else {
                self.cfg.clear_bits(sltsta, 2, caps::PCI_EXP_SLTSTA_PDS);
            }
        }
    }
}

/// The hooks of all models, with the platform's notifier.
struct Hooks<'n, 'a> {
    notify: &'n mut Notify<'a>,
}

impl ConfigHandler for Hooks<'_, '_> {
    fn on_write(&mut self, cfg: &mut ConfigSpace, hook: HookId, write: RegWrite) {
        match hook {
            HOOK_PCIEXBAR => mch::on_pciexbar_write(cfg, self.notify),
            HOOK_PIRQ => self.notify.pirq_routes_touched(),
            HOOK_ACPI_PM => self.notify.acpi_pm_touched(),
            HOOK_PMCSR => on_pmcsr_write(cfg, write),
            _ => {}
        }
    }

    fn on_bar_change(&mut self, _cfg: &ConfigSpace, change: BarChange) {
        self.notify.bar_changed(change);
    }
}

/// PMCSR: a write of D1 or D2, which our functions do not support, leaves
/// the power state as it was (PCI PM 1.2 §5.4.1).
fn on_pmcsr_write(cfg: &mut ConfigSpace, write: RegWrite) {
    let at = write.dword_offset();
    let state = cfg.get_u32(at) & u32::from(PCI_PM_CTRL_STATE_MASK);
    if state == 1 || state == 2 {
        let old = write.old_dword & u32::from(PCI_PM_CTRL_STATE_MASK);
        cfg.clear_bits(at, 4, u32::from(PCI_PM_CTRL_STATE_MASK));
        cfg.set_bits(at, 4, old);
    }
}

impl Function for Model {
    fn config_size(&self) -> ConfigSize {
        self.cfg.size()
    }

    #[inline]
    fn config_read(&mut self, offset: u16, size: u8) -> u32 {
        self.cfg.read(offset, size, &mut vpcie_config::NoHandler)
    }

    #[inline]
    fn config_write(&mut self, offset: u16, size: u8, value: u32, notify: &mut Notify<'_>) {
        self.cfg.write(offset, size, value, &mut Hooks { notify });
    }

    fn reset(&mut self, notify: &mut Notify<'_>) {
        let saved: Vec<(u16, u32)> = self
            .sticky
            .iter()
            .flat_map(|&(start, end)| (start..end).step_by(4))
            .map(|off| (off, self.cfg.get_u32(off)))
            .collect();
        self.cfg.reset(&mut Hooks { notify });
        for (off, value) in saved {
            self.cfg.set_u32(off, value);
        }
        self.fixup();
        match self.role {
            Role::Mch => mch::on_pciexbar_write(&mut self.cfg, notify),
            Role::Lpc => {
                notify.pirq_routes_touched();
                notify.acpi_pm_touched();
            }
            Role::Other => {}
        }
    }

    fn link_capability(&self) -> Option<Link> {
        self.link.upstream_cap
    }

    fn set_upstream_link(&mut self, link: Option<Link>) {
        self.link.upstream = link;
        self.fixup();
    }

    fn link_capability_downstream(&self) -> Option<Link> {
        self.link.downstream_cap
    }

    fn set_downstream_link(&mut self, link: Option<Link>) {
        self.link.downstream = link;
        self.fixup();
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }

    fn set_multifunction(&mut self, multifunction: bool) {
        self.multifunction = multifunction;
        self.fixup();
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// Sets vendor, device, revision and class code.
fn set_identity(cfg: &mut ConfigSpace, vendor: u16, device: u16, revision: u8, class: u32) {
    cfg.set_u16(PCI_VENDOR_ID, vendor);
    cfg.set_u16(PCI_DEVICE_ID, device);
    cfg.set_u32(PCI_CLASS_REVISION, class << 8 | u32::from(revision));
}

/// Fills a PCI Express capability's identity and link registers.
fn set_pcie(
    cfg: &mut ConfigSpace,
    pcie: u16,
    port_type: u8,
    slot: bool,
    link: Link,
    port_number: u8,
) {
    let mut flags = 2 | u16::from(port_type) << PCI_EXP_FLAGS_TYPE_SHIFT;
    if slot {
        flags |= PCI_EXP_FLAGS_SLOT;
    }
    cfg.set_u16(pcie + PCI_EXP_FLAGS, flags);
    let downstream = matches!(port_type, PCI_EXP_TYPE_ROOT_PORT | PCI_EXP_TYPE_DOWNSTREAM);
    let mut lnkcap = u32::from(port_number) << 24
        | u32::from(link.width & 0x3f) << PCI_EXP_LNKCAP_MLW_SHIFT
        | u32::from(link.speed.0 & 0xf);
    if downstream {
        lnkcap |= caps::PCI_EXP_LNKCAP_DLLLARC;
    }
    cfg.set_u32(pcie + PCI_EXP_LNKCAP, lnkcap);
    // Supported Link Speeds Vector: every speed up to the maximum (§7.5.3.18).
    let speeds = ((1u32 << (link.speed.0.clamp(1, 7))) - 1) << 1;
    cfg.set_u32(pcie + PCI_EXP_LNKCAP2, speeds);
    cfg.set_u16(pcie + PCI_EXP_LNKCTL2, u16::from(link.speed.0 & 0xf));
}
