//! PCI Express register fields for hot-plug, error and PME signalling,
//! named as Linux `include/uapi/linux/pci_regs.h` names them.
//!
//! Kept here rather than in `vpcie_config::regs` so that this crate does not
//! edit the engine's files (as `vpcie_passthrough::spec` does); they are
//! plain spec constants and can move there.

// ---------------------------------------------------------------------------
// Command / Status (PCIe r6.x §7.5.1.1)
// ---------------------------------------------------------------------------

/// Secondary Status: Received System Error (PCIe r6.x §7.5.1.3.7).
pub const PCI_SEC_STATUS_RCV_SYSTEM_ERROR: u16 = 0x4000;

// ---------------------------------------------------------------------------
// PCI Express capability (PCIe r6.x §7.5.3)
// ---------------------------------------------------------------------------

/// Device Control: Correctable Error Reporting Enable.
pub const PCI_EXP_DEVCTL_CERE: u16 = 0x0001;
/// Device Control: Non-Fatal Error Reporting Enable.
pub const PCI_EXP_DEVCTL_NFERE: u16 = 0x0002;
/// Device Control: Fatal Error Reporting Enable.
pub const PCI_EXP_DEVCTL_FERE: u16 = 0x0004;
/// Device Control: Unsupported Request Reporting Enable.
pub const PCI_EXP_DEVCTL_URRE: u16 = 0x0008;
/// Device Status: Correctable Error Detected.
pub const PCI_EXP_DEVSTA_CED: u16 = 0x0001;
/// Device Status: Non-Fatal Error Detected.
pub const PCI_EXP_DEVSTA_NFED: u16 = 0x0002;
/// Device Status: Fatal Error Detected.
pub const PCI_EXP_DEVSTA_FED: u16 = 0x0004;
/// Device Status: Unsupported Request Detected.
pub const PCI_EXP_DEVSTA_URD: u16 = 0x0008;

/// Link Control: Link Disable (downstream ports).
pub const PCI_EXP_LNKCTL_LD: u16 = 0x0010;
/// Link Control: Retrain Link (downstream ports; reads 0).
pub const PCI_EXP_LNKCTL_RL: u16 = 0x0020;
/// Link Status: Link Training.
pub const PCI_EXP_LNKSTA_LT: u16 = 0x0800;
/// Link Status: Data Link Layer Link Active.
pub const PCI_EXP_LNKSTA_DLLLA: u16 = 0x2000;

/// Slot Capabilities: Attention Button Present.
pub const PCI_EXP_SLTCAP_ABP: u32 = 0x0000_0001;
/// Slot Capabilities: Power Controller Present.
pub const PCI_EXP_SLTCAP_PCP: u32 = 0x0000_0002;
/// Slot Capabilities: MRL Sensor Present.
pub const PCI_EXP_SLTCAP_MRLSP: u32 = 0x0000_0004;
/// Slot Capabilities: Attention Indicator Present.
pub const PCI_EXP_SLTCAP_AIP: u32 = 0x0000_0008;
/// Slot Capabilities: Power Indicator Present.
pub const PCI_EXP_SLTCAP_PIP: u32 = 0x0000_0010;
/// Slot Capabilities: Hot-Plug Surprise.
pub const PCI_EXP_SLTCAP_HPS: u32 = 0x0000_0020;
/// Slot Capabilities: Hot-Plug Capable.
pub const PCI_EXP_SLTCAP_HPC: u32 = 0x0000_0040;
/// Slot Capabilities: Electromechanical Interlock Present.
pub const PCI_EXP_SLTCAP_EIP: u32 = 0x0002_0000;
/// Slot Capabilities: No Command Completed Support.
pub const PCI_EXP_SLTCAP_NCCS: u32 = 0x0004_0000;
/// Slot Capabilities: Physical Slot Number (bits 31:19).
pub const PCI_EXP_SLTCAP_PSN: u32 = 0xfff8_0000;
/// Slot Capabilities: Physical Slot Number shift.
pub const PCI_EXP_SLTCAP_PSN_SHIFT: u32 = 19;

