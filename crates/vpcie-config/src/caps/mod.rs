//! Capability and extended capability parsing, with the exact length of
//! every capability.
//!
//! [`parse_capabilities`] walks the standard list (from 0x34, or 0x14 for a
//! CardBus bridge) and the PCI Express extended list (from 0x100) of a
//! configuration image and sizes every capability by the rule its
//! specification gives; `caps/len.rs` holds the rules, one table row per ID
//! with where it comes from. The image is untrusted: loops, pointers into
//! the header or past the end, all-ones reads, unknown IDs and lengths that
//! run past the end all become [`Diagnostic`]s, never a hang or a panic.
//!
//! The image's length is the function's configuration size (64, 256 or
//! 4096; anything longer is cut at 4096). Bytes at or beyond that size read
//! as 0xff, as a function answers reads of registers it does not have, and
//! the same rule `ConfigSpace` follows. Extended capabilities are walked only
//! when the size is larger than 256.

mod ids;
mod len;

use core::fmt;

use crate::regs::*;

pub use ids::{CapId, ExtCapId, cap_name, ext_cap_name};

/// Most standard capabilities a walk visits: (256 - 64) / 4, the number of
/// dword-aligned places a capability can start.
pub const MAX_STD_CAPS: usize = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / 4;
/// Most extended capabilities a walk visits: (4096 - 256) / 4.
pub const MAX_EXT_CAPS: usize = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 4;

/// A standard capability found in the list at 0x40–0xff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capability {
    /// Offset of the capability's ID byte.
    pub offset: u16,
    /// Raw capability ID.
    pub id: u8,
    /// Length in bytes, from the ID byte on.
    pub len: u16,
}

impl Capability {
    /// The ID in PCI terms, if the PCI-SIG assigns it.
    pub fn cap_id(&self) -> Option<CapId> {
        CapId::from_raw(self.id)
    }

    /// The name lspci gives the capability.
    pub fn name(&self) -> &'static str {
        cap_name(self.id)
    }

    /// Offset one past the capability's last byte.
    pub fn end(&self) -> u16 {
        self.offset.saturating_add(self.len)
    }

    /// Whether the byte at `offset` belongs to the capability.
    pub fn contains(&self, offset: u16) -> bool {
        offset >= self.offset && offset < self.end()
    }
}

/// A PCI Express extended capability found in the list at 0x100–0xfff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtCapability {
    /// Offset of the capability's header.
    pub offset: u16,
    /// Raw extended capability ID.
    pub id: u16,
    /// Capability version from the header (bits 19:16).
    pub version: u8,
    /// Length in bytes, from the header on.
    pub len: u16,
}

impl ExtCapability {
    /// The ID in PCI Express terms, if the PCI-SIG assigns it.
    pub fn ext_cap_id(&self) -> Option<ExtCapId> {
        ExtCapId::from_raw(self.id)
    }

    /// The name lspci gives the capability.
    pub fn name(&self) -> &'static str {
        ext_cap_name(self.id)
    }

    /// Offset one past the capability's last byte.
    pub fn end(&self) -> u16 {
        self.offset.saturating_add(self.len)
    }

    /// Whether the byte at `offset` belongs to the capability.
    pub fn contains(&self, offset: u16) -> bool {
        offset >= self.offset && offset < self.end()
    }
}

/// What a [`Diagnostic`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// The header itself is suspect: invalid vendor ID, unknown header type,
    /// an image shorter than the header or longer than 4096 bytes.
    Header,
    /// A standard capability pointer below 0x40, inside the header.
    PointerIntoHeader,
    /// A pointer at or beyond the end of the configuration space.
    PointerPastEnd,
    /// An extended capability's next pointer below 0x100.
    PointerBelowExtended,
    /// A pointer leads back to a capability already visited.
    Loop,
    /// The list reads as all ones (ID 0xff, header 0xffffffff) or, past the
    /// first extended capability, as all zeros.
    ChainBroken,
    /// A Null capability (ID 0): legal, but worth knowing about.
    NullCapability,
    /// The walk reached its bound ([`MAX_STD_CAPS`], [`MAX_EXT_CAPS`]).
    TooManyCapabilities,
    /// An ID the PCI-SIG has not assigned.
    UnknownId,
    /// An assigned ID whose register layout vpcie does not know.
    UnknownLayout,
    /// A field that sizes the capability is out of its specified range.
    InvalidField,
    /// The length depends on the PCI Express capability (link width, port
    /// type), which the function lacks.
    NoPcieCapability,
    /// The computed length runs past the end of the configuration space.
    Clipped,
    /// Two capabilities overlap.
    Overlap,
}

