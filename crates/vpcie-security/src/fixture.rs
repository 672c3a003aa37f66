//! The machines the attacks run against: real-hardware dumps (kept in
//! `data/`, copied from `../shared/fixtures` so that the fuzz targets need
//! nothing outside the repository) behind recording hosts, placed on the
//! emulated Q35 platform and booted by vpcie's own firmware.
//!
//! - Intel X710 (8086:1572), both functions: PM, MSI 64-bit with per-vector
//!   masking, MSI-X, PCI Express with Function Level Reset; 256-byte dump.
//! - Realtek RTL8125 (10ec:8125): PM, MSI 64-bit maskable, PCI Express,
//!   MSI-X, VPD, and in extended space AER, VC, DSN, TPH, LTR, L1SS and a
//!   vendor-specific capability; 4 KiB dump.

use std::sync::OnceLock;

use vpcie_passthrough::group::DeviceGroup;
use vpcie_passthrough::host::dump::{DumpHost, DumpMachine};
use vpcie_passthrough::{Bdf, PassthroughOptions, Placement};
use vpcie_platform::description::DEFAULT_PLATFORM_TOML;
use vpcie_platform::{Function, Platform, PlatformDescription};

use crate::hosts::SharedHost;
use crate::spec::HostWriteSpec;

/// `lspci -xxx` of an Intel X710, both functions (fixture d17).
pub const X710_DUMP: &str = include_str!("../data/d17_nic_intel-x710-2fn_256.txt");
/// `lspci -xxxx` of a Realtek RTL8125 (fixture d18).
pub const RTL8125_DUMP: &str = include_str!("../data/d18_nic_realtek-rtl8125_4096.txt");

/// The X710's functions in its dump.
pub const X710_FN0: &str = "04:00.0";
/// The X710's second function.
pub const X710_FN1: &str = "04:00.1";
/// The RTL8125 in its dump.
pub const RTL8125_FN: &str = "2e:00.0";

/// The X710 dump as a host machine (parsed once).
pub fn x710() -> &'static DumpMachine {
    static M: OnceLock<DumpMachine> = OnceLock::new();
    M.get_or_init(|| DumpMachine::parse(X710_DUMP, None).expect("the X710 fixture parses"))
}

/// The RTL8125 dump as a host machine (parsed once).
pub fn rtl8125() -> &'static DumpMachine {
    static M: OnceLock<DumpMachine> = OnceLock::new();
    M.get_or_init(|| DumpMachine::parse(RTL8125_DUMP, None).expect("the RTL8125 fixture parses"))
}

/// Function `bdf` of `machine` as a fresh host.
pub fn host(machine: &DumpMachine, bdf: &str) -> DumpHost {
    let bdf: Bdf = bdf.parse().expect("fixture address");
    machine.host(bdf).expect("function in the fixture")
}

/// A host function the platform owns, with the handle and spec to watch it.
pub struct Watched {
    /// Which backend of the platform description.
    pub name: &'static str,
    /// The host, shared with the passthrough function.
    pub host: SharedHost<DumpHost>,
    /// What a guest may change on it.
    pub spec: HostWriteSpec,
}

/// The platform description: the default Q35 platform (ports, a switch,
/// emulated endpoints, a PCIe-to-PCI bridge) plus two more Root Ports with
/// the X710 (two functions) and the RTL8125 below them, and a second
/// RTL8125 on bus 0 in the RC-integrated placement.
pub fn platform_toml() -> String {
    format!(
        "{DEFAULT_PLATFORM_TOML}
[[device]]
name = \"rp5\"
kind = \"root-port\"
at = \"1c.4\"
link_speed = 8
link_width = 8

[[device]]
kind = \"external\"
parent = \"rp5\"
at = \"00.0\"
backend = \"x710.0\"

[[device]]
kind = \"external\"
parent = \"rp5\"
at = \"00.1\"
backend = \"x710.1\"

[[device]]
name = \"rp6\"
kind = \"root-port\"
at = \"1c.5\"
link_speed = 8
link_width = 1

[[device]]
kind = \"external\"
parent = \"rp6\"
at = \"00.0\"
backend = \"rtl8125\"

[[device]]
kind = \"external\"
at = \"03.0\"
backend = \"rtl8125-rc\"
"
    )
}

