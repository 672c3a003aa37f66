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

// --- capability layouts (caps.rs) ---
// Names as Linux include/uapi/linux/pci_regs.h spells them; where Linux has
// no name, as pciutils lib/header.h does. Each group cites its structure.

/// Null Capability (PCI Code and ID Assignment; pciutils `PCI_CAP_ID_NULL`).
pub const PCI_CAP_ID_NULL: u8 = 0x00;
/// AGP capability size (pci_regs.h).
pub const PCI_AGP_SIZEOF: u16 = 12;
/// VPD capability size (pci_regs.h).
pub const PCI_CAP_VPD_SIZEOF: u16 = 8;
/// PCI-X command register (Type 0 functions); version in bits 13:12.
pub const PCI_X_CMD: u16 = 2;
/// PCI-X capability version field, in both `PCI_X_CMD` and the bridge
/// secondary status (pci_regs.h `PCI_X_CMD_VERSION(x)` / `PCI_X_SSTATUS_VERS`).
pub const PCI_X_SSTATUS_VERS: u16 = 0x3000;
/// PCI-X bridge secondary status register.
pub const PCI_X_BRIDGE_SSTATUS: u16 = 2;
/// PCI-X capability size, version 0 (pci_regs.h).
pub const PCI_CAP_PCIX_SIZEOF_V0: u16 = 8;
/// PCI-X capability size, versions 1 and 2 (pci_regs.h).
pub const PCI_CAP_PCIX_SIZEOF_V2: u16 = 24;
/// HyperTransport command register (pciutils header.h).
pub const PCI_HT_CMD: u16 = 2;
pub const PCI_HT_CMD_TYP_HI: u16 = 0xe000;
pub const PCI_HT_CMD_TYP_HI_PRI: u16 = 0x0000;
pub const PCI_HT_CMD_TYP_HI_SEC: u16 = 0x2000;
pub const PCI_HT_CMD_TYP: u16 = 0xf800;
pub const PCI_HT_CMD_TYP_SW: u16 = 0x4000;
pub const PCI_HT_CMD_TYP_IDC: u16 = 0x8000;
pub const PCI_HT_CMD_TYP_RID: u16 = 0x8800;
pub const PCI_HT_CMD_TYP_UIDC: u16 = 0x9000;
pub const PCI_HT_CMD_TYP_ECSA: u16 = 0x9800;
pub const PCI_HT_CMD_TYP_AM: u16 = 0xa000;
pub const PCI_HT_CMD_TYP_MSIM: u16 = 0xa800;
pub const PCI_HT_CMD_TYP_DR: u16 = 0xb000;
pub const PCI_HT_CMD_TYP_VCS: u16 = 0xb800;
pub const PCI_HT_CMD_TYP_RM: u16 = 0xc000;
pub const PCI_HT_AM_CMD_NDMA: u16 = 0x000f;
pub const PCI_HT_AM_CMD_MT: u16 = 0x0600;
pub const PCI_HT_AM_CMD_MT_40B: u16 = 0x0000;
pub const PCI_HT_PRI_SIZEOF: u16 = 28;
pub const PCI_HT_SEC_SIZEOF: u16 = 24;
pub const PCI_HT_SW_SIZEOF: u16 = 24;
pub const PCI_HT_IDC_SIZEOF: u16 = 8;
pub const PCI_HT_RID_SIZEOF: u16 = 4;
pub const PCI_HT_UIDC_SIZEOF: u16 = 12;
pub const PCI_HT_ECSA_SIZEOF: u16 = 12;
/// 40-bit Address Mapping: 12 bytes plus 8 per DMA mapping (header.h).
pub const PCI_HT_AM40_SIZEOF: u16 = 12;
pub const PCI_HT_AM64_SIZEOF: u16 = 16;
pub const PCI_HT_MSIM_SIZEOF: u16 = 12;
pub const PCI_HT_DR_SIZEOF: u16 = 12;
pub const PCI_HT_VCS_SIZEOF: u16 = 16;
pub const PCI_HT_RM_SIZEOF: u16 = 12;
/// vfio's size for HyperTransport capabilities it does not know (pci_regs.h).
pub const HT_CAP_SIZEOF_SHORT: u16 = 24;
/// Bridge subsystem vendor/device ID capability registers (pci_regs.h).
pub const PCI_SSVID_VENDOR_ID: u16 = 4;
pub const PCI_SSVID_DEVICE_ID: u16 = 6;
/// SATA capability: register 0 location field (pci_regs.h).
pub const PCI_SATA_REGS: u16 = 4;
pub const PCI_SATA_REGS_MASK: u8 = 0xf;
pub const PCI_SATA_REGS_INLINE: u8 = 0xf;
pub const PCI_SATA_SIZEOF_SHORT: u16 = 8;
pub const PCI_SATA_SIZEOF_LONG: u16 = 16;
/// Advanced Features capability (pci_regs.h).
pub const PCI_AF_LENGTH: u16 = 2;
pub const PCI_CAP_AF_SIZEOF: u16 = 6;
/// Enhanced Allocation capability (pci_regs.h).
pub const PCI_EA_NUM_ENT: u16 = 2;
pub const PCI_EA_NUM_ENT_MASK: u8 = 0x3f;
pub const PCI_EA_FIRST_ENT: u16 = 4;
pub const PCI_EA_FIRST_ENT_BRIDGE: u16 = 8;
pub const PCI_EA_ES: u32 = 0x0000_0007;
/// PCI Express Capabilities register: Flit Mode Supported (pci_regs.h).
pub const PCI_EXP_FLAGS_FLIT: u16 = 0x8000;
/// Device Capabilities 2: End-End TLP Prefix Supported (pci_regs.h).
pub const PCI_EXP_DEVCAP2_EE_PREFIX: u32 = 0x0020_0000;

