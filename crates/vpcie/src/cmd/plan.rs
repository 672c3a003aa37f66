//! `vpcie plan`: run the firmware (hvmloader's PCI job) on a platform and
//! print what it did: the tree with bus numbers, windows and BARs, and the
//! memory map.

use super::{CmdResult, UserError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vpcie_firmware::{FirmwareConfig, Plan};
use vpcie_platform::Platform;

/// Arguments of `vpcie plan`.
#[derive(clap::Args)]
pub struct Args {
    /// A platform description (TOML) with an optional `[firmware]` table;
    /// without it, the embedded default platform and firmware policy.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the plan as JSON (addresses and sizes as numbers).
    #[arg(long)]
    json: bool,
}

/// Builds the platform (default or `config`) and runs the firmware on it;
/// notes from the host backends go to standard error.
pub fn plan(config: Option<&Path>) -> Result<(Platform, Plan, FirmwareConfig), UserError> {
    let loaded = super::platform::load(config)?;
    let (mut platform, notes) = super::platform::build(&loaded)?;
    for note in notes {
        eprintln!("vpcie: note: {note}");
    }
    let plan = vpcie_firmware::run_platform(&mut platform, &loaded.firmware)
        .map_err(|e| UserError(format!("{}: {e}", loaded.what)))?;
    Ok((platform, plan, loaded.firmware))
}

/// Prints the plan as text or JSON.
pub fn run(args: Args) -> CmdResult {
    let (_, plan, _) = plan(args.config.as_deref())?;
    if args.json {
        let text = serde_json::to_string_pretty(&plan)
            .map_err(|e| UserError(format!("cannot encode the plan as JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{plan}");
    }
    Ok(ExitCode::SUCCESS)
}
