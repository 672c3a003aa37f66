//! Q35 MCH host bridge, 00:00.0 (8086:29c0), as QEMU's `mch` presents it,
//! with PCIEXBAR decoded as the Intel datasheet says.
//!
//! Sources: QEMU `hw/pci-host/q35.c` (`mch_class_init`, `mch_reset`,
//! `mch_write_config`), `include/hw/pci-host/q35.h`; Intel 3-Series GMCH
//! datasheet 317607 (PCIEXBAR, TOLUD §5.1.33). Conventional function: 256
//! bytes of configuration space, no capabilities (as QEMU).

use super::header::TYPE0_CHIPSET;
use super::{HOOK_PCIEXBAR, Model, Role, set_identity};
use crate::ecam::decode_pciexbar;
use crate::function::Notify;
use crate::regs::*;
use vpcie_config::regs::*;
use vpcie_config::{ConfigSize, ConfigSpace, Reg, RegTable};

/// The MCH's own registers. Everything else in 0x40–0xff reads 0 and
/// ignores writes (QEMU makes it all writable RAM; the Intel part has RO 0
/// reserved bits).
pub const MCH_REGS: RegTable = &[
    //        offset size name                       writable     reset        source
    // PCIEXBAR: EN (0), LENGTH (2:1), base 35:26. Bits the length makes RO 0
    // are cleared by the hook. Reset as QEMU (0xB000_0000, disabled).
    Reg::emulated(0x60, 4, "PCIEXBAR (low)")
        .writable(0xfc00_0007)
        .value(MCH_HOST_BRIDGE_PCIEXBAR_DEFAULT as u32)
        .hook(HOOK_PCIEXBAR), // Intel 317607 p.91
    Reg::emulated(0x64, 4, "PCIEXBAR (high)")
        .writable(0x0000_000f)
        .hook(HOOK_PCIEXBAR), // base bits 35:32
    // PAM0 has only HIENABLE (5:4); PAM1–6 LOENABLE (1:0) and HIENABLE.
    Reg::emulated(0x90, 1, "PAM0").writable(0x30), // q35.h, pam_update
    Reg::emulated(0x91, 1, "PAM1").writable(0x33),
    Reg::emulated(0x92, 1, "PAM2").writable(0x33),
    Reg::emulated(0x93, 1, "PAM3").writable(0x33),
    Reg::emulated(0x94, 1, "PAM4").writable(0x33),
    Reg::emulated(0x95, 1, "PAM5").writable(0x33),
    Reg::emulated(0x96, 1, "PAM6").writable(0x33),
    // No SMM under vpcie: SMRAM/ESMRAMC read their reset values, RO.
    Reg::emulated(0x9d, 1, "SMRAM").value(MCH_HOST_BRIDGE_SMRAM_C_BASE_SEG), // q35.h
    Reg::emulated(0x9e, 1, "ESMRAMC").value(MCH_HOST_BRIDGE_ESMRAMC_DEFAULT), // q35.h
    // TOLUD: bits 15:4 = address bits 31:20; default 0010h (Intel §5.1.33).
    Reg::emulated(0xb0, 2, "TOLUD")
        .writable(0xfff0)
        .value(0x0010),
];

/// A Q35 MCH in its reset state.
pub fn mch() -> Model {
    let mut cfg = ConfigSpace::new(ConfigSize::Conventional);
    cfg.apply(0, TYPE0_CHIPSET).expect("static table");
    cfg.apply(0, MCH_REGS).expect("static table");
    set_identity(
        &mut cfg,
        PCI_VENDOR_ID_INTEL,
        PCI_DEVICE_ID_INTEL_Q35_MCH,
        0, // MCH_HOST_BRIDGE_REVISION_DEFAULT
        CLASS_BRIDGE_HOST,
    );
    cfg.set_u16(PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBVENDOR_ID_REDHAT_QUMRANET);
    cfg.set_u16(PCI_SUBSYSTEM_ID, PCI_SUBDEVICE_ID_QEMU);
    Model::new(cfg, "Q35 MCH host bridge", Role::Mch)
}

/// PCIEXBAR was written (or reset): keep only the bits the length allows
/// and tell the platform the window.
pub(crate) fn on_pciexbar_write(cfg: &mut ConfigSpace, notify: &mut Notify<'_>) {
    let lo = u64::from(cfg.get_u32(MCH_HOST_BRIDGE_PCIEXBAR));
    let hi = u64::from(cfg.get_u32(MCH_HOST_BRIDGE_PCIEXBAR + 4));
    let (masked, window) = decode_pciexbar(hi << 32 | lo);
    cfg.set_u32(MCH_HOST_BRIDGE_PCIEXBAR, masked as u32);
    cfg.set_u32(MCH_HOST_BRIDGE_PCIEXBAR + 4, (masked >> 32) as u32);
    notify.ecam_changed(window);
}
