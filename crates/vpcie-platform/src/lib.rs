//! The guest's PCI Express topology: the Q35 chipset (MCH with PCIEXBAR,
//! ICH9 LPC with eight PIRQ links), Root Ports, switches, a PCIe-to-PCI
//! bridge and endpoints; configuration routing through the bridges as the
//! guest programs them; CF8/CFC and ECAM decode; INTx routing; events.
//!
//! Nothing here knows a host or a hypervisor. Front ends (Xen, the CLI,
//! firmware) drive a [`Platform`] through its config-access API and drain
//! its [`Event`]s; other crates place their own functions (passthrough) by
//! implementing [`Function`].
//!
//! # The access path
//!
//! ```text
//! pio_read/pio_write (CF8/CFC)  ─┐
//! mmio_read/mmio_write (ECAM)   ─┼─► config_read/config_write(bus, dev, fn, offset, size)
//! firmware, Xen ioreq PCI_CONFIG ┘        │ routes[bus] → segment → slots[segment, devfn]
//!                                         ▼
//!                                  Function::config_read / config_write
//! ```
//!
//! A read is three array lookups and one call; the routing table is rebuilt
//! only when a bridge's bus numbers or Secondary Bus Reset change.
//!
//! # Models and their sources
//!
//! | function | place | identity | source of the values |
//! |---|---|---|---|
//! | [`models::mch`] | 00:00.0 | 8086:29c0 | QEMU `q35.c`/`q35.h`; Intel 3-Series GMCH datasheet (PCIEXBAR, TOLUD) |
//! | [`models::lpc`] | 00:1f.0 | 8086:2918 | Intel ICH9 datasheet §13.1 (PMBASE, ACPI_CNTL, PIRQx_ROUT…); QEMU `lpc_ich9.c` |
//! | [`models::port::root_port`] | 00:1c.0–1c.5 by default | 8086:2940…294a (other places: 1b36:000c) | real ICH8M/ICH9 port layout (fixture m04), PCIe r6.x §7.5.3, §7.8.4 |
//! | [`models::port::switch_upstream`] / [`switch_downstream`](models::port::switch_downstream) | below a port | 104c:8232 / 104c:8233 | QEMU `xio3130_*`, PCIe r6.x |
//! | [`models::port::pcie_to_pci_bridge`] | below a port | 1b36:000e | QEMU `pcie_pci_bridge.c` (without SHPC) |
//! | [`models::endpoint`] | anywhere | 1b36:0005 by default | PCIe r6.x §7.5.1 |
//!
//! Each register is a row of a declarative table (`models::header`,
//! `models::caps` and each model's own) with its reset value, writable and
//! write-1-to-clear bits and a comment naming its source; the tests check
//! every model against a transcription of those sources and against QEMU's
//! Q35 captures.
//!
//! # Describing a platform
//!
//! [`PlatformDescription`] is a plain serde struct; the CLI reads it from
//! TOML (`vpcie dump --config FILE`). The format is documented in
//! [`description`]; the embedded default is [`description::DEFAULT_PLATFORM_TOML`].
//!
//! # Where vpcie deliberately differs from QEMU's Q35
//!
//! - PCIEXBAR decodes as Intel specifies: 128 MiB uses base bits 35:27, 64 MiB
//!   bits 35:26 (QEMU: 35:26 and 35:28+26, losing bit 27); bits the length
//!   makes reserved read 0; length 11b decodes nothing (QEMU keeps the old map).
//! - Reserved chipset registers read 0 and ignore writes (QEMU: 0x40–0xff of
//!   the MCH and LPC is writable RAM). No SMM: EXT_TSEG_MBYTES, SMRAM
//!   G_SMRAME and GEN_PMCON are not writable (Xen HVM has no SMM).
//! - LPC PMBASE writable bits are 15:7 with RTE read-only 1 (QEMU's mask is
//!   FF87); PIRQx_ROUT bits 6:4 read 0; reserved IRQ encodings route nowhere.
//! - Ports: Secondary Status error bits are RW1C (PCIe §7.5.1.3.7; QEMU: no
//!   W1C); Device Control MPS/MRRS/RO/NoSnoop/ExtTag and Link Control are
//!   writable with the spec's reset values (QEMU: RO 0); PM capability
//!   present (required of PCIe functions; QEMU's ports lack it); I/O windows
//!   are 32-bit (issue 3; QEMU: 16-bit); switch ports do not claim FLR
//!   (QEMU: they do) and their links read x1 2.5 GT/s (some QEMU versions: 0).
//! - Root ports have the ICH9 identity and layout (PCIe @40, MSI @80, SSVID
//!   @90, PM @a0) plus AER @100, not QEMU's ioh3420/generic layouts.
//! - The PCIe-to-PCI bridge has no SHPC (no BAR 0) and its primary Status
//!   has no 66 MHz/Fast Back-to-Back bits.
//! - Hot-plug slots (default on Root Ports and switch downstream ports):
//!   QEMU's Slot Capabilities without the electromechanical interlock
//!   (0x7b: button, power controller, indicators, surprise, Hot-Plug
//!   Capable); Data Link Layer State Changed is reported and its enable
//!   writable (QEMU: neither); Slot Status is plain RW1C (QEMU reverts
//!   every event bit when a write sets one that was clear). Link Disable
//!   takes the link down; Retrain Link is passed to a passthrough device's
//!   host. ARI forwarding is not offered.
//! - Root Ports log PME (Root Status, PME Pending) and interrupt for it
//!   (QEMU: PME not emulated, PME Interrupt Enable read-only).
//!
//! # Hot-plug, errors, PME, links
//!
//! - [`slot`]: the front end's hot-plug API ([`Platform::hot_add`],
//!   [`Platform::hot_remove`], [`Platform::surprise_remove`],
//!   [`Platform::press_attention_button`]); the slot registers are tables in
//!   [`models::hotplug`]; Data Link Layer Link Active follows presence, slot
//!   power and Link Disable, and routing follows the link.
//! - [`signal`]: errors ([`Platform::inject_error`]) and PME
//!   ([`Platform::signal_pme`]) from a function to its Root Port's Root
//!   Error Status / Root Status.
//! - A port's interrupt (hot-plug, PME, errors) is an [`Event::Msi`] when
//!   the guest enabled MSI, else its INTx through [`Platform::set_intx`]
//!   ([`models::interrupt`]).
//! - A port's Link Capabilities mirror the host's port above a passthrough
//!   device ([`Function::host_port_link`]); Link Status shows the trained
//!   link of both ends.

pub mod bridge;
pub mod builder;
pub mod description;
pub mod dump;
pub mod ecam;
pub mod enumerate;
pub mod events;
pub mod function;
pub mod intx;
pub mod models;
pub mod platform;
pub mod regs;
mod routing;
pub mod signal;
pub mod slot;
pub mod spec;

pub use bridge::{BridgeState, BridgeWindows, BusNumbers, Window};
pub use builder::{BuildError, PlatformBuilder};
pub use description::{DeviceDescription, DeviceKind, PlatformDescription};
pub use ecam::{EcamAddress, EcamWindow};
pub use events::{Event, EventQueue};
pub use function::{Function, FunctionId, Link, LinkSpeed, Notify, Recorder};
pub use intx::{IntxPin, IntxRoute, PirqLink, PirqRoute};
pub use models::hotplug::{CommandCompleted, Indicator, SlotOptions, SlotState};
pub use platform::{Bdf, BusId, BusKind, Devfn, Platform};
pub use signal::{
    Delivery, ErrorClass, ErrorOutcome, ErrorSeverity, ErrorSignal, PcieError, PmeOutcome,
    PmeSignal, SignalError,
};
pub use slot::{HotAddError, HotplugError, RemovedFunction};
