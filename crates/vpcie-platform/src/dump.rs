//! Every function the guest reaches, as `lspci -xxxx` prints it.

use crate::platform::{Devfn, Platform};
use vpcie_config::lspci::{DumpAddress, DumpFunction};
use vpcie_config::regs::*;

/// Scans every bus number, device and function through the config-access
/// API, as an OS would, and returns each function found with its
/// configuration space: 4096 bytes where extended space answers (offset
/// 0x100 does not read all-ones, Linux's `pci_cfg_space_size_ext` test),
/// else 256.
pub fn lspci_functions(platform: &mut Platform) -> Vec<DumpFunction> {
    let mut out = Vec::new();
    for bus in 0..=255u8 {
        for devfn in 0..=255u8 {
            let (device, function) = (devfn >> 3, devfn & 7);
            if platform.config_read(bus, device, function, PCI_VENDOR_ID, 2) == 0xffff {
                continue;
            }
            let extended = platform.config_read(bus, device, function, 0x100, 4) != u32::MAX;
            let len: u16 = if extended { 4096 } else { 256 };
            let mut config = Vec::with_capacity(usize::from(len));
            for off in (0..len).step_by(4) {
                config.extend_from_slice(
                    &platform
                        .config_read(bus, device, function, off, 4)
                        .to_le_bytes(),
                );
            }
            let title = platform
                .function_at(bus, Devfn(devfn))
                .map(|id| platform.describe(id))
                .unwrap_or_default();
            let address = DumpAddress {
                domain: None,
                bus,
                device,
                function,
            };
            out.push(DumpFunction::new(address, title, &config));
        }
    }
    out
}
