//! A simulated Xen, in-process: the hypervisor side of the IOREQ protocol.
//!
//! [`Sim::new`] gives a [`SimTransport`] (what the server talks to) and a
//! [`Sim`] handle (the guest and hypervisor side). The guest side issues
//! the requests Xen 4.17 would: CF8 is latched by the hypervisor and a
//! CFC access to an SBDF some server claimed becomes an
//! `IOREQ_TYPE_PCI_CONFIG` request (`hvm_select_ioreq_server`); other
//! claimed ports become `PIO`; claimed memory becomes `COPY`. Each request
//! is posted in the shared page, the vCPU's port is signalled, the server
//! is run, and the completion is checked: state `IORESP_READY`, the port
//! notified, the request's fields untouched, read data within its size.
//! Anything else is a protocol violation, recorded and returned.
//!
//! # Bus-0 mode: the hypervisor change vpcie expects
//!
//! [`Sim::set_ecam_decode`] turns on the decode the seed notes ask Xen for
//! (the "notification" approach): Xen knows the MMCONFIG window (from the
//! device model that owns PCIEXBAR) and turns an MMIO access inside it into
//! an `IOREQ_TYPE_PCI_CONFIG` request for the SBDF it addresses, routed by
//! the same PCI ranges as CF8/CFC — so several device models can share
//! segment 0's ECAM. Upstream Xen 4.17 does not do this (ECAM arrives as
//! plain MMIO at whichever server claimed the window); segment mode does not
//! need it.
//!
//! The contract, as [`Transport::set_ecam_decode`] states it and this
//! simulation implements it: one operation (a new DM op, say
//! `XEN_DMOP_set_mmcfg { base, buses, segment }`, or `buses = 0` for off)
//! that the device model owning PCIEXBAR issues whenever the guest moves,
//! resizes or disables it, before completing the guest's write; the decode
//! applies to every vCPU from then on. Accesses in the window then follow
//! the PCI ranges ([`RangeKind::Pci`]), which each device model keeps equal
//! to the device numbers and bus ranges it owns ([`crate::bus0`]); an
//! access no server claims reads all-ones, as on hardware.

use crate::abi::*;
use crate::dispatch::{Dispatch, all_ones};
use crate::page::IoreqPage;
use crate::server::{IoreqServer, Range};
use crate::transport::{Transport, XenError};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// Remote (Xen-side) port of vCPU `v` in the simulation.
pub const REMOTE_PORT_BASE: u32 = 100;
/// Most violations / log lines kept.
pub const SIM_LOG: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct EcamDecode {
    base: u64,
    size: u64,
    seg: u16,
}

struct SimServer {
    id: u16,
    enabled: bool,
    ranges: Vec<Range>,
}

struct State {
    domid: u16,
    vcpus: u32,
    server: Option<SimServer>,
    next_id: u16,
    page: Option<Rc<IoreqPage>>,
    bound: BTreeMap<u32, u32>,
    next_local: u32,
    pending: VecDeque<u32>,
    notified: Vec<u32>,
    cf8: u32,
    ecam: Option<EcamDecode>,
    ecam_updates: u64,
    invalidate_pending: bool,
    violations: Vec<String>,
    dm_ops: Vec<DmOp>,
    msis: Vec<(u64, u32)>,
}

impl State {
    fn violation(&mut self, m: String) {
        if self.violations.len() < SIM_LOG {
            self.violations.push(m);
        }
    }
    fn server_mut(&mut self, id: u16) -> Result<&mut SimServer, XenError> {
        match &mut self.server {
            Some(s) if s.id == id => Ok(s),
            _ => Err(XenError::Protocol(format!(
                "sim: no ioreq server {id} (ENOENT)"
            ))),
        }
    }
    fn claims(&self, kind: RangeKind, v: u64, len: u64) -> bool {
        let last = v.saturating_add(len.saturating_sub(1));
        match &self.server {
            Some(s) if s.enabled => s
                .ranges
                .iter()
                .any(|r| r.kind == kind && v >= r.start && last <= r.end),
            _ => false,
        }
    }
}

/// The transport half: what [`IoreqServer`] talks to.
pub struct SimTransport {
    st: Rc<RefCell<State>>,
}

