//! A passed-through function placed on the emulated platform.
//!
//! The platform owns every function as a `Box<dyn vpcie_platform::Function>`
//! and reports BAR decode changes as its own events; this module connects
//! [`PassthroughFunction`] to that seam. The other [`FunctionEvent`](crate::FunctionEvent)s (MSI,
//! MSI-X, power, reset) stay queued for the passthrough front end
//! ([`PassthroughFunction::take_events`]).
//!
//! The link: the function offers the host link's current speed and width
//! as its capability, so that a Root Port able to train at least that fast
//! negotiates exactly the host's link (PCIe r6.x §4.2.6); the trained link
//! comes back through `set_upstream_link` and is what the function's Link
//! Status shows, the same as the port's. The host's port above offers its
//! Max Link Speed and Width (`host_port_link`), which a mirroring port shows
//! as its own Link Capabilities. A guest's Retrain Link in the port reaches
//! the host through `retrain_link` when the function's options allow.
//!
//! Errors: the platform's `inject_error` logs an error in the function's
//! AER and Device Status (`signal_error`) and carries the message to the
//! Root Port.

use crate::function::PassthroughFunction;
use crate::host::{HostDevice, LinkState};
use vpcie_platform::{ErrorSignal, Function, Link, LinkSpeed, Notify, PcieError};

impl<H: HostDevice + Send + 'static> Function for PassthroughFunction<H> {
    fn config_size(&self) -> vpcie_config::ConfigSize {
        self.config_space().size()
    }

    fn config_read(&mut self, offset: u16, size: u8) -> u32 {
        PassthroughFunction::config_read(self, offset, size)
    }

    fn config_write(&mut self, offset: u16, size: u8, value: u32, notify: &mut Notify<'_>) {
        PassthroughFunction::config_write(self, offset, size, value);
        for change in self.take_bar_changes() {
            notify.bar_changed(change);
        }
    }

    fn reset(&mut self, notify: &mut Notify<'_>) {
        PassthroughFunction::reset(self);
        for change in self.take_bar_changes() {
            notify.bar_changed(change);
        }
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }

    fn link_capability(&self) -> Option<Link> {
        let l = self.link_state()?;
        Some(Link {
            speed: LinkSpeed(l.speed),
            width: l.width,
        })
    }

    fn host_port_link(&self) -> Option<Link> {
        let l = self.link_state()?;
        (l.max_speed >= 1 && l.max_width >= 1).then_some(Link {
            speed: LinkSpeed(l.max_speed),
            width: l.max_width,
        })
    }

    fn retrain_link(&mut self) -> bool {
        self.guest_link_retrain()
    }

    fn signal_error(&mut self, error: &PcieError) -> ErrorSignal {
        self.inject_error(error)
    }

    fn set_upstream_link(&mut self, link: Option<Link>) {
        let mirrored = link.map(|l| LinkState {
            speed: l.speed.0,
            width: l.width,
            ..self.link_state().unwrap_or_default()
        });
        self.set_link_status(mirrored);
    }

    fn set_multifunction(&mut self, multifunction: bool) {
        PassthroughFunction::set_multifunction(self, multifunction);
    }

    fn describe(&self) -> String {
        let cfg = self.config_space();
        format!(
            "passthrough {} ({:04x}:{:04x})",
            self.bdf(),
            cfg.get_u16(0),
            cfg.get_u16(2)
        )
    }
}
