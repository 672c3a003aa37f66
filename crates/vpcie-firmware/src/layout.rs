//! Resource layout: bridge windows sized bottom-up, the MMIO hole sized to
//! fit, 64-bit resources above 4 GiB, then addresses top-down.
//!
//! Sizing follows SeaBIOS `pci_bios_check_devices`: every bus collects its
//! functions' BARs and its bridges' windows per type (I/O, memory,
//! prefetchable); a window holds what lies below, packed in decreasing
//! alignment, rounded up to its granule (memory 1 MiB, I/O 4 KiB, PCI-to-PCI
//! Bridge 1.2 §3.2.5) and aligned like its largest child. Unlike SeaBIOS
//! the size is not rounded up to the alignment (an 8 GiB BAR and a 32 MiB
//! one make an 8 GiB + 32 MiB window, not 16 GiB): the placer packs the
//! children exactly as the sizing counted them.
//!
//! The hole follows hvmloader `pci_setup`: it starts at `hole_start_max`
//! and doubles downward (one variable MTRR still covers it) until the
//! resources that must stay below 4 GiB, the ECAM window and the fixed
//! ranges fit, at most to `hole_start_min`; only then are 64-bit resources
//! relocated above 4 GiB, largest first.

use crate::config::{Bar64Mode, FirmwareConfig};
use crate::enumerate::{Func, Topology};
use crate::error::FirmwareError;
use crate::range::{FreeList, Range, align_up, human};
use vpcie_config::BarKind;

/// Memory window granule (PCI-to-PCI Bridge 1.2 §3.2.5.8).
pub(crate) const MEM_GRANULE: u64 = 1 << 20;
/// I/O window granule (§3.2.5.6).
pub(crate) const IO_GRANULE: u64 = 0x1000;
/// Smallest memory BAR slot: a page, so each BAR can be mapped to a guest
/// on its own (SeaBIOS `PCI_DEVICE_MEM_MIN`; Xen maps passthrough BARs by page).
const MEM_BAR_MIN: u64 = 0x1000;
/// I/O space for BARs (below 0x1000 is legacy ISA, x86 ports end at 0xffff).
pub(crate) const IO_SPACE: (u64, u64) = (0x1000, 0x1_0000);
const FOUR_G: u64 = 1 << 32;
/// The 64-bit window starts on a 1 GiB boundary (SeaBIOS: "1G hugepage").
const HIGH_ALIGN: u64 = 1 << 30;

/// The three kinds of window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Io = 0,
    Mem = 1,
    Pref = 2,
}

/// Who a placed range belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Bar { func: usize, bar: usize },
    Window { func: usize, class: Class },
    Ecam,
}

/// A range to place on one bus.
#[derive(Clone, Copy, Debug)]
struct Item {
    owner: Owner,
    size: u64,
    align: u64,
    /// May live above 4 GiB (a 64-bit BAR, or a 64-bit prefetchable window
    /// whose contents are all 64-bit).
    is64: bool,
    /// Largest BAR inside (itself for a BAR), for the "large" rule.
    max_bar: u64,
}

/// What a window needs and what goes in it, in packing order.
#[derive(Clone, Debug)]
struct WinReq {
    size: u64,
    align: u64,
    is64: bool,
    max_bar: u64,
    items: Vec<Item>,
}

/// The result of the layout, beyond the addresses written into the topology.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Start of the MMIO hole.
    pub hole_start: u64,
    /// The ECAM window, when asked for.
    pub ecam: Option<Range>,
    /// Where the 64-bit window starts (above RAM) and what was put there.
    pub high_used: Option<Range>,
    /// RAM placement for this hole.
    pub memory: crate::memmap::MemoryLayout,
    pub warnings: Vec<String>,
}

/// Inputs the layout needs besides the topology.
pub(crate) struct LayoutParams<'a> {
    pub config: &'a FirmwareConfig,
    /// Memory ranges no BAR, window or RAM may use.
    pub reserved: &'a [Range],
    /// I/O ranges no BAR or window may use.
    pub io_reserved: &'a [Range],
    /// ECAM size in bytes (0: none).
    pub ecam_size: u64,
}

struct Sizer<'t> {
    topo: &'t mut Topology,
    hotplug: [u64; 3],
    win: Vec<[Option<WinReq>; 3]>,
    warnings: Vec<String>,
}

fn sort_items(items: &mut [Item]) {
    items.sort_by(|a, b| b.align.cmp(&a.align).then(b.size.cmp(&a.size)));
}

