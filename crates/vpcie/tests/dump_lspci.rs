//! `vpcie dump --format lspci` read back by pciutils: `lspci -F FILE -tv`
//! must draw the tree (bus 0 with MCH, LPC and ports, endpoints below their
//! ports) and `-vvv` must decode every capability.

use std::process::Command;
use vpcie_config::caps::parse_capabilities;
use vpcie_config::lspci;
use vpcie_testkit::{TempFile, lspci as run_lspci, lspci_available, lspci_cap_offsets};

fn vpcie(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(args)
        .output()
        .expect("vpcie runs")
}

/// `vpcie dump` into a temporary file (its text too).
fn dump(extra: &[&str]) -> (TempFile, String) {
    let file = TempFile::new("dump.txt", "");
    let path = file.path().to_str().unwrap().to_string();
    let mut args = vec!["dump", "--format", "lspci", "-o", &path];
    args.extend_from_slice(extra);
    let out = vpcie(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(file.path()).unwrap();
    (file, text)
}

/// The `[bb-bb]` / `[bb]` bus ranges of a `-tv` tree, in order.
fn bus_ranges(tree: &str) -> Vec<String> {
    tree.split('[')
        .skip(1)
        .filter_map(|s| s.split(']').next())
        // Bus ranges only: not the [0000:00] domain, not "[AHCI mode]".
        .filter(|s| s.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .map(str::to_string)
        .collect()
}

/// The platform crate's example topology, which mirrors the QEMU topology
/// of its captures (vpcie-platform/tests/data/qemu-q35).
const QEMU_MIRROR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../vpcie-platform/src/default_platform.toml"
);

#[test]
fn default_platform_tree() {
    if !lspci_available("default_platform_tree") {
        return;
    }
    let (file, _) = dump(&[]);
    let tree = run_lspci(file.path(), &["-tv"]);
    let expected = "\
-[0000:00]-+-00.0  Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller
           +-1c.0-[01]--+-00.0  NVIDIA Corporation GA104 [Geforce RTX 3070 Ti Laptop GPU]
           |            \\-00.1  NVIDIA Corporation GA104 High Definition Audio Controller
           +-1c.1-[02-05]----00.0-[03-05]--+-00.0-[04]----00.0  Kingston Technology Company, Inc. Device 5013
           |                               \\-01.0-[05]--
           +-1c.2-[06]--
           \\-1f.0  Intel Corporation 82801IB (ICH9) LPC Interface Controller
";
    assert_eq!(tree, expected);
}

#[test]
fn qemu_mirror_topology_tree() {
    if !lspci_available("qemu_mirror_topology_tree") {
        return;
    }
    let (file, _) = dump(&["--config", QEMU_MIRROR]);
    let tree = run_lspci(file.path(), &["-tv"]);
    let expected = "\
-[0000:00]-+-00.0  Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller
           +-1c.0-[01-04]----00.0-[02-04]--+-00.0-[03]----00.0  Red Hat, Inc. QEMU PCI Test Device
           |                               \\-01.0-[04]----00.0  Red Hat, Inc. QEMU PCI Test Device
           +-1c.1-[05]--+-00.0  Red Hat, Inc. QEMU PCI Test Device
           |            \\-00.1  Red Hat, Inc. QEMU PCI Test Device
           +-1c.2-[06-07]----00.0-[07]----01.0  Red Hat, Inc. QEMU PCI Test Device
           +-1c.3-[08]--
           \\-1f.0  Intel Corporation 82801IB (ICH9) LPC Interface Controller
";
    assert_eq!(tree, expected);
    // QEMU's equivalent topology under SeaBIOS got the same bus ranges.
    let qemu = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../vpcie-platform/tests/data/qemu-q35/lspci-tv.txt"
    ))
    .unwrap();
    assert_eq!(bus_ranges(&tree), bus_ranges(&qemu));
    let nn = run_lspci(file.path(), &["-n"]);
    for id in [
        "8086:29c0",
        "8086:2918",
        "8086:2940",
        "8086:2946",
        "104c:8232",
        "104c:8233",
        "1b36:000e",
    ] {
        assert!(nn.contains(id), "{id} missing from:\n{nn}");
    }
}

