//! The register tables: what the guest sees of every register of a
//! passed-through function, one table per structure.
//!
//! Reading a row (see `vpcie_config::policy` for the masks):
//! - `Reg::emulated(..)`: the guest reads the virtual image. Unless the row
//!   gives a `.value(..)`, the image starts as the host's value (a snapshot
//!   taken when the function is built).
//! - `Reg::device(..)`: the guest reads the host, live; `.emulated_bits(m)`
//!   serves the bits `m` from the image instead (starting at `.value`).
//! - `.writable(m)` / `.w1c(m)`: what a guest write changes in the image.
//! - `.to_device(m)`: the only bits a guest write passes to the host.
//! - `.hook(h)`: a named side effect (see [`super::hooks::HOOKS`]) after the write.
//!
//! Anything no row covers reads as zero and ignores writes (default-deny);
//! BAR registers are emulated by the engine's BAR protocol
//! (`ConfigSpace::set_bar`) from the host's BAR sizes; capability pointers
//! are relinked by `ConfigSpace::hide_capabilities`.

use super::hooks::*;
use crate::spec::*;
use vpcie_config::regs::*;
use vpcie_config::{Reg, RegTable};

const CMD_GUEST: u32 = (PCI_COMMAND_IO
    | PCI_COMMAND_MEMORY
    | PCI_COMMAND_MASTER
    | PCI_COMMAND_PARITY
    | PCI_COMMAND_SERR
    | PCI_COMMAND_INTX_DISABLE) as u32;
const STATUS_VIRTUAL: u32 = (PCI_STATUS_CAP_LIST | PCI_STATUS_ERROR_BITS) as u32;

/// Type 0 header (PCI 3.0 §6.2, PCIe r6.x §7.5.1).
pub const TYPE0_HEADER: RegTable = &[
    //  offset size name
    Reg::emulated(0x00, 2, "Vendor ID"),
    Reg::emulated(0x02, 2, "Device ID"),
    // Bus Master is written through (DMA is the device's job; the IOMMU
    // confines it). I/O and Memory Space are the guest's view: hook
    // `command` passes an enable to the host but never a disable — a host
    // device that stops decoding while the guest or the hypervisor's MSI-X
    // code still reaches its BARs answers Unsupported Request, which
    // platforms escalate to fatal NMIs (XSA-120, XSA-126). Parity/SERR
    // enables stay virtual for the same reason: they route device errors to
    // host NMIs. INTx Disable is virtual: the INTx path honours it (event).
    Reg::emulated(0x04, 2, "Command")
        .writable(CMD_GUEST)
        .to_device(PCI_COMMAND_MASTER as u32)
        .value(0)
        .hook(HOOK_COMMAND),
    // Error bits are the guest's (write-1-to-clear, start clear): the host's
    // errors belong to the host's AER. Interrupt Status, DEVSEL, 66 MHz,
    // Immediate Readiness are read live.
    Reg::device(0x06, 2, "Status")
        .emulated_bits(STATUS_VIRTUAL)
        .w1c(PCI_STATUS_ERROR_BITS as u32)
        .value(0),
    Reg::emulated(0x08, 1, "Revision ID"),
    Reg::emulated(0x09, 1, "Class Code: Programming Interface"),
    Reg::emulated(0x0a, 2, "Class Code"),
    Reg::emulated(0x0c, 1, "Cache Line Size").writable(0xff),
    Reg::emulated(0x0d, 1, "Latency Timer"),
    // Multi-function bit set by placement (all functions of a group agree).
    Reg::emulated(0x0e, 1, "Header Type"),
    // Starting a self test is not the guest's to do.
    Reg::emulated(0x0f, 1, "BIST").value(0),
    // BARs and ROM: guest addresses never reach the host. Declared BARs are
    // replaced by the engine's BAR protocol; undeclared ones read 0.
    Reg::emulated(0x10, 4, "BAR0").value(0),
    Reg::emulated(0x14, 4, "BAR1").value(0),
    Reg::emulated(0x18, 4, "BAR2").value(0),
    Reg::emulated(0x1c, 4, "BAR3").value(0),
    Reg::emulated(0x20, 4, "BAR4").value(0),
    Reg::emulated(0x24, 4, "BAR5").value(0),
    Reg::emulated(0x28, 4, "CardBus CIS Pointer"),
    Reg::emulated(0x2c, 2, "Subsystem Vendor ID"),
    Reg::emulated(0x2e, 2, "Subsystem ID"),
    Reg::emulated(0x30, 4, "Expansion ROM Base Address").value(0),
    Reg::emulated(0x34, 1, "Capabilities Pointer"),
    Reg::emulated(0x3c, 1, "Interrupt Line")
        .writable(0xff)
        .value(0),
    Reg::emulated(0x3d, 1, "Interrupt Pin"),
    Reg::emulated(0x3e, 1, "Min_Gnt"),
    Reg::emulated(0x3f, 1, "Max_Lat"),
];

