//! Native hot-plug driven by a scripted guest that follows Linux's pciehp
//! (`drivers/pci/hotplug/pciehp_hpc.c`, `pciehp_ctrl.c`) through config
//! accesses only: probe (clear events, power off an empty slot, enable
//! notifications), the interrupt handler (read Slot Status, write the
//! events back, re-read in MSI mode), the button handler, enable slot
//! (power on, wait for Command Completed, wait for the link, read device 0,
//! enumerate) and disable slot (unbind, power off, indicator off). The
//! front end's side is the platform's hot-plug API.

use vpcie_config::regs::*;
use vpcie_platform::enumerate::assign_bus_numbers;
use vpcie_platform::models::endpoint::{EndpointOptions, endpoint};
use vpcie_platform::models::port::{PortOptions, root_port, switch_downstream, switch_upstream};
use vpcie_platform::spec::*;
use vpcie_platform::*;

const MSI_ADDR: u32 = 0xfee0_0000;
const MSI_DATA: u32 = 0x4051;

/// A port as the guest knows it: where it is and where its registers are.
#[derive(Clone, Copy, Debug)]
struct Port {
    bus: u8,
    dev: u8,
    func: u8,
    pcie: u16,
    msi: Option<u16>,
    id: FunctionId,
    secondary: u8,
}

fn find_cap(p: &mut Platform, bus: u8, dev: u8, func: u8, id: u8) -> Option<u16> {
    let mut at = p.config_read(bus, dev, func, PCI_CAPABILITY_LIST, 1) as u16;
    for _ in 0..48 {
        if at < 0x40 {
            return None;
        }
        if p.config_read(bus, dev, func, at, 1) as u8 == id {
            return Some(at);
        }
        at = p.config_read(bus, dev, func, at + 1, 1) as u16;
    }
    None
}

fn port_at(p: &mut Platform, bus: u8, dev: u8, func: u8) -> Port {
    let id = p
        .function_at(bus, Devfn::new(dev, func).unwrap())
        .expect("a port there");
    Port {
        bus,
        dev,
        func,
        pcie: find_cap(p, bus, dev, func, PCI_CAP_ID_EXP).unwrap(),
        msi: find_cap(p, bus, dev, func, PCI_CAP_ID_MSI),
        id,
        secondary: p.config_read(bus, dev, func, PCI_SECONDARY_BUS, 1) as u8,
    }
}

impl Port {
    fn read(&self, p: &mut Platform, reg: u16, size: u8) -> u32 {
        p.config_read(self.bus, self.dev, self.func, self.pcie + reg, size)
    }
    fn write(&self, p: &mut Platform, reg: u16, size: u8, value: u32) {
        p.config_write(self.bus, self.dev, self.func, self.pcie + reg, size, value);
    }
    fn sltsta(&self, p: &mut Platform) -> u16 {
        self.read(p, PCI_EXP_SLTSTA, 2) as u16
    }
    fn sltctl(&self, p: &mut Platform) -> u16 {
        self.read(p, PCI_EXP_SLTCTL, 2) as u16
    }
    fn lnksta(&self, p: &mut Platform) -> u16 {
        self.read(p, PCI_EXP_LNKSTA, 2) as u16
    }
    /// portdrv: bus mastering, then MSI with one vector.
    fn enable_msi(&self, p: &mut Platform) {
        let (b, d, f) = (self.bus, self.dev, self.func);
        p.config_write(b, d, f, PCI_COMMAND, 2, u32::from(PCI_COMMAND_MASTER));
        let msi = self.msi.expect("MSI capability");
        let flags = p.config_read(b, d, f, msi + PCI_MSI_FLAGS, 2) as u16;
        p.config_write(b, d, f, msi + PCI_MSI_ADDRESS_LO, 4, MSI_ADDR);
        let data_at = if flags & PCI_MSI_FLAGS_64BIT != 0 {
            p.config_write(b, d, f, msi + PCI_MSI_ADDRESS_HI, 4, 0);
            PCI_MSI_DATA_64
        } else {
            PCI_MSI_DATA_32
        };
        p.config_write(b, d, f, msi + data_at, 2, MSI_DATA);
        p.config_write(
            b,
            d,
            f,
            msi + PCI_MSI_FLAGS,
            2,
            u32::from(flags | PCI_MSI_FLAGS_ENABLE),
        );
    }
}

/// The MSIs the port sent since the last call (other events dropped).
fn msis(p: &mut Platform, port: &Port) -> usize {
    p.events()
        .drain()
        .iter()
        .filter(|e| {
            matches!(e, Event::Msi { function, address, data }
                if *function == port.id && *address == u64::from(MSI_ADDR) && *data == MSI_DATA)
        })
        .count()
}

/// pciehp's hot-plug controller state (`enum pciehp_state`, simplified).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Off,
    BlinkingOn,
    On,
    BlinkingOff,
}