/// Something wrong or unusual in a configuration image, where it is, and
/// what vpcie did about it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Configuration offset concerned, if one is.
    pub offset: Option<u16>,
    /// What the diagnostic is about.
    pub kind: DiagnosticKind,
    /// A sentence naming the problem, the place and vpcie's reaction.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic about `offset`.
    pub fn at(offset: u16, kind: DiagnosticKind, message: impl Into<String>) -> Self {
        Diagnostic {
            offset: Some(offset),
            kind,
            message: message.into(),
        }
    }

    /// A diagnostic about the image as a whole.
    pub fn general(kind: DiagnosticKind, message: impl Into<String>) -> Self {
        Diagnostic {
            offset: None,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "config 0x{offset:03x}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The capabilities of one function, in list order, with what was found
/// wrong on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapabilityList {
    /// Standard capabilities in list order.
    pub caps: Vec<Capability>,
    /// Extended capabilities in list order.
    pub ext_caps: Vec<ExtCapability>,
    /// Everything wrong or unusual, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl CapabilityList {
    /// The first standard capability with ID `id`, in list order.
    pub fn find(&self, id: CapId) -> Option<&Capability> {
        self.caps.iter().find(|c| c.id == id.raw())
    }

    /// The first extended capability with ID `id`, in list order.
    pub fn find_ext(&self, id: ExtCapId) -> Option<&ExtCapability> {
        self.ext_caps.iter().find(|c| c.id == id.raw())
    }

    /// Every standard capability with ID `id` (vendor-specific ones repeat).
    pub fn find_all(&self, id: CapId) -> impl Iterator<Item = &Capability> + '_ {
        self.caps.iter().filter(move |c| c.id == id.raw())
    }

    /// Every extended capability with ID `id`.
    pub fn find_all_ext(&self, id: ExtCapId) -> impl Iterator<Item = &ExtCapability> + '_ {
        self.ext_caps.iter().filter(move |c| c.id == id.raw())
    }

    /// The standard capability the byte at `offset` belongs to.
    pub fn cap_at(&self, offset: u16) -> Option<&Capability> {
        self.caps.iter().find(|c| c.contains(offset))
    }

    /// The extended capability the byte at `offset` belongs to.
    pub fn ext_cap_at(&self, offset: u16) -> Option<&ExtCapability> {
        self.ext_caps.iter().find(|c| c.contains(offset))
    }

    /// Whether any diagnostic is of kind `kind`.
    pub fn has_diagnostic(&self, kind: DiagnosticKind) -> bool {
        self.diagnostics.iter().any(|d| d.kind == kind)
    }
}

/// Parse the standard and extended capability chains of a config image.
///
/// `config.len()` is the function's configuration size (64, 256 or 4096);
/// bytes beyond it read as 0xff, an image longer than 4096 bytes is cut at
/// 4096 (with a diagnostic), and extended capabilities are walked only when
/// the size is larger than 256.
pub fn parse_capabilities(config: &[u8]) -> CapabilityList {
    let img = Image::new(config);
    let mut diagnostics = img.header_diagnostics();

    let std_walk = walk_std(&img);
    diagnostics.extend(std_walk.diagnostics);
    let ext_walk = walk_ext(&img);
    diagnostics.extend(ext_walk.diagnostics);

    let ctx = Context::new(&img, &std_walk.entries, &ext_walk.entries);

    let mut caps = Vec::with_capacity(std_walk.entries.len());
    for &(offset, id) in &std_walk.entries {
        let (len, notes) = sized_std(&img, &ctx, offset, id);
        diagnostics.extend(notes);
        caps.push(Capability { offset, id, len });
    }
    let mut ext_caps = Vec::with_capacity(ext_walk.entries.len());
    for &(offset, id, version) in &ext_walk.entries {
        let (len, notes) = sized_ext(&img, &ctx, offset, id, version);
        diagnostics.extend(notes);
        ext_caps.push(ExtCapability {
            offset,
            id,
            version,
            len,
        });
    }

    resolve_overlaps(
        caps.iter_mut()
            .map(|c| (c.offset, &mut c.len, cap_name(c.id))),
        &mut diagnostics,
    );
    resolve_overlaps(
        ext_caps
            .iter_mut()
            .map(|c| (c.offset, &mut c.len, ext_cap_name(c.id))),
        &mut diagnostics,
    );

    CapabilityList {
        caps,
        ext_caps,
        diagnostics,
    }
}

