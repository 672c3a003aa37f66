//! What a Root Port or switch downstream port signals to the guest: its
//! hot-plug events, and (Root Ports) the PME and error messages it
//! receives from below, each as an interrupt by MSI or INTx as the guest
//! enabled them.
//!
//! Three sources share the port's one vector (PCIe r6.x §6.7.3.4 hot-plug,
//! §6.1.6 PME, §6.2.4.1.2 errors), each a level computed from the port's
//! registers:
//!
//! | source | level |
//! |---|---|
//! | hot-plug | HPIE and any Slot Status event whose enable is set |
//! | PME | Root Control PME Interrupt Enable and Root Status PME Status |
//! | errors | a Root Error Status "received" bit whose Root Error Command enable is set |
//!
//! With MSI enabled (and Bus Master Enable set, the message being a memory
//! write) each source's rising edge sends one message, so a source whose
//! status the guest has not cleared sends no second one (§6.7.3.4: "all
//! event bits must be clear before a new MSI"); otherwise INTx is the OR of
//! the levels, unless INTx Disable is set. Interrupt Status in the Status
//! register follows the INTx level.

use std::collections::VecDeque;

use super::hotplug::{SLOT_EVENT_ENABLES, Slot};
use crate::function::Notify;
use crate::signal::ErrorSeverity;
use crate::spec::*;
use vpcie_config::regs::*;
use vpcie_config::{ConfigSpace, RegWrite};

/// PME requesters a Root Port keeps while one is logged (PCIe r6.x §6.1.6
/// lets the port hold further PM_PME; more than this are dropped, the
/// functions keep PME_Status set and the guest finds them by scanning, as
/// Linux's `pcie_pme_walk_bus` does).
pub const PME_QUEUE: usize = 16;

/// Interrupt sources of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Source {
    Hotplug = 0,
    Pme = 1,
    Error = 2,
}

/// Where a port's MSI capability is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MsiRegs {
    pub(crate) at: u16,
}

impl MsiRegs {
    /// Enabled, address, data, and where the mask bits are if maskable.
    fn message(&self, cfg: &ConfigSpace) -> (bool, u64, u32, Option<u16>) {
        let flags = cfg.get_u16(self.at + PCI_MSI_FLAGS);
        let wide = flags & PCI_MSI_FLAGS_64BIT != 0;
        let lo = u64::from(cfg.get_u32(self.at + PCI_MSI_ADDRESS_LO));
        let (address, data_at, mask_at) = if wide {
            let hi = u64::from(cfg.get_u32(self.at + PCI_MSI_ADDRESS_HI));
            (hi << 32 | lo, PCI_MSI_DATA_64, PCI_MSI_MASK_64)
        } else {
            (lo, PCI_MSI_DATA_32, PCI_MSI_MASK_32)
        };
        let mask = (flags & PCI_MSI_FLAGS_MASKBIT != 0).then_some(self.at + mask_at);
        (
            flags & PCI_MSI_FLAGS_ENABLE != 0,
            address,
            u32::from(cfg.get_u16(self.at + data_at)),
            mask,
        )
    }
}

/// The state a downstream port keeps beside its image.
#[derive(Clone, Debug)]
pub(crate) struct PortState {
    /// PCI Express capability.
    pub(crate) pcie: u16,
    /// MSI capability.
    pub(crate) msi: Option<MsiRegs>,
    /// AER capability.
    pub(crate) aer: Option<u16>,
    /// A Root Port (Root Control/Status, Root Error registers).
    pub(crate) root: bool,
    /// A downstream port (Root Port or switch downstream port): a slot.
    pub(crate) downstream: bool,
    /// The hot-plug slot, if Hot-Plug Capable.
    pub(crate) slot: Option<Slot>,
    /// A card is present (Presence Detect State), as the platform says.
    pub(crate) present: bool,
    /// Link Capabilities follow the host's port above a passthrough device.
    pub(crate) mirror_link: bool,
    /// Level of each source as last computed.
    levels: [bool; 3],
    /// INTx as last asserted.
    intx: bool,
    /// An MSI was masked while due (maskable MSI only).
    msi_pending: bool,
    /// PME requesters waiting behind the one logged.
    pme_queue: VecDeque<u16>,
}

