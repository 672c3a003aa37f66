//! Why a plan cannot be made. Every message names the device (BDF), the
//! register and what to do.

use crate::access::Bdf;
use crate::config::ConfigError;
use crate::range::{Range, human};

/// A plan that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirmwareError {
    /// The policy is inconsistent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// More than 256 buses would be needed.
    #[error(
        "{bridge}: no bus number left for this bridge's secondary bus (256 buses per segment); remove bridges or switches, or lower hotplug.buses"
    )]
    OutOfBusNumbers {
        /// The bridge that needed one.
        bridge: Bdf,
    },
    /// The resources that must stay below 4 GiB do not fit in the largest
    /// MMIO hole the policy allows.
    #[error(
        "{device} {register} ({size}, {what}) cannot be placed below 4 GiB: the resources that must stay below 4 GiB need {need} (with ECAM), but the MMIO hole {hole} holds {available} once the fixed ranges are kept out; short by {shortfall}. {advice}",
        size = human(*size),
        need = human(*need),
        available = human(*available),
        shortfall = human(*shortfall)
    )]
    CannotFit {
        /// The device whose resource is the largest that must stay low.
        device: Bdf,
        /// Which register: "BAR0", "expansion ROM", "memory window", "ECAM (PCIEXBAR)".
        register: String,
        /// Its size.
        size: u64,
        /// What kind of resource ("32-bit memory BAR", …).
        what: String,
        /// Bytes the low resources need in total.
        need: u64,
        /// Bytes the largest hole offers.
        available: u64,
        /// How many bytes are missing (at least the failing resource's
        /// size when fragmentation, not space, is the problem).
        shortfall: u64,
        /// The largest hole tried.
        hole: Range,
        /// What to do.
        advice: String,
    },
    /// The 64-bit window would pass the guest's physical address width.
    #[error(
        "{device} {register} ({size}) does not fit above 4 GiB below 2^{phys_bits} (64-bit window starts at {base:#x}); raise phys_bits in the firmware config or remove large devices",
        size = human(*size)
    )]
    HighSpaceExhausted {
        /// The device.
        device: Bdf,
        /// Which register or window.
        register: String,
        /// Its size.
        size: u64,
        /// Where the 64-bit window starts.
        base: u64,
        /// The physical address width.
        phys_bits: u8,
    },
    /// RAM relocated above 4 GiB would pass the physical address width.
    #[error(
        "guest RAM ({ram}) does not fit below 2^{phys_bits} once the MMIO hole is taken out; lower ram or raise phys_bits",
        ram = human(*ram)
    )]
    RamTooLarge {
        /// Guest RAM.
        ram: u64,
        /// The physical address width.
        phys_bits: u8,
    },
}
