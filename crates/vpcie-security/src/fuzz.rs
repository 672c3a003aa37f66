//! The fuzz targets' logic, callable from libFuzzer (`fuzz/`) and from
//! `cargo test` (which replays `fuzz/corpus/`).
//!
//! Each target takes arbitrary bytes and panics on a finding: a panic in
//! vpcie itself, or a broken invariant checked here: a host write the
//! [`spec`](crate::spec) does not allow, a read wider than its size, a
//! queue or log beyond its bound, a protocol violation of the IOREQ server.
//!
//! | target | input | drives |
//! |---|---|---|
//! | [`platform`] | a sequence of guest accesses | the booted Q35 rig of [`fixture`](crate::fixture): CF8/CFC, ECAM, direct config accesses, INTx, resets |
//! | [`host_image`] | flags, a 256-byte or 4 KiB host image, accesses | `PassthroughFunction::new` over a `DumpHost` of the image, then config and MSI-X accesses |
//! | [`lspci`] | text | `vpcie_config::lspci::parse` (and its documented round trip), `DumpMachine`, passthrough of what it describes |
//! | [`xl`] | text | `vpcie_xen::xl` (`DomainConfig::parse`), the flat segment |
//! | [`ioreq`] | raw ioreqs and guest accesses | `vpcie_xen::abi` decoders, the simulated hypervisor's delivery to the `IoreqServer` in front of the rig |

use vpcie_config::caps::{DiagnosticKind, parse_capabilities};
use vpcie_passthrough::PassthroughFunction;
use vpcie_passthrough::host::dump::{BarSizes, DumpHost, DumpMachine};
use vpcie_passthrough::host::record::RecordingHost;
use vpcie_passthrough::{Bdf, PassthroughOptions, Placement};
use vpcie_platform::events::EVENT_QUEUE_CAPACITY;
use vpcie_platform::{FunctionId, Platform};
use vpcie_xen::abi::{DmOp, Ioreq, PciConfigAddr, RangeKind, Sbdf};
use vpcie_xen::server::{IoreqServer, REFUSAL_LOG, Range};
use vpcie_xen::sim::{Sim, SimError};

use crate::dispatch::PlatformDispatch;
use crate::fixture::Rig;
use crate::spec::HostWriteSpec;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every target, by the name of its directory under `fuzz/corpus/` and its
/// binary under `fuzz/fuzz_targets/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("platform", platform),
    ("host_image", host_image),
    ("lspci", lspci),
    ("xl", xl),
    ("ioreq", ioreq),
];

/// Most warnings a passthrough function reports: its 64 kept, plus the
/// "more not kept" and "events dropped" summary lines.
pub const MAX_FUNCTION_WARNINGS: usize = 64 + 2;
/// Most events a passthrough function queues.
pub const MAX_FUNCTION_EVENTS: usize = 4096;

/// Reads fields off the fuzzer's bytes; `None` once they run out.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Takes `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Some(head)
    }

    /// What is left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    /// A byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> Option<u64> {
        self.bytes(8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        })
    }

    /// An access size: mostly 1, 2 or 4; one byte in sixteen anything at all.
    pub fn size(&mut self) -> Option<u8> {
        let s = self.u8()?;
        Some(if s >= 240 {
            s & 0x0f
        } else {
            [1, 2, 4][usize::from(s % 3)]
        })
    }
}

/// All-ones of an access size, as a `u32` (what a master abort reads).
fn mask(size: u8) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => u32::MAX,
    }
}

/// A read of `size` bytes returned `v`: nothing beyond its bytes (sizes
/// other than 1, 2, 4 read all-ones).
fn check_read(what: &str, size: u8, v: u32) {
    if matches!(size, 1 | 2 | 4) {
        assert_eq!(
            v & !mask(size),
            0,
            "{what}: {size}-byte read returned {v:#x}"
        );
    } else {
        assert_eq!(v, u32::MAX, "{what}: a {size}-byte read must read all-ones");
    }
}

// ---------------------------------------------------------------------
// platform
// ---------------------------------------------------------------------

/// Picks a function the guest reaches now, or any bus/device/function.
fn pick_bdf(input: &mut Input<'_>, reachable: &[(u8, u8, u8)]) -> Option<(u8, u8, u8)> {
    let sel = input.u8()?;
    if sel < 0xe0 && !reachable.is_empty() {
        Some(reachable[usize::from(sel) % reachable.len()])
    } else {
        let b = input.u8()?;
        let df = input.u8()?;
        Some((b, df >> 3, df & 7))
    }
}