impl PortState {
    pub(crate) fn new(
        pcie: u16,
        msi: Option<u16>,
        aer: Option<u16>,
        root: bool,
        downstream: bool,
    ) -> Self {
        PortState {
            pcie,
            msi: msi.map(|at| MsiRegs { at }),
            aer,
            root,
            downstream,
            slot: None,
            present: false,
            mirror_link: true,
            levels: [false; 3],
            intx: false,
            msi_pending: false,
            pme_queue: VecDeque::new(),
        }
    }

    /// Back to the reset state (the image was reset by the caller).
    pub(crate) fn reset(&mut self) {
        self.levels = [false; 3];
        self.intx = false;
        self.msi_pending = false;
        self.pme_queue.clear();
        if let Some(s) = self.slot.as_mut() {
            s.command_pending = false;
        }
    }

    /// The level of each source from the registers.
    fn compute_levels(&self, cfg: &ConfigSpace) -> [bool; 3] {
        let mut levels = [false; 3];
        if self.downstream {
            let ctl = cfg.get_u16(self.pcie + PCI_EXP_SLTCTL);
            let sta = cfg.get_u16(self.pcie + PCI_EXP_SLTSTA);
            levels[Source::Hotplug as usize] = ctl & PCI_EXP_SLTCTL_HPIE != 0
                && SLOT_EVENT_ENABLES
                    .iter()
                    .any(|&(event, enable)| sta & event != 0 && ctl & enable != 0);
        }
        if self.root {
            let rtctl = cfg.get_u16(self.pcie + PCI_EXP_RTCTL);
            let rtsta = cfg.get_u32(self.pcie + PCI_EXP_RTSTA);
            levels[Source::Pme as usize] =
                rtctl & PCI_EXP_RTCTL_PMEIE != 0 && rtsta & PCI_EXP_RTSTA_PME != 0;
            if let Some(aer) = self.aer {
                let cmd = cfg.get_u32(aer + PCI_ERR_ROOT_COMMAND);
                let sta = cfg.get_u32(aer + PCI_ERR_ROOT_STATUS);
                levels[Source::Error as usize] = [
                    (PCI_ERR_ROOT_COR_RCV, PCI_ERR_ROOT_CMD_COR_EN),
                    (PCI_ERR_ROOT_NONFATAL_RCV, PCI_ERR_ROOT_CMD_NONFATAL_EN),
                    (PCI_ERR_ROOT_FATAL_RCV, PCI_ERR_ROOT_CMD_FATAL_EN),
                ]
                .iter()
                .any(|&(received, enable)| sta & received != 0 && cmd & enable != 0);
            }
        }
        levels
    }

    /// Recomputes the sources and delivers what changed: an MSI per rising
    /// edge, or the INTx level. Returns whether the port's interrupt is
    /// raised for a source that rose now (MSI sent or held pending by its
    /// mask, or INTx asserted).
    pub(crate) fn update_irq(&mut self, cfg: &mut ConfigSpace, notify: &mut Notify<'_>) -> bool {
        let levels = self.compute_levels(cfg);
        let rose = (0..3).any(|s| levels[s] && !self.levels[s]);
        self.levels = levels;
        let any = levels.iter().any(|l| *l);
        let command = cfg.get_u16(PCI_COMMAND);
        let (msi_on, address, data, mask_at) = match self.msi {
            Some(m) => m.message(cfg),
            None => (false, 0, 0, None),
        };
        let mut raised = false;
        if msi_on {
            let masked = mask_at.is_some_and(|at| cfg.get_u32(at) & 1 != 0);
            if rose {
                // PCI 3.0 §6.8.3.3: a masked vector is held pending.
                if masked {
                    self.msi_pending = true;
                    raised = true;
                } else if command & PCI_COMMAND_MASTER != 0 {
                    notify.msi(address, data);
                    raised = true;
                }
            } else if self.msi_pending && !masked && command & PCI_COMMAND_MASTER != 0 {
                self.msi_pending = false;
                notify.msi(address, data);
            }
        } else {
            self.msi_pending = false;
        }
        let intx = any && !msi_on && command & PCI_COMMAND_INTX_DISABLE == 0;
        if intx != self.intx {
            self.intx = intx;
            notify.set_intx(intx);
        }
        if intx && rose {
            raised = true;
        }
        // Interrupt Status: the function's INTx condition, whatever INTx Disable says.
        if any && !msi_on {
            cfg.set_bits(PCI_STATUS, 2, u32::from(PCI_STATUS_INTERRUPT));
        } else {
            cfg.clear_bits(PCI_STATUS, 2, u32::from(PCI_STATUS_INTERRUPT));
        }
        raised
    }

