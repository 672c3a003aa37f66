//! The `vpcie` command.
//!
//! Each subcommand lives in its own module under `cmd/`; this file only
//! declares them. Library errors become messages here, nowhere else.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A virtual PCI Express platform for hypervisors.
#[derive(Parser)]
#[command(name = "vpcie", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the capabilities and extended capabilities of every function in an lspci dump.
    Caps(cmd::caps::Args),
    /// Write every guest function of a platform (default or --config FILE) as `lspci -xxxx` text.
    Dump(cmd::dump::Args),
    /// Run the firmware on a platform (default or --config FILE) and print the tree, windows, BARs and memory map.
    Plan(cmd::plan::Args),
    /// Write the ACPI tables (mcfg.dat, dsdt.aml) the firmware derives for a platform.
    Acpi(cmd::acpi::Args),
    /// Show what a guest sees of a host function: each capability's decision, changed registers, warnings.
    Inspect(cmd::inspect::Args),
    /// Serve a Xen domain's PCI segment as an IOREQ server (or a simulated one with --simulate).
    Serve(cmd::serve::Args),
    /// Ask a running `vpcie serve --control SOCKET`: hot-add or remove a card, inject an error or a PME, show the slots.
    #[cfg(unix)]
    Ctl(cmd::ctl::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Caps(args) => cmd::caps::run(args),
        Command::Dump(args) => cmd::dump::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Acpi(args) => cmd::acpi::run(args),
        #[cfg(unix)]
        Command::Ctl(args) => cmd::ctl::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vpcie: {e}");
            ExitCode::from(2)
        }
    }
}
