//! The seam: what anything placed on a bus implements.
//!
//! A [`Function`] is one PCI function as the guest reaches it: the emulated
//! models of this crate (MCH, LPC, ports, bridges, endpoints) and, from
//! other crates, passed-through host functions. The platform owns every
//! function, routes each guest configuration access to at most one of them
//! and calls back with a [`Notify`] through which the function reports what
//! the access changed.
//!
//! # What the platform guarantees a function
//!
//! - `config_read` / `config_write` get `size` 1, 2 or 4, `offset` naturally
//!   aligned to `size` and below 4096. Accesses the guest misaligns are split
//!   into bytes before they arrive; accesses beyond 0xfff never arrive.
//! - Functions at offsets ≥ 0x100 are only reached where the path from the
//!   root allows extended configuration space (not below a conventional PCI
//!   bus); a function answers the rest itself (all-ones beyond its
//!   configuration size, as [`vpcie_config::ConfigSpace`] does).
//! - Calls come from one thread at a time (`&mut self`); no call re-enters.
//!
//! # What the platform asks of a function
//!
//! - Answer every access, whatever the value, without panicking.
//! - Report BAR decode changes through [`Notify::bar_changed`].
//! - A Type 1 (bridge) function keeps its bus numbers, windows and Bridge
//!   Control in its configuration space: the platform reads them back after
//!   every write that touches them, so routing follows what the guest
//!   programmed without the function doing anything more.
//! - Optionally: log the errors and wake-ups it detects
//!   ([`Function::signal_error`], [`Function::signal_pme`]), name the host
//!   port above it ([`Function::host_port_link`]) and pass a guest's link
//!   retrain on ([`Function::retrain_link`]).

use crate::events::{Event, EventQueue};
use crate::signal::{ErrorSignal, PcieError, PmeSignal};
use vpcie_config::{BarChange, ConfigSize};

/// A function placed on the platform, stable for the platform's lifetime
/// (bus numbers change; this does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionId(pub u16);

/// Link speed, as the Current/Max Link Speed fields encode it (PCIe r6.x
/// §7.5.3.6: 1 = 2.5 GT/s … 6 = 64 GT/s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkSpeed(pub u8);

impl LinkSpeed {
    /// 2.5 GT/s (PCIe 1.x).
    pub const GT2_5: LinkSpeed = LinkSpeed(1);
    /// 5.0 GT/s (PCIe 2.x).
    pub const GT5: LinkSpeed = LinkSpeed(2);
    /// 8.0 GT/s (PCIe 3.x).
    pub const GT8: LinkSpeed = LinkSpeed(3);
    /// 16.0 GT/s (PCIe 4.0).
    pub const GT16: LinkSpeed = LinkSpeed(4);
    /// 32.0 GT/s (PCIe 5.0).
    pub const GT32: LinkSpeed = LinkSpeed(5);
    /// 64.0 GT/s (PCIe 6.0).
    pub const GT64: LinkSpeed = LinkSpeed(6);
}

/// The state of a PCI Express link, as both of its ends see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Link {
    /// Negotiated (or, for a capability, maximum) speed.
    pub speed: LinkSpeed,
    /// Negotiated (or maximum) width in lanes: 1, 2, 4, 8, 12, 16 or 32.
    pub width: u8,
}

impl Link {
    /// The link two ends with these capabilities train to: the lower speed
    /// and the narrower width (PCIe r6.x §4.2.6, simplified: no lane
    /// reversal or degraded widths).
    pub fn negotiate(a: Link, b: Link) -> Link {
        Link {
            speed: a.speed.min(b.speed),
            width: a.width.min(b.width),
        }
    }
}

/// What a function does when the platform routes an access to it.
///
/// Emulated models and passed-through host functions implement it alike;
/// see the module documentation for the contract.
pub trait Function: Send {
    /// The configuration space size the function decodes.
    fn config_size(&self) -> ConfigSize;

    /// A guest read of `size` bytes at `offset` (aligned, below 4096).
    fn config_read(&mut self, offset: u16, size: u8) -> u32;

