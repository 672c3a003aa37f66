//! The platform a command works on: a description (a `--config` file or the
//! embedded default) built with its `external` devices made from host
//! backends, and the firmware policy of its `[firmware]` table.
//!
//! An `external` device's `backend` names where its host function is:
//! - `builtin:BDF` — a function of the host dump built into vpcie (the
//!   default platform's GPU, HD Audio and NVMe: real hardware dumps);
//! - `dump:FILE@BDF` — a function of an lspci dump (`lspci -xxxx`, with
//!   `-vvv` text for BAR sizes or a sidecar `FILE.bars`); a relative FILE is
//!   relative to the description's folder;
//! - `sysfs:BDF` — a host device under /sys/bus/pci/devices, read-only.
//!
//! A device on bus 0 (no parent) is passed through as a Root Complex
//! Integrated Endpoint (the Windows workaround); below a port, as an
//! endpoint.
//!
//! `--config` may also name an xl domain config (xl.cfg(5) with vpcie's
//! `vpcie_*` keys): the platform is then the one `vpcie serve` gives that
//! domain — a PCI segment of its own, or the Q35 bus 0 in `vpcie_mode =
//! "bus0"`. A file with `[[device]]` or `[firmware]` tables is a platform
//! description; any other is read as an xl config.

use super::{UserError, read_text};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use vpcie_firmware::FirmwareConfig;
use vpcie_passthrough::host::HostDevice;
use vpcie_passthrough::host::dump::DumpMachine;
use vpcie_passthrough::host::sysfs::{Access, SysfsHost};
use vpcie_passthrough::{Bdf, PassthroughFunction, PassthroughOptions, Placement};
use vpcie_platform::{DeviceDescription, Function, Platform, PlatformDescription};

/// The embedded default platform (see `data/default-platform.toml`).
pub const DEFAULT_PLATFORM: &str = include_str!("../../data/default-platform.toml");
/// The host dump behind the default platform's `builtin:` devices.
const BUILTIN_HOST_DUMP: &str = include_str!("../../data/default-host.txt");
/// BAR sizes of the builtin host dump.
const BUILTIN_HOST_BARS: &str = include_str!("../../data/default-host.bars");

/// A platform description with its firmware policy, its name for messages
/// and the folder relative backend paths start from.
pub struct Loaded {
    /// The devices.
    pub description: PlatformDescription,
    /// The `[firmware]` table (or the defaults).
    pub firmware: FirmwareConfig,
    /// "FILE" or "the default platform", for messages.
    pub what: String,
    base: PathBuf,
}

/// What `--config` names.
pub enum Config {
    /// A platform description (or the default).
    Description(Box<Loaded>),
    /// An xl domain config, and its path.
    Xen(Box<vpcie_xen::xl::DomainConfig>, PathBuf),
}

/// Reads `config` (or the default) as a platform description or an xl
/// domain config (module documentation).
pub fn config(config: Option<&Path>) -> Result<Config, UserError> {
    if let Some(path) = config {
        let text = read_text(path, "config")?;
        let description = text
            .lines()
            .map(str::trim)
            .any(|l| l == "[[device]]" || l == "[firmware]");
        if !description {
            let cfg = vpcie_xen::xl::DomainConfig::from_file(path).map_err(|e| {
                UserError(format!(
                    "{e} (read as an xl domain config; a vpcie platform description has [[device]] tables)"
                ))
            })?;
            return Ok(Config::Xen(Box::new(cfg), path.to_path_buf()));
        }
    }
    load(config).map(|l| Config::Description(Box::new(l)))
}

