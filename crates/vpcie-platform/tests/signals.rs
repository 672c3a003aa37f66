//! Error and PME messages from endpoints to their Root Port, as a guest's
//! AER and PME port drivers (Linux `drivers/pci/pcie/aer.c`, `pme.c`) see
//! them: Root Error Status and Error Source Identification, Root Status
//! with the PME requester, the port's interrupt by MSI or INTx.

use vpcie_config::regs::*;
use vpcie_platform::enumerate::assign_bus_numbers;
use vpcie_platform::spec::*;
use vpcie_platform::*;

const AER: u16 = 0x100;
const RP_PCIE: u16 = 0x40;
const RP_MSI: u16 = 0x80;
const EP_PCIE: u16 = 0x70;
const EP_PM: u16 = 0x40;

/// rp1 (1c.0) ── 2-function endpoint with PME; rp2 (1c.1) ── switch ──
/// dsp ── endpoint.
const PLATFORM: &str = r#"
[[device]]
name = "rp1"
kind = "root-port"
at = "1c.0"

[[device]]
kind = "endpoint"
parent = "rp1"
at = "00.0"
pme = true

[[device]]
kind = "endpoint"
parent = "rp1"
at = "00.1"
pme = true

[[device]]
name = "rp2"
kind = "root-port"
at = "1c.1"

[[device]]
name = "up"
kind = "switch-upstream"
parent = "rp2"
at = "00.0"

[[device]]
name = "down"
kind = "switch-downstream"
parent = "up"
at = "00.0"

[[device]]
kind = "endpoint"
parent = "down"
at = "00.0"
"#;

fn platform() -> Platform {
    let mut p = PlatformDescription::from_toml(PLATFORM)
        .unwrap()
        .build()
        .unwrap();
    assign_bus_numbers(&mut p);
    // The LPC routes PIRQA to IRQ 11 (as SeaBIOS).
    p.config_write(0, 0x1f, 0, 0x60, 1, 11);
    p.events().drain();
    p
}

fn id(p: &Platform, bus: u8, dev: u8, func: u8) -> FunctionId {
    p.function_at(bus, Devfn::new(dev, func).unwrap()).unwrap()
}

fn msis(p: &mut Platform, port: FunctionId) -> usize {
    p.events()
        .drain()
        .iter()
        .filter(|e| matches!(e, Event::Msi { function, .. } if *function == port))
        .count()
}

/// Linux `pci_configure_serr` and `aer_enable_rootport`, plus the error
/// reporting enables of every device below.
fn enable_aer(p: &mut Platform, root: (u8, u8, u8), path: &[(u8, u8, u8)], endpoint: (u8, u8, u8)) {
    for &(b, d, f) in std::iter::once(&root).chain(path) {
        let ctl = p.config_read(b, d, f, PCI_BRIDGE_CONTROL, 2);
        p.config_write(
            b,
            d,
            f,
            PCI_BRIDGE_CONTROL,
            2,
            ctl | u32::from(PCI_BRIDGE_CTL_SERR),
        );
    }
    let (b, d, f) = root;
    p.config_write(b, d, f, AER + PCI_ERR_ROOT_STATUS, 4, u32::MAX);
    p.config_write(b, d, f, AER + PCI_ERR_ROOT_COMMAND, 4, 0x7);
    let (b, d, f) = endpoint;
    p.config_write(
        b,
        d,
        f,
        EP_PCIE + PCI_EXP_DEVCTL,
        2,
        u32::from(PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE),
    );
}

