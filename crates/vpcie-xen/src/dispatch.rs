//! The seam between the IOREQ server and whatever emulates the accesses.
//!
//! The server validates each request (type, size, count, range) before it
//! calls these; an implementation sees only sizes 1, 2, 4 (8 for MMIO),
//! addresses inside the ranges it claimed, and PCI_CONFIG registers with
//! `reg + size <= 0x1000`. Values are right-aligned; the server masks them
//! to the access size.

use crate::abi::Sbdf;

/// Emulates the accesses an IOREQ server receives.
pub trait Dispatch {
    /// An I/O port read.
    fn pio_read(&mut self, port: u16, size: u8) -> u32;
    /// An I/O port write.
    fn pio_write(&mut self, port: u16, size: u8, value: u32);
    /// An MMIO read (ECAM, BARs).
    fn mmio_read(&mut self, addr: u64, size: u8) -> u64;
    /// An MMIO write.
    fn mmio_write(&mut self, addr: u64, size: u8, value: u64);
    /// A config read Xen decoded from CF8/CFC (or, in bus-0 mode, from ECAM).
    fn pci_config_read(&mut self, sbdf: Sbdf, reg: u16, size: u8) -> u32;
    /// A config write.
    fn pci_config_write(&mut self, sbdf: Sbdf, reg: u16, size: u8, value: u32);
    /// Asked after every request, before it completes: what the server must
    /// claim now, when the request changed it (bus-0 mode: the guest
    /// reprogrammed a bridge's bus numbers or moved PCIEXBAR).
    fn take_claim_update(&mut self) -> Option<ClaimUpdate> {
        None
    }
}

/// What a request changed in the server's claims.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimUpdate {
    /// Every range to claim from now on (`None`: unchanged).
    pub ranges: Option<Vec<crate::server::Range>>,
    /// The hypervisor-side ECAM decode from now on (`Some(None)`: off; `None`: unchanged).
    pub ecam: Option<Option<crate::transport::EcamDecode>>,
}

/// Where a config access goes once decoded: one segment's functions.
pub trait ConfigTarget {
    /// Reads `size` bytes at `reg` of bus/dev/fn; all-ones when nothing is there.
    fn config_read(&mut self, bus: u8, dev: u8, func: u8, reg: u16, size: u8) -> u32;
    /// Writes; ignored when nothing is there.
    fn config_write(&mut self, bus: u8, dev: u8, func: u8, reg: u16, size: u8, value: u32);
}

/// All-ones of an access size (what reading nothing returns); 0 for size 0, all 64 bits from 8 up.
pub fn all_ones(size: u8) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (u32::from(size) * 8)) - 1
    }
}

/// A segment served through its ECAM window (segment mode): decodes
/// `base + (bus << 20 | dev << 15 | fn << 12 | reg)` and hands the access to
/// a [`ConfigTarget`]. Port I/O and PCI_CONFIG are not expected in segment
/// mode (nothing claims them) and read as all-ones.
pub struct EcamDispatch<T> {
    /// First address of the window.
    pub base: u64,
    /// Its size in bytes (buses × 1 MiB).
    pub size: u64,
    /// The functions behind it.
    pub target: T,
}

impl<T: ConfigTarget> EcamDispatch<T> {
    fn decode(&self, addr: u64, size: u8) -> Option<(u8, u8, u8, u16)> {
        let off = addr.checked_sub(self.base)?;
        if off >= self.size || size > 4 {
            return None;
        }
        let reg = (off & 0xfff) as u16;
        if reg as usize + size as usize > 0x1000 {
            return None;
        }
        Some((
            (off >> 20) as u8,
            ((off >> 15) & 0x1f) as u8,
            ((off >> 12) & 7) as u8,
            reg,
        ))
    }
}

impl<T: ConfigTarget> Dispatch for EcamDispatch<T> {
    fn pio_read(&mut self, _port: u16, size: u8) -> u32 {
        all_ones(size) as u32
    }
    fn pio_write(&mut self, _port: u16, _size: u8, _value: u32) {}
    fn mmio_read(&mut self, addr: u64, size: u8) -> u64 {
        match self.decode(addr, size) {
            Some((b, d, f, reg)) => u64::from(self.target.config_read(b, d, f, reg, size)),
            None => all_ones(size),
        }
    }
    fn mmio_write(&mut self, addr: u64, size: u8, value: u64) {
        if let Some((b, d, f, reg)) = self.decode(addr, size) {
            self.target.config_write(b, d, f, reg, size, value as u32);
        }
    }
    fn pci_config_read(&mut self, sbdf: Sbdf, reg: u16, size: u8) -> u32 {
        self.target
            .config_read(sbdf.bus, sbdf.dev, sbdf.func, reg, size)
    }
    fn pci_config_write(&mut self, sbdf: Sbdf, reg: u16, size: u8, value: u32) {
        self.target
            .config_write(sbdf.bus, sbdf.dev, sbdf.func, reg, size, value)
    }
}
