//! The firmware's policy: what hvmloader takes from xenstore and its
//! compile-time constants, as data.
//!
//! Every field has a default; a config file (the `[firmware]` table of a
//! platform description, or a file of its own) overrides what it names.
//! Sizes and addresses are integers or strings such as `"4 GiB"`, `"256M"`
//! or `"0xf0000000"`.

use crate::range::Range;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A byte count or address, written as an integer or a string with an
/// optional binary unit (`"2 GiB"`, `"512M"`, `"64k"`, `"0xfc000000"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Size(pub u64);

impl Size {
    /// Parses `"4 GiB"`, `"512M"`, `"0x1000"`, `"65536"`.
    pub fn parse(text: &str) -> Result<Size, String> {
        let t = text.trim().replace('_', "");
        let bad = || {
            format!(
                "`{text}` is not a size: write a number (decimal or 0x hex) with an optional unit K, M, G or T (e.g. \"256M\", \"4 GiB\")"
            )
        };
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            return u64::from_str_radix(hex, 16).map(Size).map_err(|_| bad());
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let shift = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kb" | "kib" => 10,
            "m" | "mb" | "mib" => 20,
            "g" | "gb" | "gib" => 30,
            "t" | "tb" | "tib" => 40,
            _ => return Err(bad()),
        };
        n.checked_mul(1 << shift).map(Size).ok_or_else(bad)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Size(n)),
            Raw::Text(t) => Size::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// Where 64-bit BARs go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bar64Mode {
    /// Above 4 GiB when large (`bar64_large` or more) or when the MMIO hole
    /// cannot hold them (the default).
    Auto,
    /// Below 4 GiB unless the hole cannot hold them (hvmloader's rule:
    /// grow the hole first, then relocate the largest BARs).
    Low,
    /// Always above 4 GiB when the BAR and every bridge above allow it
    /// (OVMF's rule).
    High,
}

/// What a hotplug-capable port (Slot Implemented and Hot-Plug Capable)
/// gets beyond what sits below it now. Each is a minimum window size, as
/// QEMU's resource-reserve capability and SeaBIOS use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HotplugReserve {
    /// Spare bus numbers below the port's secondary bus (for a switch
    /// plugged in later); SeaBIOS leaves none.
    pub buses: u8,
    /// Minimum I/O window (0: none; SeaBIOS gives PCIe ports none, I/O
    /// space is scarce).
    pub io: Size,
    /// Minimum non-prefetchable window (SeaBIOS: 2 MiB).
    pub mem: Size,
    /// Minimum prefetchable window (SeaBIOS: 2 MiB).
    pub pref: Size,
}

impl Default for HotplugReserve {
    fn default() -> Self {
        HotplugReserve {
            buses: 0,
            io: Size(0),
            mem: Size(2 << 20),
            pref: Size(2 << 20),
        }
    }
}

/// The E820 type a reserved range is reported with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum E820Type {
    /// Usable RAM (type 1).
    Ram,
    /// Reserved (type 2).
    Reserved,
    /// ACPI tables, reclaimable (type 3).
    Acpi,
    /// ACPI non-volatile storage (type 4).
    Nvs,
}

impl E820Type {
    /// The numeric type of the E820 interface (ACPI 6.5 §15.1, table 15.1).
    pub fn code(self) -> u32 {
        match self {
            E820Type::Ram => 1,
            E820Type::Reserved => 2,
            E820Type::Acpi => 3,
            E820Type::Nvs => 4,
        }
    }
}

/// A range of guest-physical memory no BAR or window may use.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixedRange {
    /// What it is, for messages and the plan.
    pub name: String,
    /// First address.
    pub base: Size,
    /// Size in bytes.
    pub size: Size,
    /// How the E820 map reports it (`None`: not reported, e.g. legacy VGA).
    #[serde(default = "reserved")]
    pub e820: Option<E820Type>,
}

fn reserved() -> Option<E820Type> {
    Some(E820Type::Reserved)
}

impl FixedRange {
    /// The range, if well formed.
    pub fn range(&self) -> Option<Range> {
        Range::new(self.base.0, self.size.0)
    }
}

