//! Stage 2: vpcie's firmware on QEMU's machine (through qtest) and on
//! vpcie's; the registers it leaves, its plan on each, the CLI's outputs.

use super::compare::compare_state;
use super::models::{MCH_ID, Models, find_ecam, start_qemu, start_vpcie};
use super::*;

/// What vpcie's firmware did on each machine.
pub(super) struct FirmwareRun {
    /// vpcie's plan on vpcie's platform, as JSON.
    pub(super) plan_v: Value,
    /// BDFs and images after the firmware, by path (vpcie).
    pub(super) images_v: BTreeMap<String, (Bdf, Vec<u8>)>,
}

fn plan_json(plan: &vpcie_firmware::Plan) -> Value {
    let mut v = serde_json::to_value(plan).unwrap_or(Value::Null);
    // Names come from whoever describes the functions; not compared.
    if let Some(fs) = v["functions"].as_array_mut() {
        for f in fs {
            f["name"] = Value::Null;
        }
    }
    v
}

fn images_by_path<M: Machine>(g: &mut Guest<M>) -> BTreeMap<String, (Bdf, Vec<u8>)> {
    let found = discover(g, false);
    found
        .into_iter()
        .map(|f| {
            let size = guest::config_size(g, f.bdf);
            let image = read_config(g, f.bdf, size);
            (f.path, (f.bdf, image))
        })
        .collect()
}

pub(super) fn stage_firmware(
    inputs: &Inputs,
    names: &BTreeMap<String, Name>,
    models: &Models,
    report: &mut Report,
) -> Option<FirmwareRun> {
    let (mut q, mut v) = match (
        start_qemu(inputs, "qtest-firmware.stderr"),
        start_vpcie(inputs),
    ) {
        (Ok(q), Ok(v)) => (q, v),
        (q, v) => {
            let why: Vec<String> = [q.err(), v.err()].into_iter().flatten().collect();
            report.fail("firmware: machines start", "cannot start", why);
            return None;
        }
    };
    let plan_v = vpcie_firmware::run(&mut v, &inputs.firmware);
    let plan_q = vpcie_firmware::run(&mut q, &inputs.firmware);
    let (plan_v, plan_q) = match (plan_v, plan_q) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let why: Vec<String> = [a.err(), b.err()]
                .into_iter()
                .flatten()
                .map(|e| e.to_string())
                .collect();
            report.fail(
                "firmware: vpcie's firmware runs on both machines",
                "failed",
                why,
            );
            return None;
        }
    };
    report.pass(
        "firmware: vpcie's firmware runs on both machines",
        format!(
            "{} functions on vpcie, {} on QEMU",
            plan_v.functions.len(),
            plan_q.functions.len()
        ),
    );

    // ECAM: does QEMU decode vpcie's PCIEXBAR where the Intel datasheet
    // (and vpcie's MCFG) say? Look for the MCH's ID there.
    let pciexbar = q.pciexbar();
    let intel = decode_pciexbar(pciexbar);
    let found_at = |q: &mut Guest<Qtest>, base: u64| q.machine.read_mem(base, 4) == MCH_ID;
    let qemu_ecam = match intel {
        Some((base, _)) if found_at(&mut q, base) => Some(base),
        // Not where it should be: wherever QEMU put it.
        _ => find_ecam(&mut q),
    };
    let text = |b: Option<u64>| b.map_or("nowhere".to_string(), |b| format!("{b:#x}"));
    let decoded = intel.map(|(b, _)| b);
    report.diffs(
        "ecam: QEMU decodes the PCIEXBAR vpcie's firmware wrote where vpcie's MCFG says",
        1,
        if decoded == qemu_ecam {
            Vec::new()
        } else {
            vec![Diff::new(
                "ecam",
                "mch",
                "mch",
                format!("window of PCIEXBAR {pciexbar:#x}"),
                text(decoded),
                text(qemu_ecam),
            )]
        },
        &inputs.table,
    );
    // Read QEMU's extended space where QEMU put it, so the register
    // comparison goes on.
    q.ecam_override = qemu_ecam;

    let images_v = images_by_path(&mut v);
    let images_q = images_by_path(&mut q);
    save_images(
        &inputs.work.join("qemu-firmware.txt"),
        images_q.values().map(|(b, i)| (*b, i)),
    );
    save_images(
        &inputs.work.join("vpcie-firmware.txt"),
        images_v.values().map(|(b, i)| (*b, i)),
    );
    if let Some(dir) = &inputs.vpcie_out {
        check_dump(dir, &images_v, report);
    }
    for (p, (_, iv)) in &images_v {
        let n = lookup(names, p);
        let Some((_, iq)) = images_q.get(p) else {
            continue;
        };
        if !is_model(&n.kind) {
            continue;
        }
        let (count, diffs) = compare_state("firmware", &n, p, iv, iq, models, &|_| true);
        let bdf = plan_v
            .functions
            .iter()
            .find(|f| plan_path(&plan_v, f.bdf) == *p)
            .map_or(p.clone(), |f| f.bdf.to_string());
        report.diffs(
            format!(
                "firmware {bdf} {} ({}): guest-writable state after vpcie's firmware",
                n.name, n.kind
            ),
            count,
            diffs,
            &inputs.table,
        );
    }

    let plan_v = plan_json(&plan_v);
    let plan_q = plan_json(&plan_q);
    compare_plans(&plan_v, &plan_q, names, report, &inputs.table);
    for (side, plan) in [("vpcie", &plan_v), ("QEMU", &plan_q)] {
        let warnings: Vec<String> = plan["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|w| w.as_str().unwrap_or_default().to_string())
            .collect();
        report.expect_none(
            format!("firmware: no plan warnings on {side}'s machine"),
            "none",
            warnings,
        );
    }
    if let Some(dir) = &inputs.vpcie_out {
        check_cli_plan(dir, &plan_v, report);
    }
    for (what, m) in [
        ("QEMU", q.machine.failure()),
        ("vpcie", v.machine.failure()),
    ] {
        if let Some(e) = m {
            report.fail(
                format!("firmware: {what} answered"),
                e.to_string(),
                Vec::new(),
            );
        }
    }
    Some(FirmwareRun { plan_v, images_v })
}