#[test]
fn pme_reaches_the_root_port_with_its_requester() {
    let mut p = platform();
    let rp = id(&p, 0, 0x1c, 0);
    let (fn0, fn1) = (id(&p, 1, 0, 0), id(&p, 1, 0, 1));
    // pcie_pme_probe: MSI, bus master, PME interrupt enable, status clear.
    p.config_write(0, 0x1c, 0, PCI_COMMAND, 2, u32::from(PCI_COMMAND_MASTER));
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_ADDRESS_LO, 4, 0xfee0_1000);
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_DATA_32, 2, 0x0031);
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_FLAGS, 2, 1);
    p.config_write(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME);
    p.config_write(
        0,
        0x1c,
        0,
        RP_PCIE + PCI_EXP_RTCTL,
        2,
        u32::from(PCI_EXP_RTCTL_PMEIE),
    );
    p.events().drain();

    // PME_En clear: PME_Status is set, nothing is sent.
    let o = p.signal_pme(fn0).unwrap();
    assert_eq!(o.signal, PmeSignal::Disabled);
    assert_eq!(o.delivery, Delivery::NotSent);
    let pmcsr = p.config_read(1, 0, 0, EP_PM + PCI_PM_CTRL, 2) as u16;
    assert_ne!(pmcsr & PCI_PM_CTRL_PME_STATUS, 0);
    p.config_write(
        1,
        0,
        0,
        EP_PM + PCI_PM_CTRL,
        2,
        u32::from(PCI_PM_CTRL_PME_STATUS),
    );
    assert_eq!(
        p.config_read(1, 0, 0, EP_PM + PCI_PM_CTRL, 2) as u16 & PCI_PM_CTRL_PME_STATUS,
        0,
        "RW1C"
    );
    assert_eq!(p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4), 0);

    // The guest enables PME on both functions (pci_enable_wake).
    for f in [0, 1] {
        p.config_write(
            1,
            0,
            f,
            EP_PM + PCI_PM_CTRL,
            2,
            u32::from(PCI_PM_CTRL_PME_ENABLE),
        );
    }
    let o = p.signal_pme(fn0).unwrap();
    assert_eq!(o.signal, PmeSignal::Sent);
    assert_eq!(
        o.delivery,
        Delivery::RootPort {
            port: rp,
            interrupt: true
        }
    );
    let rtsta = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4);
    assert_eq!(
        rtsta,
        PCI_EXP_RTSTA_PME | 0x0100,
        "PME Status, requester 01:00.0"
    );
    assert_eq!(msis(&mut p, rp), 1);
    // A second requester while one is logged: PME Pending, no new MSI.
    p.signal_pme(fn1).unwrap();
    let rtsta = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4);
    assert_eq!(rtsta, PCI_EXP_RTSTA_PME | PCI_EXP_RTSTA_PENDING | 0x0100);
    assert_eq!(msis(&mut p, rp), 0);
    // pcie_pme_irq: clear PME Status; the pending requester takes its place
    // and interrupts again.
    p.config_write(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME);
    let rtsta = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4);
    assert_eq!(
        rtsta,
        PCI_EXP_RTSTA_PME | 0x0101,
        "requester 01:00.1, nothing pending"
    );
    assert_eq!(msis(&mut p, rp), 1);
    p.config_write(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME);
    // The Requester ID stays; it is valid only with PME Status set (§7.5.3.14).
    assert_eq!(
        p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4),
        0x0101
    );
    assert_eq!(msis(&mut p, rp), 0);

    // INTx when MSI is off: the line follows PME Status.
    p.config_write(0, 0x1c, 0, RP_MSI + PCI_MSI_FLAGS, 2, 0);
    let link = p.intx_route(rp).unwrap().link;
    p.signal_pme(fn1).unwrap();
    assert!(p.pirq_asserted(link));
    p.config_write(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME);
    assert!(!p.pirq_asserted(link));
    // PME Interrupt Enable clear: logged, no interrupt.
    p.config_write(0, 0x1c, 0, RP_PCIE + PCI_EXP_RTCTL, 2, 0);
    let o = p.signal_pme(fn0).unwrap();
    assert_eq!(
        o.delivery,
        Delivery::RootPort {
            port: rp,
            interrupt: false
        }
    );
    assert!(!p.pirq_asserted(link));
    // Enabling it with PME Status set raises the line.
    p.config_write(
        0,
        0x1c,
        0,
        RP_PCIE + PCI_EXP_RTCTL,
        2,
        u32::from(PCI_EXP_RTCTL_PMEIE),
    );
    assert!(p.pirq_asserted(link));

    // A function without PME, an invalid id.
    let ep = id(&p, 4, 0, 0);
    assert!(matches!(
        p.signal_pme(ep),
        Err(SignalError::NotSupported(_))
    ));
    assert!(matches!(
        p.signal_pme(FunctionId(999)),
        Err(SignalError::NoSuchFunction(_))
    ));
}

