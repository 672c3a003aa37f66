//! The platform: the functions, the bus segments they sit on, the routing
//! table, and the config-access API (by BDF, CF8/CFC port I/O, ECAM MMIO).
//!
//! Build one with [`PlatformBuilder`](crate::PlatformBuilder) or from a
//! [`PlatformDescription`](crate::PlatformDescription).

use crate::bridge::{BridgeState, touches_routing};
use crate::ecam::EcamWindow;
use crate::events::{Event, EventQueue};
use crate::function::{Effects, Function, FunctionId, Link, Notify};
use crate::intx::{IntxPin, IntxRoute, PirqLink, PirqRoute, ich9_pirq_link, pirq_route, swizzle};
use crate::regs::*;
use crate::routing::{BusSet, NONE, Route};
use std::fmt;
use vpcie_config::regs::PCI_INTERRUPT_PIN;

/// A bus segment of the platform's physical tree (not a bus number: those
/// are whatever the guest programs). The root bus is `BusId(0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BusId(pub u16);

impl BusId {
    /// The root bus (bus number 0, the host bridge's).
    pub const ROOT: BusId = BusId(0);
}

/// What kind of bus segment a bridge's secondary side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BusKind {
    /// The root bus (bus 0).
    Root,
    /// A PCI Express link below a Root Port or switch downstream port: only
    /// device 0 answers a Type 0 access (PCIe r6.x §7.3.1).
    Link,
    /// A switch's internal bus, below its upstream port: any device.
    SwitchInternal,
    /// A conventional PCI bus below a PCIe-to-PCI bridge: any device, no
    /// extended configuration space.
    Conventional,
}

/// A device and function number on one bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Devfn(pub u8);

impl Devfn {
    /// Device `device` (0–31), function `function` (0–7); `None` when out of range.
    pub fn new(device: u8, function: u8) -> Option<Devfn> {
        (device < 32 && function < 8).then_some(Devfn(device << 3 | function))
    }

    /// Device number.
    pub fn device(self) -> u8 {
        self.0 >> 3
    }

    /// Function number.
    pub fn function(self) -> u8 {
        self.0 & 7
    }
}

impl fmt::Display for Devfn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}.{:x}", self.device(), self.function())
    }
}

impl std::str::FromStr for Devfn {
    type Err = String;

    /// Reads `DD.F` in hex, as lspci prints it (`1c.0`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a device.function (expected DD.F in hex, e.g. 1c.0)");
        let (d, f) = s.split_once('.').ok_or_else(bad)?;
        if d.is_empty() || d.len() > 2 || f.len() != 1 {
            return Err(bad());
        }
        let d = u8::from_str_radix(d, 16).map_err(|_| bad())?;
        let f = u8::from_str_radix(f, 16).map_err(|_| bad())?;
        Devfn::new(d, f).ok_or_else(bad)
    }
}

/// A bus/device/function as the guest addresses it now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    /// Bus number.
    pub bus: u8,
    /// Device and function.
    pub devfn: Devfn,
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{}", self.bus, self.devfn)
    }
}

/// One function as placed.
pub(crate) struct Placed {
    pub(crate) func: Box<dyn Function>,
    pub(crate) bus: BusId,
    pub(crate) devfn: Devfn,
    /// For a Type 1 function: its secondary bus segment and routing state.
    pub(crate) bridge: Option<(BusId, BridgeState)>,
    pub(crate) intx: Option<IntxRoute>,
    pub(crate) intx_asserted: bool,
    /// Hot-removed: the id answers nothing and is in no bus.
    pub(crate) vacant: bool,
    /// A port whose link is down with a card below: it forwards nothing
    /// (PCIe r6.x §2.9.1: requests for a Downstream Port in DL_Down
    /// complete as Unsupported Request — all-ones to software).
    pub(crate) blocked: bool,
    /// A downstream port: the link it trained (`None`: down).
    pub(crate) link: Option<Link>,
}

