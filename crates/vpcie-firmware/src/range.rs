//! Address ranges and a free-space allocator with natural alignment.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::fmt;

/// A non-empty address range `[base, base + size)` that does not wrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Range {
    /// First address.
    pub base: u64,
    /// Size in bytes, at least 1.
    pub size: u64,
}

impl Range {
    /// The range `[base, base + size)`; `None` when empty or past 2^64.
    pub fn new(base: u64, size: u64) -> Option<Range> {
        (size > 0 && base.checked_add(size - 1).is_some()).then_some(Range { base, size })
    }

    /// The range `[base, limit]`, both ends inclusive; `None` when `limit < base`
    /// or the range is all of the 64-bit space.
    pub fn inclusive(base: u64, limit: u64) -> Option<Range> {
        let size = limit.checked_sub(base)?.checked_add(1)?;
        Some(Range { base, size })
    }

    /// Last address (inclusive).
    pub fn limit(&self) -> u64 {
        self.base + (self.size - 1)
    }

    /// First address after the range, saturating at `u64::MAX`.
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(&self, other: &Range) -> bool {
        self.base <= other.limit() && other.base <= self.limit()
    }

    /// Whether `other` lies entirely inside this range.
    pub fn contains(&self, other: &Range) -> bool {
        self.base <= other.base && other.limit() <= self.limit()
    }

    /// Whether `addr` lies in the range.
    pub fn contains_addr(&self, addr: u64) -> bool {
        self.base <= addr && addr <= self.limit()
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}-{:#x}", self.base, self.limit())
    }
}

/// Serialized as `{"base", "limit", "size"}` (limit inclusive, as Linux's
/// `/proc/iomem` and the bridge registers state it), all numbers.
impl Serialize for Range {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Range", 3)?;
        st.serialize_field("base", &self.base)?;
        st.serialize_field("limit", &self.limit())?;
        st.serialize_field("size", &self.size)?;
        st.end()
    }
}

/// `value` rounded up to a multiple of `align` (a power of two); `None` on overflow.
pub fn align_up(value: u64, align: u64) -> Option<u64> {
    debug_assert!(align.is_power_of_two());
    value.checked_add(align - 1).map(|v| v & !(align - 1))
}

/// `value` rounded down to a multiple of `align` (a power of two).
pub fn align_down(value: u64, align: u64) -> u64 {
    debug_assert!(align.is_power_of_two());
    value & !(align - 1)
}

/// A size in human units for messages: "256 MiB", "4 KiB", "0x1234 bytes".
pub fn human(size: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 50, "PiB"),
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (unit, name) in UNITS {
        if size >= unit {
            if size % unit == 0 {
                return format!("{} {name}", size / unit);
            }
            let tenths = (u128::from(size) * 10 / u128::from(unit)) as u64;
            return format!("{}.{} {name}", tenths / 10, tenths % 10);
        }
    }
    format!("{size} bytes")
}

/// Free space as sorted, disjoint ranges, from which aligned blocks are taken.
///
/// Each operation is linear in the number of free ranges; every allocation
/// adds at most one range, so the work is bounded by the number of requests.
#[derive(Clone, Debug, Default)]
pub struct FreeList {
    free: Vec<Range>,
}

impl FreeList {
    /// Free space covering `range`.
    pub fn new(range: Range) -> FreeList {
        FreeList { free: vec![range] }
    }

    /// The free ranges, lowest first.
    pub fn ranges(&self) -> &[Range] {
        &self.free
    }

    /// Total free bytes (saturating).
    pub fn total(&self) -> u64 {
        self.free.iter().fold(0u64, |a, r| a.saturating_add(r.size))
    }

    /// Removes `taken` from the free space (whatever part of it is free).
    pub fn remove(&mut self, taken: Range) {
        let mut out = Vec::with_capacity(self.free.len() + 1);
        for r in &self.free {
            if !r.overlaps(&taken) {
                out.push(*r);
                continue;
            }
            if r.base < taken.base {
                out.extend(Range::new(r.base, taken.base - r.base));
            }
            if taken.limit() < r.limit() {
                out.extend(Range::inclusive(taken.limit() + 1, r.limit()));
            }
        }
        self.free = out;
    }

    /// Takes the highest `size`-byte block aligned to `align` (a power of two).
    pub fn alloc_top(&mut self, size: u64, align: u64) -> Option<u64> {
        if size == 0 || !align.is_power_of_two() {
            return None;
        }
        let found = self.free.iter().rev().find_map(|r| {
            let last_start = r.limit().checked_sub(size - 1)?;
            let start = align_down(last_start, align);
            (start >= r.base).then_some(start)
        })?;
        self.remove(Range::new(found, size)?);
        Some(found)
    }

    /// Takes the lowest `size`-byte block aligned to `align` (a power of two).
    pub fn alloc_bottom(&mut self, size: u64, align: u64) -> Option<u64> {
        if size == 0 || !align.is_power_of_two() {
            return None;
        }
        let found = self.free.iter().find_map(|r| {
            let start = align_up(r.base, align)?;
            (start.checked_add(size - 1)? <= r.limit()).then_some(start)
        })?;
        self.remove(Range::new(found, size)?);
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = Range::inclusive(0xfd80_0000, 0xfdbf_ffff).unwrap();
        assert_eq!(r.size, 0x40_0000);
        assert_eq!(r.to_string(), "0xfd800000-0xfdbfffff");
        assert!(Range::new(u64::MAX, 2).is_none());
        assert!(Range::new(5, 0).is_none());
        assert!(Range::inclusive(0, u64::MAX).is_none());
        assert_eq!(Range::new(u64::MAX, 1).unwrap().limit(), u64::MAX);
        assert_eq!(human(256 << 20), "256 MiB");
        assert_eq!(human(3 << 29), "1.5 GiB");
        assert_eq!(human(100), "100 bytes");
    }

    #[test]
    fn free_list_aligns_and_avoids_holes() {
        let mut f = FreeList::new(Range::inclusive(0x8000_0000, 0xfbff_ffff).unwrap());
        f.remove(Range::new(0xf000_0000, 0x100_0000).unwrap());
        // 256 MiB aligned: highest is 0xe0000000 (0xf0000000 block is cut).
        assert_eq!(f.alloc_top(0x1000_0000, 0x1000_0000), Some(0xe000_0000));
        // A small block goes into the space above the reservation.
        assert_eq!(f.alloc_top(0x1000, 0x1000), Some(0xfbff_f000));
        assert_eq!(f.alloc_bottom(0x1000, 0x1000), Some(0x8000_0000));
        assert_eq!(f.alloc_top(0x8000_0000, 0x8000_0000), None);
        let mut g = FreeList::new(Range::new(u64::MAX - 0xfff, 0x1000).unwrap());
        assert_eq!(g.alloc_bottom(0x1000, 0x1000), Some(u64::MAX - 0xfff));
        assert_eq!(g.total(), 0);
    }
}
