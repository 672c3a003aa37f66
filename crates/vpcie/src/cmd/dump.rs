//! `vpcie dump`: every guest function of a platform, as lspci prints it.

use super::{CmdResult, UserError, read_text};
use std::path::PathBuf;
use std::process::ExitCode;
use vpcie_platform::PlatformDescription;

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
    /// A platform description (TOML); without it, the embedded default platform.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Builds the platform, numbers its buses as firmware would, and dumps it.
pub fn run(args: Args) -> CmdResult {
    let description = match &args.config {
        Some(path) => {
            let text = read_text(path, "platform description")?;
            PlatformDescription::from_toml(&text)
                .map_err(|e| UserError(format!("{}: {e}", path.display())))?
        }
        None => PlatformDescription::default_q35(),
    };
    let what = args
        .config
        .as_ref()
        .map_or("the default platform".to_string(), |p| {
            p.display().to_string()
        });
    let mut platform = description
        .build()
        .map_err(|e| UserError(format!("{what}: {e}")))?;
    // Until the firmware crate exists, number the buses here so the tree shows.
    vpcie_platform::enumerate::assign_bus_numbers(&mut platform);
    let text = match args.format {
        Format::Lspci => {
            let mut t =
                vpcie_config::lspci::write(&vpcie_platform::dump::lspci_functions(&mut platform));
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
