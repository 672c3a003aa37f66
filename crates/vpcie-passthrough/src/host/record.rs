//! A test double that logs every operation that changes the host.
//!
//! [`RecordingHost`] wraps any [`HostDevice`] and appends a [`HostOp`] to
//! its log for each configuration write (with the value the host held
//! before and after, so a check can tell which bits changed), reset, link retrain,
//! BAR resize and power-state change, then passes the operation on. Reads
//! are not logged: they cannot change the host (PCI configuration reads
//! have no side effects on the registers vpcie reads).

use super::{HostBar, HostDevice, HostError, LinkState, PowerState};
use crate::bdf::Bdf;
use vpcie_config::BarId;

/// One operation that reached the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOp {
    /// A configuration write.
    ConfigWrite {
        /// Offset written.
        offset: u16,
        /// Bytes written (1, 2 or 4).
        size: u8,
        /// Value written.
        value: u32,
        /// What the host returned for the same bytes just before.
        before: u32,
        /// What the host returned for the same bytes just after (a
        /// write-1-to-clear bit shows up here, not in `value ^ before`).
        after: u32,
    },
    /// A function reset.
    Reset,
    /// A link retrain request to the upstream port.
    RetrainLink,
    /// A BAR resize.
    ResizeBar {
        /// BAR index.
        index: u8,
        /// New size in bytes.
        size: u64,
    },
    /// A power-state change.
    SetPowerState(PowerState),
}

/// Wraps a host backend and logs what changes it.
#[derive(Clone, Debug)]
pub struct RecordingHost<H> {
    inner: H,
    log: Vec<HostOp>,
}

impl<H: HostDevice> RecordingHost<H> {
    /// Wraps `inner` with an empty log.
    pub fn new(inner: H) -> Self {
        RecordingHost {
            inner,
            log: Vec::new(),
        }
    }

    /// Every operation logged so far, in order.
    pub fn log(&self) -> &[HostOp] {
        &self.log
    }

    /// Empties the log (e.g. after setting up a device).
    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &H {
        &self.inner
    }

    /// The wrapped backend, mutably (changes made through it are not logged).
    pub fn inner_mut(&mut self) -> &mut H {
        &mut self.inner
    }
}

impl<H: HostDevice> HostDevice for RecordingHost<H> {
    fn bdf(&self) -> Bdf {
        self.inner.bdf()
    }

    fn config_size(&self) -> usize {
        self.inner.config_size()
    }

    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        self.inner.config_read(offset, size)
    }

    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        let before = self.inner.config_read(offset, size).unwrap_or(u32::MAX);
        let result = self.inner.config_write(offset, size, value);
        let after = self.inner.config_read(offset, size).unwrap_or(u32::MAX);
        self.log.push(HostOp::ConfigWrite {
            offset,
            size,
            value,
            before,
            after,
        });
        result
    }

    fn bar(&self, id: BarId) -> Option<HostBar> {
        self.inner.bar(id)
    }

    fn reset(&mut self) -> Result<(), HostError> {
        self.log.push(HostOp::Reset);
        self.inner.reset()
    }

    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        self.inner.upstream_link()
    }

    fn retrain_link(&mut self) -> Result<(), HostError> {
        self.log.push(HostOp::RetrainLink);
        self.inner.retrain_link()
    }

    fn can_resize_bar(&self, index: u8) -> bool {
        self.inner.can_resize_bar(index)
    }

    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        self.log.push(HostOp::ResizeBar { index, size });
        self.inner.resize_bar(index, size)
    }

    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        self.log.push(HostOp::SetPowerState(state));
        self.inner.set_power_state(state)
    }

    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }
}
