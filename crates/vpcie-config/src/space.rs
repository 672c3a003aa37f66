//! One function's configuration space: image, per-bit policy, hooks.
//!
//! Storage is one record per dword holding the image and its four policy
//! masks side by side, so an access touches one small record: a read is a
//! bounds check, one load and at most one call to the device behind; a write
//! adds two masks, and at most one hook call.
//!
//! Every access is defined, whatever the guest sends:
//! - sizes 1, 2 and 4 at any offset; an access that is misaligned or crosses
//!   a dword boundary behaves as the sequence of its bytes, little-endian;
//! - other sizes read as all-ones and writes of them are dropped;
//! - bytes beyond the configuration size read as 0xff and writes to them are
//!   dropped.
//!
//! A `to_device` bit is passed on when it is sourced from the device, or,
//! when emulated, only if the write changed the guest's view of it.
//!
//! The device behind only ever sees naturally aligned accesses of 1, 2 or 4
//! bytes inside the configuration space, and only for bits the policy sources
//! from it (reads) or writes through to it (writes).

use crate::bar::{BarChange, BarSlot};
use crate::policy::{PolicyError, RegTable};
use crate::regs::{PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE};

/// Size of a function's configuration space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigSize {
    /// 256 bytes: a conventional PCI function (or one reached only by CF8/CFC).
    Conventional,
    /// 4096 bytes: a PCI Express function with extended configuration space.
    Extended,
}

impl ConfigSize {
    /// Size in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            ConfigSize::Conventional => PCI_CFG_SPACE_SIZE,
            ConfigSize::Extended => PCI_CFG_SPACE_EXP_SIZE,
        }
    }
}

/// Names a register hook; the owner of the config space gives it meaning.
///
/// Hook numbers are the owner's to choose (1..=255); 0 means "no hook".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HookId(pub u8);

/// A guest write as a hook sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegWrite {
    /// Offset of the first byte written (the part inside one dword).
    pub offset: u16,
    /// Number of bytes written (1 to 4, inside one dword).
    pub size: u8,
    /// The value the guest wrote, `size` bytes, not shifted.
    pub value: u32,
    /// The whole dword of the image before the write.
    pub old_dword: u32,
}

impl RegWrite {
    /// Offset of the dword that was written.
    pub fn dword_offset(&self) -> u16 {
        self.offset & !3
    }

    /// The written value shifted into its place in the dword.
    pub fn value_in_dword(&self) -> u32 {
        self.value << ((self.offset & 3) * 8)
    }

    /// The written byte lanes as a mask within the dword.
    pub fn lanes_in_dword(&self) -> u32 {
        lane_mask(usize::from(self.size)) << ((self.offset & 3) * 8)
    }
}

/// What the owner of a config space provides: the device behind (for the
/// bits the policy does not emulate) and the side effects of hooks.
///
/// Every method has a default, so a purely emulated model implements none.
pub trait ConfigHandler {
    /// Reads `size` (1, 2 or 4, naturally aligned) bytes from the device behind.
    fn device_read(&mut self, offset: u16, size: u8) -> u32 {
        let _ = (offset, size);
        0
    }

    /// Writes `size` (1, 2 or 4, naturally aligned) bytes to the device behind.
    fn device_write(&mut self, offset: u16, size: u8, value: u32) {
        let _ = (offset, size, value);
    }

    /// Called after a guest write to a register that carries `hook`.
    fn on_write(&mut self, cfg: &mut ConfigSpace, hook: HookId, write: RegWrite) {
        let _ = (cfg, hook, write);
    }

    /// Called when a BAR's decoded address changes: moved, enabled or disabled.
    fn on_bar_change(&mut self, cfg: &ConfigSpace, change: BarChange) {
        let _ = (cfg, change);
    }
}

/// A handler with no device behind and no side effects.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHandler;

impl ConfigHandler for NoHandler {}

/// The per-bit classes of one dword, as given to [`ConfigSpace::set_policy`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BitPolicy {
    /// Bits served from the image.
    pub emulated: u32,
    /// Bits a guest write changes in the image.
    pub writable: u32,
    /// Bits a guest clears by writing 1.
    pub w1c: u32,
    /// Bits of a guest write passed on to the device behind.
    pub to_device: u32,
}

impl BitPolicy {
    /// Emulated and read-only: the guest sees the image and cannot change it.
    pub const READ_ONLY: BitPolicy = BitPolicy {
        emulated: u32::MAX,
        writable: 0,
        w1c: 0,
        to_device: 0,
    };
}

