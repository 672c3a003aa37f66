//! Configuration space as a guest reaches it on either machine: CF8/CFC for
//! offsets below 0x100, the ECAM window the MCH's PCIEXBAR opens for the
//! rest. On top: enumeration, snapshots and the write probe — the same
//! procedure on QEMU and on vpcie.

use crate::machine::Machine;
use vpcie_firmware::{Bdf, ConfigAccess};

/// PCIEXBAR (MCH 00:00.0, offset 0x60), as the Intel 3-Series GMCH
/// datasheet 317607 (p.91) decodes it: bit 0 enable, bits 2:1 length
/// (00 256 MiB, 01 128 MiB, 10 64 MiB), base bits 35:28/35:27/35:26.
/// Returns (base, size) of the window it opens.
pub fn decode_pciexbar(value: u64) -> Option<(u64, u64)> {
    if value & 1 == 0 {
        return None;
    }
    let (size, base_mask) = match (value >> 1) & 3 {
        0 => (256u64 << 20, 0xf_f000_0000u64),
        1 => (128 << 20, 0xf_f800_0000),
        2 => (64 << 20, 0xf_fc00_0000),
        _ => return None,
    };
    Some((value & base_mask, size))
}

/// A machine seen through configuration accesses.
pub struct Guest<M: Machine> {
    /// The machine.
    pub machine: M,
    /// The ECAM base decoded from PCIEXBAR, once read (`Some(None)`: off).
    ecam: Option<Option<u64>>,
    /// Use this ECAM base instead of PCIEXBAR's (where a machine decodes
    /// PCIEXBAR differently; the ECAM check reports it).
    pub ecam_override: Option<u64>,
}

const MCH: Bdf = Bdf::new(0, 0, 0);
const PCIEXBAR: u16 = 0x60;

impl<M: Machine> Guest<M> {
    /// Wraps `machine`.
    pub fn new(machine: M) -> Self {
        Guest {
            machine,
            ecam: None,
            ecam_override: None,
        }
    }

    fn cf8(&mut self, bdf: Bdf, offset: u16) -> u16 {
        let address = 0x8000_0000
            | u32::from(bdf.bus) << 16
            | u32::from(bdf.devfn()) << 8
            | u32::from(offset & 0xfc);
        self.machine.outp(0xcf8, 4, address);
        0xcfc + (offset & 3)
    }

    /// The PCIEXBAR value (64 bits), read through CF8/CFC.
    pub fn pciexbar(&mut self) -> u64 {
        let lo = u64::from(self.read(MCH, PCIEXBAR, 4));
        let hi = u64::from(self.read(MCH, PCIEXBAR + 4, 4));
        hi << 32 | lo
    }

    /// Where ECAM accesses go now.
    pub fn ecam_base(&mut self) -> Option<u64> {
        if let Some(base) = self.ecam_override {
            return Some(base);
        }
        if self.ecam.is_none() {
            let v = self.pciexbar();
            self.ecam = Some(decode_pciexbar(v).map(|(base, _)| base));
        }
        self.ecam.flatten()
    }

    /// Programs PCIEXBAR as SeaBIOS does (`mch_mem_addr_setup`): disable,
    /// high dword, then base | length | enable.
    pub fn set_pciexbar(&mut self, value: u64) {
        self.write(MCH, PCIEXBAR, 4, 0);
        self.write(MCH, PCIEXBAR + 4, 4, (value >> 32) as u32);
        self.write(MCH, PCIEXBAR, 4, value as u32);
    }

    fn ecam_address(&mut self, bdf: Bdf, offset: u16) -> Option<u64> {
        let base = self.ecam_base()?;
        Some(
            base + (u64::from(bdf.bus) << 20
                | u64::from(bdf.devfn()) << 12
                | u64::from(offset & 0xfff)),
        )
    }
}

fn all_ones(size: u8) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        _ => u32::MAX,
    }
}

impl<M: Machine> ConfigAccess for Guest<M> {
    fn read(&mut self, bdf: Bdf, offset: u16, size: u8) -> u32 {
        if offset < 0x100 {
            let port = self.cf8(bdf, offset);
            self.machine.inp(port, size)
        } else {
            match self.ecam_address(bdf, offset) {
                Some(addr) => self.machine.read_mem(addr, size),
                None => all_ones(size),
            }
        }
    }

    fn write(&mut self, bdf: Bdf, offset: u16, size: u8, value: u32) {
        if offset < 0x100 {
            let port = self.cf8(bdf, offset);
            self.machine.outp(port, size, value);
            if bdf == MCH && offset < PCIEXBAR + 8 && offset + u16::from(size) > PCIEXBAR {
                self.ecam = None;
            }
        } else if let Some(addr) = self.ecam_address(bdf, offset) {
            self.machine.write_mem(addr, size, value);
        }
    }
}

/// A function found by [`discover`].
#[derive(Clone, Debug)]
pub struct Found {
    /// Where the guest reached it.
    pub bdf: Bdf,
    /// Its physical place: devfns from bus 0, e.g. `00:1c.0/00.0/01.0`
    /// (the same on both machines whatever the bus numbers).
    pub path: String,
    /// The physical place of the bridge above.
    pub parent: Option<String>,
    /// The first 256 bytes as found, before enumeration wrote anything to
    /// the function (bus numbers included).
    pub found: Vec<u8>,
}