/// Length of the standard capability `id` at `offset`, as
/// [`parse_capabilities`] sizes it, with what was wrong (several problems
/// are joined into one diagnostic).
///
/// A capability the list does not reach is sized on its own, against the
/// same image (link width, port type, next capability).
pub fn cap_len(config: &[u8], offset: u16, id: u8) -> (u16, Option<Diagnostic>) {
    let list = parse_capabilities(config);
    if let Some(cap) = list.caps.iter().find(|c| c.offset == offset && c.id == id) {
        return (
            cap.len,
            merge(
                list.diagnostics
                    .into_iter()
                    .filter(|d| d.offset == Some(offset)),
            ),
        );
    }
    let img = Image::new(config);
    let std_walk = walk_std(&img);
    let ext_walk = walk_ext(&img);
    let ctx = Context::new(&img, &std_walk.entries, &ext_walk.entries);
    let (len, notes) = sized_std(&img, &ctx, offset, id);
    (len, merge(notes.into_iter()))
}

/// Length of the extended capability `id` at `offset`, as
/// [`parse_capabilities`] sizes it, with what was wrong (several problems
/// are joined into one diagnostic).
///
/// A capability the list does not reach is sized on its own, against the
/// same image (link width, port type, next capability).
pub fn ext_cap_len(config: &[u8], offset: u16, id: u16) -> (u16, Option<Diagnostic>) {
    let list = parse_capabilities(config);
    if let Some(cap) = list
        .ext_caps
        .iter()
        .find(|c| c.offset == offset && c.id == id)
    {
        return (
            cap.len,
            merge(
                list.diagnostics
                    .into_iter()
                    .filter(|d| d.offset == Some(offset)),
            ),
        );
    }
    let img = Image::new(config);
    let std_walk = walk_std(&img);
    let ext_walk = walk_ext(&img);
    let ctx = Context::new(&img, &std_walk.entries, &ext_walk.entries);
    let version = ((img.dword(usize::from(offset)) >> PCI_EXT_CAP_VER_SHIFT) & 0xf) as u8;
    let (len, notes) = sized_ext(&img, &ctx, offset, id, version);
    (len, merge(notes.into_iter()))
}

/// Joins diagnostics into one: the first one's place and kind, all messages.
fn merge(diagnostics: impl Iterator<Item = Diagnostic>) -> Option<Diagnostic> {
    diagnostics.reduce(|mut first, next| {
        first.message.push_str("; ");
        first.message.push_str(&next.message);
        first
    })
}

// ---------------------------------------------------------------------------
// The image
// ---------------------------------------------------------------------------

/// A configuration image with its size; reads beyond the size give 0xff.
pub(crate) struct Image<'a> {
    bytes: &'a [u8],
    /// The function's configuration size, at most 4096.
    size: usize,
}

impl<'a> Image<'a> {
    fn new(config: &'a [u8]) -> Self {
        Image {
            bytes: config,
            size: config.len().min(PCI_CFG_SPACE_EXP_SIZE),
        }
    }

    /// Configuration size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Byte at `offset`, 0xff beyond the configuration size.
    pub(crate) fn byte(&self, offset: usize) -> u8 {
        if offset < self.size {
            self.bytes.get(offset).copied().unwrap_or(0xff)
        } else {
            0xff
        }
    }

