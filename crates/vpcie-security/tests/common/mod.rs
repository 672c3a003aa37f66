//! Helpers shared by the advisory tests.
#![allow(dead_code)]

use vpcie_passthrough::host::dump::{BarSizes, DumpHost, DumpMachine};
use vpcie_passthrough::host::record::{HostOp, RecordingHost};
use vpcie_passthrough::{Bdf, Decision, HostDevice, PassthroughFunction, PassthroughOptions};
use vpcie_security::fixture;
use vpcie_security::spec::HostWriteSpec;

/// A passthrough function behind a recording host, with its spec.
pub type Recorded = PassthroughFunction<RecordingHost<DumpHost>>;

/// The function `bdf` of a dump, passed through with `options`.
pub fn passthrough(
    machine: &DumpMachine,
    bdf: &str,
    options: PassthroughOptions,
) -> (Recorded, HostWriteSpec) {
    let host = fixture::host(machine, bdf);
    let spec = HostWriteSpec::from_image(&host.image());
    let f = PassthroughFunction::new(RecordingHost::new(host), options).expect("fixture builds");
    (f, spec)
}

/// The X710's first function (PM, MSI maskable, MSI-X, PCIe with FLR).
pub fn x710(options: PassthroughOptions) -> (Recorded, HostWriteSpec) {
    passthrough(fixture::x710(), fixture::X710_FN0, options)
}

/// The RTL8125 (PM, MSI maskable, PCIe without FLR, MSI-X, VPD, AER, hidden VC and TPH).
pub fn rtl8125(options: PassthroughOptions) -> (Recorded, HostWriteSpec) {
    passthrough(fixture::rtl8125(), fixture::RTL8125_FN, options)
}

/// A function over a configuration image (no `-vvv` text, guessed BAR sizes).
pub fn over_image(image: &[u8], options: PassthroughOptions) -> (Recorded, HostWriteSpec) {
    let host = DumpHost::new(
        Bdf::new(0, 1, 0, 0),
        image,
        &[],
        &BarSizes::default(),
        None,
        Vec::new(),
    );
    let spec = HostWriteSpec::from_image(&host.image());
    let f = PassthroughFunction::new(RecordingHost::new(host), options).expect("image builds");
    (f, spec)
}

/// Every endpoint of every device fixture in `../shared/fixtures/devices`,
/// as (label, host).
pub fn fixture_endpoints() -> Vec<(String, DumpHost)> {
    let mut out = Vec::new();
    for path in vpcie_testkit::fixture_files() {
        if !path.to_string_lossy().contains("/devices/") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("fixture");
        let m = DumpMachine::parse(&text, None).expect("fixture parses");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for bdf in m.functions().collect::<Vec<_>>() {
            let host = m.host(bdf).expect("host");
            let image = host.image();
            if image[0x0e] & 0x7f != 0 {
                continue; // bridges are refused, not passed through
            }
            out.push((format!("{name} {bdf}"), host));
        }
    }
    assert!(out.len() >= 20, "only {} fixture endpoints", out.len());
    out
}

/// Offset of the visible capability `id` (standard unless `extended`).
pub fn cap(f: &Recorded, extended: bool, id: u16) -> u16 {
    f.capabilities()
        .iter()
        .find(|c| c.extended == extended && c.id == id && c.decision != Decision::Hidden)
        .unwrap_or_else(|| panic!("no visible capability {id:#x}"))
        .offset
}

/// The configuration writes in the log.
pub fn config_writes(f: &Recorded) -> Vec<HostOp> {
    f.host()
        .log()
        .iter()
        .filter(|op| matches!(op, HostOp::ConfigWrite { .. }))
        .copied()
        .collect()
}

/// Resets and the like in the log.
pub fn other_ops(f: &Recorded) -> Vec<HostOp> {
    f.host()
        .log()
        .iter()
        .filter(|op| !matches!(op, HostOp::ConfigWrite { .. }))
        .copied()
        .collect()
}

/// The log is within the spec; panics naming the violation.
pub fn assert_within_spec(f: &Recorded, spec: &HostWriteSpec, context: &str) -> usize {
    match spec.check_log(f.host().log()) {
        Ok(n) => n,
        Err(v) => panic!("{context}: {v}"),
    }
}

/// The host's bytes `range` as the device holds them now.
pub fn host_bytes(f: &Recorded, start: u16, len: u16) -> Vec<u8> {
    let image = f.host().inner().image();
    image[usize::from(start)..usize::from(start + len)].to_vec()
}

/// The host's configuration space now, read through the backend.
pub fn host_word(f: &mut Recorded, offset: u16) -> u16 {
    f.host_mut().config_read(offset, 2).expect("host read") as u16
}

/// Sizes and alignments a hostile guest uses for one register: every
/// aligned access, and misaligned words and dwords that straddle it.
pub fn accesses_over(offset: u16, len: u16) -> Vec<(u16, u8)> {
    let mut out = Vec::new();
    let start = offset.saturating_sub(3);
    for at in start..offset + len {
        for size in [1u8, 2, 4] {
            out.push((at, size));
        }
    }
    out
}

/// Values a hostile guest writes.
pub const VALUES: [u32; 5] = [0xffff_ffff, 0, 0x5555_5555, 0xaaaa_aaaa, 0x8000_0001];
