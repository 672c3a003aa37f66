//! The named side effects of guest writes, and what each may do to the host.
//!
//! A register table attaches a hook to a register; after a guest write to
//! it the function runs the hook (one per write, O(1)). [`HOOKS`] lists every
//! hook with the host operations it may perform: together with the tables'
//! `to_device` masks this is the complete list of ways a guest write can
//! reach the host.

use vpcie_config::HookId;
use vpcie_config::regs::*;

/// Command: I/O and Memory Space enables, INTx Disable.
pub const HOOK_COMMAND: HookId = HookId(1);
/// PMCSR PowerState.
pub const HOOK_PM: HookId = HookId(2);
/// MSI control, address, data, mask.
pub const HOOK_MSI: HookId = HookId(3);
/// MSI-X Message Control.
pub const HOOK_MSIX: HookId = HookId(4);
/// PCI Express Device Control (Function Level Reset).
pub const HOOK_DEVCTL: HookId = HookId(5);
/// VPD Address (read requests).
pub const HOOK_VPD: HookId = HookId(6);
/// Resizable BAR Control (BAR Size).
pub const HOOK_REBAR: HookId = HookId(7);

/// Where a hook may write host configuration bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostBits {
    /// No configuration write.
    None,
    /// Bits of the dword at a fixed offset of the header.
    Header {
        /// Dword offset.
        dword: u16,
        /// Bits within the dword.
        mask: u32,
    },
    /// Bits of the dword at the start of the capability the hook serves.
    CapDword0 {
        /// Bits within the dword.
        mask: u32,
    },
}

/// A hook and what it may do to the host.
#[derive(Clone, Copy, Debug)]
pub struct HookSpec {
    /// The hook.
    pub id: HookId,
    /// Its name in tables and messages.
    pub name: &'static str,
    /// Configuration bits it may write on the host.
    pub host_bits: HostBits,
    /// The host operations it may perform, in words.
    pub host_effect: &'static str,
}

/// Every hook of the passthrough policy.
pub const HOOKS: &[HookSpec] = &[
    HookSpec {
        id: HOOK_COMMAND,
        name: "command",
        host_bits: HostBits::Header {
            dword: PCI_COMMAND,
            mask: (PCI_COMMAND_IO | PCI_COMMAND_MEMORY) as u32,
        },
        host_effect: "sets I/O or Memory Space Enable on the host when the guest enables it; \
                      never clears them (XSA-120/126); reports INTx Disable changes",
    },
    HookSpec {
        id: HOOK_PM,
        name: "pm",
        host_bits: HostBits::None,
        host_effect: "forwards a PowerState change as HostDevice::set_power_state when the \
                      function's options forward power states; outside D0 the BARs are unmapped",
    },
    HookSpec {
        id: HOOK_MSI,
        name: "msi",
        host_bits: HostBits::None,
        host_effect: "none: reports the virtual MSI state to the interrupt path",
    },
    HookSpec {
        id: HOOK_MSIX,
        name: "msix",
        host_bits: HostBits::None,
        host_effect: "none: reports MSI-X enable and function mask to the interrupt path",
    },
    HookSpec {
        id: HOOK_DEVCTL,
        name: "devctl",
        host_bits: HostBits::None,
        host_effect: "Function Level Reset written 1 (and advertised): HostDevice::reset, and \
                      the virtual function returns to its reset state",
    },
    HookSpec {
        id: HOOK_VPD,
        name: "vpd",
        // The whole VPD Address register, F always written 0 (a read request).
        host_bits: HostBits::CapDword0 { mask: 0xffff_0000 },
        host_effect: "passes a VPD read request (address, F = 0) to the host's VPD Address; \
                      drops write requests (F = 1), which would rewrite the device's VPD storage",
    },
    HookSpec {
        id: HOOK_REBAR,
        name: "rebar",
        host_bits: HostBits::None,
        host_effect: "a supported BAR Size written while Memory Space is disabled: \
                      HostDevice::resize_bar, then the virtual BAR takes the new size",
    },
];

/// The spec of hook `id`.
pub fn hook_spec(id: HookId) -> Option<&'static HookSpec> {
    HOOKS.iter().find(|h| h.id == id)
}
