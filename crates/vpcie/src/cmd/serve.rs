//! `vpcie serve`: run vpcie as an IOREQ server for one Xen domain (segment mode).

use super::{CmdResult, UserError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use vpcie_xen::dispatch::EcamDispatch;
use vpcie_xen::functions::{FunctionMap, flat_segment};
use vpcie_xen::server::Refusal;
use vpcie_xen::sim::Sim;
use vpcie_xen::{DomainConfig, IoreqServer, Range, Transport, abi::RangeKind};

/// Arguments of `vpcie serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The xl domain config (`vpcie_*` keys say what to serve).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The domain to serve (create it paused with `xl create -p`, unpause after READY).
    #[arg(long, value_name = "N", required_unless_present = "simulate")]
    domid: Option<u16>,
    /// Serve a simulated hypervisor and a scripted guest that enumerates the segment, then exit.
    #[arg(long)]
    simulate: bool,
    /// vCPUs to serve (default: the domain's count from XEN_DMOP_nr_vcpus).
    #[arg(long, value_name = "N")]
    vcpus: Option<u32>,
    /// With --simulate: print what the simulated guest read as `lspci -D -xxxx` text.
    #[arg(long, requires = "simulate")]
    lspci: bool,
}

fn setup(args: &Args) -> Result<(DomainConfig, Vec<Range>, EcamDispatch<FunctionMap>), UserError> {
    let cfg = DomainConfig::from_file(&args.config).map_err(UserError)?;
    if cfg.vpcie.mode != vpcie_xen::xl::Mode::Segment {
        return Err(UserError(format!(
            "{}: vpcie_mode = \"bus0\" needs the hypervisor-side ECAM decode that Xen 4.17 lacks; \
             use vpcie_mode = \"segment\" (the default) on real Xen",
            args.config.display()
        )));
    }
    let (map, notes) =
        flat_segment(&cfg).map_err(|e| UserError(format!("{}: {e}", args.config.display())))?;
    for n in notes {
        eprintln!("vpcie serve: note: {n}");
    }
    let ecam = cfg.vpcie.ecam;
    let ranges = vec![Range {
        kind: RangeKind::Memory,
        start: ecam.base,
        end: ecam.last(),
    }];
    let d = EcamDispatch {
        base: ecam.base,
        size: ecam.size,
        target: map,
    };
    Ok((cfg, ranges, d))
}

fn describe(cfg: &DomainConfig, d: &EcamDispatch<FunctionMap>) {
    // On stderr: stdout carries READY and, with --lspci, the dump.
    let seg = cfg.vpcie.segment;
    eprintln!(
        "vpcie serve: segment {seg:04x}, ECAM {} (MMIO claimed)",
        cfg.vpcie.ecam
    );
    for (b, dv, f, name, _) in d.target.functions() {
        eprintln!("vpcie serve:   {seg:04x}:{b:02x}:{dv:02x}.{f} {name}");
    }
}

fn log_refusal(r: &Refusal) {
    eprintln!("vpcie serve: {r}");
}

/// Runs `vpcie serve`.
pub fn run(args: Args) -> CmdResult {
    let (cfg, ranges, mut d) = setup(&args)?;
    describe(&cfg, &d);
    if args.simulate {
        return simulate(&cfg, ranges, &mut d, args.lspci);
    }
    serve_xen(&args, &cfg, &ranges, &mut d)
}

fn simulate(
    cfg: &DomainConfig,
    ranges: Vec<Range>,
    d: &mut EcamDispatch<FunctionMap>,
    lspci: bool,
) -> CmdResult {
    let (sim, t) = Sim::new(1, cfg.max_vcpus);
    let mut srv = IoreqServer::start(t, &ranges, cfg.max_vcpus)
        .map_err(|e| UserError(format!("simulated hypervisor refused the set-up: {e}")))?;
    println!("READY (simulated, server {})", srv.id());
    let t0 = Instant::now();
    let found = sim
        .ecam_scan(&mut srv, d, cfg.vpcie.ecam.base, 4096)
        .map_err(|e| UserError(format!("simulated guest: {e}")))?;
    let elapsed = t0.elapsed();
    if lspci {
        let funcs: Vec<_> = found
            .iter()
            .map(|f| {
                let address = vpcie_config::lspci::DumpAddress {
                    domain: Some(cfg.vpcie.segment),
                    bus: f.bdf.0,
                    device: f.bdf.1,
                    function: f.bdf.2,
                };
                vpcie_config::lspci::DumpFunction::new(address, "vpcie view", &f.config)
            })
            .collect();
        print!("{}", vpcie_config::lspci::write(&funcs));
        return Ok(ExitCode::SUCCESS);
    }
    for f in &found {
        let c = &f.config;
        println!(
            "guest found {:04x}:{:02x}:{:02x}.{} {:02x}{:02x}:{:02x}{:02x} class {:02x}{:02x}{:02x}",
            cfg.vpcie.segment,
            f.bdf.0,
            f.bdf.1,
            f.bdf.2,
            c[1],
            c[0],
            c[3],
            c[2],
            c[0xb],
            c[0xa],
            c[9]
        );
    }
    let stats = srv.stats();
    let (refusals, dropped) = srv.take_refusals();
    for r in &refusals {
        log_refusal(r);
    }
    let errors = srv.shutdown();
    println!(
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
    for v in sim.violations() {
        eprintln!("vpcie serve: violation: {v}");
    }
    if !errors.is_empty() || !sim.violations().is_empty() || sim.server_enabled() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(target_os = "linux")]
fn serve_xen(
    args: &Args,
    cfg: &DomainConfig,
    ranges: &[Range],
    d: &mut EcamDispatch<FunctionMap>,
) -> CmdResult {
    use vpcie_xen::linux::{XenTransport, install_signal_handlers, shutdown_requested};
    let domid = args
        .domid
        .expect("clap requires --domid without --simulate");
    install_signal_handlers()
        .map_err(|e| UserError(format!("cannot install signal handlers: {e}")))?;
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
    let result = srv.run(d, 200, &shutdown_requested, &mut log_refusal);
    let stats = srv.stats();
    let errors = srv.shutdown();
    println!(
        "vpcie serve: stopping: {} ioreqs ({} reads, {} writes, {} MMIO, {} broadcasts, {} refused, {} spurious events)",
        stats.requests,
        stats.reads,
        stats.writes,
        stats.mmio,
        stats.broadcasts,
        stats.refused,
        stats.spurious
    );
    for e in &errors {
        eprintln!("vpcie serve: teardown: {e}");
    }
    result.map_err(|e| UserError(format!("serving domain {domid}: {e}")))?;
    println!("vpcie serve: server destroyed, ranges released");
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(not(target_os = "linux"))]
fn serve_xen(
    _: &Args,
    _: &DomainConfig,
    _: &[Range],
    _: &mut EcamDispatch<FunctionMap>,
) -> CmdResult {
    Err(UserError(
        "serving real Xen needs Linux (privcmd/evtchn); use --simulate".into(),
    ))
}