    /// Raises Slot Status event bits (`PCI_EXP_SLTSTA_*`) and interrupts.
    pub(crate) fn slot_event(
        &mut self,
        cfg: &mut ConfigSpace,
        events: u16,
        notify: &mut Notify<'_>,
    ) -> bool {
        if !self.downstream {
            return false;
        }
        cfg.set_bits(self.pcie + PCI_EXP_SLTSTA, 2, u32::from(events));
        self.update_irq(cfg, notify)
    }

    /// A guest write to the Slot Control / Slot Status dword.
    pub(crate) fn on_slot_write(
        &mut self,
        cfg: &mut ConfigSpace,
        write: RegWrite,
        notify: &mut Notify<'_>,
    ) {
        let control_written = write.lanes_in_dword() & 0xffff != 0;
        if let (Some(slot), true) = (self.slot.as_mut(), control_written) {
            // §6.7.3.2: every Slot Control write is a command.
            match slot.options.command_completed {
                super::hotplug::CommandCompleted::NotSupported => {}
                super::hotplug::CommandCompleted::Immediate => {
                    cfg.set_bits(self.pcie + PCI_EXP_SLTSTA, 2, u32::from(PCI_EXP_SLTSTA_CC));
                }
                super::hotplug::CommandCompleted::Deferred => slot.command_pending = true,
            }
            let powered = slot_powered(cfg, self.pcie, slot);
            if powered != slot.powered {
                slot.powered = powered;
                notify.slot_power(powered);
            }
        }
        if control_written {
            // Power may have changed: the platform trains or drops the link.
            notify.link_touched();
        }
        self.update_irq(cfg, notify);
    }

    /// Completes a deferred Slot Control command; `true` if one was pending.
    pub(crate) fn complete_command(
        &mut self,
        cfg: &mut ConfigSpace,
        notify: &mut Notify<'_>,
    ) -> bool {
        let Some(slot) = self.slot.as_mut() else {
            return false;
        };
        if !slot.command_pending {
            return false;
        }
        slot.command_pending = false;
        self.slot_event(cfg, PCI_EXP_SLTSTA_CC, notify);
        true
    }

    /// A guest write to the Link Control / Link Status dword.
    pub(crate) fn on_link_write(
        &mut self,
        cfg: &ConfigSpace,
        write: RegWrite,
        notify: &mut Notify<'_>,
    ) {
        if !self.downstream {
            return;
        }
        let written = write.value_in_dword() & write.lanes_in_dword();
        if written & u32::from(PCI_EXP_LNKCTL_RL) != 0 {
            notify.retrain_requested();
        }
        let ld = u32::from(PCI_EXP_LNKCTL_LD);
        if (cfg.get_u32(write.dword_offset()) ^ write.old_dword) & ld != 0 {
            notify.link_touched();
        }
    }

    /// A guest write to Root Control or Root Status: a cleared PME Status
    /// takes the next queued requester (§7.5.3.14), then the interrupt is
    /// recomputed.
    pub(crate) fn on_root_write(&mut self, cfg: &mut ConfigSpace, notify: &mut Notify<'_>) {
        let at = self.pcie + PCI_EXP_RTSTA;
        if cfg.get_u32(at) & PCI_EXP_RTSTA_PME == 0 {
            // The level falls with the clear, then rises with the next
            // requester: a new edge, a new MSI.
            self.update_irq(cfg, notify);
            if let Some(next) = self.pme_queue.pop_front() {
                let pending = if self.pme_queue.is_empty() {
                    0
                } else {
                    PCI_EXP_RTSTA_PENDING
                };
                cfg.set_u32(at, PCI_EXP_RTSTA_PME | pending | u32::from(next));
            } else {
                cfg.clear_bits(at, 4, PCI_EXP_RTSTA_PENDING);
            }
        }
        self.update_irq(cfg, notify);
    }

