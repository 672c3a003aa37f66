//! Unit tests: every variable-length rule on hand-built images whose field
//! values come from the specification, and every kind of garbage.

use super::*;
use proptest::prelude::*;

/// A configuration image under construction.
struct Img(Vec<u8>);

impl Img {
    /// A Type 0 function of `size` bytes with a capability list (Status bit 4).
    fn new(size: usize) -> Self {
        let mut img = Img(vec![0; size]);
        img.w16(0, 0x8086)
            .w16(2, 0x1234)
            .w16(usize::from(PCI_STATUS), PCI_STATUS_CAP_LIST);
        img
    }

    /// A Type 1 (bridge) function.
    fn bridge(size: usize) -> Self {
        let mut img = Img::new(size);
        img.w8(usize::from(PCI_HEADER_TYPE), PCI_HEADER_TYPE_BRIDGE);
        img
    }

    fn w8(&mut self, at: usize, v: u8) -> &mut Self {
        self.0[at] = v;
        self
    }

    fn w16(&mut self, at: usize, v: u16) -> &mut Self {
        self.0[at..at + 2].copy_from_slice(&v.to_le_bytes());
        self
    }

    fn w32(&mut self, at: usize, v: u32) -> &mut Self {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
        self
    }

    /// Points the list head at `first`.
    fn head(&mut self, first: u8) -> &mut Self {
        self.w8(usize::from(PCI_CAPABILITY_LIST), first)
    }

    /// A standard capability header.
    fn cap(&mut self, at: u8, id: u8, next: u8) -> &mut Self {
        self.w8(usize::from(at), id).w8(usize::from(at) + 1, next)
    }

    /// A PCI Express capability at `at` with version, port type and width.
    fn pcie(&mut self, at: u8, next: u8, version: u16, port_type: u8, lanes: u32) -> &mut Self {
        let flags = version | (u16::from(port_type) << 4);
        self.cap(at, PCI_CAP_ID_EXP, next)
            .w16(usize::from(at) + 2, flags);
        self.w32(usize::from(at) + usize::from(PCI_EXP_LNKCAP), lanes << 4)
    }

    /// An extended capability header.
    fn ext(&mut self, at: u16, id: u16, version: u8, next: u16) -> &mut Self {
        let header = u32::from(id) | u32::from(version) << 16 | u32::from(next) << 20;
        self.w32(usize::from(at), header)
    }

    fn parse(&self) -> CapabilityList {
        parse_capabilities(&self.0)
    }
}

/// A 4 KiB endpoint with a PCI Express v2 capability of `lanes` at 0x40.
fn express(lanes: u32) -> Img {
    let mut img = Img::new(4096);
    img.head(0x40)
        .pcie(0x40, 0, 2, PCI_EXP_TYPE_ENDPOINT, lanes);
    img
}

/// Length of the only extended capability of `img` (at 0x100), with its
/// diagnostics.
fn ext_only(img: &Img) -> (u16, Vec<Diagnostic>) {
    let list = img.parse();
    assert_eq!(list.ext_caps.len(), 1, "{list:#?}");
    (list.ext_caps[0].len, list.diagnostics)
}

fn kinds(diagnostics: &[Diagnostic]) -> Vec<DiagnosticKind> {
    diagnostics.iter().map(|d| d.kind).collect()
}

// ---------------------------------------------------------------------------
// IDs and names
// ---------------------------------------------------------------------------

#[test]
fn ids_round_trip_and_names() {
    for &id in CapId::ALL {
        assert_eq!(CapId::from_raw(id.raw()), Some(id));
        assert_eq!(cap_name(id.raw()), id.name());
    }
    for &id in ExtCapId::ALL {
        assert_eq!(ExtCapId::from_raw(id.raw()), Some(id));
        assert_eq!(ext_cap_name(id.raw()), id.name());
    }
    assert_eq!(CapId::ALL.len(), 0x16, "0x00..=0x15");
    assert_eq!(CapId::from_raw(0x16), None);
    assert_eq!(cap_name(0x16), "Unknown");
    // 0x00..=0x3a are all assigned.
    assert_eq!(ExtCapId::ALL.len(), 0x3b);
    assert_eq!(ExtCapId::from_raw(0x3b), None);
    assert_eq!(CapId::PowerManagement.name(), "Power Management");
    assert_eq!(CapId::Msi.name(), "MSI");
    assert_eq!(CapId::PciExpress.name(), "Express");
    assert_eq!(ExtCapId::Aer.name(), "Advanced Error Reporting");
    assert_eq!(ExtCapId::ResizableBar.name(), "Resizable BAR");
    assert_eq!(ExtCapId::ResizableBar.raw(), 0x15);
    assert_eq!(ExtCapId::FlitErrorInjection.raw(), 0x34);
    assert_eq!(ExtCapId::MmioRegisterBlockLocator.raw(), 0x36);
}

