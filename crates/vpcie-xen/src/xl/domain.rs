//! The typed domain configuration: what vpcie needs from an xl config file.

use super::pci::{PciDevice, PciOptions, RdmPolicy, parse_spec};
use super::syntax::{Op, Setting, Value, parse_settings};
use super::{ConfigError, ErrorKind, Pos, parse_size, parse_xl_number};
use std::collections::{BTreeMap, BTreeSet};

/// The emulated chipset (`device_model_machine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Machine {
    /// i440FX + PIIX3 (xl's default).
    #[default]
    I440,
    /// Q35 (MCH + ICH9), the seed series' option.
    Q35,
}

/// How vpcie gives the guest its PCIe hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// vpcie owns a whole PCI segment (works on unmodified Xen).
    #[default]
    Segment,
    /// vpcie claims device numbers on segment 0 (needs the hypervisor ECAM decode).
    Bus0,
}

/// A guest-physical address range `[base, base + size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First address.
    pub base: u64,
    /// Length in bytes (non-zero).
    pub size: u64,
}

impl Window {
    /// The last address in the window.
    pub fn last(&self) -> u64 {
        self.base + (self.size - 1)
    }

    /// Whether two windows share an address.
    pub fn overlaps(&self, other: &Window) -> bool {
        self.base <= other.last() && other.base <= self.last()
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#x}-{:#x}", self.base, self.last())
    }
}

/// Resources set aside behind each hotplug-capable port with nothing below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotplugReserve {
    /// Extra bus numbers.
    pub buses: u8,
    /// Non-prefetchable memory, bytes.
    pub mmio: u64,
    /// Prefetchable memory, bytes.
    pub mmio_pref: u64,
}

impl Default for HotplugReserve {
    fn default() -> Self {
        HotplugReserve {
            buses: 1,
            mmio: 2 << 20,
            mmio_pref: 0,
        }
    }
}

/// One emulated Root Port (`vpcie_root_ports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootPortSpec {
    /// Its name, used by `port=`.
    pub name: String,
    /// Device number on the root bus (assigned in order when absent).
    pub dev: Option<u8>,
    /// Physical slot number (Slot Capabilities).
    pub slot: Option<u16>,
    /// Native PCIe hotplug capable slot.
    pub hotplug: bool,
    /// Where it is declared.
    pub pos: Pos,
}

/// One emulated switch (`vpcie_switches`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchSpec {
    /// Its name; downstream ports are `NAME.0`, `NAME.1`, ...
    pub name: String,
    /// The port its upstream port sits below.
    pub port: String,
    /// Number of downstream ports (1..=32).
    pub downstream: u8,
    /// Where it is declared.
    pub pos: Pos,
}

impl SwitchSpec {
    /// The names of its downstream ports.
    pub fn downstream_names(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.downstream).map(move |i| format!("{}.{i}", self.name))
    }
}

/// Everything vpcie-specific (`vpcie_*` keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcieConfig {
    /// Segment or bus-0 mode.
    pub mode: Mode,
    /// The segment served in segment mode.
    pub segment: u16,
    /// ECAM window of that segment.
    pub ecam: Window,
    /// 32-bit memory window.
    pub mmio32: Window,
    /// 64-bit prefetchable window, if any.
    pub mmio64: Option<Window>,
    /// Hotplug reserve per empty hotplug-capable port.
    pub hotplug_reserve: HotplugReserve,
    /// Root ports.
    pub root_ports: Vec<RootPortSpec>,
    /// Switches.
    pub switches: Vec<SwitchSpec>,
    /// Devices vpcie serves (`vpcie_pci`).
    pub devices: Vec<PciDevice>,
}

/// Default ECAM base of the served segment (the proven spike's layout).
pub const DEFAULT_ECAM_BASE: u64 = 0xE000_0000;
/// Default 32-bit window of the served segment.
pub const DEFAULT_MMIO32: Window = Window {
    base: 0xD000_0000,
    size: 0x1000_0000,
};

