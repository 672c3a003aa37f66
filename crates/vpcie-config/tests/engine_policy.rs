//! The access engine against a byte-by-byte reference model.
//!
//! The model is written from the documented semantics (per bit: emulated
//! or device, writable, write-1-to-clear, written through), not from the
//! engine's code: it handles every access one byte at a time.

use proptest::prelude::*;
use vpcie_config::{BitPolicy, ConfigHandler, ConfigSize, ConfigSpace};

/// A device behind the config space: bytes with RW1C semantics where the
/// policy says so, and a log of every access it received.
#[derive(Clone, Debug)]
struct Device {
    bytes: Vec<u8>,
    w1c: Vec<u8>,
    log: Vec<(bool, u16, u8)>,
}

impl ConfigHandler for Device {
    fn device_read(&mut self, offset: u16, size: u8) -> u32 {
        self.log.push((false, offset, size));
        let mut v = 0u32;
        for i in 0..usize::from(size) {
            v |= u32::from(self.bytes[usize::from(offset) + i]) << (8 * i);
        }
        v
    }

    fn device_write(&mut self, offset: u16, size: u8, value: u32) {
        self.log.push((true, offset, size));
        for i in 0..usize::from(size) {
            let at = usize::from(offset) + i;
            let b = (value >> (8 * i)) as u8;
            let w1c = self.w1c[at];
            self.bytes[at] = (b & !w1c) | (self.bytes[at] & w1c & !b);
        }
    }
}

/// The reference: every byte on its own.
#[derive(Clone, Debug)]
struct Model {
    size: usize,
    image: Vec<u8>,
    device: Vec<u8>,
    emulated: Vec<u8>,
    writable: Vec<u8>,
    w1c: Vec<u8>,
    to_device: Vec<u8>,
}

impl Model {
    fn read(&self, offset: usize, size: usize) -> u32 {
        if !matches!(size, 1 | 2 | 4) {
            return u32::MAX;
        }
        let mut v = 0u32;
        for i in 0..size {
            let at = offset + i;
            let b = if at < self.size {
                (self.image[at] & self.emulated[at]) | (self.device[at] & !self.emulated[at])
            } else {
                0xff
            };
            v |= u32::from(b) << (8 * i);
        }
        v
    }

    fn write(&mut self, offset: usize, size: usize, value: u32) {
        if !matches!(size, 1 | 2 | 4) {
            return;
        }
        for i in 0..size {
            let at = offset + i;
            if at >= self.size {
                continue;
            }
            let b = (value >> (8 * i)) as u8;
            let wm = self.writable[at];
            let before = self.image[at];
            let mut img = (before & !wm) | (b & wm);
            img &= !(b & self.w1c[at]);
            self.image[at] = img;
            // Through to the device: only the to_device bits that are the
            // device's own or whose emulated value changed, with the
            // device's own RW1C behaviour for those bits.
            let td = self.to_device[at] & (!self.emulated[at] | (before ^ img));
            let w1c = self.w1c[at];
            let old = self.device[at];
            let plain = td & !w1c;
            let clear = td & w1c & b;
            self.device[at] = (old & !plain & !clear) | (b & plain);
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Read(u16, u8),
    Write(u16, u8, u32),
}

fn op() -> impl Strategy<Value = Op> {
    let offset = prop_oneof![
        0u16..0x40,
        0u16..0x1010,
        Just(0xfff),
        Just(0xffe),
        Just(0xffff)
    ];
    let size = prop_oneof![Just(1u8), Just(2), Just(4), 0u8..9];
    prop_oneof![
        (offset.clone(), size.clone()).prop_map(|(o, s)| Op::Read(o, s)),
        (offset, size, any::<u32>()).prop_map(|(o, s, v)| Op::Write(o, s, v)),
    ]
}

/// Per-byte policy respecting the engine's rules: writable and w1c bits are
/// emulated and disjoint.
fn byte_policy() -> impl Strategy<Value = (u8, u8, u8, u8)> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(em, wm, w1c, td)| {
        let wm = wm & em;
        let w1c = w1c & em & !wm;
        (em, wm, w1c, td)
    })
}

