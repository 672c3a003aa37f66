//! Bus-0 mode: vpcie serves chosen device numbers of segment 0 beside
//! another device model, reached by `IOREQ_TYPE_PCI_CONFIG` requests — from
//! CF8/CFC (Xen 4.17 decodes those itself) and, with the hypervisor-side
//! ECAM decode this mode needs ([`crate::sim`] implements the contract),
//! from ECAM.
//!
//! What vpcie claims follows the guest, before the access that changed it
//! completes ([`crate::dispatch::Dispatch::take_claim_update`]):
//! - the PCI ranges: its bus-0 devices, and the bus numbers below each of
//!   its bridges on bus 0 (`secondary..=subordinate`, all devices), as the
//!   guest programmed them last;
//! - the ECAM window: where the MCH's PCIEXBAR puts it (when vpcie serves
//!   the MCH), off when PCIEXBAR is disabled.
//!
//! New claims are made before old ones are dropped
//! ([`crate::server::IoreqServer::set_claims`]), so an access to a bus that
//! is vpcie's both before and after a change always finds it.

use crate::abi::{RangeKind, Sbdf};
use crate::dispatch::{ClaimUpdate, Dispatch, all_ones};
use crate::server::Range;
use crate::transport::EcamDecode;
use vpcie_platform::{Event, Platform};

/// Segment 0's functions that vpcie serves.
pub struct Bus0Dispatch {
    /// The platform (its root bus is segment 0's bus 0).
    pub platform: Platform,
    /// Bus-0 device numbers vpcie answers (its functions there).
    owned: [bool; 32],
    dirty: bool,
    claimed: Option<(Vec<Range>, Option<EcamDecode>)>,
    /// Changes of bus numbers, windows, ECAM the guest made (for the log), bounded.
    pub changes: Vec<String>,
}

/// Most change descriptions kept in [`Bus0Dispatch::changes`].
pub const CHANGE_LOG: usize = 256;

fn sbdf(bus: u8, dev: u8, func: u8) -> u64 {
    Sbdf {
        seg: 0,
        bus,
        dev,
        func,
    }
    .dmop()
}

impl Bus0Dispatch {
    /// Serves `platform`'s bus-0 functions (every device number where it has one).
    pub fn new(mut platform: Platform) -> Self {
        let mut owned = [false; 32];
        for dev in 0..32u8 {
            owned[usize::from(dev)] = (0..8u8).any(|f| {
                vpcie_platform::Devfn::new(dev, f)
                    .is_some_and(|devfn| platform.function_at(0, devfn).is_some())
            });
        }
        platform.events().drain();
        Bus0Dispatch {
            platform,
            owned,
            dirty: true,
            claimed: None,
            changes: Vec::new(),
        }
    }

    /// What vpcie must claim for the platform as the guest programmed it now.
    pub fn wanted(&self) -> (Vec<Range>, Option<EcamDecode>) {
        let mut ranges = Vec::new();
        for dev in 0..32u8 {
            if self.owned[usize::from(dev)] {
                ranges.push(Range {
                    kind: RangeKind::Pci,
                    start: sbdf(0, dev, 0),
                    end: sbdf(0, dev, 7),
                });
            }
        }
        for id in self.platform.function_ids() {
            let (Some(bdf), Some(state)) = (self.platform.bdf(id), self.platform.bridge_state(id))
            else {
                continue;
            };
            let n = state.numbers;
            if bdf.bus == 0 && n.secondary > 0 && n.subordinate >= n.secondary {
                ranges.push(Range {
                    kind: RangeKind::Pci,
                    start: sbdf(n.secondary, 0, 0),
                    end: sbdf(n.subordinate, 31, 7),
                });
            }
        }
        let ecam = self.platform.ecam_window().map(|w| EcamDecode {
            base: w.base,
            buses: w.buses(),
            segment: 0,
        });
        (crate::claims::normalize(&ranges), ecam)
    }

    fn note(&mut self, e: &Event) {
        if self.changes.len() < CHANGE_LOG {
            self.changes.push(format!("{e:?}"));
        }
    }

    fn drain_events(&mut self) {
        for e in self.platform.events().drain() {
            match e {
                Event::BusNumbersChanged { .. }
                | Event::EcamChanged { .. }
                | Event::SecondaryBusReset { .. } => {
                    self.dirty = true;
                    self.note(&e);
                }
                _ => {}
            }
        }
    }
}

impl Dispatch for Bus0Dispatch {
    fn pio_read(&mut self, _port: u16, size: u8) -> u32 {
        all_ones(size) as u32
    }
    fn pio_write(&mut self, _port: u16, _size: u8, _value: u32) {}
    fn mmio_read(&mut self, _addr: u64, size: u8) -> u64 {
        all_ones(size)
    }
    fn mmio_write(&mut self, _addr: u64, _size: u8, _value: u64) {}
    fn pci_config_read(&mut self, sbdf: Sbdf, reg: u16, size: u8) -> u32 {
        if sbdf.seg != 0 {
            return all_ones(size) as u32;
        }
        self.platform
            .config_read(sbdf.bus, sbdf.dev, sbdf.func, reg, size)
    }
    fn pci_config_write(&mut self, sbdf: Sbdf, reg: u16, size: u8, value: u32) {
        if sbdf.seg == 0 {
            self.platform
                .config_write(sbdf.bus, sbdf.dev, sbdf.func, reg, size, value);
            self.drain_events();
        }
    }
    fn take_claim_update(&mut self) -> Option<ClaimUpdate> {
        if !std::mem::take(&mut self.dirty) {
            return None;
        }
        let (ranges, ecam) = self.wanted();
        let (old_ranges, old_ecam) = match &self.claimed {
            Some((r, e)) => (Some(r.clone()), Some(*e)),
            None => (None, None),
        };
        let update = ClaimUpdate {
            ranges: (old_ranges.as_ref() != Some(&ranges)).then(|| ranges.clone()),
            ecam: (old_ecam != Some(ecam)).then_some(ecam),
        };
        self.claimed = Some((ranges, ecam));
        (update.ranges.is_some() || update.ecam.is_some()).then_some(update)
    }
}