impl Default for VpcieConfig {
    fn default() -> Self {
        VpcieConfig {
            mode: Mode::Segment,
            segment: 1,
            ecam: Window {
                base: DEFAULT_ECAM_BASE,
                size: 256 << 20,
            },
            mmio32: DEFAULT_MMIO32,
            mmio64: None,
            hotplug_reserve: HotplugReserve::default(),
            root_ports: Vec::new(),
            switches: Vec::new(),
            devices: Vec::new(),
        }
    }
}

/// What vpcie reads from an xl domain config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainConfig {
    /// `name`.
    pub name: Option<String>,
    /// `device_model_machine`.
    pub machine: Machine,
    /// vCPUs the guest may have (`maxvcpus`, else `vcpus`, else 1).
    pub max_vcpus: u32,
    /// `acpi_firmware`: the extra ACPI tables file.
    pub acpi_firmware: Option<String>,
    /// Global defaults of the per-device options.
    pub pci_defaults: PciOptions,
    /// xl's `pci` list.
    pub pci: Vec<PciDevice>,
    /// vpcie's own settings.
    pub vpcie: VpcieConfig,
}

/// The `vpcie_*` keys, for the unknown-key message.
pub const VPCIE_KEYS: &str = "vpcie_mode, vpcie_segment, vpcie_ecam_base, vpcie_ecam_buses, vpcie_mmio32, \
     vpcie_mmio64, vpcie_hotplug_reserve, vpcie_root_ports, vpcie_switches, vpcie_pci";

/// Most vCPUs an HVM guest can have on Xen 4.17 (HVM_MAX_VCPUS).
pub const MAX_VCPUS: u32 = 128;
/// Most entries in any one list vpcie reads.
pub const MAX_LIST: usize = 256;

/// The settings after `=`/`+=` are combined: the effective value per key.
struct Settings {
    map: BTreeMap<String, (Value, Pos)>,
}

impl Settings {
    fn combine(list: Vec<Setting>) -> Result<Settings, ConfigError> {
        let mut map: BTreeMap<String, (Value, Pos)> = BTreeMap::new();
        for s in list {
            match (s.op, map.get_mut(&s.key)) {
                (Op::Assign, _) | (Op::Append, None) => {
                    map.insert(s.key, (s.value, s.pos));
                }
                (Op::Append, Some((earlier, _))) => match (earlier, s.value) {
                    (Value::List { items, .. }, Value::List { items: more, .. }) => {
                        items.extend(more)
                    }
                    (Value::Atom { text, .. }, Value::Atom { text: more, .. }) => {
                        text.push_str(&more)
                    }
                    (earlier, _) => {
                        let earlier = earlier.describe();
                        return Err(ConfigError::new(
                            s.pos,
                            ErrorKind::AppendMismatch {
                                key: s.key,
                                earlier,
                            },
                        ));
                    }
                },
            }
        }
        Ok(Settings { map })
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).map(|(v, _)| v)
    }

    fn bad(key: &str, v: &Value, expected: impl Into<String>) -> ConfigError {
        ConfigError::new(
            v.pos(),
            ErrorKind::BadValue {
                key: key.to_string(),
                found: v.describe(),
                expected: expected.into(),
            },
        )
    }

    fn string(&self, key: &str) -> Result<Option<(String, Pos)>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Atom { text, pos, .. }) => Ok(Some((text.clone(), *pos))),
            Some(v) => Err(Self::bad(key, v, "a string")),
        }
    }

    /// A number; like xl, a quoted number is accepted too.
    fn number(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Atom { text, .. }) => match parse_xl_number(text) {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(Self::bad(
                    key,
                    v,
                    format!("a number from {min} to {max} (decimal, 0x hex or 0 octal)"),
                )),
            },
            Some(v) => Err(Self::bad(key, v, "a number")),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        Ok(self.number(key, 0, 1)?.map(|n| n == 1))
    }

    /// A list of strings (a lone string is taken as a one-element list, as xl does for `pci`).
    fn strings(&self, key: &str) -> Result<Vec<(String, Pos)>, ConfigError> {
        let items: Vec<&Value> = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::List { items, .. }) => items.iter().collect(),
            Some(v @ Value::Atom { .. }) => vec![v],
        };
        if items.len() > MAX_LIST {
            let v = self.get(key).expect("present");
            return Err(Self::bad(key, v, format!("at most {MAX_LIST} entries")));
        }
        items
            .into_iter()
            .map(|v| match v {
                Value::Atom {
                    text,
                    quoted: true,
                    pos,
                } => Ok((text.clone(), *pos)),
                v => Err(Self::bad(key, v, "a list of quoted strings")),
            })
            .collect()
    }
}

