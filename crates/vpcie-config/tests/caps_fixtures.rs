//! Every capability vpcie finds in the real-hardware fixtures is the one
//! `lspci -F FILE -vvv` (pciutils) reports: same offsets, IDs, versions, in
//! the same order; lengths agree with what lspci prints (VSEC and DVSEC
//! lengths) and fit between real, packed capabilities.
//!
//! Needs `lspci` (pciutils 3.9 or later). Without it the test fails, unless
//! `VPCIE_SKIP_LSPCI=1` asks for a visible skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use vpcie_config::caps::{CapabilityList, DiagnosticKind, parse_capabilities};
use vpcie_config::lspci::{self, DumpAddress};
use vpcie_config::regs::*;
use vpcie_testkit::{fixture_files, image, lspci_available};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");

/// One `Capabilities:` line of lspci.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LspciCap {
    Std {
        offset: u16,
        ids: Vec<u8>,
        text: String,
    },
    Ext {
        offset: u16,
        version: u8,
        ids: Vec<u16>,
        len: Option<u16>,
        text: String,
    },
    /// `<chain broken>`, `<chain looped>`, `<access denied>`: not a capability.
    End { offset: u16, text: String },
}

/// Function address as lspci prints it, without a zero domain.
fn key(domain: Option<u16>, bus: u8, device: u8, function: u8) -> String {
    match domain {
        Some(d) if d != 0 => format!("{d:04x}:{bus:02x}:{device:02x}.{function:x}"),
        _ => format!("{bus:02x}:{device:02x}.{function:x}"),
    }
}

fn dump_key(address: &DumpAddress) -> String {
    key(
        address.domain,
        address.bus,
        address.device,
        address.function,
    )
}

/// Parses `[DDDD:]BB:DD.F` at the start of an lspci header line.
fn lspci_key(line: &str) -> Option<String> {
    let word = line.split_whitespace().next()?;
    let parts: Vec<&str> = word.split(':').collect();
    let (domain, bus, devfn) = match parts.as_slice() {
        [bus, devfn] => (None, *bus, *devfn),
        [domain, bus, devfn] => (Some(u16::from_str_radix(domain, 16).ok()?), *bus, *devfn),
        _ => return None,
    };
    let (dev, func) = devfn.split_once('.')?;
    Some(key(
        domain,
        u8::from_str_radix(bus, 16).ok()?,
        u8::from_str_radix(dev, 16).ok()?,
        u8::from_str_radix(func, 16).ok()?,
    ))
}

/// Standard capability IDs from what lspci prints (pciutils ls-caps.c
/// `show_caps` and the `cap_*` printers it calls).
fn std_ids(text: &str) -> Vec<u8> {
    const PREFIXES: &[(&str, u8)] = &[
        ("Power Management version", PCI_CAP_ID_PM),
        ("AGP version", PCI_CAP_ID_AGP),
        ("Vital Product Data", PCI_CAP_ID_VPD),
        ("Slot ID:", PCI_CAP_ID_SLOTID),
        ("MSI-X:", PCI_CAP_ID_MSIX),
        ("MSI:", PCI_CAP_ID_MSI),
        ("CompactPCI hot-swap", PCI_CAP_ID_CHSWP),
        ("PCI-X ", PCI_CAP_ID_PCIX),
        ("HyperTransport", PCI_CAP_ID_HT),
        ("Vendor Specific Information", PCI_CAP_ID_VNDR),
        ("Debug port:", PCI_CAP_ID_DBG),
        ("CompactPCI central resource control", PCI_CAP_ID_CCRC),
        ("Hot-plug capable", PCI_CAP_ID_SHPC),
        ("Subsystem:", PCI_CAP_ID_SSVID),
        ("AGP3", PCI_CAP_ID_AGP3),
        ("Secure device", PCI_CAP_ID_SECDEV),
        ("Express ", PCI_CAP_ID_EXP),
        ("SATA HBA", PCI_CAP_ID_SATA),
        ("PCI Advanced Features", PCI_CAP_ID_AF),
        ("Enhanced Allocation", PCI_CAP_ID_EA),
    ];
    if let Some(&(_, id)) = PREFIXES.iter().find(|(prefix, _)| text.starts_with(prefix)) {
        return vec![id];
    }
    // Unnamed IDs: "#xx [yyyy]" (older) or "Capability ID 0xx [yyyy]" (3.9+).
    let hex = text
        .strip_prefix('#')
        .or_else(|| text.strip_prefix("Capability ID 0x"))
        .and_then(|rest| rest.split_whitespace().next());
    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
        Some(id) => vec![id],
        None => panic!("unknown lspci capability text {text:?}: extend std_ids"),
    }
}

