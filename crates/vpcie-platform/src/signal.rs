//! Error and power-management signalling: a function detects an error (or
//! wants to wake), logs it in its own registers, and sends a message up to
//! its Root Port, which logs the requester and interrupts the guest.
//!
//! - Errors follow PCIe r6.x §6.2.5 (Figure 6-2, the function's side) and
//!   §6.2.6 (Figure 6-3, message control on the way up): status bits are
//!   set whether or not the error is masked; a masked error sends nothing;
//!   the first unmasked uncorrectable error fills the First Error Pointer
//!   and the Header Log; ERR_COR goes up if Device Control enables it,
//!   ERR_NONFATAL / ERR_FATAL (by the Uncorrectable Error Severity) if
//!   Device Control or SERR# Enable does. Each port on the way forwards only
//!   with Bridge Control SERR# Enable set (§7.5.1.3.13; Linux sets it on
//!   every bridge, `pci_configure_serr`) and notes an uncorrectable one in
//!   Secondary Status (Received System Error).
//! - PME follows PCI PM 1.2 §3.2.4 and PCIe r6.x §6.1.6: a function with
//!   PME_En set sets PME_Status and sends PM_PME; the Root Port logs the
//!   requester in Root Status (PME Status, PME Pending when one is already
//!   logged) and interrupts if PME Interrupt Enable is set.
//!
//! The function's side is [`record_error`] / [`record_pme`] on a
//! [`ConfigSpace`] (used by the emulated models and by passthrough
//! functions through [`Function::signal_error`](crate::Function::signal_error));
//! the platform's side is [`Platform::inject_error`] and
//! [`Platform::signal_pme`].

use crate::function::{FunctionId, Notify};
use crate::models::Model;
use crate::platform::Platform;
use crate::spec::*;
use vpcie_config::ConfigSpace;
use vpcie_config::regs::*;

/// Whether an error is correctable (PCIe r6.x §6.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Corrected by hardware; logged in Correctable Error Status.
    Correctable,
    /// Not corrected; logged in Uncorrectable Error Status, fatal or not by
    /// the function's Uncorrectable Error Severity.
    Uncorrectable,
}

/// An error a function detects, as a host backend or a test reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PcieError {
    /// Correctable or uncorrectable.
    pub class: ErrorClass,
    /// The one status bit of the error (`PCI_ERR_COR_*` / `PCI_ERR_UNC_*`).
    pub status: u32,
    /// The header of the TLP in error, as a 32-bit read of each Header Log
    /// dword returns it (and as Linux prints it); `None`: no TLP (logged as 0).
    pub header: Option<[u32; 4]>,
}

impl PcieError {
    /// A correctable error with status bit `status` (e.g. [`PCI_ERR_COR_BAD_TLP`]).
    pub const fn correctable(status: u32) -> Self {
        PcieError {
            class: ErrorClass::Correctable,
            status,
            header: None,
        }
    }

    /// An uncorrectable error with status bit `status` (e.g. [`PCI_ERR_UNC_COMP_ABORT`]).
    pub const fn uncorrectable(status: u32) -> Self {
        PcieError {
            class: ErrorClass::Uncorrectable,
            status,
            header: None,
        }
    }

    /// The same error with the TLP header to log.
    pub const fn with_header(self, header: [u32; 4]) -> Self {
        PcieError {
            header: Some(header),
            ..self
        }
    }

    /// Whether the error names exactly one status bit its class defines.
    pub fn is_valid(&self) -> bool {
        let defined = match self.class {
            ErrorClass::Correctable => PCI_ERR_COR_INJECTABLE,
            ErrorClass::Uncorrectable => PCI_ERR_UNC_INJECTABLE,
        };
        self.status.is_power_of_two() && self.status & defined == self.status
    }
}

/// The error message a function sends up (PCIe r6.x §2.2.8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorSeverity {
    /// ERR_COR.
    Correctable,
    /// ERR_NONFATAL.
    NonFatal,
    /// ERR_FATAL.
    Fatal,
}

/// What a function did with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorSignal {
    /// The function cannot report errors (no PCI Express capability, or the
    /// error is not one it defines).
    NotSupported,
    /// Logged in the function's registers; `message` is what it sends up
    /// (`None`: masked or reporting disabled).
    Logged {
        /// The message sent up, if any.
        message: Option<ErrorSeverity>,
    },
}

