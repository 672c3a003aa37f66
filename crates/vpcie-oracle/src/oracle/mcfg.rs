//! Stage 4: `vpcie acpi`'s MCFG against QEMU's, each against its own
//! machine's PCIEXBAR, plan and memory map.

use super::firmware::FirmwareRun;
use super::*;

/// An MCFG table's fields (PCI Firmware 3.3 §4.1.2).
struct Mcfg {
    bytes: Vec<u8>,
}

impl Mcfg {
    fn header(&self) -> Vec<(&'static str, String)> {
        let b = &self.bytes;
        let s = |r: std::ops::Range<usize>| String::from_utf8_lossy(&b[r]).replace(' ', "_");
        let u32at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        vec![
            ("signature", s(0..4)),
            ("length", u32at(4).to_string()),
            ("revision", b[8].to_string()),
            ("OEM ID", s(10..16)),
            ("OEM table ID", s(16..24)),
            ("OEM revision", format!("{:#x}", u32at(24))),
            ("creator ID", s(28..32)),
            ("creator revision", format!("{:#x}", u32at(32))),
            ("reserved 36-43", format!("{:02x?}", &b[36..44])),
        ]
    }

    fn allocations(&self) -> Vec<(u64, u16, u8, u8)> {
        self.bytes[44..]
            .chunks_exact(16)
            .map(|a| {
                (
                    u64::from_le_bytes(a[0..8].try_into().unwrap()),
                    u16::from_le_bytes([a[8], a[9]]),
                    a[10],
                    a[11],
                )
            })
            .collect()
    }

    fn problems(&self) -> Vec<String> {
        let b = &self.bytes;
        let mut out = Vec::new();
        if b.len() < 44 {
            return vec![format!(
                "{} bytes, shorter than the 44-byte header",
                b.len()
            )];
        }
        if &b[0..4] != b"MCFG" {
            out.push("signature is not MCFG".into());
        }
        let len = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
        if len != b.len() {
            out.push(format!("length field {len}, table {} bytes", b.len()));
        }
        if (b.len() - 44) % 16 != 0 {
            out.push("allocations are not 16-byte entries".into());
        }
        if b.iter().fold(0u8, |s, x| s.wrapping_add(*x)) != 0 {
            out.push("checksum does not sum to 0".into());
        }
        for (i, a) in self.allocations().iter().enumerate() {
            let buses = u64::from(a.3) - u64::from(a.2) + 1;
            if a.3 < a.2 || a.0 % (buses << 20) != 0 && a.0 % (1 << 20) != 0 {
                out.push(format!(
                    "allocation {i}: bus range {}-{} at {:#x} malformed",
                    a.2, a.3, a.0
                ));
            }
        }
        out
    }
}

