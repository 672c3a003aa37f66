//! The control channel end to end against the simulated hypervisor: a
//! request changes the segment, the port's MSI goes out through
//! XEN_DMOP_inject_msi, and a simulated guest running Linux's port
//! services (pciehp, AER) answers with config accesses that come back as
//! ioreqs. What the guest sees is checked against the fixtures' own bytes.

use proptest::prelude::*;
use vpcie_firmware::{Bdf, ConfigAccess};
use vpcie_testkit::fixture;
use vpcie_xen::DomainConfig;
use vpcie_xen::control::{Control, Request};
use vpcie_xen::port_services::{GuestEvent, MSI_ADDRESS, MSI_DATA_BASE, PortServices};
use vpcie_xen::segment::{Segment, SegmentDispatch};
use vpcie_xen::server::IoreqServer;
use vpcie_xen::sim::{GuestConfig, Sim, SimTransport, Via};

const CFG: &str = r#"
name = "hotplug"
type = "hvm"
memory = 256
vcpus = 2
vpcie_segment = 1
vpcie_ecam_base = 0xe0000000
vpcie_mmio32 = "0xd0000000+256M"
vpcie_mmio64 = "0x4000000000+64G"
vpcie_root_ports = [ "rp0", "rp1,hotplug=1", "rp2,hotplug=1" ]
vpcie_pci = [ "0000:02:00.0,dump=FIX/d11_nvme_kingston-kc3000_4096.txt,port=rp0" ]
"#;

const ECAM: u64 = 0xe000_0000;

struct Rig {
    sim: Sim,
    srv: IoreqServer<SimTransport>,
    d: SegmentDispatch,
    control: Control,
    guest: PortServices,
}

fn fixture_dir() -> String {
    fixture("d11_").parent().unwrap().display().to_string()
}

/// The Vendor and Device ID dword of a fixture's first function.
fn fixture_id(prefix: &str) -> u32 {
    let text = std::fs::read_to_string(fixture(prefix)).unwrap();
    let f = &vpcie_config::lspci::parse(&text).unwrap()[0];
    u32::from_le_bytes(f.config()[0..4].try_into().unwrap())
}

fn entry(bdf: &str, prefix: &str) -> String {
    format!("{bdf},dump={}", fixture(prefix).display())
}

impl Rig {
    fn new() -> Rig {
        let cfg = DomainConfig::parse(&CFG.replace("FIX", &fixture_dir())).expect("parses");
        let seg = Segment::build(&cfg).expect("builds");
        let ranges = seg.layout.ranges();
        let control = Control::new(&seg.layout);
        let mut d = SegmentDispatch::new(seg.platform, seg.layout.segment, seg.layout.ecam);
        let (sim, t) = Sim::new(1, 2);
        let mut srv = IoreqServer::start(t, &ranges, 2).expect("starts");
        let ports: Vec<Bdf> = seg
            .layout
            .ports
            .iter()
            .map(|p| {
                let b = d.platform.bdf(p.id).expect("reachable");
                Bdf::new(b.bus, b.devfn.device(), b.devfn.function())
            })
            .collect();
        let below = [Bdf::new(1, 0, 0)];
        let (guest, problems) = {
            let mut g = GuestConfig::new(&sim, &mut srv, &mut d, Via::Ecam(ECAM), 2);
            PortServices::probe(&mut g, &ports, &below)
        };
        assert!(problems.is_empty(), "{problems:?}");
        let mut rig = Rig {
            sim,
            srv,
            d,
            control,
            guest,
        };
        assert_eq!(rig.deliver(), vec![], "a quiet segment after the probe");
        rig
    }

    /// MSIs to the guest until it settles, as the serve loop does.
    fn deliver(&mut self) -> Vec<GuestEvent> {
        let mut seen = Vec::new();
        for _ in 0..16 {
            self.control.after_guest(&mut self.d);
            let (msis, dropped) = self.d.take_msis();
            assert_eq!(dropped, 0);
            if msis.is_empty() {
                return seen;
            }
            for (addr, data) in msis {
                use vpcie_xen::Transport;
                self.srv
                    .transport()
                    .inject_msi(addr, data)
                    .expect("injected");
                let mut g =
                    GuestConfig::new(&self.sim, &mut self.srv, &mut self.d, Via::Ecam(ECAM), 2);
                seen.extend(self.guest.interrupt(&mut g, addr, data));
            }
        }
        panic!("the guest keeps getting interrupts: {seen:?}");
    }

    fn req(&mut self, line: &str) -> (Result<String, String>, Vec<GuestEvent>) {
        let r = self.control.handle_line(&mut self.d, line);
        (r, self.deliver())
    }

    fn guest(&mut self) -> GuestConfig<'_, SimTransport> {
        GuestConfig::new(&self.sim, &mut self.srv, &mut self.d, Via::Ecam(ECAM), 2)
    }

    fn secondary(&mut self, port: Bdf) -> u8 {
        self.guest().read(port, 0x19, 1) as u8
    }
}