/// A fixed range of the platform, as a table entry.
#[derive(Clone, Copy, Debug)]
pub struct FixedEntry {
    /// What it is.
    pub name: &'static str,
    /// First address.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
    /// E820 type (`None`: not reported).
    pub e820: Option<E820Type>,
    /// Why it is fixed (the source).
    pub why: &'static str,
}

/// The guest-physical ranges of a Xen HVM Q35 guest that no BAR may use.
/// hvmloader reserves everything from `RESERVED_MEMBASE` (0xFC000000) to
/// 4 GiB in E820 and ends its MMIO hole there (`PCI_MEM_END`); the named
/// devices inside are listed so the plan shows them.
pub const FIXED_RANGES: &[FixedEntry] = &[
    FixedEntry {
        name: "legacy VGA",
        base: 0x000a_0000,
        size: 0x2_0000,
        e820: None,
        why: "VGA frame buffer window, never RAM (hvmloader e820.c)",
    },
    FixedEntry {
        name: "EBDA",
        base: 0x0009_fc00,
        size: 0x400,
        e820: Some(E820Type::Reserved),
        why: "extended BIOS data area, as SeaBIOS reports it",
    },
    FixedEntry {
        name: "BIOS",
        base: 0x000f_0000,
        size: 0x1_0000,
        e820: Some(E820Type::Reserved),
        why: "system BIOS image below 1 MiB (hvmloader e820.c)",
    },
    FixedEntry {
        name: "hvmloader reserved",
        base: 0xfc00_0000,
        size: 0x0400_0000,
        e820: Some(E820Type::Reserved),
        why: "RESERVED_MEMBASE to 4 GiB: ACPI info page, special pages, BIOS alias (hvmloader config.h)",
    },
    FixedEntry {
        name: "IOAPIC",
        base: 0xfec0_0000,
        size: 0x1000,
        e820: Some(E820Type::Reserved),
        why: "IOAPIC_BASE_ADDRESS (hvmloader config.h)",
    },
    FixedEntry {
        name: "HPET",
        base: 0xfed0_0000,
        size: 0x1000,
        e820: Some(E820Type::Reserved),
        why: "Xen's emulated HPET",
    },
    FixedEntry {
        name: "ICH9 RCBA",
        base: 0xfed1_c000,
        size: 0x4000,
        // Kept out of BAR space where QEMU/SeaBIOS put RCBA, but not an E820
        // entry of its own: vpcie's firmware leaves RCBA disabled (nothing is
        // emulated behind it), and hvmloader's reserved range covers it.
        e820: None,
        why: "where ICH9's chipset configuration registers would be (QEMU/SeaBIOS); disabled, not emulated",
    },
    FixedEntry {
        name: "LAPIC / MSI",
        base: 0xfee0_0000,
        size: 0x10_0000,
        e820: Some(E820Type::Reserved),
        why: "local APIC and the MSI address window (Intel SDM vol. 3 §11.11.1)",
    },
];

/// I/O port ranges no I/O BAR or window may use, inside 0x1000–0xFFFF.
pub const FIXED_IO: &[FixedEntry] = &[
    FixedEntry {
        name: "Xen ACPI hotplug and GPE0",
        base: 0xae00,
        size: 0x200,
        e820: None,
        why: "PCI hotplug 0xae00, CPU hotplug 0xaf00, GPE0 0xafe0 (Xen libacpi)",
    },
    FixedEntry {
        name: "ACPI PM block",
        base: 0xb000,
        size: 0x80,
        e820: None,
        why: "ICH9 PMBASE, 128 bytes; Xen emulates PM1a/PM timer at 0xb000 (ACPI_PM1A_EVT_BLK_ADDRESS_V1)",
    },
];

