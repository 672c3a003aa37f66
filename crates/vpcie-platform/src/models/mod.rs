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
pub mod hotplug;
pub mod interrupt;
pub mod lpc;
pub mod mch;
pub mod port;

use crate::function::{Function, Link, Notify};
use crate::signal::{ErrorRegs, ErrorSeverity, ErrorSignal, PcieError, PmeSignal};
use crate::spec::*;
use hotplug::{Indicator, SlotState};
use interrupt::{PortState, slot_powered};
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
/// Hook: a port's Slot Control / Slot Status written (commands, power,
/// hot-plug interrupt).
pub const HOOK_SLOT: HookId = HookId(5);
/// Hook: a downstream port's Link Control written (Link Disable, Retrain Link).
pub const HOOK_LINK: HookId = HookId(6);
/// Hook: a Root Port's Root Control / Root Status written (PME).
pub const HOOK_ROOT: HookId = HookId(7);
/// Hook: a Root Port's Root Error Command / Status written (error interrupt).
pub const HOOK_AER_ROOT: HookId = HookId(8);
/// Hook: Command or MSI Message Control written (where a port's interrupt goes).
pub const HOOK_IRQ: HookId = HookId(9);

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
    /// A downstream port's slot and interrupt state.
    port: Option<Box<PortState>>,
    /// The AER capability, if the model has one.
    aer: Option<u16>,
    /// The Power Management capability, if the model signals PME.
    pme: Option<u16>,
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
            port: None,
            aer: None,
            pme: None,
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
            // Presence is the card's, not the link's: a powered-off card
            // is present with its link down.
            let present = self
                .port
                .as_ref()
                .map_or(self.link.downstream.is_some(), |p| p.present);
            let sltsta = pcie + PCI_EXP_SLTSTA;
            if present {
                self.cfg.set_bits(sltsta, 2, caps::PCI_EXP_SLTSTA_PDS);
            } else {
                self.cfg.clear_bits(sltsta, 2, caps::PCI_EXP_SLTSTA_PDS);
            }
        }
    }

    // -----------------------------------------------------------------
    // Ports: what the platform asks of a Root Port or downstream port
    // -----------------------------------------------------------------

    /// Whether this is a Root Port.
    pub fn is_root_port(&self) -> bool {
        self.port.as_ref().is_some_and(|p| p.root)
    }

    /// Whether this is a downstream port (Root Port or switch downstream port).
    pub fn is_downstream_port(&self) -> bool {
        self.port.as_ref().is_some_and(|p| p.downstream)
    }

    /// The hot-plug slot's state (`None`: not a Hot-Plug Capable port).
    pub fn slot(&self) -> Option<SlotState> {
        let port = self.port.as_ref()?;
        let slot = port.slot.as_ref()?;
        let control = self.cfg.get_u16(port.pcie + PCI_EXP_SLTCTL);
        let o = slot.options;
        Some(SlotState {
            options: o,
            present: port.present,
            powered: slot_powered(&self.cfg, port.pcie, slot),
            link_up: self.link.downstream.is_some(),
            attention_indicator: o
                .attention_indicator
                .then(|| Indicator::from_bits(control >> PCI_EXP_SLTCTL_AIC_SHIFT)),
            power_indicator: o
                .power_indicator
                .then(|| Indicator::from_bits(control >> PCI_EXP_SLTCTL_PIC_SHIFT)),
            control,
            status: self.cfg.get_u16(port.pcie + PCI_EXP_SLTSTA),
            command_pending: slot.command_pending,
        })
    }

    /// Whether the port lets its link train: the slot is powered (always,
    /// without a power controller) and Link Disable is clear.
    pub(crate) fn link_enabled(&self) -> bool {
        let Some(port) = self.port.as_ref() else {
            return true;
        };
        let disabled = port.downstream
            && self.cfg.get_u16(port.pcie + PCI_EXP_LNKCTL) & PCI_EXP_LNKCTL_LD != 0;
        let powered = port
            .slot
            .as_ref()
            .is_none_or(|s| slot_powered(&self.cfg, port.pcie, s));
        powered && !disabled
    }

    /// Whether the slot holds a card, without an event (at build): Slot
    /// Control takes the occupancy's reset values, and they become the
    /// reset state.
    pub(crate) fn init_presence(&mut self, present: bool) {
        let Some(p) = self.port.as_mut() else {
            return;
        };
        p.present = present;
        self.init_slot_power();
        self.fixup();
    }

    /// A card arrived or left: Presence Detect State and Changed. Returns
    /// whether the port interrupted.
    pub(crate) fn card_changed(&mut self, present: bool, notify: &mut Notify<'_>) -> bool {
        let Some(p) = self.port.as_mut() else {
            return false;
        };
        if p.present == present {
            return false;
        }
        p.present = present;
        self.fixup();
        self.slot_event(PCI_EXP_SLTSTA_PDC, notify)
    }

    /// Raises Slot Status events and the hot-plug interrupt.
    pub(crate) fn slot_event(&mut self, events: u16, notify: &mut Notify<'_>) -> bool {
        match self.port.as_mut() {
            Some(p) => p.slot_event(&mut self.cfg, events, notify),
            None => false,
        }
    }

    /// The attention button is pressed; `false` without a button.
    pub(crate) fn press_attention_button(&mut self, notify: &mut Notify<'_>) -> bool {
        let has_button = self
            .port
            .as_ref()
            .and_then(|p| p.slot.as_ref())
            .is_some_and(|s| s.options.attention_button);
        if has_button {
            self.slot_event(PCI_EXP_SLTSTA_ABP, notify);
        }
        has_button
    }

    /// Completes a deferred Slot Control command.
    pub(crate) fn complete_slot_command(&mut self, notify: &mut Notify<'_>) -> bool {
        match self.port.as_mut() {
            Some(p) => p.complete_command(&mut self.cfg, notify),
            None => false,
        }
    }

    /// Slot Control as a slot comes out of reset (QEMU
    /// `pcie_cap_slot_reset`): an occupied slot powered with its power
    /// indicator on, an empty one powered off with it off; the attention
    /// indicator off.
    fn init_slot_power(&mut self) {
        let Some(port) = self.port.as_mut() else {
            return;
        };
        let Some(slot) = port.slot.as_mut() else {
            return;
        };
        let at = port.pcie + PCI_EXP_SLTCTL;
        let mut ctl =
            self.cfg.get_u16(at) & !(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC | PCI_EXP_SLTCTL_AIC);
        let o = slot.options;
        if o.attention_indicator {
            ctl |= PCI_EXP_SLTCTL_IND_OFF << PCI_EXP_SLTCTL_AIC_SHIFT;
        }
        if o.power_indicator {
            let ind = if port.present {
                PCI_EXP_SLTCTL_IND_ON
            } else {
                PCI_EXP_SLTCTL_IND_OFF
            };
            ctl |= ind << PCI_EXP_SLTCTL_PIC_SHIFT;
        }
        if o.power_controller && !port.present {
            ctl |= PCI_EXP_SLTCTL_PCC;
        }
        self.cfg.set_u16(at, ctl);
        slot.powered = slot_powered(&self.cfg, port.pcie, slot);
    }

    /// The link the port trains downstream, as its Link Capabilities say:
    /// the host's port above a passthrough device when mirroring (`host`),
    /// else the port's own. Rewrites Max Link Speed / Width and the
    /// Supported Link Speeds Vector accordingly.
    pub(crate) fn mirror_link_capability(&mut self, host: Option<Link>) -> Option<Link> {
        let own = self.link.downstream_cap?;
        let pcie = self.link.pcie?;
        let mirror = self.port.as_ref().is_some_and(|p| p.mirror_link);
        let cap = match host {
            Some(h) if mirror && h.speed.0 >= 1 && h.width >= 1 => h,
            _ => own,
        };
        let at = pcie + PCI_EXP_LNKCAP;
        let lnkcap = self.cfg.get_u32(at) & !(PCI_EXP_LNKCAP_SLS | PCI_EXP_LNKCAP_MLW)
            | u32::from(cap.speed.0 & 0xf)
            | u32::from(cap.width & 0x3f) << PCI_EXP_LNKCAP_MLW_SHIFT;
        self.cfg.set_u32(at, lnkcap);
        let speeds = ((1u32 << cap.speed.0.clamp(1, 7)) - 1) << 1;
        self.cfg.set_u32(pcie + PCI_EXP_LNKCAP2, speeds);
        Some(cap)
    }

    /// An uncorrectable error message crossed this bridge from below:
    /// Secondary Status, Received System Error (PCIe r6.x §7.5.1.3.7).
    pub(crate) fn note_received_system_error(&mut self) {
        if self.cfg.get_u8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK == PCI_HEADER_TYPE_BRIDGE {
            self.cfg.set_bits(
                PCI_SEC_STATUS,
                2,
                u32::from(PCI_SEC_STATUS_RCV_SYSTEM_ERROR),
            );
        }
    }

    /// A Root Port receives an error message; `true` if it interrupts.
    pub(crate) fn receive_error(
        &mut self,
        severity: ErrorSeverity,
        source: u16,
        notify: &mut Notify<'_>,
    ) -> bool {
        match self.port.as_mut() {
            Some(p) => p.receive_error(&mut self.cfg, severity, source, notify),
            None => false,
        }
    }

    /// A Root Port receives PM_PME; `true` if it interrupts.
    pub(crate) fn receive_pme(&mut self, source: u16, notify: &mut Notify<'_>) -> bool {
        match self.port.as_mut() {
            Some(p) => p.receive_pme(&mut self.cfg, source, notify),
            None => false,
        }
    }

    /// Whether the port's INTx line is asserted.
    pub fn intx_asserted(&self) -> bool {
        self.port.as_ref().is_some_and(|p| p.intx())
    }
}

