//! Capability policy tables (offsets relative to the capability) and the
//! helper that lays capabilities out and chains them.
//!
//! Sources: "PCIe" = PCIe r6.x §7.5.3 (PCI Express Capability), §7.7.1
//! (MSI), §7.5.2 (PM), §7.8.4 (AER); "PM 1.2" = PCI Bus Power Management
//! 1.2; "QEMU" = the model named in the table.

use super::{HOOK_AER_ROOT, HOOK_IRQ, HOOK_LINK, HOOK_PMCSR, HOOK_ROOT, HOOK_SLOT};
use vpcie_config::regs::*;
use vpcie_config::{ConfigSpace, Reg, RegTable};

// ---------------------------------------------------------------------------
// PCI Express Capability (version 2, 0x3c bytes)
// ---------------------------------------------------------------------------

/// Device Capabilities: Role-Based Error Reporting (required since PCIe 1.1);
/// Max_Payload_Size 128 bytes; no phantom functions, no extended tags, no FLR.
pub const PCI_EXP_DEVCAP_RBER: u32 = 0x0000_8000;
/// Device Control bits we implement (PCIe §7.5.3.4): error reporting enables
/// (3:0), Relaxed Ordering (4), Max_Payload_Size (7:5), Extended Tag (8),
/// No Snoop (11), Max_Read_Request_Size (14:12). Phantom Functions and Aux
/// Power PM are RO 0 because the capabilities are not advertised.
pub const PCI_EXP_DEVCTL_WRITABLE: u32 = 0x79ff;
/// Device Control after reset: Relaxed Ordering and No Snoop enabled,
/// MRRS 512 bytes (PCIe §7.5.3.4 defaults).
pub const PCI_EXP_DEVCTL_RESET: u32 = 0x2810;
/// Device Status RW1C bits: CED, NFED, FED, URD.
pub const PCI_EXP_DEVSTA_W1C: u32 = 0x000f;
/// Link Control bits every link end implements: ASPM Control (1:0), Common
/// Clock Configuration (6), Extended Synch (7).
pub const PCI_EXP_LNKCTL_WRITABLE: u32 = 0x00c3;
/// Link Control of a downstream port adds Link Disable (4), which takes the
/// link down; Retrain Link (5) reads 0 and asks the device below to retrain
/// (hook `link`; training is instantaneous here).
pub const PCI_EXP_LNKCTL_DOWNSTREAM_WRITABLE: u32 = 0x00d3;
/// Link Capabilities: Data Link Layer Link Active Reporting Capable (bit 20),
/// required of downstream ports that report DL_Active (PCIe §7.5.3.6).
pub const PCI_EXP_LNKCAP_DLLLARC: u32 = 0x0010_0000;
/// Link Status: Slot Clock Configuration (the reference clock comes from the
/// slot, as on the ICH9 ports).
pub const PCI_EXP_LNKSTA_SLC: u32 = 0x1000;
/// Link Status: Data Link Layer Link Active.
pub const PCI_EXP_LNKSTA_DLLLA: u32 = 0x2000;
/// Slot Control bits of a slot without hot-plug: Presence Detect Changed
/// Enable (3) and Data Link Layer State Changed Enable (12).
pub const PCI_EXP_SLTCTL_WRITABLE: u32 = 0x1008;
/// Slot Status RW1C bits: Presence Detect Changed (3), DLL State Changed (8).
pub const PCI_EXP_SLTSTA_W1C: u32 = 0x0108;
/// Slot Status: Presence Detect State.
pub const PCI_EXP_SLTSTA_PDS: u32 = 0x0040;
/// Root Control bits: system error on correctable/non-fatal/fatal, PME
/// interrupt enable (PCIe §7.5.3.12); CRS Software Visibility is not offered.
pub const PCI_EXP_RTCTL_WRITABLE: u32 = 0x000f;
/// Root Status RW1C: PME Status (bit 16).
pub const PCI_EXP_RTSTA_W1C: u32 = 0x0001_0000;
/// Link Control 2: Target Link Speed (3:0).
pub const PCI_EXP_LNKCTL2_WRITABLE: u32 = 0x000f;

