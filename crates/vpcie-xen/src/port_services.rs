//! A simulated guest's PCIe port services: what Linux's portdrv, pciehp,
//! AER and PME drivers do with the ports of a segment, through config
//! accesses only ([`vpcie_firmware::ConfigAccess`], e.g. the ioreqs of
//! [`crate::sim::GuestConfig`]). It lets the simulated hypervisor run the
//! serve loop's hot-plug and error paths end to end, MSI by MSI.
//!
//! The steps follow `drivers/pci/hotplug/pciehp_hpc.c` and `pciehp_ctrl.c`
//! (probe: clear events, power an empty slot off, enable notifications;
//! interrupt: read Slot Status and write the events back; button: toggle
//! the slot (Linux waits 5 s first); enable: power on, wait for the link,
//! read device 0; disable: let go, power off, indicator off) and
//! `drivers/pci/pcie/aer.c` (Root Error Status, Error Source
//! Identification, the source's status cleared by write-1), `pme.c`
//! (Root Status). Every loop is bounded: a misbehaving emulation shows as
//! a [`GuestEvent::Problem`], never a hang.

use vpcie_config::regs::*;
use vpcie_firmware::{Bdf, ConfigAccess};
use vpcie_platform::spec::*;

/// MSI address the simulated guest programs (the local APIC's window).
pub const MSI_ADDRESS: u64 = 0xfee0_0000;
/// MSI data of the first port; the next ports count up.
pub const MSI_DATA_BASE: u32 = 0x4040;

/// Slot Status event bits pciehp handles.
const SLOT_EVENTS: u16 = PCI_EXP_SLTSTA_ABP
    | PCI_EXP_SLTSTA_PFD
    | PCI_EXP_SLTSTA_MRLSC
    | PCI_EXP_SLTSTA_PDC
    | PCI_EXP_SLTSTA_CC
    | PCI_EXP_SLTSTA_DLLSC;

/// What the simulated guest saw, as its kernel would log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestEvent {
    /// pciehp brought a card up: device 0 below `port` answers with `id`
    /// (vendor in the low half).
    Appeared {
        /// The port.
        port: Bdf,
        /// Where the card's function 0 is.
        at: Bdf,
        /// Its Vendor and Device ID.
        id: u32,
    },
    /// pciehp let go of a card (button) and powered the slot off.
    PoweredOff {
        /// The port.
        port: Bdf,
    },
    /// The card is gone (presence lost) with the slot off.
    Disappeared {
        /// The port.
        port: Bdf,
    },
    /// AER: the Root Port received an error message.
    Aer {
        /// The Root Port.
        port: Bdf,
        /// The requester the Root Port logged.
        source: Bdf,
        /// `Corrected`, `Uncorrected (Non-Fatal)` or `Uncorrected (Fatal)`.
        severity: &'static str,
        /// The source's AER status bits (correctable or uncorrectable).
        status: u32,
    },
    /// PME: the Root Port logged a PM_PME.
    Pme {
        /// The Root Port.
        port: Bdf,
        /// The requester.
        source: Bdf,
    },
    /// Something a real driver would complain about.
    Problem(String),
}

impl std::fmt::Display for GuestEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = |b: &Bdf| format!("{:02x}:{:02x}.{}", b.bus, b.device, b.function);
        match self {
            GuestEvent::Appeared { port, at, id } => write!(
                f,
                "pciehp {}: card appeared: {} [{:04x}:{:04x}]",
                b(port),
                b(at),
                id & 0xffff,
                id >> 16
            ),
            GuestEvent::PoweredOff { port } => {
                write!(f, "pciehp {}: button: slot powered off", b(port))
            }
            GuestEvent::Disappeared { port } => {
                write!(f, "pciehp {}: card disappeared", b(port))
            }
            GuestEvent::Aer {
                port,
                source,
                severity,
                status,
            } => write!(
                f,
                "aer {}: {severity} error received: {} (status {status:#010x})",
                b(port),
                b(source)
            ),
            GuestEvent::Pme { port, source } => {
                write!(f, "pme {}: PME from {}", b(port), b(source))
            }
            GuestEvent::Problem(s) => write!(f, "problem: {s}"),
        }
    }
}

/// pciehp's view of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotOn {
    Off,
    On,
}

/// One port as the port driver bound it.
#[derive(Debug, Clone)]
struct BoundPort {
    bdf: Bdf,
    exp: u16,
    aer: Option<u16>,
    root: bool,
    slot: Option<(u32, SlotOn)>,
    data: u32,
}

