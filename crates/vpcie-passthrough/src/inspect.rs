//! What `vpcie inspect` reports: the guest's view of one host function.

use std::fmt;

use crate::bdf::Bdf;
use crate::function::{CapReport, PassthroughFunction, RegisterDiff};
use crate::host::HostDevice;
use crate::policy::{Decision, Placement};
use vpcie_config::caps::parse_capabilities;

/// The guest's view of one host function, for people and for JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectReport {
    /// The host function.
    pub bdf: Bdf,
    /// Where it is placed.
    pub placement: Placement,
    /// Standard capabilities, in the host's list order.
    pub caps: Vec<CapReport>,
    /// Extended capabilities, in the host's list order.
    pub ext_caps: Vec<CapReport>,
    /// Registers whose guest value differs from the host's.
    pub differences: Vec<RegisterDiff>,
    /// Warnings, each naming the function.
    pub warnings: Vec<String>,
    /// Standard capability offsets a guest walk reaches.
    pub guest_chain: Vec<u16>,
    /// Extended capability offsets a guest walk reaches.
    pub guest_ext_chain: Vec<u16>,
}

impl InspectReport {
    /// Builds the report (reads the host for the differences).
    pub fn new<H: HostDevice>(f: &mut PassthroughFunction<H>) -> Self {
        let (caps, ext_caps) = f.capabilities().iter().cloned().partition(|c| !c.extended);
        let view = f.guest_view();
        let guest = parse_capabilities(&view);
        InspectReport {
            bdf: f.bdf(),
            placement: f.placement(),
            caps,
            ext_caps,
            differences: f.differences(),
            warnings: f.warnings(),
            guest_chain: guest.caps.iter().map(|c| c.offset).collect(),
            guest_ext_chain: guest
                .ext_caps
                .iter()
                .filter(|c| c.id != 0)
                .map(|c| c.offset)
                .collect(),
        }
    }
}

fn placement_text(p: Placement) -> &'static str {
    match p {
        Placement::UnderRootPort => "Endpoint below an emulated Root Port",
        Placement::RcIntegrated => "RC-integrated endpoint on bus 0 (workaround)",
    }
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.bdf, placement_text(self.placement))?;
        let row = |f: &mut fmt::Formatter<'_>, c: &CapReport| {
            let id = if c.extended {
                format!("{:#06x} v{}", c.id, c.version)
            } else {
                format!("{:#04x}   ", c.id)
            };
            writeln!(
                f,
                "  [{:03x}] {:<46} id {id} len {:#05x}  {:<11} {}",
                c.offset, c.name, c.len, c.decision, c.why
            )
        };
        writeln!(f, "capabilities:")?;
        for c in &self.caps {
            row(f, c)?;
        }
        if !self.ext_caps.is_empty() {
            writeln!(f, "extended capabilities:")?;
            for c in &self.ext_caps {
                row(f, c)?;
            }
        }
        let visible = |list: &[CapReport]| {
            list.iter()
                .filter(|c| c.decision != Decision::Hidden)
                .count()
        };
        writeln!(
            f,
            "guest sees {} of {} capabilities and {} of {} extended capabilities",
            visible(&self.caps),
            self.caps.len(),
            visible(&self.ext_caps),
            self.ext_caps.len()
        )?;
        if !self.differences.is_empty() {
            writeln!(f, "registers that differ from the host:")?;
            for d in &self.differences {
                let w = usize::from(d.size) * 2;
                writeln!(
                    f,
                    "  [{:03x}] {:<46} host {:#0w2$x}  guest {:#0w2$x}",
                    d.offset,
                    d.name,
                    d.host,
                    d.guest,
                    w2 = w + 2
                )?;
            }
        }
        if !self.warnings.is_empty() {
            writeln!(f, "warnings:")?;
            for w in &self.warnings {
                writeln!(f, "  ! {w}")?;
            }
        }
        Ok(())
    }
}