pub const PCI_EXT_CAP_ID_NULL: u16 = 0x00;
pub const PCI_EXT_CAP_ID_SVC: u16 = 0x35;
pub const PCI_EXT_CAP_ID_MMIO_RBL: u16 = 0x36;
pub const PCI_EXT_CAP_ID_NOP_FLIT: u16 = 0x37;
pub const PCI_EXT_CAP_ID_SIOV: u16 = 0x38;
pub const PCI_EXT_CAP_ID_128GT: u16 = 0x39;
pub const PCI_EXT_CAP_ID_CAPT_D: u16 = 0x3a;

pub const PCI_EXT_CAP_DSN_SIZEOF: u16 = 12;
pub const PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF: u16 = 40;
pub const PCI_EXT_CAP_PWR_SIZEOF: u16 = 0x10;
pub const PCI_EXT_CAP_ARI_SIZEOF: u16 = 8;
pub const PCI_EXT_CAP_ATS_SIZEOF: u16 = 8;
pub const PCI_EXT_CAP_PRI_SIZEOF: u16 = 16;
pub const PCI_EXT_CAP_PASID_SIZEOF: u16 = 8;
pub const PCI_EXT_CAP_SRIOV_SIZEOF: u16 = 0x40;
pub const PCI_EXT_CAP_LTR_SIZEOF: u16 = 8;

/// AER: Root Error Command (Root Ports and RCECs only).
pub const PCI_ERR_ROOT_COMMAND: u16 = 0x2c;
/// AER: Error Source Identification (Root Ports and RCECs only).
pub const PCI_ERR_ROOT_ERR_SRC: u16 = 0x34;
/// AER: TLP Prefix Log register (up to 16 bytes).
pub const PCI_ERR_PREFIX_LOG: u16 = 0x38;

/// Virtual Channel (also MFVC and VC9, same layout).
pub const PCI_VC_PORT_CAP1: u16 = 4;
pub const PCI_VC_CAP1_EVCC: u32 = 0x0000_0007;
pub const PCI_VC_CAP1_ARB_SIZE: u32 = 0x0000_0c00;
pub const PCI_VC_PORT_CAP2: u16 = 8;
pub const PCI_VC_CAP2_32_PHASE: u32 = 0x0000_0002;
pub const PCI_VC_CAP2_64_PHASE: u32 = 0x0000_0004;
pub const PCI_VC_CAP2_128_PHASE: u32 = 0x0000_0008;
pub const PCI_VC_CAP2_ARB_OFF: u32 = 0xff00_0000;
pub const PCI_VC_RES_CAP: u16 = 0x10;
pub const PCI_VC_RES_CAP_32_PHASE: u32 = 0x0000_0002;
pub const PCI_VC_RES_CAP_64_PHASE: u32 = 0x0000_0004;
pub const PCI_VC_RES_CAP_128_PHASE: u32 = 0x0000_0008;
pub const PCI_VC_RES_CAP_128_PHASE_TB: u32 = 0x0000_0010;
pub const PCI_VC_RES_CAP_256_PHASE: u32 = 0x0000_0020;
pub const PCI_VC_RES_CAP_ARB_OFF: u32 = 0xff00_0000;
pub const PCI_CAP_VC_BASE_SIZEOF: u16 = 0x10;
pub const PCI_CAP_VC_PER_VC_SIZEOF: u16 = 0x0c;

