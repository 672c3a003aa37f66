//! BAR emulation: the sizing protocol and decode tracking.
//!
//! A BAR's address bits below its size are read-only zero, so the guest's
//! sizing write of all-ones reads back as the size mask (PCI Local Bus 3.0
//! §6.2.5.1) with no special case on the read path. The type bits are
//! read-only. After a guest write to a BAR or to the Command register the
//! engine recomputes each BAR's decoded address and reports every change
//! through [`ConfigHandler::on_bar_change`].
//!
//! A BAR decodes when its space is enabled in Command (and, for the
//! expansion ROM, its enable bit is set), its address is not 0 and the
//! range does not run past the top of its address space — the state a BAR
//! is in while being sized. This follows QEMU's `pci_bar_address`.

use crate::regs::*;
use crate::space::{ALL_BARS, BitPolicy, ConfigHandler, ConfigSpace};

/// What kind of space a BAR decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BarKind {
    /// I/O space.
    Io,
    /// 32-bit memory space.
    Memory32,
    /// 64-bit memory space (the BAR uses two registers).
    Memory64,
    /// The expansion ROM (32-bit memory, with an enable bit).
    Rom,
}

/// A BAR as the device implements it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bar {
    /// Space decoded.
    pub kind: BarKind,
    /// Prefetchable (memory BARs only).
    pub prefetchable: bool,
    /// Size in bytes, a power of two.
    pub size: u64,
}

impl Bar {
    /// An I/O BAR of `size` bytes.
    pub const fn io(size: u64) -> Self {
        Bar {
            kind: BarKind::Io,
            prefetchable: false,
            size,
        }
    }

    /// A 32-bit memory BAR of `size` bytes.
    pub const fn memory32(size: u64, prefetchable: bool) -> Self {
        Bar {
            kind: BarKind::Memory32,
            prefetchable,
            size,
        }
    }

    /// A 64-bit memory BAR of `size` bytes.
    pub const fn memory64(size: u64, prefetchable: bool) -> Self {
        Bar {
            kind: BarKind::Memory64,
            prefetchable,
            size,
        }
    }

    /// An expansion ROM of `size` bytes.
    pub const fn rom(size: u64) -> Self {
        Bar {
            kind: BarKind::Rom,
            prefetchable: false,
            size,
        }
    }

    /// The read-only low bits of the BAR register (type and prefetch flags).
    pub fn flags(&self) -> u32 {
        match self.kind {
            BarKind::Io => PCI_BASE_ADDRESS_SPACE_IO,
            BarKind::Memory32 | BarKind::Memory64 => {
                let t = if self.kind == BarKind::Memory64 {
                    PCI_BASE_ADDRESS_MEM_TYPE_64
                } else {
                    PCI_BASE_ADDRESS_MEM_TYPE_32
                };
                t | if self.prefetchable {
                    PCI_BASE_ADDRESS_MEM_PREFETCH
                } else {
                    0
                }
            }
            BarKind::Rom => 0,
        }
    }

    /// Decodes a BAR from the low dword of its register (type bits) and a size.
    pub fn from_register(low: u32, size: u64) -> Self {
        if low & PCI_BASE_ADDRESS_SPACE_IO != 0 {
            Bar::io(size)
        } else {
            let prefetchable = low & PCI_BASE_ADDRESS_MEM_PREFETCH != 0;
            if low & PCI_BASE_ADDRESS_MEM_TYPE_MASK == PCI_BASE_ADDRESS_MEM_TYPE_64 {
                Bar::memory64(size, prefetchable)
            } else {
                Bar::memory32(size, prefetchable)
            }
        }
    }

    fn min_size(&self) -> u64 {
        match self.kind {
            BarKind::Io => 4,
            BarKind::Memory32 | BarKind::Memory64 => 16,
            BarKind::Rom => 2048,
        }
    }

    fn max_size(&self) -> u64 {
        match self.kind {
            // x86 I/O space is 64 KiB.
            BarKind::Io => 1 << 16,
            BarKind::Memory32 | BarKind::Rom => 1 << 31,
            BarKind::Memory64 => 1 << 63,
        }
    }

    /// The bits of the address a guest may write (above the size).
    fn address_mask(&self) -> u64 {
        let base = match self.kind {
            BarKind::Io => u64::from(PCI_BASE_ADDRESS_IO_MASK),
            BarKind::Memory32 => u64::from(PCI_BASE_ADDRESS_MEM_MASK),
            BarKind::Memory64 => !0x0f,
            BarKind::Rom => u64::from(PCI_ROM_ADDRESS_MASK),
        };
        base & !(self.size - 1)
    }
}

/// Which BAR: 0–5, or the expansion ROM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BarId {
    /// Base Address Register 0–5 (0–1 in a Type 1 header).
    Bar(u8),
    /// The expansion ROM base address register.
    Rom,
}

impl BarId {
    fn slot(self) -> usize {
        match self {
            BarId::Bar(i) => usize::from(i),
            BarId::Rom => 6,
        }
    }

