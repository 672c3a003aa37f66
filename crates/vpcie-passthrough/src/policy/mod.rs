//! The passthrough policy: which capabilities a guest sees, and how.
//!
//! Two decision tables, [`STD_CAPS`] and [`EXT_CAPS`], give every
//! capability ID a [`Decision`] (what `vpcie inspect` prints) and a
//! [`Treatment`] (how the guest's registers are built). An ID neither table
//! lists is hidden: the policy is default-deny. Register-level behaviour is
//! in [`tables`], side effects in [`hooks`].
//!
//! What must never reach the host, whatever the guest writes (public Xen
//! advisories on PCI passthrough):
//! - BAR and ROM addresses, MSI/MSI-X addresses and data (guest physical
//!   addresses and vectors are meaningless or harmful on the host; XSA-237
//!   and XSA-157 are about host MSI state getting out of step);
//! - Memory/I/O decode disables and SERR/parity enables (XSA-120, XSA-126);
//! - writes to registers the tables do not know (XSA-131; "permissive"
//!   lifts this per device, with a warning);
//! - device-specific registers outside any capability (XSA-124: they may
//!   reach functionality that breaks isolation);
//! - capabilities that give the device new ways to reach memory or other
//!   functions (SR-IOV, ATS, PRI, PASID) or that configure the shared link
//!   and its neighbours (VC, MFVC, DPC, L1SS and LTR writes, ASPM).

pub mod hooks;
pub mod tables;

use vpcie_config::RegTable;
use vpcie_config::regs::*;

/// What the guest sees of a capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Visible, registers read from the host (writes dropped unless permissive).
    Passthrough,
    /// Visible, registers emulated by a table (some bits may be written through).
    Emulated,
    /// Not in the guest's chain; its bytes read as zero.
    Hidden,
}

impl Decision {
    /// The word `vpcie inspect` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Passthrough => "passthrough",
            Decision::Emulated => "emulated",
            Decision::Hidden => "hidden",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// How the registers of a capability are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Treatment {
    /// Hidden: unlinked from the chain, bytes zero.
    Hide,
    /// Header emulated (Next relinked), the rest read from the host.
    ReadThrough,
    /// A register table; some depend on the capability's layout.
    Table(Layout),
}

/// Which register table a capability gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One table, whatever the layout.
    Fixed(RegTable),
    /// PCI Express: by version and placement ([`pcie_table`]).
    PciExpress,
    /// MSI: by 64-bit address and per-vector masking ([`msi_table`]).
    Msi,
    /// Resizable BAR: a header and one entry per BAR.
    ResizableBar,
}

/// The policy for one capability ID.
#[derive(Clone, Copy, Debug)]
pub struct CapRule {
    /// Capability ID (standard: 8 bits; extended: 16 bits).
    pub id: u16,
    /// What the guest sees.
    pub decision: Decision,
    /// How it is built.
    pub treatment: Treatment,
    /// The capability describes the function's link: an RC-integrated
    /// placement, which has no link, hides it.
    pub link_only: bool,
    /// Why, in one line (shown by `vpcie inspect`).
    pub why: &'static str,
}

const fn rule(
    id: u16,
    decision: Decision,
    treatment: Treatment,
    link_only: bool,
    why: &'static str,
) -> CapRule {
    CapRule {
        id,
        decision,
        treatment,
        link_only,
        why,
    }
}

use Decision::{Emulated, Hidden, Passthrough};
use Layout::Fixed;
use Treatment::{Hide, ReadThrough, Table};

/// Standard capabilities (0x40–0xff). Anything not listed is hidden.
#[rustfmt::skip]
pub const STD_CAPS: &[CapRule] = &[
    //   ID                        decision     treatment                               link-only why
    rule(PCI_CAP_ID_PM as u16,     Emulated,    Table(Fixed(tables::POWER_MANAGEMENT)), false, "D-state virtual, forwarded per the function's options; PME not offered"),
    rule(PCI_CAP_ID_VPD as u16,    Passthrough, Table(Fixed(tables::VPD)),              false, "read through; VPD writes never reach the device"),
    rule(PCI_CAP_ID_MSI as u16,    Emulated,    Table(Layout::Msi),                     false, "virtual address, data and mask; the host never sees them"),
    rule(PCI_CAP_ID_VNDR as u16,   Passthrough, ReadThrough,                            false, "read through, writes dropped (written through if permissive)"),
    rule(PCI_CAP_ID_EXP as u16,    Emulated,    Table(Layout::PciExpress),              false, "Endpoint under the emulated Root Port; link registers mirror the host link"),
    rule(PCI_CAP_ID_MSIX as u16,   Emulated,    Table(Fixed(tables::MSI_X)),            false, "virtual enable and mask; table and PBA modelled in BAR memory"),
    rule(PCI_CAP_ID_AGP as u16,    Hidden,      Hide,                                   false, "legacy AGP bridge feature"),
    rule(PCI_CAP_ID_PCIX as u16,   Hidden,      Hide,                                   false, "PCI-X bus settings are the host's"),
    rule(PCI_CAP_ID_HT as u16,     Hidden,      Hide,                                   false, "HyperTransport link and MSI mapping are the host's"),
    rule(PCI_CAP_ID_SATA as u16,   Hidden,      Hide,                                   false, "not needed by drivers; not in the table"),
    rule(PCI_CAP_ID_AF as u16,     Hidden,      Hide,                                   false, "Advanced Features FLR is not offered"),
    rule(PCI_CAP_ID_EA as u16,     Hidden,      Hide,                                   false, "Enhanced Allocation would bypass emulated BARs"),
    rule(PCI_CAP_ID_NULL as u16,   Hidden,      Hide,                                   false, "Null capability"),
];

