//! Claimed ranges as sets: the arithmetic that lets claims follow the guest
//! (bridge bus numbers, PCIEXBAR) without a gap and without overlapping
//! what is already claimed (Xen refuses an overlapping claim with EEXIST).
//!
//! A set is a sorted list of disjoint [`Range`]s, merged where they touch,
//! per [`RangeKind`].

use crate::abi::RangeKind;
use crate::server::Range;

fn kind_order(k: RangeKind) -> u8 {
    k as u8
}

/// Sorts and merges `ranges` (overlapping or adjacent ranges of one kind become one).
pub fn normalize(ranges: &[Range]) -> Vec<Range> {
    let mut v: Vec<Range> = ranges
        .iter()
        .copied()
        .filter(|r| r.start <= r.end)
        .collect();
    v.sort_by_key(|r| (kind_order(r.kind), r.start, r.end));
    let mut out: Vec<Range> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if last.kind == r.kind && r.start <= last.end.saturating_add(1) => {
                last.end = last.end.max(r.end);
            }
            _ => out.push(r),
        }
    }
    out
}

/// The parts of `a` not in `b` (both normalized; the result is normalized).
pub fn subtract(a: &[Range], b: &[Range]) -> Vec<Range> {
    let mut out = Vec::new();
    for r in a {
        let mut pieces = vec![(r.start, r.end)];
        for cut in b.iter().filter(|c| c.kind == r.kind) {
            let mut next = Vec::with_capacity(pieces.len() + 1);
            for (s, e) in pieces {
                if cut.end < s || cut.start > e {
                    next.push((s, e));
                    continue;
                }
                if cut.start > s {
                    next.push((s, cut.start - 1));
                }
                if cut.end < e {
                    next.push((cut.end + 1, e));
                }
            }
            pieces = next;
        }
        out.extend(pieces.into_iter().map(|(start, end)| Range {
            kind: r.kind,
            start,
            end,
        }));
    }
    normalize(&out)
}

/// Whether `r` lies inside the set `set`.
pub fn covers(set: &[Range], r: &Range) -> bool {
    subtract(std::slice::from_ref(r), set).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(start: u64, end: u64) -> Range {
        Range {
            kind: RangeKind::Memory,
            start,
            end,
        }
    }
    fn p(start: u64, end: u64) -> Range {
        Range {
            kind: RangeKind::Pci,
            start,
            end,
        }
    }

    #[test]
    fn normalize_merges_touching_ranges_of_one_kind() {
        assert_eq!(
            normalize(&[m(10, 19), p(0, 5), m(20, 30), m(0, 3), m(2, 4), p(6, 6)]),
            vec![m(0, 4), m(10, 30), p(0, 6)]
        );
        assert_eq!(normalize(&[m(5, 4)]), vec![]);
        assert_eq!(normalize(&[m(0, u64::MAX), m(3, 4)]), vec![m(0, u64::MAX)]);
    }

    #[test]
    fn subtract_splits() {
        assert_eq!(
            subtract(&[m(0, 100)], &[m(10, 19), m(50, 200)]),
            vec![m(0, 9), m(20, 49)]
        );
        assert_eq!(subtract(&[m(0, 100)], &[p(0, 100)]), vec![m(0, 100)]);
        assert_eq!(subtract(&[m(0, u64::MAX)], &[m(0, u64::MAX)]), vec![]);
        assert!(covers(&[m(0, 9), m(10, 20)], &m(5, 15)));
        assert!(!covers(&[m(0, 9)], &m(5, 15)));
    }
}
