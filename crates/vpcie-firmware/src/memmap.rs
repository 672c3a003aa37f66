//! Guest RAM around the MMIO hole, and the E820 map.
//!
//! hvmloader's model (pci.c, e820.c): RAM fills guest-physical memory from
//! 0 up to the start of the MMIO hole; what does not fit there lives above
//! 4 GiB. When the hole grows down over RAM, that RAM is relocated above
//! the RAM already there (`XENMEM_add_to_physmap`), so the guest keeps all
//! of its memory. Reserved ranges inside RAM (RMRRs, firmware areas) are cut
//! out and their RAM is relocated the same way.

use crate::config::E820Type;
use crate::range::{Range, align_down};
use serde::Serialize;

const FOUR_G: u64 = 1 << 32;
/// RAM below the VGA hole, in whole pages.
const LOW_PAGES: u64 = 0xa_0000;
/// Where RAM resumes above the legacy areas (hvmloader `HVMLOADER_PHYSICAL_ADDRESS`).
const ONE_MEG: u64 = 1 << 20;

/// One E820 entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct E820Entry {
    /// The range.
    #[serde(flatten)]
    pub range: Range,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: E820Type,
}

/// Where guest RAM ended up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryLayout {
    /// Guest RAM in bytes.
    pub ram: u64,
    /// The RAM ranges (before the ACPI carve-out), lowest first.
    pub ram_ranges: Vec<Range>,
    /// End of RAM below 4 GiB.
    pub low_end: u64,
    /// End of RAM above 4 GiB (4 GiB when there is none).
    pub high_end: u64,
    /// Bytes moved above 4 GiB because the hole grew below the default
    /// start or a reserved range cut into low RAM.
    pub relocated: u64,
    /// Where the ACPI tables go (top of low RAM), reported as ACPI.
    pub acpi: Range,
}

/// Places `ram` bytes of RAM: from 0 (skipping the legacy area 0x9fc00–1 MiB)
/// up to `hole_start`, then from 4 GiB, never over `reserved`.
///
/// `default_low_end` is where low RAM would end with the default hole
/// (for reporting what was relocated). Returns `None` when RAM would pass
/// `max_addr`.
pub(crate) fn layout_ram(
    ram: u64,
    hole_start: u64,
    default_low_end: u64,
    reserved: &[Range],
    acpi_size: u64,
    max_addr: u64,
) -> Option<MemoryLayout> {
    let mut ranges = Vec::new();
    let mut left = ram;
    // Below 640 KiB: up to the EBDA (hvmloader lowmem_reserved_base).
    let low_legacy = Range::new(0, 0x9_fc00)?;
    fill(&mut ranges, low_legacy, left, reserved);
    // Xen populates the 160 pages below 640 KiB (the EBDA is RAM the BIOS
    // keeps): they count whole, so what is left stays in pages.
    left = left.saturating_sub(LOW_PAGES);
    let low = Range::new(ONE_MEG, hole_start.saturating_sub(ONE_MEG).max(1))?;
    let low_taken = fill(&mut ranges, low, left, reserved);
    left -= low_taken;
    let low_end = ranges.last().map_or(0, |r: &Range| r.end()).min(hole_start);
    let high = Range::new(FOUR_G, max_addr.checked_sub(FOUR_G)?)?;
    let high_taken = fill(&mut ranges, high, left, reserved);
    if high_taken < left {
        return None;
    }
    let high_end = ranges
        .last()
        .filter(|r| r.base >= FOUR_G)
        .map_or(FOUR_G, |r| r.end());
    // The ACPI tables sit at the top of the highest low RAM range that holds them.
    let acpi = ranges
        .iter()
        .rev()
        .filter(|r| r.end() <= FOUR_G && r.size >= acpi_size * 2)
        .find_map(|r| Range::new(align_down(r.end() - acpi_size, 0x1000), acpi_size))
        .or_else(|| Range::new(0x9_0000, acpi_size.min(0x1_0000)))?;
    // What the default hole, with nothing reserved, would have put above 4 GiB.
    let default_high = ram.saturating_sub(LOW_PAGES + default_low_end.saturating_sub(ONE_MEG));
    let relocated = high_taken.saturating_sub(default_high);
    Some(MemoryLayout {
        ram,
        ram_ranges: ranges,
        low_end,
        high_end,
        relocated,
        acpi,
    })
}