/// The class and item of one BAR.
fn bar_item(
    func: usize,
    bar: usize,
    kind: BarKind,
    prefetchable: bool,
    size: u64,
) -> (Class, Item) {
    let (class, is64, size) = match kind {
        BarKind::Io => (Class::Io, false, size),
        BarKind::Memory32 | BarKind::Rom => (
            if prefetchable && kind != BarKind::Rom {
                Class::Pref
            } else {
                Class::Mem
            },
            false,
            size.max(MEM_BAR_MIN),
        ),
        BarKind::Memory64 => (
            if prefetchable {
                Class::Pref
            } else {
                Class::Mem
            },
            true,
            size.max(MEM_BAR_MIN),
        ),
    };
    (
        class,
        Item {
            owner: Owner::Bar { func, bar },
            size,
            align: size,
            is64,
            max_bar: size,
        },
    )
}

impl Sizer<'_> {
    /// The items on a bus holding `funcs`, per class.
    fn size_bus(&mut self, funcs: &[usize]) -> [Vec<Item>; 3] {
        let mut out: [Vec<Item>; 3] = Default::default();
        for &f in funcs {
            for (b, bar) in self.topo.funcs[f].bars.iter().enumerate() {
                let (class, item) = bar_item(f, b, bar.kind, bar.prefetchable, bar.size);
                out[class as usize].push(item);
            }
            let Some(bridge) = self.topo.funcs[f].bridge.as_ref() else {
                continue;
            };
            let children = bridge.children.clone();
            let support = bridge.support;
            let [io, mut mem, mut pref] = self.size_bus(&children);
            if support.pref.is_none() {
                // No prefetchable window: prefetchable resources below go in
                // the non-prefetchable one (prefetchable is a hint; PCI-to-PCI
                // Bridge 1.2 §3.2.5.9), below 4 GiB.
                mem.append(&mut pref);
            } else if support.pref == Some(true) && pref.iter().any(|i| i.is64) {
                // A 64-bit prefetchable window keeps only 64-bit resources so
                // it may go above 4 GiB; 32-bit prefetchable BARs move to the
                // non-prefetchable window, as Linux's __pci_bus_size_bridges
                // does.
                let (keep, move_down): (Vec<Item>, Vec<Item>) = pref
                    .into_iter()
                    .partition(|i| i.is64 || matches!(i.owner, Owner::Window { .. }));
                pref = keep;
                mem.extend(move_down);
            }
            let hotplug = self.topo.funcs[f].hotplug_port();
            let reserve = |c: Class| if hotplug { self.hotplug[c as usize] } else { 0 };
            let io_req = if support.io.is_some() {
                window(io, IO_GRANULE, reserve(Class::Io), false)
            } else {
                if !io.is_empty() {
                    let bdf = self.topo.funcs[f].bdf;
                    self.warnings.push(format!(
                        "{bdf}: the bridge has no I/O window; the I/O BARs below it stay unassigned"
                    ));
                }
                None
            };
            let mem_req = window(mem, MEM_GRANULE, reserve(Class::Mem), false);
            let pref_req = support
                .pref
                .and_then(|is64| window(pref, MEM_GRANULE, reserve(Class::Pref), is64));
            for (class, req) in [
                (Class::Io, io_req),
                (Class::Mem, mem_req),
                (Class::Pref, pref_req),
            ] {
                if let Some(r) = req {
                    out[class as usize].push(Item {
                        owner: Owner::Window { func: f, class },
                        size: r.size,
                        align: r.align,
                        is64: r.is64,
                        max_bar: r.max_bar,
                    });
                    self.win[f][class as usize] = Some(r);
                }
            }
        }
        out
    }
}

/// A window holding `items`, at least `reserve` bytes, in `granule`
/// steps; `None` when nothing needs it.
fn window(mut items: Vec<Item>, granule: u64, reserve: u64, is64_capable: bool) -> Option<WinReq> {
    if items.is_empty() && reserve == 0 {
        return None;
    }
    sort_items(&mut items);
    // Pack as the placer will: decreasing alignment, each child at the next
    // address aligned for it (no gap arises between BARs, whose sizes are
    // their alignments; a window smaller than a multiple of its alignment
    // may leave one before a child, and the packing counts it).
    let end = items.iter().fold(0u64, |end, i| {
        align_up(end, i.align).map_or(u64::MAX, |at| at.saturating_add(i.size))
    });
    let align = items.first().map_or(granule, |i| i.align.max(granule));
    let size = align_up(end.max(reserve), granule).unwrap_or(!(granule - 1));
    Some(WinReq {
        size,
        align,
        is64: is64_capable && items.iter().all(|i| i.is64),
        max_bar: items
            .iter()
            .map(|i| i.max_bar)
            .max()
            .unwrap_or(0)
            .max(reserve),
        items,
    })
}

