//! A flat set of functions on one segment: the [`ConfigTarget`] segment mode
//! serves until vpcie-platform's topology (root ports, switches, routing)
//! takes its place. Lookup is one array index (bus, dev, fn → slot).

use crate::dispatch::{ConfigTarget, all_ones};
use crate::xl::{DeviceSource, DomainConfig, HostRef};
use vpcie_config::{BitPolicy, ConfigSize, ConfigSpace, NoHandler, lspci};

/// Functions addressed by bus/device/function.
pub struct FunctionMap {
    index: Vec<u16>,
    spaces: Vec<(u8, u8, u8, String, ConfigSpace)>,
}

const NONE: u16 = u16::MAX;

fn key(bus: u8, dev: u8, func: u8) -> usize {
    (usize::from(bus) << 8) | (usize::from(dev & 0x1f) << 3) | usize::from(func & 7)
}

impl Default for FunctionMap {
    fn default() -> Self {
        FunctionMap {
            index: vec![NONE; 1 << 16],
            spaces: Vec::new(),
        }
    }
}

impl FunctionMap {
    /// An empty segment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Places a function; replaces what was there.
    pub fn insert(
        &mut self,
        bus: u8,
        dev: u8,
        func: u8,
        name: impl Into<String>,
        space: ConfigSpace,
    ) {
        let k = key(bus, dev, func);
        if self.index[k] != NONE {
            self.spaces[self.index[k] as usize] = (bus, dev, func, name.into(), space);
        } else {
            self.index[k] = self.spaces.len() as u16;
            self.spaces.push((bus, dev, func, name.into(), space));
        }
    }

    /// The functions, in insertion order: (bus, dev, fn, name, space).
    pub fn functions(&self) -> impl Iterator<Item = (u8, u8, u8, &str, &ConfigSpace)> {
        self.spaces
            .iter()
            .map(|(b, d, f, n, s)| (*b, *d, *f, n.as_str(), s))
    }

    fn get_mut(&mut self, bus: u8, dev: u8, func: u8) -> Option<&mut ConfigSpace> {
        let i = self.index[key(bus, dev, func)];
        if i == NONE {
            None
        } else {
            self.spaces.get_mut(i as usize).map(|s| &mut s.4)
        }
    }
}

impl ConfigTarget for FunctionMap {
    fn config_read(&mut self, bus: u8, dev: u8, func: u8, reg: u16, size: u8) -> u32 {
        match self.get_mut(bus, dev, func) {
            Some(s) if usize::from(reg) + usize::from(size) <= s.size().bytes() => {
                s.read(reg, size, &mut NoHandler)
            }
            _ => all_ones(size) as u32,
        }
    }
    fn config_write(&mut self, bus: u8, dev: u8, func: u8, reg: u16, size: u8, value: u32) {
        if let Some(s) = self.get_mut(bus, dev, func)
            && usize::from(reg) + usize::from(size) <= s.size().bytes()
        {
            s.write(reg, size, value, &mut NoHandler);
        }
    }
}

/// The spike's test endpoint (vendor 1234, device 5e61): a PCIe endpoint with
/// a PCI Express capability at 0x40 and a Device Serial Number extended
/// capability at 0x100. Only Command's enable bits are writable.
pub fn demo_endpoint() -> ConfigSpace {
    let mut s = ConfigSpace::new(ConfigSize::Extended);
    s.set_u16(0x00, 0x1234);
    s.set_u16(0x02, 0x5e61);
    s.set_u16(0x06, 0x0010); // Status: capabilities list
    s.set_u8(0x08, 0x01);
    s.set_u8(0x0b, 0x02); // network controller
    s.set_u16(0x2c, 0x1234);
    s.set_u16(0x2e, 0x0001);
    s.set_u8(0x34, 0x40);
    s.set_u8(0x40, 0x10); // PCI Express, v2, endpoint
    s.set_u16(0x42, 0x0002);
    s.set_u32(0x44, 0x0000_8000);
    s.set_u16(0x48, 0x2810);
    s.set_u32(0x4c, 0x0000_0011);
    s.set_u16(0x52, 0x0011);
    s.set_u32(0x6c, 0x0000_0002);
    s.set_u16(0x70, 0x0001);
    s.set_u32(0x100, 0x0001_0003); // Device Serial Number, last
    s.set_u32(0x104, 0xcafe_f00d);
    s.set_u32(0x108, 0x5e61_0001);
    s.set_policy(
        0x04,
        2,
        BitPolicy {
            emulated: u32::MAX,
            writable: 0x0547,
            w1c: 0,
            to_device: 0,
        },
    );
    s
}

