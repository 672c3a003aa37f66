//! How real hardware answers configuration writes, for backends that only
//! have a description of a device (an lspci dump).
//!
//! These tables describe the *device*, not what a guest may do: which bits
//! software can write (RW), which it clears by writing 1 (RW1C), the rest
//! read-only. A dump backend built on them answers BAR sizing with the size
//! mask and keeps read-only bits, so that the guest policy above it is
//! exercised as on hardware. Bits outside these registers are read-only,
//! which is how most capability registers behave.

use crate::spec::*;
use vpcie_config::caps::{CapId, CapabilityList, ExtCapId};
use vpcie_config::regs::*;
use vpcie_config::{Bar, BarId, BitPolicy, ConfigSize, ConfigSpace, Reg, RegTable};

/// A read/write register of the device.
const fn rw(offset: u16, size: u8, name: &'static str, mask: u32) -> Reg {
    Reg::emulated(offset, size, name).writable(mask)
}

/// A register whose set bits the device clears when software writes 1.
const fn rw1c(offset: u16, size: u8, name: &'static str, mask: u32) -> Reg {
    Reg::emulated(offset, size, name).w1c(mask)
}

/// Type 0 header (PCI 3.0 §6.2; PCIe r6.x §7.5.1).
pub const HW_TYPE0: RegTable = &[
    // I/O, Memory, Bus Master, Parity Error Response, SERR#, INTx Disable.
    rw(0x04, 2, "Command", 0x0547),
    rw1c(0x06, 2, "Status", PCI_STATUS_ERROR_BITS as u32),
    rw(0x0c, 1, "Cache Line Size", 0xff),
    rw(0x3c, 1, "Interrupt Line", 0xff),
];

/// Power Management (PCI PM 1.2 §3.2.4).
pub const HW_PM: RegTable = &[Reg::emulated(0x04, 2, "PMCSR")
    .writable((PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_DATA_SEL_MASK) as u32)
    .w1c(PCI_PM_CTRL_PME_STATUS as u32)];

/// MSI-X (PCI 3.0 §6.8.2.3): Enable and Function Mask.
pub const HW_MSIX: RegTable = &[rw(
    0x02,
    2,
    "Message Control",
    (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) as u32,
)];

/// VPD (PCI 3.0 §6.4): address and flag, data.
pub const HW_VPD: RegTable = &[
    rw(0x02, 2, "VPD Address", 0xffff),
    rw(0x04, 4, "VPD Data", !0),
];

/// PCI Express capability of an endpoint (PCIe r6.x §7.5.3).
pub const HW_PCIE: RegTable = &[
    rw(0x08, 2, "Device Control", 0x7fff),
    rw1c(0x0a, 2, "Device Status", PCI_EXP_DEVSTA_ERRORS),
    rw(0x10, 2, "Link Control", 0x0fff),
];

/// The version 2 registers of the PCI Express capability.
pub const HW_PCIE_V2: RegTable = &[
    rw(0x28, 2, "Device Control 2", 0xffff),
    rw(0x30, 2, "Link Control 2", 0xffff),
];

/// Advanced Error Reporting (PCIe r6.x §7.8.4).
pub const HW_AER: RegTable = &[
    rw1c(0x04, 4, "Uncorrectable Error Status", PCI_ERR_UNC_DEFINED),
    rw(0x08, 4, "Uncorrectable Error Mask", PCI_ERR_UNC_DEFINED),
    rw(0x0c, 4, "Uncorrectable Error Severity", PCI_ERR_UNC_DEFINED),
    rw1c(0x10, 4, "Correctable Error Status", PCI_ERR_COR_DEFINED),
    rw(0x14, 4, "Correctable Error Mask", PCI_ERR_COR_DEFINED),
    rw(0x18, 4, "AER Capabilities and Control", PCI_ERR_CAP_RW),
];

/// Latency Tolerance Reporting (PCIe r6.x §7.8.2).
pub const HW_LTR: RegTable = &[
    rw(0x04, 2, "Max Snoop Latency", PCI_LTR_VALUE_SCALE),
    rw(0x06, 2, "Max No-Snoop Latency", PCI_LTR_VALUE_SCALE),
];

/// L1 PM Substates (PCIe r6.x §7.8.3).
pub const HW_L1SS: RegTable = &[
    rw(0x08, 4, "L1 PM Substates Control 1", PCI_L1SS_CTL1_RW),
    rw(0x0c, 4, "L1 PM Substates Control 2", PCI_L1SS_CTL2_RW),
];

