//! Xen 4.17's device-model ABI, as Rust types with the exact C layout.
//!
//! Sources (Debian bookworm's libxen-dev 4.17, the headers the harness's
//! dom0 image carries): `xen/hvm/ioreq.h` (`ioreq_t`, states, types, the
//! PCI_CONFIG address format), `xen/hvm/dm_op.h` (`struct xen_dm_op` and
//! its members), `xen/hvm/hvm_op.h` (`HVM_IOREQSRV_BUFIOREQ_*`),
//! `xen/memory.h` (`XENMEM_resource_ioreq_server`). Every struct carries
//! compile-time size and offset assertions against those headers.
//!
//! DM-op arguments travel as bytes ([`DmOp::encode`]); the simulated
//! hypervisor decodes the same bytes ([`DmOp::decode`]), so the layout is
//! exercised by every unit test, not only on real Xen.

use std::mem::{offset_of, size_of};

/// `IOREQ_READ`: the guest reads (`dir` bit).
pub const IOREQ_READ: u8 = 1;
/// `IOREQ_WRITE`: the guest writes.
pub const IOREQ_WRITE: u8 = 0;

/// `STATE_IOREQ_NONE`: the slot is idle.
pub const STATE_IOREQ_NONE: u8 = 0;
/// `STATE_IOREQ_READY`: Xen posted a request.
pub const STATE_IOREQ_READY: u8 = 1;
/// `STATE_IOREQ_INPROCESS`: the device model is working on it.
pub const STATE_IOREQ_INPROCESS: u8 = 2;
/// `STATE_IORESP_READY`: the device model completed it.
pub const STATE_IORESP_READY: u8 = 3;

/// `IOREQ_TYPE_PIO`: port I/O.
pub const IOREQ_TYPE_PIO: u8 = 0;
/// `IOREQ_TYPE_COPY`: MMIO.
pub const IOREQ_TYPE_COPY: u8 = 1;
/// `IOREQ_TYPE_PCI_CONFIG`: a config access Xen decoded from CF8/CFC.
pub const IOREQ_TYPE_PCI_CONFIG: u8 = 2;
/// `IOREQ_TYPE_TIMEOFFSET`: the guest changed its RTC offset (broadcast).
pub const IOREQ_TYPE_TIMEOFFSET: u8 = 7;
/// `IOREQ_TYPE_INVALIDATE`: drop map caches (broadcast; one arrives at start).
pub const IOREQ_TYPE_INVALIDATE: u8 = 8;

/// `HVM_IOREQSRV_BUFIOREQ_OFF`: no buffered ioreq page.
pub const HVM_IOREQSRV_BUFIOREQ_OFF: u8 = 0;

/// `XENMEM_resource_ioreq_server`: resource type for the server's pages.
pub const XENMEM_RESOURCE_IOREQ_SERVER: u32 = 0;
/// `XENMEM_resource_ioreq_server_frame_ioreq(0)`: the synchronous ioreq page's frame.
pub const XENMEM_RESOURCE_IOREQ_SERVER_FRAME_IOREQ0: u32 = 1;

/// The page size of the shared ioreq page.
pub const PAGE_SIZE: usize = 4096;
/// Slots in the shared page: one `ioreq_t` per vCPU (`vcpu_ioreq[]`).
pub const MAX_SLOTS: usize = PAGE_SIZE / size_of::<Ioreq>();

/// `ioreq_t`: one request in the shared page, indexed by vCPU.
///
/// `flags` holds the C bit-fields `state:4, data_is_ptr:1, dir:1, df:1,
/// _pad1:1` in that order from bit 0 (GCC's x86-64 layout).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ioreq {
    /// Physical address, port, or PCI_CONFIG address ([`PciConfigAddr`]).
    pub addr: u64,
    /// Data, or the guest-physical address of the data when `data_is_ptr`.
    pub data: u64,
    /// Repetitions (`rep` prefixes).
    pub count: u32,
    /// Bytes per access.
    pub size: u32,
    /// Event channel (Xen's side) for this vCPU.
    pub vp_eport: u32,
    /// `_pad0`.
    pub pad0: u16,
    /// state:4, data_is_ptr:1, dir:1, df:1, _pad1:1.
    pub flags: u8,
    /// `IOREQ_TYPE_*`.
    pub typ: u8,
}

