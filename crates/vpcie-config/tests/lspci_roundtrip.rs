//! The lspci dump format against the fixtures and against pciutils' own `lspci`.
//!
//! The lspci checks need pciutils (`lspci` on PATH). Without it they fail
//! with a message saying to install it, unless `VPCIE_SKIP_LSPCI=1` is set,
//! in which case each prints a SKIP line to stderr and checks only what it
//! can without lspci.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use vpcie_config::lspci::{DumpAddress, DumpError, DumpFunction, parse, write};
use vpcie_testkit::{TempFile, fixture, lspci, lspci_available};

/// `lspci -F devices/d36_lpc_intel-ich8m_256.txt -vvv -xxx` (pciutils 3.9), kept so that
/// the `-vvv` reading is checked even where lspci is skipped.
const D36_VVV: &str = r#"00:1f.0 ISA bridge: Intel Corporation 82801HM (ICH8M) LPC Interface Controller (rev 03)
	Subsystem: Fujitsu Limited. Device 140e
	Control: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR+ FastB2B- DisINTx-
	Status: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=medium >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-
	Latency: 0
	Capabilities: [e0] Vendor Specific Information: Len=0c <?>
00: 86 80 15 28 07 01 10 02 03 00 01 06 00 00 80 00
10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
20: 00 00 00 00 00 00 00 00 00 00 00 00 cf 10 0e 14
30: 00 00 00 00 e0 00 00 00 00 00 00 00 00 00 00 00
40: 01 10 00 00 80 00 00 00 81 11 00 00 10 00 00 00
50: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
60: 80 80 80 80 90 00 00 00 80 80 80 80 00 00 00 00
70: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
80: 10 00 08 3c 01 fd 7c 00 00 00 00 00 00 00 00 00
90: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
a0: 20 0e 00 00 00 00 80 00 01 1c 0a 00 00 03 00 00
b0: 00 00 f0 00 00 00 00 00 00 80 02 0a 00 00 00 00
c0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
d0: 33 22 11 00 67 45 00 00 cf ff 00 00 00 00 00 00
e0: 09 00 0c 10 20 02 4c c3 60 00 00 00 00 00 00 00
f0: 01 c0 d1 fe 64 d3 17 00 86 0f 05 00 00 00 00 00

"#;

/// Every fixture dump; SOURCES.md lists 6 machines and 29 devices, fewer
/// means the fixtures are not all there.
fn fixture_files() -> Vec<PathBuf> {
    let files = vpcie_testkit::fixture_files();
    assert!(
        files.len() >= 35,
        "expected at least 35 fixture dumps, found {}",
        files.len()
    );
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn parse_ok(text: &str, what: &str) -> Vec<DumpFunction> {
    parse(text).unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn addr(domain: Option<u16>, bus: u8, device: u8, function: u8) -> DumpAddress {
    DumpAddress {
        domain,
        bus,
        device,
        function,
    }
}

/// Whether lspci refuses the file (exits non-zero).
fn lspci_rejects(file: &Path) -> bool {
    let out = Command::new("lspci")
        .arg("-F")
        .arg(file)
        .arg("-xxxx")
        .output()
        .expect("run lspci");
    !out.status.success()
}

/// Functions keyed by address, the domain lspci leaves out counting as 0.
fn by_address(functions: Vec<DumpFunction>) -> BTreeMap<(u16, u8, u8, u8), DumpFunction> {
    let mut map = BTreeMap::new();
    for f in functions {
        let a = f.address;
        let key = (a.domain.unwrap_or(0), a.bus, a.device, a.function);
        assert!(map.insert(key, f).is_none(), "address {a} twice");
    }
    map
}

/// Asserts that lspci's `-xxxx` reading of `file` has the same bytes (and sizes) as `ours`.
fn assert_lspci_reads_same_bytes(file: &Path, ours: Vec<DumpFunction>) {
    let theirs = by_address(parse_ok(&lspci(file, &["-xxxx"]), "lspci -xxxx output"));
    let ours = by_address(ours);
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "{}: functions differ",
        file.display()
    );
    for (key, mine) in &ours {
        let seen = &theirs[key];
        assert_eq!(
            seen.config_size(),
            mine.config_size(),
            "{}: size of {}",
            file.display(),
            mine.address
        );
        assert!(
            seen.config() == mine.config(),
            "{}: bytes of {} differ:\nlspci: {seen:?}\nours: {mine:?}",
            file.display(),
            mine.address
        );
    }
}

/// Text as `write` produces it from lspci output: lspci ends every function with a blank line, `write` only separates them.
fn without_final_blank_line(text: &str) -> &str {
    text.strip_suffix('\n')
        .filter(|t| t.ends_with('\n'))
        .unwrap_or(text)
}

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    for path in fixture_files() {
        let text = read(&path);
        let functions = parse_ok(&text, &path.display().to_string());
        assert!(!functions.is_empty(), "{}: no function", path.display());
        let written = write(&functions);
        if written != text {
            let line = written.lines().zip(text.lines()).position(|(a, b)| a != b);
            panic!(
                "{} does not round-trip; first differing line: {line:?}",
                path.display()
            );
        }
    }
}