/// Registers every PCI Express function has (version 2 layout).
pub const PCIE_CAP_COMMON: RegTable = &[
    //        offset size name                          writable / w1c           source
    Reg::emulated(0x00, 2, "PCI Express Capability Header"),
    Reg::emulated(0x02, 2, "PCI Express Capabilities"),
    Reg::emulated(0x04, 4, "Device Capabilities").value(PCI_EXP_DEVCAP_RBER), // PCIe §7.5.3.3
    Reg::emulated(0x08, 2, "Device Control")
        .writable(PCI_EXP_DEVCTL_WRITABLE)
        .value(PCI_EXP_DEVCTL_RESET), // PCIe §7.5.3.4
    Reg::emulated(0x0a, 2, "Device Status").w1c(PCI_EXP_DEVSTA_W1C),          // PCIe §7.5.3.5
    Reg::emulated(0x0c, 4, "Link Capabilities"),                              // set from the link
    Reg::emulated(0x10, 2, "Link Control").writable(PCI_EXP_LNKCTL_WRITABLE), // PCIe §7.5.3.7
    Reg::emulated(0x12, 2, "Link Status"),                                    // set from the link
    Reg::emulated(0x24, 4, "Device Capabilities 2"),                          // nothing optional
    Reg::emulated(0x28, 2, "Device Control 2"),
    Reg::emulated(0x2a, 2, "Device Status 2"),
    Reg::emulated(0x2c, 4, "Link Capabilities 2"), // speeds vector, set from the link
    Reg::emulated(0x30, 2, "Link Control 2").writable(PCI_EXP_LNKCTL2_WRITABLE), // PCIe §7.5.3.19
    Reg::emulated(0x32, 2, "Link Status 2"),
];

/// What a downstream port (Root Port, switch downstream port) adds: Link
/// Disable and Retrain Link (hook `link`), and a slot that reports presence
/// and link changes. A hot-plug slot replaces the slot rows with
/// `hotplug::PCIE_SLOT_HOTPLUG`.
pub const PCIE_CAP_DOWNSTREAM: RegTable = &[
    Reg::emulated(0x10, 2, "Link Control")
        .writable(PCI_EXP_LNKCTL_DOWNSTREAM_WRITABLE)
        .hook(HOOK_LINK), // PCIe §7.5.3.7
    Reg::emulated(0x14, 4, "Slot Capabilities"), // PCIe §7.5.3.9: slot number set per port
    Reg::emulated(0x18, 2, "Slot Control")
        .writable(PCI_EXP_SLTCTL_WRITABLE)
        .hook(HOOK_SLOT), // §7.5.3.10
    Reg::emulated(0x1a, 2, "Slot Status")
        .w1c(PCI_EXP_SLTSTA_W1C)
        .hook(HOOK_SLOT), // §7.5.3.11
];

/// What a Root Port adds: Root Control, Capabilities and Status; hook
/// `root` takes the next PME requester when PME Status is cleared and
/// recomputes the PME interrupt.
pub const PCIE_CAP_ROOT: RegTable = &[
    Reg::emulated(0x1c, 2, "Root Control")
        .writable(PCI_EXP_RTCTL_WRITABLE)
        .hook(HOOK_ROOT), // PCIe §7.5.3.12
    Reg::emulated(0x1e, 2, "Root Capabilities"), // no CRS SV
    Reg::emulated(0x20, 4, "Root Status")
        .w1c(PCI_EXP_RTSTA_W1C)
        .hook(HOOK_ROOT), // §7.5.3.14: PME Pending, Requester ID RO
];

// ---------------------------------------------------------------------------
// MSI
// ---------------------------------------------------------------------------

/// MSI Message Control bits the guest writes: MSI Enable, Multiple Message
/// Enable (PCIe §7.7.1.2).
pub const PCI_MSI_FLAGS_WRITABLE: u32 = 0x0071;

/// MSI, 32-bit address, not maskable, one vector: the ICH9 root ports'
/// (real ICH8M/ICH9 dump: cap at 0x80, control 0000).
pub const MSI_32: RegTable = &[
    Reg::emulated(0x00, 2, "MSI Capability Header"),
    Reg::emulated(0x02, 2, "MSI Message Control")
        .writable(PCI_MSI_FLAGS_WRITABLE)
        .hook(HOOK_IRQ), // a port's interrupt moves between INTx and MSI
    Reg::emulated(0x04, 4, "MSI Message Address").writable(0xffff_fffc),
    Reg::emulated(0x08, 2, "MSI Message Data").writable(0xffff),
];

/// MSI, 64-bit address, not maskable, one vector (QEMU xio3130 ports,
/// `msi_init(…, 64bit=true, mask=false)`).
pub const MSI_64: RegTable = &[
    Reg::emulated(0x00, 2, "MSI Capability Header"),
    Reg::emulated(0x02, 2, "MSI Message Control")
        .writable(PCI_MSI_FLAGS_WRITABLE)
        .value(PCI_MSI_FLAGS_64BIT as u32)
        .hook(HOOK_IRQ),
    Reg::emulated(0x04, 4, "MSI Message Address").writable(0xffff_fffc),
    Reg::emulated(0x08, 4, "MSI Message Upper Address").writable(u32::MAX),
    Reg::emulated(0x0c, 2, "MSI Message Data").writable(0xffff),
];

/// Length of [`MSI_32`].
pub const MSI_32_LEN: u16 = 0x0a;
/// Length of [`MSI_64`].
pub const MSI_64_LEN: u16 = 0x0e;