/// The first dword of a standard capability: ID and Next (Next relinked).
const CAP_HEADER: Reg = Reg::emulated(0x00, 2, "Capability ID / Next");
/// The first dword of an extended capability: ID, version, Next (relinked).
const EXT_CAP_HEADER: Reg = Reg::emulated(0x00, 4, "Extended Capability Header");

/// Power Management (PCI PM 1.2 §3.2).
pub const POWER_MANAGEMENT: RegTable = &[
    CAP_HEADER,
    // PME_Support hidden: the guest cannot receive PME from a host device
    // (vfio virtualizes it to 0 for the same reason). The rest is live.
    Reg::device(0x02, 2, "Power Management Capabilities")
        .emulated_bits(PCI_PM_CAP_PME_MASK as u32)
        .value(0),
    // PowerState is the guest's; hook `pm` forwards a change to the host
    // per the function's options and unmaps BARs outside D0. No_Soft_Reset
    // is live; PME and Data are not offered.
    Reg::device(0x04, 2, "PMCSR")
        .emulated_bits(
            (PCI_PM_CTRL_STATE_MASK
                | PCI_PM_CTRL_PME_ENABLE
                | PCI_PM_CTRL_DATA_SEL_MASK
                | PCI_PM_CTRL_DATA_SCALE_MASK
                | PCI_PM_CTRL_PME_STATUS) as u32,
        )
        .writable(PCI_PM_CTRL_STATE_MASK as u32)
        .value(0)
        .hook(HOOK_PM),
    Reg::emulated(0x06, 1, "PMCSR_BSE").value(0),
    Reg::emulated(0x07, 1, "Data").value(0),
];

/// Vital Product Data (PCI 3.0 §6.4, Appendix I): read through.
pub const VPD: RegTable = &[
    CAP_HEADER,
    // Address and F flag read live, so the guest sees a read complete.
    // Hook `vpd` passes a read request (F = 0) on; a write request (F = 1)
    // never reaches the host: it would rewrite the device's VPD storage.
    Reg::device(0x02, 2, "VPD Address").hook(HOOK_VPD),
    Reg::device(0x04, 4, "VPD Data"),
];

const MSI_CTRL_GUEST: u32 = (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE) as u32;

/// MSI Message Control: Enable and Multiple Message Enable are the guest's;
/// capability bits live. Extended Message Data is not offered.
const MSI_CONTROL: Reg = Reg::device(0x02, 2, "Message Control")
    .emulated_bits(MSI_CTRL_GUEST | PCI_MSI_FLAGS_EXTDATA_EN as u32)
    .writable(MSI_CTRL_GUEST)
    .value(0)
    .hook(HOOK_MSI);
/// Address and data are virtual: the host never sees a guest address or
/// vector; the hypervisor programs the host side (event `Msi`).
const MSI_ADDRESS: Reg = Reg::emulated(0x04, 4, "Message Address")
    .writable(0xffff_fffc)
    .value(0)
    .hook(HOOK_MSI);

/// MSI, 32-bit address, no per-vector masking (PCI 3.0 §6.8.1).
pub const MSI_32: RegTable = &[
    CAP_HEADER,
    MSI_CONTROL,
    MSI_ADDRESS,
    Reg::emulated(0x08, 2, "Message Data")
        .writable(0xffff)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x0a, 2, "Extended Message Data").value(0),
];

/// MSI, 32-bit address, per-vector masking.
pub const MSI_32_MASKABLE: RegTable = &[
    CAP_HEADER,
    MSI_CONTROL,
    MSI_ADDRESS,
    Reg::emulated(0x08, 2, "Message Data")
        .writable(0xffff)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x0a, 2, "Extended Message Data").value(0),
    Reg::emulated(0x0c, 4, "Mask Bits")
        .writable(!0)
        .value(0)
        .hook(HOOK_MSI),
    // Virtual pending bits, set by the interrupt path while masked.
    Reg::emulated(0x10, 4, "Pending Bits").value(0),
];

