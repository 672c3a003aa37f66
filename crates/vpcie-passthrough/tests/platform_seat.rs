//! Passed-through functions placed on the emulated Q35 platform below a
//! Root Port (`vpcie_platform::Function`): the guest reaches them through
//! the port's bus numbers, the GPU and its HD Audio keep their function
//! numbers with a consistent multi-function bit, the port and the endpoint
//! report the same link, and BAR changes become platform events.

mod common;

use common::*;
use vpcie_config::regs::*;
use vpcie_passthrough::group::{DeviceGroup, GroupError};
use vpcie_passthrough::host::dump::DumpHost;
use vpcie_passthrough::*;
use vpcie_platform::{Event, PlatformDescription};

const PLATFORM: &str = r#"
[[device]]
name = "rp1"
kind = "root-port"
at = "1c.0"
link_speed = 16
link_width = 16

[[device]]
kind = "external"
parent = "rp1"
at = "00.0"
backend = "fn0"

[[device]]
kind = "external"
parent = "rp1"
at = "00.1"
backend = "fn1"
"#;

#[test]
fn gpu_and_audio_below_a_root_port() {
    // m01: RTX 3070 Ti at 01:00.0, its HD Audio at 01:00.1, port 00:01.0 above.
    let m = machine("m01_");
    let hosts = vec![
        m.host("01:00.0".parse().unwrap()).unwrap(),
        m.host("01:00.1".parse().unwrap()).unwrap(),
    ];
    let group = DeviceGroup::new(hosts, PassthroughOptions::default()).unwrap();
    let mut functions: Vec<Option<Box<dyn vpcie_platform::Function>>> = group
        .into_functions()
        .into_iter()
        .map(|f| Some(Box::new(f) as Box<dyn vpcie_platform::Function>))
        .collect();
    let desc = PlatformDescription::from_toml(PLATFORM).unwrap();
    let mut p = desc
        .build_with(&mut |d| {
            let i = if d.backend.as_deref() == Some("fn0") {
                0
            } else {
                1
            };
            functions[i]
                .take()
                .ok_or_else(|| "placed twice".to_string())
        })
        .unwrap();
    // Firmware numbers the port's buses: secondary 1, subordinate 1.
    p.config_write(0, 0x1c, 0, 0x18, 4, 0x0001_0100);
    assert_eq!(
        p.config_read(1, 0, 0, 0, 4),
        0x24a0_10de,
        "GPU through the port"
    );
    assert_eq!(
        p.config_read(1, 0, 1, 0, 2),
        0x10de,
        "HD Audio at function 1"
    );
    assert_eq!(
        p.config_read(1, 0, 0, 0x0e, 1) & 0x80,
        0x80,
        "multi-function"
    );
    assert_eq!(p.config_read(1, 0, 1, 0x0e, 1) & 0x80, 0x80);
    assert_eq!(
        p.config_read(1, 1, 0, 0, 4),
        u32::MAX,
        "nothing at device 1"
    );
    // The endpoint's Link Status shows the link the port trained, and the
    // port reports the same: the host's 16 GT/s x8.
    let gpu_lnksta = p.config_read(1, 0, 0, 0x78 + u16::from(PCI_EXP_LNKSTA as u8), 2);
    assert_eq!(gpu_lnksta & 0x3ff, 0x084, "16 GT/s x8");
    // Find the port's PCI Express capability and compare.
    let mut at = p.config_read(0, 0x1c, 0, 0x34, 1) as u16;
    while at != 0 && p.config_read(0, 0x1c, 0, at, 1) != 0x10 {
        at = p.config_read(0, 0x1c, 0, at + 1, 1) as u16;
    }
    assert_ne!(at, 0);
    let port_lnksta = p.config_read(0, 0x1c, 0, at + PCI_EXP_LNKSTA, 2);
    assert_eq!(
        port_lnksta & 0x3ff,
        gpu_lnksta & 0x3ff,
        "port and endpoint agree"
    );
    // BAR programming through the platform becomes a platform event.
    p.events().drain();
    p.config_write(1, 0, 0, 0x10, 4, 0xfd00_0000);
    p.config_write(1, 0, 0, 0x04, 2, u32::from(PCI_COMMAND_MEMORY));
    let events: Vec<Event> = p.events().drain();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::BarChanged { change, .. }
            if change.bar == vpcie_config::BarId::Bar(0) && change.new == Some(0xfd00_0000))),
        "{events:?}"
    );
    // The front end reaches the passthrough function behind the box (for
    // its MSI-X table, its events) by its concrete type.
    let gpu = p
        .function_at(1, vpcie_platform::Devfn::new(0, 0).unwrap())
        .unwrap();
    let f = p
        .function_as::<PassthroughFunction<DumpHost>>(gpu)
        .expect("a passthrough function");
    assert_eq!(f.config_read(0, 2), 0x10de);
    let mch = p.mch().unwrap();
    assert!(
        p.function_as::<PassthroughFunction<DumpHost>>(mch)
            .is_none()
    );
}

#[test]
fn groups_need_function_zero_and_one_device() {
    let m = machine("m01_");
    let e = DeviceGroup::new(
        vec![m.host("01:00.1".parse().unwrap()).unwrap()],
        PassthroughOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, GroupError::NoFunctionZero { .. }));
    assert!(e.to_string().contains("0000:01:00.0"), "{e}");
    let e = DeviceGroup::new(
        vec![
            m.host("01:00.0".parse().unwrap()).unwrap(),
            m.host("02:00.0".parse().unwrap()).unwrap(),
        ],
        PassthroughOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, GroupError::MixedDevices { .. }), "{e}");
    // One function alone: multi-function clear, even if the host's is set.
    let g = DeviceGroup::new(
        vec![m.host("01:00.0".parse().unwrap()).unwrap()],
        PassthroughOptions::default(),
    )
    .unwrap();
    let (n, f) = g.functions().next().unwrap();
    assert_eq!(n, 0);
    assert_eq!(f.config_space().get_u8(0x0e) & 0x80, 0);
}

#[test]
fn rc_integrated_group_on_bus_0_keeps_function_numbers() {
    let m = machine("d08_");
    let hosts: Vec<_> = m.functions().map(|b| m.host(b).unwrap()).collect();
    let options = PassthroughOptions {
        placement: Placement::RcIntegrated,
        ..PassthroughOptions::default()
    };
    let mut g = DeviceGroup::new(hosts, options).unwrap();
    for n in [0u8, 1] {
        let f = g.function_mut(n).unwrap();
        assert_eq!(f.bdf().function, n);
        assert_eq!(f.config_read(0x0e, 1) & 0x80, 0x80);
        assert_guest_chain(f, "d08 RC group");
    }
    // A reset of the group keeps the multi-function bit.
    g.reset();
    assert_eq!(g.function_mut(1).unwrap().config_read(0x0e, 1) & 0x80, 0x80);
}
