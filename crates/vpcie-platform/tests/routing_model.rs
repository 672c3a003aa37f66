//! Routing after arbitrary bridge reprogramming, against a small reference
//! model that walks the tree on every access (the spec's rule, written
//! independently of the platform's routing table).
//!
//! Random topologies of bridges and endpoints; random sequences of guest
//! writes to bus-number registers (overlapping, inverted, zero ranges
//! included) and Bridge Control (Secondary Bus Reset), sent through the
//! platform's config-write API like a guest; after every step, every bus
//! number and a spread of devfns must reach the same function in both.
//!
//! The functions here implement `Function` outside the crate, as the
//! passthrough crate will.

use proptest::prelude::*;
use vpcie_config::regs::*;
use vpcie_config::{ConfigSize, ConfigSpace, NoHandler};
use vpcie_platform::models::header::{TYPE0_ENDPOINT, TYPE1_PCIE_PORT};
use vpcie_platform::{BusId, BusKind, Devfn, Function, Notify, PlatformBuilder};

/// A function with a tag in Subsystem ID, so a read tells which one answered.
struct Tagged {
    cfg: ConfigSpace,
}

impl Tagged {
    fn new(bridge: bool, tag: u16) -> Self {
        let mut cfg = ConfigSpace::new(ConfigSize::Extended);
        cfg.apply(
            0,
            if bridge {
                TYPE1_PCIE_PORT
            } else {
                TYPE0_ENDPOINT
            },
        )
        .unwrap();
        cfg.set_u16(PCI_VENDOR_ID, 0x1234);
        cfg.set_u8(PCI_HEADER_TYPE, u8::from(bridge));
        cfg.set_u16(PCI_SUBSYSTEM_ID, tag);
        cfg.mark_reset_state();
        Tagged { cfg }
    }
}

impl Function for Tagged {
    fn config_size(&self) -> ConfigSize {
        self.cfg.size()
    }
    fn config_read(&mut self, offset: u16, size: u8) -> u32 {
        self.cfg.read(offset, size, &mut NoHandler)
    }
    fn config_write(&mut self, offset: u16, size: u8, value: u32, _: &mut Notify<'_>) {
        self.cfg.write(offset, size, value, &mut NoHandler);
    }
    fn reset(&mut self, _: &mut Notify<'_>) {
        self.cfg.reset(&mut NoHandler);
    }
}

/// The reference: the tree and each bridge's registers, walked per access.
#[derive(Clone, Debug)]
struct RefFn {
    seg: usize,
    devfn: u8,
    /// Secondary segment, for bridges.
    child: Option<usize>,
    numbers: [u8; 3],
    sbr: bool,
}

#[derive(Clone, Debug)]
struct Reference {
    fns: Vec<RefFn>,
    /// Kind of each segment: true = PCIe link (only device 0).
    link: Vec<bool>,
    /// Bridges on each segment, in devfn order.
    bridges: Vec<Vec<usize>>,
    /// Whether the path to each segment crosses conventional PCI.
    conventional: Vec<bool>,
}

impl Reference {
    /// The segment a Type 0 access with bus number `bus` reaches.
    fn walk(&self, bus: u8) -> Option<usize> {
        if bus == 0 {
            return Some(0);
        }
        let mut seg = 0;
        // Each step goes one level down a finite tree.
        for _ in 0..=self.fns.len() {
            let b = self.bridges[seg]
                .iter()
                .map(|&i| &self.fns[i])
                .find(|f| f.numbers[1] <= bus && bus <= f.numbers[2])?;
            if b.sbr {
                return None;
            }
            let child = b.child?;
            if bus == b.numbers[1] {
                return Some(child);
            }
            seg = child;
        }
        None
    }

    fn target(&self, bus: u8, devfn: u8) -> Option<usize> {
        let seg = self.walk(bus)?;
        if self.link[seg] && devfn >> 3 != 0 {
            return None;
        }
        self.fns
            .iter()
            .position(|f| f.seg == seg && f.devfn == devfn)
    }

    /// Applies a guest write the reference decides reaches function `i`.
    fn write(&mut self, i: usize, offset: u16, size: u8, value: u32) {
        if self.fns[i].child.is_none() {
            return;
        }
        for k in 0..u16::from(size) {
            let off = offset + k;
            let byte = (value >> (8 * k)) as u8;
            match off {
                0x18..=0x1a => self.fns[i].numbers[usize::from(off - 0x18)] = byte,
                0x3e => {
                    let sbr = byte & 0x40 != 0;
                    if sbr && !self.fns[i].sbr {
                        self.reset_below(self.fns[i].child.unwrap());
                    }
                    self.fns[i].sbr = sbr;
                }
                _ => {}
            }
        }
    }

    fn reset_below(&mut self, seg: usize) {
        let below: Vec<usize> = (0..self.fns.len())
            .filter(|&j| self.fns[j].seg == seg)
            .collect();
        for j in below {
            self.fns[j].numbers = [0; 3];
            self.fns[j].sbr = false;
            if let Some(c) = self.fns[j].child {
                self.reset_below(c);
            }
        }
    }
}

