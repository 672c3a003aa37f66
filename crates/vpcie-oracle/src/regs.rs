//! Registers by name, so that two functions with different capability
//! layouts compare register by register: the header by offset, each
//! capability's registers by their offset inside it (PCIe r6.x §7.5–7.9,
//! Linux `pci_regs.h` names), the MCH and LPC's own registers by the names
//! of QEMU's `q35.h`/`ich9.h` and Intel's datasheets. Whatever no name
//! covers is compared as one "unnamed" item per region.

use vpcie_config::caps::{cap_name, ext_cap_name, parse_capabilities};

/// A named register of one function's configuration image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Name, e.g. `COMMAND`, `PCIe.LNKCAP`, `AER.UNC_MASK`, `PCIEXBAR`.
    pub name: String,
    /// Offset in the image.
    pub offset: usize,
    /// Bytes (1–8).
    pub size: usize,
    /// Bits that belong to the register (the rest, e.g. a capability's
    /// next pointer, is compared as layout).
    pub mask: u64,
}

impl Item {
    fn new(name: impl Into<String>, offset: usize, size: usize) -> Item {
        Item {
            name: name.into(),
            offset,
            size,
            mask: if size >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * size)) - 1
            },
        }
    }

    /// The register's value in `bytes` (little-endian, masked).
    pub fn value(&self, bytes: &[u8]) -> u64 {
        let mut v = 0u64;
        for i in 0..self.size {
            v |= u64::from(bytes.get(self.offset + i).copied().unwrap_or(0xff)) << (8 * i);
        }
        v & self.mask
    }

    /// Hex text as wide as the register.
    pub fn text(&self, v: u64) -> String {
        format!("{v:0width$x}", width = self.size * 2)
    }
}

/// Which device-specific registers a function has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Q35 MCH, 00:00.0.
    Mch,
    /// ICH9 LPC, 00:1f.0.
    Lpc,
    /// Anything else: header and capabilities only.
    Other,
}

/// The MCH's registers (QEMU `include/hw/pci-host/q35.h`; Intel 317607).
const MCH_REGS: &[(&str, usize, usize)] = &[
    ("EXT_TSEG_MBYTES", 0x50, 2),
    ("PCIEXBAR", 0x60, 8),
    ("PAM0", 0x90, 1),
    ("PAM1", 0x91, 1),
    ("PAM2", 0x92, 1),
    ("PAM3", 0x93, 1),
    ("PAM4", 0x94, 1),
    ("PAM5", 0x95, 1),
    ("PAM6", 0x96, 1),
    ("F_SMBASE", 0x9c, 1),
    ("SMRAM", 0x9d, 1),
    ("ESMRAMC", 0x9e, 1),
    ("TOLUD", 0xb0, 2),
];

/// The LPC bridge's registers (QEMU `include/hw/southbridge/ich9.h`; Intel
/// ICH9 316972 §13.1).
const LPC_REGS: &[(&str, usize, usize)] = &[
    ("PMBASE", 0x40, 4),
    ("ACPI_CNTL", 0x44, 1),
    ("PIRQA_ROUT", 0x60, 1),
    ("PIRQB_ROUT", 0x61, 1),
    ("PIRQC_ROUT", 0x62, 1),
    ("PIRQD_ROUT", 0x63, 1),
    ("SIRQ_CNTL", 0x64, 1),
    ("PIRQE_ROUT", 0x68, 1),
    ("PIRQF_ROUT", 0x69, 1),
    ("PIRQG_ROUT", 0x6a, 1),
    ("PIRQH_ROUT", 0x6b, 1),
    ("LPC_IO_DEC", 0x80, 2),
    ("LPC_EN", 0x82, 2),
    ("GEN_PMCON_1", 0xa0, 2),
    ("GEN_PMCON_2", 0xa2, 1),
    ("GEN_PMCON_3", 0xa4, 1),
    ("GEN_PMCON_LOCK", 0xa6, 1),
    ("RCBA", 0xf0, 4),
];

