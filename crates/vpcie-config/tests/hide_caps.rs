//! Hiding capabilities: checked with lspci walking our chains, and with
//! random guest writes trying to relink them.

use proptest::prelude::*;
use vpcie_config::caps::parse_capabilities;
use vpcie_config::lspci::{DumpAddress, DumpFunction};
use vpcie_config::regs::*;
use vpcie_config::{BitPolicy, ConfigSize, ConfigSpace, NoHandler};
use vpcie_testkit::{
    fixture_files, fixture_functions, image, lspci_available, lspci_cap_offsets, lspci_on,
};

fn space_of(config: &[u8]) -> ConfigSpace {
    let size = if config.len() > PCI_CFG_SPACE_SIZE {
        ConfigSize::Extended
    } else {
        ConfigSize::Conventional
    };
    let mut cfg = ConfigSpace::new(size);
    cfg.load_image(0, &config[..config.len().min(size.bytes())]);
    cfg
}

fn as_dump(cfg: &ConfigSpace, n: u8) -> DumpFunction {
    let view = cfg.guest_view(&mut NoHandler);
    let address = DumpAddress {
        domain: None,
        bus: 1,
        device: n >> 3,
        function: n & 7,
    };
    DumpFunction::new(address, "Non-VGA unclassified device: test", &view)
}

/// For every fixture function: hide every other capability (both chains,
/// including the one at 0x100); lspci must show exactly the others, at
/// their offsets. The Express capability stays: lspci shows extended
/// capabilities only of functions that have it.
#[test]
fn lspci_walks_exactly_the_visible_capabilities_of_every_fixture() {
    if !lspci_available("lspci_walks_exactly_the_visible_capabilities_of_every_fixture") {
        return;
    }
    let mut dumps = Vec::new();
    let mut expected = Vec::new();
    for file in fixture_files() {
        for f in fixture_functions(&file) {
            let list = parse_capabilities(image(&f));
            if list.caps.is_empty() && list.ext_caps.is_empty() {
                continue;
            }
            for parity in [0usize, 1] {
                let hide: Vec<u16> = list
                    .caps
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| i % 2 == parity && c.id != PCI_CAP_ID_EXP)
                    .map(|(_, c)| c.offset)
                    .collect();
                let hide_ext: Vec<u16> = list
                    .ext_caps
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 2 == parity)
                    .map(|(_, c)| c.offset)
                    .collect();
                let mut cfg = space_of(image(&f));
                let warnings = cfg.hide_capabilities(&list, &hide, &hide_ext);
                assert!(warnings.is_empty(), "{}: {warnings:?}", file.display());
                let n = dumps.len() as u8;
                if n == 255 {
                    break;
                }
                dumps.push(as_dump(&cfg, n));
                let keep: Vec<u16> = list
                    .caps
                    .iter()
                    .map(|c| c.offset)
                    .filter(|o| !hide.contains(o))
                    .collect();
                let mut keep_ext: Vec<u16> = list
                    .ext_caps
                    .iter()
                    .map(|c| c.offset)
                    .filter(|o| !hide_ext.contains(o))
                    .collect();
                if !keep_ext.is_empty() && keep_ext[0] != 0x100 {
                    // The Null capability that keeps 0x100 a chain start.
                    keep_ext.insert(0, 0x100);
                }
                expected.push((format!("{} {}", file.display(), f.address), keep, keep_ext));
            }
        }
    }
    let seen = lspci_cap_offsets(&lspci_on(&dumps, &["-vvv"]));
    for (dump, (what, keep, keep_ext)) in dumps.iter().zip(expected) {
        let (std, ext) = seen
            .get(&dump.address.to_string())
            .cloned()
            .unwrap_or_default();
        assert_eq!(std, keep, "{what}: standard chain lspci walks");
        assert_eq!(ext, keep_ext, "{what}: extended chain lspci walks");
    }
}

