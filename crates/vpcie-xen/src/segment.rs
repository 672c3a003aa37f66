//! Segment mode with a real hierarchy: the served segment built from the
//! domain config, planned by the firmware before the guest starts, and the
//! ACPI tables that announce it.
//!
//! ```text
//! DomainConfig ──► build: vpcie_root_ports, vpcie_switches, vpcie_pci (dump= via the
//!                  passthrough policy) on a chipset-less PlatformBuilder (bus 0 of the segment)
//!             ──► plan: vpcie-firmware numbers buses, sizes and places BARs and windows
//!                  inside vpcie_mmio32 (and vpcie_mmio64), programs them
//!             ──► Segment: the platform as the guest finds it, the plan, what to claim
//!             ──► acpi_tables(): SSDT (PNP0A08 host bridge + PNP0C02 ECAM reservation) + MCFG
//! ```
//!
//! Interrupts: the segment is MSI-only. Xen 4.17 gives a second device model
//! no way to drive a GSI on x86 (`XEN_DMOP_set_pci_intx_level` knows only
//! segment 0's PCI links), so the SSDT has no `_PRT` and every function's
//! Interrupt Line reads 0xff ("no connection", PCI 3.0 §6.2.4); ports
//! signal hot-plug, PME and AER by MSI ([`vpcie_platform::Event::Msi`], injected
//! with `XEN_DMOP_inject_msi`).

use crate::abi::RangeKind;
use crate::server::Range;
use crate::xl::{DeviceSource, DomainConfig, HostRef, PciDevice, Window};
use std::collections::BTreeMap;
use vpcie_config::regs::{PCI_INTERRUPT_LINE, PCI_INTERRUPT_PIN};
use vpcie_firmware::acpi::{self, AcpiError, HostBridge, McfgAllocation, OemIds};
use vpcie_firmware::{FirmwareConfig, FirmwareError, Plan, Size};
use vpcie_passthrough::host::dump::DumpMachine;
use vpcie_passthrough::{PassthroughFunction, PassthroughOptions};
use vpcie_platform::models::hotplug::SlotOptions;
use vpcie_platform::models::port::{PortOptions, root_port, switch_downstream, switch_upstream};
use vpcie_platform::{
    BuildError, BusId, BusKind, Devfn, Function, FunctionId, Link, LinkSpeed, Platform,
    PlatformBuilder,
};

/// Largest lspci dump file read for one `dump=` entry.
pub const MAX_DUMP_BYTES: u64 = 4 << 20;
/// `_OSC` control granted to the guest: native hot-plug (0x01), PME
/// (0x04), AER (0x08), PCI Express capability (0x10) — PCI Firmware 3.3 §4.5.1.
pub const OSC_CONTROL: u32 = 0x1d;
/// `_UID` base of the ECAM reservation device: far from hvmloader's own
/// PNP0C02 (`_UID 1`), whose clash hides one of them from the guest.
pub const ECAM_RESERVATION_UID: u32 = 0x5650_0000;

/// Why the segment cannot be built, planned or announced. Each message names
/// the config entry or device and what to change.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The config asks for something this front end cannot do.
    #[error("{0}")]
    Config(String),
    /// A device could not be read or passed through.
    #[error("{what}: {why}")]
    Device {
        /// The entry (`0000:01:00.0 (line 27)`).
        what: String,
        /// Why.
        why: String,
    },
    /// The topology is not valid.
    #[error("placing {what}: {source}")]
    Build {
        /// What was being placed.
        what: String,
        /// The platform's complaint.
        source: BuildError,
    },
    /// The firmware could not plan the segment.
    #[error(
        "the firmware cannot fit segment {segment} into vpcie_mmio32 {window}: {source}; enlarge vpcie_mmio32 or serve fewer devices"
    )]
    Plan {
        /// The segment.
        segment: u16,
        /// The 32-bit window.
        window: Window,
        /// Why.
        source: Box<FirmwareError>,
    },
    /// The plan needs space the config does not give.
    #[error("{0}")]
    Layout(String),
    /// The ACPI tables cannot be built.
    #[error("the ACPI tables of segment {segment}: {source}")]
    Acpi {
        /// The segment.
        segment: u16,
        /// Why.
        source: AcpiError,
    },
}

/// One function as placed, for messages and views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Bus, device, function as planned.
    pub bdf: (u8, u8, u8),
    /// What it is (the platform's description, or the config entry).
    pub name: String,
}

/// The served segment: the platform as the guest finds it after the
/// firmware ran, and everything the front end claims and announces.
pub struct Segment {
    /// The platform (bus 0 of the segment is its root bus).
    pub platform: Platform,
    /// Where everything is.
    pub layout: Layout,
}