#[test]
fn fixtures_have_the_function_counts_and_sizes_sources_md_lists() {
    // (file prefix, functions with 4096 bytes, functions with 256 bytes), from SOURCES.md.
    let machines = [
        ("m01", 15, 14),
        ("m03", 6, 10),
        ("m04", 6, 16),
        ("m07", 0, 16),
        ("m08", 0, 10),
        ("m09", 0, 14),
    ];
    for (name, big, small) in machines {
        let functions = parse_ok(&read(&fixture(name)), name);
        let count = |size| functions.iter().filter(|f| f.config_size() == size).count();
        assert_eq!(
            (count(4096), count(256), functions.len()),
            (big, small, big + small),
            "{name}"
        );
    }
    for path in fixture_files()
        .into_iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("devices")))
    {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let size: usize = name
            .rsplit('_')
            .next()
            .unwrap()
            .parse()
            .expect("file name ends in _SIZE");
        for f in parse_ok(&read(&path), &name) {
            assert_eq!(f.config_size(), size, "{name} {}", f.address);
        }
    }
}

#[test]
fn fixture_oddities_read_as_sources_md_says() {
    let m08 = by_address(parse_ok(&read(&fixture("m08")), "m08"));
    let gpu = &m08[&(0, 4, 0, 0)];
    assert!(!gpu.row_present(8), "m08 04:00.0 lacks row 0x80");
    assert!((0..16).filter(|&r| r != 8).all(|r| gpu.row_present(r)));
    assert_eq!(gpu.config()[0x80..0x90], [0xff; 16]);
    assert_eq!(gpu.config_size(), 256);

    let m01 = by_address(parse_ok(&read(&fixture("m01")), "m01"));
    let off = &m01[&(0, 0x2f, 0, 0)];
    assert_eq!(off.config_size(), 4096);
    assert_eq!(
        off.present_rows().count(),
        256,
        "m01 2f:00.0 is dumped in full"
    );
    assert!(
        off.config().iter().all(|&b| b == 0xff),
        "m01 2f:00.0 reads all ff (D3cold)"
    );

    let m07 = parse_ok(&read(&fixture("m07")), "m07");
    assert!(
        m07.iter().all(|f| f.address.domain.is_some()),
        "m07 prints domains"
    );
    assert!(
        m07.iter().any(|f| f.address.domain == Some(1)),
        "m07 has a second domain"
    );

    for name in ["d09", "d25"] {
        let functions = parse_ok(&read(&fixture(name)), name);
        assert!(
            functions[0].title.ends_with(' '),
            "{name}: title keeps its trailing space"
        );
    }
}

#[test]
fn lspci_reads_every_fixture_to_the_bytes_parse_reads() {
    if !lspci_available("lspci_reads_every_fixture_to_the_bytes_parse_reads") {
        return;
    }
    for path in fixture_files() {
        assert_lspci_reads_same_bytes(&path, parse_ok(&read(&path), "fixture"));
    }
}

