//! The Linux transport: the privcmd and evtchn device ioctls, directly.
//!
//! # Why ioctls and not Debian's libxendevicemodel & co.
//!
//! The three libraries are thin wrappers over exactly these calls
//! (`IOCTL_PRIVCMD_DM_OP`, `IOCTL_PRIVCMD_MMAP_RESOURCE`, the evtchn
//! device's bind/notify ioctls and its read/write for pending/unmask), and
//! the kernel ABI under them is stable Linux UAPI (`include/uapi/xen/`).
//! Linking them would make every build of the workspace — CI included,
//! where there is no Xen — need libxen-dev, or a `dlopen` layer that is
//! more unsafe code than the ioctls themselves. With ioctls the `vpcie`
//! binary builds anywhere with only libc and runs in any dom0 with the
//! `xen-privcmd` and `xen-evtchn` modules (the harness's Debian bookworm
//! dom0 with Xen 4.17), independent of the Xen tools' library versions.
//! The `unsafe` is confined to this file and `page.rs`, one block per
//! system call, each with its `SAFETY:` argument.

use crate::abi::{
    DM_OP_SIZE, DmOp, DmOpOut, PAGE_SIZE, XENMEM_RESOURCE_IOREQ_SERVER,
    XENMEM_RESOURCE_IOREQ_SERVER_FRAME_IOREQ0,
};
use crate::page::IoreqPage;
use crate::transport::{Transport, XenError};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

/// `_IOC(_IOC_NONE, type, nr, size)`.
const fn ioc_none(typ: u8, nr: u8, size: usize) -> libc::c_ulong {
    ((size as libc::c_ulong) << 16) | ((typ as libc::c_ulong) << 8) | nr as libc::c_ulong
}

/// `struct privcmd_dm_op_buf` (linux/include/uapi/xen/privcmd.h).
#[repr(C)]
struct PrivcmdDmOpBuf {
    uptr: *mut libc::c_void,
    size: libc::size_t,
}

/// `struct privcmd_dm_op`.
#[repr(C)]
struct PrivcmdDmOp {
    dom: u16,
    num: u16,
    ubufs: *const PrivcmdDmOpBuf,
}

/// `struct privcmd_mmap_resource`.
#[repr(C)]
struct PrivcmdMmapResource {
    dom: u16,
    typ: u32,
    id: u32,
    idx: u32,
    num: u64,
    addr: u64,
}

/// `struct ioctl_evtchn_bind_interdomain` (linux/include/uapi/xen/evtchn.h).
#[repr(C)]
struct EvtchnBindInterdomain {
    remote_domain: libc::c_uint,
    remote_port: libc::c_uint,
}

/// `struct ioctl_evtchn_unbind` / `ioctl_evtchn_notify`.
#[repr(C)]
struct EvtchnPort {
    port: libc::c_uint,
}

const _: () = {
    assert!(size_of::<PrivcmdDmOpBuf>() == 16);
    assert!(size_of::<PrivcmdDmOp>() == 16);
    assert!(size_of::<PrivcmdMmapResource>() == 32);
    assert!(std::mem::offset_of!(PrivcmdMmapResource, num) == 16);
    assert!(size_of::<EvtchnBindInterdomain>() == 8);
};

const IOCTL_PRIVCMD_DM_OP: libc::c_ulong = ioc_none(b'P', 5, size_of::<PrivcmdDmOp>());
const IOCTL_PRIVCMD_MMAP_RESOURCE: libc::c_ulong =
    ioc_none(b'P', 7, size_of::<PrivcmdMmapResource>());
const IOCTL_EVTCHN_BIND_INTERDOMAIN: libc::c_ulong =
    ioc_none(b'E', 1, size_of::<EvtchnBindInterdomain>());
const IOCTL_EVTCHN_UNBIND: libc::c_ulong = ioc_none(b'E', 3, size_of::<EvtchnPort>());
const IOCTL_EVTCHN_NOTIFY: libc::c_ulong = ioc_none(b'E', 4, size_of::<EvtchnPort>());

const _: () = {
    // The values libxendevicemodel / libxenevtchn use on x86-64.
    assert!(IOCTL_PRIVCMD_DM_OP == 0x0010_5005);
    assert!(IOCTL_PRIVCMD_MMAP_RESOURCE == 0x0020_5007);
    assert!(IOCTL_EVTCHN_BIND_INTERDOMAIN == 0x0008_4501);
    assert!(IOCTL_EVTCHN_NOTIFY == 0x0004_4504);
};