fn parse_window(key: &str, text: &str, pos: Pos) -> Result<Window, ConfigError> {
    let bad = || {
        ConfigError::new(
            pos,
            ErrorKind::BadValue {
                key: key.into(),
                found: format!("string {text:?}"),
                expected: "\"BASE-LAST\" or \"BASE+SIZE\" (e.g. \"0xD0000000+256M\"), non-empty, below 2^64"
                    .into(),
            },
        )
    };
    let w = if let Some((b, s)) = text.split_once('+') {
        Window {
            base: parse_xl_number(b).ok_or_else(bad)?,
            size: parse_size(s).ok_or_else(bad)?,
        }
    } else if let Some((b, l)) = text.split_once('-') {
        let (b, l) = (
            parse_xl_number(b).ok_or_else(bad)?,
            parse_xl_number(l).ok_or_else(bad)?,
        );
        if l < b {
            return Err(bad());
        }
        Window {
            base: b,
            size: (l - b).checked_add(1).ok_or_else(bad)?,
        }
    } else {
        return Err(bad());
    };
    if w.size == 0 || w.base.checked_add(w.size - 1).is_none() {
        return Err(bad());
    }
    Ok(w)
}

/// The `key=value` pairs of an entry.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

/// Splits `NAME,key=value,...` into the positional name and the pairs.
fn split_entry<'a>(
    key: &str,
    text: &'a str,
    pos: Pos,
    known: &str,
) -> Result<(&'a str, Pairs<'a>), ConfigError> {
    let err = |detail: String| {
        ConfigError::new(
            pos,
            ErrorKind::BadEntry {
                key: key.into(),
                entry: text.into(),
                detail,
            },
        )
    };
    let mut parts = text.split(',');
    let name = parts.next().unwrap_or("");
    if name.is_empty()
        || name.contains('=')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(err(format!(
            "start with a name (letters, digits, `_`, `-`), then `key=value` pairs: {known}"
        )));
    }
    let mut pairs = Vec::new();
    for p in parts {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| err(format!("`{p}` is not `key=value`; keys: {known}")))?;
        pairs.push((k, v));
    }
    Ok((name, pairs))
}

fn entry_err(key: &str, text: &str, pos: Pos, detail: String) -> ConfigError {
    ConfigError::new(
        pos,
        ErrorKind::BadEntry {
            key: key.into(),
            entry: text.into(),
            detail,
        },
    )
}

