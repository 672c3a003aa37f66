//! A malformed host configuration space (capability loops, pointers into
//! the header or below 0x100, truncated chains, overlapping capabilities,
//! nonsense fields, random bytes) gives a diagnostic naming the function and
//! the offset, and a guest view that is a valid chain, never a hang or panic.

mod common;

use common::*;
use proptest::prelude::*;
use vpcie_config::lspci::{DumpAddress, DumpFunction};
use vpcie_passthrough::host::dump::{BarSizes, DumpHost};
use vpcie_passthrough::*;
use vpcie_testkit::{lspci_available, lspci_on};

const BDF: Bdf = Bdf::new(0, 0x0b, 0, 0);

/// The Fiji fixture's bytes: chain 48 → 50 → 58 → a0, extended 100 → 150
/// → 200 → 270 → 2b0 → 2c0 → 2d0 → 328.
fn fiji() -> Vec<u8> {
    machine("d07_")
        .config("09:00.0".parse().unwrap())
        .unwrap()
        .to_vec()
}

fn set_ext_next(img: &mut [u8], at: usize, next: u16) {
    let h = u32::from_le_bytes(img[at..at + 4].try_into().unwrap());
    let h = (h & 0x000f_ffff) | (u32::from(next) << 20);
    img[at..at + 4].copy_from_slice(&h.to_le_bytes());
}

fn build(img: &[u8]) -> PassthroughFunction<DumpHost> {
    let host = DumpHost::new(BDF, img, &[], &BarSizes::default(), None, Vec::new());
    PassthroughFunction::new(host, PassthroughOptions::default()).expect("a Type 0 function builds")
}

/// Builds, checks the guest chain and lspci, and that a warning names the
/// function and `offset` (as the diagnostics print it, `0x0a1`).
fn check(name: &str, img: &[u8], offset: u16) -> PassthroughFunction<DumpHost> {
    let mut f = build(img);
    let at = format!("0x{offset:03x}");
    let warnings = f.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("0000:0b:00.0") && w.contains(&at)),
        "{name}: no warning naming {at}: {warnings:#?}"
    );
    assert_guest_chain(&mut f, name);
    if lspci_available(name) {
        let a = DumpAddress {
            domain: None,
            bus: 0x0b,
            device: 0,
            function: 0,
        };
        let text = lspci_on(&[DumpFunction::new(a, "guest", &f.guest_view())], &["-vvv"]);
        for bad in ["<chain broken>", "<chain looped>", "<BAD"] {
            assert!(!text.contains(bad), "{name}: lspci: {bad}\n{text}");
        }
    }
    f
}

#[test]
fn standard_loop() {
    let mut img = fiji();
    img[0xa1] = 0x50; // MSI's next back to PM
    let f = check("standard loop", &img, 0xa1);
    assert_eq!(f.capabilities().iter().filter(|c| !c.extended).count(), 4);
}

#[test]
fn pointer_into_the_header() {
    let mut img = fiji();
    img[0x49] = 0x10; // vendor-specific's next into the BARs
    let f = check("pointer into header", &img, 0x49);
    assert_eq!(f.capabilities().iter().filter(|c| !c.extended).count(), 1);
}

#[test]
fn truncated_standard_chain() {
    let mut img = fiji();
    img[0xa1] = 0xe0;
    img[0xe0..0x100].fill(0xff); // reads as all ones: the chain breaks
    check("truncated chain", &img, 0xe0);
}

#[test]
fn extended_loop() {
    let mut img = fiji();
    set_ext_next(&mut img, 0x200, 0x150);
    check("extended loop", &img, 0x200);
}

#[test]
fn extended_pointer_below_0x100() {
    let mut img = fiji();
    set_ext_next(&mut img, 0x150, 0x0f0);
    let mut f = check("extended pointer below 0x100", &img, 0x150);
    let (_, ext) = assert_guest_chain(&mut f, "below 0x100");
    assert_eq!(ext, [0x100, 0x150]);
}

