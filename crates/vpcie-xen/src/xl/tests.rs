use super::*;
use proptest::prelude::*;
use syntax::Value;

const FULL: &str = r#"
# The real-Xen end-to-end guest.
name = "hvmtest"
type = 'hvm'
memory = 256
vcpus = 2; maxvcpus = 4
device_model_machine = "q35"
acpi_firmware = "/root/vpcie/acpi.bin"
pci_permissive = 1
rdm = "strategy=host,policy=relaxed"
pci = [ '0000:00:1f.3@05,msitranslate=1', "01:00.*", ]
vpcie_segment = 1
vpcie_ecam_base = 0xe0000000
vpcie_mmio32 = "0xD0000000+256M"
vpcie_mmio64 = "0x800000000-0x8ffffffff"
vpcie_hotplug_reserve = "buses=2,mmio=4M,mmio_pref=64M"
vpcie_root_ports = [ "rp0", "rp1,dev=3,slot=7,hotplug=1",
                     "rp2" ]
vpcie_switches = [ "sw0,port=rp1,downstream=2" ]
vpcie_pci = [
    "0000:01:00.0,dump=gpu.txt,port=sw0.0,group=gpu",   # GPU
    "0000:01:00.1,dump=gpu.txt,port=sw0.0,group=gpu,permissive=0",
    "0000:02:00.0,dump=nvme.txt,port=rp0",
    "03:00.0,rc_integrated=1",
]
"#;

#[test]
fn full_config() {
    let c = DomainConfig::parse(FULL).unwrap();
    assert_eq!(c.name.as_deref(), Some("hvmtest"));
    assert_eq!(c.machine, Machine::Q35);
    assert_eq!(c.max_vcpus, 4);
    assert!(c.pci_defaults.permissive);
    assert_eq!(c.pci_defaults.rdm_policy, RdmPolicy::Relaxed);
    assert_eq!(c.pci.len(), 2);
    assert_eq!(c.pci[0].vslot, Some(5));
    assert!(c.pci[0].options.msitranslate && c.pci[0].options.permissive);
    assert!(matches!(
        c.pci[1].host,
        HostRef::Bdf(HostBdf {
            bus: 1,
            all_functions: true,
            ..
        })
    ));
    let v = &c.vpcie;
    assert_eq!(v.segment, 1);
    assert_eq!(
        v.ecam,
        Window {
            base: 0xE000_0000,
            size: 256 << 20
        }
    );
    assert_eq!(
        v.mmio32,
        Window {
            base: 0xD000_0000,
            size: 0x1000_0000
        }
    );
    assert_eq!(
        v.mmio64,
        Some(Window {
            base: 0x8_0000_0000,
            size: 0x1_0000_0000
        })
    );
    assert_eq!(
        v.hotplug_reserve,
        HotplugReserve {
            buses: 2,
            mmio: 4 << 20,
            mmio_pref: 64 << 20
        }
    );
    assert_eq!(v.root_ports.len(), 3);
    assert_eq!(v.root_ports[1].dev, Some(3));
    assert!(v.root_ports[1].hotplug);
    assert_eq!(
        v.switches[0].downstream_names().collect::<Vec<_>>(),
        ["sw0.0", "sw0.1"]
    );
    assert_eq!(v.devices.len(), 4);
    assert_eq!(v.devices[0].placement.port.as_deref(), Some("sw0.0"));
    assert_eq!(v.devices[0].source, DeviceSource::Dump("gpu.txt".into()));
    assert!(!v.devices[1].options.permissive);
    assert!(v.devices[3].placement.rc_integrated);
    assert_eq!(v.devices[2].pos.line, 23);
}

#[test]
fn defaults_when_absent() {
    let c = DomainConfig::parse("name = \"x\"\n").unwrap();
    assert_eq!(c.machine, Machine::I440);
    assert_eq!(c.max_vcpus, 1);
    assert_eq!(c.vpcie, VpcieConfig::default());
    assert_eq!(c.vpcie.segment, 1);
}

#[test]
fn xl_syntax_details() {
    // No final newline, ';' separators, escapes, both quotes, += on lists and strings, empty lists.
    let src = "a = \"x\\ty\\\\\\'\"; b='its'\nl = [\n]\nl += [ \"p\" ,\n ]\ns = 'ab'\ns += 'cd'\nn = 0x10";
    let settings = syntax::parse_settings(src).unwrap();
    assert_eq!(settings.len(), 7);
    let Value::Atom { text, .. } = &settings[0].value else {
        panic!()
    };
    assert_eq!(text, "x\ty\\'");
    // Adjacent strings are two tokens: an error, as in xl.
    assert!(DomainConfig::parse("b = 'it''s'\n").is_err());
    assert_eq!(parse_xl_number("010"), Some(8));
    assert_eq!(parse_xl_number("0x1F"), Some(31));
    assert_eq!(parse_xl_number("09"), None);
    assert_eq!(parse_size("256M"), Some(256 << 20));
    assert_eq!(parse_size("0x10K"), Some(16 << 10));
    assert_eq!(parse_size("99999999999T"), None);
}

