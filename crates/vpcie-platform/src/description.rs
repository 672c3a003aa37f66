//! A platform described as data: a plain serde struct any front end can
//! fill (the CLI reads it from TOML; the Xen front end will fill it from xl
//! domain configs).
//!
//! # File format (TOML)
//!
//! The Q35 chipset is always there: the MCH at 00:00.0 and the ICH9 LPC
//! bridge at 00:1f.0. Everything else is a `[[device]]` table:
//!
//! ```toml
//! [[device]]
//! name = "rp1"            # optional; how children name their parent
//! kind = "root-port"      # root-port | switch-upstream | switch-downstream
//!                         # | pcie-pci-bridge | endpoint | external
//! at = "1c.0"             # device.function (hex) on the parent's secondary bus
//! # parent = "…"          # name of the port/bridge above; absent: bus 0
//! # slot = 1              # ports: Physical Slot Number (default: 1, 2, … in file order)
//! # port = 1              # ports: Port Number (default: function + 1 on bus 0, else device)
//! # link_speed = 8        # ports/endpoints: GT/s, one of 2.5, 5, 8, 16, 32, 64 (default 2.5)
//! # link_width = 16       # ports/endpoints: lanes (default 1)
//! # hotplug = true        # root and downstream ports: native hot-plug slot
//!                         # (default true; false: presence and link only)
//! # mirror_link = true    # root and downstream ports: Link Capabilities follow
//!                         # the host port above a passthrough device (default true)
//!
//! [[device]]
//! kind = "endpoint"
//! parent = "rp1"
//! at = "00.0"
//! # vendor_id = 0x1b36    # endpoints: identity (default: QEMU PCI test device 1b36:0005)
//! # device_id = 0x0005
//! # revision = 0
//! # class = 0x00ff00
//! # subsystem_vendor_id = 0x1af4
//! # subsystem_id = 0x1100
//! # interrupt_pin = 1     # 0 none, 1-4 INTA-INTD (default 1)
//! # pme = false           # signals PME (PME_Support D0, D3hot; default false)
//! bars = [{ bar = 0, kind = "mem32", size = 0x1000 }]   # kind: io | mem32 | mem64; prefetchable = true|false
//! ```
//!
//! Rules the builder checks (each error names the device and what to do):
//! a parent is defined before its children; root ports sit on bus 0; a
//! switch upstream port or PCIe-to-PCI bridge sits at 00.0 below a root or
//! downstream port; a downstream port sits below an upstream port; an
//! endpoint on bus 0 or below a PCIe-to-PCI bridge is conventional PCI,
//! elsewhere PCI Express. `external` devices are made by the front end
//! (the passthrough crate, for instance) through [`PlatformDescription::build_with`].

use crate::builder::{BuildError, PlatformBuilder};
use crate::function::{Function, Link, LinkSpeed};
use crate::models::endpoint::{EndpointOptions, endpoint};
use crate::models::hotplug::SlotOptions;
use crate::models::port::{
    PortOptions, pcie_to_pci_bridge, root_port, switch_downstream, switch_upstream,
};
use crate::platform::{BusId, BusKind, Devfn, Platform};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use vpcie_config::{Bar, BarId};

/// What a front end passes to make `external` devices: the description in,
/// the function (or why not) out.
pub type MakeExternal<'a> = dyn FnMut(&DeviceDescription) -> Result<Box<dyn Function>, String> + 'a;

/// A platform: the Q35 chipset plus these devices.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformDescription {
    /// Devices, parents before children.
    #[serde(default, rename = "device")]
    pub devices: Vec<DeviceDescription>,
}

/// What kind of device a description places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// A PCI Express Root Port on bus 0.
    RootPort,
    /// A switch upstream port below a root or downstream port.
    SwitchUpstream,
    /// A switch downstream port below an upstream port.
    SwitchDownstream,
    /// A PCIe-to-PCI bridge below a root or downstream port.
    #[serde(rename = "pcie-pci-bridge")]
    PcieToPciBridge,
    /// A plain emulated endpoint.
    Endpoint,
    /// A function the front end makes (e.g. a passed-through device).
    External,
}