/// A scripted pciehp bound to one port.
struct Pciehp {
    port: Port,
    cap: u32,
    state: State,
    /// Commands written (for checking Command Completed handling).
    commands: usize,
    /// The devfns found below after enabling.
    found: Option<u32>,
}

impl Pciehp {
    /// `pcie_init` + `pcie_enable_notification`.
    fn probe(p: &mut Platform, port: Port) -> Pciehp {
        let cap = port.read(p, PCI_EXP_SLTCAP, 4);
        assert_ne!(
            cap & PCI_EXP_SLTCAP_HPC,
            0,
            "pciehp binds only to HPC ports"
        );
        let mut hp = Pciehp {
            port,
            cap,
            state: if port.sltsta(p) & PCI_EXP_SLTSTA_PDS != 0 {
                State::On
            } else {
                State::Off
            },
            commands: 0,
            found: None,
        };
        // Clear all remaining event bits.
        port.write(
            p,
            PCI_EXP_SLTSTA,
            2,
            u32::from(
                PCI_EXP_SLTSTA_ABP
                    | PCI_EXP_SLTSTA_PFD
                    | PCI_EXP_SLTSTA_MRLSC
                    | PCI_EXP_SLTSTA_CC
                    | PCI_EXP_SLTSTA_DLLSC
                    | PCI_EXP_SLTSTA_PDC,
            ),
        );
        assert_eq!(port.sltsta(p) & 0x011f, 0, "events clear");
        // An empty powered slot is powered off.
        if hp.power_ctrl() && hp.state == State::Off && port.sltctl(p) & PCI_EXP_SLTCTL_PCC == 0 {
            hp.write_cmd(p, PCI_EXP_SLTCTL_PCC, PCI_EXP_SLTCTL_PCC);
        }
        let mut cmd = PCI_EXP_SLTCTL_DLLSCE | PCI_EXP_SLTCTL_HPIE;
        cmd |= if hp.cap & PCI_EXP_SLTCAP_ABP != 0 {
            PCI_EXP_SLTCTL_ABPE
        } else {
            PCI_EXP_SLTCTL_PDCE
        };
        if !hp.no_cmd_cmpl() {
            cmd |= PCI_EXP_SLTCTL_CCIE;
        }
        let mask = PCI_EXP_SLTCTL_PDCE
            | PCI_EXP_SLTCTL_ABPE
            | PCI_EXP_SLTCTL_PFDE
            | PCI_EXP_SLTCTL_HPIE
            | PCI_EXP_SLTCTL_CCIE
            | PCI_EXP_SLTCTL_DLLSCE;
        hp.write_cmd(p, cmd, mask);
        assert_eq!(port.sltctl(p) & mask, cmd, "notifications enabled");
        hp
    }

    fn power_ctrl(&self) -> bool {
        self.cap & PCI_EXP_SLTCAP_PCP != 0
    }

    fn no_cmd_cmpl(&self) -> bool {
        self.cap & PCI_EXP_SLTCAP_NCCS != 0
    }

    /// `pcie_do_write_cmd`: read-modify-write Slot Control, then (what
    /// `pcie_wait_cmd` does in poll mode) wait for Command Completed and
    /// clear it.
    fn write_cmd(&mut self, p: &mut Platform, cmd: u16, mask: u16) {
        let ctl = self.port.sltctl(p);
        self.port.write(
            p,
            PCI_EXP_SLTCTL,
            2,
            u32::from((ctl & !mask) | (cmd & mask)),
        );
        self.commands += 1;
        if self.no_cmd_cmpl() {
            return;
        }
        if self.port.sltsta(p) & PCI_EXP_SLTSTA_CC == 0 {
            // A slot that takes time: the front end completes it later.
            assert_eq!(p.complete_slot_commands(), 1, "a command was pending");
        }
        assert_ne!(
            self.port.sltsta(p) & PCI_EXP_SLTSTA_CC,
            0,
            "Command Completed"
        );
        self.port
            .write(p, PCI_EXP_SLTSTA, 2, u32::from(PCI_EXP_SLTSTA_CC));
    }

    /// `pciehp_isr`: the events pending now, cleared by writing them back;
    /// in MSI mode re-read until none is left.
    fn isr(&mut self, p: &mut Platform) -> u16 {
        let mut events = 0;
        for _ in 0..8 {
            let sta = self.port.sltsta(p)
                & (PCI_EXP_SLTSTA_ABP
                    | PCI_EXP_SLTSTA_PFD
                    | PCI_EXP_SLTSTA_PDC
                    | PCI_EXP_SLTSTA_CC
                    | PCI_EXP_SLTSTA_DLLSC);
            if sta == 0 {
                break;
            }
            events |= sta;
            self.port.write(p, PCI_EXP_SLTSTA, 2, u32::from(sta));
        }
        assert_eq!(self.port.sltsta(p) & 0x011f, 0, "all events acknowledged");
        events
    }