fn plan_path(plan: &vpcie_firmware::Plan, bdf: Bdf) -> String {
    let mut parts = Vec::new();
    let mut cur = Some(bdf);
    while let Some(b) = cur {
        if parts.len() > plan.functions.len() {
            break;
        }
        parts.push(format!("{:02x}.{:x}", b.device, b.function));
        cur = plan.function(b).and_then(|f| f.parent);
    }
    parts.reverse();
    format!("00:{}", parts.join("/"))
}

/// `vpcie plan --json` prints what the library plans.
fn check_cli_plan(dir: &Path, plan_v: &Value, report: &mut Report) {
    let name = "vpcie plan --json: the CLI prints the plan the library makes";
    let path = dir.join("plan.json");
    let cli = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()));
    let mut cli = match cli {
        Ok(v) => v,
        Err(e) => {
            report.fail(name, format!("{}: {e}", path.display()), Vec::new());
            return;
        }
    };
    if let Some(fs) = cli["functions"].as_array_mut() {
        for f in fs {
            f["name"] = Value::Null;
        }
    }
    let mut problems = Vec::new();
    if let (Some(a), Some(b)) = (cli.as_object(), plan_v.as_object()) {
        for (k, va) in a {
            if b.get(k) != Some(va) {
                problems.push(format!("`{k}` differs"));
            }
        }
    }
    report.expect_none(name, "equal (function names aside)", problems);
}

fn window_text(w: &Value) -> String {
    match (w["base"].as_u64(), w["limit"].as_u64()) {
        (Some(b), Some(l)) => format!("{b:#x}-{l:#x}"),
        _ => "closed".to_string(),
    }
}

