//! The length of every capability, and where each rule comes from.
//!
//! Two tables, [`std_rule`] and [`ext_rule`], map every assigned ID to its
//! rule: a fixed size, or a function of the capability's own registers (and
//! of the PCI Express capability, for link width and port type). Sources are
//! cited per row: "vfio" is Linux `drivers/vfio/pci/vfio_pci_config.c`
//! (`pci_cap_length`, `pci_ext_cap_length`, `vfio_cap_len`,
//! `vfio_ext_cap_len`), "pci_regs.h" is Linux `include/uapi/linux/pci_regs.h`,
//! "pciutils" is `ls-caps.c`, `ls-ecaps.c` and `lib/header.h`, "EDK2" is
//! `MdePkg/Include/IndustryStandard/PciExpress*.h`, "pcics" is the Rust crate
//! of that name (`src/extended_capabilities/*.rs`).
//!
//! Conventions:
//! - A length counts from the capability's first byte (ID or header).
//! - Arrays sized by a count (lanes, substates, ST entries) are padded to a
//!   dword: capabilities start dword aligned and the rest of the last dword
//!   is reserved space of the same structure.
//! - Lengths given by a length field (vendor-specific, DVSEC, MMIO Register
//!   Block Locator) are taken as they are.
//! - A capability whose layout is unknown (unassigned ID, or an assigned ID
//!   without a layout in the sources above) extends to the next capability
//!   in address order, or is one dword if none follows; a diagnostic says so.

use super::{Context, DiagnosticKind, Image};
use crate::regs::*;

/// A note a rule leaves about the capability it sized.
pub(crate) struct Note {
    pub(crate) kind: DiagnosticKind,
    pub(crate) text: String,
}

/// A rule's result: the length before clipping, and its notes.
pub(crate) struct Sized {
    pub(crate) len: u32,
    pub(crate) notes: Vec<Note>,
}

/// How a capability's length is found.
#[derive(Clone, Copy)]
enum Rule {
    /// Always this many bytes.
    Fixed(u16),
    /// Computed from the registers.
    Var(fn(&mut Cap<'_, '_>) -> u32),
    /// Assigned ID, layout not in vpcie's sources: up to the next capability.
    UnknownLayout,
}

use Rule::{Fixed, UnknownLayout, Var};

/// Length rules of the standard capabilities (PCI Code and ID Assignment
/// r1.x Table 2-1 lists the IDs).
fn std_rule(id: u8) -> Option<Rule> {
    Some(match id {
        // Null: ID and next pointer only; one dword.
        PCI_CAP_ID_NULL => Fixed(4),
        // PCI PM 1.2 §3.2: PMC, PMCSR, bridge extensions, data (pci_regs.h PCI_PM_SIZEOF).
        PCI_CAP_ID_PM => Fixed(PCI_PM_SIZEOF),
        // AGP 3.0: status, command (pci_regs.h PCI_AGP_SIZEOF).
        PCI_CAP_ID_AGP => Fixed(PCI_AGP_SIZEOF),
        // PCI 3.0 §6.4 VPD address/data (pci_regs.h PCI_CAP_VPD_SIZEOF).
        PCI_CAP_ID_VPD => Fixed(PCI_CAP_VPD_SIZEOF),
        // Bridge slot numbering: expansion slot and chassis bytes at 2, 3
        // (pci_regs.h PCI_SID_ESR, PCI_SID_CHASSIS_NR).
        PCI_CAP_ID_SLOTID => Fixed(4),
        // vfio_msi_cap_len: 10, +4 with 64-bit address, +10 with per-vector
        // masking; padded to the dword holding Extended Message Data.
        PCI_CAP_ID_MSI => Var(msi),
        // PICMG 2.1 hot-swap control/status byte at 2: one dword.
        PCI_CAP_ID_CHSWP => Fixed(4),
        // vfio (Type 0, by version) and the PCI-X bridge layout (Type 1).
        PCI_CAP_ID_PCIX => Var(pcix),
        // Size by capability type (pciutils header.h PCI_HT_*_SIZEOF).
        PCI_CAP_ID_HT => Var(hypertransport),
        // Length byte at 2 (vfio).
        PCI_CAP_ID_VNDR => Var(vendor),
        // EHCI debug port: BAR/offset word at 2 (pciutils cap_debug_port).
        PCI_CAP_ID_DBG => Fixed(4),
        // PICMG central resource control: layout not in vpcie's sources.
        PCI_CAP_ID_CCRC => UnknownLayout,
        // SHPC 1.0: DWORD select and pending at 2–3, DWORD data at 4.
        PCI_CAP_ID_SHPC => Fixed(8),
        // Subsystem vendor/device ID at 4, 6 (pci_regs.h PCI_SSVID_*).
        PCI_CAP_ID_SSVID => Fixed(PCI_SSVID_DEVICE_ID + 2),
        // AGP 3.0 target bridge: layout not in vpcie's sources (lspci "<?>").
        PCI_CAP_ID_AGP3 => UnknownLayout,
        // AMD IOMMU capability block: header, base low/high, range, misc 0
        // (Linux amd_iommu_types.h MMIO_*_OFFSET up to 0x10) and misc 1 at 0x14.
        PCI_CAP_ID_SECDEV => Fixed(0x18),
        // PCIe r6.x §7.5.3, by version and Device/Port Type.
        PCI_CAP_ID_EXP => Var(pci_express),
        // PCIe MSI-X capability: control, table, PBA (pci_regs.h PCI_CAP_MSIX_SIZEOF).
        PCI_CAP_ID_MSIX => Fixed(PCI_CAP_MSIX_SIZEOF),
        // AHCI SATA capability: 8 bytes, 16 when register 0 is in config space (vfio).
        PCI_CAP_ID_SATA => Var(sata),
        // Conventional PCI Advanced Features (pci_regs.h PCI_CAP_AF_SIZEOF, vfio).
        PCI_CAP_ID_AF => Fixed(PCI_CAP_AF_SIZEOF),
        // PCIe Enhanced Allocation: entries of 1 + Entry Size dwords (pciutils cap_ea).
        PCI_CAP_ID_EA => Var(enhanced_allocation),
        // PCIe FPB capability: header, capabilities, 6 control dwords, access
        // data (pcics FlatteningPortalBridge::SIZE = 2 + 2 + 8 * 4).
        PCI_CAP_ID_FPB => Fixed(0x24),
        _ => return None,
    })
}

