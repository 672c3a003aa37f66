//! A plain emulated endpoint for tests and default platforms: IDs, class,
//! BARs and an interrupt pin as configured; PM, MSI (64-bit) and, where it
//! sits below a PCI Express port, a PCI Express capability (Endpoint type).
//!
//! Default identity: QEMU's PCI test device (1b36:0005), which lspci names.

use super::caps::*;
use super::header::TYPE0_ENDPOINT;
use super::{Model, Role, set_identity, set_pcie};
use crate::function::{Link, LinkSpeed};
use crate::regs::*;
use vpcie_config::regs::*;
use vpcie_config::{Bar, BarError, BarId, ConfigSize, ConfigSpace};

/// How an endpoint looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointOptions {
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID.
    pub device: u16,
    /// Revision ID.
    pub revision: u8,
    /// Class code (base class, subclass, programming interface).
    pub class: u32,
    /// Subsystem vendor and device.
    pub subsystem: (u16, u16),
    /// BARs.
    pub bars: Vec<(BarId, Bar)>,
    /// Interrupt Pin: 0 none, 1–4 INTA–INTD.
    pub interrupt_pin: u8,
    /// PCI Express (extended config, PCIe capability) or conventional PCI.
    pub pcie: bool,
    /// Link the endpoint's port trains (PCI Express only).
    pub link: Link,
    /// Signals PME (PME_Support D0 and D3hot, PME_En writable).
    pub pme: bool,
    /// A name for dumps.
    pub name: String,
}

impl Default for EndpointOptions {
    fn default() -> Self {
        EndpointOptions {
            vendor: PCI_VENDOR_ID_REDHAT,
            device: PCI_DEVICE_ID_REDHAT_TEST,
            revision: 0,
            class: 0x00_ff00, // unclassified device, subclass 0xff
            subsystem: (PCI_SUBVENDOR_ID_REDHAT_QUMRANET, PCI_SUBDEVICE_ID_QEMU),
            bars: vec![(BarId::Bar(0), Bar::memory32(0x1000, false))],
            interrupt_pin: 1,
            pcie: true,
            link: Link {
                speed: LinkSpeed::GT2_5,
                width: 1,
            },
            pme: false,
            name: "test endpoint".to_string(),
        }
    }
}

/// An endpoint in its reset state; fails if a BAR is not valid.
pub fn endpoint(opts: &EndpointOptions) -> Result<Model, BarError> {
    let size = if opts.pcie {
        ConfigSize::Extended
    } else {
        ConfigSize::Conventional
    };
    let mut cfg = ConfigSpace::new(size);
    cfg.apply(0, TYPE0_ENDPOINT).expect("static table");
    set_identity(
        &mut cfg,
        opts.vendor,
        opts.device,
        opts.revision,
        opts.class,
    );
    cfg.set_u16(PCI_SUBSYSTEM_VENDOR_ID, opts.subsystem.0);
    cfg.set_u16(PCI_SUBSYSTEM_ID, opts.subsystem.1);
    cfg.set_u8(PCI_INTERRUPT_PIN, opts.interrupt_pin.min(4));
    for &(id, bar) in &opts.bars {
        cfg.set_bar(id, bar)?;
    }
    const PM_AT: u16 = 0x40;
    const MSI: u16 = 0x50;
    const PCIE: u16 = 0x70;
    let mut layout = Layout::new(&mut cfg);
    let pm = if opts.pme { PM_PME } else { PM };
    layout
        .cap(PM_AT, PCI_CAP_ID_PM, pm)
        .cap(MSI, PCI_CAP_ID_MSI, MSI_64);
    if opts.pcie {
        layout.cap(PCIE, PCI_CAP_ID_EXP, PCIE_CAP_COMMON);
        set_pcie(&mut cfg, PCIE, PCI_EXP_TYPE_ENDPOINT, false, opts.link, 0);
    }
    let mut model = Model::new(cfg, opts.name.clone(), Role::Other);
    if opts.pme {
        model.pme = Some(PM_AT);
    }
    if opts.pcie {
        model.link.pcie = Some(PCIE);
        model.link.upstream_cap = Some(opts.link);
    }
    model.fixup();
    model.cfg.mark_reset_state();
    Ok(model)
}