impl DomainConfig {
    /// Parses an xl config file's text.
    pub fn parse(src: &str) -> Result<DomainConfig, ConfigError> {
        let settings = parse_settings(src)?;
        for s in &settings {
            if s.key.starts_with("vpcie_") && !VPCIE_KEYS.split(", ").any(|k| k == s.key) {
                return Err(ConfigError::new(
                    s.pos,
                    ErrorKind::UnknownVpcieKey {
                        key: s.key.clone(),
                        known: VPCIE_KEYS,
                    },
                ));
            }
        }
        let s = Settings::combine(settings)?;
        let mut cfg = DomainConfig {
            max_vcpus: 1,
            ..Default::default()
        };

        cfg.name = s.string("name")?.map(|(n, _)| n);
        if let Some((m, _)) = s.string("device_model_machine")? {
            cfg.machine = match m.as_str() {
                "i440" => Machine::I440,
                "q35" => Machine::Q35,
                _ => {
                    return Err(Settings::bad(
                        "device_model_machine",
                        s.get("device_model_machine").expect("present"),
                        "\"i440\" or \"q35\"",
                    ));
                }
            };
        }
        let vcpus = s.number("vcpus", 1, u64::from(MAX_VCPUS))?;
        let maxvcpus = s.number("maxvcpus", 1, u64::from(MAX_VCPUS))?;
        cfg.max_vcpus = maxvcpus.or(vcpus).unwrap_or(1) as u32;
        cfg.acpi_firmware = s.string("acpi_firmware")?.map(|(n, _)| n);

        let d = &mut cfg.pci_defaults;
        d.permissive = s.boolean("pci_permissive")?.unwrap_or(false);
        d.msitranslate = s.boolean("pci_msitranslate")?.unwrap_or(false);
        d.seize = s.boolean("pci_seize")?.unwrap_or(false);
        // xl's default for power management is off as well.
        d.power_mgmt = s.boolean("pci_power_mgmt")?.unwrap_or(false);
        if let Some((rdm, pos)) = s.string("rdm")? {
            d.rdm_policy = parse_rdm(&rdm, pos)?;
        }
        let defaults = cfg.pci_defaults;
        for (text, pos) in s.strings("pci")? {
            cfg.pci
                .push(parse_spec("pci", &text, pos, defaults, false)?);
        }
        cfg.vpcie = parse_vpcie(&s, defaults)?;
        check_consistency(&cfg)?;
        Ok(cfg)
    }

