//! Replays every committed fuzz corpus through its target, so that a
//! regression shows in `cargo test` even where cargo-fuzz cannot run.
//!
//! The corpora are `fuzz/corpus/<target>/` (seeds and what fuzzing found
//! worth keeping); a crash libFuzzer found is kept as a regression input in
//! the same directory once fixed (see `fuzz/README.md`).

use std::path::PathBuf;

use vpcie_security::fuzz::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus")).join(target)
}

fn replay(target: &str) {
    let (_, run) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "{}: a corpus of {} inputs; seed it (fuzz/README.md)",
        dir.display(),
        files.len()
    );
    for path in files {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.display().to_string();
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(
            result.is_ok(),
            "{target}: {name} fails (replay it with `cargo fuzz run {target} {name}`)"
        );
    }
}

#[test]
fn corpus_platform() {
    replay("platform");
}

#[test]
fn corpus_host_image() {
    replay("host_image");
}

#[test]
fn corpus_lspci() {
    replay("lspci");
}

#[test]
fn corpus_xl() {
    replay("xl");
}

#[test]
fn corpus_ioreq() {
    replay("ioreq");
}

/// Every target answers the empty input and a few trivial ones.
#[test]
fn trivial_inputs() {
    for (name, run) in TARGETS {
        for data in [&[][..], &[0], &[0xff; 7], &[0x41; 64]] {
            let r = std::panic::catch_unwind(|| run(data));
            assert!(r.is_ok(), "{name} on {data:?}");
        }
    }
}
