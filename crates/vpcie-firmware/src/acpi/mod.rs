//! ACPI tables derived from the plan: MCFG (PCI Firmware 3.3 §4.1.2) and
//! a DSDT describing the PCI root, built on rust-vmm's `acpi_tables`.
//!
//! The builders take plain values (segment, bus range, windows, ECAM base,
//! routing), so the Xen segment mode can reuse them for its SSDT: a
//! [`HostBridge`] with `_SEG`/`_BBN`/`_UID`/`_CRS`/`_PRT`, an
//! [`ecam_reservation`] device (PNP0C02) and an [`mcfg`] entry for its
//! segment, wrapped by [`definition_block`].

pub mod aml;

use crate::config::FirmwareConfig;
use crate::plan::Plan;
use crate::range::Range;
use acpi_tables::Aml;
use acpi_tables::aml::{
    AddressSpace, AddressSpaceCacheable, Arg, CreateDWordField, Device, EISAName, Else, Equal,
    FieldAccessType, FieldEntry, FieldLockRule, FieldUpdateRule, IO, If, Local, Memory32Fixed,
    Method, MethodCall, Name, NotEqual, ONE, OpRegion, OpRegionSpace, Or, PackageBuilder,
    ResourceTemplate, Return, Scope, Store, Uuid, ZERO,
};
use aml::{ExtInterrupts, QWordMemoryConsumer, Raw, encode, encode_all, path};
use vpcie_platform::intx::{IntxPin, ich9_pirq_link};

/// Why a table cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcpiError {
    /// A name is not a valid ACPI name path.
    #[error(
        "`{0}` is not an ACPI name: each segment is 4 characters, A-Z, 0-9 or _, not starting with a digit"
    )]
    BadName(String),
    /// A list is longer than an AML package holds.
    #[error("{what}: {count} entries, an AML package holds at most 255")]
    TooMany {
        /// What list.
        what: &'static str,
        /// How many.
        count: usize,
    },
    /// A range cannot be described.
    #[error("{0}")]
    BadRange(String),
}

/// OEM identification in the table headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OemIds {
    /// OEM ID (6 bytes).
    pub oem_id: [u8; 6],
    /// OEM table ID (8 bytes).
    pub oem_table_id: [u8; 8],
    /// OEM revision.
    pub oem_revision: u32,
}

impl Default for OemIds {
    fn default() -> Self {
        OemIds {
            oem_id: *b"VPCIE ",
            oem_table_id: *b"VPCIEQ35",
            oem_revision: 1,
        }
    }
}

/// Creator ID written into our tables' headers.
const CREATOR_ID: [u8; 4] = *b"VPCI";
const CREATOR_REVISION: u32 = 1;
/// The PCI host bridge `_OSC` UUID (PCI Firmware 3.3 §4.5.1).
const PCI_HOST_BRIDGE_OSC_UUID: &str = "33DB4D5B-1FF7-401C-9657-7441C03DD766";

/// Sets our creator fields and the checksum (byte 9: the table sums to 0).
fn finish_header(table: &mut [u8]) {
    if table.len() < 36 {
        return;
    }
    table[28..32].copy_from_slice(&CREATOR_ID);
    table[32..36].copy_from_slice(&CREATOR_REVISION.to_le_bytes());
    table[9] = 0;
    let sum = table.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    table[9] = 0u8.wrapping_sub(sum);
}

/// Whether a table's bytes sum to zero (ACPI 6.5 §5.2.6).
pub fn checksum_ok(table: &[u8]) -> bool {
    table.iter().fold(0u8, |a, b| a.wrapping_add(*b)) == 0
}

/// One MCFG configuration-space allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct McfgAllocation {
    /// ECAM base address: where bus 0 of the segment would be (Linux adds
    /// `bus << 20` to it), so a window starting at bus N begins N MiB above.
    pub base: u64,
    /// PCI segment group.
    pub segment: u16,
    /// First bus decoded.
    pub start_bus: u8,
    /// Last bus decoded.
    pub end_bus: u8,
}

