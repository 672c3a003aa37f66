//! Routed config access cost: an ECAM read of a function two bridges deep
//! (02:00.0, the switch downstream port below 00:1c.0 and 01:00.0) against a
//! direct `Function::config_read` of the same function in the same run.
//! Also: three bridges deep by ECAM and by BDF, and CF8/CFC. Only ratios
//! mean anything on these machines.

use criterion::{BenchmarkId, Criterion};
use std::hint::black_box;
use vpcie_platform::enumerate::assign_bus_numbers;
use vpcie_platform::{Devfn, Platform, PlatformDescription};

/// Offsets read in each iteration: header, capabilities, extended space.
const OFFSETS: [u16; 16] = [
    0x00, 0x04, 0x08, 0x0c, 0x18, 0x1c, 0x20, 0x34, 0x40, 0x70, 0x90, 0x94, 0x9c, 0xa4, 0x100,
    0x108,
];

const ECAM_BASE: u64 = 0xb000_0000;

fn ecam(bus: u8, dev: u8, func: u8, reg: u16) -> u64 {
    ECAM_BASE | u64::from(bus) << 20 | u64::from(dev) << 15 | u64::from(func) << 12 | u64::from(reg)
}

fn platform() -> Platform {
    let mut p = PlatformDescription::default_q35().build().unwrap();
    assign_bus_numbers(&mut p);
    // PCIEXBAR: 256 MiB at 0xB000_0000, enabled (as SeaBIOS).
    p.config_write(0, 0, 0, 0x60, 4, 0xb000_0001);
    assert_eq!(p.mmio_read(ecam(2, 0, 0, 0), 4), Some(0x8233_104c));
    p
}

fn benches(c: &mut Criterion) {
    let mut p = platform();
    let two_deep = p.function_at(2, Devfn(0)).unwrap();
    let mut g = c.benchmark_group("routing");
    g.bench_function(BenchmarkId::new("read", "direct"), |b| {
        b.iter(|| {
            let f = p.function_mut(black_box(two_deep)).unwrap();
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                sum = sum.wrapping_add(f.config_read(off, 4));
            }
            sum
        })
    });
    g.bench_function(BenchmarkId::new("read", "ecam 2 bridges deep"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                let v = black_box(&mut p).mmio_read(ecam(2, 0, 0, off), 4).unwrap();
                sum = sum.wrapping_add(v);
            }
            sum
        })
    });
    g.bench_function(BenchmarkId::new("read", "bdf 2 bridges deep"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                sum = sum.wrapping_add(black_box(&mut p).config_read(2, 0, 0, off, 4));
            }
            sum
        })
    });
    g.bench_function(BenchmarkId::new("read", "ecam 3 bridges deep"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                let v = black_box(&mut p).mmio_read(ecam(3, 0, 0, off), 4).unwrap();
                sum = sum.wrapping_add(v);
            }
            sum
        })
    });
    g.bench_function(BenchmarkId::new("read", "cf8 2 bridges deep"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                let off = off & 0xfc;
                let p = black_box(&mut p);
                p.pio_write(0xcf8, 4, 0x8002_0000 | u32::from(off));
                sum = sum.wrapping_add(p.pio_read(0xcfc, 4).unwrap());
            }
            sum
        })
    });
    g.finish();
}

/// Reads criterion's estimate (mean, ns) of one benchmark of this run.
fn estimate(function: &str, parameter: &str) -> Option<f64> {
    vpcie_testkit::criterion_estimate(&["routing", function, parameter])
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    let Some(direct) = estimate("read", "direct") else {
        return; // --list, --test or a filter that skipped the baseline
    };
    println!("\nratios to a direct Function::config_read of the same function (same run):");
    for (p, target) in [
        ("ecam 2 bridges deep", Some(2.0)),
        ("bdf 2 bridges deep", None),
        ("ecam 3 bridges deep", None),
        ("cf8 2 bridges deep", None),
    ] {
        if let Some(t) = estimate("read", p) {
            let aim = target.map_or(String::new(), |t| format!("  (aim <= {t}x)"));
            println!("  {p:<22} {:>7.2} ns  {:>6.2}x{aim}", t / 16.0, t / direct);
        }
    }
    println!("  direct                 {:>7.2} ns", direct / 16.0);
}