impl Placed {
    /// A function as placed by the builder or a hot-add.
    pub(crate) fn new(
        func: Box<dyn Function>,
        bus: BusId,
        devfn: Devfn,
        bridge: Option<(BusId, BridgeState)>,
    ) -> Self {
        Placed {
            func,
            bus,
            devfn,
            bridge,
            intx: None,
            intx_asserted: false,
            vacant: false,
            blocked: false,
            link: None,
        }
    }
}

/// One bus segment.
pub(crate) struct Bus {
    pub(crate) kind: BusKind,
    /// The bridge above (None for the root bus).
    pub(crate) parent: Option<FunctionId>,
    /// Whether the path from the root crosses a conventional bus.
    pub(crate) conventional_path: bool,
    /// Functions on this bus, in devfn order.
    pub(crate) members: Vec<FunctionId>,
    /// Bridges on this bus, in devfn order.
    pub(crate) bridges: Vec<FunctionId>,
    /// The bus number the guest reaches it with now.
    pub(crate) number: Option<u8>,
}

/// The guest's PCI Express platform.
pub struct Platform {
    pub(crate) functions: Vec<Placed>,
    pub(crate) buses: Vec<Bus>,
    /// `bus * 256 + devfn` → function index or [`NONE`].
    pub(crate) slots: Vec<u16>,
    pub(crate) routes: [Route; 256],
    pub(crate) ecam: Option<EcamWindow>,
    pub(crate) config_address: u32,
    pub(crate) events: EventQueue,
    pub(crate) effects: Effects,
    pub(crate) lpc: Option<FunctionId>,
    pub(crate) mch: Option<FunctionId>,
    pub(crate) pirq_rout: [u8; ICH9_LPC_NB_PIRQS],
    pub(crate) pirq_asserted: [u16; ICH9_LPC_NB_PIRQS],
    pub(crate) acpi_pm: (Option<u16>, Option<u8>),
}

/// The INTx route of function `i`: its pin, swizzled up to bus 0, then
/// the ICH9 table (none without the chipset).
pub(crate) fn resolve_intx(
    functions: &mut [Placed],
    buses: &[Bus],
    chipset: bool,
    i: usize,
) -> Option<IntxRoute> {
    if !chipset {
        return None;
    }
    let pin = functions[i].func.config_read(PCI_INTERRUPT_PIN, 1) as u8;
    if !(1..=4).contains(&pin) {
        return None;
    }
    let pin = IntxPin(pin - 1);
    let mut cur = pin;
    let mut devfn = functions[i].devfn;
    let mut bus = functions[i].bus;
    // Up the tree: one step per bridge, the tree is acyclic.
    let mut steps = 0;
    while let Some(parent) = buses[usize::from(bus.0)].parent {
        cur = swizzle(devfn.device(), cur);
        let p = &functions[usize::from(parent.0)];
        devfn = p.devfn;
        bus = p.bus;
        steps += 1;
        if steps > functions.len() {
            return None;
        }
    }
    Some(IntxRoute {
        pin,
        root_slot: devfn.device(),
        root_pin: cur,
        link: ich9_pirq_link(devfn.device(), cur),
    })
}

/// All-ones for an access of `size` bytes (what a master abort reads).
#[inline]
pub(crate) fn all_ones(size: u8) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => u32::MAX,
    }
}

impl Platform {
    // -----------------------------------------------------------------
    // Config access by bus/device/function (Xen ioreq PCI_CONFIG, firmware)
    // -----------------------------------------------------------------

    /// The function a Type 0/1 access to (`bus`, `device`, `function`,
    /// `offset`) reaches, if any.
    #[inline]
    fn target(&self, bus: u8, device: u8, function: u8, offset: u16) -> Option<usize> {
        let route = self.routes[usize::from(bus)];
        if offset >= route.limit || device > 31 || function > 7 {
            return None;
        }
        let index = route.base as usize + (usize::from(device) << 3 | usize::from(function));
        let id = *self.slots.get(index)?;
        (id != NONE).then_some(usize::from(id))
    }