/// What the firmware made of the segment, what is claimed and announced.
pub struct Layout {
    /// What the firmware did.
    pub plan: Plan,
    /// The PCI segment number.
    pub segment: u16,
    /// The ECAM window.
    pub ecam: Window,
    /// The 32-bit memory window.
    pub mmio32: Window,
    /// The 64-bit window, when the config gives one and the plan uses it.
    pub mmio64: Option<Window>,
    /// I/O port windows the plan gave bus 0 (inclusive ranges).
    pub io: Vec<(u16, u16)>,
    /// Every function, parents before children.
    pub functions: Vec<Placed>,
    /// The ports the config names (`vpcie_root_ports`, switch downstream
    /// ports), in the order declared: where `hot-add PORT` goes.
    pub ports: Vec<NamedPort>,
    /// Things worth telling the user (guessed BAR sizes, unassigned BARs).
    pub notes: Vec<String>,
}

/// A root or downstream port the config names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPort {
    /// Its name (`rp0`, `sw0.1`).
    pub name: String,
    /// The port.
    pub id: FunctionId,
    /// Its slot is Hot-Plug Capable (`hotplug=1`).
    pub hotplug: bool,
}

/// Where a `port=` name leads: the secondary bus segment of a root or
/// downstream port, and whether something already sits below it.
struct PortBus {
    bus: BusId,
    used: bool,
}

/// The topology as placed, before the firmware ran.
struct Built {
    platform: Platform,
    notes: Vec<String>,
    ports: Vec<NamedPort>,
}

fn place_err(what: impl Into<String>) -> impl FnOnce(BuildError) -> SegmentError {
    let what = what.into();
    move |source| SegmentError::Build { what, source }
}

fn entry_label(d: &PciDevice) -> String {
    if d.pos.line == 0 {
        // Not from a file: a control command's entry.
        return format!("device {}", d.host_label());
    }
    format!("vpcie_pci entry {} (line {})", d.host_label(), d.pos.line)
}

