//! A firmware's result as a tree of bridges with windows and devices with
//! BARs — built from vpcie's plan (JSON) or from configuration images
//! (SeaBIOS's state in `pci=earlydump`, Linux's in `lspci -xxxx`) — and the
//! rules every correct result obeys: windows nest, nothing overlaps, every
//! BAR lies in its bridge's window.

use serde_json::Value;
use std::collections::BTreeMap;

/// An inclusive address range.
pub type Span = (u64, u64);

/// Which space a BAR decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// I/O ports.
    Io,
    /// Non-prefetchable memory.
    Mem,
    /// Prefetchable memory.
    Pref,
}

/// A BAR as assigned.
#[derive(Clone, Debug)]
pub struct BarAt {
    /// `BAR0`…
    pub name: String,
    /// Space.
    pub space: Space,
    /// Size in bytes.
    pub size: u64,
    /// Where it decodes (`None`: unassigned).
    pub at: Option<Span>,
}

/// A bridge's windows (`None`: closed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Windows {
    /// I/O window.
    pub io: Option<Span>,
    /// Non-prefetchable memory window.
    pub mem: Option<Span>,
    /// Prefetchable memory window.
    pub pref: Option<Span>,
}

/// A function of the tree.
#[derive(Clone, Debug)]
pub struct Node {
    /// Physical place (`00:1c.0/00.0`).
    pub path: String,
    /// Bus/device/function as programmed.
    pub bdf: String,
    /// The bridge above.
    pub parent: Option<String>,
    /// Bus numbers of a bridge (primary, secondary, subordinate).
    pub buses: Option<(u8, u8, u8)>,
    /// Windows of a bridge.
    pub windows: Option<Windows>,
    /// BARs.
    pub bars: Vec<BarAt>,
}

/// A configuration image by (bus, device, function).
pub type Image = ((u8, u8, u8), Vec<u8>);

/// A firmware result.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Functions by path.
    pub nodes: BTreeMap<String, Node>,
}

fn span(v: &Value) -> Option<Span> {
    Some((v.get("base")?.as_u64()?, v.get("limit")?.as_u64()?))
}

/// Path of each function of a plan from its `parent` chain.
fn plan_paths(functions: &[Value]) -> BTreeMap<String, String> {
    let mut by_bdf: BTreeMap<String, &Value> = BTreeMap::new();
    for f in functions {
        if let Some(b) = f["bdf"].as_str() {
            by_bdf.insert(b.to_string(), f);
        }
    }
    let mut out = BTreeMap::new();
    for bdf in by_bdf.keys() {
        let mut parts = Vec::new();
        let mut cur = Some(bdf.clone());
        while let Some(b) = cur {
            if parts.len() > by_bdf.len() {
                break;
            }
            parts.push(b[3..].to_string());
            cur = by_bdf
                .get(&b)
                .and_then(|f| f["parent"].as_str())
                .map(str::to_string);
        }
        parts.reverse();
        out.insert(bdf.clone(), format!("00:{}", parts.join("/")));
    }
    out
}

impl Tree {
    /// The tree of a plan serialized as `vpcie plan --json` prints it.
    pub fn from_plan(plan: &Value) -> Tree {
        let functions = plan["functions"].as_array().cloned().unwrap_or_default();
        let paths = plan_paths(&functions);
        let mut t = Tree::default();
        for f in &functions {
            let bdf = f["bdf"].as_str().unwrap_or_default().to_string();
            let path = paths.get(&bdf).cloned().unwrap_or_else(|| bdf.clone());
            let parent = f["parent"].as_str().and_then(|p| paths.get(p)).cloned();
            let buses = f["buses"].as_object().map(|b| {
                let g = |k: &str| b.get(k).and_then(Value::as_u64).unwrap_or(0) as u8;
                (g("primary"), g("secondary"), g("subordinate"))
            });
            let windows = f["windows"].as_object().map(|w| Windows {
                io: w.get("io").and_then(span),
                mem: w.get("mem").and_then(span),
                pref: w.get("pref").and_then(span),
            });
            let mut bars = Vec::new();
            for b in f["bars"].as_array().into_iter().flatten() {
                let kind = b["kind"].as_str().unwrap_or_default();
                if kind == "rom" {
                    continue;
                }
                let space = if kind == "io" {
                    Space::Io
                } else if b["prefetchable"].as_bool() == Some(true) {
                    Space::Pref
                } else {
                    Space::Mem
                };
                bars.push(BarAt {
                    name: b["bar"].as_str().unwrap_or_default().to_string(),
                    space,
                    size: b["size"].as_u64().unwrap_or(0),
                    at: span(&b["range"]),
                });
            }
            t.nodes.insert(
                path.clone(),
                Node {
                    path,
                    bdf,
                    parent,
                    buses,
                    windows,
                    bars,
                },
            );
        }
        t
    }