/// Extended capability IDs from what lspci prints (pciutils ls-ecaps.c
/// `show_ext_caps`); "Virtual Channel" is both 0x02 and 0x09.
fn ext_ids(text: &str) -> Vec<u16> {
    const PREFIXES: &[(&str, &[u16])] = &[
        ("Null", &[PCI_EXT_CAP_ID_NULL]),
        ("Advanced Error Reporting", &[PCI_EXT_CAP_ID_ERR]),
        ("Virtual Channel", &[PCI_EXT_CAP_ID_VC, PCI_EXT_CAP_ID_VC9]),
        ("Device Serial Number", &[PCI_EXT_CAP_ID_DSN]),
        ("Power Budgeting", &[PCI_EXT_CAP_ID_PWR]),
        ("Root Complex Link", &[PCI_EXT_CAP_ID_RCLD]),
        ("Root Complex Internal Link", &[PCI_EXT_CAP_ID_RCILC]),
        ("Root Complex Event Collector", &[PCI_EXT_CAP_ID_RCEC]),
        ("Multi-Function Virtual Channel", &[PCI_EXT_CAP_ID_MFVC]),
        ("Root Complex Register Block", &[PCI_EXT_CAP_ID_RCRB]),
        ("Vendor Specific Information", &[PCI_EXT_CAP_ID_VNDR]),
        ("Access Control Services", &[PCI_EXT_CAP_ID_ACS]),
        (
            "Alternative Routing-ID Interpretation",
            &[PCI_EXT_CAP_ID_ARI],
        ),
        ("Address Translation Service", &[PCI_EXT_CAP_ID_ATS]),
        ("Single Root I/O Virtualization", &[PCI_EXT_CAP_ID_SRIOV]),
        ("Multi-Root I/O Virtualization", &[PCI_EXT_CAP_ID_MRIOV]),
        ("Multicast", &[PCI_EXT_CAP_ID_MCAST]),
        ("Page Request Interface", &[PCI_EXT_CAP_ID_PRI]),
        ("Physical Resizable BAR", &[PCI_EXT_CAP_ID_REBAR]),
        ("Virtual Resizable BAR", &[PCI_EXT_CAP_ID_VF_REBAR]),
        ("Resizable BAR", &[PCI_EXT_CAP_ID_REBAR]),
        ("VF Resizable BAR", &[PCI_EXT_CAP_ID_VF_REBAR]),
        ("Dynamic Power Allocation", &[PCI_EXT_CAP_ID_DPA]),
        ("Transaction Processing Hints", &[PCI_EXT_CAP_ID_TPH]),
        ("Latency Tolerance Reporting", &[PCI_EXT_CAP_ID_LTR]),
        ("Secondary PCI Express", &[PCI_EXT_CAP_ID_SECPCI]),
        ("Protocol Multiplexing", &[PCI_EXT_CAP_ID_PMUX]),
        ("Process Address Space ID", &[PCI_EXT_CAP_ID_PASID]),
        ("LN Requester", &[PCI_EXT_CAP_ID_LNR]),
        ("Downstream Port Containment", &[PCI_EXT_CAP_ID_DPC]),
        ("L1 PM Substates", &[PCI_EXT_CAP_ID_L1SS]),
        ("Precision Time Measurement", &[PCI_EXT_CAP_ID_PTM]),
        ("PCI Express over M_PHY", &[PCI_EXT_CAP_ID_MPCIE]),
        ("FRS Queueing", &[PCI_EXT_CAP_ID_FRS]),
        ("Readiness Time Reporting", &[PCI_EXT_CAP_ID_RTR]),
        ("Designated Vendor-Specific", &[PCI_EXT_CAP_ID_DVSEC]),
        ("Data Link Feature", &[PCI_EXT_CAP_ID_DLF]),
        ("Physical Layer 16.0 GT/s", &[PCI_EXT_CAP_ID_PL_16GT]),
        ("Lane Margining at the Receiver", &[PCI_EXT_CAP_ID_LMR]),
        ("Hierarchy ID", &[PCI_EXT_CAP_ID_HIER_ID]),
        ("Native PCIe Enclosure Management", &[PCI_EXT_CAP_ID_NPEM]),
        ("Physical Layer 32.0 GT/s", &[PCI_EXT_CAP_ID_PL_32GT]),
        ("Data Object Exchange", &[PCI_EXT_CAP_ID_DOE]),
        ("Device 3", &[PCI_EXT_CAP_ID_DEV3]),
        ("Integrity & Data Encryption", &[PCI_EXT_CAP_ID_IDE]),
        ("Physical Layer 64.0 GT/s", &[PCI_EXT_CAP_ID_PL_64GT]),
        ("MMIO Register Block Locator", &[PCI_EXT_CAP_ID_MMIO_RBL]),
        ("Flit Error Injection", &[PCI_EXT_CAP_ID_FLIT_ERR_INJ]),
        ("Flit Logging", &[PCI_EXT_CAP_ID_FLIT_LOG]),
    ];
    if let Some(hex) = text.strip_prefix("Extended Capability ID 0x") {
        let hex = hex.split_whitespace().next().unwrap_or("");
        return vec![u16::from_str_radix(hex, 16).expect("lspci prints a hex ID")];
    }
    match PREFIXES.iter().find(|(prefix, _)| text.starts_with(prefix)) {
        Some((_, ids)) => ids.to_vec(),
        None => panic!("unknown lspci extended capability text {text:?}: extend ext_ids"),
    }
}