/// Slot Control: Attention Button Pressed Enable.
pub const PCI_EXP_SLTCTL_ABPE: u16 = 0x0001;
/// Slot Control: Power Fault Detected Enable.
pub const PCI_EXP_SLTCTL_PFDE: u16 = 0x0002;
/// Slot Control: MRL Sensor Changed Enable.
pub const PCI_EXP_SLTCTL_MRLSCE: u16 = 0x0004;
/// Slot Control: Presence Detect Changed Enable.
pub const PCI_EXP_SLTCTL_PDCE: u16 = 0x0008;
/// Slot Control: Command Completed Interrupt Enable.
pub const PCI_EXP_SLTCTL_CCIE: u16 = 0x0010;
/// Slot Control: Hot-Plug Interrupt Enable.
pub const PCI_EXP_SLTCTL_HPIE: u16 = 0x0020;
/// Slot Control: Attention Indicator Control.
pub const PCI_EXP_SLTCTL_AIC: u16 = 0x00c0;
/// Slot Control: Attention Indicator Control shift.
pub const PCI_EXP_SLTCTL_AIC_SHIFT: u16 = 6;
/// Slot Control: Power Indicator Control.
pub const PCI_EXP_SLTCTL_PIC: u16 = 0x0300;
/// Slot Control: Power Indicator Control shift.
pub const PCI_EXP_SLTCTL_PIC_SHIFT: u16 = 8;
/// Slot Control: Power Controller Control (1 = power off).
pub const PCI_EXP_SLTCTL_PCC: u16 = 0x0400;
/// Slot Control: Electromechanical Interlock Control.
pub const PCI_EXP_SLTCTL_EIC: u16 = 0x0800;
/// Slot Control: Data Link Layer State Changed Enable.
pub const PCI_EXP_SLTCTL_DLLSCE: u16 = 0x1000;
/// Indicator encodings (Attention and Power Indicator Control).
pub const PCI_EXP_SLTCTL_IND_ON: u16 = 0x1;
/// Indicator blinking.
pub const PCI_EXP_SLTCTL_IND_BLINK: u16 = 0x2;
/// Indicator off.
pub const PCI_EXP_SLTCTL_IND_OFF: u16 = 0x3;

/// Slot Status: Attention Button Pressed.
pub const PCI_EXP_SLTSTA_ABP: u16 = 0x0001;
/// Slot Status: Power Fault Detected.
pub const PCI_EXP_SLTSTA_PFD: u16 = 0x0002;
/// Slot Status: MRL Sensor Changed.
pub const PCI_EXP_SLTSTA_MRLSC: u16 = 0x0004;
/// Slot Status: Presence Detect Changed.
pub const PCI_EXP_SLTSTA_PDC: u16 = 0x0008;
/// Slot Status: Command Completed.
pub const PCI_EXP_SLTSTA_CC: u16 = 0x0010;
/// Slot Status: MRL Sensor State.
pub const PCI_EXP_SLTSTA_MRLSS: u16 = 0x0020;
/// Slot Status: Presence Detect State.
pub const PCI_EXP_SLTSTA_PDS: u16 = 0x0040;
/// Slot Status: Electromechanical Interlock Status.
pub const PCI_EXP_SLTSTA_EIS: u16 = 0x0080;
/// Slot Status: Data Link Layer State Changed.
pub const PCI_EXP_SLTSTA_DLLSC: u16 = 0x0100;