#[test]
fn find_helpers() {
    let mut img = express(1);
    img.w8(0x41, 0x80)
        .cap(0x80, PCI_CAP_ID_PM, 0x88)
        .cap(0x88, PCI_CAP_ID_VNDR, 0);
    img.w8(0x8a, 8);
    img.ext(0x100, PCI_EXT_CAP_ID_ERR, 2, 0x140)
        .ext(0x140, PCI_EXT_CAP_ID_LTR, 1, 0);
    let list = img.parse();
    assert_eq!(
        list.find(CapId::PowerManagement).map(|c| c.offset),
        Some(0x80)
    );
    assert_eq!(list.find(CapId::MsiX), None);
    assert_eq!(
        list.find_ext(ExtCapId::Ltr).map(|c| (c.offset, c.len)),
        Some((0x140, 8))
    );
    assert_eq!(list.cap_at(0x85).map(|c| c.id), Some(PCI_CAP_ID_PM));
    assert_eq!(list.cap_at(0x7c), None, "the PCIe capability ends at 0x7c");
    assert_eq!(list.cap_at(0x90), None);
    assert_eq!(
        list.ext_cap_at(0x12b).map(|c| c.id),
        Some(PCI_EXT_CAP_ID_ERR)
    );
    assert_eq!(list.ext_cap_at(0x12c), None, "endpoint AER is 0x2c bytes");
    assert_eq!(list.find_all(CapId::VendorSpecific).count(), 1);
    assert!(list.diagnostics.is_empty(), "{:#?}", list.diagnostics);
}

// ---------------------------------------------------------------------------
// Standard capabilities
// ---------------------------------------------------------------------------

fn std_len_of(img: &Img, at: u16) -> u16 {
    let list = img.parse();
    list.caps
        .iter()
        .find(|c| c.offset == at)
        .map(|c| c.len)
        .expect("capability present")
}

#[test]
fn fixed_standard_lengths() {
    for (id, len) in [
        (PCI_CAP_ID_PM, 8),
        (PCI_CAP_ID_AGP, 12),
        (PCI_CAP_ID_VPD, 8),
        (PCI_CAP_ID_SLOTID, 4),
        (PCI_CAP_ID_CHSWP, 4),
        (PCI_CAP_ID_DBG, 4),
        (PCI_CAP_ID_SHPC, 8),
        (PCI_CAP_ID_SSVID, 8),
        (PCI_CAP_ID_SECDEV, 0x18),
        (PCI_CAP_ID_MSIX, 12),
        (PCI_CAP_ID_AF, 6),
        (PCI_CAP_ID_FPB, 0x24),
    ] {
        let mut img = Img::new(256);
        img.head(0x40).cap(0x40, id, 0);
        let list = img.parse();
        assert_eq!(
            list.caps,
            [Capability {
                offset: 0x40,
                id,
                len
            }],
            "ID 0x{id:02x}"
        );
        assert!(list.diagnostics.is_empty(), "{:#?}", list.diagnostics);
    }
}

#[test]
fn msi_by_flags() {
    // vfio: 10 / 14 / 20 / 24; the last dword holds Extended Message Data.
    for (flags, len) in [
        (0x0000, 12),
        (PCI_MSI_FLAGS_64BIT, 16),
        (PCI_MSI_FLAGS_MASKBIT, 20),
        (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT, 24),
    ] {
        let mut img = Img::new(256);
        img.head(0x50).cap(0x50, PCI_CAP_ID_MSI, 0).w16(0x52, flags);
        assert_eq!(std_len_of(&img, 0x50), len, "flags 0x{flags:04x}");
    }
}

#[test]
fn pcix_by_header_type_and_version() {
    for (bridge, version, len) in [
        (false, 0, 8),
        (false, 1, 24),
        (false, 2, 24),
        (true, 0, 16),
        (true, 2, 32),
    ] {
        let mut img = if bridge {
            Img::bridge(256)
        } else {
            Img::new(256)
        };
        img.head(0x60)
            .cap(0x60, PCI_CAP_ID_PCIX, 0)
            .w16(0x62, version << 12);
        assert_eq!(
            std_len_of(&img, 0x60),
            len,
            "bridge {bridge} version {version}"
        );
    }
}

#[test]
fn hypertransport_by_type() {
    for (cmd, len) in [
        (0x0000, 28),                     // slave/primary interface
        (0x2000, 24),                     // host/secondary interface
        (PCI_HT_CMD_TYP_SW, 24),          // switch
        (PCI_HT_CMD_TYP_IDC, 8),          // interrupt discovery
        (PCI_HT_CMD_TYP_RID, 4),          // revision ID
        (PCI_HT_CMD_TYP_MSIM, 12),        // MSI mapping
        (PCI_HT_CMD_TYP_AM | 2, 28),      // 40-bit address mapping, 2 DMA windows
        (PCI_HT_CMD_TYP_AM | 0x0200, 16), // 64-bit address mapping
    ] {
        let mut img = Img::new(256);
        img.head(0x80).cap(0x80, PCI_CAP_ID_HT, 0).w16(0x82, cmd);
        let list = img.parse();
        assert_eq!(list.caps[0].len, len, "command 0x{cmd:04x}");
        assert!(list.diagnostics.is_empty());
    }
    // An unknown type (0xd0, Gen3): vfio's 24 bytes, with a diagnostic.
    let mut img = Img::new(256);
    img.head(0x80).cap(0x80, PCI_CAP_ID_HT, 0).w16(0x82, 0xd000);
    let list = img.parse();
    assert_eq!(list.caps[0].len, 24);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::UnknownLayout]);
}

#[test]
fn vendor_specific_by_length_byte() {
    let mut img = Img::new(256);
    img.head(0x48)
        .cap(0x48, PCI_CAP_ID_VNDR, 0x60)
        .w8(0x4a, 0x14)
        .cap(0x60, PCI_CAP_ID_VNDR, 0);
    let list = img.parse();
    assert_eq!(list.caps[0].len, 0x14);
    // Length byte 0 (as on Intel xHCI, d21): one dword and a diagnostic.
    assert_eq!(list.caps[1].len, 4);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::InvalidField]);
    assert!(
        list.diagnostics[0].to_string().contains("0x060"),
        "{}",
        list.diagnostics[0]
    );
}

