//! Random guest accesses mixed with random front-end hot-plug, error and
//! PME requests: nothing panics, the event queue stays bounded, and the
//! slots stay consistent with what the guest reads — Presence Detect State
//! follows the card, Data Link Layer Link Active follows presence, power
//! and Link Disable, the card answers exactly while its link is up, a
//! removed function answers nothing, hot-plug never changes bus numbers,
//! and a port's INTx follows its Interrupt Status.

use proptest::prelude::*;
use vpcie_config::regs::*;
use vpcie_platform::enumerate::assign_bus_numbers;
use vpcie_platform::events::EVENT_QUEUE_CAPACITY;
use vpcie_platform::models::endpoint::{EndpointOptions, endpoint};
use vpcie_platform::spec::*;
use vpcie_platform::*;

/// The default Q35 platform (hot-plug root ports, a switch with hot-plug
/// downstream ports, a PCIe-to-PCI bridge, an empty slot) plus a port
/// without hot-plug and an endpoint that signals PME.
fn platform() -> Platform {
    let mut text = description::DEFAULT_PLATFORM_TOML.to_string();
    text += r#"
[[device]]
name = "rp5"
kind = "root-port"
at = "1c.4"
hotplug = false

[[device]]
kind = "endpoint"
parent = "rp5"
at = "00.0"
pme = true
"#;
    let mut p = PlatformDescription::from_toml(&text)
        .unwrap()
        .build()
        .unwrap();
    assign_bus_numbers(&mut p);
    p.config_write(0, 0, 0, 0x60, 4, 0xb000_0001);
    p.events().drain();
    p
}

#[derive(Clone, Debug)]
enum Op {
    /// A write into a downstream port's capabilities (slot, link, root,
    /// MSI, AER), where the hooks are.
    PortWrite {
        port: u8,
        offset: u16,
        size: u8,
        value: u32,
    },
    /// A write anywhere except bus numbers.
    Write {
        bus: u8,
        dev: u8,
        func: u8,
        offset: u16,
        size: u8,
        value: u32,
    },
    Read {
        bus: u8,
        dev: u8,
        func: u8,
        offset: u16,
        size: u8,
    },
    HotAdd {
        port: u8,
        functions: u8,
    },
    HotRemove {
        port: u8,
    },
    SurpriseRemove {
        port: u8,
    },
    Button {
        port: u8,
    },
    Complete,
    Error {
        target: u16,
        correctable: bool,
        bit: u8,
        header: bool,
    },
    Pme {
        target: u16,
    },
    Reset,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let size = prop_oneof![Just(1u8), Just(2), Just(4), Just(3), Just(0)];
    let op = prop_oneof![
        6 => (any::<u8>(), 0u16..0x140, size.clone(), any::<u32>())
            .prop_map(|(port, offset, size, value)| Op::PortWrite { port, offset, size, value }),
        2 => (0u8..10, 0u8..32, 0u8..8, 0u16..0x1000, size.clone(), any::<u32>())
            .prop_map(|(bus, dev, func, offset, size, value)| Op::Write { bus, dev, func, offset, size, value }),
        2 => (0u8..10, 0u8..32, 0u8..8, 0u16..0x1000, size)
            .prop_map(|(bus, dev, func, offset, size)| Op::Read { bus, dev, func, offset, size }),
        2 => (any::<u8>(), 1u8..4).prop_map(|(port, functions)| Op::HotAdd { port, functions }),
        1 => any::<u8>().prop_map(|port| Op::HotRemove { port }),
        1 => any::<u8>().prop_map(|port| Op::SurpriseRemove { port }),
        1 => any::<u8>().prop_map(|port| Op::Button { port }),
        1 => Just(Op::Complete),
        2 => (any::<u16>(), any::<bool>(), 0u8..32, any::<bool>())
            .prop_map(|(target, correctable, bit, header)| Op::Error { target, correctable, bit, header }),
        1 => any::<u16>().prop_map(|target| Op::Pme { target }),
        1 => Just(Op::Reset),
    ];
    proptest::collection::vec(op, 1..80)
}

