//! `vpcie serve`: run vpcie as an IOREQ server for one Xen domain (segment mode).
//!
//! The segment is built from the domain config's `vpcie_*` keys
//! ([`vpcie_xen::segment::Segment`]): root ports, switches and the
//! `vpcie_pci` devices, planned by the firmware before READY. A config with
//! none of those (or `--flat`) serves phase A's flat bus 0 (the demo
//! endpoint, or the dumps side by side).
//!
//! `--acpi-out FILE` writes the table file for xl's `acpi_firmware=` and
//! exits (the Xen path of `vpcie acpi`, see [`write_acpi`]).

use super::{CmdResult, UserError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use vpcie_xen::dispatch::{Dispatch, EcamDispatch};
use vpcie_xen::functions::{FunctionMap, flat_segment};
use vpcie_xen::segment::{Layout, Segment, SegmentDispatch, writable_masks};
use vpcie_xen::server::Refusal;
use vpcie_xen::sim::{Found, Sim};
use vpcie_xen::{DomainConfig, IoreqServer, Range, Transport, abi::RangeKind};

/// Arguments of `vpcie serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The xl domain config (`vpcie_*` keys say what to serve).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The domain to serve (create it paused with `xl create -p`, unpause after READY).
    #[arg(long, value_name = "N", required_unless_present_any = ["simulate", "acpi_out"])]
    domid: Option<u16>,
    /// Serve a simulated hypervisor and a scripted guest that enumerates the segment, then exit.
    #[arg(long)]
    simulate: bool,
    /// Write the ACPI tables for xl's `acpi_firmware=` (SSDT + MCFG of the segment) to FILE and exit.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["simulate", "domid"])]
    acpi_out: Option<PathBuf>,
    /// Serve phase A's flat bus 0 (functions side by side, no ports, no firmware) instead of the hierarchy.
    #[arg(long)]
    flat: bool,
    /// vCPUs to serve (default: the domain's count from XEN_DMOP_nr_vcpus).
    #[arg(long, value_name = "N")]
    vcpus: Option<u32>,
    /// Log the first N requests served (every field, the answer) on stderr.
    #[arg(long, value_name = "N", default_value_t = 0)]
    trace: u64,
    /// Print a status line every S seconds while requests keep arriving (0: never).
    #[arg(long, value_name = "S", default_value_t = 0)]
    status_every: u64,
    /// With --simulate: after the scripted guest, keep serving until SIGTERM or SIGINT, then shut down cleanly.
    #[arg(long, requires = "simulate")]
    until_signal: bool,
    /// With --simulate: print what the simulated guest read as `lspci -D -xxxx` text.
    #[arg(long, requires = "simulate")]
    lspci: bool,
    /// With --simulate: also write, in the same text form, which bits of each byte a guest can change.
    #[arg(long, value_name = "FILE", requires = "simulate")]
    writable: Option<PathBuf>,
    /// Take requests (hot-add, remove, AER, PME, status) from `vpcie ctl` on this Unix socket while serving.
    #[arg(long, value_name = "SOCKET", conflicts_with = "flat")]
    control: Option<PathBuf>,
}

/// What is served: phase A's flat bus, or the planned hierarchy.
enum Served {
    Flat(EcamDispatch<FunctionMap>),
    Segment(Box<SegmentDispatch>, Box<Layout>),
}

impl Served {
    fn dispatch(&mut self) -> &mut dyn Dispatch {
        match self {
            Served::Flat(d) => d,
            Served::Segment(d, _) => d.as_mut(),
        }
    }

    fn ranges(&self, cfg: &DomainConfig) -> Vec<Range> {
        match self {
            Served::Flat(_) => vec![Range {
                kind: RangeKind::Memory,
                start: cfg.vpcie.ecam.base,
                end: cfg.vpcie.ecam.last(),
            }],
            Served::Segment(_, l) => l.ranges(),
        }
    }
}

fn wants_hierarchy(cfg: &DomainConfig) -> bool {
    !cfg.vpcie.root_ports.is_empty()
        || !cfg.vpcie.switches.is_empty()
        || !cfg.vpcie.devices.is_empty()
}

