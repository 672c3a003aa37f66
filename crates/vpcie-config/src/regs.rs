//! PCI and PCI Express specification constants, named as Linux
//! `include/uapi/linux/pci_regs.h` names them.
//!
//! Every other module of this crate takes its register offsets, bit masks and
//! capability IDs from here, so that a reader can check them against the spec
//! in one place.

// ---------------------------------------------------------------------------
// Configuration space sizes
// ---------------------------------------------------------------------------

/// Size of a conventional PCI function's configuration space.
pub const PCI_CFG_SPACE_SIZE: usize = 256;
/// Size of a PCI Express function's configuration space (extended, via ECAM).
pub const PCI_CFG_SPACE_EXP_SIZE: usize = 4096;
/// Size of the standardised header common to all header types.
pub const PCI_STD_HEADER_SIZEOF: usize = 64;

// ---------------------------------------------------------------------------
// Common header (all header types)
// ---------------------------------------------------------------------------

pub const PCI_VENDOR_ID: u16 = 0x00;
pub const PCI_DEVICE_ID: u16 = 0x02;
pub const PCI_COMMAND: u16 = 0x04;
pub const PCI_COMMAND_IO: u16 = 0x0001;
pub const PCI_COMMAND_MEMORY: u16 = 0x0002;
pub const PCI_COMMAND_MASTER: u16 = 0x0004;
pub const PCI_COMMAND_SPECIAL: u16 = 0x0008;
pub const PCI_COMMAND_INVALIDATE: u16 = 0x0010;
pub const PCI_COMMAND_VGA_PALETTE: u16 = 0x0020;
pub const PCI_COMMAND_PARITY: u16 = 0x0040;
pub const PCI_COMMAND_WAIT: u16 = 0x0080;
pub const PCI_COMMAND_SERR: u16 = 0x0100;
pub const PCI_COMMAND_FAST_BACK: u16 = 0x0200;
pub const PCI_COMMAND_INTX_DISABLE: u16 = 0x0400;

pub const PCI_STATUS: u16 = 0x06;
pub const PCI_STATUS_IMM_READY: u16 = 0x0001;
pub const PCI_STATUS_INTERRUPT: u16 = 0x0008;
pub const PCI_STATUS_CAP_LIST: u16 = 0x0010;
pub const PCI_STATUS_66MHZ: u16 = 0x0020;
pub const PCI_STATUS_FAST_BACK: u16 = 0x0080;
pub const PCI_STATUS_PARITY: u16 = 0x0100;
pub const PCI_STATUS_DEVSEL_MASK: u16 = 0x0600;
pub const PCI_STATUS_SIG_TARGET_ABORT: u16 = 0x0800;
pub const PCI_STATUS_REC_TARGET_ABORT: u16 = 0x1000;
pub const PCI_STATUS_REC_MASTER_ABORT: u16 = 0x2000;
pub const PCI_STATUS_SIG_SYSTEM_ERROR: u16 = 0x4000;
pub const PCI_STATUS_DETECTED_PARITY: u16 = 0x8000;
/// The error bits of Status and Secondary Status, all write-1-to-clear.
pub const PCI_STATUS_ERROR_BITS: u16 = PCI_STATUS_PARITY
    | PCI_STATUS_SIG_TARGET_ABORT
    | PCI_STATUS_REC_TARGET_ABORT
    | PCI_STATUS_REC_MASTER_ABORT
    | PCI_STATUS_SIG_SYSTEM_ERROR
    | PCI_STATUS_DETECTED_PARITY;