/// The MCFG table: 44-byte header (36 + 8 reserved) and 16 bytes per
/// allocation (PCI Firmware 3.3 §4.1.2, table 4-2/4-3).
pub fn mcfg(allocations: &[McfgAllocation], oem: &OemIds) -> Vec<u8> {
    let mut t = acpi_tables::mcfg::MCFG::new(oem.oem_id, oem.oem_table_id, oem.oem_revision);
    for a in allocations {
        t.add_ecam(a.base, a.segment, a.start_bus, a.end_bus);
    }
    let mut bytes = encode(&t);
    finish_header(&mut bytes);
    bytes
}

/// A DSDT or SSDT: the header (revision 2: 64-bit integers) and `body`.
pub fn definition_block(signature: [u8; 4], oem: &OemIds, body: &[u8]) -> Vec<u8> {
    let mut sdt = acpi_tables::sdt::Sdt::new(
        signature,
        36,
        2,
        oem.oem_id,
        oem.oem_table_id,
        oem.oem_revision,
    );
    sdt.append_slice(body);
    let mut bytes = sdt.as_slice().to_vec();
    finish_header(&mut bytes);
    bytes
}

/// Where a `_PRT` entry's interrupt goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrtTarget {
    /// A link device (PNP0C0F), by name path.
    Link(String),
    /// A global system interrupt, hard-wired.
    Gsi(u32),
}

/// One `_PRT` entry: device `slot` pin `pin` (0 = INTA) → `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrtEntry {
    /// Device number on the bus.
    pub slot: u8,
    /// Pin, 0–3.
    pub pin: u8,
    /// Where it goes.
    pub target: PrtTarget,
}

/// A bus's routing table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prt {
    /// One table.
    Static(Vec<PrtEntry>),
    /// One table in PIC mode, another once the OS calls `\_PIC(1)` (the
    /// DSDT must define `\PICF`, as [`dsdt`] does).
    PicApic {
        /// PIC mode: link devices.
        pic: Vec<PrtEntry>,
        /// APIC mode: GSI link devices or GSIs.
        apic: Vec<PrtEntry>,
    },
}

fn prt_package(entries: &[PrtEntry]) -> Result<Raw, AcpiError> {
    if entries.len() > 255 {
        return Err(AcpiError::TooMany {
            what: "_PRT",
            count: entries.len(),
        });
    }
    let mut pkg = PackageBuilder::new();
    for e in entries {
        let address = u32::from(e.slot & 0x1f) << 16 | 0xffff;
        let pin = e.pin & 3;
        let entry = match &e.target {
            PrtTarget::Link(name) => {
                let p = path(name)?;
                encode(&acpi_tables::aml::Package::new(vec![
                    &address, &pin, &p, &ZERO,
                ]))
            }
            PrtTarget::Gsi(gsi) => encode(&acpi_tables::aml::Package::new(vec![
                &address, &pin, &ZERO, gsi,
            ])),
        };
        pkg.add_element(&Raw(entry));
    }
    Ok(Raw(encode(&pkg)))
}

/// The `_PRT` object of a bus.
pub fn prt_aml(prt: &Prt) -> Result<Vec<u8>, AcpiError> {
    match prt {
        Prt::Static(entries) => Ok(encode(&Name::new(path("_PRT")?, &prt_package(entries)?))),
        Prt::PicApic { pic, apic } => {
            let pic = prt_package(pic)?;
            let apic = prt_package(apic)?;
            let picf = path("\\PICF")?;
            let ret_apic = Return::new(&apic);
            let ret_pic = Return::new(&pic);
            Ok(encode(&Method::new(
                path("_PRT")?,
                0,
                false,
                vec![&If::new(&picf, vec![&ret_apic]), &ret_pic],
            )))
        }
    }
}

/// A PCI host bridge device (PNP0A08 compatible with PNP0A03).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostBridge {
    /// Device name, e.g. "PCI0".
    pub name: String,
    /// `_UID`.
    pub uid: u32,
    /// `_SEG` (PCI segment group).
    pub segment: u16,
    /// Buses decoded: `_BBN` is the first.
    pub bus_start: u8,
    /// Last bus decoded.
    pub bus_end: u8,
    /// Whether the bridge consumes the CF8/CFC ports (segment 0 only).
    pub cf8: bool,
    /// I/O windows (inclusive ranges of ports).
    pub io: Vec<Range>,
    /// Memory windows below 4 GiB.
    pub mem32: Vec<Range>,
    /// Memory windows above 4 GiB.
    pub mem64: Vec<Range>,
    /// Routing of bus `bus_start`.
    pub prt: Option<Prt>,
    /// `_OSC` control bits granted, or no `_OSC`.
    pub osc_control: Option<u32>,
    /// Child objects (devices), already encoded.
    pub children: Vec<Vec<u8>>,
}