/// vpcie's firmware on QEMU's machine against the same firmware on vpcie's:
/// the models should lead it to the same decisions.
fn compare_plans(
    plan_v: &Value,
    plan_q: &Value,
    names: &BTreeMap<String, Name>,
    report: &mut Report,
    table: &Table,
) {
    let tv = Tree::from_plan(plan_v);
    let tq = Tree::from_plan(plan_q);
    let by_path = |plan: &Value| -> BTreeMap<String, Value> {
        let t = Tree::from_plan(plan);
        let mut m = BTreeMap::new();
        for f in plan["functions"].as_array().into_iter().flatten() {
            let bdf = f["bdf"].as_str().unwrap_or_default();
            if let Some(n) = t.nodes.values().find(|n| n.bdf == bdf) {
                m.insert(n.path.clone(), f.clone());
            }
        }
        m
    };
    let (fv, fq) = (by_path(plan_v), by_path(plan_q));
    let mut diffs = Vec::new();
    let mut count = 0;
    let paths: BTreeSet<&String> = fv.keys().chain(fq.keys()).collect();
    for p in paths {
        let n = lookup(names, p);
        let (a, b) = (fv.get(p), fq.get(p));
        let field = |f: Option<&Value>, k: &str| -> String {
            match f {
                None => "absent".into(),
                Some(f) => match k {
                    "buses" => f["buses"].as_object().map_or("none".into(), |b| {
                        format!("{}-{}-{}", b["primary"], b["secondary"], b["subordinate"])
                    }),
                    "io" | "mem" | "pref" => f["windows"]
                        .as_object()
                        .map_or("none".into(), |w| window_text(&w[k])),
                    "bars" => {
                        let bars: Vec<String> = f["bars"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|b| {
                                format!(
                                    "{} {} {}",
                                    b["bar"].as_str().unwrap_or("?"),
                                    b["size"],
                                    window_text(&b["range"])
                                )
                            })
                            .collect();
                        if bars.is_empty() {
                            "none".into()
                        } else {
                            bars.join(", ")
                        }
                    }
                    "interrupt" => f["interrupt"].as_object().map_or("none".into(), |i| {
                        format!(
                            "INT{} LNK{} IRQ {} GSI {}",
                            i["pin"].as_str().unwrap_or("?"),
                            i["link"].as_str().unwrap_or("?"),
                            i["irq"],
                            i["gsi"]
                        )
                    }),
                    _ => f[k].to_string(),
                },
            }
        };
        for k in [
            "bdf",
            "kind",
            "buses",
            "io",
            "mem",
            "pref",
            "bars",
            "interrupt",
            "hotplug",
            "slot",
        ] {
            count += 1;
            let (x, y) = (field(a, k), field(b, k));
            if x != y {
                diffs.push(Diff::new("plan", &n.name, &n.kind, k, x, y));
            }
        }
    }
    for k in [
        "last_bus",
        "ecam",
        "mmio_hole",
        "pci_mem",
        "io_space",
        "pirq_irqs",
        "pm_base",
        "e820",
    ] {
        count += 1;
        let (x, y) = (plan_v[k].to_string(), plan_q[k].to_string());
        if x != y {
            diffs.push(Diff::new("plan", "plan", "plan", k, x, y));
        }
    }
    report.diffs(
        "plan: vpcie's firmware decides the same on QEMU's machine as on vpcie's",
        count,
        diffs,
        table,
    );
    report.expect_none(
        "plan rules: vpcie's firmware on vpcie's machine (nesting, no overlap, BARs inside windows)",
        format!("{} functions", tv.nodes.len()),
        tv.problems(ecam_span(plan_v)),
    );
    report.expect_none(
        "plan rules: vpcie's firmware on QEMU's machine (nesting, no overlap, BARs inside windows)",
        format!("{} functions", tq.nodes.len()),
        tq.problems(ecam_span(plan_q)),
    );
}

/// `vpcie dump --format lspci` prints the platform as vpcie's firmware
/// leaves it: the same bytes the oracle reads after running the firmware.
fn check_dump(dir: &Path, images: &BTreeMap<String, (Bdf, Vec<u8>)>, report: &mut Report) {
    let name = "vpcie dump: the CLI prints the platform as the firmware leaves it, byte for byte";
    let path = dir.join("dump.txt");
    let dumped = match read(&path).and_then(|t| {
        vpcie_config::lspci::parse(&t).map_err(|e| format!("{}: {e}", path.display()))
    }) {
        Ok(d) => d,
        Err(e) => {
            report.fail(name, e, Vec::new());
            return;
        }
    };
    let mut problems = Vec::new();
    let dumped: BTreeMap<Bdf, &vpcie_config::lspci::DumpFunction> = dumped
        .iter()
        .map(|f| {
            let a = f.address;
            (Bdf::new(a.bus, a.device, a.function), f)
        })
        .collect();
    for (bdf, image) in images.values() {
        let Some(d) = dumped.get(bdf) else {
            problems.push(format!("{bdf}: missing from the dump"));
            continue;
        };
        if d.config_size() != image.len() {
            problems.push(format!(
                "{bdf}: {} bytes dumped, {} read",
                d.config_size(),
                image.len()
            ));
        } else if let Some(o) = (0..image.len()).find(|&o| d.config()[o] != image[o]) {
            problems.push(format!(
                "{bdf}: byte {o:#05x} dumped {:02x}, the oracle reads {:02x}",
                d.config()[o],
                image[o]
            ));
        }
    }
    if dumped.len() != images.len() {
        problems.push(format!(
            "{} functions dumped, {} found",
            dumped.len(),
            images.len()
        ));
    }
    report.expect_none(name, format!("{} functions", images.len()), problems);
}