    fn from_slot(slot: usize) -> Self {
        if slot == 6 {
            BarId::Rom
        } else {
            BarId::Bar(slot as u8)
        }
    }
}

impl std::fmt::Display for BarId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BarId::Bar(i) => write!(f, "BAR{i}"),
            BarId::Rom => f.write_str("expansion ROM"),
        }
    }
}

/// A change of a BAR's decoded address: moved, enabled or disabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarChange {
    /// Which BAR.
    pub bar: BarId,
    /// The BAR as implemented.
    pub info: Bar,
    /// Decoded address before the write (`None`: not decoding).
    pub old: Option<u64>,
    /// Decoded address after the write (`None`: not decoding).
    pub new: Option<u64>,
}

/// A BAR implemented by a function, with its register offset and decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BarSlot {
    pub(crate) bar: Bar,
    pub(crate) offset: u16,
    pub(crate) decoded: Option<u64>,
}

/// Why a BAR could not be declared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarError {
    /// The header type has no such BAR.
    #[error("{bar} does not exist in a header of type {header_type}")]
    NoSuchBar {
        /// The BAR asked for.
        bar: BarId,
        /// Header type of the function.
        header_type: u8,
    },
    /// The size is not a power of two in the range the kind allows.
    #[error(
        "{bar}: size {size:#x} is not a power of two between {min:#x} and {max:#x} for a {kind:?} BAR"
    )]
    BadSize {
        /// The BAR.
        bar: BarId,
        /// Kind of BAR.
        kind: BarKind,
        /// Requested size.
        size: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// The kind does not fit the register (ROM in a BAR or the reverse, 64-bit in the last BAR).
    #[error("{bar}: a {kind:?} BAR does not fit there")]
    BadKind {
        /// The BAR.
        bar: BarId,
        /// Kind asked for.
        kind: BarKind,
    },
    /// The register is already used (e.g. by the upper half of a 64-bit BAR).
    #[error("{bar} is already the upper half of a 64-bit BAR")]
    Taken {
        /// The BAR.
        bar: BarId,
    },
}

impl ConfigSpace {
    /// Declares a BAR: its type bits become read-only, its address bits
    /// below the size read as 0, the rest are guest-writable and emulated,
    /// and writes to it (and to Command) are watched for decode changes.
    ///
    /// Call after the header type byte is set: it decides how many BARs
    /// exist and where the expansion ROM register lies.
    pub fn set_bar(&mut self, id: BarId, bar: Bar) -> Result<(), BarError> {
        let header_type = self.get_u8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
        let (count, rom_offset) = match header_type {
            PCI_HEADER_TYPE_NORMAL => (PCI_STD_NUM_BARS, PCI_ROM_ADDRESS),
            PCI_HEADER_TYPE_BRIDGE => (PCI_BRIDGE_NUM_BARS, PCI_ROM_ADDRESS1),
            _ => {
                return Err(BarError::NoSuchBar {
                    bar: id,
                    header_type,
                });
            }
        };
        let offset = match id {
            BarId::Bar(i) if usize::from(i) < count => PCI_BASE_ADDRESS_0 + 4 * u16::from(i),
            BarId::Rom => rom_offset,
            BarId::Bar(_) => {
                return Err(BarError::NoSuchBar {
                    bar: id,
                    header_type,
                });
            }
        };
        let is_rom_slot = id == BarId::Rom;
        if (bar.kind == BarKind::Rom) != is_rom_slot {
            return Err(BarError::BadKind {
                bar: id,
                kind: bar.kind,
            });
        }
        if bar.kind == BarKind::Memory64 {
            if let BarId::Bar(i) = id {
                if usize::from(i) + 1 >= count {
                    return Err(BarError::BadKind {
                        bar: id,
                        kind: bar.kind,
                    });
                }
            }
        }
        if !bar.size.is_power_of_two() || bar.size < bar.min_size() || bar.size > bar.max_size() {
            return Err(BarError::BadSize {
                bar: id,
                kind: bar.kind,
                size: bar.size,
                min: bar.min_size(),
                max: bar.max_size(),
            });
        }
        if let BarId::Bar(i) = id {
            if i > 0 && self.is_upper_half(usize::from(i)) {
                return Err(BarError::Taken { bar: id });
            }
        }
        // Clear a 64-bit BAR this one replaces (and its upper half).
        self.clear_bar(id);

        let mask = bar.address_mask();
        let writable_low = mask as u32
            | if bar.kind == BarKind::Rom {
                PCI_ROM_ADDRESS_ENABLE
            } else {
                0
            };
        self.set_policy(
            offset,
            4,
            BitPolicy {
                writable: writable_low,
                ..BitPolicy::READ_ONLY
            },
        );
        self.set_u32(offset, bar.flags());
        if bar.kind == BarKind::Memory64 {
            self.set_policy(
                offset + 4,
                4,
                BitPolicy {
                    writable: (mask >> 32) as u32,
                    ..BitPolicy::READ_ONLY
                },
            );
            self.set_u32(offset + 4, 0);
        }
        self.watch_bars(
            PCI_COMMAND,
            u32::from(PCI_COMMAND_IO | PCI_COMMAND_MEMORY),
            ALL_BARS,
        );
        self.bars[id.slot()] = Some(BarSlot {
            bar,
            offset,
            decoded: None,
        });
        // Arms the watch on the BAR's registers if its space is enabled.
        self.update_bar_decoding(id.slot() as u8 + 1, &mut crate::NoHandler);
        Ok(())
    }