/// The length lspci prints for VSEC (`Len=024`, hex) and DVSEC (`Len=24`,
/// decimal) capabilities.
fn printed_len(text: &str) -> Option<u16> {
    let rest = &text[text.find("Len=")? + 4..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    if text.starts_with("Vendor Specific Information") {
        u16::from_str_radix(&digits, 16).ok()
    } else if text.starts_with("Designated Vendor-Specific") {
        digits.parse().ok()
    } else {
        None
    }
}

/// Parses one `Capabilities: [...] text` line.
fn parse_cap_line(line: &str) -> Option<LspciCap> {
    let rest = line.trim_start().strip_prefix("Capabilities: [")?;
    let (inside, text) = rest.split_once("] ")?;
    let text = text.trim_end().to_string();
    let (offset, version) = match inside.split_once(" v") {
        Some((offset, version)) => (offset, Some(version.parse::<u8>().ok()?)),
        None => (inside, None),
    };
    let offset = u16::from_str_radix(offset, 16).ok()?;
    if text.starts_with('<') {
        return Some(LspciCap::End { offset, text });
    }
    Some(match version {
        None => LspciCap::Std {
            offset,
            ids: std_ids(&text),
            text,
        },
        Some(version) => LspciCap::Ext {
            offset,
            version,
            ids: ext_ids(&text),
            len: printed_len(&text),
            text,
        },
    })
}

/// Runs lspci on a dump file: capability lines per function.
fn lspci_caps(lspci: &Path, file: &Path) -> BTreeMap<String, Vec<LspciCap>> {
    let output = Command::new(lspci)
        .arg("-F")
        .arg(file)
        .arg("-vvv")
        .output()
        .expect("run lspci");
    assert!(
        output.status.success(),
        "lspci -F {} -vvv failed",
        file.display()
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut out: BTreeMap<String, Vec<LspciCap>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(char::is_whitespace) && !line.is_empty() {
            current = lspci_key(line);
            if let Some(k) = &current {
                out.entry(k.clone()).or_default();
            }
            continue;
        }
        if let (Some(k), Some(cap)) = (&current, parse_cap_line(line)) {
            out.entry(k.clone()).or_default().push(cap);
        }
    }
    out
}

/// Compares one function; returns the problems found.
fn compare(name: &str, list: &CapabilityList, lspci: &[LspciCap]) -> Vec<String> {
    let mut problems = Vec::new();
    let std: Vec<&LspciCap> = lspci
        .iter()
        .filter(|c| matches!(c, LspciCap::Std { .. }))
        .collect();
    let ext: Vec<&LspciCap> = lspci
        .iter()
        .filter(|c| matches!(c, LspciCap::Ext { .. }))
        .collect();

    if std.len() != list.caps.len() {
        problems.push(format!(
            "{name}: lspci lists {} standard capabilities, vpcie {}: lspci {:?}, vpcie {:?}",
            std.len(),
            list.caps.len(),
            std,
            list.caps
        ));
    }
    for (ours, theirs) in list.caps.iter().zip(&std) {
        if let LspciCap::Std { offset, ids, text } = theirs {
            if ours.offset != *offset || !ids.contains(&ours.id) {
                problems.push(format!(
                    "{name}: standard capability 0x{:02x} id 0x{:02x} vs lspci [{offset:02x}] {text}",
                    ours.offset, ours.id
                ));
            }
        }
    }

    // lspci shows extended capabilities only for functions with a PCI
    // Express or PCI-X capability (ls-caps.c can_have_ext_caps).
    let lspci_walks_ext = list
        .caps
        .iter()
        .any(|c| c.id == PCI_CAP_ID_EXP || c.id == PCI_CAP_ID_PCIX);
    if lspci_walks_ext && ext.len() != list.ext_caps.len() {
        problems.push(format!(
            "{name}: lspci lists {} extended capabilities, vpcie {}: lspci {:?}, vpcie {:?}",
            ext.len(),
            list.ext_caps.len(),
            ext,
            list.ext_caps
        ));
    }
    for (ours, theirs) in list.ext_caps.iter().zip(&ext) {
        if let LspciCap::Ext {
            offset,
            version,
            ids,
            len,
            text,
        } = theirs
        {
            if ours.offset != *offset || !ids.contains(&ours.id) || ours.version != *version {
                problems.push(format!(
                    "{name}: extended capability 0x{:03x} id 0x{:04x} v{} vs lspci [{offset:03x} \
                     v{version}] {text}",
                    ours.offset, ours.id, ours.version
                ));
            }
            if let Some(len) = len {
                if ours.len != *len {
                    problems.push(format!(
                        "{name}: [{offset:03x}] {text}: vpcie length 0x{:x}, lspci Len 0x{len:x}",
                        ours.len
                    ));
                }
            }
        }
    }
    // A chain lspci calls broken or looped must be a diagnostic of ours.
    for end in lspci.iter().filter(|c| matches!(c, LspciCap::End { .. })) {
        if list.diagnostics.is_empty() {
            problems.push(format!(
                "{name}: lspci says {end:?}, vpcie has no diagnostic"
            ));
        }
    }
    // Real devices pack capabilities: a rule that overshoots the next
    // capability (sanity check, not equality) shows up as an overlap, and
    // a rule that runs off the space as a clip.
    for d in &list.diagnostics {
        if matches!(d.kind, DiagnosticKind::Overlap | DiagnosticKind::Clipped) {
            problems.push(format!("{name}: {d}"));
        }
    }
    problems
}

#[test]
fn caps_match_lspci_on_every_fixture() {
    if !lspci_available("caps_match_lspci_on_every_fixture") {
        return;
    }
    let lspci_bin = PathBuf::from("lspci");

    let mut problems = Vec::new();
    let mut functions = 0;
    let mut caps = 0;
    let mut ext_caps = 0;
    let mut len_checks = 0;
    for file in fixture_files() {
        let text = std::fs::read_to_string(&file).expect("read fixture");
        let dump = lspci::parse(&text)
            .unwrap_or_else(|e| panic!("{}: not an lspci dump: {e}", file.display()));
        let reference = lspci_caps(&lspci_bin, &file);
        let file_name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        for function in &dump {
            let k = dump_key(&function.address);
            let name = format!("{file_name} {k}");
            let Some(theirs) = reference.get(&k) else {
                problems.push(format!("{name}: lspci did not list this function"));
                continue;
            };
            let list = parse_capabilities(image(function));
            len_checks += theirs
                .iter()
                .filter(|c| matches!(c, LspciCap::Ext { len: Some(_), .. }))
                .count();
            functions += 1;
            caps += list.caps.len();
            ext_caps += list.ext_caps.len();
            problems.extend(compare(&name, &list, theirs));
        }
    }
    eprintln!(
        "checked {functions} functions, {caps} capabilities, {ext_caps} extended capabilities \
         ({len_checks} VSEC/DVSEC lengths) against lspci"
    );
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        functions > 100 && caps > 400 && ext_caps > 150,
        "fixtures shrank unexpectedly"
    );
}