#[test]
fn pci_express_by_version_and_type() {
    for (version, port_type, slot, len) in [
        (1, PCI_EXP_TYPE_ENDPOINT, false, 0x14),
        (1, PCI_EXP_TYPE_LEG_END, false, 0x14),
        (1, PCI_EXP_TYPE_RC_END, false, 0x0c),
        (1, PCI_EXP_TYPE_DOWNSTREAM, true, 0x1c),
        (1, PCI_EXP_TYPE_DOWNSTREAM, false, 0x14),
        (1, PCI_EXP_TYPE_ROOT_PORT, true, 0x24),
        (1, PCI_EXP_TYPE_RC_EC, false, 0x24),
        (2, PCI_EXP_TYPE_ENDPOINT, false, 0x3c),
        (2, PCI_EXP_TYPE_RC_END, false, 0x3c),
        (2, PCI_EXP_TYPE_ROOT_PORT, true, 0x3c),
    ] {
        let mut img = Img::new(256);
        img.head(0x40).pcie(0x40, 0, version, port_type, 1);
        if slot {
            img.w16(
                0x42,
                version | u16::from(port_type) << 4 | PCI_EXP_FLAGS_SLOT,
            );
        }
        assert_eq!(
            std_len_of(&img, 0x40),
            len,
            "v{version} type {port_type} slot {slot}"
        );
    }
}

#[test]
fn sata_by_register_location() {
    for (regs, len) in [(0x04, 8), (0x0f, 16)] {
        let mut img = Img::new(256);
        img.head(0xa8).cap(0xa8, PCI_CAP_ID_SATA, 0).w8(0xac, regs);
        assert_eq!(std_len_of(&img, 0xa8), len);
    }
}

#[test]
fn enhanced_allocation_walks_entries() {
    // Two entries: Entry Size 2 (base, max offset) and 3 (plus base high).
    let mut img = Img::new(256);
    img.head(0x40).cap(0x40, PCI_CAP_ID_EA, 0).w8(0x42, 2);
    img.w32(0x44, 0x8000_0002).w32(0x50, 0x8000_0003);
    assert_eq!(std_len_of(&img, 0x40), 4 + 12 + 16);
    // A bridge has the fixed bus numbers dword first.
    let mut img = Img::bridge(256);
    img.head(0x40)
        .cap(0x40, PCI_CAP_ID_EA, 0)
        .w8(0x42, 1)
        .w32(0x48, 0x8000_0002);
    assert_eq!(std_len_of(&img, 0x40), 8 + 12);
}

#[test]
fn cardbus_list_starts_at_0x14() {
    let mut img = Img::new(256);
    img.w8(
        usize::from(PCI_HEADER_TYPE),
        PCI_HEADER_TYPE_CARDBUS | PCI_HEADER_TYPE_MFD,
    );
    img.w8(usize::from(PCI_CB_CAPABILITY_LIST), 0x80)
        .cap(0x80, PCI_CAP_ID_PM, 0);
    assert_eq!(
        img.parse().caps,
        [Capability {
            offset: 0x80,
            id: PCI_CAP_ID_PM,
            len: 8
        }]
    );
}

#[test]
fn no_list_without_status_bit() {
    let mut img = Img::new(256);
    img.head(0x40)
        .cap(0x40, PCI_CAP_ID_PM, 0)
        .w16(usize::from(PCI_STATUS), 0);
    let list = img.parse();
    assert!(list.caps.is_empty() && list.diagnostics.is_empty());
}

#[test]
fn pointer_low_bits_are_masked() {
    let mut img = Img::new(256);
    img.head(0x43)
        .cap(0x40, PCI_CAP_ID_PM, 0x4b)
        .cap(0x48, PCI_CAP_ID_MSI, 0);
    let list = img.parse();
    assert_eq!(
        list.caps.iter().map(|c| c.offset).collect::<Vec<_>>(),
        [0x40, 0x48]
    );
    assert!(list.diagnostics.is_empty());
}

#[test]
fn unknown_standard_id_extends_to_next() {
    let mut img = Img::new(256);
    img.head(0x40)
        .cap(0x40, 0x42, 0x60)
        .cap(0x60, PCI_CAP_ID_PM, 0);
    let list = img.parse();
    assert_eq!(list.caps[0].len, 0x20);
    assert_eq!(list.caps[0].name(), "Unknown");
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::UnknownId]);
    // Last in the space: one dword.
    let mut img = Img::new(256);
    img.head(0x40).cap(0x40, PCI_CAP_ID_CCRC, 0);
    let list = img.parse();
    assert_eq!(list.caps[0].len, 4);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::UnknownLayout]);
}

// ---------------------------------------------------------------------------
// Extended capabilities
// ---------------------------------------------------------------------------