    /// Little-endian word at `offset`.
    pub(crate) fn word(&self, offset: usize) -> u16 {
        u16::from_le_bytes([self.byte(offset), self.byte(offset.saturating_add(1))])
    }

    /// Little-endian dword at `offset`.
    pub(crate) fn dword(&self, offset: usize) -> u32 {
        u32::from_le_bytes([
            self.byte(offset),
            self.byte(offset.saturating_add(1)),
            self.byte(offset.saturating_add(2)),
            self.byte(offset.saturating_add(3)),
        ])
    }

    /// Header type without the multi-function bit.
    fn header_type(&self) -> u8 {
        self.byte(usize::from(PCI_HEADER_TYPE)) & PCI_HEADER_TYPE_MASK
    }

    /// Problems with the header that make every capability suspect.
    fn header_diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.bytes.len() > PCI_CFG_SPACE_EXP_SIZE {
            out.push(Diagnostic::general(
                DiagnosticKind::Header,
                format!(
                    "configuration image is {} bytes, longer than the 4096 a function can have; \
                     vpcie uses the first 4096",
                    self.bytes.len()
                ),
            ));
        }
        if self.size < PCI_STD_HEADER_SIZEOF {
            out.push(Diagnostic::general(
                DiagnosticKind::Header,
                format!(
                    "configuration image is only {} bytes, shorter than the 64-byte header; \
                     the missing bytes read as 0xff",
                    self.size
                ),
            ));
        }
        let vendor = self.word(usize::from(PCI_VENDOR_ID));
        if vendor == 0xffff || vendor == 0x0000 {
            let why = if vendor == 0xffff {
                "all ones: the function is absent, powered off or not captured"
            } else {
                "zero, which no vendor has"
            };
            out.push(Diagnostic::at(
                PCI_VENDOR_ID,
                DiagnosticKind::Header,
                format!(
                    "vendor ID is 0x{vendor:04x} ({why}); vpcie still reads the capability \
                     lists the image holds"
                ),
            ));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Walking the lists
// ---------------------------------------------------------------------------

/// The standard list as walked: (offset, ID) in list order.
struct StdWalk {
    entries: Vec<(u16, u8)>,
    diagnostics: Vec<Diagnostic>,
}

/// Walks the standard capability list (PCI Local Bus 3.0 §6.7).
fn walk_std(img: &Image<'_>) -> StdWalk {
    let mut walk = StdWalk {
        entries: Vec::new(),
        diagnostics: Vec::new(),
    };
    let status = img.word(usize::from(PCI_STATUS));
    if status & PCI_STATUS_CAP_LIST == 0 {
        return walk;
    }
    // The list head moves for CardBus bridges (PCI-to-CardBus Bridge §4.5).
    let head = match img.header_type() {
        PCI_HEADER_TYPE_NORMAL | PCI_HEADER_TYPE_BRIDGE => PCI_CAPABILITY_LIST,
        PCI_HEADER_TYPE_CARDBUS => PCI_CB_CAPABILITY_LIST,
        other => {
            // lspci also refuses to guess at an unknown layout.
            walk.diagnostics.push(Diagnostic::at(
                PCI_HEADER_TYPE,
                DiagnosticKind::Header,
                format!(
                    "header type 0x{other:02x} is not 0, 1 or 2, so the capability pointer's \
                     place is unknown; vpcie reports no standard capabilities"
                ),
            ));
            return walk;
        }
    };
    let limit = img.size().min(PCI_CFG_SPACE_SIZE);
    let mut visited = [false; PCI_CFG_SPACE_SIZE];
    let mut pointer_at = head;
    // Bits 1:0 of every pointer are reserved; software masks them.
    let mut pointer = u16::from(img.byte(usize::from(head)) & !3);
    while pointer != 0 {
        let here = usize::from(pointer);
        if pointer < PCI_STD_HEADER_SIZEOF as u16 {
            walk.diagnostics.push(Diagnostic::at(
                pointer_at,
                DiagnosticKind::PointerIntoHeader,
                format!(
                    "capability pointer at 0x{pointer_at:02x} is 0x{pointer:02x}, inside the \
                     64-byte header; vpcie ends the capability list there"
                ),
            ));
            break;
        }
        if here + 2 > limit {
            walk.diagnostics.push(Diagnostic::at(
                pointer_at,
                DiagnosticKind::PointerPastEnd,
                format!(
                    "capability pointer at 0x{pointer_at:02x} is 0x{pointer:02x}, beyond the \
                     {}-byte configuration space; vpcie ends the capability list there",
                    img.size()
                ),
            ));
            break;
        }
        if visited[here] {
            walk.diagnostics.push(Diagnostic::at(
                pointer_at,
                DiagnosticKind::Loop,
                format!(
                    "capability pointer at 0x{pointer_at:02x} leads back to 0x{pointer:02x}, \
                     already visited (the list loops); vpcie ends the capability list there"
                ),
            ));
            break;
        }
        if walk.entries.len() >= MAX_STD_CAPS {
            walk.diagnostics.push(Diagnostic::at(
                pointer,
                DiagnosticKind::TooManyCapabilities,
                format!(
                    "the standard list has more than {MAX_STD_CAPS} capabilities, more than \
                     fit; vpcie ends it at 0x{pointer:02x}"
                ),
            ));
            break;
        }
        visited[here] = true;
        let id = img.byte(here);
        if id == 0xff {
            // lspci: "<chain broken>".
            walk.diagnostics.push(Diagnostic::at(
                pointer,
                DiagnosticKind::ChainBroken,
                format!(
                    "capability at 0x{pointer:02x} reads ID 0xff (all ones: the function is \
                     absent or powered off, or the dump lacks these bytes); vpcie ends the \
                     capability list there"
                ),
            ));
            break;
        }
        if id == PCI_CAP_ID_NULL {
            walk.diagnostics.push(Diagnostic::at(
                pointer,
                DiagnosticKind::NullCapability,
                format!(
                    "capability at 0x{pointer:02x} has ID 0 (Null Capability, no registers); \
                     vpcie keeps it as a 4-byte entry and follows its next pointer"
                ),
            ));
        }
        walk.entries.push((pointer, id));
        pointer_at = pointer + PCI_CAP_LIST_NEXT;
        pointer = u16::from(img.byte(usize::from(pointer_at)) & !3);
    }
    walk
}

/// The extended list as walked: (offset, ID, version) in list order.
struct ExtWalk {
    entries: Vec<(u16, u16, u8)>,
    diagnostics: Vec<Diagnostic>,
}

/// Walks the extended capability list (PCIe r6.x §7.6.3).
fn walk_ext(img: &Image<'_>) -> ExtWalk {
    let mut walk = ExtWalk {
        entries: Vec::new(),
        diagnostics: Vec::new(),
    };
    if img.size() <= PCI_CFG_SPACE_SIZE {
        return walk;
    }
    let first = PCI_CFG_EXT_CAP_START;
    let header = img.dword(usize::from(first));
    // No extended capabilities: header 0 by the spec, all ones when the
    // function or its extended space does not answer.
    if header == 0 || header == 0xffff_ffff {
        return walk;
    }
    let mut visited = [false; PCI_CFG_SPACE_EXP_SIZE];
    let mut from: Option<u16> = None;
    let mut offset = first;
    loop {
        let here = usize::from(offset);
        if here + 4 > img.size() {
            let message = match from {
                Some(from) => format!(
                    "extended capability at 0x{from:03x} points to 0x{offset:03x}, beyond the \
                     {}-byte configuration space; vpcie ends the extended list there",
                    img.size()
                ),
                None => format!(
                    "the first extended capability header (0x100) does not fit in the {}-byte \
                     configuration space; vpcie reports no extended capabilities",
                    img.size()
                ),
            };
            walk.diagnostics.push(Diagnostic::at(
                from.unwrap_or(offset),
                DiagnosticKind::PointerPastEnd,
                message,
            ));
            break;
        }
        if visited[here] {
            let from = from.unwrap_or(offset);
            walk.diagnostics.push(Diagnostic::at(
                from,
                DiagnosticKind::Loop,
                format!(
                    "extended capability at 0x{from:03x} points back to 0x{offset:03x}, already \
                     visited (the list loops); vpcie ends the extended list there"
                ),
            ));
            break;
        }
        if walk.entries.len() >= MAX_EXT_CAPS {
            walk.diagnostics.push(Diagnostic::at(
                offset,
                DiagnosticKind::TooManyCapabilities,
                format!(
                    "the extended list has more than {MAX_EXT_CAPS} capabilities, more than \
                     fit; vpcie ends it at 0x{offset:03x}"
                ),
            ));
            break;
        }
        visited[here] = true;
        let header = img.dword(here);
        if header == 0xffff_ffff || (header == 0 && from.is_some()) {
            let what = if header == 0 {
                "is all zeros (no capability there)"
            } else {
                "reads as all ones"
            };
            walk.diagnostics.push(Diagnostic::at(
                offset,
                DiagnosticKind::ChainBroken,
                format!(
                    "extended capability header at 0x{offset:03x} {what}; vpcie ends the \
                     extended list there"
                ),
            ));
            break;
        }
        let id = (header & PCI_EXT_CAP_ID_MASK) as u16;
        let version = ((header >> PCI_EXT_CAP_VER_SHIFT) & 0xf) as u8;
        // Bits 1:0 of the next offset are reserved (PCIe r6.x §7.6.3).
        let next = ((header >> PCI_EXT_CAP_NEXT_SHIFT) & 0xffc) as u16;
        if id == PCI_EXT_CAP_ID_NULL {
            // lspci prints "Null" and follows the pointer; so does vpcie.
            walk.diagnostics.push(Diagnostic::at(
                offset,
                DiagnosticKind::NullCapability,
                format!(
                    "extended capability at 0x{offset:03x} has ID 0 (Null Capability, header \
                     only); vpcie keeps it as a 4-byte entry and follows its next pointer"
                ),
            ));
        }
        walk.entries.push((offset, id, version));
        if next == 0 {
            break;
        }
        if next < PCI_CFG_EXT_CAP_START {
            walk.diagnostics.push(Diagnostic::at(
                offset,
                DiagnosticKind::PointerBelowExtended,
                format!(
                    "extended capability at 0x{offset:03x} has next pointer 0x{next:03x}, below \
                     0x100 where extended capabilities start; vpcie ends the extended list there"
                ),
            ));
            break;
        }
        from = Some(offset);
        offset = next;
    }
    walk
}

// ---------------------------------------------------------------------------
// Context for the length rules
// ---------------------------------------------------------------------------

/// The facts of the PCI Express capability that size other capabilities.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PcieInfo {
    /// PCI Express Capabilities register.
    pub(crate) flags: u16,
    /// Link Capabilities register.
    pub(crate) lnkcap: u32,
    /// Device Capabilities 2 register (0 for a version 1 capability).
    pub(crate) devcap2: u32,
}

impl PcieInfo {
    /// Device/Port Type (bits 7:4 of the capabilities register).
    pub(crate) fn port_type(&self) -> u8 {
        ((self.flags & PCI_EXP_FLAGS_TYPE) >> PCI_EXP_FLAGS_TYPE_SHIFT) as u8
    }
}

/// What the length rules need to know about the whole function.
pub(crate) struct Context {
    /// Header type without the multi-function bit.
    pub(crate) header_type: u8,
    /// The first PCI Express capability, if any.
    pub(crate) pcie: Option<PcieInfo>,
    /// Offsets of all standard capabilities, ascending.
    pub(crate) std_starts: Vec<u16>,
    /// Offsets of all extended capabilities, ascending.
    pub(crate) ext_starts: Vec<u16>,
}

impl Context {
    fn new(img: &Image<'_>, std: &[(u16, u8)], ext: &[(u16, u16, u8)]) -> Self {
        let pcie = std
            .iter()
            .find(|&&(_, id)| id == PCI_CAP_ID_EXP)
            .map(|&(offset, _)| {
                let at = usize::from(offset);
                let flags = img.word(at + usize::from(PCI_EXP_FLAGS));
                let devcap2 = if flags & PCI_EXP_FLAGS_VERS >= 2 {
                    img.dword(at + usize::from(PCI_EXP_DEVCAP2))
                } else {
                    0
                };
                PcieInfo {
                    flags,
                    lnkcap: img.dword(at + usize::from(PCI_EXP_LNKCAP)),
                    devcap2,
                }
            });
        let mut std_starts: Vec<u16> = std.iter().map(|&(offset, _)| offset).collect();
        std_starts.sort_unstable();
        let mut ext_starts: Vec<u16> = ext.iter().map(|&(offset, _, _)| offset).collect();
        ext_starts.sort_unstable();
        Context {
            header_type: img.header_type(),
            pcie,
            std_starts,
            ext_starts,
        }
    }
}

// ---------------------------------------------------------------------------
// Sizing and clipping
// ---------------------------------------------------------------------------

/// Sizes a standard capability and clips it to the standard space.
fn sized_std(img: &Image<'_>, ctx: &Context, offset: u16, id: u8) -> (u16, Vec<Diagnostic>) {
    let sized = len::std_len(img, ctx, offset, id);
    let name = cap_name(id);
    let limit = img.size().min(PCI_CFG_SPACE_SIZE);
    finish(sized, offset, name, limit, img.size())
}

/// Sizes an extended capability and clips it to the configuration space.
fn sized_ext(
    img: &Image<'_>,
    ctx: &Context,
    offset: u16,
    id: u16,
    version: u8,
) -> (u16, Vec<Diagnostic>) {
    let sized = len::ext_len(img, ctx, offset, id, version);
    let name = ext_cap_name(id);
    finish(sized, offset, name, img.size(), img.size())
}

/// Turns a rule's result into a length that fits below `limit`, and its
/// notes into diagnostics.
fn finish(
    sized: len::Sized,
    offset: u16,
    name: &str,
    limit: usize,
    size: usize,
) -> (u16, Vec<Diagnostic>) {
    let mut out: Vec<Diagnostic> = sized
        .notes
        .into_iter()
        .map(|note| {
            Diagnostic::at(
                offset,
                note.kind,
                format!("{name} at 0x{offset:03x}: {}", note.text),
            )
        })
        .collect();
    let room = limit.saturating_sub(usize::from(offset));
    let wanted = usize::try_from(sized.len).unwrap_or(usize::MAX);
    let len = if wanted > room {
        let what = if limit < size {
            "the standard capability space, which ends at 0x100".to_string()
        } else {
            format!("the {size}-byte configuration space")
        };
        out.push(Diagnostic::at(
            offset,
            DiagnosticKind::Clipped,
            format!(
                "{name} at 0x{offset:03x}: its length 0x{wanted:x} runs past the end of {what}; \
                 vpcie clips it to 0x{room:x} bytes"
            ),
        ));
        room
    } else {
        wanted
    };
    (u16::try_from(len).unwrap_or(u16::MAX), out)
}

/// Clips each capability that runs into the next one (by address) so that
/// it ends where the next begins, with a diagnostic.
fn resolve_overlaps<'a>(
    caps: impl Iterator<Item = (u16, &'a mut u16, &'static str)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut sorted: Vec<(u16, &'a mut u16, &'static str)> = caps.collect();
    sorted.sort_by_key(|&(offset, _, _)| offset);
    for i in 1..sorted.len() {
        let (next_offset, next_name) = (sorted[i].0, sorted[i].2);
        let (offset, name) = (sorted[i - 1].0, sorted[i - 1].2);
        let len: &mut u16 = sorted[i - 1].1;
        if u32::from(offset) + u32::from(*len) > u32::from(next_offset) {
            let clipped = next_offset - offset;
            diagnostics.push(Diagnostic::at(
                offset,
                DiagnosticKind::Overlap,
                format!(
                    "{name} at 0x{offset:03x} (0x{:x} bytes) overlaps {next_name} at \
                     0x{next_offset:03x}; vpcie clips it to 0x{clipped:x} bytes so it ends where \
                     the next capability begins",
                    *len
                ),
            ));
            *len = clipped;
        }
    }
}

#[cfg(test)]
mod tests;
