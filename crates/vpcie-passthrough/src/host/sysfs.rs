//! Linux sysfs: `/sys/bus/pci/devices/DDDD:BB:DD.F`.
//!
//! Files used (Documentation/ABI/testing/sysfs-bus-pci):
//! - `config`: the configuration space (256 or 4096 bytes; 64 when read
//!   without CAP_SYS_ADMIN), read and written at offsets;
//! - `resource`: one line `start end flags` per resource, BARs 0–5 then
//!   the ROM (IORESOURCE_* flags from `include/linux/ioport.h`);
//! - `reset`: writing 1 resets the function;
//! - `resourceN_resize`: writing a BAR Size bit number resizes BAR N;
//! - the device directory's parent (through the `devices/` symlink) is the
//!   upstream bridge, `pciDDDD:BB` when there is none.
//!
//! The root directory is a parameter so tests can build a fake tree. The
//! backend is read-only unless opened with [`Access::ReadWrite`]: every
//! operation that changes the host then fails with
//! [`HostError::ReadOnly`], so inspecting a device never disturbs it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{HostBar, HostDevice, HostError, LinkState, PowerState, check_access};
use crate::bdf::Bdf;
use crate::spec::*;
use vpcie_config::caps::{CapId, parse_capabilities};
use vpcie_config::regs::*;
use vpcie_config::{Bar, BarId};

/// Where Linux lists PCI functions.
pub const SYSFS_PCI_DEVICES: &str = "/sys/bus/pci/devices";

/// Whether the backend may change the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads only; every change fails with [`HostError::ReadOnly`].
    ReadOnly,
    /// Reads and writes (only for a device assigned to the guest).
    ReadWrite,
}

// include/linux/ioport.h
const IORESOURCE_IO: u64 = 0x0000_0100;
const IORESOURCE_MEM: u64 = 0x0000_0200;
const IORESOURCE_PREFETCH: u64 = 0x0000_2000;
const IORESOURCE_MEM_64: u64 = 0x0010_0000;

/// A host function through sysfs.
#[derive(Debug)]
pub struct SysfsHost {
    bdf: Bdf,
    dir: PathBuf,
    config: File,
    size: usize,
    access: Access,
    bars: [Option<HostBar>; 7],
    /// The upstream bridge's directory, if there is one.
    parent: Option<PathBuf>,
}

impl SysfsHost {
    /// Opens function `bdf` under `root` (normally [`SYSFS_PCI_DEVICES`]).
    pub fn open(root: &Path, bdf: Bdf, access: Access) -> Result<Self, HostError> {
        let dir = root.join(bdf.to_string());
        if !dir.exists() {
            return Err(HostError::NotFound {
                bdf,
                why: format!(
                    "no such function: {} does not exist; check the address with `lspci -D`",
                    dir.display()
                ),
            });
        }
        let config_path = dir.join("config");
        let config = OpenOptions::new()
            .read(true)
            .write(access == Access::ReadWrite)
            .open(&config_path)
            .map_err(|source| HostError::Io {
                bdf,
                action: "open",
                path: config_path.display().to_string(),
                source,
            })?;
        let len = config
            .metadata()
            .map(|m| m.len() as usize)
            .unwrap_or(PCI_CFG_SPACE_SIZE);
        let size = if len > PCI_CFG_SPACE_SIZE {
            PCI_CFG_SPACE_EXP_SIZE
        } else {
            PCI_CFG_SPACE_SIZE
        };
        let bars = read_resources(&dir.join("resource"));
        let parent = std::fs::canonicalize(&dir)
            .ok()
            .and_then(|real| real.parent().map(Path::to_path_buf))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.parse::<Bdf>().is_ok())
            });
        Ok(SysfsHost {
            bdf,
            dir,
            config,
            size,
            access,
            bars,
            parent,
        })
    }

    /// The function's sysfs directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The upstream bridge's address, if the function has one.
    pub fn parent(&self) -> Option<Bdf> {
        self.parent
            .as_ref()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse().ok())
    }

    fn writable(&self, what: &'static str) -> Result<(), HostError> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(HostError::ReadOnly {
                bdf: self.bdf,
                what,
            }),
        }
    }

    fn write_file(&self, name: &str, text: &str) -> Result<(), HostError> {
        let path = self.dir.join(name);
        std::fs::write(&path, text).map_err(|source| HostError::Io {
            bdf: self.bdf,
            action: "write",
            path: path.display().to_string(),
            source,
        })
    }

    /// The PCI Express capability offset of the upstream bridge and its config file.
    fn parent_pcie(&self) -> Result<Option<(File, u16, PathBuf)>, HostError> {
        let Some(parent) = &self.parent else {
            return Ok(None);
        };
        let path = parent.join("config");
        let file = OpenOptions::new()
            .read(true)
            .write(self.access == Access::ReadWrite)
            .open(&path)
            .map_err(|source| HostError::Io {
                bdf: self.bdf,
                action: "open",
                path: path.display().to_string(),
                source,
            })?;
        let mut bytes = vec![0u8; PCI_CFG_SPACE_SIZE];
        let n = file.read_at(&mut bytes, 0).unwrap_or(0);
        bytes[n..].fill(0xff);
        let caps = parse_capabilities(&bytes);
        Ok(caps
            .find(CapId::PciExpress)
            .map(|c| (file, c.offset, path.clone())))
    }
}