    /// `pciehp_ist` for `events`, with the 5 s button delay elapsed.
    fn ist(&mut self, p: &mut Platform, events: u16) {
        let events = events & !PCI_EXP_SLTSTA_CC;
        if events & PCI_EXP_SLTSTA_ABP != 0 {
            // pciehp_handle_button_press
            match self.state {
                State::Off => {
                    self.state = State::BlinkingOn;
                    self.indicators(
                        p,
                        Some(PCI_EXP_SLTCTL_IND_BLINK),
                        Some(PCI_EXP_SLTCTL_IND_OFF),
                    );
                    // ... 5 s later, pciehp_queue_pushbutton_work:
                    self.presence_or_link_change(p, PCI_EXP_SLTSTA_PDC);
                }
                State::On => {
                    self.state = State::BlinkingOff;
                    self.indicators(
                        p,
                        Some(PCI_EXP_SLTCTL_IND_BLINK),
                        Some(PCI_EXP_SLTCTL_IND_OFF),
                    );
                    // ... 5 s later: DISABLE_SLOT
                    self.disable_slot(p);
                    self.state = State::Off;
                }
                _ => {}
            }
        } else if events & (PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC) != 0 {
            self.presence_or_link_change(p, events);
        }
    }

    /// `pciehp_handle_presence_or_link_change`.
    fn presence_or_link_change(&mut self, p: &mut Platform, _events: u16) {
        if matches!(self.state, State::On | State::BlinkingOff) {
            // Link down or card gone: turn the slot off.
            self.disable_slot(p);
            self.state = State::Off;
        }
        let present = self.port.sltsta(p) & PCI_EXP_SLTSTA_PDS != 0;
        let link = self.port.lnksta(p) & PCI_EXP_LNKSTA_DLLLA != 0;
        if !present && !link {
            if self.state == State::BlinkingOn {
                self.state = State::Off;
                self.indicators(p, Some(PCI_EXP_SLTCTL_IND_OFF), None);
            }
            return;
        }
        if matches!(self.state, State::Off | State::BlinkingOn) {
            self.enable_slot(p);
        }
    }

    fn indicators(&mut self, p: &mut Platform, pwr: Option<u16>, attn: Option<u16>) {
        let (mut cmd, mut mask) = (0, 0);
        if let (Some(v), true) = (pwr, self.cap & PCI_EXP_SLTCAP_PIP != 0) {
            cmd |= v << PCI_EXP_SLTCTL_PIC_SHIFT;
            mask |= PCI_EXP_SLTCTL_PIC;
        }
        if let (Some(v), true) = (attn, self.cap & PCI_EXP_SLTCAP_AIP != 0) {
            cmd |= v << PCI_EXP_SLTCTL_AIC_SHIFT;
            mask |= PCI_EXP_SLTCTL_AIC;
        }
        if mask != 0 {
            self.write_cmd(p, cmd, mask);
        }
    }

    /// `pciehp_enable_slot` → `board_added`.
    fn enable_slot(&mut self, p: &mut Platform) {
        if self.power_ctrl() {
            self.write_cmd(p, 0, PCI_EXP_SLTCTL_PCC);
        }
        // pciehp_link_enable: clear Link Disable.
        let lnkctl = self.port.read(p, PCI_EXP_LNKCTL, 2) as u16;
        self.port
            .write(p, PCI_EXP_LNKCTL, 2, u32::from(lnkctl & !PCI_EXP_LNKCTL_LD));
        // pciehp_check_link_status: the link is up and device 0 answers.
        let lnksta = self.port.lnksta(p);
        assert_ne!(lnksta & PCI_EXP_LNKSTA_DLLLA, 0, "link up after power on");
        assert_eq!(lnksta & 0x0800, 0, "not training");
        assert_ne!(lnksta & 0x03f0, 0, "a negotiated width");
        let id = p.config_read(self.port.secondary, 0, 0, PCI_VENDOR_ID, 4);
        assert_ne!(id & 0xffff, 0xffff, "device 0 answers below the port");
        self.found = Some(id);
        // The link/presence events the power-on raised are consumed.
        let sta = self.port.sltsta(p) & (PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC);
        self.port.write(p, PCI_EXP_SLTSTA, 2, u32::from(sta));
        self.indicators(p, Some(PCI_EXP_SLTCTL_IND_ON), None);
        self.state = State::On;
    }

