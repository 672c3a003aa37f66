//! What a guest may change on the host, written down independently of the
//! passthrough policy tables.
//!
//! The passthrough crate derives its write-through masks from its own
//! tables (`PassthroughFunction::host_write_mask`); a check against those
//! masks cannot notice a table that grew a bit it should not have. This
//! module is the other side of that contract: the complete list of host
//! configuration bits a guest may move, from the security model alone
//! (ARCHITECTURE.md "Guest input is hostile", the Xen advisories the
//! tests name). A host write outside it is a finding, whatever the tables say.
//!
//! | host bytes | what a guest write may do there | why |
//! |---|---|---|
//! | Command bit 2 (Bus Master) | set or clear | DMA is the device's job; the IOMMU confines it |
//! | Command bits 1:0 (Memory, I/O Space) | set, never clear | XSA-120/XSA-126: a device that stops decoding answers Unsupported Request, which platforms escalate to NMIs |
//! | Command bits 15:8 | carried unchanged by a 2-byte write of bits 7:0 | a write of the enable byte may be a word write |
//! | PCI Express Device Control 2 bit 6 (AtomicOp Requester Enable) | set or clear | GPU compute (QEMU xen_pt does the same) |
//! | PCI Express Device Control 2 bits 15:8 | carried unchanged | as for Command |
//! | VPD Address (cap + 2, 2 bytes) | an address with F = 0 (a read request) | a write request (F = 1) rewrites the device's VPD storage |
//! | anything else | never written | XSA-124/XSA-131: writes to registers the policy does not know |
//!
//! Besides configuration writes: a function reset only through a Function
//! Level Reset the host advertises (or a platform reset), a power-state
//! change only through PMCSR, and a retrain of the host's link only where
//! the owner allows it ([`HostWriteSpec::link_retrains`]: a Retrain Link the
//! guest writes in the emulated port above may be forwarded, one per guest
//! access; none from the function's own registers).

use vpcie_config::caps::parse_capabilities;
use vpcie_passthrough::host::record::HostOp;

/// Capability ID of PCI Express (PCI Code and ID Assignment §2).
const CAP_ID_PCIE: u8 = 0x10;
/// Capability ID of Vital Product Data.
const CAP_ID_VPD: u8 = 0x03;
/// Capability ID of Power Management.
const CAP_ID_PM: u8 = 0x01;

/// Command: I/O Space, Memory Space (set only).
const CMD_DECODE: u8 = 0x03;
/// Command: Bus Master.
const CMD_MASTER: u8 = 0x04;
/// Device Control 2: AtomicOp Requester Enable.
const DEVCTL2_ATOMIC_REQ: u8 = 0x40;
/// VPD Address: the F flag (bit 15, in the high byte).
const VPD_F: u8 = 0x80;

/// How one host byte may be written by a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ByteRule {
    /// Never written.
    Never,
    /// Written only with the value it holds (a word write carrying another byte).
    Carried,
    /// `free` bits may change, `set_only` bits may only go 0 → 1, `zero`
    /// bits must be written 0; the rest must be written as they are.
    Bits { free: u8, set_only: u8, zero: u8 },
}

/// The host bytes a guest may write, for one host function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostWriteSpec {
    /// Offsets of the PCI Express capabilities of the host image.
    pub pcie: Vec<u16>,
    /// Offsets of the VPD capabilities.
    pub vpd: Vec<u16>,
    /// Offsets of the Power Management capabilities.
    pub pm: Vec<u16>,
    /// Most host link retrains one checked log may hold (check the log
    /// after each guest access): 0 unless the function sits below an
    /// emulated port whose Retrain Link is forwarded.
    pub link_retrains: usize,
}

/// A host operation the spec does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Index of the operation in the log.
    pub index: usize,
    /// The operation.
    pub op: HostOp,
    /// Which rule it breaks.
    pub why: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host op #{} {:?}: {}", self.index, self.op, self.why)
    }
}

impl HostWriteSpec {
    /// The spec for a host function whose configuration space reads `image`
    /// (before the guest touched it).
    pub fn from_image(image: &[u8]) -> Self {
        let caps = parse_capabilities(image);
        let of = |id: u8| -> Vec<u16> {
            caps.caps
                .iter()
                .filter(|c| c.id == id)
                .map(|c| c.offset)
                .collect()
        };
        HostWriteSpec {
            pcie: of(CAP_ID_PCIE),
            vpd: of(CAP_ID_VPD),
            pm: of(CAP_ID_PM),
            link_retrains: 0,
        }
    }

    /// The same spec, allowing `n` host link retrains per checked log.
    pub fn with_link_retrains(self, n: usize) -> Self {
        HostWriteSpec {
            link_retrains: n,
            ..self
        }
    }

    fn rule(&self, offset: u16) -> ByteRule {
        match offset {
            0x04 => ByteRule::Bits {
                free: CMD_MASTER,
                set_only: CMD_DECODE,
                zero: 0,
            },
            0x05 => ByteRule::Carried,
            _ => {
                for &p in &self.pcie {
                    if offset == p + 0x28 {
                        return ByteRule::Bits {
                            free: DEVCTL2_ATOMIC_REQ,
                            set_only: 0,
                            zero: 0,
                        };
                    }
                    if offset == p + 0x29 {
                        return ByteRule::Carried;
                    }
                }
                for &v in &self.vpd {
                    if offset == v + 2 {
                        return ByteRule::Bits {
                            free: 0xff,
                            set_only: 0,
                            zero: 0,
                        };
                    }
                    if offset == v + 3 {
                        return ByteRule::Bits {
                            free: !VPD_F,
                            set_only: 0,
                            zero: VPD_F,
                        };
                    }
                }
                ByteRule::Never
            }
        }
    }