const RP0: Bdf = Bdf::new(0, 1, 0);
const RP1: Bdf = Bdf::new(0, 2, 0);
const RP2: Bdf = Bdf::new(0, 3, 0);

#[test]
fn hot_add_then_orderly_removal_by_the_attention_button() {
    let mut rig = Rig::new();
    let bus = rig.secondary(RP1);
    assert_eq!(
        rig.guest().read(Bdf::new(bus, 0, 0), 0, 4),
        u32::MAX,
        "empty slot"
    );
    let nic = fixture_id("d18_");
    let probe_msis = rig.sim.msis().len();
    let (r, events) = rig.req(&format!("add rp1 {}", entry("0000:05:00.0", "d18_")));
    let reply = r.expect("added");
    assert!(
        reply.starts_with(&format!(
            "rp1: card added; 0001:{bus:02x}:00.0 {:04x}:{:04x}",
            nic & 0xffff,
            nic >> 16
        )),
        "{reply}"
    );
    assert_eq!(
        events,
        vec![GuestEvent::Appeared {
            port: RP1,
            at: Bdf::new(bus, 0, 0),
            id: nic
        }]
    );
    // The slot's interrupt went through XEN_DMOP_inject_msi with what the guest programmed.
    let msis = rig.sim.msis()[probe_msis..].to_vec();
    assert!(!msis.is_empty());
    assert!(
        msis.iter()
            .all(|&(a, d)| a == MSI_ADDRESS && d == MSI_DATA_BASE + 1),
        "{msis:?}"
    );
    // The card answers through ECAM, and the guest can use it.
    assert_eq!(rig.guest().read(Bdf::new(bus, 0, 0), 0, 4), nic);

    let (r, events) = rig.req("remove rp1");
    assert_eq!(
        r.unwrap(),
        "rp1: attention button pressed; the card leaves when the guest powers the slot off"
    );
    assert_eq!(
        events,
        vec![
            GuestEvent::PoweredOff { port: RP1 },
            GuestEvent::Disappeared { port: RP1 }
        ]
    );
    assert_eq!(rig.control.pending(), 0);
    assert_eq!(
        rig.guest().read(Bdf::new(bus, 0, 0), 0, 4),
        u32::MAX,
        "gone"
    );
    let status = rig.control.handle_line(&mut rig.d, "status").unwrap();
    assert!(
        status.contains(&format!(
            "rp1 0001:00:02.0 secondary bus {bus:02x}: slot empty, power off, link down"
        )),
        "{status}"
    );
    // The slot takes another card.
    let (r, events) = rig.req(&format!("add rp1 {}", entry("0000:05:00.0", "d11_")));
    r.expect("added again");
    assert!(
        matches!(events.as_slice(), [GuestEvent::Appeared { id, .. }] if *id == fixture_id("d11_"))
    );
    assert!(
        rig.sim.violations().is_empty(),
        "{:?}",
        rig.sim.violations()
    );
}

#[test]
fn surprise_removal_and_a_slot_the_guest_powered_off() {
    let mut rig = Rig::new();
    rig.req(&format!("add rp2 {}", entry("0000:05:00.0", "d18_")))
        .0
        .unwrap();
    let (r, events) = rig.req("remove rp2 surprise");
    assert_eq!(r.unwrap(), "rp2: card removed by surprise (1 function)");
    assert_eq!(events, vec![GuestEvent::Disappeared { port: RP2 }]);

    // The guest powers the slot off itself (`echo 0 > /sys/bus/pci/slots/N/power`):
    // the card may leave at once, no button needed.
    rig.req(&format!("add rp2 {}", entry("0000:05:00.0", "d18_")))
        .0
        .unwrap();
    let exp = 0x40; // found by reading the chain
    let mut exp_at = rig.guest().read(RP2, 0x34, 1) as u16;
    for _ in 0..16 {
        if rig.guest().read(RP2, exp_at, 1) == 0x10 {
            break;
        }
        exp_at = rig.guest().read(RP2, exp_at + 1, 1) as u16;
    }
    assert!(exp_at >= exp);
    let ctl = rig.guest().read(RP2, exp_at + 0x18, 2);
    rig.guest().write(RP2, exp_at + 0x18, 2, ctl | 0x0400);
    rig.deliver();
    let (r, _) = rig.req("remove rp2");
    assert_eq!(r.unwrap(), "rp2: card removed (1 function)");
    assert_eq!(rig.control.pending(), 0);
}