    /// A guest write of `size` bytes of `value` at `offset` (aligned, below 4096).
    fn config_write(&mut self, offset: u16, size: u8, value: u32, notify: &mut Notify<'_>);

    /// A conventional reset (Secondary Bus Reset above it, or system reset):
    /// back to the reset state, sticky bits kept.
    fn reset(&mut self, notify: &mut Notify<'_>);

    /// The link this function's upstream port can train to, if it has one
    /// (a PCI Express function below a Root Port or downstream port).
    fn link_capability(&self) -> Option<Link> {
        None
    }

    /// The platform tells the function at device 0 below a port the link
    /// the port trained (`None`: link down).
    fn set_upstream_link(&mut self, link: Option<Link>) {
        let _ = link;
    }

    /// The Max Link Speed and Width of the host's port above the function
    /// (a passed-through function), for a port that mirrors it; `None`
    /// otherwise.
    fn host_port_link(&self) -> Option<Link> {
        None
    }

    /// The guest wrote Retrain Link in the port above. A function that
    /// passes it on (to its host device's upstream port, when its policy
    /// allows) does so and returns `true`; the platform then trains the
    /// link again from [`Function::link_capability`].
    fn retrain_link(&mut self) -> bool {
        false
    }

    /// The function detected `error` (reported by its host backend or a
    /// test): it logs it in its own registers and says which message it
    /// sends up. See [`crate::signal`].
    fn signal_error(&mut self, error: &PcieError) -> ErrorSignal {
        let _ = error;
        ErrorSignal::NotSupported
    }

    /// The function wants to wake the system: PME_Status, and PM_PME if
    /// the guest set PME_En. See [`crate::signal`].
    fn signal_pme(&mut self) -> PmeSignal {
        PmeSignal::NotSupported
    }

    /// For a Root Port or switch downstream port: the link it can train on
    /// its secondary side.
    fn link_capability_downstream(&self) -> Option<Link> {
        None
    }

    /// For a Root Port or switch downstream port: the platform tells it the
    /// link trained with the function at device 0 below (`None`: empty slot).
    fn set_downstream_link(&mut self, link: Option<Link>) {
        let _ = link;
    }

    /// The platform tells function 0 whether other functions share its
    /// device, so that it reports the multi-function bit in Header Type.
    fn set_multifunction(&mut self, multifunction: bool) {
        let _ = multifunction;
    }

    /// A short human name (for dumps and diagnostics), e.g. "ICH9 PCIe Root Port 1".
    fn describe(&self) -> String {
        "PCI function".to_string()
    }

    /// The function as `Any`, so that its owner can reach the concrete type
    /// behind the box (a passthrough function's MSI-X table, a port's slot);
    /// `None` for functions that keep their type to themselves.
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

/// What a function reports back while the platform calls it.
pub struct Notify<'a> {
    pub(crate) function: FunctionId,
    pub(crate) events: &'a mut EventQueue,
    pub(crate) effects: &'a mut Effects,
}

impl<'a> Notify<'a> {
    /// A notifier for `function` that queues into `events`.
    pub(crate) fn new(
        function: FunctionId,
        events: &'a mut EventQueue,
        effects: &'a mut Effects,
    ) -> Self {
        Notify {
            function,
            events,
            effects,
        }
    }

    /// The function being called.
    pub fn function(&self) -> FunctionId {
        self.function
    }

    /// Reports that a BAR's decoded address changed (moved, enabled, disabled).
    pub fn bar_changed(&mut self, change: BarChange) {
        self.events.push(Event::BarChanged {
            function: self.function,
            change,
        });
    }

    /// The MCH moved, resized or disabled the ECAM window.
    pub(crate) fn ecam_changed(&mut self, window: Option<crate::ecam::EcamWindow>) {
        self.effects.ecam = Some(window);
    }

    /// The LPC's PIRQ route registers may have changed.
    pub(crate) fn pirq_routes_touched(&mut self) {
        self.effects.pirq = true;
    }

    /// The LPC's PMBASE or ACPI control register may have changed.
    pub(crate) fn acpi_pm_touched(&mut self) {
        self.effects.acpi_pm = true;
    }

    /// The function sends an MSI (the front end injects it).
    pub(crate) fn msi(&mut self, address: u64, data: u32) {
        self.events.push(Event::Msi {
            function: self.function,
            address,
            data,
        });
    }

    /// The function's INTx line is now `asserted` (applied by the platform
    /// through `Platform::set_intx` after the call).
    pub(crate) fn set_intx(&mut self, asserted: bool) {
        self.effects.intx = Some(asserted);
    }

    /// A port's slot power or Link Disable may have changed: the platform
    /// trains or drops the link after the call.
    pub(crate) fn link_touched(&mut self) {
        self.effects.link = true;
    }

    /// The guest wrote Retrain Link.
    pub(crate) fn retrain_requested(&mut self) {
        self.effects.retrain = true;
    }

    /// The guest turned a slot's power on or off.
    pub(crate) fn slot_power(&mut self, on: bool) {
        self.events.push(Event::SlotPower {
            port: self.function,
            on,
        });
    }
}

/// Collects what a function reports when it is called outside a platform
/// (a function's own unit tests).
#[derive(Debug, Default)]
pub struct Recorder {
    /// Events the function reported.
    pub events: EventQueue,
    effects: Effects,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A notifier that records into this recorder, for function `function`.
    pub fn notify(&mut self, function: FunctionId) -> Notify<'_> {
        Notify::new(function, &mut self.events, &mut self.effects)
    }
}

/// Platform-level side effects a function asked for during one call; the
/// platform applies them after the call returns.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Effects {
    /// New ECAM window (outer `Some`: the MCH decoded PCIEXBAR again).
    pub(crate) ecam: Option<Option<crate::ecam::EcamWindow>>,
    /// PIRQ route registers written.
    pub(crate) pirq: bool,
    /// PMBASE / ACPI_CNTL written.
    pub(crate) acpi_pm: bool,
    /// The function's INTx level changed.
    pub(crate) intx: Option<bool>,
    /// A port's link may have to train or drop.
    pub(crate) link: bool,
    /// A port asked the device below to retrain its link.
    pub(crate) retrain: bool,
}

impl Effects {
    /// Whether anything was asked for.
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.ecam.is_some()
            || self.pirq
            || self.acpi_pm
            || self.intx.is_some()
            || self.link
            || self.retrain
    }
}