/// Length rules of the extended capabilities (PCI Code and ID Assignment
/// r1.x Table 3-1 lists the IDs).
fn ext_rule(id: u16) -> Option<Rule> {
    Some(match id {
        // Null: header only (lspci "Null").
        PCI_EXT_CAP_ID_NULL => Fixed(4),
        // PCIe AER: 0x2c, root registers to 0x38 for Root Ports and RCECs,
        // TLP Prefix Log to 0x48 (pci_regs.h PCI_ERR_*).
        PCI_EXT_CAP_ID_ERR => Var(aer),
        // PCIe VC/MFVC: resources and the arbitration tables their offsets
        // point at (pci_regs.h PCI_VC_*, pcics virtual_channel.rs, pciutils cap_vc).
        PCI_EXT_CAP_ID_VC | PCI_EXT_CAP_ID_VC9 | PCI_EXT_CAP_ID_MFVC => Var(virtual_channel),
        // Serial number, 2 dwords (pci_regs.h PCI_EXT_CAP_DSN_SIZEOF).
        PCI_EXT_CAP_ID_DSN => Fixed(PCI_EXT_CAP_DSN_SIZEOF),
        // Data select, data, capability (pci_regs.h PCI_EXT_CAP_PWR_SIZEOF).
        PCI_EXT_CAP_ID_PWR => Fixed(PCI_EXT_CAP_PWR_SIZEOF),
        // 16 bytes of header and self-description, 16 per link entry
        // (pciutils PCI_RCLINK_*).
        PCI_EXT_CAP_ID_RCLD => Var(rc_link_declaration),
        // Link capabilities, control, status (pcics RootComplexInternalLinkControl).
        PCI_EXT_CAP_ID_RCILC => Fixed(0x0c),
        // Bitmap at 4; associated bus numbers at 8 from version 2 (pci_regs.h).
        PCI_EXT_CAP_ID_RCEC => Var(rcec_association),
        // Vendor/device ID, capabilities, control, reserved (pcics RCRB header).
        PCI_EXT_CAP_ID_RCRB => Fixed(0x14),
        // VSEC Length in bits 31:20 of the VSEC header (vfio).
        PCI_EXT_CAP_ID_VNDR => Var(vendor_ext),
        // Device correlation register (pcics ConfigurationAccessCorrelation).
        PCI_EXT_CAP_ID_CAC => Fixed(8),
        // 8 bytes, plus the egress control vector when supported (vfio).
        PCI_EXT_CAP_ID_ACS => Var(acs),
        PCI_EXT_CAP_ID_ARI => Fixed(PCI_EXT_CAP_ARI_SIZEOF),
        PCI_EXT_CAP_ID_ATS => Fixed(PCI_EXT_CAP_ATS_SIZEOF),
        // Up to the VF Migration State Array Offset (pci_regs.h PCI_EXT_CAP_SRIOV_SIZEOF).
        PCI_EXT_CAP_ID_SRIOV => Fixed(PCI_EXT_CAP_SRIOV_SIZEOF),
        // Defined by the MR-IOV specification, not the base spec.
        PCI_EXT_CAP_ID_MRIOV => UnknownLayout,
        // 0x28 for functions, 0x30 with MC_Overlay_BAR for Root and Switch
        // Ports (pci_regs.h PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF, pcics multicast.rs).
        PCI_EXT_CAP_ID_MCAST => Var(multicast),
        PCI_EXT_CAP_ID_PRI => Fixed(PCI_EXT_CAP_PRI_SIZEOF),
        // Reserved for AMD: no public layout.
        PCI_EXT_CAP_ID_AMD_XXX => UnknownLayout,
        // 4 + 8 per BAR, count in the first control register (vfio).
        PCI_EXT_CAP_ID_REBAR | PCI_EXT_CAP_ID_VF_REBAR => Var(resizable_bar),
        // 16 + one byte per substate (vfio).
        PCI_EXT_CAP_ID_DPA => Var(dpa),
        // 12, plus the ST table when it lives in the capability (vfio).
        PCI_EXT_CAP_ID_TPH => Var(tph),
        PCI_EXT_CAP_ID_LTR => Fixed(PCI_EXT_CAP_LTR_SIZEOF),
        // PCIe Secondary PCIe capability: 8.0 GT/s Lane Equalization Control
        // at 0x0c, one 16-bit entry per lane of the Maximum Link Width
        // (pci_regs.h PCI_SECPCI_LE_CTRL; Linux dw_pcie writes 2 bytes a lane).
        PCI_EXT_CAP_ID_SECPCI => Var(secondary_pcie),
        // 16 + 4 per PMUX Protocol Array entry (pcics protocol_multiplexing.rs).
        PCI_EXT_CAP_ID_PMUX => Var(pmux),
        PCI_EXT_CAP_ID_PASID => Fixed(PCI_EXT_CAP_PASID_SIZEOF),
        // LNR capability and control words (pcics ln_requester.rs).
        PCI_EXT_CAP_ID_LNR => Fixed(8),
        // PCIe DPC: 0x0c, RP PIO registers and log with RP Extensions
        // (pci_regs.h PCI_EXP_DPC_*, pciutils cap_dpc).
        PCI_EXT_CAP_ID_DPC => Var(dpc),
        // Capabilities, control 1, control 2 (pciutils PCI_L1PM_SUBSTAT_CTL2).
        PCI_EXT_CAP_ID_L1SS => Fixed(0x10),
        // Capability, control (pciutils cap_ptm, EDK2 PciExpress40.h).
        PCI_EXT_CAP_ID_PTM => Fixed(0x0c),
        // Capabilities to PHY control data (pcics PciExpressOverMphy::SIZE).
        PCI_EXT_CAP_ID_MPCIE => Fixed(0x1c),
        // Capability, status/control, message queue (pcics FrsQueuing::SIZE).
        PCI_EXT_CAP_ID_FRS => Fixed(0x10),
        // Two readiness time registers (pcics ReadinessTimeReporting::SIZE).
        PCI_EXT_CAP_ID_RTR => Fixed(0x0c),
        // DVSEC Length in bits 31:20 of DVSEC header 1 (vfio).
        PCI_EXT_CAP_ID_DVSEC => Var(dvsec),
        // Capability, status (EDK2 PciExpress40.h, PCIe r4.0 §7.7.4).
        PCI_EXT_CAP_ID_DLF => Fixed(0x0c),
        // PCIe r4.0 §7.7.5: Lane Equalization Control at 0x20, one byte per
        // lane (EDK2 PciExpress40.h, pci_regs.h PCI_PL_16GT_LE_CTRL).
        PCI_EXT_CAP_ID_PL_16GT => Var(physical_layer_16),
        // PCIe r4.0 §7.7.6 (r6.0 §7.7.8): port capabilities/status at 4, lane
        // control and status (4 bytes) per lane from 8 (EDK2 PciExpress40.h).
        PCI_EXT_CAP_ID_LMR => Var(lane_margining),
        // Layout not in vpcie's sources (lspci prints "<?>" too).
        PCI_EXT_CAP_ID_HIER_ID => UnknownLayout,
        // Capability, control, status (pci_regs.h PCI_NPEM_*).
        PCI_EXT_CAP_ID_NPEM => Fixed(0x10),
        // PCIe r5.0 §7.7.6: Lane Equalization Control at 0x20, one byte per
        // lane (EDK2 PciExpress50.h, pci_regs.h PCI_PL_32GT_LE_CTRL).
        PCI_EXT_CAP_ID_PL_32GT => Var(physical_layer_32),
        // PCIe r5.0 §7.9.21: capabilities, control, data 1, data 2, selective
        // enable mask at 0x04–0x14 (the d23 fixture fills 0x14).
        PCI_EXT_CAP_ID_ALT_PROT => Fixed(0x18),
        // Layout not in vpcie's sources.
        PCI_EXT_CAP_ID_SFI | PCI_EXT_CAP_ID_SHADOW_FN => UnknownLayout,
        // PCIe r6.0 §7.9.24: capabilities to read mailbox (EDK2 PciExpress60.h).
        PCI_EXT_CAP_ID_DOE => Fixed(0x18),
        // Device capabilities/control/status 3 (EDK2 PciExpress60.h).
        PCI_EXT_CAP_ID_DEV3 => Fixed(0x10),
        // PCIe r6.0+ IDE (r7.0 §6.33): link stream blocks, then selective
        // stream blocks with their address association blocks (pciutils
        // cap_ide, Linux drivers/pci/ide.c, pci_regs.h PCI_IDE_*).
        PCI_EXT_CAP_ID_IDE => Var(ide),
        // PCIe r6.0 §7.7.7: Lane Equalization Control at 0x10, one byte per
        // lane (EDK2 PciExpress60.h; Linux's PCI_PL_64GT_LE_CTRL says 0x20).
        PCI_EXT_CAP_ID_PL_64GT => Var(physical_layer_64),
        // Error logs to FBER status 10 at 0x38 (pciutils PCI_FLIT_LOG_*).
        PCI_EXT_CAP_ID_FLIT_LOG => Fixed(0x3c),
        // Layout not in vpcie's sources.
        PCI_EXT_CAP_ID_FLIT_PERF => UnknownLayout,
        // Capability to ordered-set Rx status at 0x20 (pciutils PCI_FLIT_EI_*).
        PCI_EXT_CAP_ID_FLIT_ERR_INJ => Fixed(0x24),
        // Layout not in vpcie's sources.
        PCI_EXT_CAP_ID_SVC => UnknownLayout,
        // MRBL Structure Length in the capability register (pciutils cap_mmio_rbl).
        PCI_EXT_CAP_ID_MMIO_RBL => Var(mmio_rbl),
        // Layout not in vpcie's sources.
        PCI_EXT_CAP_ID_NOP_FLIT | PCI_EXT_CAP_ID_SIOV => UnknownLayout,
        // PCIe r7.0 §7.7.8: Lane Equalization Control at 0x10, one byte per
        // lane (EDK2 PciExpress70.h).
        PCI_EXT_CAP_ID_128GT => Var(physical_layer_128),
        // Layout not in vpcie's sources.
        PCI_EXT_CAP_ID_CAPT_D => UnknownLayout,
        _ => return None,
    })
}