impl HostBridge {
    /// The `_CRS` resource template.
    pub fn crs(&self) -> Result<Vec<u8>, AcpiError> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        parts.push(encode(&AddressSpace::<u16>::new_bus_number(
            u16::from(self.bus_start),
            u16::from(self.bus_end.max(self.bus_start)),
        )));
        if self.cf8 {
            parts.push(encode(&IO::new(0xcf8, 0xcf8, 1, 8)));
        }
        for r in &self.io {
            if r.limit() > 0xffff {
                return Err(AcpiError::BadRange(format!("I/O window {r} passes 0xffff")));
            }
            parts.push(encode(&AddressSpace::<u16>::new_io(
                r.base as u16,
                r.limit() as u16,
                None,
            )));
        }
        for r in &self.mem32 {
            if r.limit() > u64::from(u32::MAX) {
                return Err(AcpiError::BadRange(format!(
                    "32-bit window {r} passes 4 GiB"
                )));
            }
            parts.push(encode(&AddressSpace::<u32>::new_memory(
                AddressSpaceCacheable::NotCacheable,
                true,
                r.base as u32,
                r.limit() as u32,
                None,
            )));
        }
        for r in &self.mem64 {
            parts.push(encode(&AddressSpace::<u64>::new_memory(
                AddressSpaceCacheable::NotCacheable,
                true,
                r.base,
                r.limit(),
                None,
            )));
        }
        let raws: Vec<Raw> = parts.into_iter().map(Raw).collect();
        let refs: Vec<&dyn Aml> = raws.iter().map(|r| r as &dyn Aml).collect();
        Ok(encode(&ResourceTemplate::new(refs)))
    }

    /// The `Device(...)` term.
    pub fn aml(&self) -> Result<Vec<u8>, AcpiError> {
        let mut body: Vec<Vec<u8>> = vec![
            encode(&Name::new(path("_HID")?, &EISAName::new("PNP0A08"))),
            encode(&Name::new(path("_CID")?, &EISAName::new("PNP0A03"))),
            encode(&Name::new(path("_ADR")?, &ZERO)),
            encode(&Name::new(path("_SEG")?, &u32::from(self.segment))),
            encode(&Name::new(path("_UID")?, &self.uid)),
            encode(&Name::new(path("_BBN")?, &u32::from(self.bus_start))),
            encode(&Name::new(path("_CRS")?, &Raw(self.crs()?))),
        ];
        if let Some(control) = self.osc_control {
            body.push(osc(control)?);
        }
        if let Some(prt) = &self.prt {
            body.push(prt_aml(prt)?);
        }
        body.extend(self.children.iter().cloned());
        let raws: Vec<Raw> = body.into_iter().map(Raw).collect();
        let refs: Vec<&dyn Aml> = raws.iter().map(|r| r as &dyn Aml).collect();
        Ok(encode(&Device::new(path(&self.name)?, refs)))
    }
}

/// `_OSC` for a PCI host bridge granting the OS the `control` bits it asks
/// for among them (PCI Firmware 3.3 §4.5.1–4.5.2; QEMU's q35 method).
pub fn osc(control: u32) -> Result<Vec<u8>, AcpiError> {
    let cdw1 = path("CDW1")?;
    let cdw2 = path("CDW2")?;
    let cdw3 = path("CDW3")?;
    let uuid = Uuid::new(PCI_HOST_BRIDGE_OSC_UUID);
    let local0 = Local(0);
    let create1 = CreateDWordField::new(&cdw1, &Arg(3), &ZERO);
    let create2 = CreateDWordField::new(&cdw2, &Arg(3), &4u8);
    let create3 = CreateDWordField::new(&cdw3, &Arg(3), &8u8);
    let store = Store::new(&local0, &cdw3);
    let mask = acpi_tables::aml::And::new(&local0, &local0, &control);
    // Unknown revision: bit 3 of the first dword.
    let rev = Or::new(&cdw1, &cdw1, &0x08u8);
    let rev_ne = NotEqual::new(&Arg(1), &ONE);
    let if_rev = If::new(&rev_ne, vec![&rev]);
    // Capabilities masked: bit 4.
    let masked = Or::new(&cdw1, &cdw1, &0x10u8);
    let ne = NotEqual::new(&cdw3, &local0);
    let if_masked = If::new(&ne, vec![&masked]);
    let grant = Store::new(&cdw3, &local0);
    let eq = Equal::new(&Arg(0), &uuid);
    let if_uuid = If::new(
        &eq,
        vec![
            &create2, &create3, &store, &mask, &if_rev, &if_masked, &grant,
        ],
    );
    // Unrecognized UUID: bit 2.
    let bad_uuid = Or::new(&cdw1, &cdw1, &0x04u8);
    let else_uuid = Else::new(vec![&bad_uuid]);
    let ret = Return::new(&Arg(3));
    Ok(encode(&Method::new(
        path("_OSC")?,
        4,
        false,
        vec![&create1, &if_uuid, &else_uuid, &ret],
    )))
}