impl Found {
    /// Header type without the multi-function bit.
    pub fn header_type(&self) -> u8 {
        self.found[0x0e] & 0x7f
    }

    /// A Type 1 (bridge) header.
    pub fn is_bridge(&self) -> bool {
        self.header_type() == 1
    }
}

/// Reads `len` bytes from offset 0 (dword accesses).
pub fn read_config<A: ConfigAccess + ?Sized>(a: &mut A, bdf: Bdf, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    for off in (0..len).step_by(4) {
        out.extend_from_slice(&a.read(bdf, off as u16, 4).to_le_bytes());
    }
    out
}

/// The function's configuration size as Linux decides it
/// (`pci_cfg_space_size_ext`): 4096 when offset 0x100 does not read
/// all-ones through ECAM, else 256.
pub fn config_size<A: ConfigAccess + ?Sized>(a: &mut A, bdf: Bdf) -> usize {
    if a.read(bdf, 0x100, 4) == u32::MAX {
        256
    } else {
        4096
    }
}

/// Walks the hierarchy from bus 0 as firmware does. With `assign`, it
/// numbers the buses depth-first as SeaBIOS and vpcie's firmware do
/// (primary, secondary = next free, subordinate = the last below); without
/// it, it follows the secondary bus numbers already programmed.
pub fn discover<A: ConfigAccess + ?Sized>(a: &mut A, assign: bool) -> Vec<Found> {
    let mut out = Vec::new();
    let mut next_bus = 0u8;
    scan(a, 0, None, "00:", assign, &mut next_bus, &mut out);
    out
}

fn scan<A: ConfigAccess + ?Sized>(
    a: &mut A,
    bus: u8,
    parent: Option<&str>,
    prefix: &str,
    assign: bool,
    next_bus: &mut u8,
    out: &mut Vec<Found>,
) {
    for device in 0..32u8 {
        let f0 = Bdf::new(bus, device, 0);
        if !present(a.read(f0, 0, 2)) {
            continue;
        }
        let functions = if a.read(f0, 0x0e, 1) & 0x80 != 0 {
            8
        } else {
            1
        };
        for function in 0..functions {
            let bdf = Bdf::new(bus, device, function);
            if !present(a.read(bdf, 0, 2)) {
                continue;
            }
            let found = read_config(a, bdf, 256);
            let path = format!("{prefix}{device:02x}.{function:x}");
            let entry = Found {
                bdf,
                path: path.clone(),
                parent: parent.map(str::to_string),
                found,
            };
            let bridge = entry.is_bridge();
            out.push(entry);
            if !bridge {
                continue;
            }
            let child_prefix = format!("{path}/");
            if assign {
                if *next_bus == u8::MAX {
                    continue;
                }
                *next_bus += 1;
                let secondary = *next_bus;
                a.write(bdf, 0x18, 1, u32::from(bus));
                a.write(bdf, 0x19, 1, u32::from(secondary));
                a.write(bdf, 0x1a, 1, 0xff);
                scan(
                    a,
                    secondary,
                    Some(&path),
                    &child_prefix,
                    assign,
                    next_bus,
                    out,
                );
                a.write(bdf, 0x1a, 1, u32::from(*next_bus));
            } else {
                let secondary = a.read(bdf, 0x19, 1) as u8;
                // A bridge left unprogrammed (or pointing back) hides its bus.
                if secondary > bus {
                    scan(
                        a,
                        secondary,
                        Some(&path),
                        &child_prefix,
                        assign,
                        next_bus,
                        out,
                    );
                }
            }
        }
    }
}

fn present(vendor: u32) -> bool {
    vendor != 0xffff && vendor != 0
}

/// What each byte reads after a probe: all-ones written alone, then zeros
/// written alone, the original restored after each byte.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probe {
    /// Byte read back after writing 0xff.
    pub ones: Vec<u8>,
    /// Byte read back after writing 0x00.
    pub zeros: Vec<u8>,
}

impl Probe {
    /// Bits that follow what was written (write 1 reads 1, write 0 reads 0).
    pub fn writable(&self, offset: usize) -> u8 {
        self.ones[offset] & !self.zeros[offset]
    }
}

/// Probes the bytes of `ranges` (start, end exclusive; others keep their
/// value on both reads):
/// for each byte, read it, write 0xff, read, write 0x00, read, write the
/// original back. One byte at a time so that every register sees the same
/// sequence on both machines whatever its size.
pub fn probe<A: ConfigAccess + ?Sized>(
    a: &mut A,
    bdf: Bdf,
    config: &[u8],
    ranges: &[(usize, usize)],
) -> Probe {
    let mut p = Probe {
        ones: config.to_vec(),
        zeros: config.to_vec(),
    };
    for &(start, end) in ranges {
        for off in start..end {
            if off >= config.len() {
                break;
            }
            let o = off as u16;
            let orig = a.read(bdf, o, 1);
            a.write(bdf, o, 1, 0xff);
            p.ones[off] = a.read(bdf, o, 1) as u8;
            a.write(bdf, o, 1, 0);
            p.zeros[off] = a.read(bdf, o, 1) as u8;
            a.write(bdf, o, 1, orig);
        }
    }
    p
}