/// The firmware's policy.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirmwareConfig {
    /// Guest RAM in bytes (xl `memory`).
    pub ram: Size,
    /// Highest start of the MMIO hole: the hole first tried is
    /// `hole_start_max`–`pci_mem_end` (hvmloader `HVM_BELOW_4G_MMIO_START`).
    pub hole_start_max: Size,
    /// Lowest start the hole may grow down to (hvmloader stops at 2 GiB).
    pub hole_start_min: Size,
    /// A fixed hole size instead of sizing to fit (xl `mmio_hole`).
    pub mmio_hole_size: Option<Size>,
    /// End of the space for BARs below 4 GiB (hvmloader `PCI_MEM_END`).
    pub pci_mem_end: Size,
    /// Whether RAM under a grown hole moves above 4 GiB (hvmloader
    /// `allow-memory-relocate`); when false the hole stops at RAM.
    pub allow_memory_relocate: bool,
    /// Where 64-bit BARs go.
    pub bar64: Bar64Mode,
    /// A 64-bit BAR this large or larger counts as large.
    pub bar64_large: Size,
    /// Smallest 64-bit window the DSDT offers above 4 GiB (room for
    /// hotplug; QEMU's q35 `pci-hole64-size` is 32 GiB).
    pub high_window_min: Size,
    /// Guest physical address bits: the 64-bit window ends below 2^bits.
    pub phys_bits: u8,
    /// ECAM buses: 64, 128 or 256, or absent for the smallest that covers
    /// the bus numbers assigned (PCIEXBAR lengths, Intel 317607 p.91).
    pub ecam_buses: Option<u16>,
    /// What hotplug-capable ports reserve.
    pub hotplug: HotplugReserve,
    /// Extra fixed ranges (VRAM/LFB of an emulated display, firmware areas).
    pub fixed: Vec<FixedRange>,
    /// Host RMRRs / reserved device memory the domain config names (xl
    /// `rdm`): kept out of RAM and BARs, reported reserved.
    pub rmrr: Vec<FixedRange>,
    /// 8259 IRQ programmed into PIRQA–PIRQH_ROUT (SeaBIOS and OVMF: 10, 10, 11, 11).
    pub pirq_irqs: [u8; 8],
    /// IRQs the link devices offer in `_PRS` (QEMU q35: 5, 10, 11).
    pub link_irqs: Vec<u8>,
    /// ACPI PM I/O base programmed into the LPC's PMBASE.
    pub pm_base: u16,
    /// Bytes reserved at the top of low RAM for the ACPI tables (E820 ACPI).
    pub acpi_region: Size,
    /// Whether expansion ROM BARs get addresses (hvmloader and SeaBIOS do).
    pub assign_roms: bool,
    /// `_OSC` control bits granted (PCI Firmware 3.3 §4.5.1: 0x01 native
    /// hotplug, 0x04 PME, 0x08 AER, 0x10 PCIe capability; QEMU q35: 0x1D).
    pub osc_control: u32,
}

impl Default for FirmwareConfig {
    fn default() -> Self {
        FirmwareConfig {
            ram: Size(4 << 30),
            hole_start_max: Size(0xf000_0000),
            hole_start_min: Size(0x8000_0000),
            mmio_hole_size: None,
            pci_mem_end: Size(0xfc00_0000),
            allow_memory_relocate: true,
            bar64: Bar64Mode::Auto,
            bar64_large: Size(64 << 20),
            high_window_min: Size(32 << 30),
            phys_bits: 40,
            ecam_buses: None,
            hotplug: HotplugReserve::default(),
            fixed: Vec::new(),
            rmrr: Vec::new(),
            pirq_irqs: [10, 10, 11, 11, 10, 10, 11, 11],
            link_irqs: vec![5, 10, 11],
            pm_base: 0xb000,
            acpi_region: Size(256 << 10),
            assign_roms: true,
            osc_control: 0x1d,
        }
    }
}

/// A policy value that cannot work, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("firmware config `{field}`: {what}")]
pub struct ConfigError {
    /// The field.
    pub field: &'static str,
    /// What is wrong and what to do.
    pub what: String,
}