// ---------------------------------------------------------------------------
// Power Management (PCI Express functions must have it: PCIe §7.5.2)
// ---------------------------------------------------------------------------

/// PMC: version 3 (PM 1.2), D0 and D3hot only, no PME (not emulated).
pub const PCI_PM_PMC_V3: u32 = 0x0003;
/// PMCSR: No_Soft_Reset, so D3hot→D0 keeps the configuration (PM 1.2 §5.3.2).
pub const PCI_PM_CTRL_RESET: u32 = PCI_PM_CTRL_NO_SOFT_RESET as u32;

/// Power Management capability.
pub const PM: RegTable = &[
    Reg::emulated(0x00, 2, "PM Capability Header"),
    Reg::emulated(0x02, 2, "Power Management Capabilities").value(PCI_PM_PMC_V3),
    Reg::emulated(0x04, 2, "Power Management Control/Status")
        .writable(PCI_PM_CTRL_STATE_MASK as u32)
        .value(PCI_PM_CTRL_RESET)
        .hook(HOOK_PMCSR),
    Reg::emulated(0x06, 2, "PMCSR Bridge Extensions / Data"),
];

/// PMC of a function that signals PME: version 3, PME from D0 and D3hot.
pub const PCI_PM_PMC_V3_PME: u32 = PCI_PM_PMC_V3 | crate::spec::PCI_PM_CAP_PME_D0_D3HOT as u32;

/// Power Management capability of a function that signals PME (an
/// endpoint with `pme`): PME_En is the guest's, PME_Status RW1C (PCI PM
/// 1.2 §3.2.4).
pub const PM_PME: RegTable = &[
    Reg::emulated(0x00, 2, "PM Capability Header"),
    Reg::emulated(0x02, 2, "Power Management Capabilities").value(PCI_PM_PMC_V3_PME),
    Reg::emulated(0x04, 2, "Power Management Control/Status")
        .writable((PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE) as u32)
        .w1c(PCI_PM_CTRL_PME_STATUS as u32)
        .value(PCI_PM_CTRL_RESET)
        .hook(HOOK_PMCSR),
    Reg::emulated(0x06, 2, "PMCSR Bridge Extensions / Data"),
];

// ---------------------------------------------------------------------------
// Subsystem ID for bridges (PPB 1.2 §3.2.5.13 / PCI Code and ID Assignment)
// ---------------------------------------------------------------------------

/// Bridge Subsystem Vendor ID capability: IDs set per model.
pub const SSVID: RegTable = &[
    Reg::emulated(0x00, 2, "SSVID Capability Header"),
    Reg::emulated(0x04, 2, "Subsystem Vendor ID"),
    Reg::emulated(0x06, 2, "Subsystem ID"),
];

// ---------------------------------------------------------------------------
// Advanced Error Reporting (PCIe §7.8.4), version 2
// ---------------------------------------------------------------------------

/// Uncorrectable errors we implement: DLP, SDES, Poisoned TLP, FCP,
/// Completion Timeout, Completer Abort, Unexpected Completion, Receiver
/// Overflow, Malformed TLP, ECRC, Unsupported Request, Uncorrectable Internal.
pub const AER_UNC_SUPPORTED: u32 = 0x005f_f030;
/// Uncorrectable Error Mask after reset: Uncorrectable Internal Error masked
/// (PCIe §7.8.4.3 default).
pub const AER_UNC_MASK_RESET: u32 = 0x0040_0000;
/// Uncorrectable Error Severity after reset (PCIe §7.8.4.4 defaults): DLP,
/// SDES, FCP, Receiver Overflow, Malformed TLP, Uncorrectable Internal fatal.
pub const AER_UNC_SEVERITY_RESET: u32 = 0x0046_2030;
/// Correctable errors we implement: Receiver, Bad TLP, Bad DLLP, REPLAY_NUM
/// Rollover, Replay Timer Timeout, Advisory Non-Fatal, Corrected Internal,
/// Header Log Overflow.
pub const AER_COR_SUPPORTED: u32 = 0x0000_f1c1;
/// Correctable Error Mask after reset: Advisory Non-Fatal, Corrected
/// Internal, Header Log Overflow masked (PCIe §7.8.4.6 defaults).
pub const AER_COR_MASK_RESET: u32 = 0x0000_e000;
/// Root Error Command: the three reporting enables.
pub const AER_ROOT_CMD_WRITABLE: u32 = 0x7;
/// Root Error Status RW1C bits (6:0).
pub const AER_ROOT_STATUS_W1C: u32 = 0x7f;
/// AER length without / with the Root Port registers.
pub const AER_LEN: u16 = 0x2c;
/// AER length of a Root Port.
pub const AER_ROOT_LEN: u16 = 0x38;