/// Sizes the standard capability `id` at `offset`.
pub(crate) fn std_len(img: &Image<'_>, ctx: &Context, offset: u16, id: u8) -> Sized {
    let mut cap = Cap::new(img, ctx, offset, 0);
    let len = match std_rule(id) {
        Some(rule) => cap.apply(rule, &ctx.std_starts),
        None => {
            let len = cap.to_next(&ctx.std_starts);
            cap.note(
                DiagnosticKind::UnknownId,
                format!(
                    "capability ID 0x{id:02x} is not assigned by the PCI-SIG; vpcie assumes it \
                     extends to the next capability, 0x{len:x} bytes"
                ),
            );
            len
        }
    };
    Sized {
        len,
        notes: cap.notes,
    }
}

/// Sizes the extended capability `id` (header version `version`) at `offset`.
pub(crate) fn ext_len(img: &Image<'_>, ctx: &Context, offset: u16, id: u16, version: u8) -> Sized {
    let mut cap = Cap::new(img, ctx, offset, version);
    let len = match ext_rule(id) {
        Some(rule) => cap.apply(rule, &ctx.ext_starts),
        None => {
            let len = cap.to_next(&ctx.ext_starts);
            cap.note(
                DiagnosticKind::UnknownId,
                format!(
                    "extended capability ID 0x{id:04x} is not assigned by the PCI-SIG; vpcie \
                     assumes it extends to the next capability, 0x{len:x} bytes"
                ),
            );
            len
        }
    };
    Sized {
        len,
        notes: cap.notes,
    }
}

