//! The result of the firmware run: the tree as programmed and the memory
//! map, as data (`serde`, numbers as numbers) and as text.

use crate::access::Bdf;
use crate::config::E820Type;
use crate::memmap::{E820Entry, MemoryLayout};
use crate::range::{Range, human};
use serde::Serialize;
use std::fmt::{self, Write as _};

/// Bus numbers of a bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Buses {
    /// Primary bus.
    pub primary: u8,
    /// Secondary bus.
    pub secondary: u8,
    /// Subordinate bus.
    pub subordinate: u8,
}

/// A bridge's windows as programmed (`None`: closed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlannedWindows {
    /// I/O window.
    pub io: Option<Range>,
    /// Non-prefetchable memory window.
    pub mem: Option<Range>,
    /// Prefetchable memory window.
    pub pref: Option<Range>,
}

/// A BAR as programmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedBar {
    /// "BAR0"… or "ROM".
    pub bar: String,
    /// Register offset.
    pub offset: u16,
    /// "io", "mem32", "mem64" or "rom".
    pub kind: &'static str,
    /// Prefetchable.
    pub prefetchable: bool,
    /// Size in bytes.
    pub size: u64,
    /// Where it decodes (`None`: left unassigned).
    pub range: Option<Range>,
}

/// A function's INTx route as programmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedIrq {
    /// Its pin, 'A'–'D'.
    pub pin: char,
    /// The PIRQ link, 'A'–'H'.
    pub link: char,
    /// The 8259 IRQ written into Interrupt Line.
    pub irq: u8,
    /// The I/O APIC input of the link.
    pub gsi: u8,
}

/// One function after the firmware ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedFunction {
    /// Where the guest finds it.
    pub bdf: Bdf,
    /// The bridge above (`None` on bus 0).
    pub parent: Option<Bdf>,
    /// Bridges above it.
    pub depth: u8,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Device ID.
    pub device_id: u16,
    /// Class code (24 bits).
    pub class: u32,
    /// "host-bridge", "isa-bridge", "root-port", "switch-upstream",
    /// "switch-downstream", "pcie-pci-bridge", "pci-bridge", "endpoint".
    pub kind: &'static str,
    /// A human name, when the caller knows one.
    pub name: Option<String>,
    /// PCI Express Device/Port Type, if the function has the capability.
    pub pcie_port_type: Option<u8>,
    /// Physical Slot Number of a port with a slot.
    pub slot: Option<u16>,
    /// A hotplug-capable port.
    pub hotplug: bool,
    /// Bus numbers (bridges).
    pub buses: Option<Buses>,
    /// Windows (bridges).
    pub windows: Option<PlannedWindows>,
    /// VGA Enable set in Bridge Control (the primary VGA device is below).
    pub vga_enable: bool,
    /// BARs.
    pub bars: Vec<PlannedBar>,
    /// INTx route.
    pub interrupt: Option<PlannedIrq>,
}

/// The ECAM window as programmed through PCIEXBAR and announced in MCFG.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EcamPlan {
    /// The window.
    pub range: Range,
    /// PCI segment group.
    pub segment: u16,
    /// First bus.
    pub start_bus: u8,
    /// Last bus.
    pub end_bus: u8,
    /// The value written into PCIEXBAR (MCH 0x60).
    pub pciexbar: u64,
}

/// A fixed range, as the plan kept it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedFixed {
    /// What it is.
    pub name: String,
    /// Where.
    pub range: Range,
    /// How E820 reports it.
    pub e820: Option<E820Type>,
}

/// Everything the firmware decided and programmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Functions in depth-first order (parents before children).
    pub functions: Vec<PlannedFunction>,
    /// Highest bus number assigned.
    pub last_bus: u8,
    /// ECAM, when the platform has a Q35 MCH.
    pub ecam: Option<EcamPlan>,
    /// The MMIO hole below 4 GiB: from its start to 4 GiB.
    pub mmio_hole: Range,
    /// The part of the hole for BARs and windows (hvmloader
    /// `pci_mem_start`–`pci_mem_end`).
    pub pci_mem: Range,
    /// The 64-bit window the DSDT announces (what was placed there, plus room).
    pub high_window: Option<Range>,
    /// Where BARs and windows above 4 GiB were put.
    pub high_used: Option<Range>,
    /// I/O ports for BARs and windows.
    pub io_space: Range,
    /// Guest RAM.
    pub memory: MemoryLayout,
    /// The E820 map.
    pub e820: Vec<E820Entry>,
    /// Ranges kept out of BARs (and RAM).
    pub fixed: Vec<PlannedFixed>,
    /// The 8259 IRQ of each PIRQ link A–H.
    pub pirq_irqs: [u8; 8],
    /// The ACPI PM I/O base programmed.
    pub pm_base: u16,
    /// Non-fatal findings.
    pub warnings: Vec<String>,
}