/// One node of a random topology: (parent node or root, device, function,
/// bridge kind: None = endpoint, Some(0) = PCIe link below, Some(1) = switch
/// internal bus, Some(2) = conventional PCI bus).
type Spec = Vec<(usize, u8, u8, Option<u8>)>;

fn topology() -> impl Strategy<Value = Spec> {
    proptest::collection::vec(
        (
            any::<usize>(),
            0u8..6,
            0u8..2,
            proptest::option::weighted(0.6, 0u8..3),
        ),
        1..14,
    )
}

#[derive(Clone, Debug)]
enum Op {
    /// A bus-number byte write to bridge `pick` (if reachable), or a raw
    /// write to any BDF.
    Numbers { pick: usize, reg: u8, value: u8 },
    /// A dword write of primary/secondary/subordinate.
    Dword { pick: usize, value: u32 },
    /// Bridge Control with or without SBR.
    Control { pick: usize, sbr: bool },
    /// Firmware-style depth-first numbering from `first`, through the guest API.
    Enumerate { first: u8, spare: u8 },
    /// A write to an arbitrary address (mostly master-aborts).
    Raw {
        bus: u8,
        devfn: u8,
        offset: u8,
        value: u32,
    },
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        6 => (any::<usize>(), 0u8..3, prop_oneof![Just(0u8), Just(255u8), 0u8..12, any::<u8>()])
            .prop_map(|(pick, reg, value)| Op::Numbers { pick, reg, value }),
        2 => (any::<usize>(), any::<u32>()).prop_map(|(pick, value)| Op::Dword { pick, value }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, sbr)| Op::Control { pick, sbr }),
        2 => (prop_oneof![Just(0u8), 1u8..8, 200u8..255], 0u8..3)
            .prop_map(|(first, spare)| Op::Enumerate { first, spare }),
        1 => (0u8..12, any::<u8>(), prop_oneof![Just(0x18u8), Just(0x19), Just(0x1a), Just(0x3e)], any::<u32>())
            .prop_map(|(bus, devfn, offset, value)| Op::Raw { bus, devfn, offset, value }),
    ];
    proptest::collection::vec(op, 0..60)
}

/// Builds both the platform and the reference from a spec.
fn build(spec: &Spec) -> (vpcie_platform::Platform, Reference) {
    let mut b = PlatformBuilder::new();
    let mut reference = Reference {
        fns: Vec::new(),
        link: vec![false],
        bridges: Vec::new(),
        conventional: vec![false],
    };
    // Segments: index 0 = root; bridges add theirs.
    let mut segs: Vec<(BusId, BusKind)> = vec![(BusId::ROOT, BusKind::Root)];
    for (n, &(parent, device, function, bridge)) in spec.iter().enumerate() {
        let seg = parent % segs.len();
        let (bus, kind) = segs[seg];
        let device = if kind == BusKind::Link { 0 } else { device };
        let devfn = Devfn::new(device, function).unwrap();
        let f = Box::new(Tagged::new(bridge.is_some(), n as u16));
        let placed = match bridge {
            None => b.place(bus, devfn, f).map(|_| None),
            Some(kind) => {
                let k = [
                    BusKind::Link,
                    BusKind::SwitchInternal,
                    BusKind::Conventional,
                ][usize::from(kind)];
                b.place_bridge(bus, devfn, f, k).map(|(_, s)| Some((s, k)))
            }
        };
        let Ok(child) = placed else { continue }; // taken: skip
        if let Some((s, k)) = child {
            segs.push((s, k));
            reference.link.push(k == BusKind::Link);
            let conventional = reference.conventional[seg] || k == BusKind::Conventional;
            reference.conventional.push(conventional);
        }
        reference.fns.push(RefFn {
            seg,
            devfn: devfn.0,
            child: child.map(|_| segs.len() - 1),
            numbers: [0; 3],
            sbr: false,
        });
    }
    // Function 0 must exist wherever function 1 does: add missing ones.
    let missing: Vec<(usize, u8)> = reference
        .fns
        .iter()
        .filter(|f| f.devfn & 7 != 0)
        .map(|f| (f.seg, f.devfn & !7))
        .filter(|&(s, d)| !reference.fns.iter().any(|g| g.seg == s && g.devfn == d))
        .collect();
    for (seg, devfn) in missing {
        if reference
            .fns
            .iter()
            .any(|g| g.seg == seg && g.devfn == devfn)
        {
            continue;
        }
        let tag = 1000 + reference.fns.len() as u16;
        b.place(segs[seg].0, Devfn(devfn), Box::new(Tagged::new(false, tag)))
            .unwrap();
        reference.fns.push(RefFn {
            seg,
            devfn,
            child: None,
            numbers: [0; 3],
            sbr: false,
        });
    }
    reference.bridges = vec![Vec::new(); reference.link.len()];
    let mut order: Vec<usize> = (0..reference.fns.len()).collect();
    order.sort_by_key(|&i| reference.fns[i].devfn);
    for i in order {
        if reference.fns[i].child.is_some() {
            reference.bridges[reference.fns[i].seg].push(i);
        }
    }
    (b.build().expect("valid topology"), reference)
}

