//! The host side: a real (or described) PCI function behind a trait.
//!
//! [`HostDevice`] is everything vpcie asks of the host about one function:
//! its configuration space, its BARs, a reset, the link to its upstream
//! port, a link retrain, a BAR resize and a power-state change. Backends:
//! - [`sysfs::SysfsHost`]: Linux `/sys/bus/pci/devices/DDDD:BB:DD.F`,
//!   read-only unless opened for writing;
//! - [`dump::DumpHost`]: a function described by an lspci dump, behaving
//!   like the device (BAR sizing, read-only and write-1-to-clear bits);
//! - [`record::RecordingHost`]: wraps any backend and logs every operation
//!   that changes the host, the proof that policy is enforced.

pub mod dump;
pub mod model;
pub mod record;
pub mod sysfs;

use crate::bdf::Bdf;
use crate::spec::*;
use vpcie_config::caps::parse_capabilities;
use vpcie_config::regs::*;
use vpcie_config::{Bar, BarId};

/// A BAR as the host implements and has placed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostBar {
    /// Kind, prefetchability and size.
    pub bar: Bar,
    /// Host physical (bus) address; 0 when unassigned or unknown.
    pub address: u64,
}

/// A PCI power state (PCI PM 1.2 §3.2.4, PMCSR PowerState).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PowerState {
    /// Fully on.
    D0,
    /// Light sleep (optional).
    D1,
    /// Deeper sleep (optional).
    D2,
    /// Off, configuration space still reachable.
    D3Hot,
}

impl PowerState {
    /// The state for a PMCSR PowerState field value (bits 1:0).
    pub fn from_bits(bits: u16) -> Self {
        match bits & PCI_PM_CTRL_STATE_MASK {
            0 => PowerState::D0,
            1 => PowerState::D1,
            2 => PowerState::D2,
            _ => PowerState::D3Hot,
        }
    }

    /// The PMCSR PowerState field value.
    pub fn bits(self) -> u16 {
        match self {
            PowerState::D0 => 0,
            PowerState::D1 => 1,
            PowerState::D2 => 2,
            PowerState::D3Hot => 3,
        }
    }
}

/// The state of a PCI Express link, as its ports report it.
///
/// Speeds use the Link Status encoding (1 = 2.5 GT/s, 2 = 5, 3 = 8, 4 = 16,
/// 5 = 32, 6 = 64 GT/s); widths are lane counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LinkState {
    /// Current Link Speed.
    pub speed: u8,
    /// Negotiated Link Width.
    pub width: u8,
    /// Max Link Speed of the reporting port (Link Capabilities).
    pub max_speed: u8,
    /// Maximum Link Width of the reporting port.
    pub max_width: u8,
    /// Supported Link Speeds Vector (Link Capabilities 2, bits 7:1), 0 if absent.
    pub supported_speeds: u8,
    /// Link Training in progress.
    pub training: bool,
    /// Data Link Layer Link Active (reported by downstream ports).
    pub dll_active: bool,
}

impl LinkState {
    /// The link as a PCI Express capability's registers describe it.
    pub fn from_registers(lnkcap: u32, lnksta: u16, lnkcap2: u32) -> Self {
        LinkState {
            speed: (lnksta & PCI_EXP_LNKSTA_CLS) as u8,
            width: ((lnksta & PCI_EXP_LNKSTA_NLW) >> PCI_EXP_LNKSTA_NLW_SHIFT) as u8,
            max_speed: (lnkcap & PCI_EXP_LNKCAP_SLS) as u8,
            max_width: ((lnkcap & PCI_EXP_LNKCAP_MLW) >> PCI_EXP_LNKCAP_MLW_SHIFT) as u8,
            supported_speeds: (lnkcap2 & PCI_EXP_LNKCAP2_SLS) as u8,
            training: lnksta & PCI_EXP_LNKSTA_LT != 0,
            dll_active: lnksta & PCI_EXP_LNKSTA_DLLLA != 0,
        }
    }

    /// The link read from the PCI Express capability of a config image
    /// (`None` without one, or when it has no link registers).
    pub fn from_config(config: &[u8]) -> Option<Self> {
        let caps = parse_capabilities(config);
        let cap = caps.find(vpcie_config::caps::CapId::PciExpress)?;
        if cap.len < PCI_EXP_LNKSTA + 2 {
            return None;
        }
        let at = |off: u16, len: usize| -> u32 {
            let start = usize::from(cap.offset + off);
            let mut v = 0u32;
            for i in 0..len {
                v |= u32::from(config.get(start + i).copied().unwrap_or(0xff)) << (8 * i);
            }
            v
        };
        let lnkcap2 = if cap.len >= PCI_EXP_LNKCAP2 + 4 {
            at(PCI_EXP_LNKCAP2, 4)
        } else {
            0
        };
        Some(LinkState::from_registers(
            at(PCI_EXP_LNKCAP, 4),
            at(PCI_EXP_LNKSTA, 2) as u16,
            lnkcap2,
        ))
    }

    /// Current speed in the text lspci uses ("8GT/s"), for messages.
    pub fn speed_text(&self) -> &'static str {
        speed_text(self.speed)
    }
}

/// lspci's text for a Link Status speed encoding.
pub fn speed_text(speed: u8) -> &'static str {
    match speed {
        1 => "2.5GT/s",
        2 => "5GT/s",
        3 => "8GT/s",
        4 => "16GT/s",
        5 => "32GT/s",
        6 => "64GT/s",
        _ => "unknown speed",
    }
}