pub(super) fn stage_mcfg(
    inputs: &Inputs,
    boot: &Path,
    firmware: Option<&FirmwareRun>,
    report: &mut Report,
) {
    let table = &inputs.table;
    let q = std::fs::read(boot.join("mcfg.bin"));
    let v = inputs
        .vpcie_out
        .as_ref()
        .ok_or_else(|| std::io::Error::other("no vpcie output directory"))
        .and_then(|d| std::fs::read(d.join("acpi").join("mcfg.dat")));
    let (q, v) = match (q, v) {
        (Ok(q), Ok(v)) => (Mcfg { bytes: q }, Mcfg { bytes: v }),
        (q, v) => {
            let why: Vec<String> = [q.err(), v.err()]
                .into_iter()
                .flatten()
                .map(|e| e.to_string())
                .collect();
            report.fail("mcfg: both tables readable", "missing", why);
            return;
        }
    };
    report.expect_none(
        "mcfg: QEMU's table is well formed",
        "signature, length, checksum, entries",
        q.problems(),
    );
    report.expect_none(
        "mcfg: vpcie's table is well formed",
        "signature, length, checksum, entries",
        v.problems(),
    );
    if !q.problems().is_empty() || !v.problems().is_empty() {
        return;
    }
    let mut diffs = Vec::new();
    let mut count = 0;
    for ((name, a), (_, b)) in v.header().into_iter().zip(q.header()) {
        count += 1;
        if a != b {
            diffs.push(Diff::new("mcfg", "mcfg", "mcfg", name, a, b));
        }
    }
    let (av, aq) = (v.allocations(), q.allocations());
    count += 1;
    if av.len() != aq.len() {
        diffs.push(Diff::new(
            "mcfg",
            "mcfg",
            "mcfg",
            "allocations",
            av.len().to_string(),
            aq.len().to_string(),
        ));
    }
    for (i, (a, b)) in av.iter().zip(&aq).enumerate() {
        for (field, x, y) in [
            ("base", format!("{:#x}", a.0), format!("{:#x}", b.0)),
            ("segment", a.1.to_string(), b.1.to_string()),
            (
                "start bus",
                format!("{:#04x}", a.2),
                format!("{:#04x}", b.2),
            ),
            ("end bus", format!("{:#04x}", a.3), format!("{:#04x}", b.3)),
        ] {
            count += 1;
            if x != y {
                diffs.push(Diff::new(
                    "mcfg",
                    "mcfg",
                    "mcfg",
                    format!("allocation {i} {field}"),
                    x,
                    y,
                ));
            }
        }
    }
    report.diffs(
        "mcfg: vpcie's MCFG field by field against QEMU's",
        count,
        diffs,
        table,
    );

    // Each MCFG against its own machine: the PCIEXBAR window, the plan,
    // the memory map.
    let mut problems = Vec::new();
    let early = dump_images(&boot.join("earlydump.txt")).unwrap_or_default();
    let pciexbar_q = early
        .iter()
        .find(|(b, _)| *b == (0, 0, 0))
        .map(|(_, c)| u64::from_le_bytes(c[0x60..0x68].try_into().unwrap()));
    match (pciexbar_q.and_then(decode_pciexbar), aq.first()) {
        (Some((base, size)), Some(a)) => {
            let buses = size >> 20;
            if a.0 != base || u64::from(a.3) - u64::from(a.2) + 1 != buses {
                problems.push(format!(
                    "QEMU: MCFG {:#x} buses {}-{}, PCIEXBAR (SeaBIOS) {base:#x} {buses} buses",
                    a.0, a.2, a.3
                ));
            }
        }
        _ => problems.push("QEMU: no PCIEXBAR window in earlydump or no MCFG entry".into()),
    }
    let iomem = read(&boot.join("iomem.txt")).unwrap_or_default();
    if let Some(a) = aq.first() {
        let want = format!("{:x}-", a.0);
        if !iomem
            .lines()
            .any(|l| l.trim_start().starts_with(&want) && l.contains("MMCONFIG"))
        {
            problems.push(format!(
                "QEMU: /proc/iomem has no PCI MMCONFIG entry at {:#x}",
                a.0
            ));
        }
    }
    if let (Some(fw), Some(a)) = (firmware, av.first()) {
        let plan = &fw.plan_v;
        let ecam = ecam_span(plan);
        let bus_count = u64::from(a.3) - u64::from(a.2) + 1;
        if ecam != Some((a.0, a.0 + (bus_count << 20) - 1)) {
            problems.push(format!(
                "vpcie: MCFG {:#x} buses {}-{}, plan's ECAM {ecam:x?}",
                a.0, a.2, a.3
            ));
        }
        let pciexbar_v = fw
            .images_v
            .get("00:00.0")
            .map(|(_, c)| u64::from_le_bytes(c[0x60..0x68].try_into().unwrap()));
        match pciexbar_v.and_then(decode_pciexbar) {
            Some((base, size)) if base == a.0 && (size >> 20) == bus_count => {}
            other => problems.push(format!(
                "vpcie: MCFG {:#x} ({bus_count} buses), the MCH's PCIEXBAR {pciexbar_v:x?} after the firmware decodes to {other:x?}",
                a.0
            )),
        }
        let reserved = plan["e820"].as_array().into_iter().flatten().any(|e| {
            e["type"] == "reserved"
                && e["base"].as_u64().is_some_and(|b| b <= a.0)
                && e["limit"]
                    .as_u64()
                    .is_some_and(|l| l >= a.0 + (bus_count << 20) - 1)
        });
        if !reserved {
            problems.push(format!(
                "vpcie: no reserved E820 entry covers the ECAM at {:#x}",
                a.0
            ));
        }
    }
    report.expect_none(
        "ecam: each MCFG matches its machine's PCIEXBAR, plan and memory map (E820 / iomem)",
        "consistent",
        problems,
    );
}