/// One capability being sized: its registers and the notes left so far.
struct Cap<'i, 'a> {
    img: &'i Image<'a>,
    ctx: &'i Context,
    offset: u16,
    version: u8,
    notes: Vec<Note>,
}

impl<'i, 'a> Cap<'i, 'a> {
    fn new(img: &'i Image<'a>, ctx: &'i Context, offset: u16, version: u8) -> Self {
        Cap {
            img,
            ctx,
            offset,
            version,
            notes: Vec::new(),
        }
    }

    fn at(&self, rel: u32) -> usize {
        usize::from(self.offset).saturating_add(usize::try_from(rel).unwrap_or(usize::MAX))
    }

    fn byte(&self, rel: u16) -> u8 {
        self.img.byte(self.at(u32::from(rel)))
    }

    fn word(&self, rel: u16) -> u16 {
        self.img.word(self.at(u32::from(rel)))
    }

    fn dword(&self, rel: u32) -> u32 {
        self.img.dword(self.at(rel))
    }

    fn note(&mut self, kind: DiagnosticKind, text: String) {
        self.notes.push(Note { kind, text });
    }

    fn apply(&mut self, rule: Rule, starts: &[u16]) -> u32 {
        match rule {
            Fixed(len) => u32::from(len),
            Var(rule) => rule(self),
            UnknownLayout => {
                let len = self.to_next(starts);
                self.note(
                    DiagnosticKind::UnknownLayout,
                    format!(
                        "vpcie does not know this capability's register layout; it assumes the \
                         capability extends to the next one, 0x{len:x} bytes"
                    ),
                );
                len
            }
        }
    }

    /// Distance to the next capability in address order, or one dword.
    fn to_next(&self, starts: &[u16]) -> u32 {
        starts
            .iter()
            .find(|&&start| start > self.offset)
            .map_or(4, |&start| u32::from(start - self.offset))
    }

    /// The Maximum Link Width of the function (Link Capabilities bits 9:4,
    /// pci_regs.h PCI_EXP_LNKCAP_MLW), which sizes the per-lane arrays.
    fn lanes(&mut self) -> u32 {
        let Some(pcie) = self.ctx.pcie else {
            self.note(
                DiagnosticKind::NoPcieCapability,
                "its size depends on the Maximum Link Width, but the function has no PCI \
                 Express capability; vpcie assumes x1, the smallest structure"
                    .to_string(),
            );
            return 1;
        };
        if matches!(pcie.port_type(), PCI_EXP_TYPE_RC_END | PCI_EXP_TYPE_RC_EC) {
            // RCiEPs and RCECs have no Link: no Link Capabilities to read.
            self.note(
                DiagnosticKind::InvalidField,
                "its size depends on the Maximum Link Width, but the function is a Root \
                 Complex Integrated Endpoint or Event Collector, which has no Link; vpcie \
                 assumes x1"
                    .to_string(),
            );
            return 1;
        }
        let width = (pcie.lnkcap & PCI_EXP_LNKCAP_MLW) >> PCI_EXP_LNKCAP_MLW_SHIFT;
        match width {
            0 => {
                self.note(
                    DiagnosticKind::InvalidField,
                    "its size depends on the Maximum Link Width, which reads 0 (reserved); \
                     vpcie assumes x1"
                        .to_string(),
                );
                1
            }
            1..=32 => width,
            _ => {
                self.note(
                    DiagnosticKind::InvalidField,
                    format!(
                        "its size depends on the Maximum Link Width, which reads {width}, \
                         beyond x32; vpcie assumes x32"
                    ),
                );
                32
            }
        }
    }

