#!/bin/bash
# Build Xen 4.17 + a Debian bookworm dom0 + an HVM guest, with vpcie (and the
# C spike seg1dm) in dom0, to boot under QEMU TCG.
# usage: build.sh WORKDIR   (root; Debian mirror; host needs iasl (acpica-tools))
#   VPCIE_BIN=path   the vpcie binary to put in dom0 (default: target/release/vpcie)
#   ROOTFS_FROM=dir  copy an existing dom0 rootfs instead of running debootstrap
# Idempotent: the rootfs, the hypervisor .deb and the initramfs are cached in
# WORKDIR; a rebuild with a new vpcie binary only refreshes files and the image.
set -euo pipefail
# the Debian mirror this machine's apt already uses
MIRROR=${MIRROR:-$( (grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
  grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}') | grep -v security | head -1 || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
W=${1:?workdir}; R=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$R/../.." && pwd)
VPCIE_BIN=${VPCIE_BIN:-$REPO/target/release/vpcie}
FIX=$(cd "$REPO/../shared/fixtures/devices" && pwd)
mkdir -p "$W" && cd "$W"
t0=$(date +%s)
command -v iasl >/dev/null || apt-get install -y acpica-tools >/dev/null
command -v debootstrap >/dev/null || apt-get install -y debootstrap e2fsprogs cpio >/dev/null
PKGS=linux-image-amd64,xen-utils-4.17,qemu-system-xen,pciutils,busybox-static,kmod,iproute2,procps,udev,gcc,libc6-dev,libxen-dev
# 1. dom0 root filesystem (tools + compiler + libxen-dev for the spike; no xen-hypervisor installed)
if [ ! -e rootfs/usr/sbin/xl ]; then
  if [ -n "${ROOTFS_FROM:-}" ]; then cp -a "$ROOTFS_FROM" rootfs
  else debootstrap --variant=minbase --include=$PKGS bookworm rootfs "$MIRROR"; fi
fi
if [ ! -e rootfs/usr/include/xendevicemodel.h ]; then
  mount -t proc proc rootfs/proc
  chroot rootfs apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot rootfs \
    apt-get install -y -q --no-install-recommends gcc libc6-dev libxen-dev || { umount rootfs/proc; exit 1; }
  umount rootfs/proc
fi
K=$(ls rootfs/lib/modules | head -1)
# 2. hypervisor with exactly the same version as the tools, unpacked (not installed)
V=$(chroot rootfs dpkg-query -W -f='${Version}' xen-utils-4.17)
mkdir -p debs xenpkg
ls debs/xen-hypervisor-4.17-amd64_*"${V#*:}"_amd64.deb >/dev/null 2>&1 || ( cd debs && apt-get download "xen-hypervisor-4.17-amd64=$V" )
[ -e xen-4.17.elf ] || { dpkg-deb -x debs/xen-hypervisor-4.17-amd64_*"${V#*:}"_amd64.deb xenpkg; zcat xenpkg/boot/xen-4.17-amd64.gz > xen-4.17.elf; }
cp rootfs/boot/vmlinuz-$K vmlinuz
# 3. the C spike device model, built against the rootfs' own libxen (same version as xl)
mkdir -p rootfs/root/seg
cp "$R/spike/seg1dm.c" rootfs/root/seg/
[ rootfs/root/seg/seg1dm -nt rootfs/root/seg/seg1dm.c ] || \
  chroot rootfs gcc -O2 -Wall -o /root/seg/seg1dm /root/seg/seg1dm.c -lxendevicemodel -lxenevtchn -lxenforeignmemory
# 4. extra ACPI tables for acpi_firmware=: SSDT (ASL) + MCFG (iasl data table), concatenated
mkdir -p acpi; cp "$R/acpi/ssdt-seg1.asl" "$R/acpi/mcfg-seg1.asl" acpi/
( cd acpi && iasl -p ssdt-seg1 ssdt-seg1.asl >/dev/null && iasl -p mcfg-seg1 mcfg-seg1.asl >/dev/null \
  && cat ssdt-seg1.aml mcfg-seg1.aml > seg1-acpi.bin )
cp acpi/seg1-acpi.bin rootfs/root/seg/
# 5. vpcie: the host-built binary (links only glibc: runs on bookworm), its domain config and the fixtures it serves
[ -x "$VPCIE_BIN" ] || { echo "no vpcie binary at $VPCIE_BIN (cargo build --release -p vpcie)"; exit 1; }
mkdir -p rootfs/root/vpcie/fixtures
install -m755 "$VPCIE_BIN" rootfs/root/vpcie/vpcie
# d12 (d18 with XEN_E2E_OPTS=hpcard=...): the card dom0 hot-adds into rp2's slot with `vpcie ctl add`
cp "$FIX"/d01_gpu_nvidia-ga104-rtx3070ti-laptop_4096.txt "$FIX"/d02_hda_nvidia-ga104_4096.txt \
   "$FIX"/d11_nvme_kingston-kc3000_4096.txt "$FIX"/d12_nvme_micron-3400_4096.txt \
   "$FIX"/d18_nic_realtek-rtl8125_4096.txt rootfs/root/vpcie/fixtures/
cp "$R/vpcie.cfg" "$R/vpcie-flat.cfg" rootfs/root/vpcie/
cp acpi/seg1-acpi.bin rootfs/root/vpcie/acpi-flat.bin   # phase A; vpcie.cfg's tables are written in dom0
# the tables vpcie.cfg gets, checked here with the host's iasl (a broken table stops the build)
sed "s#/root/vpcie/fixtures#$FIX#" "$R/vpcie.cfg" > acpi/vpcie-host.cfg
"$VPCIE_BIN" serve --config acpi/vpcie-host.cfg --acpi-out acpi/vpcie-acpi.bin 2>/dev/null
( cd acpi && python3 -c "
import struct,sys
b=open('vpcie-acpi.bin','rb').read(); i=0
while i+8 <= len(b):
    n=struct.unpack('<I',b[i+4:i+8])[0]; open('vpcie-'+b[i:i+4].decode().lower()+'.dat','wb').write(b[i:i+n]); i+=max(n,36)
" && iasl -d vpcie-ssdt.dat vpcie-mcfg.dat >/dev/null 2>&1 && grep -q 'PNP0A08' vpcie-ssdt.dsl )
if ! chroot rootfs /root/vpcie/vpcie --version >/dev/null; then
  echo "the vpcie binary does not run in the bookworm dom0 (glibc too new?)"; exit 1
fi
# 6. tiny dom0 initramfs: busybox + virtio-blk/ext4 modules, switch_root to /dev/vda
if [ ! -e initrd-dom0.cpio.gz ] || [ "$R/dom0-initrd-init" -nt initrd-dom0.cpio.gz ]; then
  rm -rf initrd-dom0; mkdir -p initrd-dom0/{bin,dev,proc,sys,newroot,lib/modules}
  cp rootfs/bin/busybox initrd-dom0/bin/
  for m in virtio_pci virtio_blk ext4; do chroot rootfs modprobe -S $K --show-depends $m; done \
    | awk '{print $2}' | awk '!s[$0]++' | while read p; do cp rootfs$p initrd-dom0/lib/modules/; basename $p; done > initrd-dom0/modlist
  install -m755 "$R/dom0-initrd-init" initrd-dom0/init
  ( cd initrd-dom0 && find . | cpio -o -H newc 2>/dev/null | gzip -1 ) > initrd-dom0.cpio.gz
fi
# 7. HVM guest initramfs: busybox + lspci; init prints lspci/dmesg and powers off
G=initrd-guest; rm -rf $G; mkdir -p $G/{bin,dev,proc,sys,usr/bin,usr/share/misc,lib/x86_64-linux-gnu,lib64}
cp rootfs/bin/busybox $G/bin/; cp rootfs/usr/bin/lspci $G/usr/bin/; cp rootfs/usr/share/misc/pci.ids $G/usr/share/misc/
for l in $(chroot rootfs ldd /usr/bin/lspci | awk '/=>/{print $3}'); do cp -L rootfs$l $G/lib/x86_64-linux-gnu/; done
cp -L rootfs/lib64/ld-linux-x86-64.so.2 $G/lib64/
install -m755 "$R/guest-init" $G/init
# xz (the guest kernel has RD_XZ): QEMU hands kernel and initrd to the guest's
# linuxboot option ROM through fw_cfg one byte per port read, the slowest part
# of the guest's boot under nested TCG; every MiB saved counts.
( cd $G && find . | cpio -o -H newc 2>/dev/null | xz -9 --check=crc32 ) > initrd-guest.cpio.gz
# 8. test init, guest kernel/initrd/configs into the dom0 rootfs; ext4 image
install -m755 "$R/xen-test-init" rootfs/sbin/xen-test-init
mkdir -p rootfs/root/guest
cp vmlinuz rootfs/root/guest/vmlinuz; cp initrd-guest.cpio.gz "$R/guest.cfg" rootfs/root/guest/
rm -f dom0.ext4; truncate -s 2G dom0.ext4; mkfs.ext4 -q -F -L dom0root -d rootfs dom0.ext4
echo "built in $W in $(( $(date +%s)-t0 ))s"
