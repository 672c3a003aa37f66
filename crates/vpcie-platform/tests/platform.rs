//! The platform's guest-visible behaviour: master aborts, CF8/CFC, ECAM and
//! PCIEXBAR, Secondary Bus Reset, windows and bus-number events, INTx
//! routing, bounded events, reset, builder errors.
//!
//! The default platform after firmware-style numbering:
//! 00:00.0 MCH, 00:1c.0 [01-04] → 01:00.0 switch up → 02:00.0 [03] → 03:00.0,
//! 02:01.0 [04] → 04:00.0 (INTB); 00:1c.1 [05] → 05:00.0, 05:00.1 (INTB);
//! 00:1c.2 [06-07] → 06:00.0 PCIe-to-PCI bridge → 07:01.0; 00:1c.3 [08]
//! empty; 00:1f.0 LPC.

use vpcie_config::regs::*;
use vpcie_platform::enumerate::assign_bus_numbers;
use vpcie_platform::events::EVENT_QUEUE_CAPACITY;
use vpcie_platform::*;

fn q35() -> Platform {
    let mut p = PlatformDescription::default_q35().build().unwrap();
    assert_eq!(assign_bus_numbers(&mut p), 8);
    p.events().drain();
    p
}

fn cf8(bus: u8, dev: u8, func: u8, reg: u8) -> u32 {
    0x8000_0000
        | u32::from(bus) << 16
        | u32::from(dev) << 11
        | u32::from(func) << 8
        | u32::from(reg)
}

fn id(p: &Platform, bus: u8, dev: u8, func: u8) -> FunctionId {
    p.function_at(bus, Devfn::new(dev, func).unwrap()).unwrap()
}

#[test]
fn default_tree_numbers_like_seabios() {
    // Same numbering SeaBIOS gave QEMU's equivalent topology (notes: 1c.0 →
    // 01-04, 1c.1 → 05, 1c.2 → 06-07, 1c.3 → 08).
    let p = q35();
    let numbers = |d, f| p.bridge_state(id(&p, 0, d, f)).unwrap().numbers;
    assert_eq!(
        numbers(0x1c, 0),
        BusNumbers {
            primary: 0,
            secondary: 1,
            subordinate: 4
        }
    );
    assert_eq!(numbers(0x1c, 1).secondary, 5);
    assert_eq!(
        (numbers(0x1c, 2).secondary, numbers(0x1c, 2).subordinate),
        (6, 7)
    );
    assert_eq!(
        (numbers(0x1c, 3).secondary, numbers(0x1c, 3).subordinate),
        (8, 8)
    );
    assert_eq!(p.path(id(&p, 3, 0, 0)), "00:1c.0/00.0/00.0/00.0");
    assert_eq!(p.bdf(id(&p, 7, 1, 0)).unwrap().to_string(), "07:01.0");
}

#[test]
fn master_abort_reads_all_ones_and_drops_writes() {
    let mut p = q35();
    // Nobody at 00:05.0.
    assert_eq!(p.config_read(0, 5, 0, 0, 1), 0xff);
    assert_eq!(p.config_read(0, 5, 0, 0, 2), 0xffff);
    assert_eq!(p.config_read(0, 5, 0, 0, 4), 0xffff_ffff);
    p.config_write(0, 5, 0, 0x04, 2, 0x7);
    // A bus number nobody claims.
    assert_eq!(p.config_read(9, 0, 0, 0, 4), u32::MAX);
    assert_eq!(p.config_read(255, 31, 7, 0xffc, 4), u32::MAX);
    // Below a root port only device 0 answers (PCIe r6.x §7.3.1).
    assert_eq!(p.config_read(5, 0, 0, 0, 2), 0x1b36);
    assert_eq!(p.config_read(5, 0, 1, 0, 2), 0x1b36);
    for dev in 1..32 {
        assert_eq!(p.config_read(5, dev, 0, 0, 4), u32::MAX, "05:{dev:02x}.0");
    }
    // …but every device answers on a switch's internal bus and on PCI.
    assert_eq!(p.config_read(2, 1, 0, 0, 2), 0x104c);
    assert_eq!(p.config_read(7, 1, 0, 0, 2), 0x1b36);
    assert_eq!(p.config_read(7, 0, 0, 0, 2), 0xffff);
    // Below a conventional bus there is no extended configuration space.
    assert_eq!(p.config_read(7, 1, 0, 0x100, 4), u32::MAX);
    assert_eq!(p.config_read(6, 0, 0, 0x100, 2), 0x0001); // the bridge itself has AER
    // Odd sizes read all-ones, misaligned reads are their bytes.
    assert_eq!(p.config_read(0, 0, 0, 0, 3), u32::MAX);
    assert_eq!(p.config_read(0, 0, 0, 1, 2), 0xc080);
    assert_eq!(p.config_read(0, 0, 0, 0xfff, 4), u32::MAX);
    assert_eq!(p.config_read(0, 0x1c, 0, 0xffe, 4), 0xffff_0000);
    // Out-of-range device/function/offset numbers are nobody.
    assert_eq!(p.config_read(0, 32, 0, 0, 4), u32::MAX);
    assert_eq!(p.config_read(0, 0, 8, 0, 4), u32::MAX);
    assert_eq!(p.config_read(0, 0x1c, 0, 0x1000, 4), u32::MAX);
    // Writes to nobody change nothing and emit nothing.
    p.config_write(9, 0, 0, 0x18, 4, 0x00ff_0100);
    assert!(p.events().is_empty());
    let _ = PCI_VENDOR_ID;
}