    /// A guest configuration read; all-ones when nobody answers.
    ///
    /// Any `size` and `offset` are accepted: sizes other than 1, 2 and 4
    /// read all-ones; misaligned accesses are split into bytes; bytes past
    /// 0xfff (or past 0xff below a conventional bus) read 0xff.
    #[inline]
    pub fn config_read(&mut self, bus: u8, device: u8, function: u8, offset: u16, size: u8) -> u32 {
        if matches!(size, 1 | 2 | 4) && offset & (u16::from(size) - 1) == 0 {
            match self.target(bus, device, function, offset) {
                Some(i) => self.functions[i].func.config_read(offset, size),
                None => all_ones(size),
            }
        } else {
            self.config_read_split(bus, device, function, offset, size)
        }
    }

    #[cold]
    fn config_read_split(
        &mut self,
        bus: u8,
        device: u8,
        function: u8,
        offset: u16,
        size: u8,
    ) -> u32 {
        if !matches!(size, 1 | 2 | 4) {
            return u32::MAX;
        }
        let mut out = 0;
        for i in 0..u16::from(size) {
            let byte = match offset.checked_add(i) {
                Some(off) => match self.target(bus, device, function, off) {
                    Some(f) => self.functions[f].func.config_read(off, 1) & 0xff,
                    None => 0xff,
                },
                None => 0xff,
            };
            out |= byte << (8 * i);
        }
        out
    }

    /// A guest configuration write; dropped when nobody answers (same size
    /// and alignment rules as [`Platform::config_read`]).
    #[inline]
    pub fn config_write(
        &mut self,
        bus: u8,
        device: u8,
        function: u8,
        offset: u16,
        size: u8,
        value: u32,
    ) {
        if matches!(size, 1 | 2 | 4) && offset & (u16::from(size) - 1) == 0 {
            if let Some(i) = self.target(bus, device, function, offset) {
                self.write_function(i, offset, size, value & all_ones(size));
            }
        } else if matches!(size, 1 | 2 | 4) {
            for i in 0..u16::from(size) {
                let Some(off) = offset.checked_add(i) else {
                    break;
                };
                if let Some(f) = self.target(bus, device, function, off) {
                    self.write_function(f, off, 1, (value >> (8 * i)) & 0xff);
                }
            }
        }
    }

    /// Writes to function `i` and applies what the write changed.
    fn write_function(&mut self, i: usize, offset: u16, size: u8, value: u32) {
        let id = FunctionId(i as u16);
        let placed = &mut self.functions[i];
        let mut notify = Notify::new(id, &mut self.events, &mut self.effects);
        placed.func.config_write(offset, size, value, &mut notify);
        if placed.bridge.is_some() && touches_routing(offset, size) {
            self.refresh_bridge(i);
        }
        if self.effects.any() {
            self.apply_effects(i);
        }
    }

    // -----------------------------------------------------------------
    // CF8/CFC (configuration mechanism #1)
    // -----------------------------------------------------------------

    /// A guest port read. `None`: not a port the platform decodes (the
    /// front end forwards it, e.g. 0xCF9 reset control).
    ///
    /// CONFIG_ADDRESS (0xCF8) is a dword register: only dword accesses hit
    /// it (Intel ICH9 §13.1; byte accesses to CF8–CFB are other ports).
    /// CONFIG_DATA byte lanes are 0xCFC–0xCFF; an access running past 0xCFF
    /// reads all-ones. With the enable bit clear, data reads all-ones and
    /// writes are dropped.
    pub fn pio_read(&mut self, port: u16, size: u8) -> Option<u32> {
        if port == PCI_CONFIG_ADDRESS_PORT && size == 4 {
            return Some(self.config_address);
        }
        let lane = port.checked_sub(PCI_CONFIG_DATA_PORT).filter(|l| *l < 4)?;
        Some(match self.cf8_target(lane, size) {
            Some((b, d, f, off)) => self.config_read(b, d, f, off, size),
            None => all_ones(size),
        })
    }