fn setup(
    size: ConfigSize,
    policies: &[(u8, u8, u8, u8)],
    image: &[u8],
    device: &[u8],
) -> (ConfigSpace, Device, Model) {
    let n = size.bytes();
    let mut cfg = ConfigSpace::new(size);
    let mut model = Model {
        size: n,
        image: image[..n].to_vec(),
        device: device[..n].to_vec(),
        emulated: vec![0; n],
        writable: vec![0; n],
        w1c: vec![0; n],
        to_device: vec![0; n],
    };
    for dw in 0..n / 4 {
        let mut p = BitPolicy::default();
        for i in 0..4 {
            let at = dw * 4 + i;
            let (em, wm, w1c, td) = policies[at % policies.len()];
            // Vary the policy by position so neighbouring bytes differ.
            let rot = (at % 7) as u32;
            let (em, wm, w1c, td) = (
                em.rotate_left(rot),
                wm.rotate_left(rot),
                w1c.rotate_left(rot),
                td.rotate_left(rot),
            );
            model.emulated[at] = em;
            model.writable[at] = wm;
            model.w1c[at] = w1c;
            model.to_device[at] = td;
            p.emulated |= u32::from(em) << (8 * i);
            p.writable |= u32::from(wm) << (8 * i);
            p.w1c |= u32::from(w1c) << (8 * i);
            p.to_device |= u32::from(td) << (8 * i);
        }
        cfg.set_policy((dw * 4) as u16, 4, p);
    }
    cfg.load_image(0, &image[..n]);
    let dev = Device {
        bytes: device[..n].to_vec(),
        w1c: model.w1c.clone(),
        log: Vec::new(),
    };
    (cfg, dev, model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Read-after-write follows the policy for every bit class, at every
    /// offset and size, inside and beyond the config space; the device sees
    /// only naturally aligned accesses inside the config space.
    #[test]
    fn reads_and_writes_follow_the_per_bit_policy(
        extended in any::<bool>(),
        policies in proptest::collection::vec(byte_policy(), 1..32),
        image in proptest::collection::vec(any::<u8>(), 4096),
        device in proptest::collection::vec(any::<u8>(), 4096),
        ops in proptest::collection::vec(op(), 1..200),
    ) {
        let size = if extended { ConfigSize::Extended } else { ConfigSize::Conventional };
        let (mut cfg, mut dev, mut model) = setup(size, &policies, &image, &device);
        for op in ops {
            match op {
                Op::Read(o, s) => {
                    let got = cfg.read(o, s, &mut dev);
                    let want = model.read(usize::from(o), usize::from(s));
                    prop_assert_eq!(got, want, "read {:#x}/{}", o, s);
                }
                Op::Write(o, s, v) => {
                    cfg.write(o, s, v, &mut dev);
                    model.write(usize::from(o), usize::from(s), v);
                    prop_assert_eq!(&dev.bytes, &model.device, "device after write {:#x}/{} {:#x}", o, s, v);
                }
            }
            for &(_, off, sz) in &dev.log {
                prop_assert!(matches!(sz, 1 | 2 | 4), "device access size {}", sz);
                prop_assert_eq!(off % u16::from(sz), 0, "device access misaligned at {:#x}/{}", off, sz);
                prop_assert!(usize::from(off) + usize::from(sz) <= size.bytes());
            }
            dev.log.clear();
        }
        // The whole image agrees at the end, byte by byte.
        for off in 0..size.bytes() {
            prop_assert_eq!(cfg.read(off as u16, 1, &mut dev), model.read(off, 1));
        }
    }

    /// A fully emulated space never calls the device, whatever the access.
    #[test]
    fn emulated_bits_never_touch_the_device(ops in proptest::collection::vec(op(), 1..300)) {
        let mut cfg = ConfigSpace::new(ConfigSize::Extended);
        for dw in 0..1024u16 {
            cfg.set_policy(dw * 4, 4, BitPolicy { writable: 0x5a5a_a5a5, w1c: 0x0101_0202, ..BitPolicy::READ_ONLY });
        }
        let mut dev = Device { bytes: vec![0; 4096], w1c: vec![0; 4096], log: Vec::new() };
        for op in ops {
            match op {
                Op::Read(o, s) => { cfg.read(o, s, &mut dev); }
                Op::Write(o, s, v) => cfg.write(o, s, v, &mut dev),
            }
        }
        prop_assert!(dev.log.is_empty(), "device saw {:?}", dev.log);
    }
}

#[test]
fn dword_crossing_read_composes_bytes_little_endian() {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.load_image(0x40, &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    let mut h = vpcie_config::NoHandler;
    assert_eq!(cfg.read(0x42, 4, &mut h), 0x6655_4433);
    assert_eq!(cfg.read(0x43, 2, &mut h), 0x5544);
    assert_eq!(cfg.read(0x41, 1, &mut h), 0x22);
}

#[test]
fn beyond_the_config_size_reads_ones_and_drops_writes() {
    let mut cfg = ConfigSpace::new(ConfigSize::Conventional);
    for dw in 0..64u16 {
        cfg.set_policy(
            dw * 4,
            4,
            BitPolicy {
                writable: u32::MAX,
                ..BitPolicy::READ_ONLY
            },
        );
    }
    let mut h = vpcie_config::NoHandler;
    assert_eq!(cfg.read(0x100, 4, &mut h), u32::MAX);
    assert_eq!(cfg.read(0xffff, 1, &mut h), 0xff);
    // Straddling the end: the in-range byte is real, the rest 0xff.
    cfg.write(0xfe, 4, 0xaabb_ccdd, &mut h);
    assert_eq!(cfg.read(0xfc, 4, &mut h), 0xccdd_0000);
    assert_eq!(cfg.read(0xfe, 4, &mut h), 0xffff_ccdd);
}

#[test]
fn sizes_other_than_1_2_4_read_ones_and_are_not_written() {
    let mut cfg = ConfigSpace::new(ConfigSize::Extended);
    cfg.set_policy(
        0x40,
        4,
        BitPolicy {
            writable: u32::MAX,
            ..BitPolicy::READ_ONLY
        },
    );
    let mut h = vpcie_config::NoHandler;
    for size in [0u8, 3, 5, 8, 255] {
        cfg.write(0x40, size, 0x1234_5678, &mut h);
        assert_eq!(cfg.read(0x40, size, &mut h), u32::MAX);
    }
    assert_eq!(cfg.read(0x40, 4, &mut h), 0);
}