    /// Removes a BAR: its register reads 0 and ignores writes.
    pub fn clear_bar(&mut self, id: BarId) {
        let slot = id.slot();
        if let Some(old) = self.bars.get_mut(slot).and_then(Option::take) {
            let dwords = if old.bar.kind == BarKind::Memory64 {
                2
            } else {
                1
            };
            for i in 0..dwords {
                let offset = old.offset + 4 * i;
                self.set_policy(offset, 4, BitPolicy::READ_ONLY);
                self.set_u32(offset, 0);
                self.watch_bars(offset, 0, 0);
            }
        }
    }

    fn is_upper_half(&self, slot: usize) -> bool {
        slot > 0
            && matches!(self.bars[slot - 1], Some(s) if s.bar.kind == BarKind::Memory64 && slot < 6)
    }

    /// The BAR declared at `id`, if any.
    pub fn bar(&self, id: BarId) -> Option<Bar> {
        self.bars.get(id.slot()).copied().flatten().map(|s| s.bar)
    }

    /// All declared BARs, in register order.
    pub fn bars(&self) -> impl Iterator<Item = (BarId, Bar)> + '_ {
        self.bars
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (BarId::from_slot(i), s.bar)))
    }

    /// The address the BAR holds now (type bits masked), decoding or not.
    pub fn bar_address(&self, id: BarId) -> Option<u64> {
        let slot = self.bars.get(id.slot()).copied().flatten()?;
        Some(self.raw_bar_address(&slot))
    }

    /// The address the BAR decodes at now, or `None` if it does not decode.
    pub fn bar_decoded(&self, id: BarId) -> Option<u64> {
        self.bars
            .get(id.slot())
            .copied()
            .flatten()
            .and_then(|s| s.decoded)
    }

    fn raw_bar_address(&self, slot: &BarSlot) -> u64 {
        let low = u64::from(self.get_u32(slot.offset));
        let high = if slot.bar.kind == BarKind::Memory64 {
            u64::from(self.get_u32(slot.offset + 4))
        } else {
            0
        };
        ((high << 32) | low) & slot.bar.address_mask()
    }

    /// Whether Command enables the space this BAR decodes.
    fn space_enabled(bar: &Bar, command: u16) -> bool {
        let bit = match bar.kind {
            BarKind::Io => PCI_COMMAND_IO,
            _ => PCI_COMMAND_MEMORY,
        };
        command & bit != 0
    }

    fn decode(&self, slot: &BarSlot, command: u16) -> Option<u64> {
        let enabled = Self::space_enabled(&slot.bar, command)
            && (slot.bar.kind != BarKind::Rom
                || self.get_u32(slot.offset) & PCI_ROM_ADDRESS_ENABLE != 0);
        if !enabled {
            return None;
        }
        let addr = self.raw_bar_address(slot);
        let last = addr.checked_add(slot.bar.size - 1)?;
        let limit = if slot.bar.kind == BarKind::Memory64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        // Address 0 and ranges touching the top are what sizing leaves behind.
        (addr != 0 && last < limit).then_some(addr)
    }

    /// Recomputes the decoding of BAR slot `bar - 1` (or of all BARs for
    /// [`ALL_BARS`]); reports changes to `h`.
    pub(crate) fn update_bar_decoding<H: ConfigHandler + ?Sized>(&mut self, bar: u8, h: &mut H) {
        let command = self.get_u16(PCI_COMMAND);
        let slots = match bar {
            ALL_BARS => 0..self.bars.len(),
            b => {
                let s = usize::from(b.saturating_sub(1)).min(self.bars.len() - 1);
                s..s + 1
            }
        };
        for i in slots {
            let Some(slot) = self.bars[i] else { continue };
            // While its space is disabled a BAR cannot decode, whatever is
            // written to it: unwatched, sizing costs no more than any write.
            let watch = if Self::space_enabled(&slot.bar, command) {
                slot.bar.address_mask()
                    | if slot.bar.kind == BarKind::Rom {
                        u64::from(PCI_ROM_ADDRESS_ENABLE)
                    } else {
                        0
                    }
            } else {
                0
            };
            self.watch_bars(slot.offset, watch as u32, i as u8 + 1);
            if slot.bar.kind == BarKind::Memory64 {
                self.watch_bars(slot.offset + 4, (watch >> 32) as u32, i as u8 + 1);
            }
            let new = self.decode(&slot, command);
            if new != slot.decoded {
                if let Some(s) = self.bars[i].as_mut() {
                    s.decoded = new;
                }
                let change = BarChange {
                    bar: BarId::from_slot(i),
                    info: slot.bar,
                    old: slot.decoded,
                    new,
                };
                h.on_bar_change(self, change);
            }
        }
    }
}