    /// The tree of configuration images by BDF (`images`: bus, device,
    /// function, bytes), BAR kinds and sizes from `bar_sizes` by path
    /// (an image holds addresses, not sizes).
    pub fn from_images(images: &[Image], bar_sizes: &BTreeMap<String, Vec<BarInfo>>) -> Tree {
        // The bridge whose secondary bus is b, for every b.
        let mut above: BTreeMap<u8, (u8, u8, u8)> = BTreeMap::new();
        for (bdf, c) in images {
            if c[0x0e] & 0x7f == 1 {
                above.insert(c[0x19], *bdf);
            }
        }
        let fmt = |b: &(u8, u8, u8)| format!("{:02x}:{:02x}.{:x}", b.0, b.1, b.2);
        let path_of = |bdf: (u8, u8, u8)| -> String {
            let mut parts = vec![format!("{:02x}.{:x}", bdf.1, bdf.2)];
            let mut bus = bdf.0;
            while bus != 0 {
                match above.get(&bus) {
                    Some(p) if parts.len() <= 32 => {
                        parts.push(format!("{:02x}.{:x}", p.1, p.2));
                        bus = p.0;
                    }
                    _ => break,
                }
            }
            parts.reverse();
            format!("00:{}", parts.join("/"))
        };
        let mut t = Tree::default();
        for (bdf, c) in images {
            let path = path_of(*bdf);
            let parent = (bdf.0 != 0)
                .then(|| above.get(&bdf.0).map(|p| path_of(*p)))
                .flatten();
            let bridge = c[0x0e] & 0x7f == 1;
            let mut bars = Vec::new();
            for info in bar_sizes.get(&path).into_iter().flatten() {
                let lo = u64::from(u32::from_le_bytes(
                    c[info.offset..info.offset + 4].try_into().unwrap(),
                ));
                let base = match info.space {
                    Space::Io => lo & !0x3,
                    _ if info.wide => {
                        let hi = u64::from(u32::from_le_bytes(
                            c[info.offset + 4..info.offset + 8].try_into().unwrap(),
                        ));
                        (hi << 32 | lo) & !0xf
                    }
                    _ => lo & !0xf,
                };
                bars.push(BarAt {
                    name: format!("BAR{}", info.index),
                    space: info.space,
                    size: info.size,
                    at: (base != 0).then(|| (base, base + info.size - 1)),
                });
            }
            t.nodes.insert(
                path.clone(),
                Node {
                    path,
                    bdf: fmt(bdf),
                    parent,
                    buses: bridge.then(|| (c[0x18], c[0x19], c[0x1a])),
                    windows: bridge.then(|| image_windows(c)),
                    bars,
                },
            );
        }
        t
    }