/// Picks a register: mostly one of the function's first 256 bytes, else
/// any 16-bit offset.
fn pick_reg(input: &mut Input<'_>) -> Option<u16> {
    let r = input.u16()?;
    Some(if r & 0x8000 == 0 {
        r & 0xff
    } else {
        r & 0x7fff
    })
}

/// One step of a guest driving the platform; `None` when the input ends.
fn platform_step(
    p: &mut Platform,
    input: &mut Input<'_>,
    reachable: &[(u8, u8, u8)],
) -> Option<()> {
    let op = input.u8()?;
    match op % 12 {
        // CONFIG_ADDRESS, pointing at a function the guest reaches.
        0 => {
            let (b, d, f) = pick_bdf(input, reachable)?;
            let reg = input.u8()?;
            let enable = if reg & 1 == 0 { 0x8000_0000 } else { 0 };
            let a = enable | u32::from(b) << 16 | u32::from(d) << 11 | u32::from(f) << 8;
            p.pio_write(0xcf8, 4, a | u32::from(reg & 0xfc));
        }
        // Port write: CF8-CFF at any size, or any port.
        1 | 2 => {
            let sel = input.u8()?;
            let port = if sel < 0xf0 {
                0xcf8 + u16::from(sel & 7)
            } else {
                input.u16()?
            };
            let size = input.size()?;
            if op % 12 == 1 {
                let value = input.u32()?;
                p.pio_write(port, size, value);
            } else if let Some(v) = p.pio_read(port, size) {
                check_read("port read", size, v);
            }
        }
        // ECAM, at a function the guest reaches or anywhere.
        3 | 4 => {
            let addr = match p.ecam_window() {
                Some(w) if input.u8()? < 0xf0 => {
                    let (b, d, f) = pick_bdf(input, reachable)?;
                    let reg = input.u16()? & 0xfff;
                    w.address(b, d, f, reg)
                }
                _ => input.u64()?,
            };
            let size = input.size()?;
            if op % 12 == 3 {
                let value = input.u32()?;
                p.mmio_write(addr, size, value);
            } else if let Some(v) = p.mmio_read(addr, size) {
                check_read("ECAM read", size, v);
            }
        }
        // Config access by bus/device/function (Xen ioreq PCI_CONFIG, firmware).
        5..=7 => {
            let (b, d, f) = pick_bdf(input, reachable)?;
            let reg = pick_reg(input)?;
            let size = input.size()?;
            if op % 12 == 7 {
                let v = p.config_read(b, d, f, reg, size);
                check_read("config read", size, v);
            } else {
                let value = input.u32()?;
                p.config_write(b, d, f, reg, size, value);
            }
        }
        // A BAR moved and decoding enabled, as a driver (or an attacker) does.
        8 => {
            let (b, d, f) = pick_bdf(input, reachable)?;
            let bar = u16::from(input.u8()? % 7);
            let value = input.u32()?;
            let reg = if bar == 6 { 0x30 } else { 0x10 + 4 * bar };
            p.config_write(b, d, f, reg, 4, value);
            p.config_write(b, d, f, 0x04, 2, 0x0007);
        }
        // A function raises or lowers INTx.
        9 => {
            let i = input.u16()?;
            let n = p.function_count().max(1) as u16;
            p.set_intx(FunctionId(i % n), i & 0x8000 != 0);
        }
        // The front end drains the events (else they pile up to the bound).
        10 => {
            p.events().drain();
        }
        // System reset, rarely.
        _ => {
            if input.u8()? == 0x5a {
                p.reset();
            }
        }
    }
    Some(())
}

/// Target `platform`: guest accesses of every kind against the booted rig.
pub fn platform(data: &[u8]) {
    let mut rig = Rig::new(true);
    let mut input = Input::new(data);
    let mut reachable = rig.reachable();
    let mut steps = 0usize;
    while platform_step(&mut rig.platform, &mut input, &reachable).is_some() {
        steps += 1;
        assert!(rig.platform.events().len() <= EVENT_QUEUE_CAPACITY);
        if let Err(v) = rig.check_hosts() {
            panic!("step {steps}: {v}");
        }
        if steps % 16 == 0 {
            // Bus numbers follow what the guest programmed.
            reachable = rig.reachable();
        }
    }
}

// ---------------------------------------------------------------------
// host_image
// ---------------------------------------------------------------------

