//! Q35 / ICH9 register offsets, bits and IDs, named as QEMU's
//! `include/hw/pci-host/q35.h` and `include/hw/southbridge/ich9.h` and the
//! Intel datasheets name them. Common PCI/PCIe constants live in
//! `vpcie_config::regs`.

// ---------------------------------------------------------------------------
// Vendor and device IDs (pci.ids; QEMU include/hw/pci/pci_ids.h)
// ---------------------------------------------------------------------------

pub const PCI_VENDOR_ID_INTEL: u16 = 0x8086;
pub const PCI_VENDOR_ID_TI: u16 = 0x104c;
pub const PCI_VENDOR_ID_REDHAT: u16 = 0x1b36;
/// Subsystem vendor QEMU gives its models (PCI_SUBVENDOR_ID_REDHAT_QUMRANET).
pub const PCI_SUBVENDOR_ID_REDHAT_QUMRANET: u16 = 0x1af4;
/// Subsystem device QEMU gives its models (PCI_SUBDEVICE_ID_QEMU).
pub const PCI_SUBDEVICE_ID_QEMU: u16 = 0x1100;

/// 82G33/P35 DRAM controller: the ID QEMU's Q35 MCH uses (no IGD).
pub const PCI_DEVICE_ID_INTEL_Q35_MCH: u16 = 0x29c0;
/// 82801IB (ICH9) LPC interface controller.
pub const PCI_DEVICE_ID_INTEL_ICH9_8: u16 = 0x2918;
/// ICH9 PCI Express Root Port 1 (D28:F0); ports 2–6 follow in steps of 2.
pub const PCI_DEVICE_ID_INTEL_ICH9_RP1: u16 = 0x2940;
/// Number of ICH9 root ports (D28:F0–F5).
pub const ICH9_ROOT_PORTS: u8 = 6;
/// QEMU's generic PCIe Root Port (used where ICH9 has no port: F6, F7, other devices).
pub const PCI_DEVICE_ID_REDHAT_PCIE_RP: u16 = 0x000c;
/// QEMU's PCIe-to-PCI bridge.
pub const PCI_DEVICE_ID_REDHAT_PCIE_BRIDGE: u16 = 0x000e;
/// QEMU's PCI test device (our plain test endpoint borrows it).
pub const PCI_DEVICE_ID_REDHAT_TEST: u16 = 0x0005;
/// TI XIO3130 switch upstream port (QEMU `x3130-upstream`).
pub const PCI_DEVICE_ID_TI_XIO3130U: u16 = 0x8232;
/// TI XIO3130 switch downstream port (QEMU `xio3130-downstream`).
pub const PCI_DEVICE_ID_TI_XIO3130D: u16 = 0x8233;

/// Class code (base, sub, prog-if) of a host bridge.
pub const CLASS_BRIDGE_HOST: u32 = 0x06_00_00;
/// Class code of an ISA bridge.
pub const CLASS_BRIDGE_ISA: u32 = 0x06_01_00;
/// Class code of a PCI-to-PCI bridge, normal decode.
pub const CLASS_BRIDGE_PCI: u32 = 0x06_04_00;

// ---------------------------------------------------------------------------
// Q35 MCH, 00:00.0 (QEMU q35.h; Intel 3-Series GMCH datasheet 316966/317607)
// ---------------------------------------------------------------------------

/// Device number of the MCH on bus 0.
pub const Q35_MCH_DEV: u8 = 0;
/// PCI Express Register Range Base Address (64-bit).
pub const MCH_HOST_BRIDGE_PCIEXBAR: u16 = 0x60;
/// PCIEXBAR bit 0: ECAM decode enabled.
pub const MCH_HOST_BRIDGE_PCIEXBAREN: u64 = 1;
/// PCIEXBAR bits 2:1: length.
pub const MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_MASK: u64 = 0x6;
pub const MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_256M: u64 = 0x0;
pub const MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_128M: u64 = 0x2;
pub const MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_64M: u64 = 0x4;
pub const MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_RVD: u64 = 0x6;
/// PCIEXBAR bits 35:28: base address for every length.
pub const MCH_HOST_BRIDGE_PCIEXBAR_ADMSK: u64 = 0x0000_000f_f000_0000;
/// PCIEXBAR bit 27: base address bit 27 for the 128 MiB and 64 MiB lengths.
pub const MCH_HOST_BRIDGE_PCIEXBAR_128ADMSK: u64 = 1 << 27;
/// PCIEXBAR bit 26: base address bit 26 for the 64 MiB length.
pub const MCH_HOST_BRIDGE_PCIEXBAR_64ADMSK: u64 = 1 << 26;
/// PCIEXBAR after reset as QEMU sets it (`MCH_HOST_BRIDGE_PCIEXBAR_DEFAULT`,
/// disabled); Intel's default is 0xE000_0000.
pub const MCH_HOST_BRIDGE_PCIEXBAR_DEFAULT: u64 = 0xb000_0000;
/// Programmable Attribute Map registers PAM0–PAM6.
pub const MCH_HOST_BRIDGE_PAM0: u16 = 0x90;
pub const MCH_HOST_BRIDGE_PAM_NB: u16 = 7;
/// System Management RAM Control.
pub const MCH_HOST_BRIDGE_SMRAM: u16 = 0x9d;
/// SMRAM C_BASE_SEG: hardwired 010b (A0000h–BFFFFh).
pub const MCH_HOST_BRIDGE_SMRAM_C_BASE_SEG: u32 = 0x02;
/// Extended System Management RAM Control.
pub const MCH_HOST_BRIDGE_ESMRAMC: u16 = 0x9e;
/// ESMRAMC read-only cache bits SM_CACHE | SM_L1 | SM_L2.
pub const MCH_HOST_BRIDGE_ESMRAMC_DEFAULT: u32 = 0x38;
/// Top of Low Usable DRAM (bits 15:4 = address bits 31:20).
pub const MCH_HOST_BRIDGE_TOLUD: u16 = 0xb0;

