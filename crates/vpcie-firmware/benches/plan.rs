//! The firmware on a large platform: 32 root ports, each with an 8-function
//! endpoint of 6 BARs (1536 BARs), next to building the same platform
//! without planning. `main` prints the ratio.
//!
//! Each BAR set per function: 64 KiB and 16 KiB 32-bit memory, 1 MiB and
//! 256 KiB 32-bit prefetchable, 4 KiB 32-bit memory and 32 bytes of I/O:
//! about 350 MiB below 4 GiB, so the hole grows (and I/O runs out, which
//! the plan reports as warnings).

use criterion::{BatchSize, Criterion};
use std::hint::black_box;
use vpcie_firmware::FirmwareConfig;
use vpcie_platform::{Platform, PlatformDescription};

fn description() -> PlatformDescription {
    let mut toml = String::new();
    for p in 0..32u8 {
        // Four 8-function root-port devices on bus 0: 02.0-05.7.
        let at = format!("{:02x}.{}", 2 + p / 8, p % 8);
        toml += &format!("[[device]]\nname = \"rp{p}\"\nkind = \"root-port\"\nat = \"{at}\"\n\n");
        for f in 0..8 {
            toml += &format!(
                "[[device]]\nname = \"ep{p}_{f}\"\nkind = \"endpoint\"\nparent = \"rp{p}\"\nat = \"00.{f}\"\n\
                 bars = [{{ bar = 0, kind = \"mem32\", size = 0x10000 }}, {{ bar = 1, kind = \"mem32\", size = 0x4000 }}, \
                 {{ bar = 2, kind = \"mem32\", size = 0x100000, prefetchable = true }}, {{ bar = 3, kind = \"mem32\", size = 0x40000, prefetchable = true }}, \
                 {{ bar = 4, kind = \"mem32\", size = 0x1000 }}, {{ bar = 5, kind = \"io\", size = 0x20 }}]\n\n"
            );
        }
    }
    PlatformDescription::from_toml(&toml).expect("benchmark platform parses")
}

fn build(d: &PlatformDescription) -> Platform {
    d.build().expect("benchmark platform builds")
}

fn benches(c: &mut Criterion) {
    let d = description();
    let cfg = FirmwareConfig::default();
    // Sanity: the plan holds all 1536 BARs' memory and reports the I/O it could not place.
    let plan = vpcie_firmware::run(&mut build(&d), &cfg).expect("benchmark platform plans");
    let bars = plan.functions.iter().flat_map(|f| &f.bars).count();
    assert_eq!(bars, 32 * 8 * 6);
    let mut g = c.benchmark_group("firmware");
    g.sample_size(20);
    g.bench_function("build", |b| b.iter(|| black_box(build(black_box(&d)))));
    g.bench_function("build+plan", |b| {
        b.iter(|| {
            let mut p = build(black_box(&d));
            black_box(vpcie_firmware::run(&mut p, &cfg).expect("plans"))
        })
    });
    g.bench_function("plan", |b| {
        b.iter_batched(
            || build(&d),
            |mut p| black_box(vpcie_firmware::run(&mut p, &cfg).expect("plans")),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Reads criterion's estimate (mean, ns) of one benchmark of this run.
fn estimate(function: &str) -> Option<f64> {
    vpcie_testkit::criterion_estimate(&["firmware", function])
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    let (Some(build), Some(plan)) = (estimate("build"), estimate("plan")) else {
        return; // --list, --test or a filter
    };
    println!("\n32 root ports x 8 functions x 6 BARs (1536 BARs), same run:");
    println!("  build the platform          {:>9.1} us", build / 1e3);
    println!("  plan it (firmware run)      {:>9.1} us", plan / 1e3);
    if let Some(both) = estimate("build+plan") {
        println!("  build + plan                {:>9.1} us", both / 1e3);
    }
    println!("  plan / build ratio          {:>9.2}x", plan / build);
}