/// Appends up to `bytes` of RAM from `area`, skipping `reserved`; returns
/// the bytes placed.
fn fill(out: &mut Vec<Range>, area: Range, bytes: u64, reserved: &[Range]) -> u64 {
    let mut placed = 0;
    let mut cursor = area.base;
    let mut obstacles: Vec<Range> = reserved
        .iter()
        .copied()
        .filter(|r| r.overlaps(&area))
        .collect();
    obstacles.sort();
    for ob in obstacles.iter().map(Some).chain(std::iter::once(None)) {
        if placed >= bytes {
            break;
        }
        let stop = match ob {
            Some(o) => o.base.max(cursor),
            None => area.end(),
        };
        if stop > cursor {
            let n = (stop - cursor).min(bytes - placed);
            if let Some(r) = Range::new(cursor, n) {
                out.push(r);
            }
            placed += n;
        }
        if let Some(o) = ob {
            cursor = cursor.max(o.end());
        }
    }
    placed
}

/// Builds the E820 map: RAM (less the ACPI area), the ACPI area, and every
/// reserved range, sorted; overlapping reserved ranges are merged.
pub(crate) fn e820(layout: &MemoryLayout, reserved: &[(Range, E820Type)]) -> Vec<E820Entry> {
    let mut entries: Vec<E820Entry> = Vec::new();
    for r in &layout.ram_ranges {
        if r.overlaps(&layout.acpi) {
            if r.base < layout.acpi.base {
                entries.extend(Range::new(r.base, layout.acpi.base - r.base).map(|range| {
                    E820Entry {
                        range,
                        kind: E820Type::Ram,
                    }
                }));
            }
            if r.limit() > layout.acpi.limit() {
                entries.extend(Range::inclusive(layout.acpi.end(), r.limit()).map(|range| {
                    E820Entry {
                        range,
                        kind: E820Type::Ram,
                    }
                }));
            }
        } else {
            entries.push(E820Entry {
                range: *r,
                kind: E820Type::Ram,
            });
        }
    }
    entries.push(E820Entry {
        range: layout.acpi,
        kind: E820Type::Acpi,
    });
    let mut res: Vec<(Range, E820Type)> = reserved.to_vec();
    res.sort();
    for (range, kind) in res {
        match entries
            .iter_mut()
            .find(|e| e.kind == kind && e.range.base <= range.end() && range.base <= e.range.end())
        {
            Some(e) => {
                let base = e.range.base.min(range.base);
                let limit = e.range.limit().max(range.limit());
                if let Some(r) = Range::inclusive(base, limit) {
                    e.range = r;
                }
            }
            None => entries.push(E820Entry { range, kind }),
        }
    }
    entries.sort_by_key(|e| (e.range.base, e.range.size));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hvmloader_relocation() {
        // 4 GiB of RAM, hole grown to 0xc0000000: 1 GiB ends up above 4 GiB
        // on top of the 256 MiB the default hole (0xf0000000) already put there.
        let l = layout_ram(4 << 30, 0xc000_0000, 0xf000_0000, &[], 0x4_0000, 1 << 40).unwrap();
        assert_eq!(l.low_end, 0xc000_0000);
        assert_eq!(l.high_end, FOUR_G + (1 << 30) + (ONE_MEG - LOW_PAGES));
        assert_eq!(l.relocated, 0x3000_0000);
        let total: u64 = l.ram_ranges.iter().map(|r| r.size).sum();
        // The EBDA's 0x400 bytes are counted as RAM pages but reported reserved.
        assert_eq!(total + 0x400, 4 << 30);
        // An RMRR inside low RAM is skipped; its RAM moves up.
        let rmrr = Range::new(0x7000_0000, 0x100_0000).unwrap();
        let l2 = layout_ram(
            4 << 30,
            0xc000_0000,
            0xf000_0000,
            &[rmrr],
            0x4_0000,
            1 << 40,
        )
        .unwrap();
        assert!(l2.ram_ranges.iter().all(|r| !r.overlaps(&rmrr)));
        assert_eq!(l2.high_end, l.high_end + 0x100_0000);
        let e = e820(&l2, &[(rmrr, E820Type::Reserved)]);
        for w in e.windows(2) {
            assert!(w[0].range.limit() < w[1].range.base, "{e:?}");
        }
    }
}