/// Lays out every resource of `topo` and writes the addresses into it.
pub(crate) fn layout(topo: &mut Topology, p: &LayoutParams<'_>) -> Result<Layout, FirmwareError> {
    let cfg = p.config;
    let n = topo.funcs.len();
    let root = topo.root.clone();
    let mut sizer = Sizer {
        topo,
        hotplug: [cfg.hotplug.io.0, cfg.hotplug.mem.0, cfg.hotplug.pref.0],
        win: vec![Default::default(); n],
        warnings: Vec::new(),
    };
    let [io_items, mem_items, pref_items] = sizer.size_bus(&root);
    let Sizer {
        win, mut warnings, ..
    } = sizer;

    // ---- The low/high decision and the hole ----
    let mut low: Vec<Item> = mem_items.into_iter().chain(pref_items).collect();
    sort_items(&mut low);
    let mut high = vec![false; low.len()];
    for (i, item) in low.iter().enumerate() {
        high[i] = item.is64
            && match cfg.bar64 {
                Bar64Mode::High => true,
                Bar64Mode::Auto => item.max_bar >= cfg.bar64_large.0,
                Bar64Mode::Low => false,
            };
    }
    let ecam = (p.ecam_size > 0).then_some(Item {
        owner: Owner::Ecam,
        size: p.ecam_size,
        align: p.ecam_size,
        is64: false,
        max_bar: 0,
    });
    let starts = hole_candidates(cfg);
    let biggest_hole = *starts.last().unwrap_or(&cfg.hole_start_max.0);
    let capacity = hole_space(biggest_hole, cfg.pci_mem_end.0, p.reserved).total();
    let (hole_start, placed) = loop {
        let need = |high: &[bool]| {
            low.iter()
                .zip(high)
                .filter(|(_, h)| !**h)
                .fold(p.ecam_size, |a, (i, _)| a.saturating_add(i.size))
        };
        // Relocate the largest 64-bit resources while the low ones cannot
        // fit even the largest hole by their sum alone (hvmloader: "this will
        // preferentially relocate larger devices to high memory first").
        while need(&high) > capacity {
            if !move_largest_high(&low, &mut high) {
                break;
            }
        }
        let items: Vec<Item> = low
            .iter()
            .zip(&high)
            .filter(|(_, h)| !**h)
            .map(|(i, _)| *i)
            .chain(ecam)
            .collect();
        if let Some(found) = starts.iter().find_map(|&s| {
            place_low(s, cfg.pci_mem_end.0, p.reserved, &items).map(|placed| (s, placed))
        }) {
            break found;
        }
        if !move_largest_high(&low, &mut high) {
            return Err(cannot_fit(
                &*topo,
                &win,
                &low,
                &high,
                ecam,
                biggest_hole,
                capacity,
                need(&high),
                cfg,
            ));
        }
    };

    // ---- RAM around the hole ----
    let default_low_end = match cfg.mmio_hole_size {
        Some(s) => FOUR_G - s.0,
        None => cfg.hole_start_max.0,
    };
    let max_addr = 1u64 << cfg.phys_bits;
    let memory = crate::memmap::layout_ram(
        cfg.ram.0,
        hole_start,
        default_low_end,
        p.reserved,
        cfg.acpi_region.0,
        max_addr,
    )
    .ok_or(FirmwareError::RamTooLarge {
        ram: cfg.ram.0,
        phys_bits: cfg.phys_bits,
    })?;

    // ---- Addresses ----
    let mut ecam_range = None;
    let mut out = Placer {
        topo: &mut *topo,
        win: &win,
    };
    for (item, base) in &placed {
        match item.owner {
            Owner::Ecam => ecam_range = Range::new(*base, item.size),
            _ => out.assign(item, *base),
        }
    }
    let high_items: Vec<Item> = low
        .iter()
        .zip(&high)
        .filter(|(_, h)| **h)
        .map(|(i, _)| *i)
        .collect();
    let mut high_used = None;
    if !high_items.is_empty() {
        let base = align_up(memory.high_end.max(FOUR_G), HIGH_ALIGN).unwrap_or(max_addr);
        let mut free = match Range::new(base, max_addr.saturating_sub(base)) {
            Some(r) => FreeList::new(r),
            None => FreeList::default(),
        };
        for r in p.reserved {
            free.remove(*r);
        }
        let mut end = base;
        for item in &high_items {
            let Some(at) = free.alloc_bottom(item.size, item.align) else {
                let (device, register) = describe_owner(out.topo, item.owner);
                return Err(FirmwareError::HighSpaceExhausted {
                    device,
                    register,
                    size: item.size,
                    base,
                    phys_bits: cfg.phys_bits,
                });
            };
            end = end.max(at + item.size);
            out.assign(item, at);
        }
        high_used = Range::new(base, end - base);
    }

    // ---- I/O ----
    let mut io = io_items;
    sort_items(&mut io);
    let mut io_free =
        FreeList::new(Range::new(IO_SPACE.0, IO_SPACE.1 - IO_SPACE.0).expect("constant"));
    for r in p.io_reserved {
        io_free.remove(*r);
    }
    for item in &io {
        // What does not fit stays unassigned, as hvmloader and Linux leave
        // it: PCI Express devices must work without I/O space.
        if let Some(at) = io_free.alloc_top(item.size, item.align) {
            out.assign(item, at);
        }
    }
    for f in &topo.funcs {
        for bar in f.bars.iter().filter(|b| b.address.is_none()) {
            warnings.push(format!(
                "{} {} ({}, {}): left unassigned: no {} space left on the path to it; the device must work without it",
                f.bdf,
                bar.id,
                if bar.kind == BarKind::Io { "I/O" } else { "memory" },
                human(bar.size),
                if bar.kind == BarKind::Io { "I/O (0x1000-0xffff)" } else { "memory" },
            ));
        }
    }
    Ok(Layout {
        hole_start,
        ecam: ecam_range,
        high_used,
        memory,
        warnings,
    })
}

