//! Writing the plan into the platform through config writes: BARs, bridge
//! windows, Command, PCIEXBAR, the LPC's PIRQ routes and PMBASE, Interrupt
//! Line, VGA Enable.

use crate::access::{Bdf, ConfigAccess, ConfigExt};
use crate::config::FirmwareConfig;
use crate::enumerate::Topology;
use crate::range::Range;
use vpcie_config::BarKind;
use vpcie_config::regs::*;
use vpcie_platform::intx::{IntxPin, ich9_pirq_link, swizzle};
use vpcie_platform::regs::*;

/// Class code (base and sub class) of a VGA-compatible display controller.
const CLASS_DISPLAY_VGA: u32 = 0x0300;

/// The PCIEXBAR length field for an ECAM window of `size` bytes.
pub(crate) fn pciexbar_length(size: u64) -> u64 {
    match size {
        s if s <= 64 << 20 => MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_64M,
        s if s <= 128 << 20 => MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_128M,
        _ => MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_256M,
    }
}

/// Whether `f` at `bdf` is the Q35 MCH (QEMU's 8086:29c0 at 00:00.0).
pub(crate) fn is_mch(bdf: Bdf, vendor: u16, device: u16) -> bool {
    bdf == Bdf::new(0, Q35_MCH_DEV, 0)
        && vendor == PCI_VENDOR_ID_INTEL
        && device == PCI_DEVICE_ID_INTEL_Q35_MCH
}

/// Whether `f` at `bdf` is the ICH9 LPC bridge (8086:2918 at 00:1f.0).
pub(crate) fn is_lpc(bdf: Bdf, vendor: u16, device: u16) -> bool {
    bdf == Bdf::new(0, ICH9_LPC_DEV, 0)
        && vendor == PCI_VENDOR_ID_INTEL
        && device == PCI_DEVICE_ID_INTEL_ICH9_8
}

/// The PIRQ link (0–7) and bus-0 slot a function's pin resolves to: the
/// bridge swizzle up to bus 0 (PCI-to-PCI Bridge 1.2 §9.1), then the ICH9
/// slot table (QEMU `ich9_lpc_map_irq`).
pub(crate) fn resolve_link(topo: &Topology, func: usize) -> Option<u8> {
    let f = topo.funcs.get(func)?;
    if f.int_pin == 0 {
        return None;
    }
    let mut pin = IntxPin(f.int_pin - 1);
    let mut cur = func;
    // One step per bridge; depth is at most 255.
    for _ in 0..=256 {
        let here = &topo.funcs[cur];
        match here.parent {
            Some(p) => {
                pin = swizzle(here.bdf.device, pin);
                cur = p;
            }
            None => return Some(ich9_pirq_link(here.bdf.device, pin).0),
        }
    }
    None
}

