//! Standard header policy tables (Type 0 and Type 1).
//!
//! Source column conventions: "PCI 3.0" = PCI Local Bus 3.0 §6.2; "PPB 1.2"
//! = PCI-to-PCI Bridge Architecture 1.2 §3.2; "PCIe" = PCIe r6.x §7.5.1;
//! "QEMU" = `hw/pci/pci.c` `pci_init_wmask`/`pci_init_w1cmask`/
//! `pci_init_mask_bridge`. Registers not listed read 0 and ignore writes.

use vpcie_config::Reg;
use vpcie_config::RegTable;
use vpcie_config::regs::*;

/// Status bits that are RW1C in every function (PCIe §7.5.1.1.4): Master
/// Data Parity Error, Signaled/Received Target Abort, Received Master Abort,
/// Signaled System Error, Detected Parity Error.
pub const STATUS_W1C: u32 = PCI_STATUS_ERROR_BITS as u32;

/// Command bits a PCI Express function implements (PCIe §7.5.1.1.3): I/O,
/// Memory, Bus Master, Parity Error Response, SERR# Enable, Interrupt Disable.
pub const COMMAND_PCIE: u32 = (PCI_COMMAND_IO
    | PCI_COMMAND_MEMORY
    | PCI_COMMAND_MASTER
    | PCI_COMMAND_PARITY
    | PCI_COMMAND_SERR
    | PCI_COMMAND_INTX_DISABLE) as u32;

/// Command bits QEMU lets the guest write on its chipset functions (no
/// Parity Error Response).
pub const COMMAND_QEMU: u32 = (PCI_COMMAND_IO
    | PCI_COMMAND_MEMORY
    | PCI_COMMAND_MASTER
    | PCI_COMMAND_SERR
    | PCI_COMMAND_INTX_DISABLE) as u32;

/// Type 0 header of the Q35 chipset functions (MCH, LPC): QEMU's masks.
pub const TYPE0_CHIPSET: RegTable = &[
    //        offset size name                      writable / w1c        source
    Reg::emulated(0x00, 2, "Vendor ID"),
    Reg::emulated(0x02, 2, "Device ID"),
    Reg::emulated(0x04, 2, "Command").writable(COMMAND_QEMU), // QEMU
    Reg::emulated(0x06, 2, "Status").w1c(STATUS_W1C),         // QEMU, PCI 3.0
    Reg::emulated(0x08, 4, "Revision ID / Class Code"),
    Reg::emulated(0x0c, 1, "Cache Line Size").writable(0xff), // QEMU
    Reg::emulated(0x0d, 1, "Latency Timer"),
    Reg::emulated(0x0e, 1, "Header Type"),
    Reg::emulated(0x2c, 2, "Subsystem Vendor ID"),
    Reg::emulated(0x2e, 2, "Subsystem ID"),
    Reg::emulated(0x34, 1, "Capabilities Pointer"),
    Reg::emulated(0x3c, 1, "Interrupt Line").writable(0xff), // PCI 3.0
    Reg::emulated(0x3d, 1, "Interrupt Pin"),
];

/// Type 0 header of an emulated PCI Express (or PCI) endpoint.
pub const TYPE0_ENDPOINT: RegTable = &[
    Reg::emulated(0x00, 2, "Vendor ID"),
    Reg::emulated(0x02, 2, "Device ID"),
    Reg::emulated(0x04, 2, "Command").writable(COMMAND_PCIE), // PCIe §7.5.1.1.3
    Reg::emulated(0x06, 2, "Status").w1c(STATUS_W1C),         // PCIe §7.5.1.1.4
    Reg::emulated(0x08, 4, "Revision ID / Class Code"),
    Reg::emulated(0x0c, 1, "Cache Line Size").writable(0xff), // PCIe §7.5.1.1.7: RW, no effect
    Reg::emulated(0x0d, 1, "Latency Timer"),                  // PCIe: RO 0
    Reg::emulated(0x0e, 1, "Header Type"),
    Reg::emulated(0x2c, 2, "Subsystem Vendor ID"),
    Reg::emulated(0x2e, 2, "Subsystem ID"),
    Reg::emulated(0x34, 1, "Capabilities Pointer"),
    Reg::emulated(0x3c, 1, "Interrupt Line").writable(0xff),
    Reg::emulated(0x3d, 1, "Interrupt Pin"),
];

/// I/O Base after reset: 32-bit I/O type, base above limit (closed, as
/// QEMU's `pci_bridge_disable_base_limit` leaves it).
pub const IO_BASE_RESET: u32 = 0xf0 | PCI_IO_RANGE_TYPE_32 as u32;
/// Memory Base after reset: above the limit (closed).
pub const MEMORY_BASE_RESET: u32 = 0xfff0;
/// Prefetchable Base after reset: 64-bit type, closed.
pub const PREF_BASE_RESET: u32 = 0xfff0 | PCI_PREF_RANGE_TYPE_64 as u32;

