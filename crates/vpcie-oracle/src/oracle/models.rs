//! Stage 1, the models at reset: QEMU under qtest and a fresh vpcie
//! platform, enumerated alike; reset values, capability layout, the write
//! probe, PCIEXBAR decode, the stand-in endpoints.

use super::compare::{compare_reset, compare_writable, item_map, writable_value};
use super::*;

pub(super) fn start_qemu(inputs: &Inputs, log: &str) -> Result<Guest<Qtest>, String> {
    Qtest::start(&inputs.qemu, &inputs.qemu_args, &inputs.work.join(log))
        .map(Guest::new)
        .map_err(|e| e.0)
}

pub(super) fn start_vpcie(inputs: &Inputs) -> Result<Guest<Vpcie>, String> {
    inputs
        .description
        .build()
        .map(|p| Guest::new(Vpcie(p)))
        .map_err(|e| format!("the vpcie topology does not build: {e}"))
}

/// The PCIEXBAR value SeaBIOS programs on QEMU's Q35: 256 MiB at
/// 0xb0000000, enabled (`mch_mem_addr_setup`).
const SEABIOS_PCIEXBAR: u64 = 0xb000_0001;

/// Reads every function's reset image on one machine.
fn survey<M: Machine>(g: &mut Guest<M>) -> Vec<Seen> {
    let found = discover(g, true);
    g.set_pciexbar(SEABIOS_PCIEXBAR);
    found
        .into_iter()
        .map(|f| {
            let size = guest::config_size(g, f.bdf);
            let mut image = f.found.clone();
            if size > 256 {
                image.extend_from_slice(&read_config(g, f.bdf, size)[256..]);
            }
            Seen {
                found: f,
                image,
                probe: None,
            }
        })
        .collect()
}

/// The MCH's ID, found at offset 0 of the ECAM window (bus 0, 00.0).
pub(super) const MCH_ID: u32 = 0x29c0_8086;

/// Where a machine's ECAM window is: the 64 MiB-aligned place below
/// 4 GiB where the MCH's ID answers (every PCIEXBAR length aligns the base
/// to at least 64 MiB).
pub(super) fn find_ecam<M: Machine>(g: &mut Guest<M>) -> Option<u64> {
    (0..64u64)
        .map(|i| i << 26)
        .find(|&a| g.machine.read_mem(a, 4) == MCH_ID)
}

/// PCIEXBAR decode, measured: write a value, read it back, look for the
/// window. The values cover each length and the base bits each length
/// makes reserved (Intel 317607 p.91: 128 MiB uses bits 35:27, 64 MiB
/// 35:26).
fn check_ecam_decode(
    q: &mut Guest<Qtest>,
    v: &mut Guest<Vpcie>,
    report: &mut Report,
    table: &Table,
) {
    const CASES: &[u64] = &[
        0xe000_0001, // 256 MiB at 0xe0000000
        0xe800_0003, // 128 MiB at 0xe8000000
        0xec00_0003, // 128 MiB, base bit 26 set (reserved at 128 MiB)
        0xec00_0005, // 64 MiB at 0xec000000 (bits 27 and 26)
        0xf800_0005, // 64 MiB at 0xf8000000, what vpcie's firmware writes
        0xe000_0007, // length 11b (reserved)
        0xe000_0000, // disabled
    ];
    let mut diffs = Vec::new();
    for &value in CASES {
        let seen = |readback: u64, at: Option<u64>| {
            format!(
                "reads {readback:#x}, window {}",
                at.map_or("nowhere".to_string(), |a| format!("at {a:#x}"))
            )
        };
        q.set_pciexbar(value);
        let a = (q.pciexbar(), find_ecam(q));
        v.set_pciexbar(value);
        let b = (v.pciexbar(), find_ecam(v));
        let (x, y) = (seen(b.0, b.1), seen(a.0, a.1));
        if x != y {
            diffs.push(Diff::new(
                "ecam",
                "mch",
                "mch",
                format!("PCIEXBAR := {value:#x}"),
                x,
                y,
            ));
        }
    }
    q.set_pciexbar(SEABIOS_PCIEXBAR);
    v.set_pciexbar(SEABIOS_PCIEXBAR);
    report.diffs(
        "ecam decode: PCIEXBAR written, read back, window found (each length, reserved base bits)",
        CASES.len(),
        diffs,
        table,
    );
}