/// Hole starts to try, smallest hole first: `hole_start_max`, then the hole
/// doubling downward (hvmloader `pci_mem_start <<= 1`), ending at
/// `hole_start_min`; a fixed `mmio_hole_size` gives one start. Without
/// memory relocation the hole stops where default low RAM ends.
fn hole_candidates(cfg: &FirmwareConfig) -> Vec<u64> {
    if let Some(size) = cfg.mmio_hole_size {
        return vec![FOUR_G - size.0];
    }
    let min = if cfg.allow_memory_relocate {
        cfg.hole_start_min.0
    } else {
        cfg.hole_start_min
            .0
            .max(cfg.ram.0.min(cfg.hole_start_max.0))
    };
    let mut out = vec![cfg.hole_start_max.0];
    let mut s = cfg.hole_start_max.0;
    // At most 32 doublings of a 32-bit hole.
    for _ in 0..32 {
        let size = FOUR_G - s;
        let next = FOUR_G.saturating_sub(size * 2);
        if next <= min || next == 0 {
            if s > min {
                out.push(min);
            }
            break;
        }
        out.push(next);
        s = next;
    }
    out
}

/// Free space of the hole starting at `start`.
fn hole_space(start: u64, end: u64, reserved: &[Range]) -> FreeList {
    let mut free = match Range::new(start, end.saturating_sub(start)) {
        Some(r) => FreeList::new(r),
        None => FreeList::default(),
    };
    for r in reserved {
        free.remove(*r);
    }
    free
}

/// Places `items` top-down in the hole starting at `start`; `None` if one
/// does not fit.
fn place_low(start: u64, end: u64, reserved: &[Range], items: &[Item]) -> Option<Vec<(Item, u64)>> {
    let mut free = hole_space(start, end, reserved);
    let mut sorted = items.to_vec();
    sort_items(&mut sorted);
    sorted
        .into_iter()
        .map(|item| free.alloc_top(item.size, item.align).map(|at| (item, at)))
        .collect()
}

/// Marks the largest low item that may go above 4 GiB as high.
fn move_largest_high(low: &[Item], high: &mut [bool]) -> bool {
    let pick = low
        .iter()
        .enumerate()
        .filter(|(i, item)| item.is64 && !high[*i])
        .max_by_key(|(i, item)| (item.size, std::cmp::Reverse(*i)))
        .map(|(i, _)| i);
    match pick {
        Some(i) => {
            high[i] = true;
            true
        }
        None => false,
    }
}

