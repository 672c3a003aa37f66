//! ICH9 LPC interface bridge, 00:1f.0 (8086:2918): PIRQ routing, PMBASE,
//! ACPI control.
//!
//! Sources: Intel ICH9 datasheet 316972 §13.1 (register names and masks;
//! PIRQx_ROUT layout identical in the ICH4/6-Series datasheets), QEMU
//! `hw/isa/lpc_ich9.c` (`ich9_lpc_reset`, `ich9_lpc_realize`) and
//! `include/hw/southbridge/ich9.h`. Conventional function, 256 bytes.

use super::header::TYPE0_CHIPSET;
use super::{HOOK_ACPI_PM, HOOK_PIRQ, Model, Role, set_identity};
use crate::regs::*;
use vpcie_config::regs::*;
use vpcie_config::{ConfigSize, ConfigSpace, Reg, RegTable};

/// PIRQx_ROUT: bit 7 IRQEN and bits 3:0 IRQ; bits 6:4 reserved RO 0
/// (QEMU: all writable).
pub const PIRQ_ROUT_WRITABLE: u32 = 0x8f;

/// The LPC's own registers. Everything else in 0x40–0xff reads 0 and
/// ignores writes.
pub const LPC_REGS: RegTable = &[
    //        offset size name                 writable      reset   source
    // PMBASE: bits 15:7 base (128-byte I/O block), bit 0 RTE = 1 (RO).
    // QEMU's wmask is 0000FF87 (ACPI_CNTL mask applied at the wrong offset).
    Reg::emulated(0x40, 4, "PMBASE")
        .writable(ICH9_LPC_PMBASE_BASE_ADDRESS_MASK)
        .value(ICH9_LPC_PMBASE_RTE)
        .hook(HOOK_ACPI_PM), // ICH9 §13.1.10
    // ACPI_CNTL: ACPI_EN (7), SCI_IRQ_SEL (2:0); 6:3 reserved.
    Reg::emulated(0x44, 1, "ACPI_CNTL")
        .writable(ICH9_LPC_ACPI_CTRL_ACPI_EN | ICH9_LPC_ACPI_CTRL_SCI_IRQ_SEL_MASK)
        .hook(HOOK_ACPI_PM), // ICH9 §13.1.11
    Reg::emulated(0x60, 1, "PIRQA_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ), // ICH9 §13.1.17
    Reg::emulated(0x61, 1, "PIRQB_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ),
    Reg::emulated(0x62, 1, "PIRQC_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ),
    Reg::emulated(0x63, 1, "PIRQD_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ),
    Reg::emulated(0x68, 1, "PIRQE_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ), // ICH9 §13.1.20
    Reg::emulated(0x69, 1, "PIRQF_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ),
    Reg::emulated(0x6a, 1, "PIRQG_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ),
    Reg::emulated(0x6b, 1, "PIRQH_ROUT")
        .writable(PIRQ_ROUT_WRITABLE)
        .value(ICH9_LPC_PIRQ_ROUT_DEFAULT)
        .hook(HOOK_PIRQ),
    // LPC I/O decode ranges: FDD (12), LPT (9:8), COMB (6:4), COMA (2:0).
    Reg::emulated(0x80, 2, "LPC_I/O_DEC").writable(0x1377), // ICH9 §13.1.22
    // LPC I/O enables: 13:8 and 3:0.
    Reg::emulated(0x82, 2, "LPC_EN").writable(0x3f0f), // ICH9 §13.1.23
    // Root Complex Base Address: stored; the chipset configuration
    // registers behind it are not emulated.
    Reg::emulated(0xf0, 4, "RCBA").writable(ICH9_LPC_RCBA_BA_MASK | ICH9_LPC_RCBA_EN), // §13.1.35
];

/// An ICH9 LPC bridge in its reset state.
pub fn lpc() -> Model {
    let mut cfg = ConfigSpace::new(ConfigSize::Conventional);
    cfg.apply(0, TYPE0_CHIPSET).expect("static table");
    cfg.apply(0, LPC_REGS).expect("static table");
    set_identity(
        &mut cfg,
        PCI_VENDOR_ID_INTEL,
        PCI_DEVICE_ID_INTEL_ICH9_8,
        0x02, // ICH9_A2_LPC_REVISION
        CLASS_BRIDGE_ISA,
    );
    cfg.set_u16(PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
    cfg.set_u16(PCI_SUBSYSTEM_ID, PCI_SUBDEVICE_ID_QEMU);
    let mut model = Model::new(cfg, "ICH9 LPC interface bridge", Role::Lpc);
    // D31 is multi-function on ICH9 (SATA, SMBus…); QEMU creates it so.
    model.always_multifunction = true;
    model.fixup();
    model.cfg.mark_reset_state();
    model
}

/// Where the ACPI PM I/O block decodes (ACPI_EN set) and the SCI's IRQ, from
/// PMBASE and ACPI_CNTL (SCI_IRQ_SEL: 000 IRQ9, 001 IRQ10, 010 IRQ11, 100
/// IRQ20, 101 IRQ21; the rest reserved — QEMU `ich9_lpc_sci_irq`).
pub fn acpi_pm(pmbase: u32, control: u32) -> (Option<u16>, Option<u8>) {
    let base = (control & ICH9_LPC_ACPI_CTRL_ACPI_EN != 0)
        .then_some((pmbase & ICH9_LPC_PMBASE_BASE_ADDRESS_MASK) as u16);
    let sci = match control & ICH9_LPC_ACPI_CTRL_SCI_IRQ_SEL_MASK {
        0 => Some(9),
        1 => Some(10),
        2 => Some(11),
        4 => Some(20),
        5 => Some(21),
        _ => None,
    };
    (base, sci)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acpi_decode() {
        assert_eq!(acpi_pm(0x0601, 0x80), (Some(0x600), Some(9)));
        assert_eq!(acpi_pm(0x0601, 0x00), (None, Some(9)));
        assert_eq!(acpi_pm(0xffff, 0x85), (Some(0xff80), Some(21)));
        assert_eq!(acpi_pm(0, 0x83), (Some(0), None));
    }
}