    /// PM_PME from `requester` arrives (§6.1.6).
    pub(crate) fn receive_pme(
        &mut self,
        cfg: &mut ConfigSpace,
        requester: u16,
        notify: &mut Notify<'_>,
    ) -> bool {
        if !self.root {
            return false;
        }
        let at = self.pcie + PCI_EXP_RTSTA;
        let sta = cfg.get_u32(at);
        if sta & PCI_EXP_RTSTA_PME == 0 {
            cfg.set_u32(at, PCI_EXP_RTSTA_PME | u32::from(requester));
        } else if sta & PCI_EXP_RTSTA_PME_RQ_ID != u32::from(requester)
            && !self.pme_queue.contains(&requester)
            && self.pme_queue.len() < PME_QUEUE
        {
            self.pme_queue.push_back(requester);
            cfg.set_bits(at, 4, PCI_EXP_RTSTA_PENDING);
        }
        let raised = self.update_irq(cfg, notify);
        raised || self.intx && self.levels[Source::Pme as usize]
    }

    /// An error message from `source` arrives (§6.2.4.1.2, Root Error Status
    /// and Error Source Identification).
    pub(crate) fn receive_error(
        &mut self,
        cfg: &mut ConfigSpace,
        severity: ErrorSeverity,
        source: u16,
        notify: &mut Notify<'_>,
    ) -> bool {
        let Some(aer) = self.aer.filter(|_| self.root) else {
            return false;
        };
        let sta_at = aer + PCI_ERR_ROOT_STATUS;
        let src_at = aer + PCI_ERR_ROOT_ERR_SRC;
        let mut sta = cfg.get_u32(sta_at);
        let mut src = cfg.get_u32(src_at);
        match severity {
            ErrorSeverity::Correctable => {
                if sta & PCI_ERR_ROOT_COR_RCV != 0 {
                    sta |= PCI_ERR_ROOT_MULTI_COR_RCV;
                } else {
                    sta |= PCI_ERR_ROOT_COR_RCV;
                    src = (src & !PCI_ERR_ROOT_ERR_SRC_COR) | u32::from(source);
                }
            }
            ErrorSeverity::NonFatal | ErrorSeverity::Fatal => {
                let fatal = severity == ErrorSeverity::Fatal;
                if sta & PCI_ERR_ROOT_UNCOR_RCV != 0 {
                    sta |= PCI_ERR_ROOT_MULTI_UNCOR_RCV;
                } else {
                    sta |= PCI_ERR_ROOT_UNCOR_RCV;
                    src = (src & !PCI_ERR_ROOT_ERR_SRC_UNCOR) | u32::from(source) << 16;
                    if fatal {
                        sta |= PCI_ERR_ROOT_FIRST_FATAL;
                    }
                }
                sta |= if fatal {
                    PCI_ERR_ROOT_FATAL_RCV
                } else {
                    PCI_ERR_ROOT_NONFATAL_RCV
                };
            }
        }
        cfg.set_u32(sta_at, sta);
        cfg.set_u32(src_at, src);
        let raised = self.update_irq(cfg, notify);
        raised || self.intx && self.levels[Source::Error as usize]
    }

    /// Whether the INTx line is asserted now.
    pub(crate) fn intx(&self) -> bool {
        self.intx
    }
}