#[test]
fn later_settings_win_and_append_concatenates() {
    let c = DomainConfig::parse(
        "vpcie_root_ports = [ \"a\" ]\nvpcie_root_ports += [ \"b\" ]\nvcpus = 1\nvcpus = 3\n",
    )
    .unwrap();
    assert_eq!(
        c.vpcie
            .root_ports
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(c.max_vcpus, 3);
}

/// A broken file, the position of the error and a piece of its message.
fn broken(src: &str, line: u32, column: u32, needle: &str) {
    let e = DomainConfig::parse(src).expect_err(src);
    let msg = e.to_string();
    assert_eq!(
        (e.pos.line, e.pos.column),
        (line, column),
        "{src:?} -> {msg}"
    );
    assert!(msg.contains(needle), "{src:?} -> {msg} (wanted {needle:?})");
}

#[test]
fn broken_files() {
    broken("name = \"abc\n", 1, 8, "closing \"");
    broken("name = 'abc\\q'\n", 1, 12, "unknown escape");
    broken("name = 'abc\\x41'\n", 1, 12, "write the character itself");
    broken("name = 'x'\r\n", 1, 11, "Unix line ends");
    broken("Name = 'x'\n", 1, 1, "lower case");
    broken("memory = 64M\n", 1, 12, "lower case");
    broken("a = 1z\n", 1, 6, "end of the line");
    broken("name \"x\"\n", 1, 6, "expected `=` or `+=`");
    broken("name = \n", 1, 8, "expected a value");
    broken("= 3\n", 1, 1, "expected a setting");
    broken(
        "pci = [ \"01:00.0\" \"02:00.0\" ]\n",
        1,
        19,
        "`,` between list elements",
    );
    broken("pci = [ \"01:00.0\",\n", 1, 7, "never closed");
    broken("x = 1 2\n", 1, 7, "end of the line");
    broken("builder = ('hvm')\n", 1, 11, "Python");
    broken("memory = 256 @\n", 1, 14, "unexpected character");
    broken("a = [[[[[[[[[[1]]]]]]]]]]\n", 1, 13, "nested deeper");
    broken("vcpus = 0\n", 1, 9, "from 1 to 128");
    broken("vcpus = \"many\"\n", 1, 9, "a number");
    broken(
        "device_model_machine = \"pc\"\n",
        1,
        24,
        "\"i440\" or \"q35\"",
    );
    broken("device_model_machine = [ \"q35\" ]\n", 1, 24, "a string");
    broken("pci_permissive = 2\n", 1, 18, "from 0 to 1");
    broken(
        "pci = [ \"01:00.0,port=rp0\" ]\n",
        1,
        9,
        "Move the entry to `vpcie_pci",
    );
    broken("pci = [ \"01:20.0\" ]\n", 1, 9, "device 00-1f");
    broken("pci = [ \"01:00.8\" ]\n", 1, 9, "function 0-7");
    broken("pci = [ \"1:2:3:00.0\" ]\n", 1, 9, "[DDDD:]BB:DD.F");
    broken("pci = [ \"01:00.0@20\" ]\n", 1, 9, "vslot");
    broken(
        "pci = [ \"01:00.0,rdm_policy=lax\" ]\n",
        1,
        9,
        "`strict` or `relaxed`",
    );
    broken(
        "pci = [ \"01:00.0,colour=blue\" ]\n",
        1,
        9,
        "unknown key `colour`",
    );
    broken("pci = [ \"01:00.0,seize=yes\" ]\n", 1, 9, "0 or 1");
    broken("pci = [ \"permissive=1\" ]\n", 1, 9, "no device");
    broken("pci = [ \"01:00.0,name=gpu\" ]\n", 1, 9, "not both");
    broken("pci = [ 3 ]\n", 1, 9, "quoted strings");
    broken("rdm = \"strategy=guess\"\n", 1, 7, "strategy=host");
    broken(
        "\n\nvpcie_segmnet = 2\n",
        3,
        1,
        "unknown vpcie setting `vpcie_segmnet`",
    );
    broken("vpcie_mode = \"bus1\"\n", 1, 14, "\"segment\" or \"bus0\"");
    broken("vpcie_segment = 0x10000\n", 1, 17, "from 0 to 65535");
    broken("vpcie_ecam_base = 0xe0000001\n", 1, 19, "1 MiB-aligned");
    broken(
        "vpcie_ecam_base = 0xffffffffffff0000\n",
        1,
        19,
        "below 2^64",
    );
    broken("vpcie_ecam_buses = 257\n", 1, 20, "from 1 to 256");
    broken("vpcie_mmio32 = \"0xD0000000\"\n", 1, 16, "BASE-LAST");
    broken("vpcie_mmio32 = \"0xF0000000+512M\"\n", 1, 16, "below 4 GiB");
    broken(
        "vpcie_mmio32 = \"0xD0000000-0xC0000000\"\n",
        1,
        16,
        "BASE-LAST",
    );
    broken("vpcie_mmio64 = \"0xD0000000+1M\"\n", 1, 16, "above 4 GiB");
    broken("vpcie_mmio32 = \"0xE0000000+1M\"\n", 1, 1, "overlaps");
    broken("vpcie_segment = 0\n", 1, 1, "vpcie_segment to 1");
    broken(
        "vpcie_hotplug_reserve = \"mmio=lots\"\n",
        1,
        25,
        "mmio=SIZE",
    );
    broken("vpcie_root_ports = [ \"rp0,dev=0\" ]\n", 1, 22, "01-1f");
    broken(
        "vpcie_root_ports = [ \"rp0,speed=8\" ]\n",
        1,
        22,
        "unknown key `speed`",
    );
    broken(
        "vpcie_root_ports = [ \"r p\" ]\n",
        1,
        22,
        "start with a name",
    );
    broken("vpcie_root_ports = [ \"a\", \"a\" ]\n", 1, 27, "used twice");
    broken(
        "vpcie_root_ports = [ \"a,dev=2\", \"b,dev=2\" ]\n",
        1,
        33,
        "both ask for device 02",
    );
    broken("vpcie_switches = [ \"sw\" ]\n", 1, 20, "needs `port=NAME`");
    broken(
        "vpcie_switches = [ \"sw,port=nowhere\" ]\n",
        1,
        20,
        "no root port or downstream port",
    );
    broken(
        "vpcie_switches = [ \"a,port=b.0\", \"b,port=a.0\" ]\n",
        1,
        20,
        "below itself",
    );
    broken(
        "vpcie_root_ports=['r']\nvpcie_switches = [ \"a,port=r\", \"b,port=r\" ]\n",
        2,
        32,
        "already holds switch `a`",
    );
    broken(
        "vpcie_root_ports = [ \"rp0\" ]\nvpcie_pci = [ \"01:00.0,port=rp1\" ]\n",
        2,
        15,
        "port `rp1`, which is not declared; known: rp0",
    );
    broken(
        "vpcie_root_ports = [ \"rp0\" ]\nvpcie_pci = [ \"01:00.0,port=rp0\",\n \"02:00.0,port=rp0\" ]\n",
        3,
        2,
        "already holds 0000:01:00.0",
    );
    broken(
        "vpcie_root_ports = [ \"rp0\", \"rp1\" ]\nvpcie_pci = [ \"01:00.0,port=rp0,group=g\", \"01:00.1,port=rp1,group=g\" ]\n",
        2,
        43,
        "placed differently",
    );
    broken(
        "vpcie_pci = [ \"01:00.0,group=g\", \"02:00.0,group=g\" ]\n",
        1,
        34,
        "function 0 twice",
    );
    broken(
        "vpcie_pci = [ \"01:00.1,group=g\" ]\n",
        1,
        1,
        "no function 0",
    );
    broken("vpcie_pci = [ \"01:00.0,fn=8\" ]\n", 1, 15, "0-7");
    broken(
        "vpcie_pci = [ \"01:00.0,rc_integrated=1,port=x\" ]\n",
        1,
        15,
        "cannot also have `port=`",
    );
    broken(
        "vpcie_pci = [ \"name=gpu,dump=x.txt\" ]\n",
        1,
        15,
        "give the BDF",
    );
    broken(
        "vpcie_root_ports = 'a'\nvpcie_root_ports += [ 'b' ]\n",
        2,
        1,
        "appends to a list or a string",
    );
    let big = "#".repeat(syntax::MAX_FILE_BYTES + 1);
    broken(&big, 1, 1, "at most");
}

#[test]
fn columns_count_characters() {
    // "é" is two bytes, one column.
    broken("name = \"é\" x\n", 1, 12, "end of the line");
}

#[test]
fn unknown_xl_keys_are_ignored_like_xl() {
    let c =
        DomainConfig::parse("builder = \"hvm\"\nviridian = [ \"base\" ]\nfoo.bar = 1\n").unwrap();
    assert_eq!(c.machine, Machine::I440);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        let _ = DomainConfig::parse(&s);
    }

    #[test]
    fn config_like_text_never_panics(s in "([a-z_]{1,8} ?(=|\\+=) ?(\"[^\"\\n]{0,20}\"|'[^'\\n]{0,20}'|[0-9a-fx]{1,6}|\\[|\\]|,|\\n|#[^\\n]{0,5}\\n| |;)){0,30}") {
        let _ = DomainConfig::parse(&s);
    }

    #[test]
    fn arbitrary_spec_strings_never_panic(s in "[0-9a-fA-F:.@,=*a-z_ ]{0,60}") {
        let src = format!("pci = [ \"{s}\" ]\nvpcie_pci = [ \"{s}\" ]\nvpcie_root_ports = [ \"{s}\" ]\nvpcie_switches = [ \"{s}\" ]\nvpcie_mmio64 = \"{s}\"\n");
        let _ = DomainConfig::parse(&src);
    }
}
