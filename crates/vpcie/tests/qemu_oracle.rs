//! QEMU's Q35 as the oracle (issue 6): runs `scripts/qemu-oracle.sh` — the
//! oracle topology booted in QEMU (SeaBIOS + Linux) and driven under qtest,
//! against `vpcie plan`, `vpcie dump` and `vpcie acpi` on the same topology —
//! and requires its last line to read `N passed, 0 failed`.
//!
//! Where `qemu-system-x86_64` is not installed the script prints `SKIP: …`
//! and exits 77; the test then passes and repeats the reason. A full run
//! takes about 20–30 s (guest cached under target/qemu-oracle).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The skip status of the oracle scripts (automake's convention).
const SKIP: i32 = 77;

#[test]
fn qemu_oracle_finds_no_unintended_difference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let vpcie = PathBuf::from(env!("CARGO_BIN_EXE_vpcie"));
    let mut script = Command::new(root.join("scripts/qemu-oracle.sh"));
    script.env("VPCIE", &vpcie);
    // The comparison binary is another package's: `cargo test -p vpcie`
    // does not rebuild it, so build it here with this test's profile (its
    // libraries are the ones just built; no stale binary compares against a
    // newer vpcie). Cargo releases its lock before running tests.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--profile",
            "test",
            "-p",
            "vpcie-oracle",
            "--bin",
            "vpcie-oracle",
        ])
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build -p vpcie-oracle failed");
    let oracle = vpcie.with_file_name(format!("vpcie-oracle{}", std::env::consts::EXE_SUFFIX));
    if oracle.is_file() {
        script.env("VPCIE_ORACLE", &oracle);
    }
    let out_dir = vpcie
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| root.join("target"), Path::to_path_buf)
        .join("qemu-oracle/test-run");
    script.arg(&out_dir);
    let output = script
        .output()
        .expect("scripts/qemu-oracle.sh runs (bash, coreutils)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(SKIP) {
        let why = stdout
            .lines()
            .find(|l| l.starts_with("SKIP"))
            .unwrap_or("SKIP: (no reason given)");
        eprintln!("qemu_oracle: {why}");
        return;
    }
    let last = stdout.lines().last().unwrap_or_default();
    let failed: Option<usize> = last
        .strip_suffix(" failed")
        .and_then(|s| s.rsplit(", ").next())
        .and_then(|n| n.parse().ok());
    let failures: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("FAIL") || l.starts_with("        "))
        .collect();
    assert!(
        failed == Some(0) && output.status.success(),
        "scripts/qemu-oracle.sh: `{last}` (exit {:?}); report in {}\n{}\n--- stderr ---\n{}",
        output.status.code(),
        out_dir.join("report.txt").display(),
        failures.join("\n"),
        stderr
    );
    eprintln!("qemu_oracle: {last}");
}
