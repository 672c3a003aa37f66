//! Enumeration: depth-first bus numbering and BAR sizing through config
//! accesses, as SeaBIOS `pci_bios_init_bus_rec` / `pci_bios_get_bar` and
//! hvmloader `pci_setup` do it.

use crate::access::{Bdf, ConfigAccess, ConfigExt};
use crate::error::FirmwareError;
use crate::range::Range;
use vpcie_config::regs::*;
use vpcie_config::{BarId, BarKind};

/// Capability list entries walked at most (Linux `PCI_FIND_CAP_TTL`).
const CAP_TTL: usize = 48;

/// A BAR found by sizing, and what the plan gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FoundBar {
    /// Which BAR.
    pub id: BarId,
    /// Register offset.
    pub offset: u16,
    /// Space decoded.
    pub kind: BarKind,
    /// Prefetchable (memory only).
    pub prefetchable: bool,
    /// Size in bytes, a power of two.
    pub size: u64,
    /// Address assigned (`None`: left unassigned).
    pub address: Option<u64>,
}

/// The windows a bridge implements, found by probing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WindowSupport {
    /// I/O window: `Some(true)` 32-bit, `Some(false)` 16-bit, `None` absent.
    pub io: Option<bool>,
    /// Prefetchable window: `Some(true)` 64-bit, `Some(false)` 32-bit, `None` absent.
    pub pref: Option<bool>,
}

/// Windows assigned to a bridge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Windows {
    /// I/O window.
    pub io: Option<Range>,
    /// Non-prefetchable memory window.
    pub mem: Option<Range>,
    /// Prefetchable memory window.
    pub pref: Option<Range>,
}

/// A Type 1 function.
#[derive(Clone, Debug, Default)]
pub(crate) struct BridgeFn {
    pub primary: u8,
    pub secondary: u8,
    pub subordinate: u8,
    pub support: WindowSupport,
    /// Functions on the secondary bus (indices into the topology).
    pub children: Vec<usize>,
    pub windows: Windows,
}

/// PCI Express capability facts the firmware uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PcieInfo {
    /// Device/Port Type (PCIe r6.x §7.5.3.2).
    pub port_type: u8,
    /// Physical Slot Number when a slot is implemented.
    pub slot: Option<u16>,
    /// Slot Capabilities Hot-Plug Capable.
    pub hotplug: bool,
}

/// One function found.
#[derive(Clone, Debug)]
pub(crate) struct Func {
    pub bdf: Bdf,
    pub vendor: u16,
    pub device: u16,
    /// Class code (base, sub, prog-if).
    pub class: u32,
    /// Header type without the multi-function bit.
    pub header_type: u8,
    pub pcie: Option<PcieInfo>,
    /// Interrupt Pin (1–4 = INTA–INTD, 0 none).
    pub int_pin: u8,
    pub bars: Vec<FoundBar>,
    pub bridge: Option<BridgeFn>,
    /// The bridge above (index), `None` on bus 0.
    pub parent: Option<usize>,
    pub depth: u8,
    /// Interrupt Line written (8259 IRQ), with the link it resolves to.
    pub irq: Option<(u8, u8)>,
}

impl Func {
    /// Whether a hotplug-capable slot sits below this port.
    pub fn hotplug_port(&self) -> bool {
        self.bridge.is_some() && self.pcie.is_some_and(|p| p.hotplug)
    }
}

/// What enumeration found.
#[derive(Clone, Debug, Default)]
pub(crate) struct Topology {
    pub funcs: Vec<Func>,
    /// Functions on bus 0, in devfn order.
    pub root: Vec<usize>,
    /// Highest bus number assigned (including spare numbers).
    pub last_bus: u8,
    /// Non-fatal findings.
    pub warnings: Vec<String>,
}

