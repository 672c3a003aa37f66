//! Declarative register policy: what the guest sees of each register, bit by
//! bit, written as tables.
//!
//! A [`Reg`] names one register (offset relative to the start of its
//! structure, size, spec name) and four bit masks:
//!
//! | mask        | a set bit means                                              |
//! |-------------|--------------------------------------------------------------|
//! | `emulated`  | the guest reads the bit from the virtual image; clear: from the device behind |
//! | `writable`  | a guest write changes the bit in the image                   |
//! | `w1c`       | a guest write of 1 clears the bit in the image (RW1C)       |
//! | `to_device` | a guest write of the bit is written through to the device behind (an emulated bit only when the write changed it) |
//!
//! plus an optional reset value and an optional hook. Tables are compiled
//! into flat per-dword masks by [`ConfigSpace::apply`](crate::ConfigSpace::apply),
//! so the access path never walks them.

use crate::space::HookId;

/// One register of a policy table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg {
    /// Offset relative to the structure the table describes (header: 0).
    pub offset: u16,
    /// Size in bytes: 1, 2 or 4.
    pub size: u8,
    /// Name as the specification spells it.
    pub name: &'static str,
    /// Bits served from the virtual image; the others come from the device behind.
    pub emulated: u32,
    /// Bits a guest write changes in the image.
    pub writable: u32,
    /// Bits a guest write of 1 clears in the image.
    pub w1c: u32,
    /// Bits of a guest write passed on to the device behind.
    pub to_device: u32,
    /// Value the image takes when the table is applied; `None` keeps the image.
    pub value: Option<u32>,
    /// Hook called after every guest write touching this register.
    pub hook: Option<HookId>,
}

impl Reg {
    /// A register served entirely from the virtual image, read-only to the guest.
    pub const fn emulated(offset: u16, size: u8, name: &'static str) -> Self {
        Reg {
            offset,
            size,
            name,
            emulated: u32::MAX,
            writable: 0,
            w1c: 0,
            to_device: 0,
            value: None,
            hook: None,
        }
    }

    /// A register read from the device behind, guest writes dropped.
    pub const fn device(offset: u16, size: u8, name: &'static str) -> Self {
        Reg {
            emulated: 0,
            ..Reg::emulated(offset, size, name)
        }
    }

    /// A register read from and written to the device behind.
    pub const fn passthrough(offset: u16, size: u8, name: &'static str) -> Self {
        Reg {
            emulated: 0,
            to_device: u32::MAX,
            ..Reg::emulated(offset, size, name)
        }
    }

    /// Sets which bits are served from the virtual image.
    pub const fn emulated_bits(self, mask: u32) -> Self {
        Reg {
            emulated: mask,
            ..self
        }
    }

    /// Sets which bits a guest write changes in the image.
    pub const fn writable(self, mask: u32) -> Self {
        Reg {
            writable: mask,
            ..self
        }
    }

    /// Sets which bits a guest clears by writing 1.
    pub const fn w1c(self, mask: u32) -> Self {
        Reg { w1c: mask, ..self }
    }

    /// Sets which bits of a guest write reach the device behind.
    pub const fn to_device(self, mask: u32) -> Self {
        Reg {
            to_device: mask,
            ..self
        }
    }

    /// Sets the value the image takes when the table is applied.
    pub const fn value(self, value: u32) -> Self {
        Reg {
            value: Some(value),
            ..self
        }
    }

    /// Names the hook called after guest writes to this register.
    pub const fn hook(self, hook: HookId) -> Self {
        Reg {
            hook: Some(hook),
            ..self
        }
    }

    /// Mask of the bits this register has (all ones for a dword).
    pub const fn size_mask(&self) -> u32 {
        match self.size {
            1 => 0xff,
            2 => 0xffff,
            _ => u32::MAX,
        }
    }
}

/// A policy table: the registers of one structure (header or capability).
pub type RegTable = &'static [Reg];

/// Why a policy table could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The register's size is not 1, 2 or 4 or it is not naturally aligned.
    #[error(
        "register {name} at {offset:#05x}: size {size} is not 1, 2 or 4 or not naturally aligned"
    )]
    BadSize {
        /// Register name.
        name: &'static str,
        /// Absolute offset.
        offset: u16,
        /// Declared size.
        size: u8,
    },
    /// The register lies beyond the function's configuration space.
    #[error(
        "register {name} at {offset:#05x} lies beyond the {config_size}-byte configuration space"
    )]
    OutOfRange {
        /// Register name.
        name: &'static str,
        /// Absolute offset.
        offset: u16,
        /// Size of the configuration space.
        config_size: usize,
    },
    /// The masks contradict each other.
    #[error("register {name} at {offset:#05x}: {why}")]
    Inconsistent {
        /// Register name.
        name: &'static str,
        /// Absolute offset.
        offset: u16,
        /// Which rule the masks break.
        why: &'static str,
    },
}

impl Reg {
    /// Checks the masks of this register placed at `base`.
    pub(crate) fn check(&self, base: u16, config_size: usize) -> Result<u16, PolicyError> {
        let offset = base.wrapping_add(self.offset);
        let size = self.size;
        if !matches!(size, 1 | 2 | 4) || offset % u16::from(size) != 0 {
            return Err(PolicyError::BadSize {
                name: self.name,
                offset,
                size,
            });
        }
        if base.checked_add(self.offset).is_none()
            || usize::from(offset) + usize::from(size) > config_size
        {
            return Err(PolicyError::OutOfRange {
                name: self.name,
                offset,
                config_size,
            });
        }
        let inconsistent = |why| PolicyError::Inconsistent {
            name: self.name,
            offset,
            why,
        };
        let m = self.size_mask();
        if self.writable & self.w1c & m != 0 {
            return Err(inconsistent(
                "a bit cannot be both writable and write-1-to-clear",
            ));
        }
        if (self.writable | self.w1c) & !self.emulated & m != 0 {
            return Err(inconsistent(
                "writable and write-1-to-clear bits must be emulated (use to_device for device bits)",
            ));
        }
        Ok(offset)
    }
}