/// The guest and hypervisor half.
#[derive(Clone)]
pub struct Sim {
    st: Rc<RefCell<State>>,
}

/// Why the simulated hypervisor could not complete a guest access.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The device model broke the completion protocol.
    #[error("protocol violation: {0}")]
    Violation(String),
    /// Nothing serves this vCPU (its port was never bound).
    #[error("vCPU {0} has no bound event channel: the request would never be seen")]
    NotBound(usize),
    /// No such vCPU.
    #[error("vCPU {0} does not exist")]
    NoVcpu(usize),
}

impl Sim {
    /// A simulated domain with `vcpus` vCPUs.
    pub fn new(domid: u16, vcpus: u32) -> (Sim, SimTransport) {
        let st = Rc::new(RefCell::new(State {
            domid,
            vcpus: vcpus.clamp(1, MAX_SLOTS as u32),
            server: None,
            next_id: 1,
            page: None,
            bound: BTreeMap::new(),
            next_local: 1,
            pending: VecDeque::new(),
            notified: Vec::new(),
            cf8: 0,
            ecam: None,
            ecam_updates: 0,
            invalidate_pending: false,
            violations: Vec::new(),
            dm_ops: Vec::new(),
            msis: Vec::new(),
        }));
        (Sim { st: st.clone() }, SimTransport { st })
    }

    /// Turns on the hypervisor-side ECAM decode for bus-0 mode (see the module docs).
    pub fn set_ecam_decode(&self, base: u64, buses: u16, seg: u16) {
        self.st.borrow_mut().ecam = Some(EcamDecode {
            base,
            size: u64::from(buses.clamp(1, 256)) << 20,
            seg,
        });
    }

    /// The ECAM window the simulated hypervisor decodes now (base, size, segment).
    pub fn ecam_decode(&self) -> Option<(u64, u64, u16)> {
        self.st.borrow().ecam.map(|e| (e.base, e.size, e.seg))
    }

    /// How many times the device model moved the ECAM decode.
    pub fn ecam_updates(&self) -> u64 {
        self.st.borrow().ecam_updates
    }

    /// Protocol violations seen so far.
    pub fn violations(&self) -> Vec<String> {
        self.st.borrow().violations.clone()
    }

    /// DM ops the server issued, decoded from their bytes.
    pub fn dm_ops(&self) -> Vec<DmOp> {
        self.st.borrow().dm_ops.clone()
    }

    /// MSIs injected.
    pub fn msis(&self) -> Vec<(u64, u32)> {
        self.st.borrow().msis.clone()
    }

    /// Whether a server exists (enabled or not).
    pub fn server_exists(&self) -> bool {
        self.st.borrow().server.is_some()
    }

    /// Whether a server exists and is enabled.
    pub fn server_enabled(&self) -> bool {
        self.st.borrow().server.as_ref().is_some_and(|s| s.enabled)
    }

    /// Ranges the server currently claims.
    pub fn claimed(&self) -> Vec<Range> {
        self.st
            .borrow()
            .server
            .as_ref()
            .map(|s| s.ranges.clone())
            .unwrap_or_default()
    }

    /// Bound local ports.
    pub fn bound_ports(&self) -> usize {
        self.st.borrow().bound.len()
    }