/// One dword of the image with its policy.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct Dword {
    value: u32,
    emulated: u32,
    writable: u32,
    w1c: u32,
    to_device: u32,
    reset: u32,
    /// Bits whose change may change a BAR's decoding (BARs, Command).
    watch: u32,
    hook: u8,
    /// Which BAR slot `watch` concerns: slot + 1, or [`ALL_BARS`].
    bar: u8,
}

/// [`Dword::bar`] value of the Command register: its bits concern every BAR.
pub(crate) const ALL_BARS: u8 = 0xff;

const fn lane_mask(size: usize) -> u32 {
    match size {
        1 => 0xff,
        2 => 0xffff,
        3 => 0x00ff_ffff,
        _ => u32::MAX,
    }
}

/// A function's configuration space as the guest sees it.
#[derive(Clone, Debug)]
pub struct ConfigSpace {
    dwords: Box<[Dword]>,
    size: ConfigSize,
    /// The BARs and expansion ROM (slot 6), with their last decoded address.
    pub(crate) bars: [Option<BarSlot>; 7],
    /// Registers applied from tables, for naming offsets in diagnostics.
    tables: Vec<(u16, RegTable)>,
}

impl ConfigSpace {
    /// An all-zero, read-only, fully emulated configuration space.
    pub fn new(size: ConfigSize) -> Self {
        let ro = Dword {
            emulated: u32::MAX,
            ..Dword::default()
        };
        ConfigSpace {
            dwords: vec![ro; size.bytes() / 4].into_boxed_slice(),
            size,
            bars: [None; 7],
            tables: Vec::new(),
        }
    }

    /// The size of this configuration space.
    pub fn size(&self) -> ConfigSize {
        self.size
    }

    // -----------------------------------------------------------------
    // The guest's view
    // -----------------------------------------------------------------

    /// A guest read of `size` bytes at `offset`.
    #[inline]
    pub fn read<H: ConfigHandler + ?Sized>(&self, offset: u16, size: u8, h: &mut H) -> u32 {
        let off = usize::from(offset);
        let len = usize::from(size);
        if len == 4 && off & 3 == 0 {
            // The common case, without shifts.
            let Some(d) = self.dwords.get(off >> 2) else {
                return u32::MAX;
            };
            if d.emulated == u32::MAX {
                return d.value;
            }
        }
        if matches!(len, 1 | 2 | 4) && off & (len - 1) == 0 {
            // Naturally aligned: inside one dword.
            return self.read_piece(off, len, h);
        }
        self.read_split(off, len, h)
    }

    /// A guest write of `size` bytes of `value` at `offset`.
    #[inline]
    pub fn write<H: ConfigHandler + ?Sized>(
        &mut self,
        offset: u16,
        size: u8,
        value: u32,
        h: &mut H,
    ) {
        let off = usize::from(offset);
        let len = usize::from(size);
        if matches!(len, 1 | 2 | 4) && off & (len - 1) == 0 {
            self.write_piece(off, len, value & lane_mask(len), h);
            return;
        }
        self.write_split(off, len, value, h);
    }

    /// Reads part of one dword: `len` bytes at `off`, not crossing a dword.
    #[inline(always)]
    fn read_piece<H: ConfigHandler + ?Sized>(&self, off: usize, len: usize, h: &mut H) -> u32 {
        let lane = lane_mask(len);
        let Some(d) = self.dwords.get(off >> 2) else {
            return lane;
        };
        let shift = (off & 3) * 8;
        let value = (d.value >> shift) & lane;
        let emulated = (d.emulated >> shift) & lane;
        if emulated == lane {
            return value;
        }
        let device = self.device_read_piece(off, len, h);
        (value & emulated) | (device & !emulated & lane)
    }

    /// Reads the device behind for a piece, in naturally aligned parts.
    #[inline(never)]
    fn device_read_piece<H: ConfigHandler + ?Sized>(
        &self,
        off: usize,
        len: usize,
        h: &mut H,
    ) -> u32 {
        let mut out = 0u32;
        for_aligned_parts(off, len, |part_off, part_len, shift| {
            // In range: `off` indexes an existing dword.
            let v = h.device_read(part_off as u16, part_len as u8) & lane_mask(part_len);
            out |= v << shift;
        });
        out
    }

