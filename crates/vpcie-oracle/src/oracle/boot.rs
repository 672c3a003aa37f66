//! Stage 3: SeaBIOS and Linux on the booted QEMU guest (`boot.sh`)
//! against `vpcie plan`: bus numbers, windows, the rules, the kernel log.

use super::compare::{cap_of, compare_state};
use super::firmware::FirmwareRun;
use super::models::Models;
use super::*;

pub(super) fn stage_boot(
    inputs: &Inputs,
    boot: &Path,
    names: &BTreeMap<String, Name>,
    models: &Models,
    firmware: Option<&FirmwareRun>,
    report: &mut Report,
) {
    let table = &inputs.table;
    let loaded = (|| -> Result<_, String> {
        let early = dump_images(&boot.join("earlydump.txt"))?;
        let linux = dump_images(&boot.join("lspci-xxxx-vvv.txt"))?;
        let plan_path = inputs
            .vpcie_out
            .as_ref()
            .map(|d| d.join("plan.json"))
            .ok_or("no vpcie output directory (plan.json)")?;
        let plan: Value = serde_json::from_str(&read(&plan_path)?)
            .map_err(|e| format!("{}: {e}", plan_path.display()))?;
        Ok((early, linux, plan))
    })();
    let (early, linux, plan) = match loaded {
        Ok(x) => x,
        Err(e) => {
            report.fail("seabios: captures readable", e, Vec::new());
            return;
        }
    };
    let seabios = Tree::from_images(&early, &models.bars);
    let kernel = Tree::from_images(&linux, &models.bars);
    let vpcie = Tree::from_plan(&plan);

    // Bus numbers: SeaBIOS, Linux and vpcie number depth-first alike.
    let buses = |t: &Tree| -> BTreeMap<String, String> {
        t.nodes
            .values()
            .filter_map(|n| {
                n.buses.map(|b| {
                    (
                        n.path.clone(),
                        format!("{:02x}-{:02x}-{:02x}", b.0, b.1, b.2),
                    )
                })
            })
            .collect()
    };
    let (bs, bl, bv) = (buses(&seabios), buses(&kernel), buses(&vpcie));
    let mut diffs = Vec::new();
    let all: BTreeSet<&String> = bs.keys().chain(bv.keys()).collect();
    for p in &all {
        let n = lookup(names, p);
        let (a, b) = (
            bv.get(*p).cloned().unwrap_or("absent".into()),
            bs.get(*p).cloned().unwrap_or("absent".into()),
        );
        if a != b {
            diffs.push(Diff::new("seabios", &n.name, &n.kind, "bus numbers", a, b));
        }
    }
    report.diffs(
        "seabios: bus numbers (primary-secondary-subordinate) of every bridge equal vpcie plan's",
        all.len(),
        diffs,
        table,
    );
    let moved: Vec<String> = bs
        .iter()
        .filter(|(p, b)| bl.get(*p) != Some(b))
        .map(|(p, b)| {
            format!(
                "{p}: SeaBIOS {b}, Linux {}",
                bl.get(p).map_or("absent", |s| s.as_str())
            )
        })
        .collect();
    report.expect_none(
        "linux: kept SeaBIOS's bus numbers",
        format!("{} bridges", bs.len()),
        moved,
    );

    // The rules, on each result.
    let qemu_ecam = early
        .iter()
        .find(|(b, _)| *b == (0, 0, 0))
        .and_then(|(_, c)| {
            let v = u64::from_le_bytes(c[0x60..0x68].try_into().unwrap());
            decode_pciexbar(v).map(|(b, s)| (b, b + s - 1))
        });
    report.expect_none(
        "seabios rules: windows nest, nothing overlaps, every BAR inside its bridge's window",
        format!("{} functions", seabios.nodes.len()),
        seabios.problems(qemu_ecam),
    );
    report.expect_none(
        "linux rules: the same on the final state (lspci -xxxx)",
        format!("{} functions", kernel.nodes.len()),
        kernel.problems(qemu_ecam),
    );
    report.expect_none(
        "vpcie plan rules: the same on `vpcie plan --json`",
        format!("{} functions", vpcie.nodes.len()),
        vpcie.problems(ecam_span(&plan)),
    );
    // Linux keeps what SeaBIOS assigned; it may open a window SeaBIOS left
    // closed (hot-plug reserve: an I/O window on an empty hot-plug port).
    let mut changed = Vec::new();
    let mut added = Vec::new();
    let text =
        |w: Option<(u64, u64)>| w.map_or("closed".to_string(), |(b, l)| format!("{b:#x}-{l:#x}"));
    for n in seabios.nodes.values() {
        let Some(k) = kernel.nodes.get(&n.path) else {
            changed.push(format!("{}: gone in Linux's final state", n.bdf));
            continue;
        };
        for (a, b) in n.bars.iter().zip(&k.bars) {
            if a.at != b.at {
                changed.push(format!(
                    "{} {}: SeaBIOS {:x?}, Linux {:x?}",
                    n.bdf, a.name, a.at, b.at
                ));
            }
        }
        let (ws, wl) = (n.windows.unwrap_or_default(), k.windows.unwrap_or_default());
        for (what, a, b) in [
            ("I/O", ws.io, wl.io),
            ("memory", ws.mem, wl.mem),
            ("prefetchable", ws.pref, wl.pref),
        ] {
            match (a, b) {
                (x, y) if x == y => {}
                (None, Some(_)) => added.push(format!("{} {what} {}", n.bdf, text(b))),
                _ => changed.push(format!(
                    "{} {what} window: SeaBIOS {}, Linux {}",
                    n.bdf,
                    text(a),
                    text(b)
                )),
            }
        }
    }
    report.expect_none(
        "linux: kept SeaBIOS's BARs and windows (it may only open windows SeaBIOS left closed)",
        if added.is_empty() {
            "unchanged".to_string()
        } else {
            format!("unchanged; Linux opened {}", added.join(", "))
        },
        changed,
    );
    check_iomem(boot, report);

    // Which bridges open which windows: the policies compared.
    let mut diffs = Vec::new();
    let bridges = |t: &Tree| -> Vec<String> {
        t.nodes
            .values()
            .filter(|n| n.windows.is_some())
            .map(|n| n.path.clone())
            .collect()
    };
    let mut count = 0;
    for (space, what) in [
        (Space::Io, "I/O window without I/O BARs below"),
        (Space::Mem, "memory window without memory BARs below"),
        (
            Space::Pref,
            "prefetchable window without prefetchable BARs below",
        ),
    ] {
        let unneeded = |t: &Tree| -> String {
            let list: Vec<String> = bridges(t)
                .into_iter()
                .filter(|p| {
                    let w = t.nodes[p].windows.unwrap_or_default();
                    let open = match space {
                        Space::Io => w.io.is_some(),
                        Space::Mem => w.mem.is_some(),
                        Space::Pref => w.pref.is_some(),
                    };
                    open && !t.needs(p, space)
                })
                .map(|p| lookup(names, &p).name)
                .collect();
            if list.is_empty() {
                "none".into()
            } else {
                list.join(",")
            }
        };
        count += 1;
        let (a, b) = (unneeded(&vpcie), unneeded(&seabios));
        if a != b {
            diffs.push(Diff::new("firmware-rule", "bridges", "bridges", what, a, b));
        }
        let missing = |t: &Tree| -> String {
            let list: Vec<String> = bridges(t)
                .into_iter()
                .filter(|p| {
                    let w = t.nodes[p].windows.unwrap_or_default();
                    let open = match space {
                        Space::Io => w.io.is_some(),
                        Space::Mem => w.mem.is_some(),
                        // Prefetchable BARs may sit in the memory window.
                        Space::Pref => w.pref.is_some() || w.mem.is_some(),
                    };
                    !open && t.needs(p, space)
                })
                .map(|p| lookup(names, &p).name)
                .collect();
            if list.is_empty() {
                "none".into()
            } else {
                list.join(",")
            }
        };
        count += 1;
        let (a, b) = (missing(&vpcie), missing(&seabios));
        if a != b || a != "none" {
            diffs.push(Diff::new(
                "firmware-rule",
                "bridges",
                "bridges",
                format!(
                    "no window for {what}",
                    what = what.split(' ').next().unwrap_or(what)
                ),
                a,
                b,
            ));
        }
    }
    report.diffs(
        "seabios window policy: which bridges open I/O, memory and prefetchable windows",
        count,
        diffs,
        table,
    );

    // Registers both firmwares program: Command, Interrupt Line, latency,
    // Bridge Control on every function; the chipset's own registers.
    if let Some(fw) = firmware {
        let mut per_model: BTreeMap<String, (usize, Vec<Diff>)> = BTreeMap::new();
        let early_by_path: BTreeMap<String, &Vec<u8>> = early
            .iter()
            .filter_map(|(bdf, c)| {
                let n = seabios
                    .nodes
                    .values()
                    .find(|n| n.bdf == format!("{:02x}:{:02x}.{:x}", bdf.0, bdf.1, bdf.2))?;
                Some((n.path.clone(), c))
            })
            .collect();
        for (p, (_, iv)) in &fw.images_v {
            let Some(iq) = early_by_path.get(p) else {
                continue;
            };
            let n = lookup(names, p);
            let chipset = role(p) != Role::Other;
            let wanted = |name: &str| {
                matches!(
                    name,
                    "COMMAND"
                        | "CACHE_LINE_SIZE"
                        | "LATENCY_TIMER"
                        | "INTERRUPT_LINE"
                        | "SEC_LATENCY_TIMER"
                        | "BRIDGE_CONTROL"
                ) || (chipset && cap_of(name).is_none() && !is_header(name))
            };
            let entry = per_model.entry(n.name.clone()).or_default();
            let (c, d) = compare_state("seabios", &n, p, &iv[..256], &iq[..256], models, &wanted);
            entry.0 += c;
            entry.1.extend(d);
        }
        let mut count = 0;
        let mut diffs = Vec::new();
        for (_, (c, d)) in per_model {
            count += c;
            diffs.extend(d);
        }
        report.diffs(
            "seabios registers: what SeaBIOS and vpcie's firmware leave in Command, Interrupt Line, latency, Bridge Control and the MCH/LPC registers",
            count,
            diffs,
            table,
        );
    }

    // The kernel log.
    match read(&boot.join("dmesg-warnings.txt")) {
        Ok(t) => report.expect_none(
            "linux: kernel log free of resource-assignment and ACPI failures",
            "clean",
            t.lines().map(str::to_string).collect(),
        ),
        Err(e) => report.fail("linux: kernel log readable", e, Vec::new()),
    }
}