    fn children<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.nodes
            .values()
            .filter(move |n| n.parent.as_deref() == Some(path))
    }

    /// Whether anything below `path` needs a window of `space`.
    pub fn needs(&self, path: &str, space: Space) -> bool {
        self.children(path).any(|c| {
            c.bars.iter().any(|b| b.space == space)
                || (c.windows.is_some() && self.needs(&c.path, space))
        })
    }

    /// Everything that breaks the rules, one line each.
    pub fn problems(&self, ecam: Option<Span>) -> Vec<String> {
        let mut out = Vec::new();
        let overlap = |a: Span, b: Span| a.0 <= b.1 && b.0 <= a.1;
        let inside = |a: Span, w: Option<Span>| w.is_some_and(|w| w.0 <= a.0 && a.1 <= w.1);
        let text = |s: Span| format!("{:#x}-{:#x}", s.0, s.1);
        for n in self.nodes.values() {
            let parent = n.parent.as_ref().and_then(|p| self.nodes.get(p));
            let pw = parent.and_then(|p| p.windows);
            for b in &n.bars {
                let Some(at) = b.at else {
                    out.push(format!(
                        "{} {}: unassigned ({} bytes)",
                        n.bdf, b.name, b.size
                    ));
                    continue;
                };
                if at.1 - at.0 + 1 != b.size || at.0 % b.size != 0 {
                    out.push(format!(
                        "{} {}: {} is not a naturally aligned {} bytes",
                        n.bdf,
                        b.name,
                        text(at),
                        b.size
                    ));
                }
                if let Some(w) = pw {
                    let ok = match b.space {
                        Space::Io => inside(at, w.io),
                        Space::Mem => inside(at, w.mem),
                        Space::Pref => inside(at, w.pref) || inside(at, w.mem),
                    };
                    if !ok {
                        out.push(format!(
                            "{} {} {}: outside the windows of the bridge above ({})",
                            n.bdf,
                            b.name,
                            text(at),
                            parent.map(|p| p.bdf.as_str()).unwrap_or("?")
                        ));
                    }
                }
                if let Some(e) = ecam {
                    if b.space != Space::Io && overlap(at, e) {
                        out.push(format!(
                            "{} {} {}: overlaps ECAM {}",
                            n.bdf,
                            b.name,
                            text(at),
                            text(e)
                        ));
                    }
                }
            }
            if let Some(w) = n.windows {
                for (what, win, ok_in) in [
                    ("I/O", w.io, pw.map(|p| vec![p.io])),
                    ("memory", w.mem, pw.map(|p| vec![p.mem])),
                    ("prefetchable", w.pref, pw.map(|p| vec![p.pref, p.mem])),
                ] {
                    let Some(win) = win else { continue };
                    if let Some(options) = ok_in {
                        if !options.into_iter().any(|o| inside(win, o)) {
                            out.push(format!(
                                "{}: {what} window {} not inside the bridge above ({})",
                                n.bdf,
                                text(win),
                                parent.map(|p| p.bdf.as_str()).unwrap_or("?")
                            ));
                        }
                    }
                    if let Some(e) = ecam {
                        if what != "I/O" && overlap(win, e) {
                            out.push(format!(
                                "{}: {what} window {} overlaps ECAM {}",
                                n.bdf,
                                text(win),
                                text(e)
                            ));
                        }
                    }
                }
            }
        }
        // Siblings (same bus): BARs and windows pairwise disjoint, per space
        // class (I/O; memory of both kinds).
        let mut by_parent: BTreeMap<Option<String>, Vec<&Node>> = BTreeMap::new();
        for n in self.nodes.values() {
            by_parent.entry(n.parent.clone()).or_default().push(n);
        }
        for members in by_parent.values() {
            let mut io: Vec<(String, Span)> = Vec::new();
            let mut mem: Vec<(String, Span)> = Vec::new();
            for n in members {
                for b in &n.bars {
                    if let Some(at) = b.at {
                        let list = if b.space == Space::Io {
                            &mut io
                        } else {
                            &mut mem
                        };
                        list.push((format!("{} {}", n.bdf, b.name), at));
                    }
                }
                if let Some(w) = n.windows {
                    io.extend(w.io.map(|s| (format!("{} I/O window", n.bdf), s)));
                    mem.extend(w.mem.map(|s| (format!("{} memory window", n.bdf), s)));
                    mem.extend(
                        w.pref
                            .map(|s| (format!("{} prefetchable window", n.bdf), s)),
                    );
                }
            }
            for list in [&io, &mem] {
                for (i, a) in list.iter().enumerate() {
                    for b in &list[i + 1..] {
                        if overlap(a.1, b.1) {
                            out.push(format!(
                                "{} {} overlaps {} {}",
                                a.0,
                                text(a.1),
                                b.0,
                                text(b.1)
                            ));
                        }
                    }
                }
            }
        }
        out
    }
}

