//! Shared by the firmware's integration tests: build platforms from
//! descriptions and check a plan against what the platform decodes.

#![allow(dead_code)]

use vpcie_firmware::memmap::E820Entry;
use vpcie_firmware::{Bdf, E820Type, FirmwareConfig, Plan, Range};
use vpcie_platform::description::{BarDescription, BarKindDescription, DeviceDescription};
use vpcie_platform::{Devfn, DeviceKind, Platform, PlatformDescription};

/// A device description with the fields a test sets (built through serde,
/// so fields the platform adds later keep their defaults).
pub fn device(kind: DeviceKind, name: &str, parent: Option<&str>, at: &str) -> DeviceDescription {
    let mut t = toml::Table::new();
    t.insert("name".into(), name.into());
    t.insert(
        "kind".into(),
        toml::Value::try_from(kind).expect("kind serializes"),
    );
    t.insert("at".into(), at.into());
    if let Some(p) = parent {
        t.insert("parent".into(), p.into());
    }
    toml::Value::Table(t)
        .try_into()
        .expect("a device description")
}

/// `d` with these BARs.
pub fn with_bars(d: DeviceDescription, bars: Vec<BarDescription>) -> DeviceDescription {
    let mut t = match toml::Value::try_from(&d).expect("serializes") {
        toml::Value::Table(t) => t,
        _ => unreachable!("a struct serializes to a table"),
    };
    t.insert(
        "bars".into(),
        toml::Value::try_from(bars).expect("bars serialize"),
    );
    toml::Value::Table(t)
        .try_into()
        .expect("a device description")
}

/// A BAR description.
pub fn bar(bar: u8, kind: BarKindDescription, size: u64, prefetchable: bool) -> BarDescription {
    BarDescription {
        bar,
        kind,
        size,
        prefetchable,
    }
}

/// Builds a platform from devices.
pub fn build(devices: Vec<DeviceDescription>) -> Platform {
    PlatformDescription { devices }
        .build()
        .unwrap_or_else(|e| panic!("test topology does not build: {e}"))
}

fn io_of(r: &Range) -> bool {
    r.limit() <= 0xffff
}