/// Builds the device model: the dumped image with the hardware's write
/// behaviour, and BARs that answer sizing.
///
/// `bars[i]` is BAR i (0–5) and `bars[6]` the expansion ROM, as the dump
/// backend derived them. The image keeps the dumped BAR addresses.
pub fn build(config: &[u8], caps: &CapabilityList, bars: &[Option<Bar>; 7]) -> ConfigSpace {
    let size = if config.len() > PCI_CFG_SPACE_SIZE {
        ConfigSize::Extended
    } else {
        ConfigSize::Conventional
    };
    let mut cfg = ConfigSpace::new(size);
    cfg.load_image(0, config);
    let header_type = cfg.get_u8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    if header_type == PCI_HEADER_TYPE_NORMAL {
        let _ = cfg.apply(0, HW_TYPE0);
        for (slot, entry) in bars.iter().enumerate() {
            let Some(bar) = entry else {
                continue;
            };
            let (id, offset) = if slot == 6 {
                (BarId::Rom, PCI_ROM_ADDRESS)
            } else {
                (BarId::Bar(slot as u8), PCI_BASE_ADDRESS_0 + 4 * slot as u16)
            };
            let dumped = [cfg.get_u32(offset), cfg.get_u32(offset + 4)];
            if cfg.set_bar(id, *bar).is_err() {
                continue;
            }
            // The device keeps the address (and ROM enable) the host gave it.
            let dwords = if bar.kind == vpcie_config::BarKind::Memory64 {
                2
            } else {
                1
            };
            for (i, value) in dumped.iter().enumerate().take(dwords) {
                let at = offset + 4 * i as u16;
                let mask = cfg.policy(at).map_or(0, |p| p.writable);
                cfg.set_u32(at, (value & mask) | (cfg.get_u32(at) & !mask));
            }
        }
    }
    for cap in &caps.caps {
        let table: Option<RegTable> = match cap.cap_id() {
            Some(CapId::PowerManagement) => Some(HW_PM),
            Some(CapId::MsiX) => Some(HW_MSIX),
            Some(CapId::Vpd) => Some(HW_VPD),
            Some(CapId::PciExpress) => Some(HW_PCIE),
            Some(CapId::Msi) => {
                msi_model(&mut cfg, cap.offset);
                None
            }
            _ => None,
        };
        apply_within(&mut cfg, cap.offset, cap.len, table);
        if cap.cap_id() == Some(CapId::PciExpress) {
            apply_within(&mut cfg, cap.offset, cap.len, Some(HW_PCIE_V2));
        }
    }
    for cap in &caps.ext_caps {
        let table: Option<RegTable> = match cap.ext_cap_id() {
            Some(ExtCapId::Aer) => Some(HW_AER),
            Some(ExtCapId::Ltr) => Some(HW_LTR),
            Some(ExtCapId::L1PmSubstates) => Some(HW_L1SS),
            _ => None,
        };
        apply_within(&mut cfg, cap.offset, cap.len, table);
    }
    cfg.mark_reset_state();
    cfg
}

/// Applies `table` at `base` when all its registers fit in `len` bytes.
fn apply_within(cfg: &mut ConfigSpace, base: u16, len: u16, table: Option<RegTable>) {
    let Some(table) = table else { return };
    let fits = table.iter().all(|r| r.offset + u16::from(r.size) <= len);
    if fits {
        let _ = cfg.apply(base, table);
    }
}

/// MSI registers move with the 64-bit and per-vector-masking flags.
fn msi_model(cfg: &mut ConfigSpace, base: u16) {
    let flags = cfg.get_u16(base + PCI_MSI_FLAGS);
    let rw = |mask: u32| BitPolicy {
        writable: mask,
        ..BitPolicy::READ_ONLY
    };
    cfg.set_policy(
        base + PCI_MSI_FLAGS,
        2,
        rw((PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE) as u32),
    );
    cfg.set_policy(base + PCI_MSI_ADDRESS_LO, 4, rw(0xffff_fffc));
    let is64 = flags & PCI_MSI_FLAGS_64BIT != 0;
    let (data, mask) = if is64 {
        cfg.set_policy(base + PCI_MSI_ADDRESS_HI, 4, rw(!0));
        (PCI_MSI_DATA_64, PCI_MSI_MASK_64)
    } else {
        (PCI_MSI_DATA_32, PCI_MSI_MASK_32)
    };
    cfg.set_policy(base + data, 2, rw(0xffff));
    if flags & PCI_MSI_FLAGS_MASKBIT != 0 {
        cfg.set_policy(base + mask, 4, rw(!0));
    }
}
