//! `vpcie plan`: run the firmware (hvmloader's PCI job) on a platform and
//! print what it did: the tree with bus numbers, windows and BARs, and the
//! memory map.

use super::platform::Config;
use super::{CmdResult, UserError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vpcie_firmware::{FirmwareConfig, Plan};
use vpcie_platform::Platform;
use vpcie_xen::segment::{self, Segment};
use vpcie_xen::xl::Mode;

/// Arguments of `vpcie plan`.
#[derive(clap::Args)]
pub struct Args {
    /// A platform description (TOML) with an optional `[firmware]` table, or
    /// an xl domain config; without it, the embedded default platform.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the plan as JSON (addresses and sizes as numbers).
    #[arg(long)]
    json: bool,
}

/// A platform after its firmware ran.
pub struct Planned {
    /// The platform as the guest finds it.
    pub platform: Platform,
    /// What the firmware did.
    pub plan: Plan,
    /// The firmware policy it ran with.
    pub firmware: FirmwareConfig,
    /// The PCI segment the platform is (0 but for Xen's segment mode).
    pub segment: u16,
}

/// Builds the platform (default or `config`) and runs the firmware on it;
/// notes from the host backends go to standard error.
pub fn plan(config: Option<&Path>) -> Result<Planned, UserError> {
    match super::platform::config(config)? {
        Config::Description(loaded) => {
            let (mut platform, notes) = super::platform::build(&loaded)?;
            for note in notes {
                eprintln!("vpcie: note: {note}");
            }
            let plan = vpcie_firmware::run_platform(&mut platform, &loaded.firmware)
                .map_err(|e| UserError(format!("{}: {e}", loaded.what)))?;
            Ok(Planned {
                platform,
                plan,
                firmware: loaded.firmware,
                segment: 0,
            })
        }
        Config::Xen(cfg, path) => {
            let what = |e: &dyn std::fmt::Display| UserError(format!("{}: {e}", path.display()));
            let firmware = segment::firmware_config(&cfg).map_err(|e| what(&e))?;
            match cfg.vpcie.mode {
                Mode::Segment => {
                    let seg = Segment::build(&cfg).map_err(|e| what(&e))?;
                    for note in &seg.layout.notes {
                        eprintln!("vpcie: note: {note}");
                    }
                    let segment = seg.layout.segment;
                    Ok(Planned {
                        platform: seg.platform,
                        plan: seg.layout.plan,
                        firmware,
                        segment,
                    })
                }
                Mode::Bus0 => {
                    let (mut platform, notes) =
                        segment::q35_topology(&cfg).map_err(|e| what(&e))?;
                    for note in notes {
                        eprintln!("vpcie: note: {note}");
                    }
                    let plan = vpcie_firmware::run_platform(&mut platform, &firmware)
                        .map_err(|e| what(&e))?;
                    Ok(Planned {
                        platform,
                        plan,
                        firmware,
                        segment: 0,
                    })
                }
            }
        }
    }
}

/// Prints the plan as text or JSON.
pub fn run(args: Args) -> CmdResult {
    let plan = plan(args.config.as_deref())?.plan;
    if args.json {
        let text = serde_json::to_string_pretty(&plan)
            .map_err(|e| UserError(format!("cannot encode the plan as JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{plan}");
    }
    Ok(ExitCode::SUCCESS)
}