    /// A guest port write; `false` when the port is not the platform's.
    pub fn pio_write(&mut self, port: u16, size: u8, value: u32) -> bool {
        if port == PCI_CONFIG_ADDRESS_PORT && size == 4 {
            self.config_address = value & PCI_CONFIG_ADDRESS_MASK;
            return true;
        }
        let Some(lane) = port.checked_sub(PCI_CONFIG_DATA_PORT).filter(|l| *l < 4) else {
            return false;
        };
        if let Some((b, d, f, off)) = self.cf8_target(lane, size) {
            self.config_write(b, d, f, off, size, value);
        }
        true
    }

    /// The config address a CONFIG_DATA access at byte `lane` selects.
    #[inline]
    fn cf8_target(&self, lane: u16, size: u8) -> Option<(u8, u8, u8, u16)> {
        let a = self.config_address;
        if a & PCI_CONFIG_ADDRESS_ENABLE == 0
            || !matches!(size, 1 | 2 | 4)
            || lane + u16::from(size) > 4
        {
            return None;
        }
        Some((
            (a >> 16) as u8,
            ((a >> 11) & 0x1f) as u8,
            ((a >> 8) & 7) as u8,
            (a & 0xfc) as u16 + lane,
        ))
    }

    // -----------------------------------------------------------------
    // ECAM
    // -----------------------------------------------------------------

    /// The ECAM window PCIEXBAR enables now.
    pub fn ecam_window(&self) -> Option<EcamWindow> {
        self.ecam
    }

    /// A guest MMIO read; `None` when `addr` is outside the ECAM window.
    #[inline]
    pub fn mmio_read(&mut self, addr: u64, size: u8) -> Option<u32> {
        let a = self.ecam?.decode(addr)?;
        Some(self.config_read(a.bus, a.device, a.function, a.register, size))
    }

    /// A guest MMIO write; `false` when `addr` is outside the ECAM window.
    pub fn mmio_write(&mut self, addr: u64, size: u8, value: u32) -> bool {
        let Some(a) = self.ecam.and_then(|w| w.decode(addr)) else {
            return false;
        };
        self.config_write(a.bus, a.device, a.function, a.register, size, value);
        true
    }

    // -----------------------------------------------------------------
    // Topology queries
    // -----------------------------------------------------------------

