//! The sysfs backend on a fake tree (built from fixture bytes) and, read
//! only, on the real PCI functions of this machine.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use vpcie_config::BarId;
use vpcie_passthrough::host::record::RecordingHost;
use vpcie_passthrough::host::sysfs::{Access, SYSFS_PCI_DEVICES, SysfsHost};
use vpcie_passthrough::*;

/// A fake `/sys` in the temp folder, removed on drop.
struct FakeSys(PathBuf);

impl FakeSys {
    /// m01's RTX 3070 Ti (01:00.0) below its port (00:01.0), as sysfs shows them.
    fn new(tag: &str) -> Self {
        let root = std::env::temp_dir().join(format!("vpcie-sysfs-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let m = machine("m01_");
        let port = root.join("devices/pci0000:00/0000:00:01.0");
        let gpu = port.join("0000:01:00.0");
        std::fs::create_dir_all(&gpu).unwrap();
        std::fs::write(
            port.join("config"),
            m.config("00:01.0".parse().unwrap()).unwrap(),
        )
        .unwrap();
        std::fs::write(
            gpu.join("config"),
            m.config("01:00.0".parse().unwrap()).unwrap(),
        )
        .unwrap();
        // BAR0 16M, BAR1 8G 64-bit pf, BAR3 32M 64-bit pf, BAR5 128 I/O, ROM 512K.
        std::fs::write(
            gpu.join("resource"),
            "0x0000000083000000 0x0000000083ffffff 0x0000000000040200\n\
             0x0000006000000000 0x00000061ffffffff 0x000000000014220c\n\
             0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
             0x0000006200000000 0x0000006201ffffff 0x000000000014220c\n\
             0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
             0x0000000000004000 0x000000000000407f 0x0000000000040101\n\
             0x0000000084000000 0x000000008407ffff 0x0000000000046200\n",
        )
        .unwrap();
        std::fs::write(gpu.join("reset"), "").unwrap();
        std::fs::write(gpu.join("resource1_resize"), "0000000000003fc0\n").unwrap();
        let devices = root.join("bus/pci/devices");
        std::fs::create_dir_all(&devices).unwrap();
        std::os::unix::fs::symlink(
            "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0",
            devices.join("0000:01:00.0"),
        )
        .unwrap();
        FakeSys(root)
    }

    fn devices(&self) -> PathBuf {
        self.0.join("bus/pci/devices")
    }

    fn gpu(&self, file: &str) -> PathBuf {
        self.0
            .join("devices/pci0000:00/0000:00:01.0/0000:01:00.0")
            .join(file)
    }
}

impl Drop for FakeSys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GPU: Bdf = Bdf::new(0, 1, 0, 0);

#[test]
fn read_only_backend_reads_everything_and_changes_nothing() {
    let sys = FakeSys::new("ro");
    let before = std::fs::read(sys.gpu("config")).unwrap();
    let mut host = SysfsHost::open(&sys.devices(), GPU, Access::ReadOnly).unwrap();
    assert_eq!(host.config_size(), 4096);
    assert_eq!(host.config_read(0, 4).unwrap(), 0x24a0_10de);
    assert_eq!(host.parent(), Some(Bdf::new(0, 0, 1, 0)));
    let bar1 = host.bar(BarId::Bar(1)).unwrap();
    assert_eq!((bar1.bar.size, bar1.address), (8 << 30, 0x60_0000_0000));
    assert_eq!(bar1.bar.kind, vpcie_config::BarKind::Memory64);
    assert!(bar1.bar.prefetchable);
    assert_eq!(
        host.bar(BarId::Bar(5)).unwrap().bar,
        vpcie_config::Bar::io(128)
    );
    assert_eq!(host.bar(BarId::Rom).unwrap().bar.size, 512 << 10);
    assert!(host.bar(BarId::Bar(2)).is_none());
    let m = machine("m01_");
    let port = m.config("00:01.0".parse().unwrap()).unwrap();
    assert_eq!(host.upstream_link().unwrap(), LinkState::from_config(port));
    for e in [
        host.config_write(4, 2, 0).unwrap_err(),
        host.reset().unwrap_err(),
        host.retrain_link().unwrap_err(),
        host.resize_bar(1, 16 << 30).unwrap_err(),
        host.set_power_state(PowerState::D3Hot).unwrap_err(),
    ] {
        assert!(matches!(e, HostError::ReadOnly { .. }), "{e}");
        assert!(e.to_string().contains("0000:01:00.0"), "{e}");
    }
    assert!(
        !host.can_resize_bar(1),
        "no resize through a read-only backend"
    );
    // The guest view: built, valid, Resizable BAR hidden (cannot resize).
    let mut f =
        PassthroughFunction::new(RecordingHost::new(host), PassthroughOptions::default()).unwrap();
    assert!(f.host().log().is_empty(), "building wrote the host");
    assert_guest_chain(&mut f, "sysfs read-only");
    let rebar = f
        .capabilities()
        .iter()
        .find(|c| c.extended && c.id == 0x15)
        .unwrap();
    assert_eq!(rebar.decision, Decision::Hidden);
    // A guest write that would reach the host fails there, with a warning.
    f.config_write(0x04, 2, 0x0006);
    assert!(
        f.warnings().iter().any(|w| w.contains("read-only")),
        "{:?}",
        f.warnings()
    );
    assert_eq!(std::fs::read(sys.gpu("config")).unwrap(), before);
    assert_eq!(std::fs::read_to_string(sys.gpu("reset")).unwrap(), "");
}

#[test]
fn read_write_backend_writes_config_reset_resize_and_retrain() {
    let sys = FakeSys::new("rw");
    let mut host = SysfsHost::open(&sys.devices(), GPU, Access::ReadWrite).unwrap();
    host.config_write(0x04, 2, 0x0007).unwrap();
    assert_eq!(std::fs::read(sys.gpu("config")).unwrap()[4..6], [7, 0]);
    host.reset().unwrap();
    assert_eq!(std::fs::read_to_string(sys.gpu("reset")).unwrap(), "1");
    assert!(host.can_resize_bar(1));
    host.resize_bar(1, 16 << 30).unwrap();
    assert_eq!(
        std::fs::read_to_string(sys.gpu("resource1_resize")).unwrap(),
        "14"
    );
    host.retrain_link().unwrap();
    let port = std::fs::read(sys.0.join("devices/pci0000:00/0000:00:01.0/config")).unwrap();
    let lnkctl_at = 0x40 + 0x10; // 00:01.0's Express capability is at 0x40
    assert_eq!(port[0x40], 0x10, "Express capability where expected");
    assert_ne!(port[lnkctl_at] & 0x20, 0, "Retrain Link set");
    // Power state: PMCSR at the PM capability (0x60) + 4.
    host.set_power_state(PowerState::D3Hot).unwrap();
    assert_eq!(std::fs::read(sys.gpu("config")).unwrap()[0x64] & 3, 3);
}

#[test]
fn missing_function_is_a_clear_error() {
    let sys = FakeSys::new("missing");
    let e = SysfsHost::open(&sys.devices(), Bdf::new(0, 9, 0, 0), Access::ReadOnly).unwrap_err();
    assert!(
        e.to_string().contains("0000:09:00.0") && e.to_string().contains("lspci -D"),
        "{e}"
    );
}

/// The real functions of this machine, read-only: every Type 0 one gets a
/// valid guest view and nothing is written.
#[test]
fn real_sysfs_functions_read_only() {
    let root = Path::new(SYSFS_PCI_DEVICES);
    let Ok(entries) = std::fs::read_dir(root) else {
        eprintln!("SKIP real_sysfs_functions_read_only: no {SYSFS_PCI_DEVICES}");
        return;
    };
    let mut seen = 0;
    for e in entries.flatten() {
        let Ok(bdf) = e.file_name().to_string_lossy().parse::<Bdf>() else {
            continue;
        };
        let before = std::fs::read(e.path().join("config")).ok();
        let host = SysfsHost::open(root, bdf, Access::ReadOnly).unwrap();
        match PassthroughFunction::new(RecordingHost::new(host), PassthroughOptions::default()) {
            Ok(mut f) => {
                seen += 1;
                assert_guest_chain(&mut f, &bdf.to_string());
                let _ = vpcie_passthrough::inspect::InspectReport::new(&mut f);
                assert!(f.host().log().is_empty(), "{bdf}: wrote the host");
            }
            Err(PassthroughError::NotEndpoint { .. }) => {}
            Err(err) => panic!("{bdf}: {err}"),
        }
        assert_eq!(
            std::fs::read(e.path().join("config")).ok(),
            before,
            "{bdf} changed"
        );
    }
    eprintln!("real sysfs: {seen} functions viewed read-only");
}
