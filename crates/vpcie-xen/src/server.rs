//! The IOREQ server: set-up in the order that works on Xen 4.17, the
//! request loop with validation of every field the guest influences, and
//! teardown.
//!
//! Set-up order (QEMU's, proven by the segment spike): create the server
//! (no buffered ioreqs), map its ioreq page, claim the ranges, enable it,
//! then read each vCPU's `vp_eport` from the page and bind it. Every request
//! is completed, including broadcasts (`INVALIDATE` arrives once at start)
//! and refused ones, or the vCPU waits forever.

use crate::abi::*;
use crate::dispatch::{ClaimUpdate, Dispatch, all_ones};
use crate::page::IoreqPage;
use crate::transport::{Transport, XenError};
use std::rc::Rc;

/// One claimed range (inclusive ends, as Xen takes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Ports, memory, or PCI SBDFs ([`Sbdf::dmop`] form).
    pub kind: RangeKind,
    /// First.
    pub start: u64,
    /// Last.
    pub end: u64,
}

impl Range {
    fn contains(&self, kind: RangeKind, first: u64, len: u64) -> bool {
        let Some(last) = first.checked_add(len.saturating_sub(1)) else {
            return false;
        };
        self.kind == kind && first >= self.start && last <= self.end
    }
}

/// Why a request was refused (completed without reaching the emulation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    /// A type this server does not serve.
    UnknownType,
    /// `data_is_ptr`: string I/O through guest memory (not supported on config space).
    DataPointer,
    /// `count != 1`.
    Count,
    /// A size other than 1, 2, 4 (or 8 for MMIO).
    Size,
    /// The address (with its size) is outside every claimed range, or past 4 KiB of config space.
    OutOfRange,
    /// `dir` and `state` bits inconsistent (e.g. `df` set on a single access is fine; this is reserved).
    Malformed,
}

impl std::fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefuseReason::UnknownType => "unknown ioreq type",
            RefuseReason::DataPointer => {
                "data_is_ptr (string I/O through guest memory) is not served"
            }
            RefuseReason::Count => "count is not 1",
            RefuseReason::Size => "size is not 1, 2 or 4 (8 for MMIO)",
            RefuseReason::OutOfRange => "address outside the claimed ranges",
            RefuseReason::Malformed => "malformed request",
        })
    }
}

/// A refused request, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The vCPU.
    pub vcpu: u32,
    /// Why.
    pub reason: RefuseReason,
    /// The request as it arrived.
    pub req: Ioreq,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.req;
        write!(
            f,
            "vcpu{} refused {} type {} addr {:#x} size {} count {} ptr {} {}: {}",
            self.vcpu,
            if r.is_read() { "read" } else { "write" },
            r.typ,
            r.addr,
            r.size,
            r.count,
            u8::from(r.data_is_ptr()),
            if r.is_read() {
                "(answered all-ones)".to_string()
            } else {
                format!("data {:#x} dropped", r.data)
            },
            self.reason
        )
    }
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests completed (all kinds).
    pub requests: u64,
    /// Reads served.
    pub reads: u64,
    /// Writes served.
    pub writes: u64,
    /// PIO requests.
    pub pio: u64,
    /// MMIO (COPY) requests.
    pub mmio: u64,
    /// PCI_CONFIG requests.
    pub pci_config: u64,
    /// INVALIDATE / TIMEOFFSET broadcasts completed.
    pub broadcasts: u64,
    /// Requests refused.
    pub refused: u64,
    /// Events that found no ready request (spurious or already handled).
    pub spurious: u64,
    /// Claim updates applied (bus-0 mode: the guest moved bus numbers or ECAM).
    pub claim_updates: u64,
    /// Claim updates the hypervisor refused.
    pub claim_errors: u64,
}

/// Most refusals kept for [`IoreqServer::take_refusals`]; later ones only count.
pub const REFUSAL_LOG: usize = 256;
/// Most trace records buffered between two [`IoreqServer::take_trace`] calls.
pub const TRACE_BUFFER: usize = 4096;

/// One completed request, as a trace records it (`vpcie serve --trace N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// Sequence number (1 = the first request this server completed).
    pub n: u64,
    /// The vCPU whose slot carried it.
    pub vcpu: u32,
    /// The request as it arrived.
    pub req: Ioreq,
    /// The data answered (reads) or taken (writes).
    pub data: u64,
    /// Why it was refused, if it was.
    pub refused: Option<RefuseReason>,
}

