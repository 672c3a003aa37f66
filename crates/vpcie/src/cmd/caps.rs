//! `vpcie caps`: the capability chains of every function in an lspci dump.

use super::{CmdResult, UserError, read_text};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use vpcie_config::caps::{CapabilityList, parse_capabilities};
use vpcie_config::lspci;

/// Arguments of `vpcie caps`.
#[derive(clap::Args)]
pub struct Args {
    /// An lspci dump (`lspci -x`, `-xxx` or `-xxxx`, with or without `-vvv` text).
    #[arg(long, value_name = "FILE")]
    dump: PathBuf,
    /// Print JSON: an array of {bdf, caps, ext_caps, diagnostics}.
    #[arg(long)]
    json: bool,
}

/// One function's capabilities, as the JSON output spells them.
#[derive(Serialize)]
struct FunctionCaps {
    bdf: String,
    caps: Vec<CapJson>,
    ext_caps: Vec<ExtCapJson>,
    diagnostics: Vec<String>,
}

#[derive(Serialize)]
struct CapJson {
    offset: u16,
    id: u8,
    name: &'static str,
    len: u16,
}

#[derive(Serialize)]
struct ExtCapJson {
    offset: u16,
    id: u16,
    version: u8,
    name: &'static str,
    len: u16,
}

fn to_json(bdf: String, list: &CapabilityList) -> FunctionCaps {
    FunctionCaps {
        bdf,
        caps: list
            .caps
            .iter()
            .map(|c| CapJson {
                offset: c.offset,
                id: c.id,
                name: c.name(),
                len: c.len,
            })
            .collect(),
        ext_caps: list
            .ext_caps
            .iter()
            .map(|c| ExtCapJson {
                offset: c.offset,
                id: c.id,
                version: c.version,
                name: c.name(),
                len: c.len,
            })
            .collect(),
        diagnostics: list.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}

/// Runs `vpcie caps`.
pub fn run(args: Args) -> CmdResult {
    let text = read_text(&args.dump, "lspci dump")?;
    let functions = lspci::parse(&text).map_err(|e| {
        UserError(format!(
            "{}: {e}; expected the output of `lspci -xxxx` (or -x, -xxx, with or without -vvv)",
            args.dump.display()
        ))
    })?;
    if functions.is_empty() {
        return Err(UserError(format!(
            "{}: no function found; expected `BB:DD.F title` lines followed by hex rows as `lspci -xxxx` prints them",
            args.dump.display()
        )));
    }
    let all: Vec<FunctionCaps> = functions
        .iter()
        .map(|f| {
            let config = &f.config()[..f.config_size()];
            to_json(f.address.to_string(), &parse_capabilities(config))
        })
        .collect();
    if args.json {
        let out = serde_json::to_string_pretty(&all)
            .map_err(|e| UserError(format!("cannot write JSON: {e}")))?;
        println!("{out}");
    } else {
        for (i, f) in all.iter().enumerate() {
            if i > 0 {
                println!();
            }
            println!("{}", f.bdf);
            for c in &f.caps {
                println!(
                    "  [{:03x}] {:<34} id {:#04x}       len {:#05x}",
                    c.offset, c.name, c.id, c.len
                );
            }
            for c in &f.ext_caps {
                println!(
                    "  [{:03x}] {:<34} id {:#06x} v{} len {:#05x}",
                    c.offset, c.name, c.id, c.version, c.len
                );
            }
            for d in &f.diagnostics {
                println!("  ! {d}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