impl FirmwareConfig {
    /// Reads a config from TOML text: the `[firmware]` table when there is
    /// one (as in a platform description), else the top-level fields.
    pub fn from_toml(text: &str) -> Result<FirmwareConfig, ConfigError> {
        let value: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            field: "(file)",
            what: format!("not valid TOML: {}", e.message()),
        })?;
        let table = match value.get("firmware") {
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                return Err(ConfigError {
                    field: "firmware",
                    what: "must be a table ([firmware])".into(),
                });
            }
            None if value.keys().any(|k| FIELDS.contains(&k.as_str())) => value,
            None => toml::Table::new(),
        };
        let config: FirmwareConfig =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError {
                    field: "firmware",
                    what: e.message().to_string(),
                })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values against each other; names the field and the fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, what: String| Err(ConfigError { field, what });
        let four_g = 1u64 << 32;
        if self.ram.0 < (16 << 20) || self.ram.0 % 0x1000 != 0 {
            return err("ram", "must be whole 4 KiB pages, at least 16 MiB".into());
        }
        if !(32..=52).contains(&self.phys_bits) {
            return err("phys_bits", "must be between 32 and 52".into());
        }
        if self.pci_mem_end.0 > four_g || self.pci_mem_end.0 % (1 << 20) != 0 {
            return err(
                "pci_mem_end",
                "must be a MiB multiple at or below 4 GiB (hvmloader: 0xfc000000)".into(),
            );
        }
        if self.hole_start_min.0 > self.hole_start_max.0
            || self.hole_start_max.0 >= self.pci_mem_end.0
            || self.hole_start_min.0 < (16 << 20)
            || self.hole_start_min.0 % (1 << 20) != 0
            || self.hole_start_max.0 % (1 << 20) != 0
        {
            return err(
                "hole_start_min",
                "need 16 MiB <= hole_start_min <= hole_start_max < pci_mem_end, MiB multiples"
                    .into(),
            );
        }
        if let Some(s) = self.mmio_hole_size {
            if s.0 <= four_g - self.pci_mem_end.0
                || s.0 > four_g - (16 << 20)
                || s.0 % (1 << 20) != 0
            {
                return err(
                    "mmio_hole_size",
                    format!(
                        "must be a MiB multiple larger than 4 GiB - pci_mem_end ({:#x}) and at most 4 GiB - 16 MiB",
                        four_g - self.pci_mem_end.0
                    ),
                );
            }
        }
        if let Some(b) = self.ecam_buses {
            if !matches!(b, 64 | 128 | 256) {
                return err(
                    "ecam_buses",
                    "must be 64, 128 or 256 (PCIEXBAR lengths)".into(),
                );
            }
        }
        if !self.bar64_large.0.is_power_of_two() {
            return err("bar64_large", "must be a power of two".into());
        }
        let pow2_or_zero = |s: Size| s.0 == 0 || s.0.is_power_of_two();
        if !pow2_or_zero(self.hotplug.io) || self.hotplug.io.0 > 0x8000 {
            return err(
                "hotplug.io",
                "must be 0 or a power of two up to 32 KiB".into(),
            );
        }
        if self.hotplug.mem.0 > (1 << 31) || self.hotplug.pref.0 > (1 << 46) {
            return err(
                "hotplug.mem",
                "reserve too large for the address space".into(),
            );
        }
        for (field, list) in [("fixed", &self.fixed), ("rmrr", &self.rmrr)] {
            for f in list {
                if f.range().is_none() {
                    return err(
                        field,
                        format!("range `{}` is empty or wraps past 2^64", f.name),
                    );
                }
            }
        }
        for irq in self.pirq_irqs.iter().chain(&self.link_irqs) {
            if !matches!(irq, 3..=7 | 9..=12 | 14 | 15) {
                return err(
                    "pirq_irqs",
                    format!("IRQ {irq} cannot be routed by a PIRQ (legal: 3-7, 9-12, 14, 15)"),
                );
            }
        }
        if self.link_irqs.is_empty() || self.link_irqs.len() > 16 {
            return err("link_irqs", "list 1 to 16 IRQs".into());
        }
        if self.pm_base & 0x7f != 0 || self.pm_base < 0x1000 {
            return err(
                "pm_base",
                "must be 128-byte aligned and at least 0x1000".into(),
            );
        }
        if self.acpi_region.0 < (64 << 10) || self.acpi_region.0 > (64 << 20) {
            return err("acpi_region", "must be between 64 KiB and 64 MiB".into());
        }
        Ok(())
    }
}

/// The field names of [`FirmwareConfig`] (to tell a bare firmware file
/// from a platform description without a `[firmware]` table).
const FIELDS: &[&str] = &[
    "ram",
    "hole_start_max",
    "hole_start_min",
    "mmio_hole_size",
    "pci_mem_end",
    "allow_memory_relocate",
    "bar64",
    "bar64_large",
    "high_window_min",
    "phys_bits",
    "ecam_buses",
    "hotplug",
    "fixed",
    "rmrr",
    "pirq_irqs",
    "link_irqs",
    "pm_base",
    "acpi_region",
    "assign_roms",
    "osc_control",
];