fn load(args: &Args) -> Result<DomainConfig, UserError> {
    let cfg = DomainConfig::from_file(&args.config).map_err(UserError)?;
    if cfg.vpcie.mode != vpcie_xen::xl::Mode::Segment && !args.simulate {
        return Err(UserError(format!(
            "{}: vpcie_mode = \"bus0\" needs the hypervisor-side ECAM decode that Xen 4.17 lacks; \
             use vpcie_mode = \"segment\" (the default) on real Xen, or try bus-0 mode with --simulate",
            args.config.display()
        )));
    }
    Ok(cfg)
}

fn build_segment(args: &Args, cfg: &DomainConfig) -> Result<Segment, UserError> {
    let seg =
        Segment::build(cfg).map_err(|e| UserError(format!("{}: {e}", args.config.display())))?;
    for n in &seg.layout.notes {
        eprintln!("vpcie serve: note: {n}");
    }
    Ok(seg)
}

fn setup(args: &Args, cfg: &DomainConfig) -> Result<Served, UserError> {
    if args.flat || !wants_hierarchy(cfg) {
        let (map, notes) =
            flat_segment(cfg).map_err(|e| UserError(format!("{}: {e}", args.config.display())))?;
        for n in notes {
            eprintln!("vpcie serve: note: {n}");
        }
        let ecam = cfg.vpcie.ecam;
        return Ok(Served::Flat(EcamDispatch {
            base: ecam.base,
            size: ecam.size,
            target: map,
        }));
    }
    let seg = build_segment(args, cfg)?;
    let d = SegmentDispatch::new(seg.platform, seg.layout.segment, seg.layout.ecam);
    Ok(Served::Segment(Box::new(d), Box::new(seg.layout)))
}

fn describe(cfg: &DomainConfig, served: &Served, ranges: &[Range]) {
    // On stderr: stdout carries READY and, with --lspci, the dump.
    let seg = cfg.vpcie.segment;
    eprintln!("vpcie serve: segment {seg:04x}, ECAM {}", cfg.vpcie.ecam);
    match served {
        Served::Flat(d) => {
            for (b, dv, f, name, _) in d.target.functions() {
                eprintln!("vpcie serve:   {seg:04x}:{b:02x}:{dv:02x}.{f} {name}");
            }
        }
        Served::Segment(_, l) => {
            for p in &l.functions {
                let (b, dv, f) = p.bdf;
                eprintln!("vpcie serve:   {seg:04x}:{b:02x}:{dv:02x}.{f} {}", p.name);
            }
        }
    }
    for r in ranges {
        eprintln!(
            "vpcie serve: claims {:?} {:#x}-{:#x}",
            r.kind, r.start, r.end
        );
    }
}

fn log_refusal(r: &Refusal) {
    eprintln!("vpcie serve: {r}");
}

/// Runs `vpcie serve`.
pub fn run(args: Args) -> CmdResult {
    let cfg = load(&args)?;
    if let Some(out) = &args.acpi_out {
        return write_xen_acpi(&args.config, out);
    }
    if cfg.vpcie.mode == vpcie_xen::xl::Mode::Bus0 {
        return simulate_bus0(&args, &cfg);
    }
    let mut served = setup(&args, &cfg)?;
    if args.control.is_some() {
        if matches!(served, Served::Flat(_)) {
            return Err(UserError(format!(
                "{}: --control needs the planned hierarchy (vpcie_root_ports with hotplug=1, vpcie_pci); this config serves the flat bus",
                args.config.display()
            )));
        }
        if args.simulate && !args.until_signal {
            return Err(UserError(
                "--control with --simulate needs --until-signal (the simulated guest waits for requests)".into(),
            ));
        }
    }
    let ranges = served.ranges(&cfg);
    describe(&cfg, &served, &ranges);
    if args.simulate {
        return simulate(&args, &cfg, &ranges, &mut served);
    }
    serve_xen(&args, &cfg, &ranges, &mut served)
}