    #[cold]
    fn read_split<H: ConfigHandler + ?Sized>(&self, off: usize, len: usize, h: &mut H) -> u32 {
        if !matches!(len, 1 | 2 | 4) {
            return u32::MAX;
        }
        let mut out = 0u32;
        let mut done = 0;
        while done < len {
            let start = off + done;
            let piece = (4 - (start & 3)).min(len - done);
            out |= self.read_piece(start, piece, h) << (done * 8);
            done += piece;
        }
        out
    }

    #[cold]
    fn write_split<H: ConfigHandler + ?Sized>(
        &mut self,
        off: usize,
        len: usize,
        value: u32,
        h: &mut H,
    ) {
        if !matches!(len, 1 | 2 | 4) {
            return;
        }
        let mut done = 0;
        while done < len {
            let start = off + done;
            let piece = (4 - (start & 3)).min(len - done);
            let v = (value >> (done * 8)) & lane_mask(piece);
            self.write_piece(start, piece, v, h);
            done += piece;
        }
    }

    /// Writes part of one dword: `len` bytes of `value` at `off`.
    #[inline(always)]
    fn write_piece<H: ConfigHandler + ?Sized>(
        &mut self,
        off: usize,
        len: usize,
        value: u32,
        h: &mut H,
    ) {
        let index = off >> 2;
        let Some(d) = self.dwords.get_mut(index) else {
            return;
        };
        let shift = (off & 3) * 8;
        let lanes = lane_mask(len) << shift;
        let v = value << shift;
        let old = d.value;
        let writable = d.writable & lanes;
        let mut new = (old & !writable) | (v & writable);
        new &= !(v & d.w1c & lanes);
        d.value = new;
        // Side effects are rare: keep them out of the inlined path.
        if d.to_device & lanes != 0 || d.hook != 0 || (new ^ old) & d.watch != 0 {
            self.write_effects(index, off, len, value, old, h);
        }
    }

    /// The side effects of a guest write: write-through, hook, BAR decoding.
    #[inline(never)]
    fn write_effects<H: ConfigHandler + ?Sized>(
        &mut self,
        index: usize,
        off: usize,
        len: usize,
        value: u32,
        old: u32,
        h: &mut H,
    ) {
        let d = self.dwords[index];
        let shift = (off & 3) * 8;
        // An emulated bit reaches the device only when the guest's view of
        // it changed: rewriting what the guest already had would be a blind
        // read-modify-write of host state (the XSA-128 pattern).
        let changed_or_device = !d.emulated | (d.value ^ old);
        let to_device = d.to_device & (lane_mask(len) << shift) & changed_or_device;
        if to_device != 0 {
            self.write_through(index, to_device, value << shift, h);
        }
        if d.hook != 0 {
            let write = RegWrite {
                offset: off as u16,
                size: len as u8,
                value,
                old_dword: old,
            };
            h.on_write(self, HookId(d.hook), write);
        }
        // A hook may have changed the dword: compare what is there now.
        if (self.dwords[index].value ^ old) & d.watch != 0 {
            self.update_bar_decoding(d.bar, h);
        }
    }

    /// Passes the `to_device` bits of a guest write on to the device behind.
    ///
    /// Only the bytes holding such bits are written. Where a byte also holds
    /// bits the guest may not write, the device's current value is read and
    /// kept, except bits the policy marks write-1-to-clear, which are written
    /// as 0 so that a guest write never clears device status by accident.
    #[inline(never)]
    fn write_through<H: ConfigHandler + ?Sized>(
        &mut self,
        index: usize,
        to_device: u32,
        v: u32,
        h: &mut H,
    ) {
        let first = (to_device.trailing_zeros() / 8) as usize;
        let last = (31 - to_device.leading_zeros()) as usize / 8;
        let span_len = last - first + 1;
        let span = lane_mask(span_len) << (first * 8);
        let base = index * 4;
        let mut out = v & to_device;
        if span & !to_device != 0 {
            let current = self.device_read_piece(base + first, span_len, h) << (first * 8);
            out |= current & !to_device & !self.dwords[index].w1c & span;
        }
        for_aligned_parts(base + first, span_len, |part_off, part_len, shift| {
            let part = (out >> (first * 8 + shift)) & lane_mask(part_len);
            h.device_write(part_off as u16, part_len as u8, part);
        });
    }

    // -----------------------------------------------------------------
    // Building the policy
    // -----------------------------------------------------------------