    /// `pciehp_disable_slot` → `remove_board`.
    fn disable_slot(&mut self, p: &mut Platform) {
        // pciehp_unconfigure_device: the driver lets go (decode off).
        let b = self.port.secondary;
        if p.config_read(b, 0, 0, PCI_VENDOR_ID, 2) != 0xffff {
            p.config_write(b, 0, 0, PCI_COMMAND, 2, 0);
        }
        if self.power_ctrl() {
            self.write_cmd(p, PCI_EXP_SLTCTL_PCC, PCI_EXP_SLTCTL_PCC);
            // Ignore link or presence changes caused by power off.
            let sta = self.port.sltsta(p) & (PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC);
            self.port.write(p, PCI_EXP_SLTSTA, 2, u32::from(sta));
        }
        self.indicators(p, Some(PCI_EXP_SLTCTL_IND_OFF), None);
        self.found = None;
    }

    /// Takes the interrupt (as the event said) and handles it.
    fn interrupt(&mut self, p: &mut Platform) -> u16 {
        let events = self.isr(p);
        self.ist(p, events);
        events
    }
}

/// Enumerates the endpoint at `bus`:00.0 the way the guest's PCI core does
/// after a hot-add: size BAR0, place it, enable memory decoding.
fn enumerate_endpoint(p: &mut Platform, bus: u8, at: u32) -> Event {
    p.config_write(bus, 0, 0, PCI_BASE_ADDRESS_0, 4, u32::MAX);
    let size = !(p.config_read(bus, 0, 0, PCI_BASE_ADDRESS_0, 4) & !0xf) + 1;
    assert!(
        size.is_power_of_two() && size >= 0x1000,
        "BAR0 sizes: {size:#x}"
    );
    p.config_write(bus, 0, 0, PCI_BASE_ADDRESS_0, 4, at);
    p.events().drain();
    p.config_write(bus, 0, 0, PCI_COMMAND, 2, u32::from(PCI_COMMAND_MEMORY));
    let ev = p.events().drain();
    *ev.iter()
        .find(|e| matches!(e, Event::BarChanged { .. }))
        .expect("the BAR decodes")
}

fn card(name: &str) -> Box<dyn Function> {
    Box::new(
        endpoint(&EndpointOptions {
            name: name.to_string(),
            device: 0x1234,
            ..EndpointOptions::default()
        })
        .unwrap(),
    )
}

/// Q35 with root ports at 1c.0 (hot-plug, `slot0`), 1c.1 (`slot1`), and a
/// switch below 1c.2 whose downstream port 00.0 is a native hot-plug slot.
fn platform(slot0: SlotOptions, slot1: SlotOptions) -> Platform {
    let mut b = PlatformBuilder::q35();
    for (f, slot, n) in [(0, slot0, 1), (1, slot1, 2), (2, SlotOptions::NONE, 3)] {
        let devfn = Devfn::new(0x1c, f).unwrap();
        let opts = PortOptions {
            port_number: f + 1,
            slot_number: n,
            slot,
            ..PortOptions::default()
        };
        let (_, bus) = b
            .place_bridge(
                BusId::ROOT,
                devfn,
                Box::new(root_port(devfn, opts)),
                BusKind::Link,
            )
            .unwrap();
        if f == 2 {
            let link = opts.link;
            let (_, internal) = b
                .place_bridge(
                    bus,
                    Devfn(0),
                    Box::new(switch_upstream(link)),
                    BusKind::SwitchInternal,
                )
                .unwrap();
            let dsp = PortOptions {
                port_number: 0,
                slot_number: 8,
                ..PortOptions::default()
            };
            b.place_bridge(
                internal,
                Devfn(0),
                Box::new(switch_downstream(dsp)),
                BusKind::Link,
            )
            .unwrap();
        }
    }
    let mut p = b.build().unwrap();
    assign_bus_numbers(&mut p);
    p.events().drain();
    p
}

