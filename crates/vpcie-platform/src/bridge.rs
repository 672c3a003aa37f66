//! The routing state of a Type 1 function as the guest programmed it: bus
//! numbers, windows, Bridge Control. Read back from the function's own
//! configuration space, so any bridge (emulated or not) routes alike.

use crate::function::Function;
use vpcie_config::regs::*;

/// Primary, secondary and subordinate bus numbers of a bridge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BusNumbers {
    /// Bus the bridge sits on, as programmed (not used for routing, as on real bridges).
    pub primary: u8,
    /// Bus directly below the bridge: Type 1 accesses to it become Type 0.
    pub secondary: u8,
    /// Highest bus below the bridge.
    pub subordinate: u8,
}

impl BusNumbers {
    /// Whether the bridge claims a Type 1 access to `bus` (PCI-to-PCI Bridge
    /// Architecture 1.2 §3.2.2.3.2: secondary ≤ bus ≤ subordinate).
    pub fn claims(&self, bus: u8) -> bool {
        self.secondary <= bus && bus <= self.subordinate
    }
}

/// An address range a bridge forwards, both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// First address.
    pub base: u64,
    /// Last address.
    pub limit: u64,
}

/// The windows of a bridge as programmed; `None`: closed (base above limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BridgeWindows {
    /// I/O window (4 KiB granules; 32-bit when the bridge implements the upper registers).
    pub io: Option<Window>,
    /// Non-prefetchable memory window (1 MiB granules, 32-bit).
    pub memory: Option<Window>,
    /// Prefetchable memory window (1 MiB granules, 64-bit when implemented).
    pub prefetchable: Option<Window>,
    /// Command I/O Space Enable: the I/O window forwards.
    pub io_enabled: bool,
    /// Command Memory Space Enable: the memory windows forward.
    pub memory_enabled: bool,
}

/// Everything about a bridge that routing and events follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BridgeState {
    /// Bus numbers.
    pub numbers: BusNumbers,
    /// Windows.
    pub windows: BridgeWindows,
    /// Bridge Control.
    pub control: u16,
}

impl BridgeState {
    /// Whether Secondary Bus Reset holds the secondary bus in reset.
    pub fn in_reset(&self) -> bool {
        self.control & PCI_BRIDGE_CTL_BUS_RESET != 0
    }

    /// Reads the state from a Type 1 function's configuration space.
    pub fn read(f: &mut dyn Function) -> BridgeState {
        let buses = f.config_read(PCI_PRIMARY_BUS, 4);
        let command = f.config_read(PCI_COMMAND, 2) as u16;
        let io = f.config_read(PCI_IO_BASE, 2);
        let io_upper = f.config_read(PCI_IO_BASE_UPPER16, 4);
        let mem = f.config_read(PCI_MEMORY_BASE, 4);
        let pref = f.config_read(PCI_PREF_MEMORY_BASE, 4);
        let pref_base_upper = f.config_read(PCI_PREF_BASE_UPPER32, 4);
        let pref_limit_upper = f.config_read(PCI_PREF_LIMIT_UPPER32, 4);
        let control = f.config_read(PCI_BRIDGE_CONTROL, 2) as u16;
        BridgeState {
            numbers: BusNumbers {
                primary: buses as u8,
                secondary: (buses >> 8) as u8,
                subordinate: (buses >> 16) as u8,
            },
            windows: BridgeWindows {
                io: io_window(io as u8, (io >> 8) as u8, io_upper),
                memory: memory_window(mem as u16, (mem >> 16) as u16),
                prefetchable: prefetchable_window(
                    pref as u16,
                    (pref >> 16) as u16,
                    pref_base_upper,
                    pref_limit_upper,
                ),
                io_enabled: command & PCI_COMMAND_IO != 0,
                memory_enabled: command & PCI_COMMAND_MEMORY != 0,
            },
            control,
        }
    }
}

