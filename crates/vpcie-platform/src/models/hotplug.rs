//! Native PCI Express hot-plug: the slot registers of Root Ports and switch
//! downstream ports (PCIe r6.x §6.7, §7.5.3.9–11) as tables, and the state
//! a slot keeps beside them.
//!
//! What a slot offers is [`SlotOptions`]; the Slot Capabilities it reports
//! and the Slot Control bits the guest may write follow from it through
//! [`SLOT_CONTROL_BY_CAPABILITY`] (a control whose capability is absent is
//! hardwired 0, §7.5.3.10). The default, [`SlotOptions::NATIVE`], is QEMU's
//! `pcie_cap_slot_init` slot without the electromechanical interlock:
//! attention button, power controller, both indicators, surprise removal,
//! Command Completed on every Slot Control write.
//!
//! The register sequence Linux's pciehp driver uses (`pciehp_hpc.c`,
//! `pciehp_ctrl.c`), which these registers serve:
//! - probe: clear every Slot Status event; power off an empty powered slot;
//!   enable DLLSCE, HPIE, CCIE and ABPE (PDCE instead when the slot has no
//!   attention button);
//! - hot-add: Presence Detect Changed (and Attention Button Pressed on a slot
//!   with a button, as QEMU's plug does) → power on (PCC 0, wait for Command
//!   Completed) → wait for Data Link Layer Link Active → read device 0's
//!   Vendor ID → enumerate; the Data Link Layer State Changed raised by the
//!   power-on is ignored once the device is found;
//! - orderly removal: Attention Button Pressed → 5 s → unbind drivers →
//!   power off (PCC 1) → power indicator off; vpcie then lets the front end
//!   take the card out (`Platform::hot_remove`);
//! - surprise removal: Presence Detect Changed and Data Link Layer State
//!   Changed → the guest unbinds and powers the slot off.

use crate::spec::*;
use vpcie_config::{Reg, RegTable};

use super::HOOK_SLOT;

/// When a slot reports Command Completed after a Slot Control write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CommandCompleted {
    /// No Command Completed Support (Slot Capabilities NCCS set): software
    /// never waits.
    NotSupported,
    /// Set by the write itself (QEMU's behaviour).
    #[default]
    Immediate,
    /// Set when the front end calls `Platform::complete_slot_commands`
    /// (e.g. from a timer): a slot that takes time, as real controllers do.
    Deferred,
}

/// What a slot offers (PCIe r6.x §7.5.3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotOptions {
    /// Hot-Plug Capable: the guest's hot-plug driver manages the slot.
    pub hotplug: bool,
    /// Attention Button Present.
    pub attention_button: bool,
    /// Power Controller Present: the guest powers the slot on and off.
    pub power_controller: bool,
    /// Attention Indicator Present.
    pub attention_indicator: bool,
    /// Power Indicator Present.
    pub power_indicator: bool,
    /// Hot-Plug Surprise: the card may leave without notice.
    pub surprise: bool,
    /// Command Completed support and timing.
    pub command_completed: CommandCompleted,
}

impl SlotOptions {
    /// No hot-plug: a slot that only reports presence and link state.
    pub const NONE: SlotOptions = SlotOptions {
        hotplug: false,
        attention_button: false,
        power_controller: false,
        attention_indicator: false,
        power_indicator: false,
        surprise: false,
        command_completed: CommandCompleted::NotSupported,
    };

    /// QEMU's hot-plug slot (`pcie_cap_slot_init`, Slot Capabilities
    /// 0x7b without EIP): button, power controller, indicators, surprise,
    /// Command Completed on every write.
    pub const NATIVE: SlotOptions = SlotOptions {
        hotplug: true,
        attention_button: true,
        power_controller: true,
        attention_indicator: true,
        power_indicator: true,
        surprise: true,
        command_completed: CommandCompleted::Immediate,
    };

    /// A surprise-removal slot without button or power controller (as
    /// U.2/Thunderbolt slots): presence and link changes only.
    pub const SURPRISE: SlotOptions = SlotOptions {
        hotplug: true,
        attention_button: false,
        power_controller: false,
        attention_indicator: false,
        power_indicator: false,
        surprise: true,
        command_completed: CommandCompleted::NotSupported,
    };

