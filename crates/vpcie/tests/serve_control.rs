//! `vpcie ctl` against `vpcie serve --simulate --until-signal --control`:
//! hot-add, orderly removal and AER injection through the CLI's serve
//! loop, the simulated hypervisor's MSI injection and a simulated guest
//! running Linux's port services; what the guest reports is checked
//! against the fixtures' own IDs.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use vpcie_testkit::{TempFile, fixture};

const CFG: &str = r#"
name = "hotplug"
type = "hvm"
memory = 256
vcpus = 2
vpcie_segment = 1
vpcie_ecam_base = 0xe0000000
vpcie_mmio32 = "0xd0000000+256M"
vpcie_mmio64 = "0x4000000000+64G"
vpcie_root_ports = [ "rp0", "rp1,hotplug=1" ]
vpcie_pci = [ "0000:02:00.0,dump=FIX/d11_nvme_kingston-kc3000_4096.txt,port=rp0" ]
"#;

fn ctl(socket: &Path, request: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(["ctl", "--control", socket.to_str().unwrap()])
        .args(request)
        .output()
        .expect("run vpcie ctl")
}

/// Lines of serve's stdout, read on a thread so a missing line times out.
fn reader(lines: Lines<BufReader<ChildStdout>>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line containing `want`; returns every line read on the way.
fn wait_for(rx: &mpsc::Receiver<String>, want: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(l) => {
                let done = l.contains(want);
                seen.push(l);
                if done {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {want:?}; got {seen:#?}"),
        }
    }
}

#[test]
fn hot_add_remove_and_aer_through_the_control_socket() {
    let dir = fixture("d11_").parent().unwrap().display().to_string();
    let cfg = TempFile::new("hotplug.cfg", &CFG.replace("FIX", &dir));
    let sock_file = TempFile::new("control.sock", "");
    let socket = sock_file.path().to_path_buf();
    std::fs::remove_file(&socket).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpcie"))
        .args(["serve", "--config", cfg.path().to_str().unwrap()])
        .args([
            "--simulate",
            "--until-signal",
            "--control",
            socket.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run vpcie serve");
    let rx = reader(BufReader::new(child.stdout.take().unwrap()).lines());
    let start = wait_for(&rx, "serving until SIGTERM");
    assert!(
        start
            .iter()
            .any(|l| l == "guest: port services bound to 2 ports"),
        "{start:#?}"
    );

    let nic = fixture("d18_");
    let text = std::fs::read_to_string(&nic).unwrap();
    let c = vpcie_config::lspci::parse(&text).unwrap()[0]
        .config()
        .to_owned();
    let (vendor, device) = (
        u16::from_le_bytes([c[0], c[1]]),
        u16::from_le_bytes([c[2], c[3]]),
    );
    let entry = format!("0000:05:00.0,dump={}", nic.display());
    let out = ctl(&socket, &["add", "rp1", &entry]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(
        reply.starts_with(&format!(
            "rp1: card added; 0001:02:00.0 {vendor:04x}:{device:04x}"
        )),
        "{reply}"
    );
    wait_for(
        &rx,
        &format!("guest: pciehp 00:02.0: card appeared: 02:00.0 [{vendor:04x}:{device:04x}]"),
    );

    let out = ctl(&socket, &["remove", "rp1"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    wait_for(&rx, "guest: pciehp 00:02.0: button: slot powered off");
    wait_for(
        &rx,
        "rp1: the guest powered the slot off; card removed (1 function)",
    );
    wait_for(&rx, "guest: pciehp 00:02.0: card disappeared");
    let out = ctl(&socket, &["status"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("rp1 0001:00:02.0 secondary bus 02: slot empty, power off, link down"),
        "{out:?}"
    );

    let out = ctl(&socket, &["aer", "0001:01:00.0", "correctable"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    wait_for(
        &rx,
        "guest: aer 00:01.0: Corrected error received: 01:00.0 (status 0x00000040)",
    );
    let out = ctl(&socket, &["aer", "0001:01:00.0", "uncorrectable"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    wait_for(
        &rx,
        "guest: aer 00:01.0: Uncorrected (Non-Fatal) error received: 01:00.0 (status 0x00004000)",
    );

    // Refused: exit 1 and the reason on stderr; no server: exit 2.
    let out = ctl(&socket, &["remove", "rp0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rp0: not a hot-plug slot"),
        "{out:?}"
    );

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    wait_for(&rx, "signal received, shutting down");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!socket.exists(), "the socket is removed on exit");
    let out = ctl(&socket, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect to"));
}
