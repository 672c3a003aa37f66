//! Host doubles for attacks: a recording host the test keeps a handle on
//! after the platform took the function, a host that counts every access,
//! and a host whose operations fail.

use std::sync::{Arc, Mutex, MutexGuard};

use vpcie_config::BarId;
use vpcie_passthrough::host::record::{HostOp, RecordingHost};
use vpcie_passthrough::{Bdf, HostBar, HostDevice, HostError, LinkState, PowerState};

/// A [`RecordingHost`] shared between a passthrough function (which the
/// platform owns as a `Box<dyn Function>`) and the test that reads its log.
pub struct SharedHost<H>(Arc<Mutex<RecordingHost<H>>>);

impl<H> Clone for SharedHost<H> {
    fn clone(&self) -> Self {
        SharedHost(self.0.clone())
    }
}

impl<H: HostDevice> SharedHost<H> {
    /// Wraps `inner` in a recording host with an empty log.
    pub fn new(inner: H) -> Self {
        SharedHost(Arc::new(Mutex::new(RecordingHost::new(inner))))
    }

    /// The recording host (a poisoned lock is taken over: a test that
    /// panicked while holding it has already failed).
    pub fn lock(&self) -> MutexGuard<'_, RecordingHost<H>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the log.
    pub fn log(&self) -> Vec<HostOp> {
        self.lock().log().to_vec()
    }

    /// Empties the log.
    pub fn clear_log(&self) {
        self.lock().clear_log();
    }
}

impl<H: HostDevice> HostDevice for SharedHost<H> {
    fn bdf(&self) -> Bdf {
        self.lock().bdf()
    }
    fn config_size(&self) -> usize {
        self.lock().config_size()
    }
    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        self.lock().config_read(offset, size)
    }
    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        self.lock().config_write(offset, size, value)
    }
    fn bar(&self, id: BarId) -> Option<HostBar> {
        self.lock().bar(id)
    }
    fn reset(&mut self) -> Result<(), HostError> {
        self.lock().reset()
    }
    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        self.lock().upstream_link()
    }
    fn retrain_link(&mut self) -> Result<(), HostError> {
        self.lock().retrain_link()
    }
    fn can_resize_bar(&self, index: u8) -> bool {
        self.lock().can_resize_bar(index)
    }
    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        self.lock().resize_bar(index, size)
    }
    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        self.lock().set_power_state(state)
    }
    fn notes(&self) -> Vec<String> {
        self.lock().notes()
    }
}

/// Counts every call that reaches the host (reads included): the work a
/// guest access causes on the host side.
#[derive(Clone, Debug)]
pub struct CountingHost<H> {
    inner: H,
    /// Configuration reads.
    pub reads: u64,
    /// Configuration writes.
    pub writes: u64,
    /// Everything else: resets, power, link, resize.
    pub other: u64,
}

impl<H: HostDevice> CountingHost<H> {
    /// Wraps `inner` with zero counts.
    pub fn new(inner: H) -> Self {
        CountingHost {
            inner,
            reads: 0,
            writes: 0,
            other: 0,
        }
    }

    /// All calls so far.
    pub fn total(&self) -> u64 {
        self.reads + self.writes + self.other
    }

    /// Sets every count back to zero.
    pub fn reset_counts(&mut self) {
        self.reads = 0;
        self.writes = 0;
        self.other = 0;
    }
}

impl<H: HostDevice> HostDevice for CountingHost<H> {
    fn bdf(&self) -> Bdf {
        self.inner.bdf()
    }
    fn config_size(&self) -> usize {
        self.inner.config_size()
    }
    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        self.reads += 1;
        self.inner.config_read(offset, size)
    }
    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        self.writes += 1;
        self.inner.config_write(offset, size, value)
    }
    fn bar(&self, id: BarId) -> Option<HostBar> {
        self.inner.bar(id)
    }
    fn reset(&mut self) -> Result<(), HostError> {
        self.other += 1;
        self.inner.reset()
    }
    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        self.other += 1;
        self.inner.upstream_link()
    }
    fn retrain_link(&mut self) -> Result<(), HostError> {
        self.other += 1;
        self.inner.retrain_link()
    }
    fn can_resize_bar(&self, index: u8) -> bool {
        self.inner.can_resize_bar(index)
    }
    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        self.other += 1;
        self.inner.resize_bar(index, size)
    }
    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        self.other += 1;
        self.inner.set_power_state(state)
    }
    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }
}

/// A host whose every operation fails once `failing` is set (a device that
/// fell off the bus, a sysfs file that went away): the error paths.
#[derive(Clone, Debug)]
pub struct FailingHost<H> {
    inner: H,
    /// When set, every operation returns an error.
    pub failing: bool,
}

impl<H: HostDevice> FailingHost<H> {
    /// Wraps `inner`, working until `failing` is set.
    pub fn new(inner: H) -> Self {
        FailingHost {
            inner,
            failing: false,
        }
    }

    fn fail<T>(&self, what: &'static str) -> Result<T, HostError> {
        Err(HostError::Unsupported {
            bdf: self.inner.bdf(),
            what,
        })
    }
}

impl<H: HostDevice> HostDevice for FailingHost<H> {
    fn bdf(&self) -> Bdf {
        self.inner.bdf()
    }
    fn config_size(&self) -> usize {
        self.inner.config_size()
    }
    fn config_read(&mut self, offset: u16, size: u8) -> Result<u32, HostError> {
        if self.failing {
            return self.fail("reading configuration space");
        }
        self.inner.config_read(offset, size)
    }
    fn config_write(&mut self, offset: u16, size: u8, value: u32) -> Result<(), HostError> {
        if self.failing {
            return self.fail("writing configuration space");
        }
        self.inner.config_write(offset, size, value)
    }
    fn bar(&self, id: BarId) -> Option<HostBar> {
        self.inner.bar(id)
    }
    fn reset(&mut self) -> Result<(), HostError> {
        if self.failing {
            return self.fail("a reset");
        }
        self.inner.reset()
    }
    fn upstream_link(&mut self) -> Result<Option<LinkState>, HostError> {
        if self.failing {
            return self.fail("reading the link");
        }
        self.inner.upstream_link()
    }
    fn retrain_link(&mut self) -> Result<(), HostError> {
        if self.failing {
            return self.fail("a link retrain");
        }
        self.inner.retrain_link()
    }
    fn can_resize_bar(&self, index: u8) -> bool {
        self.inner.can_resize_bar(index)
    }
    fn resize_bar(&mut self, index: u8, size: u64) -> Result<(), HostError> {
        if self.failing {
            return self.fail("a BAR resize");
        }
        self.inner.resize_bar(index, size)
    }
    fn set_power_state(&mut self, state: PowerState) -> Result<(), HostError> {
        if self.failing {
            return self.fail("a power-state change");
        }
        self.inner.set_power_state(state)
    }
    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }
}