const _: () = {
    assert!(size_of::<Ioreq>() == 32);
    assert!(offset_of!(Ioreq, addr) == 0);
    assert!(offset_of!(Ioreq, data) == 8);
    assert!(offset_of!(Ioreq, count) == 16);
    assert!(offset_of!(Ioreq, size) == 20);
    assert!(offset_of!(Ioreq, vp_eport) == 24);
    assert!(offset_of!(Ioreq, pad0) == 28);
    assert!(offset_of!(Ioreq, flags) == 30);
    assert!(offset_of!(Ioreq, typ) == 31);
    assert!(MAX_SLOTS == 128);
};

/// Offset of the byte holding `state` inside an `ioreq_t`.
pub const IOREQ_FLAGS_OFFSET: usize = offset_of!(Ioreq, flags);

impl Ioreq {
    /// `state` (bits 3:0 of the flags byte).
    pub fn state(&self) -> u8 {
        self.flags & 0x0f
    }
    /// `data_is_ptr`.
    pub fn data_is_ptr(&self) -> bool {
        self.flags & 0x10 != 0
    }
    /// `dir == IOREQ_READ`.
    pub fn is_read(&self) -> bool {
        self.flags & 0x20 != 0
    }
    /// `df` (direction flag of string instructions).
    pub fn df(&self) -> bool {
        self.flags & 0x40 != 0
    }
    /// Builds the flags byte.
    pub fn make_flags(state: u8, data_is_ptr: bool, read: bool, df: bool) -> u8 {
        (state & 0x0f) | (u8::from(data_is_ptr) << 4) | (u8::from(read) << 5) | (u8::from(df) << 6)
    }
    /// A single (count 1, data in place) request of the given type.
    pub fn simple(typ: u8, addr: u64, size: u32, read: bool, data: u64) -> Ioreq {
        Ioreq {
            addr,
            data,
            count: 1,
            size,
            vp_eport: 0,
            pad0: 0,
            flags: Ioreq::make_flags(STATE_IOREQ_READY, false, read, false),
            typ,
        }
    }
}

/// A PCI segment/bus/device/function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sbdf {
    /// Segment.
    pub seg: u16,
    /// Bus.
    pub bus: u8,
    /// Device, 0..=31.
    pub dev: u8,
    /// Function, 0..=7.
    pub func: u8,
}

impl Sbdf {
    /// `XEN_DMOP_PCI_SBDF(s, b, d, f)`: the form PCI ranges are mapped in.
    pub fn dmop(self) -> u64 {
        (u64::from(self.seg) << 16)
            | (u64::from(self.bus) << 8)
            | (u64::from(self.dev & 0x1f) << 3)
            | u64::from(self.func & 7)
    }
    /// The inverse of [`Sbdf::dmop`] (bits above 31 ignored).
    pub fn from_dmop(v: u64) -> Sbdf {
        Sbdf {
            seg: (v >> 16) as u16,
            bus: (v >> 8) as u8,
            dev: ((v >> 3) & 0x1f) as u8,
            func: (v & 7) as u8,
        }
    }
}

impl std::fmt::Display for Sbdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{}",
            self.seg, self.bus, self.dev, self.func
        )
    }
}

/// The `addr` of an `IOREQ_TYPE_PCI_CONFIG` request:
/// `SEGMENT 63:48 | BUS 47:40 | DEV 39:35 | FN 34:32 | OFFSET 31:0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PciConfigAddr {
    /// The function.
    pub sbdf: Sbdf,
    /// The register offset (Xen puts the full 32 bits here; only 0..0x1000 is valid).
    pub reg: u32,
}

impl PciConfigAddr {
    /// Decodes `ioreq.addr`.
    pub fn decode(addr: u64) -> PciConfigAddr {
        let sbdf = Sbdf::from_dmop(addr >> 32);
        PciConfigAddr {
            sbdf,
            reg: addr as u32,
        }
    }
    /// Encodes into `ioreq.addr`.
    pub fn encode(self) -> u64 {
        (self.sbdf.dmop() << 32) | u64::from(self.reg)
    }
}

/// `XEN_DMOP_IO_RANGE_*`: what kind of range a server claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeKind {
    /// `XEN_DMOP_IO_RANGE_PORT`: I/O ports.
    Port = 0,
    /// `XEN_DMOP_IO_RANGE_MEMORY`: guest-physical MMIO.
    Memory = 1,
    /// `XEN_DMOP_IO_RANGE_PCI`: config space of SBDFs ([`Sbdf::dmop`] form).
    Pci = 2,
}

impl RangeKind {
    /// From the C value.
    pub fn from_u32(v: u32) -> Option<RangeKind> {
        match v {
            0 => Some(RangeKind::Port),
            1 => Some(RangeKind::Memory),
            2 => Some(RangeKind::Pci),
            _ => None,
        }
    }
}