/// Extended capabilities (0x100–0xfff). Anything not listed is hidden.
#[rustfmt::skip]
pub const EXT_CAPS: &[CapRule] = &[
    //   ID                     decision     treatment                              link-only why
    rule(PCI_EXT_CAP_ID_VNDR,   Passthrough, ReadThrough,                           false, "read through, writes dropped (written through if permissive)"),
    rule(PCI_EXT_CAP_ID_DVSEC,  Passthrough, ReadThrough,                           false, "read through, writes dropped (written through if permissive)"),
    rule(PCI_EXT_CAP_ID_DSN,    Passthrough, ReadThrough,                           false, "read-only serial number"),
    rule(PCI_EXT_CAP_ID_ERR,    Emulated,    Table(Fixed(tables::AER)),             false, "virtual AER: status, masks and severities are the guest's"),
    rule(PCI_EXT_CAP_ID_REBAR,  Emulated,    Table(Layout::ResizableBar),           false, "a resize changes the virtual BAR and resizes the host BAR"),
    rule(PCI_EXT_CAP_ID_LTR,    Emulated,    Table(Fixed(tables::LTR)),             true,  "visible, writes stay virtual (latency is the host's)"),
    rule(PCI_EXT_CAP_ID_L1SS,   Emulated,    Table(Fixed(tables::L1_PM_SUBSTATES)), true,  "visible, writes stay virtual (link power is the host's)"),
    rule(PCI_EXT_CAP_ID_SRIOV,  Hidden,      Hide,                                  false, "virtual functions are assigned on their own, not created by a guest"),
    rule(PCI_EXT_CAP_ID_ATS,    Hidden,      Hide,                                  false, "translated requests would bypass the IOMMU"),
    rule(PCI_EXT_CAP_ID_PRI,    Hidden,      Hide,                                  false, "page requests need host IOMMU support"),
    rule(PCI_EXT_CAP_ID_PASID,  Hidden,      Hide,                                  false, "PASIDs need host IOMMU support"),
    rule(PCI_EXT_CAP_ID_VC,     Hidden,      Hide,                                  false, "virtual channels configure the shared link"),
    rule(PCI_EXT_CAP_ID_MFVC,   Hidden,      Hide,                                  false, "virtual channels configure the shared link"),
    rule(PCI_EXT_CAP_ID_VC9,    Hidden,      Hide,                                  false, "virtual channels configure the shared link"),
    rule(PCI_EXT_CAP_ID_RCLD,   Hidden,      Hide,                                  false, "describes the host's root complex"),
    rule(PCI_EXT_CAP_ID_PMUX,   Hidden,      Hide,                                  false, "protocol multiplexing of the link"),
    rule(PCI_EXT_CAP_ID_DPA,    Hidden,      Hide,                                  false, "dynamic power allocation is the host's"),
    rule(PCI_EXT_CAP_ID_MCAST,  Hidden,      Hide,                                  false, "multicast windows reach other functions"),
    rule(PCI_EXT_CAP_ID_TPH,    Hidden,      Hide,                                  false, "steering tags name host CPUs"),
    rule(PCI_EXT_CAP_ID_DPC,    Hidden,      Hide,                                  false, "port containment is not for endpoints"),
    rule(PCI_EXT_CAP_ID_NULL,   Hidden,      Hide,                                  false, "Null capability"),
];

/// Why an ID no table lists is hidden.
pub const DEFAULT_HIDDEN_WHY: &str = "not in the policy table (default-deny)";

/// The rule for standard capability `id`, or the default-deny rule.
pub fn std_rule(id: u8) -> CapRule {
    STD_CAPS
        .iter()
        .find(|r| r.id == u16::from(id))
        .copied()
        .unwrap_or(rule(u16::from(id), Hidden, Hide, false, DEFAULT_HIDDEN_WHY))
}

/// The rule for extended capability `id`, or the default-deny rule.
pub fn ext_rule(id: u16) -> CapRule {
    EXT_CAPS
        .iter()
        .find(|r| r.id == id)
        .copied()
        .unwrap_or(rule(id, Hidden, Hide, false, DEFAULT_HIDDEN_WHY))
}

