//! `vpcie acpi`: the ACPI tables the firmware derives from its plan:
//! `mcfg.dat` (MCFG) and `dsdt.aml` (DSDT), ready for `iasl -d`.

use super::{CmdResult, UserError};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `vpcie acpi`.
#[derive(clap::Args)]
pub struct Args {
    /// A platform description (TOML) with an optional `[firmware]` table;
    /// without it, the embedded default platform.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory to write `mcfg.dat` and `dsdt.aml` into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Plans the platform and writes its tables.
pub fn run(args: Args) -> CmdResult {
    let (_, plan, firmware) = super::plan::plan(args.config.as_deref())?;
    let tables = vpcie_firmware::acpi::tables(&plan, &firmware)
        .map_err(|e| UserError(format!("cannot build the ACPI tables: {e}")))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| UserError(format!("cannot create {}: {e}", args.out.display())))?;
    let mut written = Vec::new();
    if let Some(mcfg) = &tables.mcfg {
        written.push(("mcfg.dat", mcfg.as_slice()));
    }
    written.push(("dsdt.aml", tables.dsdt.as_slice()));
    for (name, bytes) in written {
        let path = args.out.join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| UserError(format!("cannot write {}: {e}", path.display())))?;
        println!("{} ({} bytes)", path.display(), bytes.len());
    }
    Ok(ExitCode::SUCCESS)
}
