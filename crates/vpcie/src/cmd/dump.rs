//! `vpcie dump`: every guest function of a platform, as lspci prints it.

use super::{CmdResult, UserError};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `vpcie dump`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// `lspci -xxxx` text; read it back with `lspci -F FILE`.
    Lspci,
}

/// Arguments of `vpcie dump`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "lspci")]
    format: Format,
    /// A platform description (TOML) with an optional `[firmware]` table, or
    /// an xl domain config; without it, the embedded default platform.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Builds the platform, runs the firmware on it, and dumps every function
/// as the guest finds it then.
pub fn run(args: Args) -> CmdResult {
    let planned = super::plan::plan(args.config.as_deref())?;
    let mut platform = planned.platform;
    let text = match args.format {
        Format::Lspci => {
            let mut functions = vpcie_platform::dump::lspci_functions(&mut platform);
            if planned.segment != 0 {
                // Another segment: the addresses carry its number, as lspci -D prints them.
                for f in &mut functions {
                    f.address.domain = Some(planned.segment);
                }
            }
            let mut t = vpcie_config::lspci::write(&functions);
            t.push('\n');
            t
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| UserError(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