/// Reads `config` (or the default): the platform and its `[firmware]` table.
pub fn load(config: Option<&Path>) -> Result<Loaded, UserError> {
    let (text, what, base) = match config {
        Some(path) => (
            read_text(path, "platform description")?,
            path.display().to_string(),
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
        ),
        None => (
            DEFAULT_PLATFORM.to_string(),
            "the default platform".to_string(),
            PathBuf::new(),
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
    Ok(Loaded {
        description,
        firmware,
        what,
        base,
    })
}

/// Builds the platform, making each `external` device from its backend.
/// Returns the platform and the notes the backends had to make (guessed
/// BAR sizes, malformed host config space), each naming its function.
pub fn build(loaded: &Loaded) -> Result<(Platform, Vec<String>), UserError> {
    let mut dumps: HashMap<PathBuf, DumpMachine> = HashMap::new();
    let mut notes = Vec::new();
    let platform = loaded
        .description
        .build_with(&mut |d| {
            let f = make_external(d, &loaded.base, &mut dumps)?;
            notes.extend(f.1);
            Ok(f.0)
        })
        .map_err(|e| UserError(format!("{}: {e}", loaded.what)))?;
    Ok((platform, notes))
}

/// Makes one `external` device; errors name the device and say what to do.
fn make_external(
    d: &DeviceDescription,
    base: &Path,
    dumps: &mut HashMap<PathBuf, DumpMachine>,
) -> Result<(Box<dyn Function>, Vec<String>), String> {
    let name = d.name.as_deref().unwrap_or("(unnamed)");
    let spec = d.backend.as_deref().ok_or_else(|| {
        format!("device {name}: an external device needs `backend = \"builtin:BDF\" | \"dump:FILE@BDF\" | \"sysfs:BDF\"`")
    })?;
    let options = PassthroughOptions {
        placement: if d.parent.is_none() {
            Placement::RcIntegrated
        } else {
            Placement::UnderRootPort
        },
        ..PassthroughOptions::default()
    };
    let bdf = |s: &str| {
        s.parse::<Bdf>()
            .map_err(|e| format!("device {name}: backend {spec:?}: {e}"))
    };
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    match kind {
        "builtin" | "dump" => {
            let (file, at) = if kind == "builtin" {
                (PathBuf::from("builtin"), rest)
            } else {
                let (file, at) = rest.rsplit_once('@').ok_or_else(|| {
                    format!("device {name}: backend {spec:?}: expected dump:FILE@BDF, e.g. dump:host.txt@01:00.0")
                })?;
                (base.join(file), at)
            };
            let at = bdf(at)?;
            if !dumps.contains_key(&file) {
                let machine = if kind == "builtin" {
                    DumpMachine::parse(BUILTIN_HOST_DUMP, Some(BUILTIN_HOST_BARS))
                } else {
                    let text = std::fs::read_to_string(&file).map_err(|e| {
                        format!(
                            "device {name}: cannot read host dump {}: {e}",
                            file.display()
                        )
                    })?;
                    let sidecar_path = PathBuf::from(format!("{}.bars", file.display()));
                    let sidecar = std::fs::read_to_string(&sidecar_path).ok();
                    DumpMachine::parse(&text, sidecar.as_deref())
                }
                .map_err(|e| format!("device {name}: host dump {}: {e}", file.display()))?;
                dumps.insert(file.clone(), machine);
            }
            let host = dumps[&file]
                .host(at)
                .map_err(|e| format!("device {name}: {e}"))?;
            passthrough(name, host, options)
        }
        "sysfs" => {
            let host = SysfsHost::open(
                Path::new("/sys/bus/pci/devices"),
                bdf(rest)?,
                Access::ReadOnly,
            )
            .map_err(|e| format!("device {name}: {e}"))?;
            passthrough(name, host, options)
        }
        _ => Err(format!(
            "device {name}: unknown backend {spec:?}; expected builtin:BDF, dump:FILE@BDF or sysfs:BDF"
        )),
    }
}

fn passthrough<H: HostDevice + Send + 'static>(
    name: &str,
    host: H,
    options: PassthroughOptions,
) -> Result<(Box<dyn Function>, Vec<String>), String> {
    let f = PassthroughFunction::new(host, options).map_err(|e| format!("device {name}: {e}"))?;
    let notes = f.warnings();
    Ok((Box::new(f), notes))
}