impl std::fmt::Display for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.req;
        let kind = match r.typ {
            IOREQ_TYPE_PIO => "PIO",
            IOREQ_TYPE_COPY => "MMIO",
            IOREQ_TYPE_PCI_CONFIG => "PCI_CONFIG",
            IOREQ_TYPE_TIMEOFFSET => "TIMEOFFSET",
            IOREQ_TYPE_INVALIDATE => "INVALIDATE",
            _ => "type?",
        };
        write!(
            f,
            "#{} vcpu{} {kind}({}) {} addr {:#x} size {} count {} ptr {} data {:#x}",
            self.n,
            self.vcpu,
            r.typ,
            if r.is_read() { "RD" } else { "WR" },
            r.addr,
            r.size,
            r.count,
            u8::from(r.data_is_ptr()),
            self.data
        )?;
        if let Some(why) = self.refused {
            write!(f, " REFUSED: {why}")?;
        }
        Ok(())
    }
}

/// A running IOREQ server of one domain.
pub struct IoreqServer<T: Transport> {
    t: T,
    id: u16,
    page: Rc<IoreqPage>,
    ranges: Vec<Range>,
    /// Local port per vCPU.
    ports: Vec<u32>,
    stats: Stats,
    refusals: Vec<Refusal>,
    dropped_refusals: u64,
    /// Requests still to be traced.
    trace_left: u64,
    trace: Vec<Served>,
    claim_errors: Vec<String>,
    torn_down: bool,
}

impl<T: Transport> IoreqServer<T> {
    /// Creates, maps, claims, enables and binds, in that order. On failure the
    /// server is destroyed again (best effort) and the error returned.
    pub fn start(mut t: T, ranges: &[Range], vcpus: u32) -> Result<Self, XenError> {
        if vcpus == 0 || vcpus as usize > MAX_SLOTS {
            return Err(XenError::Protocol(format!(
                "{vcpus} vCPUs: expected 1 to {MAX_SLOTS}"
            )));
        }
        let id = t.create_server()?;
        let page = match t.map_ioreq_page(id) {
            Ok(p) => p,
            Err(e) => {
                let _ = t.destroy_server(id);
                return Err(e);
            }
        };
        let mut s = IoreqServer {
            t,
            id,
            page,
            ranges: Vec::new(),
            ports: Vec::new(),
            stats: Stats::default(),
            refusals: Vec::new(),
            dropped_refusals: 0,
            trace_left: 0,
            trace: Vec::new(),
            claim_errors: Vec::new(),
            torn_down: false,
        };
        s.set_claims(ranges)?; // Drop tears down on error
        s.t.set_enabled(id, true)?;
        for v in 0..vcpus as usize {
            let remote = s.page.vp_eport(v).unwrap_or(0);
            let local = s.t.bind(remote)?;
            s.ports.push(local);
        }
        Ok(s)
    }

    /// Claims one more range (the parts not claimed yet).
    pub fn claim(&mut self, r: Range) -> Result<(), XenError> {
        let mut want = self.ranges.clone();
        want.push(r);
        self.set_claims(&want)
    }

    /// Releases a range (any part of what is claimed; the rest stays).
    pub fn release(&mut self, r: Range) -> Result<(), XenError> {
        let want = crate::claims::subtract(&self.ranges, &[r]);
        self.set_claims(&want)
    }

    /// Makes the claims exactly `want`: first claims what is new (so no
    /// address the guest may use now is without a server), then releases
    /// what is no longer wanted. New claims never overlap old ones (Xen
    /// refuses that with EEXIST). On an error the claims are what Xen
    /// holds: everything done before the failing step.
    pub fn set_claims(&mut self, want: &[Range]) -> Result<(), XenError> {
        use crate::claims::{normalize, subtract};
        let want = normalize(want);
        let have = normalize(&self.ranges);
        for r in subtract(&want, &have) {
            self.t.map_range(self.id, r.kind, r.start, r.end)?;
            self.ranges.push(r);
            self.ranges = normalize(&self.ranges);
        }
        for r in subtract(&have, &want) {
            self.t.unmap_range(self.id, r.kind, r.start, r.end)?;
            self.ranges = subtract(&self.ranges, &[r]);
        }
        Ok(())
    }