#[test]
fn errors_reach_the_root_port_through_a_switch() {
    let mut p = platform();
    let rp2 = id(&p, 0, 0x1c, 1);
    let ep = id(&p, 4, 0, 0);
    let link = p.intx_route(rp2).unwrap().link;
    // Nothing enabled: logged in Device Status only.
    let o = p
        .inject_error(ep, PcieError::correctable(PCI_ERR_COR_BAD_TLP))
        .unwrap();
    assert_eq!(
        o,
        ErrorOutcome {
            message: None,
            delivery: Delivery::NotSent
        }
    );
    assert_eq!(
        p.config_read(4, 0, 0, EP_PCIE + PCI_EXP_DEVSTA, 2) as u16,
        PCI_EXP_DEVSTA_CED
    );
    // Device Control enables it, but no bridge forwards yet.
    p.config_write(
        4,
        0,
        0,
        EP_PCIE + PCI_EXP_DEVCTL,
        2,
        u32::from(PCI_EXP_DEVCTL_CERE),
    );
    let down = id(&p, 3, 0, 0);
    let o = p
        .inject_error(ep, PcieError::correctable(PCI_ERR_COR_BAD_TLP))
        .unwrap();
    assert_eq!(o.delivery, Delivery::Blocked { port: down });

    enable_aer(&mut p, (0, 0x1c, 1), &[(2, 0, 0), (3, 0, 0)], (4, 0, 0));
    // INTx (MSI off): ERR_COR.
    let o = p
        .inject_error(ep, PcieError::correctable(PCI_ERR_COR_RCVR))
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::Correctable));
    assert_eq!(
        o.delivery,
        Delivery::RootPort {
            port: rp2,
            interrupt: true
        }
    );
    assert!(p.pirq_asserted(link));
    let root = |p: &mut Platform, reg: u16| p.config_read(0, 0x1c, 1, AER + reg, 4);
    assert_eq!(root(&mut p, PCI_ERR_ROOT_STATUS), PCI_ERR_ROOT_COR_RCV);
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_ERR_SRC),
        0x0400,
        "ERR_COR source 04:00.0"
    );
    // A second one: Multiple ERR_COR Received, source kept.
    p.inject_error(ep, PcieError::correctable(PCI_ERR_COR_RCVR))
        .unwrap();
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_STATUS),
        PCI_ERR_ROOT_COR_RCV | PCI_ERR_ROOT_MULTI_COR_RCV
    );
    // Non-fatal (Completer Abort's default severity), then fatal (Malformed TLP).
    let o = p
        .inject_error(ep, PcieError::uncorrectable(PCI_ERR_UNC_COMP_ABORT))
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::NonFatal));
    let o = p
        .inject_error(ep, PcieError::uncorrectable(PCI_ERR_UNC_MALF_TLP))
        .unwrap();
    assert_eq!(o.message, Some(ErrorSeverity::Fatal));
    assert_eq!(
        root(&mut p, PCI_ERR_ROOT_STATUS),
        PCI_ERR_ROOT_COR_RCV
            | PCI_ERR_ROOT_MULTI_COR_RCV
            | PCI_ERR_ROOT_UNCOR_RCV
            | PCI_ERR_ROOT_MULTI_UNCOR_RCV
            | PCI_ERR_ROOT_NONFATAL_RCV
            | PCI_ERR_ROOT_FATAL_RCV,
        "no First Uncorrectable Fatal: the first was non-fatal"
    );
    assert_eq!(root(&mut p, PCI_ERR_ROOT_ERR_SRC), 0x0400_0400);
    assert_eq!(
        p.config_read(4, 0, 0, EP_PCIE + PCI_EXP_DEVSTA, 2) as u16,
        PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED
    );
    // Every bridge on the way noted the uncorrectable messages.
    for (b, d) in [(3u8, 0u8), (2, 0), (0, 0x1c)] {
        let f = if b == 0 { 1 } else { 0 };
        assert_ne!(
            p.config_read(b, d, f, PCI_SEC_STATUS, 2) as u16 & PCI_SEC_STATUS_RCV_SYSTEM_ERROR,
            0,
            "{b:02x}:{d:02x}.{f} Received System Error"
        );
    }
    // aer_irq: the guest clears Root Error Status by writing it back.
    let sta = root(&mut p, PCI_ERR_ROOT_STATUS);
    p.config_write(0, 0x1c, 1, AER + PCI_ERR_ROOT_STATUS, 4, sta);
    assert_eq!(root(&mut p, PCI_ERR_ROOT_STATUS), 0);
    assert!(!p.pirq_asserted(link), "cleared: INTx deasserted");
    // Root Error Command without the correctable enable: logged, no interrupt.
    p.config_write(0, 0x1c, 1, AER + PCI_ERR_ROOT_COMMAND, 4, 0x6);
    let o = p
        .inject_error(ep, PcieError::correctable(PCI_ERR_COR_RCVR))
        .unwrap();
    assert_eq!(
        o.delivery,
        Delivery::RootPort {
            port: rp2,
            interrupt: false
        }
    );
    assert!(!p.pirq_asserted(link));
    // Enabling it with the status logged interrupts (§6.2.4.1.2).
    p.config_write(0, 0x1c, 1, AER + PCI_ERR_ROOT_COMMAND, 4, 0x7);
    assert!(p.pirq_asserted(link));
    // Invalid errors are refused.
    for bad in [
        PcieError::correctable(0),
        PcieError::correctable(PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP),
        PcieError::correctable(PCI_ERR_UNC_DLP),
        PcieError::uncorrectable(1),
    ] {
        assert!(
            matches!(p.inject_error(ep, bad), Err(SignalError::InvalidError(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn a_powered_off_slot_cuts_its_function_off() {
    let mut p = platform();
    let rp1 = id(&p, 0, 0x1c, 0);
    let fn0 = id(&p, 1, 0, 0);
    // The guest powers the occupied slot off.
    let ctl = p.config_read(0, 0x1c, 0, RP_PCIE + PCI_EXP_SLTCTL, 2);
    p.config_write(
        0,
        0x1c,
        0,
        RP_PCIE + PCI_EXP_SLTCTL,
        2,
        ctl | u32::from(PCI_EXP_SLTCTL_PCC),
    );
    assert!(!p.slot(rp1).unwrap().link_up);
    assert!(matches!(
        p.inject_error(fn0, PcieError::correctable(PCI_ERR_COR_RCVR)),
        Err(SignalError::LinkDown(_))
    ));
    assert!(matches!(p.signal_pme(fn0), Err(SignalError::LinkDown(_))));
    assert_eq!(p.config_read(1, 0, 0, 0, 4), u32::MAX);
    p.config_write(0, 0x1c, 0, RP_PCIE + PCI_EXP_SLTCTL, 2, ctl);
    assert!(p.slot(rp1).unwrap().link_up);
    assert!(
        p.inject_error(fn0, PcieError::correctable(PCI_ERR_COR_RCVR))
            .is_ok()
    );
}
