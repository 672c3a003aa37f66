//! ECAM (MMCONFIG) window decode and the MCH's PCIEXBAR register.
//!
//! ECAM address = base + (bus << 20 | device << 15 | function << 12 | register)
//! (PCIe r6.x §7.2.2). The window is what PCIEXBAR (MCH 0x60) says: enable,
//! length 256/128/64 MiB (buses 0–255/0–127/0–63), base aligned to the
//! length. The base bits below the alignment are read-only 0, as the Intel
//! datasheet specifies (QEMU keeps them and decodes them wrongly for 128 and
//! 64 MiB; see the crate documentation).

use crate::regs::*;

/// Where the ECAM window decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EcamWindow {
    /// Physical base address, aligned to `size`.
    pub base: u64,
    /// Size in bytes: 256, 128 or 64 MiB.
    pub size: u64,
}

/// A configuration address decoded from an ECAM offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EcamAddress {
    /// Bus number.
    pub bus: u8,
    /// Device number (0–31).
    pub device: u8,
    /// Function number (0–7).
    pub function: u8,
    /// Register offset (0–0xfff).
    pub register: u16,
}

impl EcamWindow {
    /// Number of buses the window covers.
    pub fn buses(&self) -> u16 {
        (self.size >> 20) as u16
    }

    /// Whether `addr` lies in the window.
    pub fn contains(&self, addr: u64) -> bool {
        addr.wrapping_sub(self.base) < self.size
    }

    /// Decodes `addr`, or `None` when it lies outside the window.
    #[inline]
    pub fn decode(&self, addr: u64) -> Option<EcamAddress> {
        let off = addr.wrapping_sub(self.base);
        if off >= self.size {
            return None;
        }
        Some(EcamAddress {
            bus: (off >> 20) as u8,
            device: ((off >> 15) & 0x1f) as u8,
            function: ((off >> 12) & 0x7) as u8,
            register: (off & 0xfff) as u16,
        })
    }

    /// The address of a configuration register in this window.
    pub fn address(&self, bus: u8, device: u8, function: u8, register: u16) -> u64 {
        self.base
            + (u64::from(bus) << 20
                | u64::from(device & 0x1f) << 15
                | u64::from(function & 7) << 12
                | u64::from(register & 0xfff))
    }
}

/// PCIEXBAR as the guest may leave it, and the window it decodes.
///
/// Returns the register value with the bits the length makes read-only
/// cleared (Intel 317607 p.91: reserved bits 63:36 and 25:3 RO 0; bit 27
/// only for 128/64 MiB, bit 26 only for 64 MiB), and the decoded window:
/// `None` when PCIEXBAREN is clear or the length field is the reserved 11b.
pub fn decode_pciexbar(value: u64) -> (u64, Option<EcamWindow>) {
    let length = value & MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_MASK;
    let (address_mask, size) = match length {
        MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_256M => (MCH_HOST_BRIDGE_PCIEXBAR_ADMSK, 256u64 << 20),
        MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_128M => (
            MCH_HOST_BRIDGE_PCIEXBAR_ADMSK | MCH_HOST_BRIDGE_PCIEXBAR_128ADMSK,
            128 << 20,
        ),
        MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_64M => (
            MCH_HOST_BRIDGE_PCIEXBAR_ADMSK
                | MCH_HOST_BRIDGE_PCIEXBAR_128ADMSK
                | MCH_HOST_BRIDGE_PCIEXBAR_64ADMSK,
            64 << 20,
        ),
        // Reserved: keep the 256 MiB address bits, decode nothing.
        _ => (MCH_HOST_BRIDGE_PCIEXBAR_ADMSK, 0),
    };
    let masked =
        value & (address_mask | MCH_HOST_BRIDGE_PCIEXBAR_LENGTH_MASK | MCH_HOST_BRIDGE_PCIEXBAREN);
    let window = (value & MCH_HOST_BRIDGE_PCIEXBAREN != 0 && size != 0).then_some(EcamWindow {
        base: value & address_mask,
        size,
    });
    (masked, window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pciexbar_lengths_and_alignment() {
        // SeaBIOS / OVMF: 256 MiB at 0xB000_0000.
        assert_eq!(
            decode_pciexbar(0xb000_0001),
            (
                0xb000_0001,
                Some(EcamWindow {
                    base: 0xb000_0000,
                    size: 256 << 20
                })
            )
        );
        // 128 MiB keeps bit 27, drops bit 26.
        let (v, w) = decode_pciexbar(0xbc00_0003);
        assert_eq!(v, 0xb800_0003);
        assert_eq!(w.unwrap().base, 0xb800_0000);
        assert_eq!(w.unwrap().buses(), 128);
        // 64 MiB keeps bits 27 and 26 (QEMU loses bit 27 here).
        let (v, w) = decode_pciexbar(0xbc00_0005);
        assert_eq!(v, 0xbc00_0005);
        assert_eq!(w.unwrap().base, 0xbc00_0000);
        assert_eq!(w.unwrap().buses(), 64);
        // 256 MiB drops bits 27 and 26 and the reserved bits.
        let (v, _) = decode_pciexbar(0xffff_ffff_ffff_fff9);
        assert_eq!(v, 0x0000_000f_f000_0001);
        // Reserved length: nothing decodes.
        assert_eq!(decode_pciexbar(0xb000_0007).1, None);
        // Disabled.
        assert_eq!(decode_pciexbar(0xb000_0000).1, None);
        // Above 4 GiB (bits 35:32).
        assert_eq!(
            decode_pciexbar(0x8_0000_0001).1.unwrap().base,
            0x8_0000_0000
        );
    }

    #[test]
    fn decode_at_the_edges() {
        let w = EcamWindow {
            base: 0xe000_0000,
            size: 64 << 20,
        };
        assert_eq!(w.decode(0xdfff_ffff), None);
        assert_eq!(
            w.decode(0xe000_0000),
            Some(EcamAddress {
                bus: 0,
                device: 0,
                function: 0,
                register: 0
            })
        );
        assert_eq!(
            w.decode(0xe3ff_ffff),
            Some(EcamAddress {
                bus: 63,
                device: 31,
                function: 7,
                register: 0xfff
            })
        );
        assert_eq!(w.decode(0xe400_0000), None);
        assert_eq!(w.decode(u64::MAX), None);
        assert_eq!(w.address(63, 31, 7, 0xfff), 0xe3ff_ffff);
    }
}