#[test]
fn extended_chain_into_all_ones() {
    let mut img = fiji();
    set_ext_next(&mut img, 0x2d0, 0xff0);
    img[0xff0..0x1000].fill(0xff);
    check("extended chain broken", &img, 0xff0);
}

#[test]
fn overlapping_capability_too_short_for_its_table_is_hidden() {
    let mut img = fiji();
    // Express at 0x58 is 0x3c long; make its next a capability at 0x60.
    img[0x59] = 0x60;
    img[0x60] = 0x05; // MSI ID
    img[0x61] = 0x00;
    let f = check("overlap", &img, 0x58);
    let pcie = f
        .capabilities()
        .iter()
        .find(|c| !c.extended && c.offset == 0x58)
        .unwrap();
    assert_eq!(pcie.decision, Decision::Hidden);
}

#[test]
fn nonsense_resizable_bar_and_msix_fields() {
    let mut img = fiji();
    // ReBAR claims 7 BARs (NBAR field 7).
    img[0x208] |= 0xe0;
    let f = check("rebar nbar 7", &img, 0x200);
    let rebar = f.capabilities().iter().find(|c| c.offset == 0x200).unwrap();
    assert_eq!(rebar.decision, Decision::Hidden);
    // An MSI-X table in BAR 7, which does not exist.
    let mut img = machine("d14_")
        .config("01:00.0".parse().unwrap())
        .unwrap()
        .to_vec();
    img[0x74] = (img[0x74] & !7) | 7;
    let host = DumpHost::new(BDF, &img, &[], &BarSizes::default(), None, Vec::new());
    let mut f = PassthroughFunction::new(host, PassthroughOptions::default()).unwrap();
    assert!(
        f.warnings()
            .iter()
            .any(|w| w.contains("MSI-X table") && w.contains("0x070"))
    );
    assert!(f.msix().is_none());
    assert_eq!(f.msix_mmio_read(7, 0, 4), None);
    assert_guest_chain(&mut f, "msix bir 7");
}

#[test]
fn absent_and_bridge_functions_are_refused_by_name() {
    let img = vec![0xffu8; 4096];
    let host = DumpHost::new(BDF, &img, &[], &BarSizes::default(), None, Vec::new());
    let e = PassthroughFunction::new(host, PassthroughOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("0000:0b:00.0: vendor ID reads 0xffff"),
        "{e}"
    );
    let bridge = machine("d23_")
        .config("00:01.0".parse().unwrap())
        .unwrap()
        .to_vec();
    let host = DumpHost::new(BDF, &bridge, &[], &BarSizes::default(), None, Vec::new());
    let e = PassthroughFunction::new(host, PassthroughOptions::default()).unwrap_err();
    assert!(e.to_string().contains("header type 0x01"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Random bytes behind a valid-looking header: the function builds (or
    /// is refused with a typed error), the guest chain is valid, random
    /// guest writes do not panic.
    #[test]
    fn random_host_bytes_give_a_safe_view(
        body in prop::collection::vec(any::<u8>(), 4096),
        extended in any::<bool>(),
        writes in prop::collection::vec((0u16..0x1000, 1u8..5, any::<u32>()), 0..50),
    ) {
        let mut img = body;
        img.truncate(if extended { 4096 } else { 256 });
        img[0] = 0x86;
        img[1] = 0x80;
        img[0x0e] &= 0x80;
        img[0x06] |= 0x10;
        let host = DumpHost::new(BDF, &img, &[], &BarSizes::default(), None, Vec::new());
        let mut f = PassthroughFunction::new(host, PassthroughOptions::default()).unwrap();
        assert_guest_chain(&mut f, "random bytes");
        for (o, s, v) in writes {
            f.config_write(o, s, v);
            let _ = f.config_read(o, s);
        }
        assert_guest_chain(&mut f, "random bytes after writes");
    }
}