impl std::fmt::Display for DeviceKind {
    /// The name the file format uses.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DeviceKind::RootPort => "root-port",
            DeviceKind::SwitchUpstream => "switch-upstream",
            DeviceKind::SwitchDownstream => "switch-downstream",
            DeviceKind::PcieToPciBridge => "pcie-pci-bridge",
            DeviceKind::Endpoint => "endpoint",
            DeviceKind::External => "external",
        })
    }
}

/// One device of a [`PlatformDescription`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDescription {
    /// Name children use as `parent`.
    #[serde(default)]
    pub name: Option<String>,
    /// Kind.
    pub kind: DeviceKind,
    /// Device.function on the parent's secondary bus, hex (`1c.0`).
    pub at: String,
    /// The port or bridge above; absent: bus 0.
    #[serde(default)]
    pub parent: Option<String>,
    /// Ports: Physical Slot Number.
    #[serde(default)]
    pub slot: Option<u16>,
    /// Ports: Port Number.
    #[serde(default)]
    pub port: Option<u8>,
    /// Ports and endpoints: maximum link speed in GT/s.
    #[serde(default)]
    pub link_speed: Option<f64>,
    /// Ports and endpoints: maximum link width in lanes.
    #[serde(default)]
    pub link_width: Option<u8>,
    /// Root and downstream ports: a native hot-plug slot (default true).
    #[serde(default)]
    pub hotplug: Option<bool>,
    /// Root and downstream ports: Link Capabilities mirror the host's port
    /// above a passed-through device (default true).
    #[serde(default)]
    pub mirror_link: Option<bool>,
    /// Endpoints: signals PME (default false).
    #[serde(default)]
    pub pme: Option<bool>,
    /// Endpoints: Vendor ID.
    #[serde(default)]
    pub vendor_id: Option<u16>,
    /// Endpoints: Device ID.
    #[serde(default)]
    pub device_id: Option<u16>,
    /// Endpoints: Revision ID.
    #[serde(default)]
    pub revision: Option<u8>,
    /// Endpoints: class code (24 bits).
    #[serde(default)]
    pub class: Option<u32>,
    /// Endpoints: Subsystem Vendor ID.
    #[serde(default)]
    pub subsystem_vendor_id: Option<u16>,
    /// Endpoints: Subsystem ID.
    #[serde(default)]
    pub subsystem_id: Option<u16>,
    /// Endpoints: Interrupt Pin (0 none, 1–4 INTA–INTD).
    #[serde(default)]
    pub interrupt_pin: Option<u8>,
    /// Endpoints: BARs (absent: one 4 KiB 32-bit memory BAR; `[]`: none).
    #[serde(default)]
    pub bars: Option<Vec<BarDescription>>,
    /// External devices: what the front end needs to make it (free-form).
    #[serde(default)]
    pub backend: Option<String>,
}

/// A BAR of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarDescription {
    /// BAR number, 0–5 (a 64-bit BAR uses the next one too).
    pub bar: u8,
    /// Space.
    pub kind: BarKindDescription,
    /// Size in bytes, a power of two.
    pub size: u64,
    /// Prefetchable (memory only).
    #[serde(default)]
    pub prefetchable: bool,
}

/// The space a BAR decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BarKindDescription {
    /// I/O space.
    Io,
    /// 32-bit memory.
    Mem32,
    /// 64-bit memory.
    Mem64,
}

/// The platform `vpcie dump` shows when given no file (also an example of
/// the format).
pub const DEFAULT_PLATFORM_TOML: &str = include_str!("default_platform.toml");