/// The hooks of all models, with the platform's notifier and, for a port,
/// its slot and interrupt state.
struct Hooks<'n, 'a, 'p> {
    notify: &'n mut Notify<'a>,
    port: Option<&'p mut PortState>,
}

impl ConfigHandler for Hooks<'_, '_, '_> {
    fn on_write(&mut self, cfg: &mut ConfigSpace, hook: HookId, write: RegWrite) {
        match hook {
            HOOK_PCIEXBAR => mch::on_pciexbar_write(cfg, self.notify),
            HOOK_PIRQ => self.notify.pirq_routes_touched(),
            HOOK_ACPI_PM => self.notify.acpi_pm_touched(),
            HOOK_PMCSR => on_pmcsr_write(cfg, write),
            HOOK_SLOT => {
                if let Some(p) = self.port.as_mut() {
                    p.on_slot_write(cfg, write, self.notify);
                }
            }
            HOOK_LINK => {
                if let Some(p) = self.port.as_mut() {
                    p.on_link_write(cfg, write, self.notify);
                }
            }
            HOOK_ROOT => {
                if let Some(p) = self.port.as_mut() {
                    p.on_root_write(cfg, self.notify);
                }
            }
            HOOK_AER_ROOT | HOOK_IRQ => {
                if let Some(p) = self.port.as_mut() {
                    p.update_irq(cfg, self.notify);
                }
            }
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
        let port = self.port.as_deref_mut();
        self.cfg
            .write(offset, size, value, &mut Hooks { notify, port });
    }

    fn reset(&mut self, notify: &mut Notify<'_>) {
        let saved: Vec<(u16, u32)> = self
            .sticky
            .iter()
            .flat_map(|&(start, end)| (start..end).step_by(4))
            .map(|off| (off, self.cfg.get_u32(off)))
            .collect();
        self.cfg.reset(&mut Hooks { notify, port: None });
        for (off, value) in saved {
            self.cfg.set_u32(off, value);
        }
        if let Some(p) = self.port.as_mut() {
            p.reset();
        }
        self.init_slot_power();
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

    fn signal_error(&mut self, error: &PcieError) -> ErrorSignal {
        match self.link.pcie {
            Some(pcie) => crate::signal::record_error(
                &mut self.cfg,
                ErrorRegs {
                    pcie,
                    aer: self.aer,
                },
                error,
            ),
            None => ErrorSignal::NotSupported,
        }
    }

    fn signal_pme(&mut self) -> PmeSignal {
        match self.pme {
            Some(pm) => crate::signal::record_pme(&mut self.cfg, pm),
            None => PmeSignal::NotSupported,
        }
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
