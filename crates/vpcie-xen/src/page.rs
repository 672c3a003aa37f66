//! The shared ioreq page: one `ioreq_t` per vCPU, written by Xen and by us.
//!
//! This module is the only place that touches that memory. Xen (or the
//! simulated hypervisor) writes a request, then sets `state = READY` with a
//! write barrier; the device model reads `state` first, then the rest
//! (acquire), and publishes its answer by writing `data` before setting
//! `state = IORESP_READY` (release). Every field access is volatile because
//! the other side changes the memory behind the compiler's back.

use crate::abi::{IOREQ_FLAGS_OFFSET, Ioreq, MAX_SLOTS, PAGE_SIZE};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering, fence};

#[repr(C, align(4096))]
struct AlignedPage([u8; PAGE_SIZE]);

enum Backing {
    /// A heap page (the simulated hypervisor's).
    Heap,
    /// An mmap()ed foreign page; unmapped on drop.
    #[cfg(target_os = "linux")]
    Mmap,
}

/// One mapped shared ioreq page.
pub struct IoreqPage {
    ptr: NonNull<u8>,
    backing: Backing,
}

impl IoreqPage {
    /// A zeroed page in our own memory (for the simulated hypervisor).
    pub fn heap() -> IoreqPage {
        let b = Box::new(AlignedPage([0; PAGE_SIZE]));
        let ptr = NonNull::from(Box::leak(b)).cast::<u8>();
        IoreqPage {
            ptr,
            backing: Backing::Heap,
        }
    }

    /// Wraps a page mapped with `mmap` (and owned from now on: munmap on drop).
    ///
    /// # Safety
    /// `ptr` must be a `PAGE_SIZE`-byte, page-aligned, readable and writable
    /// mapping that nothing else unmaps.
    #[cfg(target_os = "linux")]
    pub(crate) unsafe fn from_mmap(ptr: NonNull<u8>) -> IoreqPage {
        IoreqPage {
            ptr,
            backing: Backing::Mmap,
        }
    }

    /// Number of vCPU slots in the page.
    pub fn slots(&self) -> usize {
        MAX_SLOTS
    }

    fn slot_ptr(&self, vcpu: usize) -> Option<*mut Ioreq> {
        if vcpu >= MAX_SLOTS {
            return None;
        }
        // SAFETY: vcpu < MAX_SLOTS, so the slot lies inside the PAGE_SIZE-byte
        // mapping this struct owns; Ioreq has alignment 8 and the page is
        // page-aligned, so the pointer is aligned.
        Some(unsafe { self.ptr.as_ptr().add(vcpu * size_of::<Ioreq>()) }.cast::<Ioreq>())
    }

    fn flags_atomic(&self, vcpu: usize) -> Option<&AtomicU8> {
        let p = self.slot_ptr(vcpu)?;
        // SAFETY: the flags byte is inside the slot (offset 30 of 32); AtomicU8
        // has the size and alignment of u8; the page outlives the reference
        // (bounded by &self), and all our other accesses to it are atomic too.
        Some(unsafe { &*p.cast::<u8>().add(IOREQ_FLAGS_OFFSET).cast::<AtomicU8>() })
    }

    /// `state` of a vCPU's slot, with acquire ordering (the rest may be read after it).
    pub fn state(&self, vcpu: usize) -> Option<u8> {
        Some(self.flags_atomic(vcpu)?.load(Ordering::Acquire) & 0x0f)
    }

    /// A snapshot of the whole slot, read after its `state` (acquire).
    pub fn load(&self, vcpu: usize) -> Option<Ioreq> {
        let flags = self.flags_atomic(vcpu)?.load(Ordering::Acquire);
        let p = self.slot_ptr(vcpu)?;
        // SAFETY: p is a valid, aligned slot inside the owned mapping (see
        // slot_ptr); volatile because the hypervisor writes it concurrently.
        let mut r = unsafe { std::ptr::read_volatile(p) };
        r.flags = flags;
        Some(r)
    }

    /// Writes `data` of a slot (before completing it).
    pub fn store_data(&self, vcpu: usize, data: u64) {
        if let Some(p) = self.slot_ptr(vcpu) {
            // SAFETY: valid aligned slot (slot_ptr); the field is a u64 at offset 8.
            unsafe { std::ptr::write_volatile(&raw mut (*p).data, data) };
        }
    }

    /// Sets `state`, keeping the other bit-fields, with release ordering (earlier writes become visible first).
    pub fn set_state(&self, vcpu: usize, state: u8) {
        if let Some(f) = self.flags_atomic(vcpu) {
            let old = f.load(Ordering::Relaxed);
            fence(Ordering::Release);
            f.store((old & 0xf0) | (state & 0x0f), Ordering::Release);
        }
    }

    /// Writes a whole request and then its state (the hypervisor's side: the simulator).
    pub fn post(&self, vcpu: usize, req: &Ioreq) {
        let Some(p) = self.slot_ptr(vcpu) else { return };
        let mut body = *req;
        body.flags &= 0xf0; // state NONE until everything else is written
        // SAFETY: valid aligned slot (slot_ptr).
        unsafe { std::ptr::write_volatile(p, body) };
        fence(Ordering::Release);
        if let Some(f) = self.flags_atomic(vcpu) {
            f.store(req.flags, Ordering::Release);
        }
    }

    /// `vp_eport` of a vCPU's slot: Xen's end of its event channel.
    pub fn vp_eport(&self, vcpu: usize) -> Option<u32> {
        self.load(vcpu).map(|r| r.vp_eport)
    }

    /// Sets `vp_eport` (the simulator, when the server is enabled).
    pub fn set_vp_eport(&self, vcpu: usize, port: u32) {
        if let Some(p) = self.slot_ptr(vcpu) {
            // SAFETY: valid aligned slot (slot_ptr); u32 field at offset 24.
            unsafe { std::ptr::write_volatile(&raw mut (*p).vp_eport, port) };
        }
    }
}

impl Drop for IoreqPage {
    fn drop(&mut self) {
        match self.backing {
            Backing::Heap => {
                // SAFETY: ptr came from Box::leak of an AlignedPage in heap(),
                // and is dropped exactly once, here.
                drop(unsafe { Box::from_raw(self.ptr.as_ptr().cast::<AlignedPage>()) });
            }
            #[cfg(target_os = "linux")]
            Backing::Mmap => {
                // SAFETY: ptr is the start of a PAGE_SIZE mapping we own
                // (from_mmap's contract); nothing uses it after drop.
                unsafe { libc::munmap(self.ptr.as_ptr().cast(), PAGE_SIZE) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::*;

    #[test]
    fn post_load_complete() {
        let p = IoreqPage::heap();
        let r = Ioreq::simple(IOREQ_TYPE_COPY, 0xe000_0000, 4, true, 0);
        p.post(3, &r);
        assert_eq!(p.state(3), Some(STATE_IOREQ_READY));
        assert_eq!(p.load(3), Some(r));
        p.store_data(3, 0x1234);
        p.set_state(3, STATE_IORESP_READY);
        let done = p.load(3).unwrap();
        assert_eq!(
            (done.state(), done.data, done.is_read()),
            (STATE_IORESP_READY, 0x1234, true)
        );
        assert_eq!(p.load(MAX_SLOTS), None);
        p.set_state(MAX_SLOTS, 1); // ignored, no panic
    }
}
