//! The guest firmware's PCI job — what Xen's hvmloader does for an HVM
//! guest — for a Q35 platform with a real PCI Express hierarchy.
//!
//! The firmware is a client of the platform's configuration-access API,
//! exactly like a guest ([`ConfigAccess`]): it enumerates from bus 0,
//! numbers buses depth-first, sizes BARs by writing all-ones, sizes bridge
//! windows bottom-up so they nest, sizes the MMIO hole below 4 GiB (moving
//! RAM above 4 GiB as it grows), places 64-bit resources above 4 GiB when
//! they are large or do not fit, places the ECAM window in the hole and
//! programs it through PCIEXBAR, routes INTx through the eight PIRQ links,
//! and derives the E820 map and the ACPI tables (MCFG, DSDT) from the
//! result.
//!
//! ```text
//! enumerate ──► layout (windows, hole, high) ──► program ──► Plan ──► acpi
//!  config reads/writes                          config writes        MCFG, DSDT
//! ```
//!
//! Entry point: [`run`] (or [`run_platform`] for a `vpcie_platform::Platform`).

pub mod access;
pub mod acpi;
pub mod config;
mod enumerate;
pub mod error;
mod layout;
pub mod memmap;
pub mod plan;
mod program;
pub mod range;

pub use access::{Bdf, ConfigAccess};
pub use config::{Bar64Mode, E820Type, FirmwareConfig, FixedRange, HotplugReserve, Size};
pub use error::FirmwareError;
pub use plan::{Plan, PlannedBar, PlannedFunction};
pub use range::Range;

use crate::config::{FIXED_IO, FIXED_RANGES};
use crate::enumerate::Topology;
use crate::range::align_up;
use vpcie_config::BarKind;
use vpcie_config::regs::*;
use vpcie_platform::Platform;

/// Configuration access to a [`Platform`] by bus/device/function — the
/// path Xen's ioreq `PCI_CONFIG` requests and CF8/CFC accesses share.
impl ConfigAccess for Platform {
    fn read(&mut self, bdf: Bdf, offset: u16, size: u8) -> u32 {
        self.config_read(bdf.bus, bdf.device, bdf.function, offset, size)
    }

    fn write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32) {
        self.config_write(bdf.bus, bdf.device, bdf.function, offset, size, value);
    }
}

/// Configuration access through the CF8/CFC ports of a [`Platform`]
/// (mechanism #1), as a guest without ECAM does it; offsets below 0x100.
pub struct PortIo<'a>(pub &'a mut Platform);

impl PortIo<'_> {
    fn select(&mut self, bdf: Bdf, offset: u16) -> u16 {
        let address = 0x8000_0000
            | u32::from(bdf.bus) << 16
            | u32::from(bdf.devfn()) << 8
            | u32::from(offset & 0xfc);
        self.0.pio_write(0xcf8, 4, address);
        0xcfc + (offset & 3)
    }
}

impl ConfigAccess for PortIo<'_> {
    fn read(&mut self, bdf: Bdf, offset: u16, size: u8) -> u32 {
        if offset >= 0x100 {
            return u32::MAX;
        }
        let port = self.select(bdf, offset);
        self.0.pio_read(port, size).unwrap_or(u32::MAX)
    }

    fn write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32) {
        if offset < 0x100 {
            let port = self.select(bdf, offset);
            self.0.pio_write(port, size, value);
        }
    }
}

/// Runs the firmware on `platform` and names each function after the
/// platform's description of it.
pub fn run_platform(
    platform: &mut Platform,
    config: &FirmwareConfig,
) -> Result<Plan, FirmwareError> {
    let mut plan = run(platform, config)?;
    plan.set_names(|bdf| {
        let devfn = vpcie_platform::Devfn::new(bdf.device, bdf.function)?;
        let id = platform.function_at(bdf.bus, devfn)?;
        Some(platform.describe(id))
    });
    Ok(plan)
}

