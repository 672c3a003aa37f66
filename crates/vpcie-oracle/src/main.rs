//! `vpcie-oracle`: compares vpcie with QEMU's Q35 on one topology and prints
//! one line per named check, then `N passed, M failed`. Exit status 0 when
//! nothing failed, 1 when something did, 2 on a usage error.
//! `scripts/qemu-oracle.sh` runs it after booting the guest and running the
//! vpcie commands.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use vpcie_firmware::FirmwareConfig;
use vpcie_oracle::oracle::{Inputs, run};
use vpcie_oracle::table::Table;
use vpcie_platform::PlatformDescription;

/// Compare vpcie with QEMU's Q35 (qtest for the models, a SeaBIOS + Linux
/// boot for the firmware result, ACPI tables).
#[derive(Parser)]
#[command(name = "vpcie-oracle", version, about)]
struct Args {
    /// The topology's QEMU arguments, one per line (`#` comments), as boot.sh reads them.
    #[arg(long, value_name = "FILE")]
    qemu_args: PathBuf,
    /// The same topology as a vpcie platform (TOML, optional `[firmware]` table).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The table of intended differences (TSV).
    #[arg(long, value_name = "FILE")]
    differences: PathBuf,
    /// Directory with `vpcie plan --json` (plan.json), `vpcie dump` (dump.txt) and `vpcie acpi` (acpi/).
    #[arg(long, value_name = "DIR")]
    vpcie_out: Option<PathBuf>,
    /// A boot.sh output directory of the same topology (SeaBIOS + Linux captures).
    #[arg(long, value_name = "DIR")]
    boot: Option<PathBuf>,
    /// Where to keep QEMU's logs.
    #[arg(long, value_name = "DIR", default_value = ".")]
    work: PathBuf,
    /// QEMU binary.
    #[arg(long, default_value = "qemu-system-x86_64")]
    qemu: String,
    /// Also list the intended differences under each check.
    #[arg(long, short)]
    verbose: bool,
    /// Write every observed difference as table rows (reason from the table, or TODO).
    #[arg(long, value_name = "FILE")]
    write_observed: Option<PathBuf>,
}

fn qemu_args(path: &PathBuf) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// The platform and firmware policy of a config file, as `vpcie plan --config` reads it.
fn config(path: &PathBuf) -> Result<(PlatformDescription, FirmwareConfig), String> {
    let what = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{what}: {e}"))?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{what}: {}", e.message()))?;
    let firmware = match table.remove("firmware") {
        Some(toml::Value::Table(t)) => {
            let mut wrapped = toml::Table::new();
            wrapped.insert("firmware".into(), toml::Value::Table(t));
            FirmwareConfig::from_toml(&wrapped.to_string()).map_err(|e| format!("{what}: {e}"))?
        }
        Some(_) => return Err(format!("{what}: `firmware` must be a table")),
        None => FirmwareConfig::default(),
    };
    let description =
        PlatformDescription::from_toml(&table.to_string()).map_err(|e| format!("{what}: {e}"))?;
    Ok((description, firmware))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let loaded = (|| -> Result<Inputs, String> {
        let (description, firmware) = config(&args.config)?;
        let table_text = std::fs::read_to_string(&args.differences)
            .map_err(|e| format!("{}: {e}", args.differences.display()))?;
        let table = Table::parse(&table_text)
            .map_err(|e| format!("{}: {e}", args.differences.display()))?;
        std::fs::create_dir_all(&args.work).map_err(|e| format!("{}: {e}", args.work.display()))?;
        Ok(Inputs {
            qemu: args.qemu.clone(),
            qemu_args: qemu_args(&args.qemu_args)?,
            description,
            firmware,
            table,
            vpcie_out: args.vpcie_out.clone(),
            boot: args.boot.clone(),
            work: args.work.clone(),
        })
    })();
    let inputs = match loaded {
        Ok(i) => i,
        Err(e) => {
            eprintln!("vpcie-oracle: {e}");
            return ExitCode::from(2);
        }
    };
    let report = run(&inputs, args.verbose);
    if let Some(path) = &args.write_observed {
        let mut text = String::from("# aspect\tmodel\tregister\tvpcie\tqemu\treason\n");
        for (d, line) in &report.observed {
            let reason = line
                .and_then(|l| inputs.table.rows.iter().find(|r| r.line == l))
                .map_or("TODO".to_string(), |r| r.reason.clone());
            let row = format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                d.aspect, d.model, d.register, d.vpcie, d.qemu, reason
            );
            if !text.contains(&row) {
                text.push_str(&row);
            }
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("vpcie-oracle: {}: {e}", path.display());
        }
    }
    if !report.bugs.is_empty() {
        println!(
            "known vpcie defects (BUG: rows of the table), {}:",
            report.bugs.len()
        );
        for b in &report.bugs {
            println!("  {b}");
        }
    }
    let (passed, failed) = report.counts();
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
