//! The seam to the platform: configuration reads and writes by bus, device,
//! function — what the firmware does, exactly as a guest could.

use serde::{Serialize, Serializer};
use std::fmt;

/// A bus/device/function as the firmware addresses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    /// Bus number.
    pub bus: u8,
    /// Device number (0–31).
    pub device: u8,
    /// Function number (0–7).
    pub function: u8,
}

impl Bdf {
    /// `bus:device.function`; device and function are masked into range.
    pub const fn new(bus: u8, device: u8, function: u8) -> Bdf {
        Bdf {
            bus,
            device: device & 0x1f,
            function: function & 7,
        }
    }

    /// Device and function as one byte (device << 3 | function).
    pub fn devfn(&self) -> u8 {
        self.device << 3 | self.function
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}:{:02x}.{:x}",
            self.bus, self.device, self.function
        )
    }
}

/// Serialized as `"bb:dd.f"`, as lspci prints it.
impl Serialize for Bdf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Configuration access as a guest performs it (CF8/CFC or ECAM).
///
/// `size` is 1, 2 or 4 and `offset` is aligned to it; a read of a function
/// that is not there returns all-ones (master abort).
pub trait ConfigAccess {
    /// Reads `size` bytes at `offset`.
    fn read(&mut self, bdf: Bdf, offset: u16, size: u8) -> u32;
    /// Writes `size` bytes of `value` at `offset`.
    fn write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32);
}

/// Typed helpers over [`ConfigAccess`].
pub(crate) trait ConfigExt: ConfigAccess {
    fn read8(&mut self, bdf: Bdf, offset: u16) -> u8 {
        self.read(bdf, offset, 1) as u8
    }
    fn read16(&mut self, bdf: Bdf, offset: u16) -> u16 {
        self.read(bdf, offset, 2) as u16
    }
    fn read32(&mut self, bdf: Bdf, offset: u16) -> u32 {
        self.read(bdf, offset, 4)
    }
    fn write8(&mut self, bdf: Bdf, offset: u16, value: u8) {
        self.write(bdf, offset, 1, u32::from(value));
    }
    fn write16(&mut self, bdf: Bdf, offset: u16, value: u16) {
        self.write(bdf, offset, 2, u32::from(value));
    }
    fn write32(&mut self, bdf: Bdf, offset: u16, value: u32) {
        self.write(bdf, offset, 4, value);
    }
}

impl<T: ConfigAccess + ?Sized> ConfigExt for T {}