fn op_name(op: &DmOp) -> &'static str {
    match op {
        DmOp::CreateIoreqServer { .. } => "create_ioreq_server",
        DmOp::GetIoreqServerInfo { .. } => "get_ioreq_server_info",
        DmOp::MapIoRange { .. } => "map_io_range_to_ioreq_server",
        DmOp::UnmapIoRange { .. } => "unmap_io_range_from_ioreq_server",
        DmOp::SetIoreqServerState { .. } => "set_ioreq_server_state",
        DmOp::DestroyIoreqServer { .. } => "destroy_ioreq_server",
        DmOp::InjectMsi { .. } => "inject_msi",
        DmOp::NrVcpus => "nr_vcpus",
    }
}

/// Real Xen, through `/dev/xen/privcmd` and `/dev/xen/evtchn`.
pub struct XenTransport {
    domid: u16,
    privcmd: File,
    evtchn: File,
}

fn open_rw(paths: &[&'static str]) -> Result<File, XenError> {
    let mut last = None;
    for p in paths {
        match OpenOptions::new().read(true).write(true).open(p) {
            Ok(f) => return Ok(f),
            Err(e) => last = Some((*p, e)),
        }
    }
    let (path, source) = last.expect("at least one path");
    Err(XenError::Open { path, source })
}

impl XenTransport {
    /// Opens the privcmd and evtchn devices for serving domain `domid`.
    pub fn open(domid: u16) -> Result<XenTransport, XenError> {
        let privcmd = open_rw(&["/dev/xen/privcmd", "/proc/xen/privcmd"])?;
        let evtchn = open_rw(&["/dev/xen/evtchn"])?;
        Ok(XenTransport {
            domid,
            privcmd,
            evtchn,
        })
    }

    fn evtchn_ioctl(
        &self,
        what: impl Fn() -> String,
        req: libc::c_ulong,
        arg: *mut libc::c_void,
    ) -> Result<u32, XenError> {
        // SAFETY: the fd is an open evtchn device; `arg` points to the live,
        // correctly laid out (asserted above) struct this request expects.
        let rc = unsafe { libc::ioctl(self.evtchn.as_raw_fd(), req, arg) };
        if rc < 0 {
            return Err(XenError::Evtchn {
                what: what(),
                source: io::Error::last_os_error(),
            });
        }
        Ok(rc as u32)
    }
}

impl Transport for XenTransport {
    fn domid(&self) -> u16 {
        self.domid
    }

    fn dm_op(&mut self, op: &DmOp) -> Result<DmOpOut, XenError> {
        let mut buf = op.encode();
        let bufs = [PrivcmdDmOpBuf {
            uptr: buf.as_mut_ptr().cast(),
            size: DM_OP_SIZE,
        }];
        let mut arg = PrivcmdDmOp {
            dom: self.domid,
            num: 1,
            ubufs: bufs.as_ptr(),
        };
        // SAFETY: privcmd is an open privcmd device; arg and the buffer array
        // it points to, and the 32-byte buffer those point to, live across the
        // call; the kernel copies the buffer in and the OUT fields back.
        let rc =
            unsafe { libc::ioctl(self.privcmd.as_raw_fd(), IOCTL_PRIVCMD_DM_OP, &raw mut arg) };
        if rc < 0 {
            return Err(XenError::DmOp {
                op: op_name(op),
                domid: self.domid,
                source: io::Error::last_os_error(),
            });
        }
        Ok(op.decode_out(&buf))
    }

    fn map_ioreq_page(&mut self, id: u16) -> Result<Rc<IoreqPage>, XenError> {
        let fd = self.privcmd.as_raw_fd();
        let err = |source| XenError::MapPage {
            id,
            domid: self.domid,
            source,
        };
        // SAFETY: a fresh shared mapping of one page of the privcmd device;
        // no existing memory is affected. The result is checked below.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(err(io::Error::last_os_error()));
        }
        let ptr = NonNull::new(addr.cast::<u8>())
            .ok_or_else(|| err(io::Error::other("mmap returned NULL")))?;
        // SAFETY: ptr is the page-aligned PAGE_SIZE read/write mapping made
        // just above, owned by nothing else; IoreqPage unmaps it on drop
        // (also when the ioctl below fails).
        let page = unsafe { IoreqPage::from_mmap(ptr) };
        let mut mr = PrivcmdMmapResource {
            dom: self.domid,
            typ: XENMEM_RESOURCE_IOREQ_SERVER,
            id: u32::from(id),
            idx: XENMEM_RESOURCE_IOREQ_SERVER_FRAME_IOREQ0,
            num: 1,
            addr: addr as u64,
        };
        // SAFETY: mr is a live privcmd_mmap_resource naming the mapping above
        // (one frame at mr.addr), which the kernel fills with the foreign page.
        let rc = unsafe { libc::ioctl(fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &raw mut mr) };
        if rc < 0 {
            return Err(err(io::Error::last_os_error()));
        }
        Ok(Rc::new(page))
    }

    fn bind(&mut self, remote_port: u32) -> Result<u32, XenError> {
        let mut b = EvtchnBindInterdomain {
            remote_domain: u32::from(self.domid),
            remote_port,
        };
        let dom = self.domid;
        self.evtchn_ioctl(
            || format!("binding remote port {remote_port} of domain {dom}"),
            IOCTL_EVTCHN_BIND_INTERDOMAIN,
            (&raw mut b).cast(),
        )
    }

    fn unbind(&mut self, local_port: u32) -> Result<(), XenError> {
        let mut p = EvtchnPort { port: local_port };
        self.evtchn_ioctl(
            || format!("unbinding local port {local_port}"),
            IOCTL_EVTCHN_UNBIND,
            (&raw mut p).cast(),
        )
        .map(drop)
    }

    fn wait(&mut self, timeout_ms: i32) -> Result<Option<u32>, XenError> {
        let fd = self.evtchn.as_raw_fd();
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, count 1.
        let n = unsafe { libc::poll(&raw mut pfd, 1, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(None);
            }
            return Err(XenError::Evtchn {
                what: "poll".into(),
                source: e,
            });
        }
        if n == 0 {
            return Ok(None);
        }
        let mut port: u32 = 0;
        // SAFETY: reads at most 4 bytes into a live u32.
        let r = unsafe { libc::read(fd, (&raw mut port).cast(), 4) };
        if r != 4 {
            let e = io::Error::last_os_error();
            if r < 0
                && matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                )
            {
                return Ok(None);
            }
            return Err(XenError::Evtchn {
                what: "reading the pending port".into(),
                source: e,
            });
        }
        // SAFETY: writes 4 bytes from a live u32 (unmasks the port).
        let w = unsafe { libc::write(fd, (&raw const port).cast(), 4) };
        if w != 4 {
            return Err(XenError::Evtchn {
                what: format!("unmasking port {port}"),
                source: io::Error::last_os_error(),
            });
        }
        Ok(Some(port))
    }

    fn notify(&mut self, local_port: u32) -> Result<(), XenError> {
        let mut p = EvtchnPort { port: local_port };
        self.evtchn_ioctl(
            || format!("notifying local port {local_port}"),
            IOCTL_EVTCHN_NOTIFY,
            (&raw mut p).cast(),
        )
        .map(drop)
    }
}

static SHUTDOWN: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: libc::c_int) {
    SHUTDOWN.store(true, Ordering::SeqCst);
}

/// Makes SIGTERM and SIGINT request a clean shutdown (see [`shutdown_requested`]).
/// The handler only sets a flag; a blocked `wait` returns early (EINTR).
pub fn install_signal_handlers() -> io::Result<()> {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value;
        // the handler is async-signal-safe (one atomic store). No SA_RESTART,
        // so poll() returns EINTR and the loop sees the flag at once.
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&raw mut sa.sa_mask);
            libc::sigaction(sig, &raw const sa, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether SIGTERM or SIGINT arrived since [`install_signal_handlers`].
pub fn shutdown_requested() -> bool {
    SHUTDOWN.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_without_xen_fails_with_a_useful_message() {
        if std::path::Path::new("/dev/xen/privcmd").exists() {
            return; // a real dom0: nothing to check here
        }
        let Err(e) = XenTransport::open(1) else {
            panic!("no Xen here, open must fail")
        };
        let m = e.to_string();
        assert!(m.contains("privcmd") && m.contains("dom0"), "{m}");
    }
}