#[test]
fn fixed_extended_lengths() {
    for (id, len) in [
        (PCI_EXT_CAP_ID_DSN, 0x0c),
        (PCI_EXT_CAP_ID_PWR, 0x10),
        (PCI_EXT_CAP_ID_RCILC, 0x0c),
        (PCI_EXT_CAP_ID_RCRB, 0x14),
        (PCI_EXT_CAP_ID_CAC, 0x08),
        (PCI_EXT_CAP_ID_ARI, 0x08),
        (PCI_EXT_CAP_ID_ATS, 0x08),
        (PCI_EXT_CAP_ID_SRIOV, 0x40),
        (PCI_EXT_CAP_ID_PRI, 0x10),
        (PCI_EXT_CAP_ID_LTR, 0x08),
        (PCI_EXT_CAP_ID_PASID, 0x08),
        (PCI_EXT_CAP_ID_LNR, 0x08),
        (PCI_EXT_CAP_ID_L1SS, 0x10),
        (PCI_EXT_CAP_ID_PTM, 0x0c),
        (PCI_EXT_CAP_ID_MPCIE, 0x1c),
        (PCI_EXT_CAP_ID_FRS, 0x10),
        (PCI_EXT_CAP_ID_RTR, 0x0c),
        (PCI_EXT_CAP_ID_DLF, 0x0c),
        (PCI_EXT_CAP_ID_NPEM, 0x10),
        (PCI_EXT_CAP_ID_ALT_PROT, 0x18),
        (PCI_EXT_CAP_ID_DOE, 0x18),
        (PCI_EXT_CAP_ID_DEV3, 0x10),
        (PCI_EXT_CAP_ID_FLIT_LOG, 0x3c),
        (PCI_EXT_CAP_ID_FLIT_ERR_INJ, 0x24),
    ] {
        let mut img = express(4);
        img.ext(0x100, id, 1, 0);
        let (got, diagnostics) = ext_only(&img);
        assert_eq!(got, len, "ID 0x{id:04x}");
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    }
}

#[test]
fn aer_by_port_type_and_prefix_support() {
    for (port_type, devcap2, len) in [
        (PCI_EXP_TYPE_ENDPOINT, 0, 0x2c),
        (PCI_EXP_TYPE_ROOT_PORT, 0, 0x38),
        (PCI_EXP_TYPE_RC_EC, 0, 0x38),
        (PCI_EXP_TYPE_ENDPOINT, PCI_EXP_DEVCAP2_EE_PREFIX, 0x48),
    ] {
        let mut img = Img::new(4096);
        img.head(0x40)
            .pcie(0x40, 0, 2, port_type, 1)
            .w32(0x40 + 0x24, devcap2);
        img.ext(0x100, PCI_EXT_CAP_ID_ERR, 2, 0);
        assert_eq!(
            ext_only(&img).0,
            len,
            "type {port_type} devcap2 {devcap2:#x}"
        );
    }
    // Flit Mode Supported: the TLP Prefix Log holds the rest of the header log.
    let mut img = Img::new(4096);
    img.head(0x40).pcie(0x40, 0, 2, PCI_EXP_TYPE_ENDPOINT, 1);
    img.w16(0x42, 2 | PCI_EXP_FLAGS_FLIT)
        .ext(0x100, PCI_EXT_CAP_ID_ERR, 2, 0);
    assert_eq!(ext_only(&img).0, 0x48);
    // No PCI Express capability: the smallest form, with a diagnostic.
    let mut img = Img::new(4096);
    img.ext(0x100, PCI_EXT_CAP_ID_ERR, 2, 0);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 0x2c);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::NoPcieCapability]);
}

#[test]
fn virtual_channel_resources_and_tables() {
    // One extended VC, no tables: 0x10 + 2 * 0x0c.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_VC, 1, 0).w32(0x104, 1);
    assert_eq!(ext_only(&img).0, 0x28);

    // WRR64 VC arbitration table at 4 * 16: 64 phases of 4 bits = 32 bytes.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_VC, 1, 0)
        .w32(0x108, 0x0400_0004);
    assert_eq!(ext_only(&img).0, 0x40 + 32);

    // Port arbitration table of VC1 at 8 * 16, WRR128 with 2-bit entries:
    // 128 * 2 / 8 = 32 bytes; VC0's TWRR128 table at 6 * 16 ends earlier.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_VC9, 1, 0)
        .w32(0x104, 1 | 1 << 10);
    img.w32(0x110, 0x0600_0010).w32(0x11c, 0x0800_0008);
    assert_eq!(ext_only(&img).0, 0x80 + 32);

    // MFVC: same layout; 256-phase function arbitration table, 8-bit entries.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_MFVC, 1, 0)
        .w32(0x104, 3 << 10)
        .w32(0x110, 0x0200_0020);
    assert_eq!(ext_only(&img).0, 0x20 + 256);

    // A table offset without a table-based scheme is ignored, with a note.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_VC, 1, 0)
        .w32(0x108, 0x0400_0001);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 0x1c);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::InvalidField]);
}

#[test]
fn acs_egress_control_vector() {
    for (cap, bits, len) in [
        (0x001f, 0, 8),
        (0x0020, 0, 8 + 32),
        (0x0020, 7, 8 + 4),
        (0x0020, 33, 8 + 8),
    ] {
        let mut img = express(1);
        img.ext(0x100, PCI_EXT_CAP_ID_ACS, 1, 0)
            .w16(0x104, cap | (bits << 8));
        assert_eq!(ext_only(&img).0, len, "cap {cap:#x} bits {bits}");
    }
}

