//! Config reads through the simulated IOREQ transport (guest ECAM read ->
//! ioreq posted in the shared page -> event -> server validates and
//! dispatches -> completion checked) next to the same reads as direct calls
//! on the functions, in the same run. Prints round trips per second and the ratio.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;
use vpcie_xen::abi::RangeKind;
use vpcie_xen::dispatch::{ConfigTarget, EcamDispatch};
use vpcie_xen::functions::{FunctionMap, demo_endpoint};
use vpcie_xen::server::{IoreqServer, Range};
use vpcie_xen::sim::Sim;

const ECAM: u64 = 0xe000_0000;

fn setup() -> (
    Sim,
    IoreqServer<vpcie_xen::sim::SimTransport>,
    EcamDispatch<FunctionMap>,
) {
    let (sim, t) = Sim::new(1, 1);
    let srv = IoreqServer::start(
        t,
        &[Range {
            kind: RangeKind::Memory,
            start: ECAM,
            end: ECAM + (256 << 20) - 1,
        }],
        1,
    )
    .unwrap();
    let mut map = FunctionMap::new();
    map.insert(0, 0, 0, "demo", demo_endpoint());
    (
        sim,
        srv,
        EcamDispatch {
            base: ECAM,
            size: 256 << 20,
            target: map,
        },
    )
}

fn bench(c: &mut Criterion) {
    let (sim, mut srv, mut d) = setup();
    let mut direct = FunctionMap::new();
    direct.insert(0, 0, 0, "demo", demo_endpoint());
    let mut reg = 0u64;
    c.bench_function("config read via simulated ioreq", |b| {
        b.iter(|| {
            reg = (reg + 4) & 0xffc;
            black_box(sim.mmio_read(&mut srv, &mut d, 0, ECAM + reg, 4).unwrap())
        })
    });
    c.bench_function("config read, direct call", |b| {
        b.iter(|| {
            reg = (reg + 4) & 0xffc;
            black_box(direct.config_read(0, 0, 0, reg as u16, 4))
        })
    });
    // Same-run ratio, independent of criterion's reporting.
    let n = 200_000u64;
    let t = Instant::now();
    for i in 0..n {
        black_box(
            sim.mmio_read(&mut srv, &mut d, 0, ECAM + ((i * 4) & 0xffc), 4)
                .unwrap(),
        );
    }
    let via = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for i in 0..n {
        black_box(direct.config_read(0, 0, 0, ((i * 4) & 0xffc) as u16, 4));
    }
    let dir = t.elapsed().as_secs_f64().max(1e-9);
    println!(
        "ioreq round trips: {:.2} M/s through the simulated transport, {:.1} M/s direct; ratio {:.1}x",
        n as f64 / via / 1e6,
        n as f64 / dir / 1e6,
        via / dir
    );
}

/// The same comparison on the planned segment of the real-Xen harness
/// (root ports, switch, the passed-through GPU): reads of the GPU's config
/// space through ioreqs vs `Platform::config_read`.
fn bench_segment(c: &mut Criterion) {
    let text = include_str!("../../../scripts/xen-e2e/vpcie.cfg");
    let dir = vpcie_testkit::fixture("d01_")
        .parent()
        .unwrap()
        .display()
        .to_string();
    let cfg = vpcie_xen::DomainConfig::parse(&text.replace("/root/vpcie/fixtures", &dir)).unwrap();
    let seg = vpcie_xen::segment::Segment::build(&cfg).unwrap();
    let mut direct = vpcie_xen::segment::Segment::build(&cfg).unwrap().platform;
    let ranges = seg.layout.ranges();
    let mut d = vpcie_xen::segment::SegmentDispatch::new(seg.platform, 1, seg.layout.ecam);
    let (sim, t) = Sim::new(1, 1);
    let mut srv = IoreqServer::start(t, &ranges, 1).unwrap();
    let gpu = ECAM + (1 << 20); // 0001:01:00.0
    let mut reg = 0u64;
    c.bench_function("segment: GPU config read via simulated ioreq", |b| {
        b.iter(|| {
            reg = (reg + 4) & 0xffc;
            black_box(sim.mmio_read(&mut srv, &mut d, 0, gpu + reg, 4).unwrap())
        })
    });
    c.bench_function("segment: GPU config read, direct platform call", |b| {
        b.iter(|| {
            reg = (reg + 4) & 0xffc;
            black_box(direct.config_read(1, 0, 0, reg as u16, 4))
        })
    });
    let n = 200_000u64;
    let t = Instant::now();
    for i in 0..n {
        black_box(
            sim.mmio_read(&mut srv, &mut d, 0, gpu + ((i * 4) & 0xffc), 4)
                .unwrap(),
        );
    }
    let via = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for i in 0..n {
        black_box(direct.config_read(1, 0, 0, ((i * 4) & 0xffc) as u16, 4));
    }
    let dir = t.elapsed().as_secs_f64().max(1e-9);
    println!(
        "segment (passed-through GPU behind a root port): {:.2} M/s through the simulated transport, {:.1} M/s direct platform calls; ratio {:.1}x",
        n as f64 / via / 1e6,
        n as f64 / dir / 1e6,
        via / dir
    );
}

criterion_group!(benches, bench, bench_segment);
criterion_main!(benches);