impl PlatformDescription {
    /// Reads a description from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, BuildError> {
        toml::from_str(text)
            .map_err(|e| BuildError::Description(format!("platform description: {e}")))
    }

    /// The embedded default platform: MCH, LPC, four ICH9 root ports, a
    /// switch with two downstream ports, endpoints (one multi-function), a
    /// PCIe-to-PCI bridge with a conventional endpoint, an empty slot.
    pub fn default_q35() -> Self {
        Self::from_toml(DEFAULT_PLATFORM_TOML).expect("the embedded default platform parses")
    }

    /// Builds the platform; `external` devices are an error.
    pub fn build(&self) -> Result<Platform, BuildError> {
        self.build_with(&mut |d: &DeviceDescription| {
            Err(format!(
                "device {}: kind \"external\" needs a front end that makes it (backend {:?})",
                d.label(),
                d.backend
            ))
        })
    }

    /// Builds the platform; `external(device)` makes each `external` device.
    pub fn build_with(&self, external: &mut MakeExternal<'_>) -> Result<Platform, BuildError> {
        let mut b = PlatformBuilder::q35();
        let mut named: HashMap<&str, BusId> = HashMap::new();
        let mut next_slot = self
            .devices
            .iter()
            .filter_map(|d| d.slot)
            .max()
            .map_or(1, |s| s.saturating_add(1));
        for d in &self.devices {
            let err =
                |what: String| BuildError::Description(format!("device {}: {what}", d.label()));
            let devfn: Devfn = d.at.parse().map_err(|e: String| err(e))?;
            let bus = match &d.parent {
                None => BusId::ROOT,
                Some(p) => *named.get(p.as_str()).ok_or_else(|| {
                    err(format!(
                        "parent \"{p}\" is not a port or bridge defined earlier in the file; define it first"
                    ))
                })?,
            };
            let bus_kind = b.bus_kind(bus).ok_or(BuildError::NoSuchBus(bus.0))?;
            let link = d.link().map_err(err)?;
            let mut slot = || {
                d.slot.unwrap_or_else(|| {
                    let s = next_slot;
                    next_slot = next_slot.saturating_add(1);
                    s
                })
            };
            let below_port = bus_kind == BusKind::Link;
            let secondary = match d.kind {
                DeviceKind::RootPort => {
                    if bus_kind != BusKind::Root {
                        return Err(err("a root port sits on bus 0: remove `parent`".into()));
                    }
                    let opts = PortOptions {
                        port_number: d.port.unwrap_or(devfn.function() + 1),
                        slot_number: slot(),
                        link,
                        slot: d.slot_options(),
                        mirror_link: d.mirror_link.unwrap_or(true),
                    };
                    Some(
                        b.place_bridge(
                            bus,
                            devfn,
                            Box::new(root_port(devfn, opts)),
                            BusKind::Link,
                        )?
                        .1,
                    )
                }
                DeviceKind::SwitchUpstream => {
                    if !below_port {
                        return Err(err(
                            "a switch upstream port sits below a root or downstream port".into(),
                        ));
                    }
                    let f = Box::new(switch_upstream(link));
                    Some(b.place_bridge(bus, devfn, f, BusKind::SwitchInternal)?.1)
                }
                DeviceKind::SwitchDownstream => {
                    if bus_kind != BusKind::SwitchInternal {
                        return Err(err(
                            "a switch downstream port sits below a switch upstream port".into(),
                        ));
                    }
                    let opts = PortOptions {
                        port_number: d.port.unwrap_or(devfn.device()),
                        slot_number: slot(),
                        link,
                        slot: d.slot_options(),
                        mirror_link: d.mirror_link.unwrap_or(true),
                    };
                    let f = Box::new(switch_downstream(opts));
                    Some(b.place_bridge(bus, devfn, f, BusKind::Link)?.1)
                }
                DeviceKind::PcieToPciBridge => {
                    if !below_port {
                        return Err(err(
                            "a PCIe-to-PCI bridge sits below a root or downstream port".into(),
                        ));
                    }
                    let f = Box::new(pcie_to_pci_bridge(link));
                    Some(b.place_bridge(bus, devfn, f, BusKind::Conventional)?.1)
                }
                DeviceKind::Endpoint => {
                    let opts = d.endpoint_options(bus_kind, link).map_err(err)?;
                    let model = endpoint(&opts).map_err(|e| err(e.to_string()))?;
                    b.place(bus, devfn, Box::new(model))?;
                    None
                }
                DeviceKind::External => {
                    let f = external(d).map_err(err)?;
                    b.place(bus, devfn, f)?;
                    None
                }
            };
            if let (Some(name), Some(sec)) = (&d.name, secondary) {
                if named.insert(name, sec).is_some() {
                    return Err(err(format!(
                        "the name \"{name}\" is used twice; names must be unique"
                    )));
                }
            }
        }
        b.build()
    }
}