#[test]
fn resizable_bar_by_bar_count() {
    for (id, bars, len) in [
        (PCI_EXT_CAP_ID_REBAR, 1, 0x0c),
        (PCI_EXT_CAP_ID_REBAR, 3, 4 + 8 * 3),
        (PCI_EXT_CAP_ID_VF_REBAR, 6, 4 + 8 * 6),
    ] {
        let mut img = express(1);
        img.ext(0x100, id, 1, 0).w32(0x108, bars << 5);
        let (got, diagnostics) = ext_only(&img);
        assert_eq!(got, len);
        assert!(diagnostics.is_empty());
    }
    for (bars, len) in [(0, 0x0c), (7, 4 + 8 * 6)] {
        let mut img = express(1);
        img.ext(0x100, PCI_EXT_CAP_ID_REBAR, 1, 0)
            .w32(0x108, bars << 5);
        let (got, diagnostics) = ext_only(&img);
        assert_eq!(got, len);
        assert_eq!(kinds(&diagnostics), [DiagnosticKind::InvalidField]);
    }
}

#[test]
fn dpa_tph_pmux_rcld_rcec() {
    // DPA: Substate_Max 3 -> 4 allocation bytes; 4 -> 5 bytes padded.
    for (max, len) in [(3, 0x14), (4, 0x18)] {
        let mut img = express(1);
        img.ext(0x100, PCI_EXT_CAP_ID_DPA, 1, 0).w32(0x104, max);
        assert_eq!(ext_only(&img).0, len);
    }
    // TPH: ST table of 64 entries in the capability; or in MSI-X.
    for (cap, len) in [
        (PCI_TPH_LOC_CAP | 63 << 16, 0x0c + 128),
        (0x400 | 63 << 16, 0x0c),
        (PCI_TPH_LOC_CAP, 0x10),
    ] {
        let mut img = express(1);
        img.ext(0x100, PCI_EXT_CAP_ID_TPH, 1, 0).w32(0x104, cap);
        assert_eq!(ext_only(&img).0, len, "TPH cap {cap:#x}");
    }
    // PMUX: three protocol array entries.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_PMUX, 1, 0).w32(0x104, 3);
    assert_eq!(ext_only(&img).0, 0x1c);
    // RCLD: two link entries.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_RCLD, 1, 0).w32(0x104, 2 << 8);
    assert_eq!(ext_only(&img).0, 0x30);
    // RCEC association: bus numbers from version 2.
    for (version, len) in [(1, 8), (2, 0x0c)] {
        let mut img = express(1);
        img.ext(0x100, PCI_EXT_CAP_ID_RCEC, version, 0);
        assert_eq!(ext_only(&img).0, len);
    }
}

#[test]
fn multicast_by_port_type() {
    for (port_type, len) in [
        (PCI_EXP_TYPE_ENDPOINT, 0x28),
        (PCI_EXP_TYPE_RC_END, 0x28),
        (PCI_EXP_TYPE_ROOT_PORT, 0x30),
        (PCI_EXP_TYPE_UPSTREAM, 0x30),
        (PCI_EXP_TYPE_DOWNSTREAM, 0x30),
    ] {
        let mut img = Img::new(4096);
        img.head(0x40)
            .pcie(0x40, 0, 2, port_type, 1)
            .ext(0x100, PCI_EXT_CAP_ID_MCAST, 1, 0);
        assert_eq!(ext_only(&img).0, len);
    }
}

#[test]
fn lane_sized_capabilities() {
    for (id, lanes, len) in [
        (PCI_EXT_CAP_ID_SECPCI, 1, 0x10),
        (PCI_EXT_CAP_ID_SECPCI, 4, 0x14),
        (PCI_EXT_CAP_ID_SECPCI, 16, 0x2c),
        (PCI_EXT_CAP_ID_PL_16GT, 1, 0x24),
        (PCI_EXT_CAP_ID_PL_16GT, 8, 0x28),
        (PCI_EXT_CAP_ID_PL_16GT, 16, 0x30),
        (PCI_EXT_CAP_ID_PL_32GT, 4, 0x24),
        (PCI_EXT_CAP_ID_PL_32GT, 32, 0x40),
        (PCI_EXT_CAP_ID_PL_64GT, 4, 0x14),
        (PCI_EXT_CAP_ID_PL_64GT, 16, 0x20),
        (PCI_EXT_CAP_ID_128GT, 8, 0x18),
        (PCI_EXT_CAP_ID_LMR, 2, 0x10),
        (PCI_EXT_CAP_ID_LMR, 16, 0x48),
    ] {
        let mut img = express(lanes);
        img.ext(0x100, id, 1, 0);
        let (got, diagnostics) = ext_only(&img);
        assert_eq!(got, len, "ID 0x{id:x} x{lanes}");
        assert!(diagnostics.is_empty());
    }
    // No PCI Express capability: x1, with a diagnostic.
    let mut img = Img::new(4096);
    img.ext(0x100, PCI_EXT_CAP_ID_LMR, 1, 0);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 0x0c);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::NoPcieCapability]);
    // An RCiEP has no Link: x1, with a diagnostic.
    let mut img = Img::new(4096);
    img.head(0x40).pcie(0x40, 0, 1, PCI_EXP_TYPE_RC_END, 16);
    img.ext(0x100, PCI_EXT_CAP_ID_SECPCI, 1, 0);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 0x10);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::InvalidField]);
    // Maximum Link Width 0 (reserved): x1, with a diagnostic.
    let mut img = express(0);
    img.ext(0x100, PCI_EXT_CAP_ID_PL_16GT, 1, 0);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 0x24);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::InvalidField]);
}