/// Reads one `dump=` file (bounded) and makes the passed-through function.
fn passthrough_of(
    d: &PciDevice,
    notes: &mut Vec<String>,
) -> Result<PassthroughFunction<vpcie_passthrough::host::dump::DumpHost>, SegmentError> {
    let what = entry_label(d);
    let dev_err = |why: String| SegmentError::Device {
        what: what.clone(),
        why,
    };
    let path = match &d.source {
        DeviceSource::Dump(p) => p,
        DeviceSource::Host => {
            return Err(dev_err(
                "host devices (sysfs) are not served in segment mode yet; give `dump=FILE` with the device's `lspci -xxxx -vvv` output".into(),
            ));
        }
    };
    let HostRef::Bdf(host) = &d.host else {
        return Err(dev_err(
            "name the host function by address (BB:DD.F) for a dump".into(),
        ));
    };
    if host.all_functions {
        return Err(dev_err(
            "`DD.*` is not served from a dump: list each function with its own entry and a common `group=`".into(),
        ));
    }
    let meta = std::fs::metadata(path)
        .map_err(|e| dev_err(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > MAX_DUMP_BYTES {
        return Err(dev_err(format!(
            "{} has {} bytes; an lspci dump has at most {MAX_DUMP_BYTES}",
            path.display(),
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| dev_err(format!("cannot read {}: {e}", path.display())))?;
    let machine =
        DumpMachine::parse(&text, None).map_err(|e| dev_err(format!("{}: {e}", path.display())))?;
    let want = vpcie_passthrough::Bdf::new(host.domain, host.bus, host.dev, host.func);
    let bdf = if machine.functions().any(|b| b == want) {
        want
    } else {
        let all: Vec<_> = machine.functions().collect();
        match all.as_slice() {
            [only] => {
                notes.push(format!(
                    "{what}: {} holds only {only}; serving it as {want}",
                    path.display()
                ));
                *only
            }
            _ => {
                return Err(dev_err(format!(
                    "{} has no function {want} (it has {})",
                    path.display(),
                    all.iter()
                        .map(|b| b.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    };
    let host_dev = machine.host(bdf).map_err(|e| dev_err(e.to_string()))?;
    let options = PassthroughOptions {
        placement: if d.placement.rc_integrated {
            vpcie_passthrough::Placement::RcIntegrated
        } else {
            vpcie_passthrough::Placement::UnderRootPort
        },
        permissive: d.options.permissive,
        forward_power_state: d.options.power_mgmt,
        ..PassthroughOptions::default()
    };
    let f = PassthroughFunction::new(host_dev, options).map_err(|e| dev_err(e.to_string()))?;
    for w in f.warnings() {
        notes.push(format!("{what}: {w}"));
    }
    Ok(f)
}

/// A card's functions by function number, as the platform's hot-add takes them.
pub type Card = Vec<(u8, Box<dyn Function>)>;

/// The functions of a card to hot-add: `entries` (the `vpcie_pci` entry
/// syntax, `dump=` sources as for cold-plugged devices) become functions
/// numbered as a group's are (`fn=`, else the host's function number when
/// there are several, else 0). Returns them with notes about the devices.
pub fn card(entries: &[PciDevice]) -> Result<(Card, Vec<String>), SegmentError> {
    let mut notes = Vec::new();
    let mut out: Card = Vec::with_capacity(entries.len());
    for d in entries {
        let p = &d.placement;
        if p.port.is_some() || p.group.is_some() || p.rc_integrated {
            return Err(SegmentError::Device {
                what: entry_label(d),
                why: "a hot-added card takes only `fn=` of the placement keys: the port is the command's, the entries are its functions".into(),
            });
        }
        let func = match (p.function, &d.host) {
            (Some(f), _) => f,
            (None, HostRef::Bdf(h)) if entries.len() > 1 => h.func,
            _ => 0,
        };
        if func > 7 || out.iter().any(|(f, _)| *f == func) {
            return Err(SegmentError::Device {
                what: entry_label(d),
                why: format!("function {func} is taken or not 0-7; give each entry its own `fn=`"),
            });
        }
        let f = passthrough_of(d, &mut notes)?;
        out.push((func, Box::new(f)));
    }
    Ok((out, notes))
}

/// A device of the segment: the `vpcie_pci` entries of one group (or one entry).
struct Group<'a> {
    entries: Vec<&'a PciDevice>,
}

fn groups(cfg: &DomainConfig) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &cfg.vpcie.devices {
        match &d.placement.group {
            Some(g) => match by_name.get(g.as_str()) {
                Some(&i) => out[i].entries.push(d),
                None => {
                    by_name.insert(g, out.len());
                    out.push(Group { entries: vec![d] });
                }
            },
            None => out.push(Group { entries: vec![d] }),
        }
    }
    out
}

/// The link a port offers below: PCIe 4.0 x16, so that a passed-through
/// device trains to its host link (the port mirrors the host's Link
/// Capabilities when a device sits below, [`PortOptions::mirror_link`]).
const PORT_LINK: Link = Link {
    speed: LinkSpeed::GT16,
    width: 16,
};

/// The segment's topology as `cfg` describes it, before any firmware ran
/// (bus numbers, BARs and windows unprogrammed), and notes about its devices.
pub fn topology(cfg: &DomainConfig) -> Result<(Platform, Vec<String>), SegmentError> {
    topology_on(PlatformBuilder::new(), &[], cfg).map(|t| (t.platform, t.notes))
}

/// Bus-0 mode's platform: the Q35 chipset (MCH at 00.0, LPC at 1f.0) with
/// the config's root ports, switches and devices on segment 0.
pub fn q35_topology(cfg: &DomainConfig) -> Result<(Platform, Vec<String>), SegmentError> {
    topology_on(
        PlatformBuilder::q35(),
        &[0, vpcie_platform::regs::ICH9_LPC_DEV],
        cfg,
    )
    .map(|t| (t.platform, t.notes))
}

/// Places the config's ports and devices with `b`, whose root bus already
/// holds the devices `taken` (a chipset).
fn topology_on(
    mut b: PlatformBuilder,
    taken: &[u8],
    cfg: &DomainConfig,
) -> Result<Built, SegmentError> {
    let v = &cfg.vpcie;
    let mut notes = Vec::new();
    let mut ports: BTreeMap<String, PortBus> = BTreeMap::new();
    let mut named: Vec<NamedPort> = Vec::new();
    let mut used_dev = [false; 32];
    for &dev in taken {
        if let Some(u) = used_dev.get_mut(usize::from(dev)) {
            *u = true;
        }
    }
    let mut next_slot: u16 = v
        .root_ports
        .iter()
        .filter_map(|r| r.slot)
        .max()
        .map_or(1, |s| s.saturating_add(1));
    let mut root_port_number: u8 = 0;
    // Device 0 of the root bus stays free (where a host bridge would sit).
    let free_dev = |used: &mut [bool; 32], want: Option<u8>| -> Option<u8> {
        match want {
            Some(d) if d < 32 && !used[usize::from(d)] => {
                used[usize::from(d)] = true;
                Some(d)
            }
            Some(_) => None,
            None => {
                let d = (1..32u8).find(|d| !used[usize::from(*d)])?;
                used[usize::from(d)] = true;
                Some(d)
            }
        }
    };
    // Explicit device numbers first, so automatic ones never take them.
    for rp in &v.root_ports {
        if let Some(d) = rp.dev {
            if d >= 32 || used_dev[usize::from(d)] {
                return Err(SegmentError::Config(format!(
                    "line {}: root port `{}`: device {d} is out of range or taken; choose 1-31, once each",
                    rp.pos.line, rp.name
                )));
            }
            used_dev[usize::from(d)] = true;
        }
    }
    for rp in &v.root_ports {
        let dev = match rp.dev {
            Some(d) => d,
            None => free_dev(&mut used_dev, None).ok_or_else(|| {
                SegmentError::Config(format!(
                    "line {}: root port `{}`: bus 0 has no free device number left",
                    rp.pos.line, rp.name
                ))
            })?,
        };
        let devfn = Devfn::new(dev, 0).expect("device < 32");
        root_port_number = root_port_number.saturating_add(1);
        let slot_number = rp.slot.unwrap_or_else(|| {
            let s = next_slot;
            next_slot = next_slot.saturating_add(1);
            s
        });
        let opts = PortOptions {
            port_number: root_port_number,
            slot_number,
            link: PORT_LINK,
            slot: if rp.hotplug {
                SlotOptions::NATIVE
            } else {
                SlotOptions::NONE
            },
            ..PortOptions::default()
        };
        let (id, bus) = b
            .place_bridge(
                BusId::ROOT,
                devfn,
                Box::new(root_port(devfn, opts)),
                BusKind::Link,
            )
            .map_err(place_err(format!("root port `{}`", rp.name)))?;
        ports.insert(rp.name.clone(), PortBus { bus, used: false });
        named.push(NamedPort {
            name: rp.name.clone(),
            id,
            hotplug: rp.hotplug,
        });
    }
    for sw in &v.switches {
        let Some(port) = ports.get_mut(&sw.port) else {
            return Err(SegmentError::Config(format!(
                "line {}: switch `{}` hangs below `{}`, which is no root port or downstream port declared before it",
                sw.pos.line, sw.name, sw.port
            )));
        };
        if port.used {
            return Err(SegmentError::Config(format!(
                "line {}: switch `{}`: port `{}` already has something below it",
                sw.pos.line, sw.name, sw.port
            )));
        }
        port.used = true;
        let parent = port.bus;
        let (_, internal) = b
            .place_bridge(
                parent,
                Devfn(0),
                Box::new(switch_upstream(PORT_LINK)),
                BusKind::SwitchInternal,
            )
            .map_err(place_err(format!("switch `{}` upstream port", sw.name)))?;
        for (i, name) in sw.downstream_names().enumerate() {
            let Some(devfn) = Devfn::new(i as u8, 0) else {
                return Err(SegmentError::Config(format!(
                    "line {}: switch `{}` has more than 32 downstream ports",
                    sw.pos.line, sw.name
                )));
            };
            let opts = PortOptions {
                port_number: i as u8,
                slot_number: next_slot,
                link: PORT_LINK,
                slot: SlotOptions::NONE,
                ..PortOptions::default()
            };
            next_slot = next_slot.saturating_add(1);
            let (id, bus) = b
                .place_bridge(
                    internal,
                    devfn,
                    Box::new(switch_downstream(opts)),
                    BusKind::Link,
                )
                .map_err(place_err(format!("downstream port `{name}`")))?;
            named.push(NamedPort {
                name: name.clone(),
                id,
                hotplug: false,
            });
            ports.insert(name, PortBus { bus, used: false });
        }
    }
    for g in groups(cfg) {
        let first = g.entries[0];
        let what = entry_label(first);
        let port = first.placement.port.clone();
        let rc = first.placement.rc_integrated;
        if let Some(other) = g
            .entries
            .iter()
            .find(|e| e.placement.port != port || e.placement.rc_integrated != rc)
        {
            return Err(SegmentError::Config(format!(
                "{}: the entries of group `{}` must name the same port (and rc_integrated) as {what}",
                entry_label(other),
                first.placement.group.as_deref().unwrap_or("")
            )));
        }
        // Where the device goes: a named port, a root port of its own, or bus 0 (RC-integrated).
        let (bus, dev) = if rc {
            let d = free_dev(&mut used_dev, None).ok_or_else(|| {
                SegmentError::Config(format!("{what}: bus 0 has no free device number left"))
            })?;
            (BusId::ROOT, d)
        } else {
            let name = match &port {
                Some(p) => p.clone(),
                None => {
                    let d = free_dev(&mut used_dev, None).ok_or_else(|| {
                        SegmentError::Config(format!(
                            "{what}: bus 0 has no free device number for its root port"
                        ))
                    })?;
                    let devfn = Devfn::new(d, 0).expect("device < 32");
                    root_port_number = root_port_number.saturating_add(1);
                    let opts = PortOptions {
                        port_number: root_port_number,
                        slot_number: next_slot,
                        link: PORT_LINK,
                        slot: SlotOptions::NONE,
                        ..PortOptions::default()
                    };
                    next_slot = next_slot.saturating_add(1);
                    let (_, bus) = b
                        .place_bridge(
                            BusId::ROOT,
                            devfn,
                            Box::new(root_port(devfn, opts)),
                            BusKind::Link,
                        )
                        .map_err(place_err(format!("the root port of {what}")))?;
                    let name = format!("(root port of {})", first.host_label());
                    ports.insert(name.clone(), PortBus { bus, used: false });
                    name
                }
            };
            let Some(pb) = ports.get_mut(&name) else {
                return Err(SegmentError::Config(format!(
                    "{what}: port `{name}` is no root port or downstream port; declare it in vpcie_root_ports or vpcie_switches"
                )));
            };
            if pb.used {
                return Err(SegmentError::Config(format!(
                    "{what}: port `{name}` already has a device or switch below it; one device (group) per port"
                )));
            }
            pb.used = true;
            (pb.bus, 0)
        };
        let grouped = g.entries.len() > 1 || first.placement.group.is_some();
        for d in &g.entries {
            let func = match (d.placement.function, &d.host) {
                (Some(f), _) => f,
                (None, HostRef::Bdf(h)) if grouped => h.func,
                _ => 0,
            };
            let devfn = Devfn::new(dev, func).ok_or_else(|| {
                SegmentError::Config(format!("{}: function {func} is not 0-7", entry_label(d)))
            })?;
            let f = passthrough_of(d, &mut notes)?;
            b.place(bus, devfn, Box::new(f))
                .map_err(place_err(entry_label(d)))?;
        }
    }
    if ports.values().all(|p| !p.used) && cfg.vpcie.devices.is_empty() && v.root_ports.is_empty() {
        return Err(SegmentError::Config(
            "the segment is empty: give vpcie_root_ports and vpcie_pci entries".into(),
        ));
    }
    let platform = b
        .build()
        .map_err(place_err(format!("segment {}", v.segment)))?;
    Ok(Built {
        platform,
        notes,
        ports: named,
    })
}

impl Segment {
    /// Builds the segment of `cfg` and runs the firmware on it.
    pub fn build(cfg: &DomainConfig) -> Result<Segment, SegmentError> {
        let v = &cfg.vpcie;
        let Built {
            mut platform,
            mut notes,
            ports,
        } = topology_on(PlatformBuilder::new(), &[], cfg)?;
        let fw = firmware_config(cfg)?;
        let plan = vpcie_firmware::run_platform(&mut platform, &fw).map_err(|source| {
            SegmentError::Plan {
                segment: v.segment,
                window: v.mmio32,
                source: Box::new(source),
            }
        })?;
        notes.extend(plan.warnings.iter().cloned());
        let mmio64 = match (plan.high_used, v.mmio64) {
            (None, w) => w,
            (Some(used), Some(w)) if used.base >= w.base && used.end() <= w.base + w.size => {
                Some(w)
            }
            (Some(used), w) => {
                return Err(SegmentError::Layout(format!(
                    "segment {}: the firmware put 64-bit BARs at {used}, {}; give vpcie_mmio64 a window there or enlarge vpcie_mmio32",
                    v.segment,
                    match w {
                        Some(w) => format!("outside vpcie_mmio64 {w}"),
                        None => "but the config has no vpcie_mmio64".into(),
                    }
                )));
            }
        };
        let last_bus = u64::from(plan.last_bus);
        if (last_bus + 1) << 20 > v.ecam.size {
            return Err(SegmentError::Layout(format!(
                "segment {}: the hierarchy needs buses 0-{last_bus} but vpcie_ecam_buses gives {}; raise vpcie_ecam_buses",
                v.segment,
                v.ecam.size >> 20
            )));
        }
        let mut io: Vec<(u16, u16)> = Vec::new();
        let mut functions = Vec::new();
        for f in &plan.functions {
            let bdf = (f.bdf.bus, f.bdf.device, f.bdf.function);
            functions.push(Placed {
                bdf,
                name: f.name.clone().unwrap_or_else(|| f.kind.to_string()),
            });
            if f.parent.is_none() {
                let ranges = f.windows.iter().filter_map(|w| w.io).chain(
                    f.bars
                        .iter()
                        .filter(|b| b.kind == "io")
                        .filter_map(|b| b.range),
                );
                for r in ranges {
                    if r.limit() <= 0xffff {
                        io.push((r.base as u16, r.limit() as u16));
                    }
                }
            }
            // MSI-only segment: no INTx route (module documentation).
            if platform.config_read(bdf.0, bdf.1, bdf.2, PCI_INTERRUPT_PIN, 1) != 0 {
                platform.config_write(bdf.0, bdf.1, bdf.2, PCI_INTERRUPT_LINE, 1, 0xff);
            }
        }
        io.sort_unstable();
        // Events of the set-up (bus numbers, windows, BARs) are the plan's; start clean.
        platform.events().drain();
        Ok(Segment {
            platform,
            layout: Layout {
                plan,
                segment: v.segment,
                ecam: v.ecam,
                mmio32: v.mmio32,
                mmio64,
                io,
                functions,
                ports,
                notes,
            },
        })
    }
}

impl Layout {
    /// The ranges the IOREQ server claims: ECAM, the memory windows, the I/O windows.
    pub fn ranges(&self) -> Vec<Range> {
        let mut r = vec![
            Range {
                kind: RangeKind::Memory,
                start: self.ecam.base,
                end: self.ecam.last(),
            },
            Range {
                kind: RangeKind::Memory,
                start: self.mmio32.base,
                end: self.mmio32.last(),
            },
        ];
        if let Some(w) = self.mmio64 {
            r.push(Range {
                kind: RangeKind::Memory,
                start: w.base,
                end: w.last(),
            });
        }
        for &(a, b) in &self.io {
            r.push(Range {
                kind: RangeKind::Port,
                start: u64::from(a),
                end: u64::from(b),
            });
        }
        r
    }

    /// The file for xl's `acpi_firmware=`: an SSDT with the host bridge
    /// (`_SEG`, `_BBN`, `_UID`, `_CRS`, `_OSC`, no `_PRT`) and the ECAM
    /// reservation, then the MCFG entry of the segment.
    pub fn acpi_tables(&self) -> Result<Vec<u8>, SegmentError> {
        let err = |source| SegmentError::Acpi {
            segment: self.segment,
            source,
        };
        let seg = self.segment;
        let last_bus = ((self.ecam.size >> 20).clamp(1, 256) - 1) as u8;
        let range = |base: u64, size: u64| {
            vpcie_firmware::Range::new(base, size).ok_or_else(|| {
                err(AcpiError::BadRange(format!(
                    "{base:#x}+{size:#x} is empty or wraps"
                )))
            })
        };
        let bridge = HostBridge {
            name: host_bridge_name(seg),
            uid: u32::from(seg),
            segment: seg,
            bus_start: 0,
            bus_end: last_bus,
            cf8: false,
            io: self
                .io
                .iter()
                .map(|&(a, b)| range(u64::from(a), u64::from(b - a) + 1))
                .collect::<Result<_, _>>()?,
            mem32: vec![range(self.mmio32.base, self.mmio32.size)?],
            mem64: match self.mmio64 {
                Some(w) => vec![range(w.base, w.size)?],
                None => Vec::new(),
            },
            prt: None,
            osc_control: Some(OSC_CONTROL),
            children: Vec::new(),
        };
        let bridge_aml = bridge.aml().map_err(err)?;
        let reservation = acpi::ecam_reservation(
            &reservation_name(seg),
            ECAM_RESERVATION_UID | u32::from(seg),
            range(self.ecam.base, self.ecam.size)?,
        )
        .map_err(err)?;
        let sb = acpi::aml::path("\\_SB_").map_err(err)?;
        let children = [acpi::aml::Raw(bridge_aml), acpi::aml::Raw(reservation)];
        let refs: Vec<&dyn acpi_tables::Aml> = children
            .iter()
            .map(|c| c as &dyn acpi_tables::Aml)
            .collect();
        let body = acpi::aml::encode(&acpi_tables::aml::Scope::new(sb, refs));
        let oem = OemIds {
            oem_id: *b"VPCIE ",
            oem_table_id: *b"VPCIESEG",
            oem_revision: u32::from(seg),
        };
        let mut out = acpi::definition_block(*b"SSDT", &oem, &body);
        out.extend(acpi::mcfg(
            &[McfgAllocation {
                base: self.ecam.base,
                segment: seg,
                start_bus: 0,
                end_bus: last_bus,
            }],
            &oem,
        ));
        Ok(out)
    }
}

/// `PCI1` for segment 1 … `PCIF`, then `P010` …: four characters, not clashing with `PCI0`.
pub fn host_bridge_name(segment: u16) -> String {
    if segment < 16 {
        format!("PCI{segment:X}")
    } else {
        format!("P{:03X}", segment & 0xfff)
    }
}

/// `MCF1` for segment 1 … , then `M010` ….
pub fn reservation_name(segment: u16) -> String {
    if segment < 16 {
        format!("MCF{segment:X}")
    } else {
        format!("M{:03X}", segment & 0xfff)
    }
}

/// The firmware's policy for a segment: the MMIO "hole" is exactly
/// `vpcie_mmio32` (no RAM to move, no chipset ranges inside), 64-bit BARs
/// stay below 4 GiB unless the config gives `vpcie_mmio64`, hot-plug ports
/// get `vpcie_hotplug_reserve`.
pub fn firmware_config(cfg: &DomainConfig) -> Result<FirmwareConfig, SegmentError> {
    let v = &cfg.vpcie;
    let w = v.mmio32;
    let end = w.base.saturating_add(w.size);
    if w.base % (1 << 20) != 0 || w.size % (1 << 20) != 0 || w.base < (32 << 20) || end > 1 << 32 {
        return Err(SegmentError::Config(format!(
            "vpcie_mmio32 {w}: must be whole MiB between 32 MiB and 4 GiB"
        )));
    }
    let mut fw = FirmwareConfig {
        ram: Size(16 << 20),
        ..FirmwareConfig::default()
    };
    if let Some(w64) = v.mmio64 {
        // The firmware puts 64-bit resources from the 1 GiB boundary above
        // the end of RAM above 4 GiB; a segment has no RAM of its own, so
        // "RAM" reaching up to the window's base makes them start there.
        // (`Segment::build` checks the result lies inside the window.)
        let four_g = 1u64 << 32;
        if w64.base < four_g || w64.base % (1 << 30) != 0 {
            return Err(SegmentError::Config(format!(
                "vpcie_mmio64 {w64}: must start on a 1 GiB boundary at or above 4 GiB"
            )));
        }
        fw.ram = Size(w.base + (w64.base - four_g));
        let end = w64.base.saturating_add(w64.size);
        fw.phys_bits = (64 - (end - 1).leading_zeros()).clamp(40, 52) as u8;
        fw.high_window_min = Size(0);
    }
    fw.hole_start_max = Size(w.base);
    fw.hole_start_min = Size(w.base);
    fw.pci_mem_end = Size(end);
    fw.allow_memory_relocate = false;
    fw.bar64 = if v.mmio64.is_some() {
        vpcie_firmware::Bar64Mode::Auto
    } else {
        vpcie_firmware::Bar64Mode::Low
    };
    fw.hotplug.buses = v.hotplug_reserve.buses;
    fw.hotplug.mem = Size(v.hotplug_reserve.mmio);
    fw.hotplug.pref = Size(v.hotplug_reserve.mmio_pref);
    fw.osc_control = OSC_CONTROL;
    fw.validate().map_err(|e| {
        SegmentError::Config(format!("vpcie_mmio32 {w} / vpcie_hotplug_reserve: {e}"))
    })?;
    Ok(fw)
}

/// Most MSIs queued between two [`SegmentDispatch::take_msis`] calls; later ones are counted and dropped.
pub const MSI_QUEUE: usize = 1024;
/// Most event descriptions kept between two [`SegmentDispatch::take_log`] calls.
pub const EVENT_LOG: usize = 256;

/// The served segment behind an IOREQ server: ECAM accesses become config
/// accesses of the platform; the memory and I/O windows read all-ones (a
/// replayed dump has no device behind its BARs) and drop writes.
pub struct SegmentDispatch {
    /// The platform of the segment.
    pub platform: Platform,
    segment: u16,
    ecam: Window,
    msis: Vec<(u64, u32)>,
    dropped_msis: u64,
    log: Vec<String>,
    dropped_log: u64,
    /// Accesses to the windows (not ECAM).
    pub window_accesses: u64,
    /// BAR and bridge-window decode changes the guest made (sizing, Command writes).
    pub decode_changes: u64,
}

impl SegmentDispatch {
    /// Serves `platform` as segment `segment` through the ECAM window `ecam`.
    pub fn new(platform: Platform, segment: u16, ecam: Window) -> Self {
        SegmentDispatch {
            platform,
            segment,
            ecam,
            msis: Vec::new(),
            dropped_msis: 0,
            log: Vec::new(),
            dropped_log: 0,
            window_accesses: 0,
            decode_changes: 0,
        }
    }

    /// MSIs the platform sent since the last call (address, data), and how many were dropped.
    pub fn take_msis(&mut self) -> (Vec<(u64, u32)>, u64) {
        (
            std::mem::take(&mut self.msis),
            std::mem::take(&mut self.dropped_msis),
        )
    }

    /// What the guest changed since the last call (bus numbers, windows, BARs…), and how many lines were dropped.
    pub fn take_log(&mut self) -> (Vec<String>, u64) {
        (
            std::mem::take(&mut self.log),
            std::mem::take(&mut self.dropped_log),
        )
    }

    /// Takes the events the platform queued since the last access: after
    /// the front end changed it itself (hot-plug, an injected error), so
    /// that the MSIs it sent are injected.
    pub fn flush_events(&mut self) {
        self.drain_events();
    }

    /// The segment number served.
    pub fn segment(&self) -> u16 {
        self.segment
    }

    fn ecam_decode(&self, addr: u64) -> Option<(u8, u8, u8, u16)> {
        let off = addr.checked_sub(self.ecam.base)?;
        if off >= self.ecam.size {
            return None;
        }
        Some((
            (off >> 20) as u8,
            ((off >> 15) & 0x1f) as u8,
            ((off >> 12) & 7) as u8,
            (off & 0xfff) as u16,
        ))
    }

    /// Takes the platform's events after a write: MSIs to inject, the rest to the log.
    fn drain_events(&mut self) {
        let events = self.platform.events();
        if events.is_empty() {
            return;
        }
        for e in events.drain() {
            match e {
                vpcie_platform::Event::Msi { address, data, .. } => {
                    if self.msis.len() < MSI_QUEUE {
                        self.msis.push((address, data));
                    } else {
                        self.dropped_msis += 1;
                    }
                }
                // BARs and windows toggle with every sizing and Command write: counted, not logged.
                vpcie_platform::Event::BarChanged { .. }
                | vpcie_platform::Event::WindowsChanged { .. } => self.decode_changes += 1,
                other => {
                    if self.log.len() < EVENT_LOG {
                        self.log.push(format!("{other:?}"));
                    } else {
                        self.dropped_log += 1;
                    }
                }
            }
        }
    }

    fn config_read(&mut self, bus: u8, dev: u8, func: u8, reg: u16, size: u8) -> u32 {
        self.platform.config_read(bus, dev, func, reg, size)
    }

    fn config_write(&mut self, bus: u8, dev: u8, func: u8, reg: u16, size: u8, value: u32) {
        self.platform.config_write(bus, dev, func, reg, size, value);
        self.drain_events();
    }
}

impl crate::dispatch::Dispatch for SegmentDispatch {
    fn pio_read(&mut self, _port: u16, size: u8) -> u32 {
        self.window_accesses += 1;
        crate::dispatch::all_ones(size) as u32
    }
    fn pio_write(&mut self, _port: u16, _size: u8, _value: u32) {
        self.window_accesses += 1;
    }
    fn mmio_read(&mut self, addr: u64, size: u8) -> u64 {
        match self.ecam_decode(addr) {
            // A qword splits into two dwords (the platform takes 1, 2, 4).
            Some((b, d, f, reg)) if size == 8 && reg <= 0xff8 => {
                let lo = self.config_read(b, d, f, reg, 4);
                let hi = self.config_read(b, d, f, reg + 4, 4);
                u64::from(hi) << 32 | u64::from(lo)
            }
            Some((b, d, f, reg)) if size <= 4 && usize::from(reg) + usize::from(size) <= 0x1000 => {
                u64::from(self.config_read(b, d, f, reg, size))
            }
            Some(_) => crate::dispatch::all_ones(size),
            None => {
                self.window_accesses += 1;
                crate::dispatch::all_ones(size)
            }
        }
    }
    fn mmio_write(&mut self, addr: u64, size: u8, value: u64) {
        match self.ecam_decode(addr) {
            Some((b, d, f, reg)) if size == 8 && reg <= 0xff8 => {
                self.config_write(b, d, f, reg, 4, value as u32);
                self.config_write(b, d, f, reg + 4, 4, (value >> 32) as u32);
            }
            Some((b, d, f, reg)) if size <= 4 && usize::from(reg) + usize::from(size) <= 0x1000 => {
                self.config_write(b, d, f, reg, size, value as u32)
            }
            Some(_) => {}
            None => self.window_accesses += 1,
        }
    }
    fn pci_config_read(&mut self, sbdf: crate::abi::Sbdf, reg: u16, size: u8) -> u32 {
        if sbdf.seg != self.segment {
            return crate::dispatch::all_ones(size) as u32;
        }
        self.config_read(sbdf.bus, sbdf.dev, sbdf.func, reg, size)
    }
    fn pci_config_write(&mut self, sbdf: crate::abi::Sbdf, reg: u16, size: u8, value: u32) {
        if sbdf.seg == self.segment {
            self.config_write(sbdf.bus, sbdf.dev, sbdf.func, reg, size, value);
        }
    }
}

/// Which bits of each config byte a guest can change: for every function,
/// 4096 masks (a set bit: the guest's writes, or a write-1-to-clear, change
/// it). Found by writing each byte with all-ones, then zeros, then the old
/// value, on a platform nobody else uses (it is changed by the probing:
/// build a fresh [`Segment`] for it, best one per function: a port probed
/// into D3hot and back resets, and with it the routing to what is below).
/// Secondary Bus Reset is never set.
pub fn writable_masks(platform: &mut Platform, functions: &[(u8, u8, u8)]) -> Vec<Vec<u8>> {
    const BRIDGE_CONTROL_LO: u16 = vpcie_config::regs::PCI_BRIDGE_CONTROL;
    let mut out = Vec::with_capacity(functions.len());
    for &(b, d, f) in functions {
        let header = platform.config_read(b, d, f, vpcie_config::regs::PCI_HEADER_TYPE, 1) as u8;
        let bridge = header & 0x7f == 1;
        let mut mask = vec![0u8; 4096];
        for reg in 0..4096u16 {
            let old = platform.config_read(b, d, f, reg, 1) as u8;
            // Bridge Control bit 6 (Secondary Bus Reset) stays as it is.
            let keep = if bridge && reg == BRIDGE_CONTROL_LO {
                0x40
            } else {
                0
            };
            platform.config_write(b, d, f, reg, 1, u32::from(!keep | (old & keep)));
            let ones = platform.config_read(b, d, f, reg, 1) as u8;
            platform.config_write(b, d, f, reg, 1, u32::from(old & keep));
            let zeros = platform.config_read(b, d, f, reg, 1) as u8;
            platform.config_write(b, d, f, reg, 1, u32::from(old));
            mask[usize::from(reg)] = (ones ^ old) | (zeros ^ old) | (ones ^ zeros);
        }
        platform.events().drain();
        out.push(mask);
    }
    out
}
