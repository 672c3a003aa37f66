//! Register-by-register comparison of two images (by name, so different
//! capability layouts compare), and of the state after firmware.

use super::models::Models;
use super::*;

pub(super) fn item_map(r: &Registers) -> BTreeMap<&str, &Item> {
    r.items.iter().map(|i| (i.name.as_str(), i)).collect()
}

/// The capability an item belongs to (`PCIe.LNKCAP` → `PCIe`); header and
/// chipset registers belong to none.
pub(super) fn cap_of(name: &str) -> Option<&str> {
    name.find(['.', '+']).map(|i| &name[..i])
}

/// Compares the named items of two images with `value(side, item)`; items
/// of a capability only one side has are left to the layout check.
pub(super) fn compare_items(
    aspect: &str,
    n: &Name,
    rv: &Registers,
    rq: &Registers,
    value: &dyn Fn(bool, &Item) -> String,
) -> (usize, Vec<Diff>) {
    let (mv, mq) = (item_map(rv), item_map(rq));
    let mut order: Vec<&str> = rv.items.iter().map(|i| i.name.as_str()).collect();
    for i in &rq.items {
        if !mv.contains_key(i.name.as_str()) {
            order.push(&i.name);
        }
    }
    let mut count = 0;
    let mut diffs = Vec::new();
    for name in order {
        if let Some(cap) = cap_of(name) {
            let both = rv.caps.iter().any(|c| c == cap) && rq.caps.iter().any(|c| c == cap);
            if !both {
                continue;
            }
        }
        count += 1;
        let a = mv
            .get(name)
            .map_or("absent".to_string(), |i| value(true, i));
        let b = mq
            .get(name)
            .map_or("absent".to_string(), |i| value(false, i));
        if a != b {
            diffs.push(Diff::new(aspect, &n.name, &n.kind, name, a, b));
        }
    }
    (count, diffs)
}

/// Compares the state two images hold after something ran on both
/// machines: each register's bits writable on both (the write probe), so
/// that read-only differences (the reset check's) do not repeat; a
/// difference that only repeats one seen at reset is left out too. Values
/// are shown whole.
pub(super) fn compare_state(
    aspect: &str,
    n: &Name,
    path: &str,
    iv: &[u8],
    iq: &[u8],
    models: &Models,
    wanted: &dyn Fn(&str) -> bool,
) -> (usize, Vec<Diff>) {
    let (rv, rq) = (registers(iv, role(path)), registers(iq, role(path)));
    let mq = item_map(&rq);
    let common = models.common.get(path);
    let mut count = 0;
    let mut diffs = Vec::new();
    for i in rv.items.iter().filter(|i| wanted(&i.name)) {
        let Some(j) = mq.get(i.name.as_str()) else {
            continue;
        };
        // Functions probed only for BARs (stand-ins): compared whole.
        let mask = match common {
            Some(c) => c.get(&i.name).copied().unwrap_or(0),
            None => i.mask,
        };
        count += 1;
        let (a, b) = (i.value(iv), j.value(iq));
        if a & mask != b & mask {
            let d = Diff::new(aspect, &n.name, &n.kind, &i.name, i.text(a), j.text(b));
            if !models.seen_at_reset(&d) {
                diffs.push(d);
            }
        }
    }
    (count, diffs)
}

pub(super) fn compare_reset(n: &Name, role: Role, v: &[u8], q: &[u8]) -> (usize, Vec<Diff>) {
    let (rv, rq) = (registers(v, role), registers(q, role));
    let (mut count, mut diffs) = compare_items("reset", n, &rv, &rq, &|vpcie, i| {
        i.text(i.value(if vpcie { v } else { q }))
    });
    let mut more = |register: &str, a: String, b: String| {
        count += 1;
        if a != b {
            diffs.push(Diff::new("layout", &n.name, &n.kind, register, a, b));
        }
    };
    more("config size", v.len().to_string(), q.len().to_string());
    more("capabilities", rv.layout.clone(), rq.layout.clone());
    more(
        "extended capabilities",
        rv.ext_layout.clone(),
        rq.ext_layout.clone(),
    );
    more(
        "unnamed 40-ff",
        nonzero_bytes(&rv.unnamed, |b| v[b]),
        nonzero_bytes(&rq.unnamed, |b| q[b]),
    );
    if v.len() > 256 && q.len() > 256 {
        more(
            "unnamed 100-fff",
            nonzero_bytes(&rv.unnamed_ext, |b| v[b]),
            nonzero_bytes(&rq.unnamed_ext, |b| q[b]),
        );
    }
    (count, diffs)
}

pub(super) fn writable_value(p: &Probe, i: &Item) -> u64 {
    let mut w = 0u64;
    for k in 0..i.size {
        let b = i.offset + k;
        if b < p.ones.len() {
            w |= u64::from(p.writable(b)) << (8 * k);
        }
    }
    w & i.mask
}

pub(super) fn compare_writable(
    n: &Name,
    role: Role,
    v: &[u8],
    pv: &Probe,
    q: &[u8],
    pq: &Probe,
) -> (usize, Vec<Diff>) {
    let (rv, rq) = (registers(v, role), registers(q, role));
    let (mut count, mut diffs) = compare_items("writable", n, &rv, &rq, &|vpcie, i| {
        i.text(writable_value(if vpcie { pv } else { pq }, i))
    });
    let mut regions = vec![(
        "unnamed 40-ff",
        nonzero_bytes(&rv.unnamed, |b| pv.writable(b)),
        nonzero_bytes(&rq.unnamed, |b| pq.writable(b)),
    )];
    if v.len() > 256 && q.len() > 256 {
        regions.push((
            "unnamed 100-fff",
            nonzero_bytes(&rv.unnamed_ext, |b| pv.writable(b)),
            nonzero_bytes(&rq.unnamed_ext, |b| pq.writable(b)),
        ));
    }
    for (register, a, b) in regions {
        count += 1;
        if a != b {
            diffs.push(Diff::new("writable", &n.name, &n.kind, register, a, b));
        }
    }
    (count, diffs)
}