/// What went wrong talking to the host; every variant names the function.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A host file could not be read or written.
    #[error("{bdf}: cannot {action} {path}: {source}")]
    Io {
        /// The function.
        bdf: Bdf,
        /// "read", "write", "open".
        action: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The backend was opened read-only and the operation changes the host.
    #[error(
        "{bdf}: {what} refused: the host backend is read-only; open it for writing \
         (e.g. `SysfsHost::open(.., Access::ReadWrite)`) only for a device you assign"
    )]
    ReadOnly {
        /// The function.
        bdf: Bdf,
        /// What was asked.
        what: &'static str,
    },
    /// The backend cannot do this at all.
    #[error("{bdf}: {what} is not supported by this host backend")]
    Unsupported {
        /// The function.
        bdf: Bdf,
        /// What was asked.
        what: &'static str,
    },
    /// A configuration access outside the function's configuration space or badly sized.
    #[error(
        "{bdf}: configuration access of {size} bytes at {offset:#05x} is outside the {config_size}-byte space or not naturally aligned"
    )]
    BadAccess {
        /// The function.
        bdf: Bdf,
        /// Offset asked.
        offset: u16,
        /// Size asked.
        size: u8,
        /// Size of the function's configuration space.
        config_size: usize,
    },
    /// The function does not exist on the host, or the description lacks it.
    #[error("{bdf}: {why}")]
    NotFound {
        /// The function.
        bdf: Bdf,
        /// What was looked for and where.
        why: String,
    },
    /// A request the device cannot honour (e.g. a BAR size it does not support).
    #[error("{bdf}: {why}")]
    Invalid {
        /// The function.
        bdf: Bdf,
        /// Why.
        why: String,
    },
}

/// A host PCI function, as vpcie uses it.
///
/// Configuration accesses are naturally aligned, of 1, 2 or 4 bytes, inside
/// [`config_size`](Self::config_size); backends reject others with
/// [`HostError::BadAccess`].
pub trait HostDevice {
    /// The function's host address.
    fn bdf(&self) -> Bdf;

    /// Size of its configuration space: 256, or 4096 with extended space.
    fn config_size(&self) -> usize;

    /// Reads `size` bytes at `offset` of the configuration space.
    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError>;

    /// Writes `size` bytes at `offset` of the configuration space.
    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError>;

    /// BAR `id` as the host implements and placed it; `None` if it has none.
    fn bar(&self, id: BarId) -> Option<HostBar>;

    /// Resets the function (FLR or whatever reset the host has for it).
    fn reset(&mut self) -> Result<(), HostError>;

    /// The link between the function and its upstream port, as that port
    /// reports it; `None` for a function without one (integrated in the
    /// root complex, or not PCI Express).
    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError>;

    /// Asks the upstream port to retrain the link (Link Control, Retrain Link).
    fn retrain_link(&mut self) -> Result<(), HostError>;

    /// Whether [`resize_bar`](Self::resize_bar) can work for BAR `index`.
    fn can_resize_bar(&self, index: u8) -> bool {
        let _ = index;
        false
    }

    /// Resizes BAR `index` to `size` bytes through its Resizable BAR capability.
    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        let _ = (index, size);
        Err(HostError::Unsupported {
            bdf: self.bdf(),
            what: "resizing a BAR",
        })
    }

    /// Puts the function into power state `state`.
    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError>;

    /// Facts the backend had to guess (e.g. BAR sizes), for the user.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

impl<T: HostDevice + ?Sized> HostDevice for Box<T> {
    fn bdf(&self) -> Bdf {
        (**self).bdf()
    }
    fn config_size(&self) -> usize {
        (**self).config_size()
    }
    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        (**self).config_read(offset, size)
    }
    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        (**self).config_write(offset, size, value)
    }
    fn bar(&self, id: BarId) -> Option<HostBar> {
        (**self).bar(id)
    }
    fn reset(&mut self) -> Result<(), HostError> {
        (**self).reset()
    }
    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        (**self).upstream_link()
    }
    fn retrain_link(&mut self) -> Result<(), HostError> {
        (**self).retrain_link()
    }
    fn can_resize_bar(&self, index: u8) -> bool {
        (**self).can_resize_bar(index)
    }
    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        (**self).resize_bar(index, size)
    }
    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        (**self).set_power_state(state)
    }
    fn notes(&self) -> Vec<String> {
        (**self).notes()
    }
}

/// Checks that an access is naturally aligned, of 1, 2 or 4 bytes, inside `config_size`.
pub(crate) fn check_access(
    bdf: Bdf,
    offset: u16,
    size: u8,
    config_size: usize,
) -> Result<(), HostError> {
    let ok = matches!(size, 1 | 2 | 4)
        && offset % u16::from(size) == 0
        && usize::from(offset) + usize::from(size) <= config_size;
    if ok {
        Ok(())
    } else {
        Err(HostError::BadAccess {
            bdf,
            offset,
            size,
            config_size,
        })
    }
}

/// Reads the whole configuration space of `host`, a dword at a time; bytes
/// that cannot be read come back as 0xff, as from an absent function.
pub fn read_config<H: HostDevice + ?Sized>(host: &mut H) -> Vec<u8> {
    let size = host.config_size().min(PCI_CFG_SPACE_EXP_SIZE);
    let mut out = Vec::with_capacity(size);
    for off in (0..size).step_by(4) {
        let v = host.config_read(off as u16, 4).unwrap_or(u32::MAX);
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}