/// Standard and extended chain problems a guest must never meet.
const CHAIN_ERRORS: &[DiagnosticKind] = &[
    DiagnosticKind::PointerIntoHeader,
    DiagnosticKind::PointerPastEnd,
    DiagnosticKind::PointerBelowExtended,
    DiagnosticKind::Loop,
    DiagnosticKind::ChainBroken,
    DiagnosticKind::TooManyCapabilities,
];

/// The guest's capability chains are well formed.
pub fn check_guest_chain(view: &[u8], context: &str) {
    let guest = parse_capabilities(view);
    for d in &guest.diagnostics {
        assert!(
            !CHAIN_ERRORS.contains(&d.kind),
            "{context}: guest chain: {d}"
        );
    }
}

/// Builds a passthrough function over `image` (flags: bit 0 RC-integrated,
/// bit 1 no power-state forwarding); `None` when vpcie refuses the image
/// (an absent function, a bridge), which it must do with a typed error.
pub fn build_over_image(
    image: &[u8],
    flags: u8,
) -> Option<(PassthroughFunction<RecordingHost<DumpHost>>, HostWriteSpec)> {
    let bdf = Bdf::new(0, 1, 0, 0);
    let host = DumpHost::new(bdf, image, &[], &BarSizes::default(), None, Vec::new());
    let spec = HostWriteSpec::from_image(&host.image());
    let options = PassthroughOptions {
        placement: if flags & 1 != 0 {
            Placement::RcIntegrated
        } else {
            Placement::UnderRootPort
        },
        forward_power_state: flags & 2 == 0,
        ..PassthroughOptions::default()
    };
    match PassthroughFunction::new(RecordingHost::new(host), options) {
        Ok(f) => Some((f, spec)),
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains(&bdf.to_string()),
                "the error names the function: {text}"
            );
            None
        }
    }
}

/// Checks the function's host log against `spec`, its warnings and events
/// against their bounds; empties the log.
fn check_function(
    f: &mut PassthroughFunction<RecordingHost<DumpHost>>,
    spec: &HostWriteSpec,
    context: &str,
) {
    if let Err(v) = spec.check_log(f.host().log()) {
        panic!("{context}: {v}");
    }
    f.host_mut().clear_log();
    let w = f.warnings();
    assert!(
        w.len() <= MAX_FUNCTION_WARNINGS,
        "{context}: {} warnings",
        w.len()
    );
}

/// Target `host_image`: a host whose configuration space is anything.
///
/// Input: a flags byte (bit 0: RC-integrated placement, bit 1: no power
/// forwarding, bit 2: extended 4 KiB image, else 256 bytes), the image
/// (short inputs are padded with zeros), then guest accesses: config reads
/// and writes at any offset and size, MSI-X table and PBA accesses, resets.
pub fn host_image(data: &[u8]) {
    let mut input = Input::new(data);
    let Some(flags) = input.u8() else { return };
    let len = if flags & 4 != 0 { 4096 } else { 256 };
    let mut image = vec![0u8; len];
    let given = input.bytes(len.min(input.data.len())).unwrap_or(&[]);
    image[..given.len()].copy_from_slice(given);
    let Some((mut f, spec)) = build_over_image(&image, flags) else {
        return;
    };
    check_function(&mut f, &spec, "building");
    check_guest_chain(&f.guest_view(), "built");
    let mut steps = 0usize;
    while let Some(op) = input.u8() {
        steps += 1;
        let done = (|| -> Option<()> {
            match op % 8 {
                0..=2 => {
                    let reg = input.u16()?;
                    let size = input.size()?;
                    let value = input.u32()?;
                    f.config_write(reg, size, value);
                }
                3 => {
                    let reg = input.u16()?;
                    let size = input.size()?;
                    let v = f.config_read(reg, size);
                    check_read("config read", size, v);
                }
                4 | 5 => {
                    let (bar, offset) = match f.msix() {
                        Some(t) if input.u8()? < 0xe0 => {
                            let r = if input.u8()? & 1 == 0 {
                                t.table_range()
                            } else {
                                t.pba_range()
                            };
                            let delta = u64::from(input.u16()?);
                            (r.bar, r.offset.wrapping_add(delta).wrapping_sub(8))
                        }
                        _ => (input.u8()?, input.u64()?),
                    };
                    let size = input.u8()? % 10;
                    if op % 8 == 4 {
                        let value = input.u64()?;
                        f.msix_mmio_write(bar, offset, size, value);
                    } else if let Some(v) = f.msix_mmio_read(bar, offset, size) {
                        if (1..8).contains(&size) {
                            assert_eq!(
                                v >> (8 * u32::from(size)),
                                0,
                                "MSI-X read of {size} bytes: {v:#x}"
                            );
                        }
                    }
                }
                6 => {
                    let events = f.take_events();
                    assert!(
                        events.len() <= MAX_FUNCTION_EVENTS,
                        "{} events",
                        events.len()
                    );
                }
                _ => {
                    if input.u8()? & 0x0f == 0 {
                        f.reset();
                    }
                }
            }
            Some(())
        })();
        if done.is_none() {
            break;
        }
        check_function(&mut f, &spec, &format!("step {steps}"));
    }
    check_guest_chain(&f.guest_view(), "after the accesses");
}