#[test]
fn dpc_root_port_extensions() {
    for (cap, len) in [
        (0x0000, 0x0c),                   // no RP Extensions
        (0x0020 | 4 << 8, 0x30),          // header log only
        (0x0020 | 9 << 8, 0x44),          // header, ImpSpec and 4 prefix dwords
        (0x2020 | 4 << 8, 0x20 + 4 * 20), // RP PIO Log Size[4] set: 20 dwords
    ] {
        let mut img = Img::new(4096);
        img.head(0x40).pcie(0x40, 0, 2, PCI_EXP_TYPE_ROOT_PORT, 4);
        img.ext(0x100, PCI_EXT_CAP_ID_DPC, 1, 0).w16(0x104, cap);
        let (got, diagnostics) = ext_only(&img);
        assert_eq!(got, len, "DPC cap {cap:#x}");
        assert!(diagnostics.is_empty());
    }
    // RP Extensions with log size 0 (Intel TB4 root ports, d22): 4 dwords.
    let mut img = express(4);
    img.ext(0x100, PCI_EXT_CAP_ID_DPC, 1, 0).w16(0x104, 0x0020);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 0x30);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::InvalidField]);
}

#[test]
fn length_fields() {
    // VSEC: ID 1, rev 1, length 0x24.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_VNDR, 1, 0)
        .w32(0x104, 0x0241_0001);
    assert_eq!(ext_only(&img).0, 0x24);
    // DVSEC: CXL vendor, length 0x38.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_DVSEC, 1, 0)
        .w32(0x104, 0x0381_1e98);
    assert_eq!(ext_only(&img).0, 0x38);
    // MMIO Register Block Locator: two locators, 0x18 bytes.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_MMIO_RBL, 1, 0)
        .w32(0x104, 0x18);
    assert_eq!(ext_only(&img).0, 0x18);
    // A VSEC length shorter than its header.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_VNDR, 1, 0)
        .w32(0x104, 0x0041_0001);
    let (len, diagnostics) = ext_only(&img);
    assert_eq!(len, 8);
    assert_eq!(kinds(&diagnostics), [DiagnosticKind::InvalidField]);
}

#[test]
fn ide_walks_link_and_selective_streams() {
    // Link IDE with 2 TCs (2 blocks of 8), 2 selective streams with 1 and 2
    // address association blocks: 0x0c + 16 + (20 + 12) + (20 + 24).
    let mut img = express(4);
    img.ext(0x100, PCI_EXT_CAP_ID_IDE, 1, 0);
    img.w32(
        0x104,
        PCI_IDE_CAP_LINK | PCI_IDE_CAP_SELECTIVE | 1 << 13 | 1 << 16,
    );
    img.w32(0x100 + 0x1c, 1).w32(0x100 + 0x3c, 2);
    assert_eq!(ext_only(&img).0, 0x0c + 16 + 32 + 44);
    // Selective streams only: one stream without address blocks.
    let mut img = express(4);
    img.ext(0x100, PCI_EXT_CAP_ID_IDE, 1, 0)
        .w32(0x104, PCI_IDE_CAP_SELECTIVE);
    assert_eq!(ext_only(&img).0, 0x0c + 20);
}

#[test]
fn unknown_extended_id_and_layout() {
    let mut img = express(1);
    img.ext(0x100, 0x0050, 1, 0x180)
        .ext(0x180, PCI_EXT_CAP_ID_HIER_ID, 1, 0);
    let list = img.parse();
    assert_eq!(list.ext_caps[0].len, 0x80);
    assert_eq!(list.ext_caps[1].len, 4);
    assert_eq!(
        kinds(&list.diagnostics),
        [DiagnosticKind::UnknownId, DiagnosticKind::UnknownLayout]
    );
}

#[test]
fn single_capability_lengths() {
    let mut img = express(16);
    img.ext(0x100, PCI_EXT_CAP_ID_LMR, 1, 0);
    assert_eq!(ext_cap_len(&img.0, 0x100, PCI_EXT_CAP_ID_LMR), (0x48, None));
    assert_eq!(cap_len(&img.0, 0x40, PCI_CAP_ID_EXP), (0x3c, None));
    // Not in the list: sized on its own, same link width.
    img.ext(0x400, PCI_EXT_CAP_ID_PL_16GT, 1, 0);
    assert_eq!(
        ext_cap_len(&img.0, 0x400, PCI_EXT_CAP_ID_PL_16GT),
        (0x30, None)
    );
    // Several problems are joined into one diagnostic.
    let mut img = Img::new(4096);
    img.ext(0xff0, PCI_EXT_CAP_ID_LMR, 1, 0);
    let (len, diagnostic) = ext_cap_len(&img.0, 0xff0, PCI_EXT_CAP_ID_LMR);
    assert_eq!(len, 0x0c);
    assert_eq!(
        diagnostic.map(|d| d.kind),
        Some(DiagnosticKind::NoPcieCapability)
    );
}

// ---------------------------------------------------------------------------
// Garbage
// ---------------------------------------------------------------------------

#[test]
fn standard_self_loop() {
    let mut img = Img::new(256);
    img.head(0x40).cap(0x40, PCI_CAP_ID_PM, 0x40);
    let list = img.parse();
    assert_eq!(list.caps.len(), 1);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Loop]);
    let text = list.diagnostics[0].to_string();
    assert!(
        text.contains("0x41") && text.contains("loops") && text.contains("ends"),
        "{text}"
    );
}