#[test]
fn lspci_decodes_our_rewrite_of_fixtures_and_vvv_text_like_the_originals() {
    if !lspci_available("lspci_decodes_our_rewrite_of_fixtures_and_vvv_text_like_the_originals") {
        return;
    }
    for path in fixture_files() {
        let ours = TempFile::new("rewrite.txt", &write(&parse_ok(&read(&path), "fixture")));
        for args in [&["-xxxx"][..], &["-vvv"]] {
            assert_eq!(
                lspci(&ours.0, args),
                lspci(&path, args),
                "{} {args:?}",
                path.display()
            );
        }
        // The same from the -vvv -xxxx text lspci itself prints.
        let vvv = TempFile::new("vvv.txt", &lspci(&path, &["-vvv", "-xxxx"]));
        let ours = TempFile::new(
            "vvv-rewrite.txt",
            &write(&parse_ok(&read(&vvv.0), "lspci -vvv -xxxx")),
        );
        for args in [&["-xxxx"][..], &["-vvv"], &["-vvv", "-xxxx"]] {
            assert_eq!(
                lspci(&ours.0, args),
                lspci(&vvv.0, args),
                "{} via -vvv text, {args:?}",
                path.display()
            );
        }
    }
}

#[test]
fn vvv_text_keeps_its_detail_lines_and_round_trips() {
    let functions = parse_ok(D36_VVV, "d36 -vvv");
    assert_eq!(functions.len(), 1);
    let f = &functions[0];
    assert_eq!(f.detail.len(), 5);
    assert!(f.detail.iter().all(|line| line.starts_with('\t')));
    assert_eq!(
        f.detail[4],
        "\tCapabilities: [e0] Vendor Specific Information: Len=0c <?>"
    );
    assert_eq!(write(&functions), without_final_blank_line(D36_VVV));
    let plain = parse_ok(&read(&fixture("d36")), "d36");
    assert!(f.config() == plain[0].config() && f.config_size() == 256);

    if !lspci_available("vvv_text_keeps_its_detail_lines_and_round_trips (all fixtures)") {
        return;
    }
    for path in fixture_files() {
        let text = lspci(&path, &["-vvv", "-xxxx"]);
        let functions = parse_ok(&text, "lspci -vvv -xxxx");
        assert!(
            functions.iter().all(|f| !f.detail.is_empty()),
            "{}: detail lines lost",
            path.display()
        );
        assert_eq!(
            write(&functions),
            without_final_blank_line(&text),
            "{}",
            path.display()
        );
        let plain = by_address(parse_ok(&read(&path), "fixture"));
        for (key, f) in by_address(functions) {
            assert!(
                f.config() == plain[&key].config(),
                "{}: bytes of {}",
                path.display(),
                f.address
            );
        }
    }
}

/// A 4 KiB endpoint: PCIe capability at 0x40, Device Serial Number at 0x100 chained to LTR at 0xff8 (the last dword).
fn synthetic_4096() -> Vec<u8> {
    let mut img = vec![0u8; 4096];
    img[0..4].copy_from_slice(&[0x34, 0x12, 0x78, 0x56]); // vendor 1234, device 5678
    img[0x04] = 0x06; // Mem+ BusMaster+
    img[0x06] = 0x10; // capability list
    img[0x08..0x0c].copy_from_slice(&[0x01, 0x02, 0x08, 0x01]); // rev 1, class 010802 (NVMe)
    img[0x34] = 0x40;
    img[0x40..0x44].copy_from_slice(&[0x10, 0x00, 0x02, 0x00]); // PCIe v2 endpoint
    let dsn: u32 = (0xff8 << 20) | (1 << 16) | 0x0003;
    img[0x100..0x104].copy_from_slice(&dsn.to_le_bytes());
    img[0x104..0x10c].copy_from_slice(&0x0123_4567_89ab_cdef_u64.to_le_bytes());
    let ltr: u32 = (1 << 16) | 0x0018;
    img[0xff8..0xffc].copy_from_slice(&ltr.to_le_bytes());
    img[0xffc..0x1000].copy_from_slice(&[0x46, 0x10, 0x46, 0x10]);
    img
}