/// Root Complex Link Declaration (pciutils header.h).
pub const PCI_RCLINK_ESD: u16 = 4;
pub const PCI_RCLINK_LINK1: u16 = 16;
pub const PCI_RCLINK_LINK_SIZE: u16 = 16;
/// RCEC Endpoint Association (pci_regs.h).
pub const PCI_RCEC_RCIEP_BITMAP: u16 = 4;
pub const PCI_RCEC_BUSN: u16 = 8;
pub const PCI_RCEC_BUSN_REG_VER: u8 = 0x02;

/// Access Control Services (pci_regs.h).
pub const PCI_ACS_CAP: u16 = 0x04;
pub const PCI_ACS_EC: u16 = 0x0020;
pub const PCI_ACS_EGRESS_BITS: u16 = 0x05;
pub const PCI_ACS_EGRESS_CTL_V: u16 = 0x08;

/// Resizable BAR and VF Resizable BAR (pci_regs.h).
pub const PCI_REBAR_CAP: u16 = 4;
pub const PCI_REBAR_CTRL: u16 = 8;
pub const PCI_REBAR_CTRL_NBAR_MASK: u32 = 0x0000_00e0;
pub const PCI_REBAR_CTRL_NBAR_SHIFT: u32 = 5;

/// Dynamic Power Allocation (pci_regs.h).
pub const PCI_DPA_CAP: u16 = 4;
pub const PCI_DPA_CAP_SUBSTATE_MASK: u32 = 0x1f;
pub const PCI_DPA_BASE_SIZEOF: u16 = 16;

/// TPH Requester (pci_regs.h).
pub const PCI_TPH_CAP: u16 = 4;
pub const PCI_TPH_CAP_LOC_MASK: u32 = 0x0000_0600;
pub const PCI_TPH_LOC_CAP: u32 = 0x0000_0200;
pub const PCI_TPH_CAP_ST_MASK: u32 = 0x07ff_0000;
pub const PCI_TPH_CAP_ST_SHIFT: u32 = 16;
pub const PCI_TPH_BASE_SIZEOF: u16 = 0xc;

/// Secondary PCIe: 8.0 GT/s Lane Equalization Control, 2 bytes per lane.
pub const PCI_SECPCI_LE_CTRL: u16 = 0x0c;
/// Physical Layer 16.0 GT/s: Lane Equalization Control, 1 byte per lane.
pub const PCI_PL_16GT_LE_CTRL: u16 = 0x20;
/// Physical Layer 32.0 GT/s: Lane Equalization Control, 1 byte per lane.
pub const PCI_PL_32GT_LE_CTRL: u16 = 0x20;

/// Downstream Port Containment (pci_regs.h).
pub const PCI_EXP_DPC_CAP: u16 = 0x04;
pub const PCI_EXP_DPC_CAP_RP_EXT: u16 = 0x0020;
pub const PCI_EXP_DPC_RP_PIO_LOG_SIZE: u16 = 0x0f00;
pub const PCI_EXP_DPC_RP_PIO_LOG_SIZE4: u16 = 0x2000;
pub const PCI_EXP_DPC_RP_PIO_STATUS: u16 = 0x0c;
pub const PCI_EXP_DPC_RP_PIO_HEADER_LOG: u16 = 0x20;

/// Designated Vendor-Specific: header 2 (DVSEC ID, 16 bits).
pub const PCI_DVSEC_HEADER2: u16 = 8;

/// Integrity and Data Encryption (pci_regs.h; PCIe r7.0 §6.33).
pub const PCI_IDE_CAP: u16 = 0x04;
pub const PCI_IDE_CAP_LINK: u32 = 0x1;
pub const PCI_IDE_CAP_SELECTIVE: u32 = 0x2;
pub const PCI_IDE_CAP_LINK_TC_NUM: u32 = 0x0000_e000;
pub const PCI_IDE_CAP_SEL_NUM: u32 = 0x00ff_0000;
pub const PCI_IDE_LINK_STREAM_0: u16 = 0xc;
pub const PCI_IDE_LINK_BLOCK_SIZE: u16 = 8;
pub const PCI_IDE_SEL_CAP_ASSOC_NUM: u32 = 0x0000_000f;
pub const PCI_IDE_SEL_ADDR_BLOCK_SIZE: u16 = 12;

/// MMIO Register Block Locator: structure length in bits 11:0 of the
/// capability register (pciutils header.h `PCI_MRBL_CAP_STRUCT_LEN`).
pub const PCI_MRBL_CAP: u16 = 0x04;
pub const PCI_MRBL_CAP_STRUCT_LEN: u32 = 0x0000_0fff;