/// A motherboard-resource device (PNP0C02) reserving an ECAM window, as
/// PCI Firmware 3.3 §4.1.2 asks for the MCFG ranges.
pub fn ecam_reservation(name: &str, uid: u32, window: Range) -> Result<Vec<u8>, AcpiError> {
    let desc = if window.limit() <= u64::from(u32::MAX) && window.size <= u64::from(u32::MAX) {
        encode(&Memory32Fixed::new(
            true,
            window.base as u32,
            window.size as u32,
        ))
    } else {
        encode(&QWordMemoryConsumer {
            min: window.base,
            max: window.limit(),
        })
    };
    let crs = Raw(encode(&ResourceTemplate::new(vec![&Raw(desc)])));
    Ok(encode(&Device::new(
        path(name)?,
        vec![
            &Name::new(path("_HID")?, &EISAName::new("PNP0C02")),
            &Name::new(path("_UID")?, &uid),
            &Name::new(path("_CRS")?, &crs),
        ],
    )))
}

/// The name of the root-port device for `device`.`function` on bus 0.
pub fn root_port_name(device: u8, function: u8) -> String {
    format!("R{:02X}{:X}", device & 0x1f, function & 7)
}

/// Where the LPC's PIRQx_ROUT fields live in our DSDT.
const PRQ_PATH: &str = "\\_SB_.PCI0.LPCB.PRQ";
const LINKS: [char; 8] = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

/// The ICH9 routing of one bus-0 slot, as `_PRT` entries (PIC and APIC mode).
fn ich9_entries(slot: u8, swizzle_from: Option<u8>) -> (Vec<PrtEntry>, Vec<PrtEntry>) {
    let mut pic = Vec::new();
    let mut apic = Vec::new();
    for pin in 0..4u8 {
        // Below a root port at `slot`, device 0's pin p arrives as pin p
        // (swizzle by device 0), then the slot table applies.
        let (entry_slot, root_slot) = match swizzle_from {
            Some(root) => (0, root),
            None => (slot, slot),
        };
        let link = ich9_pirq_link(root_slot, IntxPin(pin)).0 as usize & 7;
        pic.push(PrtEntry {
            slot: entry_slot,
            pin,
            target: PrtTarget::Link(format!("\\_SB_.LNK{}", LINKS[link])),
        });
        apic.push(PrtEntry {
            slot: entry_slot,
            pin,
            target: PrtTarget::Link(format!("\\_SB_.GSI{}", LINKS[link])),
        });
    }
    (pic, apic)
}