/// AER registers every function with AER has.
pub const AER: RegTable = &[
    Reg::emulated(0x00, 4, "AER Extended Capability Header"),
    Reg::emulated(0x04, 4, "Uncorrectable Error Status").w1c(AER_UNC_SUPPORTED),
    Reg::emulated(0x08, 4, "Uncorrectable Error Mask")
        .writable(AER_UNC_SUPPORTED)
        .value(AER_UNC_MASK_RESET),
    Reg::emulated(0x0c, 4, "Uncorrectable Error Severity")
        .writable(AER_UNC_SUPPORTED)
        .value(AER_UNC_SEVERITY_RESET),
    Reg::emulated(0x10, 4, "Correctable Error Status").w1c(AER_COR_SUPPORTED),
    Reg::emulated(0x14, 4, "Correctable Error Mask")
        .writable(AER_COR_SUPPORTED)
        .value(AER_COR_MASK_RESET),
    // No ECRC generation/checking, no multiple header recording.
    Reg::emulated(0x18, 4, "Advanced Error Capabilities and Control"),
    Reg::emulated(0x1c, 4, "Header Log 0"),
    Reg::emulated(0x20, 4, "Header Log 1"),
    Reg::emulated(0x24, 4, "Header Log 2"),
    Reg::emulated(0x28, 4, "Header Log 3"),
];

/// What a Root Port's AER adds (hook `aer_root` recomputes the error
/// interrupt after the guest enables or clears).
pub const AER_ROOT: RegTable = &[
    Reg::emulated(0x2c, 4, "Root Error Command")
        .writable(AER_ROOT_CMD_WRITABLE)
        .hook(HOOK_AER_ROOT), // §6.2.4.1.2: enabling a logged class interrupts
    Reg::emulated(0x30, 4, "Root Error Status")
        .w1c(AER_ROOT_STATUS_W1C)
        .hook(HOOK_AER_ROOT),
    Reg::emulated(0x34, 4, "Error Source Identification"),
];

/// AER registers that survive a conventional reset (RWS/RW1CS/ROS, PCIe
/// §7.8.4): everything from Uncorrectable Error Status through the Header
/// Log, and the Root Error Status and Source ID. Ranges relative to the cap.
pub const AER_STICKY: &[(u16, u16)] = &[(0x04, 0x2c)];
/// Sticky ranges a Root Port's AER adds.
pub const AER_ROOT_STICKY: &[(u16, u16)] = &[(0x30, 0x38)];

// ---------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------

/// Lays capabilities out in a configuration space and chains them in the
/// order added (the Capabilities Pointer names the first).
pub struct Layout<'a> {
    cfg: &'a mut ConfigSpace,
    last_std: Option<u16>,
    last_ext: Option<u16>,
}

impl<'a> Layout<'a> {
    /// Starts laying out `cfg`, whose header is already applied.
    pub fn new(cfg: &'a mut ConfigSpace) -> Self {
        Layout {
            cfg,
            last_std: None,
            last_ext: None,
        }
    }

    /// Adds standard capability `id` at `offset` with its policy table.
    pub fn cap(&mut self, offset: u16, id: u8, table: RegTable) -> &mut Self {
        self.cfg
            .apply(offset, table)
            .expect("static capability table fits");
        self.cfg.set_u8(offset + PCI_CAP_LIST_ID, id);
        self.cfg.set_u8(offset + PCI_CAP_LIST_NEXT, 0);
        match self.last_std {
            Some(prev) => self.cfg.set_u8(prev + PCI_CAP_LIST_NEXT, offset as u8),
            None => {
                self.cfg.set_u8(PCI_CAPABILITY_LIST, offset as u8);
                self.cfg
                    .set_bits(PCI_STATUS, 2, u32::from(PCI_STATUS_CAP_LIST));
            }
        }
        self.last_std = Some(offset);
        self
    }

    /// Adds extended capability `id` (version `version`) at `offset`.
    pub fn ext_cap(&mut self, offset: u16, id: u16, version: u8, table: RegTable) -> &mut Self {
        self.cfg
            .apply(offset, table)
            .expect("static capability table fits");
        self.cfg.set_u32(
            offset,
            u32::from(id) | u32::from(version) << PCI_EXT_CAP_VER_SHIFT,
        );
        if let Some(prev) = self.last_ext {
            let header = self.cfg.get_u32(prev) & 0x000f_ffff;
            self.cfg
                .set_u32(prev, header | u32::from(offset) << PCI_EXT_CAP_NEXT_SHIFT);
        }
        self.last_ext = Some(offset);
        self
    }

    /// Applies one more table at `base` (e.g. a port type's extra registers).
    pub fn extra(&mut self, base: u16, table: RegTable) -> &mut Self {
        self.cfg
            .apply(base, table)
            .expect("static capability table fits");
        self
    }
}
