//! The PCI configuration space engine of vpcie.
//!
//! A function's configuration space is a byte image with a per-bit policy
//! (emulated or from the device behind, guest-writable, write-1-to-clear,
//! written through to the device behind), register hooks found in O(1), BAR
//! emulation with the sizing protocol, capability parsing and hiding, and
//! the lspci dump text format. It knows nothing of buses, hosts or
//! hypervisors.

pub mod bar;
pub mod caps;
pub mod hide;
pub mod lspci;
pub mod policy;
pub mod regs;
pub mod space;

pub use bar::{Bar, BarChange, BarError, BarId, BarKind};
pub use hide::HideWarning;
pub use policy::{PolicyError, Reg, RegTable};
pub use space::{BitPolicy, ConfigHandler, ConfigSize, ConfigSpace, HookId, NoHandler, RegWrite};
