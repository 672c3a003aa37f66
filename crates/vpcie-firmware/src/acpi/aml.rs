//! Small AML pieces on top of rust-vmm's `acpi_tables::aml`: checked name
//! paths (the crate asserts on malformed names; we return an error), an
//! Extended Interrupt descriptor with several interrupts (the crate's has
//! one), a consumer QWord memory descriptor, and raw bytes as an object.

use super::AcpiError;
use acpi_tables::aml::Path;
use acpi_tables::{Aml, AmlSink};

/// Already-encoded AML, usable wherever an object is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Raw(pub Vec<u8>);

impl Aml for Raw {
    fn to_aml_bytes(&self, sink: &mut dyn AmlSink) {
        sink.vec(&self.0);
    }
}

/// Encodes `aml` into bytes.
pub fn encode(aml: &dyn Aml) -> Vec<u8> {
    let mut v = Vec::new();
    aml.to_aml_bytes(&mut v);
    v
}

/// Encodes several objects one after another.
pub fn encode_all(items: &[&dyn Aml]) -> Vec<u8> {
    let mut v = Vec::new();
    for i in items {
        i.to_aml_bytes(&mut v);
    }
    v
}

/// Whether `seg` is a valid ACPI NameSeg: four characters, the first
/// A–Z or '_', the others A–Z, 0–9 or '_' (ACPI 6.5 §20.2.2).
pub fn is_name_seg(seg: &str) -> bool {
    let b = seg.as_bytes();
    b.len() == 4
        && (b[0].is_ascii_uppercase() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
}

/// A name path (`"LNKA"`, `"\\_SB_.PCI0"`), checked before the crate sees it.
pub fn path(name: &str) -> Result<Path, AcpiError> {
    let body = name.strip_prefix('\\').unwrap_or(name);
    let segs: Vec<&str> = body.split('.').collect();
    if body.is_empty() || segs.len() > 255 || !segs.iter().all(|s| is_name_seg(s)) {
        return Err(AcpiError::BadName(name.to_string()));
    }
    Ok(Path::new(name))
}

/// An Extended Interrupt descriptor (ACPI 6.5 §6.4.3.6) with one or more
/// interrupt numbers; `Interrupt(ResourceConsumer, Level, ActiveHigh,
/// Shared) {…}` as QEMU's q35 link devices use it.
pub struct ExtInterrupts {
    /// Interrupt numbers (1–255 of them).
    pub irqs: Vec<u32>,
}

impl Aml for ExtInterrupts {
    fn to_aml_bytes(&self, sink: &mut dyn AmlSink) {
        let n = self.irqs.len().clamp(1, 255);
        sink.byte(0x89);
        sink.word((2 + 4 * n) as u16);
        // Consumer (bit 0), level (bit 1 clear), active high (bit 2 clear), shared (bit 3).
        sink.byte(0x09);
        sink.byte(n as u8);
        for i in 0..n {
            sink.dword(self.irqs.get(i).copied().unwrap_or(0));
        }
    }
}

/// A QWord memory descriptor marked as consumed (ACPI 6.5 §6.4.3.5.1), for
/// motherboard-resource reservations above 4 GiB.
pub struct QWordMemoryConsumer {
    /// First address.
    pub min: u64,
    /// Last address.
    pub max: u64,
}

impl Aml for QWordMemoryConsumer {
    fn to_aml_bytes(&self, sink: &mut dyn AmlSink) {
        sink.byte(0x8a);
        sink.word(43);
        sink.byte(0); // memory range
        sink.byte(0x0d); // consumer, positive decode, min and max fixed
        sink.byte(0x01); // non-cacheable, read-write
        sink.qword(0);
        sink.qword(self.min);
        sink.qword(self.max);
        sink.qword(0);
        sink.qword(self.max.wrapping_sub(self.min).wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(path("LNKA").is_ok());
        assert!(path("\\_SB_.PCI0.R1C0").is_ok());
        assert!(path("\\_SB.PCI0").is_err());
        assert!(path("1ABC").is_err());
        assert!(path("").is_err());
        assert!(path("lnka").is_err());
        assert_eq!(encode(&path("\\_SB_.LNKA").unwrap()), b"\\\x2e_SB_LNKA");
    }

    #[test]
    fn interrupts_descriptor() {
        let d = encode(&ExtInterrupts {
            irqs: vec![5, 10, 11],
        });
        assert_eq!(&d[..5], &[0x89, 14, 0, 0x09, 3]);
        assert_eq!(d.len(), 3 + 14);
    }
}
