//! Clean shutdown on SIGTERM: `vpcie serve --simulate --until-signal` keeps
//! serving after the scripted guest until a signal; then the server is
//! disabled, its ranges released, destroyed and its ports unbound, and the
//! simulated hypervisor confirms it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vpcie_testkit::{TempFile, fixture};

#[test]
fn sigterm_destroys_the_server_and_releases_its_ranges() {
    let text = include_str!("../../../scripts/xen-e2e/vpcie.cfg");
    let dir = fixture("d01_").parent().unwrap().display().to_string();
    let cfg = TempFile::new("vpcie.cfg", &text.replace("/root/vpcie/fixtures", &dir));
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args([
            "serve",
            "--config",
            cfg.path().to_str().unwrap(),
            "--simulate",
            "--until-signal",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run vpcie");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let waiting = line.contains("serving until SIGTERM");
        seen.push(line);
        if waiting {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("serving until SIGTERM")),
        "never got to wait: {seen:?}"
    );
    let t0 = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("no exit 10 s after SIGTERM; printed {rest:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let all = rest.join("\n");
    assert!(status.success(), "exit {status}: {all}");
    assert!(all.contains("signal received, shutting down"), "{all}");
    assert!(
        all.contains(
            "server destroyed, 0 ranges claimed, 0 ports bound; server destroyed, ranges released"
        ),
        "{all}"
    );
}