/// Every capability our own parser finds, lspci finds and decodes.
fn assert_capabilities_decode(file: &std::path::Path, text: &str) -> String {
    let vvv = run_lspci(file, &["-vvv"]);
    for line in vvv.lines() {
        // lspci cannot decode the contents of a vendor's own capability.
        let vendor = line.contains("Vendor Specific Information");
        assert!(vendor || !line.contains("<?>"), "undecoded: {line}");
        // lspci prints "AttnInd Unknown, PwrInd Unknown" for indicator
        // control 00b, the value PCIe r6.x §7.5.3.10 prescribes when no
        // indicator is present (real root ports print the same).
        let l = line.replace("AttnInd Unknown, PwrInd Unknown", "");
        assert!(!l.contains("Unknown"), "undecoded: {line}");
        assert!(
            !l.contains("chain broken") && !l.contains("<unavailable>"),
            "{line}"
        );
    }
    let lspci_offsets = lspci_cap_offsets(&vvv);
    let functions = lspci::parse(text).unwrap();
    assert!(!functions.is_empty());
    for f in &functions {
        let image = &f.config()[..f.config_size()];
        let caps = parse_capabilities(image);
        // A Null capability at 0x100 is how a hidden first extended
        // capability keeps the chain's start (see vpcie-config's hide).
        let problems: Vec<_> = caps
            .diagnostics
            .iter()
            .filter(|d| d.kind != vpcie_config::caps::DiagnosticKind::NullCapability)
            .collect();
        assert!(problems.is_empty(), "{}: {problems:?}", f.address);
        let ours = (
            caps.caps.iter().map(|c| c.offset).collect::<Vec<_>>(),
            caps.ext_caps.iter().map(|c| c.offset).collect::<Vec<_>>(),
        );
        let key = f.address.to_string();
        assert_eq!(
            lspci_offsets.get(&key),
            Some(&ours),
            "{key}: capability offsets"
        );
    }
    vvv
}

#[test]
fn default_platform_capabilities_decode() {
    if !lspci_available("default_platform_capabilities_decode") {
        return;
    }
    let (file, text) = dump(&[]);
    let vvv = assert_capabilities_decode(file.path(), &text);
    // The passed-through GPU: a Legacy Endpoint (as on the host) below its port, its extended
    // capabilities filtered (AER and Resizable BAR emulated; VC, Power
    // Budgeting, Secondary PCIe, the physical layer ones hidden behind a
    // Null capability at 0x100), its BARs where the firmware put them.
    let gpu = run_lspci(file.path(), &["-vvv", "-s", "01:00.0"]);
    for want in [
        "Express (v2) Legacy Endpoint",
        "Advanced Error Reporting",
        "Region 1: Memory at 200000000 (64-bit, prefetchable)",
        "Region 3: Memory at 400000000 (64-bit, prefetchable)",
        "[100 v0] Null",
        "[bb0 v1] Physical Resizable BAR",
    ] {
        assert!(gpu.contains(want), "{want} not in:\n{gpu}");
    }
    for hidden in [
        "Virtual Channel",
        "Power Budgeting",
        "Secondary PCI Express",
        "Lane Margining",
        "Region 0: Memory at <unassigned>",
    ] {
        assert!(!gpu.contains(hidden), "{hidden} in:\n{gpu}");
    }
    assert!(vvv.contains("Express (v2) Upstream Port"));
}

