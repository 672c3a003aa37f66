//! The virtual MSI and MSI-X state a guest programs, for the interrupt path.
//!
//! The guest's message addresses and data never reach the host: the device
//! keeps whatever the hypervisor programs on its behalf (for Xen, a pirq
//! bound with `PHYSDEVOP_map_pirq`), and the interrupt path injects the
//! guest's vector when the host interrupt fires.
//!
//! MSI lives in configuration space ([`MsiState`], read from the image).
//! MSI-X lives in BAR memory: [`MsixTable`] models the table and the
//! pending-bit array the guest sees there. The front end traps the pages
//! that hold them ([`MsixTable::table_range`], [`MsixTable::pba_range`]) and
//! passes those accesses to [`MsixTable::mmio_read`] and
//! [`MsixTable::mmio_write`]; everything else in the BAR is mapped straight
//! to the device. What a later injection path needs per vector is here:
//! address, data, the vector's mask bit, the function mask and enable, and a
//! pending bit to set while a vector is masked and to deliver on unmask
//! (PCI 3.0 §6.8.3.4).

use crate::spec::*;
use vpcie_config::regs::*;

/// The guest's MSI programming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MsiState {
    /// MSI Enable.
    pub enabled: bool,
    /// Vectors enabled (1, 2, 4 ... 32, from Multiple Message Enable).
    pub vectors: u8,
    /// Message address.
    pub address: u64,
    /// Message data.
    pub data: u16,
    /// Per-vector mask bits (0 without per-vector masking).
    pub mask: u32,
}

/// The registers of an MSI capability, by Message Control flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsiLayout {
    /// Capability offset.
    pub base: u16,
    /// 64-bit address.
    pub is64: bool,
    /// Per-vector masking.
    pub maskable: bool,
}

impl MsiLayout {
    /// The layout for a capability at `base` with Message Control `flags`.
    pub fn new(base: u16, flags: u16) -> Self {
        MsiLayout {
            base,
            is64: flags & PCI_MSI_FLAGS_64BIT != 0,
            maskable: flags & PCI_MSI_FLAGS_MASKBIT != 0,
        }
    }

    /// Reads the state from an image accessor (`get(offset, size)`).
    pub fn state(&self, get: impl Fn(u16, u8) -> u32) -> MsiState {
        let ctrl = get(self.base + PCI_MSI_FLAGS, 2) as u16;
        let lo = u64::from(get(self.base + PCI_MSI_ADDRESS_LO, 4));
        let (hi, data, mask) = if self.is64 {
            (
                u64::from(get(self.base + PCI_MSI_ADDRESS_HI, 4)),
                self.base + PCI_MSI_DATA_64,
                self.base + PCI_MSI_MASK_64,
            )
        } else {
            (0, self.base + PCI_MSI_DATA_32, self.base + PCI_MSI_MASK_32)
        };
        MsiState {
            enabled: ctrl & PCI_MSI_FLAGS_ENABLE != 0,
            vectors: 1 << ((ctrl & PCI_MSI_FLAGS_QSIZE) >> 4).min(5),
            address: (hi << 32) | lo,
            data: get(data, 2) as u16,
            mask: if self.maskable { get(mask, 4) } else { 0 },
        }
    }
}

/// One MSI-X table entry as the guest programmed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MsixEntry {
    /// Message address.
    pub address: u64,
    /// Message data.
    pub data: u32,
    /// Vector Control mask bit.
    pub masked: bool,
}

/// A trapped range of BAR memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarRange {
    /// BAR index (0–5).
    pub bar: u8,
    /// Offset in the BAR.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

impl BarRange {
    fn contains(&self, bar: u8, offset: u64, size: u64) -> bool {
        bar == self.bar
            && offset >= self.offset
            && offset
                .checked_add(size)
                .is_some_and(|end| end <= self.offset + self.len)
    }
}

/// What an MSI-X table write changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsixChange {
    /// Entry index.
    pub index: u16,
    /// The entry after the write.
    pub entry: MsixEntry,
}