/// Where the function is placed in the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Placement {
    /// Below an emulated Root Port (the real fix): an Endpoint with a link.
    #[default]
    UnderRootPort,
    /// On bus 0 as a Root Complex Integrated Endpoint (the Windows pci.sys
    /// workaround of the seed notes): type 9, no link.
    RcIntegrated,
}

/// The PCI Express table for capability version `version` in `placement`.
pub fn pcie_table(version: u8, placement: Placement) -> RegTable {
    match (placement, version >= 2) {
        (Placement::UnderRootPort, true) => tables::PCIE_ENDPOINT_V2,
        (Placement::UnderRootPort, false) => tables::PCIE_ENDPOINT_V1,
        (Placement::RcIntegrated, true) => tables::PCIE_RC_INTEGRATED_V2,
        (Placement::RcIntegrated, false) => tables::PCIE_RC_INTEGRATED_V1,
    }
}

/// The MSI table for Message Control `flags`.
pub fn msi_table(flags: u16) -> RegTable {
    match (
        flags & PCI_MSI_FLAGS_64BIT != 0,
        flags & PCI_MSI_FLAGS_MASKBIT != 0,
    ) {
        (false, false) => tables::MSI_32,
        (false, true) => tables::MSI_32_MASKABLE,
        (true, false) => tables::MSI_64,
        (true, true) => tables::MSI_64_MASKABLE,
    }
}

/// The extent of a table: one past its last register.
pub fn table_extent(table: RegTable) -> u16 {
    table
        .iter()
        .map(|r| r.offset + u16::from(r.size))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcie_config::caps::{CapId, ExtCapId};

    #[test]
    fn every_listed_rule_is_unique_and_tables_are_consistent() {
        for (i, r) in STD_CAPS.iter().enumerate() {
            assert!(
                STD_CAPS[..i].iter().all(|o| o.id != r.id),
                "duplicate {:#x}",
                r.id
            );
        }
        for (i, r) in EXT_CAPS.iter().enumerate() {
            assert!(
                EXT_CAPS[..i].iter().all(|o| o.id != r.id),
                "duplicate {:#x}",
                r.id
            );
        }
        // Every table applies cleanly to a 4 KiB space (mask rules checked by the engine).
        let all = [
            tables::TYPE0_HEADER,
            tables::POWER_MANAGEMENT,
            tables::VPD,
            tables::MSI_32,
            tables::MSI_32_MASKABLE,
            tables::MSI_64,
            tables::MSI_64_MASKABLE,
            tables::MSI_X,
            tables::PCIE_ENDPOINT_V1,
            tables::PCIE_ENDPOINT_V2,
            tables::PCIE_RC_INTEGRATED_V1,
            tables::PCIE_RC_INTEGRATED_V2,
            tables::AER,
            tables::LTR,
            tables::L1_PM_SUBSTATES,
            tables::RESIZABLE_BAR,
            tables::RESIZABLE_BAR_ENTRY,
        ];
        for t in all {
            let mut cfg = vpcie_config::ConfigSpace::new(vpcie_config::ConfigSize::Extended);
            cfg.apply(0x100, t).unwrap();
        }
    }

    #[test]
    fn every_assigned_id_has_the_decision_issue_4_asks_for() {
        use Decision::*;
        for id in CapId::ALL {
            let want = match id {
                CapId::PowerManagement | CapId::Msi | CapId::MsiX | CapId::PciExpress => Emulated,
                CapId::Vpd | CapId::VendorSpecific => Passthrough,
                _ => Hidden,
            };
            assert_eq!(std_rule(id.raw()).decision, want, "{id}");
        }
        for id in ExtCapId::ALL {
            let want = match id {
                ExtCapId::VendorSpecific | ExtCapId::Dvsec | ExtCapId::Dsn => Passthrough,
                ExtCapId::Aer
                | ExtCapId::ResizableBar
                | ExtCapId::Ltr
                | ExtCapId::L1PmSubstates => Emulated,
                _ => Hidden,
            };
            assert_eq!(ext_rule(id.raw()).decision, want, "{id}");
        }
        // Visible with writes emulated: nothing of LTR or L1SS reaches the host.
        for t in [tables::LTR, tables::L1_PM_SUBSTATES, tables::AER] {
            assert!(t.iter().all(|r| r.to_device == 0));
        }
    }

    #[test]
    fn unknown_ids_are_hidden() {
        assert_eq!(std_rule(0x42).decision, Decision::Hidden);
        assert_eq!(ext_rule(0x7777).decision, Decision::Hidden);
        assert_eq!(ext_rule(ExtCapId::Ari.raw()).decision, Decision::Hidden);
        assert_eq!(std_rule(CapId::MsiX.raw()).decision, Decision::Emulated);
    }
}