    /// Applies a policy table to the structure at `base`.
    ///
    /// Each register's masks replace the policy of its bits; its value, if
    /// given, is written to the image; its hook, if given, is attached to the
    /// dword. The table is kept for naming registers in diagnostics.
    pub fn apply(&mut self, base: u16, table: RegTable) -> Result<(), PolicyError> {
        let config_size = self.size.bytes();
        for reg in table {
            reg.check(base, config_size)?;
        }
        for reg in table {
            let offset = base + reg.offset;
            let m = reg.size_mask();
            let policy = BitPolicy {
                emulated: reg.emulated & m,
                writable: reg.writable & m,
                w1c: reg.w1c & m,
                to_device: reg.to_device & m,
            };
            self.set_policy(offset, reg.size, policy);
            if let Some(value) = reg.value {
                self.set(offset, reg.size, value);
            }
            if let Some(hook) = reg.hook {
                self.set_hook(offset, hook);
            }
        }
        self.tables.push((base, table));
        Ok(())
    }

    /// Sets the policy of the bits of the register at `offset` (`size` bytes).
    ///
    /// Out-of-range or malformed requests are ignored: callers are the
    /// models and policy builders, and `apply` has checked tables already.
    pub fn set_policy(&mut self, offset: u16, size: u8, policy: BitPolicy) {
        let off = usize::from(offset);
        let len = usize::from(size);
        if !matches!(len, 1 | 2 | 4) || (off & 3) + len > 4 {
            return;
        }
        let Some(d) = self.dwords.get_mut(off >> 2) else {
            return;
        };
        let shift = (off & 3) * 8;
        let lanes = lane_mask(len) << shift;
        let put =
            |field: &mut u32, bits: u32| *field = (*field & !lanes) | ((bits << shift) & lanes);
        put(&mut d.emulated, policy.emulated);
        put(&mut d.writable, policy.writable);
        put(&mut d.w1c, policy.w1c);
        put(&mut d.to_device, policy.to_device);
    }

    /// The policy of the dword at `offset` (rounded down to a dword).
    pub fn policy(&self, offset: u16) -> Option<BitPolicy> {
        self.dwords
            .get(usize::from(offset) >> 2)
            .map(|d| BitPolicy {
                emulated: d.emulated,
                writable: d.writable,
                w1c: d.w1c,
                to_device: d.to_device,
            })
    }

    /// Attaches `hook` to the dword holding `offset`; `HookId(0)` removes it.
    pub fn set_hook(&mut self, offset: u16, hook: HookId) {
        if let Some(d) = self.dwords.get_mut(usize::from(offset) >> 2) {
            d.hook = hook.0;
        }
    }

    /// The hook attached to the dword holding `offset`.
    pub fn hook(&self, offset: u16) -> Option<HookId> {
        self.dwords
            .get(usize::from(offset) >> 2)
            .and_then(|d| (d.hook != 0).then_some(HookId(d.hook)))
    }

    /// Sets the bits of the dword at `offset` whose change re-decodes BAR
    /// `bar` (slot + 1, or [`ALL_BARS`]).
    pub(crate) fn watch_bars(&mut self, offset: u16, bits: u32, bar: u8) {
        if let Some(d) = self.dwords.get_mut(usize::from(offset) >> 2) {
            d.watch = bits;
            d.bar = bar;
        }
    }