    /// Slot Capabilities for these options and Physical Slot Number `number`.
    pub fn capabilities(&self, number: u16) -> u32 {
        let mut cap = u32::from(number & 0x1fff) << PCI_EXP_SLTCAP_PSN_SHIFT;
        if !self.hotplug {
            return cap;
        }
        for (on, bit) in [
            (true, PCI_EXP_SLTCAP_HPC),
            (self.attention_button, PCI_EXP_SLTCAP_ABP),
            (self.power_controller, PCI_EXP_SLTCAP_PCP),
            (self.attention_indicator, PCI_EXP_SLTCAP_AIP),
            (self.power_indicator, PCI_EXP_SLTCAP_PIP),
            (self.surprise, PCI_EXP_SLTCAP_HPS),
            (
                self.command_completed == CommandCompleted::NotSupported,
                PCI_EXP_SLTCAP_NCCS,
            ),
        ] {
            if on {
                cap |= bit;
            }
        }
        cap
    }

    /// The Slot Control bits the guest may write, from Slot Capabilities `cap`.
    pub fn control_writable(cap: u32) -> u16 {
        SLOT_CONTROL_BY_CAPABILITY
            .iter()
            .filter(|r| r.present(cap))
            .fold(0, |acc, r| acc | r.control)
    }
}

impl Default for SlotOptions {
    fn default() -> Self {
        SlotOptions::NATIVE
    }
}

/// One row of [`SLOT_CONTROL_BY_CAPABILITY`].
#[derive(Clone, Copy, Debug)]
pub struct SlotControlRow {
    /// Slot Capabilities bits that must all be set (0: always).
    pub needs: u32,
    /// Slot Capabilities bits that must all be clear.
    pub needs_clear: u32,
    /// The Slot Control bits they bring.
    pub control: u16,
    /// Name.
    pub name: &'static str,
}

impl SlotControlRow {
    fn present(&self, cap: u32) -> bool {
        cap & self.needs == self.needs && cap & self.needs_clear == 0
    }
}

const fn row(needs: u32, needs_clear: u32, control: u16, name: &'static str) -> SlotControlRow {
    SlotControlRow {
        needs,
        needs_clear,
        control,
        name,
    }
}

/// Which Slot Control bits exist, by the Slot Capabilities that bring them
/// (PCIe r6.x §7.5.3.10). Every slot of ours reports presence and, being
/// Data Link Layer Link Active Reporting Capable, link changes; no slot has
/// a power fault detector, an MRL sensor or an interlock, so PFDE, MRLSCE
/// and EIC are hardwired 0.
#[rustfmt::skip]
pub const SLOT_CONTROL_BY_CAPABILITY: &[SlotControlRow] = &[
    //  needs                 needs clear            control                 name
    row(0,                    0,                     PCI_EXP_SLTCTL_PDCE,    "Presence Detect Changed Enable"),
    row(0,                    0,                     PCI_EXP_SLTCTL_DLLSCE,  "Data Link Layer State Changed Enable"),
    row(PCI_EXP_SLTCAP_HPC,   0,                     PCI_EXP_SLTCTL_HPIE,    "Hot-Plug Interrupt Enable"),
    row(PCI_EXP_SLTCAP_HPC,   PCI_EXP_SLTCAP_NCCS,   PCI_EXP_SLTCTL_CCIE,    "Command Completed Interrupt Enable"),
    row(PCI_EXP_SLTCAP_ABP,   0,                     PCI_EXP_SLTCTL_ABPE,    "Attention Button Pressed Enable"),
    row(PCI_EXP_SLTCAP_AIP,   0,                     PCI_EXP_SLTCTL_AIC,     "Attention Indicator Control"),
    row(PCI_EXP_SLTCAP_PIP,   0,                     PCI_EXP_SLTCTL_PIC,     "Power Indicator Control"),
    row(PCI_EXP_SLTCAP_PCP,   0,                     PCI_EXP_SLTCTL_PCC,     "Power Controller Control"),
];

/// Slot Status events the guest clears by writing 1 (PCIe r6.x §7.5.3.11).
pub const SLOT_STATUS_EVENTS: u16 =
    PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC;