#[test]
fn hiding_the_only_extended_capability_leaves_an_empty_chain() {
    let f = &fixture_functions(&vpcie_testkit::fixture("d40_"))[0];
    let list = parse_capabilities(image(f));
    assert_eq!(list.ext_caps.len(), 1, "d40 has AER only");
    let mut cfg = space_of(image(f));
    cfg.hide_capabilities(&list, &[], &[0x100]);
    assert_eq!(cfg.read(0x100, 4, &mut NoHandler), 0);
    assert!(
        parse_capabilities(&cfg.guest_view(&mut NoHandler))
            .ext_caps
            .is_empty()
    );
}

#[test]
fn hiding_every_standard_capability_clears_the_capability_list_bit() {
    let f = &fixture_functions(&vpcie_testkit::fixture("d02_"))[0];
    let list = parse_capabilities(image(f));
    let all: Vec<u16> = list.caps.iter().map(|c| c.offset).collect();
    let mut cfg = space_of(image(f));
    cfg.hide_capabilities(&list, &all, &[]);
    let mut h = NoHandler;
    assert_eq!(cfg.read(PCI_CAPABILITY_LIST, 1, &mut h), 0);
    assert_eq!(
        cfg.read(PCI_STATUS, 2, &mut h) as u16 & PCI_STATUS_CAP_LIST,
        0
    );
    for c in &list.caps {
        assert_eq!(
            cfg.read(c.offset, 4, &mut h),
            0,
            "hidden capability at {:#x} reads zero",
            c.offset
        );
    }
}

#[test]
fn asking_to_hide_what_is_not_a_capability_is_a_warning() {
    let f = &fixture_functions(&vpcie_testkit::fixture("d02_"))[0];
    let list = parse_capabilities(image(f));
    let mut cfg = space_of(image(f));
    let w = cfg.hide_capabilities(&list, &[0x44], &[0x104]);
    assert_eq!(w.len(), 2);
    assert!(w[0].to_string().contains("0x44"), "{}", w[0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the guest writes, with whatever policy the rest of the
    /// space has, a hidden capability stays unreachable by a chain walk.
    #[test]
    fn a_hidden_capability_stays_unreachable_after_any_guest_writes(
        fixture_index in 0usize..64,
        hide_mask in any::<u64>(),
        writable in any::<u32>(),
        writes in proptest::collection::vec((0u16..0x1000, prop_oneof![Just(1u8), Just(2), Just(4)], any::<u32>()), 1..400),
    ) {
        let functions: Vec<DumpFunction> = fixture_files().iter().flat_map(|f| fixture_functions(f)).collect();
        let f = &functions[fixture_index % functions.len()];
        let list = parse_capabilities(image(f));
        let hide: Vec<u16> = list.caps.iter().enumerate().filter(|(i, _)| hide_mask >> i & 1 == 1).map(|(_, c)| c.offset).collect();
        let hide_ext: Vec<u16> = list.ext_caps.iter().enumerate().filter(|(i, _)| hide_mask >> (32 + i) & 1 == 1).map(|(_, c)| c.offset).collect();
        let mut cfg = space_of(image(f));
        // A permissive policy everywhere first: hiding must still hold.
        for dw in 0..(cfg.size().bytes() / 4) as u16 {
            cfg.set_policy(dw * 4, 4, BitPolicy { writable, ..BitPolicy::READ_ONLY });
        }
        cfg.hide_capabilities(&list, &hide, &hide_ext);
        let mut h = NoHandler;
        for (o, s, v) in writes {
            cfg.write(o, s, v, &mut h);
        }
        let after = parse_capabilities(&cfg.guest_view(&mut h));
        for c in &after.caps {
            prop_assert!(!hide.contains(&c.offset), "hidden capability {:#x} reachable", c.offset);
        }
        for c in &after.ext_caps {
            prop_assert!(!hide_ext.contains(&c.offset) || (c.offset == 0x100 && c.id == 0),
                "hidden extended capability {:#x} reachable (id {:#x})", c.offset, c.id);
        }
    }
}