/// The guest's MSI-X table and pending bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsixTable {
    table: BarRange,
    pba: BarRange,
    /// Four dwords per entry: address low, address high, data, vector control.
    entries: Vec<[u32; 4]>,
    pending: Vec<u64>,
    /// MSI-X Enable.
    pub enabled: bool,
    /// Function Mask.
    pub function_masked: bool,
}

impl MsixTable {
    /// A table from the capability's Message Control and Table/PBA registers,
    /// every vector masked as after reset (PCI 3.0 §6.8.2.9).
    pub fn new(control: u16, table: u32, pba: u32) -> Self {
        let n = usize::from(control & PCI_MSIX_FLAGS_QSIZE) + 1;
        let mut entries = vec![[0u32; 4]; n];
        for e in &mut entries {
            e[3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
        }
        MsixTable {
            table: BarRange {
                bar: (table & PCI_MSIX_TABLE_BIR) as u8,
                offset: u64::from(table & PCI_MSIX_TABLE_OFFSET),
                len: n as u64 * PCI_MSIX_ENTRY_SIZE,
            },
            pba: BarRange {
                bar: (pba & PCI_MSIX_PBA_BIR) as u8,
                offset: u64::from(pba & PCI_MSIX_PBA_OFFSET),
                len: n.div_ceil(64) as u64 * 8,
            },
            entries,
            pending: vec![0; n.div_ceil(64)],
            enabled: false,
            function_masked: false,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> u16 {
        self.entries.len() as u16
    }

    /// Whether the table has no entries (never: MSI-X has at least one).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where the table lies in BAR memory.
    pub fn table_range(&self) -> BarRange {
        self.table
    }

    /// Where the pending-bit array lies in BAR memory.
    pub fn pba_range(&self) -> BarRange {
        self.pba
    }

    /// Entry `index` as the guest programmed it.
    pub fn entry(&self, index: u16) -> Option<MsixEntry> {
        self.entries.get(usize::from(index)).map(|e| MsixEntry {
            address: u64::from(e[0]) | (u64::from(e[1]) << 32),
            data: e[2],
            masked: e[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT != 0,
        })
    }

    /// Whether vector `index` may deliver now (enabled, not masked).
    pub fn deliverable(&self, index: u16) -> bool {
        self.enabled && !self.function_masked && self.entry(index).is_some_and(|e| !e.masked)
    }

    /// Sets or clears the pending bit of vector `index` (the interrupt path
    /// sets it when the vector fires masked).
    pub fn set_pending(&mut self, index: u16, pending: bool) {
        let i = usize::from(index);
        if let Some(word) = self.pending.get_mut(i / 64) {
            if pending {
                *word |= 1 << (i % 64);
            } else {
                *word &= !(1 << (i % 64));
            }
        }
    }

    /// Whether vector `index` is pending.
    pub fn pending(&self, index: u16) -> bool {
        let i = usize::from(index);
        self.pending
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// A guest read of `size` (4 or 8) bytes at `offset` of BAR `bar`;
    /// `None` when the access is not in the table or the PBA. Misaligned
    /// accesses read all ones (PCI 3.0 §6.8.2: software uses aligned
    /// dword or qword accesses).
    pub fn mmio_read(&self, bar: u8, offset: u64, size: u8) -> Option<u64> {
        let len = u64::from(size);
        let aligned = matches!(size, 4 | 8) && offset % len == 0;
        if self.table.contains(bar, offset, len.max(1)) {
            if !aligned {
                return Some(u64::MAX >> (64 - 8 * len.clamp(1, 8)));
            }
            let rel = offset - self.table.offset;
            let mut out = 0u64;
            for i in 0..len / 4 {
                let at = rel + 4 * i;
                let e = &self.entries[(at / PCI_MSIX_ENTRY_SIZE) as usize];
                out |= u64::from(e[((at % PCI_MSIX_ENTRY_SIZE) / 4) as usize]) << (32 * i);
            }
            return Some(out);
        }
        if self.pba.contains(bar, offset, len.max(1)) {
            if !aligned {
                return Some(u64::MAX >> (64 - 8 * len.clamp(1, 8)));
            }
            let rel = offset - self.pba.offset;
            let word = self.pending[(rel / 8) as usize];
            return Some(if size == 8 {
                word
            } else {
                (word >> (8 * (rel % 8))) & 0xffff_ffff
            });
        }
        None
    }

    /// A guest write of `size` (4 or 8) bytes at `offset` of BAR `bar`.
    /// Returns `None` when the access is not in the table (the PBA is
    /// read-only; writes there are dropped and also return `None`), else
    /// the entry it changed. Misaligned writes are dropped.
    pub fn mmio_write(&mut self, bar: u8, offset: u64, size: u8, value: u64) -> Option<MsixChange> {
        let len = u64::from(size);
        if !self.table.contains(bar, offset, len.max(1))
            || !matches!(size, 4 | 8)
            || offset % len != 0
        {
            return None;
        }
        let rel = offset - self.table.offset;
        let index = (rel / PCI_MSIX_ENTRY_SIZE) as usize;
        for i in 0..len / 4 {
            let at = rel + 4 * i;
            let word = ((at % PCI_MSIX_ENTRY_SIZE) / 4) as usize;
            let v = (value >> (32 * i)) as u32;
            let e = &mut self.entries[(at / PCI_MSIX_ENTRY_SIZE) as usize];
            e[word] = match at % PCI_MSIX_ENTRY_SIZE {
                // Message address is dword aligned: bits 1:0 read 0.
                PCI_MSIX_ENTRY_LOWER_ADDR => v & !3,
                PCI_MSIX_ENTRY_UPPER_ADDR | PCI_MSIX_ENTRY_DATA => v,
                // Only the mask bit of Vector Control is defined.
                _ => v & PCI_MSIX_ENTRY_CTRL_MASKBIT,
            };
        }
        let _ = PCI_MSIX_ENTRY_VECTOR_CTRL;
        Some(MsixChange {
            index: index as u16,
            entry: self.entry(index as u16)?,
        })
    }

    /// Back to the reset state: every vector masked, nothing pending.
    pub fn reset(&mut self) {
        for e in &mut self.entries {
            *e = [0, 0, 0, PCI_MSIX_ENTRY_CTRL_MASKBIT];
        }
        self.pending.fill(0);
        self.enabled = false;
        self.function_masked = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trip_and_bounds() {
        // 5 entries, table in BAR0 at 0x8000, PBA at 0x48000.
        let mut t = MsixTable::new(4, 0x8000, 0x48000);
        assert_eq!(t.len(), 5);
        assert_eq!(
            t.mmio_read(0, 0x8000 + 12, 4),
            Some(1),
            "masked after reset"
        );
        let c = t.mmio_write(0, 0x8000 + 16, 8, 0x1234_fee0_0004).unwrap();
        assert_eq!(c.index, 1);
        assert_eq!(c.entry.address, 0x1234_fee0_0004);
        t.mmio_write(0, 0x8000 + 16 + 12, 4, 0xffff_fffe).unwrap();
        assert!(!t.entry(1).unwrap().masked);
        assert_eq!(t.mmio_read(0, 0x8000 + 5 * 16, 4), None, "past the table");
        assert_eq!(t.mmio_read(1, 0x8000, 4), None, "other BAR");
        assert_eq!(t.mmio_read(0, 0x8001, 4), Some(0xffff_ffff), "misaligned");
        assert!(t.mmio_write(0, 0x8002, 4, 0).is_none());
        t.set_pending(3, true);
        assert_eq!(t.mmio_read(0, 0x48000, 8), Some(8));
        assert!(t.mmio_write(0, 0x48000, 8, 0).is_none());
        assert!(t.pending(3));
    }
}