/// The write probe over both machines, children before parents; models in
/// full, every other function's BARs only.
fn probe_all<M: Machine>(g: &mut Guest<M>, seen: &mut [Seen], names: &BTreeMap<String, Name>) {
    for s in seen.iter_mut().rev() {
        let n = lookup(names, &s.found.path);
        let now = read_config(g, s.found.bdf, s.image.len());
        let ranges = if is_model(&n.kind) {
            vec![(0, now.len())]
        } else if s.found.is_bridge() {
            vec![(0x10, 0x18), (0x38, 0x3c)]
        } else {
            vec![(0x10, 0x28), (0x30, 0x34)]
        };
        s.probe = Some(probe(g, s.found.bdf, &now, &ranges));
    }
}

/// What the model stage learnt that later stages use.
#[derive(Default)]
pub(super) struct Models {
    /// QEMU's BARs (kind, size) by path, from sizing.
    pub(super) bars: BTreeMap<String, Vec<BarInfo>>,
    /// Differences seen at reset, as (model, register, vpcie, qemu).
    pub(super) at_reset: BTreeSet<(String, String, String, String)>,
    /// By path, by register name: the bits writable on both machines.
    pub(super) common: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Models {
    /// Whether `d` shows only what was already different at reset.
    pub(super) fn seen_at_reset(&self, d: &Diff) -> bool {
        self.at_reset.contains(&(
            d.model.clone(),
            d.register.clone(),
            d.vpcie.clone(),
            d.qemu.clone(),
        ))
    }
}

pub(super) fn stage_models(
    inputs: &Inputs,
    names: &BTreeMap<String, Name>,
    report: &mut Report,
) -> Models {
    let mut out = Models::default();
    let (mut q, mut v) = match (
        start_qemu(inputs, "qtest-models.stderr"),
        start_vpcie(inputs),
    ) {
        (Ok(q), Ok(v)) => (q, v),
        (q, v) => {
            let why: Vec<String> = [q.err(), v.err()].into_iter().flatten().collect();
            report.fail("models: machines start", "cannot start", why);
            return out;
        }
    };
    let mut qs = survey(&mut q);
    let mut vs = survey(&mut v);
    save_images(
        &inputs.work.join("qemu-reset.txt"),
        qs.iter().map(|s| (s.found.bdf, &s.image)),
    );
    save_images(
        &inputs.work.join("vpcie-reset.txt"),
        vs.iter().map(|s| (s.found.bdf, &s.image)),
    );
    check_ecam_decode(&mut q, &mut v, report, &inputs.table);
    probe_all(&mut q, &mut qs, names);
    probe_all(&mut v, &mut vs, names);
    for (what, m) in [
        ("QEMU", q.machine.failure()),
        ("vpcie", v.machine.failure()),
    ] {
        if let Some(e) = m {
            report.fail(
                format!("models: {what} answered"),
                e.to_string(),
                Vec::new(),
            );
            return out;
        }
    }
    for s in &qs {
        let ones = &s.probe.as_ref().expect("probed").ones;
        out.bars.insert(
            s.found.path.clone(),
            bars_from_sizing(ones, s.found.header_type()),
        );
    }

    // Topology: the same functions at the same places.
    let qpaths: BTreeMap<&str, &Seen> = qs.iter().map(|s| (s.found.path.as_str(), s)).collect();
    let vpaths: BTreeMap<&str, &Seen> = vs.iter().map(|s| (s.found.path.as_str(), s)).collect();
    let all: BTreeSet<&str> = qpaths.keys().chain(vpaths.keys()).copied().collect();
    let mut diffs = Vec::new();
    let id = |s: Option<&&Seen>| {
        s.map_or("absent".to_string(), |s| {
            let c = &s.image;
            format!(
                "{:02x}{:02x}:{:02x}{:02x} class {:02x}{:02x}{:02x} at {}",
                c[1], c[0], c[3], c[2], c[0xb], c[0xa], c[9], s.found.bdf
            )
        })
    };
    for p in &all {
        let (qv, vv) = (qpaths.get(p), vpaths.get(p));
        let n = lookup(names, p);
        let bdf_class = |s: Option<&&Seen>| {
            s.map_or("absent".to_string(), |s| {
                format!(
                    "{} class {:02x}{:02x}",
                    s.found.bdf, s.image[0xb], s.image[0xa]
                )
            })
        };
        if bdf_class(qv) != bdf_class(vv) {
            diffs.push(Diff::new(
                "topology",
                &n.name,
                &n.kind,
                "function",
                id(vv),
                id(qv),
            ));
        }
    }
    report.diffs(
        "topology: the same functions (BDF, class) at the same places",
        all.len(),
        diffs,
        &inputs.table,
    );

    for p in &all {
        let (Some(qv), Some(vv)) = (qpaths.get(p), vpaths.get(p)) else {
            continue;
        };
        let n = lookup(names, p);
        let title = format!("{} {} ({})", vv.found.bdf, n.name, n.kind);
        if is_model(&n.kind) {
            let (count, diffs) = compare_reset(&n, role(p), &vv.image, &qv.image);
            out.at_reset.extend(diffs.iter().map(|d| {
                (
                    d.model.clone(),
                    d.register.clone(),
                    d.vpcie.clone(),
                    d.qemu.clone(),
                )
            }));
            report.diffs(format!("reset {title}"), count, diffs, &inputs.table);
            let (pv, pq) = (
                vv.probe.as_ref().expect("probed"),
                qv.probe.as_ref().expect("probed"),
            );
            let (rv, rq) = (registers(&vv.image, role(p)), registers(&qv.image, role(p)));
            let mq = item_map(&rq);
            let common = rv
                .items
                .iter()
                .filter_map(|i| {
                    let j = mq.get(i.name.as_str())?;
                    Some((
                        i.name.clone(),
                        writable_value(pv, i) & writable_value(pq, j),
                    ))
                })
                .collect();
            out.common.insert(p.to_string(), common);
            let (count, diffs) = compare_writable(&n, role(p), &vv.image, pv, &qv.image, pq);
            report.diffs(format!("writable {title}"), count, diffs, &inputs.table);
        } else {
            let (count, diffs) = compare_standin(&n, vv, qv);
            report.diffs(format!("stand-in {title}"), count, diffs, &inputs.table);
        }
    }
    out
}

/// A stand-in endpoint carries the identity and the BARs of the QEMU
/// device it stands in for.
fn compare_standin(n: &Name, v: &Seen, q: &Seen) -> (usize, Vec<Diff>) {
    let (pv, pq) = (
        v.probe.as_ref().expect("probed"),
        q.probe.as_ref().expect("probed"),
    );
    let mut count = 0;
    let mut diffs = Vec::new();
    for (name, off, size) in [
        ("VENDOR_ID", 0x00, 2),
        ("DEVICE_ID", 0x02, 2),
        ("REVISION", 0x08, 1),
        ("CLASS", 0x09, 3),
        ("HEADER_TYPE", 0x0e, 1),
        ("INTERRUPT_PIN", 0x3d, 1),
    ] {
        let i = Item {
            name: name.into(),
            offset: off,
            size,
            mask: (1u64 << (8 * size)) - 1,
        };
        count += 1;
        let (a, b) = (i.text(i.value(&v.image)), i.text(i.value(&q.image)));
        if a != b {
            diffs.push(Diff::new("stand-in", &n.name, &n.kind, name, a, b));
        }
    }
    let text = |bars: Vec<BarInfo>| {
        let parts: Vec<String> = bars
            .iter()
            .map(|b| {
                let kind = match (b.space, b.wide) {
                    (Space::Io, _) => "io",
                    (Space::Mem, false) => "mem32",
                    (Space::Mem, true) => "mem64",
                    (Space::Pref, false) => "mem32-pref",
                    (Space::Pref, true) => "mem64-pref",
                };
                format!("BAR{} {kind} {:#x}", b.index, b.size)
            })
            .collect();
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    };
    count += 1;
    let (a, b) = (
        text(bars_from_sizing(&pv.ones, v.found.header_type())),
        text(bars_from_sizing(&pq.ones, q.found.header_type())),
    );
    if a != b {
        diffs.push(Diff::new("stand-in", &n.name, &n.kind, "BARs", a, b));
    }
    count += 1;
    let rom = |p: &Probe| {
        let o = if v.found.is_bridge() { 0x38 } else { 0x30 };
        let r = u32::from_le_bytes(p.ones[o..o + 4].try_into().unwrap()) & !0x7ff;
        if r == 0 {
            "none".to_string()
        } else {
            format!("{:#x}", (!r).wrapping_add(1))
        }
    };
    let (a, b) = (rom(pv), rom(pq));
    if a != b {
        diffs.push(Diff::new(
            "stand-in",
            &n.name,
            &n.kind,
            "expansion ROM",
            a,
            b,
        ));
    }
    (count, diffs)
}
