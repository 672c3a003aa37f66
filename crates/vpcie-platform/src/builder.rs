//! Placing functions on buses and building the [`Platform`].

use crate::bridge::BridgeState;
use crate::ecam::EcamWindow;
use crate::events::EventQueue;
use crate::function::{Effects, Function, FunctionId};
use crate::intx::IntxRoute;
use crate::platform::{Bus, BusId, BusKind, Devfn, Placed, Platform, resolve_intx};
use crate::routing::{NONE, Route};

/// Why a topology cannot be built. Every message names the place (the path
/// of devfns from the root, e.g. `00:1c.0/00.0`) and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Two functions at one place.
    #[error("{place}: already taken by {existing}; choose another device/function number")]
    SlotTaken {
        /// Where.
        place: String,
        /// What is there.
        existing: String,
    },
    /// A device other than 0 below a PCIe port, which the guest cannot reach.
    #[error(
        "{place}: only device 0 answers below a PCI Express port (PCIe r6.x §7.3.1); place it at 00.x or below a switch"
    )]
    NotDevice0BelowPort {
        /// Where.
        place: String,
    },
    /// A function other than 0 without function 0 at its device.
    #[error(
        "{place}: function 0 of this device is missing; guests only scan a device whose function 0 exists"
    )]
    NoFunction0 {
        /// Where.
        place: String,
    },
    /// A model placed where its kind cannot sit.
    #[error("{place}: {what}")]
    WrongPlace {
        /// Where.
        place: String,
        /// What is wrong and what to do.
        what: String,
    },
    /// The bus segment does not exist.
    #[error("bus segment {0} does not exist in this builder")]
    NoSuchBus(u16),
    /// More functions than a platform holds.
    #[error("more than {max} functions; a platform holds at most {max}")]
    TooManyFunctions {
        /// The limit.
        max: usize,
    },
    /// A description or front end names something the platform does not know.
    #[error("{0}")]
    Description(String),
}

/// Most functions one platform holds (one PCI segment's worth of device numbers).
pub const MAX_FUNCTIONS: usize = 4096;

/// Collects functions and bus segments; `build` makes the [`Platform`].
pub struct PlatformBuilder {
    functions: Vec<Placed>,
    buses: Vec<Bus>,
    mch: Option<FunctionId>,
    lpc: Option<FunctionId>,
}

impl Default for PlatformBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PlatformBuilder {
    /// An empty root bus, no chipset (for tests of routing alone).
    pub fn new() -> Self {
        PlatformBuilder {
            functions: Vec::new(),
            buses: vec![Bus {
                kind: BusKind::Root,
                parent: None,
                conventional_path: false,
                members: Vec::new(),
                bridges: Vec::new(),
                number: Some(0),
            }],
            mch: None,
            lpc: None,
        }
    }

    /// The Q35 chipset: MCH at 00:00.0 and ICH9 LPC at 00:1f.0.
    pub fn q35() -> Self {
        let mut b = Self::new();
        let root = BusId::ROOT;
        let mch = b
            .place(root, Devfn(0), Box::new(crate::models::mch::mch()))
            .expect("empty root bus");
        let lpc = b
            .place(
                root,
                Devfn((crate::regs::ICH9_LPC_DEV) << 3),
                Box::new(crate::models::lpc::lpc()),
            )
            .expect("empty root bus");
        b.mch = Some(mch);
        b.lpc = Some(lpc);
        b
    }

    /// The physical path of a place, for messages.
    fn place_name(&self, bus: BusId, devfn: Devfn) -> String {
        let mut parts = vec![devfn.to_string()];
        let mut cur = self.buses.get(usize::from(bus.0)).and_then(|b| b.parent);
        while let Some(f) = cur {
            let p = &self.functions[usize::from(f.0)];
            parts.push(p.devfn.to_string());
            cur = self.buses[usize::from(p.bus.0)].parent;
            if parts.len() > self.functions.len() + 1 {
                break;
            }
        }
        parts.reverse();
        format!("00:{}", parts.join("/"))
    }

    /// The kind of bus segment `bus` is.
    pub fn bus_kind(&self, bus: BusId) -> Option<BusKind> {
        self.buses.get(usize::from(bus.0)).map(|b| b.kind)
    }

    /// The kind of the bus `bus`'s parent bridge sits on (None for the root bus).
    pub fn parent_bus_kind(&self, bus: BusId) -> Option<BusKind> {
        let parent = self.buses.get(usize::from(bus.0))?.parent?;
        let p = &self.functions[usize::from(parent.0)];
        self.bus_kind(p.bus)
    }

    /// Places a Type 0 function (an endpoint) at `devfn` on `bus`.
    pub fn place(
        &mut self,
        bus: BusId,
        devfn: Devfn,
        function: Box<dyn Function>,
    ) -> Result<FunctionId, BuildError> {
        self.insert(bus, devfn, function, None)
    }

    /// Places a Type 1 function (a bridge or port) at `devfn` on `bus`;
    /// returns it and its new secondary bus segment of kind `secondary`.
    pub fn place_bridge(
        &mut self,
        bus: BusId,
        devfn: Devfn,
        function: Box<dyn Function>,
        secondary: BusKind,
    ) -> Result<(FunctionId, BusId), BuildError> {
        if secondary == BusKind::Root {
            return Err(BuildError::WrongPlace {
                place: self.place_name(bus, devfn),
                what: "a bridge's secondary bus cannot be a root bus".into(),
            });
        }
        let id = self.insert(bus, devfn, function, Some(secondary))?;
        let child = self.functions[usize::from(id.0)]
            .bridge
            .expect("just set")
            .0;
        Ok((id, child))
    }