const HEADER_COMMON: &[(&str, usize, usize)] = &[
    ("VENDOR_ID", 0x00, 2),
    ("DEVICE_ID", 0x02, 2),
    ("COMMAND", 0x04, 2),
    ("STATUS", 0x06, 2),
    ("REVISION", 0x08, 1),
    ("CLASS", 0x09, 3),
    ("CACHE_LINE_SIZE", 0x0c, 1),
    ("LATENCY_TIMER", 0x0d, 1),
    ("HEADER_TYPE", 0x0e, 1),
    ("BIST", 0x0f, 1),
    ("RESERVED_35", 0x35, 3),
    ("INTERRUPT_LINE", 0x3c, 1),
    ("INTERRUPT_PIN", 0x3d, 1),
];

const HEADER_TYPE0: &[(&str, usize, usize)] = &[
    ("BAR0", 0x10, 4),
    ("BAR1", 0x14, 4),
    ("BAR2", 0x18, 4),
    ("BAR3", 0x1c, 4),
    ("BAR4", 0x20, 4),
    ("BAR5", 0x24, 4),
    ("CARDBUS_CIS", 0x28, 4),
    ("SUBSYSTEM_VENDOR_ID", 0x2c, 2),
    ("SUBSYSTEM_ID", 0x2e, 2),
    ("ROM_ADDRESS", 0x30, 4),
    ("RESERVED_38", 0x38, 4),
    ("MIN_GNT", 0x3e, 1),
    ("MAX_LAT", 0x3f, 1),
];

const HEADER_TYPE1: &[(&str, usize, usize)] = &[
    ("BAR0", 0x10, 4),
    ("BAR1", 0x14, 4),
    ("PRIMARY_BUS", 0x18, 1),
    ("SECONDARY_BUS", 0x19, 1),
    ("SUBORDINATE_BUS", 0x1a, 1),
    ("SEC_LATENCY_TIMER", 0x1b, 1),
    ("IO_BASE", 0x1c, 1),
    ("IO_LIMIT", 0x1d, 1),
    ("SEC_STATUS", 0x1e, 2),
    ("MEMORY_BASE", 0x20, 2),
    ("MEMORY_LIMIT", 0x22, 2),
    ("PREF_MEMORY_BASE", 0x24, 2),
    ("PREF_MEMORY_LIMIT", 0x26, 2),
    ("PREF_BASE_UPPER32", 0x28, 4),
    ("PREF_LIMIT_UPPER32", 0x2c, 4),
    ("IO_BASE_UPPER16", 0x30, 2),
    ("IO_LIMIT_UPPER16", 0x32, 2),
    ("ROM_ADDRESS1", 0x38, 4),
    ("BRIDGE_CONTROL", 0x3e, 2),
];

/// PCI Express capability (ID 0x10), v2 layout (`pci_regs.h` PCI_EXP_*).
const PCIE: &[(&str, usize, usize)] = &[
    ("FLAGS", 0x02, 2),
    ("DEVCAP", 0x04, 4),
    ("DEVCTL", 0x08, 2),
    ("DEVSTA", 0x0a, 2),
    ("LNKCAP", 0x0c, 4),
    ("LNKCTL", 0x10, 2),
    ("LNKSTA", 0x12, 2),
    ("SLTCAP", 0x14, 4),
    ("SLTCTL", 0x18, 2),
    ("SLTSTA", 0x1a, 2),
    ("RTCTL", 0x1c, 2),
    ("RTCAP", 0x1e, 2),
    ("RTSTA", 0x20, 4),
    ("DEVCAP2", 0x24, 4),
    ("DEVCTL2", 0x28, 2),
    ("DEVSTA2", 0x2a, 2),
    ("LNKCAP2", 0x2c, 4),
    ("LNKCTL2", 0x30, 2),
    ("LNKSTA2", 0x32, 2),
    ("SLTCAP2", 0x34, 4),
    ("SLTCTL2", 0x38, 2),
    ("SLTSTA2", 0x3a, 2),
];