/// MSI, 64-bit address, no per-vector masking.
pub const MSI_64: RegTable = &[
    CAP_HEADER,
    MSI_CONTROL,
    MSI_ADDRESS,
    Reg::emulated(0x08, 4, "Message Upper Address")
        .writable(!0)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x0c, 2, "Message Data")
        .writable(0xffff)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x0e, 2, "Extended Message Data").value(0),
];

/// MSI, 64-bit address, per-vector masking.
pub const MSI_64_MASKABLE: RegTable = &[
    CAP_HEADER,
    MSI_CONTROL,
    MSI_ADDRESS,
    Reg::emulated(0x08, 4, "Message Upper Address")
        .writable(!0)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x0c, 2, "Message Data")
        .writable(0xffff)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x0e, 2, "Extended Message Data").value(0),
    Reg::emulated(0x10, 4, "Mask Bits")
        .writable(!0)
        .value(0)
        .hook(HOOK_MSI),
    Reg::emulated(0x14, 4, "Pending Bits").value(0),
];

/// MSI-X (PCI 3.0 §6.8.2): Enable and Function Mask are the guest's; the
/// table and PBA live in BAR memory and are modelled by `MsixTable`.
pub const MSI_X: RegTable = &[
    CAP_HEADER,
    Reg::device(0x02, 2, "Message Control")
        .emulated_bits((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) as u32)
        .writable((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) as u32)
        .value(0)
        .hook(HOOK_MSIX),
    Reg::emulated(0x04, 4, "Table Offset / Table BIR"),
    Reg::emulated(0x08, 4, "PBA Offset / PBA BIR"),
];

/// Device Control: the guest's (MPS needs a system-wide view the guest
/// lacks; error reporting enables belong to the host's AER). Function Level
/// Reset reads 0; hook `devctl` resets the function when it is written 1.
const PCIE_DEVCTL: Reg = Reg::emulated(0x08, 2, "Device Control")
    .writable(0x7fff)
    .hook(HOOK_DEVCTL);
/// Device Status: error bits virtual, AUX Power and Transactions Pending live
/// (a driver polls Transactions Pending before FLR).
const PCIE_DEVSTA: Reg = Reg::device(0x0a, 2, "Device Status")
    .emulated_bits(PCI_EXP_DEVSTA_ERRORS)
    .w1c(PCI_EXP_DEVSTA_ERRORS)
    .value(0);
/// Link Control: ASPM and clocking are the host's (it configures both ends of
/// the real link); the guest's writes stay virtual.
const PCIE_LNKCTL: Reg = Reg::emulated(0x10, 2, "Link Control").writable(
    PCI_EXP_LNKCTL_ASPMC
        | PCI_EXP_LNKCTL_RCB
        | PCI_EXP_LNKCTL_CCC
        | PCI_EXP_LNKCTL_ES
        | PCI_EXP_LNKCTL_CLKREQ_EN
        | PCI_EXP_LNKCTL_HAWD,
);
/// Link Status: speed and width mirror the host's link (see `link`).
const PCIE_LNKSTA: Reg = Reg::emulated(0x12, 2, "Link Status");
/// Device Control 2: virtual, except AtomicOp Requester Enable, written
/// through so GPU compute works (QEMU xen_pt does the same, QEMU issue
/// 1196); ARI Forwarding, Egress Blocking and E2E Prefix Blocking are
/// port-only bits.
const PCIE_DEVCTL2: Reg = Reg::emulated(0x28, 2, "Device Control 2")
    .writable(0x7f5f)
    .to_device(PCI_EXP_DEVCTL2_ATOMIC_REQ);

/// PCI Express capability of an Endpoint below an emulated Root Port,
/// version 1 (PCIe 1.x §7.8, 0x14 bytes).
pub const PCIE_ENDPOINT_V1: RegTable = &[
    CAP_HEADER,
    Reg::emulated(0x02, 2, "PCI Express Capabilities"),
    Reg::emulated(0x04, 4, "Device Capabilities"),
    PCIE_DEVCTL,
    PCIE_DEVSTA,
    Reg::emulated(0x0c, 4, "Link Capabilities"),
    PCIE_LNKCTL,
    PCIE_LNKSTA,
];

