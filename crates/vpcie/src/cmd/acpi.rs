//! `vpcie acpi`: the ACPI tables the firmware derives from its plan:
//! `mcfg.dat` (MCFG) and `dsdt.aml` (DSDT) in a directory, ready for
//! `iasl -d`; for an xl domain config in segment mode, the one file xl's
//! `acpi_firmware=` takes (an SSDT announcing the segment and its ECAM
//! reservation, and an MCFG entry for it).

use super::{CmdResult, UserError};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `vpcie acpi`.
#[derive(clap::Args)]
pub struct Args {
    /// A platform description (TOML) with an optional `[firmware]` table, or
    /// an xl domain config; without it, the embedded default platform.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory to write `mcfg.dat` and `dsdt.aml` into (created if
    /// missing); for an xl config in segment mode, the file for `acpi_firmware=`.
    #[arg(long, value_name = "DIR|FILE")]
    out: PathBuf,
}

/// Plans the platform and writes its tables.
pub fn run(args: Args) -> CmdResult {
    if let Some(path) = &args.config {
        if let super::platform::Config::Xen(cfg, _) = super::platform::config(Some(path))? {
            if cfg.vpcie.mode == vpcie_xen::xl::Mode::Segment {
                return super::serve::write_xen_acpi(path, &args.out);
            }
        }
    }
    let planned = super::plan::plan(args.config.as_deref())?;
    let (plan, firmware) = (planned.plan, planned.firmware);
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
