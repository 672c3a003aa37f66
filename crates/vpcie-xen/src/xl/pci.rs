//! PCI_SPEC_STRING: `[DDDD:]BB:DD.F[@VSLOT][,key=value...]` (xl-pci-configuration(5)).
//!
//! The BDF and key rules follow libxlutil 4.17's `xlu_pci_parse_spec_string`:
//! hex fields, device at most 0x1f, function 0–7 or `*` (all functions),
//! `bdf=` or `name=` instead of the positional BDF (exactly one of them),
//! booleans read like `atoi`. Entries of `vpcie_pci` also take the placement
//! keys documented in [`crate::xl`].

use super::{ConfigError, ErrorKind, Pos};
use std::path::PathBuf;

/// The keys xl 4.17 accepts in a PCI_SPEC_STRING.
pub const XL_KEYS: &str =
    "bdf, vslot, permissive, msitranslate, seize, power_mgmt, rdm_policy, name";
/// The keys vpcie adds in `vpcie_pci` entries.
pub const VPCIE_KEYS: &str = "port, group, fn, rc_integrated, dump";

/// How strictly reserved device memory regions (RMRRs) are honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RdmPolicy {
    /// Fail when a reserved region cannot be kept out of guest RAM.
    #[default]
    Strict,
    /// Warn and continue.
    Relaxed,
}

/// xl's per-device options, with the global `pci_*` defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PciOptions {
    /// Let the guest write config registers the policy does not know.
    pub permissive: bool,
    /// Translate guest MSI to host MSI-INTx (xl's legacy option).
    pub msitranslate: bool,
    /// Take the device from its host driver first.
    pub seize: bool,
    /// Let the guest change the device's power state.
    pub power_mgmt: bool,
    /// Reserved-memory policy.
    pub rdm_policy: RdmPolicy,
}

/// A host PCI address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostBdf {
    /// PCI segment (domain).
    pub domain: u16,
    /// Bus.
    pub bus: u8,
    /// Device, 0..=31.
    pub dev: u8,
    /// Function, 0..=7 (0 when `all_functions`).
    pub func: u8,
    /// `DD.*`: every function of the device.
    pub all_functions: bool,
}

impl std::fmt::Display for HostBdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:02x}:{:02x}.", self.domain, self.bus, self.dev)?;
        if self.all_functions {
            f.write_str("*")
        } else {
            write!(f, "{:x}", self.func)
        }
    }
}

/// Which host device an entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRef {
    /// By address.
    Bdf(HostBdf),
    /// By the name given to `xl pci-assignable-add -n`.
    Name(String),
}

/// Where vpcie puts a device in the guest's hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    /// Root port or switch downstream port name; `None`: a root port of its own.
    pub port: Option<String>,
    /// Entries sharing a group are the functions of one guest device.
    pub group: Option<String>,
    /// Guest function number within the group.
    pub function: Option<u8>,
    /// RC-integrated endpoint on the root bus (the interim workaround), no port.
    pub rc_integrated: bool,
}

/// Where the device's config space comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceSource {
    /// The host device, through sysfs.
    #[default]
    Host,
    /// A replayed `lspci -xxxx` dump (tests, demos, the real-Xen harness).
    Dump(PathBuf),
}

/// One entry of `pci = [...]` or `vpcie_pci = [...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDevice {
    /// The host device.
    pub host: HostRef,
    /// Guest device number xl would use on bus 0 (`@VSLOT`).
    pub vslot: Option<u8>,
    /// xl's options, defaults applied.
    pub options: PciOptions,
    /// vpcie's placement (default for `pci` entries).
    pub placement: Placement,
    /// Where the config space comes from.
    pub source: DeviceSource,
    /// Where the entry is in the file.
    pub pos: Pos,
}

impl PciDevice {
    /// The host device, for messages: `0000:03:00.0` or `name=gpu0`.
    pub fn host_label(&self) -> String {
        match &self.host {
            HostRef::Bdf(b) => b.to_string(),
            HostRef::Name(n) => format!("name={n}"),
        }
    }
}

fn hex_field(s: &str, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok().filter(|v| *v <= max)
}

const BDF_FORMS: &str =
    "a host address `[DDDD:]BB:DD.F` in hex (device 00-1f, function 0-7 or `*`)";

