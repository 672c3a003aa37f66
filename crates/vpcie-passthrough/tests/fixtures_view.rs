//! For every real-hardware fixture function: the guest's view is a valid
//! chain that pciutils' lspci decodes, it shows exactly the capabilities
//! the policy tables allow (hidden ones unreachable and zero), in both
//! placements; functions that cannot be passed through fail with a message
//! naming them.
//!
//! Needs `lspci`; without it the test fails unless `VPCIE_SKIP_LSPCI=1`.

mod common;

use std::collections::BTreeMap;

use common::*;
use vpcie_config::lspci::DumpFunction;
use vpcie_config::regs::*;
use vpcie_passthrough::policy::{self, Decision, Placement, Treatment};
use vpcie_passthrough::*;
use vpcie_testkit::{fixture_files, lspci_available, lspci_cap_offsets, lspci_on};

fn options(placement: Placement) -> PassthroughOptions {
    PassthroughOptions {
        placement,
        ..PassthroughOptions::default()
    }
}

/// What the tables decide for a report, in `placement`.
fn table_decision(c: &CapReport, placement: Placement) -> (Decision, bool) {
    let rule = if c.extended {
        policy::ext_rule(c.id)
    } else {
        policy::std_rule(c.id as u8)
    };
    if placement == Placement::RcIntegrated && rule.link_only {
        return (Decision::Hidden, false);
    }
    (rule.decision, matches!(rule.treatment, Treatment::Table(_)))
}

#[test]
fn every_fixture_function_gets_a_valid_guest_view_that_lspci_decodes() {
    let oracle = lspci_available("every_fixture_function_gets_a_valid_guest_view");
    let mut built = 0;
    let mut refused = 0;
    for path in fixture_files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let m = machine_at(&path);
        for placement in [Placement::UnderRootPort, Placement::RcIntegrated] {
            let mut views = Vec::new();
            let mut expected: BTreeMap<Bdf, (Vec<u16>, Vec<u16>)> = BTreeMap::new();
            for bdf in m.functions().collect::<Vec<_>>() {
                let context = format!("{name} {bdf} {placement:?}");
                let config = m.config(bdf).unwrap().to_vec();
                let header_type = config[usize::from(PCI_HEADER_TYPE)] & PCI_HEADER_TYPE_MASK;
                let vendor = u16::from_le_bytes([config[0], config[1]]);
                let result = PassthroughFunction::new(m.host(bdf).unwrap(), options(placement));
                let mut f = match result {
                    Ok(f) => f,
                    Err(e) => {
                        // Only bridges and absent functions are refused, by name.
                        assert!(
                            header_type != 0 || vendor == 0xffff,
                            "{context}: refused: {e}"
                        );
                        assert!(e.to_string().contains(&bdf.to_string()), "{context}: {e}");
                        refused += 1;
                        continue;
                    }
                };
                built += 1;
                let chains = assert_guest_chain(&mut f, &context);
                // Decisions follow the tables; a visible rule may only be
                // refused (hidden) with a warning naming the capability.
                for c in f.capabilities() {
                    let (want, _) = table_decision(c, placement);
                    if want == Decision::Hidden {
                        assert_eq!(
                            c.decision,
                            Decision::Hidden,
                            "{context}: {} at {:#x}",
                            c.name,
                            c.offset
                        );
                    } else if c.decision != want {
                        assert_eq!(c.decision, Decision::Hidden, "{context}: {}", c.name);
                        let at = format!("{:#05x}", c.offset);
                        assert!(
                            f.warnings()
                                .iter()
                                .any(|w| w.contains(&at) && w.contains(&bdf.to_string())),
                            "{context}: {} refused without a warning: {:?}",
                            c.name,
                            f.warnings()
                        );
                    }
                }
                // Placement: Device/Port Type.
                let view = f.guest_view();
                if let Some(pcie) = f.capabilities().iter().find(|c| {
                    !c.extended
                        && c.id == u16::from(PCI_CAP_ID_EXP)
                        && c.decision != Decision::Hidden
                }) {
                    let flags = u16::from_le_bytes([
                        view[usize::from(pcie.offset) + 2],
                        view[usize::from(pcie.offset) + 3],
                    ]);
                    let port_type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;
                    match placement {
                        Placement::RcIntegrated => assert_eq!(port_type, 9, "{context}"),
                        Placement::UnderRootPort => assert!(
                            port_type <= 1 || port_type == 9,
                            "{context}: type {port_type}"
                        ),
                    }
                    assert_eq!(flags & PCI_EXP_FLAGS_SLOT, 0, "{context}: slot bit");
                }
                let dump_address = vpcie_config::lspci::DumpAddress {
                    domain: Some(bdf.domain),
                    bus: bdf.bus,
                    device: bdf.device,
                    function: bdf.function,
                };
                views.push(DumpFunction::new(dump_address, "guest view", &view));
                expected.insert(bdf, chains);
            }
            if oracle && !views.is_empty() {
                let text = lspci_on(&views, &["-vvv"]);
                for bad in [
                    "<chain broken>",
                    "<chain looped>",
                    "<BAD",
                    "<access denied>",
                ] {
                    assert!(
                        !text.contains(bad),
                        "{name} {placement:?}: lspci says {bad}:\n{text}"
                    );
                }
                let got = lspci_cap_offsets(&text);
                let got: BTreeMap<Bdf, (Vec<u16>, Vec<u16>)> = got
                    .into_iter()
                    .map(|(k, v)| (k.parse::<Bdf>().unwrap(), v))
                    .collect();
                assert_eq!(got, expected, "{name} {placement:?}: lspci's chains");
                if placement == Placement::RcIntegrated {
                    assert!(
                        !text.contains("Express (v2) Endpoint")
                            && !text.contains("Express (v1) Endpoint"),
                        "{name}: an Endpoint left on bus 0"
                    );
                }
            }
        }
    }
    assert!(built >= 80, "only {built} functions built");
    assert!(refused >= 20, "only {refused} refused");
}

