#!/usr/bin/env bash
# Build (or reuse) the QEMU oracle guest: a Debian kernel and a busybox + lspci
# initramfs whose /init (guest-init) prints the captures and powers off.
#
# usage: build-guest.sh [CACHE_DIR]        (default: <repo>/target/qemu-oracle)
#
# Produces in CACHE_DIR:
#   vmlinuz              Debian's linux-image-*-amd64 kernel (PCI, pcieport, ACPI built in)
#   kernel-config        its .config
#   kernel.txt           "<package> <version>" of the kernel in use
#   initramfs.cpio.gz    busybox (static) + lspci with its libraries + pci.ids + /init
#   initramfs.inputs     sha256 of everything that went into the initramfs
#
# Idempotent: with the cache present it only hashes a dozen host files (well
# under a second) and touches nothing. The kernel is fetched once and then kept
# (no apt calls) until QEMU_ORACLE_KERNEL_PKG names another package or the
# cache is deleted.
#
# environment:
#   QEMU_ORACLE_KERNEL_PKG  kernel package to fetch (default: what linux-image-amd64 depends on)
#   QEMU_ORACLE_KERNEL      use this vmlinuz instead of fetching one
#   QEMU_ORACLE_QEMU        QEMU binary checked for (default qemu-system-x86_64)
#
# exit: 0 built or up to date, 1 error, 77 skipped (no QEMU).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${1:-$ROOT/target/qemu-oracle}
QEMU=${QEMU_ORACLE_QEMU:-qemu-system-x86_64}

log() { echo "build-guest: $*" >&2; }
die() {
	echo "build-guest: ERROR: $*" >&2
	exit 1
}

if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "SKIP: $QEMU not found; the QEMU oracle needs it (Debian: apt-get install -y qemu-system-x86)" >&2
	exit 77
fi

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

# Install a missing host package when we can (root with apt), else explain.
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing $2 (for $1)"
		apt-get install -y "$2" >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null 2>&1; } ||
			die "apt-get install $2 failed"
	fi
	command -v "$1" >/dev/null 2>&1 || die "$1 not found: install $2"
}