pub const PCI_CLASS_REVISION: u16 = 0x08;
pub const PCI_REVISION_ID: u16 = 0x08;
pub const PCI_CLASS_PROG: u16 = 0x09;
pub const PCI_CLASS_DEVICE: u16 = 0x0a;
pub const PCI_CACHE_LINE_SIZE: u16 = 0x0c;
pub const PCI_LATENCY_TIMER: u16 = 0x0d;
pub const PCI_HEADER_TYPE: u16 = 0x0e;
pub const PCI_HEADER_TYPE_MASK: u8 = 0x7f;
pub const PCI_HEADER_TYPE_NORMAL: u8 = 0;
pub const PCI_HEADER_TYPE_BRIDGE: u8 = 1;
pub const PCI_HEADER_TYPE_CARDBUS: u8 = 2;
pub const PCI_HEADER_TYPE_MFD: u8 = 0x80;
pub const PCI_BIST: u16 = 0x0f;

// ---------------------------------------------------------------------------
// Base address registers
// ---------------------------------------------------------------------------

pub const PCI_BASE_ADDRESS_0: u16 = 0x10;
pub const PCI_BASE_ADDRESS_1: u16 = 0x14;
pub const PCI_BASE_ADDRESS_2: u16 = 0x18;
pub const PCI_BASE_ADDRESS_3: u16 = 0x1c;
pub const PCI_BASE_ADDRESS_4: u16 = 0x20;
pub const PCI_BASE_ADDRESS_5: u16 = 0x24;
pub const PCI_BASE_ADDRESS_SPACE_IO: u32 = 0x01;
pub const PCI_BASE_ADDRESS_MEM_TYPE_MASK: u32 = 0x06;
pub const PCI_BASE_ADDRESS_MEM_TYPE_32: u32 = 0x00;
pub const PCI_BASE_ADDRESS_MEM_TYPE_1M: u32 = 0x02;
pub const PCI_BASE_ADDRESS_MEM_TYPE_64: u32 = 0x04;
pub const PCI_BASE_ADDRESS_MEM_PREFETCH: u32 = 0x08;
pub const PCI_BASE_ADDRESS_MEM_MASK: u32 = !0x0f;
pub const PCI_BASE_ADDRESS_IO_MASK: u32 = !0x03;
/// Number of BARs in a Type 0 header.
pub const PCI_STD_NUM_BARS: usize = 6;
/// Number of BARs in a Type 1 header.
pub const PCI_BRIDGE_NUM_BARS: usize = 2;

// ---------------------------------------------------------------------------
// Type 0 header
// ---------------------------------------------------------------------------

pub const PCI_CARDBUS_CIS: u16 = 0x28;
pub const PCI_SUBSYSTEM_VENDOR_ID: u16 = 0x2c;
pub const PCI_SUBSYSTEM_ID: u16 = 0x2e;
pub const PCI_ROM_ADDRESS: u16 = 0x30;
pub const PCI_ROM_ADDRESS_ENABLE: u32 = 0x01;
pub const PCI_ROM_ADDRESS_MASK: u32 = !0x7ff;
pub const PCI_CAPABILITY_LIST: u16 = 0x34;
pub const PCI_INTERRUPT_LINE: u16 = 0x3c;
pub const PCI_INTERRUPT_PIN: u16 = 0x3d;
pub const PCI_MIN_GNT: u16 = 0x3e;
pub const PCI_MAX_LAT: u16 = 0x3f;

// ---------------------------------------------------------------------------
// Type 1 header (PCI-to-PCI bridges, Root Ports, switch ports)
// ---------------------------------------------------------------------------