/// Downstream ports: (id, bdf, PCI Express capability offset).
fn ports(p: &mut Platform) -> Vec<(FunctionId, Bdf, u16)> {
    let ids: Vec<FunctionId> = p.function_ids().collect();
    let mut out = Vec::new();
    for id in ids {
        let Some(bdf) = p.bdf(id) else { continue };
        let (b, d, f) = (bdf.bus, bdf.devfn.device(), bdf.devfn.function());
        if p.config_read(b, d, f, PCI_HEADER_TYPE, 1) & 0x7f != 1 {
            continue;
        }
        let mut at = p.config_read(b, d, f, PCI_CAPABILITY_LIST, 1) as u16;
        for _ in 0..16 {
            if at < 0x40 {
                break;
            }
            if p.config_read(b, d, f, at, 1) == u32::from(PCI_CAP_ID_EXP) {
                let t = (p.config_read(b, d, f, at + PCI_EXP_FLAGS, 2) >> 4) & 0xf;
                if t == 4 || t == 6 {
                    out.push((id, bdf, at));
                }
                break;
            }
            at = p.config_read(b, d, f, at + 1, 1) as u16;
        }
    }
    out
}

fn card(n: u8) -> Vec<(u8, Box<dyn Function>)> {
    (0..n)
        .map(|f| {
            let opts = EndpointOptions {
                pme: f == 0,
                interrupt_pin: f % 4 + 1,
                ..EndpointOptions::default()
            };
            (f, Box::new(endpoint(&opts).unwrap()) as Box<dyn Function>)
        })
        .collect()
}

/// Bus numbers of every bridge, by function.
fn bus_numbers(p: &mut Platform) -> Vec<(FunctionId, Option<BusNumbers>)> {
    let ids: Vec<FunctionId> = p.function_ids().collect();
    ids.into_iter()
        .map(|id| (id, p.bridge_state(id).map(|s| s.numbers)))
        .collect()
}