    /// The server id Xen gave.
    pub fn id(&self) -> u16 {
        self.id
    }
    /// The claimed ranges.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }
    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }
    /// The transport (e.g. to inject an MSI).
    pub fn transport(&mut self) -> &mut T {
        &mut self.t
    }
    /// Local ports, one per vCPU.
    pub fn ports(&self) -> &[u32] {
        &self.ports
    }

    /// Records the next `requests` completed requests (see [`IoreqServer::take_trace`]).
    pub fn set_trace(&mut self, requests: u64) {
        self.trace_left = requests;
    }

    /// The trace records since the last call (at most [`TRACE_BUFFER`]; later ones are not kept).
    pub fn take_trace(&mut self) -> Vec<Served> {
        std::mem::take(&mut self.trace)
    }

    /// The refusals logged since the last call, and how many were not kept.
    pub fn take_refusals(&mut self) -> (Vec<Refusal>, u64) {
        (
            std::mem::take(&mut self.refusals),
            std::mem::take(&mut self.dropped_refusals),
        )
    }

    /// Waits up to `timeout_ms` for one event and serves every ready request
    /// of the vCPUs bound to its port. Returns how many were completed.
    pub fn poll(&mut self, d: &mut dyn Dispatch, timeout_ms: i32) -> Result<usize, XenError> {
        let Some(port) = self.t.wait(timeout_ms)? else {
            return Ok(0);
        };
        let mut done = 0;
        for v in 0..self.ports.len() {
            if self.ports[v] != port {
                continue;
            }
            if self.page.state(v) != Some(STATE_IOREQ_READY) {
                continue;
            }
            self.serve(v, d);
            self.t.notify(port)?;
            done += 1;
        }
        if done == 0 {
            self.stats.spurious += 1;
        }
        Ok(done)
    }

    /// Applies a claim update now (the front end's initial claims, or one it computed itself).
    pub fn apply_claim_update(&mut self, update: ClaimUpdate) {
        if let Some(ranges) = update.ranges {
            if let Err(e) = self.set_claims(&ranges) {
                self.note_claim_error(format!("claims did not follow the guest: {e}"));
            }
        }
        if let Some(ecam) = update.ecam {
            if let Err(e) = self.t.set_ecam_decode(ecam) {
                self.note_claim_error(format!("the ECAM decode did not follow the guest: {e}"));
            }
        }
        self.stats.claim_updates += 1;
    }

    fn note_claim_error(&mut self, m: String) {
        self.stats.claim_errors += 1;
        if self.claim_errors.len() < REFUSAL_LOG {
            self.claim_errors.push(m);
        }
    }

    /// Claim updates that failed since the last call.
    pub fn take_claim_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.claim_errors)
    }

    fn refuse(&mut self, vcpu: usize, req: &Ioreq, reason: RefuseReason) {
        self.stats.refused += 1;
        if req.is_read() && !req.data_is_ptr() {
            // All-ones of the access width ("nothing there"), at most 8 bytes.
            self.page.store_data(vcpu, all_ones(req.size.min(8) as u8));
        }
        if self.refusals.len() < REFUSAL_LOG {
            self.refusals.push(Refusal {
                vcpu: vcpu as u32,
                reason,
                req: *req,
            });
        } else {
            self.dropped_refusals += 1;
        }
    }

    fn claimed(&self, kind: RangeKind, first: u64, len: u64) -> bool {
        self.ranges.iter().any(|r| r.contains(kind, first, len))
    }

    /// Serves the ready request of one vCPU and marks it completed (not notified).
    fn serve(&mut self, vcpu: usize, d: &mut dyn Dispatch) {
        let Some(req) = self.page.load(vcpu) else {
            return;
        };
        self.page.set_state(vcpu, STATE_IOREQ_INPROCESS);
        self.stats.requests += 1;
        let refused = self.execute(vcpu, &req, d).err();
        if let Some(reason) = refused {
            self.refuse(vcpu, &req, reason);
        }
        // What the access changed is claimed before the access completes,
        // so the guest's next access already finds its server.
        if let Some(update) = d.take_claim_update() {
            self.apply_claim_update(update);
        }
        if self.trace_left > 0 {
            self.trace_left -= 1;
            let data = self.page.load(vcpu).map_or(req.data, |r| r.data);
            if self.trace.len() < TRACE_BUFFER {
                self.trace.push(Served {
                    n: self.stats.requests,
                    vcpu: vcpu as u32,
                    req,
                    data,
                    refused,
                });
            }
        }
        self.page.set_state(vcpu, STATE_IORESP_READY);
    }

    fn execute(
        &mut self,
        vcpu: usize,
        req: &Ioreq,
        d: &mut dyn Dispatch,
    ) -> Result<(), RefuseReason> {
        match req.typ {
            IOREQ_TYPE_INVALIDATE | IOREQ_TYPE_TIMEOFFSET => {
                self.stats.broadcasts += 1;
                return Ok(());
            }
            IOREQ_TYPE_PIO | IOREQ_TYPE_COPY | IOREQ_TYPE_PCI_CONFIG => {}
            _ => return Err(RefuseReason::UnknownType),
        }
        if req.data_is_ptr() {
            return Err(RefuseReason::DataPointer);
        }
        if req.count != 1 {
            return Err(RefuseReason::Count);
        }
        let size = req.size;
        let max = if req.typ == IOREQ_TYPE_COPY { 8 } else { 4 };
        if !matches!(size, 1 | 2 | 4 | 8) || size > max {
            return Err(RefuseReason::Size);
        }
        let s8 = size as u8;
        let mask = all_ones(s8);
        let read = req.is_read();
        let value = req.data & mask;
        let result: u64 = match req.typ {
            IOREQ_TYPE_PIO => {
                if req.addr > 0xffff || !self.claimed(RangeKind::Port, req.addr, u64::from(size)) {
                    return Err(RefuseReason::OutOfRange);
                }
                self.stats.pio += 1;
                let port = req.addr as u16;
                if read {
                    u64::from(d.pio_read(port, s8))
                } else {
                    d.pio_write(port, s8, value as u32);
                    0
                }
            }
            IOREQ_TYPE_COPY => {
                if !self.claimed(RangeKind::Memory, req.addr, u64::from(size)) {
                    return Err(RefuseReason::OutOfRange);
                }
                self.stats.mmio += 1;
                if read {
                    d.mmio_read(req.addr, s8)
                } else {
                    d.mmio_write(req.addr, s8, value);
                    0
                }
            }
            _ => {
                let a = PciConfigAddr::decode(req.addr);
                // Bits 31:24 of the SBDF half hold DEV/FN; anything Xen could
                // send decodes, but the register must fit config space.
                if a.reg as u64 + u64::from(size) > 0x1000
                    || !self.claimed(RangeKind::Pci, a.sbdf.dmop(), 1)
                {
                    return Err(RefuseReason::OutOfRange);
                }
                self.stats.pci_config += 1;
                if read {
                    u64::from(d.pci_config_read(a.sbdf, a.reg as u16, s8))
                } else {
                    d.pci_config_write(a.sbdf, a.reg as u16, s8, value as u32);
                    0
                }
            }
        };
        if read {
            self.stats.reads += 1;
            self.page.store_data(vcpu, result & mask);
        } else {
            self.stats.writes += 1;
        }
        Ok(())
    }

    /// Serves requests until `stop()` says so (checked at least every
    /// `tick_ms`), passing each refusal to `log`.
    pub fn run(
        &mut self,
        d: &mut dyn Dispatch,
        tick_ms: i32,
        stop: &dyn Fn() -> bool,
        log: &mut dyn FnMut(&Refusal),
    ) -> Result<(), XenError> {
        while !stop() {
            self.poll(d, tick_ms)?;
            if !self.refusals.is_empty() {
                for r in std::mem::take(&mut self.refusals) {
                    log(&r);
                }
            }
        }
        Ok(())
    }

    /// Disables the server, releases its ranges, destroys it and unbinds
    /// the ports. Every step is tried; the errors are returned together.
    pub fn shutdown(mut self) -> Vec<XenError> {
        self.teardown()
    }

    fn teardown(&mut self) -> Vec<XenError> {
        if self.torn_down {
            return Vec::new();
        }
        self.torn_down = true;
        let mut errors = Vec::new();
        if let Err(e) = self.t.set_enabled(self.id, false) {
            errors.push(e);
        }
        for r in std::mem::take(&mut self.ranges) {
            if let Err(e) = self.t.unmap_range(self.id, r.kind, r.start, r.end) {
                errors.push(e);
            }
        }
        if let Err(e) = self.t.destroy_server(self.id) {
            errors.push(e);
        }
        for p in std::mem::take(&mut self.ports) {
            if let Err(e) = self.t.unbind(p) {
                errors.push(e);
            }
        }
        errors
    }
}

impl<T: Transport> Drop for IoreqServer<T> {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}