#[test]
fn cf8_cfc_byte_lanes() {
    let mut p = q35();
    assert_eq!(p.pio_read(0xcf8, 4), Some(0));
    assert!(p.pio_write(0xcf8, 4, cf8(0, 0x1c, 0, 0)));
    assert_eq!(p.pio_read(0xcfc, 4), Some(0x2940_8086));
    assert_eq!(p.pio_read(0xcfd, 1), Some(0x80));
    assert_eq!(p.pio_read(0xcfe, 2), Some(0x2940));
    assert_eq!(p.pio_read(0xcff, 1), Some(0x29));
    assert_eq!(p.pio_read(0xcfd, 2), Some(0x4080)); // misaligned inside the dword
    assert_eq!(p.pio_read(0xcfe, 4), Some(u32::MAX)); // runs past 0xCFF
    // Register bits 7:2 select the dword; the lane adds to it.
    p.pio_write(0xcf8, 4, cf8(0, 0x1c, 0, 0x18));
    assert!(p.pio_write(0xcfe, 1, 0x09));
    assert_eq!(p.config_read(0, 0x1c, 0, 0x1a, 1), 0x09);
    // CONFIG_ADDRESS keeps enable, bus, device, function, register; bits
    // 30:24 and 1:0 read 0.
    p.pio_write(0xcf8, 4, 0xffff_ffff);
    assert_eq!(p.pio_read(0xcf8, 4), Some(0x80ff_fffc));
    // Enable clear: data reads all-ones, writes are dropped.
    p.pio_write(0xcf8, 4, cf8(0, 0x1c, 0, 0x18) & !0x8000_0000);
    assert_eq!(p.pio_read(0xcfc, 4), Some(u32::MAX));
    assert_eq!(p.pio_read(0xcfc, 1), Some(0xff));
    p.pio_write(0xcfc, 4, 0);
    assert_eq!(p.config_read(0, 0x1c, 0, 0x19, 1), 1);
    // Byte/word accesses to CF8–CFB are other ports (e.g. 0xCF9 reset control).
    assert_eq!(p.pio_read(0xcf9, 1), None);
    assert_eq!(p.pio_read(0xcf8, 2), None);
    assert!(!p.pio_write(0xcf9, 1, 0x06));
    assert_eq!(p.pio_read(0xd00, 4), None);
    // CF8 cannot reach extended registers: the register field is 8 bits.
    p.pio_write(0xcf8, 4, cf8(0, 0x1c, 0, 0xfc));
    assert_eq!(p.pio_read(0xcfc, 4), p.pio_read(0xcfc, 4));
}