#[test]
fn standard_two_cap_cycle() {
    let mut img = Img::new(256);
    img.head(0x40)
        .cap(0x40, PCI_CAP_ID_PM, 0x50)
        .cap(0x50, PCI_CAP_ID_MSI, 0x40);
    let list = img.parse();
    assert_eq!(
        list.caps.iter().map(|c| c.offset).collect::<Vec<_>>(),
        [0x40, 0x50]
    );
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Loop]);
}

#[test]
fn pointer_into_header() {
    let mut img = Img::new(256);
    img.head(0x20);
    let list = img.parse();
    assert!(list.caps.is_empty());
    assert_eq!(
        kinds(&list.diagnostics),
        [DiagnosticKind::PointerIntoHeader]
    );
    // Further down the list, too.
    let mut img = Img::new(256);
    img.head(0x40).cap(0x40, PCI_CAP_ID_PM, 0x10);
    let list = img.parse();
    assert_eq!(list.caps.len(), 1);
    assert_eq!(list.diagnostics[0].offset, Some(0x41));
    assert_eq!(
        kinds(&list.diagnostics),
        [DiagnosticKind::PointerIntoHeader]
    );
}

#[test]
fn pointer_past_end() {
    // A 64-byte function (header only) whose pointer names 0x40.
    let mut img = Img::new(64);
    img.head(0x40);
    let list = img.parse();
    assert!(list.caps.is_empty());
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::PointerPastEnd]);
    // A truncated image: the chain leads beyond its last byte.
    let mut img = Img::new(0x90);
    img.head(0x80).cap(0x80, PCI_CAP_ID_PM, 0xa0);
    let list = img.parse();
    assert_eq!(list.caps.len(), 1);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::PointerPastEnd]);
}

#[test]
fn zero_id_is_a_null_capability() {
    let mut img = Img::new(256);
    img.head(0x40)
        .cap(0x40, 0, 0x48)
        .cap(0x48, PCI_CAP_ID_PM, 0);
    let list = img.parse();
    assert_eq!(
        list.caps,
        [
            Capability {
                offset: 0x40,
                id: 0,
                len: 4
            },
            Capability {
                offset: 0x48,
                id: PCI_CAP_ID_PM,
                len: 8
            }
        ]
    );
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::NullCapability]);
}

#[test]
fn truncated_chain_reads_all_ones() {
    // A dump missing row 0x80 (as m08's 04:00.0): the chain lands on 0xff.
    let mut img = Img::new(256);
    img.head(0x40).cap(0x40, PCI_CAP_ID_PM, 0x80);
    img.0[0x80..0x90].fill(0xff);
    let list = img.parse();
    assert_eq!(list.caps.len(), 1);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::ChainBroken]);
}

#[test]
fn all_ones_image() {
    let list = parse_capabilities(&[0xff; 4096]);
    assert!(list.caps.is_empty() && list.ext_caps.is_empty());
    // Vendor ID all ones, header type 0x7f unknown; the extended header
    // 0xffffffff means "no extended capabilities", not a diagnostic.
    assert_eq!(
        kinds(&list.diagnostics),
        [DiagnosticKind::Header, DiagnosticKind::Header]
    );
}

#[test]
fn all_zero_image() {
    let list = parse_capabilities(&[0; 4096]);
    assert!(list.caps.is_empty() && list.ext_caps.is_empty());
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Header]);
}

#[test]
fn short_and_long_images() {
    for len in [0, 1, 16, 63] {
        let list = parse_capabilities(&vec![0x10; len]);
        assert!(list.caps.is_empty() && list.ext_caps.is_empty());
        assert!(
            list.has_diagnostic(DiagnosticKind::Header),
            "{len}: {list:#?}"
        );
    }
    let mut img = express(1);
    img.0.resize(5000, 0);
    let list = img.parse();
    assert_eq!(list.caps.len(), 1);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Header]);
}

#[test]
fn extended_header_all_ones_or_zero_means_none() {
    for header in [0xffff_ffff, 0] {
        let mut img = express(1);
        img.w32(0x100, header);
        let list = img.parse();
        assert!(list.ext_caps.is_empty() && list.diagnostics.is_empty());
    }
    // A 256-byte image has no extended space at all.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_ERR, 1, 0);
    assert!(parse_capabilities(&img.0[..256]).ext_caps.is_empty());
}

#[test]
fn extended_garbage() {
    // Self loop.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_LTR, 1, 0x100);
    let list = img.parse();
    assert_eq!(list.ext_caps.len(), 1);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Loop]);
    // Two-capability cycle.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_LTR, 1, 0x200)
        .ext(0x200, PCI_EXT_CAP_ID_ARI, 1, 0x100);
    let list = img.parse();
    assert_eq!(list.ext_caps.len(), 2);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Loop]);
    // Next pointer below 0x100.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_LTR, 1, 0x40);
    let list = img.parse();
    assert_eq!(list.ext_caps.len(), 1);
    assert_eq!(
        kinds(&list.diagnostics),
        [DiagnosticKind::PointerBelowExtended]
    );
    // Next pointer past the end of a short image.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_LTR, 1, 0x400);
    img.0.truncate(0x200);
    let list = img.parse();
    assert_eq!(list.ext_caps.len(), 1);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::PointerPastEnd]);
    // All ones and all zeros further down the list.
    for header in [0xffff_ffff, 0] {
        let mut img = express(1);
        img.ext(0x100, PCI_EXT_CAP_ID_LTR, 1, 0x200)
            .w32(0x200, header);
        let list = img.parse();
        assert_eq!(list.ext_caps.len(), 1);
        assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::ChainBroken]);
    }
    // ID 0 with a next pointer: a Null capability, the walk goes on (lspci).
    let mut img = express(1);
    img.ext(0x100, 0, 0, 0x200)
        .ext(0x200, PCI_EXT_CAP_ID_LTR, 1, 0);
    let list = img.parse();
    assert_eq!(
        list.ext_caps
            .iter()
            .map(|c| (c.offset, c.len))
            .collect::<Vec<_>>(),
        [(0x100, 4), (0x200, 8)]
    );
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::NullCapability]);
}