    /// Device/Port Type of the function, with a note when it has no PCIe
    /// capability.
    fn port_type(&mut self, assumed: &str) -> Option<u8> {
        match self.ctx.pcie {
            Some(pcie) => Some(pcie.port_type()),
            None => {
                self.note(
                    DiagnosticKind::NoPcieCapability,
                    format!(
                        "its size depends on the Device/Port Type, but the function has no PCI \
                         Express capability; vpcie assumes {assumed}"
                    ),
                );
                None
            }
        }
    }
}

/// Rounds up to a whole dword.
fn pad4(len: u32) -> u32 {
    len.saturating_add(3) & !3
}

// ---------------------------------------------------------------------------
// Standard capabilities
// ---------------------------------------------------------------------------

fn msi(cap: &mut Cap<'_, '_>) -> u32 {
    let flags = cap.word(PCI_MSI_FLAGS);
    // vfio_msi_cap_len: 10 bytes to the end of Message Data.
    let mut len = 10;
    if flags & PCI_MSI_FLAGS_64BIT != 0 {
        len += 4;
    }
    if flags & PCI_MSI_FLAGS_MASKBIT != 0 {
        len += 10;
    }
    // The 2 bytes after Message Data are Extended Message Data (PCIe r4.0+,
    // MSI Message Control bit 9, pcics MessageSignaledInterrups) or
    // reserved: part of the structure either way.
    pad4(len)
}

fn pcix(cap: &mut Cap<'_, '_>) -> u32 {
    if cap.ctx.header_type == PCI_HEADER_TYPE_BRIDGE {
        // Bridge: secondary status, status, upstream and downstream split
        // transaction control (pciutils PCI_PCIX_BRIDGE_*: 16 bytes); from
        // version 1 the ECC registers follow as in the Type 0 layout,
        // shifted by those two dwords, to 0x20.
        let version = (cap.word(PCI_X_BRIDGE_SSTATUS) & PCI_X_SSTATUS_VERS) >> 12;
        if version == 0 { 0x10 } else { 0x20 }
    } else {
        // vfio: version from the command register, 8 or 24 bytes.
        let version = (cap.word(PCI_X_CMD) & PCI_X_SSTATUS_VERS) >> 12;
        if version == 0 {
            u32::from(PCI_CAP_PCIX_SIZEOF_V0)
        } else {
            u32::from(PCI_CAP_PCIX_SIZEOF_V2)
        }
    }
}

fn hypertransport(cap: &mut Cap<'_, '_>) -> u32 {
    let cmd = cap.word(PCI_HT_CMD);
    // Three-bit types first (interface blocks), then five-bit ones.
    match cmd & PCI_HT_CMD_TYP_HI {
        PCI_HT_CMD_TYP_HI_PRI => return u32::from(PCI_HT_PRI_SIZEOF),
        PCI_HT_CMD_TYP_HI_SEC => return u32::from(PCI_HT_SEC_SIZEOF),
        _ => {}
    }
    let size = match cmd & PCI_HT_CMD_TYP {
        PCI_HT_CMD_TYP_SW => PCI_HT_SW_SIZEOF,
        PCI_HT_CMD_TYP_IDC => PCI_HT_IDC_SIZEOF,
        PCI_HT_CMD_TYP_RID => PCI_HT_RID_SIZEOF,
        PCI_HT_CMD_TYP_UIDC => PCI_HT_UIDC_SIZEOF,
        PCI_HT_CMD_TYP_ECSA => PCI_HT_ECSA_SIZEOF,
        PCI_HT_CMD_TYP_AM if cmd & PCI_HT_AM_CMD_MT == PCI_HT_AM_CMD_MT_40B => {
            // 12 bytes plus one 8-byte DMA window per mapping (header.h).
            return u32::from(PCI_HT_AM40_SIZEOF) + 8 * u32::from(cmd & PCI_HT_AM_CMD_NDMA);
        }
        PCI_HT_CMD_TYP_AM => PCI_HT_AM64_SIZEOF,
        PCI_HT_CMD_TYP_MSIM => PCI_HT_MSIM_SIZEOF,
        PCI_HT_CMD_TYP_DR => PCI_HT_DR_SIZEOF,
        PCI_HT_CMD_TYP_VCS => PCI_HT_VCS_SIZEOF,
        PCI_HT_CMD_TYP_RM => PCI_HT_RM_SIZEOF,
        other => {
            cap.note(
                DiagnosticKind::UnknownLayout,
                format!(
                    "HyperTransport capability type 0x{:02x} has no known size; vpcie uses \
                     {HT_CAP_SIZEOF_SHORT} bytes as Linux vfio does",
                    other >> 11
                ),
            );
            HT_CAP_SIZEOF_SHORT
        }
    };
    u32::from(size)
}