/// Checks the plan against the platform's own decode and the rules:
/// registers hold the plan; every range aligned, inside its parent window,
/// disjoint from its siblings, from ECAM and from the fixed ranges; windows
/// cover their children; bus numbers nest; E820 consistent.
pub fn check(platform: &mut Platform, plan: &Plan, cfg: &FirmwareConfig) -> Result<(), String> {
    let fail = |m: String| Err::<(), String>(m);
    // ---- registers and platform decode agree with the plan ----
    for f in &plan.functions {
        let devfn = Devfn::new(f.bdf.device, f.bdf.function).ok_or("bad devfn")?;
        let id = platform
            .function_at(f.bdf.bus, devfn)
            .ok_or_else(|| format!("{}: not reachable with the bus numbers programmed", f.bdf))?;
        if let Some(b) = f.buses {
            let st = platform.bridge_state(id).ok_or("not a bridge")?;
            if (
                st.numbers.primary,
                st.numbers.secondary,
                st.numbers.subordinate,
            ) != (b.primary, b.secondary, b.subordinate)
            {
                return fail(format!(
                    "{}: bus numbers {:?} vs plan {b:?}",
                    f.bdf, st.numbers
                ));
            }
            let w = f.windows.unwrap_or_default();
            let conv = |x: Option<vpcie_platform::Window>| {
                x.and_then(|w| Range::inclusive(w.base, w.limit))
            };
            let decoded = (
                conv(st.windows.io),
                conv(st.windows.memory),
                conv(st.windows.prefetchable),
            );
            if decoded != (w.io, w.mem, w.pref) {
                return fail(format!("{}: windows decode {decoded:?}, plan {w:?}", f.bdf));
            }
            if (w.io.is_some() && !st.windows.io_enabled)
                || ((w.mem.is_some() || w.pref.is_some()) && !st.windows.memory_enabled)
            {
                return fail(format!("{}: window decode not enabled in Command", f.bdf));
            }
        }
        for b in &f.bars {
            let lo = platform.config_read(f.bdf.bus, f.bdf.device, f.bdf.function, b.offset, 4);
            let hi = if b.kind == "mem64" {
                platform.config_read(f.bdf.bus, f.bdf.device, f.bdf.function, b.offset + 4, 4)
            } else {
                0
            };
            let mask: u64 = match b.kind {
                "io" => !3,
                "rom" => !0x7ff,
                _ => !0xf,
            };
            let reg = (u64::from(hi) << 32 | u64::from(lo)) & mask & !(b.size - 1);
            let want = b.range.map_or(0, |r| r.base);
            if reg != want {
                return fail(format!(
                    "{} {}: register {reg:#x}, plan {want:#x}",
                    f.bdf, b.bar
                ));
            }
        }
    }
    // ---- ECAM programmed ----
    if let Some(e) = &plan.ecam {
        let w = platform.ecam_window().ok_or("ECAM not enabled")?;
        if (w.base, w.size) != (e.range.base, e.range.size) {
            return fail(format!("ECAM decodes {w:?}, plan {:?}", e.range));
        }
        if e.range.base % e.range.size != 0 {
            return fail("ECAM not aligned to its size".into());
        }
        if !plan.mmio_hole.contains(&e.range) {
            return fail("ECAM outside the MMIO hole".into());
        }
    }
    let fixed: Vec<Range> = plan.fixed.iter().map(|f| f.range).collect();
    // ---- every range: aligned, in its parent, clear of fixed/ECAM ----
    for f in &plan.functions {
        let parent = f.parent.and_then(|p| plan.function(p));
        let pw = parent.and_then(|p| p.windows);
        let mut own: Vec<(String, Range, &str)> = Vec::new();
        for b in &f.bars {
            if let Some(r) = b.range {
                if r.base % r.size != 0 {
                    return fail(format!("{} {}: {r} not aligned to its size", f.bdf, b.bar));
                }
                let class = match (b.kind, b.prefetchable) {
                    ("io", _) => "io",
                    ("mem64", true) | ("mem32", true) => "pref",
                    _ => "mem",
                };
                own.push((format!("{} {}", f.bdf, b.bar), r, class));
            }
        }
        if let Some(w) = f.windows {
            for (r, class, granule) in [
                (w.io, "io", 0x1000),
                (w.mem, "mem", 1 << 20),
                (w.pref, "pref", 1 << 20),
            ] {
                if let Some(r) = r {
                    if r.base % granule != 0 || r.size % granule != 0 {
                        return fail(format!("{} {class} window {r} not on its granule", f.bdf));
                    }
                    own.push((format!("{} {class} window", f.bdf), r, class));
                }
            }
        }
        for (what, r, class) in &own {
            match pw {
                Some(w) => {
                    let inside = match *class {
                        "io" => w.io.is_some_and(|p| p.contains(r)),
                        "mem" => w.mem.is_some_and(|p| p.contains(r)),
                        // A prefetchable range may sit in the prefetchable
                        // window, or the memory window when the bridge has none.
                        _ => {
                            w.pref.is_some_and(|p| p.contains(r))
                                || w.mem.is_some_and(|p| p.contains(r))
                        }
                    };
                    if !inside {
                        return fail(format!(
                            "{what} {r} is outside its parent's {class} window {w:?}"
                        ));
                    }
                }
                None => {
                    let ok = if *class == "io" {
                        plan.io_space.contains(r)
                    } else {
                        plan.pci_mem.contains(r) || plan.high_used.is_some_and(|h| h.contains(r))
                    };
                    if !ok {
                        return fail(format!("{what} {r} is outside the root windows"));
                    }
                }
            }
            if !io_of(r) || *class != "io" {
                for fx in &fixed {
                    if fx.overlaps(r) {
                        return fail(format!("{what} {r} overlaps fixed range {fx}"));
                    }
                }
                if let Some(e) = &plan.ecam {
                    if e.range.overlaps(r) {
                        return fail(format!("{what} {r} overlaps ECAM"));
                    }
                }
            }
        }
    }
    // ---- siblings disjoint: ranges of functions on the same bus ----
    let mut by_bus: std::collections::BTreeMap<u8, Vec<(String, Range, bool)>> = Default::default();
    for f in &plan.functions {
        let list = by_bus.entry(f.bdf.bus).or_default();
        for b in &f.bars {
            if let Some(r) = b.range {
                list.push((format!("{} {}", f.bdf, b.bar), r, b.kind == "io"));
            }
        }
        if let Some(w) = f.windows {
            for (r, io) in [(w.io, true), (w.mem, false), (w.pref, false)] {
                if let Some(r) = r {
                    list.push((format!("{} window", f.bdf), r, io));
                }
            }
        }
    }
    for list in by_bus.values() {
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if a.2 == b.2 && a.1.overlaps(&b.1) {
                    return fail(format!("{} {} overlaps sibling {} {}", a.0, a.1, b.0, b.1));
                }
            }
        }
    }
    // ---- bus numbers nest ----
    for f in &plan.functions {
        let Some(b) = f.buses else { continue };
        if b.secondary <= b.primary || b.subordinate < b.secondary || b.primary != f.bdf.bus {
            return fail(format!("{}: bad bus numbers {b:?}", f.bdf));
        }
        if let Some(p) = f
            .parent
            .and_then(|p| plan.function(p))
            .and_then(|p| p.buses)
        {
            if b.secondary < p.secondary || b.subordinate > p.subordinate {
                return fail(format!("{}: buses {b:?} not inside parent {p:?}", f.bdf));
            }
        }
        for g in &plan.functions {
            if g.bdf == f.bdf || g.parent != f.parent {
                continue;
            }
            if let Some(c) = g.buses {
                if c.secondary <= b.subordinate && b.secondary <= c.subordinate {
                    return fail(format!("{} and {}: bus ranges overlap", f.bdf, g.bdf));
                }
            }
        }
        for child in plan.functions.iter().filter(|c| c.parent == Some(f.bdf)) {
            if child.bdf.bus != b.secondary {
                return fail(format!("{} is not on {}'s secondary bus", child.bdf, f.bdf));
            }
        }
    }
    check_e820(plan, cfg)
}