pub const PCI_PRIMARY_BUS: u16 = 0x18;
pub const PCI_SECONDARY_BUS: u16 = 0x19;
pub const PCI_SUBORDINATE_BUS: u16 = 0x1a;
pub const PCI_SEC_LATENCY_TIMER: u16 = 0x1b;
pub const PCI_IO_BASE: u16 = 0x1c;
pub const PCI_IO_LIMIT: u16 = 0x1d;
pub const PCI_IO_RANGE_TYPE_MASK: u8 = 0x0f;
pub const PCI_IO_RANGE_TYPE_16: u8 = 0x00;
pub const PCI_IO_RANGE_TYPE_32: u8 = 0x01;
pub const PCI_IO_RANGE_MASK: u8 = !0x0f;
pub const PCI_SEC_STATUS: u16 = 0x1e;
pub const PCI_MEMORY_BASE: u16 = 0x20;
pub const PCI_MEMORY_LIMIT: u16 = 0x22;
pub const PCI_MEMORY_RANGE_TYPE_MASK: u16 = 0x0f;
pub const PCI_MEMORY_RANGE_MASK: u16 = !0x0f;
pub const PCI_PREF_MEMORY_BASE: u16 = 0x24;
pub const PCI_PREF_MEMORY_LIMIT: u16 = 0x26;
pub const PCI_PREF_RANGE_TYPE_MASK: u16 = 0x0f;
pub const PCI_PREF_RANGE_TYPE_32: u16 = 0x00;
pub const PCI_PREF_RANGE_TYPE_64: u16 = 0x01;
pub const PCI_PREF_RANGE_MASK: u16 = !0x0f;
pub const PCI_PREF_BASE_UPPER32: u16 = 0x28;
pub const PCI_PREF_LIMIT_UPPER32: u16 = 0x2c;
pub const PCI_IO_BASE_UPPER16: u16 = 0x30;
pub const PCI_IO_LIMIT_UPPER16: u16 = 0x32;
pub const PCI_ROM_ADDRESS1: u16 = 0x38;
pub const PCI_BRIDGE_CONTROL: u16 = 0x3e;
pub const PCI_BRIDGE_CTL_PARITY: u16 = 0x0001;
pub const PCI_BRIDGE_CTL_SERR: u16 = 0x0002;
pub const PCI_BRIDGE_CTL_ISA: u16 = 0x0004;
pub const PCI_BRIDGE_CTL_VGA: u16 = 0x0008;
pub const PCI_BRIDGE_CTL_VGA_16BIT: u16 = 0x0010;
pub const PCI_BRIDGE_CTL_MASTER_ABORT: u16 = 0x0020;
pub const PCI_BRIDGE_CTL_BUS_RESET: u16 = 0x0040;
pub const PCI_BRIDGE_CTL_FAST_BACK: u16 = 0x0080;

// ---------------------------------------------------------------------------
// Type 2 header (CardBus bridges): only what capability parsing needs
// ---------------------------------------------------------------------------

pub const PCI_CB_CAPABILITY_LIST: u16 = 0x14;

// ---------------------------------------------------------------------------
// Capability list
// ---------------------------------------------------------------------------

pub const PCI_CAP_LIST_ID: u16 = 0;
pub const PCI_CAP_LIST_NEXT: u16 = 1;
pub const PCI_CAP_FLAGS: u16 = 2;
pub const PCI_CAP_SIZEOF: u16 = 4;

pub const PCI_CAP_ID_PM: u8 = 0x01;
pub const PCI_CAP_ID_AGP: u8 = 0x02;
pub const PCI_CAP_ID_VPD: u8 = 0x03;
pub const PCI_CAP_ID_SLOTID: u8 = 0x04;
pub const PCI_CAP_ID_MSI: u8 = 0x05;
pub const PCI_CAP_ID_CHSWP: u8 = 0x06;
pub const PCI_CAP_ID_PCIX: u8 = 0x07;
pub const PCI_CAP_ID_HT: u8 = 0x08;
pub const PCI_CAP_ID_VNDR: u8 = 0x09;
pub const PCI_CAP_ID_DBG: u8 = 0x0a;
pub const PCI_CAP_ID_CCRC: u8 = 0x0b;
pub const PCI_CAP_ID_SHPC: u8 = 0x0c;
pub const PCI_CAP_ID_SSVID: u8 = 0x0d;
pub const PCI_CAP_ID_AGP3: u8 = 0x0e;
pub const PCI_CAP_ID_SECDEV: u8 = 0x0f;
pub const PCI_CAP_ID_EXP: u8 = 0x10;
pub const PCI_CAP_ID_MSIX: u8 = 0x11;
pub const PCI_CAP_ID_SATA: u8 = 0x12;
pub const PCI_CAP_ID_AF: u8 = 0x13;
pub const PCI_CAP_ID_EA: u8 = 0x14;
pub const PCI_CAP_ID_FPB: u8 = 0x15;