/// Each Slot Status event and the Slot Control bit that lets it interrupt
/// (§6.7.3.4).
pub const SLOT_EVENT_ENABLES: &[(u16, u16)] = &[
    (PCI_EXP_SLTSTA_ABP, PCI_EXP_SLTCTL_ABPE),
    (PCI_EXP_SLTSTA_PFD, PCI_EXP_SLTCTL_PFDE),
    (PCI_EXP_SLTSTA_MRLSC, PCI_EXP_SLTCTL_MRLSCE),
    (PCI_EXP_SLTSTA_PDC, PCI_EXP_SLTCTL_PDCE),
    (PCI_EXP_SLTSTA_CC, PCI_EXP_SLTCTL_CCIE),
    (PCI_EXP_SLTSTA_DLLSC, PCI_EXP_SLTCTL_DLLSCE),
];

/// The slot registers of a hot-plug slot (applied over
/// `caps::PCIE_CAP_DOWNSTREAM`): every control a slot can have is listed
/// writable here; the port's constructor clears those its Slot
/// Capabilities lack ([`SlotOptions::control_writable`]).
pub const PCIE_SLOT_HOTPLUG: RegTable = &[
    Reg::emulated(0x14, 4, "Slot Capabilities"), // from SlotOptions
    Reg::emulated(0x18, 2, "Slot Control")
        .writable(
            (PCI_EXP_SLTCTL_ABPE
                | PCI_EXP_SLTCTL_PDCE
                | PCI_EXP_SLTCTL_CCIE
                | PCI_EXP_SLTCTL_HPIE
                | PCI_EXP_SLTCTL_AIC
                | PCI_EXP_SLTCTL_PIC
                | PCI_EXP_SLTCTL_PCC
                | PCI_EXP_SLTCTL_DLLSCE) as u32,
        )
        .hook(HOOK_SLOT), // §7.5.3.10; reset value set by occupancy
    Reg::emulated(0x1a, 2, "Slot Status")
        .w1c(SLOT_STATUS_EVENTS as u32)
        .hook(HOOK_SLOT), // §7.5.3.11
];

/// An indicator's state (Slot Control AIC / PIC encodings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// On (01b).
    On,
    /// Blinking (10b).
    Blink,
    /// Off (11b).
    Off,
    /// The reserved encoding 00b, as the guest wrote it.
    Reserved,
}

impl Indicator {
    /// The indicator a two-bit control field encodes.
    pub fn from_bits(bits: u16) -> Indicator {
        match bits & 3 {
            PCI_EXP_SLTCTL_IND_ON => Indicator::On,
            PCI_EXP_SLTCTL_IND_BLINK => Indicator::Blink,
            PCI_EXP_SLTCTL_IND_OFF => Indicator::Off,
            _ => Indicator::Reserved,
        }
    }
}

/// A slot as the front end sees it (`Platform::slot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotState {
    /// What the slot offers.
    pub options: SlotOptions,
    /// A card is in the slot (Presence Detect State).
    pub present: bool,
    /// Power is on: the guest has not turned it off (always on without a
    /// power controller).
    pub powered: bool,
    /// The link is up (Data Link Layer Link Active).
    pub link_up: bool,
    /// Attention indicator (`None` without one).
    pub attention_indicator: Option<Indicator>,
    /// Power indicator (`None` without one).
    pub power_indicator: Option<Indicator>,
    /// Slot Control as the guest wrote it.
    pub control: u16,
    /// Slot Status now.
    pub status: u16,
    /// A Slot Control write waits for `Platform::complete_slot_commands`.
    pub command_pending: bool,
}

impl SlotState {
    /// Whether the card may be taken out without surprising the guest: the
    /// guest powered the slot off or, without a power controller, turned
    /// the power indicator off (PCIe r6.x §6.7.1.8: the indicator off means
    /// "safe to remove").
    pub fn removal_allowed(&self) -> bool {
        if self.options.power_controller {
            !self.powered
        } else {
            self.power_indicator == Some(Indicator::Off)
        }
    }
}

/// The state a hot-plug slot keeps beside its registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) options: SlotOptions,
    /// Power as last seen (to report changes).
    pub(crate) powered: bool,
    /// A Slot Control write awaits Command Completed (deferred mode).
    pub(crate) command_pending: bool,
}
