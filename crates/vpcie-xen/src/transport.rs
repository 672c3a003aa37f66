//! The seam between the IOREQ server and a hypervisor: real Xen
//! ([`crate::linux::XenTransport`]) or the simulated one ([`crate::sim`]).

use crate::abi::{DmOp, DmOpOut, HVM_IOREQSRV_BUFIOREQ_OFF, RangeKind};
use crate::page::IoreqPage;
use std::rc::Rc;

/// An error talking to the hypervisor: what failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum XenError {
    /// A device node could not be opened.
    #[error(
        "cannot open {path}: {source}; run in dom0 as root with the xen-privcmd and xen-evtchn modules loaded"
    )]
    Open {
        /// The node.
        path: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A DM op failed.
    #[error("XEN_DMOP {op} for domain {domid} failed: {source}")]
    DmOp {
        /// The op's name.
        op: &'static str,
        /// The domain.
        domid: u16,
        /// The errno Xen returned.
        source: std::io::Error,
    },
    /// Mapping the ioreq page failed.
    #[error("mapping the ioreq page of server {id} of domain {domid} failed: {source}")]
    MapPage {
        /// Server id.
        id: u16,
        /// Domain.
        domid: u16,
        /// Why.
        source: std::io::Error,
    },
    /// An event-channel operation failed.
    #[error("event channel: {what} failed: {source}")]
    Evtchn {
        /// The operation.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// The hypervisor (real or simulated) refused an operation in this state.
    #[error("{0}")]
    Protocol(String),
    /// Not available on this platform.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// An ECAM window the hypervisor decodes into `IOREQ_TYPE_PCI_CONFIG`
/// requests (bus-0 mode's contract; see [`crate::sim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcamDecode {
    /// First address (bus 0).
    pub base: u64,
    /// Buses decoded (1 MiB each), 1..=256.
    pub buses: u16,
    /// The segment its requests carry.
    pub segment: u16,
}

/// What a hypervisor offers an IOREQ server.
///
/// `dm_op` carries every `XEN_DMOP_*` as the bytes of `struct xen_dm_op`;
/// the provided methods build those ops. Event channels are named by their
/// local port.
pub trait Transport {
    /// The domain served.
    fn domid(&self) -> u16;
    /// Issues one DM op and returns its OUT fields.
    fn dm_op(&mut self, op: &DmOp) -> Result<DmOpOut, XenError>;
    /// Maps the synchronous ioreq page of server `id` (`XENMEM_resource_ioreq_server`, frame 1).
    fn map_ioreq_page(&mut self, id: u16) -> Result<Rc<IoreqPage>, XenError>;
    /// Binds Xen's `remote_port` of the served domain; returns the local port.
    fn bind(&mut self, remote_port: u32) -> Result<u32, XenError>;
    /// Unbinds a local port.
    fn unbind(&mut self, local_port: u32) -> Result<(), XenError>;
    /// Waits up to `timeout_ms` for an event; returns its local port, unmasked. `None` on timeout or signal.
    fn wait(&mut self, timeout_ms: i32) -> Result<Option<u32>, XenError>;
    /// Signals a local port (completion of a request).
    fn notify(&mut self, local_port: u32) -> Result<(), XenError>;

    /// Tells the hypervisor where the guest's ECAM window is now (bus-0
    /// mode). Xen 4.17 has no such operation: this is the hypervisor change
    /// bus-0 mode needs (documented and implemented in [`crate::sim`]).
    fn set_ecam_decode(&mut self, ecam: Option<EcamDecode>) -> Result<(), XenError> {
        let _ = ecam;
        Err(XenError::Unsupported(
            "this hypervisor has no ECAM decode for device models (Xen 4.17 lacks it; bus-0 mode needs it)",
        ))
    }

    /// Creates a server without a buffered ioreq page; returns its id.
    fn create_server(&mut self) -> Result<u16, XenError> {
        match self.dm_op(&DmOp::CreateIoreqServer {
            handle_bufioreq: HVM_IOREQSRV_BUFIOREQ_OFF,
        })? {
            DmOpOut::ServerId(id) => Ok(id),
            other => Err(XenError::Protocol(format!(
                "create_ioreq_server returned {other:?}"
            ))),
        }
    }
    /// Claims `start..=end` of `kind` for server `id`.
    fn map_range(
        &mut self,
        id: u16,
        kind: RangeKind,
        start: u64,
        end: u64,
    ) -> Result<(), XenError> {
        self.dm_op(&DmOp::MapIoRange {
            id,
            kind,
            start,
            end,
        })
        .map(drop)
    }
    /// Releases a claimed range.
    fn unmap_range(
        &mut self,
        id: u16,
        kind: RangeKind,
        start: u64,
        end: u64,
    ) -> Result<(), XenError> {
        self.dm_op(&DmOp::UnmapIoRange {
            id,
            kind,
            start,
            end,
        })
        .map(drop)
    }
    /// Enables or disables server `id`.
    fn set_enabled(&mut self, id: u16, enabled: bool) -> Result<(), XenError> {
        self.dm_op(&DmOp::SetIoreqServerState { id, enabled })
            .map(drop)
    }
    /// Destroys server `id`.
    fn destroy_server(&mut self, id: u16) -> Result<(), XenError> {
        self.dm_op(&DmOp::DestroyIoreqServer { id }).map(drop)
    }
    /// Injects an MSI into the domain.
    fn inject_msi(&mut self, addr: u64, data: u32) -> Result<(), XenError> {
        self.dm_op(&DmOp::InjectMsi { addr, data }).map(drop)
    }
    /// The domain's vCPU count.
    fn nr_vcpus(&mut self) -> Result<u32, XenError> {
        match self.dm_op(&DmOp::NrVcpus)? {
            DmOpOut::NrVcpus(n) => Ok(n),
            other => Err(XenError::Protocol(format!("nr_vcpus returned {other:?}"))),
        }
    }
}