// ---------------------------------------------------------------------------
// Extended capability header (PCIe r6.x §7.6.3)
// ---------------------------------------------------------------------------

/// Offset of the first extended capability.
pub const PCI_CFG_EXT_CAP_START: u16 = 0x100;
/// Extended capability header: ID in bits 15:0.
pub const PCI_EXT_CAP_ID_MASK: u32 = 0x0000_ffff;
/// Extended capability header: version in bits 19:16.
pub const PCI_EXT_CAP_VER_SHIFT: u32 = 16;
/// Extended capability header: next offset in bits 31:20.
pub const PCI_EXT_CAP_NEXT_SHIFT: u32 = 20;

pub const PCI_EXT_CAP_ID_ERR: u16 = 0x01;
pub const PCI_EXT_CAP_ID_VC: u16 = 0x02;
pub const PCI_EXT_CAP_ID_DSN: u16 = 0x03;
pub const PCI_EXT_CAP_ID_PWR: u16 = 0x04;
pub const PCI_EXT_CAP_ID_RCLD: u16 = 0x05;
pub const PCI_EXT_CAP_ID_RCILC: u16 = 0x06;
pub const PCI_EXT_CAP_ID_RCEC: u16 = 0x07;
pub const PCI_EXT_CAP_ID_MFVC: u16 = 0x08;
pub const PCI_EXT_CAP_ID_VC9: u16 = 0x09;
pub const PCI_EXT_CAP_ID_RCRB: u16 = 0x0a;
pub const PCI_EXT_CAP_ID_VNDR: u16 = 0x0b;
pub const PCI_EXT_CAP_ID_CAC: u16 = 0x0c;
pub const PCI_EXT_CAP_ID_ACS: u16 = 0x0d;
pub const PCI_EXT_CAP_ID_ARI: u16 = 0x0e;
pub const PCI_EXT_CAP_ID_ATS: u16 = 0x0f;
pub const PCI_EXT_CAP_ID_SRIOV: u16 = 0x10;
pub const PCI_EXT_CAP_ID_MRIOV: u16 = 0x11;
pub const PCI_EXT_CAP_ID_MCAST: u16 = 0x12;
pub const PCI_EXT_CAP_ID_PRI: u16 = 0x13;
pub const PCI_EXT_CAP_ID_AMD_XXX: u16 = 0x14;
pub const PCI_EXT_CAP_ID_REBAR: u16 = 0x15;
pub const PCI_EXT_CAP_ID_DPA: u16 = 0x16;
pub const PCI_EXT_CAP_ID_TPH: u16 = 0x17;
pub const PCI_EXT_CAP_ID_LTR: u16 = 0x18;
pub const PCI_EXT_CAP_ID_SECPCI: u16 = 0x19;
pub const PCI_EXT_CAP_ID_PMUX: u16 = 0x1a;
pub const PCI_EXT_CAP_ID_PASID: u16 = 0x1b;
pub const PCI_EXT_CAP_ID_LNR: u16 = 0x1c;
pub const PCI_EXT_CAP_ID_DPC: u16 = 0x1d;
pub const PCI_EXT_CAP_ID_L1SS: u16 = 0x1e;
pub const PCI_EXT_CAP_ID_PTM: u16 = 0x1f;
pub const PCI_EXT_CAP_ID_MPCIE: u16 = 0x20;
pub const PCI_EXT_CAP_ID_FRS: u16 = 0x21;
pub const PCI_EXT_CAP_ID_RTR: u16 = 0x22;
pub const PCI_EXT_CAP_ID_DVSEC: u16 = 0x23;
pub const PCI_EXT_CAP_ID_VF_REBAR: u16 = 0x24;
pub const PCI_EXT_CAP_ID_DLF: u16 = 0x25;
pub const PCI_EXT_CAP_ID_PL_16GT: u16 = 0x26;
pub const PCI_EXT_CAP_ID_LMR: u16 = 0x27;
pub const PCI_EXT_CAP_ID_HIER_ID: u16 = 0x28;
pub const PCI_EXT_CAP_ID_NPEM: u16 = 0x29;
pub const PCI_EXT_CAP_ID_PL_32GT: u16 = 0x2a;
pub const PCI_EXT_CAP_ID_ALT_PROT: u16 = 0x2b;
pub const PCI_EXT_CAP_ID_SFI: u16 = 0x2c;
pub const PCI_EXT_CAP_ID_SHADOW_FN: u16 = 0x2d;
pub const PCI_EXT_CAP_ID_DOE: u16 = 0x2e;
pub const PCI_EXT_CAP_ID_DEV3: u16 = 0x2f;
pub const PCI_EXT_CAP_ID_IDE: u16 = 0x30;
pub const PCI_EXT_CAP_ID_PL_64GT: u16 = 0x31;
pub const PCI_EXT_CAP_ID_FLIT_LOG: u16 = 0x32;
pub const PCI_EXT_CAP_ID_FLIT_PERF: u16 = 0x33;
pub const PCI_EXT_CAP_ID_FLIT_ERR_INJ: u16 = 0x34;