fn is_header(name: &str) -> bool {
    matches!(
        name,
        "VENDOR_ID"
            | "DEVICE_ID"
            | "COMMAND"
            | "STATUS"
            | "REVISION"
            | "CLASS"
            | "CACHE_LINE_SIZE"
            | "LATENCY_TIMER"
            | "HEADER_TYPE"
            | "BIST"
            | "RESERVED_35"
            | "INTERRUPT_LINE"
            | "INTERRUPT_PIN"
            | "BAR0"
            | "BAR1"
            | "BAR2"
            | "BAR3"
            | "BAR4"
            | "BAR5"
            | "CARDBUS_CIS"
            | "SUBSYSTEM_VENDOR_ID"
            | "SUBSYSTEM_ID"
            | "ROM_ADDRESS"
            | "RESERVED_38"
            | "MIN_GNT"
            | "MAX_LAT"
    )
}

/// Linux's own view (`/proc/iomem`): every BAR it claimed sits inside the
/// window of the bus the device is on.
fn check_iomem(boot: &Path, report: &mut Report) {
    let name = "linux /proc/iomem: every BAR claimed inside its bus's window";
    let text = match read(&boot.join("iomem.txt")) {
        Ok(t) => t,
        Err(e) => {
            report.fail(name, e, Vec::new());
            return;
        }
    };
    // (depth, range, label), in order; the parent of a line is the last
    // line with smaller depth.
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut problems = Vec::new();
    let mut bars = 0;
    for line in text.lines() {
        let depth = line.len() - line.trim_start().len();
        let Some((_, label)) = line.trim_start().split_once(" : ") else {
            continue;
        };
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            stack.pop();
        }
        if label.len() == 12 && label.starts_with("0000:") && label.as_bytes()[7] == b':' {
            bars += 1;
            let bus = &label[5..7];
            let want = format!("PCI Bus 0000:{bus}");
            let parent = stack.last().map(|(_, l)| l.as_str()).unwrap_or("(top)");
            // Bus 0's devices sit in the root bridge windows, which the
            // kernel also labels "PCI Bus 0000:00".
            if parent != want {
                problems.push(format!("{label}: under `{parent}`, want `{want}`"));
            }
        }
        stack.push((depth, label.to_string()));
    }
    if bars == 0 {
        problems.push("no PCI device resource in /proc/iomem".into());
    }
    report.expect_none(name, format!("{bars} BARs"), problems);
}
