//! The two machines the oracle drives, seen the way a guest sees them: port
//! I/O and physical memory. One is QEMU's Q35 under the qtest protocol (no
//! firmware runs, no CPU: the devices as QEMU resets them), the other is a
//! vpcie [`Platform`]. Everything the oracle does to one it does to the other
//! through this trait, so their answers can be compared.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use vpcie_platform::Platform;

/// Port I/O and MMIO, as a guest CPU performs them (sizes 1, 2, 4).
pub trait Machine {
    /// An I/O port read.
    fn inp(&mut self, port: u16, size: u8) -> u32;
    /// An I/O port write.
    fn outp(&mut self, port: u16, size: u8, value: u32);
    /// A memory read.
    fn read_mem(&mut self, addr: u64, size: u8) -> u32;
    /// A memory write.
    fn write_mem(&mut self, addr: u64, size: u8, value: u32);
    /// Why the machine stopped answering, if it did (reads then return
    /// all-ones and writes are dropped).
    fn failure(&self) -> Option<&str> {
        None
    }
}

/// QEMU `qemu-system-x86_64 -machine q35 -qtest stdio`: the machine after
/// reset, driven line by line (QEMU `tests/qtest/libqtest.c` protocol:
/// `outl 0xcf8 0x80000000` → `OK`, `inl 0xcfc` → `OK 0x29c08086`).
pub struct Qtest {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    /// Commands sent (for the timing report).
    pub commands: u64,
    failed: Option<String>,
}

/// Why QEMU could not be driven.
#[derive(Debug)]
pub struct QtestError(pub String);

impl std::fmt::Display for QtestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Qtest {
    /// Starts QEMU with the fixed machine arguments and `extra` (the
    /// topology's `-device` list); QEMU's stderr goes to `stderr_log`.
    pub fn start(qemu: &str, extra: &[String], stderr_log: &Path) -> Result<Qtest, QtestError> {
        let log = std::fs::File::create(stderr_log)
            .map_err(|e| QtestError(format!("cannot create {}: {e}", stderr_log.display())))?;
        let mut child = Command::new(qemu)
            .args([
                "-machine",
                "q35",
                // CPUs stopped: without -S the firmware runs beside us (this
                // QEMU has no qtest accelerator, TCG executes SeaBIOS) and
                // moves CF8 between our accesses.
                "-S",
                "-qtest",
                "stdio",
                "-qtest-log",
                "/dev/null",
                "-nodefaults",
                "-display",
                "none",
                "-monitor",
                "none",
                // COM1 present, as in the booted guest (LPC_EN reflects it).
                "-serial",
                "null",
                "-m",
                "512",
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| QtestError(format!("cannot start {qemu}: {e}")))?;
        let input = child.stdin.take().expect("piped stdin");
        let output = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut q = Qtest {
            child,
            input,
            output,
            commands: 0,
            failed: None,
        };
        // The first answer proves the machine is up (and the arguments good).
        q.command("inl 0xcf8").map_err(|e| {
            let err = std::fs::read_to_string(stderr_log).unwrap_or_default();
            QtestError(format!("{e}; QEMU said: {}", err.trim()))
        })?;
        Ok(q)
    }

    /// Sends one command and returns the value of its `OK [value]` answer.
    fn command(&mut self, line: &str) -> Result<Option<u64>, QtestError> {
        self.commands += 1;
        writeln!(self.input, "{line}")
            .and_then(|()| self.input.flush())
            .map_err(|e| QtestError(format!("qtest `{line}`: QEMU gone ({e})")))?;
        let mut answer = String::new();
        loop {
            answer.clear();
            let n = self
                .output
                .read_line(&mut answer)
                .map_err(|e| QtestError(format!("qtest `{line}`: {e}")))?;
            if n == 0 {
                return Err(QtestError(format!("qtest `{line}`: QEMU exited")));
            }
            // Asynchronous notifications (IRQ lines) are not enabled; skip
            // anything that is not an answer all the same.
            if answer.starts_with("OK") || answer.starts_with("FAIL") || answer.starts_with("ERR") {
                break;
            }
        }
        let answer = answer.trim();
        let Some(rest) = answer.strip_prefix("OK") else {
            return Err(QtestError(format!("qtest `{line}`: {answer}")));
        };
        let rest = rest.trim();
        if rest.is_empty() {
            return Ok(None);
        }
        let hex = rest.trim_start_matches("0x");
        u64::from_str_radix(hex, 16)
            .map(Some)
            .map_err(|_| QtestError(format!("qtest `{line}`: unexpected answer `{answer}`")))
    }

    /// A command whose failure ends the session: later commands are not
    /// sent and read all-ones; [`Machine::failure`] says why.
    fn must(&mut self, line: &str) -> u64 {
        if self.failed.is_some() {
            return u64::MAX;
        }
        match self.command(line) {
            Ok(v) => v.unwrap_or(0),
            Err(e) => {
                self.failed = Some(e.0);
                u64::MAX
            }
        }
    }
}

impl Drop for Qtest {
    fn drop(&mut self) {
        // QEMU does not exit when qtest's stdin closes; end our own child.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn suffix(size: u8) -> char {
    match size {
        1 => 'b',
        2 => 'w',
        _ => 'l',
    }
}

fn mask(size: u8) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => u32::MAX,
    }
}

impl Machine for Qtest {
    fn inp(&mut self, port: u16, size: u8) -> u32 {
        (self.must(&format!("in{} {port:#x}", suffix(size))) as u32) & mask(size)
    }

    fn outp(&mut self, port: u16, size: u8, value: u32) {
        self.must(&format!("out{} {port:#x} {value:#x}", suffix(size)));
    }

    fn read_mem(&mut self, addr: u64, size: u8) -> u32 {
        (self.must(&format!("read{} {addr:#x}", suffix(size))) as u32) & mask(size)
    }

    fn write_mem(&mut self, addr: u64, size: u8, value: u32) {
        self.must(&format!("write{} {addr:#x} {value:#x}", suffix(size)));
    }

    fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }
}

/// A vpcie platform as the guest reaches it: CF8/CFC and the ECAM window.
/// Ports and memory the platform does not decode read all-ones.
pub struct Vpcie(pub Platform);

impl Machine for Vpcie {
    fn inp(&mut self, port: u16, size: u8) -> u32 {
        self.0.pio_read(port, size).unwrap_or(mask(size))
    }

    fn outp(&mut self, port: u16, size: u8, value: u32) {
        self.0.pio_write(port, size, value);
    }

    fn read_mem(&mut self, addr: u64, size: u8) -> u32 {
        self.0.mmio_read(addr, size).unwrap_or(mask(size))
    }

    fn write_mem(&mut self, addr: u64, size: u8, value: u32) {
        self.0.mmio_write(addr, size, value);
    }
}
