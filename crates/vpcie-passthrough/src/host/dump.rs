//! A host described by an lspci dump: a whole machine or a few devices.
//!
//! The dump gives the configuration bytes (`lspci -xxxx`); what it cannot
//! give is the size of each BAR, which software learns by writing all-ones
//! to the register. Sizes come, in this order, from:
//! 1. the `-vvv` text of the dump (`Region 0: Memory at ... [size=256M]`,
//!    `Expansion ROM at ... [size=128K]`);
//! 2. a BAR size sidecar ([`BarSizes::parse`]): lines `ADDRESS REGION SIZE`,
//!    where ADDRESS is a function (`09:00.0`) or a vendor:device pair
//!    (`1002:7300`), REGION is `bar0`..`bar5` or `rom`, SIZE is a number of
//!    bytes with an optional `K`, `M`, `G` or `T` suffix (powers of 1024);
//!    `#` starts a comment;
//! 3. the built-in table [`KNOWN_BAR_SIZES`] (same format, sources cited);
//! 4. a BAR covered by a Resizable BAR capability: its current size there
//!    (PCIe r6.x §7.8.6.3, BAR Size field);
//! 5. otherwise a guess, reported through [`HostDevice::notes`]: the
//!    smaller of the address's alignment (a BAR is aligned to its size, so
//!    the alignment is an upper bound) and 4 KiB for memory, 32 bytes for
//!    I/O, 2 KiB for the ROM. Guessing small never describes more of the
//!    host than the device has.
//!
//! The described device then behaves like hardware (see [`super::model`]):
//! BAR sizing answers with the size mask, read-only bits stay, status bits
//! clear on writing 1, a BAR resize through [`HostDevice::resize_bar`]
//! changes the size the BAR answers.

use std::collections::BTreeMap;

use super::{HostBar, HostDevice, HostError, LinkState, PowerState, check_access};
use crate::bdf::Bdf;
use crate::spec::*;
use vpcie_config::caps::{CapId, CapabilityList, ExtCapId, parse_capabilities};
use vpcie_config::lspci::{self, DumpError, DumpFunction};
use vpcie_config::regs::*;
use vpcie_config::{Bar, BarId, BarKind, ConfigSpace, NoHandler};

/// Built-in BAR sizes for devices in vpcie's fixtures, in sidecar format.
///
/// - 1002:7300 AMD Fiji (R9 Fury/Nano): ROCm documentation, "how our BAR
///   works on GFX 8 GPUs", lspci of a Fiji: 256M frame buffer, 2M
///   doorbell, 256 I/O ports, 256K MMIO, 128K ROM.
pub const KNOWN_BAR_SIZES: &str = "\
1002:7300 bar0 256M
1002:7300 bar2 2M
1002:7300 bar4 256
1002:7300 bar5 256K
1002:7300 rom 128K
";

/// Which function (or which kind of device) a size applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SizeKey {
    Function(Bdf),
    Ids(u16, u16),
}

/// BAR sizes given outside the configuration bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BarSizes {
    sizes: BTreeMap<(SizeKey, u8), u64>,
}

/// Why a BAR size sidecar could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "BAR sizes, line {line}: {why}; expected `ADDRESS REGION SIZE`, e.g. `09:00.0 bar0 256M` or `1002:7300 rom 128K`"
)]
pub struct BarSizesError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