// ---------------------------------------------------------------------
// lspci
// ---------------------------------------------------------------------

/// Target `lspci`: the dump parser, its round trip, and passthrough of
/// what it describes.
pub fn lspci(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = vpcie_config::lspci::parse(&text);
    let Ok(functions) = parsed else {
        // The error renders (it names a line).
        let _ = parsed.map_err(|e| e.to_string());
        return;
    };
    // Documented: "parse of the written text gives back the same functions".
    let written = vpcie_config::lspci::write(&functions);
    match vpcie_config::lspci::parse(&written) {
        Ok(again) => assert!(
            again == functions,
            "round trip changed the functions:\n{written}"
        ),
        Err(e) => panic!("the written text does not parse ({e}):\n{written}"),
    }
    let _ = BarSizes::parse(&text);
    let Ok(machine) =
        DumpMachine::parse(&text, Some(&text)).or_else(|_| DumpMachine::parse(&text, None))
    else {
        return;
    };
    let bdfs: Vec<Bdf> = machine.functions().take(4).collect();
    for bdf in bdfs {
        let Ok(host) = machine.host(bdf) else {
            continue;
        };
        let spec = HostWriteSpec::from_image(&host.image());
        let Ok(mut f) =
            PassthroughFunction::new(RecordingHost::new(host), PassthroughOptions::default())
        else {
            continue;
        };
        check_guest_chain(&f.guest_view(), "a dumped function");
        if let Err(v) = spec.check_log(f.host().log()) {
            panic!("building {bdf}: {v}");
        }
    }
}

// ---------------------------------------------------------------------
// xl
// ---------------------------------------------------------------------

/// Target `xl`: the domain config parser and what is built from it.
pub fn xl(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match vpcie_xen::DomainConfig::parse(&text) {
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(cfg) => {
            let _ = format!("{cfg:?}");
            let _ = cfg.port_names();
            // Dump files would be read from disk: only configs without them.
            let reads_files = cfg
                .vpcie
                .devices
                .iter()
                .any(|d| matches!(d.source, vpcie_xen::xl::DeviceSource::Dump(_)));
            if !reads_files {
                if let Ok((map, _notes)) = vpcie_xen::functions::flat_segment(&cfg) {
                    assert!(
                        map.functions().count() >= 1,
                        "the flat segment is never empty"
                    );
                }
            }
        }
    }
    for word in text.split_whitespace().take(64) {
        let _ = vpcie_xen::xl::parse_xl_number(word);
        let _ = vpcie_xen::xl::parse_size(word);
    }
}

// ---------------------------------------------------------------------
// ioreq
// ---------------------------------------------------------------------

/// vCPUs of the simulated domain (the fuzzer also names one past them).
const VCPUS: u32 = 2;