/// Parses `[DDDD:]BB:DD.F` or `[DDDD:]BB:DD.*`.
pub fn parse_bdf(s: &str) -> Result<HostBdf, String> {
    let bad = || format!("`{s}` is not {BDF_FORMS}");
    let (head, func) = s.rsplit_once('.').ok_or_else(bad)?;
    let parts: Vec<&str> = head.split(':').collect();
    let (domain, bus, dev) = match parts.as_slice() {
        [b, d] => (0, hex_field(b, 0xff), hex_field(d, 0x1f)),
        [s, b, d] => (
            hex_field(s, 0xffff).ok_or_else(bad)?,
            hex_field(b, 0xff),
            hex_field(d, 0x1f),
        ),
        _ => return Err(bad()),
    };
    let (bus, dev) = (bus.ok_or_else(bad)?, dev.ok_or_else(bad)?);
    let (func, all) = if func == "*" {
        (0, true)
    } else {
        (hex_field(func, 7).ok_or_else(bad)?, false)
    };
    Ok(HostBdf {
        domain: domain as u16,
        bus: bus as u8,
        dev: dev as u8,
        func: func as u8,
        all_functions: all,
    })
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    // atoi semantics for the digits xl writes; anything else is surely a mistake.
    let t = v.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{key}={v}`: expected 0 or 1"));
    }
    Ok(digits.bytes().any(|c| c != b'0'))
}

fn parse_rdm_policy(v: &str) -> Result<RdmPolicy, String> {
    match v {
        "strict" => Ok(RdmPolicy::Strict),
        "relaxed" => Ok(RdmPolicy::Relaxed),
        _ => Err(format!("`rdm_policy={v}`: expected `strict` or `relaxed`")),
    }
}

fn parse_vslot(v: &str) -> Result<u8, String> {
    hex_field(v, 0x1f)
        .map(|x| x as u8)
        .ok_or_else(|| format!("vslot `{v}`: expected a guest device number 00-1f in hex"))
}

/// Parses one entry. `vpcie_keys` allows the placement keys (for `vpcie_pci`).
pub fn parse_spec(
    key: &str,
    text: &str,
    pos: Pos,
    defaults: PciOptions,
    vpcie_keys: bool,
) -> Result<PciDevice, ConfigError> {
    let err = |detail: String| {
        ConfigError::new(
            pos,
            ErrorKind::BadEntry {
                key: key.to_string(),
                entry: text.to_string(),
                detail,
            },
        )
    };
    let mut bdf: Option<HostBdf> = None;
    let mut name: Option<String> = None;
    let mut vslot = None;
    let mut options = defaults;
    let mut placement = Placement::default();
    let mut source = DeviceSource::Host;

    let mut rest = text;
    // The positional BDF: everything up to the first `@` or `,`, if it has no `=`.
    let first_end = rest.find([',', '@']).unwrap_or(rest.len());
    if !rest[..first_end].contains('=') && !rest.is_empty() {
        bdf = Some(parse_bdf(&rest[..first_end]).map_err(err)?);
        rest = &rest[first_end..];
        if let Some(r) = rest.strip_prefix('@') {
            let end = r.find(',').unwrap_or(r.len());
            vslot = Some(parse_vslot(&r[..end]).map_err(err)?);
            rest = &r[end..];
        }
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    while !rest.is_empty() {
        let end = rest.find(',').unwrap_or(rest.len());
        let item = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        let Some((k, v)) = item.split_once('=') else {
            return Err(err(format!("`{item}` is not `key=value`; keys: {XL_KEYS}")));
        };
        match k {
            "bdf" => bdf = Some(parse_bdf(v).map_err(err)?),
            "vslot" => vslot = Some(parse_vslot(v).map_err(err)?),
            "permissive" => options.permissive = parse_bool(k, v).map_err(err)?,
            "msitranslate" => options.msitranslate = parse_bool(k, v).map_err(err)?,
            "seize" => options.seize = parse_bool(k, v).map_err(err)?,
            "power_mgmt" => options.power_mgmt = parse_bool(k, v).map_err(err)?,
            "rdm_policy" => options.rdm_policy = parse_rdm_policy(v).map_err(err)?,
            "name" => {
                if v.is_empty() {
                    return Err(err(
                        "`name=` needs the name given to `xl pci-assignable-add -n`".into(),
                    ));
                }
                name = Some(v.to_string())
            }
            "port" | "group" | "fn" | "rc_integrated" | "dump" if !vpcie_keys => {
                return Err(err(format!(
                    "`{k}` is vpcie's placement key; xl 4.17 fails `xl create` on it in `pci`. \
                     Move the entry to `vpcie_pci = [...]`"
                )));
            }
            "port" | "group" if v.is_empty() => return Err(err(format!("`{k}=` needs a name"))),
            "port" => placement.port = Some(v.to_string()),
            "group" => placement.group = Some(v.to_string()),
            "fn" => {
                placement.function = Some(
                    hex_field(v, 7)
                        .ok_or_else(|| err(format!("`fn={v}`: expected a function number 0-7")))?
                        as u8,
                )
            }
            "rc_integrated" => placement.rc_integrated = parse_bool(k, v).map_err(err)?,
            "dump" => {
                if v.is_empty() {
                    return Err(err("`dump=` needs the path of an lspci -xxxx dump".into()));
                }
                source = DeviceSource::Dump(PathBuf::from(v))
            }
            _ => {
                let known = if vpcie_keys {
                    format!("{XL_KEYS}, {VPCIE_KEYS}")
                } else {
                    XL_KEYS.to_string()
                };
                return Err(err(format!("unknown key `{k}`; keys: {known}")));
            }
        }
    }
    let host = match (bdf, name) {
        (Some(b), None) => HostRef::Bdf(b),
        (None, Some(n)) => HostRef::Name(n),
        (Some(_), Some(_)) => {
            return Err(err("give the device by BDF or by `name=`, not both".into()));
        }
        (None, None) => {
            return Err(err(format!(
                "no device: start with {BDF_FORMS}, or give `name=`"
            )));
        }
    };
    if placement.rc_integrated && placement.port.is_some() {
        return Err(err(
            "`rc_integrated=1` puts the device on the root bus; it cannot also have `port=`".into(),
        ));
    }
    if matches!(source, DeviceSource::Dump(_)) && !matches!(host, HostRef::Bdf(_)) {
        return Err(err(
            "`dump=` picks the function by its BDF; give the BDF, not `name=`".into(),
        ));
    }
    Ok(PciDevice {
        host,
        vslot,
        options,
        placement,
        source,
        pos,
    })
}
