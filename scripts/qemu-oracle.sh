#!/usr/bin/env bash
# QEMU's Q35 as the oracle for vpcie: one topology described both ways
# (scripts/qemu-oracle/topology-oracle.toml for vpcie, topology-oracle.args
# for QEMU), compared as individual named checks. Ends with exactly one line
# "N passed, M failed".
#
# usage: scripts/qemu-oracle.sh [-v] [OUT_DIR]     (default OUT_DIR: target/qemu-oracle/run)
#
#   -v   also list, under each check, the intended differences it accepted
#
# Steps:
#   1. build (or reuse) the guest: scripts/qemu-oracle/build-guest.sh, cached
#      under target/qemu-oracle;
#   2. vpcie: `vpcie plan --json`, `vpcie dump --format lspci`, `vpcie acpi`
#      on the topology, into OUT_DIR/vpcie;
#   3. QEMU + SeaBIOS + Linux: scripts/qemu-oracle/boot.sh into OUT_DIR/boot;
#   4. vpcie-oracle: QEMU under qtest (the models at reset and the write probe,
#      vpcie's firmware on QEMU's machine) against a vpcie platform, then the
#      captures of step 3 against the outputs of step 2, every difference
#      looked up in scripts/qemu-oracle/intended-differences.tsv.
#
# environment:
#   VPCIE, VPCIE_ORACLE   the binaries to use (default: cargo build --release)
#   QEMU_ORACLE_QEMU      QEMU binary (default qemu-system-x86_64)
#   QEMU_ORACLE_CACHE, QEMU_ORACLE_TIMEOUT, ...   see scripts/qemu-oracle/README.md
#
# exit: 0 all checks passed; 1 a check failed (or a step could not run);
#       77 skipped: QEMU is not installed (a "SKIP: ..." line says so).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DIR=$HERE/qemu-oracle
QEMU=${QEMU_ORACLE_QEMU:-qemu-system-x86_64}
VERBOSE=()
if [ "${1:-}" = -v ]; then
	VERBOSE=(--verbose)
	shift
fi
case ${1:-} in -h | --help)
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
esac
OUT=${1:-$ROOT/target/qemu-oracle/run}

if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "SKIP: $QEMU not found; the QEMU oracle needs it (Debian: apt-get install -y qemu-system-x86)"
	exit 77
fi

step() { echo "qemu-oracle: $*" >&2; }
now() { date +%s%N; }
secs() { printf '%d.%01d' $((($2 - $1) / 1000000000)) $(((($2 - $1) / 100000000) % 10)); }
t_start=$(now)

# ---------------------------------------------------------------- binaries
if [ -z "${VPCIE:-}" ] || [ -z "${VPCIE_ORACLE:-}" ]; then
	step "cargo build --release -p vpcie -p vpcie-oracle"
	(cd "$ROOT" && cargo build --quiet --release -p vpcie -p vpcie-oracle)
	target=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
		sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
	target=${target:-$ROOT/target}
	VPCIE=${VPCIE:-$target/release/vpcie}
	VPCIE_ORACLE=${VPCIE_ORACLE:-$target/release/vpcie-oracle}
fi
for b in "$VPCIE" "$VPCIE_ORACLE"; do
	[ -x "$b" ] || {
		echo "qemu-oracle: $b is not an executable" >&2
		echo "0 passed, 1 failed"
		exit 1
	}
done
t_build=$(now)

rm -rf "$OUT"
mkdir -p "$OUT/vpcie" "$OUT/qtest"
OUT=$(cd "$OUT" && pwd)
CONFIG=$DIR/topology-oracle.toml
ARGS=$DIR/topology-oracle.args