/// The simulated guest's port services over the ports of a segment.
#[derive(Debug, Clone, Default)]
pub struct PortServices {
    ports: Vec<BoundPort>,
}

fn find_cap(c: &mut dyn ConfigAccess, bdf: Bdf, id: u8) -> Option<u16> {
    if c.read(bdf, PCI_STATUS, 2) as u16 & PCI_STATUS_CAP_LIST == 0 {
        return None;
    }
    let mut at = c.read(bdf, PCI_CAPABILITY_LIST, 1) as u16 & 0xfc;
    for _ in 0..48 {
        if at < 0x40 {
            return None;
        }
        if c.read(bdf, at, 1) as u8 == id {
            return Some(at);
        }
        at = c.read(bdf, at + 1, 1) as u16 & 0xfc;
    }
    None
}

fn find_ext_cap(c: &mut dyn ConfigAccess, bdf: Bdf, id: u16) -> Option<u16> {
    let mut at = 0x100u16;
    for _ in 0..(4096 / 8) {
        let h = c.read(bdf, at, 4);
        if h == 0 || h == u32::MAX {
            return None;
        }
        if h as u16 == id {
            return Some(at);
        }
        at = (h >> 20) as u16 & 0xffc;
        if at < 0x100 {
            return None;
        }
    }
    None
}

fn requester(id: u32) -> Bdf {
    Bdf::new((id >> 8) as u8, (id >> 3) as u8 & 0x1f, id as u8 & 7)
}

impl PortServices {
    /// Binds the port services to `ports` (Root Ports and downstream
    /// ports, as the guest's enumeration found them): MSI with one vector
    /// each (data [`MSI_DATA_BASE`] + index), bus mastering and SERR#
    /// forwarding, pciehp on Hot-Plug Capable slots, AER and PME on Root
    /// Ports, error reporting on every function `below` them.
    pub fn probe(
        c: &mut dyn ConfigAccess,
        ports: &[Bdf],
        below: &[Bdf],
    ) -> (Self, Vec<GuestEvent>) {
        let mut out = PortServices::default();
        let mut events = Vec::new();
        for (i, &bdf) in ports.iter().enumerate() {
            let Some(exp) = find_cap(c, bdf, PCI_CAP_ID_EXP) else {
                events.push(GuestEvent::Problem(format!(
                    "{bdf:?}: no PCI Express capability"
                )));
                continue;
            };
            let data = MSI_DATA_BASE + i as u32;
            let Some(msi) = find_cap(c, bdf, PCI_CAP_ID_MSI) else {
                events.push(GuestEvent::Problem(format!("{bdf:?}: no MSI capability")));
                continue;
            };
            let cmd = c.read(bdf, PCI_COMMAND, 2) as u16;
            c.write(bdf, PCI_COMMAND, 2, u32::from(cmd | PCI_COMMAND_MASTER));
            let bctl = c.read(bdf, PCI_BRIDGE_CONTROL, 2) as u16;
            c.write(
                bdf,
                PCI_BRIDGE_CONTROL,
                2,
                u32::from(bctl | PCI_BRIDGE_CTL_SERR),
            );
            let flags = c.read(bdf, msi + PCI_MSI_FLAGS, 2) as u16;
            c.write(bdf, msi + PCI_MSI_ADDRESS_LO, 4, MSI_ADDRESS as u32);
            let data_at = if flags & PCI_MSI_FLAGS_64BIT != 0 {
                c.write(bdf, msi + PCI_MSI_ADDRESS_HI, 4, (MSI_ADDRESS >> 32) as u32);
                PCI_MSI_DATA_64
            } else {
                PCI_MSI_DATA_32
            };
            c.write(bdf, msi + data_at, 2, data);
            c.write(
                bdf,
                msi + PCI_MSI_FLAGS,
                2,
                u32::from(flags & !PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE),
            );
            let flags = c.read(bdf, exp + PCI_EXP_FLAGS, 2) as u16;
            let root = (flags & PCI_EXP_FLAGS_TYPE) >> 4 == u16::from(PCI_EXP_TYPE_ROOT_PORT);
            let sltcap = c.read(bdf, exp + PCI_EXP_SLTCAP, 4);
            let mut port = BoundPort {
                bdf,
                exp,
                aer: None,
                root,
                slot: None,
                data,
            };
            if flags & PCI_EXP_FLAGS_SLOT != 0 && sltcap & PCI_EXP_SLTCAP_HPC != 0 {
                port.slot = Some((sltcap, SlotOn::Off));
                pciehp_probe(c, &mut port, &mut events);
            }
            if root {
                // pme.c: PME interrupt on; aer.c: reporting on, then the Root Error Command.
                let rtctl = c.read(bdf, exp + PCI_EXP_RTCTL, 2) as u16;
                c.write(
                    bdf,
                    exp + PCI_EXP_RTCTL,
                    2,
                    u32::from(rtctl | PCI_EXP_RTCTL_PMEIE),
                );
                port.aer = find_ext_cap(c, bdf, PCI_EXT_CAP_ID_ERR);
                if let Some(aer) = port.aer {
                    let st = c.read(bdf, aer + PCI_ERR_ROOT_STATUS, 4);
                    c.write(bdf, aer + PCI_ERR_ROOT_STATUS, 4, st);
                    c.write(
                        bdf,
                        aer + PCI_ERR_ROOT_COMMAND,
                        4,
                        PCI_ERR_ROOT_CMD_COR_EN
                            | PCI_ERR_ROOT_CMD_NONFATAL_EN
                            | PCI_ERR_ROOT_CMD_FATAL_EN,
                    );
                }
            }
            out.ports.push(port);
        }
        for &f in ports.iter().chain(below) {
            enable_error_reporting(c, f);
        }
        (out, events)
    }

