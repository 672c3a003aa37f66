//! Test support shared by the vpcie crates (a dev-dependency only).
//!
//! - the real-hardware fixtures in `../shared/fixtures`;
//! - pciutils' `lspci` as an outside oracle, run on dumps we write: a test
//!   fails loudly when lspci is missing, unless `VPCIE_SKIP_LSPCI=1`, when
//!   it prints a visible SKIP line and the oracle part is not run;
//! - temporary files removed on drop;
//! - criterion's estimates of the current run, for benchmarks that print
//!   ratios measured in the same run.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use vpcie_config::lspci::{self, DumpFunction};

/// The shared fixtures directory (`../shared/fixtures` beside the repository).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures"
    ))
}

/// Every fixture dump (`devices/*.txt` and `machines/*.txt`), sorted.
pub fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["devices", "machines"] {
        let dir = fixtures_dir().join(dir);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!(
                "fixtures missing at {} ({e}): is ../shared beside the repository?",
                dir.display()
            )
        });
        for entry in entries {
            let path = entry.expect("fixture directory entry").path();
            if path.extension().is_some_and(|e| e == "txt") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no fixtures under {}",
        fixtures_dir().display()
    );
    files
}

/// The fixture whose file name starts with `prefix` (e.g. `"d07_"`).
pub fn fixture(prefix: &str) -> PathBuf {
    fixture_files()
        .into_iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no fixture named {prefix}*"))
}

/// The functions of a fixture dump.
pub fn fixture_functions(path: &Path) -> Vec<DumpFunction> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    lspci::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The configuration bytes of a dumped function, as long as its size.
pub fn image(function: &DumpFunction) -> &[u8] {
    &function.config()[..function.config_size()]
}

/// Whether the lspci oracle runs: false (after a visible SKIP line) only
/// with `VPCIE_SKIP_LSPCI=1`; panics with what to do when lspci is missing.
pub fn lspci_available(test: &str) -> bool {
    if std::env::var_os("VPCIE_SKIP_LSPCI").is_some_and(|v| v == "1") {
        // Straight to stderr: libtest swallows eprintln! of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {test}: VPCIE_SKIP_LSPCI=1, lspci (pciutils) checks not run"
        );
        return false;
    }
    match Command::new("lspci").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => panic!(
            "`lspci --version` failed ({}): install pciutils, or set VPCIE_SKIP_LSPCI=1 to skip",
            out.status
        ),
        Err(e) => panic!(
            "lspci not found ({e}): this test checks our output against pciutils; install \
             pciutils (apt-get install pciutils), or set VPCIE_SKIP_LSPCI=1 to skip these checks"
        ),
    }
}

/// `lspci -F file args...`, which must succeed; its stdout (stderr carries
/// harmless libkmod warnings).
pub fn lspci(file: &Path, args: &[&str]) -> String {
    let out = Command::new("lspci")
        .arg("-F")
        .arg(file)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run lspci: {e}"));
    assert!(
        out.status.success(),
        "lspci -F {} {args:?} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("lspci prints UTF-8")
}

/// `lspci -F` on functions we write, through a temporary file.
pub fn lspci_on(functions: &[DumpFunction], args: &[&str]) -> String {
    let file = TempFile::new("dump.txt", &lspci::write(functions));
    lspci(&file.0, args)
}

/// Capability offsets lspci's `-vvv` prints, per function (address as
/// lspci prints it, e.g. `01:00.0`): (standard offsets, extended offsets).
pub fn lspci_cap_offsets(vvv: &str) -> BTreeMap<String, (Vec<u16>, Vec<u16>)> {
    let mut out: BTreeMap<String, (Vec<u16>, Vec<u16>)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in vvv.lines() {
        if !line.starts_with(char::is_whitespace) && !line.is_empty() {
            current = line.split_whitespace().next().map(str::to_owned);
            if let Some(k) = &current {
                out.entry(k.clone()).or_default();
            }
            continue;
        }
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("Capabilities: [") else {
            continue;
        };
        let inner: String = rest.chars().take_while(|c| *c != ']').collect();
        let extended = inner.contains(' ');
        let Ok(off) = u16::from_str_radix(inner.split(' ').next().unwrap_or(""), 16) else {
            continue;
        };
        if let Some(k) = &current {
            let e = out.entry(k.clone()).or_default();
            if extended {
                e.1.push(off)
            } else {
                e.0.push(off)
            }
        }
    }
    out
}

/// A file in the temp folder, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    /// Writes `contents` to a new temporary file named after `name`.
    pub fn new(name: &str, contents: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("vpcie-{}-{n}-{name}", std::process::id()));
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        TempFile(path)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Criterion's mean estimate (ns) of the benchmark `group/function[/parameter]`
/// of the latest run, or `None` if it did not run (a filter, `--list`,
/// `--test`). Criterion's folder is `$CRITERION_HOME` or `target/criterion`.
pub fn criterion_estimate(id: &[&str]) -> Option<f64> {
    let mut path = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/criterion"
            ))
        });
    for part in id {
        path.push(part);
    }
    path.push("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}
