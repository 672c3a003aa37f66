//! Bounded resources: a guest cannot make vpcie's memory grow.
//!
//! This test binary counts live heap bytes with its own global allocator
//! (per thread, so that the test harness's other threads do not count),
//! drives vpcie with random accesses of every kind, and checks:
//!
//! - a passthrough function's memory is fixed once it is built, apart from
//!   its bounded queues (events, warnings), which fill during a warm-up;
//! - after that warm-up, 10^7 more random accesses to the whole platform
//!   (CF8/CFC, ECAM, direct config accesses at any offset and size, BAR
//!   moves, bridge reprogramming, INTx, resets), with nobody draining the
//!   events, leave the live heap exactly where it was.
//!
//! The count of 10^7 runs in the test profile (opt-level 1) in a few
//! seconds; `VPCIE_FLOOD_ACCESSES` changes it (e.g. 10^8 for a long soak).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use vpcie_passthrough::{PassthroughFunction, PassthroughOptions};
use vpcie_security::fixture::{self, Rig};

struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn add(bytes: i64) {
    let _ = LIVE.try_with(|c| c.set(c.get() + bytes));
}

// SAFETY: every method forwards to `System` with the same arguments and
// only adds bookkeeping that does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap bytes allocated by this thread.
fn live() -> i64 {
    LIVE.with(|c| c.get())
}

/// A small fast generator (xorshift64*): the flood must not allocate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn flood_count() -> u64 {
    std::env::var("VPCIE_FLOOD_ACCESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000)
}

/// One random guest access to a passthrough function.
fn function_access<H: vpcie_passthrough::HostDevice>(f: &mut PassthroughFunction<H>, r: &mut Rng) {
    let x = r.next();
    let offset = (x >> 8) as u16 & 0x1fff;
    let size = [1u8, 2, 4, 4, 2, 1, 3, 8][(x & 7) as usize];
    let value = (x >> 32) as u32;
    match (x >> 5) & 7 {
        0..=3 => f.config_write(offset, size, value),
        4 | 5 => {
            let _ = f.config_read(offset, size);
        }
        6 => {
            let _ = f.msix_mmio_write((x >> 60) as u8 & 7, u64::from(offset) * 4, size, x);
        }
        _ => {
            let _ = f.msix_mmio_read((x >> 60) as u8 & 7, u64::from(offset) * 4, size);
        }
    }
}

/// Fills a passthrough function's bounded queues the way a guest can:
/// INTx Disable toggled past the event bound (an `IntxDisable` event each),
/// and a VPD write request (a warning, given once).
fn fill_function_queues<H: vpcie_passthrough::HostDevice>(f: &mut PassthroughFunction<H>) {
    for i in 0..5000u32 {
        f.config_write(0x05, 1, (i & 1) << 2);
    }
    f.config_write(0xd2, 2, 0x8000);
    assert!(
        f.warnings().iter().any(|w| w.contains("events dropped")),
        "the event queue is full: {:?}",
        f.warnings()
    );
}

/// A passthrough function: after its queues have filled, random accesses
/// leave its memory exactly as it was.
#[test]
fn function_memory_is_fixed_after_construction() {
    let machine = fixture::rtl8125(); // parsed once, kept for the process
    let start = live();
    let host = fixture::host(machine, fixture::RTL8125_FN);
    let mut f = PassthroughFunction::new(host, PassthroughOptions::default()).expect("builds");
    let built = live() - start;
    let mut r = Rng(0x5eed_1234_abcd_0001);
    // Warm-up: random accesses, then fill the bounded queues on purpose:
    // INTx Disable toggles (an event each) past the event bound, and the
    // one-time VPD write-request warning.
    for _ in 0..200_000 {
        function_access(&mut f, &mut r);
    }
    fill_function_queues(&mut f);
    let warm = live() - start;
    let warnings = f.warnings().len();
    let n = flood_count() / 4;
    for _ in 0..n {
        function_access(&mut f, &mut r);
    }
    let end = live() - start;
    assert_eq!(
        f.warnings().len(),
        warnings,
        "no new kind of warning during the flood"
    );
    assert_eq!(
        end, warm,
        "{n} accesses after the warm-up grew the function from {warm} to {end} bytes"
    );
    // The warm-up's growth is the bounded queues: events (4096 of a few
    // dozen bytes) and 64 warnings, not a per-access cost.
    assert!(
        warm - built < 512 * 1024,
        "built {built} bytes, {warm} after the warm-up"
    );
    drop(f);
    assert_eq!(live(), start, "dropping the function frees everything");
}