/// Writes PCIEXBAR through CF8 as SeaBIOS does: low dword 0, high, low|EN.
fn program_pciexbar(p: &mut Platform, value: u64) {
    p.pio_write(0xcf8, 4, cf8(0, 0, 0, 0x60));
    p.pio_write(0xcfc, 4, 0);
    p.pio_write(0xcf8, 4, cf8(0, 0, 0, 0x64));
    p.pio_write(0xcfc, 4, (value >> 32) as u32);
    p.pio_write(0xcf8, 4, cf8(0, 0, 0, 0x60));
    p.pio_write(0xcfc, 4, value as u32);
}

fn pciexbar(p: &mut Platform) -> u64 {
    u64::from(p.config_read(0, 0, 0, 0x64, 4)) << 32 | u64::from(p.config_read(0, 0, 0, 0x60, 4))
}

#[test]
fn pciexbar_moves_the_ecam_window_and_reports_it() {
    let mut p = q35();
    // Reset: QEMU's default base, disabled: no ECAM.
    assert_eq!(pciexbar(&mut p), 0xb000_0000);
    assert_eq!(p.ecam_window(), None);
    assert_eq!(p.mmio_read(0xb000_0000, 4), None);

    program_pciexbar(&mut p, 0xb000_0001);
    let w256 = EcamWindow {
        base: 0xb000_0000,
        size: 256 << 20,
    };
    assert_eq!(p.ecam_window(), Some(w256));
    assert_eq!(
        p.events().drain(),
        vec![Event::EcamChanged {
            old: None,
            new: Some(w256)
        }]
    );
    // Edges of the window.
    assert_eq!(p.mmio_read(0xafff_fffc, 4), None);
    assert_eq!(p.mmio_read(0xb000_0000, 4), Some(0x29c0_8086));
    assert_eq!(p.mmio_read(0xbfff_fffc, 4), Some(u32::MAX)); // 255:1f.7 0xffc: nobody
    assert_eq!(p.mmio_read(0xc000_0000, 4), None);
    assert!(!p.mmio_write(0xc000_0000, 4, 0));
    // Decode: bus << 20 | dev << 15 | fn << 12 | reg, extended space included.
    let rp = w256.address(0, 0x1c, 0, 0x100);
    assert_eq!(p.mmio_read(rp, 4), Some(0x0002_0001)); // AER v2, last
    assert_eq!(p.mmio_read(w256.address(3, 0, 0, 0), 2), Some(0x1b36));
    assert_eq!(p.mmio_read(w256.address(5, 0, 1, 0x0e), 1), Some(0x00));
    assert_eq!(p.mmio_read(w256.address(5, 0, 0, 0x0e), 1), Some(0x80));
    // ECAM writes route like any other.
    assert!(p.mmio_write(w256.address(0, 0x1c, 3, 0x1a), 1, 0x0c));
    assert_eq!(p.config_read(0, 0x1c, 3, 0x1a, 1), 0x0c);
    p.events().drain();

    // 64 MiB at 0xBC00_0000 (bits 27 and 26 are base bits for 64 MiB; QEMU
    // drops bit 27 here).
    program_pciexbar(&mut p, 0xbc00_0005);
    let w64 = EcamWindow {
        base: 0xbc00_0000,
        size: 64 << 20,
    };
    assert_eq!(p.ecam_window(), Some(w64));
    let ev = p.events().drain();
    assert_eq!(
        ev,
        vec![
            Event::EcamChanged {
                old: Some(w256),
                new: None
            },
            Event::EcamChanged {
                old: None,
                new: Some(w64)
            }
        ]
    );
    assert_eq!(p.mmio_read(0xb000_0000, 4), None);
    assert_eq!(p.mmio_read(0xbc00_0000, 4), Some(0x29c0_8086));
    assert_eq!(p.mmio_read(0xbfff_fffc, 4), Some(u32::MAX)); // bus 63
    assert_eq!(p.mmio_read(0xc000_0000, 4), None); // bus 64 is outside
    assert_eq!(pciexbar(&mut p), 0xbc00_0005);

    // 128 MiB: bit 26 is read-only 0, so the base aligns to 128 MiB.
    program_pciexbar(&mut p, 0xbc00_0003);
    assert_eq!(pciexbar(&mut p), 0xb800_0003);
    assert_eq!(p.ecam_window().unwrap().base, 0xb800_0000);
    // 256 MiB: bits 27:26 and the reserved bits read 0.
    p.config_write(0, 0, 0, 0x60, 4, 0xffff_ffff);
    p.config_write(0, 0, 0, 0x64, 4, 0xffff_ffff);
    assert_eq!(pciexbar(&mut p), 0xf_f000_0007 & !0x6 | 0x6);
    assert_eq!(
        p.ecam_window(),
        None,
        "length 11b is reserved: nothing decodes"
    );
    // Above 4 GiB, through a byte write to the enable bit.
    p.config_write(0, 0, 0, 0x60, 4, 0);
    p.config_write(0, 0, 0, 0x64, 4, 0x8);
    p.events().drain();
    p.config_write(0, 0, 0, 0x60, 1, 0x01);
    let high = EcamWindow {
        base: 0x8_0000_0000,
        size: 256 << 20,
    };
    assert_eq!(p.ecam_window(), Some(high));
    assert_eq!(p.mmio_read(0x8_0000_0000, 2), Some(0x8086));
    // Disable: window gone, event.
    p.config_write(0, 0, 0, 0x60, 1, 0x00);
    assert_eq!(p.ecam_window(), None);
    assert_eq!(
        p.events().drain().last(),
        Some(&Event::EcamChanged {
            old: Some(high),
            new: None
        })
    );
}