/// Power Management (ID 0x01).
const PM: &[(&str, usize, usize)] = &[
    ("PMC", 0x02, 2),
    ("PMCSR", 0x04, 2),
    ("PMCSR_BSE", 0x06, 1),
    ("DATA", 0x07, 1),
];

/// Subsystem ID and Subsystem Vendor ID for bridges (ID 0x0d).
const SSVID: &[(&str, usize, usize)] =
    &[("RESERVED", 0x02, 2), ("SVID", 0x04, 2), ("SSID", 0x06, 2)];

/// MSI-X (ID 0x11).
const MSIX: &[(&str, usize, usize)] = &[("FLAGS", 0x02, 2), ("TABLE", 0x04, 4), ("PBA", 0x08, 4)];

/// Standard Hot-Plug Controller (ID 0x0c).
const SHPC: &[(&str, usize, usize)] = &[
    ("DWORD_SELECT", 0x02, 1),
    ("PENDING", 0x03, 1),
    ("DWORD_DATA", 0x04, 4),
];

/// Advanced Error Reporting (extended ID 0x0001; `pci_regs.h` PCI_ERR_*);
/// 0x2c–0x37 are the Root Port registers (reserved elsewhere, see
/// [`AER_NOT_ROOT`]).
const AER: &[(&str, usize, usize)] = &[
    ("UNCOR_STATUS", 0x04, 4),
    ("UNCOR_MASK", 0x08, 4),
    ("UNCOR_SEVER", 0x0c, 4),
    ("COR_STATUS", 0x10, 4),
    ("COR_MASK", 0x14, 4),
    ("CAP", 0x18, 4),
    ("HEADER_LOG0", 0x1c, 4),
    ("HEADER_LOG1", 0x20, 4),
    ("HEADER_LOG2", 0x24, 4),
    ("HEADER_LOG3", 0x28, 4),
    ("ROOT_COMMAND", 0x2c, 4),
    ("ROOT_STATUS", 0x30, 4),
    ("ERR_SRC", 0x34, 4),
    ("PREFIX_LOG0", 0x38, 4),
    ("PREFIX_LOG1", 0x3c, 4),
    ("PREFIX_LOG2", 0x40, 4),
    ("PREFIX_LOG3", 0x44, 4),
];

/// AER 0x2c–0x37 of a function that is not a Root Port or Root Complex
/// Event Collector (PCIe r6.x §7.8.4: reserved).
const AER_NOT_ROOT: &[(&str, usize, usize)] = &[
    ("RESERVED_2C", 0x2c, 4),
    ("RESERVED_30", 0x30, 4),
    ("RESERVED_34", 0x34, 4),
];

/// Access Control Services (extended ID 0x000d).
const ACS: &[(&str, usize, usize)] = &[("CAP", 0x04, 2), ("CTRL", 0x06, 2)];

/// Short capability names for register names.
fn short_cap(id: u8) -> String {
    match id {
        0x01 => "PM".into(),
        0x05 => "MSI".into(),
        0x09 => "VNDR".into(),
        0x0c => "SHPC".into(),
        0x0d => "SSVID".into(),
        0x10 => "PCIe".into(),
        0x11 => "MSIX".into(),
        _ => format!("CAP{id:02x}"),
    }
}

fn short_ext_cap(id: u16) -> String {
    match id {
        0x0001 => "AER".into(),
        0x000d => "ACS".into(),
        _ => format!("ECAP{id:04x}"),
    }
}