/// One random guest access to the platform.
fn platform_access(
    p: &mut vpcie_platform::Platform,
    r: &mut Rng,
    targets: &[(u8, u8, u8)],
    ecam: u64,
) {
    let x = r.next();
    let (b, d, f) = targets[(x as usize >> 3) % targets.len()];
    let reg = (x >> 16) as u16 & if x & 0x100 != 0 { 0xfff } else { 0xff };
    let size = [1u8, 2, 4, 4, 2, 4, 3, 0][((x >> 9) & 7) as usize];
    let value = (x >> 32) as u32;
    match x & 7 {
        0 | 1 => p.config_write(b, d, f, reg, size, value),
        2 => {
            let _ = p.config_read(b, d, f, reg, size);
        }
        3 => {
            let a = 0x8000_0000 | u32::from(b) << 16 | u32::from(d) << 11 | u32::from(f) << 8;
            p.pio_write(0xcf8, 4, a | u32::from(reg & 0xfc));
            if x & 0x200 != 0 {
                p.pio_write(0xcfc + (reg & 3), size, value);
            } else {
                let _ = p.pio_read(0xcfc + (reg & 3), size);
            }
        }
        4 => {
            let addr = ecam
                + (u64::from(b) << 20 | u64::from(d) << 15 | u64::from(f) << 12 | u64::from(reg));
            p.mmio_write(addr, size, value);
        }
        5 => {
            let addr = ecam
                + (u64::from(b) << 20 | u64::from(d) << 15 | u64::from(f) << 12 | u64::from(reg));
            let _ = p.mmio_read(addr, size);
        }
        6 => {
            // A BAR moved with decode on: an event each time.
            let bar = 0x10 + 4 * ((x >> 40) as u16 % 6);
            p.config_write(b, d, f, bar, 4, value & 0xffff_f000);
            p.config_write(b, d, f, 0x04, 2, 0x0007);
        }
        _ => {
            if x >> 54 == 0 {
                p.reset();
            } else {
                let n = p.function_count() as u16;
                p.set_intx(
                    vpcie_platform::FunctionId((x >> 20) as u16 % n),
                    x & 0x400 != 0,
                );
            }
        }
    }
}

/// The whole platform, with four passed-through functions behind recording
/// hosts whose logs are emptied after each access (the logs are the
/// test's, not vpcie's): 10^7 accesses after the warm-up, no growth.
#[test]
fn platform_flood_keeps_memory_fixed() {
    let start = live();
    let mut rig = Rig::new(true);
    let ecam = rig.platform.ecam_window().expect("ECAM").base;
    // The targets as the firmware numbered them, plus some nobody answers.
    let mut targets = rig.reachable();
    targets.extend([(0, 2, 0), (0xff, 0x1f, 7), (0x40, 0, 0)]);
    let mut r = Rng(0x0dd_ba11_cafe_f00d);
    let step = |rig: &mut Rig, r: &mut Rng| {
        platform_access(&mut rig.platform, r, &targets, ecam);
        for w in &rig.watched {
            w.host.clear_log();
        }
    };
    // First fill the passed-through functions' event queues (INTx Disable
    // toggles), give the one-time VPD warning, and fill the platform's
    // queue (BAR moves), while the firmware's bus numbers still reach
    // them; then random accesses (which may renumber buses) warm up the rest.
    let passthrough: Vec<(u8, u8, u8)> = rig
        .platform
        .function_ids()
        .filter(|id| rig.platform.describe(*id).starts_with("passthrough"))
        .filter_map(|id| rig.platform.bdf(id))
        .map(|b| (b.bus, b.devfn.device(), b.devfn.function()))
        .collect();
    assert_eq!(passthrough.len(), 4);
    for &(b, d, f) in &passthrough {
        for i in 0..5000u32 {
            rig.platform.config_write(b, d, f, 0x05, 1, (i & 1) << 2);
            rig.platform
                .config_write(b, d, f, 0x10, 4, (i & 0xff) << 16);
        }
        rig.platform.config_write(b, d, f, 0xd2, 2, 0x8000);
    }
    for w in &rig.watched {
        w.host.clear_log();
    }
    assert_eq!(
        rig.platform.events().len(),
        vpcie_platform::events::EVENT_QUEUE_CAPACITY
    );
    for _ in 0..300_000 {
        step(&mut rig, &mut r);
    }
    let warm = live() - start;
    let n = flood_count();
    let t = std::time::Instant::now();
    for _ in 0..n {
        step(&mut rig, &mut r);
    }
    let end = live() - start;
    eprintln!(
        "{n} platform accesses in {:.1?}; live heap {warm} bytes after the warm-up, {end} after",
        t.elapsed()
    );
    assert_eq!(
        end, warm,
        "{n} accesses grew the platform's heap from {warm} to {end} bytes"
    );
}