/// I/O window from I/O Base/Limit and, when the type is 32-bit, the upper
/// 16 bits (PCI-to-PCI Bridge 1.2 §3.2.5.6).
fn io_window(base: u8, limit: u8, upper: u32) -> Option<Window> {
    let wide = base & PCI_IO_RANGE_TYPE_MASK == PCI_IO_RANGE_TYPE_32;
    let (base_hi, limit_hi) = if wide {
        (u64::from(upper & 0xffff), u64::from(upper >> 16))
    } else {
        (0, 0)
    };
    let b = base_hi << 16 | u64::from(base & PCI_IO_RANGE_MASK) << 8;
    let l = limit_hi << 16 | u64::from(limit & PCI_IO_RANGE_MASK) << 8 | 0xfff;
    (b <= l).then_some(Window { base: b, limit: l })
}

/// Memory window from Memory Base/Limit (§3.2.5.8).
fn memory_window(base: u16, limit: u16) -> Option<Window> {
    let b = u64::from(base & PCI_MEMORY_RANGE_MASK) << 16;
    let l = u64::from(limit & PCI_MEMORY_RANGE_MASK) << 16 | 0xf_ffff;
    (b <= l).then_some(Window { base: b, limit: l })
}

/// Prefetchable window, 64-bit when the type says so (§3.2.5.9–10).
fn prefetchable_window(base: u16, limit: u16, base_upper: u32, limit_upper: u32) -> Option<Window> {
    let wide = base & PCI_PREF_RANGE_TYPE_MASK == PCI_PREF_RANGE_TYPE_64;
    let (bu, lu) = if wide {
        (u64::from(base_upper), u64::from(limit_upper))
    } else {
        (0, 0)
    };
    let b = bu << 32 | u64::from(base & PCI_PREF_RANGE_MASK) << 16;
    let l = lu << 32 | u64::from(limit & PCI_PREF_RANGE_MASK) << 16 | 0xf_ffff;
    (b <= l).then_some(Window { base: b, limit: l })
}

/// Whether a write of `size` bytes at `offset` touches a register that
/// routing or window events follow (Command, bus numbers, windows, Bridge
/// Control).
#[inline]
pub(crate) fn touches_routing(offset: u16, size: u8) -> bool {
    let end = offset + u16::from(size);
    let overlaps = |a: u16, b: u16| offset < b && a < end;
    overlaps(PCI_COMMAND, PCI_COMMAND + 2)
        || overlaps(PCI_PRIMARY_BUS, PCI_SEC_LATENCY_TIMER)
        || overlaps(PCI_IO_BASE, PCI_IO_BASE + 2)
        || overlaps(PCI_MEMORY_BASE, PCI_CAPABILITY_LIST)
        || overlaps(PCI_BRIDGE_CONTROL, PCI_BRIDGE_CONTROL + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_decode() {
        assert_eq!(
            io_window(0xe1, 0xe1, 0x0001_0001),
            Some(Window {
                base: 0x1_e000,
                limit: 0x1_efff
            })
        );
        // 16-bit type ignores the upper registers.
        assert_eq!(
            io_window(0xe0, 0xe0, 0xffff_ffff),
            Some(Window {
                base: 0xe000,
                limit: 0xefff
            })
        );
        // Reset state of our bridges: closed.
        assert_eq!(io_window(0xf1, 0x01, 0), None);
        assert_eq!(memory_window(0xfff0, 0), None);
        assert_eq!(
            memory_window(0xfd80, 0xfdb0),
            Some(Window {
                base: 0xfd80_0000,
                limit: 0xfdbf_ffff
            })
        );
        assert_eq!(
            prefetchable_window(0x0001, 0xfff1, 0x8, 0x8),
            Some(Window {
                base: 0x8_0000_0000,
                limit: 0x8_ffff_ffff
            })
        );
        assert_eq!(prefetchable_window(0xfff1, 0x0001, 0, 0), None);
    }

    #[test]
    fn claims_is_inclusive_and_inverted_claims_nothing() {
        let n = BusNumbers {
            primary: 0,
            secondary: 2,
            subordinate: 4,
        };
        assert!(!n.claims(1) && n.claims(2) && n.claims(4) && !n.claims(5));
        let inv = BusNumbers {
            primary: 0,
            secondary: 5,
            subordinate: 3,
        };
        assert!((0..=255).all(|b| !inv.claims(b)));
    }
}