/// Bridge Control bits of a PCI Express port (PCIe §7.5.1.3.13): Parity
/// Error Response, SERR# Enable, ISA, VGA, VGA 16-bit, Secondary Bus Reset;
/// Master Abort Mode, Fast Back-to-Back and the discard timers are RO 0.
pub const BRIDGE_CONTROL_PCIE: u32 = (PCI_BRIDGE_CTL_PARITY
    | PCI_BRIDGE_CTL_SERR
    | PCI_BRIDGE_CTL_ISA
    | PCI_BRIDGE_CTL_VGA
    | PCI_BRIDGE_CTL_VGA_16BIT
    | PCI_BRIDGE_CTL_BUS_RESET) as u32;

/// Bridge Control of a PCIe-to-PCI bridge (PCIe-to-PCI/PCI-X Bridge 1.0
/// §5.1.2.11): adds Master Abort Mode, Secondary Discard Timeout and
/// Discard Timer SERR# Enable; Discard Timer Status is RW1C.
pub const BRIDGE_CONTROL_PCI: u32 =
    BRIDGE_CONTROL_PCIE | PCI_BRIDGE_CTL_MASTER_ABORT as u32 | 0x0a00;

/// Type 1 header of a PCI Express Root Port or switch port. Command carries
/// hook `irq`: Bus Master Enable and INTx Disable gate a port's interrupt.
pub const TYPE1_PCIE_PORT: RegTable = &[
    //        offset size name                           source
    Reg::emulated(0x00, 2, "Vendor ID"),
    Reg::emulated(0x02, 2, "Device ID"),
    Reg::emulated(0x04, 2, "Command")
        .writable(COMMAND_PCIE)
        .hook(super::HOOK_IRQ), // PCIe §7.5.1.1.3
    Reg::emulated(0x06, 2, "Status").w1c(STATUS_W1C), // PCIe §7.5.1.1.4
    Reg::emulated(0x08, 4, "Revision ID / Class Code"),
    Reg::emulated(0x0c, 1, "Cache Line Size").writable(0xff),
    Reg::emulated(0x0d, 1, "Primary Latency Timer"), // PCIe: RO 0
    Reg::emulated(0x0e, 1, "Header Type"),
    Reg::emulated(0x18, 1, "Primary Bus Number").writable(0xff), // PPB 1.2 §3.2.5.2
    Reg::emulated(0x19, 1, "Secondary Bus Number").writable(0xff),
    Reg::emulated(0x1a, 1, "Subordinate Bus Number").writable(0xff),
    Reg::emulated(0x1b, 1, "Secondary Latency Timer"), // PCIe §7.5.1.3.4: RO 0
    Reg::emulated(0x1c, 1, "I/O Base")
        .writable(PCI_IO_RANGE_MASK as u32)
        .value(IO_BASE_RESET), // 32-bit I/O: issue 3
    Reg::emulated(0x1d, 1, "I/O Limit")
        .writable(PCI_IO_RANGE_MASK as u32)
        .value(PCI_IO_RANGE_TYPE_32 as u32),
    // PCIe §7.5.1.3.7: bits 8, 11–15 RW1C (QEMU has no w1c here).
    Reg::emulated(0x1e, 2, "Secondary Status").w1c(STATUS_W1C),
    Reg::emulated(0x20, 2, "Memory Base")
        .writable(PCI_MEMORY_RANGE_MASK as u32)
        .value(MEMORY_BASE_RESET),
    Reg::emulated(0x22, 2, "Memory Limit").writable(PCI_MEMORY_RANGE_MASK as u32),
    Reg::emulated(0x24, 2, "Prefetchable Memory Base")
        .writable(PCI_PREF_RANGE_MASK as u32)
        .value(PREF_BASE_RESET),
    Reg::emulated(0x26, 2, "Prefetchable Memory Limit")
        .writable(PCI_PREF_RANGE_MASK as u32)
        .value(PCI_PREF_RANGE_TYPE_64 as u32),
    Reg::emulated(0x28, 4, "Prefetchable Base Upper 32 Bits").writable(u32::MAX),
    Reg::emulated(0x2c, 4, "Prefetchable Limit Upper 32 Bits").writable(u32::MAX),
    Reg::emulated(0x30, 2, "I/O Base Upper 16 Bits").writable(0xffff),
    Reg::emulated(0x32, 2, "I/O Limit Upper 16 Bits").writable(0xffff),
    Reg::emulated(0x34, 1, "Capabilities Pointer"),
    Reg::emulated(0x38, 4, "Expansion ROM Base Address"), // none
    Reg::emulated(0x3c, 1, "Interrupt Line").writable(0xff),
    Reg::emulated(0x3d, 1, "Interrupt Pin"),
    Reg::emulated(0x3e, 2, "Bridge Control").writable(BRIDGE_CONTROL_PCIE),
];

/// Type 1 header of a PCIe-to-PCI bridge: a port's header, but the
/// secondary side is conventional PCI (latency timer and more of Bridge
/// Control writable, Discard Timer Status RW1C).
pub const TYPE1_PCIE_TO_PCI: RegTable = &[
    Reg::emulated(0x1b, 1, "Secondary Latency Timer").writable(0xff), // PPB 1.2 §3.2.5.4
    Reg::emulated(0x3e, 2, "Bridge Control")
        .writable(BRIDGE_CONTROL_PCI)
        .w1c(0x0400),
];