    /// The ports bound, in probe order.
    pub fn ports(&self) -> Vec<Bdf> {
        self.ports.iter().map(|p| p.bdf).collect()
    }

    /// Takes the MSI `(address, data)`: the port it belongs to runs its
    /// handlers. An MSI nobody programmed is a [`GuestEvent::Problem`].
    pub fn interrupt(
        &mut self,
        c: &mut dyn ConfigAccess,
        address: u64,
        data: u32,
    ) -> Vec<GuestEvent> {
        let mut events = Vec::new();
        let Some(port) = self
            .ports
            .iter_mut()
            .find(|p| address == MSI_ADDRESS && p.data == data)
        else {
            return vec![GuestEvent::Problem(format!(
                "an MSI nobody programmed: {address:#x}/{data:#x}"
            ))];
        };
        if port.slot.is_some() {
            pciehp_interrupt(c, port, &mut events);
        }
        if port.root {
            aer_interrupt(c, port, &mut events);
            pme_interrupt(c, port, &mut events);
        }
        events
    }
}

/// `pci_enable_pcie_error_reporting`: Device Control's four enables.
fn enable_error_reporting(c: &mut dyn ConfigAccess, f: Bdf) {
    if let Some(exp) = find_cap(c, f, PCI_CAP_ID_EXP) {
        let ctl = c.read(f, exp + PCI_EXP_DEVCTL, 2) as u16;
        c.write(
            f,
            exp + PCI_EXP_DEVCTL,
            2,
            u32::from(
                ctl | PCI_EXP_DEVCTL_CERE
                    | PCI_EXP_DEVCTL_NFERE
                    | PCI_EXP_DEVCTL_FERE
                    | PCI_EXP_DEVCTL_URRE,
            ),
        );
    }
}

fn sltsta(c: &mut dyn ConfigAccess, p: &BoundPort) -> u16 {
    c.read(p.bdf, p.exp + PCI_EXP_SLTSTA, 2) as u16
}

/// `pcie_do_write_cmd` (Command Completed is cleared when the slot reports it).
fn slot_cmd(c: &mut dyn ConfigAccess, p: &BoundPort, cmd: u16, mask: u16) {
    let ctl = c.read(p.bdf, p.exp + PCI_EXP_SLTCTL, 2) as u16;
    c.write(
        p.bdf,
        p.exp + PCI_EXP_SLTCTL,
        2,
        u32::from(ctl & !mask | cmd & mask),
    );
    if sltsta(c, p) & PCI_EXP_SLTSTA_CC != 0 {
        c.write(
            p.bdf,
            p.exp + PCI_EXP_SLTSTA,
            2,
            u32::from(PCI_EXP_SLTSTA_CC),
        );
    }
}

fn power_indicator(c: &mut dyn ConfigAccess, p: &BoundPort, cap: u32, v: u16) {
    if cap & PCI_EXP_SLTCAP_PIP != 0 {
        slot_cmd(c, p, v << PCI_EXP_SLTCTL_PIC_SHIFT, PCI_EXP_SLTCTL_PIC);
    }
}