fn vendor(cap: &mut Cap<'_, '_>) -> u32 {
    let len = cap.byte(PCI_CAP_VNDR_LEN);
    if len < 3 {
        // Some Intel functions (xHCI, d21) put other data where the length
        // byte belongs; lspci prints "Len=00" for them.
        cap.note(
            DiagnosticKind::InvalidField,
            format!(
                "length byte is {len}, shorter than the 3-byte ID/next/length header; vpcie \
                 assumes one dword"
            ),
        );
        return 4;
    }
    u32::from(len)
}

fn pci_express(cap: &mut Cap<'_, '_>) -> u32 {
    let flags = cap.word(PCI_EXP_FLAGS);
    let version = flags & PCI_EXP_FLAGS_VERS;
    let port_type = ((flags & PCI_EXP_FLAGS_TYPE) >> PCI_EXP_FLAGS_TYPE_SHIFT) as u8;
    if version >= 2 {
        if version > 2 {
            cap.note(
                DiagnosticKind::InvalidField,
                format!("capability version {version} is unknown; vpcie sizes it as version 2"),
            );
        }
        // Version 2 has every register through Slot Status 2, reserved where
        // a port type lacks them (PCIe r6.x §7.5.3). vfio exposes only 0x34
        // (0x2c for RCiEPs) to a guest; the structure is 0x3c.
        return u32::from(PCI_CAP_EXP_SIZEOF);
    }
    if version == 0 {
        cap.note(
            DiagnosticKind::InvalidField,
            "capability version is 0, which PCIe does not define; vpcie sizes it as version 1"
                .to_string(),
        );
    }
    // Version 1 (PCIe 1.1 §7.8) ends after the last register group the port
    // type has: device 0x0c, link 0x14, slot 0x1c, root 0x24.
    match port_type {
        PCI_EXP_TYPE_ROOT_PORT | PCI_EXP_TYPE_RC_EC => 0x24,
        PCI_EXP_TYPE_RC_END => u32::from(PCI_CAP_EXP_RC_ENDPOINT_SIZEOF_V1),
        _ if flags & PCI_EXP_FLAGS_SLOT != 0 => 0x1c,
        _ => u32::from(PCI_CAP_EXP_ENDPOINT_SIZEOF_V1),
    }
}

fn sata(cap: &mut Cap<'_, '_>) -> u32 {
    // vfio: the long form when register 0 is "in config space" (0xf).
    if cap.byte(PCI_SATA_REGS) & PCI_SATA_REGS_MASK == PCI_SATA_REGS_INLINE {
        u32::from(PCI_SATA_SIZEOF_LONG)
    } else {
        u32::from(PCI_SATA_SIZEOF_SHORT)
    }
}

fn enhanced_allocation(cap: &mut Cap<'_, '_>) -> u32 {
    let entries = cap.byte(PCI_EA_NUM_ENT) & PCI_EA_NUM_ENT_MASK;
    // Type 1 functions have a dword of fixed bus numbers before the entries.
    let mut len = if cap.ctx.header_type == PCI_HEADER_TYPE_BRIDGE {
        u32::from(PCI_EA_FIRST_ENT_BRIDGE)
    } else {
        u32::from(PCI_EA_FIRST_ENT)
    };
    for _ in 0..entries {
        if usize::from(cap.offset).saturating_add(len as usize) >= PCI_CFG_SPACE_SIZE {
            // Further entries would start outside the standard space.
            break;
        }
        let entry = cap.dword(len);
        len += 4 + 4 * (entry & PCI_EA_ES);
    }
    len
}

// ---------------------------------------------------------------------------
// Extended capabilities
// ---------------------------------------------------------------------------

fn aer(cap: &mut Cap<'_, '_>) -> u32 {
    let Some(pcie) = cap.ctx.pcie else {
        cap.note(
            DiagnosticKind::NoPcieCapability,
            "its size depends on the port type and TLP prefix support, but the function has no \
             PCI Express capability; vpcie assumes a non-root function without TLP prefixes \
             (0x2c bytes)"
                .to_string(),
        );
        return u32::from(PCI_ERR_ROOT_COMMAND);
    };
    // The TLP Prefix Log at 0x38 is there for functions that take End-End
    // TLP Prefixes, and in Flit Mode holds the rest of the header log.
    if pcie.devcap2 & PCI_EXP_DEVCAP2_EE_PREFIX != 0 || pcie.flags & PCI_EXP_FLAGS_FLIT != 0 {
        return u32::from(PCI_ERR_PREFIX_LOG) + 16;
    }
    match pcie.port_type() {
        PCI_EXP_TYPE_ROOT_PORT | PCI_EXP_TYPE_RC_EC => u32::from(PCI_ERR_ROOT_ERR_SRC) + 4,
        _ => u32::from(PCI_ERR_ROOT_COMMAND),
    }
}