/// The Xen path of `vpcie acpi --config domain.cfg --out FILE`: plans the
/// segment of the xl domain config at `config` and writes its SSDT and
/// MCFG, concatenated, to `out` for xl's `acpi_firmware=`. `vpcie acpi`
/// can call this for an xl config (one with `vpcie_*` keys).
pub fn write_xen_acpi(config: &std::path::Path, out: &std::path::Path) -> CmdResult {
    let cfg = DomainConfig::from_file(config).map_err(UserError)?;
    let seg = Segment::build(&cfg).map_err(|e| UserError(format!("{}: {e}", config.display())))?;
    for n in &seg.layout.notes {
        eprintln!("vpcie: note: {n}");
    }
    let bytes = seg
        .layout
        .acpi_tables()
        .map_err(|e| UserError(format!("{}: {e}", config.display())))?;
    std::fs::write(out, &bytes)
        .map_err(|e| UserError(format!("cannot write {}: {e}", out.display())))?;
    println!(
        "{} ({} bytes: SSDT with \\_SB.{} for segment {} and its ECAM reservation, MCFG)",
        out.display(),
        bytes.len(),
        vpcie_xen::segment::host_bridge_name(seg.layout.segment),
        seg.layout.segment
    );
    Ok(ExitCode::SUCCESS)
}

fn dump_text(segment: u16, found: &[(u8, u8, u8, Vec<u8>)]) -> String {
    let funcs: Vec<_> = found
        .iter()
        .map(|(b, d, f, bytes)| {
            let address = vpcie_config::lspci::DumpAddress {
                domain: Some(segment),
                bus: *b,
                device: *d,
                function: *f,
            };
            vpcie_config::lspci::DumpFunction::new(address, "vpcie view", bytes)
        })
        .collect();
    vpcie_config::lspci::write(&funcs)
}

