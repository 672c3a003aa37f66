//! `vpcie ctl`: send one request to a running `vpcie serve --control
//! SOCKET` (hot-add or remove a card, inject an error or a wake-up, show
//! the slots), and the listening side serve uses.
//!
//! The wire format is one request line from the client, then the reply:
//! a line `ok` or `error`, the text, and the end of the stream. Hand-written
//! over `std::os::unix::net`: a line each way needs no protocol crate.

use super::{CmdResult, UserError};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use vpcie_xen::control::{MAX_REQUEST, USAGE};

/// How long either side waits for the other.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections served per call of [`ControlSocket::poll`] (the guest's
/// requests come first).
const MAX_PER_POLL: usize = 8;

/// Arguments of `vpcie ctl`.
#[derive(clap::Args)]
#[command(after_help = USAGE)]
pub struct Args {
    /// The control socket of the running `vpcie serve` (its `--control`).
    #[arg(long, value_name = "SOCKET")]
    control: PathBuf,
    /// The request, e.g. `add rp2 0000:05:00.0,dump=nic.txt`, `remove rp2`,
    /// `aer 0001:01:00.0 correctable`, `pme 0001:01:00.0`, `status`.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    request: Vec<String>,
}

/// Runs `vpcie ctl`.
pub fn run(args: Args) -> CmdResult {
    let line = args.request.join(" ");
    let reply = send(&args.control, &line)?;
    match reply {
        Ok(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!("vpcie ctl: refused: {why}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Sends `line` to the server at `socket`; its reply (`Err`: refused).
pub fn send(socket: &Path, line: &str) -> Result<Result<String, String>, UserError> {
    let io = |what: &str, e: std::io::Error| {
        UserError(format!(
            "{what} {}: {e} (is `vpcie serve --control {}` running?)",
            socket.display(),
            socket.display()
        ))
    };
    let mut s = UnixStream::connect(socket).map_err(|e| io("cannot connect to", e))?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| s.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| io("cannot set a timeout on", e))?;
    s.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| io("cannot send to", e))?;
    let mut text = String::new();
    s.take(1 << 20)
        .read_to_string(&mut text)
        .map_err(|e| io("no reply from", e))?;
    let (status, rest) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let rest = rest.trim_end().to_string();
    match status {
        "ok" => Ok(Ok(rest)),
        "error" => Ok(Err(rest)),
        _ => Err(UserError(format!(
            "{} answered {text:?}, not a vpcie control reply",
            socket.display()
        ))),
    }
}

/// The listening side of the control channel: a Unix stream socket polled
/// without blocking from the serve loop.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Listens at `path`; a stale socket file nobody answers on is replaced.
    pub fn bind(path: &Path) -> Result<ControlSocket, UserError> {
        if path.exists() {
            if UnixStream::connect(path).is_ok() {
                return Err(UserError(format!(
                    "{}: another server listens there; give --control another path",
                    path.display()
                )));
            }
            let is_socket = {
                use std::os::unix::fs::FileTypeExt;
                std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
            };
            if !is_socket {
                return Err(UserError(format!(
                    "{}: exists and is not a socket; give --control a new path",
                    path.display()
                )));
            }
            std::fs::remove_file(path).map_err(|e| {
                UserError(format!(
                    "cannot replace the stale socket {}: {e}",
                    path.display()
                ))
            })?;
        }
        let listener = UnixListener::bind(path)
            .map_err(|e| UserError(format!("cannot listen at {}: {e}", path.display())))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| UserError(format!("{}: {e}", path.display())))?;
        Ok(ControlSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    /// Serves the requests waiting now with `handle` (the reply, or why it
    /// was refused); returns each request with its outcome, for the log.
    pub fn poll(
        &mut self,
        mut handle: impl FnMut(&str) -> Result<String, String>,
    ) -> Vec<(String, Result<String, String>)> {
        let mut out = Vec::new();
        for _ in 0..MAX_PER_POLL {
            let Ok((stream, _)) = self.listener.accept() else {
                break;
            };
            let line = match read_request(&stream) {
                Ok(l) => l,
                Err(why) => {
                    reply(&stream, &Err(why.clone()));
                    out.push((String::new(), Err(why)));
                    continue;
                }
            };
            let r = handle(&line);
            reply(&stream, &r);
            out.push((line, r));
        }
        out
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn read_request(stream: &UnixStream) -> Result<String, String> {
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| format!("socket: {e}"))?;
    let mut line = String::new();
    BufReader::new(stream.take(MAX_REQUEST as u64 + 1))
        .read_line(&mut line)
        .map_err(|e| format!("reading the request: {e}"))?;
    if line.len() > MAX_REQUEST {
        return Err(format!("the request has over {MAX_REQUEST} bytes"));
    }
    Ok(line.trim().to_string())
}

fn reply(mut stream: &UnixStream, r: &Result<String, String>) {
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let text = match r {
        Ok(t) => format!("ok\n{t}\n"),
        Err(t) => format!("error\n{t}\n"),
    };
    // A client gone before its reply loses only the reply.
    let _ = stream.write_all(text.as_bytes());
}