// ---------------------------------------------------------------------------
// ICH9 LPC, 00:1f.0 (QEMU ich9.h; Intel ICH9 datasheet 316972 §13.1)
// ---------------------------------------------------------------------------

/// Device number of the LPC bridge on bus 0.
pub const ICH9_LPC_DEV: u8 = 0x1f;
/// Device number of the ICH9 root ports on bus 0.
pub const ICH9_PCIE_DEV: u8 = 0x1c;
/// ACPI Base Address (PMBASE): bits 15:7 base, bit 0 RTE (I/O, RO 1).
pub const ICH9_LPC_PMBASE: u16 = 0x40;
pub const ICH9_LPC_PMBASE_RTE: u32 = 0x1;
pub const ICH9_LPC_PMBASE_BASE_ADDRESS_MASK: u32 = 0xff80;
/// ACPI Control: bit 7 ACPI_EN, bits 2:0 SCI_IRQ_SEL.
pub const ICH9_LPC_ACPI_CTRL: u16 = 0x44;
pub const ICH9_LPC_ACPI_CTRL_ACPI_EN: u32 = 0x80;
pub const ICH9_LPC_ACPI_CTRL_SCI_IRQ_SEL_MASK: u32 = 0x07;
/// PIRQA_ROUT … PIRQD_ROUT (one byte each).
pub const ICH9_LPC_PIRQA_ROUT: u16 = 0x60;
/// PIRQE_ROUT … PIRQH_ROUT (one byte each).
pub const ICH9_LPC_PIRQE_ROUT: u16 = 0x68;
/// PIRQx_ROUT bit 7 (IRQEN): set = not routed to the 8259.
pub const ICH9_LPC_PIRQ_ROUT_IRQEN: u8 = 0x80;
/// PIRQx_ROUT bits 3:0: the ISA IRQ.
pub const ICH9_LPC_PIRQ_ROUT_MASK: u8 = 0x0f;
/// PIRQx_ROUT after reset: not routed.
pub const ICH9_LPC_PIRQ_ROUT_DEFAULT: u32 = 0x80;
/// LPC I/O Decode Ranges.
pub const ICH9_LPC_IO_DEC: u16 = 0x80;
/// LPC I/O Enables.
pub const ICH9_LPC_EN: u16 = 0x82;
/// Root Complex Base Address (bits 31:14 base, bit 0 enable).
pub const ICH9_LPC_RCBA: u16 = 0xf0;
pub const ICH9_LPC_RCBA_BA_MASK: u32 = 0xffff_c000;
pub const ICH9_LPC_RCBA_EN: u32 = 0x1;
/// Number of PIRQ links (PIRQA–PIRQH).
pub const ICH9_LPC_NB_PIRQS: usize = 8;
/// I/O APIC input of PIRQA; PIRQn drives GSI 16 + n.
pub const ICH9_PIRQ_GSI_BASE: u8 = 16;

// ---------------------------------------------------------------------------
// CF8/CFC configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2)
// ---------------------------------------------------------------------------

/// CONFIG_ADDRESS port.
pub const PCI_CONFIG_ADDRESS_PORT: u16 = 0xcf8;
/// CONFIG_DATA port (byte lanes CFC–CFF).
pub const PCI_CONFIG_DATA_PORT: u16 = 0xcfc;
/// CONFIG_ADDRESS bit 31: enable.
pub const PCI_CONFIG_ADDRESS_ENABLE: u32 = 0x8000_0000;
/// CONFIG_ADDRESS bits a write keeps: enable, bus, device, function, register.
pub const PCI_CONFIG_ADDRESS_MASK: u32 = 0x80ff_fffc;
