//! One function's configuration space: image, per-bit policy, hooks.
//!
//! Storage is split by use. Reads need only a dword's image and which of its
//! bits are emulated: those sit in an 8-byte record per dword, held in the
//! struct itself (8 KiB, no pointer to load), so the common read (an aligned,
//! fully emulated dword) is one test of the offset and one record. Writes
//! also use the rest of the policy, in a second, boxed table. Both tables
//! cover 4 KiB whatever the size, so that no access loads a length: beyond
//! the size, dwords read as all-ones and have no writable bits and no side
//! effects.
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

/// What a read needs of one dword: its image and its emulated bits (aligned
/// so that the pair never straddles a cache line).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(8))]
struct Hot {
    value: u32,
    emulated: u32,
}

/// Beyond the configuration size: reads as all-ones, like the bytes a
/// missing dword stands for; its policy has nothing writable.
const ABSENT: Hot = Hot {
    value: u32::MAX,
    emulated: u32::MAX,
};

/// Bytes the tables cover: a whole extended configuration space.
const TABLE_BYTES: usize = PCI_CFG_SPACE_EXP_SIZE;
const TABLE_DWORDS: usize = TABLE_BYTES / 4;

/// Offsets of an aligned dword inside the tables have none of these bits.
const FAST_READ_MASK: u16 = !((TABLE_BYTES - 4) as u16);

// The masks above and in `write` need a power of two that a u16 can exceed.
const _: () = assert!(TABLE_BYTES.is_power_of_two() && TABLE_BYTES <= 1 << 16);

/// The rest of one dword's policy, used by writes.
#[derive(Clone, Copy, Debug, Default)]
struct Cold {
    writable: u32,
    w1c: u32,
    to_device: u32,
    /// Bits whose change may change a BAR's decoding (BARs, Command).
    watch: u32,
    /// Bits whose write has effects beyond the image: `to_device`, or all
    /// when hooked, so that the write path tests both at once.
    trigger: u32,
    hook: u8,
    /// Which BAR slot `watch` concerns: slot + 1, or [`ALL_BARS`].
    bar: u8,
}

impl Cold {
    fn update_trigger(&mut self) {
        self.trigger = if self.hook != 0 {
            u32::MAX
        } else {
            self.to_device
        };
    }
}

/// [`Cold::bar`] value of the Command register: its bits concern every BAR.
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
    /// Image and emulated bits; `ABSENT` beyond `size`.
    hot: [Hot; TABLE_DWORDS],
    /// The rest of the policy; all-zero beyond `size`.
    cold: Box<[Cold; TABLE_DWORDS]>,
    /// The image a reset returns to, one per dword of `size`.
    reset: Box<[u32]>,
    size: ConfigSize,
    /// The BARs and expansion ROM (slot 6), with their last decoded address.
    pub(crate) bars: [Option<BarSlot>; 7],
    /// Registers applied from tables, for naming offsets in diagnostics.
    tables: Vec<(u16, RegTable)>,
}

impl ConfigSpace {
    /// An all-zero, read-only, fully emulated configuration space.
    pub fn new(size: ConfigSize) -> Self {
        let dwords = size.bytes() / 4;
        let mut hot = [ABSENT; TABLE_DWORDS];
        for d in &mut hot[..dwords] {
            d.value = 0;
        }
        ConfigSpace {
            hot,
            cold: vec![Cold::default(); TABLE_DWORDS]
                .into_boxed_slice()
                .try_into()
                .expect("TABLE_DWORDS records"),
            reset: vec![0; dwords].into_boxed_slice(),
            size,
            bars: [None; 7],
            tables: Vec::new(),
        }
    }

    /// The size of this configuration space.
    pub fn size(&self) -> ConfigSize {
        self.size
    }

    /// The index of the dword holding `offset`, if inside the size.
    fn index(&self, offset: usize) -> Option<usize> {
        (offset < self.size.bytes()).then_some(offset >> 2)
    }

    // -----------------------------------------------------------------
    // The guest's view
    // -----------------------------------------------------------------

    /// A guest read of `size` bytes at `offset`.
    #[inline]
    pub fn read<H: ConfigHandler + ?Sized>(&self, offset: u16, size: u8, h: &mut H) -> u32 {
        // The common case: one test for aligned and inside the table, then
        // one record; all else out of line, so callers' loops stay small.
        if size == 4 && offset & FAST_READ_MASK == 0 {
            let d = self.hot[usize::from(offset >> 2)];
            if d.emulated == u32::MAX {
                return d.value;
            }
        }
        self.read_slow(offset, size, h)
    }

    /// A read the fast path did not serve.
    #[inline(never)]
    fn read_slow<H: ConfigHandler + ?Sized>(&self, offset: u16, size: u8, h: &mut H) -> u32 {
        let off = usize::from(offset);
        let len = usize::from(size);
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
        // Naturally aligned and inside the tables: one test if `size` is
        // a constant.
        if matches!(len, 1 | 2 | 4) && off & ((len - 1) | !(TABLE_BYTES - 1)) == 0 {
            // The shift is `off * 8` modulo 32 (`write_piece` wraps it), so
            // it needs no masking, and a constant `size` 4 folds it to 0.
            let shift = if len == 4 { 0 } else { (off as u32) << 3 };
            self.write_piece(off, len, shift, value & lane_mask(len), h);
            return;
        }
        self.write_split(off, len, value, h);
    }

