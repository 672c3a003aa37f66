//! Property test: random topologies and BAR sets, planned and programmed
//! through the platform's config-access API, then checked against what the
//! platform itself decodes (bridge registers, BAR registers, ECAM).

mod common;

use common::{bar, build, check, device, with_bars};
use proptest::prelude::*;
use vpcie_firmware::{Bar64Mode, FirmwareConfig, FirmwareError, Size};
use vpcie_platform::DeviceKind;
use vpcie_platform::description::{BarDescription, BarKindDescription, DeviceDescription};

/// BARs for one endpoint: each of the six registers empty, I/O, 32-bit or
/// 64-bit memory (which takes the next register too).
fn bars() -> impl Strategy<Value = Vec<BarDescription>> {
    prop::collection::vec((0u8..5, 2u32..34, any::<bool>()), 6).prop_map(|slots| {
        let mut out = Vec::new();
        let mut i = 0usize;
        while i < 6 {
            let (kind, log, pref) = slots[i];
            match kind {
                1 => out.push(bar(
                    i as u8,
                    BarKindDescription::Io,
                    1 << log.clamp(2, 8),
                    false,
                )),
                2 => out.push(bar(
                    i as u8,
                    BarKindDescription::Mem32,
                    1 << log.clamp(4, 24),
                    pref,
                )),
                3 | 4 if i < 5 => {
                    // Large 64-bit BARs are prefetchable (GPU apertures);
                    // registers and queues are small.
                    let max = if pref { 33 } else { 26 };
                    out.push(bar(
                        i as u8,
                        BarKindDescription::Mem64,
                        1u64 << log.clamp(4, max),
                        pref,
                    ));
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        out
    })
}

/// What hangs below one root port.
#[derive(Clone, Debug)]
enum Below {
    Empty,
    Endpoints(Vec<Vec<BarDescription>>),
    Switch(Vec<Option<Vec<BarDescription>>>),
    PciBridge(Vec<Vec<BarDescription>>),
}

fn below() -> impl Strategy<Value = Below> {
    prop_oneof![
        Just(Below::Empty),
        prop::collection::vec(bars(), 1..4).prop_map(Below::Endpoints),
        prop::collection::vec(prop::option::of(bars()), 1..4).prop_map(Below::Switch),
        prop::collection::vec(bars(), 1..3).prop_map(Below::PciBridge),
    ]
}

fn endpoint(name: String, parent: &str, at: &str, bars: Vec<BarDescription>) -> DeviceDescription {
    let mut d = device(DeviceKind::Endpoint, &name, Some(parent), at);
    d = with_bars(d, bars);
    d
}

fn topology(ports: &[Below], bus0: &[Vec<BarDescription>]) -> Vec<DeviceDescription> {
    let mut devs = Vec::new();
    for (i, b) in bus0.iter().enumerate() {
        let mut d = device(
            DeviceKind::Endpoint,
            &format!("b0ep{i}"),
            None,
            &format!("{:02x}.0", 2 + i),
        );
        d = with_bars(d, b.clone());
        devs.push(d);
    }
    for (p, below) in ports.iter().enumerate() {
        let rp = format!("rp{p}");
        let at = if p < 8 {
            format!("1c.{p}")
        } else {
            format!("1d.{}", p - 8)
        };
        devs.push(device(DeviceKind::RootPort, &rp, None, &at));
        match below {
            Below::Empty => {}
            Below::Endpoints(fns) => {
                for (f, b) in fns.iter().enumerate() {
                    devs.push(endpoint(
                        format!("{rp}ep{f}"),
                        &rp,
                        &format!("00.{f}"),
                        b.clone(),
                    ));
                }
            }
            Below::Switch(downs) => {
                let up = format!("{rp}up");
                devs.push(device(DeviceKind::SwitchUpstream, &up, Some(&rp), "00.0"));
                for (d, ep) in downs.iter().enumerate() {
                    let dn = format!("{rp}dn{d}");
                    devs.push(device(
                        DeviceKind::SwitchDownstream,
                        &dn,
                        Some(&up),
                        &format!("{d:02x}.0"),
                    ));
                    if let Some(b) = ep {
                        devs.push(endpoint(format!("{dn}ep"), &dn, "00.0", b.clone()));
                    }
                }
            }
            Below::PciBridge(eps) => {
                let br = format!("{rp}br");
                devs.push(device(DeviceKind::PcieToPciBridge, &br, Some(&rp), "00.0"));
                for (e, b) in eps.iter().enumerate() {
                    devs.push(endpoint(
                        format!("{br}ep{e}"),
                        &br,
                        &format!("{:02x}.0", e + 1),
                        b.clone(),
                    ));
                }
            }
        }
    }
    devs
}

fn config() -> impl Strategy<Value = FirmwareConfig> {
    (
        prop_oneof![
            Just(Bar64Mode::Auto),
            Just(Bar64Mode::Low),
            Just(Bar64Mode::High)
        ],
        1u64..=16,
        any::<bool>(),
        prop::option::of(prop_oneof![Just(64u16), Just(128u16), Just(256u16)]),
    )
        .prop_map(|(bar64, gib, relocate, ecam)| FirmwareConfig {
            bar64,
            ram: Size(gib << 30),
            allow_memory_relocate: relocate,
            ecam_buses: ecam,
            ..FirmwareConfig::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn plans_nest_align_and_stay_clear(
        ports in prop::collection::vec(below(), 1..10),
        bus0 in prop::collection::vec(bars(), 0..3),
        cfg in config(),
    ) {
        let mut platform = build(topology(&ports, &bus0));
        match vpcie_firmware::run_platform(&mut platform, &cfg) {
            Ok(plan) => {
                if let Err(e) = check(&mut platform, &plan, &cfg) {
                    panic!("{e}\n{plan}");
                }
            }
            // Too many 32-bit resources for the hole is a legitimate answer,
            // as long as it names the device and the shortfall.
            Err(e @ FirmwareError::CannotFit { .. }) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(':') && msg.contains("short by") && msg.contains("What to do"), "{}", msg);
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

/// The same plan through CF8/CFC port I/O as through direct config access.
#[test]
fn port_io_and_direct_access_agree() {
    let ports = vec![
        Below::Switch(vec![
            Some(vec![bar(0, BarKindDescription::Mem64, 1 << 20, true)]),
            None,
        ]),
        Below::Endpoints(vec![vec![
            bar(0, BarKindDescription::Mem32, 1 << 16, false),
            bar(1, BarKindDescription::Io, 0x40, false),
        ]]),
    ];
    let cfg = FirmwareConfig::default();
    let mut a = build(topology(&ports, &[]));
    let mut b = build(topology(&ports, &[]));
    let direct = vpcie_firmware::run(&mut a, &cfg).unwrap();
    let ports_plan = vpcie_firmware::run(&mut vpcie_firmware::PortIo(&mut b), &cfg).unwrap();
    assert_eq!(direct, ports_plan);
    check(&mut b, &ports_plan, &cfg).unwrap();
}
