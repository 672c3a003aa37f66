#!/usr/bin/env bash
# Boot the QEMU oracle guest on Q35 under TCG with a chosen PCIe topology and
# split what the guest saw into files.
#
# usage: boot.sh OUT_DIR [QEMU_ARG | @ARGS_FILE]...
#
#   QEMU_ARG    passed to QEMU after the fixed machine arguments (e.g. -device ...)
#   @ARGS_FILE  one QEMU argument per line; blank lines and lines starting with
#               '#' are ignored, surrounding whitespace is trimmed. A relative
#               name is looked up in the current directory, then next to this
#               script (so "@topology-default.args" works from anywhere).
#
# Fixed QEMU arguments: -machine q35 -accel tcg -m 512 -nodefaults -nographic
#   -serial stdio -monitor none -no-reboot -kernel -initrd -append ...
#
# OUT_DIR receives:
#   serial.log          the raw serial console (CR stripped)
#   <section>           one file per marked section the guest printed:
#                       lspci-nn.txt lspci-tv.txt lspci-xxxx-vvv.txt iomem.txt
#                       ioports.txt interrupts.txt dmesg.txt cmdline.txt uname.txt
#                       acpi-tables.txt and <table>.hex for every ACPI table
#                       (mcfg.hex, dsdt.hex, facp.hex, apic.hex, ...), plus
#                       <section>.stderr where a command wrote to stderr
#   <table>.bin         the ACPI table rebuilt from its .hex
#   <table>.dsl         its disassembly, when iasl (acpica-tools) is installed
#   earlydump.txt       every function's first 256 bytes as SeaBIOS left them
#                       (from pci=earlydump in dmesg), lspci -F format
#   sections.txt        "<section> <exit status>" for every section
#   dmesg-warnings.txt  kernel log lines about PCI resources / ACPI that look
#                       like failures (empty when clean)
#   qemu-cmdline.txt    the exact QEMU command (shell-quoted), qemu-version.txt,
#                       qemu-stderr.txt, kernel.txt, run.txt (timings, status)
#
# environment:
#   QEMU_ORACLE_CACHE    guest cache (default <repo>/target/qemu-oracle; built on demand)
#   QEMU_ORACLE_TIMEOUT  seconds before the boot is abandoned (default 120)
#   QEMU_ORACLE_MEM      guest RAM (default 512)
#   QEMU_ORACLE_APPEND   extra kernel command line
#   QEMU_ORACLE_QEMU     QEMU binary (default qemu-system-x86_64)
#
# exit: 0 all required sections captured, 1 failure (reason on stderr),
#       2 usage, 77 skipped (no QEMU).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QEMU=${QEMU_ORACLE_QEMU:-qemu-system-x86_64}
CACHE=${QEMU_ORACLE_CACHE:-$ROOT/target/qemu-oracle}
TIMEOUT=${QEMU_ORACLE_TIMEOUT:-120}
MEM=${QEMU_ORACLE_MEM:-512}
# pci=earlydump: the kernel logs every function's first 256 bytes of config
# space before it touches anything, i.e. exactly as SeaBIOS left them.
APPEND="console=ttyS0,115200 panic=-1 pci=earlydump ${QEMU_ORACLE_APPEND:-}"
REQUIRED="lspci-nn.txt lspci-tv.txt lspci-xxxx-vvv.txt iomem.txt ioports.txt mcfg.hex dmesg.txt"

die() {
	echo "boot: FAIL: $*" >&2
	exit 1
}
usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
case $1 in -h | --help) usage ;; esac
OUT=$1
shift

if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "SKIP: $QEMU not found; the QEMU oracle needs it (Debian: apt-get install -y qemu-system-x86)" >&2
	exit 77
fi