# ---------------------------------------------------------------- kernel
fetch_kernel() {
	if [ -n "${QEMU_ORACLE_KERNEL:-}" ]; then
		[ -f "$QEMU_ORACLE_KERNEL" ] || die "QEMU_ORACLE_KERNEL=$QEMU_ORACLE_KERNEL is not a file"
		if ! cmp -s "$QEMU_ORACLE_KERNEL" "$CACHE/vmlinuz" 2>/dev/null; then
			cp "$QEMU_ORACLE_KERNEL" "$CACHE/vmlinuz"
			rm -f "$CACHE/kernel-config"
		fi
		echo "custom $QEMU_ORACLE_KERNEL" >"$CACHE/kernel.txt"
		return
	fi
	local want=${QEMU_ORACLE_KERNEL_PKG:-}
	if [ -s "$CACHE/vmlinuz" ] && [ -s "$CACHE/kernel.txt" ]; then
		local have
		have=$(cut -d' ' -f1 "$CACHE/kernel.txt")
		if [ -z "$want" ] || [ "$want" = "$have" ]; then
			return # cached
		fi
	fi
	need apt-get apt
	need dpkg-deb dpkg
	if [ -z "$want" ]; then
		want=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
		if [ -z "$want" ] && [ "$(id -u)" = 0 ]; then
			log "apt-get update (linux-image-amd64 unknown to apt)"
			apt-get update >/dev/null 2>&1 || true
			want=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
		fi
		[ -n "$want" ] || die "cannot resolve linux-image-amd64 to a kernel package (apt-get update? or set QEMU_ORACLE_KERNEL_PKG / QEMU_ORACLE_KERNEL)"
	fi
	log "fetching kernel package $want"
	local tmp
	tmp=$(mktemp -d "$CACHE/kernel-dl.XXXXXX")
	# apt-get download as root warns that _apt cannot write here; harmless, kept in the log.
	if ! (cd "$tmp" && apt-get download "$want") >"$tmp/apt.log" 2>&1; then
		cat "$tmp/apt.log" >&2
		rm -rf "$tmp"
		die "apt-get download $want failed"
	fi
	local deb
	deb=$(ls "$tmp"/*.deb)
	local ver
	ver=$(dpkg-deb -f "$deb" Version)
	# Only /boot is needed: vmlinuz and config (the modules stay out, see README).
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' './boot/config-*'
	mv "$tmp"/boot/vmlinuz-* "$CACHE/vmlinuz"
	mv "$tmp"/boot/config-* "$CACHE/kernel-config"
	echo "$want $ver" >"$CACHE/kernel.txt"
	rm -rf "$tmp"
	# The kernel must enumerate PCI(e) and read ACPI without modules.
	local opt
	for opt in CONFIG_PCI CONFIG_PCIEPORTBUS CONFIG_PCI_MMCONFIG CONFIG_ACPI CONFIG_SERIAL_8250_CONSOLE \
		CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS; do
		grep -q "^$opt=y" "$CACHE/kernel-config" || log "WARNING: $opt is not built in; the guest may not see PCI"
	done
	log "kernel $want $ver cached ($(du -h "$CACHE/vmlinuz" | cut -f1))"
}

# ---------------------------------------------------------------- initramfs
# Host files that go into the initramfs, as "SOURCE DEST" lines.
initramfs_files() {
	local f bb lspci ids
	bb=$(command -v busybox)
	lspci=$(command -v lspci)
	ids=""
	for f in /usr/share/misc/pci.ids /usr/share/hwdata/pci.ids /usr/share/pci.ids; do
		if [ -f "$f" ]; then
			ids=$f
			break
		fi
	done
	[ -n "$ids" ] || die "pci.ids not found (Debian: apt-get install -y pci.ids)"
	echo "$HERE/guest-init /init"
	echo "$bb /bin/busybox"
	echo "$lspci /usr/bin/lspci"
	echo "$ids /usr/share/misc/pci.ids"
	# shared libraries of both binaries (none for busybox-static), at the paths
	# the dynamic loader looks them up
	{ ldd "$bb" 2>/dev/null || true; ldd "$lspci"; } | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' | sort -u | while read -r f; do
		case $f in
		*/ld-linux*) echo "$(readlink -f "$f") /lib64/$(basename "$f")" ;;
		*) echo "$(readlink -f "$f") /lib/x86_64-linux-gnu/$(basename "$f")" ;;
		esac
	done
}

build_initramfs() {
	need busybox busybox-static
	need lspci pciutils
	need ldd libc-bin
	need sha256sum coreutils
	need gzip gzip
	local list inputs
	list=$(initramfs_files)
	# Fingerprint: content of every input plus this script (it defines the layout).
	inputs=$(
		{
			echo "$list"
			echo "$list" | while read -r src _; do sha256sum "$src"; done
			sha256sum "${BASH_SOURCE[0]}"
		} | sha256sum | cut -d' ' -f1
	)
	if [ -s "$CACHE/initramfs.cpio.gz" ] && [ "$(cat "$CACHE/initramfs.inputs" 2>/dev/null)" = "$inputs" ]; then
		return # cached
	fi
	log "building initramfs"
	local stage
	stage=$(mktemp -d "$CACHE/initramfs-root.XXXXXX")
	chmod 755 "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,usr/bin,usr/share/misc,lib/x86_64-linux-gnu,lib64}
	echo "$list" | while read -r src dst; do
		cp -L "$src" "$stage$dst"
	done
	chmod 755 "$stage/init" "$stage/bin/busybox" "$stage/usr/bin/lspci"
	# Fixed timestamps and order: the same inputs give the same archive.
	find "$stage" -exec touch -h -d @0 {} +
	(cd "$stage" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) |
		gzip -9n >"$stage.cpio.gz"
	mv "$stage.cpio.gz" "$CACHE/initramfs.cpio.gz" # atomic: a concurrent boot sees old or new
	echo "$inputs" >"$CACHE/initramfs.inputs"
	rm -rf "$stage"
	log "initramfs built ($(du -h "$CACHE/initramfs.cpio.gz" | cut -f1))"
}

fetch_kernel
build_initramfs
echo "build-guest: ready in $CACHE: kernel $(cat "$CACHE/kernel.txt"), initramfs $(du -h "$CACHE/initramfs.cpio.gz" | cut -f1)" >&2