/// Lengths of the variable-length capabilities in the fixtures, by hand
/// from the bytes and the rules (see `caps/len.rs`).
#[test]
fn caps_variable_lengths_in_fixtures() {
    let expect = [
        // d07: ReBAR with one BAR (control 0x20: bits 7:5 = 1): 4 + 8.
        (
            "devices/d07_gpu_amd-fiji-r9fury_rebar_4096.txt",
            0x200,
            PCI_EXT_CAP_ID_REBAR,
            0x0c,
        ),
        // d07: VSEC Len=010 as lspci prints.
        (
            "devices/d07_gpu_amd-fiji-r9fury_rebar_4096.txt",
            0x100,
            PCI_EXT_CAP_ID_VNDR,
            0x10,
        ),
        // d07: Secondary PCIe on x16: 0x0c + 2 * 16.
        (
            "devices/d07_gpu_amd-fiji-r9fury_rebar_4096.txt",
            0x270,
            PCI_EXT_CAP_ID_SECPCI,
            0x2c,
        ),
        // d01: LMR on x16: 8 + 4 * 16; PL16G: 0x20 + 16.
        (
            "devices/d01_gpu_nvidia-ga104-rtx3070ti-laptop_4096.txt",
            0xd00,
            PCI_EXT_CAP_ID_LMR,
            0x48,
        ),
        (
            "devices/d01_gpu_nvidia-ga104-rtx3070ti-laptop_4096.txt",
            0xc1c,
            PCI_EXT_CAP_ID_PL_16GT,
            0x30,
        ),
        // d11/d12: x4 links: PL16G 0x20 + 4, LMR 8 + 16.
        (
            "devices/d11_nvme_kingston-kc3000_4096.txt",
            0x340,
            PCI_EXT_CAP_ID_PL_16GT,
            0x24,
        ),
        (
            "devices/d11_nvme_kingston-kc3000_4096.txt",
            0x378,
            PCI_EXT_CAP_ID_LMR,
            0x18,
        ),
        (
            "devices/d12_nvme_micron-3400_4096.txt",
            0x330,
            PCI_EXT_CAP_ID_PL_16GT,
            0x24,
        ),
        (
            "devices/d12_nvme_micron-3400_4096.txt",
            0x360,
            PCI_EXT_CAP_ID_LMR,
            0x18,
        ),
        // d23: x8 root port; PL32G 0x20 + 8 (8 lanes of 0xff presets at
        // 0xafc), LMR 8 + 4 * 8 (8 lane entries at 0xee4..0xf03).
        (
            "devices/d23_rootport_intel-adl-peg-x16_4096.txt",
            0xadc,
            PCI_EXT_CAP_ID_PL_32GT,
            0x28,
        ),
        (
            "devices/d23_rootport_intel-adl-peg-x16_4096.txt",
            0xedc,
            PCI_EXT_CAP_ID_LMR,
            0x28,
        ),
        (
            "devices/d23_rootport_intel-adl-peg-x16_4096.txt",
            0xa9c,
            PCI_EXT_CAP_ID_PL_16GT,
            0x28,
        ),
        // d22: DPC with RP Extensions, RP PIO log 4 dwords: 0x20 + 16,
        // packed exactly against Secondary PCIe at 0xa30.
        (
            "devices/d22_rootport_intel-adl-p-tb4_dpc_4096.txt",
            0xa00,
            PCI_EXT_CAP_ID_DPC,
            0x30,
        ),
        // d10: SR-IOV fixed 0x40.
        (
            "devices/d10_igpu_intel-adl-p-irisxe_sriov-ats_4096.txt",
            0x320,
            PCI_EXT_CAP_ID_SRIOV,
            0x40,
        ),
        // d18: TPH without an ST table in the capability: 0x0c.
        (
            "devices/d18_nic_realtek-rtl8125_4096.txt",
            0x178,
            PCI_EXT_CAP_ID_TPH,
            0x0c,
        ),
        // d18: VSEC Len=100.
        (
            "devices/d18_nic_realtek-rtl8125_4096.txt",
            0x21c,
            PCI_EXT_CAP_ID_VNDR,
            0x100,
        ),
    ];
    let mut problems = Vec::new();
    for (file, offset, id, len) in expect {
        let text = std::fs::read_to_string(Path::new(FIXTURES).join(file)).expect("read fixture");
        let dump = lspci::parse(&text).expect("lspci dump");
        let list = parse_capabilities(image(&dump[0]));
        match list.ext_caps.iter().find(|c| c.offset == offset) {
            Some(c) if c.id == id && c.len == len => {}
            other => problems.push(format!(
                "{file} 0x{offset:03x}: expected id 0x{id:x} len 0x{len:x}, got {other:?}"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// d28 (PLX PEX8532) has a VC capability at 0x148 whose Port VC Capability
/// 2 (0x07000003) supports WRR32 VC arbitration and puts the VC Arbitration
/// Table at offset 7 * 16 = 0x70 (lspci: "Port Arbitration Table [1b8]").
/// 32 phases of 4 bits make 16 bytes, so the capability is 0x80 bytes and
/// ends at 0x1c8 — exactly where the dump's zeroed table (0x1b8..0x1c7)
/// gives way to 0xff again. vfio's rule (table right after the two VC
/// resources, rounded to 16) would give 0x40 and miss the table.
#[test]
fn caps_vc_with_arbitration_table() {
    let text = std::fs::read_to_string(
        Path::new(FIXTURES).join("devices/d28_switch_plx-pex8532_vc-pat_4096.txt"),
    )
    .expect("read fixture");
    let dump = lspci::parse(&text).expect("lspci dump");
    let cfg = image(&dump[0]);
    assert_eq!(&cfg[0x1b8..0x1c8], &[0u8; 16], "the table the offset names");
    assert_eq!(cfg[0x1c8], 0xff);
    let list = parse_capabilities(cfg);
    let vc = list
        .ext_caps
        .iter()
        .find(|c| c.offset == 0x148)
        .expect("VC at 0x148");
    assert_eq!((vc.id, vc.len), (PCI_EXT_CAP_ID_VC, 0x80), "{list:#?}");
}