/// Root Control: System Error on Correctable Error Enable.
pub const PCI_EXP_RTCTL_SECEE: u16 = 0x0001;
/// Root Control: System Error on Non-Fatal Error Enable.
pub const PCI_EXP_RTCTL_SENFEE: u16 = 0x0002;
/// Root Control: System Error on Fatal Error Enable.
pub const PCI_EXP_RTCTL_SEFEE: u16 = 0x0004;
/// Root Control: PME Interrupt Enable.
pub const PCI_EXP_RTCTL_PMEIE: u16 = 0x0008;
/// Root Status: PME Requester ID (bits 15:0).
pub const PCI_EXP_RTSTA_PME_RQ_ID: u32 = 0x0000_ffff;
/// Root Status: PME Status (RW1C).
pub const PCI_EXP_RTSTA_PME: u32 = 0x0001_0000;
/// Root Status: PME Pending.
pub const PCI_EXP_RTSTA_PENDING: u32 = 0x0002_0000;

// ---------------------------------------------------------------------------
// Advanced Error Reporting (PCIe r6.x §7.8.4)
// ---------------------------------------------------------------------------

pub const PCI_ERR_UNCOR_STATUS: u16 = 0x04;
pub const PCI_ERR_UNCOR_MASK: u16 = 0x08;
pub const PCI_ERR_UNCOR_SEVER: u16 = 0x0c;
pub const PCI_ERR_COR_STATUS: u16 = 0x10;
pub const PCI_ERR_COR_MASK: u16 = 0x14;
pub const PCI_ERR_CAP: u16 = 0x18;
/// AER Capabilities and Control: First Error Pointer (bits 4:0).
pub const PCI_ERR_CAP_FEP: u32 = 0x0000_001f;
pub const PCI_ERR_HEADER_LOG: u16 = 0x1c;
pub const PCI_ERR_ROOT_STATUS: u16 = 0x30;

/// Uncorrectable: Data Link Protocol Error.
pub const PCI_ERR_UNC_DLP: u32 = 0x0000_0010;
/// Uncorrectable: Surprise Down Error.
pub const PCI_ERR_UNC_SURPDN: u32 = 0x0000_0020;
/// Uncorrectable: Poisoned TLP Received.
pub const PCI_ERR_UNC_POISON_TLP: u32 = 0x0000_1000;
/// Uncorrectable: Flow Control Protocol Error.
pub const PCI_ERR_UNC_FCP: u32 = 0x0000_2000;
/// Uncorrectable: Completion Timeout.
pub const PCI_ERR_UNC_COMP_TIME: u32 = 0x0000_4000;
/// Uncorrectable: Completer Abort.
pub const PCI_ERR_UNC_COMP_ABORT: u32 = 0x0000_8000;
/// Uncorrectable: Unexpected Completion.
pub const PCI_ERR_UNC_UNX_COMP: u32 = 0x0001_0000;
/// Uncorrectable: Receiver Overflow.
pub const PCI_ERR_UNC_RX_OVER: u32 = 0x0002_0000;
/// Uncorrectable: Malformed TLP.
pub const PCI_ERR_UNC_MALF_TLP: u32 = 0x0004_0000;
/// Uncorrectable: ECRC Error.
pub const PCI_ERR_UNC_ECRC: u32 = 0x0008_0000;
/// Uncorrectable: Unsupported Request Error.
pub const PCI_ERR_UNC_UNSUP: u32 = 0x0010_0000;
/// Uncorrectable: ACS Violation.
pub const PCI_ERR_UNC_ACSV: u32 = 0x0020_0000;
/// Uncorrectable: Uncorrectable Internal Error.
pub const PCI_ERR_UNC_INTN: u32 = 0x0040_0000;
/// Uncorrectable: MC Blocked TLP.
pub const PCI_ERR_UNC_MCBTLP: u32 = 0x0080_0000;
/// Uncorrectable: AtomicOp Egress Blocked.
pub const PCI_ERR_UNC_ATOMEG: u32 = 0x0100_0000;
/// Uncorrectable: TLP Prefix Blocked Error.
pub const PCI_ERR_UNC_TLPPRE: u32 = 0x0200_0000;
/// Every uncorrectable error bit an injection may name (bit 0, "Undefined",
/// is not an error).
pub const PCI_ERR_UNC_INJECTABLE: u32 = 0x03ff_f030;
/// Uncorrectable errors that are fatal when a function has no AER to say
/// otherwise (the Uncorrectable Error Severity defaults, PCIe r6.x §7.8.4.4).
pub const PCI_ERR_UNC_DEFAULT_FATAL: u32 = 0x0046_2030;