# ---------------------------------------------------------------- vpcie
step "vpcie plan/dump/acpi on $CONFIG -> $OUT/vpcie"
vpcie_ok=1
"$VPCIE" plan --config "$CONFIG" --json >"$OUT/vpcie/plan.json" 2>"$OUT/vpcie/plan.stderr" || vpcie_ok=0
"$VPCIE" plan --config "$CONFIG" >"$OUT/vpcie/plan.txt" 2>>"$OUT/vpcie/plan.stderr" || vpcie_ok=0
"$VPCIE" dump --config "$CONFIG" --format lspci -o "$OUT/vpcie/dump.txt" 2>"$OUT/vpcie/dump.stderr" || vpcie_ok=0
"$VPCIE" acpi --config "$CONFIG" --out "$OUT/vpcie/acpi" >"$OUT/vpcie/acpi.txt" 2>"$OUT/vpcie/acpi.stderr" || vpcie_ok=0
if [ "$vpcie_ok" = 0 ]; then
	echo "qemu-oracle: a vpcie command failed:" >&2
	cat "$OUT"/vpcie/*.stderr >&2
fi
t_vpcie=$(now)

# ---------------------------------------------------------------- boot
step "booting the topology in QEMU (SeaBIOS + Linux) -> $OUT/boot"
boot_rc=0
"$DIR/boot.sh" "$OUT/boot" "@$ARGS" 2>"$OUT/boot.log" || boot_rc=$?
if [ "$boot_rc" = 77 ]; then
	echo "SKIP: $(grep -h '^SKIP' "$OUT/boot.log" | head -1 | sed 's/^SKIP: //')"
	exit 77
fi
if [ "$boot_rc" != 0 ]; then
	echo "qemu-oracle: boot.sh failed (exit $boot_rc):" >&2
	tail -n 30 "$OUT/boot.log" >&2
fi
t_boot=$(now)

# ---------------------------------------------------------------- compare
step "comparing"
oracle_args=(--qemu "$QEMU" --qemu-args "$ARGS" --config "$CONFIG"
	--differences "$DIR/intended-differences.tsv" --work "$OUT/qtest"
	--write-observed "$OUT/observed-differences.tsv" "${VERBOSE[@]}")
[ "$vpcie_ok" = 1 ] && oracle_args+=(--vpcie-out "$OUT/vpcie")
[ "$boot_rc" = 0 ] && oracle_args+=(--boot "$OUT/boot")
rc=0
"$VPCIE_ORACLE" "${oracle_args[@]}" >"$OUT/report.txt" || rc=$?
t_end=$(now)

# The report without its last line, then our own failures folded into it.
summary=$(tail -n 1 "$OUT/report.txt")
head -n -1 "$OUT/report.txt"
passed=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
failed=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$passed" ]; then
	echo "FAIL  vpcie-oracle: no verdict (exit $rc)"
	passed=0 failed=1
fi
if [ "$vpcie_ok" = 0 ]; then
	echo "FAIL  vpcie commands: plan/dump/acpi on the topology (see $OUT/vpcie/*.stderr)"
	failed=$((failed + 1))
else
	echo "PASS  vpcie commands: plan --json, dump --format lspci, acpi --out ran"
	passed=$((passed + 1))
fi
if [ "$boot_rc" != 0 ]; then
	echo "FAIL  boot: QEMU + SeaBIOS + Linux captured the topology (boot.sh exit $boot_rc, see $OUT/boot.log)"
	failed=$((failed + 1))
else
	echo "PASS  boot: QEMU + SeaBIOS + Linux captured the topology ($(sed -n 's/^elapsed_s //p' "$OUT/boot/run.txt") s)"
	passed=$((passed + 1))
fi
{
	echo "build $(secs "$t_start" "$t_build") s, vpcie commands $(secs "$t_build" "$t_vpcie") s, boot $(secs "$t_vpcie" "$t_boot") s, compare $(secs "$t_boot" "$t_end") s, total $(secs "$t_start" "$t_end") s"
} | tee "$OUT/timings.txt" | sed 's/^/qemu-oracle: /' >&2
echo "qemu-oracle: report in $OUT/report.txt; observed differences in $OUT/observed-differences.tsv" >&2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