fn pciehp_probe(c: &mut dyn ConfigAccess, p: &mut BoundPort, events: &mut Vec<GuestEvent>) {
    let Some((cap, _)) = p.slot else {
        return;
    };
    c.write(p.bdf, p.exp + PCI_EXP_SLTSTA, 2, u32::from(SLOT_EVENTS));
    let present = sltsta(c, p) & PCI_EXP_SLTSTA_PDS != 0;
    if !present && cap & PCI_EXP_SLTCAP_PCP != 0 {
        slot_cmd(c, p, PCI_EXP_SLTCTL_PCC, PCI_EXP_SLTCTL_PCC);
        power_indicator(c, p, cap, PCI_EXP_SLTCTL_IND_OFF);
    }
    let mut cmd = PCI_EXP_SLTCTL_DLLSCE | PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_PDCE;
    if cap & PCI_EXP_SLTCAP_ABP != 0 {
        cmd |= PCI_EXP_SLTCTL_ABPE;
    }
    if cap & PCI_EXP_SLTCAP_NCCS == 0 {
        cmd |= PCI_EXP_SLTCTL_CCIE;
    }
    let mask = PCI_EXP_SLTCTL_PDCE
        | PCI_EXP_SLTCTL_ABPE
        | PCI_EXP_SLTCTL_PFDE
        | PCI_EXP_SLTCTL_HPIE
        | PCI_EXP_SLTCTL_CCIE
        | PCI_EXP_SLTCTL_DLLSCE;
    slot_cmd(c, p, cmd, mask);
    if c.read(p.bdf, p.exp + PCI_EXP_SLTCTL, 2) as u16 & mask != cmd {
        events.push(GuestEvent::Problem(format!(
            "{:?}: Slot Control did not keep the notification enables",
            p.bdf
        )));
    }
    if present {
        p.slot = Some((cap, SlotOn::On));
    }
}

fn secondary(c: &mut dyn ConfigAccess, p: &BoundPort) -> u8 {
    c.read(p.bdf, PCI_SECONDARY_BUS, 1) as u8
}

fn pciehp_interrupt(c: &mut dyn ConfigAccess, p: &mut BoundPort, events: &mut Vec<GuestEvent>) {
    let Some((cap, state)) = p.slot else {
        return;
    };
    // pciehp_isr: acknowledge until nothing is left (bounded).
    let mut got = 0u16;
    for _ in 0..8 {
        let sta = sltsta(c, p) & SLOT_EVENTS;
        if sta == 0 {
            break;
        }
        got |= sta;
        c.write(p.bdf, p.exp + PCI_EXP_SLTSTA, 2, u32::from(sta));
    }
    let got = got & !PCI_EXP_SLTSTA_CC;
    if got == 0 {
        return;
    }
    let present = sltsta(c, p) & PCI_EXP_SLTSTA_PDS != 0;
    match state {
        SlotOn::On if got & PCI_EXP_SLTSTA_ABP != 0 && present => {
            // The button on a powered slot: (after 5 s) disable the slot.
            let b = secondary(c, p);
            for f in 0..8 {
                let at = Bdf::new(b, 0, f);
                if c.read(at, PCI_VENDOR_ID, 2) != 0xffff {
                    c.write(at, PCI_COMMAND, 2, 0);
                }
            }
            if cap & PCI_EXP_SLTCAP_PCP != 0 {
                slot_cmd(c, p, PCI_EXP_SLTCTL_PCC, PCI_EXP_SLTCTL_PCC);
            }
            power_indicator(c, p, cap, PCI_EXP_SLTCTL_IND_OFF);
            // The link drop the power-off caused is no news.
            let sta = sltsta(c, p) & (PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC);
            c.write(p.bdf, p.exp + PCI_EXP_SLTSTA, 2, u32::from(sta));
            p.slot = Some((cap, SlotOn::Off));
            events.push(GuestEvent::PoweredOff { port: p.bdf });
        }
        SlotOn::On if !present => {
            // Surprise: the card went while the slot was on.
            p.slot = Some((cap, SlotOn::Off));
            events.push(GuestEvent::Disappeared { port: p.bdf });
        }
        SlotOn::Off if present => {
            // Presence (or the button) on an empty-powered slot: enable it.
            if cap & PCI_EXP_SLTCAP_PCP != 0 {
                slot_cmd(c, p, 0, PCI_EXP_SLTCTL_PCC);
            }
            // pcie_wait_for_link: a bounded poll of Data Link Layer Link Active.
            let mut up = false;
            for _ in 0..100 {
                if c.read(p.bdf, p.exp + PCI_EXP_LNKSTA, 2) as u16 & PCI_EXP_LNKSTA_DLLLA != 0 {
                    up = true;
                    break;
                }
            }
            let at = Bdf::new(secondary(c, p), 0, 0);
            let id = c.read(at, PCI_VENDOR_ID, 4);
            if !up || id & 0xffff == 0xffff {
                events.push(GuestEvent::Problem(format!(
                    "{:?}: link {} and device 0 {} after power on",
                    p.bdf,
                    if up { "up" } else { "down" },
                    if id & 0xffff == 0xffff {
                        "absent"
                    } else {
                        "present"
                    }
                )));
                return;
            }
            let sta = sltsta(c, p) & (PCI_EXP_SLTSTA_DLLSC | PCI_EXP_SLTSTA_PDC);
            c.write(p.bdf, p.exp + PCI_EXP_SLTSTA, 2, u32::from(sta));
            power_indicator(c, p, cap, PCI_EXP_SLTCTL_IND_ON);
            enable_error_reporting(c, at);
            p.slot = Some((cap, SlotOn::On));
            events.push(GuestEvent::Appeared {
                port: p.bdf,
                at,
                id,
            });
        }
        SlotOn::Off if got & PCI_EXP_SLTSTA_PDC != 0 => {
            events.push(GuestEvent::Disappeared { port: p.bdf });
        }
        _ => {}
    }
}