    /// Number of functions placed.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// Every function, in placement order (hot-removed ones left out).
    pub fn function_ids(&self) -> impl Iterator<Item = FunctionId> + '_ {
        self.functions
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.vacant)
            .map(|(i, _)| FunctionId(i as u16))
    }

    /// The function a Type 0 access to `bus`/`devfn` reaches now.
    pub fn function_at(&self, bus: u8, devfn: Devfn) -> Option<FunctionId> {
        self.target(bus, devfn.device(), devfn.function(), 0)
            .map(|i| FunctionId(i as u16))
    }

    /// The bus/device/function the guest reaches `id` at now (`None`:
    /// unreachable with the bus numbers programmed).
    pub fn bdf(&self, id: FunctionId) -> Option<Bdf> {
        let p = self.functions.get(usize::from(id.0))?;
        let bus = self.buses[usize::from(p.bus.0)].number?;
        (self.function_at(bus, p.devfn) == Some(id)).then_some(Bdf {
            bus,
            devfn: p.devfn,
        })
    }

    /// The physical place of `id`: the devfns from the root, e.g. `00:1c.0/00.0`
    /// (a hot-removed function keeps the place it had).
    pub fn path(&self, id: FunctionId) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(id);
        // The tree is finite and acyclic: at most one step per function.
        while let Some(f) = cur {
            let Some(p) = self.functions.get(usize::from(f.0)) else {
                break;
            };
            parts.push(p.devfn.to_string());
            cur = self.buses[usize::from(p.bus.0)].parent;
            if parts.len() > self.functions.len() {
                break;
            }
        }
        parts.reverse();
        format!("00:{}", parts.join("/"))
    }

    /// The bus segment `id` sits on and its devfn there.
    pub fn placement(&self, id: FunctionId) -> Option<(BusId, Devfn)> {
        self.functions
            .get(usize::from(id.0))
            .filter(|p| !p.vacant)
            .map(|p| (p.bus, p.devfn))
    }

    /// The secondary bus segment of bridge `id`.
    pub fn secondary_bus(&self, id: FunctionId) -> Option<BusId> {
        self.functions.get(usize::from(id.0))?.bridge.map(|b| b.0)
    }

    /// The kind of bus segment `bus` is.
    pub fn bus_kind(&self, bus: BusId) -> Option<BusKind> {
        self.buses.get(usize::from(bus.0)).map(|b| b.kind)
    }

    /// The bus number the guest reaches segment `bus` with now.
    pub fn bus_number(&self, bus: BusId) -> Option<u8> {
        self.buses.get(usize::from(bus.0)).and_then(|b| b.number)
    }

    /// The routing state of bridge `id` as the guest last programmed it.
    pub fn bridge_state(&self, id: FunctionId) -> Option<BridgeState> {
        self.functions.get(usize::from(id.0))?.bridge.map(|b| b.1)
    }

    /// Function `id` itself (e.g. for a front end's MMIO to its BARs);
    /// `None` once hot-removed.
    pub fn function_mut(&mut self, id: FunctionId) -> Option<&mut dyn Function> {
        let p = self.functions.get_mut(usize::from(id.0))?;
        if p.vacant {
            return None;
        }
        Some(p.func.as_mut())
    }

    /// Function `id` as its concrete type `T`, if it is one and offers
    /// itself through [`Function::as_any_mut`].
    pub fn function_as<T: 'static>(&mut self, id: FunctionId) -> Option<&mut T> {
        self.function_mut(id)?.as_any_mut()?.downcast_mut::<T>()
    }

    /// The human name of function `id`.
    pub fn describe(&self, id: FunctionId) -> String {
        self.functions
            .get(usize::from(id.0))
            .map(|p| p.func.describe())
            .unwrap_or_default()
    }

    /// The MCH (00:00.0), if the platform has the Q35 chipset.
    pub fn mch(&self) -> Option<FunctionId> {
        self.mch
    }

    /// The LPC bridge (00:1f.0), if the platform has the Q35 chipset.
    pub fn lpc(&self) -> Option<FunctionId> {
        self.lpc
    }

    // -----------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------

    /// The event queue (drain it with `pop`/`drain`).
    pub fn events(&mut self) -> &mut EventQueue {
        &mut self.events
    }

    // -----------------------------------------------------------------
    // INTx
    // -----------------------------------------------------------------

    /// The INTx route of function `id` (`None`: no Interrupt Pin, or no chipset).
    pub fn intx_route(&self, id: FunctionId) -> Option<IntxRoute> {
        self.functions.get(usize::from(id.0))?.intx
    }

    /// Where PIRQ `link` goes now, as the LPC's PIRQx_ROUT says.
    pub fn pirq_route(&self, link: PirqLink) -> PirqRoute {
        pirq_route(link, self.pirq_rout[usize::from(link.0 & 7)])
    }

    /// Whether PIRQ `link` is asserted (by any function routed to it).
    pub fn pirq_asserted(&self, link: PirqLink) -> bool {
        self.pirq_asserted[usize::from(link.0 & 7)] > 0
    }

    /// A function raises (`true`) or lowers its INTx line. Level-triggered
    /// and shared: the link is asserted while any function on it is. Emits
    /// [`Event::IrqLevel`] when the link's level changes.
    pub fn set_intx(&mut self, id: FunctionId, asserted: bool) {
        let Some(p) = self.functions.get_mut(usize::from(id.0)) else {
            return;
        };
        let Some(route) = p.intx else { return };
        if p.intx_asserted == asserted {
            return;
        }
        p.intx_asserted = asserted;
        let n = usize::from(route.link.0 & 7);
        let before = self.pirq_asserted[n] > 0;
        if asserted {
            self.pirq_asserted[n] += 1;
        } else {
            self.pirq_asserted[n] = self.pirq_asserted[n].saturating_sub(1);
        }
        let after = self.pirq_asserted[n] > 0;
        if before != after {
            self.events.push(Event::IrqLevel {
                link: route.link,
                route: self.pirq_route(route.link),
                asserted: after,
            });
        }
    }

    // -----------------------------------------------------------------
    // Reset
    // -----------------------------------------------------------------

    /// System reset: every function back to its reset state, routing and
    /// the ECAM window with them; slots come back powered when occupied.
    pub fn reset(&mut self) {
        for i in 0..self.functions.len() {
            self.reset_function(i);
        }
        for i in 0..self.functions.len() {
            self.sync_port_link(i, false);
        }
        for i in 0..self.functions.len() {
            if let Some((bus, old)) = self.functions[i].bridge {
                let new = BridgeState::read(self.functions[i].func.as_mut());
                self.functions[i].bridge = Some((bus, new));
                self.bridge_events(FunctionId(i as u16), old, new);
            }
        }
        self.recompute_routes();
    }

    /// Resets one function: its own reset, INTx lowered, effects applied.
    fn reset_function(&mut self, i: usize) {
        self.set_intx(FunctionId(i as u16), false);
        let mut notify = Notify::new(FunctionId(i as u16), &mut self.events, &mut self.effects);
        self.functions[i].func.reset(&mut notify);
        if self.effects.any() {
            self.apply_effects(i);
        }
    }

    /// Resets everything below bus segment `bus` (Secondary Bus Reset, or
    /// the link above going down).
    pub(crate) fn reset_below(&mut self, bus: BusId) {
        let mut stack = vec![bus];
        let mut ports = Vec::new();
        // Each segment has one parent bridge: visited once, so this ends.
        while let Some(b) = stack.pop() {
            let members = self.buses[usize::from(b.0)].members.clone();
            for id in members {
                let i = usize::from(id.0);
                self.reset_function(i);
                if let Some((secondary, old)) = self.functions[i].bridge {
                    let new = BridgeState::read(self.functions[i].func.as_mut());
                    self.functions[i].bridge = Some((secondary, new));
                    self.bridge_events(id, old, new);
                    stack.push(secondary);
                    ports.push(i);
                }
            }
        }
        // Ports below came out of reset with their slots as occupancy says.
        for i in ports {
            self.sync_port_link(i, false);
        }
    }

    // -----------------------------------------------------------------
    // Bridges and routing
    // -----------------------------------------------------------------

    /// Re-reads bridge `i` after a write; re-routes, resets and reports.
    fn refresh_bridge(&mut self, i: usize) {
        let Some((secondary, old)) = self.functions[i].bridge else {
            return;
        };
        let new = BridgeState::read(self.functions[i].func.as_mut());
        if new == old {
            return;
        }
        self.functions[i].bridge = Some((secondary, new));
        let id = FunctionId(i as u16);
        self.bridge_events(id, old, new);
        if !old.in_reset() && new.in_reset() {
            self.events.push(Event::SecondaryBusReset { bridge: id });
            self.reset_below(secondary);
        }
        if old.numbers != new.numbers || old.in_reset() != new.in_reset() {
            self.recompute_routes();
        }
    }

    fn bridge_events(&mut self, id: FunctionId, old: BridgeState, new: BridgeState) {
        if old.numbers != new.numbers {
            self.events.push(Event::BusNumbersChanged {
                bridge: id,
                old: old.numbers,
                new: new.numbers,
            });
        }
        if old.windows != new.windows {
            self.events.push(Event::WindowsChanged {
                bridge: id,
                old: old.windows,
                new: new.windows,
            });
        }
    }

    /// Rebuilds the routing table from the bridges' bus numbers (see
    /// [`crate::routing`]); visits each bridge at most once.
    pub(crate) fn recompute_routes(&mut self) {
        self.routes = [Route::UNROUTED; 256];
        for b in &mut self.buses {
            b.number = None;
        }
        self.routes[0] = self.route_entry(BusId::ROOT);
        self.buses[0].number = Some(0);
        let mut stack = vec![(BusId::ROOT, BusSet::ALL.minus(BusSet::range(0, 0)))];
        while let Some((bus, mut arriving)) = stack.pop() {
            for k in 0..self.buses[usize::from(bus.0)].bridges.len() {
                if arriving.is_empty() {
                    break;
                }
                let id = self.buses[usize::from(bus.0)].bridges[k];
                let Some((child, state)) = self.functions[usize::from(id.0)].bridge else {
                    continue;
                };
                let n = state.numbers;
                let mut claimed = arriving.and(BusSet::range(n.secondary, n.subordinate));
                if claimed.is_empty() {
                    continue;
                }
                arriving = arriving.minus(claimed);
                if state.in_reset() || self.functions[usize::from(id.0)].blocked {
                    continue;
                }
                if claimed.contains(n.secondary) {
                    claimed.remove(n.secondary);
                    self.routes[usize::from(n.secondary)] = self.route_entry(child);
                    self.buses[usize::from(child.0)].number = Some(n.secondary);
                }
                if !claimed.is_empty() {
                    stack.push((child, claimed));
                }
            }
        }
    }

    fn route_entry(&self, bus: BusId) -> Route {
        let b = &self.buses[usize::from(bus.0)];
        Route {
            base: u32::from(bus.0) << 8,
            limit: if b.conventional_path { 0x100 } else { 0x1000 },
        }
    }

    // -----------------------------------------------------------------
    // Chipset side effects
    // -----------------------------------------------------------------

    /// Applies what function `i` asked for during its last call.
    pub(crate) fn apply_effects(&mut self, i: usize) {
        let effects = std::mem::take(&mut self.effects);
        if let Some(window) = effects.ecam {
            if window != self.ecam {
                self.events.push(Event::EcamChanged {
                    old: self.ecam,
                    new: window,
                });
                self.ecam = window;
            }
        }
        if effects.pirq {
            self.refresh_pirq_routes(i, true);
        }
        if effects.acpi_pm {
            self.refresh_acpi_pm(i, true);
        }
        if let Some(level) = effects.intx {
            self.set_intx(FunctionId(i as u16), level);
        }
        // Guest writes only: the link calls below raise slot events, whose
        // INTx effect they apply themselves, never these two again.
        if effects.link {
            self.sync_port_link(i, true);
        }
        if effects.retrain {
            self.retrain_link(i);
        }
    }

    /// Re-reads the PIRQx_ROUT registers of LPC function `i`.
    pub(crate) fn refresh_pirq_routes(&mut self, i: usize, report: bool) {
        let f = self.functions[i].func.as_mut();
        let low = f.config_read(ICH9_LPC_PIRQA_ROUT, 4).to_le_bytes();
        let high = f.config_read(ICH9_LPC_PIRQE_ROUT, 4).to_le_bytes();
        for n in 0..ICH9_LPC_NB_PIRQS {
            let rout = if n < 4 { low[n] } else { high[n - 4] };
            let link = PirqLink(n as u8);
            let old = self.pirq_route(link);
            self.pirq_rout[n] = rout;
            let new = self.pirq_route(link);
            if report && old != new {
                self.events.push(Event::PirqRouteChanged {
                    link,
                    old,
                    new,
                    asserted: self.pirq_asserted(link),
                });
            }
        }
    }

    /// Re-reads PMBASE and ACPI_CNTL of LPC function `i`.
    pub(crate) fn refresh_acpi_pm(&mut self, i: usize, report: bool) {
        let f = self.functions[i].func.as_mut();
        let pmbase = f.config_read(ICH9_LPC_PMBASE, 4);
        let control = f.config_read(ICH9_LPC_ACPI_CTRL, 1);
        let now = crate::models::lpc::acpi_pm(pmbase, control);
        if now != self.acpi_pm {
            self.acpi_pm = now;
            if report {
                self.events.push(Event::AcpiPmChanged {
                    pm_base: now.0,
                    sci_irq: now.1,
                });
            }
        }
    }

    /// Where the ACPI PM I/O block decodes and the SCI's IRQ, as the LPC says.
    pub fn acpi_pm(&self) -> (Option<u16>, Option<u8>) {
        self.acpi_pm
    }
}
