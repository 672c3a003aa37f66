//! Hot-plug at run time: the front end adds a card to a slot, takes it
//! out, presses the attention button; the platform keeps each port's link
//! (Data Link Layer Link Active) following the card, the slot's power and
//! Link Disable, and routing following the link.
//!
//! # What the front end calls, and what the guest sees
//!
//! | call | the slot (`models::hotplug`) | the guest's pciehp |
//! |---|---|---|
//! | [`Platform::hot_add`] | Presence Detect State and Changed; Attention Button Pressed on a slot with a button; link up at once if powered | button: 5 s, power on, link, enumerate; no button: enumerate |
//! | (the guest powers the slot on) | link up, Data Link Layer State Changed, [`Event::LinkChanged`] | waits for the link, reads device 0 |
//! | [`Platform::press_attention_button`] | Attention Button Pressed | 5 s, unbind drivers, power off |
//! | (the guest powers the slot off) | [`Event::SlotPower`] `on: false`; link down; the functions below reset | — |
//! | [`Platform::hot_remove`] | allowed once powered off (or, without a power controller, with the power indicator off): Presence Detect Changed | nothing more to do |
//! | [`Platform::surprise_remove`] | any time: link down and Presence Detect Changed; [`Event::HotRemoved`] `surprise: true` | unbinds, powers off |
//!
//! A removed function's id stays valid but answers nothing: config
//! accesses to its address master-abort (all-ones), bus numbers do not
//! change, and [`Platform::function_mut`] returns `None`.

use crate::builder::MAX_FUNCTIONS;
use crate::events::Event;
use crate::function::{Function, FunctionId, Link, Notify};
use crate::models::Model;
use crate::models::hotplug::SlotState;
use crate::platform::{BusId, BusKind, Devfn, Placed, Platform, resolve_intx};
use crate::routing::NONE;
use vpcie_config::ConfigSize;
use vpcie_config::regs::*;

/// Why a hot-plug request was refused. Messages name the port by its place
/// (`00:1c.3`) and say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HotplugError {
    /// The id names no function, or a hot-removed one.
    #[error("function {0:?} is not on the platform; pass a Root Port or downstream port")]
    NoSuchPort(FunctionId),
    /// The function is not a Hot-Plug Capable port.
    #[error(
        "{port}: not a hot-plug slot (Slot Capabilities Hot-Plug Capable is clear); give the port `hotplug = true` or use another port"
    )]
    NotHotplugCapable {
        /// The port's place.
        port: String,
    },
    /// A card is in the slot already.
    #[error("{port}: the slot already holds a card; remove it first")]
    SlotOccupied {
        /// The port's place.
        port: String,
    },
    /// There is no card to remove.
    #[error("{port}: the slot is empty")]
    SlotEmpty {
        /// The port's place.
        port: String,
    },
    /// The guest still uses the card.
    #[error(
        "{port}: the guest still has the slot powered (or its power indicator on); press the attention button and wait for Event::SlotPower {{ on: false }}, or use surprise_remove"
    )]
    SlotInUse {
        /// The port's place.
        port: String,
    },
    /// The slot has no attention button.
    #[error(
        "{port}: the slot has no attention button; use surprise_remove, or let the guest power it off"
    )]
    NoAttentionButton {
        /// The port's place.
        port: String,
    },
    /// The card is not a set of functions 0–7 of one device with function 0.
    #[error("{port}: a card needs function 0 and distinct function numbers 0-7 ({why})")]
    BadCard {
        /// The port's place.
        port: String,
        /// What is wrong.
        why: String,
    },
    /// A function of the card is not an endpoint.
    #[error(
        "{port}: function {function} has header type {header_type:#04x}; only endpoints (type 0) can be hot-added (a bridge needs bus numbers the firmware did not reserve)"
    )]
    NotAnEndpoint {
        /// The port's place.
        port: String,
        /// The function number.
        function: u8,
        /// Its header type.
        header_type: u8,
    },
    /// The platform is full.
    #[error("no room for more functions (at most {max}); remove some first")]
    TooManyFunctions {
        /// The limit.
        max: usize,
    },
}