/// Scans from bus 0, numbers the buses depth-first and sizes every BAR.
pub(crate) fn enumerate<A: ConfigAccess + ?Sized>(
    access: &mut A,
    spare_buses: u8,
    assign_roms: bool,
) -> Result<Topology, FirmwareError> {
    let mut e = Enumerator {
        access,
        topo: Topology::default(),
        next_bus: 0,
        spare_buses,
        assign_roms,
    };
    let root = e.scan_bus(0, None, 0)?;
    e.topo.root = root;
    e.topo.last_bus = e.next_bus;
    Ok(e.topo)
}

struct Enumerator<'a, A: ConfigAccess + ?Sized> {
    access: &'a mut A,
    topo: Topology,
    next_bus: u8,
    spare_buses: u8,
    assign_roms: bool,
}

impl<A: ConfigAccess + ?Sized> Enumerator<'_, A> {
    /// Finds the functions on `bus`, numbers the bridges among them and
    /// recurses below each; returns their indices.
    fn scan_bus(
        &mut self,
        bus: u8,
        parent: Option<usize>,
        depth: u8,
    ) -> Result<Vec<usize>, FirmwareError> {
        let mut found = Vec::new();
        for device in 0..32u8 {
            let fn0 = Bdf::new(bus, device, 0);
            if self.access.read16(fn0, PCI_VENDOR_ID) == 0xffff {
                continue;
            }
            let multi = self.access.read8(fn0, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MFD != 0;
            for function in 0..if multi { 8 } else { 1 } {
                let bdf = Bdf::new(bus, device, function);
                if let Some(f) = self.probe(bdf, parent, depth) {
                    found.push(self.topo.funcs.len());
                    self.topo.funcs.push(f);
                }
            }
        }
        // Close every bridge on this bus before numbering any, so a stale
        // range cannot claim buses a sibling is about to get (SeaBIOS
        // pci_bios_init_bus_rec: "prevent accidental access").
        for &i in &found {
            if self.topo.funcs[i].bridge.is_some() {
                let bdf = self.topo.funcs[i].bdf;
                self.access.write8(bdf, PCI_SECONDARY_BUS, 0xff);
                self.access.write8(bdf, PCI_SUBORDINATE_BUS, 0);
            }
        }
        for &i in &found {
            if self.topo.funcs[i].bridge.is_none() {
                continue;
            }
            let bdf = self.topo.funcs[i].bdf;
            let secondary = self
                .next_bus
                .checked_add(1)
                .ok_or(FirmwareError::OutOfBusNumbers { bridge: bdf })?;
            self.next_bus = secondary;
            self.access.write8(bdf, PCI_PRIMARY_BUS, bus);
            self.access.write8(bdf, PCI_SECONDARY_BUS, secondary);
            // Open to the top while the subtree is numbered; set exactly after.
            self.access.write8(bdf, PCI_SUBORDINATE_BUS, 0xff);
            let children = self.scan_bus(secondary, Some(i), depth.saturating_add(1))?;
            if self.topo.funcs[i].hotplug_port() && self.spare_buses > 0 {
                self.next_bus = self.next_bus.saturating_add(self.spare_buses);
            }
            let subordinate = self.next_bus;
            self.access.write8(bdf, PCI_SUBORDINATE_BUS, subordinate);
            if let Some(b) = self.topo.funcs[i].bridge.as_mut() {
                b.primary = bus;
                b.secondary = secondary;
                b.subordinate = subordinate;
                b.children = children;
            }
        }
        Ok(found)
    }

    /// Reads the identity of one function and sizes its BARs.
    fn probe(&mut self, bdf: Bdf, parent: Option<usize>, depth: u8) -> Option<Func> {
        let a = &mut *self.access;
        let vendor = a.read16(bdf, PCI_VENDOR_ID);
        if vendor == 0xffff {
            return None;
        }
        let device = a.read16(bdf, PCI_DEVICE_ID);
        let class = a.read32(bdf, PCI_CLASS_REVISION) >> 8;
        let header_type = a.read8(bdf, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
        let int_pin = a.read8(bdf, PCI_INTERRUPT_PIN);
        let pcie = self.pcie_info(bdf);
        // Sizing writes all-ones into BARs: decode must be off meanwhile
        // (hvmloader pci_setup: "BAR programming ... whilst decode bits are
        // cleared"). It is switched on again once the plan is programmed.
        let command = self.access.read16(bdf, PCI_COMMAND);
        self.access.write16(
            bdf,
            PCI_COMMAND,
            command & !(PCI_COMMAND_IO | PCI_COMMAND_MEMORY),
        );
        let (bars, bridge) = match header_type {
            PCI_HEADER_TYPE_NORMAL => {
                (self.size_bars(bdf, PCI_STD_NUM_BARS, PCI_ROM_ADDRESS), None)
            }
            PCI_HEADER_TYPE_BRIDGE => {
                let bars = self.size_bars(bdf, PCI_BRIDGE_NUM_BARS, PCI_ROM_ADDRESS1);
                let support = self.window_support(bdf);
                (
                    bars,
                    Some(BridgeFn {
                        support,
                        ..BridgeFn::default()
                    }),
                )
            }
            other => {
                self.topo.warnings.push(format!(
                    "{bdf}: header type {other:#x} (CardBus or unknown) is not configured; its resources stay unassigned"
                ));
                (Vec::new(), None)
            }
        };
        Some(Func {
            bdf,
            vendor,
            device,
            class,
            header_type,
            pcie,
            int_pin: if (1..=4).contains(&int_pin) {
                int_pin
            } else {
                0
            },
            bars,
            bridge,
            parent,
            depth,
            irq: None,
        })
    }

    /// The PCI Express capability, if the function has one.
    fn pcie_info(&mut self, bdf: Bdf) -> Option<PcieInfo> {
        let a = &mut *self.access;
        if a.read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST == 0 {
            return None;
        }
        let mut ptr = a.read8(bdf, PCI_CAPABILITY_LIST) & !3;
        // Bounded walk: a looping list ends after CAP_TTL entries.
        for _ in 0..CAP_TTL {
            if ptr < 0x40 {
                return None;
            }
            let header = a.read16(bdf, u16::from(ptr));
            if header as u8 == PCI_CAP_ID_EXP {
                let off = u16::from(ptr);
                let flags = a.read16(bdf, off + PCI_EXP_FLAGS);
                let port_type = ((flags & PCI_EXP_FLAGS_TYPE) >> PCI_EXP_FLAGS_TYPE_SHIFT) as u8;
                let (slot, hotplug) = if flags & PCI_EXP_FLAGS_SLOT != 0 {
                    let sltcap = a.read32(bdf, off + PCI_EXP_SLTCAP);
                    // Physical Slot Number is bits 31:19, Hot-Plug Capable bit 6.
                    (Some((sltcap >> 19) as u16), sltcap & 0x40 != 0)
                } else {
                    (None, false)
                };
                return Some(PcieInfo {
                    port_type,
                    slot,
                    hotplug,
                });
            }
            ptr = ((header >> 8) as u8) & !3;
        }
        None
    }

    /// Sizes BARs 0..`count` and the expansion ROM at `rom`.
    fn size_bars(&mut self, bdf: Bdf, count: usize, rom: u16) -> Vec<FoundBar> {
        let mut bars = Vec::new();
        let mut i = 0;
        while i < count {
            let offset = PCI_BASE_ADDRESS_0 + 4 * i as u16;
            let id = BarId::Bar(i as u8);
            let a = &mut *self.access;
            let old = a.read32(bdf, offset);
            a.write32(bdf, offset, u32::MAX);
            let low = a.read32(bdf, offset);
            a.write32(bdf, offset, old);
            i += 1;
            if low == 0 || low == u32::MAX && old == u32::MAX {
                // Unimplemented (reads 0), or nothing answers.
                continue;
            }
            if old & PCI_BASE_ADDRESS_SPACE_IO != 0 {
                // I/O BARs decode 16 bits on x86 whatever the upper bits say
                // (hvmloader masks with 0xffff).
                let mask = u64::from(low & PCI_BASE_ADDRESS_IO_MASK & 0xffff);
                if mask != 0 {
                    bars.push(FoundBar {
                        id,
                        offset,
                        kind: BarKind::Io,
                        prefetchable: false,
                        size: mask & mask.wrapping_neg(),
                        address: None,
                    });
                }
                continue;
            }
            let prefetchable = old & PCI_BASE_ADDRESS_MEM_PREFETCH != 0;
            let is64 = old & PCI_BASE_ADDRESS_MEM_TYPE_MASK == PCI_BASE_ADDRESS_MEM_TYPE_64;
            let mut mask = u64::from(low & PCI_BASE_ADDRESS_MEM_MASK);
            let kind = if is64 && i < count {
                let hi_off = offset + 4;
                let old_hi = a.read32(bdf, hi_off);
                a.write32(bdf, hi_off, u32::MAX);
                let high = a.read32(bdf, hi_off);
                a.write32(bdf, hi_off, old_hi);
                mask |= u64::from(high) << 32;
                // The upper half is part of this BAR.
                i += 1;
                BarKind::Memory64
            } else {
                if is64 {
                    self.topo.warnings.push(format!(
                        "{bdf}: {id} says 64-bit but is the last BAR; treated as 32-bit"
                    ));
                }
                // A 32-bit BAR's address bits stop at 31.
                mask |= 0xffff_ffff_0000_0000;
                BarKind::Memory32
            };
            if mask & 0xffff_ffff == 0 && kind == BarKind::Memory32 {
                continue;
            }
            // Lowest writable address bit = size (hvmloader: bar_sz &= ~(bar_sz - 1)).
            let size = mask & mask.wrapping_neg();
            if size == 0 {
                continue;
            }
            bars.push(FoundBar {
                id,
                offset,
                kind,
                prefetchable,
                size,
                address: None,
            });
        }
        if self.assign_roms {
            let a = &mut *self.access;
            let old = a.read32(bdf, rom);
            a.write32(bdf, rom, PCI_ROM_ADDRESS_MASK);
            let v = a.read32(bdf, rom) & PCI_ROM_ADDRESS_MASK;
            a.write32(bdf, rom, old & !PCI_ROM_ADDRESS_ENABLE);
            if v != 0 {
                let mask = u64::from(v);
                bars.push(FoundBar {
                    id: BarId::Rom,
                    offset: rom,
                    kind: BarKind::Rom,
                    prefetchable: false,
                    size: mask & mask.wrapping_neg(),
                    address: None,
                });
            }
        }
        bars
    }

    /// Which windows a bridge implements (PCI-to-PCI Bridge 1.2 §3.2.5.6:
    /// I/O Base/Limit may be read-only zero; §3.2.5.9: so may the
    /// prefetchable ones). Probed as SeaBIOS does: write, read, restore.
    fn window_support(&mut self, bdf: Bdf) -> WindowSupport {
        let a = &mut *self.access;
        let mut io = a.read8(bdf, PCI_IO_BASE);
        if io == 0 {
            a.write8(bdf, PCI_IO_BASE, 0xf0);
            io = a.read8(bdf, PCI_IO_BASE);
            a.write8(bdf, PCI_IO_BASE, 0);
        }
        let mut pref = a.read32(bdf, PCI_PREF_MEMORY_BASE);
        if pref == 0 {
            a.write32(bdf, PCI_PREF_MEMORY_BASE, 0xfff0_fff0);
            pref = a.read32(bdf, PCI_PREF_MEMORY_BASE);
            a.write32(bdf, PCI_PREF_MEMORY_BASE, 0);
        }
        WindowSupport {
            io: (io != 0).then_some(io & PCI_IO_RANGE_TYPE_MASK == PCI_IO_RANGE_TYPE_32),
            pref: (pref != 0)
                .then_some(pref as u16 & PCI_PREF_RANGE_TYPE_MASK == PCI_PREF_RANGE_TYPE_64),
        }
    }
}
