//! A minimal firmware stand-in: depth-first bus numbering through the
//! platform's own config-access API, as SeaBIOS and hvmloader do it. It
//! exists so that `vpcie dump` shows the tree before the firmware crate
//! does this job (and more); it programs nothing but bus numbers.

use crate::platform::Platform;
use vpcie_config::regs::*;

/// Numbers every bus below bus 0 depth-first in device order: each bridge
/// gets primary = its bus, secondary = the next free number, subordinate =
/// the last number used below it (exact, no spares). Returns the highest
/// bus number assigned.
pub fn assign_bus_numbers(platform: &mut Platform) -> u8 {
    let mut next = 0u8;
    number_bus(platform, 0, &mut next);
    next
}

/// Numbers the buses below `bus`; `next` is the last number used.
fn number_bus(p: &mut Platform, bus: u8, next: &mut u8) {
    for device in 0..32u8 {
        for function in 0..8u8 {
            let vendor = p.config_read(bus, device, function, PCI_VENDOR_ID, 2);
            if vendor == 0xffff {
                if function == 0 {
                    break;
                }
                continue;
            }
            let header = p.config_read(bus, device, function, PCI_HEADER_TYPE, 1) as u8;
            if header & PCI_HEADER_TYPE_MASK == PCI_HEADER_TYPE_BRIDGE && *next < u8::MAX {
                *next += 1;
                let secondary = *next;
                p.config_write(bus, device, function, PCI_PRIMARY_BUS, 1, bus.into());
                p.config_write(
                    bus,
                    device,
                    function,
                    PCI_SECONDARY_BUS,
                    1,
                    secondary.into(),
                );
                // Open the range while scanning below, then close it exactly.
                p.config_write(bus, device, function, PCI_SUBORDINATE_BUS, 1, 0xff);
                // Recursion depth is bounded: each level uses a new bus number.
                number_bus(p, secondary, next);
                p.config_write(
                    bus,
                    device,
                    function,
                    PCI_SUBORDINATE_BUS,
                    1,
                    u32::from(*next),
                );
            }
            if function == 0 && header & PCI_HEADER_TYPE_MFD == 0 {
                break;
            }
        }
    }
}