    /// A guest port read, routed as Xen does.
    pub fn pio_read<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        port: u16,
        size: u8,
    ) -> Result<u32, SimError> {
        Ok(self.pio(srv, d, vcpu, port, size, None)? as u32)
    }

    /// A guest port write, routed as Xen does.
    pub fn pio_write<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        port: u16,
        size: u8,
        value: u32,
    ) -> Result<(), SimError> {
        self.pio(srv, d, vcpu, port, size, Some(u64::from(value)))
            .map(drop)
    }

    fn pio<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        port: u16,
        size: u8,
        write: Option<u64>,
    ) -> Result<u64, SimError> {
        let req = {
            let mut st = self.st.borrow_mut();
            // CF8 is the hypervisor's own latch (hvm/io.c), never forwarded.
            if port == 0xcf8 && size == 4 {
                return Ok(match write {
                    Some(v) => {
                        st.cf8 = v as u32;
                        0
                    }
                    None => u64::from(st.cf8),
                });
            }
            let cf8 = st.cf8;
            if (0xcfc..=0xcff).contains(&port) && cf8 & 0x8000_0000 != 0 {
                let sbdf = Sbdf {
                    seg: 0,
                    bus: (cf8 >> 16) as u8,
                    dev: ((cf8 >> 11) & 0x1f) as u8,
                    func: ((cf8 >> 8) & 7) as u8,
                };
                if st.claims(RangeKind::Pci, sbdf.dmop(), 1) {
                    let reg = (cf8 & 0xfc) | u32::from(port & 3);
                    let addr = PciConfigAddr { sbdf, reg }.encode();
                    Some(Ioreq::simple(
                        IOREQ_TYPE_PCI_CONFIG,
                        addr,
                        u32::from(size),
                        write.is_none(),
                        write.unwrap_or(0),
                    ))
                } else {
                    None
                }
            } else if st.claims(RangeKind::Port, u64::from(port), u64::from(size)) {
                Some(Ioreq::simple(
                    IOREQ_TYPE_PIO,
                    u64::from(port),
                    u32::from(size),
                    write.is_none(),
                    write.unwrap_or(0),
                ))
            } else {
                None
            }
        };
        self.finish(srv, d, vcpu, req, size, write)
    }

    /// A guest MMIO read, routed as Xen does (with the bus-0 ECAM decode when on).
    pub fn mmio_read<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        addr: u64,
        size: u8,
    ) -> Result<u64, SimError> {
        self.mmio(srv, d, vcpu, addr, size, None)
    }

    /// A guest MMIO write.
    pub fn mmio_write<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        addr: u64,
        size: u8,
        value: u64,
    ) -> Result<(), SimError> {
        self.mmio(srv, d, vcpu, addr, size, Some(value)).map(drop)
    }

    fn mmio<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        addr: u64,
        size: u8,
        write: Option<u64>,
    ) -> Result<u64, SimError> {
        let req = {
            let st = self.st.borrow();
            let ecam = st.ecam.filter(|e| addr >= e.base && addr - e.base < e.size);
            if let Some(e) = ecam {
                let off = addr - e.base;
                let sbdf = Sbdf {
                    seg: e.seg,
                    bus: (off >> 20) as u8,
                    dev: ((off >> 15) & 0x1f) as u8,
                    func: ((off >> 12) & 7) as u8,
                };
                if st.claims(RangeKind::Pci, sbdf.dmop(), 1) {
                    let a = PciConfigAddr {
                        sbdf,
                        reg: (off & 0xfff) as u32,
                    };
                    Some(Ioreq::simple(
                        IOREQ_TYPE_PCI_CONFIG,
                        a.encode(),
                        u32::from(size),
                        write.is_none(),
                        write.unwrap_or(0),
                    ))
                } else {
                    None
                }
            } else if st.claims(RangeKind::Memory, addr, u64::from(size)) {
                Some(Ioreq::simple(
                    IOREQ_TYPE_COPY,
                    addr,
                    u32::from(size),
                    write.is_none(),
                    write.unwrap_or(0),
                ))
            } else {
                None
            }
        };
        self.finish(srv, d, vcpu, req, size, write)
    }

    fn finish<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        req: Option<Ioreq>,
        size: u8,
        write: Option<u64>,
    ) -> Result<u64, SimError> {
        match req {
            // Nobody (in this simulation) claims it: the default server would answer all-ones.
            None => Ok(if write.is_some() { 0 } else { all_ones(size) }),
            Some(r) => {
                let done = self.deliver(srv, d, vcpu, r)?;
                Ok(if write.is_some() { 0 } else { done.data })
            }
        }
    }

    /// Posts an arbitrary request (well-formed or not) and returns it as completed.
    pub fn deliver<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        req: Ioreq,
    ) -> Result<Ioreq, SimError> {
        if std::mem::take(&mut self.st.borrow_mut().invalidate_pending) {
            let inv = Ioreq {
                typ: IOREQ_TYPE_INVALIDATE,
                ..Ioreq::simple(IOREQ_TYPE_INVALIDATE, 0, 0, false, 0)
            };
            self.post_and_run(srv, d, 0, inv)?;
        }
        self.post_and_run(srv, d, vcpu, req)
    }

    fn post_and_run<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        vcpu: usize,
        mut req: Ioreq,
    ) -> Result<Ioreq, SimError> {
        let (page, local) = {
            let mut st = self.st.borrow_mut();
            if vcpu >= st.vcpus as usize {
                return Err(SimError::NoVcpu(vcpu));
            }
            let page = st.page.clone().ok_or(SimError::NotBound(vcpu))?;
            let remote = REMOTE_PORT_BASE + vcpu as u32;
            let local = st
                .bound
                .iter()
                .find(|(_, r)| **r == remote)
                .map(|(l, _)| *l)
                .ok_or(SimError::NotBound(vcpu))?;
            if page.state(vcpu) != Some(STATE_IOREQ_NONE) {
                let m = format!(
                    "vcpu{vcpu}: slot not idle (state {:?}) when Xen posts",
                    page.state(vcpu)
                );
                st.violation(m.clone());
                return Err(SimError::Violation(m));
            }
            req.vp_eport = remote;
            req.flags = (req.flags & 0xf0) | STATE_IOREQ_READY;
            page.post(vcpu, &req);
            st.pending.push_back(local);
            st.notified.clear();
            (page, local)
        };
        // The server gets a few chances (a real vCPU would wait forever).
        for _ in 0..4 {
            if page.state(vcpu) == Some(STATE_IORESP_READY) {
                break;
            }
            if let Err(e) = srv.poll(d, 0) {
                let m = format!("server error while serving vcpu{vcpu}: {e}");
                self.st.borrow_mut().violation(m.clone());
                return Err(SimError::Violation(m));
            }
        }
        let done = page.load(vcpu).expect("vcpu < slots");
        let mut st = self.st.borrow_mut();
        st.pending.retain(|p| *p != local);
        let mut problems = Vec::new();
        if done.state() != STATE_IORESP_READY {
            problems.push(format!(
                "state {} instead of IORESP_READY ({STATE_IORESP_READY})",
                done.state()
            ));
        }
        if !st.notified.contains(&local) {
            problems.push(format!("port {local} not notified"));
        }
        if (
            done.addr,
            done.size,
            done.count,
            done.typ,
            done.flags & 0xf0,
            done.vp_eport,
        ) != (
            req.addr,
            req.size,
            req.count,
            req.typ,
            req.flags & 0xf0,
            req.vp_eport,
        ) {
            problems.push("request fields changed by the device model".into());
        }
        let readable = matches!(
            req.typ,
            IOREQ_TYPE_PIO | IOREQ_TYPE_COPY | IOREQ_TYPE_PCI_CONFIG
        ) && req.is_read()
            && !req.data_is_ptr();
        if readable && req.size <= 8 && done.data & !all_ones(req.size.max(1) as u8) != 0 {
            problems.push(format!(
                "read data {:#x} wider than {} bytes",
                done.data, req.size
            ));
        }
        if !req.is_read() && done.data != req.data {
            problems.push("write data changed".into());
        }
        page.set_state(vcpu, STATE_IOREQ_NONE);
        st.notified.clear();
        if !problems.is_empty() {
            let m = format!(
                "vcpu{vcpu} type {} addr {:#x}: {}",
                req.typ,
                req.addr,
                problems.join("; ")
            );
            st.violation(m.clone());
            return Err(SimError::Violation(m));
        }
        Ok(done)
    }
}