/// Bus-0 mode against the simulated hypervisor: the Q35 chipset with the
/// config's ports and devices on segment 0, its firmware run by a scripted
/// guest through CF8/CFC ioreqs (PCI_CONFIG), then the guest's enumeration
/// through ECAM as the hypervisor-side decode delivers it; the claims and
/// the decode follow what the firmware programmed.
fn simulate_bus0(args: &Args, cfg: &DomainConfig) -> CmdResult {
    use vpcie_xen::bus0::Bus0Dispatch;
    use vpcie_xen::sim::{GuestConfig, Via};
    let (platform, notes) = vpcie_xen::segment::q35_topology(cfg)
        .map_err(|e| UserError(format!("{}: {e}", args.config.display())))?;
    for n in notes {
        eprintln!("vpcie serve: note: {n}");
    }
    let mut d = Bus0Dispatch::new(platform);
    let vcpus = cfg.max_vcpus;
    let (sim, t) = Sim::new(1, vcpus);
    let mut srv = IoreqServer::start(t, &d.wanted().0, vcpus)
        .map_err(|e| UserError(format!("simulated hypervisor refused the set-up: {e}")))?;
    println!("READY (simulated, bus-0 mode, server {})", srv.id());
    let plan = {
        let mut guest = GuestConfig::new(&sim, &mut srv, &mut d, Via::Cf8, vcpus as usize);
        vpcie_firmware::run(&mut guest, &vpcie_firmware::FirmwareConfig::default())
            .map_err(|e| UserError(format!("the firmware through ioreqs: {e}")))?
    };
    let Some((base, size, _)) = sim.ecam_decode() else {
        return Err(UserError(
            "the firmware left PCIEXBAR disabled: no ECAM to enumerate".into(),
        ));
    };
    let found = sim
        .ecam_enumerate(&mut srv, &mut d, base, (size >> 20) as u16, 4096)
        .map_err(|e| UserError(format!("simulated guest: {e}")))?;
    for f in &found {
        let c = &f.config;
        let (b, dv, fun) = f.bdf;
        println!(
            "guest found 0000:{b:02x}:{dv:02x}.{fun} {:02x}{:02x}:{:02x}{:02x} class {:02x}{:02x}{:02x}",
            c[1], c[0], c[3], c[2], c[0xb], c[0xa], c[9]
        );
    }
    println!(
        "vpcie serve: the firmware numbered buses 0-{:02x}; the hypervisor decodes ECAM at {base:#x} ({} MiB)",
        plan.last_bus,
        size >> 20
    );
    for r in srv.ranges() {
        let a = vpcie_xen::abi::Sbdf::from_dmop(r.start);
        let z = vpcie_xen::abi::Sbdf::from_dmop(r.end);
        println!("vpcie serve: claims PCI {a}-{z}");
    }
    let stats = srv.stats();
    let errors = srv.shutdown();
    println!(
        "vpcie serve: {} ioreqs ({} PCI_CONFIG, {} claim updates, {} refused); {} violations",
        stats.requests,
        stats.pci_config,
        stats.claim_updates,
        stats.refused,
        sim.violations().len()
    );
    for v in sim.violations() {
        eprintln!("vpcie serve: violation: {v}");
    }
    if !errors.is_empty() || !sim.violations().is_empty() || stats.claim_errors > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn simulate(args: &Args, cfg: &DomainConfig, ranges: &[Range], served: &mut Served) -> CmdResult {
    let (sim, t) = Sim::new(1, cfg.max_vcpus);
    let mut srv = IoreqServer::start(t, ranges, cfg.max_vcpus)
        .map_err(|e| UserError(format!("simulated hypervisor refused the set-up: {e}")))?;
    println!("READY (simulated, server {})", srv.id());
    let t0 = Instant::now();
    let ecam = cfg.vpcie.ecam;
    let found: Vec<Found> = match served {
        Served::Flat(d) => sim.ecam_scan(&mut srv, d, ecam.base, 4096),
        Served::Segment(d, _) => sim.ecam_enumerate(
            &mut srv,
            d.as_mut(),
            ecam.base,
            (ecam.size >> 20).min(256) as u16,
            4096,
        ),
    }
    .map_err(|e| UserError(format!("simulated guest: {e}")))?;
    let elapsed = t0.elapsed();
    let rows: Vec<(u8, u8, u8, Vec<u8>)> = found
        .iter()
        .map(|f| (f.bdf.0, f.bdf.1, f.bdf.2, f.config.clone()))
        .collect();
    if let Some(path) = &args.writable {
        // On a platform of its own: probing changes what it probes.
        let bdfs: Vec<(u8, u8, u8)> = rows.iter().map(|r| (r.0, r.1, r.2)).collect();
        let masks = match served {
            // Each function on a platform of its own: probing a port's power
            // state or resets would change what the others answer.
            Served::Segment(..) => {
                let mut masks = Vec::with_capacity(bdfs.len());
                for bdf in &bdfs {
                    let mut fresh = Segment::build(cfg)
                        .map_err(|e| UserError(format!("{}: {e}", args.config.display())))?;
                    masks.extend(writable_masks(
                        &mut fresh.platform,
                        std::slice::from_ref(bdf),
                    ));
                }
                masks
            }
            Served::Flat(_) => {
                return Err(UserError(
                    "--writable needs the planned hierarchy (not --flat)".into(),
                ));
            }
        };
        let mask_rows: Vec<_> = bdfs
            .iter()
            .zip(masks)
            .map(|(&(b, d, f), m)| (b, d, f, m))
            .collect();
        std::fs::write(path, dump_text(cfg.vpcie.segment, &mask_rows))
            .map_err(|e| UserError(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.lspci {
        print!("{}", dump_text(cfg.vpcie.segment, &rows));
    } else {
        for (b, d, f, c) in &rows {
            println!(
                "guest found {:04x}:{b:02x}:{d:02x}.{f} {:02x}{:02x}:{:02x}{:02x} class {:02x}{:02x}{:02x}",
                cfg.vpcie.segment, c[1], c[0], c[3], c[2], c[0xb], c[0xa], c[9]
            );
        }
    }
    if args.until_signal {
        wait_for_signal(args, cfg, &sim, &mut srv, served)?;
    }
    let stats = srv.stats();
    let (refusals, dropped) = srv.take_refusals();
    for r in &refusals {
        log_refusal(r);
    }
    let errors = srv.shutdown();
    if args.until_signal {
        println!(
            "vpcie serve: simulated hypervisor after shutdown: server {}, {} ranges claimed, {} ports bound{}",
            if sim.server_exists() {
                "still there"
            } else {
                "destroyed"
            },
            sim.claimed().len(),
            sim.bound_ports(),
            if errors.is_empty() && !sim.server_exists() && sim.bound_ports() == 0 {
                "; server destroyed, ranges released"
            } else {
                ""
            }
        );
    }
    let summary = format!(
        "vpcie serve: {} ioreqs ({} reads, {} writes, {} broadcasts, {} refused{}) in {:.1} ms; {} violations",
        stats.requests,
        stats.reads,
        stats.writes,
        stats.broadcasts,
        stats.refused,
        if dropped > 0 {
            format!(", {dropped} not logged")
        } else {
            String::new()
        },
        elapsed.as_secs_f64() * 1e3,
        sim.violations().len()
    );
    if args.lspci {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    for v in sim.violations() {
        eprintln!("vpcie serve: violation: {v}");
    }
    if !errors.is_empty() || !sim.violations().is_empty() || sim.server_enabled() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(target_os = "linux")]
fn wait_for_signal(
    args: &Args,
    cfg: &DomainConfig,
    sim: &Sim,
    srv: &mut IoreqServer<vpcie_xen::sim::SimTransport>,
    served: &mut Served,
) -> Result<(), UserError> {
    use vpcie_xen::linux::{install_signal_handlers, shutdown_requested};
    install_signal_handlers()
        .map_err(|e| UserError(format!("cannot install signal handlers: {e}")))?;
    let mut ctl = match (&args.control, &mut *served) {
        (Some(path), Served::Segment(d, layout)) => Some(SimControl::start(
            path,
            sim,
            srv,
            d,
            layout,
            cfg.vpcie.ecam.base,
            cfg.max_vcpus as usize,
        )?),
        _ => None,
    };
    println!("vpcie serve: serving until SIGTERM");
    while !shutdown_requested() {
        // Nothing arrives in the simulation but what the control channel causes.
        srv.poll(served.dispatch(), 0)
            .map_err(|e| UserError(format!("simulated hypervisor: {e}")))?;
        if let (Some(c), Served::Segment(d, _)) = (&mut ctl, &mut *served) {
            c.step(sim, srv, d);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    println!("vpcie serve: signal received, shutting down");
    Ok(())
}

/// The control channel against the simulated hypervisor: requests change
/// the segment, its MSIs go through the transport's injection to a
/// simulated guest running Linux's port services, whose config accesses
/// come back as ioreqs.
#[cfg(target_os = "linux")]
struct SimControl {
    socket: super::ctl::ControlSocket,
    control: vpcie_xen::control::Control,
    guest: vpcie_xen::port_services::PortServices,
    ecam: u64,
    vcpus: usize,
}

#[cfg(target_os = "linux")]
impl SimControl {
    fn start(
        path: &std::path::Path,
        sim: &Sim,
        srv: &mut IoreqServer<vpcie_xen::sim::SimTransport>,
        d: &mut SegmentDispatch,
        layout: &Layout,
        ecam: u64,
        vcpus: usize,
    ) -> Result<SimControl, UserError> {
        use vpcie_firmware::Bdf;
        let socket = super::ctl::ControlSocket::bind(path)?;
        let bdf = |b: vpcie_platform::Bdf| Bdf::new(b.bus, b.devfn.device(), b.devfn.function());
        let ports: Vec<Bdf> = layout
            .ports
            .iter()
            .filter_map(|p| d.platform.bdf(p.id))
            .map(bdf)
            .collect();
        let below: Vec<Bdf> = d
            .platform
            .function_ids()
            .filter_map(|id| d.platform.bdf(id))
            .map(bdf)
            .filter(|b| !ports.contains(b))
            .collect();
        let (guest, events) = {
            let mut g = vpcie_xen::sim::GuestConfig::new(
                sim,
                srv,
                d,
                vpcie_xen::sim::Via::Ecam(ecam),
                vcpus,
            );
            vpcie_xen::port_services::PortServices::probe(&mut g, &ports, &below)
        };
        println!(
            "guest: port services bound to {} ports",
            guest.ports().len()
        );
        for e in events {
            println!("guest: {e}");
        }
        let mut c = SimControl {
            socket,
            control: vpcie_xen::control::Control::new(layout),
            guest,
            ecam,
            vcpus,
        };
        c.deliver(sim, srv, d);
        println!("vpcie serve: control channel at {}", path.display());
        Ok(c)
    }

    fn step(
        &mut self,
        sim: &Sim,
        srv: &mut IoreqServer<vpcie_xen::sim::SimTransport>,
        d: &mut SegmentDispatch,
    ) {
        let SimControl {
            socket, control, ..
        } = self;
        for (req, r) in socket.poll(|line| control.handle_line(d, line)) {
            println!("{}", control_log(&req, &r));
        }
        self.deliver(sim, srv, d);
    }

    /// MSIs to the guest until it settles (bounded: a slot that keeps
    /// interrupting shows in the log, it does not hang the loop).
    fn deliver(
        &mut self,
        sim: &Sim,
        srv: &mut IoreqServer<vpcie_xen::sim::SimTransport>,
        d: &mut SegmentDispatch,
    ) {
        for _ in 0..16 {
            for line in self.control.after_guest(d) {
                println!("vpcie serve: control: {line}");
            }
            let (msis, dropped) = d.take_msis();
            if dropped > 0 {
                println!("vpcie serve: {dropped} MSIs dropped");
            }
            if msis.is_empty() {
                return;
            }
            for (addr, data) in msis {
                if let Err(e) = srv.transport().inject_msi(addr, data) {
                    println!("vpcie serve: MSI {addr:#x}/{data:#x} not injected: {e}");
                    continue;
                }
                let mut g = vpcie_xen::sim::GuestConfig::new(
                    sim,
                    srv,
                    d,
                    vpcie_xen::sim::Via::Ecam(self.ecam),
                    self.vcpus,
                );
                for e in self.guest.interrupt(&mut g, addr, data) {
                    println!("guest: {e}");
                }
            }
        }
        println!("vpcie serve: the guest keeps getting interrupts; stopped delivering for now");
    }
}

/// One log line for a control request and its outcome.
fn control_log(req: &str, r: &Result<String, String>) -> String {
    match r {
        Ok(t) => format!("vpcie serve: control: {req}: {}", t.replace('\n', "; ")),
        Err(t) => format!("vpcie serve: control: {req}: refused: {t}"),
    }
}

#[cfg(not(target_os = "linux"))]
fn wait_for_signal(
    _: &Args,
    _: &DomainConfig,
    _: &Sim,
    _: &mut IoreqServer<vpcie_xen::sim::SimTransport>,
    _: &mut Served,
) -> Result<(), UserError> {
    Err(UserError(
        "--until-signal needs Linux signal handling".into(),
    ))
}

#[cfg(target_os = "linux")]
fn serve_xen(args: &Args, cfg: &DomainConfig, ranges: &[Range], served: &mut Served) -> CmdResult {
    use vpcie_xen::linux::{XenTransport, install_signal_handlers, shutdown_requested};
    let Some(domid) = args.domid else {
        return Err(UserError(
            "give --domid N (the paused domain), --simulate or --acpi-out FILE".into(),
        ));
    };
    install_signal_handlers()
        .map_err(|e| UserError(format!("cannot install signal handlers: {e}")))?;
    let mut control = match (&args.control, &*served) {
        (Some(path), Served::Segment(_, layout)) => Some((
            super::ctl::ControlSocket::bind(path)?,
            vpcie_xen::control::Control::new(layout),
        )),
        _ => None,
    };
    let mut t = XenTransport::open(domid).map_err(|e| UserError(e.to_string()))?;
    let vcpus = match args.vcpus {
        Some(n) => n,
        None => t.nr_vcpus().unwrap_or_else(|e| {
            eprintln!(
                "vpcie serve: {e}; serving the config's {} vCPUs",
                cfg.max_vcpus
            );
            cfg.max_vcpus
        }),
    };
    let t0 = Instant::now();
    let mut srv = IoreqServer::start(t, ranges, vcpus).map_err(|e| {
        UserError(format!("cannot start the IOREQ server for domain {domid}: {e} (is the domain an HVM guest, created with `xl create -p`?)"))
    })?;
    println!(
        "vpcie serve: domain {domid}: server {} up, {vcpus} vCPUs bound (ports {:?}) in {} ms",
        srv.id(),
        srv.ports(),
        t0.elapsed().as_millis()
    );
    println!("READY");
    srv.set_trace(args.trace);
    let mut last_status = (Instant::now(), srv.stats());
    let mut result = Ok(());
    let mut msis = (0u64, 0u64, 0u64); // injected, failed, dropped
    while !shutdown_requested() {
        if let Err(e) = srv.poll(served.dispatch(), 200) {
            result = Err(e);
            break;
        }
        for s in srv.take_trace() {
            eprintln!("vpcie serve: trace {s}");
        }
        for r in srv.take_refusals().0 {
            log_refusal(&r);
        }
        if let (Some((socket, control)), Served::Segment(d, _)) = (&mut control, &mut *served) {
            for line in control.after_guest(d) {
                eprintln!("vpcie serve: control: {line}");
            }
            for (req, r) in socket.poll(|line| control.handle_line(d, line)) {
                eprintln!("{}", control_log(&req, &r));
            }
        }
        if let Served::Segment(d, _) = served {
            let (pending, dropped) = d.take_msis();
            msis.2 += dropped;
            for (addr, data) in pending {
                match srv.transport().inject_msi(addr, data) {
                    Ok(()) => msis.0 += 1,
                    Err(e) => {
                        if msis.1 < 8 {
                            eprintln!("vpcie serve: MSI {addr:#x}/{data:#x} not injected: {e}");
                        }
                        msis.1 += 1;
                    }
                }
            }
            let (lines, dropped) = d.take_log();
            for l in lines {
                eprintln!("vpcie serve: guest changed: {l}");
            }
            if dropped > 0 {
                eprintln!("vpcie serve: ({dropped} more changes not logged)");
            }
        }
        if args.status_every > 0 && last_status.0.elapsed().as_secs() >= args.status_every {
            let st = srv.stats();
            if st != last_status.1 {
                eprintln!(
                    "vpcie serve: status at {:.1} s: {} ioreqs ({} MMIO, {} PIO, {} broadcasts, {} refused)",
                    t0.elapsed().as_secs_f64(),
                    st.requests,
                    st.mmio,
                    st.pio,
                    st.broadcasts,
                    st.refused
                );
            }
            last_status = (Instant::now(), st);
        }
    }
    let stats = srv.stats();
    if let Served::Segment(d, _) = served {
        println!(
            "vpcie serve: the guest changed BAR or window decoding {} times; {} accesses to BARs and windows",
            d.decode_changes, d.window_accesses
        );
    }
    let errors = srv.shutdown();
    // A domain destroyed first (crash, `xl destroy`) took the server with it.
    let gone = !errors.is_empty()
        && errors.iter().all(|e| {
            matches!(e, vpcie_xen::XenError::DmOp { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
        });
    let errors = if gone {
        println!("vpcie serve: domain {domid} is gone: Xen destroyed the server with it");
        Vec::new()
    } else {
        errors
    };
    println!(
        "vpcie serve: stopping: {} ioreqs ({} reads, {} writes, {} MMIO, {} PIO, {} broadcasts, {} refused, {} spurious events); MSIs {} injected, {} failed, {} dropped",
        stats.requests,
        stats.reads,
        stats.writes,
        stats.mmio,
        stats.pio,
        stats.broadcasts,
        stats.refused,
        stats.spurious,
        msis.0,
        msis.1,
        msis.2
    );
    for e in &errors {
        eprintln!("vpcie serve: teardown: {e}");
    }
    result.map_err(|e| UserError(format!("serving domain {domid}: {e}")))?;
    if errors.is_empty() {
        println!("vpcie serve: server destroyed, ranges released");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

#[cfg(not(target_os = "linux"))]
fn serve_xen(_: &Args, _: &DomainConfig, _: &[Range], _: &mut Served) -> CmdResult {
    Err(UserError(
        "serving real Xen needs Linux (privcmd/evtchn); use --simulate".into(),
    ))
}