/// Correctable: Receiver Error.
pub const PCI_ERR_COR_RCVR: u32 = 0x0000_0001;
/// Correctable: Bad TLP.
pub const PCI_ERR_COR_BAD_TLP: u32 = 0x0000_0040;
/// Correctable: Bad DLLP.
pub const PCI_ERR_COR_BAD_DLLP: u32 = 0x0000_0080;
/// Correctable: REPLAY_NUM Rollover.
pub const PCI_ERR_COR_REP_ROLL: u32 = 0x0000_0100;
/// Correctable: Replay Timer Timeout.
pub const PCI_ERR_COR_REP_TIMER: u32 = 0x0000_1000;
/// Correctable: Advisory Non-Fatal Error.
pub const PCI_ERR_COR_ADV_NFAT: u32 = 0x0000_2000;
/// Correctable: Corrected Internal Error.
pub const PCI_ERR_COR_INTERNAL: u32 = 0x0000_4000;
/// Correctable: Header Log Overflow.
pub const PCI_ERR_COR_LOG_OVER: u32 = 0x0000_8000;
/// Every correctable error bit an injection may name.
pub const PCI_ERR_COR_INJECTABLE: u32 = 0x0000_f1c1;

/// Root Error Command: Correctable Error Reporting Enable.
pub const PCI_ERR_ROOT_CMD_COR_EN: u32 = 0x0000_0001;
/// Root Error Command: Non-Fatal Error Reporting Enable.
pub const PCI_ERR_ROOT_CMD_NONFATAL_EN: u32 = 0x0000_0002;
/// Root Error Command: Fatal Error Reporting Enable.
pub const PCI_ERR_ROOT_CMD_FATAL_EN: u32 = 0x0000_0004;
/// Root Error Status: ERR_COR Received.
pub const PCI_ERR_ROOT_COR_RCV: u32 = 0x0000_0001;
/// Root Error Status: Multiple ERR_COR Received.
pub const PCI_ERR_ROOT_MULTI_COR_RCV: u32 = 0x0000_0002;
/// Root Error Status: ERR_FATAL/NONFATAL Received.
pub const PCI_ERR_ROOT_UNCOR_RCV: u32 = 0x0000_0004;
/// Root Error Status: Multiple ERR_FATAL/NONFATAL Received.
pub const PCI_ERR_ROOT_MULTI_UNCOR_RCV: u32 = 0x0000_0008;
/// Root Error Status: First Uncorrectable Fatal.
pub const PCI_ERR_ROOT_FIRST_FATAL: u32 = 0x0000_0010;
/// Root Error Status: Non-Fatal Error Messages Received.
pub const PCI_ERR_ROOT_NONFATAL_RCV: u32 = 0x0000_0020;
/// Root Error Status: Fatal Error Messages Received.
pub const PCI_ERR_ROOT_FATAL_RCV: u32 = 0x0000_0040;
/// Error Source Identification: ERR_COR Source (bits 15:0).
pub const PCI_ERR_ROOT_ERR_SRC_COR: u32 = 0x0000_ffff;
/// Error Source Identification: ERR_FATAL/NONFATAL Source (bits 31:16).
pub const PCI_ERR_ROOT_ERR_SRC_UNCOR: u32 = 0xffff_0000;

// ---------------------------------------------------------------------------
// Power Management (PCI PM 1.2 §3.2)
// ---------------------------------------------------------------------------

/// PMC: PME_Support (bits 15:11, one per D-state).
pub const PCI_PM_CAP_PME_MASK: u16 = 0xf800;
/// PMC: PME_Support from D0 (bit 11) and D3hot (bit 14).
pub const PCI_PM_CAP_PME_D0_D3HOT: u16 = 0x4800;