    /// Checks one configuration write as the recording host logged it.
    pub fn check_write(
        &self,
        offset: u16,
        size: u8,
        value: u32,
        before: u32,
        after: u32,
    ) -> Result<(), String> {
        if !matches!(size, 1 | 2 | 4) || offset % u16::from(size) != 0 {
            return Err(format!(
                "a {size}-byte write at {offset:#05x}: the host only takes aligned 1, 2 or 4 bytes"
            ));
        }
        for i in 0..u16::from(size) {
            let at = offset + i;
            let shift = 8 * u32::from(i);
            let v = (value >> shift) as u8;
            let b = (before >> shift) as u8;
            let a = (after >> shift) as u8;
            let bad = match self.rule(at) {
                ByteRule::Never => Some("a register no guest write may reach".to_string()),
                ByteRule::Carried => (v != b || a != b).then(|| {
                    format!(
                        "carried byte changed (before {b:#04x}, written {v:#04x}, after {a:#04x})"
                    )
                }),
                ByteRule::Bits {
                    free,
                    set_only,
                    zero,
                } => {
                    let fixed = !(free | set_only | zero);
                    if (v ^ b) & fixed != 0 || (a ^ b) & fixed != 0 {
                        Some(format!(
                            "bits {:#04x} changed (before {b:#04x}, written {v:#04x}, after {a:#04x})",
                            ((v ^ b) | (a ^ b)) & fixed
                        ))
                    } else if b & !v & set_only != 0 || b & !a & set_only != 0 {
                        Some(format!(
                            "bits {:#04x} may only be set, and were cleared (before {b:#04x}, \
                             written {v:#04x}, after {a:#04x})",
                            b & !(v & a) & set_only
                        ))
                    } else if v & zero != 0 {
                        Some(format!("bits {:#04x} must be written 0", v & zero))
                    } else {
                        None
                    }
                }
            };
            if let Some(why) = bad {
                return Err(format!("byte {at:#05x}: {why}"));
            }
        }
        Ok(())
    }

    /// Checks a recording host's log: every configuration write within the
    /// spec, at most [`link_retrains`](Self::link_retrains) link retrains.
    /// Returns the number of configuration writes.
    pub fn check_log(&self, log: &[HostOp]) -> Result<usize, Violation> {
        let mut writes = 0;
        let mut retrains = 0;
        for (index, op) in log.iter().enumerate() {
            let r = match *op {
                HostOp::ConfigWrite {
                    offset,
                    size,
                    value,
                    before,
                    after,
                } => {
                    writes += 1;
                    self.check_write(offset, size, value, before, after)
                }
                HostOp::RetrainLink => {
                    retrains += 1;
                    if retrains > self.link_retrains {
                        Err(format!(
                            "{retrains} host link retrains where at most {} may happen",
                            self.link_retrains
                        ))
                    } else {
                        Ok(())
                    }
                }
                HostOp::Reset | HostOp::ResizeBar { .. } | HostOp::SetPowerState(_) => Ok(()),
            };
            if let Err(why) = r {
                return Err(Violation {
                    index,
                    op: *op,
                    why,
                });
            }
        }
        Ok(writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> HostWriteSpec {
        HostWriteSpec {
            pcie: vec![0x70],
            vpd: vec![0xd0],
            pm: vec![0x40],
            link_retrains: 0,
        }
    }

    #[test]
    fn link_retrains_only_where_allowed() {
        let log = [HostOp::RetrainLink];
        assert!(spec().check_log(&log).is_err());
        assert!(spec().with_link_retrains(1).check_log(&log).is_ok());
        let two = [HostOp::RetrainLink; 2];
        assert!(spec().with_link_retrains(1).check_log(&two).is_err());
    }

    #[test]
    fn command_decode_may_be_set_never_cleared() {
        let s = spec();
        assert!(s.check_write(0x04, 2, 0x0407, 0x0404, 0x0407).is_ok());
        assert!(
            s.check_write(0x04, 1, 0x00, 0x04, 0x00).is_ok(),
            "bus master off"
        );
        assert!(s.check_write(0x04, 2, 0x0404, 0x0407, 0x0404).is_err());
        assert!(
            s.check_write(0x04, 2, 0x0507, 0x0407, 0x0507).is_err(),
            "SERR"
        );
        assert!(s.check_write(0x04, 1, 0x44, 0x04, 0x44).is_err(), "parity");
        assert!(s.check_write(0x06, 2, 0xf900, 0, 0).is_err(), "status");
    }

    #[test]
    fn only_the_listed_capability_bytes() {
        let s = spec();
        assert!(s.check_write(0x98, 1, 0x40, 0x00, 0x40).is_ok(), "AtomicOp");
        assert!(s.check_write(0x98, 2, 0x0040, 0x0000, 0x0040).is_ok());
        assert!(
            s.check_write(0x98, 1, 0x10, 0x00, 0x10).is_err(),
            "LTR enable"
        );
        assert!(
            s.check_write(0x78, 2, 0x8000, 0, 0).is_err(),
            "Device Control"
        );
        assert!(
            s.check_write(0xd2, 2, 0x0010, 0x8000, 0x8010).is_ok(),
            "VPD read"
        );
        assert!(
            s.check_write(0xd2, 2, 0x8010, 0, 0).is_err(),
            "VPD write request"
        );
        assert!(s.check_write(0x10, 4, 0xffff_ffff, 0, 0).is_err(), "BAR");
        assert!(
            s.check_write(0x05, 1, 0x01, 0x00, 0x01).is_err(),
            "SERR alone"
        );
    }
}