impl Plan {
    /// The function at `bdf`.
    pub fn function(&self, bdf: Bdf) -> Option<&PlannedFunction> {
        self.functions.iter().find(|f| f.bdf == bdf)
    }

    /// Root ports on bus 0, in device order.
    pub fn root_ports(&self) -> impl Iterator<Item = &PlannedFunction> {
        self.functions
            .iter()
            .filter(|f| f.bdf.bus == 0 && f.kind == "root-port")
    }

    /// Names functions with `name(bdf)` (e.g. the platform's descriptions).
    pub fn set_names(&mut self, mut name: impl FnMut(Bdf) -> Option<String>) {
        for f in &mut self.functions {
            f.name = name(f.bdf);
        }
    }
}

fn range_text(r: &Range) -> String {
    format!("{r} ({})", human(r.size))
}

impl fmt::Display for Plan {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        let _ = writeln!(s, "PCI hierarchy (bus numbers, windows, BARs)");
        for f in &self.functions {
            let pad = "  ".repeat(usize::from(f.depth));
            let _ = write!(
                s,
                "{pad}{} {:04x}:{:04x} {}",
                f.bdf, f.vendor_id, f.device_id, f.kind
            );
            if let Some(n) = &f.name {
                let _ = write!(s, " \"{n}\"");
            }
            if let Some(b) = f.buses {
                let _ = write!(s, " [buses {:02x}-{:02x}]", b.secondary, b.subordinate);
            }
            if let Some(slot) = f.slot {
                let _ = write!(s, " slot {slot}");
            }
            if f.hotplug {
                let _ = write!(s, " hotplug");
            }
            if f.vga_enable {
                let _ = write!(s, " VGA");
            }
            if let Some(i) = f.interrupt {
                let _ = write!(
                    s,
                    " INT{}->LNK{} (IRQ {}, GSI {})",
                    i.pin, i.link, i.irq, i.gsi
                );
            }
            s.push('\n');
            let pad = format!("{pad}        ");
            if let (Some(e), true) = (&self.ecam, f.bdf == Bdf::new(0, 0, 0)) {
                let _ = writeln!(
                    s,
                    "{pad}ECAM  {} buses {:02x}-{:02x} (PCIEXBAR {:#x})",
                    range_text(&e.range),
                    e.start_bus,
                    e.end_bus,
                    e.pciexbar
                );
            }
            if let Some(w) = &f.windows {
                for (name, r) in [("io", w.io), ("mem", w.mem), ("pref", w.pref)] {
                    match r {
                        Some(r) => {
                            let _ = writeln!(s, "{pad}{name:<5} {}", range_text(&r));
                        }
                        None => {
                            let _ = writeln!(s, "{pad}{name:<5} closed");
                        }
                    }
                }
            }
            for b in &f.bars {
                let kind = format!("{}{}", b.kind, if b.prefetchable { " pref" } else { "" });
                let at = b.range.map_or("unassigned".to_string(), |r| r.to_string());
                let _ = writeln!(s, "{pad}{:<5} {kind:<10} {:>9}  {at}", b.bar, human(b.size));
            }
        }
        let _ = writeln!(s, "\nMemory map");
        let _ = writeln!(
            s,
            "  MMIO hole      {} (BARs and windows in {})",
            range_text(&self.mmio_hole),
            self.pci_mem
        );
        if let Some(e) = &self.ecam {
            let _ = writeln!(s, "  ECAM           {}", range_text(&e.range));
        }
        match (&self.high_window, &self.high_used) {
            (Some(w), Some(u)) => {
                let _ = writeln!(s, "  64-bit window  {} (used {})", range_text(w), u);
            }
            (Some(w), None) => {
                let _ = writeln!(s, "  64-bit window  {} (empty, for hotplug)", range_text(w));
            }
            _ => {}
        }
        let _ = writeln!(s, "  I/O ports      {}", self.io_space);
        let m = &self.memory;
        let _ = writeln!(
            s,
            "  RAM            {}: below 4 GiB to {:#x}, above 4 GiB to {:#x}; {} relocated above 4 GiB",
            human(m.ram),
            m.low_end,
            m.high_end,
            human(m.relocated)
        );
        for f in &self.fixed {
            let _ = writeln!(s, "  fixed          {} {}", f.range, f.name);
        }
        let _ = writeln!(s, "\nE820");
        for e in &self.e820 {
            let kind = match e.kind {
                E820Type::Ram => "RAM",
                E820Type::Reserved => "reserved",
                E820Type::Acpi => "ACPI",
                E820Type::Nvs => "NVS",
            };
            let _ = writeln!(
                s,
                "  [mem {:#018x}-{:#018x}] {kind}",
                e.range.base,
                e.range.limit()
            );
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "\nWarnings");
            for w in &self.warnings {
                let _ = writeln!(s, "  {w}");
            }
        }
        out.write_str(&s)
    }
}