/// MSI registers by name; the layout follows Message Control (64-bit
/// address bit 7, per-vector masking bit 8; PCIe r6.x §7.7.1).
fn msi_regs(flags: u16) -> Vec<(&'static str, usize, usize)> {
    let wide = flags & 0x0080 != 0;
    let masking = flags & 0x0100 != 0;
    let mut v = vec![("FLAGS", 0x02, 2), ("ADDRESS_LO", 0x04, 4)];
    let data = if wide {
        v.push(("ADDRESS_HI", 0x08, 4));
        0x0c
    } else {
        0x08
    };
    v.push(("DATA", data, 2));
    // The two bytes after Message Data: Extended Message Data (PCIe r6.x,
    // when capable) or reserved; named alike whatever the length rounding.
    v.push(("RESERVED", data + 2, 2));
    if masking {
        v.push(("MASK", data + 4, 4));
        v.push(("PENDING", data + 8, 4));
    }
    v
}

/// A function's registers, its capability layout and what no name covers.
#[derive(Clone, Debug, Default)]
pub struct Registers {
    /// Named registers.
    pub items: Vec<Item>,
    /// Capability names present (`PCIe`, `MSI`, …, `AER`): registers of a
    /// capability only one side has are not compared one by one.
    pub caps: Vec<String>,
    /// `PCIe@40 MSI@80 …` in list order.
    pub layout: String,
    /// `AER@100 …` in list order.
    pub ext_layout: String,
    /// Bytes 0x40–0xff no name covers.
    pub unnamed: Vec<usize>,
    /// Bytes 0x100–0xfff no name covers.
    pub unnamed_ext: Vec<usize>,
}

/// Names the registers of a function whose image is `config` (256 or 4096
/// bytes).
pub fn registers(config: &[u8], role: Role) -> Registers {
    let mut r = Registers::default();
    let mut covered = vec![false; config.len()];
    fn add(r: &mut Registers, covered: &mut [bool], item: Item) {
        let end = (item.offset + item.size).min(covered.len());
        covered[item.offset.min(end)..end].fill(true);
        r.items.push(item);
    }
    for &(n, o, s) in HEADER_COMMON {
        add(&mut r, &mut covered, Item::new(n, o, s));
    }
    let table = if config[0x0e] & 0x7f == 1 {
        HEADER_TYPE1
    } else {
        HEADER_TYPE0
    };
    for &(n, o, s) in table {
        add(&mut r, &mut covered, Item::new(n, o, s));
    }
    // The capability pointer is layout.
    covered[0x34] = true;
    let own: &[(&str, usize, usize)] = match role {
        Role::Mch => MCH_REGS,
        Role::Lpc => LPC_REGS,
        Role::Other => &[],
    };
    for &(n, o, s) in own {
        add(&mut r, &mut covered, Item::new(n, o, s));
    }

    let list = parse_capabilities(config);
    // Root Port (4) or Root Complex Event Collector (10), from the PCI
    // Express capability's Device/Port Type.
    let root = list.caps.iter().find(|c| c.id == 0x10).is_some_and(|c| {
        let flags = config[usize::from(c.offset) + 2];
        matches!(flags >> 4, 4 | 10)
    });
    let mut layout = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for cap in &list.caps {
        let base = usize::from(cap.offset);
        let mut short = short_cap(cap.id);
        let n = seen.iter().filter(|s| **s == short).count();
        seen.push(short.clone());
        if n > 0 {
            short = format!("{short}#{}", n + 1);
        }
        layout.push(format!("{short}@{:02x}", cap.offset));
        r.caps.push(short.clone());
        let len = usize::from(cap.len);
        // ID and next pointer: layout.
        let end = (base + 2).min(config.len());
        covered[base.min(end)..end].fill(true);
        let regs: Vec<(&str, usize, usize)> = match cap.id {
            0x01 => PM.to_vec(),
            0x05 => msi_regs(u16::from_le_bytes([config[base + 2], config[base + 3]])),
            0x0c => SHPC.to_vec(),
            0x0d => SSVID.to_vec(),
            0x10 => PCIE.to_vec(),
            0x11 => MSIX.to_vec(),
            _ => Vec::new(),
        };
        let mut named = vec![false; len];
        named[..2.min(len)].fill(true);
        for (n, o, s) in regs {
            if o + s <= len {
                add(
                    &mut r,
                    &mut covered,
                    Item::new(format!("{short}.{n}"), base + o, s),
                );
                named[o..o + s].fill(true);
            }
        }
        // Bytes of a capability without a register table (vendor-specific):
        // byte by byte.
        for (i, done) in named.iter().enumerate() {
            if !done && base + i < config.len() {
                add(
                    &mut r,
                    &mut covered,
                    Item::new(format!("{short}+{i:02x}"), base + i, 1),
                );
            }
        }
    }
    r.layout = if layout.is_empty() {
        "none".into()
    } else {
        layout.join(" ")
    };

    let mut ext_layout = Vec::new();
    for cap in &list.ext_caps {
        let base = usize::from(cap.offset);
        let short = short_ext_cap(cap.id);
        ext_layout.push(format!("{short}@{:03x}", cap.offset));
        r.caps.push(short.clone());
        let len = usize::from(cap.len);
        // ID and version (bits 19:0) are compared; the next pointer is layout.
        let mut header = Item::new(format!("{short}.HEADER"), base, 4);
        header.mask = 0x000f_ffff;
        add(&mut r, &mut covered, header);
        let regs: Vec<(&str, usize, usize)> = match cap.id {
            0x0001 if root => AER.to_vec(),
            0x0001 => AER
                .iter()
                .map(|&(n, o, s)| {
                    AER_NOT_ROOT
                        .iter()
                        .find(|r| r.1 == o)
                        .copied()
                        .unwrap_or((n, o, s))
                })
                .collect(),
            0x000d => ACS.to_vec(),
            _ => Vec::new(),
        };
        let mut named = vec![false; len];
        named[..4.min(len)].fill(true);
        for (n, o, s) in regs {
            if o + s <= len {
                add(
                    &mut r,
                    &mut covered,
                    Item::new(format!("{short}.{n}"), base + o, s),
                );
                named[o..o + s].fill(true);
            }
        }
        for (i, done) in named.iter().enumerate() {
            if !done && base + i < config.len() {
                add(
                    &mut r,
                    &mut covered,
                    Item::new(format!("{short}+{i:03x}"), base + i, 1),
                );
            }
        }
    }
    r.ext_layout = if config.len() <= 256 {
        "no extended space".into()
    } else if ext_layout.is_empty() {
        "none".into()
    } else {
        ext_layout.join(" ")
    };
    r.unnamed = (0x40..config.len().min(0x100))
        .filter(|&b| !covered[b])
        .collect();
    r.unnamed_ext = (0x100..config.len()).filter(|&b| !covered[b]).collect();
    r
}

