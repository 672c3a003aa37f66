//! The comparisons. Four stages, each a set of named checks:
//!
//! 1. **Models at reset** — QEMU under qtest (no firmware) and a fresh vpcie
//!    platform, enumerated the same way (depth-first bus numbers, then
//!    PCIEXBAR = 0xb0000001 as SeaBIOS sets it, for extended space): every
//!    register's reset value, the capability layout, then every byte's
//!    writable bits (the write probe, children before parents).
//! 2. **The same firmware on both** — vpcie's firmware (the hvmloader role)
//!    run through CF8/CFC on QEMU's machine and on vpcie's: the registers it
//!    leaves, and its plan on each machine.
//! 3. **SeaBIOS and Linux** — from a boot of the same topology
//!    (`boot.sh`): bus numbers, bridge windows and interrupt lines SeaBIOS
//!    chose (`pci=earlydump`) and what Linux kept, against `vpcie plan`;
//!    the rules every result must obey; the kernel log.
//! 4. **ECAM and MCFG** — `vpcie acpi`'s MCFG against QEMU's, each against
//!    its own PCIEXBAR and memory map.
//!
//! Every difference between the two sides is looked up in the table of
//! intended differences (`crate::table`).
//!
//! | stage | module |
//! |---|---|
//! | 1 | `models.rs` |
//! | 2 | `firmware.rs` |
//! | 3 | `boot.rs` |
//! | 4 | `mcfg.rs` |
//! | register comparison | `compare.rs` |

use crate::guest::{self, Found, Guest, Probe, decode_pciexbar, discover, probe, read_config};
use crate::hierarchy::{BarInfo, Image, Space, Tree, bars_from_sizing};
use crate::machine::{Machine, Qtest, Vpcie};
use crate::regs::{Item, Registers, Role, nonzero_bytes, registers};
use crate::report::Report;
use crate::table::{Diff, Table};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;
use vpcie_firmware::{Bdf, FirmwareConfig};
use vpcie_platform::PlatformDescription;

mod boot;
mod compare;
mod firmware;
mod mcfg;
mod models;

use boot::stage_boot;
use firmware::stage_firmware;
use mcfg::stage_mcfg;
use models::stage_models;

/// What the oracle needs.
pub struct Inputs {
    /// QEMU binary.
    pub qemu: String,
    /// QEMU arguments of the topology (`-device` …).
    pub qemu_args: Vec<String>,
    /// The same topology as a vpcie platform.
    pub description: PlatformDescription,
    /// vpcie's firmware policy for it.
    pub firmware: FirmwareConfig,
    /// Intended differences.
    pub table: Table,
    /// `vpcie plan --json`, `vpcie dump` and `vpcie acpi` outputs
    /// (`plan.json`, `dump.txt`, `acpi/mcfg.dat`), if run.
    pub vpcie_out: Option<PathBuf>,
    /// A `boot.sh` output directory of the same topology, if booted.
    pub boot: Option<PathBuf>,
    /// Where QEMU's stderr logs go.
    pub work: PathBuf,
}

/// A function's name and kind in the topology, by physical place.
#[derive(Clone, Debug)]
struct Name {
    name: String,
    kind: String,
}

/// Whether a kind is one of vpcie's chipset or port models (compared
/// register by register) rather than a stand-in endpoint.
fn is_model(kind: &str) -> bool {
    matches!(
        kind,
        "mch" | "lpc" | "root-port" | "switch-upstream" | "switch-downstream" | "pcie-pci-bridge"
    )
}

fn role(path: &str) -> Role {
    match path {
        "00:00.0" => Role::Mch,
        "00:1f.0" => Role::Lpc,
        _ => Role::Other,
    }
}

fn normalize_at(at: &str) -> String {
    let (d, f) = at.split_once('.').unwrap_or((at, "0"));
    let d = u8::from_str_radix(d, 16).unwrap_or(0xff);
    let f = u8::from_str_radix(f, 16).unwrap_or(0xff);
    format!("{d:02x}.{f:x}")
}