/// The link devices LNKA–LNKH (PIC mode, routed by the LPC's PIRQx_ROUT)
/// and GSIA–GSIH (APIC mode, GSI 16–23), and their helper methods, as
/// QEMU's q35 DSDT defines them (`build_link_dev`, `build_gsi_link_dev`).
fn link_devices(irqs: &[u8]) -> Result<Vec<u8>, AcpiError> {
    let irqs: Vec<u32> = irqs.iter().map(|i| u32::from(*i)).collect();
    let mut out = Vec::new();
    // IQST(prq): 0x09 (present, disabled) when IRQEN (bit 7) is set, else 0x0B.
    let and = acpi_tables::aml::And::new(&ZERO, &0x80u8, &Arg(0));
    let ret9 = Return::new(&0x09u8);
    let ret_b = Return::new(&0x0bu8);
    out.extend(encode(&Method::new(
        path("IQST")?,
        1,
        false,
        vec![&If::new(&and, vec![&ret9]), &ret_b],
    )));
    // IQCR(prq): a resource template with the routed IRQ (bits 3:0).
    let one_irq = ExtInterrupts { irqs: vec![0] };
    let template = ResourceTemplate::new(vec![&one_irq]);
    let prr0 = path("PRR0")?;
    let prri = path("PRRI")?;
    let name = Name::new(path("PRR0")?, &template);
    let field = CreateDWordField::new(&prri, &prr0, &5u8);
    let low = acpi_tables::aml::And::new(&ZERO, &Arg(0), &0x0fu8);
    let store = Store::new(&prri, &low);
    let ret = Return::new(&prr0);
    out.extend(encode(&Method::new(
        path("IQCR")?,
        1,
        true,
        vec![&name, &field, &store, &ret],
    )));
    let offered = ExtInterrupts { irqs };
    let prs = ResourceTemplate::new(vec![&offered]);
    for (n, letter) in LINKS.iter().enumerate() {
        let prq = path(&format!("{PRQ_PATH}{letter}"))?;
        let call_st = MethodCall::new(path("IQST")?, vec![&prq]);
        let sta = Return::new(&call_st);
        let dis = Or::new(&prq, &prq, &0x80u8);
        let call_cr = MethodCall::new(path("IQCR")?, vec![&prq]);
        let crs = Return::new(&call_cr);
        let arg_field = CreateDWordField::new(&prri, &Arg(0), &5u8);
        let set = Store::new(&prq, &prri);
        let uid = n as u32;
        out.extend(encode(&Device::new(
            path(&format!("LNK{letter}"))?,
            vec![
                &Name::new(path("_HID")?, &EISAName::new("PNP0C0F")),
                &Name::new(path("_UID")?, &uid),
                &Name::new(path("_PRS")?, &prs),
                &Method::new(path("_STA")?, 0, false, vec![&sta]),
                &Method::new(path("_DIS")?, 0, false, vec![&dis]),
                &Method::new(path("_CRS")?, 0, false, vec![&crs]),
                &Method::new(path("_SRS")?, 1, false, vec![&arg_field, &set]),
            ],
        )));
    }
    for (n, letter) in LINKS.iter().enumerate() {
        let wired = ExtInterrupts {
            irqs: vec![16 + n as u32],
        };
        let gsi = ResourceTemplate::new(vec![&wired]);
        let uid = 0x10 + n as u32;
        out.extend(encode(&Device::new(
            path(&format!("GSI{letter}"))?,
            vec![
                &Name::new(path("_HID")?, &EISAName::new("PNP0C0F")),
                &Name::new(path("_UID")?, &uid),
                &Name::new(path("_PRS")?, &gsi),
                &Name::new(path("_CRS")?, &gsi),
                &Method::new(path("_SRS")?, 1, false, vec![]),
            ],
        )));
    }
    Ok(out)
}

/// The LPC device with the PIRQx_ROUT fields the link devices use.
fn lpc_device() -> Result<Vec<u8>, AcpiError> {
    let offset = 0x60u8;
    let length = 0x0cu8;
    let region = OpRegion::new(path("PIRQ")?, OpRegionSpace::PCIConfig, &offset, &length);
    let seg = |c: char| {
        let mut n = [0u8; 4];
        n.copy_from_slice(format!("PRQ{c}").as_bytes());
        n
    };
    let mut fields: Vec<FieldEntry> = LINKS[..4]
        .iter()
        .map(|c| FieldEntry::Named(seg(*c), 8))
        .collect();
    // PIRQE–H_ROUT are at 0x68–0x6B: skip 0x64–0x67.
    fields.push(FieldEntry::Reserved(32));
    fields.extend(LINKS[4..].iter().map(|c| FieldEntry::Named(seg(*c), 8)));
    let field = acpi_tables::aml::Field::new(
        path("PIRQ")?,
        FieldAccessType::Byte,
        FieldLockRule::NoLock,
        FieldUpdateRule::Preserve,
        fields,
    );
    let adr = 0x001f_0000u32;
    Ok(encode(&Device::new(
        path("LPCB")?,
        vec![&Name::new(path("_ADR")?, &adr), &region, &field],
    )))
}