struct Placer<'a> {
    topo: &'a mut Topology,
    win: &'a [[Option<WinReq>; 3]],
}

impl Placer<'_> {
    /// Gives `item` the address `base`; a window's contents follow, packed
    /// from its base in decreasing alignment.
    fn assign(&mut self, item: &Item, base: u64) {
        match item.owner {
            Owner::Ecam => {}
            Owner::Bar { func, bar } => {
                if let Some(b) = self
                    .topo
                    .funcs
                    .get_mut(func)
                    .and_then(|f| f.bars.get_mut(bar))
                {
                    b.address = Some(base);
                }
            }
            Owner::Window { func, class } => {
                let Some(range) = Range::new(base, item.size) else {
                    return;
                };
                if let Some(b) = self
                    .topo
                    .funcs
                    .get_mut(func)
                    .and_then(|f| f.bridge.as_mut())
                {
                    match class {
                        Class::Io => b.windows.io = Some(range),
                        Class::Mem => b.windows.mem = Some(range),
                        Class::Pref => b.windows.pref = Some(range),
                    }
                }
                let Some(req) = self.win.get(func).and_then(|w| w[class as usize].as_ref()) else {
                    return;
                };
                let mut cursor = base;
                for child in &req.items {
                    let Some(at) = align_up(cursor, child.align) else {
                        break;
                    };
                    self.assign(child, at);
                    cursor = at.saturating_add(child.size);
                }
            }
        }
    }
}

/// The device and register an owner names, for messages.
fn describe_owner(topo: &Topology, owner: Owner) -> (crate::access::Bdf, String) {
    match owner {
        Owner::Bar { func, bar } => {
            let f = &topo.funcs[func];
            (f.bdf, f.bars[bar].id.to_string())
        }
        Owner::Window { func, class } => (
            topo.funcs[func].bdf,
            match class {
                Class::Io => "I/O window",
                Class::Mem => "memory window",
                Class::Pref => "prefetchable window",
            }
            .to_string(),
        ),
        Owner::Ecam => (
            crate::access::Bdf::new(0, 0, 0),
            "ECAM (PCIEXBAR)".to_string(),
        ),
    }
}

/// The larger of two items, the first on a tie (the lowest BDF is named).
fn first_largest(a: Item, b: Item) -> Item {
    if b.size > a.size { b } else { a }
}

/// The largest BAR inside `item` (itself if a BAR).
fn largest_bar(win: &[[Option<WinReq>; 3]], item: &Item) -> Item {
    match item.owner {
        Owner::Window { func, class } => win
            .get(func)
            .and_then(|w| w[class as usize].as_ref())
            .and_then(|r| {
                r.items
                    .iter()
                    .map(|i| largest_bar(win, i))
                    .reduce(first_largest)
            })
            .unwrap_or(*item),
        _ => *item,
    }
}

