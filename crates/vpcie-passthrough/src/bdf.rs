//! Host PCI addresses: `DDDD:BB:DD.F`.

use std::fmt;
use std::str::FromStr;

/// The address of a host PCI function (segment, bus, device, function).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Bdf {
    /// PCI segment (domain).
    pub domain: u16,
    /// Bus number.
    pub bus: u8,
    /// Device number, 0–31.
    pub device: u8,
    /// Function number, 0–7.
    pub function: u8,
}

impl Bdf {
    /// A function address; `device` and `function` are masked to their widths.
    pub const fn new(domain: u16, bus: u8, device: u8, function: u8) -> Self {
        Bdf {
            domain,
            bus,
            device: device & 0x1f,
            function: function & 7,
        }
    }

    /// The same device with another function number.
    pub const fn with_function(self, function: u8) -> Self {
        Bdf::new(self.domain, self.bus, self.device, function)
    }

    /// Whether `other` is a function of the same device (segment, bus, device).
    pub const fn same_device(&self, other: &Bdf) -> bool {
        self.domain == other.domain && self.bus == other.bus && self.device == other.device
    }

    /// `DDDD:BB:DD`, the device without its function.
    pub fn device_string(&self) -> String {
        format!("{:04x}:{:02x}:{:02x}", self.domain, self.bus, self.device)
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

/// Why a text is not a PCI address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a PCI address: expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0 ({why})"
)]
pub struct BdfError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for Bdf {
    type Err = BdfError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |why| BdfError {
            text: text.chars().take(64).collect(),
            why,
        };
        let (head, function) = text.rsplit_once('.').ok_or_else(|| err("no '.F'"))?;
        let parts: Vec<&str> = head.split(':').collect();
        let (domain, bus, device) = match parts.as_slice() {
            [b, d] => ("0", *b, *d),
            [s, b, d] => (*s, *b, *d),
            _ => return Err(err("expected two or three ':'-separated fields")),
        };
        let hex = |s: &str, max_len: usize| -> Option<u32> {
            (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(s, 16).ok())
                .flatten()
        };
        let domain = hex(domain, 4).ok_or_else(|| err("bad segment"))?;
        let bus = hex(bus, 2).ok_or_else(|| err("bad bus"))?;
        let device = hex(device, 2).ok_or_else(|| err("bad device"))?;
        let function = hex(function, 1).ok_or_else(|| err("bad function"))?;
        if device > 0x1f {
            return Err(err("device above 1f"));
        }
        if function > 7 {
            return Err(err("function above 7"));
        }
        Ok(Bdf::new(
            domain as u16,
            bus as u8,
            device as u8,
            function as u8,
        ))
    }
}

impl From<vpcie_config::lspci::DumpAddress> for Bdf {
    fn from(a: vpcie_config::lspci::DumpAddress) -> Self {
        Bdf::new(a.domain.unwrap_or(0), a.bus, a.device, a.function)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let b: Bdf = "0000:01:00.1".parse().unwrap();
        assert_eq!(b, Bdf::new(0, 1, 0, 1));
        assert_eq!(b.to_string(), "0000:01:00.1");
        assert_eq!(
            "1f:1c.7".parse::<Bdf>().unwrap(),
            Bdf::new(0, 0x1f, 0x1c, 7)
        );
        for bad in [
            "",
            "0:0",
            "00:20.0",
            "00:00.8",
            "zz:00.0",
            "00000:00:00.0",
            "0:0:0:0.0",
        ] {
            assert!(bad.parse::<Bdf>().is_err(), "{bad}");
        }
    }
}