fn virtual_channel(cap: &mut Cap<'_, '_>) -> u32 {
    let cap1 = cap.dword(u32::from(PCI_VC_PORT_CAP1));
    let cap2 = cap.dword(u32::from(PCI_VC_PORT_CAP2));
    let evcc = cap1 & PCI_VC_CAP1_EVCC;
    let mut end =
        u32::from(PCI_CAP_VC_BASE_SIZEOF) + (evcc + 1) * u32::from(PCI_CAP_VC_PER_VC_SIZEOF);

    // Table offsets count 16-byte units from the capability start. A table
    // is sized for the most phases the port supports: 4 bits per phase for
    // the VC Arbitration Table, 1–8 bits per phase for a Port (Function,
    // for MFVC) Arbitration Table. vfio instead places the VC table after
    // the resources and ignores port tables; the offsets are authoritative.
    let vc_table = (cap2 & PCI_VC_CAP2_ARB_OFF) >> 24;
    if vc_table != 0 {
        let phases = if cap2 & PCI_VC_CAP2_128_PHASE != 0 {
            128
        } else if cap2 & PCI_VC_CAP2_64_PHASE != 0 {
            64
        } else if cap2 & PCI_VC_CAP2_32_PHASE != 0 {
            32
        } else {
            0
        };
        if phases == 0 {
            cap.note(
                DiagnosticKind::InvalidField,
                format!(
                    "VC Arbitration Table Offset is 0x{vc_table:02x} but no WRR VC arbitration \
                     is supported; vpcie ignores the table"
                ),
            );
        } else {
            end = end.max(vc_table * 16 + phases * 4 / 8);
        }
    }
    let entry_bits = 1u32 << ((cap1 & PCI_VC_CAP1_ARB_SIZE) >> 10);
    for vc in 0..=evcc {
        let rcap = cap.dword(u32::from(PCI_VC_RES_CAP) + vc * u32::from(PCI_CAP_VC_PER_VC_SIZEOF));
        let table = (rcap & PCI_VC_RES_CAP_ARB_OFF) >> 24;
        if table == 0 {
            continue;
        }
        let phases = if rcap & PCI_VC_RES_CAP_256_PHASE != 0 {
            256
        } else if rcap & (PCI_VC_RES_CAP_128_PHASE | PCI_VC_RES_CAP_128_PHASE_TB) != 0 {
            128
        } else if rcap & PCI_VC_RES_CAP_64_PHASE != 0 {
            64
        } else if rcap & PCI_VC_RES_CAP_32_PHASE != 0 {
            32
        } else {
            0
        };
        if phases == 0 {
            cap.note(
                DiagnosticKind::InvalidField,
                format!(
                    "VC{vc} has a Port Arbitration Table Offset of 0x{table:02x} but no \
                     table-based port arbitration; vpcie ignores the table"
                ),
            );
            continue;
        }
        end = end.max(table * 16 + phases * entry_bits / 8);
    }
    end
}

fn rc_link_declaration(cap: &mut Cap<'_, '_>) -> u32 {
    let links = (cap.dword(u32::from(PCI_RCLINK_ESD)) >> 8) & 0xff;
    u32::from(PCI_RCLINK_LINK1) + links * u32::from(PCI_RCLINK_LINK_SIZE)
}

fn rcec_association(cap: &mut Cap<'_, '_>) -> u32 {
    if cap.version >= PCI_RCEC_BUSN_REG_VER {
        u32::from(PCI_RCEC_BUSN) + 4
    } else {
        u32::from(PCI_RCEC_RCIEP_BITMAP) + 4
    }
}

fn vendor_ext(cap: &mut Cap<'_, '_>) -> u32 {
    let len = cap.dword(u32::from(PCI_VNDR_HEADER)) >> 20;
    if len < 8 {
        cap.note(
            DiagnosticKind::InvalidField,
            format!(
                "VSEC Length is 0x{len:x}, shorter than its own 8-byte header; vpcie assumes 8"
            ),
        );
        return 8;
    }
    len
}

fn acs(cap: &mut Cap<'_, '_>) -> u32 {
    let acs_cap = cap.word(PCI_ACS_CAP);
    if acs_cap & PCI_ACS_EC == 0 {
        return u32::from(PCI_ACS_EGRESS_CTL_V);
    }
    // Egress Control Vector Size: bits, 0 meaning 256, in whole dwords.
    let bits = match cap.byte(PCI_ACS_EGRESS_BITS) {
        0 => 256,
        n => (u32::from(n) + 31) & !31,
    };
    u32::from(PCI_ACS_EGRESS_CTL_V) + bits / 8
}

fn multicast(cap: &mut Cap<'_, '_>) -> u32 {
    let endpoint = u32::from(PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF);
    match cap.port_type("a function without MC_Overlay_BAR (0x28 bytes)") {
        Some(PCI_EXP_TYPE_ROOT_PORT | PCI_EXP_TYPE_UPSTREAM | PCI_EXP_TYPE_DOWNSTREAM) => {
            endpoint + 8
        }
        _ => endpoint,
    }
}