#[test]
fn rc_integrated_gpu_is_type_9_without_link_registers_and_lspci_agrees() {
    for (prefix, bdf) in [("d01_", "01:00.0"), ("d07_", "09:00.0")] {
        let mut f = recorded(prefix, bdf, options(Placement::RcIntegrated));
        let context = format!("{prefix} RC-integrated");
        let (_, ext) = assert_guest_chain(&mut f, &context);
        let pcie = f
            .capabilities()
            .iter()
            .find(|c| !c.extended && c.id == 0x10)
            .unwrap()
            .offset;
        let flags = f.config_read(pcie + PCI_EXP_FLAGS, 2) as u16;
        assert_eq!((flags & PCI_EXP_FLAGS_TYPE) >> 4, 9, "{context}");
        for reg in [
            PCI_EXP_LNKCAP,
            PCI_EXP_LNKCTL,
            PCI_EXP_LNKCAP2,
            PCI_EXP_LNKCTL2,
        ] {
            assert_eq!(
                f.config_read(pcie + reg, 4),
                0,
                "{context}: link register {reg:#x}"
            );
        }
        // Link-only extended capabilities are gone; AER stays.
        for c in f.capabilities().iter().filter(|c| c.extended) {
            if c.id == PCI_EXT_CAP_ID_L1SS || c.id == PCI_EXT_CAP_ID_LTR {
                assert_eq!(c.decision, Decision::Hidden, "{context}: {}", c.name);
                assert!(!ext.contains(&c.offset));
            }
            if c.id == PCI_EXT_CAP_ID_ERR {
                assert_eq!(c.decision, Decision::Emulated);
            }
        }
        assert!(f.link_state().is_none());
        // Guest writes to the (absent) link registers are dropped.
        f.config_write(pcie + PCI_EXP_LNKCTL, 2, 0xffff);
        assert_eq!(f.config_read(pcie + PCI_EXP_LNKCTL, 2), 0);
        assert_log_within_policy(&f, &context);
        if lspci_available("rc_integrated_gpu_is_type_9") {
            let view = f.guest_view();
            let b: Bdf = bdf.parse().unwrap();
            let a = vpcie_config::lspci::DumpAddress {
                domain: None,
                bus: b.bus,
                device: b.device,
                function: b.function,
            };
            let text = lspci_on(&[DumpFunction::new(a, "x", &view)], &["-vvv"]);
            assert!(text.contains("Root Complex Integrated Endpoint"), "{text}");
            assert!(!text.contains("LnkCap:"), "{text}");
        }
    }
}

#[test]
fn under_a_root_port_the_link_registers_mirror_the_host_link() {
    // d01 is in m01 too, where the port above (00:01.0) is dumped.
    let m = machine("m01_");
    let host = m.host("01:00.0".parse().unwrap()).unwrap();
    let mut f = PassthroughFunction::new(host, PassthroughOptions::default()).unwrap();
    let link = f.link_state().expect("a link");
    let pcie = f
        .capabilities()
        .iter()
        .find(|c| !c.extended && c.id == 0x10)
        .unwrap()
        .offset;
    let lnksta = f.config_read(pcie + PCI_EXP_LNKSTA, 2) as u16;
    assert_eq!(lnksta & 0xf, u16::from(link.speed));
    assert_eq!((lnksta >> 4) & 0x3f, u16::from(link.width));
    let port = m.config("00:01.0".parse().unwrap()).unwrap();
    assert_eq!(Some(link), LinkState::from_config(port));
    // The type stays the host's (GA104 says Legacy Endpoint), never a port.
    let flags = f.config_read(pcie + PCI_EXP_FLAGS, 2) as u16;
    assert_eq!((flags & PCI_EXP_FLAGS_TYPE) >> 4, 1);
    // Refreshing reads the same host link again.
    assert_eq!(f.refresh_link(), Some(link));
}