#[test]
fn slot_registers_after_reset_are_qemus() {
    let mut p = platform(SlotOptions::NATIVE, SlotOptions::SURPRISE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    assert_eq!(rp.read(&mut p, PCI_EXP_SLTCAP, 4), 1 << 19 | 0x7b);
    assert_eq!(
        rp.sltctl(&mut p),
        0x07c0,
        "empty: power off, indicators off"
    );
    assert_eq!(rp.sltsta(&mut p), 0);
    assert_eq!(rp.lnksta(&mut p) & 0x2000, 0, "no link");
    let s = p.slot(rp.id).unwrap();
    assert!(!s.present && !s.powered && !s.link_up);
    assert_eq!(s.power_indicator, Some(Indicator::Off));
    let sp = port_at(&mut p, 0, 0x1c, 1);
    assert_eq!(
        sp.read(&mut p, PCI_EXP_SLTCAP, 4),
        2 << 19 | PCI_EXP_SLTCAP_HPC | PCI_EXP_SLTCAP_HPS | PCI_EXP_SLTCAP_NCCS,
        "surprise slot: no button, no power controller, no Command Completed"
    );
    // Controls without their capability are hardwired 0.
    sp.write(&mut p, PCI_EXP_SLTCTL, 2, 0xffff);
    assert_eq!(
        sp.sltctl(&mut p),
        PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_DLLSCE
    );
    assert_eq!(
        sp.sltsta(&mut p) & PCI_EXP_SLTSTA_CC,
        0,
        "no Command Completed"
    );
    // The non-hot-plug port keeps the old slot.
    let fixed = port_at(&mut p, 0, 0x1c, 2);
    assert_eq!(fixed.read(&mut p, PCI_EXP_SLTCAP, 4), 3 << 19);
    assert!(p.slot(fixed.id).is_none());
    assert_eq!(
        fixed.sltsta(&mut p) & PCI_EXP_SLTSTA_PDS,
        PCI_EXP_SLTSTA_PDS
    );
}

/// The full cycle on a slot with button and power controller, interrupts by
/// MSI: what Linux does with QEMU's slots.
#[test]
fn pciehp_hot_add_and_orderly_removal_by_msi() {
    let mut p = platform(SlotOptions::NATIVE, SlotOptions::SURPRISE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    let secondary = rp.secondary;
    let numbers = p.config_read(0, 0x1c, 0, PCI_PRIMARY_BUS, 4);
    rp.enable_msi(&mut p);
    let mut hp = Pciehp::probe(&mut p, rp);
    assert_eq!(hp.state, State::Off);
    // Enabling notifications is a command: Command Completed by MSI.
    assert_eq!(msis(&mut p, &rp), 1, "Command Completed interrupt");
    assert_eq!(p.config_read(secondary, 0, 0, 0, 4), u32::MAX, "empty slot");

    // The front end hot-adds a card.
    let id = p.hot_add(rp.id, card("hot card")).unwrap();
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::HotAdded {
            port: rp.id,
            function: id
        }),
        "{ev:?}"
    );
    let sent = ev
        .iter()
        .filter(|e| matches!(e, Event::Msi { function, .. } if *function == rp.id))
        .count();
    assert_eq!(
        sent, 1,
        "one MSI for Presence Detect Changed + Attention Button: {ev:?}"
    );
    assert_eq!(
        p.config_read(secondary, 0, 0, 0, 4),
        u32::MAX,
        "powered off: not reachable yet"
    );
    assert!(p.bdf(id).is_none());
    let s = p.slot(rp.id).unwrap();
    assert!(s.present && !s.powered && !s.link_up);
    // The guest takes the interrupt: button pressed, 5 s, power on.
    let events = hp.interrupt(&mut p);
    assert_eq!(events, PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC);
    assert_eq!(hp.state, State::On);
    assert_eq!(hp.found, Some(0x1234_1b36));
    assert_eq!(p.bdf(id).map(|b| b.bus), Some(secondary));
    let s = p.slot(rp.id).unwrap();
    assert!(s.powered && s.link_up);
    assert_eq!(s.power_indicator, Some(Indicator::On));
    assert_eq!(s.attention_indicator, Some(Indicator::Off));
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::SlotPower {
            port: rp.id,
            on: true
        }),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::LinkChanged { port, link: Some(_) } if *port == rp.id)),
        "{ev:?}"
    );
    // The PCI core enumerates it.
    let bar = enumerate_endpoint(&mut p, secondary, 0xfe00_0000);
    assert!(
        matches!(bar, Event::BarChanged { function, change } if function == id && change.new == Some(0xfe00_0000))
    );

    // Orderly removal: the front end presses the button.
    p.press_attention_button(rp.id).unwrap();
    assert_eq!(msis(&mut p, &rp), 1);
    assert!(
        matches!(p.hot_remove(rp.id), Err(HotplugError::SlotInUse { .. })),
        "still powered: the guest has not let go"
    );
    let events = hp.interrupt(&mut p);
    assert_eq!(events, PCI_EXP_SLTSTA_ABP);
    assert_eq!(hp.state, State::Off);
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::SlotPower {
            port: rp.id,
            on: false
        }),
        "{ev:?}"
    );
    assert!(
        ev.contains(&Event::LinkChanged {
            port: rp.id,
            link: None
        }),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::BarChanged { function, change } if *function == id && change.new.is_none())),
        "power off resets the card: its BAR stops decoding: {ev:?}"
    );
    assert_eq!(
        p.config_read(secondary, 0, 0, 0, 4),
        u32::MAX,
        "powered off"
    );
    // The guest powered off: the front end takes the card out.
    let removed = p.hot_remove(rp.id).unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].id, id);
    assert_eq!(removed[0].function.describe(), "hot card");
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::HotRemoved {
            port: rp.id,
            function: id,
            surprise: false
        }),
        "{ev:?}"
    );
    assert!(
        !ev.iter().any(|e| matches!(e, Event::Msi { .. })),
        "PDC is not enabled on a button slot: no interrupt"
    );
    assert_eq!(
        rp.sltsta(&mut p),
        PCI_EXP_SLTSTA_PDC,
        "not present, changed"
    );
    // Gone: master abort, nothing reachable, bus numbers as they were.
    assert_eq!(p.config_read(secondary, 0, 0, 0, 4), u32::MAX);
    assert!(p.function_mut(id).is_none());
    assert!(p.bdf(id).is_none());
    assert!(!p.function_ids().any(|f| f == id));
    assert_eq!(p.config_read(0, 0x1c, 0, PCI_PRIMARY_BUS, 4), numbers);
    assert!(matches!(
        p.hot_remove(rp.id),
        Err(HotplugError::SlotEmpty { .. })
    ));

    // And again: the slot takes a new card.
    let id2 = p.hot_add(rp.id, card("second card")).unwrap();
    assert_ne!(id2, id, "ids are not reused while there is room");
    hp.interrupt(&mut p);
    assert_eq!(hp.state, State::On);
    assert_eq!(p.config_read(secondary, 0, 0, 0, 4), 0x1234_1b36);
}