/// Whether a slot's power is on: Power Controller Control 0 on a slot with
/// a power controller, always on without one.
pub(crate) fn slot_powered(cfg: &ConfigSpace, pcie: u16, slot: &Slot) -> bool {
    !slot.options.power_controller || cfg.get_u16(pcie + PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;
    use crate::function::{FunctionId, Recorder};
    use crate::models::hotplug::{Slot, SlotOptions};
    use vpcie_config::{BitPolicy, ConfigSize};

    const PCIE: u16 = 0x40;
    const MSI: u16 = 0x80;

    /// A port image with a maskable 64-bit MSI (as QEMU's pcie-pci-bridge
    /// has), hot-plug interrupts enabled, MSI enabled and Bus Master set.
    fn port() -> (ConfigSpace, PortState) {
        let mut cfg = ConfigSpace::new(ConfigSize::Extended);
        for off in (0..0x100).step_by(4) {
            cfg.set_policy(off, 4, BitPolicy::READ_ONLY);
        }
        cfg.set_u16(PCI_COMMAND, PCI_COMMAND_MASTER);
        cfg.set_u16(
            MSI + PCI_MSI_FLAGS,
            PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | PCI_MSI_FLAGS_ENABLE,
        );
        cfg.set_u32(MSI + PCI_MSI_ADDRESS_LO, 0xfee0_0000);
        cfg.set_u32(MSI + PCI_MSI_ADDRESS_HI, 0x1);
        cfg.set_u16(MSI + PCI_MSI_DATA_64, 0x4242);
        cfg.set_u16(
            PCIE + PCI_EXP_SLTCTL,
            PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_ABPE,
        );
        let mut p = PortState::new(PCIE, Some(MSI), None, true, true);
        p.slot = Some(Slot {
            options: SlotOptions::NATIVE,
            powered: true,
            command_pending: false,
        });
        (cfg, p)
    }

    fn msis(rec: &mut Recorder) -> Vec<(u64, u32)> {
        rec.events
            .drain()
            .into_iter()
            .filter_map(|e| match e {
                Event::Msi { address, data, .. } => Some((address, data)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_masked_msi_is_held_pending_until_unmasked() {
        let (mut cfg, mut p) = port();
        let mut rec = Recorder::new();
        cfg.set_u32(MSI + PCI_MSI_MASK_64, 1);
        assert!(p.slot_event(&mut cfg, PCI_EXP_SLTSTA_ABP, &mut rec.notify(FunctionId(3))));
        assert!(msis(&mut rec).is_empty(), "masked");
        cfg.set_u32(MSI + PCI_MSI_MASK_64, 0);
        p.update_irq(&mut cfg, &mut rec.notify(FunctionId(3)));
        assert_eq!(
            msis(&mut rec),
            vec![(0x1_fee0_0000, 0x4242)],
            "delivered on unmask"
        );
        p.update_irq(&mut cfg, &mut rec.notify(FunctionId(3)));
        assert!(msis(&mut rec).is_empty(), "once");
    }

    #[test]
    fn each_source_sends_its_own_edge() {
        let (mut cfg, mut p) = port();
        let mut rec = Recorder::new();
        cfg.set_u16(PCIE + PCI_EXP_RTCTL, PCI_EXP_RTCTL_PMEIE);
        p.slot_event(&mut cfg, PCI_EXP_SLTSTA_ABP, &mut rec.notify(FunctionId(1)));
        // A PME while the hot-plug event is still pending: its own MSI.
        assert!(p.receive_pme(&mut cfg, 0x0100, &mut rec.notify(FunctionId(1))));
        assert_eq!(msis(&mut rec).len(), 2);
        // MSI off: INTx follows the OR of the levels.
        cfg.clear_bits(MSI + PCI_MSI_FLAGS, 2, u32::from(PCI_MSI_FLAGS_ENABLE));
        p.update_irq(&mut cfg, &mut rec.notify(FunctionId(1)));
        assert!(p.intx());
        cfg.clear_bits(PCIE + PCI_EXP_SLTSTA, 2, u32::from(PCI_EXP_SLTSTA_ABP));
        p.update_irq(&mut cfg, &mut rec.notify(FunctionId(1)));
        assert!(p.intx(), "PME still pending");
        cfg.clear_bits(PCIE + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME);
        p.update_irq(&mut cfg, &mut rec.notify(FunctionId(1)));
        assert!(!p.intx());
    }
}