/// One function as a simulated guest found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Bus, device, function.
    pub bdf: (u8, u8, u8),
    /// Its configuration space as read, dword by dword.
    pub config: Vec<u8>,
}

impl Sim {
    /// What a guest does first with a segment: probe every device of bus 0
    /// through ECAM (functions 1-7 only when function 0 is multi-function)
    /// and read each present function's `bytes` of config space as dwords.
    pub fn ecam_scan<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        ecam_base: u64,
        bytes: usize,
    ) -> Result<Vec<Found>, SimError> {
        let mut out = Vec::new();
        for dev in 0..32u64 {
            for func in 0..8u64 {
                let base = ecam_base + (dev << 15 | func << 12);
                let id = self.mmio_read(srv, d, 0, base, 4)?;
                if id & 0xffff == 0xffff {
                    if func == 0 {
                        break;
                    }
                    continue;
                }
                let mut config = Vec::with_capacity(bytes);
                for reg in (0..bytes.min(4096) as u64).step_by(4) {
                    let v = self.mmio_read(srv, d, 0, base + reg, 4)? as u32;
                    config.extend_from_slice(&v.to_le_bytes());
                }
                let multi = config.get(0x0e).is_some_and(|h| h & 0x80 != 0);
                out.push(Found {
                    bdf: (0, dev as u8, func as u8),
                    config,
                });
                if func == 0 && !multi {
                    break;
                }
            }
        }
        Ok(out)
    }
}