/// `XEN_DMOP_create_ioreq_server`.
pub const XEN_DMOP_CREATE_IOREQ_SERVER: u32 = 1;
/// `XEN_DMOP_get_ioreq_server_info`.
pub const XEN_DMOP_GET_IOREQ_SERVER_INFO: u32 = 2;
/// `XEN_DMOP_map_io_range_to_ioreq_server`.
pub const XEN_DMOP_MAP_IO_RANGE_TO_IOREQ_SERVER: u32 = 3;
/// `XEN_DMOP_unmap_io_range_from_ioreq_server`.
pub const XEN_DMOP_UNMAP_IO_RANGE_FROM_IOREQ_SERVER: u32 = 4;
/// `XEN_DMOP_set_ioreq_server_state`.
pub const XEN_DMOP_SET_IOREQ_SERVER_STATE: u32 = 5;
/// `XEN_DMOP_destroy_ioreq_server`.
pub const XEN_DMOP_DESTROY_IOREQ_SERVER: u32 = 6;
/// `XEN_DMOP_inject_msi`.
pub const XEN_DMOP_INJECT_MSI: u32 = 14;
/// `XEN_DMOP_nr_vcpus`.
pub const XEN_DMOP_NR_VCPUS: u32 = 20;
/// `XEN_DMOP_no_gfns`: get_ioreq_server_info flag (pages are mapped as a resource).
pub const XEN_DMOP_NO_GFNS: u16 = 1;

/// `struct xen_dm_op_create_ioreq_server`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateIoreqServer {
    /// IN: `HVM_IOREQSRV_BUFIOREQ_*`.
    pub handle_bufioreq: u8,
    /// Padding.
    pub pad: [u8; 3],
    /// OUT: the server id.
    pub id: u16,
}

/// `struct xen_dm_op_get_ioreq_server_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct GetIoreqServerInfo {
    /// IN: server id.
    pub id: u16,
    /// IN: `XEN_DMOP_no_gfns`.
    pub flags: u16,
    /// OUT: buffered ioreq event channel.
    pub bufioreq_port: u32,
    /// OUT: synchronous ioreq page gfn (legacy mapping).
    pub ioreq_gfn: u64,
    /// OUT: buffered ioreq page gfn.
    pub bufioreq_gfn: u64,
}

/// `struct xen_dm_op_ioreq_server_range` (map and unmap).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct IoreqServerRange {
    /// IN: server id.
    pub id: u16,
    /// Padding.
    pub pad: u16,
    /// IN: `XEN_DMOP_IO_RANGE_*`.
    pub typ: u32,
    /// IN: first (inclusive).
    pub start: u64,
    /// IN: last (inclusive).
    pub end: u64,
}

/// `struct xen_dm_op_set_ioreq_server_state`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SetIoreqServerState {
    /// IN: server id.
    pub id: u16,
    /// IN: 1 to enable.
    pub enabled: u8,
    /// Padding.
    pub pad: u8,
}

/// `struct xen_dm_op_destroy_ioreq_server`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct DestroyIoreqServer {
    /// IN: server id.
    pub id: u16,
    /// Padding.
    pub pad: u16,
}

/// `struct xen_dm_op_inject_msi`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct InjectMsi {
    /// IN: MSI data.
    pub data: u32,
    /// Padding.
    pub pad: u32,
    /// IN: MSI address (0xfeexxxxx).
    pub addr: u64,
}

/// `struct xen_dm_op_nr_vcpus`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct NrVcpus {
    /// OUT: the domain's vCPU count.
    pub vcpus: u32,
}

/// Size of `struct xen_dm_op`: `op`, `pad`, and the 24-byte union.
pub const DM_OP_SIZE: usize = 32;
/// Offset of the union `u` in `struct xen_dm_op`.
pub const DM_OP_U: usize = 8;