/// The platform's function identity (by tag) at every bus and some devfns
/// equals the reference's.
fn check(p: &mut vpcie_platform::Platform, r: &Reference) -> Result<(), TestCaseError> {
    for bus in 0..=255u8 {
        for devfn in [0u8, 1, 8, 41] {
            let expect = r.target(bus, devfn);
            let got = p.function_at(bus, Devfn(devfn)).map(|id| usize::from(id.0));
            prop_assert_eq!(got, expect, "bus {:#04x} devfn {:#04x}", bus, devfn);
            // And a real read: all-ones or the function's own ID.
            let v = p.config_read(bus, devfn >> 3, devfn & 7, PCI_VENDOR_ID, 2);
            prop_assert_eq!(v == 0x1234, expect.is_some());
            // Extended space: not past a conventional bus.
            let ext = p.config_read(bus, devfn >> 3, devfn & 7, 0x100, 4);
            let reaches = expect.is_some() && !r.conventional[r.walk(bus).unwrap_or(0)];
            prop_assert_eq!(
                ext != u32::MAX,
                reaches,
                "extended space at bus {:#04x}",
                bus
            );
        }
    }
    Ok(())
}

/// A guest write, mirrored into the reference where it decides it lands.
fn write(
    p: &mut vpcie_platform::Platform,
    r: &mut Reference,
    bus: u8,
    devfn: u8,
    offset: u16,
    size: u8,
    value: u32,
) {
    if let Some(i) = r.target(bus, devfn) {
        r.write(i, offset, size, value);
    }
    p.config_write(bus, devfn >> 3, devfn & 7, offset, size, value);
}

/// Depth-first bus numbering as firmware does it (reads through the
/// platform, writes mirrored), leaving `spare` extra numbers per bridge.
fn enumerate(
    p: &mut vpcie_platform::Platform,
    r: &mut Reference,
    bus: u8,
    next: &mut u8,
    spare: u8,
) {
    for devfn in 0..=255u8 {
        if p.config_read(bus, devfn >> 3, devfn & 7, PCI_VENDOR_ID, 2) == 0xffff {
            continue;
        }
        let header = p.config_read(bus, devfn >> 3, devfn & 7, PCI_HEADER_TYPE, 1);
        if header & 0x7f != 1 || *next == u8::MAX {
            continue;
        }
        *next += 1;
        let secondary = *next;
        write(
            p,
            r,
            bus,
            devfn,
            0x18,
            4,
            u32::from(bus) | u32::from(secondary) << 8 | 0xff << 16,
        );
        enumerate(p, r, secondary, next, spare);
        *next = next.saturating_add(spare);
        write(p, r, bus, devfn, 0x1a, 1, u32::from(*next));
    }
}

/// The BDF the reference reaches function `i` at, if any.
fn reachable(r: &Reference, i: usize) -> Option<(u8, u8)> {
    (0..=255u8)
        .find(|&bus| r.target(bus, r.fns[i].devfn) == Some(i))
        .map(|bus| (bus, r.fns[i].devfn))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn routing_matches_the_reference(spec in topology(), ops in ops()) {
        let (mut p, mut r) = build(&spec);
        prop_assert_eq!(p.function_count(), r.fns.len());
        check(&mut p, &r)?;
        let bridges: Vec<usize> = (0..r.fns.len()).filter(|&i| r.fns[i].child.is_some()).collect();
        for op in ops {
            if let Op::Enumerate { first, spare } = op {
                let mut next = first;
                enumerate(&mut p, &mut r, 0, &mut next, spare);
                check(&mut p, &r)?;
                continue;
            }
            if bridges.is_empty() && !matches!(op, Op::Raw { .. }) {
                continue;
            }
            let (bus, devfn, offset, size, value) = match op {
                Op::Numbers { pick, reg, value } => {
                    let i = bridges[pick % bridges.len()];
                    let Some((bus, devfn)) = reachable(&r, i) else { continue };
                    (bus, devfn, 0x18 + u16::from(reg), 1, u32::from(value))
                }
                Op::Dword { pick, value } => {
                    let i = bridges[pick % bridges.len()];
                    let Some((bus, devfn)) = reachable(&r, i) else { continue };
                    (bus, devfn, 0x18, 4, value)
                }
                Op::Control { pick, sbr } => {
                    let i = bridges[pick % bridges.len()];
                    let Some((bus, devfn)) = reachable(&r, i) else { continue };
                    (bus, devfn, 0x3e, 2, if sbr { 0x40 } else { 0 })
                }
                Op::Enumerate { .. } => continue,
                Op::Raw { bus, devfn, offset, value } => {
                    let size = if offset == 0x3e { 2 } else { 1 };
                    (bus, devfn, u16::from(offset), size, value & if size == 2 { 0xffff } else { 0xff })
                }
            };
            write(&mut p, &mut r, bus, devfn, offset, size, value);
            check(&mut p, &r)?;
        }
        // Events stayed bounded.
        prop_assert!(p.events().len() <= vpcie_platform::events::EVENT_QUEUE_CAPACITY);
    }
}