    /// Reads part of one dword: `len` bytes at `off`, not crossing a dword.
    #[inline(always)]
    fn read_piece<H: ConfigHandler + ?Sized>(&self, off: usize, len: usize, h: &mut H) -> u32 {
        let lane = lane_mask(len);
        let Some(d) = self.hot.get(off >> 2) else {
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
            if start >= TABLE_BYTES {
                return; // beyond the size: dropped
            }
            let piece = (4 - (start & 3)).min(len - done);
            let v = (value >> (done * 8)) & lane_mask(piece);
            self.write_piece(start, piece, (start as u32) << 3, v, h);
            done += piece;
        }
    }

    /// Writes part of one dword: `len` bytes of `value` at `off`, which is
    /// `shift` bits (modulo 32) into its dword.
    #[inline(always)]
    fn write_piece<H: ConfigHandler + ?Sized>(
        &mut self,
        off: usize,
        len: usize,
        shift: u32,
        value: u32,
        h: &mut H,
    ) {
        // In the tables (callers check; the mask spares a bounds check);
        // beyond the size the policy makes this write do nothing.
        let index = (off >> 2) & (TABLE_DWORDS - 1);
        let d = &self.cold[index];
        let lanes = lane_mask(len).wrapping_shl(shift);
        let v = value.wrapping_shl(shift);
        let writable = d.writable & lanes;
        let cleared = v & d.w1c & lanes;
        let image = &mut self.hot[index].value;
        let old = *image;
        // Repeated writes to a register wait on each other through the
        // image: keep `old` to one and, one or before the store.
        let new = (old & !writable & !cleared) | (v & writable & !cleared);
        *image = new;
        // Side effects are rare: keep them out of the inlined path.
        if d.trigger & lanes != 0 || (new ^ old) & d.watch != 0 {
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
        let d = self.cold[index];
        let hot = self.hot[index];
        let shift = (off & 3) * 8;
        // An emulated bit reaches the device only when the guest's view of
        // it changed: rewriting what the guest already had would be a blind
        // read-modify-write of host state (the XSA-128 pattern).
        let changed_or_device = !hot.emulated | (hot.value ^ old);
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
        if (self.hot[index].value ^ old) & d.watch != 0 {
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
            out |= current & !to_device & !self.cold[index].w1c & span;
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
        let Some(index) = self.index(off) else {
            return;
        };
        let d = &mut self.cold[index];
        let shift = (off & 3) * 8;
        let lanes = lane_mask(len) << shift;
        let put =
            |field: &mut u32, bits: u32| *field = (*field & !lanes) | ((bits << shift) & lanes);
        put(&mut self.hot[index].emulated, policy.emulated);
        put(&mut d.writable, policy.writable);
        put(&mut d.w1c, policy.w1c);
        put(&mut d.to_device, policy.to_device);
        d.update_trigger();
    }

    /// The policy of the dword at `offset` (rounded down to a dword).
    pub fn policy(&self, offset: u16) -> Option<BitPolicy> {
        let index = self.index(usize::from(offset))?;
        let d = &self.cold[index];
        Some(BitPolicy {
            emulated: self.hot[index].emulated,
            writable: d.writable,
            w1c: d.w1c,
            to_device: d.to_device,
        })
    }

    /// Attaches `hook` to the dword holding `offset`; `HookId(0)` removes it.
    pub fn set_hook(&mut self, offset: u16, hook: HookId) {
        if let Some(index) = self.index(usize::from(offset)) {
            let d = &mut self.cold[index];
            d.hook = hook.0;
            d.update_trigger();
        }
    }

    /// The hook attached to the dword holding `offset`.
    pub fn hook(&self, offset: u16) -> Option<HookId> {
        self.index(usize::from(offset))
            .map(|index| &self.cold[index])
            .and_then(|d| (d.hook != 0).then_some(HookId(d.hook)))
    }

    /// Sets the bits of the dword at `offset` whose change re-decodes BAR
    /// `bar` (slot + 1, or [`ALL_BARS`]).
    pub(crate) fn watch_bars(&mut self, offset: u16, bits: u32, bar: u8) {
        if let Some(index) = self.index(usize::from(offset)) {
            let d = &mut self.cold[index];
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
        // Beyond the size the table holds all-ones, as the image reads.
        match self.hot.get(off >> 2) {
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
        if let Some(index) = self.index(off) {
            let d = &mut self.hot[index];
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
        self.hot[..self.size.bytes() / 4]
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
        for (r, d) in self.reset.iter_mut().zip(&self.hot) {
            *r = d.value;
        }
    }

    /// Returns the image to the recorded reset state (a conventional reset:
    /// Secondary Bus Reset or FLR), reporting BARs that stop decoding.
    pub fn reset<H: ConfigHandler + ?Sized>(&mut self, h: &mut H) {
        for (r, d) in self.reset.iter().zip(&mut self.hot) {
            d.value = *r;
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