#[test]
fn clipped_at_the_end() {
    // A vendor capability at 0xf0 claiming 0x40 bytes: clipped to 0x10.
    let mut img = Img::new(4096);
    img.head(0xf0).cap(0xf0, PCI_CAP_ID_VNDR, 0).w8(0xf2, 0x40);
    let list = img.parse();
    assert_eq!(list.caps[0].len, 0x10);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Clipped]);
    // A VSEC at 0xff0 claiming 0x100 bytes.
    let mut img = express(1);
    img.ext(0x100, PCI_EXT_CAP_ID_LTR, 1, 0xff0)
        .ext(0xff0, PCI_EXT_CAP_ID_VNDR, 1, 0);
    img.w32(0xff4, 0x1001_0001);
    let list = img.parse();
    assert_eq!(list.ext_caps[1].len, 0x10);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Clipped]);
}

#[test]
fn overlapping_capabilities() {
    let mut img = Img::new(256);
    img.head(0x40)
        .cap(0x40, PCI_CAP_ID_PM, 0x44)
        .cap(0x44, PCI_CAP_ID_MSI, 0);
    let list = img.parse();
    assert_eq!(list.caps[0].len, 4);
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Overlap]);
    let text = list.diagnostics[0].to_string();
    assert!(
        text.contains("Power Management") && text.contains("MSI"),
        "{text}"
    );
}

#[test]
fn full_standard_space_is_bounded() {
    // 48 Null capabilities fill every dword from 0x40 to 0xfc.
    let mut img = Img::new(256);
    img.head(0x40);
    for at in (0x40..0x100).step_by(4) {
        let next = if at == 0xfc { 0 } else { at as u8 + 4 };
        img.cap(at as u8, PCI_CAP_ID_SLOTID, next);
    }
    let list = img.parse();
    assert_eq!(list.caps.len(), MAX_STD_CAPS);
    assert!(list.diagnostics.is_empty());
}

#[test]
fn unknown_header_type() {
    let mut img = Img::new(256);
    img.head(0x40)
        .cap(0x40, PCI_CAP_ID_PM, 0)
        .w8(usize::from(PCI_HEADER_TYPE), 0x03);
    let list = img.parse();
    assert!(list.caps.is_empty());
    assert_eq!(kinds(&list.diagnostics), [DiagnosticKind::Header]);
}

// ---------------------------------------------------------------------------
// Arbitrary images
// ---------------------------------------------------------------------------

/// Checks what must hold for any image.
fn check_invariants(config: &[u8]) {
    let list = parse_capabilities(config);
    let size = config.len().min(4096);
    assert!(list.caps.len() <= MAX_STD_CAPS);
    assert!(list.ext_caps.len() <= MAX_EXT_CAPS);
    for c in &list.caps {
        assert!(
            c.offset >= 0x40 && usize::from(c.end()) <= size.min(256),
            "{c:?}"
        );
    }
    for c in &list.ext_caps {
        assert!(c.offset >= 0x100 && usize::from(c.end()) <= size, "{c:?}");
    }
    let mut std: Vec<_> = list.caps.iter().map(|c| (c.offset, c.end())).collect();
    std.sort_unstable();
    assert!(
        std.windows(2).all(|w| w[0].1 <= w[1].0),
        "overlap left: {std:?}"
    );
    let mut ext: Vec<_> = list.ext_caps.iter().map(|c| (c.offset, c.end())).collect();
    ext.sort_unstable();
    assert!(
        ext.windows(2).all(|w| w[0].1 <= w[1].0),
        "overlap left: {ext:?}"
    );
    for d in &list.diagnostics {
        assert!(!d.message.is_empty());
    }
}

/// 4 KiB images biased towards walkable lists: a valid header type, the
/// capability bit set, and dense small pointers.
fn walkable_image() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 4096),
        0u8..3,
        any::<bool>(),
    )
        .prop_map(|(mut bytes, header_type, cap_bit)| {
            bytes[usize::from(PCI_HEADER_TYPE)] = header_type;
            if cap_bit {
                bytes[usize::from(PCI_STATUS)] |= PCI_STATUS_CAP_LIST as u8;
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_4k_images_never_panic(bytes in proptest::collection::vec(any::<u8>(), 4096)) {
        check_invariants(&bytes);
    }

    #[test]
    fn walkable_images_never_panic(bytes in walkable_image()) {
        check_invariants(&bytes);
    }

    #[test]
    fn any_length_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4200)) {
        check_invariants(&bytes);
    }

    #[test]
    fn single_lengths_never_panic(
        bytes in walkable_image(),
        offset in 0u16..4200,
        id in any::<u16>(),
    ) {
        let _ = cap_len(&bytes, offset, id as u8);
        let _ = ext_cap_len(&bytes, offset, id);
    }
}