/// PCI Express capability of an Endpoint below an emulated Root Port,
/// version 2 (PCIe r6.x §7.5.3, 0x3c bytes).
pub const PCIE_ENDPOINT_V2: RegTable = &[
    CAP_HEADER,
    Reg::emulated(0x02, 2, "PCI Express Capabilities"),
    Reg::emulated(0x04, 4, "Device Capabilities"),
    PCIE_DEVCTL,
    PCIE_DEVSTA,
    Reg::emulated(0x0c, 4, "Link Capabilities"),
    PCIE_LNKCTL,
    PCIE_LNKSTA,
    // Slot and Root registers are RsvdZ for an Endpoint.
    Reg::emulated(0x14, 4, "Slot Capabilities").value(0),
    Reg::emulated(0x18, 2, "Slot Control").value(0),
    Reg::emulated(0x1a, 2, "Slot Status").value(0),
    Reg::emulated(0x1c, 2, "Root Control").value(0),
    Reg::emulated(0x1e, 2, "Root Capabilities").value(0),
    Reg::emulated(0x20, 4, "Root Status").value(0),
    Reg::emulated(0x24, 4, "Device Capabilities 2"),
    PCIE_DEVCTL2,
    Reg::emulated(0x2a, 2, "Device Status 2").value(0),
    Reg::emulated(0x2c, 4, "Link Capabilities 2"),
    // Target speed and compliance settings stay virtual: entering
    // compliance mode on the real link is never the guest's call.
    Reg::emulated(0x30, 2, "Link Control 2").writable(0xffff),
    Reg::emulated(0x32, 2, "Link Status 2"),
    Reg::emulated(0x34, 4, "Slot Capabilities 2").value(0),
    Reg::emulated(0x38, 2, "Slot Control 2").value(0),
    Reg::emulated(0x3a, 2, "Slot Status 2").value(0),
];

/// PCI Express Capabilities as the RC-integrated workaround shows it:
/// Device/Port Type 9 (Root Complex Integrated Endpoint), no slot; version
/// and Interrupt Message Number live.
const PCIE_FLAGS_RCIEP: Reg = Reg::device(0x02, 2, "PCI Express Capabilities")
    .emulated_bits((PCI_EXP_FLAGS_TYPE | PCI_EXP_FLAGS_SLOT) as u32)
    .value((PCI_EXP_TYPE_RC_END as u32) << PCI_EXP_FLAGS_TYPE_SHIFT);

/// Device Capabilities of an RCiEP: the Captured Slot Power Limit (set by a
/// Set_Slot_Power_Limit message from the port above, which an RCiEP does
/// not have) reads 0; the rest live.
const PCIE_DEVCAP_RCIEP: Reg = Reg::device(0x04, 4, "Device Capabilities")
    .emulated_bits(0x0ffc_0000)
    .value(0);

/// PCI Express capability in the RC-integrated workaround (bus 0, no Root
/// Port), version 1: an RCiEP's version 1 capability ends after Device
/// Status (0x0c bytes); it has no link (PCIe r6.x §7.5.3; Linux
/// `pcie_cap_has_lnkctl` skips the link registers of type 9), so whatever a
/// longer host capability has there reads 0.
pub const PCIE_RC_INTEGRATED_V1: RegTable = &[
    CAP_HEADER,
    PCIE_FLAGS_RCIEP,
    PCIE_DEVCAP_RCIEP,
    PCIE_DEVCTL,
    PCIE_DEVSTA,
];

/// PCI Express capability in the RC-integrated workaround, version 2: no
/// link, slot or root registers.
pub const PCIE_RC_INTEGRATED_V2: RegTable = &[
    CAP_HEADER,
    PCIE_FLAGS_RCIEP,
    PCIE_DEVCAP_RCIEP,
    PCIE_DEVCTL,
    PCIE_DEVSTA,
    Reg::emulated(0x0c, 4, "Link Capabilities").value(0),
    Reg::emulated(0x10, 2, "Link Control").value(0),
    Reg::emulated(0x12, 2, "Link Status").value(0),
    Reg::emulated(0x14, 4, "Slot Capabilities").value(0),
    Reg::emulated(0x18, 2, "Slot Control").value(0),
    Reg::emulated(0x1a, 2, "Slot Status").value(0),
    Reg::emulated(0x1c, 2, "Root Control").value(0),
    Reg::emulated(0x1e, 2, "Root Capabilities").value(0),
    Reg::emulated(0x20, 4, "Root Status").value(0),
    Reg::emulated(0x24, 4, "Device Capabilities 2"),
    PCIE_DEVCTL2,
    Reg::emulated(0x2a, 2, "Device Status 2").value(0),
    Reg::emulated(0x2c, 4, "Link Capabilities 2").value(0),
    Reg::emulated(0x30, 2, "Link Control 2").value(0),
    Reg::emulated(0x32, 2, "Link Status 2").value(0),
    Reg::emulated(0x34, 4, "Slot Capabilities 2").value(0),
    Reg::emulated(0x38, 2, "Slot Control 2").value(0),
    Reg::emulated(0x3a, 2, "Slot Status 2").value(0),
];