fn aer_interrupt(c: &mut dyn ConfigAccess, p: &BoundPort, events: &mut Vec<GuestEvent>) {
    let Some(aer) = p.aer else {
        return;
    };
    let st = c.read(p.bdf, aer + PCI_ERR_ROOT_STATUS, 4);
    if st & (PCI_ERR_ROOT_COR_RCV | PCI_ERR_ROOT_UNCOR_RCV) == 0 {
        return;
    }
    let src = c.read(p.bdf, aer + PCI_ERR_ROOT_ERR_SRC, 4);
    c.write(p.bdf, aer + PCI_ERR_ROOT_STATUS, 4, st);
    if st & PCI_ERR_ROOT_COR_RCV != 0 {
        let source = requester(src & PCI_ERR_ROOT_ERR_SRC_COR);
        let status = clear_source(c, source, PCI_ERR_COR_STATUS);
        events.push(GuestEvent::Aer {
            port: p.bdf,
            source,
            severity: "Corrected",
            status,
        });
    }
    if st & PCI_ERR_ROOT_UNCOR_RCV != 0 {
        let source = requester((src & PCI_ERR_ROOT_ERR_SRC_UNCOR) >> 16);
        let status = clear_source(c, source, PCI_ERR_UNCOR_STATUS);
        let severity = if st & PCI_ERR_ROOT_FATAL_RCV != 0 {
            "Uncorrected (Fatal)"
        } else {
            "Uncorrected (Non-Fatal)"
        };
        events.push(GuestEvent::Aer {
            port: p.bdf,
            source,
            severity,
            status,
        });
    }
}

/// Reads and clears (write-1) the source's AER status register `reg`.
fn clear_source(c: &mut dyn ConfigAccess, source: Bdf, reg: u16) -> u32 {
    let Some(aer) = find_ext_cap(c, source, PCI_EXT_CAP_ID_ERR) else {
        return 0;
    };
    let status = c.read(source, aer + reg, 4);
    c.write(source, aer + reg, 4, status);
    if let Some(exp) = find_cap(c, source, PCI_CAP_ID_EXP) {
        // Device Status error bits are RW1C too.
        let ds = c.read(source, exp + PCI_EXP_DEVSTA, 2);
        c.write(source, exp + PCI_EXP_DEVSTA, 2, ds & 0xf);
    }
    status
}

fn pme_interrupt(c: &mut dyn ConfigAccess, p: &BoundPort, events: &mut Vec<GuestEvent>) {
    let rtsta = c.read(p.bdf, p.exp + PCI_EXP_RTSTA, 4);
    if rtsta & PCI_EXP_RTSTA_PME == 0 {
        return;
    }
    c.write(p.bdf, p.exp + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME);
    let source = requester(rtsta & PCI_EXP_RTSTA_PME_RQ_ID);
    if let Some(pm) = find_cap(c, source, PCI_CAP_ID_PM) {
        let ctl = c.read(source, pm + PCI_PM_CTRL, 2);
        c.write(
            source,
            pm + PCI_PM_CTRL,
            2,
            ctl | u32::from(PCI_PM_CTRL_PME_STATUS),
        );
    }
    events.push(GuestEvent::Pme {
        port: p.bdf,
        source,
    });
}