impl Sim {
    /// What a guest's PCI enumeration does with an ECAM segment: scan bus 0,
    /// read each present function's `bytes` of config space as dwords, and
    /// follow every bridge to the secondary bus it was programmed with
    /// (each bus once, so a loop in the programming cannot hang the scan).
    /// Functions come out in the order found: parents before children.
    pub fn ecam_enumerate<T: Transport>(
        &self,
        srv: &mut IoreqServer<T>,
        d: &mut dyn Dispatch,
        ecam_base: u64,
        buses: u16,
        bytes: usize,
    ) -> Result<Vec<Found>, SimError> {
        let mut out = Vec::new();
        let mut seen = [false; 256];
        let mut stack: Vec<u8> = vec![0];
        while let Some(bus) = stack.pop() {
            if std::mem::replace(&mut seen[usize::from(bus)], true) || u16::from(bus) >= buses {
                continue;
            }
            let mut below = Vec::new();
            for dev in 0..32u64 {
                for func in 0..8u64 {
                    let base = ecam_base + (u64::from(bus) << 20 | dev << 15 | func << 12);
                    let id = self.mmio_read(srv, d, 0, base, 4)?;
                    if id & 0xffff == 0xffff {
                        if func == 0 {
                            break;
                        }
                        continue;
                    }
                    let mut config = Vec::with_capacity(bytes);
                    for reg in (0..bytes.min(4096) as u64).step_by(4) {
                        let v = self.mmio_read(srv, d, 0, base + reg, 4)? as u32;
                        config.extend_from_slice(&v.to_le_bytes());
                    }
                    let header = config.get(0x0e).copied().unwrap_or(0);
                    if header & 0x7f == 1 {
                        let (sec, sub) = (config.get(0x19).copied(), config.get(0x1a).copied());
                        if let (Some(sec), Some(sub)) = (sec, sub) {
                            if sec > bus && sub >= sec {
                                below.push(sec);
                            }
                        }
                    }
                    out.push(Found {
                        bdf: (bus, dev as u8, func as u8),
                        config,
                    });
                    if func == 0 && header & 0x80 == 0 {
                        break;
                    }
                }
            }
            // Depth first in device order, as Linux and the firmware scan.
            stack.extend(below.into_iter().rev());
        }
        Ok(out)
    }
}

impl Transport for SimTransport {
    fn domid(&self) -> u16 {
        self.st.borrow().domid
    }

