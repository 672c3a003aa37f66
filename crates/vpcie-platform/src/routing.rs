//! The bus-number routing table: bus number → the bus segment that answers
//! a Type 0 access with that number, rebuilt whenever a bridge's bus numbers
//! or Secondary Bus Reset change, so that an access costs one lookup.
//!
//! The rule (PCI-to-PCI Bridge Architecture 1.2 §3.2.2.3; PCIe r6.x §7.5.1.3.3)
//! applied from the root bus down:
//! - bus 0 is the root bus: the host bridge answers it as Type 0;
//! - any other number goes out as Type 1; on each bus the first bridge (in
//!   device/function order) with secondary ≤ number ≤ subordinate claims it
//!   (overlapping ranges are a guest error; the lower devfn wins, so routing
//!   is deterministic); no claimer: master abort;
//! - the claiming bridge turns it into Type 0 when the number equals its
//!   secondary bus, else forwards it as Type 1 on its secondary bus;
//! - a bridge with Secondary Bus Reset set claims but forwards nothing.
//!
//! Computed top-down with 256-bit sets, so a rebuild visits each bridge once.

/// A set of bus numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BusSet([u64; 4]);

impl BusSet {
    /// All bus numbers.
    pub(crate) const ALL: BusSet = BusSet([u64::MAX; 4]);

    /// The numbers `first..=last` (empty when `first > last`).
    pub(crate) fn range(first: u8, last: u8) -> BusSet {
        let mut s = BusSet::default();
        if first > last {
            return s;
        }
        for (i, word) in s.0.iter_mut().enumerate() {
            let lo = (i * 64) as u16;
            let hi = lo + 63;
            let a = u16::from(first).max(lo);
            let b = u16::from(last).min(hi);
            if a <= b {
                let n = b - a + 1;
                let bits = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                *word = bits << (a - lo);
            }
        }
        s
    }

    pub(crate) fn and(self, o: BusSet) -> BusSet {
        BusSet(std::array::from_fn(|i| self.0[i] & o.0[i]))
    }

    pub(crate) fn minus(self, o: BusSet) -> BusSet {
        BusSet(std::array::from_fn(|i| self.0[i] & !o.0[i]))
    }

    pub(crate) fn contains(&self, n: u8) -> bool {
        self.0[usize::from(n >> 6)] >> (n & 63) & 1 != 0
    }

    pub(crate) fn remove(&mut self, n: u8) {
        self.0[usize::from(n >> 6)] &= !(1 << (n & 63));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// Sentinel for "no bus" / "no function" in the flat tables.
pub(crate) const NONE: u16 = u16::MAX;

/// Where a Type 0 access with one bus number goes.
///
/// Only device 0 answering below a PCIe port needs no check here: the
/// builder places nothing else on a link (`BuildError::NotDevice0BelowPort`),
/// so those slots are empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    /// Index of the bus segment's first slot in the flat slot table.
    pub(crate) base: u32,
    /// Offsets at or above this master-abort: 0 when nobody claims the bus
    /// number, 0x100 past a conventional PCI bus (no extended
    /// configuration space), else 0x1000.
    pub(crate) limit: u16,
}

impl Route {
    /// Nobody answers.
    pub(crate) const UNROUTED: Route = Route { base: 0, limit: 0 };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = BusSet::range(60, 130);
        assert!(!r.contains(59) && r.contains(60) && r.contains(64) && r.contains(130));
        assert!(!r.contains(131));
        assert!(BusSet::range(5, 4).is_empty());
        assert_eq!(BusSet::range(0, 255), BusSet::ALL);
        let mut one = BusSet::range(200, 200);
        assert!(one.contains(200));
        one.remove(200);
        assert!(one.is_empty());
        assert_eq!(
            BusSet::ALL.minus(BusSet::range(1, 255)),
            BusSet::range(0, 0)
        );
        assert_eq!(
            BusSet::range(3, 9).and(BusSet::range(7, 20)),
            BusSet::range(7, 9)
        );
    }
}