#[test]
fn synthetic_functions_read_back_through_lspci_with_their_extended_capabilities() {
    let big = synthetic_4096();
    let mut header_only = big[..64].to_vec();
    header_only[0x06] = 0; // no capability list in 64 bytes
    header_only[0x34] = 0;
    let functions = vec![
        DumpFunction::new(
            addr(None, 1, 0, 0),
            "Non-Volatile memory controller: synthetic",
            &big,
        ),
        DumpFunction::new(addr(None, 2, 0, 0), "", &header_only),
        DumpFunction::new(addr(None, 3, 0, 0), "256 bytes", &big[..256]),
    ];
    let text = write(&functions);
    assert_eq!(parse_ok(&text, "our write"), functions);
    assert!(text.contains("\nff0: 00 00 00 00 00 00 00 00 18 00 01 00 46 10 46 10\n"));

    if !lspci_available(
        "synthetic_functions_read_back_through_lspci_with_their_extended_capabilities",
    ) {
        return;
    }
    let ours = TempFile::new("synthetic.txt", &text);
    assert_lspci_reads_same_bytes(&ours.0, functions);
    let vvv = lspci(&ours.0, &["-vvv", "-s", "01:00.0"]);
    assert!(
        vvv.contains("Capabilities: [100 v1] Device Serial Number 01-23-45-67-89-ab-cd-ef"),
        "{vvv}"
    );
    assert!(
        vvv.contains("Capabilities: [ff8 v1] Latency Tolerance Reporting"),
        "{vvv}"
    );
    // lspci's own hex of our data decodes exactly like our hex.
    let theirs = TempFile::new("synthetic-lspci.txt", &lspci(&ours.0, &["-xxxx"]));
    assert_eq!(lspci(&theirs.0, &["-vvv"]), lspci(&ours.0, &["-vvv"]));
}

/// A 256-byte function at 00:01.0 in canonical form, bytes counting up from `seed`.
fn canonical_256(seed: u8) -> String {
    let mut text = String::from("00:01.0 test\n");
    for row in 0..16u8 {
        text.push_str(&format!("{:02x}:", row * 16));
        for i in 0..16u8 {
            text.push_str(&format!(" {:02x}", seed.wrapping_add(row * 16 + i)));
        }
        text.push('\n');
    }
    text
}

#[test]
fn odd_dumps_pciutils_accepts_read_to_the_bytes_lspci_reads() {
    let base = canonical_256(0x10);
    let rows: Vec<&str> = base.lines().skip(1).collect();
    let odd = [
        ("uppercase", base.to_uppercase().replacen("TEST", "test", 1)),
        (
            "one trailing space",
            base.replace('\n', " \n").replacen("test \n", "test\n", 1),
        ),
        ("CRLF", base.replace('\n', "\r\n")),
        (
            "junk and vvv lines",
            format!(
                "lspci output:\nsome text\n{}",
                base.replacen("test\n", "test\n\tControl: I/O+\nnot indented\n", 1)
            ),
        ),
        (
            "lines after rows",
            format!("{base}\tKernel driver in use: x\nmore text\n"),
        ),
        (
            "line with spaces only",
            base.replacen("\n40:", "\n  \n40:", 1),
        ),
        (
            "rows out of order",
            format!(
                "00:01.0 test\n{}\n{}\n",
                rows[8..].join("\n"),
                rows[..8].join("\n")
            ),
        ),
        (
            "half rows",
            base.replacen(
                " 58 59 5a 5b 5c 5d 5e 5f\n",
                "\n48: 58 59 5a 5b 5c 5d 5e 5f\n",
                1,
            ),
        ),
        ("two rows on one line", base.replacen("\n30:", "", 1)),
        (
            "eight-digit offsets",
            base.replacen("\n40:", "\n00000040:", 1),
        ),
        (
            "two functions with junk between",
            format!(
                "{base}\nnoise\n{}",
                canonical_256(0x80).replacen("00:01.0", "0000:00:02.3", 1)
            ),
        ),
        (
            "domain with five digits",
            base.replacen("00:01.0", "0000f:00:01.0", 1),
        ),
    ];
    let run_lspci = lspci_available("odd_dumps_pciutils_accepts_read_to_the_bytes_lspci_reads");
    for (what, text) in odd {
        assert_ne!(text, base, "{what}: the edit did not apply");
        let functions = parse_ok(&text, what);
        assert_eq!(
            functions[0].config()[..256],
            parse_ok(&base, "base")[0].config()[..256],
            "{what}"
        );
        // What we read, we write in canonical form, which reads back the same.
        assert_eq!(parse_ok(&write(&functions), what), functions, "{what}");
        if run_lspci {
            let file = TempFile::new("odd.txt", &text);
            // lspci shows domains for all functions once one has a domain; compare without them.
            assert_lspci_reads_same_bytes(&file.0, functions);
        }
    }
}