/// A surprise slot without button or power controller, interrupts by INTx:
/// presence brings the link up at once, removal takes it down.
#[test]
fn surprise_slot_by_intx() {
    let mut p = platform(SlotOptions::NATIVE, SlotOptions::SURPRISE);
    let sp = port_at(&mut p, 0, 0x1c, 1);
    let route = p.intx_route(sp.id).unwrap();
    let mut hp = Pciehp::probe(&mut p, sp);
    assert_eq!(hp.commands, 1);
    assert!(
        !p.pirq_asserted(route.link),
        "no Command Completed on this slot"
    );

    let id = p.hot_add(sp.id, card("u.2")).unwrap();
    assert!(p.pirq_asserted(route.link), "INTx asserted for PDC + DLLSC");
    assert_ne!(
        p.config_read(0, 0x1c, 1, PCI_STATUS, 2) as u16 & PCI_STATUS_INTERRUPT,
        0,
        "Interrupt Status"
    );
    let ev = p.events().drain();
    assert!(
        ev.iter().any(
            |e| matches!(e, Event::IrqLevel { link, asserted: true, .. } if *link == route.link)
        ),
        "{ev:?}"
    );
    let events = hp.isr(&mut p);
    assert_eq!(events, PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
    assert!(!p.pirq_asserted(route.link), "cleared: deasserted");
    hp.ist(&mut p, events);
    assert_eq!(hp.state, State::On);
    assert_eq!(p.config_read(sp.secondary, 0, 0, 0, 4), 0x1234_1b36);

    // INTx Disable holds the line low, Interrupt Status still shows it.
    let cmd = p.config_read(0, 0x1c, 1, PCI_COMMAND, 2);
    p.config_write(
        0,
        0x1c,
        1,
        PCI_COMMAND,
        2,
        cmd | u32::from(PCI_COMMAND_INTX_DISABLE),
    );
    let removed = p.surprise_remove(sp.id).unwrap();
    assert_eq!(removed.len(), 1);
    assert!(!p.pirq_asserted(route.link));
    assert_ne!(
        p.config_read(0, 0x1c, 1, PCI_STATUS, 2) as u16 & PCI_STATUS_INTERRUPT,
        0
    );
    p.config_write(0, 0x1c, 1, PCI_COMMAND, 2, cmd);
    assert!(
        p.pirq_asserted(route.link),
        "INTx Disable cleared: asserted"
    );
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::HotRemoved {
            port: sp.id,
            function: id,
            surprise: true
        }),
        "{ev:?}"
    );
    let events = hp.interrupt(&mut p);
    assert_eq!(events, PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
    assert_eq!(hp.state, State::Off);
    assert!(!p.pirq_asserted(route.link));
    assert_eq!(p.config_read(sp.secondary, 0, 0, 0, 4), u32::MAX);
}