#[test]
fn secondary_bus_reset_resets_the_subtree() {
    let mut p = q35();
    let ep = id(&p, 3, 0, 0);
    // Program something below: the endpoint's Command and BAR.
    p.config_write(3, 0, 0, 0x10, 4, 0xfe00_0000);
    p.config_write(3, 0, 0, 0x04, 2, 0x0006);
    assert_eq!(p.config_read(3, 0, 0, 0x04, 2), 0x0006);
    p.events().drain();
    // Set SBR on 00:1c.0.
    let rp = id(&p, 0, 0x1c, 0);
    p.config_write(0, 0x1c, 0, 0x3e, 2, 0x0040);
    let ev = p.events().drain();
    assert!(
        ev.contains(&Event::SecondaryBusReset { bridge: rp }),
        "{ev:?}"
    );
    // The switch's bridges lost their bus numbers (events for each).
    let up = p.function_at(1, Devfn(0));
    assert_eq!(up, None, "held in reset: nothing below answers");
    let numbers_changed = ev
        .iter()
        .filter(|e| matches!(e, Event::BusNumbersChanged { .. }))
        .count();
    assert_eq!(
        numbers_changed, 3,
        "upstream and two downstream ports: {ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::BarChanged { function, .. } if *function == ep))
    );
    assert_eq!(p.config_read(1, 0, 0, 0, 4), u32::MAX);
    // Release: bus 1 answers again, but what was below needs renumbering.
    p.config_write(0, 0x1c, 0, 0x3e, 2, 0);
    assert_eq!(p.config_read(1, 0, 0, 0, 2), 0x104c);
    assert_eq!(p.config_read(1, 0, 0, 0x18, 4) & 0xff_ffff, 0);
    assert_eq!(p.config_read(3, 0, 0, 0, 4), u32::MAX);
    assert_eq!(p.bdf(ep), None);
    assert_assign_restores(&mut p, ep);
    // The endpoint is back in its reset state.
    assert_eq!(p.config_read(3, 0, 0, 0x04, 2), 0);
    assert_eq!(p.config_read(3, 0, 0, 0x10, 4), 0x4); // 64-bit BAR, address 0
    // The port itself kept its own registers.
    assert_eq!(p.config_read(0, 0x1c, 0, 0x19, 1), 1);
}

fn assert_assign_restores(p: &mut Platform, ep: FunctionId) {
    assign_bus_numbers(p);
    assert_eq!(p.bdf(ep).unwrap().to_string(), "03:00.0");
}