#[test]
fn qemu_mirror_capabilities_decode() {
    if !lspci_available("qemu_mirror_capabilities_decode") {
        return;
    }
    let (file, text) = dump(&["--config", QEMU_MIRROR]);
    let vvv = assert_capabilities_decode(file.path(), &text);
    // Names lspci gives what we built.
    for name in [
        "Express (v2) Root Port (Slot+)",
        "Express (v2) Upstream Port",
        "Express (v2) Downstream Port (Slot+)",
        "Express (v2) Endpoint",
        "Express (v2) PCI-Express to PCI/PCI-X Bridge",
        "MSI: Enable- Count=1/1 Maskable- 64bit-",
        "MSI: Enable- Count=1/1 Maskable- 64bit+",
        "Power Management version 3",
        "Subsystem: Red Hat, Inc.",
        "Advanced Error Reporting",
        "RootCmd: CERptEn- NFERptEn- FERptEn-",
    ] {
        assert!(vvv.contains(name), "{name} not in lspci -vvv");
    }
    let vvv = run_lspci(file.path(), &["-vvv", "-s", "00:1c.0"]);
    assert!(vvv.contains("LnkSta:\tSpeed 2.5GT/s, Width x1"), "{vvv}");
    assert!(vvv.contains("DLActive+"), "a populated port's link is up");
    let empty = run_lspci(file.path(), &["-vvv", "-s", "00:1c.3"]);
    assert!(
        empty.contains("DLActive-") && empty.contains("PresDet-"),
        "{empty}"
    );
    let conventional = run_lspci(file.path(), &["-xxxx", "-s", "07:01.0"]);
    assert!(
        !conventional.contains("\n100:"),
        "no extended space below a PCI bridge"
    );
}

#[test]
fn platform_from_a_config_file() {
    if !lspci_available("platform_from_a_config_file") {
        return;
    }
    let config = TempFile::new(
        "platform.toml",
        r#"
[[device]]
name = "gpu-port"
kind = "root-port"
at = "1c.0"
link_speed = 8
link_width = 16

[[device]]
kind = "endpoint"
parent = "gpu-port"
at = "00.0"
vendor_id = 0x10de
device_id = 0x2482
class = 0x030000
link_speed = 16
link_width = 16
bars = [
  { bar = 0, kind = "mem32", size = 0x1000000 },
  { bar = 1, kind = "mem64", size = 0x200000000, prefetchable = true },
  { bar = 5, kind = "io", size = 0x80 },
]

[[device]]
kind = "root-port"
at = "1c.6"

[[device]]
kind = "root-port"
at = "03.0"
"#,
    );
    let (file, text) = dump(&["--config", config.path().to_str().unwrap()]);
    let tree = run_lspci(file.path(), &["-tv"]);
    assert!(tree.contains("+-03.0-[01]--"), "{tree}");
    assert!(
        tree.contains("+-1c.0-[02]----00.0  NVIDIA Corporation"),
        "{tree}"
    );
    assert!(tree.contains("+-1c.6-[03]--"), "{tree}");
    assert!(tree.contains("\\-1f.0"), "{tree}");
    let port = run_lspci(file.path(), &["-vvv", "-s", "00:1c.0"]);
    assert!(
        port.contains("LnkCap:\tPort #1, Speed 8GT/s, Width x16"),
        "{port}"
    );
    // The link trains to the slower end: the port's 8 GT/s.
    assert!(port.contains("LnkSta:\tSpeed 8GT/s, Width x16"), "{port}");
    let gpu = run_lspci(file.path(), &["-vvv", "-s", "02:00.0"]);
    // The firmware placed the BARs: the 16 MiB one in the port's memory
    // window, the 8 GiB one above 4 GiB, the I/O one in the I/O window.
    // (pciutils 3.9 also lists the upper half of a 64-bit BAR above 4 GiB
    // as a "Region 2 ... (low-1M)" when reading a dump; not ours to fix.)
    for want in [
        "Region 0: Memory at f",
        "Region 1: Memory at 200000000 (64-bit, prefetchable)",
        "Region 5: I/O ports at f",
    ] {
        assert!(gpu.contains(want), "{want} not in:\n{gpu}");
    }
    assert!(
        gpu.contains("Control: I/O+ Mem+"),
        "decoding enabled: {gpu}"
    );
    assert!(
        gpu.contains("Express (v2) Legacy Endpoint") || gpu.contains("Express (v2) Endpoint"),
        "{gpu}"
    );
    assert_capabilities_decode(file.path(), &text);
}

#[test]
fn bad_config_is_a_message_naming_the_file_and_device() {
    let config = TempFile::new(
        "bad.toml",
        "[[device]]\nkind = \"switch-upstream\"\nat = \"00.0\"\n",
    );
    let out = vpcie(&["dump", "--config", config.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(config.path().to_str().unwrap()), "{err}");
    assert!(
        err.contains(
            "switch-upstream at 00.0: a switch upstream port sits below a root or downstream port"
        ),
        "{err}"
    );
}