/// Surprise removal of a powered card on a button slot, by MSI; a hot-add
/// on a switch downstream port (64-bit MSI, no INTx pin).
#[test]
fn surprise_removal_and_switch_slots() {
    let mut p = platform(SlotOptions::NATIVE, SlotOptions::NATIVE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    rp.enable_msi(&mut p);
    let mut hp = Pciehp::probe(&mut p, rp);
    msis(&mut p, &rp);
    p.hot_add(rp.id, card("a")).unwrap();
    hp.interrupt(&mut p);
    assert_eq!(hp.state, State::On);
    msis(&mut p, &rp);
    let removed = p.surprise_remove(rp.id).unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(msis(&mut p, &rp), 1, "Data Link Layer State Changed");
    // Presence Detect Changed is not enabled on a button slot; the link
    // change tells the guest.
    let events = hp.interrupt(&mut p);
    assert_eq!(events, PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
    assert_eq!(hp.state, State::Off);
    let s = p.slot(rp.id).unwrap();
    assert!(!s.present && !s.powered && !s.link_up);

    // The switch's downstream port: bus 0 → 1c.2 → 01:00.0 → 02:00.0.
    let dsp_bus = port_at(&mut p, 0, 0x1c, 2).secondary;
    let usp = port_at(&mut p, dsp_bus, 0, 0);
    let dsp = port_at(&mut p, usp.secondary, 0, 0);
    assert!(p.intx_route(dsp.id).is_none(), "xio3130: MSI only");
    dsp.enable_msi(&mut p);
    let mut hp2 = Pciehp::probe(&mut p, dsp);
    assert_eq!(msis(&mut p, &dsp), 1);
    let id = p.hot_add(dsp.id, card("behind a switch")).unwrap();
    assert_eq!(msis(&mut p, &dsp), 1);
    hp2.interrupt(&mut p);
    assert_eq!(hp2.state, State::On);
    assert_eq!(p.bdf(id).unwrap().bus, dsp.secondary);
    assert_eq!(p.config_read(dsp.secondary, 0, 0, 0, 4), 0x1234_1b36);
    assert!(msis(&mut p, &dsp) >= 2, "Command Completed of each command");
    // Bus Master Enable off: the port cannot write its MSI.
    p.config_write(dsp.bus, 0, 0, PCI_COMMAND, 2, 0);
    p.press_attention_button(dsp.id).unwrap();
    assert_eq!(msis(&mut p, &dsp), 0);
}

/// A slot that completes commands late: the driver waits for Command
/// Completed, which the front end signals.
#[test]
fn deferred_command_completed() {
    let slow = SlotOptions {
        command_completed: CommandCompleted::Deferred,
        ..SlotOptions::NATIVE
    };
    let mut p = platform(slow, SlotOptions::NONE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    rp.enable_msi(&mut p);
    let mut hp = Pciehp::probe(&mut p, rp);
    assert!(hp.commands >= 1);
    assert_eq!(
        msis(&mut p, &rp),
        1,
        "the completion interrupted when it came"
    );
    let ctl = rp.sltctl(&mut p);
    rp.write(&mut p, PCI_EXP_SLTCTL, 2, u32::from(ctl));
    assert!(p.slot(rp.id).unwrap().command_pending);
    assert_eq!(rp.sltsta(&mut p) & PCI_EXP_SLTSTA_CC, 0);
    assert_eq!(p.complete_slot_commands(), 1);
    assert_eq!(p.complete_slot_commands(), 0);
    assert_ne!(rp.sltsta(&mut p) & PCI_EXP_SLTSTA_CC, 0);
    hp.isr(&mut p);
    p.hot_add(rp.id, card("late")).unwrap();
    hp.interrupt(&mut p);
    assert_eq!(hp.state, State::On);
}

#[test]
fn hot_plug_errors_name_the_slot_and_give_the_card_back() {
    let mut p = platform(SlotOptions::NATIVE, SlotOptions::SURPRISE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    let fixed = port_at(&mut p, 0, 0x1c, 2);
    let e = p.hot_add(fixed.id, card("x")).unwrap_err();
    assert!(matches!(e.error, HotplugError::NotHotplugCapable { .. }));
    assert!(e.to_string().contains("00:1c.2"), "{e}");
    assert_eq!(e.functions.len(), 1, "the card comes back");
    let e = p
        .hot_add_card(rp.id, vec![(1, card("fn1 only"))])
        .unwrap_err();
    assert!(matches!(e.error, HotplugError::BadCard { .. }), "{e}");
    let e = p
        .hot_add_card(rp.id, vec![(0, card("a")), (0, card("b"))])
        .unwrap_err();
    assert!(matches!(e.error, HotplugError::BadCard { .. }), "{e}");
    let bridge = Box::new(switch_upstream(PortOptions::default().link));
    let e = p.hot_add(rp.id, bridge).unwrap_err();
    assert!(
        matches!(e.error, HotplugError::NotAnEndpoint { header_type: 1, .. }),
        "{e}"
    );
    let mch = p.mch().unwrap();
    assert!(matches!(
        p.hot_add(mch, card("x")).unwrap_err().error,
        HotplugError::NotHotplugCapable { .. }
    ));
    assert!(matches!(
        p.hot_add(FunctionId(9999), card("x")).unwrap_err().error,
        HotplugError::NoSuchPort(_)
    ));
    let sp = port_at(&mut p, 0, 0x1c, 1);
    assert!(matches!(
        p.press_attention_button(sp.id),
        Err(HotplugError::NoAttentionButton { .. })
    ));
    // Occupied.
    p.hot_add(rp.id, card("a")).unwrap();
    let e = p.hot_add(rp.id, card("b")).unwrap_err();
    assert!(matches!(e.error, HotplugError::SlotOccupied { .. }), "{e}");
    // A surprise slot without power controller: removable once the power
    // indicator is off — it has none, so only by surprise.
    p.hot_add(sp.id, card("c")).unwrap();
    assert!(matches!(
        p.hot_remove(sp.id),
        Err(HotplugError::SlotInUse { .. })
    ));
    assert_eq!(p.surprise_remove(sp.id).unwrap().len(), 1);
}

/// A multi-function card: function 0 reports multi-function, each function
/// gets its INTx route, all go at once.
#[test]
fn multi_function_card() {
    let mut p = platform(SlotOptions::SURPRISE, SlotOptions::NONE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    let ids = p
        .hot_add_card(rp.id, vec![(1, card("audio")), (0, card("gpu"))])
        .unwrap();
    assert_eq!(ids.len(), 2);
    let b = rp.secondary;
    assert_eq!(p.config_read(b, 0, 0, PCI_HEADER_TYPE, 1), 0x80);
    assert_eq!(p.config_read(b, 0, 1, PCI_VENDOR_ID, 2), 0x1b36);
    assert_eq!(
        p.bdf(ids[1]).unwrap().devfn,
        Devfn(1),
        "ids by function number"
    );
    // Device 0 INTA below 1c.0 → PIRQA.
    assert_eq!(p.intx_route(ids[0]).unwrap().link, intx::PirqLink(0));
    p.set_intx(ids[1], true);
    assert!(p.pirq_asserted(intx::PirqLink(0)));
    let removed = p.surprise_remove(rp.id).unwrap();
    assert_eq!(removed.len(), 2);
    assert!(
        !p.pirq_asserted(intx::PirqLink(0)),
        "a removed function's INTx drops"
    );
    assert_eq!(p.config_read(b, 0, 1, PCI_VENDOR_ID, 2), 0xffff);
}

/// Link Disable takes the link down (the card stays present), clearing it
/// brings it back; Data Link Layer Link Active follows.
#[test]
fn link_disable_follows() {
    let mut p = platform(SlotOptions::SURPRISE, SlotOptions::NONE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    p.hot_add(rp.id, card("a")).unwrap();
    rp.write(&mut p, PCI_EXP_SLTSTA, 2, 0xffff);
    p.events().drain();
    rp.write(&mut p, PCI_EXP_LNKCTL, 2, u32::from(PCI_EXP_LNKCTL_LD));
    assert_eq!(rp.lnksta(&mut p) & 0x2000, 0);
    assert_eq!(rp.sltsta(&mut p), PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_DLLSC);
    assert_eq!(p.config_read(rp.secondary, 0, 0, 0, 2), 0xffff);
    rp.write(&mut p, PCI_EXP_LNKCTL, 2, 0);
    assert_ne!(rp.lnksta(&mut p) & 0x2000, 0);
    assert_eq!(p.config_read(rp.secondary, 0, 0, 0, 2), 0x1b36);
    let ev = p.events().drain();
    let changes: Vec<_> = ev
        .iter()
        .filter(|e| matches!(e, Event::LinkChanged { .. }))
        .collect();
    assert_eq!(changes.len(), 2, "{ev:?}");
}

/// A system reset brings an occupied slot back powered with its link up; a
/// Secondary Bus Reset above a switch keeps its slots' cards.
#[test]
fn reset_keeps_cards_and_powers_occupied_slots() {
    let mut p = platform(SlotOptions::NATIVE, SlotOptions::NATIVE);
    let rp = port_at(&mut p, 0, 0x1c, 0);
    let id = p.hot_add(rp.id, card("a")).unwrap();
    assert!(!p.slot(rp.id).unwrap().powered);
    p.reset();
    assign_bus_numbers(&mut p);
    let s = p.slot(rp.id).unwrap();
    assert!(s.present && s.powered && s.link_up, "{s:?}");
    assert_eq!(
        rp.sltctl(&mut p),
        0x01c0,
        "occupied: power on, PIC on, AIC off (QEMU)"
    );
    assert_eq!(p.bdf(id).unwrap().bus, rp.secondary);
    assert_eq!(p.config_read(rp.secondary, 0, 0, 0, 4), 0x1234_1b36);
    // A guest that powers the slot off, then resets the port above nothing:
    rp.write(&mut p, PCI_EXP_SLTCTL, 2, 0x07c0);
    assert!(!p.slot(rp.id).unwrap().link_up);
    assert_eq!(p.config_read(rp.secondary, 0, 0, 0, 4), u32::MAX);
    p.reset();
    assign_bus_numbers(&mut p);
    assert!(
        p.slot(rp.id).unwrap().link_up,
        "reset: occupied slots power on"
    );
}