#[test]
fn bus_number_and_window_events() {
    let mut p = q35();
    let rp4 = id(&p, 0, 0x1c, 3);
    p.config_write(0, 0x1c, 3, 0x18, 4, 0x0009_0900);
    assert_eq!(
        p.events().drain(),
        vec![Event::BusNumbersChanged {
            bridge: rp4,
            old: BusNumbers {
                primary: 0,
                secondary: 8,
                subordinate: 8
            },
            new: BusNumbers {
                primary: 0,
                secondary: 9,
                subordinate: 9
            },
        }]
    );
    // Same value again: nothing.
    p.config_write(0, 0x1c, 3, 0x18, 4, 0x0009_0900);
    assert!(p.events().is_empty());
    // Memory window 0xfd80_0000–0xfdbf_ffff, then enable it.
    p.config_write(0, 0x1c, 3, 0x20, 4, 0xfdb0_fd80);
    let ev = p.events().drain();
    let Event::WindowsChanged { new, .. } = ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        new.memory,
        Some(Window {
            base: 0xfd80_0000,
            limit: 0xfdbf_ffff
        })
    );
    assert!(!new.memory_enabled);
    p.config_write(0, 0x1c, 3, 0x04, 2, 0x0002);
    let ev = p.events().drain();
    assert!(matches!(ev[..], [Event::WindowsChanged { new, .. }] if new.memory_enabled));
    // 64-bit prefetchable and 32-bit I/O windows.
    p.config_write(0, 0x1c, 3, 0x24, 4, 0x0011_0001);
    p.config_write(0, 0x1c, 3, 0x28, 4, 0x8);
    p.config_write(0, 0x1c, 3, 0x2c, 4, 0x8);
    p.config_write(0, 0x1c, 3, 0x1c, 2, 0x2111);
    p.config_write(0, 0x1c, 3, 0x30, 4, 0x0001_0001);
    let w = p.bridge_state(rp4).unwrap().windows;
    assert_eq!(
        w.prefetchable,
        Some(Window {
            base: 0x8_0000_0000,
            limit: 0x8_001f_ffff
        })
    );
    assert_eq!(
        w.io,
        Some(Window {
            base: 0x1_1000,
            limit: 0x1_2fff
        })
    );
    assert_eq!(p.events().len(), 5);
}

#[test]
fn intx_swizzle_pirq_and_lpc_routing() {
    let mut p = q35();
    let route = |p: &Platform, b, d, f| p.intx_route(id(p, b, d, f)).unwrap();
    // 03:00.0 INTA: device 0 all the way up, root slot 0x1c → PIRQA.
    assert_eq!(route(&p, 3, 0, 0).link, PirqLink(0));
    // 04:00.0 INTB: below downstream port 02:01.0 (device 1): B→C → PIRQC.
    let r = route(&p, 4, 0, 0);
    assert_eq!(
        (r.pin, r.root_slot, r.root_pin),
        (IntxPin(1), 0x1c, IntxPin(2))
    );
    assert_eq!(r.link, PirqLink(2));
    // 05:00.1 INTB → PIRQB; 07:01.0 INTA behind the PCI bridge: device 1 → B.
    assert_eq!(route(&p, 5, 0, 1).link, PirqLink(1));
    assert_eq!(route(&p, 7, 1, 0).link, PirqLink(1));
    // The root ports' own pins from D28IP: 1c.1 INTB, 1c.3 INTD.
    assert_eq!(route(&p, 0, 0x1c, 1).link, PirqLink(1));
    assert_eq!(route(&p, 0, 0x1c, 3).link, PirqLink(3));
    // No pin (switch ports, MCH, LPC): no route.
    assert_eq!(p.intx_route(id(&p, 2, 0, 0)), None);

    // Level with PIRQA not routed to the 8259 yet: GSI 16 only.
    let ep = id(&p, 3, 0, 0);
    p.set_intx(ep, true);
    assert_eq!(
        p.events().drain(),
        vec![Event::IrqLevel {
            link: PirqLink(0),
            route: PirqRoute {
                gsi: 16,
                pic_irq: None
            },
            asserted: true
        }]
    );
    // The guest routes PIRQA to IRQ 10 (SeaBIOS's value): event with the level.
    p.config_write(0, 0x1f, 0, 0x60, 1, 0x0a);
    assert_eq!(
        p.events().drain(),
        vec![Event::PirqRouteChanged {
            link: PirqLink(0),
            old: PirqRoute {
                gsi: 16,
                pic_irq: None
            },
            new: PirqRoute {
                gsi: 16,
                pic_irq: Some(10)
            },
            asserted: true
        }]
    );
    // A second function on PIRQA: shared level, no new event until the last lowers.
    let rp1 = id(&p, 0, 0x1c, 0);
    p.set_intx(rp1, true);
    p.set_intx(ep, false);
    assert!(p.events().is_empty());
    p.set_intx(ep, false);
    p.set_intx(rp1, false);
    assert_eq!(
        p.events().drain(),
        vec![Event::IrqLevel {
            link: PirqLink(0),
            route: PirqRoute {
                gsi: 16,
                pic_irq: Some(10)
            },
            asserted: false
        }]
    );
    // Linux's APIC mode sets IRQEN: not to the 8259 any more.
    p.config_write(0, 0x1f, 0, 0x60, 4, 0x8b8b_8a8a);
    assert_eq!(p.pirq_route(PirqLink(0)).pic_irq, None);
    assert_eq!(
        p.events().len(),
        1,
        "only PIRQA changed route (B–D stay unrouted)"
    );
    // Reserved IRQ encodings route nowhere; bits 6:4 are read-only.
    p.config_write(0, 0x1f, 0, 0x68, 1, 0x7d);
    assert_eq!(p.config_read(0, 0x1f, 0, 0x68, 1), 0x0d);
    assert_eq!(p.pirq_route(PirqLink(4)).pic_irq, None);
    p.config_write(0, 0x1f, 0, 0x6b, 1, 0x0f);
    assert_eq!(
        p.pirq_route(PirqLink(7)),
        PirqRoute {
            gsi: 23,
            pic_irq: Some(15)
        }
    );
}

