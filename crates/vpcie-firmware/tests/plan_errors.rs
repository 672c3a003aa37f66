//! Plans that cannot be made fail with a message naming the device, the
//! register, the shortfall and what to do.

mod common;

use common::{bar, build, device, with_bars};
use vpcie_firmware::{FirmwareConfig, FirmwareError, Size};
use vpcie_platform::DeviceKind;
use vpcie_platform::description::BarKindDescription::{Mem32, Mem64};

/// 20 root ports, each with an endpoint whose BAR0 is 2 GiB of 32-bit
/// memory: 40 GiB that must sit below 4 GiB.
#[test]
fn forty_gib_of_32_bit_bars_do_not_fit() {
    let mut devs = Vec::new();
    for p in 0..20u8 {
        let rp = format!("rp{p}");
        let at = if p < 8 {
            format!("1c.{p}")
        } else if p < 16 {
            format!("1d.{}", p - 8)
        } else {
            format!("1e.{}", p - 16)
        };
        devs.push(device(DeviceKind::RootPort, &rp, None, &at));
        let mut ep = device(DeviceKind::Endpoint, &format!("ep{p}"), Some(&rp), "00.0");
        ep = with_bars(ep, vec![bar(0, Mem32, 1 << 31, false)]);
        devs.push(ep);
    }
    let mut platform = build(devs);
    let err = vpcie_firmware::run_platform(&mut platform, &FirmwareConfig::default()).unwrap_err();
    let FirmwareError::CannotFit {
        device,
        register,
        size,
        shortfall,
        need,
        ..
    } = &err
    else {
        panic!("expected CannotFit, got {err}");
    };
    // The first endpoint found (below 00:1c.0 on bus 1) is named.
    assert_eq!(device.to_string(), "01:00.0");
    assert_eq!(register, "BAR0");
    assert_eq!(*size, 1 << 31);
    assert!(*need >= 40 << 30, "need {need:#x}");
    assert!(*shortfall >= 38 << 30, "shortfall {shortfall:#x}");
    let msg = err.to_string();
    for part in [
        "01:00.0 BAR0",
        "2 GiB",
        "32-bit memory BAR",
        "short by",
        "What to do",
        "hole_start_min",
    ] {
        assert!(msg.contains(part), "`{part}` missing from: {msg}");
    }
}

/// One 2 GiB 32-bit BAR cannot sit below 4 GiB with hvmloader's reserved
/// top 64 MiB, even in the largest hole: the message says by how much.
#[test]
fn a_single_2_gib_bar_is_named() {
    let mut ep = device(DeviceKind::Endpoint, "big", Some("rp"), "00.0");
    ep = with_bars(ep, vec![bar(2, Mem32, 1 << 31, true)]);
    let mut platform = build(vec![device(DeviceKind::RootPort, "rp", None, "1c.0"), ep]);
    let err = vpcie_firmware::run_platform(&mut platform, &FirmwareConfig::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("01:00.0 BAR2 (2 GiB, 32-bit prefetchable memory BAR)"),
        "{msg}"
    );
}

/// 64-bit BARs that do not fit below 4 GiB move above it instead of failing.
#[test]
fn large_64_bit_bars_relocate_instead() {
    let mut devs = Vec::new();
    for p in 0..6u8 {
        let rp = format!("rp{p}");
        devs.push(device(DeviceKind::RootPort, &rp, None, &format!("1c.{p}")));
        let mut ep = device(DeviceKind::Endpoint, &format!("ep{p}"), Some(&rp), "00.0");
        ep = with_bars(
            ep,
            vec![bar(0, Mem64, 1 << 30, true), bar(2, Mem32, 1 << 20, false)],
        );
        devs.push(ep);
    }
    let cfg = FirmwareConfig {
        bar64: vpcie_firmware::Bar64Mode::Low,
        ..FirmwareConfig::default()
    };
    let mut platform = build(devs);
    let plan = vpcie_firmware::run_platform(&mut platform, &cfg).unwrap();
    common::check(&mut platform, &plan, &cfg).unwrap();
    // hvmloader's order: the hole grew to its 2 GiB limit first ...
    assert_eq!(plan.mmio_hole.base, 0x8000_0000);
    // ... and what still did not fit went above 4 GiB.
    let high = plan.high_used.expect("something above 4 GiB");
    assert!(high.base >= 1 << 32);
    let above = plan
        .functions
        .iter()
        .flat_map(|f| &f.bars)
        .filter(|b| b.range.is_some_and(|r| r.base >= 1 << 32))
        .count();
    assert!((1..6).contains(&above), "{above} BARs above 4 GiB\n{plan}");
    // RAM under the grown hole moved above 4 GiB: nothing lost.
    assert_eq!(plan.memory.relocated, 0xf000_0000 - 0x8000_0000);
}

/// A BAR larger than the guest's physical address space names itself.
#[test]
fn high_space_exhausted() {
    let mut ep = device(DeviceKind::Endpoint, "huge", Some("rp"), "00.0");
    ep = with_bars(ep, vec![bar(0, Mem64, 1 << 40, true)]);
    let mut platform = build(vec![device(DeviceKind::RootPort, "rp", None, "1c.0"), ep]);
    let cfg = FirmwareConfig {
        phys_bits: 40,
        ram: Size(1 << 30),
        ..FirmwareConfig::default()
    };
    let err = vpcie_firmware::run_platform(&mut platform, &cfg).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, FirmwareError::HighSpaceExhausted { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("00:1c.0 prefetchable window") && msg.contains("phys_bits"),
        "{msg}"
    );
}

/// Bad policy values are refused with the field named.
#[test]
fn config_errors_name_the_field() {
    let bad = FirmwareConfig {
        ecam_buses: Some(100),
        ..FirmwareConfig::default()
    };
    let mut platform = build(vec![]);
    let msg = vpcie_firmware::run_platform(&mut platform, &bad)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("ecam_buses") && msg.contains("64, 128 or 256"),
        "{msg}"
    );
    let text = "[firmware]\nram = \"3 GiB\"\nhotplug = { buses = 2, mem = \"8M\" }\n";
    let cfg = FirmwareConfig::from_toml(text).unwrap();
    assert_eq!(cfg.ram.0, 3 << 30);
    assert_eq!(cfg.hotplug.buses, 2);
    assert_eq!(cfg.hotplug.mem.0, 8 << 20);
    let err = FirmwareConfig::from_toml("[firmware]\nram = \"lots\"\n").unwrap_err();
    assert!(err.to_string().contains("not a size"), "{err}");
    let err = FirmwareConfig::from_toml("[firmware]\nrma = 1\n").unwrap_err();
    assert!(err.to_string().contains("rma"), "{err}");
}