impl BarSizes {
    /// Reads a sidecar (format in the module documentation).
    pub fn parse(text: &str) -> Result<Self, BarSizesError> {
        let mut out = BarSizes::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |why: String| BarSizesError { line: i + 1, why };
            let words: Vec<&str> = line.split_whitespace().collect();
            let [address, region, size] = words.as_slice() else {
                return Err(err(format!("{} words instead of 3", words.len())));
            };
            let key = parse_key(address).ok_or_else(|| {
                err(format!(
                    "{address:?} is neither a function (BB:DD.F) nor vendor:device"
                ))
            })?;
            let slot = parse_region(region)
                .ok_or_else(|| err(format!("{region:?} is not bar0..bar5 or rom")))?;
            let bytes = parse_size(size)
                .ok_or_else(|| err(format!("{size:?} is not a power-of-two size")))?;
            out.sizes.insert((key, slot), bytes);
        }
        Ok(out)
    }

    /// Adds the sizes of `other`; sizes already present win.
    pub fn merge(&mut self, other: &BarSizes) {
        for (k, v) in &other.sizes {
            self.sizes.entry(*k).or_insert(*v);
        }
    }

    fn get(&self, bdf: Bdf, ids: (u16, u16), slot: u8) -> Option<u64> {
        self.sizes
            .get(&(SizeKey::Function(bdf), slot))
            .or_else(|| {
                // A dump without domains matches any domain.
                self.sizes
                    .get(&(SizeKey::Function(Bdf { domain: 0, ..bdf }), slot))
            })
            .or_else(|| self.sizes.get(&(SizeKey::Ids(ids.0, ids.1), slot)))
            .copied()
    }
}

fn parse_key(text: &str) -> Option<SizeKey> {
    if text.contains('.') {
        return text.parse::<Bdf>().ok().map(SizeKey::Function);
    }
    let (v, d) = text.split_once(':')?;
    let hex4 = |s: &str| {
        (s.len() == 4)
            .then(|| u16::from_str_radix(s, 16).ok())
            .flatten()
    };
    Some(SizeKey::Ids(hex4(v)?, hex4(d)?))
}

fn parse_region(text: &str) -> Option<u8> {
    let t = text.to_ascii_lowercase();
    if t == "rom" {
        return Some(6);
    }
    let n: u8 = t.strip_prefix("bar")?.parse().ok()?;
    (n < 6).then_some(n)
}

/// A size as lspci prints it (`256`, `128K`, `256M`, `4G`) or hex (`0x1000`).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let value = if let Some(hex) = t.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()?
    } else {
        let (digits, shift) = match t.as_bytes().last()? {
            b'K' | b'k' => (&t[..t.len() - 1], 10),
            b'M' | b'm' => (&t[..t.len() - 1], 20),
            b'G' | b'g' => (&t[..t.len() - 1], 30),
            b'T' | b't' => (&t[..t.len() - 1], 40),
            _ => (t, 0),
        };
        let n: u64 = digits.parse().ok()?;
        n.checked_mul(1u64 << shift)?
    };
    value.is_power_of_two().then_some(value)
}

/// Sizes in a function's `-vvv` text: `Region N: ... [size=S]`, `Expansion ROM ... [size=S]`.
fn sizes_from_detail(detail: &[String]) -> [Option<u64>; 7] {
    let mut out = [None; 7];
    for line in detail {
        let t = line.trim();
        let slot = if let Some(rest) = t.strip_prefix("Region ") {
            rest.split(':')
                .next()
                .and_then(|n| n.trim().parse::<u8>().ok())
        } else if t.starts_with("Expansion ROM") {
            Some(6)
        } else {
            None
        };
        let Some(slot) = slot.filter(|s| *s <= 6) else {
            continue;
        };
        let size = t
            .split("[size=")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .and_then(parse_size);
        if let Some(size) = size {
            out[usize::from(slot)] = Some(size);
        }
    }
    out
}