#[test]
fn chipset_map_matches_qemu_dsdt_prt() {
    // QEMU's DSDT PRTP: Package { (slot << 16) | 0xFFFF, pin, LNKx, 0 }.
    let dsl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/qemu-q35/dsdt.dsl"
    ))
    .unwrap();
    let start = dsl.find("Name (PRTP").expect("PRTP in QEMU's DSDT");
    let body = &dsl[start..];
    let mut checked = 0;
    let mut rest = body;
    while let Some(at) = rest.find("Package (0x04)") {
        let entry = &rest[at..];
        let end = entry.find('}').unwrap();
        let fields: Vec<&str> = entry[..end]
            .split(['{', ','])
            .skip(1)
            .map(str::trim)
            .collect();
        rest = &entry[end..];
        let addr = u32::from_str_radix(fields[0].trim_start_matches("0x"), 16).unwrap();
        let pin = match fields[1] {
            "Zero" => 0,
            "One" => 1,
            s => u8::from_str_radix(s.trim_start_matches("0x"), 16).unwrap(),
        };
        let link = fields[2]
            .strip_prefix("LNK")
            .unwrap()
            .chars()
            .next()
            .unwrap();
        let slot = (addr >> 16) as u8;
        assert_eq!(
            intx::ich9_pirq_link(slot, IntxPin(pin)).letter(),
            link,
            "slot {slot:#x} pin {pin}"
        );
        checked += 1;
        if checked == 128 {
            break;
        }
    }
    assert_eq!(checked, 128);
}

#[test]
fn acpi_pm_event() {
    let mut p = q35();
    assert_eq!(p.acpi_pm(), (None, Some(9)));
    p.config_write(0, 0x1f, 0, 0x40, 4, 0x0601);
    assert!(p.events().is_empty(), "ACPI_EN clear: no decode yet");
    p.config_write(0, 0x1f, 0, 0x44, 1, 0x80);
    assert_eq!(
        p.events().drain(),
        vec![Event::AcpiPmChanged {
            pm_base: Some(0x600),
            sci_irq: Some(9)
        }]
    );
    assert_eq!(p.config_read(0, 0x1f, 0, 0x40, 4), 0x0601);
}

