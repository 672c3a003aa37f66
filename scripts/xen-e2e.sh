#!/bin/bash
# vpcie on real Xen, end to end: builds vpcie, a Xen 4.17 + Debian dom0 image
# (cached under target/xen-e2e/), boots it under QEMU TCG, creates an HVM
# guest paused with vpcie's ACPI tables, starts `vpcie serve` for it,
# unpauses, and compares what the guest saw with vpcie's own view.
# Ends with `N passed, M failed`. Needs root and the Debian mirror.
#   usage: scripts/xen-e2e.sh [STAGE]   (STAGE: vpcie (default: the planned hierarchy) | flat (phase A)
#                                        | seg (the C spike) | hvm | info)
#   XEN_E2E_OPTS="guestvcpus=1 guestverbose=1 vpcietrace=N guestwait=S"  knobs for dom0 (see xen-test-init)
#   XEN_E2E_TIMEOUT=S  the whole boot's limit (default 900)
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${1:-vpcie}
W=${XEN_E2E_DIR:-$PWD/target/xen-e2e/work}
mkdir -p "$W"
t0=$(date +%s)
command -v qemu-system-x86_64 >/dev/null && command -v debootstrap >/dev/null && command -v iasl >/dev/null \
  || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq debootstrap e2fsprogs cpio qemu-system-x86 acpica-tools >/dev/null; }
cargo build --release -q -p vpcie
t1=$(date +%s)
scripts/xen-e2e/build.sh "$W" > "$W/build.log" 2>&1 || { tail -20 "$W/build.log"; echo "0 passed, 1 failed"; exit 1; }
t2=$(date +%s)
LOG="$W/run-$STAGE.log"
scripts/xen-e2e/run.sh "$W" "$STAGE" "$LOG" "${XEN_E2E_TIMEOUT:-900}" || true
t3=$(date +%s)
echo "times: cargo build $((t1-t0)) s, image $((t2-t1)) s ($(tail -1 "$W/build.log")), boot+guest $((t3-t2)) s; log: $LOG"
FIXDIR=$(cd ../shared/fixtures/devices && pwd)
if [ "$STAGE" = vpcie ] || [ "$STAGE" = flat ]; then
  # vpcie's own view of the same platform: the same config and binary, the
  # segment built and planned as in dom0, enumerated through the simulated hypervisor
  CFG=vpcie.cfg; FLAGS=; [ "$STAGE" = flat ] && { CFG=vpcie-flat.cfg; FLAGS=--flat; }
  sed "s#/root/vpcie/fixtures#$FIXDIR#" scripts/xen-e2e/$CFG > "$W/vpcie-host.cfg"
  MASKS=; [ "$STAGE" = vpcie ] && MASKS="--writable $W/vpcie-writable.txt"
  # the binary that ran in dom0 (the image's copy), not a later rebuild
  "$W/rootfs/root/vpcie/vpcie" serve --config "$W/vpcie-host.cfg" --simulate --lspci $FLAGS $MASKS > "$W/vpcie-view.txt" 2>/dev/null
  python3 scripts/xen-e2e/check.py "$LOG" "$W/vpcie-view.txt" ${MASKS:+"$W/vpcie-writable.txt"}
else
  grep -q "^=== GUEST END\|^virt_caps" "$LOG" && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
fi