/// E820 sorted and disjoint; RAM clear of the hole, ECAM, reserved and the
/// 64-bit window; all of the guest's RAM accounted for.
pub fn check_e820(plan: &Plan, cfg: &FirmwareConfig) -> Result<(), String> {
    let e: &[E820Entry] = &plan.e820;
    for w in e.windows(2) {
        if w[0].range.limit() >= w[1].range.base {
            return Err(format!(
                "E820 entries overlap or unsorted: {:?} {:?}",
                w[0], w[1]
            ));
        }
    }
    let mut ram = 0u64;
    for entry in e
        .iter()
        .filter(|x| matches!(x.kind, E820Type::Ram | E820Type::Acpi))
    {
        ram += entry.range.size;
        let r = entry.range;
        let mut forbidden = vec![plan.mmio_hole];
        forbidden.extend(plan.ecam.map(|x| x.range));
        forbidden.extend(plan.high_window);
        forbidden.extend(
            plan.fixed
                .iter()
                .filter(|f| f.e820.is_some())
                .map(|f| f.range),
        );
        for f in &forbidden {
            if f.overlaps(&r) {
                return Err(format!("RAM {r} overlaps {f}"));
            }
        }
        if r.base % 0x1000 != 0 && r.base != 0 {
            return Err(format!("RAM {r} not page aligned"));
        }
    }
    // The EBDA's 0x400 bytes of the low pages are reported reserved.
    let reserved_low: u64 = plan
        .fixed
        .iter()
        .filter(|f| f.range.limit() < 0xa_0000 && f.e820.is_some())
        .map(|f| f.range.size)
        .sum();
    if ram + reserved_low != cfg.ram.0 {
        return Err(format!(
            "E820 RAM+ACPI {ram:#x} + low reserved {reserved_low:#x} != guest RAM {:#x}",
            cfg.ram.0
        ));
    }
    Ok(())
}

/// The BDF of a plan function by platform name.
pub fn bdf_of(plan: &Plan, name: &str) -> Bdf {
    plan.functions
        .iter()
        .find(|f| f.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no function named {name}"))
        .bdf
}
