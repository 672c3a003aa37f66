//! What the platform tells its front end: a bounded queue of events.
//!
//! The guest controls how often state changes, so the queue has a fixed
//! capacity: when it is full new events are counted in `dropped` and
//! discarded. A front end that sees `dropped` grow has lost track and should
//! re-read the state it mirrors (`Platform::ecam_window`, `bridge_state`,
//! `pirq_route`…), which is always current.

use crate::bridge::{BridgeWindows, BusNumbers};
use crate::ecam::EcamWindow;
use crate::function::{FunctionId, Link};
use crate::intx::{PirqLink, PirqRoute};
use std::collections::VecDeque;
use vpcie_config::BarChange;

/// Events a queue holds before it drops new ones.
pub const EVENT_QUEUE_CAPACITY: usize = 4096;

/// Something the front end may need to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A function's BAR started, stopped or moved decoding.
    BarChanged {
        /// The function.
        function: FunctionId,
        /// Which BAR, and its old and new decoded address.
        change: BarChange,
    },
    /// The MCH's PCIEXBAR moved, resized, enabled or disabled the ECAM window.
    EcamChanged {
        /// Window before the write.
        old: Option<EcamWindow>,
        /// Window after the write.
        new: Option<EcamWindow>,
    },
    /// A bridge's primary/secondary/subordinate bus numbers changed; routing
    /// already follows them.
    BusNumbersChanged {
        /// The bridge.
        bridge: FunctionId,
        /// Numbers before.
        old: BusNumbers,
        /// Numbers after.
        new: BusNumbers,
    },
    /// A bridge's I/O, memory or prefetchable window (or their enables) changed.
    WindowsChanged {
        /// The bridge.
        bridge: FunctionId,
        /// Windows before.
        old: BridgeWindows,
        /// Windows after.
        new: BridgeWindows,
    },
    /// Secondary Bus Reset was set: everything below the bridge was reset.
    SecondaryBusReset {
        /// The bridge.
        bridge: FunctionId,
    },
    /// The LPC's PIRQx_ROUT register changed where a PIRQ link goes.
    PirqRouteChanged {
        /// The link.
        link: PirqLink,
        /// Route before.
        old: PirqRoute,
        /// Route after.
        new: PirqRoute,
        /// Level of the link now (asserted: the front end moves the level).
        asserted: bool,
    },
    /// A PIRQ link's level changed (the OR of the INTx lines routed to it).
    IrqLevel {
        /// The link.
        link: PirqLink,
        /// Where it goes now.
        route: PirqRoute,
        /// New level.
        asserted: bool,
    },
    /// A function sends an MSI: the front end injects a memory write of
    /// `data` at `address` (Xen: `XEN_DMOP_inject_msi`). A port sends one
    /// for each hot-plug, PME or error interrupt while the guest has MSI
    /// enabled (and Bus Master Enable set).
    Msi {
        /// The function sending it.
        function: FunctionId,
        /// MSI Message Address (64-bit when the capability has it).
        address: u64,
        /// MSI Message Data.
        data: u32,
    },
    /// The guest turned a slot's power on or off (Slot Control, Power
    /// Controller Control). Off with the card still present: the guest let
    /// go of it, `Platform::hot_remove` may take it out.
    SlotPower {
        /// The port.
        port: FunctionId,
        /// Power now.
        on: bool,
    },
    /// A port's link came up, went down, or trained again (Data Link Layer
    /// Link Active follows it).
    LinkChanged {
        /// The port.
        port: FunctionId,
        /// The link now (`None`: down).
        link: Option<Link>,
    },
    /// A function was hot-added below a port.
    HotAdded {
        /// The port.
        port: FunctionId,
        /// The function.
        function: FunctionId,
    },
    /// A function was taken out of a slot.
    HotRemoved {
        /// The port.
        port: FunctionId,
        /// The function (its id now answers nothing).
        function: FunctionId,
        /// Taken out while the guest still had the slot powered: a surprise
        /// removal (the guest sees Presence Detect and link changes).
        surprise: bool,
    },
    /// The LPC's PMBASE or ACPI_CNTL changed: where the ACPI PM I/O block
    /// decodes (`None`: ACPI_EN clear) and which IRQ the SCI uses.
    AcpiPmChanged {
        /// Base of the 128-byte PM I/O block when ACPI_EN is set.
        pm_base: Option<u16>,
        /// SCI IRQ selected by ACPI_CNTL (`None`: reserved encoding).
        sci_irq: Option<u8>,
    },
}

/// A bounded FIFO of events with a count of those dropped.
#[derive(Clone, Debug, Default)]
pub struct EventQueue {
    queue: VecDeque<Event>,
    dropped: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `event`, or counts it as dropped if the queue is full.
    pub fn push(&mut self, event: Event) {
        if self.queue.len() >= EVENT_QUEUE_CAPACITY {
            self.dropped = self.dropped.saturating_add(1);
        } else {
            self.queue.push_back(event);
        }
    }

    /// The oldest event, removed.
    pub fn pop(&mut self) -> Option<Event> {
        self.queue.pop_front()
    }

    /// Removes and returns every queued event, oldest first.
    pub fn drain(&mut self) -> Vec<Event> {
        self.queue.drain(..).collect()
    }

    /// Events queued now.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Events dropped because the queue was full, since the platform was built.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
