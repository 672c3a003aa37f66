//! Register fields the passthrough policy needs beyond `vpcie_config::regs`,
//! named as Linux `include/uapi/linux/pci_regs.h` names them (where Linux
//! has no name, after the PCIe r6.x field name).
//!
//! Kept here rather than in `vpcie_config::regs` so that this crate does not
//! edit the engine's files; they are plain spec constants and can move there.

#![allow(missing_docs)]

// --- Power Management (PCI PM 1.2 §3.2) ---
/// PMC: PME_Support, D0..D3cold (bits 15:11).
pub const PCI_PM_CAP_PME_MASK: u16 = 0xf800;
pub const PCI_PM_CTRL_DATA_SEL_MASK: u16 = 0x1e00;
pub const PCI_PM_CTRL_DATA_SCALE_MASK: u16 = 0x6000;
/// D-state field values.
pub const PCI_D0: u16 = 0;
pub const PCI_D3HOT: u16 = 3;

// --- Vital Product Data (PCI 3.0 §6.4) ---
pub const PCI_VPD_ADDR: u16 = 2;
/// Completion flag: set by software to request a write, by the device when a read completes.
pub const PCI_VPD_ADDR_F: u32 = 0x8000;
pub const PCI_VPD_ADDR_MASK: u32 = 0x7fff;
pub const PCI_VPD_DATA: u16 = 4;

// --- MSI (PCI 3.0 §6.8.1) ---
/// Extended Message Data Capable (PCIe r6.x §7.7.1.2), not in pci_regs.h.
pub const PCI_MSI_FLAGS_EXTDATA_CAP: u16 = 0x0200;
/// Extended Message Data Enable.
pub const PCI_MSI_FLAGS_EXTDATA_EN: u16 = 0x0400;

// --- MSI-X (PCI 3.0 §6.8.2) ---
pub const PCI_MSIX_ENTRY_SIZE: u64 = 16;
pub const PCI_MSIX_ENTRY_LOWER_ADDR: u64 = 0x0;
pub const PCI_MSIX_ENTRY_UPPER_ADDR: u64 = 0x4;
pub const PCI_MSIX_ENTRY_DATA: u64 = 0x8;
pub const PCI_MSIX_ENTRY_VECTOR_CTRL: u64 = 0xc;
pub const PCI_MSIX_ENTRY_CTRL_MASKBIT: u32 = 0x1;
pub const PCI_MSIX_PBA_BIR: u32 = 0x0000_0007;
pub const PCI_MSIX_PBA_OFFSET: u32 = 0xffff_fff8;

// --- PCI Express capability (PCIe r6.x §7.5.3) ---
pub const PCI_EXP_DEVCAP_FLR: u32 = 0x1000_0000;
pub const PCI_EXP_DEVCTL_BCR_FLR: u32 = 0x8000;
pub const PCI_EXP_DEVSTA_ERRORS: u32 = 0x000f;
pub const PCI_EXP_LNKCAP_ASPMS: u32 = 0x0000_0c00;
pub const PCI_EXP_LNKCAP_L0SEL: u32 = 0x0000_7000;
pub const PCI_EXP_LNKCAP_L1EL: u32 = 0x0003_8000;
pub const PCI_EXP_LNKCAP_ASPM_COMP: u32 = 0x0040_0000;
pub const PCI_EXP_LNKCTL_ASPMC: u32 = 0x0003;
pub const PCI_EXP_LNKCTL_RCB: u32 = 0x0008;
pub const PCI_EXP_LNKCTL_RL: u16 = 0x0020;
pub const PCI_EXP_LNKCTL_CCC: u32 = 0x0040;
pub const PCI_EXP_LNKCTL_ES: u32 = 0x0080;
pub const PCI_EXP_LNKCTL_CLKREQ_EN: u32 = 0x0100;
pub const PCI_EXP_LNKCTL_HAWD: u32 = 0x0200;
pub const PCI_EXP_LNKSTA_CLS: u16 = 0x000f;
pub const PCI_EXP_LNKSTA_NLW: u16 = 0x03f0;
pub const PCI_EXP_LNKSTA_NLW_SHIFT: u16 = 4;
pub const PCI_EXP_LNKSTA_LT: u16 = 0x0800;
pub const PCI_EXP_LNKSTA_SLC: u16 = 0x1000;
pub const PCI_EXP_LNKSTA_DLLLA: u16 = 0x2000;
pub const PCI_EXP_DEVCTL2_ATOMIC_REQ: u32 = 0x0040;
pub const PCI_EXP_LNKCAP2_SLS: u32 = 0x0000_00fe;

// --- Advanced Error Reporting (PCIe r6.x §7.8.4) ---
pub const PCI_ERR_UNCOR_STATUS: u16 = 0x04;
pub const PCI_ERR_UNCOR_MASK: u16 = 0x08;
pub const PCI_ERR_UNCOR_SEVER: u16 = 0x0c;
pub const PCI_ERR_COR_STATUS: u16 = 0x10;
pub const PCI_ERR_COR_MASK: u16 = 0x14;
pub const PCI_ERR_CAP: u16 = 0x18;
pub const PCI_ERR_HEADER_LOG: u16 = 0x1c;
/// Uncorrectable error bits an endpoint may implement (Undefined, DLP,
/// Surprise Down, Poisoned TLP ... TLP Prefix Blocked), as vfio lists them.
pub const PCI_ERR_UNC_DEFINED: u32 = 0x03ff_f031;
/// Correctable error bits (Receiver Error ... Header Log Overflow).
pub const PCI_ERR_COR_DEFINED: u32 = 0x0000_f1c1;
/// AER Capabilities and Control: ECRC Generation/Check Enable, Multiple
/// Header Recording Enable, Completion Timeout Prefix/Header Log enable.
pub const PCI_ERR_CAP_RW: u32 = 0x0000_0540;

// --- Latency Tolerance Reporting (PCIe r6.x §7.8.2) ---
pub const PCI_LTR_MAX_SNOOP_LAT: u16 = 0x4;
pub const PCI_LTR_MAX_NOSNOOP_LAT: u16 = 0x6;
/// Latency value (9:0) and scale (12:10).
pub const PCI_LTR_VALUE_SCALE: u32 = 0x1fff;

// --- L1 PM Substates (PCIe r6.x §7.8.3) ---
pub const PCI_L1SS_CAP: u16 = 0x04;
pub const PCI_L1SS_CTL1: u16 = 0x08;
pub const PCI_L1SS_CTL2: u16 = 0x0c;
/// L1.x enables, Common_Mode_Restore_Time, LTR_L1.2_THRESHOLD value/scale.
pub const PCI_L1SS_CTL1_RW: u32 = 0xe3ff_ff0f;
/// T_POWER_ON scale and value.
pub const PCI_L1SS_CTL2_RW: u32 = 0x0000_00fb;

// --- Resizable BAR (PCIe r6.x §7.8.6) ---
/// Capability register: supported sizes 1 MB (bit 4) to 128 TB (bit 31).
pub const PCI_REBAR_CAP_SIZES: u32 = 0xffff_fff0;
pub const PCI_REBAR_CTRL_BAR_IDX: u32 = 0x0000_0007;
pub const PCI_REBAR_CTRL_BAR_SIZE: u32 = 0x0000_3f00;
pub const PCI_REBAR_CTRL_BAR_SHIFT: u32 = 8;
/// One entry (capability and control registers) per resizable BAR.
pub const PCI_REBAR_ENTRY_SIZEOF: u16 = 8;
