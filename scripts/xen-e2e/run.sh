#!/bin/bash
# usage: run.sh WORKDIR STAGE(info|hvm|seg|seg2|vpcie|flat) LOG [TIMEOUT_S]   -> exit 0 if the stage's success marker is seen
W=$1; STAGE=$2; LOG=$3; TO=${4:-600}
cd "$W"
start=$(date +%s)
# XEN_E2E_NICE=-5: a larger share of a busy host's CPU for the emulated machine
timeout $TO nice -n "${XEN_E2E_NICE:-0}" qemu-system-x86_64 -accel tcg -M q35 -m 3072 -smp 2 -cpu qemu64,+svm,+npt \
  -nographic -monitor none -serial stdio -no-reboot \
  -kernel xen-4.17.elf \
  -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all console_timestamps=boot noreboot" \
  -initrd "vmlinuz console=hvc0 earlyprintk=xen root=/dev/vda xentest=$STAGE ${XEN_E2E_OPTS:-},initrd-dom0.cpio.gz" \
  -drive file=dom0.ext4,if=virtio,format=raw,cache=unsafe < /dev/null > "$LOG" 2>&1
echo "### qemu rc=$? wall=$(( $(date +%s)-start ))s" >> "$LOG"
case $STAGE in
  info) grep -q "^virt_caps *:.* hvm" "$LOG" ;;
  hvm|seg|seg2|vpcie|flat)  grep -q "^=== GUEST END" "$LOG" ;;
esac && { echo "PASS $STAGE ($(tail -1 "$LOG"))"; exit 0; } || { echo "FAIL $STAGE, see $LOG"; exit 1; }
