//! The Xen IOREQ server in front of the whole platform (bus-0 mode, as the
//! simulated hypervisor delivers it): port I/O to CF8/CFC, ECAM MMIO and
//! `PCI_CONFIG` requests all reach [`Platform`].

use vpcie_platform::Platform;
use vpcie_xen::Dispatch;
use vpcie_xen::abi::Sbdf;
use vpcie_xen::dispatch::all_ones;

/// [`Dispatch`] onto a [`Platform`].
pub struct PlatformDispatch<'a> {
    /// The platform behind.
    pub platform: &'a mut Platform,
}

impl Dispatch for PlatformDispatch<'_> {
    fn pio_read(&mut self, port: u16, size: u8) -> u32 {
        self.platform
            .pio_read(port, size)
            .unwrap_or(all_ones(size) as u32)
    }

    fn pio_write(&mut self, port: u16, size: u8, value: u32) {
        self.platform.pio_write(port, size, value);
    }

    fn mmio_read(&mut self, addr: u64, size: u8) -> u64 {
        if size == 8 {
            // A qword ECAM access is two dword accesses, low first (as Q35 splits it).
            let lo = self.platform.mmio_read(addr, 4).unwrap_or(u32::MAX);
            let hi = match addr.checked_add(4) {
                Some(a) => self.platform.mmio_read(a, 4).unwrap_or(u32::MAX),
                None => u32::MAX,
            };
            return u64::from(lo) | u64::from(hi) << 32;
        }
        self.platform
            .mmio_read(addr, size)
            .map_or(all_ones(size), u64::from)
    }

    fn mmio_write(&mut self, addr: u64, size: u8, value: u64) {
        if size == 8 {
            self.platform.mmio_write(addr, 4, value as u32);
            if let Some(a) = addr.checked_add(4) {
                self.platform.mmio_write(a, 4, (value >> 32) as u32);
            }
            return;
        }
        self.platform.mmio_write(addr, size, value as u32);
    }

    fn pci_config_read(&mut self, sbdf: Sbdf, reg: u16, size: u8) -> u32 {
        if sbdf.seg != 0 {
            return all_ones(size) as u32;
        }
        self.platform
            .config_read(sbdf.bus, sbdf.dev, sbdf.func, reg, size)
    }

    fn pci_config_write(&mut self, sbdf: Sbdf, reg: u16, size: u8, value: u32) {
        if sbdf.seg == 0 {
            self.platform
                .config_write(sbdf.bus, sbdf.dev, sbdf.func, reg, size, value);
        }
    }
}