#[test]
fn errors_reach_the_guest_with_their_source_and_masks_hold() {
    let mut rig = Rig::new();
    let src = Bdf::new(1, 0, 0);
    let (r, events) = rig.req("aer 0001:01:00.0 correctable");
    assert_eq!(
        r.unwrap(),
        "0001:01:00.0: status bit 0x40 ERR_COR sent; logged by Root Port 0001:00:01.0, interrupt sent"
    );
    assert_eq!(
        events,
        vec![GuestEvent::Aer {
            port: RP0,
            source: src,
            severity: "Corrected",
            status: 0x40
        }]
    );
    let (r, events) = rig.req("aer 0001:01:00.0 uncorrectable");
    assert!(r.unwrap().contains("ERR_NONFATAL sent"));
    assert_eq!(
        events,
        vec![GuestEvent::Aer {
            port: RP0,
            source: src,
            severity: "Uncorrected (Non-Fatal)",
            status: 0x4000
        }]
    );
    // The severity the device's own register gives decides fatal or not.
    let aer = {
        let mut at = 0x100u16;
        loop {
            let h = rig.guest().read(src, at, 4);
            if h as u16 == 1 {
                break at;
            }
            at = (h >> 20) as u16;
            assert!(at >= 0x100, "the fixture has AER");
        }
    };
    let sever = rig.guest().read(src, aer + 0x0c, 4);
    let (r, events) = rig.req("aer 0001:01:00.0 uncorrectable malformed-tlp");
    let fatal = sever & 0x0004_0000 != 0;
    assert!(
        r.unwrap()
            .contains(if fatal { "ERR_FATAL" } else { "ERR_NONFATAL" })
    );
    assert!(
        matches!(events.as_slice(), [GuestEvent::Aer { severity, status: 0x0004_0000, .. }]
        if *severity == if fatal { "Uncorrected (Fatal)" } else { "Uncorrected (Non-Fatal)" })
    );
    // The guest masks Bad TLP: logged, no message, no interrupt.
    rig.guest().write(src, aer + 0x14, 4, 0x40);
    let (r, events) = rig.req("aer 0001:01:00.0 correctable bad-tlp");
    assert!(r.unwrap().contains("no message sent"));
    assert_eq!(events, vec![]);
    assert_eq!(
        rig.guest().read(src, aer + 0x10, 4) & 0x40,
        0x40,
        "logged in the status"
    );
    assert!(rig.sim.violations().is_empty());
}

#[test]
fn refusals_say_what_and_where() {
    let mut rig = Rig::new();
    let mut refused = |line: &str| rig.control.handle_line(&mut rig.d, line).unwrap_err();
    let nic = entry("0000:05:00.0", "d18_");
    assert!(refused(&format!("add rp0 {nic}")).contains("not a hot-plug slot"));
    assert_eq!(
        refused("remove rp9"),
        "no port `rp9`; the config names rp0, rp1, rp2"
    );
    assert_eq!(refused("remove rp1"), "rp1: the slot is empty");
    let sw = entry("0000:01:00.0", "d31_");
    let why = refused(&format!("add rp1 {sw}"));
    assert!(why.contains("is not an endpoint"), "{why}");
    assert!(refused("add rp1 0000:05:00.0,dump=/nonexistent").contains("cannot read /nonexistent"));
    assert!(
        refused("aer 0001:09:00.0 correctable")
            .contains("0001:09:00.0: no function answers there now")
    );
    assert!(refused("aer 0000:01:00.0 correctable").contains("serves segment 0001"));
    assert!(
        refused("aer 0001:01:00.0 correctable 0x3")
            .contains("not one correctable error status bit")
    );
    assert!(refused("aer 0001:01:00.0 fatal").contains("`correctable` or `uncorrectable`"));
    assert!(refused("aer 0001:01:00.0 uncorrectable nonsense").contains("completion-timeout"));
    assert!(refused("pme 0001:01:00.0").contains("cannot signal this"));
    assert!(refused("").contains("an empty request"));
    assert!(refused("status now").contains("takes nothing"));
    assert!(refused(&"x".repeat(9000)).contains("over 8192 bytes"));
    rig.req(&format!("add rp1 {nic}")).0.unwrap();
    assert!(
        rig.control
            .handle_line(&mut rig.d, &format!("add rp1 {nic}"))
            .unwrap_err()
            .contains("already holds a card")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Hostile request lines: a reply or a refusal, never a panic, and a
    /// refused line changes nothing the guest can see.
    #[test]
    fn any_request_line_is_answered(words in proptest::collection::vec(
        prop_oneof![
            Just("add".to_string()), Just("remove".to_string()), Just("aer".to_string()),
            Just("pme".to_string()), Just("status".to_string()), Just("surprise".to_string()),
            Just("rp1".to_string()), Just("rp0".to_string()), Just("0001:01:00.0".to_string()),
            Just("correctable".to_string()), Just("uncorrectable".to_string()),
            "[ -~]{0,24}",
        ],
        0..6,
    )) {
        let line = words.join(" ");
        let _ = Request::parse(&line);
        let mut rig = Rig::new();
        let before = rig.guest().read(RP1, 0x40, 4);
        if rig.control.handle_line(&mut rig.d, &line).is_err() {
            prop_assert_eq!(rig.d.take_msis().0.len(), 0);
            prop_assert_eq!(rig.guest().read(RP1, 0x40, 4), before);
        }
    }
}
