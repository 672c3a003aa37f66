//! Passthrough of host PCI functions to a guest, with a filtered view.
//!
//! - [`host`]: the host side behind [`HostDevice`] (sysfs, an lspci dump,
//!   a recording test double).
//! - [`policy`]: what the guest sees of every capability and register, as
//!   tables (default-deny), and the named hooks with their host effects.
//! - [`function`]: [`PassthroughFunction`], the guest's view of one host
//!   function: O(1) configuration accesses, events for the platform.
//! - [`interrupts`]: the virtual MSI and MSI-X state for the interrupt path.
//! - [`group`]: placing all assigned functions of one host device together.
//! - [`inspect`]: the report `vpcie inspect` prints.
//! - [`platform`]: [`PassthroughFunction`] as a `vpcie_platform::Function`.
//!
//! Nothing here knows which hypervisor runs the guest.

#![warn(missing_docs)]

pub mod bdf;
pub mod function;
pub mod group;
pub mod host;
pub mod inspect;
pub mod interrupts;
pub mod platform;
pub mod policy;
pub mod spec;

pub use bdf::{Bdf, BdfError};
pub use function::{
    CapOverride, CapRef, CapReport, FunctionEvent, OverrideAction, PassthroughError,
    PassthroughFunction, PassthroughOptions, RegisterDiff,
};
pub use host::{HostBar, HostDevice, HostError, LinkState, PowerState};
pub use policy::{Decision, Placement};