/// A bridge's windows from its Type 1 header (PCI-to-PCI Bridge spec §3.2.5:
/// a window is open when base ≤ limit; 32-bit I/O and 64-bit prefetchable
/// when the low nibble says so).
pub fn image_windows(c: &[u8]) -> Windows {
    let u16at = |o: usize| u64::from(u16::from_le_bytes([c[o], c[o + 1]]));
    let u32at = |o: usize| u64::from(u32::from_le_bytes(c[o..o + 4].try_into().unwrap()));
    let io32 = c[0x1c] & 0x0f == 1;
    let io_base = u64::from(c[0x1c] & 0xf0) << 8 | if io32 { u16at(0x30) << 16 } else { 0 };
    let io_limit =
        u64::from(c[0x1d] & 0xf0) << 8 | 0xfff | if io32 { u16at(0x32) << 16 } else { 0 };
    let mem_base = (u16at(0x20) & 0xfff0) << 16;
    let mem_limit = (u16at(0x22) & 0xfff0) << 16 | 0xf_ffff;
    let pref64 = c[0x24] & 0x0f == 1;
    let pref_base = (u16at(0x24) & 0xfff0) << 16 | if pref64 { u32at(0x28) << 32 } else { 0 };
    let pref_limit =
        (u16at(0x26) & 0xfff0) << 16 | 0xf_ffff | if pref64 { u32at(0x2c) << 32 } else { 0 };
    let open = |b: u64, l: u64| (b <= l).then_some((b, l));
    Windows {
        io: open(io_base, io_limit),
        mem: open(mem_base, mem_limit),
        pref: open(pref_base, pref_limit),
    }
}

/// A BAR as sizing found it (all-ones written, read back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarInfo {
    /// BAR number.
    pub index: usize,
    /// Register offset.
    pub offset: usize,
    /// Space.
    pub space: Space,
    /// 64-bit memory BAR (uses the next register too).
    pub wide: bool,
    /// Size in bytes.
    pub size: u64,
}

/// The BARs of a function from what its BAR registers read after all-ones
/// were written (`ones`, the whole image) — PCI Local Bus 3.0 §6.2.5.1.
pub fn bars_from_sizing(ones: &[u8], header_type: u8) -> Vec<BarInfo> {
    let count = match header_type & 0x7f {
        0 => 6,
        1 => 2,
        _ => 0,
    };
    let u32at = |o: usize| u32::from_le_bytes(ones[o..o + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut i = 0;
    while i < count {
        let offset = 0x10 + 4 * i;
        let v = u32at(offset);
        if v == 0 {
            i += 1;
            continue;
        }
        if v & 1 == 1 {
            let mask = u64::from(v & !0x3) | 0xffff_0000;
            out.push(BarInfo {
                index: i,
                offset,
                space: Space::Io,
                wide: false,
                size: (!mask & 0xffff_ffff) + 1,
            });
            i += 1;
            continue;
        }
        let wide = (v >> 1) & 3 == 2 && i + 1 < count;
        let mut mask = u64::from(v & !0xf);
        if wide {
            mask |= u64::from(u32at(offset + 4)) << 32;
        } else {
            mask |= 0xffff_ffff_0000_0000;
        }
        out.push(BarInfo {
            index: i,
            offset,
            space: if v & 8 != 0 { Space::Pref } else { Space::Mem },
            wide,
            size: (!mask).wrapping_add(1),
        });
        i += if wide { 2 } else { 1 };
    }
    out
}