/// A refused hot-add, with the functions given back.
pub struct HotAddError {
    /// Why.
    pub error: HotplugError,
    /// The card's functions, untouched.
    pub functions: Vec<(u8, Box<dyn Function>)>,
}

impl std::fmt::Debug for HotAddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotAddError")
            .field("error", &self.error)
            .field("functions", &self.functions.len())
            .finish()
    }
}

impl std::fmt::Display for HotAddError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for HotAddError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A function taken out of a slot, given back to the front end.
pub struct RemovedFunction {
    /// The id it had (it now answers nothing).
    pub id: FunctionId,
    /// Its device and function number below the port.
    pub devfn: Devfn,
    /// The function (for a passthrough function: the host device, to give back).
    pub function: Box<dyn Function>,
}

impl std::fmt::Debug for RemovedFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemovedFunction")
            .field("id", &self.id)
            .field("devfn", &self.devfn)
            .field("function", &self.function.describe())
            .finish()
    }
}

/// What stands in a hot-removed function's place: nothing answers.
struct Vacant;

impl Function for Vacant {
    fn config_size(&self) -> ConfigSize {
        ConfigSize::Conventional
    }
    fn config_read(&mut self, _offset: u16, size: u8) -> u32 {
        crate::platform::all_ones(size)
    }
    fn config_write(&mut self, _: u16, _: u8, _: u32, _: &mut Notify<'_>) {}
    fn reset(&mut self, _: &mut Notify<'_>) {}
    fn describe(&self) -> String {
        "(removed)".to_string()
    }
}

impl Platform {
    // -----------------------------------------------------------------
    // Links
    // -----------------------------------------------------------------

    /// Port `i` as the emulated port model, if it is one.
    fn port_model(&mut self, i: usize) -> Option<&mut Model> {
        self.functions
            .get_mut(i)?
            .func
            .as_any_mut()?
            .downcast_mut::<Model>()
    }

    /// Runs `f` on port `i`'s model with a notifier, then applies what it
    /// asked for.
    fn with_port<R>(
        &mut self,
        i: usize,
        f: impl FnOnce(&mut Model, &mut Notify<'_>) -> R,
    ) -> Option<R> {
        let id = FunctionId(i as u16);
        let placed = self.functions.get_mut(i)?;
        let model = placed.func.as_any_mut()?.downcast_mut::<Model>()?;
        let mut notify = Notify::new(id, &mut self.events, &mut self.effects);
        let r = f(model, &mut notify);
        if self.effects.any() {
            self.apply_effects(i);
        }
        Some(r)
    }

    /// The function at device 0 function 0 below port `i` (a Link bus).
    fn slot_child(&self, i: usize) -> Option<(BusId, Option<usize>)> {
        let (child, _) = self.functions.get(i)?.bridge?;
        let bus = &self.buses[usize::from(child.0)];
        if bus.kind != BusKind::Link {
            return None;
        }
        let fn0 = bus
            .members
            .iter()
            .map(|m| usize::from(m.0))
            .find(|&m| self.functions[m].devfn.0 == 0);
        Some((child, fn0))
    }

    /// At build: every downstream port learns whether its slot holds a card
    /// and trains its link.
    pub(crate) fn init_ports(&mut self) {
        for i in 0..self.functions.len() {
            let Some((child, _)) = self.slot_child(i) else {
                continue;
            };
            let present = !self.buses[usize::from(child.0)].members.is_empty();
            if let Some(m) = self.port_model(i) {
                m.init_presence(present);
            }
            self.sync_port_link(i, false);
        }
    }

    /// Trains or drops port `i`'s downstream link from what its slot and
    /// the card say now (PCIe r6.x §4.2.6: the lower speed, the narrower
    /// width); the port's Link Capabilities mirror the host's port above a
    /// passthrough card. With `report`, a link that comes up or goes down
    /// raises Data Link Layer State Changed and [`Event::LinkChanged`], and
    /// a link that goes down resets the functions below (DL_Down is a
    /// conventional reset for them, §6.6.1).
    pub(crate) fn sync_port_link(&mut self, i: usize, report: bool) {
        let Some((child, fn0)) = self.slot_child(i) else {
            return;
        };
        let Some(own) = self.functions[i].func.link_capability_downstream() else {
            return;
        };
        let host = fn0.and_then(|c| self.functions[c].func.host_port_link());
        let (enabled, cap) = match self.port_model(i) {
            Some(m) => (
                m.link_enabled(),
                m.mirror_link_capability(host).unwrap_or(own),
            ),
            None => (true, own),
        };
        let link = match fn0 {
            Some(c) if enabled => {
                let theirs = self.functions[c].func.link_capability().unwrap_or(cap);
                Some(Link::negotiate(cap, theirs))
            }
            _ => None,
        };
        let old = self.functions[i].link;
        let has_card = !self.buses[usize::from(child.0)].members.is_empty();
        let blocked = link.is_none() && has_card;
        self.functions[i].link = link;
        self.functions[i].func.set_downstream_link(link);
        if let Some(c) = fn0 {
            self.functions[c].func.set_upstream_link(link);
        }
        if self.functions[i].blocked != blocked {
            self.functions[i].blocked = blocked;
            self.recompute_routes();
        }
        if !report || old == link {
            return;
        }
        let port = FunctionId(i as u16);
        if old.is_some() != link.is_some() {
            self.with_port(i, |m, n| {
                m.slot_event(crate::spec::PCI_EXP_SLTSTA_DLLSC, n);
            });
        }
        self.events.push(Event::LinkChanged { port, link });
        if old.is_some() && link.is_none() && has_card {
            self.reset_below(child);
        }
    }

    /// The guest wrote Retrain Link in port `i`: the function below passes
    /// it to its host (if its policy allows) and the link trains again.
    pub(crate) fn retrain_link(&mut self, i: usize) {
        let Some((_, Some(c))) = self.slot_child(i) else {
            return;
        };
        if self.functions[i].link.is_none() || !self.functions[c].func.retrain_link() {
            return;
        }
        let before = self.functions[i].link;
        self.sync_port_link(i, true);
        if self.functions[i].link == before {
            // Same link after retraining: still tell the front end it happened.
            self.events.push(Event::LinkChanged {
                port: FunctionId(i as u16),
                link: before,
            });
        }
    }

    // -----------------------------------------------------------------
    // The hot-plug API
    // -----------------------------------------------------------------

    /// Port `port` as a Hot-Plug Capable port: its index and slot state.
    fn hotplug_port(&mut self, port: FunctionId) -> Result<(usize, SlotState), HotplugError> {
        let i = usize::from(port.0);
        if self.functions.get(i).is_none_or(|p| p.vacant) {
            return Err(HotplugError::NoSuchPort(port));
        }
        let slot = self
            .slot_child(i)
            .and(self.port_model(i))
            .and_then(|m| m.slot());
        match slot {
            Some(s) => Ok((i, s)),
            None => Err(HotplugError::NotHotplugCapable {
                port: self.path(port),
            }),
        }
    }

    /// The slot of port `port` (`None`: not a Hot-Plug Capable port).
    pub fn slot(&mut self, port: FunctionId) -> Option<SlotState> {
        self.hotplug_port(port).ok().map(|(_, s)| s)
    }

    /// Every Hot-Plug Capable port, in placement order.
    pub fn hotplug_ports(&mut self) -> Vec<FunctionId> {
        (0..self.functions.len())
            .map(|i| FunctionId(i as u16))
            .filter(|&id| self.slot(id).is_some())
            .collect()
    }

    /// Puts a single-function card into the slot of `port` (see
    /// [`Platform::hot_add_card`]); returns the function's id.
    pub fn hot_add(
        &mut self,
        port: FunctionId,
        function: Box<dyn Function>,
    ) -> Result<FunctionId, HotAddError> {
        self.hot_add_card(port, vec![(0, function)])
            .map(|ids| ids[0])
    }

    /// Puts a card — functions `(function number, function)` of one device,
    /// function 0 among them, endpoints only — into the empty slot of
    /// `port`, at device 0 of its secondary bus. The slot reports Presence
    /// Detect Changed (and, with an attention button, Attention Button
    /// Pressed, as QEMU does, since a guest with a button enables only that
    /// event); if the slot is powered (always, without a power controller)
    /// the link comes up at once, else when the guest powers it on. Returns
    /// the functions' ids in function-number order.
    pub fn hot_add_card(
        &mut self,
        port: FunctionId,
        mut functions: Vec<(u8, Box<dyn Function>)>,
    ) -> Result<Vec<FunctionId>, HotAddError> {
        if let Err(error) = self.check_card(port, &mut functions) {
            return Err(HotAddError { error, functions });
        }
        let Ok((i, slot)) = self.hotplug_port(port) else {
            unreachable!("checked");
        };
        let Some((child, _)) = self.slot_child(i) else {
            unreachable!("checked");
        };
        let mut ids = Vec::with_capacity(functions.len());
        let n = functions.len();
        for (number, function) in functions {
            let devfn = Devfn(number);
            let placed = Placed::new(function, child, devfn, None);
            let index = if self.functions.len() < MAX_FUNCTIONS {
                self.functions.push(placed);
                self.functions.len() - 1
            } else {
                // Checked: a vacant entry exists.
                let Some(v) = self.functions.iter().position(|p| p.vacant) else {
                    unreachable!("checked");
                };
                self.functions[v] = placed;
                v
            };
            let id = FunctionId(index as u16);
            let members = &mut self.buses[usize::from(child.0)].members;
            let at = members
                .iter()
                .position(|f| self.functions[usize::from(f.0)].devfn > devfn)
                .unwrap_or(members.len());
            members.insert(at, id);
            self.slots[usize::from(child.0) << 8 | usize::from(devfn.0)] = id.0;
            ids.push(id);
        }
        let chipset = self.lpc.is_some();
        for &id in &ids {
            let k = usize::from(id.0);
            self.functions[k].func.set_multifunction(n > 1);
            let route = resolve_intx(&mut self.functions, &self.buses, chipset, k);
            self.functions[k].intx = route;
        }
        let button = slot.options.attention_button && !slot.powered;
        self.with_port(i, |m, n| {
            m.card_changed(true, n);
            if button {
                m.press_attention_button(n);
            }
        });
        self.sync_port_link(i, true);
        for &function in &ids {
            self.events.push(Event::HotAdded { port, function });
        }
        Ok(ids)
    }

    /// Checks a card before anything changes; sorts it by function number.
    fn check_card(
        &mut self,
        port: FunctionId,
        functions: &mut [(u8, Box<dyn Function>)],
    ) -> Result<(), HotplugError> {
        let (_, slot) = self.hotplug_port(port)?;
        let name = || self.path(port);
        if slot.present {
            return Err(HotplugError::SlotOccupied { port: name() });
        }
        functions.sort_by_key(|(n, _)| *n);
        let bad = |why: &str| HotplugError::BadCard {
            port: self.path(port),
            why: why.to_string(),
        };
        if functions.first().is_none_or(|(n, _)| *n != 0) {
            return Err(bad("no function 0"));
        }
        if functions.iter().any(|(n, _)| *n > 7) {
            return Err(bad("a function number above 7"));
        }
        if functions.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(bad("a function number given twice"));
        }
        for (n, f) in functions.iter_mut() {
            let header_type = f.config_read(PCI_HEADER_TYPE, 1) as u8 & PCI_HEADER_TYPE_MASK;
            if header_type != PCI_HEADER_TYPE_NORMAL {
                return Err(HotplugError::NotAnEndpoint {
                    port: self.path(port),
                    function: *n,
                    header_type,
                });
            }
        }
        let room = MAX_FUNCTIONS.saturating_sub(self.functions.len())
            + self.functions.iter().filter(|p| p.vacant).count();
        if functions.len() > room {
            return Err(HotplugError::TooManyFunctions { max: MAX_FUNCTIONS });
        }
        Ok(())
    }

    /// Takes the card out of the slot of `port` once the guest let go of it:
    /// the slot is powered off (or, without a power controller, its power
    /// indicator is off). The slot reports Presence Detect Changed; the
    /// functions are given back and their ids answer nothing.
    pub fn hot_remove(&mut self, port: FunctionId) -> Result<Vec<RemovedFunction>, HotplugError> {
        let (i, slot) = self.hotplug_port(port)?;
        if !slot.present {
            return Err(HotplugError::SlotEmpty {
                port: self.path(port),
            });
        }
        if !slot.removal_allowed() {
            return Err(HotplugError::SlotInUse {
                port: self.path(port),
            });
        }
        Ok(self.take_card(i, false))
    }

    /// Takes the card out of the slot of `port` whatever the guest is doing
    /// (a surprise removal, PCIe r6.x §6.7.6): the link drops (Data Link
    /// Layer State Changed) and Presence Detect Changed; accesses to the
    /// functions master-abort from now on. [`Event::HotRemoved`] says
    /// `surprise: true` unless the guest had let go already.
    pub fn surprise_remove(
        &mut self,
        port: FunctionId,
    ) -> Result<Vec<RemovedFunction>, HotplugError> {
        let (i, slot) = self.hotplug_port(port)?;
        if !slot.present {
            return Err(HotplugError::SlotEmpty {
                port: self.path(port),
            });
        }
        Ok(self.take_card(i, !slot.removal_allowed()))
    }

    /// Presses the attention button of the slot of `port`: a guest asks for
    /// the card to be added (empty power) or removed (powered) this way.
    pub fn press_attention_button(&mut self, port: FunctionId) -> Result<(), HotplugError> {
        let (i, _) = self.hotplug_port(port)?;
        if self.with_port(i, |m, n| m.press_attention_button(n)) == Some(true) {
            Ok(())
        } else {
            Err(HotplugError::NoAttentionButton {
                port: self.path(port),
            })
        }
    }

    /// Completes the Slot Control commands of slots with deferred Command
    /// Completed (`CommandCompleted::Deferred`); returns how many completed.
    pub fn complete_slot_commands(&mut self) -> usize {
        let mut done = 0;
        for i in 0..self.functions.len() {
            if self.functions[i].vacant || self.slot_child(i).is_none() {
                continue;
            }
            if self.with_port(i, |m, n| m.complete_slot_command(n)) == Some(true) {
                done += 1;
            }
        }
        done
    }

    /// Removes everything below port `i` (a card, or a cold-plugged switch
    /// with its own children) and reports it.
    fn take_card(&mut self, i: usize, surprise: bool) -> Vec<RemovedFunction> {
        let port = FunctionId(i as u16);
        let Some((child, _)) = self.slot_child(i) else {
            return Vec::new();
        };
        // The subtree, top down: each segment has one parent, so this ends.
        let mut order = Vec::new();
        let mut stack = vec![child];
        while let Some(b) = stack.pop() {
            for &id in &self.buses[usize::from(b.0)].members {
                order.push(id);
                if let Some((sec, _)) = self.functions[usize::from(id.0)].bridge {
                    stack.push(sec);
                }
            }
        }
        let mut removed = Vec::with_capacity(order.len());
        for &id in &order {
            let k = usize::from(id.0);
            self.set_intx(id, false);
            let (bus, devfn) = (self.functions[k].bus, self.functions[k].devfn);
            let b = &mut self.buses[usize::from(bus.0)];
            b.members.retain(|m| *m != id);
            b.bridges.retain(|m| *m != id);
            self.slots[usize::from(bus.0) << 8 | usize::from(devfn.0)] = NONE;
            let p = &mut self.functions[k];
            let function = std::mem::replace(&mut p.func, Box::new(Vacant));
            p.vacant = true;
            p.bridge = None;
            p.blocked = false;
            p.link = None;
            p.intx = None;
            removed.push(RemovedFunction {
                id,
                devfn,
                function,
            });
        }
        self.recompute_routes();
        self.with_port(i, |m, n| {
            m.card_changed(false, n);
        });
        self.sync_port_link(i, true);
        for r in &removed {
            self.events.push(Event::HotRemoved {
                port,
                function: r.id,
                surprise,
            });
        }
        removed
    }
}