fn check(p: &mut Platform, removed: &[FunctionId]) -> Result<(), TestCaseError> {
    prop_assert!(p.events().len() <= EVENT_QUEUE_CAPACITY);
    for &id in removed {
        prop_assert!(p.function_mut(id).is_none());
        prop_assert!(p.bdf(id).is_none());
    }
    for (id, bdf, pcie) in ports(p) {
        let (b, d, f) = (bdf.bus, bdf.devfn.device(), bdf.devfn.function());
        let sltsta = p.config_read(b, d, f, pcie + PCI_EXP_SLTSTA, 2) as u16;
        let lnksta = p.config_read(b, d, f, pcie + PCI_EXP_LNKSTA, 2) as u16;
        let lnkctl = p.config_read(b, d, f, pcie + PCI_EXP_LNKCTL, 2) as u16;
        let up = lnksta & PCI_EXP_LNKSTA_DLLLA != 0;
        let present = sltsta & PCI_EXP_SLTSTA_PDS != 0;
        if let Some(s) = p.slot(id) {
            prop_assert_eq!(s.present, present, "{} PDS", bdf);
            prop_assert_eq!(s.link_up, up, "{} DLLLA", bdf);
            prop_assert_eq!(
                up,
                present && s.powered && lnkctl & PCI_EXP_LNKCTL_LD == 0,
                "{} link follows presence, power and Link Disable ({:?})",
                bdf,
                s
            );
        } else {
            prop_assert_eq!(
                up,
                present && lnkctl & PCI_EXP_LNKCTL_LD == 0,
                "{} fixed slot",
                bdf
            );
        }
        // The card answers exactly while the link is up (when the guest's
        // numbering reaches the secondary bus).
        let sec = p.config_read(b, d, f, PCI_SECONDARY_BUS, 1) as u8;
        let sub = p.config_read(b, d, f, PCI_SUBORDINATE_BUS, 1) as u8;
        let control = p.config_read(b, d, f, PCI_BRIDGE_CONTROL, 2) as u16;
        if sec > b && sec <= sub && control & PCI_BRIDGE_CTL_BUS_RESET == 0 {
            let vendor = p.config_read(sec, 0, 0, PCI_VENDOR_ID, 2);
            prop_assert_eq!(vendor != 0xffff, up, "{} card answers iff link up", bdf);
        }
        // INTx follows Interrupt Status unless MSI or INTx Disable say otherwise.
        if let Some(route) = p.intx_route(id) {
            let status = p.config_read(b, d, f, PCI_STATUS, 2) as u16;
            let command = p.config_read(b, d, f, PCI_COMMAND, 2) as u16;
            if status & PCI_STATUS_INTERRUPT != 0 && command & PCI_COMMAND_INTX_DISABLE == 0 {
                prop_assert!(p.pirq_asserted(route.link), "{} INTx asserted", bdf);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_hotplug_stays_consistent(ops in ops()) {
        let mut p = platform();
        let mut removed = Vec::new();
        for op in ops {
            let ports = ports(&mut p);
            let pick = |i: u8| ports[usize::from(i) % ports.len()];
            let before = bus_numbers(&mut p);
            let mut hotplug_op = true;
            match op {
                Op::PortWrite { port, offset, size, value } => {
                    hotplug_op = false;
                    let (_, bdf, pcie) = pick(port);
                    // PCIe capability, MSI, SSVID, PM and AER: not the header.
                    let off = match offset {
                        0..0x40 => pcie + offset,
                        0x40..0xc0 => offset,
                        _ => offset - 0xc0 + 0x100,
                    };
                    p.config_write(bdf.bus, bdf.devfn.device(), bdf.devfn.function(), off, size, value);
                }
                Op::Write { bus, dev, func, offset, size, value } => {
                    hotplug_op = false;
                    // Bus numbers are the routing proptest's.
                    if !(0x18..0x1c).contains(&(offset & !3)) {
                        p.config_write(bus, dev, func, offset, size, value);
                    }
                }
                Op::Read { bus, dev, func, offset, size } => {
                    let _ = p.config_read(bus, dev, func, offset, size);
                }
                Op::HotAdd { port, functions } => {
                    let (id, ..) = pick(port);
                    let _ = p.hot_add_card(id, card(functions));
                }
                Op::HotRemove { port } => {
                    if let Ok(r) = p.hot_remove(pick(port).0) {
                        removed.extend(r.iter().map(|f| f.id));
                    }
                }
                Op::SurpriseRemove { port } => {
                    if let Ok(r) = p.surprise_remove(pick(port).0) {
                        removed.extend(r.iter().map(|f| f.id));
                    }
                }
                Op::Button { port } => {
                    let _ = p.press_attention_button(pick(port).0);
                }
                Op::Complete => {
                    let _ = p.complete_slot_commands();
                }
                Op::Error { target, correctable, bit, header } => {
                    let status = 1u32 << bit;
                    let mut e = if correctable {
                        PcieError::correctable(status)
                    } else {
                        PcieError::uncorrectable(status)
                    };
                    if header {
                        e = e.with_header([status, !status, 0, 1]);
                    }
                    let _ = p.inject_error(FunctionId(target % 64), e);
                }
                Op::Pme { target } => {
                    let _ = p.signal_pme(FunctionId(target % 64));
                }
                Op::Reset => {
                    hotplug_op = false;
                    p.reset();
                    assign_bus_numbers(&mut p);
                }
            }
            if hotplug_op {
                let after = bus_numbers(&mut p);
                for (id, n) in after {
                    if let Some((_, b)) = before.iter().find(|(i, _)| *i == id) {
                        prop_assert_eq!(*b, n, "bus numbers of {:?} unchanged by hot-plug", id);
                    }
                }
            }
            check(&mut p, &removed)?;
        }
    }
}