/// What a function did with a wake-up request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PmeSignal {
    /// The function has no PME (no Power Management capability, or
    /// PME_Support is 0).
    NotSupported,
    /// PME_Status is set but the guest has not set PME_En: no message.
    Disabled,
    /// PME_Status set and PM_PME sent.
    Sent,
}

/// Where a function's error registers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorRegs {
    /// The PCI Express capability.
    pub pcie: u16,
    /// The AER extended capability, if the guest sees one.
    pub aer: Option<u16>,
}

/// Logs `error` in a function's registers (the image of `cfg`) and says
/// which message it sends (PCIe r6.x §6.2.5, Figure 6-2).
///
/// Only image bits change: status bits the guest clears by writing 1, the
/// First Error Pointer and the Header Log. Masks, severities and enables
/// are read from the image, where the guest wrote them.
pub fn record_error(cfg: &mut ConfigSpace, regs: ErrorRegs, error: &PcieError) -> ErrorSignal {
    if !error.is_valid() {
        return ErrorSignal::NotSupported;
    }
    let devctl = cfg.get_u16(regs.pcie + PCI_EXP_DEVCTL);
    let devsta_at = regs.pcie + PCI_EXP_DEVSTA;
    let command = cfg.get_u16(PCI_COMMAND);
    let bit = error.status;
    let message = match error.class {
        ErrorClass::Correctable => {
            // §7.5.3.5: Device Status logs it whatever the masks say.
            cfg.set_bits(devsta_at, 2, u32::from(PCI_EXP_DEVSTA_CED));
            if let Some(aer) = regs.aer {
                cfg.set_bits(aer + PCI_ERR_COR_STATUS, 4, bit);
                if cfg.get_u32(aer + PCI_ERR_COR_MASK) & bit != 0 {
                    return ErrorSignal::Logged { message: None };
                }
            }
            (devctl & PCI_EXP_DEVCTL_CERE != 0).then_some(ErrorSeverity::Correctable)
        }
        ErrorClass::Uncorrectable => {
            let fatal = match regs.aer {
                Some(aer) => cfg.get_u32(aer + PCI_ERR_UNCOR_SEVER) & bit != 0,
                None => PCI_ERR_UNC_DEFAULT_FATAL & bit != 0,
            };
            let mut sta = if fatal {
                PCI_EXP_DEVSTA_FED
            } else {
                PCI_EXP_DEVSTA_NFED
            };
            let unsupported = bit == PCI_ERR_UNC_UNSUP;
            if unsupported {
                sta |= PCI_EXP_DEVSTA_URD;
            }
            cfg.set_bits(devsta_at, 2, u32::from(sta));
            if let Some(aer) = regs.aer {
                let status_at = aer + PCI_ERR_UNCOR_STATUS;
                let status = cfg.get_u32(status_at);
                if cfg.get_u32(aer + PCI_ERR_UNCOR_MASK) & bit != 0 {
                    cfg.set_u32(status_at, status | bit);
                    return ErrorSignal::Logged { message: None };
                }
                // §7.8.4.7: the First Error Pointer and Header Log belong to
                // the first unmasked error until the guest clears its status
                // bit (no Multiple Header Recording).
                let cap_at = aer + PCI_ERR_CAP;
                let cap = cfg.get_u32(cap_at);
                let fep = cap & PCI_ERR_CAP_FEP;
                if status & (1 << fep) == 0 {
                    cfg.set_u32(cap_at, (cap & !PCI_ERR_CAP_FEP) | bit.trailing_zeros());
                    let header = error.header.unwrap_or([0; 4]);
                    for (i, dw) in header.iter().enumerate() {
                        cfg.set_u32(aer + PCI_ERR_HEADER_LOG + 4 * i as u16, *dw);
                    }
                }
                cfg.set_u32(status_at, status | bit);
            }
            let serr = command & PCI_COMMAND_SERR != 0;
            let enabled = if fatal {
                devctl & PCI_EXP_DEVCTL_FERE != 0
            } else {
                devctl & PCI_EXP_DEVCTL_NFERE != 0
            };
            // §6.2.5: an Unsupported Request is reported only if URRE or SERR# allows.
            let ur_blocked = unsupported && devctl & PCI_EXP_DEVCTL_URRE == 0 && !serr;
            if (serr || enabled) && !ur_blocked {
                if serr {
                    cfg.set_bits(PCI_STATUS, 2, u32::from(PCI_STATUS_SIG_SYSTEM_ERROR));
                }
                Some(if fatal {
                    ErrorSeverity::Fatal
                } else {
                    ErrorSeverity::NonFatal
                })
            } else {
                None
            }
        }
    };
    ErrorSignal::Logged { message }
}