/// BARs and ROM from a sysfs `resource` file; missing or unreadable: none.
fn read_resources(path: &Path) -> [Option<HostBar>; 7] {
    let mut out = [None; 7];
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for (slot, line) in text.lines().take(7).enumerate() {
        let nums: Vec<u64> = line
            .split_whitespace()
            .filter_map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok())
            .collect();
        let [start, end, flags] = nums[..] else {
            continue;
        };
        if end <= start || (start == 0 && end == 0) {
            continue;
        }
        let size = end - start + 1;
        if !size.is_power_of_two() {
            continue;
        }
        let bar = if slot == 6 {
            Bar::rom(size)
        } else if flags & IORESOURCE_IO != 0 {
            Bar::io(size)
        } else if flags & IORESOURCE_MEM != 0 {
            let pf = flags & IORESOURCE_PREFETCH != 0;
            if flags & IORESOURCE_MEM_64 != 0 {
                Bar::memory64(size, pf)
            } else {
                Bar::memory32(size, pf)
            }
        } else {
            continue;
        };
        out[slot] = Some(HostBar {
            bar,
            address: start,
        });
    }
    out
}

impl HostDevice for SysfsHost {
    fn bdf(&self) -> Bdf {
        self.bdf
    }

    fn config_size(&self) -> usize {
        self.size
    }

    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        check_access(self.bdf, offset, size, self.size)?;
        let mut buf = [0xffu8; 4];
        let want = usize::from(size);
        let n = self
            .config
            .read_at(&mut buf[..want], u64::from(offset))
            .map_err(|source| HostError::Io {
                bdf: self.bdf,
                action: "read",
                path: self.dir.join("config").display().to_string(),
                source,
            })?;
        // Past what the kernel lets us read (64 bytes without privilege): all ones.
        buf[n..want].fill(0xff);
        Ok(u32::from_le_bytes(buf) & (u32::MAX >> (32 - 8 * want as u32)))
    }

    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        check_access(self.bdf, offset, size, self.size)?;
        self.writable("a configuration write")?;
        let bytes = value.to_le_bytes();
        self.config
            .write_all_at(&bytes[..usize::from(size)], u64::from(offset))
            .map_err(|source| HostError::Io {
                bdf: self.bdf,
                action: "write",
                path: self.dir.join("config").display().to_string(),
                source,
            })
    }

    fn bar(&self, id: BarId) -> Option<HostBar> {
        let slot = match id {
            BarId::Bar(i) => usize::from(i),
            BarId::Rom => 6,
        };
        self.bars.get(slot).copied().flatten()
    }

    fn reset(&mut self) -> Result<(), HostError> {
        self.writable("a function reset")?;
        self.write_file("reset", "1")
    }

    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        let Some((file, cap, _)) = self.parent_pcie()? else {
            return Ok(None);
        };
        let read = |off: u16, len: usize| -> u32 {
            let mut b = [0u8; 4];
            let n = file
                .read_at(&mut b[..len], u64::from(cap + off))
                .unwrap_or(0);
            b[n..len].fill(0xff);
            u32::from_le_bytes(b)
        };
        let flags = read(PCI_EXP_FLAGS, 2) as u16;
        let lnkcap2 = if flags & PCI_EXP_FLAGS_VERS >= 2 {
            read(PCI_EXP_LNKCAP2, 4)
        } else {
            0
        };
        Ok(Some(LinkState::from_registers(
            read(PCI_EXP_LNKCAP, 4),
            read(PCI_EXP_LNKSTA, 2) as u16,
            lnkcap2,
        )))
    }

    fn retrain_link(&mut self) -> Result<(), HostError> {
        self.writable("a link retrain")?;
        let bdf = self.bdf;
        let (file, cap, path) = self.parent_pcie()?.ok_or(HostError::Unsupported {
            bdf,
            what: "a link retrain without a PCI Express port above",
        })?;
        let at = u64::from(cap + PCI_EXP_LNKCTL);
        let mut b = [0u8; 2];
        let io = |source| HostError::Io {
            bdf,
            action: "write",
            path: path.display().to_string(),
            source,
        };
        file.read_exact_at(&mut b, at).map_err(io)?;
        let v = u16::from_le_bytes(b) | PCI_EXP_LNKCTL_RL;
        file.write_all_at(&v.to_le_bytes(), at).map_err(io)
    }

    fn can_resize_bar(&self, index: u8) -> bool {
        self.access == Access::ReadWrite
            && self.dir.join(format!("resource{index}_resize")).exists()
    }

    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        self.writable("a BAR resize")?;
        if !size.is_power_of_two() || size < (1 << 20) {
            return Err(HostError::Invalid {
                bdf: self.bdf,
                why: format!(
                    "BAR{index}: {size:#x} is not a Resizable BAR size (1 MiB or more, a power of two)"
                ),
            });
        }
        // sysfs-bus-pci: the value written is the BAR Size bit, 2^(bit + 20) bytes.
        let bit = size.trailing_zeros() - 20;
        self.write_file(&format!("resource{index}_resize"), &bit.to_string())?;
        self.bars = read_resources(&self.dir.join("resource"));
        Ok(())
    }

    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        self.writable("a power state change")?;
        let mut bytes = vec![0u8; PCI_CFG_SPACE_SIZE];
        let n = self.config.read_at(&mut bytes, 0).unwrap_or(0);
        bytes[n..].fill(0xff);
        let caps = parse_capabilities(&bytes);
        let pm = caps
            .find(CapId::PowerManagement)
            .ok_or(HostError::Unsupported {
                bdf: self.bdf,
                what: "a power state change without a Power Management capability",
            })?;
        let at = pm.offset + PCI_PM_CTRL;
        let old = self.config_read(at, 2)? as u16;
        // PME_Status is write-1-to-clear: write it as 0 to leave it alone.
        let new = (old & !(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS)) | state.bits();
        self.config_write(at, 2, u32::from(new))
    }
}