/// The platform with its passed-through functions, and their hosts.
pub struct Rig {
    /// The platform.
    pub platform: Platform,
    /// The host of every passed-through function.
    pub watched: Vec<Watched>,
}

impl Rig {
    /// Builds the platform; with `boot`, vpcie's firmware then numbers the
    /// buses, places the ECAM window and every BAR and enables decoding
    /// (its host writes are checked against the spec and cleared).
    pub fn new(boot: bool) -> Rig {
        // Checked after each guest access: a Retrain Link the guest writes in
        // the port above may reach the host, once (the RC-integrated
        // function has no port: its spec allows none).
        let shared = |machine: &DumpMachine, bdf: &str| {
            let h = host(machine, bdf);
            let spec = HostWriteSpec::from_image(&h.image()).with_link_retrains(1);
            (SharedHost::new(h), spec)
        };
        let (x0, x0_spec) = shared(x710(), X710_FN0);
        let (x1, x1_spec) = shared(x710(), X710_FN1);
        let (r, r_spec) = shared(rtl8125(), RTL8125_FN);
        let (rc, rc_spec) = shared(rtl8125(), RTL8125_FN);
        let rc_spec = rc_spec.with_link_retrains(0);
        let watched = vec![
            Watched {
                name: "x710.0",
                host: x0.clone(),
                spec: x0_spec,
            },
            Watched {
                name: "x710.1",
                host: x1.clone(),
                spec: x1_spec,
            },
            Watched {
                name: "rtl8125",
                host: r.clone(),
                spec: r_spec,
            },
            Watched {
                name: "rtl8125-rc",
                host: rc.clone(),
                spec: rc_spec,
            },
        ];
        let group = DeviceGroup::new(vec![x0, x1], PassthroughOptions::default())
            .expect("the X710 functions form a group");
        let mut x710: Vec<Option<Box<dyn Function>>> = group
            .into_functions()
            .into_iter()
            .map(|f| Some(Box::new(f) as Box<dyn Function>))
            .collect();
        let mut rtl = Some(r);
        let mut rtl_rc = Some(rc);
        let desc = PlatformDescription::from_toml(&platform_toml()).expect("rig description");
        let platform = desc
            .build_with(&mut |d| {
                let take = |what: &mut Option<SharedHost<DumpHost>>, placement| {
                    let h = what.take().ok_or("placed twice")?;
                    let options = PassthroughOptions {
                        placement,
                        ..PassthroughOptions::default()
                    };
                    vpcie_passthrough::PassthroughFunction::new(h, options)
                        .map(|f| Box::new(f) as Box<dyn Function>)
                        .map_err(|e| e.to_string())
                };
                match d.backend.as_deref() {
                    Some("x710.0") => x710[0].take().ok_or_else(|| "placed twice".into()),
                    Some("x710.1") => x710[1].take().ok_or_else(|| "placed twice".into()),
                    Some("rtl8125") => take(&mut rtl, Placement::UnderRootPort),
                    Some("rtl8125-rc") => take(&mut rtl_rc, Placement::RcIntegrated),
                    other => Err(format!("no backend {other:?}")),
                }
            })
            .expect("rig platform builds");
        let mut rig = Rig { platform, watched };
        if let Err(v) = rig.check_hosts() {
            panic!("building the rig: {v}");
        }
        if boot {
            vpcie_firmware::run_platform(&mut rig.platform, &Default::default())
                .expect("vpcie's firmware boots the rig");
            if let Err(v) = rig.check_hosts() {
                panic!("the firmware's boot: {v}");
            }
            rig.platform.events().drain();
        }
        rig
    }

    /// Checks every host's log against its spec and empties the logs.
    pub fn check_hosts(&mut self) -> Result<(), String> {
        for w in &self.watched {
            let mut h = w.host.lock();
            let r = w.spec.check_log(h.log());
            h.clear_log();
            if let Err(v) = r {
                return Err(format!("{}: {v}", w.name));
            }
        }
        Ok(())
    }

    /// Every function's bus, device and function number as the guest
    /// reaches it now (empty for functions the bus numbers hide).
    pub fn reachable(&self) -> Vec<(u8, u8, u8)> {
        self.platform
            .function_ids()
            .filter_map(|id| self.platform.bdf(id))
            .map(|b| (b.bus, b.devfn.device(), b.devfn.function()))
            .collect()
    }
}