/// Sets PME_Status in a function's Power Management capability at `pm` and
/// says whether PM_PME goes out (PCI PM 1.2 §3.2.4: only with PME_En).
pub fn record_pme(cfg: &mut ConfigSpace, pm: u16) -> PmeSignal {
    let pmc = cfg.get_u16(pm + PCI_PM_PMC);
    if pmc & PCI_PM_CAP_PME_MASK == 0 {
        return PmeSignal::NotSupported;
    }
    let at = pm + PCI_PM_CTRL;
    cfg.set_bits(at, 2, u32::from(PCI_PM_CTRL_PME_STATUS));
    if cfg.get_u16(at) & PCI_PM_CTRL_PME_ENABLE != 0 {
        PmeSignal::Sent
    } else {
        PmeSignal::Disabled
    }
}

/// Why the platform could not signal an error or a PME.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// No function with that id is placed (or it was hot-removed).
    #[error("function {0:?} is not on the platform (never placed, or hot-removed)")]
    NoSuchFunction(FunctionId),
    /// The error names no bit, several bits, or a bit its class does not define.
    #[error(
        "{0:?} is not one error: name exactly one status bit of its class (PCI_ERR_COR_* or PCI_ERR_UNC_*)"
    )]
    InvalidError(PcieError),
    /// The function cannot be reached: its slot is powered off or its link is down.
    #[error("{0}: its link is down (slot powered off or link disabled); it cannot send messages")]
    LinkDown(String),
    /// The function cannot report this (no PCI Express capability, no PME).
    #[error("{0}: the function cannot signal this (no PCI Express capability or no PME support)")]
    NotSupported(String),
}

/// Where a message from a function ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The function sent nothing (masked, or reporting / PME disabled).
    NotSent,
    /// A port on the way did not forward it (Bridge Control SERR# Enable clear).
    Blocked {
        /// The port that stopped it.
        port: FunctionId,
    },
    /// No Root Port above (an RC-integrated function): nobody logs it.
    NoRootPort,
    /// Logged by the Root Port.
    RootPort {
        /// The Root Port.
        port: FunctionId,
        /// The port raised an interrupt (MSI or INTx) for it.
        interrupt: bool,
    },
}

/// What happened to an error injected with [`Platform::inject_error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorOutcome {
    /// The message the function sent, if any.
    pub message: Option<ErrorSeverity>,
    /// Where it went.
    pub delivery: Delivery,
}

/// What happened to a PME signalled with [`Platform::signal_pme`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmeOutcome {
    /// What the function did.
    pub signal: PmeSignal,
    /// Where the PM_PME message went.
    pub delivery: Delivery,
}

/// A message travelling up.
#[derive(Clone, Copy, Debug)]
enum Message {
    Error(ErrorSeverity),
    Pme,
}

impl Platform {
    /// A host backend (or a test) reports that function `id` detected
    /// `error`: the function logs it (status, First Error Pointer, Header
    /// Log, Device Status) and, unless masked or disabled, sends the error
    /// message up to its Root Port, which logs it in Root Error Status and
    /// Error Source Identification and interrupts the guest if Root Error
    /// Command enables it.
    pub fn inject_error(
        &mut self,
        id: FunctionId,
        error: PcieError,
    ) -> Result<ErrorOutcome, SignalError> {
        if !error.is_valid() {
            return Err(SignalError::InvalidError(error));
        }
        self.check_signaller(id)?;
        let i = usize::from(id.0);
        let signal = self.functions[i].func.signal_error(&error);
        let message = match signal {
            ErrorSignal::NotSupported => {
                return Err(SignalError::NotSupported(self.path(id)));
            }
            ErrorSignal::Logged { message } => message,
        };
        let delivery = match message {
            None => Delivery::NotSent,
            Some(severity) => self.send_up(id, Message::Error(severity)),
        };
        Ok(ErrorOutcome { message, delivery })
    }