/// Why a dump cannot describe the host asked for.
#[derive(Debug, thiserror::Error)]
pub enum DumpHostError {
    /// The text is not an lspci dump.
    #[error("the host dump is not lspci output: {0}")]
    Parse(#[from] DumpError),
    /// The BAR size sidecar is malformed.
    #[error(transparent)]
    Sizes(#[from] BarSizesError),
    /// The function is not in the dump.
    #[error("{bdf} is not in the host dump (it has: {have}); pass one of those addresses")]
    NoSuchFunction {
        /// What was asked.
        bdf: Bdf,
        /// What the dump has, comma-separated.
        have: String,
    },
}

/// A whole dump: every function it describes, and what sizes their BARs.
#[derive(Clone, Debug)]
pub struct DumpMachine {
    functions: Vec<DumpFunction>,
    sizes: BarSizes,
}

impl DumpMachine {
    /// Reads an lspci dump; `sidecar` adds BAR sizes (see the module documentation).
    pub fn parse(text: &str, sidecar: Option<&str>) -> Result<Self, DumpHostError> {
        let functions = lspci::parse(text)?;
        let mut sizes = match sidecar {
            Some(s) => BarSizes::parse(s)?,
            None => BarSizes::default(),
        };
        // The built-in table is ours and tested; it cannot fail to parse.
        if let Ok(known) = BarSizes::parse(KNOWN_BAR_SIZES) {
            sizes.merge(&known);
        }
        Ok(DumpMachine { functions, sizes })
    }

    /// Every function in the dump, in dump order.
    pub fn functions(&self) -> impl Iterator<Item = Bdf> + '_ {
        self.functions.iter().map(|f| Bdf::from(f.address))
    }

    /// The configuration bytes of `bdf` as dumped.
    pub fn config(&self, bdf: Bdf) -> Option<&[u8]> {
        self.find(bdf).map(|f| &f.config()[..f.config_size()])
    }

    fn find(&self, bdf: Bdf) -> Option<&DumpFunction> {
        self.functions.iter().find(|f| Bdf::from(f.address) == bdf)
    }

    /// The host function `bdf`, behaving like the dumped device.
    pub fn host(&self, bdf: Bdf) -> Result<DumpHost, DumpHostError> {
        let function = self
            .find(bdf)
            .ok_or_else(|| DumpHostError::NoSuchFunction {
                bdf,
                have: self
                    .functions()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let config = &function.config()[..function.config_size()];
        let mut notes = Vec::new();
        let link = self.upstream_link_of(bdf, config, &mut notes);
        Ok(DumpHost::new(
            bdf,
            config,
            &function.detail,
            &self.sizes,
            link,
            notes,
        ))
    }

    /// The link above `bdf`: the Link Status of the bridge whose secondary
    /// bus is `bdf`'s bus, or the function's own Link Status when the dump
    /// lacks that bridge (both ends of a link report the same state).
    fn upstream_link_of(
        &self,
        bdf: Bdf,
        config: &[u8],
        notes: &mut Vec<String>,
    ) -> Option<LinkState> {
        let port_type = pcie_port_type(config);
        if port_type == Some(PCI_EXP_TYPE_RC_END) || port_type.is_none() {
            return None;
        }
        let bridge = self.functions.iter().find(|f| {
            let b = Bdf::from(f.address);
            let c = f.config();
            b.domain == bdf.domain
                && c[usize::from(PCI_HEADER_TYPE)] & PCI_HEADER_TYPE_MASK == PCI_HEADER_TYPE_BRIDGE
                && c[usize::from(PCI_SECONDARY_BUS)] == bdf.bus
        });
        if let Some(bridge) = bridge {
            if let Some(l) = LinkState::from_config(&bridge.config()[..bridge.config_size()]) {
                return Some(l);
            }
        }
        let own = LinkState::from_config(config);
        if own.is_some() {
            notes.push(format!(
                "{bdf}: the dump lacks the port above; the link state is the function's own Link Status"
            ));
        }
        own
    }
}

/// The Device/Port Type of the PCI Express capability, if any.
fn pcie_port_type(config: &[u8]) -> Option<u8> {
    let caps = parse_capabilities(config);
    let cap = caps.find(CapId::PciExpress)?;
    let flags = config
        .get(usize::from(cap.offset + PCI_EXP_FLAGS))
        .copied()?;
    Some((flags & PCI_EXP_FLAGS_TYPE as u8) >> PCI_EXP_FLAGS_TYPE_SHIFT)
}

/// One dumped function, behaving like the device.
#[derive(Clone, Debug)]
pub struct DumpHost {
    bdf: Bdf,
    model: ConfigSpace,
    size: usize,
    bars: [Option<HostBar>; 7],
    link: Option<LinkState>,
    notes: Vec<String>,
    /// Resizable BAR control register offset per BAR index.
    rebar_ctrl: [Option<u16>; 6],
    /// Number of link retrains asked for.
    pub retrains: u32,
    /// Number of resets done.
    pub resets: u32,
}

impl DumpHost {
    /// A host function from its configuration bytes, its `-vvv` lines (may
    /// be empty), BAR sizes given beside the dump, and its link state.
    pub fn new(
        bdf: Bdf,
        config: &[u8],
        detail: &[String],
        sizes: &BarSizes,
        link: Option<LinkState>,
        mut notes: Vec<String>,
    ) -> Self {
        // A short dump (`lspci -x`) reads as 0xff beyond what it gives.
        let mut padded = config[..config.len().min(PCI_CFG_SPACE_EXP_SIZE)].to_vec();
        if padded.len() < PCI_CFG_SPACE_SIZE {
            padded.resize(PCI_CFG_SPACE_SIZE, 0xff);
        }
        let config = &padded[..];
        let caps = parse_capabilities(config);
        let word =
            |o: usize| u16::from_le_bytes([config_byte(config, o), config_byte(config, o + 1)]);
        let ids = (word(0), word(2));
        let from_detail = sizes_from_detail(detail);
        let rebar = rebar_entries(config, &caps);
        let mut rebar_ctrl = [None; 6];
        for e in &rebar {
            if let Some(slot) = rebar_ctrl.get_mut(usize::from(e.bar)) {
                *slot = Some(e.ctrl_offset);
            }
        }
        let min_sizes = msix_min_sizes(config, &caps);
        let mut bars = [None; 7];
        let header_type = config_byte(config, usize::from(PCI_HEADER_TYPE)) & PCI_HEADER_TYPE_MASK;
        if header_type == PCI_HEADER_TYPE_NORMAL {
            let mut slot = 0usize;
            while slot < 7 {
                let offset = if slot == 6 {
                    usize::from(PCI_ROM_ADDRESS)
                } else {
                    usize::from(PCI_BASE_ADDRESS_0) + 4 * slot
                };
                let low = dword(config, offset);
                let is64 = slot < 6
                    && low & PCI_BASE_ADDRESS_SPACE_IO == 0
                    && low & PCI_BASE_ADDRESS_MEM_TYPE_MASK == PCI_BASE_ADDRESS_MEM_TYPE_64;
                let high = if is64 && slot < 5 {
                    u64::from(dword(config, offset + 4))
                } else {
                    0
                };
                let known = from_detail[slot]
                    .or_else(|| sizes.get(bdf, ids, slot as u8))
                    .or_else(|| {
                        rebar
                            .iter()
                            .find(|e| usize::from(e.bar) == slot)
                            .map(|e| e.current_size)
                    });
                let floor = min_sizes.get(slot).copied().unwrap_or(0);
                let found = describe_bar(bdf, slot, low, high, known, floor, &mut notes);
                if let Some(hb) = found {
                    bars[slot] = Some(hb);
                }
                slot += if is64 && found.is_some() { 2 } else { 1 };
            }
        }
        let model_bars = bars.map(|b| b.map(|h: HostBar| h.bar));
        let model = super::model::build(config, &caps, &model_bars);
        DumpHost {
            bdf,
            size: config.len(),
            model,
            bars,
            link,
            notes,
            rebar_ctrl,
            retrains: 0,
            resets: 0,
        }
    }

    /// Behave like a host that cannot resize BARs (a kernel without
    /// `resourceN_resize`, or a read-only backend).
    pub fn forbid_resize(&mut self) {
        self.rebar_ctrl = [None; 6];
    }

    /// The configuration space as the device holds it now.
    pub fn image(&self) -> Vec<u8> {
        let mut v = self.model.image();
        v.truncate(self.size);
        v
    }
}

fn config_byte(config: &[u8], offset: usize) -> u8 {
    config.get(offset).copied().unwrap_or(0xff)
}

fn dword(config: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([
        config_byte(config, offset),
        config_byte(config, offset + 1),
        config_byte(config, offset + 2),
        config_byte(config, offset + 3),
    ])
}

/// The BAR at `slot` (6: ROM) from its register and, if known, its size.
fn describe_bar(
    bdf: Bdf,
    slot: usize,
    low: u32,
    high: u64,
    known: Option<u64>,
    at_least: u64,
    notes: &mut Vec<String>,
) -> Option<HostBar> {
    let name = if slot == 6 {
        "expansion ROM".to_string()
    } else {
        format!("BAR{slot}")
    };
    if low == u32::MAX {
        // Not captured (row missing) or an absent function: nothing to describe.
        return None;
    }
    let (kind, address, prefetchable) = if slot == 6 {
        (BarKind::Rom, u64::from(low & PCI_ROM_ADDRESS_MASK), false)
    } else if low & PCI_BASE_ADDRESS_SPACE_IO != 0 {
        (
            BarKind::Io,
            u64::from(low & PCI_BASE_ADDRESS_IO_MASK),
            false,
        )
    } else {
        let pf = low & PCI_BASE_ADDRESS_MEM_PREFETCH != 0;
        if low & PCI_BASE_ADDRESS_MEM_TYPE_MASK == PCI_BASE_ADDRESS_MEM_TYPE_64 {
            if slot == 5 {
                notes.push(format!(
                    "{bdf}: BAR5 claims to be 64-bit, which needs a BAR6 that does not exist; vpcie ignores it"
                ));
                return None;
            }
            (
                BarKind::Memory64,
                (high << 32) | u64::from(low & PCI_BASE_ADDRESS_MEM_MASK),
                pf,
            )
        } else {
            (
                BarKind::Memory32,
                u64::from(low & PCI_BASE_ADDRESS_MEM_MASK),
                pf,
            )
        }
    };
    // A register reading 0 (no type bits, no address) is an unimplemented BAR.
    let implemented = low != 0 || known.is_some();
    if !implemented {
        return None;
    }
    let size = match known {
        Some(size) => size,
        None => {
            if address == 0 && kind == BarKind::Rom {
                return None;
            }
            let (cap, floor) = match kind {
                BarKind::Io => (32, 4),
                BarKind::Rom => (2048, 2048),
                _ => (4096, 16),
            };
            let align = if address == 0 {
                floor
            } else {
                1u64 << address.trailing_zeros()
            };
            // The MSI-X table and PBA must fit: a lower bound from the config bytes.
            let guess = align.min(cap).max(floor).max(at_least);
            notes.push(format!(
                "{bdf}: {name} size is not in the dump; assumed {guess:#x} bytes (at most its \
                 address alignment); give the real size with lspci -vvv text or a BAR size \
                 sidecar line `{bdf} {} SIZE`",
                if slot == 6 {
                    "rom".to_string()
                } else {
                    format!("bar{slot}")
                }
            ));
            guess
        }
    };
    let bar = match kind {
        BarKind::Io => Bar::io(size),
        BarKind::Memory32 => Bar::memory32(size, prefetchable),
        BarKind::Memory64 => Bar::memory64(size, prefetchable),
        BarKind::Rom => Bar::rom(size),
    };
    Some(HostBar { bar, address })
}

/// The smallest size each BAR can have so that the MSI-X table and PBA
/// the configuration bytes place in it fit (rounded up to a power of two).
fn msix_min_sizes(config: &[u8], caps: &CapabilityList) -> [u64; 6] {
    let mut out = [0u64; 6];
    let Some(cap) = caps.find(CapId::MsiX) else {
        return out;
    };
    let ctrl = u16::from_le_bytes([
        config_byte(config, usize::from(cap.offset + PCI_MSIX_FLAGS)),
        config_byte(config, usize::from(cap.offset + PCI_MSIX_FLAGS) + 1),
    ]);
    let n = u64::from(ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
    for (reg, len) in [
        (PCI_MSIX_TABLE, n * PCI_MSIX_ENTRY_SIZE),
        (PCI_MSIX_PBA, n.div_ceil(64) * 8),
    ] {
        let v = dword(config, usize::from(cap.offset + reg));
        let bir = (v & PCI_MSIX_TABLE_BIR) as usize;
        let end = u64::from(v & PCI_MSIX_TABLE_OFFSET) + len;
        if let Some(slot) = out.get_mut(bir) {
            *slot = (*slot).max(end.next_power_of_two());
        }
    }
    out
}

/// One entry of a Resizable BAR capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RebarEntry {
    /// BAR index (0–5).
    pub bar: u8,
    /// Offset of the entry's control register.
    pub ctrl_offset: u16,
    /// Supported sizes: bit n set when 1 MiB << n is supported (n = 0..27).
    pub supported: u32,
    /// Current size in bytes.
    pub current_size: u64,
}

/// The entries of the first Resizable BAR capability of an image.
pub(crate) fn rebar_entries(config: &[u8], caps: &CapabilityList) -> Vec<RebarEntry> {
    let Some(cap) = caps.find_ext(ExtCapId::ResizableBar) else {
        return Vec::new();
    };
    let first_ctrl = dword(config, usize::from(cap.offset + PCI_REBAR_CTRL));
    let nbars = ((first_ctrl & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT) as u16;
    let room = cap.len.saturating_sub(4) / PCI_REBAR_ENTRY_SIZEOF;
    (0..nbars.min(room).min(6))
        .map(|i| {
            let base = cap.offset + 4 + i * PCI_REBAR_ENTRY_SIZEOF;
            let capreg = dword(config, usize::from(base));
            let ctrl = dword(config, usize::from(base + 4));
            let size_index = (ctrl & PCI_REBAR_CTRL_BAR_SIZE) >> PCI_REBAR_CTRL_BAR_SHIFT;
            RebarEntry {
                bar: (ctrl & PCI_REBAR_CTRL_BAR_IDX) as u8,
                ctrl_offset: base + 4,
                supported: (capreg & PCI_REBAR_CAP_SIZES) >> 4,
                current_size: 1u64 << (20 + size_index.min(43)),
            }
        })
        .collect()
}

impl HostDevice for DumpHost {
    fn bdf(&self) -> Bdf {
        self.bdf
    }

    fn config_size(&self) -> usize {
        self.size
    }

    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        check_access(self.bdf, offset, size, self.size)?;
        Ok(self.model.read(offset, size, &mut NoHandler))
    }

    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        check_access(self.bdf, offset, size, self.size)?;
        self.model.write(offset, size, value, &mut NoHandler);
        Ok(())
    }

    fn bar(&self, id: BarId) -> Option<HostBar> {
        let slot = match id {
            BarId::Bar(i) => usize::from(i),
            BarId::Rom => 6,
        };
        self.bars.get(slot).copied().flatten()
    }

    fn reset(&mut self) -> Result<(), HostError> {
        // The host restores what it had programmed after a reset: the dump.
        self.model.reset(&mut NoHandler);
        self.resets += 1;
        Ok(())
    }

    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        Ok(self.link)
    }

    fn retrain_link(&mut self) -> Result<(), HostError> {
        self.retrains += 1;
        Ok(())
    }

    fn can_resize_bar(&self, index: u8) -> bool {
        self.rebar_ctrl
            .get(usize::from(index))
            .copied()
            .flatten()
            .is_some()
    }

    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        let bdf = self.bdf;
        let ctrl = self
            .rebar_ctrl
            .get(usize::from(index))
            .copied()
            .flatten()
            .ok_or(HostError::Unsupported {
                bdf,
                what: "resizing a BAR without a Resizable BAR entry",
            })?;
        let cap = self.model.get_u32(ctrl - 4);
        let n = size.trailing_zeros().saturating_sub(20);
        let supported = (cap & PCI_REBAR_CAP_SIZES) >> 4;
        if !size.is_power_of_two() || size < (1 << 20) || n > 27 || supported & (1 << n) == 0 {
            return Err(HostError::Invalid {
                bdf,
                why: format!("BAR{index} does not support a size of {size:#x} bytes"),
            });
        }
        let Some(mut hb) = self.bars[usize::from(index)] else {
            return Err(HostError::Invalid {
                bdf,
                why: format!("BAR{index} is not implemented"),
            });
        };
        hb.bar.size = size;
        self.model
            .set_bar(BarId::Bar(index), hb.bar)
            .map_err(|e| HostError::Invalid {
                bdf,
                why: e.to_string(),
            })?;
        let v = self.model.get_u32(ctrl) & !PCI_REBAR_CTRL_BAR_SIZE;
        self.model
            .set_u32(ctrl, v | (n << PCI_REBAR_CTRL_BAR_SHIFT));
        // The host reassigns the resized BAR; the dump cannot say where.
        hb.address = 0;
        self.bars[usize::from(index)] = Some(hb);
        Ok(())
    }

    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        let caps = parse_capabilities(&self.image());
        let pm = caps
            .find(CapId::PowerManagement)
            .ok_or(HostError::Unsupported {
                bdf: self.bdf,
                what: "a power state change without a Power Management capability",
            })?;
        let at = pm.offset + PCI_PM_CTRL;
        let old = self.model.get_u16(at);
        let was_d3 = old & PCI_PM_CTRL_STATE_MASK == PCI_D3HOT;
        self.model
            .set_u16(at, (old & !PCI_PM_CTRL_STATE_MASK) | state.bits());
        // PCI PM 1.2 §5.4.1: D3hot to D0 without No_Soft_Reset resets the function.
        if was_d3 && state == PowerState::D0 && old & PCI_PM_CTRL_NO_SOFT_RESET == 0 {
            self.model.reset(&mut NoHandler);
        }
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_all_spellings() {
        assert_eq!(parse_size("256"), Some(256));
        assert_eq!(parse_size("128K"), Some(128 << 10));
        assert_eq!(parse_size("256M"), Some(256 << 20));
        assert_eq!(parse_size("16G"), Some(16 << 30));
        assert_eq!(parse_size("0x1000"), Some(0x1000));
        assert_eq!(parse_size("3K"), None);
        assert_eq!(parse_size("99999999999T"), None);
        let s = BarSizes::parse("# c\n09:00.0 bar0 256M\n1002:7300 rom 128K # x\n").unwrap();
        assert_eq!(s.get(Bdf::new(0, 9, 0, 0), (0, 0), 0), Some(256 << 20));
        assert_eq!(
            s.get(Bdf::new(0, 1, 0, 0), (0x1002, 0x7300), 6),
            Some(128 << 10)
        );
        let e = BarSizes::parse("09:00.0 bar7 1M").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(BarSizes::parse(KNOWN_BAR_SIZES).is_ok());
    }

    #[test]
    fn detail_lines_give_sizes() {
        let d = [
            "\tRegion 0: Memory at e0000000 (64-bit, prefetchable) [size=256M]",
            "\tRegion 4: I/O ports at e000 [size=256]",
            "\tExpansion ROM at fe840000 [disabled] [size=128K]",
        ]
        .map(String::from);
        let s = sizes_from_detail(&d);
        assert_eq!(s[0], Some(256 << 20));
        assert_eq!(s[4], Some(256));
        assert_eq!(s[6], Some(128 << 10));
        assert_eq!(s[1], None);
    }
}
