//! INTx routing: bridge swizzle to bus 0, the chipset's slot/pin → PIRQ
//! link table, and the LPC's PIRQx_ROUT registers.
//!
//! - Swizzle (PCI-to-PCI Bridge 1.2 §9.1, PCIe r6.x §2.2.8.1): below a
//!   bridge, pin' = (pin + device) mod 4, repeated up to bus 0.
//! - Bus 0 slot/pin → PIRQ link: the ICH9 `D<N>IR` defaults as QEMU's
//!   `ich9_cc_init`/`ich9_cc_update` set them: devices 25–29 and 31 map
//!   INTA–D to PIRQA–D; device 30 (DMI-to-PCI bridge) to PIRQE–H; devices
//!   0–24 to PIRQ[E + (device + pin) mod 4] (QEMU keeps A–D for the ports).
//! - PIRQ link → IRQ: the I/O APIC input is fixed, GSI 16 + link (Intel
//!   ICH9; QEMU `ich9_pirq_to_gsi`); the 8259 input is PIRQx_ROUT bits 3:0
//!   when bit 7 (IRQEN) is clear and the IRQ is one the datasheet allows.

use crate::regs::*;

/// A PIRQ link: 0–7 for PIRQA–PIRQH.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PirqLink(pub u8);

impl PirqLink {
    /// The letter of the link ('A'–'H').
    pub fn letter(self) -> char {
        char::from(b'A' + (self.0 & 7))
    }

    /// Offset of the link's PIRQx_ROUT register in the LPC.
    pub fn rout_offset(self) -> u16 {
        let n = u16::from(self.0 & 7);
        if n < 4 {
            ICH9_LPC_PIRQA_ROUT + n
        } else {
            ICH9_LPC_PIRQE_ROUT + n - 4
        }
    }

    /// The I/O APIC input the link drives (fixed on ICH9).
    pub fn gsi(self) -> u8 {
        ICH9_PIRQ_GSI_BASE + (self.0 & 7)
    }
}

/// Where a PIRQ link's level goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PirqRoute {
    /// The I/O APIC input (GSI 16–23), always driven.
    pub gsi: u8,
    /// The 8259 input, when PIRQx_ROUT routes the link there.
    pub pic_irq: Option<u8>,
}

/// An INTx pin: 0–3 for INTA–INTD (the Interrupt Pin register minus one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IntxPin(pub u8);

/// A function's INTx route as the platform resolved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IntxRoute {
    /// The function's own pin.
    pub pin: IntxPin,
    /// Device number of its bus-0 ancestor (itself when on bus 0).
    pub root_slot: u8,
    /// The pin after swizzling up to bus 0.
    pub root_pin: IntxPin,
    /// The PIRQ link the chipset maps (root_slot, root_pin) to.
    pub link: PirqLink,
}

/// The bridge swizzle: the pin a device's `pin` becomes on the bridge's
/// primary side.
pub fn swizzle(device: u8, pin: IntxPin) -> IntxPin {
    IntxPin((device % 4 + pin.0 % 4) % 4)
}

/// The PIRQ link the ICH9 maps bus 0 `slot`, `pin` to (QEMU `ich9_lpc_map_irq`).
pub fn ich9_pirq_link(slot: u8, pin: IntxPin) -> PirqLink {
    let pin = pin.0 % 4;
    match slot {
        25..=29 | 31 => PirqLink(pin),
        30 => PirqLink(4 + pin),
        s => PirqLink(4 + (s % 4 + pin) % 4),
    }
}

/// The 8259 IRQ a PIRQx_ROUT value selects, if any: bit 7 clear and bits
/// 3:0 one of 3–7, 9–12, 14, 15 (ICH9 316972 §13.1.17; other encodings are
/// reserved and route nowhere).
pub fn pic_irq_from_rout(rout: u8) -> Option<u8> {
    if rout & ICH9_LPC_PIRQ_ROUT_IRQEN != 0 {
        return None;
    }
    let irq = rout & ICH9_LPC_PIRQ_ROUT_MASK;
    matches!(irq, 3..=7 | 9..=12 | 14 | 15).then_some(irq)
}

/// The route of `link` under PIRQx_ROUT value `rout`.
pub fn pirq_route(link: PirqLink, rout: u8) -> PirqRoute {
    PirqRoute {
        gsi: link.gsi(),
        pic_irq: pic_irq_from_rout(rout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_ich9_table() {
        // notes/q35-models.md §2.4, from QEMU ich9_cc_init / ich9_cc_update.
        let row = |slot| [0, 1, 2, 3].map(|p| ich9_pirq_link(slot, IntxPin(p)).letter());
        assert_eq!(row(0), ['E', 'F', 'G', 'H']);
        assert_eq!(row(1), ['F', 'G', 'H', 'E']);
        assert_eq!(row(24), ['E', 'F', 'G', 'H']);
        assert_eq!(row(2), ['G', 'H', 'E', 'F']);
        for s in [25, 26, 27, 28, 29, 31] {
            assert_eq!(row(s), ['A', 'B', 'C', 'D']);
        }
        assert_eq!(row(30), ['E', 'F', 'G', 'H']);
    }

    #[test]
    fn rout_values() {
        assert_eq!(pic_irq_from_rout(0x80), None);
        assert_eq!(pic_irq_from_rout(0x8a), None);
        assert_eq!(pic_irq_from_rout(0x0a), Some(10));
        assert_eq!(pic_irq_from_rout(0x0b), Some(11));
        for reserved in [0, 1, 2, 8, 13] {
            assert_eq!(pic_irq_from_rout(reserved), None);
        }
        // Bits 6:4 are reserved and ignored.
        assert_eq!(pic_irq_from_rout(0x75), Some(5));
        assert_eq!(PirqLink(4).rout_offset(), 0x68);
        assert_eq!(PirqLink(3).rout_offset(), 0x63);
        assert_eq!(PirqLink(7).gsi(), 23);
    }

    #[test]
    fn swizzle_is_the_bridge_table() {
        // PCI-to-PCI Bridge 1.2 table 9-1: device 1 INTA -> INTB, device 3 INTB -> INTA.
        assert_eq!(swizzle(1, IntxPin(0)), IntxPin(1));
        assert_eq!(swizzle(3, IntxPin(1)), IntxPin(0));
        assert_eq!(swizzle(0, IntxPin(2)), IntxPin(2));
        assert_eq!(swizzle(31, IntxPin(3)), IntxPin(2));
    }
}