    /// Function `id` wakes (e.g. its host device signalled PME): it sets
    /// PME_Status and, if the guest set PME_En, sends PM_PME to its Root
    /// Port, which logs the requester in Root Status and interrupts if PME
    /// Interrupt Enable is set.
    pub fn signal_pme(&mut self, id: FunctionId) -> Result<PmeOutcome, SignalError> {
        self.check_signaller(id)?;
        let i = usize::from(id.0);
        let signal = self.functions[i].func.signal_pme();
        let delivery = match signal {
            PmeSignal::NotSupported => return Err(SignalError::NotSupported(self.path(id))),
            PmeSignal::Disabled => Delivery::NotSent,
            PmeSignal::Sent => self.send_up(id, Message::Pme),
        };
        Ok(PmeOutcome { signal, delivery })
    }

    /// The function exists and its link to the root is up.
    fn check_signaller(&self, id: FunctionId) -> Result<(), SignalError> {
        let Some(p) = self.functions.get(usize::from(id.0)) else {
            return Err(SignalError::NoSuchFunction(id));
        };
        if p.vacant {
            return Err(SignalError::NoSuchFunction(id));
        }
        // Every port above must forward: a powered-off slot (or a disabled
        // link) anywhere on the way cuts the function off.
        let mut bus = p.bus;
        let mut steps = 0;
        while let Some(parent) = self.buses[usize::from(bus.0)].parent {
            let pp = &self.functions[usize::from(parent.0)];
            if pp.blocked {
                return Err(SignalError::LinkDown(self.path(id)));
            }
            bus = pp.bus;
            steps += 1;
            if steps > self.functions.len() {
                break;
            }
        }
        Ok(())
    }

    /// Carries a message from function `id` up to its Root Port.
    fn send_up(&mut self, id: FunctionId, message: Message) -> Delivery {
        let Some(source) = self.requester_id(id) else {
            return Delivery::NotSent;
        };
        // A Root Port's own message goes to its own Root Complex logic.
        if self.is_root_port(usize::from(id.0)) {
            return self.deliver_to_root(usize::from(id.0), source, message);
        }
        let mut bus = self.functions[usize::from(id.0)].bus;
        let mut steps = 0;
        while let Some(parent) = self.buses[usize::from(bus.0)].parent {
            let pi = usize::from(parent.0);
            if let Message::Error(severity) = message {
                if !self.forward_error(pi, severity) {
                    return Delivery::Blocked { port: parent };
                }
            }
            if self.is_root_port(pi) {
                return self.deliver_to_root(pi, source, message);
            }
            bus = self.functions[pi].bus;
            steps += 1;
            if steps > self.functions.len() {
                break;
            }
        }
        Delivery::NoRootPort
    }

    /// The requester ID of `id` as the guest numbered the buses: bus, devfn.
    /// A function behind a PCIe-to-PCI bridge requests as the bridge's
    /// secondary bus, devfn 0 (PCIe-to-PCI Bridge r1.0 §2.3); its messages
    /// would be the bridge's, so the function's own BDF is used here.
    fn requester_id(&self, id: FunctionId) -> Option<u16> {
        let bdf = self.bdf(id)?;
        Some(u16::from(bdf.bus) << 8 | u16::from(bdf.devfn.0))
    }

    fn is_root_port(&mut self, i: usize) -> bool {
        self.functions[i].bridge.is_some()
            && self.functions[i]
                .func
                .as_any_mut()
                .and_then(|a| a.downcast_mut::<Model>())
                .is_some_and(|m| m.is_root_port())
    }

    /// A port on the way: notes an uncorrectable message in Secondary
    /// Status and says whether it forwards it.
    fn forward_error(&mut self, i: usize, severity: ErrorSeverity) -> bool {
        let f = self.functions[i].func.as_mut();
        let control = f.config_read(PCI_BRIDGE_CONTROL, 2) as u16;
        if let Some(m) = f.as_any_mut().and_then(|a| a.downcast_mut::<Model>()) {
            if severity != ErrorSeverity::Correctable {
                m.note_received_system_error();
            }
        }
        control & PCI_BRIDGE_CTL_SERR != 0
    }

    fn deliver_to_root(&mut self, i: usize, source: u16, message: Message) -> Delivery {
        let id = FunctionId(i as u16);
        let mut notify = Notify::new(id, &mut self.events, &mut self.effects);
        let Some(m) = self.functions[i]
            .func
            .as_any_mut()
            .and_then(|a| a.downcast_mut::<Model>())
        else {
            return Delivery::NoRootPort;
        };
        let interrupt = match message {
            Message::Error(severity) => m.receive_error(severity, source, &mut notify),
            Message::Pme => m.receive_pme(source, &mut notify),
        };
        self.apply_effects(i);
        Delivery::RootPort {
            port: id,
            interrupt,
        }
    }
}