fn kind_text(f: &Func, owner: Owner) -> String {
    match owner {
        Owner::Bar { bar, .. } => {
            let b = &f.bars[bar];
            match b.kind {
                BarKind::Io => "I/O BAR".into(),
                BarKind::Memory32 => format!(
                    "32-bit {}memory BAR",
                    if b.prefetchable { "prefetchable " } else { "" }
                ),
                BarKind::Memory64 if b.prefetchable => "64-bit prefetchable memory BAR kept below 4 GiB: its prefetchable window also holds 32-bit BARs, or a bridge above has no 64-bit prefetchable window".into(),
                BarKind::Memory64 => "64-bit non-prefetchable memory BAR behind a bridge (non-prefetchable windows are 32-bit)".into(),
                BarKind::Rom => "expansion ROM, 32-bit".into(),
            }
        }
        Owner::Window { .. } => "bridge window reserve".into(),
        Owner::Ecam => "ECAM window".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn cannot_fit(
    topo: &Topology,
    win: &[[Option<WinReq>; 3]],
    low: &[Item],
    high: &[bool],
    ecam: Option<Item>,
    biggest_hole: u64,
    capacity: u64,
    need: u64,
    cfg: &FirmwareConfig,
) -> FirmwareError {
    let culprit = low
        .iter()
        .zip(high)
        .filter(|(_, h)| !**h)
        .map(|(i, _)| largest_bar(win, i))
        .reduce(first_largest)
        .or(ecam)
        .unwrap_or(Item {
            owner: Owner::Ecam,
            size: 0,
            align: 1,
            is64: false,
            max_bar: 0,
        });
    let (device, register) = describe_owner(topo, culprit.owner);
    let what = match culprit.owner {
        Owner::Ecam => "ECAM window".to_string(),
        Owner::Bar { func, .. } | Owner::Window { func, .. } => {
            kind_text(&topo.funcs[func], culprit.owner)
        }
    };
    let shortfall = match need.saturating_sub(capacity) {
        0 => culprit.size,
        s => s,
    };
    let advice = if cfg.mmio_hole_size.is_some() {
        "What to do: raise mmio_hole_size (xl mmio_hole) or remove devices with 32-bit BARs from this guest.".to_string()
    } else if !cfg.allow_memory_relocate {
        "What to do: set allow_memory_relocate = true so the hole can grow over RAM, or remove devices with 32-bit BARs from this guest.".to_string()
    } else {
        format!(
            "What to do: remove devices whose BARs must stay below 4 GiB (32-bit BARs, or 64-bit ones behind a bridge without a 64-bit prefetchable window) from this guest, or lower hole_start_min (now {:#x}) so the hole may grow further (RAM below it moves above 4 GiB).",
            cfg.hole_start_min.0
        )
    };
    FirmwareError::CannotFit {
        device,
        register,
        size: culprit.size,
        what,
        need,
        available: capacity,
        shortfall,
        hole: Range::new(
            biggest_hole,
            cfg.pci_mem_end.0.saturating_sub(biggest_hole).max(1),
        )
        .unwrap_or(Range { base: 0, size: 1 }),
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty hotplug-capable port gets the configured reserves (SeaBIOS:
    /// 2 MiB memory and prefetchable, no I/O); a port that is not hotplug
    /// capable gets nothing.
    #[test]
    fn hotplug_ports_get_their_reserve() {
        use crate::access::Bdf;
        use crate::enumerate::{BridgeFn, Func, PcieInfo, WindowSupport};
        let port = |device: u8, hotplug: bool| Func {
            bdf: Bdf::new(0, device, 0),
            vendor: 0x8086,
            device: 0x2940,
            class: 0x060400,
            header_type: 1,
            pcie: Some(PcieInfo {
                port_type: 4,
                slot: Some(1),
                hotplug,
            }),
            int_pin: 1,
            bars: Vec::new(),
            bridge: Some(BridgeFn {
                primary: 0,
                secondary: device,
                subordinate: device,
                support: WindowSupport {
                    io: Some(false),
                    pref: Some(true),
                },
                ..BridgeFn::default()
            }),
            parent: None,
            depth: 0,
            irq: None,
        };
        let mut topo = Topology {
            funcs: vec![port(1, true), port(2, false)],
            root: vec![0, 1],
            ..Topology::default()
        };
        let cfg = FirmwareConfig::default();
        let l = layout(
            &mut topo,
            &LayoutParams {
                config: &cfg,
                reserved: &[],
                io_reserved: &[],
                ecam_size: 64 << 20,
            },
        )
        .unwrap();
        let w = topo.funcs[0].bridge.as_ref().unwrap().windows;
        assert_eq!(w.mem.map(|r| r.size), Some(2 << 20));
        assert_eq!(w.pref.map(|r| r.size), Some(2 << 20));
        assert_eq!(w.io, None);
        let w = topo.funcs[1].bridge.as_ref().unwrap().windows;
        assert_eq!((w.io, w.mem, w.pref), (None, None, None));
        assert!(l.ecam.is_some_and(|e| e.base % (64 << 20) == 0));
    }

    #[test]
    fn hole_doubles_like_hvmloader() {
        let cfg = FirmwareConfig::default();
        assert_eq!(
            hole_candidates(&cfg),
            vec![0xf000_0000, 0xe000_0000, 0xc000_0000, 0x8000_0000]
        );
        let cfg = FirmwareConfig {
            hole_start_min: crate::config::Size(0x6000_0000),
            ..FirmwareConfig::default()
        };
        assert_eq!(
            hole_candidates(&cfg),
            vec![
                0xf000_0000,
                0xe000_0000,
                0xc000_0000,
                0x8000_0000,
                0x6000_0000
            ]
        );
        let cfg = FirmwareConfig {
            allow_memory_relocate: false,
            ram: crate::config::Size(0xd000_0000),
            ..FirmwareConfig::default()
        };
        assert_eq!(
            hole_candidates(&cfg),
            vec![0xf000_0000, 0xe000_0000, 0xd000_0000]
        );
    }
}