    /// Reads and parses a config file; I/O errors become a message naming the file.
    pub fn from_file(path: &std::path::Path) -> Result<DomainConfig, String> {
        let meta =
            std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if meta.len() > super::syntax::MAX_FILE_BYTES as u64 {
            return Err(format!(
                "{}: {} bytes; a domain config has at most {} bytes",
                path.display(),
                meta.len(),
                super::syntax::MAX_FILE_BYTES
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        DomainConfig::parse(&text).map_err(|e| format!("{}:{e}", path.display()))
    }

    /// Every port name a device may name in `port=`: root ports and switch downstream ports.
    pub fn port_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .vpcie
            .root_ports
            .iter()
            .map(|r| r.name.clone())
            .collect();
        for sw in &self.vpcie.switches {
            names.extend(sw.downstream_names());
        }
        names
    }
}

fn parse_rdm(text: &str, pos: Pos) -> Result<RdmPolicy, ConfigError> {
    let mut policy = RdmPolicy::Strict;
    for item in text.split(',') {
        match item.split_once('=') {
            Some(("strategy", "host" | "ignore")) => {}
            Some(("policy", "strict")) => policy = RdmPolicy::Strict,
            Some(("policy", "relaxed")) => policy = RdmPolicy::Relaxed,
            _ => {
                return Err(entry_err(
                    "rdm",
                    text,
                    pos,
                    "expected \"strategy=host|ignore,policy=strict|relaxed\"".into(),
                ));
            }
        }
    }
    Ok(policy)
}

fn parse_vpcie(s: &Settings, defaults: PciOptions) -> Result<VpcieConfig, ConfigError> {
    let mut v = VpcieConfig::default();
    if let Some((m, _)) = s.string("vpcie_mode")? {
        v.mode = match m.as_str() {
            "segment" => Mode::Segment,
            "bus0" => Mode::Bus0,
            _ => {
                return Err(Settings::bad(
                    "vpcie_mode",
                    s.get("vpcie_mode").expect("present"),
                    "\"segment\" or \"bus0\"",
                ));
            }
        };
    }
    if let Some(seg) = s.number("vpcie_segment", 0, 0xffff)? {
        v.segment = seg as u16;
    }
    let buses = s.number("vpcie_ecam_buses", 1, 256)?.unwrap_or(256);
    let base = s
        .number("vpcie_ecam_base", 0, u64::MAX)?
        .unwrap_or(DEFAULT_ECAM_BASE);
    let ecam = Window {
        base,
        size: buses << 20,
    };
    if base & ((1 << 20) - 1) != 0 || base.checked_add(ecam.size - 1).is_none() {
        return Err(Settings::bad(
            "vpcie_ecam_base",
            s.get("vpcie_ecam_base").expect("non-default"),
            "a 1 MiB-aligned address with room for the ECAM window below 2^64",
        ));
    }
    v.ecam = ecam;
    if let Some((t, pos)) = s.string("vpcie_mmio32")? {
        v.mmio32 = parse_window("vpcie_mmio32", &t, pos)?;
        if v.mmio32.last() > u64::from(u32::MAX) {
            return Err(entry_err(
                "vpcie_mmio32",
                &t,
                pos,
                "the 32-bit window must end below 4 GiB".into(),
            ));
        }
    }
    if let Some((t, pos)) = s.string("vpcie_mmio64")? {
        let w = parse_window("vpcie_mmio64", &t, pos)?;
        if w.base < 1 << 32 {
            return Err(entry_err(
                "vpcie_mmio64",
                &t,
                pos,
                "the 64-bit window must start at or above 4 GiB".into(),
            ));
        }
        v.mmio64 = Some(w);
    }
    if let Some((t, pos)) = s.string("vpcie_hotplug_reserve")? {
        let known = "buses=N, mmio=SIZE, mmio_pref=SIZE";
        for item in t.split(',').filter(|i| !i.is_empty()) {
            let bad = || {
                entry_err(
                    "vpcie_hotplug_reserve",
                    &t,
                    pos,
                    format!("`{item}`: expected {known}"),
                )
            };
            let (k, val) = item.split_once('=').ok_or_else(bad)?;
            match k {
                "buses" => {
                    v.hotplug_reserve.buses =
                        parse_xl_number(val).filter(|n| *n <= 255).ok_or_else(bad)? as u8
                }
                "mmio" => v.hotplug_reserve.mmio = parse_size(val).ok_or_else(bad)?,
                "mmio_pref" => v.hotplug_reserve.mmio_pref = parse_size(val).ok_or_else(bad)?,
                _ => return Err(bad()),
            }
        }
    }
    for (text, pos) in s.strings("vpcie_root_ports")? {
        let known = "dev=N (hex 01-1f), slot=N, hotplug=0|1";
        let (name, pairs) = split_entry("vpcie_root_ports", &text, pos, known)?;
        let mut rp = RootPortSpec {
            name: name.into(),
            dev: None,
            slot: None,
            hotplug: false,
            pos,
        };
        for (k, val) in pairs {
            let bad = |what: &str| {
                entry_err(
                    "vpcie_root_ports",
                    &text,
                    pos,
                    format!("`{k}={val}`: expected {what}"),
                )
            };
            match k {
                "dev" => {
                    rp.dev = Some(
                        u8::from_str_radix(val, 16)
                            .ok()
                            .filter(|d| (1..=0x1f).contains(d))
                            .ok_or_else(|| {
                                bad("a device number 01-1f in hex (00 is the host bridge)")
                            })?,
                    )
                }
                "slot" => {
                    rp.slot = Some(
                        parse_xl_number(val)
                            .filter(|n| *n <= 0x1fff)
                            .ok_or_else(|| bad("0 to 8191"))? as u16,
                    )
                }
                "hotplug" => {
                    rp.hotplug = parse_xl_number(val)
                        .filter(|n| *n <= 1)
                        .ok_or_else(|| bad("0 or 1"))?
                        == 1
                }
                _ => {
                    return Err(entry_err(
                        "vpcie_root_ports",
                        &text,
                        pos,
                        format!("unknown key `{k}`; keys: {known}"),
                    ));
                }
            }
        }
        v.root_ports.push(rp);
    }
    for (text, pos) in s.strings("vpcie_switches")? {
        let known = "port=NAME (required), downstream=N (1-32, default 2)";
        let (name, pairs) = split_entry("vpcie_switches", &text, pos, known)?;
        let mut port = None;
        let mut downstream = 2u8;
        for (k, val) in pairs {
            match k {
                "port" if !val.is_empty() => port = Some(val.to_string()),
                "downstream" => {
                    downstream = parse_xl_number(val)
                        .filter(|n| (1..=32).contains(n))
                        .ok_or_else(|| {
                            entry_err(
                                "vpcie_switches",
                                &text,
                                pos,
                                format!("`downstream={val}`: expected 1 to 32"),
                            )
                        })? as u8
                }
                _ => {
                    return Err(entry_err(
                        "vpcie_switches",
                        &text,
                        pos,
                        format!("`{k}={val}`: keys: {known}"),
                    ));
                }
            }
        }
        let port = port.ok_or_else(|| {
            entry_err(
                "vpcie_switches",
                &text,
                pos,
                "a switch needs `port=NAME`: the port its upstream port sits below".into(),
            )
        })?;
        v.switches.push(SwitchSpec {
            name: name.into(),
            port,
            downstream,
            pos,
        });
    }
    for (text, pos) in s.strings("vpcie_pci")? {
        v.devices
            .push(parse_spec("vpcie_pci", &text, pos, defaults, true)?);
    }
    Ok(v)
}

fn check_consistency(cfg: &DomainConfig) -> Result<(), ConfigError> {
    let v = &cfg.vpcie;
    let incons = |pos: Pos, msg: String| ConfigError::new(pos, ErrorKind::Inconsistent(msg));
    // Windows must not overlap each other.
    let mut windows = vec![("vpcie_ecam_base", v.ecam), ("vpcie_mmio32", v.mmio32)];
    if let Some(w) = v.mmio64 {
        windows.push(("vpcie_mmio64", w));
    }
    for (i, (a, wa)) in windows.iter().enumerate() {
        for (b, wb) in &windows[i + 1..] {
            if wa.overlaps(wb) {
                return Err(incons(
                    Pos { line: 1, column: 1 },
                    format!("{a} ({wa}) overlaps {b} ({wb}); move one of them"),
                ));
            }
        }
    }
    if v.mode == Mode::Segment && v.segment == 0 {
        return Err(incons(
            Pos { line: 1, column: 1 },
            "segment mode serves a segment beside QEMU's segment 0; set vpcie_segment to 1 or more, or vpcie_mode = \"bus0\""
                .into(),
        ));
    }
    // Names: unique across root ports, switches and downstream ports.
    let mut seen: BTreeMap<String, Pos> = BTreeMap::new();
    let mut claim = |name: String, pos: Pos| -> Result<(), ConfigError> {
        if let Some(first) = seen.insert(name.clone(), pos) {
            return Err(incons(
                pos,
                format!(
                    "the name `{name}` is used twice (first at line {})",
                    first.line
                ),
            ));
        }
        Ok(())
    };
    let mut devs = BTreeMap::new();
    for rp in &v.root_ports {
        claim(rp.name.clone(), rp.pos)?;
        if let Some(d) = rp.dev
            && let Some(other) = devs.insert(d, rp.name.clone())
        {
            return Err(incons(
                rp.pos,
                format!(
                    "root ports `{other}` and `{}` both ask for device {d:02x}",
                    rp.name
                ),
            ));
        }
    }
    for sw in &v.switches {
        claim(sw.name.clone(), sw.pos)?;
        for d in sw.downstream_names() {
            claim(d, sw.pos)?;
        }
    }
    let ports = cfg.port_names();
    // Each switch hangs below an existing port; no cycles (follow the chain, bounded).
    let owner: BTreeMap<String, &SwitchSpec> = v
        .switches
        .iter()
        .flat_map(|sw| sw.downstream_names().map(move |d| (d, sw)))
        .collect();
    let mut below: BTreeMap<&str, &str> = BTreeMap::new();
    for sw in &v.switches {
        if !ports.contains(&sw.port) {
            return Err(incons(
                sw.pos,
                format!(
                    "switch `{}` sits below `{}`, which is no root port or downstream port; known: {}",
                    sw.name,
                    sw.port,
                    list(&ports)
                ),
            ));
        }
        if let Some(prev) = below.insert(sw.port.as_str(), sw.name.as_str()) {
            return Err(incons(
                sw.pos,
                format!(
                    "port `{}` already holds switch `{prev}`; a port has one link",
                    sw.port
                ),
            ));
        }
        let mut at = sw.port.as_str();
        for _ in 0..=v.switches.len() {
            match owner.get(at) {
                Some(up) if up.name == sw.name => {
                    return Err(incons(
                        sw.pos,
                        format!("switch `{}` sits (indirectly) below itself", sw.name),
                    ));
                }
                Some(up) => at = up.port.as_str(),
                None => break,
            }
        }
    }
    // Devices: known ports, one device (or one group) per port, groups consistent.
    let mut port_user: BTreeMap<String, (String, Pos)> = BTreeMap::new();
    for (name, _) in below.iter() {
        port_user.insert(
            (*name).to_string(),
            (
                format!("switch `{}`", below[name]),
                Pos { line: 1, column: 1 },
            ),
        );
    }
    let mut group_port: BTreeMap<&str, (&Option<String>, bool, Pos)> = BTreeMap::new();
    let mut group_fns: BTreeMap<&str, BTreeSet<u8>> = BTreeMap::new();
    for dev in &v.devices {
        let p = &dev.placement;
        if let Some(port) = &p.port
            && !ports.contains(port)
        {
            return Err(incons(
                dev.pos,
                format!(
                    "{} names port `{port}`, which is not declared; known: {}",
                    dev.host_label(),
                    list(&ports)
                ),
            ));
        }
        match &p.group {
            Some(g) => {
                if let Some((gp, rc, first)) = group_port.get(g.as_str()) {
                    if *gp != &p.port || *rc != p.rc_integrated {
                        return Err(incons(
                            dev.pos,
                            format!(
                                "group `{g}` is placed differently here than at line {}; give every member the same port",
                                first.line
                            ),
                        ));
                    }
                } else {
                    group_port.insert(g, (&p.port, p.rc_integrated, dev.pos));
                    if let Some(port) = &p.port {
                        claim_port(&mut port_user, port, format!("group `{g}`"), dev.pos)?;
                    }
                }
                let f = p.function.unwrap_or(match dev.host {
                    super::HostRef::Bdf(b) => b.func,
                    super::HostRef::Name(_) => 0,
                });
                if !group_fns.entry(g).or_default().insert(f) {
                    return Err(incons(
                        dev.pos,
                        format!(
                            "group `{g}` has function {f} twice; give each member its own `fn=`"
                        ),
                    ));
                }
            }
            None => {
                if let Some(port) = &p.port {
                    claim_port(&mut port_user, port, dev.host_label(), dev.pos)?;
                }
            }
        }
    }
    for (g, fns) in &group_fns {
        if !fns.contains(&0) {
            return Err(incons(
                Pos { line: 1, column: 1 },
                format!(
                    "group `{g}` has no function 0; the guest does not scan functions 1-7 without it: give one member `fn=0`"
                ),
            ));
        }
    }
    Ok(())
}

fn claim_port(
    users: &mut BTreeMap<String, (String, Pos)>,
    port: &str,
    who: String,
    pos: Pos,
) -> Result<(), ConfigError> {
    if let Some((other, _)) = users.get(port) {
        return Err(ConfigError::new(
            pos,
            ErrorKind::Inconsistent(format!(
                "port `{port}` already holds {other}; a port's link has one device: use another port, \
                 or `group=NAME` to make them functions of one device"
            )),
        ));
    }
    users.insert(port.to_string(), (who, pos));
    Ok(())
}

fn list(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        "none (declare them in vpcie_root_ports / vpcie_switches)".into()
    } else {
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}
