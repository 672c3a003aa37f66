//! `vpcie inspect`: the guest's view of one host function.

use super::{CmdResult, UserError, read_text};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use vpcie_passthrough::host::HostDevice;
use vpcie_passthrough::host::dump::DumpMachine;
use vpcie_passthrough::host::sysfs::{Access, SYSFS_PCI_DEVICES, SysfsHost};
use vpcie_passthrough::inspect::InspectReport;
use vpcie_passthrough::{Bdf, CapReport, PassthroughFunction, PassthroughOptions, Placement};

/// Where the function is placed in the guest.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum PlacementArg {
    /// Below an emulated Root Port (the default).
    RootPort,
    /// On bus 0 as an RC-integrated endpoint (the Windows workaround).
    RcIntegrated,
}

/// Arguments of `vpcie inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The host function, DDDD:BB:DD.F or BB:DD.F.
    bdf: String,
    /// Describe the host with an lspci dump (`lspci -xxxx`, optionally with
    /// `-vvv` text) instead of reading sysfs.
    #[arg(long, value_name = "FILE")]
    host_dump: Option<PathBuf>,
    /// BAR sizes for a dump without `-vvv` text: lines `BDF bar0 256M`
    /// (default: FILE.bars beside the dump, if present).
    #[arg(long, value_name = "FILE", requires = "host_dump")]
    bar_sizes: Option<PathBuf>,
    /// Where sysfs lists PCI functions (for a copy of a machine's tree).
    #[arg(long, value_name = "DIR", default_value = SYSFS_PCI_DEVICES, conflicts_with = "host_dump")]
    sysfs_root: PathBuf,
    /// Placement in the guest.
    #[arg(long, value_enum, default_value = "root-port")]
    placement: PlacementArg,
    /// xl's "permissive": writes to unknown registers reach the host.
    #[arg(long)]
    permissive: bool,
    /// Print JSON: {bdf, placement, caps, ext_caps, differences, warnings}.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CapJson {
    offset: u16,
    id: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u8>,
    name: &'static str,
    len: u16,
    decision: &'static str,
    why: String,
}

impl From<&CapReport> for CapJson {
    fn from(c: &CapReport) -> Self {
        CapJson {
            offset: c.offset,
            id: c.id,
            version: c.extended.then_some(c.version),
            name: c.name,
            len: c.len,
            decision: c.decision.as_str(),
            why: c.why.clone(),
        }
    }
}

#[derive(Serialize)]
struct DiffJson {
    offset: u16,
    size: u8,
    name: &'static str,
    host: u32,
    guest: u32,
}

#[derive(Serialize)]
struct ReportJson {
    bdf: String,
    placement: &'static str,
    caps: Vec<CapJson>,
    ext_caps: Vec<CapJson>,
    differences: Vec<DiffJson>,
    warnings: Vec<String>,
    guest_chain: Vec<u16>,
    guest_ext_chain: Vec<u16>,
}

fn to_json(r: &InspectReport) -> ReportJson {
    ReportJson {
        bdf: r.bdf.to_string(),
        placement: match r.placement {
            Placement::UnderRootPort => "root-port",
            Placement::RcIntegrated => "rc-integrated",
        },
        caps: r.caps.iter().map(CapJson::from).collect(),
        ext_caps: r.ext_caps.iter().map(CapJson::from).collect(),
        differences: r
            .differences
            .iter()
            .map(|d| DiffJson {
                offset: d.offset,
                size: d.size,
                name: d.name,
                host: d.host,
                guest: d.guest,
            })
            .collect(),
        warnings: r.warnings.clone(),
        guest_chain: r.guest_chain.clone(),
        guest_ext_chain: r.guest_ext_chain.clone(),
    }
}

/// The host function the arguments name.
fn open_host(args: &Args, bdf: Bdf) -> Result<Box<dyn HostDevice>, UserError> {
    let Some(dump) = &args.host_dump else {
        let host = SysfsHost::open(&args.sysfs_root, bdf, Access::ReadOnly)
            .map_err(|e| UserError(e.to_string()))?;
        return Ok(Box::new(host));
    };
    let text = read_text(dump, "host dump")?;
    let default_sidecar = PathBuf::from(format!("{}.bars", dump.display()));
    let sidecar = match &args.bar_sizes {
        Some(p) => Some(read_text(p, "BAR size file")?),
        None if default_sidecar.exists() => Some(read_text(&default_sidecar, "BAR size file")?),
        None => None,
    };
    let machine = DumpMachine::parse(&text, sidecar.as_deref())
        .map_err(|e| UserError(format!("{}: {e}", dump.display())))?;
    let host = machine
        .host(bdf)
        .map_err(|e| UserError(format!("{}: {e}", dump.display())))?;
    Ok(Box::new(host))
}

/// Runs `vpcie inspect`.
pub fn run(args: Args) -> CmdResult {
    let bdf: Bdf = args.bdf.parse().map_err(|e| UserError(format!("{e}")))?;
    let host = open_host(&args, bdf)?;
    let options = PassthroughOptions {
        placement: match args.placement {
            PlacementArg::RootPort => Placement::UnderRootPort,
            PlacementArg::RcIntegrated => Placement::RcIntegrated,
        },
        permissive: args.permissive,
        ..PassthroughOptions::default()
    };
    let mut f = PassthroughFunction::new(host, options).map_err(|e| UserError(e.to_string()))?;
    let report = InspectReport::new(&mut f);
    if args.json {
        let out = serde_json::to_string_pretty(&to_json(&report))
            .map_err(|e| UserError(format!("cannot write JSON: {e}")))?;
        println!("{out}");
    } else {
        print!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}
