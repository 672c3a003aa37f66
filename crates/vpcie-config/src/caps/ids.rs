//! Capability IDs in PCI and PCI Express terms, and their names.
//!
//! IDs from the PCI Code and ID Assignment Specification as Linux
//! `pci_regs.h` and pciutils `lib/header.h` list them (standard IDs up to
//! 0x15, extended IDs up to 0x3a). Names are the ones lspci prints, without
//! its `<?>` markers, where lspci has one.

use crate::regs::*;

/// Declares a capability ID enum with its raw value and name in one table.
macro_rules! id_enum {
    (
        $(#[$meta:meta])*
        $name:ident: $raw:ty {
            $( $(#[doc = $doc:literal])* $variant:ident = $value:expr, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl $name {
            /// Every ID this enum knows, in ascending order of raw value.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The ID for a raw value, if the specification assigns it.
            pub const fn from_raw(raw: $raw) -> Option<Self> {
                $( if raw == $value { return Some($name::$variant); } )*
                None
            }

            /// The raw value of the ID.
            pub const fn raw(self) -> $raw {
                match self { $( $name::$variant => $value, )* }
            }

            /// The name lspci gives the capability.
            pub const fn name(self) -> &'static str {
                match self { $( $name::$variant => $text, )* }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

id_enum! {
    /// A standard (PCI-compatible, offsets 0x40–0xff) capability ID.
    CapId: u8 {
        /// Null Capability: ID and next pointer only.
        Null = PCI_CAP_ID_NULL, "Null";
        /// PCI Power Management Interface.
        PowerManagement = PCI_CAP_ID_PM, "Power Management";
        /// Accelerated Graphics Port.
        Agp = PCI_CAP_ID_AGP, "AGP";
        /// Vital Product Data.
        Vpd = PCI_CAP_ID_VPD, "Vital Product Data";
        /// Slot Identification (bridges).
        SlotId = PCI_CAP_ID_SLOTID, "Slot ID";
        /// Message Signaled Interrupts.
        Msi = PCI_CAP_ID_MSI, "MSI";
        /// CompactPCI Hot Swap.
        CompactPciHotSwap = PCI_CAP_ID_CHSWP, "CompactPCI hot-swap";
        /// PCI-X.
        PciX = PCI_CAP_ID_PCIX, "PCI-X";
        /// HyperTransport.
        HyperTransport = PCI_CAP_ID_HT, "HyperTransport";
        /// Vendor-Specific.
        VendorSpecific = PCI_CAP_ID_VNDR, "Vendor Specific Information";
        /// Debug port (EHCI).
        DebugPort = PCI_CAP_ID_DBG, "Debug port";
        /// CompactPCI Central Resource Control.
        CompactPciCrc = PCI_CAP_ID_CCRC, "CompactPCI central resource control";
        /// PCI Standard Hot-Plug Controller.
        Shpc = PCI_CAP_ID_SHPC, "Hot-plug capable";
        /// Bridge Subsystem Vendor ID.
        BridgeSubsystemId = PCI_CAP_ID_SSVID, "Subsystem";
        /// AGP Target PCI-PCI bridge (AGP 3.0).
        Agp3 = PCI_CAP_ID_AGP3, "AGP3";
        /// Secure Device (AMD IOMMU).
        SecureDevice = PCI_CAP_ID_SECDEV, "Secure device";
        /// PCI Express.
        PciExpress = PCI_CAP_ID_EXP, "Express";
        /// MSI-X.
        MsiX = PCI_CAP_ID_MSIX, "MSI-X";
        /// Serial ATA Data/Index Configuration.
        Sata = PCI_CAP_ID_SATA, "SATA HBA";
        /// Conventional PCI Advanced Features.
        AdvancedFeatures = PCI_CAP_ID_AF, "PCI Advanced Features";
        /// Enhanced Allocation.
        EnhancedAllocation = PCI_CAP_ID_EA, "Enhanced Allocation (EA)";
        /// Flattening Portal Bridge.
        FlatteningPortalBridge = PCI_CAP_ID_FPB, "Flattening Portal Bridge";
    }
}

id_enum! {
    /// A PCI Express extended (offsets 0x100–0xfff) capability ID.
    ExtCapId: u16 {
        /// Null Capability: header only.
        Null = PCI_EXT_CAP_ID_NULL, "Null";
        /// Advanced Error Reporting.
        Aer = PCI_EXT_CAP_ID_ERR, "Advanced Error Reporting";
        /// Virtual Channel (ID 0x02, used when no MFVC is present).
        Vc = PCI_EXT_CAP_ID_VC, "Virtual Channel";
        /// Device Serial Number.
        Dsn = PCI_EXT_CAP_ID_DSN, "Device Serial Number";
        /// Power Budgeting.
        PowerBudgeting = PCI_EXT_CAP_ID_PWR, "Power Budgeting";
        /// Root Complex Link Declaration.
        RcLinkDeclaration = PCI_EXT_CAP_ID_RCLD, "Root Complex Link";
        /// Root Complex Internal Link Control.
        RcInternalLinkControl = PCI_EXT_CAP_ID_RCILC, "Root Complex Internal Link";
        /// Root Complex Event Collector Endpoint Association.
        RcecEndpointAssociation = PCI_EXT_CAP_ID_RCEC, "Root Complex Event Collector Endpoint Association";
        /// Multi-Function Virtual Channel.
        Mfvc = PCI_EXT_CAP_ID_MFVC, "Multi-Function Virtual Channel";
        /// Virtual Channel (ID 0x09, used when an MFVC is present).
        Vc9 = PCI_EXT_CAP_ID_VC9, "Virtual Channel";
        /// Root Complex Register Block Header.
        RcrbHeader = PCI_EXT_CAP_ID_RCRB, "Root Complex Register Block";
        /// Vendor-Specific Extended Capability.
        VendorSpecific = PCI_EXT_CAP_ID_VNDR, "Vendor Specific Information";
        /// Configuration Access Correlation.
        ConfigAccessCorrelation = PCI_EXT_CAP_ID_CAC, "Configuration Access Correlation";
        /// Access Control Services.
        Acs = PCI_EXT_CAP_ID_ACS, "Access Control Services";
        /// Alternative Routing-ID Interpretation.
        Ari = PCI_EXT_CAP_ID_ARI, "Alternative Routing-ID Interpretation (ARI)";
        /// Address Translation Services.
        Ats = PCI_EXT_CAP_ID_ATS, "Address Translation Service (ATS)";
        /// Single Root I/O Virtualization.
        SrIov = PCI_EXT_CAP_ID_SRIOV, "Single Root I/O Virtualization (SR-IOV)";
        /// Multi-Root I/O Virtualization.
        MrIov = PCI_EXT_CAP_ID_MRIOV, "Multi-Root I/O Virtualization";
        /// Multicast.
        Multicast = PCI_EXT_CAP_ID_MCAST, "Multicast";
        /// Page Request Interface.
        Pri = PCI_EXT_CAP_ID_PRI, "Page Request Interface (PRI)";
        /// Reserved for AMD.
        AmdReserved = PCI_EXT_CAP_ID_AMD_XXX, "Reserved for AMD";
        /// Resizable BAR.
        ResizableBar = PCI_EXT_CAP_ID_REBAR, "Resizable BAR";
        /// Dynamic Power Allocation.
        Dpa = PCI_EXT_CAP_ID_DPA, "Dynamic Power Allocation";
        /// TPH Requester.
        Tph = PCI_EXT_CAP_ID_TPH, "Transaction Processing Hints";
        /// Latency Tolerance Reporting.
        Ltr = PCI_EXT_CAP_ID_LTR, "Latency Tolerance Reporting";
        /// Secondary PCI Express.
        SecondaryPcie = PCI_EXT_CAP_ID_SECPCI, "Secondary PCI Express";
        /// Protocol Multiplexing.
        Pmux = PCI_EXT_CAP_ID_PMUX, "Protocol Multiplexing";
        /// Process Address Space ID.
        Pasid = PCI_EXT_CAP_ID_PASID, "Process Address Space ID (PASID)";
        /// LN Requester.
        LnRequester = PCI_EXT_CAP_ID_LNR, "LN Requester";
        /// Downstream Port Containment.
        Dpc = PCI_EXT_CAP_ID_DPC, "Downstream Port Containment";
        /// L1 PM Substates.
        L1PmSubstates = PCI_EXT_CAP_ID_L1SS, "L1 PM Substates";
        /// Precision Time Measurement.
        Ptm = PCI_EXT_CAP_ID_PTM, "Precision Time Measurement";
        /// PCI Express over M-PHY.
        MPcie = PCI_EXT_CAP_ID_MPCIE, "PCI Express over M_PHY";
        /// FRS Queueing.
        FrsQueueing = PCI_EXT_CAP_ID_FRS, "FRS Queueing";
        /// Readiness Time Reporting.
        ReadinessTimeReporting = PCI_EXT_CAP_ID_RTR, "Readiness Time Reporting";
        /// Designated Vendor-Specific Extended Capability.
        Dvsec = PCI_EXT_CAP_ID_DVSEC, "Designated Vendor-Specific";
        /// VF Resizable BAR.
        VfResizableBar = PCI_EXT_CAP_ID_VF_REBAR, "VF Resizable BAR";
        /// Data Link Feature.
        DataLinkFeature = PCI_EXT_CAP_ID_DLF, "Data Link Feature";
        /// Physical Layer 16.0 GT/s.
        PhysicalLayer16 = PCI_EXT_CAP_ID_PL_16GT, "Physical Layer 16.0 GT/s";
        /// Lane Margining at the Receiver.
        LaneMargining = PCI_EXT_CAP_ID_LMR, "Lane Margining at the Receiver";
        /// Hierarchy ID.
        HierarchyId = PCI_EXT_CAP_ID_HIER_ID, "Hierarchy ID";
        /// Native PCIe Enclosure Management.
        Npem = PCI_EXT_CAP_ID_NPEM, "Native PCIe Enclosure Management";
        /// Physical Layer 32.0 GT/s.
        PhysicalLayer32 = PCI_EXT_CAP_ID_PL_32GT, "Physical Layer 32.0 GT/s";
        /// Alternate Protocol.
        AlternateProtocol = PCI_EXT_CAP_ID_ALT_PROT, "Alternate Protocol";
        /// System Firmware Intermediary.
        Sfi = PCI_EXT_CAP_ID_SFI, "System Firmware Intermediary";
        /// Shadow Functions.
        ShadowFunctions = PCI_EXT_CAP_ID_SHADOW_FN, "Shadow Functions";
        /// Data Object Exchange.
        Doe = PCI_EXT_CAP_ID_DOE, "Data Object Exchange";
        /// Device 3.
        Device3 = PCI_EXT_CAP_ID_DEV3, "Device 3";
        /// Integrity and Data Encryption.
        Ide = PCI_EXT_CAP_ID_IDE, "Integrity & Data Encryption";
        /// Physical Layer 64.0 GT/s.
        PhysicalLayer64 = PCI_EXT_CAP_ID_PL_64GT, "Physical Layer 64.0 GT/s";
        /// Flit Logging.
        FlitLogging = PCI_EXT_CAP_ID_FLIT_LOG, "Flit Logging";
        /// Flit Performance Measurement.
        FlitPerformance = PCI_EXT_CAP_ID_FLIT_PERF, "Flit Performance Measurement";
        /// Flit Error Injection.
        FlitErrorInjection = PCI_EXT_CAP_ID_FLIT_ERR_INJ, "Flit Error Injection";
        /// Streamlined Virtual Channel.
        Svc = PCI_EXT_CAP_ID_SVC, "Streamlined Virtual Channel";
        /// MMIO Register Block Locator.
        MmioRegisterBlockLocator = PCI_EXT_CAP_ID_MMIO_RBL, "MMIO Register Block Locator";
        /// NOP Flit.
        NopFlit = PCI_EXT_CAP_ID_NOP_FLIT, "NOP Flit";
        /// Scalable I/O Virtualization.
        Siov = PCI_EXT_CAP_ID_SIOV, "Scalable I/O Virtualization";
        /// Physical Layer 128.0 GT/s.
        PhysicalLayer128 = PCI_EXT_CAP_ID_128GT, "Physical Layer 128.0 GT/s";
        /// Captured Data.
        CapturedData = PCI_EXT_CAP_ID_CAPT_D, "Captured Data";
    }
}

/// Name of a standard capability ID ("Unknown" for unassigned IDs).
pub fn cap_name(id: u8) -> &'static str {
    CapId::from_raw(id).map_or("Unknown", CapId::name)
}

/// Name of an extended capability ID ("Unknown" for unassigned IDs).
pub fn ext_cap_name(id: u16) -> &'static str {
    ExtCapId::from_raw(id).map_or("Unknown", ExtCapId::name)
}
