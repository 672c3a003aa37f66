//! `vpcie plan`: run the firmware (hvmloader's PCI job) on a platform and
//! print what it did: the tree with bus numbers, windows and BARs, and the
//! memory map.

use super::{CmdResult, UserError, read_text};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vpcie_firmware::{FirmwareConfig, Plan};
use vpcie_platform::{Platform, PlatformDescription};

/// The platform `vpcie plan` and `vpcie acpi` use without `--config`: the
/// Q35 chipset, a GPU with its HD Audio function below a root port, a
/// switch with an NVMe drive and a free downstream port, and an empty root
/// port. The GPU, HDA and NVMe are emulated endpoints with the identities
/// and BARs of the fixtures d01/d02 (NVIDIA GA104, RTX 3070 Ti Laptop, BAR1
/// at its resized 8 GiB) and d11 (Kingston KC3000).
pub const DEFAULT_PLAN_PLATFORM: &str = r#"
[[device]]
name = "rp1"
kind = "root-port"
at = "1c.0"
link_speed = 16
link_width = 16

[[device]]
name = "gpu"
kind = "endpoint"
parent = "rp1"
at = "00.0"
vendor_id = 0x10de
device_id = 0x24a0
class = 0x030000
interrupt_pin = 1
link_speed = 16
link_width = 16
bars = [
  { bar = 0, kind = "mem32", size = 0x1000000 },
  { bar = 1, kind = "mem64", size = 0x200000000, prefetchable = true },
  { bar = 3, kind = "mem64", size = 0x2000000, prefetchable = true },
  { bar = 5, kind = "io", size = 0x80 },
]

[[device]]
name = "hda"
kind = "endpoint"
parent = "rp1"
at = "00.1"
vendor_id = 0x10de
device_id = 0x228b
class = 0x040300
interrupt_pin = 2
bars = [{ bar = 0, kind = "mem32", size = 0x4000 }]

[[device]]
name = "rp2"
kind = "root-port"
at = "1c.1"
link_speed = 8
link_width = 4

[[device]]
name = "switch-up"
kind = "switch-upstream"
parent = "rp2"
at = "00.0"

[[device]]
name = "switch-down0"
kind = "switch-downstream"
parent = "switch-up"
at = "00.0"

[[device]]
name = "switch-down1"
kind = "switch-downstream"
parent = "switch-up"
at = "01.0"

[[device]]
name = "nvme"
kind = "endpoint"
parent = "switch-down0"
at = "00.0"
vendor_id = 0x2646
device_id = 0x5013
class = 0x010802
interrupt_pin = 1
link_speed = 8
link_width = 4
bars = [{ bar = 0, kind = "mem64", size = 0x4000 }]

[[device]]
name = "rp3"
kind = "root-port"
at = "1c.2"
"#;

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

/// The platform and firmware policy of a `--config` file (or the defaults),
/// and how to name it in messages.
pub fn load(
    config: Option<&Path>,
) -> Result<(PlatformDescription, FirmwareConfig, String), UserError> {
    let (text, what) = match config {
        Some(path) => (
            read_text(path, "platform description")?,
            path.display().to_string(),
        ),
        None => (
            DEFAULT_PLAN_PLATFORM.to_string(),
            "the default platform".to_string(),
        ),
    };
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        UserError(format!("{what}: not valid TOML: {}", e.message()))
    })?;
    let firmware = match table.remove("firmware") {
        Some(toml::Value::Table(t)) => {
            let mut wrapped = toml::Table::new();
            wrapped.insert("firmware".into(), toml::Value::Table(t));
            FirmwareConfig::from_toml(&wrapped.to_string())
                .map_err(|e| UserError(format!("{what}: {e}")))?
        }
        Some(_) => {
            return Err(UserError(format!(
                "{what}: `firmware` must be a table ([firmware])"
            )));
        }
        None => FirmwareConfig::default(),
    };
    let description = PlatformDescription::from_toml(&table.to_string())
        .map_err(|e| UserError(format!("{what}: {e}")))?;
    Ok((description, firmware, what))
}

/// Builds the platform and runs the firmware on it.
pub fn plan(config: Option<&Path>) -> Result<(Platform, Plan, FirmwareConfig), UserError> {
    let (description, firmware, what) = load(config)?;
    let mut platform = description
        .build()
        .map_err(|e| UserError(format!("{what}: {e}")))?;
    let plan = vpcie_firmware::run_platform(&mut platform, &firmware)
        .map_err(|e| UserError(format!("{what}: {e}")))?;
    Ok((platform, plan, firmware))
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
