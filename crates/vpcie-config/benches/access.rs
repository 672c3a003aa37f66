//! Config access cost, as ratios to a raw read of the same dword from a
//! `[u8; 4096]` measured in the same run (these machines are noisy; only
//! ratios mean anything).
//!
//! The function under test is a real GPU's config space (the RTX 3070 Ti
//! fixture: PM, MSI, PCIe, vendor capabilities, eleven extended
//! capabilities) with an emulated Type 0 header policy and its BARs.

use criterion::{BenchmarkId, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use vpcie_config::regs::*;
use vpcie_config::{Bar, BarId, ConfigSize, ConfigSpace, NoHandler, Reg, RegTable};

/// Offsets read in each iteration: header, capabilities, extended space.
const OFFSETS: [u16; 16] = [
    0x00, 0x04, 0x08, 0x10, 0x2c, 0x34, 0x60, 0x68, 0x78, 0x80, 0x100, 0x250, 0x258, 0x420, 0x600,
    0xbb0,
];

/// The writable parts of a Type 0 header, as QEMU's `pci_init_wmask` and
/// `pci_init_w1cmask` set them.
const HEADER: RegTable = &[
    Reg::emulated(0x04, 2, "Command").writable(0x0547),
    Reg::emulated(0x06, 2, "Status").w1c(0xf900),
    Reg::emulated(0x0c, 1, "Cache Line Size").writable(0xff),
    Reg::emulated(0x3c, 1, "Interrupt Line").writable(0xff),
];

fn fixture() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/devices/d01_gpu_nvidia-ga104-rtx3070ti-laptop_4096.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (is ../shared beside the repository?)",
            path.display()
        )
    });
    let funcs = vpcie_config::lspci::parse(&text).expect("fixture parses");
    funcs[0].config().to_vec()
}

fn gpu() -> ConfigSpace {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.load_image(0, &fixture());
    cfg.apply(0, HEADER).unwrap();
    cfg.set_bar(BarId::Bar(0), Bar::memory32(16 << 20, false))
        .unwrap();
    cfg.set_bar(BarId::Bar(1), Bar::memory64(8 << 30, true))
        .unwrap();
    cfg.set_bar(BarId::Bar(3), Bar::memory64(32 << 20, true))
        .unwrap();
    cfg.set_bar(BarId::Bar(5), Bar::io(128)).unwrap();
    cfg.set_bar(BarId::Rom, Bar::rom(512 << 10)).unwrap();
    cfg
}

fn raw_read(image: &[u8; 4096], off: u16) -> u32 {
    let o = usize::from(off);
    u32::from_le_bytes(image[o..o + 4].try_into().unwrap())
}

fn benches(c: &mut Criterion) {
    let mut raw = [0u8; 4096];
    raw.copy_from_slice(&fixture());
    let mut cfg = gpu();
    let mut h = NoHandler;
    let mut g = c.benchmark_group("config");

    g.bench_function(BenchmarkId::new("read", "raw array"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                sum = sum.wrapping_add(raw_read(black_box(&raw), off));
            }
            sum
        })
    });
    g.bench_function(BenchmarkId::new("read", "emulated"), |b| {
        b.iter(|| {
            let mut sum = 0u32;
            for off in black_box(OFFSETS) {
                sum = sum.wrapping_add(black_box(&cfg).read(off, 4, &mut h));
            }
            sum
        })
    });
    g.bench_function(BenchmarkId::new("write", "interrupt line dword"), |b| {
        b.iter(|| {
            for v in 0..16u32 {
                black_box(&mut cfg).write(black_box(PCI_INTERRUPT_LINE), 4, v, &mut h);
            }
        })
    });
    let command = u32::from(PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    g.bench_function(BenchmarkId::new("write", "command register"), |b| {
        b.iter(|| {
            for v in 0..16u32 {
                // Bus master and INTx disable toggle, decode stays on.
                let master = (v & 1) * u32::from(PCI_COMMAND_MASTER);
                let intx_disable = (v & 2) * u32::from(PCI_COMMAND_INTX_DISABLE) / 2;
                let cmd = command | master | intx_disable;
                black_box(&mut cfg).write(black_box(PCI_COMMAND), 2, cmd, &mut h);
            }
        })
    });
    cfg.write(PCI_COMMAND, 2, 0, &mut h);
    cfg.write(PCI_BASE_ADDRESS_0, 4, 0xf600_0000, &mut h);
    g.bench_function(BenchmarkId::new("bar sizing", "32-bit memory BAR"), |b| {
        b.iter(|| {
            for _ in 0..16 {
                let cfg = black_box(&mut cfg);
                let saved = cfg.read(PCI_BASE_ADDRESS_0, 4, &mut h);
                cfg.write(PCI_BASE_ADDRESS_0, 4, u32::MAX, &mut h);
                let mask = cfg.read(PCI_BASE_ADDRESS_0, 4, &mut h);
                cfg.write(PCI_BASE_ADDRESS_0, 4, saved, &mut h);
                black_box(mask);
            }
        })
    });
    g.finish();
}

/// Reads criterion's estimate (mean, ns) of one benchmark of this run.
fn estimate(function: &str, parameter: &str) -> Option<f64> {
    vpcie_testkit::criterion_estimate(&["config", function, parameter])
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    // Each iteration does 16 operations of each kind.
    let Some(raw) = estimate("read", "raw array") else {
        return; // --list, --test or a filter that skipped the baseline
    };
    println!("\nratios to a raw [u8; 4096] dword read (same run):");
    for (f, p, target) in [
        ("read", "emulated", 1.2),
        ("write", "interrupt line dword", 5.0),
        ("write", "command register", 5.0),
        ("bar sizing", "32-bit memory BAR", 12.0),
    ] {
        if let Some(t) = estimate(f, p) {
            let ratio = t / raw;
            println!(
                "  {f:<11} {p:<22} {:>7.2} ns  {ratio:>6.2}x  (aim <= {target}x)",
                t / 16.0
            );
        }
    }
    println!(
        "  raw read                           {:>7.2} ns",
        raw / 16.0
    );
}