    fn dm_op(&mut self, op: &DmOp) -> Result<DmOpOut, XenError> {
        // Through the bytes, as the real hypercall: the layout is part of the test.
        let mut bytes = op.encode();
        let op = DmOp::decode(&bytes)
            .ok_or_else(|| XenError::Protocol("sim: undecodable dm_op".into()))?;
        let mut st = self.st.borrow_mut();
        if st.dm_ops.len() < SIM_LOG {
            st.dm_ops.push(op);
        }
        let out = match op {
            DmOp::CreateIoreqServer { handle_bufioreq } => {
                if st.server.is_some() {
                    return Err(XenError::Protocol(
                        "sim: one ioreq server per simulated domain".into(),
                    ));
                }
                if handle_bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF {
                    return Err(XenError::Protocol(
                        "sim: buffered ioreqs are not simulated".into(),
                    ));
                }
                let id = st.next_id;
                st.next_id += 1;
                st.server = Some(SimServer {
                    id,
                    enabled: false,
                    ranges: Vec::new(),
                });
                DmOpOut::ServerId(id)
            }
            DmOp::GetIoreqServerInfo { id, .. } => {
                st.server_mut(id)?;
                DmOpOut::Info {
                    bufioreq_port: 0,
                    ioreq_gfn: 0,
                    bufioreq_gfn: 0,
                }
            }
            DmOp::MapIoRange {
                id,
                kind,
                start,
                end,
            } => {
                let s = st.server_mut(id)?;
                if start > end {
                    return Err(XenError::Protocol(format!(
                        "sim: range {start:#x}-{end:#x} is inverted (EINVAL)"
                    )));
                }
                if s.ranges
                    .iter()
                    .any(|r| r.kind == kind && r.start <= end && start <= r.end)
                {
                    return Err(XenError::Protocol(format!(
                        "sim: range {start:#x}-{end:#x} overlaps a claimed one (EEXIST)"
                    )));
                }
                // Xen's rangeset: adjacent claims merge, removals may split.
                s.ranges.push(Range { kind, start, end });
                s.ranges = crate::claims::normalize(&s.ranges);
                DmOpOut::None
            }
            DmOp::UnmapIoRange {
                id,
                kind,
                start,
                end,
            } => {
                let s = st.server_mut(id)?;
                let r = Range { kind, start, end };
                // Xen (hvm_unmap_io_range_from_ioreq_server): the range must
                // lie inside what is claimed; it may be part of a claim.
                if start > end || !crate::claims::covers(&s.ranges, &r) {
                    return Err(XenError::Protocol(format!(
                        "sim: range {start:#x}-{end:#x} not claimed (ENOENT)"
                    )));
                }
                s.ranges = crate::claims::subtract(&s.ranges, &[r]);
                DmOpOut::None
            }
            DmOp::SetIoreqServerState { id, enabled } => {
                st.server_mut(id)?.enabled = enabled;
                if enabled {
                    let page = st.page.clone().ok_or_else(|| {
                        XenError::Protocol(
                            "sim: enable before the ioreq page is mapped: map it first".into(),
                        )
                    })?;
                    for v in 0..st.vcpus as usize {
                        page.set_vp_eport(v, REMOTE_PORT_BASE + v as u32);
                    }
                    st.invalidate_pending = true;
                }
                DmOpOut::None
            }
            DmOp::DestroyIoreqServer { id } => {
                st.server_mut(id)?;
                st.server = None;
                DmOpOut::None
            }
            DmOp::InjectMsi { addr, data } => {
                if addr >> 20 != 0xfee {
                    return Err(XenError::Protocol(format!(
                        "sim: MSI address {addr:#x} is not 0xfeexxxxx (EINVAL)"
                    )));
                }
                if st.msis.len() < SIM_LOG {
                    st.msis.push((addr, data));
                }
                DmOpOut::None
            }
            DmOp::NrVcpus => DmOpOut::NrVcpus(st.vcpus),
        };
        DmOp::encode_out(&mut bytes, out);
        Ok(op.decode_out(&bytes))
    }

    fn map_ioreq_page(&mut self, id: u16) -> Result<Rc<IoreqPage>, XenError> {
        let mut st = self.st.borrow_mut();
        st.server_mut(id)?;
        let page = Rc::new(IoreqPage::heap());
        st.page = Some(page.clone());
        Ok(page)
    }

    fn bind(&mut self, remote_port: u32) -> Result<u32, XenError> {
        let mut st = self.st.borrow_mut();
        let v = remote_port.wrapping_sub(REMOTE_PORT_BASE);
        if remote_port < REMOTE_PORT_BASE
            || v >= st.vcpus
            || !st.server.as_ref().is_some_and(|s| s.enabled)
        {
            return Err(XenError::Protocol(format!(
                "sim: remote port {remote_port} is no vCPU's ioreq port; read vp_eport after enabling the server"
            )));
        }
        let local = st.next_local;
        st.next_local += 1;
        st.bound.insert(local, remote_port);
        Ok(local)
    }

    fn unbind(&mut self, local_port: u32) -> Result<(), XenError> {
        let mut st = self.st.borrow_mut();
        st.bound
            .remove(&local_port)
            .map(drop)
            .ok_or_else(|| XenError::Protocol(format!("sim: port {local_port} not bound")))
    }

    fn set_ecam_decode(
        &mut self,
        ecam: Option<crate::transport::EcamDecode>,
    ) -> Result<(), XenError> {
        let mut st = self.st.borrow_mut();
        st.ecam = ecam.map(|e| EcamDecode {
            base: e.base,
            size: u64::from(e.buses.clamp(1, 256)) << 20,
            seg: e.segment,
        });
        st.ecam_updates += 1;
        Ok(())
    }