const _: () = {
    assert!(size_of::<CreateIoreqServer>() == 6 && offset_of!(CreateIoreqServer, id) == 4);
    assert!(size_of::<GetIoreqServerInfo>() == 24);
    assert!(offset_of!(GetIoreqServerInfo, flags) == 2);
    assert!(offset_of!(GetIoreqServerInfo, bufioreq_port) == 4);
    assert!(offset_of!(GetIoreqServerInfo, ioreq_gfn) == 8);
    assert!(offset_of!(GetIoreqServerInfo, bufioreq_gfn) == 16);
    assert!(size_of::<IoreqServerRange>() == 24);
    assert!(offset_of!(IoreqServerRange, typ) == 4);
    assert!(offset_of!(IoreqServerRange, start) == 8 && offset_of!(IoreqServerRange, end) == 16);
    assert!(size_of::<SetIoreqServerState>() == 4 && offset_of!(SetIoreqServerState, enabled) == 2);
    assert!(size_of::<DestroyIoreqServer>() == 4);
    assert!(size_of::<InjectMsi>() == 16 && offset_of!(InjectMsi, addr) == 8);
    assert!(size_of::<NrVcpus>() == 4);
    // The largest union members (inject_event, get_info, ranges, relocate) are 24 bytes.
    assert!(DM_OP_U + 24 == DM_OP_SIZE);
};

/// One device-model operation vpcie issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmOp {
    /// Create a server (`handle_bufioreq`).
    CreateIoreqServer {
        /// `HVM_IOREQSRV_BUFIOREQ_*`.
        handle_bufioreq: u8,
    },
    /// Ask for the server's pages and buffered port.
    GetIoreqServerInfo {
        /// Server id.
        id: u16,
        /// `XEN_DMOP_no_gfns` or 0.
        flags: u16,
    },
    /// Claim a range.
    MapIoRange {
        /// Server id.
        id: u16,
        /// Kind.
        kind: RangeKind,
        /// First (inclusive).
        start: u64,
        /// Last (inclusive).
        end: u64,
    },
    /// Release a range.
    UnmapIoRange {
        /// Server id.
        id: u16,
        /// Kind.
        kind: RangeKind,
        /// First (inclusive).
        start: u64,
        /// Last (inclusive).
        end: u64,
    },
    /// Enable or disable.
    SetIoreqServerState {
        /// Server id.
        id: u16,
        /// Enable?
        enabled: bool,
    },
    /// Destroy.
    DestroyIoreqServer {
        /// Server id.
        id: u16,
    },
    /// Inject an MSI.
    InjectMsi {
        /// Address.
        addr: u64,
        /// Data.
        data: u32,
    },
    /// Ask for the domain's vCPU count.
    NrVcpus,
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
fn get16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn get64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// What a DM op returns in its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmOpOut {
    /// Nothing.
    None,
    /// `create_ioreq_server`: the id.
    ServerId(u16),
    /// `get_ioreq_server_info`.
    Info {
        /// Buffered port.
        bufioreq_port: u32,
        /// Sync page gfn.
        ioreq_gfn: u64,
        /// Buffered page gfn.
        bufioreq_gfn: u64,
    },
    /// `nr_vcpus`.
    NrVcpus(u32),
}

impl DmOp {
    /// The `XEN_DMOP_*` number.
    pub fn number(&self) -> u32 {
        match self {
            DmOp::CreateIoreqServer { .. } => XEN_DMOP_CREATE_IOREQ_SERVER,
            DmOp::GetIoreqServerInfo { .. } => XEN_DMOP_GET_IOREQ_SERVER_INFO,
            DmOp::MapIoRange { .. } => XEN_DMOP_MAP_IO_RANGE_TO_IOREQ_SERVER,
            DmOp::UnmapIoRange { .. } => XEN_DMOP_UNMAP_IO_RANGE_FROM_IOREQ_SERVER,
            DmOp::SetIoreqServerState { .. } => XEN_DMOP_SET_IOREQ_SERVER_STATE,
            DmOp::DestroyIoreqServer { .. } => XEN_DMOP_DESTROY_IOREQ_SERVER,
            DmOp::InjectMsi { .. } => XEN_DMOP_INJECT_MSI,
            DmOp::NrVcpus => XEN_DMOP_NR_VCPUS,
        }
    }

