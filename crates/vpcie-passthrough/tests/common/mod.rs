//! Helpers shared by the passthrough tests.
#![allow(dead_code)]

use std::path::Path;

use vpcie_config::caps::{DiagnosticKind, parse_capabilities};
use vpcie_passthrough::host::dump::{DumpHost, DumpMachine};
use vpcie_passthrough::host::record::{HostOp, RecordingHost};
use vpcie_passthrough::*;

/// The fixture dump whose name starts with `prefix`, as a machine.
pub fn machine(prefix: &str) -> DumpMachine {
    machine_at(&vpcie_testkit::fixture(prefix))
}

/// A dump file as a machine.
pub fn machine_at(path: &Path) -> DumpMachine {
    let text = std::fs::read_to_string(path).unwrap();
    DumpMachine::parse(&text, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A function of a fixture, behind a recording double.
pub fn recorded(
    prefix: &str,
    bdf: &str,
    options: PassthroughOptions,
) -> PassthroughFunction<RecordingHost<DumpHost>> {
    let m = machine(prefix);
    let host = m.host(bdf.parse().unwrap()).unwrap();
    PassthroughFunction::new(RecordingHost::new(host), options).unwrap()
}

fn lanes(size: u8) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => u32::MAX,
    }
}

/// Every configuration write in the log changed (and meant to change) only
/// bits the policy lets reach the host; returns the number of writes.
pub fn assert_log_within_policy<H: HostDevice>(
    f: &PassthroughFunction<RecordingHost<H>>,
    context: &str,
) -> usize {
    let mut writes = 0;
    for op in f.host().log() {
        if let HostOp::ConfigWrite {
            offset,
            size,
            value,
            before,
            after,
        } = *op
        {
            writes += 1;
            let shift = u32::from(offset & 3) * 8;
            let allowed = (f.host_write_mask(offset) >> shift) & lanes(size);
            let meant = (value ^ before) & !allowed;
            let changed = (after ^ before) & !allowed;
            assert!(
                meant == 0 && changed == 0,
                "{context}: host write of {value:#x} ({size} bytes at {offset:#05x}) touches bits \
                 {:#x} outside the policy's {allowed:#x} (before {before:#x}, after {after:#x})",
                meant | changed
            );
        }
    }
    writes
}

/// Structural problems a guest walk must never meet.
pub const CHAIN_ERRORS: &[DiagnosticKind] = &[
    DiagnosticKind::PointerIntoHeader,
    DiagnosticKind::PointerPastEnd,
    DiagnosticKind::PointerBelowExtended,
    DiagnosticKind::Loop,
    DiagnosticKind::ChainBroken,
    DiagnosticKind::TooManyCapabilities,
];

/// The guest's chain is well formed and shows exactly the visible
/// capabilities, in host order; hidden ones are unreachable and read 0.
/// Returns (standard offsets, extended offsets) a guest walk reaches.
pub fn assert_guest_chain<H: HostDevice>(
    f: &mut PassthroughFunction<H>,
    context: &str,
) -> (Vec<u16>, Vec<u16>) {
    let view = f.guest_view();
    let guest = parse_capabilities(&view);
    for d in &guest.diagnostics {
        assert!(
            !CHAIN_ERRORS.contains(&d.kind),
            "{context}: guest chain: {d}"
        );
    }
    let std: Vec<u16> = guest.caps.iter().map(|c| c.offset).collect();
    let ext: Vec<u16> = guest.ext_caps.iter().map(|c| c.offset).collect();
    let reports = f.capabilities().to_vec();
    let visible_std: Vec<u16> = reports
        .iter()
        .filter(|c| !c.extended && c.decision != Decision::Hidden)
        .map(|c| c.offset)
        .collect();
    let visible_ext: Vec<u16> = reports
        .iter()
        .filter(|c| c.extended && c.decision != Decision::Hidden)
        .map(|c| c.offset)
        .collect();
    assert_eq!(std, visible_std, "{context}: standard chain");
    // A hidden first extended capability leaves a Null capability at 0x100.
    let ext_real: Vec<u16> = guest
        .ext_caps
        .iter()
        .filter(|c| !(c.id == 0 && c.offset == 0x100))
        .map(|c| c.offset)
        .collect();
    assert_eq!(ext_real, visible_ext, "{context}: extended chain");
    for c in reports.iter().filter(|c| c.decision == Decision::Hidden) {
        let start = usize::from(c.offset);
        let end = (start + usize::from(c.len)).min(view.len());
        let shared = |o: usize| {
            reports.iter().any(|v| {
                v.decision != Decision::Hidden
                    && v.extended == c.extended
                    && o >= usize::from(v.offset)
                    && o < usize::from(v.offset) + usize::from(v.len)
            })
        };
        for (o, byte) in view.iter().enumerate().take(end).skip(start) {
            if c.extended && o < 0x104 && c.offset == 0x100 {
                continue; // the Null capability that replaces it
            }
            if !shared(o) && o >= 0x40 {
                assert_eq!(*byte, 0, "{context}: hidden {} byte {o:#05x}", c.name);
            }
        }
    }
    (std, ext)
}