    fn wait(&mut self, _timeout_ms: i32) -> Result<Option<u32>, XenError> {
        Ok(self.st.borrow_mut().pending.pop_front())
    }

    fn notify(&mut self, local_port: u32) -> Result<(), XenError> {
        let mut st = self.st.borrow_mut();
        if !st.bound.contains_key(&local_port) {
            st.violation(format!("notify on unbound port {local_port}"));
        }
        st.notified.push(local_port);
        Ok(())
    }
}

/// How a simulated guest reaches config space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// CF8/CFC port I/O (Xen decodes it into PCI_CONFIG requests); offsets below 0x100.
    Cf8,
    /// ECAM MMIO at this base (bus 0).
    Ecam(u64),
}

/// A simulated guest's configuration accesses as a
/// [`vpcie_firmware::ConfigAccess`]: the firmware (or any enumeration)
/// runs through ioreqs exactly as in a guest. vCPUs alternate. A protocol
/// violation reads all-ones and stays recorded in [`Sim::violations`].
pub struct GuestConfig<'a, T: Transport> {
    /// The simulated hypervisor.
    pub sim: &'a Sim,
    /// The server under test.
    pub srv: &'a mut IoreqServer<T>,
    /// What it serves.
    pub d: &'a mut dyn Dispatch,
    /// CF8/CFC or ECAM.
    pub via: Via,
    /// vCPUs to alternate between (at least 1).
    pub vcpus: usize,
    next: usize,
}

impl<'a, T: Transport> GuestConfig<'a, T> {
    /// A guest of `vcpus` vCPUs reaching config space `via`.
    pub fn new(
        sim: &'a Sim,
        srv: &'a mut IoreqServer<T>,
        d: &'a mut dyn Dispatch,
        via: Via,
        vcpus: usize,
    ) -> Self {
        GuestConfig {
            sim,
            srv,
            d,
            via,
            vcpus: vcpus.max(1),
            next: 0,
        }
    }

    fn vcpu(&mut self) -> usize {
        self.next = (self.next + 1) % self.vcpus;
        self.next
    }

    fn cf8(bdf: vpcie_firmware::Bdf, offset: u16) -> u32 {
        0x8000_0000
            | u32::from(bdf.bus) << 16
            | u32::from(bdf.devfn()) << 8
            | u32::from(offset & 0xfc)
    }

    fn ecam(base: u64, bdf: vpcie_firmware::Bdf, offset: u16) -> u64 {
        base + (u64::from(bdf.bus) << 20 | u64::from(bdf.devfn()) << 12 | u64::from(offset & 0xfff))
    }
}

impl<T: Transport> vpcie_firmware::ConfigAccess for GuestConfig<'_, T> {
    fn read(&mut self, bdf: vpcie_firmware::Bdf, offset: u16, size: u8) -> u32 {
        let v = self.vcpu();
        let r = match self.via {
            Via::Cf8 if offset >= 0x100 => return u32::MAX,
            Via::Cf8 => self
                .sim
                .pio_write(self.srv, self.d, v, 0xcf8, 4, Self::cf8(bdf, offset))
                .and_then(|()| {
                    self.sim
                        .pio_read(self.srv, self.d, v, 0xcfc + (offset & 3), size)
                }),
            Via::Ecam(base) => self
                .sim
                .mmio_read(self.srv, self.d, v, Self::ecam(base, bdf, offset), size)
                .map(|x| x as u32),
        };
        r.unwrap_or(u32::MAX)
    }

    fn write(&mut self, bdf: vpcie_firmware::Bdf, offset: u16, size: u8, value: u32) {
        let v = self.vcpu();
        // A violation is recorded by the simulated hypervisor; nothing to return.
        let _ = match self.via {
            Via::Cf8 if offset >= 0x100 => Ok(()),
            Via::Cf8 => self
                .sim
                .pio_write(self.srv, self.d, v, 0xcf8, 4, Self::cf8(bdf, offset))
                .and_then(|()| {
                    self.sim
                        .pio_write(self.srv, self.d, v, 0xcfc + (offset & 3), size, value)
                }),
            Via::Ecam(base) => self.sim.mmio_write(
                self.srv,
                self.d,
                v,
                Self::ecam(base, bdf, offset),
                size,
                u64::from(value),
            ),
        };
    }
}