// ---------------------------------------------------------------------------
// PCI Express capability (PCIe r6.x §7.5.3)
// ---------------------------------------------------------------------------

pub const PCI_EXP_FLAGS: u16 = 0x02;
pub const PCI_EXP_FLAGS_VERS: u16 = 0x000f;
pub const PCI_EXP_FLAGS_TYPE: u16 = 0x00f0;
pub const PCI_EXP_FLAGS_TYPE_SHIFT: u16 = 4;
pub const PCI_EXP_FLAGS_SLOT: u16 = 0x0100;
pub const PCI_EXP_FLAGS_IRQ: u16 = 0x3e00;
pub const PCI_EXP_TYPE_ENDPOINT: u8 = 0x0;
pub const PCI_EXP_TYPE_LEG_END: u8 = 0x1;
pub const PCI_EXP_TYPE_ROOT_PORT: u8 = 0x4;
pub const PCI_EXP_TYPE_UPSTREAM: u8 = 0x5;
pub const PCI_EXP_TYPE_DOWNSTREAM: u8 = 0x6;
pub const PCI_EXP_TYPE_PCI_BRIDGE: u8 = 0x7;
pub const PCI_EXP_TYPE_PCIE_BRIDGE: u8 = 0x8;
pub const PCI_EXP_TYPE_RC_END: u8 = 0x9;
pub const PCI_EXP_TYPE_RC_EC: u8 = 0xa;
pub const PCI_EXP_DEVCAP: u16 = 0x04;
pub const PCI_EXP_DEVCTL: u16 = 0x08;
pub const PCI_EXP_DEVSTA: u16 = 0x0a;
pub const PCI_EXP_LNKCAP: u16 = 0x0c;
pub const PCI_EXP_LNKCAP_SLS: u32 = 0x0000_000f;
pub const PCI_EXP_LNKCAP_MLW: u32 = 0x0000_03f0;
pub const PCI_EXP_LNKCAP_MLW_SHIFT: u32 = 4;
pub const PCI_EXP_LNKCTL: u16 = 0x10;
pub const PCI_EXP_LNKSTA: u16 = 0x12;
pub const PCI_EXP_SLTCAP: u16 = 0x14;
pub const PCI_EXP_SLTCTL: u16 = 0x18;
pub const PCI_EXP_SLTSTA: u16 = 0x1a;
pub const PCI_EXP_RTCTL: u16 = 0x1c;
pub const PCI_EXP_RTCAP: u16 = 0x1e;
pub const PCI_EXP_RTSTA: u16 = 0x20;
pub const PCI_EXP_DEVCAP2: u16 = 0x24;
pub const PCI_EXP_DEVCTL2: u16 = 0x28;
pub const PCI_EXP_DEVSTA2: u16 = 0x2a;
pub const PCI_EXP_LNKCAP2: u16 = 0x2c;
pub const PCI_EXP_LNKCTL2: u16 = 0x30;
pub const PCI_EXP_LNKSTA2: u16 = 0x32;
pub const PCI_EXP_SLTCAP2: u16 = 0x34;
pub const PCI_EXP_SLTCTL2: u16 = 0x38;
pub const PCI_EXP_SLTSTA2: u16 = 0x3a;
/// Size of a version 1 PCI Express capability of an endpoint.
pub const PCI_CAP_EXP_ENDPOINT_SIZEOF_V1: u16 = 0x14;
/// Size of a version 1 PCI Express capability of an RC integrated endpoint.
pub const PCI_CAP_EXP_RC_ENDPOINT_SIZEOF_V1: u16 = 0x0c;
/// Size of a version 2 PCI Express capability (through Slot Status 2).
pub const PCI_CAP_EXP_SIZEOF: u16 = 0x3c;