/// A function from an lspci dump, made safe to show without a device behind
/// it: BARs and the expansion ROM read as not implemented, no INTx pin, only
/// Command's enable bits writable; everything else read-only as dumped.
pub fn dump_function(config: &[u8]) -> ConfigSpace {
    let size = if config.len() > 256 {
        ConfigSize::Extended
    } else {
        ConfigSize::Conventional
    };
    let mut s = ConfigSpace::new(size);
    s.load_image(0, &config[..config.len().min(size.bytes())]);
    let header_type = s.get_u8(0x0e) & 0x7f;
    let bars: &[u16] = if header_type == 0 {
        &[0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30]
    } else {
        &[0x10, 0x14, 0x38]
    };
    for &b in bars {
        s.set_u32(b, 0);
    }
    s.set_u8(0x3c, 0);
    s.set_u8(0x3d, 0);
    s.set_u16(0x04, 0);
    s.set_policy(
        0x04,
        2,
        BitPolicy {
            emulated: u32::MAX,
            writable: 0x0547,
            w1c: 0,
            to_device: 0,
        },
    );
    s
}

/// Builds the flat segment of a domain config: `vpcie_pci` entries with
/// `dump=` on bus 0 at devices 0, 1, ... (a group shares one device number,
/// `fn=` or the host function giving the function), or the demo endpoint
/// at 00.0 when there are none. Placement keys (ports, switches) need the
/// platform crate and are reported, not honoured.
pub fn flat_segment(cfg: &DomainConfig) -> Result<(FunctionMap, Vec<String>), String> {
    let mut map = FunctionMap::new();
    let mut notes = Vec::new();
    let mut next_dev: u8 = 0;
    let mut group_dev: Vec<(String, u8)> = Vec::new();
    for d in &cfg.vpcie.devices {
        let DeviceSource::Dump(path) = &d.source else {
            notes.push(format!(
                "{}: host devices need the passthrough crate; skipped",
                d.host_label()
            ));
            continue;
        };
        let HostRef::Bdf(bdf) = d.host else { continue };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read {}: {e}", d.host_label(), path.display()))?;
        let funcs = lspci::parse(&text).map_err(|e| format!("{}: {}", path.display(), e))?;
        let f = funcs
            .iter()
            .find(|f| {
                let a = &f.address;
                a.bus == bdf.bus && a.device == bdf.dev && a.function == bdf.func
            })
            .or_else(|| funcs.first().filter(|_| funcs.len() == 1))
            .ok_or_else(|| {
                format!(
                    "{}: no function {:02x}:{:02x}.{} in {}",
                    d.host_label(),
                    bdf.bus,
                    bdf.dev,
                    bdf.func,
                    path.display()
                )
            })?;
        let dev = match &d.placement.group {
            Some(g) => match group_dev.iter().find(|(n, _)| n == g) {
                Some((_, dv)) => *dv,
                None => {
                    group_dev.push((g.clone(), next_dev));
                    next_dev += 1;
                    next_dev - 1
                }
            },
            None => {
                next_dev += 1;
                next_dev - 1
            }
        };
        if dev > 31 {
            return Err("more than 32 devices on the flat segment".into());
        }
        let func = d
            .placement
            .function
            .unwrap_or(if d.placement.group.is_some() {
                bdf.func
            } else {
                0
            });
        let mut space = dump_function(&f.config()[..f.config_size()]);
        if d.placement.group.is_some() {
            // Multi-function device: set the header's multi-function bit on every member.
            let ht = space.get_u8(0x0e);
            space.set_u8(0x0e, ht | 0x80);
        }
        if d.placement.port.is_some() {
            notes.push(format!(
                "{}: port={} needs vpcie-platform; placed flat on bus 0",
                d.host_label(),
                d.placement.port.as_deref().unwrap_or("")
            ));
        }
        map.insert(
            0,
            dev,
            func,
            format!("{} ({})", d.host_label(), f.title),
            space,
        );
    }
    if map.spaces.is_empty() {
        map.insert(0, 0, 0, "demo endpoint 1234:5e61", demo_endpoint());
    }
    Ok((map, notes))
}