    fn insert(
        &mut self,
        bus: BusId,
        devfn: Devfn,
        function: Box<dyn Function>,
        secondary: Option<BusKind>,
    ) -> Result<FunctionId, BuildError> {
        let Some(b) = self.buses.get(usize::from(bus.0)) else {
            return Err(BuildError::NoSuchBus(bus.0));
        };
        if self.functions.len() >= MAX_FUNCTIONS {
            return Err(BuildError::TooManyFunctions { max: MAX_FUNCTIONS });
        }
        if let Some(&other) = b
            .members
            .iter()
            .find(|f| self.functions[usize::from(f.0)].devfn == devfn)
        {
            return Err(BuildError::SlotTaken {
                place: self.place_name(bus, devfn),
                existing: self.functions[usize::from(other.0)].func.describe(),
            });
        }
        if b.kind == BusKind::Link && devfn.device() != 0 {
            return Err(BuildError::NotDevice0BelowPort {
                place: self.place_name(bus, devfn),
            });
        }
        let conventional = b.conventional_path;
        let id = FunctionId(self.functions.len() as u16);
        let bridge = secondary.map(|kind| {
            let child = BusId(self.buses.len() as u16);
            self.buses.push(Bus {
                kind,
                parent: Some(id),
                conventional_path: conventional || kind == BusKind::Conventional,
                members: Vec::new(),
                bridges: Vec::new(),
                number: None,
            });
            (child, BridgeState::default())
        });
        let b = &mut self.buses[usize::from(bus.0)];
        let at = b
            .members
            .iter()
            .position(|f| self.functions[usize::from(f.0)].devfn > devfn)
            .unwrap_or(b.members.len());
        b.members.insert(at, id);
        if bridge.is_some() {
            let at = b
                .bridges
                .iter()
                .position(|f| self.functions[usize::from(f.0)].devfn > devfn)
                .unwrap_or(b.bridges.len());
            b.bridges.insert(at, id);
        }
        self.functions
            .push(Placed::new(function, bus, devfn, bridge));
        Ok(id)
    }

    /// Checks the topology, links ports to what sits below them, and builds.
    pub fn build(mut self) -> Result<Platform, BuildError> {
        // Function 0 present wherever another function is; multi-function bit.
        for bus in 0..self.buses.len() {
            let members = self.buses[bus].members.clone();
            for &id in &members {
                let devfn = self.functions[usize::from(id.0)].devfn;
                let fn0 = members
                    .iter()
                    .find(|f| self.functions[usize::from(f.0)].devfn.0 == devfn.0 & !7);
                match fn0 {
                    None => {
                        return Err(BuildError::NoFunction0 {
                            place: self.place_name(BusId(bus as u16), devfn),
                        });
                    }
                    Some(&f0) if f0 != id => {
                        self.functions[usize::from(f0.0)]
                            .func
                            .set_multifunction(true);
                    }
                    Some(_) => {}
                }
            }
        }
        let chipset = self.lpc.is_some();
        let intx: Vec<Option<IntxRoute>> = (0..self.functions.len())
            .map(|i| resolve_intx(&mut self.functions, &self.buses, chipset, i))
            .collect();
        for (p, route) in self.functions.iter_mut().zip(intx) {
            p.intx = route;
        }
        let mut slots = vec![NONE; self.buses.len() * 256];
        for (i, p) in self.functions.iter_mut().enumerate() {
            slots[usize::from(p.bus.0) << 8 | usize::from(p.devfn.0)] = i as u16;
            if let Some((child, _)) = p.bridge {
                p.bridge = Some((child, BridgeState::read(p.func.as_mut())));
            }
        }
        let mut platform = Platform {
            functions: self.functions,
            buses: self.buses,
            slots,
            routes: [Route::UNROUTED; 256],
            ecam: None::<EcamWindow>,
            config_address: 0,
            events: EventQueue::new(),
            effects: Effects::default(),
            lpc: self.lpc,
            mch: self.mch,
            pirq_rout: [crate::regs::ICH9_LPC_PIRQ_ROUT_DEFAULT as u8; 8],
            pirq_asserted: [0; 8],
            acpi_pm: (None, None),
        };
        if let Some(lpc) = platform.lpc {
            platform.refresh_pirq_routes(usize::from(lpc.0), false);
            platform.refresh_acpi_pm(usize::from(lpc.0), false);
        }
        if let Some(mch) = platform.mch {
            let f = platform.functions[usize::from(mch.0)].func.as_mut();
            let lo = u64::from(f.config_read(crate::regs::MCH_HOST_BRIDGE_PCIEXBAR, 4));
            let hi = u64::from(f.config_read(crate::regs::MCH_HOST_BRIDGE_PCIEXBAR + 4, 4));
            platform.ecam = crate::ecam::decode_pciexbar(hi << 32 | lo).1;
        }
        // Each port learns whether its slot is occupied and trains its link
        // with the function at device 0 below (PCIe r6.x §4.2.6).
        platform.init_ports();
        platform.recompute_routes();
        Ok(platform)
    }
}