// ---------------------------------------------------------------------------
// Power Management, MSI, MSI-X, Vendor-Specific (standard capabilities)
// ---------------------------------------------------------------------------

pub const PCI_PM_PMC: u16 = 2;
pub const PCI_PM_CTRL: u16 = 4;
pub const PCI_PM_CTRL_STATE_MASK: u16 = 0x0003;
pub const PCI_PM_CTRL_NO_SOFT_RESET: u16 = 0x0008;
pub const PCI_PM_CTRL_PME_ENABLE: u16 = 0x0100;
pub const PCI_PM_CTRL_PME_STATUS: u16 = 0x8000;
pub const PCI_PM_SIZEOF: u16 = 8;

pub const PCI_MSI_FLAGS: u16 = 0x02;
pub const PCI_MSI_FLAGS_ENABLE: u16 = 0x0001;
pub const PCI_MSI_FLAGS_QMASK: u16 = 0x000e;
pub const PCI_MSI_FLAGS_QSIZE: u16 = 0x0070;
pub const PCI_MSI_FLAGS_64BIT: u16 = 0x0080;
pub const PCI_MSI_FLAGS_MASKBIT: u16 = 0x0100;
pub const PCI_MSI_ADDRESS_LO: u16 = 0x04;
pub const PCI_MSI_ADDRESS_HI: u16 = 0x08;
pub const PCI_MSI_DATA_32: u16 = 0x08;
pub const PCI_MSI_MASK_32: u16 = 0x0c;
pub const PCI_MSI_PENDING_32: u16 = 0x10;
pub const PCI_MSI_DATA_64: u16 = 0x0c;
pub const PCI_MSI_MASK_64: u16 = 0x10;
pub const PCI_MSI_PENDING_64: u16 = 0x14;

pub const PCI_MSIX_FLAGS: u16 = 0x02;
pub const PCI_MSIX_FLAGS_QSIZE: u16 = 0x07ff;
pub const PCI_MSIX_FLAGS_MASKALL: u16 = 0x4000;
pub const PCI_MSIX_FLAGS_ENABLE: u16 = 0x8000;
pub const PCI_MSIX_TABLE: u16 = 0x04;
pub const PCI_MSIX_PBA: u16 = 0x08;
pub const PCI_MSIX_TABLE_BIR: u32 = 0x0000_0007;
pub const PCI_MSIX_TABLE_OFFSET: u32 = 0xffff_fff8;
pub const PCI_CAP_MSIX_SIZEOF: u16 = 12;

pub const PCI_CAP_VNDR_LEN: u16 = 2;

// ---------------------------------------------------------------------------
// Extended capabilities: registers that determine a capability's length
// ---------------------------------------------------------------------------

/// Vendor-Specific extended capability: header at +4, length in bits 31:20.
pub const PCI_VNDR_HEADER: u16 = 4;
/// DVSEC: header 1 at +4, length in bits 31:20.
pub const PCI_DVSEC_HEADER1: u16 = 4;
