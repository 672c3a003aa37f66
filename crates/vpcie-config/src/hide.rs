//! Hiding capabilities by relinking the Next pointers around them.
//!
//! The guest walks the chains from the Capabilities Pointer (0x34) and from
//! 0x100; a hidden capability is one no walk reaches. After hiding:
//! - every pointer of the chain (0x34, each visible capability's Next byte,
//!   each visible extended capability's header dword, Status' Capabilities
//!   List bit) is emulated and read-only, so no guest write can relink it;
//! - the bytes of hidden capabilities read as zero, read-only, unless a
//!   visible capability shares them (malformed devices overlap);
//! - 0x100 stays a valid chain start: when the first extended capability is
//!   hidden, 0x100 becomes a Null capability (ID 0, version 0) whose Next is
//!   the first visible one, as PCIe r6.x §7.6.3 allows; with none visible
//!   the header reads 0, "no extended capabilities".
//!
//! Apply hiding after the capabilities' policy tables: it overrides the
//! policy of the chain's pointers.

use crate::caps::CapabilityList;
use crate::regs::*;
use crate::space::{BitPolicy, ConfigSpace};

/// A request to hide something that could not be honoured as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HideWarning {
    /// No standard capability starts at the offset.
    #[error("no standard capability starts at {0:#04x}; nothing hidden there")]
    NoCapability(u16),
    /// No extended capability starts at the offset.
    #[error("no extended capability starts at {0:#05x}; nothing hidden there")]
    NoExtCapability(u16),
}

impl ConfigSpace {
    /// Hides the standard capabilities starting at `hide` and the extended
    /// capabilities starting at `hide_ext`, from the chains described by
    /// `caps` (parsed from this space's image).
    pub fn hide_capabilities(
        &mut self,
        caps: &CapabilityList,
        hide: &[u16],
        hide_ext: &[u16],
    ) -> Vec<HideWarning> {
        let mut warnings = Vec::new();
        for &o in hide {
            if !caps.caps.iter().any(|c| c.offset == o) {
                warnings.push(HideWarning::NoCapability(o));
            }
        }
        for &o in hide_ext {
            if !caps.ext_caps.iter().any(|c| c.offset == o) {
                warnings.push(HideWarning::NoExtCapability(o));
            }
        }
        self.relink_standard(caps, hide);
        if self.size().bytes() > PCI_CFG_SPACE_SIZE {
            self.relink_extended(caps, hide_ext);
        }
        warnings
    }

    fn relink_standard(&mut self, caps: &CapabilityList, hide: &[u16]) {
        let visible: Vec<_> = caps
            .caps
            .iter()
            .filter(|c| !hide.contains(&c.offset))
            .collect();
        let header_type = self.get_u8(PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
        let pointer = if header_type == PCI_HEADER_TYPE_CARDBUS {
            PCI_CB_CAPABILITY_LIST
        } else {
            PCI_CAPABILITY_LIST
        };
        let first = visible.first().map_or(0, |c| c.offset as u8);
        self.set_policy(pointer, 1, BitPolicy::READ_ONLY);
        self.set_u8(pointer, first);
        // Status' Capabilities List bit follows whether any remain.
        self.force_read_only_bits(PCI_STATUS, u32::from(PCI_STATUS_CAP_LIST));
        if visible.is_empty() {
            self.clear_bits(PCI_STATUS, 2, u32::from(PCI_STATUS_CAP_LIST));
        } else {
            self.set_bits(PCI_STATUS, 2, u32::from(PCI_STATUS_CAP_LIST));
        }
        for (i, c) in visible.iter().enumerate() {
            let next = visible.get(i + 1).map_or(0, |n| n.offset as u8);
            let at = c.offset + PCI_CAP_LIST_NEXT;
            self.set_policy(at, 1, BitPolicy::READ_ONLY);
            self.set_u8(at, next);
        }
        for c in caps.caps.iter().filter(|c| hide.contains(&c.offset)) {
            for off in c.offset..c.end().min(PCI_CFG_SPACE_SIZE as u16) {
                if !visible.iter().any(|v| v.contains(off)) && off >= PCI_STD_HEADER_SIZEOF as u16 {
                    self.set_policy(off, 1, BitPolicy::READ_ONLY);
                    self.set_u8(off, 0);
                }
            }
        }
    }

    fn relink_extended(&mut self, caps: &CapabilityList, hide: &[u16]) {
        let visible: Vec<_> = caps
            .ext_caps
            .iter()
            .filter(|c| !hide.contains(&c.offset))
            .collect();
        let header = |id: u16, version: u8, next: u16| {
            u32::from(id)
                | (u32::from(version) << PCI_EXT_CAP_VER_SHIFT)
                | (u32::from(next) << PCI_EXT_CAP_NEXT_SHIFT)
        };
        let start_hidden = visible
            .first()
            .is_none_or(|c| c.offset != PCI_CFG_EXT_CAP_START);
        for c in caps.ext_caps.iter().filter(|c| hide.contains(&c.offset)) {
            for off in c.offset..c.end().min(self.size().bytes() as u16) {
                if !visible.iter().any(|v| v.contains(off)) {
                    self.set_policy(off, 1, BitPolicy::READ_ONLY);
                    self.set_u8(off, 0);
                }
            }
        }
        if start_hidden {
            // 0x100 must stay a chain start: a Null capability pointing on.
            let next = visible.first().map_or(0, |c| c.offset);
            self.set_policy(PCI_CFG_EXT_CAP_START, 4, BitPolicy::READ_ONLY);
            self.set_u32(PCI_CFG_EXT_CAP_START, header(0, 0, next));
        }
        for (i, c) in visible.iter().enumerate() {
            let next = visible.get(i + 1).map_or(0, |n| n.offset);
            self.set_policy(c.offset, 4, BitPolicy::READ_ONLY);
            self.set_u32(c.offset, header(c.id, c.version, next));
        }
    }

    /// Makes `bits` (relative to `offset`, inside its dword) emulated and
    /// read-only, keeping the policy of the other bits.
    pub fn force_read_only_bits(&mut self, offset: u16, bits: u32) {
        let Some(p) = self.policy(offset) else {
            return;
        };
        let shift = u32::from(offset & 3) * 8;
        let b = bits << shift;
        let dword = offset & !3;
        self.set_policy(
            dword,
            4,
            BitPolicy {
                emulated: p.emulated | b,
                writable: p.writable & !b,
                w1c: p.w1c & !b,
                to_device: p.to_device & !b,
            },
        );
    }
}