    /// The `struct xen_dm_op` bytes handed to the hypervisor.
    pub fn encode(&self) -> [u8; DM_OP_SIZE] {
        let mut b = [0u8; DM_OP_SIZE];
        put32(&mut b, 0, self.number());
        let u = DM_OP_U;
        match *self {
            DmOp::CreateIoreqServer { handle_bufioreq } => {
                b[u + offset_of!(CreateIoreqServer, handle_bufioreq)] = handle_bufioreq
            }
            DmOp::GetIoreqServerInfo { id, flags } => {
                put16(&mut b, u + offset_of!(GetIoreqServerInfo, id), id);
                put16(&mut b, u + offset_of!(GetIoreqServerInfo, flags), flags);
            }
            DmOp::MapIoRange {
                id,
                kind,
                start,
                end,
            }
            | DmOp::UnmapIoRange {
                id,
                kind,
                start,
                end,
            } => {
                put16(&mut b, u + offset_of!(IoreqServerRange, id), id);
                put32(&mut b, u + offset_of!(IoreqServerRange, typ), kind as u32);
                put64(&mut b, u + offset_of!(IoreqServerRange, start), start);
                put64(&mut b, u + offset_of!(IoreqServerRange, end), end);
            }
            DmOp::SetIoreqServerState { id, enabled } => {
                put16(&mut b, u + offset_of!(SetIoreqServerState, id), id);
                b[u + offset_of!(SetIoreqServerState, enabled)] = u8::from(enabled);
            }
            DmOp::DestroyIoreqServer { id } => {
                put16(&mut b, u + offset_of!(DestroyIoreqServer, id), id)
            }
            DmOp::InjectMsi { addr, data } => {
                put32(&mut b, u + offset_of!(InjectMsi, data), data);
                put64(&mut b, u + offset_of!(InjectMsi, addr), addr);
            }
            DmOp::NrVcpus => {}
        }
        b
    }

    /// Reads a `struct xen_dm_op` (the simulated hypervisor's side); `None` for ops vpcie never issues.
    pub fn decode(b: &[u8]) -> Option<DmOp> {
        if b.len() < DM_OP_SIZE {
            return None;
        }
        let u = DM_OP_U;
        let range = || {
            Some((
                get16(b, u + offset_of!(IoreqServerRange, id)),
                RangeKind::from_u32(get32(b, u + offset_of!(IoreqServerRange, typ)))?,
                get64(b, u + offset_of!(IoreqServerRange, start)),
                get64(b, u + offset_of!(IoreqServerRange, end)),
            ))
        };
        Some(match get32(b, 0) {
            XEN_DMOP_CREATE_IOREQ_SERVER => DmOp::CreateIoreqServer {
                handle_bufioreq: b[u + offset_of!(CreateIoreqServer, handle_bufioreq)],
            },
            XEN_DMOP_GET_IOREQ_SERVER_INFO => DmOp::GetIoreqServerInfo {
                id: get16(b, u + offset_of!(GetIoreqServerInfo, id)),
                flags: get16(b, u + offset_of!(GetIoreqServerInfo, flags)),
            },
            XEN_DMOP_MAP_IO_RANGE_TO_IOREQ_SERVER => {
                let (id, kind, start, end) = range()?;
                DmOp::MapIoRange {
                    id,
                    kind,
                    start,
                    end,
                }
            }
            XEN_DMOP_UNMAP_IO_RANGE_FROM_IOREQ_SERVER => {
                let (id, kind, start, end) = range()?;
                DmOp::UnmapIoRange {
                    id,
                    kind,
                    start,
                    end,
                }
            }
            XEN_DMOP_SET_IOREQ_SERVER_STATE => DmOp::SetIoreqServerState {
                id: get16(b, u + offset_of!(SetIoreqServerState, id)),
                enabled: b[u + offset_of!(SetIoreqServerState, enabled)] != 0,
            },
            XEN_DMOP_DESTROY_IOREQ_SERVER => DmOp::DestroyIoreqServer {
                id: get16(b, u + offset_of!(DestroyIoreqServer, id)),
            },
            XEN_DMOP_INJECT_MSI => DmOp::InjectMsi {
                data: get32(b, u + offset_of!(InjectMsi, data)),
                addr: get64(b, u + offset_of!(InjectMsi, addr)),
            },
            XEN_DMOP_NR_VCPUS => DmOp::NrVcpus,
            _ => return None,
        })
    }

    /// Reads the op's OUT fields from the buffer after the hypercall.
    pub fn decode_out(&self, b: &[u8; DM_OP_SIZE]) -> DmOpOut {
        let u = DM_OP_U;
        match self {
            DmOp::CreateIoreqServer { .. } => {
                DmOpOut::ServerId(get16(b, u + offset_of!(CreateIoreqServer, id)))
            }
            DmOp::GetIoreqServerInfo { .. } => DmOpOut::Info {
                bufioreq_port: get32(b, u + offset_of!(GetIoreqServerInfo, bufioreq_port)),
                ioreq_gfn: get64(b, u + offset_of!(GetIoreqServerInfo, ioreq_gfn)),
                bufioreq_gfn: get64(b, u + offset_of!(GetIoreqServerInfo, bufioreq_gfn)),
            },
            DmOp::NrVcpus => DmOpOut::NrVcpus(get32(b, u + offset_of!(NrVcpus, vcpus))),
            _ => DmOpOut::None,
        }
    }