/// The memory ranges of the hole the root bridge forwards: the BAR space
/// of the hole minus ECAM and every fixed range.
pub fn hole_windows(plan: &Plan) -> Vec<Range> {
    let mut free = crate::range::FreeList::new(plan.pci_mem);
    if let Some(e) = &plan.ecam {
        free.remove(e.range);
    }
    for f in &plan.fixed {
        free.remove(f.range);
    }
    free.ranges().to_vec()
}

/// The DSDT for a plan: `\_SB.PCI0` with `_CRS`, `_OSC`, `_PRT`, the LPC
/// and a device per root port (`_ADR`, `_PRT`), the link devices, the
/// ECAM reservation, `\PICF` and `\_PIC`.
pub fn dsdt(plan: &Plan, config: &FirmwareConfig, oem: &OemIds) -> Result<Vec<u8>, AcpiError> {
    let mut mem32 = vec![Range::new(0xa_0000, 0x2_0000).expect("constant")];
    mem32.extend(hole_windows(plan));
    let mut children = vec![lpc_device()?];
    for rp in plan.root_ports() {
        let (pic, apic) = ich9_entries(0, Some(rp.bdf.device));
        let adr = u32::from(rp.bdf.device) << 16 | u32::from(rp.bdf.function);
        let prt = Raw(prt_aml(&Prt::PicApic { pic, apic })?);
        children.push(encode(&Device::new(
            path(&root_port_name(rp.bdf.device, rp.bdf.function))?,
            vec![&Name::new(path("_ADR")?, &adr), &prt],
        )));
    }
    let (mut pic, mut apic) = (Vec::new(), Vec::new());
    for slot in 0..32u8 {
        let (p, a) = ich9_entries(slot, None);
        pic.extend(p);
        apic.extend(a);
    }
    let pci0 = HostBridge {
        name: "PCI0".into(),
        uid: 0,
        segment: 0,
        bus_start: 0,
        bus_end: plan.ecam.map_or(0xff, |e| e.end_bus),
        cf8: true,
        io: vec![
            Range::inclusive(0, 0xcf7).expect("constant"),
            Range::inclusive(0xd00, 0xffff).expect("constant"),
        ],
        mem32,
        mem64: plan.high_window.into_iter().collect(),
        prt: Some(Prt::PicApic { pic, apic }),
        osc_control: Some(config.osc_control),
        children,
    };
    let mut sb = vec![Raw(pci0.aml()?), Raw(link_devices(&config.link_irqs)?)];
    if let Some(e) = &plan.ecam {
        sb.push(Raw(ecam_reservation("ECAM", 0, e.range)?));
    }
    let sb_refs: Vec<&dyn Aml> = sb.iter().map(|r| r as &dyn Aml).collect();
    let picf = path("\\PICF")?;
    let body = encode_all(&[
        &Name::new(path("PICF")?, &ZERO),
        &Method::new(path("_PIC")?, 1, false, vec![&Store::new(&picf, &Arg(0))]),
        &Scope::new(path("\\_SB_")?, sb_refs),
    ]);
    Ok(definition_block(*b"DSDT", oem, &body))
}

/// The tables `vpcie acpi` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    /// MCFG (absent when the platform has no ECAM).
    pub mcfg: Option<Vec<u8>>,
    /// DSDT.
    pub dsdt: Vec<u8>,
}

/// MCFG and DSDT for a plan.
pub fn tables(plan: &Plan, config: &FirmwareConfig) -> Result<Tables, AcpiError> {
    let oem = OemIds::default();
    let mcfg = plan.ecam.map(|e| {
        mcfg(
            &[McfgAllocation {
                base: e.range.base,
                segment: e.segment,
                start_bus: e.start_bus,
                end_bus: e.end_bus,
            }],
            &oem,
        )
    });
    let dsdt = dsdt(plan, config, &oem)?;
    let total = dsdt.len() + mcfg.as_ref().map_or(0, Vec::len);
    if total as u64 > plan.memory.acpi.size {
        return Err(AcpiError::BadRange(format!(
            "the tables ({total} bytes) do not fit the ACPI area {}; raise acpi_region",
            plan.memory.acpi
        )));
    }
    Ok(Tables { mcfg, dsdt })
}