/// Target `ioreq`: the ABI decoders, and raw requests and guest accesses
/// delivered by the simulated hypervisor to the IOREQ server in front of
/// the rig (bus-0 mode: Xen decodes CF8/CFC and ECAM into PCI_CONFIG).
pub fn ioreq(data: &[u8]) {
    let mut rig = Rig::new(true);
    let ecam = rig
        .platform
        .ecam_window()
        .expect("the firmware placed ECAM");
    let (sim, transport) = Sim::new(1, VCPUS);
    sim.set_ecam_decode(ecam.base, ecam.buses(), 0);
    let ranges = [
        Range {
            kind: RangeKind::Pci,
            start: Sbdf {
                seg: 0,
                bus: 0,
                dev: 0,
                func: 0,
            }
            .dmop(),
            end: Sbdf {
                seg: 0,
                bus: 255,
                dev: 31,
                func: 7,
            }
            .dmop(),
        },
        // Ports the platform does not decode: PIO requests reach it and
        // are answered all-ones.
        Range {
            kind: RangeKind::Port,
            start: 0x5000,
            end: 0x5007,
        },
        // Memory above ECAM (plain COPY requests).
        Range {
            kind: RangeKind::Memory,
            start: 0xfe00_0000,
            end: 0xfe00_ffff,
        },
    ];
    let mut srv = IoreqServer::start(transport, &ranges, VCPUS).expect("the server starts");
    let mut input = Input::new(data);
    let mut steps = 0usize;
    while let Some(op) = input.u8() {
        steps += 1;
        let mut d = PlatformDispatch {
            platform: &mut rig.platform,
        };
        let done = (|| -> Option<()> {
            match op % 8 {
                // A raw request, any field.
                0 | 1 => {
                    let vcpu = usize::from(input.u8()? % (VCPUS as u8 + 1));
                    let req = Ioreq {
                        addr: input.u64()?,
                        data: input.u64()?,
                        count: u32::from(input.u8()?),
                        size: u32::from(input.u8()?),
                        vp_eport: 0,
                        pad0: input.u16()?,
                        flags: input.u8()?,
                        typ: input.u8()? % 10,
                    };
                    match sim.deliver(&mut srv, &mut d, vcpu, req) {
                        Ok(_) => {}
                        Err(SimError::NoVcpu(v)) if v >= VCPUS as usize => {}
                        Err(e) => panic!("raw request {req:?} on vcpu {vcpu}: {e}"),
                    }
                }
                // A guest port access: CF8 is the hypervisor's, CFC-CFF and
                // 0x5000 reach the server.
                2 | 3 => {
                    let sel = input.u8()?;
                    let port = match sel & 3 {
                        0 => 0xcf8,
                        1 => 0xcfc + u16::from(sel >> 2 & 3),
                        2 => 0x5000 + u16::from(sel >> 2 & 7),
                        _ => input.u16()?,
                    };
                    let size = input.size()?;
                    let value = input.u32()?;
                    let r = if op % 8 == 2 {
                        sim.pio_write(&mut srv, &mut d, 0, port, size, value)
                    } else {
                        sim.pio_read(&mut srv, &mut d, 0, port, size).map(drop)
                    };
                    if let Err(e) = r {
                        panic!("port {port:#x} size {size}: {e}");
                    }
                }
                // A guest ECAM access, decoded by the hypervisor.
                4 | 5 => {
                    let reg = u64::from(input.u32()? & 0x0fff_ffff);
                    let addr = ecam.base + reg % (u64::from(ecam.buses()) << 20);
                    let size = [1, 2, 4, 8][usize::from(input.u8()? % 4)];
                    let value = input.u64()?;
                    let r = if op % 8 == 4 {
                        sim.mmio_write(&mut srv, &mut d, 1, addr, size, value)
                    } else {
                        sim.mmio_read(&mut srv, &mut d, 1, addr, size).map(drop)
                    };
                    if let Err(e) = r {
                        panic!("ECAM {addr:#x} size {size}: {e}");
                    }
                }
                // The decoders on their own.
                6 => {
                    let bytes = input.bytes(32)?;
                    if let Some(op) = DmOp::decode(bytes) {
                        let again = DmOp::decode(&op.encode());
                        assert_eq!(again, Some(op), "dm_op round trip");
                    }
                    let a = PciConfigAddr::decode(input.u64()?);
                    assert_eq!(
                        PciConfigAddr::decode(a.encode()),
                        a,
                        "PCI_CONFIG address round trip"
                    );
                }
                _ => {
                    let (refusals, _dropped) = srv.take_refusals();
                    assert!(
                        refusals.len() <= REFUSAL_LOG,
                        "{} refusals kept",
                        refusals.len()
                    );
                    for r in refusals.iter().take(4) {
                        let _ = r.to_string();
                    }
                }
            }
            Some(())
        })();
        if done.is_none() {
            break;
        }
        let s = srv.stats();
        assert_eq!(
            s.requests,
            s.reads + s.writes + s.refused + s.broadcasts,
            "step {steps}: every request is served, refused or a broadcast: {s:?}"
        );
        assert!(
            sim.violations().is_empty(),
            "step {steps}: {:?}",
            sim.violations()
        );
        if let Err(v) = rig.check_hosts() {
            panic!("step {steps}: {v}");
        }
        assert!(rig.platform.events().len() <= EVENT_QUEUE_CAPACITY);
    }
}
