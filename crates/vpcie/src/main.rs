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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Caps(args) => cmd::caps::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vpcie: {e}");
            ExitCode::from(2)
        }
    }
}