/// Bytes of `set` that are not zero in `bytes`, as `40-4f=ff 52=01`
/// (runs of one value joined); `all 0` when none.
pub fn nonzero_bytes(set: &[usize], bytes: impl Fn(usize) -> u8) -> String {
    let mut parts = Vec::new();
    let mut run: Option<(usize, usize, u8)> = None;
    for &b in set {
        let v = bytes(b);
        match run {
            Some((start, end, val)) if end + 1 == b && val == v => run = Some((start, b, val)),
            _ => {
                if let Some(r) = run.take() {
                    parts.push(r);
                }
                run = Some((b, b, v));
            }
        }
    }
    if let Some(r) = run {
        parts.push(r);
    }
    let text: Vec<String> = parts
        .into_iter()
        .filter(|&(_, _, v)| v != 0)
        .map(|(s, e, v)| {
            if s == e {
                format!("{s:02x}={v:02x}")
            } else {
                format!("{s:02x}-{e:02x}={v:02x}")
            }
        })
        .collect();
    if text.is_empty() {
        "all 0".into()
    } else {
        text.join(" ")
    }
}

/// The lspci name of a capability ID (for messages).
pub fn cap_title(id: u8) -> &'static str {
    cap_name(id)
}

/// The lspci name of an extended capability ID (for messages).
pub fn ext_cap_title(id: u16) -> &'static str {
    ext_cap_name(id)
}