    /// The name of the register at `offset`, from the tables applied.
    pub fn register_name(&self, offset: u16) -> Option<&'static str> {
        // Latest table wins, as in `apply`.
        self.tables.iter().rev().find_map(|(base, table)| {
            table.iter().find_map(|r| {
                let start = base.wrapping_add(r.offset);
                (offset >= start && offset < start + u16::from(r.size)).then_some(r.name)
            })
        })
    }

    // -----------------------------------------------------------------
    // The image, for models and hooks (no policy applied)
    // -----------------------------------------------------------------

    /// Reads the image: `size` (1, 2 or 4) bytes at `offset`, not crossing a
    /// dword. Out of range or malformed: all-ones.
    #[inline]
    pub fn get(&self, offset: u16, size: u8) -> u32 {
        let off = usize::from(offset);
        let len = usize::from(size);
        if !matches!(len, 1 | 2 | 4) || (off & 3) + len > 4 {
            return u32::MAX;
        }
        match self.dwords.get(off >> 2) {
            Some(d) => (d.value >> ((off & 3) * 8)) & lane_mask(len),
            None => lane_mask(len),
        }
    }

    /// Writes the image: `size` (1, 2 or 4) bytes at `offset`, not crossing
    /// a dword. Out of range or malformed: ignored.
    #[inline]
    pub fn set(&mut self, offset: u16, size: u8, value: u32) {
        let off = usize::from(offset);
        let len = usize::from(size);
        if !matches!(len, 1 | 2 | 4) || (off & 3) + len > 4 {
            return;
        }
        if let Some(d) = self.dwords.get_mut(off >> 2) {
            let shift = (off & 3) * 8;
            let lanes = lane_mask(len) << shift;
            d.value = (d.value & !lanes) | ((value << shift) & lanes);
        }
    }

    /// Reads a byte of the image.
    #[inline]
    pub fn get_u8(&self, offset: u16) -> u8 {
        self.get(offset, 1) as u8
    }

    /// Reads a word of the image.
    #[inline]
    pub fn get_u16(&self, offset: u16) -> u16 {
        self.get(offset, 2) as u16
    }

    /// Reads a dword of the image.
    #[inline]
    pub fn get_u32(&self, offset: u16) -> u32 {
        self.get(offset, 4)
    }

    /// Writes a byte of the image.
    #[inline]
    pub fn set_u8(&mut self, offset: u16, value: u8) {
        self.set(offset, 1, value.into());
    }

    /// Writes a word of the image.
    #[inline]
    pub fn set_u16(&mut self, offset: u16, value: u16) {
        self.set(offset, 2, value.into());
    }

    /// Writes a dword of the image.
    #[inline]
    pub fn set_u32(&mut self, offset: u16, value: u32) {
        self.set(offset, 4, value);
    }

    /// Sets bits in the image (e.g. a status bit a model raises).
    pub fn set_bits(&mut self, offset: u16, size: u8, bits: u32) {
        let v = self.get(offset, size);
        self.set(offset, size, v | bits);
    }

    /// Clears bits in the image.
    pub fn clear_bits(&mut self, offset: u16, size: u8, bits: u32) {
        let v = self.get(offset, size);
        self.set(offset, size, v & !bits);
    }

    /// Copies `bytes` into the image at `offset` (e.g. a host snapshot).
    pub fn load_image(&mut self, offset: u16, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            let Some(off) = usize::from(offset).checked_add(i) else {
                return;
            };
            if off >= self.size.bytes() {
                return;
            }
            self.set(off as u16, 1, u32::from(*b));
        }
    }

    /// The image as bytes (the emulated view; device-sourced bits as stored).
    pub fn image(&self) -> Vec<u8> {
        self.dwords
            .iter()
            .flat_map(|d| d.value.to_le_bytes())
            .collect()
    }

    /// The full guest view, reading device-sourced bits through `h`.
    pub fn guest_view<H: ConfigHandler + ?Sized>(&self, h: &mut H) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size.bytes());
        for off in (0..self.size.bytes()).step_by(4) {
            out.extend_from_slice(&self.read(off as u16, 4, h).to_le_bytes());
        }
        out
    }

    // -----------------------------------------------------------------
    // Reset
    // -----------------------------------------------------------------

    /// Records the current image as the state a reset returns to.
    pub fn mark_reset_state(&mut self) {
        for d in self.dwords.iter_mut() {
            d.reset = d.value;
        }
    }

    /// Returns the image to the recorded reset state (a conventional reset:
    /// Secondary Bus Reset or FLR), reporting BARs that stop decoding.
    pub fn reset<H: ConfigHandler + ?Sized>(&mut self, h: &mut H) {
        for d in self.dwords.iter_mut() {
            d.value = d.reset;
        }
        self.update_bar_decoding(ALL_BARS, h);
    }
}

/// Splits `len` bytes at `off` (inside one dword) into naturally aligned
/// parts of 1, 2 or 4 bytes; calls `f(offset, len, bit shift within piece)`.
#[inline]
fn for_aligned_parts(off: usize, len: usize, mut f: impl FnMut(usize, usize, usize)) {
    let mut done = 0;
    while done < len {
        let at = off + done;
        let rest = len - done;
        let part = if at & 3 == 0 && rest >= 4 {
            4
        } else if at & 1 == 0 && rest >= 2 {
            2
        } else {
            1
        };
        f(at, part, done * 8);
        done += part;
    }
}