#[test]
fn a_flood_of_random_accesses_stays_bounded() {
    // xorshift: deterministic, no dependency.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut p = q35();
    program_pciexbar(&mut p, 0xb000_0001);
    for _ in 0..2_000_000 {
        let r = next();
        let size = [1, 2, 4, 3, 8, 0][(r % 6) as usize];
        let value = (r >> 32) as u32;
        match (r >> 3) % 4 {
            0 => {
                let (bus, dev, func) = (
                    (r >> 8) as u8 % 10,
                    (r >> 16) as u8 % 34,
                    (r >> 24) as u8 % 9,
                );
                let offset = if r & 0x200 != 0 {
                    (r >> 40) as u16 % 0x40
                } else {
                    (r >> 40) as u16 % 0x1100
                };
                p.config_write(bus, dev, func, offset, size, value);
            }
            1 => {
                let _ = p.config_read(
                    (r >> 8) as u8,
                    (r >> 16) as u8,
                    (r >> 24) as u8,
                    (r >> 40) as u16,
                    size,
                );
            }
            2 => {
                let port = 0xcf6 + (r >> 8) as u16 % 12;
                if r & 0x100_0000 != 0 {
                    p.pio_write(port, size, value);
                } else {
                    let _ = p.pio_read(port, size);
                }
            }
            _ => {
                let addr = 0xaf00_0000 + (r >> 8) % 0x1200_0000;
                if r & 0x100_0000 != 0 {
                    p.mmio_write(addr, size, value);
                } else {
                    let _ = p.mmio_read(addr, size);
                }
            }
        }
        assert!(p.events().len() <= EVENT_QUEUE_CAPACITY);
    }
    // A guest that only toggles bus numbers: one event per write, capped.
    for i in 0..10_000u32 {
        p.config_write(0, 0x1c, 3, 0x1a, 1, 8 + (i & 1));
    }
    assert_eq!(p.events().len(), EVENT_QUEUE_CAPACITY);
    assert!(p.events().dropped() > 0);
    let before = p.events().dropped();
    p.events().drain();
    p.config_write(0, 0x1c, 3, 0x1a, 1, 0x20);
    assert_eq!(p.events().len(), 1, "drained: room again");
    assert_eq!(p.events().dropped(), before);
}

#[test]
fn system_reset() {
    let mut p = q35();
    program_pciexbar(&mut p, 0xb000_0001);
    p.config_write(0, 0x1f, 0, 0x60, 1, 0x0b);
    p.events().drain();
    p.reset();
    assert_eq!(p.ecam_window(), None);
    assert_eq!(p.pirq_route(PirqLink(0)).pic_irq, None);
    assert_eq!(
        p.config_read(1, 0, 0, 0, 4),
        u32::MAX,
        "bus numbers are 0 again"
    );
    assert_eq!(p.config_read(0, 0x1c, 0, 0x18, 4) & 0xff_ffff, 0);
    let ev = p.events().drain();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::EcamChanged { new: None, .. }))
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::PirqRouteChanged { .. }))
    );
    let renumbered = ev
        .iter()
        .filter(
            |e| matches!(e, Event::BusNumbersChanged { new, .. } if *new == BusNumbers::default()),
        )
        .count();
    assert_eq!(
        renumbered, 8,
        "every numbered bridge reports going back to 0: {ev:?}"
    );
    // Firmware can start over.
    assign_bus_numbers(&mut p);
    assert_eq!(p.config_read(3, 0, 0, 0, 2), 0x1b36);
}

#[test]
fn aer_is_sticky_across_secondary_bus_reset() {
    let mut p = q35();
    // Uncorrectable Error Mask of the switch upstream port 01:00.0 (AER @100).
    p.config_write(1, 0, 0, 0x108, 4, 0x0000_0010);
    p.config_write(1, 0, 0, 0x04, 2, 0x0006);
    p.config_write(0, 0x1c, 0, 0x3e, 2, 0x40);
    p.config_write(0, 0x1c, 0, 0x3e, 2, 0x00);
    assert_eq!(p.config_read(1, 0, 0, 0x04, 2), 0, "Command is reset");
    assert_eq!(p.config_read(1, 0, 0, 0x108, 4), 0x10, "AER mask is RWS");
}