/// Programs everything the plan assigned.
pub(crate) fn program<A: ConfigAccess + ?Sized>(
    a: &mut A,
    topo: &mut Topology,
    ecam: Option<Range>,
    cfg: &FirmwareConfig,
) {
    let vga = primary_vga(topo);
    for i in 0..topo.funcs.len() {
        let f = &topo.funcs[i];
        let bdf = f.bdf;
        let mut command = a.read16(bdf, PCI_COMMAND) & !(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
        for bar in &f.bars {
            let addr = bar.address.unwrap_or(0);
            a.write32(bdf, bar.offset, addr as u32);
            if bar.kind == BarKind::Memory64 {
                a.write32(bdf, bar.offset + 4, (addr >> 32) as u32);
            }
            if bar.address.is_some() {
                command |= if bar.kind == BarKind::Io {
                    PCI_COMMAND_IO
                } else {
                    PCI_COMMAND_MEMORY
                };
            }
        }
        if let Some(b) = &f.bridge {
            write_windows(a, bdf, &b.windows);
            if b.windows.io.is_some() {
                command |= PCI_COMMAND_IO;
            }
            if b.windows.mem.is_some() || b.windows.pref.is_some() {
                command |= PCI_COMMAND_MEMORY;
            }
            if vga.contains(&i) {
                let ctl = a.read16(bdf, PCI_BRIDGE_CONTROL);
                a.write16(bdf, PCI_BRIDGE_CONTROL, ctl | PCI_BRIDGE_CTL_VGA);
                // Legacy VGA ports and memory need decode on the way down.
                command |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
            }
        }
        if vga.first() == Some(&i) {
            command |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
        }
        // SeaBIOS pci_bios_init_device: I/O, memory and SERR; bus mastering
        // is the driver's to enable.
        a.write16(bdf, PCI_COMMAND, command | PCI_COMMAND_SERR);

        if let Some(link) = resolve_link(topo, i) {
            let irq = cfg.pirq_irqs[usize::from(link & 7)];
            a.write8(bdf, PCI_INTERRUPT_LINE, irq);
            topo.funcs[i].irq = Some((irq, link));
        }
        let f = &topo.funcs[i];
        if is_mch(bdf, f.vendor, f.device) {
            if let Some(w) = ecam {
                // SeaBIOS mch_mem_addr_setup: disable, upper half, then
                // base | length | enable in one write.
                let value = w.base | pciexbar_length(w.size) | MCH_HOST_BRIDGE_PCIEXBAREN;
                a.write32(bdf, MCH_HOST_BRIDGE_PCIEXBAR, 0);
                a.write32(bdf, MCH_HOST_BRIDGE_PCIEXBAR + 4, (value >> 32) as u32);
                a.write32(bdf, MCH_HOST_BRIDGE_PCIEXBAR, value as u32);
            }
        }
        if is_lpc(bdf, f.vendor, f.device) {
            for (n, irq) in cfg.pirq_irqs.iter().enumerate() {
                let link = vpcie_platform::intx::PirqLink(n as u8);
                a.write8(bdf, link.rout_offset(), *irq);
            }
            // hvmloader (Q35 series) and SeaBIOS: PMBASE with RTE, then ACPI_EN, SCI on IRQ 9.
            a.write32(
                bdf,
                ICH9_LPC_PMBASE,
                u32::from(cfg.pm_base) | ICH9_LPC_PMBASE_RTE,
            );
            a.write8(bdf, ICH9_LPC_ACPI_CTRL, ICH9_LPC_ACPI_CTRL_ACPI_EN as u8);
        }
    }
}

/// Writes a bridge's three windows; a window not assigned is closed
/// (base above limit, PCI-to-PCI Bridge 1.2 §3.2.5.6–10).
fn write_windows<A: ConfigAccess + ?Sized>(a: &mut A, bdf: Bdf, w: &crate::enumerate::Windows) {
    match w.io {
        Some(r) => {
            a.write8(bdf, PCI_IO_BASE, (r.base >> 8) as u8 & PCI_IO_RANGE_MASK);
            a.write8(
                bdf,
                PCI_IO_LIMIT,
                (r.limit() >> 8) as u8 & PCI_IO_RANGE_MASK,
            );
            a.write16(bdf, PCI_IO_BASE_UPPER16, (r.base >> 16) as u16);
            a.write16(bdf, PCI_IO_LIMIT_UPPER16, (r.limit() >> 16) as u16);
        }
        None => {
            a.write8(bdf, PCI_IO_BASE, 0xf0);
            a.write8(bdf, PCI_IO_LIMIT, 0);
            a.write32(bdf, PCI_IO_BASE_UPPER16, 0);
        }
    }
    match w.mem {
        Some(r) => {
            a.write16(
                bdf,
                PCI_MEMORY_BASE,
                (r.base >> 16) as u16 & PCI_MEMORY_RANGE_MASK,
            );
            a.write16(
                bdf,
                PCI_MEMORY_LIMIT,
                (r.limit() >> 16) as u16 & PCI_MEMORY_RANGE_MASK,
            );
        }
        None => {
            a.write16(bdf, PCI_MEMORY_BASE, 0xfff0);
            a.write16(bdf, PCI_MEMORY_LIMIT, 0);
        }
    }
    match w.pref {
        Some(r) => {
            a.write16(
                bdf,
                PCI_PREF_MEMORY_BASE,
                (r.base >> 16) as u16 & PCI_PREF_RANGE_MASK,
            );
            a.write16(
                bdf,
                PCI_PREF_MEMORY_LIMIT,
                (r.limit() >> 16) as u16 & PCI_PREF_RANGE_MASK,
            );
            a.write32(bdf, PCI_PREF_BASE_UPPER32, (r.base >> 32) as u32);
            a.write32(bdf, PCI_PREF_LIMIT_UPPER32, (r.limit() >> 32) as u32);
        }
        None => {
            a.write16(bdf, PCI_PREF_MEMORY_BASE, 0xfff0);
            a.write16(bdf, PCI_PREF_MEMORY_LIMIT, 0);
            a.write32(bdf, PCI_PREF_BASE_UPPER32, 0);
            a.write32(bdf, PCI_PREF_LIMIT_UPPER32, 0);
        }
    }
}

/// The primary VGA device and the bridges above it (SeaBIOS
/// `pci_enable_default_vga`: the first VGA device found, unless one sits on
/// bus 0); empty when there is none or it is on bus 0.
pub(crate) fn primary_vga(topo: &Topology) -> Vec<usize> {
    if topo
        .funcs
        .iter()
        .any(|f| f.parent.is_none() && f.class >> 8 == CLASS_DISPLAY_VGA)
    {
        return Vec::new();
    }
    let Some(i) = topo
        .funcs
        .iter()
        .position(|f| f.class >> 8 == CLASS_DISPLAY_VGA)
    else {
        return Vec::new();
    };
    let mut path = vec![i];
    let mut cur = topo.funcs[i].parent;
    while let Some(p) = cur {
        if path.len() > 256 {
            break;
        }
        path.push(p);
        cur = topo.funcs[p].parent;
    }
    path
}