fn resizable_bar(cap: &mut Cap<'_, '_>) -> u32 {
    let ctrl = cap.dword(u32::from(PCI_REBAR_CTRL));
    let bars = (ctrl & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT;
    let used = bars.clamp(1, 6);
    if used != bars {
        cap.note(
            DiagnosticKind::InvalidField,
            format!("Number of Resizable BARs is {bars}, outside 1–6; vpcie assumes {used}"),
        );
    }
    4 + 8 * used
}

fn dpa(cap: &mut Cap<'_, '_>) -> u32 {
    let substates = (cap.dword(u32::from(PCI_DPA_CAP)) & PCI_DPA_CAP_SUBSTATE_MASK) + 1;
    pad4(u32::from(PCI_DPA_BASE_SIZEOF) + substates)
}

fn tph(cap: &mut Cap<'_, '_>) -> u32 {
    let tph_cap = cap.dword(u32::from(PCI_TPH_CAP));
    if tph_cap & PCI_TPH_CAP_LOC_MASK != PCI_TPH_LOC_CAP {
        return u32::from(PCI_TPH_BASE_SIZEOF);
    }
    // ST Table Size is encoded as entries - 1; entries are 16 bits.
    let entries = ((tph_cap & PCI_TPH_CAP_ST_MASK) >> PCI_TPH_CAP_ST_SHIFT) + 1;
    pad4(u32::from(PCI_TPH_BASE_SIZEOF) + 2 * entries)
}

fn secondary_pcie(cap: &mut Cap<'_, '_>) -> u32 {
    let lanes = cap.lanes();
    pad4(u32::from(PCI_SECPCI_LE_CTRL) + 2 * lanes)
}

fn pmux(cap: &mut Cap<'_, '_>) -> u32 {
    let entries = cap.dword(4) & 0x3f;
    0x10 + 4 * entries
}

fn dpc(cap: &mut Cap<'_, '_>) -> u32 {
    let dpc_cap = cap.word(PCI_EXP_DPC_CAP);
    if dpc_cap & PCI_EXP_DPC_CAP_RP_EXT == 0 {
        return u32::from(PCI_EXP_DPC_RP_PIO_STATUS);
    }
    // RP PIO Log Size in dwords: bits 11:8, bit 13 as bit 4 (pci_regs.h
    // PCI_EXP_DPC_RP_PIO_LOG_SIZE4; pciutils counts it always, Linux only in
    // Flit Mode, where it is defined).
    let mut log = u32::from((dpc_cap & PCI_EXP_DPC_RP_PIO_LOG_SIZE) >> 8);
    if dpc_cap & PCI_EXP_DPC_RP_PIO_LOG_SIZE4 != 0 {
        log += 16;
    }
    if log < 4 {
        // Intel Ice/Tiger/Alder Lake Thunderbolt Root Ports (d22) report 0;
        // Linux quirks.c dpc_log_size sets 4 for them, as vpcie does here.
        cap.note(
            DiagnosticKind::InvalidField,
            format!(
                "RP PIO Log Size is {log} dwords, but RP Extensions require at least the \
                 4-dword header log; vpcie assumes 4"
            ),
        );
        log = 4;
    }
    u32::from(PCI_EXP_DPC_RP_PIO_HEADER_LOG) + 4 * log
}

fn dvsec(cap: &mut Cap<'_, '_>) -> u32 {
    let len = cap.dword(u32::from(PCI_DVSEC_HEADER1)) >> 20;
    let min = u32::from(PCI_DVSEC_HEADER2) + 2;
    if len < min {
        cap.note(
            DiagnosticKind::InvalidField,
            format!(
                "DVSEC Length is 0x{len:x}, shorter than its own 10-byte headers; vpcie \
                 assumes 0x{min:x}"
            ),
        );
        return min;
    }
    len
}

fn physical_layer_16(cap: &mut Cap<'_, '_>) -> u32 {
    let lanes = cap.lanes();
    pad4(u32::from(PCI_PL_16GT_LE_CTRL) + lanes)
}

fn physical_layer_32(cap: &mut Cap<'_, '_>) -> u32 {
    let lanes = cap.lanes();
    pad4(u32::from(PCI_PL_32GT_LE_CTRL) + lanes)
}

fn physical_layer_64(cap: &mut Cap<'_, '_>) -> u32 {
    let lanes = cap.lanes();
    pad4(0x10 + lanes)
}

fn physical_layer_128(cap: &mut Cap<'_, '_>) -> u32 {
    let lanes = cap.lanes();
    pad4(0x10 + lanes)
}

fn lane_margining(cap: &mut Cap<'_, '_>) -> u32 {
    let lanes = cap.lanes();
    8 + 4 * lanes
}

fn ide(cap: &mut Cap<'_, '_>) -> u32 {
    let ide_cap = cap.dword(u32::from(PCI_IDE_CAP));
    let mut len = u32::from(PCI_IDE_LINK_STREAM_0);
    if ide_cap & PCI_IDE_CAP_LINK != 0 {
        let link_streams = ((ide_cap & PCI_IDE_CAP_LINK_TC_NUM) >> 13) + 1;
        len += link_streams * u32::from(PCI_IDE_LINK_BLOCK_SIZE);
    }
    if ide_cap & PCI_IDE_CAP_SELECTIVE != 0 {
        let streams = ((ide_cap & PCI_IDE_CAP_SEL_NUM) >> 16) + 1;
        let room = PCI_CFG_SPACE_EXP_SIZE as u32;
        for _ in 0..streams {
            if u32::from(cap.offset) + len >= room {
                // The rest cannot fit; the caller clips and says so.
                break;
            }
            // Each block: capability, control, status, RID association 1
            // and 2 (20 bytes), then 12 bytes per address association block.
            let blocks = cap.dword(len) & PCI_IDE_SEL_CAP_ASSOC_NUM;
            len += 20 + blocks * u32::from(PCI_IDE_SEL_ADDR_BLOCK_SIZE);
        }
    }
    len
}

fn mmio_rbl(cap: &mut Cap<'_, '_>) -> u32 {
    let len = cap.dword(u32::from(PCI_MRBL_CAP)) & PCI_MRBL_CAP_STRUCT_LEN;
    if len < 8 {
        cap.note(
            DiagnosticKind::InvalidField,
            format!(
                "MRBL Structure Length is 0x{len:x}, shorter than the header and capability \
                 register; vpcie assumes 8"
            ),
        );
        return 8;
    }
    len
}