/// Names by path from the description: `00:1c.0/00.0` → `usp1`.
fn names(desc: &PlatformDescription) -> BTreeMap<String, Name> {
    let mut out = BTreeMap::new();
    out.insert(
        "00:00.0".to_string(),
        Name {
            name: "mch".into(),
            kind: "mch".into(),
        },
    );
    out.insert(
        "00:1f.0".to_string(),
        Name {
            name: "lpc".into(),
            kind: "lpc".into(),
        },
    );
    let mut path_of: BTreeMap<String, String> = BTreeMap::new();
    for d in &desc.devices {
        let prefix = match d.parent.as_ref().and_then(|p| path_of.get(p)) {
            Some(p) => format!("{p}/"),
            None => "00:".to_string(),
        };
        let path = format!("{prefix}{}", normalize_at(&d.at));
        let name = d.name.clone().unwrap_or_else(|| path.clone());
        path_of.insert(name.clone(), path.clone());
        out.insert(
            path,
            Name {
                name,
                kind: d.kind.to_string(),
            },
        );
    }
    out
}

/// A function as the oracle saw it on one machine.
struct Seen {
    found: Found,
    /// Reset image: the first 256 bytes before enumeration wrote anything,
    /// extended space after (ECAM enabled).
    image: Vec<u8>,
    probe: Option<Probe>,
}

fn lookup(names: &BTreeMap<String, Name>, path: &str) -> Name {
    names.get(path).cloned().unwrap_or_else(|| Name {
        name: path.to_string(),
        kind: "unknown".into(),
    })
}

/// Runs every stage and returns the report.
pub fn run(inputs: &Inputs, verbose: bool) -> Report {
    let mut report = Report {
        verbose,
        ..Report::default()
    };
    let names = names(&inputs.description);
    let t0 = Instant::now();
    let models = stage_models(inputs, &names, &mut report);
    let t1 = Instant::now();
    let firmware = stage_firmware(inputs, &names, &models, &mut report);
    let t2 = Instant::now();
    if let Some(boot) = &inputs.boot {
        stage_boot(
            inputs,
            boot,
            &names,
            &models,
            firmware.as_ref(),
            &mut report,
        );
        stage_mcfg(inputs, boot, firmware.as_ref(), &mut report);
    }
    let t3 = Instant::now();
    // The table must stay true: a row nothing matched is stale.
    let stale: Vec<String> = inputs
        .table
        .unused()
        .map(|r| {
            let which = if r.uses() == 0 {
                String::new()
            } else {
                format!(" for {}", r.unmatched_models().join(","))
            };
            format!(
                "line {}: {} {} {} (vpcie {}, QEMU {}) was not observed{which}; remove or update the row",
                r.line, r.aspect, r.model, r.register, r.vpcie, r.qemu
            )
        })
        .collect();
    if inputs.boot.is_some() {
        report.expect_none(
            "intended-differences table: every row observed",
            format!("{} rows, all observed", inputs.table.rows.len()),
            stale,
        );
    }
    eprintln!(
        "vpcie-oracle: timings: models {:.1}s, firmware {:.1}s, boot captures and ACPI {:.1}s",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64()
    );
    report
}

/// Keeps what the oracle read as an lspci dump (`lspci -F FILE -vvv`
/// decodes it), for whoever reads a failure.
fn save_images<'a>(path: &Path, images: impl Iterator<Item = (Bdf, &'a Vec<u8>)>) {
    let functions: Vec<vpcie_config::lspci::DumpFunction> = images
        .map(|(b, image)| {
            let address = vpcie_config::lspci::DumpAddress {
                domain: None,
                bus: b.bus,
                device: b.device,
                function: b.function,
            };
            vpcie_config::lspci::DumpFunction::new(address, "", image)
        })
        .collect();
    let _ = std::fs::write(path, vpcie_config::lspci::write(&functions) + "\n");
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Images of an lspci dump by (bus, device, function).
fn dump_images(path: &Path) -> Result<Vec<Image>, String> {
    let text = read(path)?;
    let fs = vpcie_config::lspci::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(fs
        .iter()
        .map(|f| {
            let a = f.address;
            (
                (a.bus, a.device, a.function),
                f.config()[..f.config_size()].to_vec(),
            )
        })
        .collect())
}

fn ecam_span(plan: &Value) -> Option<(u64, u64)> {
    let r = &plan["ecam"]["range"];
    Some((r["base"].as_u64()?, r["limit"].as_u64()?))
}