#[test]
fn builder_errors_name_the_place() {
    let mut b = PlatformBuilder::q35();
    let ep = || Box::new(models::endpoint::endpoint(&Default::default()).unwrap());
    let rp = models::port::root_port(Devfn::new(0x1c, 0).unwrap(), Default::default());
    let (_, below) = b
        .place_bridge(
            BusId::ROOT,
            Devfn::new(0x1c, 0).unwrap(),
            Box::new(rp),
            BusKind::Link,
        )
        .unwrap();
    let e = b.place(below, Devfn::new(1, 0).unwrap(), ep()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "00:1c.0/01.0: only device 0 answers below a PCI Express port (PCIe r6.x §7.3.1); place it at 00.x or below a switch"
    );
    let e = b.place(BusId::ROOT, Devfn(0), ep()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("00:00.0: already taken by Q35 MCH"),
        "{e}"
    );
    b.place(below, Devfn::new(0, 3).unwrap(), ep()).unwrap();
    let e = b.build().err().unwrap();
    assert!(
        e.to_string()
            .starts_with("00:1c.0/00.3: function 0 of this device is missing"),
        "{e}"
    );

    for (toml, expect) in [
        (
            "[[device]]\nkind = \"endpoint\"\nparent = \"nope\"\nat = \"00.0\"\n",
            "parent \"nope\" is not a port or bridge defined earlier",
        ),
        (
            "[[device]]\nname=\"a\"\nkind = \"root-port\"\nat = \"1c.0\"\n[[device]]\nkind = \"root-port\"\nparent=\"a\"\nat = \"00.0\"\n",
            "a root port sits on bus 0",
        ),
        (
            "[[device]]\nkind = \"root-port\"\nat = \"1c.0\"\nlink_speed = 3\n",
            "link_speed 3 GT/s is not one of",
        ),
        (
            "[[device]]\nkind = \"root-port\"\nat = \"1c.9\"\n",
            "is not a device.function",
        ),
        (
            "[[device]]\nkind = \"bridge\"\nat = \"1c.0\"\n",
            "unknown variant `bridge`",
        ),
        (
            "[[device]]\nkind = \"external\"\nat = \"03.0\"\nbackend = \"host 0000:01:00.0\"\n",
            "needs a front end",
        ),
    ] {
        let e = PlatformDescription::from_toml(toml)
            .and_then(|d| d.build())
            .err()
            .unwrap();
        assert!(e.to_string().contains(expect), "{e}");
    }
}

#[test]
fn a_function_outside_a_platform_reports_into_a_recorder() {
    use vpcie_config::{Bar, BarId};
    let opts = models::endpoint::EndpointOptions {
        bars: vec![(BarId::Bar(0), Bar::memory32(0x1000, false))],
        ..Default::default()
    };
    let mut ep = models::endpoint::endpoint(&opts).unwrap();
    let mut rec = Recorder::new();
    let mut n = rec.notify(FunctionId(7));
    ep.config_write(0x10, 4, 0xfe00_0000, &mut n);
    ep.config_write(0x04, 2, 0x0002, &mut n);
    let ev = rec.events.drain();
    assert!(
        matches!(ev[..], [Event::BarChanged { function: FunctionId(7), change }] if change.new == Some(0xfe00_0000)),
        "{ev:?}"
    );
}

#[test]
fn more_ports_than_ich9_has() {
    // Eight root ports: ICH9's six at 1c.0-1c.5, then QEMU's generic identity.
    let mut text = String::new();
    for f in 0..8 {
        text += &format!("[[device]]\nkind = \"root-port\"\nat = \"1c.{f}\"\n");
    }
    text += "[[device]]\nkind = \"root-port\"\nat = \"02.0\"\nlink_speed = 16\nlink_width = 16\n";
    let mut p = PlatformDescription::from_toml(&text)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(p.config_read(0, 0x1c, 5, 0, 4), 0x294a_8086);
    assert_eq!(p.config_read(0, 0x1c, 6, 0, 4), 0x000c_1b36);
    assert_eq!(p.config_read(0, 0x1c, 0, 0x0e, 1), 0x81, "multi-function");
    // Link Capabilities: port 1, DLLLARC, 16 GT/s x16 at 00:02.0 (PCIe @40).
    assert_eq!(p.config_read(0, 2, 0, 0x4c, 4), 0x0110_0104);
    // Slot numbers are unique: 1..9.
    let mut slots: Vec<u32> = (0..8)
        .map(|f| p.config_read(0, 0x1c, f, 0x54, 4) >> 19)
        .collect();
    slots.push(p.config_read(0, 2, 0, 0x54, 4) >> 19);
    assert_eq!(slots, (1..=9).collect::<Vec<_>>());
}