impl DeviceDescription {
    /// How messages name the device.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("\"{n}\" ({} at {})", self.kind, self.at),
            None => format!("{} at {}", self.kind, self.at),
        }
    }

    /// The slot of a root or downstream port: native hot-plug unless
    /// `hotplug = false`.
    fn slot_options(&self) -> SlotOptions {
        if self.hotplug.unwrap_or(true) {
            SlotOptions::NATIVE
        } else {
            SlotOptions::NONE
        }
    }

    /// The link from `link_speed` / `link_width` (default 2.5 GT/s x1).
    fn link(&self) -> Result<Link, String> {
        let speed = match self.link_speed {
            None => LinkSpeed::GT2_5,
            Some(2.5) => LinkSpeed::GT2_5,
            Some(5.0) => LinkSpeed::GT5,
            Some(8.0) => LinkSpeed::GT8,
            Some(16.0) => LinkSpeed::GT16,
            Some(32.0) => LinkSpeed::GT32,
            Some(64.0) => LinkSpeed::GT64,
            Some(s) => {
                return Err(format!(
                    "link_speed {s} GT/s is not one of 2.5, 5, 8, 16, 32, 64"
                ));
            }
        };
        let width = self.link_width.unwrap_or(1);
        if !matches!(width, 1 | 2 | 4 | 8 | 12 | 16 | 32) {
            return Err(format!(
                "link_width {width} is not one of 1, 2, 4, 8, 12, 16, 32"
            ));
        }
        Ok(Link { speed, width })
    }

    fn endpoint_options(&self, bus_kind: BusKind, link: Link) -> Result<EndpointOptions, String> {
        let defaults = EndpointOptions::default();
        let mut bars = Vec::new();
        for b in self.bars.iter().flatten() {
            if b.bar > 5 {
                return Err(format!("BAR {} does not exist (0-5)", b.bar));
            }
            let bar = match b.kind {
                BarKindDescription::Io => Bar::io(b.size),
                BarKindDescription::Mem32 => Bar::memory32(b.size, b.prefetchable),
                BarKindDescription::Mem64 => Bar::memory64(b.size, b.prefetchable),
            };
            bars.push((BarId::Bar(b.bar), bar));
        }
        if self.interrupt_pin.is_some_and(|p| p > 4) {
            return Err("interrupt_pin must be 0 (none) or 1-4 (INTA-INTD)".into());
        }
        Ok(EndpointOptions {
            vendor: self.vendor_id.unwrap_or(defaults.vendor),
            device: self.device_id.unwrap_or(defaults.device),
            revision: self.revision.unwrap_or(defaults.revision),
            class: self.class.unwrap_or(defaults.class) & 0x00ff_ffff,
            subsystem: (
                self.subsystem_vendor_id.unwrap_or(defaults.subsystem.0),
                self.subsystem_id.unwrap_or(defaults.subsystem.1),
            ),
            bars: if self.bars.is_some() {
                bars
            } else {
                defaults.bars
            },
            interrupt_pin: self.interrupt_pin.unwrap_or(defaults.interrupt_pin),
            pcie: matches!(bus_kind, BusKind::Link | BusKind::SwitchInternal),
            link,
            pme: self.pme.unwrap_or(false),
            name: self.name.clone().unwrap_or(defaults.name),
        })
    }
}