/// Advanced Error Reporting of a function (PCIe r6.x §7.8.4), fully
/// virtual: errors on the real link are the host AER driver's; the platform
/// reports them to the guest through this image. Nothing reaches the host.
pub const AER: RegTable = &[
    EXT_CAP_HEADER,
    Reg::emulated(0x04, 4, "Uncorrectable Error Status")
        .w1c(PCI_ERR_UNC_DEFINED)
        .value(0),
    Reg::emulated(0x08, 4, "Uncorrectable Error Mask").writable(PCI_ERR_UNC_DEFINED),
    Reg::emulated(0x0c, 4, "Uncorrectable Error Severity").writable(PCI_ERR_UNC_DEFINED),
    Reg::emulated(0x10, 4, "Correctable Error Status")
        .w1c(PCI_ERR_COR_DEFINED)
        .value(0),
    Reg::emulated(0x14, 4, "Correctable Error Mask").writable(PCI_ERR_COR_DEFINED),
    // Capability bits live; First Error Pointer and the enables virtual.
    Reg::device(0x18, 4, "Advanced Error Capabilities and Control")
        .emulated_bits(PCI_ERR_CAP_RW | 0x1f)
        .writable(PCI_ERR_CAP_RW)
        .value(0),
    Reg::emulated(0x1c, 4, "Header Log 0").value(0),
    Reg::emulated(0x20, 4, "Header Log 1").value(0),
    Reg::emulated(0x24, 4, "Header Log 2").value(0),
    Reg::emulated(0x28, 4, "Header Log 3").value(0),
];

/// Latency Tolerance Reporting (PCIe r6.x §7.8.2): visible, writes stay
/// virtual (some drivers refuse to load without it; the latencies it sets
/// change platform power behaviour the host owns).
pub const LTR: RegTable = &[
    EXT_CAP_HEADER,
    Reg::emulated(0x04, 2, "Max Snoop Latency").writable(PCI_LTR_VALUE_SCALE),
    Reg::emulated(0x06, 2, "Max No-Snoop Latency").writable(PCI_LTR_VALUE_SCALE),
];

/// L1 PM Substates (PCIe r6.x §7.8.3): visible, writes stay virtual (link
/// power management is configured by the host on both ends of the link).
pub const L1_PM_SUBSTATES: RegTable = &[
    EXT_CAP_HEADER,
    Reg::emulated(0x04, 4, "L1 PM Substates Capabilities"),
    Reg::emulated(0x08, 4, "L1 PM Substates Control 1").writable(PCI_L1SS_CTL1_RW),
    Reg::emulated(0x0c, 4, "L1 PM Substates Control 2").writable(PCI_L1SS_CTL2_RW),
];

/// Resizable BAR header (PCIe r6.x §7.8.6); one [`RESIZABLE_BAR_ENTRY`]
/// follows per BAR.
pub const RESIZABLE_BAR: RegTable = &[EXT_CAP_HEADER];

/// One Resizable BAR entry (at 0x04 + 8 × n): sizes from the host; a guest
/// write of BAR Size is checked and carried out by hook `rebar` (the
/// virtual BAR takes the new size, the host BAR is resized too).
pub const RESIZABLE_BAR_ENTRY: RegTable = &[
    Reg::emulated(0x00, 4, "Resizable BAR Capability"),
    Reg::emulated(0x04, 4, "Resizable BAR Control")
        .writable(PCI_REBAR_CTRL_BAR_SIZE)
        .hook(HOOK_REBAR),
];

/// The header of a read-through standard capability: ID and Next. The rest
/// of the capability is read from the host; writes are dropped (XSA-131:
/// unknown fields are not written) unless the device is permissive.
pub const READ_THROUGH_CAP: RegTable = &[CAP_HEADER];

/// The header of a read-through extended capability.
pub const READ_THROUGH_EXT_CAP: RegTable = &[EXT_CAP_HEADER];