/// Enumerates, plans and programs the platform behind `access`; returns
/// what it did. Nothing is programmed when planning fails.
pub fn run<A: ConfigAccess + ?Sized>(
    access: &mut A,
    config: &FirmwareConfig,
) -> Result<Plan, FirmwareError> {
    config.validate()?;
    let mut topo = enumerate::enumerate(access, config.hotplug.buses, config.assign_roms)?;
    let has_mch = topo
        .funcs
        .iter()
        .any(|f| program::is_mch(f.bdf, f.vendor, f.device));
    let ecam_size = if has_mch {
        let buses = config.ecam_buses.unwrap_or(match topo.last_bus {
            0..=63 => 64,
            64..=127 => 128,
            _ => 256,
        });
        u64::from(buses) << 20
    } else {
        0
    };

    // Fixed ranges: the platform's table, the config's extras, the RMRRs.
    let mut fixed: Vec<plan::PlannedFixed> = FIXED_RANGES
        .iter()
        .filter_map(|e| {
            Some(plan::PlannedFixed {
                name: e.name.to_string(),
                range: Range::new(e.base, e.size)?,
                e820: e.e820,
            })
        })
        .collect();
    for f in config.fixed.iter().chain(&config.rmrr) {
        if let Some(range) = f.range() {
            fixed.push(plan::PlannedFixed {
                name: f.name.clone(),
                range,
                e820: f.e820,
            });
        }
    }
    fixed.sort_by_key(|f| (f.range.base, f.range.size));
    let reserved: Vec<Range> = fixed.iter().map(|f| f.range).collect();
    let mut io_reserved: Vec<Range> = FIXED_IO
        .iter()
        .filter_map(|e| Range::new(e.base, e.size))
        .collect();
    io_reserved.extend(Range::new(u64::from(config.pm_base), 0x80));

    let layout = layout::layout(
        &mut topo,
        &layout::LayoutParams {
            config,
            reserved: &reserved,
            io_reserved: &io_reserved,
            ecam_size,
        },
    )?;
    program::program(access, &mut topo, layout.ecam, config);

    let four_g = 1u64 << 32;
    let max_addr = 1u64 << config.phys_bits;
    let high_base = layout.high_used.map(|u| u.base).or_else(|| {
        align_up(layout.memory.high_end.max(four_g), 1 << 30).filter(|b| *b < max_addr)
    });
    let high_window = high_base.and_then(|base| {
        let used_end = layout.high_used.map_or(base, |u| u.end());
        let end = used_end
            .max(base.saturating_add(config.high_window_min.0))
            .min(max_addr);
        let end = align_up(end, 1 << 30).unwrap_or(max_addr).min(max_addr);
        Range::new(base, end.saturating_sub(base))
    });
    let ecam = layout.ecam.map(|range| plan::EcamPlan {
        range,
        segment: 0,
        start_bus: 0,
        end_bus: ((range.size >> 20) - 1).min(255) as u8,
        pciexbar: range.base | program::pciexbar_length(range.size) | 1,
    });
    let mut e820_reserved: Vec<(Range, E820Type)> = fixed
        .iter()
        .filter_map(|f| f.e820.map(|t| (f.range, t)))
        .collect();
    if let Some(e) = &ecam {
        // Linux accepts MMCONFIG only when E820 (or ACPI) reserves it.
        e820_reserved.push((e.range, E820Type::Reserved));
    }
    let e820 = memmap::e820(&layout.memory, &e820_reserved);
    let mut warnings = topo.warnings.clone();
    warnings.extend(layout.warnings.iter().cloned());
    let functions = planned_functions(&topo);
    Ok(Plan {
        functions,
        last_bus: topo.last_bus,
        ecam,
        mmio_hole: Range::new(layout.hole_start, four_g - layout.hole_start)
            .expect("hole start below 4 GiB"),
        pci_mem: Range::new(
            layout.hole_start,
            config
                .pci_mem_end
                .0
                .saturating_sub(layout.hole_start)
                .max(1),
        )
        .expect("hole start below pci_mem_end"),
        high_window,
        high_used: layout.high_used,
        io_space: Range::new(layout::IO_SPACE.0, layout::IO_SPACE.1 - layout::IO_SPACE.0)
            .expect("constant"),
        memory: layout.memory,
        e820,
        fixed,
        pirq_irqs: config.pirq_irqs,
        pm_base: config.pm_base,
        warnings,
    })
}

/// The plan's view of the topology, parents before children.
fn planned_functions(topo: &Topology) -> Vec<plan::PlannedFunction> {
    let vga = program::primary_vga(topo);
    let mut order = Vec::with_capacity(topo.funcs.len());
    let mut stack: Vec<usize> = topo.root.iter().rev().copied().collect();
    while let Some(i) = stack.pop() {
        if order.len() > topo.funcs.len() {
            break;
        }
        order.push(i);
        if let Some(b) = &topo.funcs[i].bridge {
            stack.extend(b.children.iter().rev());
        }
    }
    order
        .into_iter()
        .map(|i| {
            let f = &topo.funcs[i];
            let kind = match (f.header_type, f.pcie.map(|p| p.port_type), f.class >> 8) {
                (_, Some(PCI_EXP_TYPE_ROOT_PORT), _) => "root-port",
                (_, Some(PCI_EXP_TYPE_UPSTREAM), _) => "switch-upstream",
                (_, Some(PCI_EXP_TYPE_DOWNSTREAM), _) => "switch-downstream",
                (_, Some(PCI_EXP_TYPE_PCI_BRIDGE), _) => "pcie-pci-bridge",
                (PCI_HEADER_TYPE_BRIDGE, _, _) => "pci-bridge",
                (_, _, 0x0600) => "host-bridge",
                (_, _, 0x0601) => "isa-bridge",
                _ => "endpoint",
            };
            plan::PlannedFunction {
                bdf: f.bdf,
                parent: f.parent.map(|p| topo.funcs[p].bdf),
                depth: f.depth,
                vendor_id: f.vendor,
                device_id: f.device,
                class: f.class,
                kind,
                name: None,
                pcie_port_type: f.pcie.map(|p| p.port_type),
                slot: f.pcie.and_then(|p| p.slot),
                hotplug: f.hotplug_port(),
                buses: f.bridge.as_ref().map(|b| plan::Buses {
                    primary: b.primary,
                    secondary: b.secondary,
                    subordinate: b.subordinate,
                }),
                windows: f.bridge.as_ref().map(|b| plan::PlannedWindows {
                    io: b.windows.io,
                    mem: b.windows.mem,
                    pref: b.windows.pref,
                }),
                vga_enable: f.bridge.is_some() && vga.contains(&i),
                bars: f
                    .bars
                    .iter()
                    .map(|b| plan::PlannedBar {
                        bar: match b.id {
                            vpcie_config::BarId::Rom => "ROM".to_string(),
                            id => id.to_string(),
                        },
                        offset: b.offset,
                        kind: match b.kind {
                            BarKind::Io => "io",
                            BarKind::Memory32 => "mem32",
                            BarKind::Memory64 => "mem64",
                            BarKind::Rom => "rom",
                        },
                        prefetchable: b.prefetchable,
                        size: b.size,
                        range: b.address.and_then(|a| Range::new(a, b.size)),
                    })
                    .collect(),
                interrupt: f.irq.map(|(irq, link)| plan::PlannedIrq {
                    pin: char::from(b'A' + f.int_pin.saturating_sub(1).min(3)),
                    link: char::from(b'A' + (link & 7)),
                    irq,
                    gsi: 16 + (link & 7),
                }),
            }
        })
        .collect()
}