    /// Writes OUT fields (the simulated hypervisor's side of [`DmOp::decode_out`]).
    pub fn encode_out(b: &mut [u8; DM_OP_SIZE], out: DmOpOut) {
        let u = DM_OP_U;
        match out {
            DmOpOut::None => {}
            DmOpOut::ServerId(id) => put16(b, u + offset_of!(CreateIoreqServer, id), id),
            DmOpOut::Info {
                bufioreq_port,
                ioreq_gfn,
                bufioreq_gfn,
            } => {
                put32(
                    b,
                    u + offset_of!(GetIoreqServerInfo, bufioreq_port),
                    bufioreq_port,
                );
                put64(b, u + offset_of!(GetIoreqServerInfo, ioreq_gfn), ioreq_gfn);
                put64(
                    b,
                    u + offset_of!(GetIoreqServerInfo, bufioreq_gfn),
                    bufioreq_gfn,
                );
            }
            DmOpOut::NrVcpus(n) => put32(b, u + offset_of!(NrVcpus, vcpus), n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_config_addr_matches_the_header_diagram() {
        // 63..48 SEGMENT | 47..40 BUS | 39..35 DEV | 34..32 FN | 31..0 OFFSET
        let a = PciConfigAddr {
            sbdf: Sbdf {
                seg: 0x1234,
                bus: 0x56,
                dev: 0x1f,
                func: 5,
            },
            reg: 0xffc,
        };
        assert_eq!(a.encode(), 0x1234_56fd_0000_0ffc);
        assert_eq!(PciConfigAddr::decode(a.encode()), a);
        assert_eq!(
            Sbdf {
                seg: 1,
                bus: 2,
                dev: 3,
                func: 4
            }
            .dmop(),
            0x0001_021c
        );
    }

    #[test]
    fn flags_bitfields() {
        let f = Ioreq::make_flags(STATE_IORESP_READY, true, true, false);
        let r = Ioreq {
            flags: f,
            ..Default::default()
        };
        assert_eq!(
            (r.state(), r.data_is_ptr(), r.is_read(), r.df()),
            (3, true, true, false)
        );
        assert_eq!(f, 0x33);
    }

    #[test]
    fn dm_ops_round_trip_through_bytes() {
        let ops = [
            DmOp::CreateIoreqServer {
                handle_bufioreq: HVM_IOREQSRV_BUFIOREQ_OFF,
            },
            DmOp::GetIoreqServerInfo {
                id: 3,
                flags: XEN_DMOP_NO_GFNS,
            },
            DmOp::MapIoRange {
                id: 3,
                kind: RangeKind::Memory,
                start: 0xe000_0000,
                end: 0xefff_ffff,
            },
            DmOp::UnmapIoRange {
                id: 3,
                kind: RangeKind::Pci,
                start: 0x10000,
                end: 0x100ff,
            },
            DmOp::SetIoreqServerState {
                id: 3,
                enabled: true,
            },
            DmOp::DestroyIoreqServer { id: 3 },
            DmOp::InjectMsi {
                addr: 0xfee0_0000,
                data: 0x4041,
            },
            DmOp::NrVcpus,
        ];
        for op in ops {
            assert_eq!(DmOp::decode(&op.encode()), Some(op));
        }
        let b = DmOp::MapIoRange {
            id: 7,
            kind: RangeKind::Port,
            start: 0xcf8,
            end: 0xcff,
        }
        .encode();
        assert_eq!(&b[..12], &[3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]);
        assert_eq!(b[16..24], 0xcf8u64.to_le_bytes());
        let mut out = DmOp::GetIoreqServerInfo { id: 1, flags: 0 }.encode();
        DmOp::encode_out(
            &mut out,
            DmOpOut::Info {
                bufioreq_port: 9,
                ioreq_gfn: 0xfeff0,
                bufioreq_gfn: 0xfeff1,
            },
        );
        assert_eq!(
            DmOp::GetIoreqServerInfo { id: 1, flags: 0 }.decode_out(&out),
            DmOpOut::Info {
                bufioreq_port: 9,
                ioreq_gfn: 0xfeff0,
                bufioreq_gfn: 0xfeff1
            }
        );
        assert_eq!(DmOp::decode(&[0u8; 8]), None);
        assert_eq!(DmOp::decode(&[99u8; 32]), None);
    }
}