# ---------------------------------------------------------------- arguments
args=()
add_file() {
	local file=$1 line
	if [ ! -f "$file" ] && [ "${file#/}" = "$file" ] && [ -f "$HERE/$file" ]; then
		file=$HERE/$file
	fi
	[ -f "$file" ] || die "argument file $1 not found (looked in . and $HERE)"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line#"${line%%[![:space:]]*}"}
		line=${line%"${line##*[![:space:]]}"}
		case $line in '' | '#'*) continue ;; esac
		args+=("$line")
	done <"$file"
}
for a in "$@"; do
	case $a in
	@*) add_file "${a#@}" ;;
	*) args+=("$a") ;;
	esac
done

# ---------------------------------------------------------------- guest
rc=0
"$HERE/build-guest.sh" "$CACHE" || rc=$?
if [ "$rc" = 77 ]; then
	exit 77
elif [ "$rc" != 0 ]; then
	die "build-guest.sh failed (exit $rc)"
fi
CACHE=$(cd "$CACHE" && pwd)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Remove what an earlier run left, so no stale section survives.
if [ -f "$OUT/sections.txt" ]; then
	while read -r name _; do
		rm -f "$OUT/$name" "$OUT/${name%.hex}.bin"
	done <"$OUT/sections.txt"
fi
rm -f "$OUT"/{serial.log,sections.txt,earlydump.txt,dmesg-warnings.txt,qemu-cmdline.txt,qemu-version.txt,qemu-stderr.txt,kernel.txt,run.txt,iasl.log}
rm -f "$OUT"/*.bin "$OUT"/*.dsl

cmd=("$QEMU" -machine q35 -accel tcg -m "$MEM" -nodefaults -nographic
	-serial stdio -monitor none -no-reboot
	-kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" -append "$APPEND"
	"${args[@]}")
printf '%q ' "${cmd[@]}" >"$OUT/qemu-cmdline.txt"
echo >>"$OUT/qemu-cmdline.txt"
"$QEMU" --version | head -1 >"$OUT/qemu-version.txt"
cp "$CACHE/kernel.txt" "$OUT/kernel.txt"

echo "boot: booting Q35 (TCG, timeout ${TIMEOUT}s) with ${#args[@]} extra argument(s) -> $OUT" >&2
start=$(date +%s%N)
qrc=0
timeout --kill-after=10 "$TIMEOUT" "${cmd[@]}" </dev/null 2>"$OUT/qemu-stderr.txt" |
	tr -d '\r' >"$OUT/serial.log" || qrc=$?
# with pipefail, qrc is timeout's/QEMU's status (tr does not fail)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
elapsed=$(printf '%d.%03d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000)))

# ---------------------------------------------------------------- split
awk -v out="$OUT" '
	function finish(status) {
		close(file)
		print name, status >> (out "/sections.txt")
		inside = 0
	}
	/^=== BEGIN [A-Za-z0-9][A-Za-z0-9._-]* ===$/ {
		if (inside) finish("open")
		name = $3; file = out "/" name; inside = 1
		printf "" > file
		next
	}
	/^=== END [A-Za-z0-9][A-Za-z0-9._-]* rc=[0-9]+ ===$/ {
		if (inside && $3 == name) finish(substr($4, 4))
		next
	}
	inside { print > file }
	END { if (inside) finish("open") }
' "$OUT/serial.log"
touch "$OUT/sections.txt"

# ACPI tables back to binary (for iasl -d and for byte comparisons)
hex_to_bin() {
	local b fmt=""
	local -a bytes
	while read -r -a bytes; do
		for b in "${bytes[@]}"; do
			[[ $b =~ ^[0-9a-f]{2}$ ]] || return 1
			fmt+="\\x$b"
		done
	done <"$1"
	printf '%b' "$fmt" >"$2"
}
while read -r name status; do
	case $name in
	*.hex)
		if [ "$status" = 0 ] && ! hex_to_bin "$OUT/$name" "$OUT/${name%.hex}.bin"; then
			echo "boot: warning: $name is not a clean hex dump; no ${name%.hex}.bin" >&2
			rm -f "$OUT/${name%.hex}.bin"
		fi
		;;
	esac
done <"$OUT/sections.txt"

# Decoded tables next to them when acpica-tools is installed (optional).
if command -v iasl >/dev/null 2>&1 && compgen -G "$OUT/*.bin" >/dev/null; then
	(cd "$OUT" && iasl -d ./*.bin >iasl.log 2>&1) ||
		echo "boot: warning: iasl -d failed, see $OUT/iasl.log" >&2
fi

# pci=earlydump: each function's first 256 bytes as the firmware left them,
# before Linux changed anything, in lspci's hex format (lspci -F earlydump.txt).
if [ -f "$OUT/dmesg.txt" ]; then
	# (no {n} intervals: Debian's default awk is mawk)
	awk '
		/ pci [0-9a-f]+:[0-9a-f]+:[0-9a-f]+\.[0-7]: config space:$/ {
			for (i = 1; i <= NF; i++) if ($i == "pci") bdf = $(i + 1)
			sub(/:$/, "", bdf)
			if (n++) print ""
			print bdf " (config space before Linux touched it)"
			next
		}
		bdf != "" && /^\[ *[0-9.]+\] [0-9a-f]+: / {
			sub(/^\[ *[0-9.]+\] /, "")
			off = substr($1, 7, 2)
			$1 = ""
			print off ":" $0
			next
		}
		{ bdf = "" }
	' "$OUT/dmesg.txt" >"$OUT/earlydump.txt"
fi

# Kernel log lines that look like resource-assignment or ACPI trouble.
if [ -f "$OUT/dmesg.txt" ]; then
	grep -Ei "can't assign|failed to assign|no space for|no compatible bridge window|not claimed|conflict|BAR [0-9]+: (error|failed)|bridge window .*(failed|can't)|resource .*(failed|collision)|ACPI (Error|Warning|BIOS Error)|AE_[A-Z_]+|_OSC: .*(failed|not granted)|MMCONFIG.*(not reserved|disabled)|PCI: .*(failed|error)" \
		"$OUT/dmesg.txt" >"$OUT/dmesg-warnings.txt" || true
fi

# ---------------------------------------------------------------- verdict
{
	echo "elapsed_s $elapsed"
	echo "qemu_exit $qrc"
	echo "timeout_s $TIMEOUT"
} >"$OUT/run.txt"

fail() {
	echo "result FAIL $*" >>"$OUT/run.txt"
	echo "boot: FAIL after ${elapsed}s: $*" >&2
	echo "boot: last lines of $OUT/serial.log:" >&2
	tail -n 15 "$OUT/serial.log" | sed 's/^/  | /' >&2
	if [ -s "$OUT/qemu-stderr.txt" ]; then
		echo "boot: QEMU stderr:" >&2
		tail -n 15 "$OUT/qemu-stderr.txt" | sed 's/^/  ! /' >&2
	fi
	exit 1
}

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	fail "timeout: the guest did not power off within ${TIMEOUT}s (QEMU_ORACLE_TIMEOUT)"
fi
if ! grep -q '^=== DONE ===$' "$OUT/serial.log"; then
	[ "$qrc" = 0 ] || fail "QEMU exited with status $qrc before the guest finished (see qemu-stderr.txt)"
	fail "the guest powered off without printing '=== DONE ===': the kernel or /init did not run to the end"
fi
[ "$qrc" = 0 ] || fail "QEMU exited with status $qrc after the guest finished (see qemu-stderr.txt)"
missing=""
for s in $REQUIRED; do
	st=$(awk -v n="$s" '$1 == n { print $2 }' "$OUT/sections.txt" | tail -1)
	case $st in
	0) ;;
	"") missing+=" $s(absent)" ;;
	*) missing+=" $s(rc=$st)" ;;
	esac
done
[ -z "$missing" ] || fail "required section(s) missing or failed:$missing"

echo "result OK" >>"$OUT/run.txt"
nwarn=$(wc -l <"$OUT/dmesg-warnings.txt")
echo "boot: OK in ${elapsed}s: $(wc -l <"$OUT/sections.txt") sections in $OUT; $nwarn suspicious kernel log line(s) (dmesg-warnings.txt)" >&2
