//! The xl domain configuration (xl.cfg(5)) as vpcie reads it.
//!
//! [`syntax`] reads the file exactly as libxlutil 4.17 does (same tokens,
//! same grammar, so a file vpcie accepts is one `xl create` accepts);
//! [`DomainConfig::parse`] turns the settings vpcie cares about into types.
//!
//! # What xl knows and what vpcie adds
//!
//! xl 4.17 looks up the keys it knows and **silently ignores every other
//! key** (libxlutil stores all settings; xl only asks for known names —
//! the same reason `device_model_machine` is ignored by 4.17). vpcie's own
//! settings are therefore top-level keys starting with `vpcie_`, which xl
//! never reads. The entries of xl's `pci = [...]` list are different: xl
//! 4.17 parses each one with `xlu_pci_parse_spec_string`, which **fails
//! `xl create` on an unknown key**. So vpcie's placement keys are accepted
//! only in `vpcie_pci = [...]`, whose entries use the same syntax plus them.
//!
//! | key | value | meaning |
//! |---|---|---|
//! | `device_model_machine` | `"i440"` \| `"q35"` | chipset (i440 when absent) |
//! | `pci` | list of PCI_SPEC_STRING | host devices xl assigns (xl's keys only) |
//! | `pci_permissive`, `pci_msitranslate`, `pci_seize`, `pci_power_mgmt` | 0 \| 1 | defaults for every device entry |
//! | `rdm` | `"strategy=host,policy=strict\|relaxed"` | default `rdm_policy` |
//! | `vcpus`, `maxvcpus` | number | how many vCPUs the IOREQ server serves |
//! | `vpcie_mode` | `"segment"` \| `"bus0"` | how vpcie gives the guest its hierarchy (segment) |
//! | `vpcie_segment` | 1..=65535 | the PCI segment vpcie serves in segment mode (1) |
//! | `vpcie_ecam_base` | address | that segment's ECAM window (0xE0000000) |
//! | `vpcie_ecam_buses` | 1..=256 | buses the ECAM window decodes, 1 MiB each (256) |
//! | `vpcie_mmio32` | `"BASE-LAST"` \| `"BASE+SIZE"` | 32-bit memory window of the segment (`"0xD0000000+256M"`) |
//! | `vpcie_mmio64` | same | 64-bit prefetchable window above 4 GiB (none) |
//! | `vpcie_hotplug_reserve` | `"buses=N,mmio=SIZE,mmio_pref=SIZE"` | what each hotplug-capable empty port gets (`buses=1,mmio=2M,mmio_pref=0`) |
//! | `vpcie_root_ports` | list of `"NAME[,dev=N][,slot=N][,hotplug=0\|1]"` | emulated Root Ports |
//! | `vpcie_switches` | list of `"NAME,port=PORT[,downstream=N]"` | switches; downstream ports are named `NAME.0`, `NAME.1`, ... |
//! | `vpcie_pci` | list of PCI_SPEC_STRING + placement keys | devices vpcie itself serves |
//!
//! Placement keys of a `vpcie_pci` entry:
//!
//! | key | value | meaning |
//! |---|---|---|
//! | `port` | a root port or downstream port name | where the device sits (a root port of its own when absent) |
//! | `group` | a name | entries with one group are the functions of one guest device (a GPU and its HD Audio) |
//! | `fn` | 0..=7 | the guest function number inside the group (the host's when absent) |
//! | `rc_integrated` | 0 \| 1 | the interim workaround: an RC-integrated endpoint on the root bus, no port |
//! | `dump` | a path | replay this `lspci -xxxx` dump instead of the host's sysfs; the entry's BDF picks the function |

pub mod domain;
pub mod pci;
pub mod syntax;

pub use domain::{
    DomainConfig, HotplugReserve, Machine, Mode, RootPortSpec, SwitchSpec, VpcieConfig, Window,
};
pub use pci::{DeviceSource, HostBdf, HostRef, PciDevice, PciOptions, Placement, RdmPolicy};

/// A place in the config file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, counting characters.
    pub column: u32,
}

impl Pos {
    /// The position `chars` characters to the right on the same line.
    pub fn right(self, chars: usize) -> Pos {
        Pos {
            line: self.line,
            column: self
                .column
                .saturating_add(chars.min(u32::MAX as usize) as u32),
        }
    }
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A config file error: where, what, and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {kind}")]
pub struct ConfigError {
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong.
    pub kind: ErrorKind,
}

/// What is wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The file is larger than any sane domain config.
    #[error("the file has {bytes} bytes; at most {max} are accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A character that starts no token.
    #[error("unexpected character {found:?}: {hint}")]
    UnexpectedChar {
        /// The character.
        found: char,
        /// What to write instead.
        hint: &'static str,
    },
    /// A string without its closing quote on the same line.
    #[error("string without its closing {quote}; strings end on the line they start")]
    UnterminatedString {
        /// The opening quote.
        quote: char,
    },
    /// A backslash escape xl does not know.
    #[error(
        "unknown escape in a string; accepted: \\a \\b \\f \\n \\r \\t \\v \\\\ \\' \\\" (xl 4.17 mis-reads \\xHH and \\NNN: write the character itself)"
    )]
    BadEscape,
    /// A string whose bytes are not UTF-8 after unescaping.
    #[error("the string is not valid UTF-8 after unescaping")]
    NotUtf8,
    /// A token where another was expected.
    #[error("found {found}, expected {expected}")]
    Unexpected {
        /// The token found.
        found: String,
        /// What the grammar accepts here.
        expected: &'static str,
    },
    /// `[` without `]`.
    #[error("list opened here is never closed with `]`")]
    UnclosedList,
    /// Lists nested deeper than [`syntax::MAX_DEPTH`].
    #[error("lists nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// `key += value` where the earlier value has another shape.
    #[error("`{key} +=` appends to a list or a string, but `{key}` was {earlier}")]
    AppendMismatch {
        /// The key.
        key: String,
        /// The earlier value's shape.
        earlier: String,
    },
    /// A known key with a value it cannot take.
    #[error("`{key}` = {found}: expected {expected}")]
    BadValue {
        /// The key.
        key: String,
        /// The value, described.
        found: String,
        /// What is accepted.
        expected: String,
    },
    /// A `vpcie_*` key vpcie does not know (probably a typo).
    #[error("unknown vpcie setting `{key}`; known: {known}")]
    UnknownVpcieKey {
        /// The key.
        key: String,
        /// The keys that exist.
        known: &'static str,
    },
    /// A malformed PCI_SPEC_STRING or `vpcie_*` list entry.
    #[error("in `{key}` entry {entry:?}: {detail}")]
    BadEntry {
        /// The list's key.
        key: String,
        /// The entry text.
        entry: String,
        /// What is wrong and what is accepted.
        detail: String,
    },
    /// Settings that contradict each other (unknown port, two devices on one port, ...).
    #[error("{0}")]
    Inconsistent(String),
}

impl ConfigError {
    pub(crate) fn new(pos: Pos, kind: ErrorKind) -> Self {
        ConfigError { pos, kind }
    }
}

/// Parses a number the way xl does (`strtol(s, .., 0)`: `0x` hex, leading `0` octal, else decimal).
pub fn parse_xl_number(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Parses a size: an xl number optionally followed by `K`, `M`, `G` or `T` (powers of 1024).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, shift) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 10),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 20),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 30),
        Some(b't' | b'T') => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    let v = parse_xl_number(num)?;
    v.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests;