#[test]
fn dumps_pciutils_rejects_are_errors_for_parse_too() {
    let base = canonical_256(0);
    let bad = [
        ("wrong hex", base.replacen(" 11 12", " 11 1g", 1)),
        ("one-digit byte", base.replacen(" 11 12", " 11 2", 1)),
        (
            "row past 0xfff",
            format!("{base}ff8: 01 02 03 04 05 06 07 08 09\n"),
        ),
        ("offset 0x1000", format!("{base}1000: 01\n")),
    ];
    let run_lspci = lspci_available("dumps_pciutils_rejects_are_errors_for_parse_too");
    for (what, text) in bad {
        assert_ne!(text, base, "{what}: the edit did not apply");
        let err = parse(&text).expect_err(what);
        assert!(
            matches!(
                err,
                DumpError::MalformedRow { line: 2..=18, .. }
                    | DumpError::RowOutOfRange { line: 18, .. }
            ),
            "{what}: {err}"
        );
        if run_lspci {
            let file = TempFile::new("bad.txt", &text);
            assert!(lspci_rejects(&file.0), "{what}: lspci accepts it");
        }
    }
}

/// Lines in `text`, as `DumpError::line` counts them.
fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// Parses `text`: must not panic; errors must point at a line of the text; what parses must re-read the same after `write`.
fn check_any_text(text: &str) -> Result<(), TestCaseError> {
    match parse(text) {
        Ok(functions) => {
            let again = parse(&write(&functions));
            prop_assert_eq!(again.as_ref(), Ok(&functions));
        }
        Err(e) => {
            prop_assert!(
                (1..=line_count(text)).contains(&e.line()),
                "{} for {} lines",
                e,
                line_count(text)
            );
            prop_assert!(!e.to_string().is_empty());
        }
    }
    Ok(())
}

/// One edit of a dump text: what to do, where (a fraction of the length), with which byte.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    DuplicateLine(usize),
    DeleteLine(usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    // Bytes that matter to the grammar, plus any byte at all.
    let byte = prop_oneof![
        prop::sample::select(b"0123456789abcdefABCDEFg:. \t\r\n".to_vec()),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::DuplicateLine),
        any::<usize>().prop_map(Edit::DeleteLine),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Replace(at, b) => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = b;
                }
            }
            Edit::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Edit::Delete(at) => {
                if !bytes.is_empty() {
                    bytes.remove(at % len);
                }
            }
            Edit::DuplicateLine(at) | Edit::DeleteLine(at) => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let i = at % lines.len();
                if matches!(edit, Edit::DuplicateLine(_)) {
                    lines.insert(i, lines[i].clone());
                } else {
                    lines.remove(i);
                }
                bytes = lines.join(&b'\n');
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics_and_rereads_what_it_writes(text in "\\PC*") {
        check_any_text(&text)?;
    }

    #[test]
    fn dump_shaped_text_never_panics_and_rereads_what_it_writes(
        text in "([0-9a-fA-F]{1,5}(:[0-9a-f]{2}(\\.[0-9a-f])?)? ?[ 0-9a-fgx:.\t]{0,60}\r?\n){0,40}"
    ) {
        check_any_text(&text)?;
    }

    #[test]
    fn mutated_fixture_never_panics_and_rereads_what_it_writes(
        pick in 0usize..3,
        edits in prop::collection::vec(edit_strategy(), 1..8),
    ) {
        let name = ["m08", "d08", "d36"][pick];
        let text = apply(&read(&fixture(name)), &edits);
        check_any_text(&text)?;
    }
}
