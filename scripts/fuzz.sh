#!/usr/bin/env bash
# Runs every cargo-fuzz (libFuzzer) target of vpcie for a short budget and
# fails on any crash, hang (10 s per input) or out-of-memory.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 10 (CI: five targets, about a minute of
# fuzzing). TARGETs default to all of them (fuzz/fuzz_targets/*.rs).
#
# The committed corpus (fuzz/corpus/TARGET) seeds each run and is not
# modified: new inputs go to a temporary directory, printed at the end so
# that interesting ones can be kept (see fuzz/README.md). Only the stable
# toolchain exists here: libFuzzer's instrumentation needs nightly flags,
# enabled with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-10}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi

export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io (about a minute)"
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

echo "fuzz.sh: building ${targets[*]} (release, AddressSanitizer)"
for t in "${targets[@]}"; do
    cargo fuzz build "$t"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/vpcie-fuzz.XXXXXX")"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "artifacts/$t"
    echo "fuzz.sh: $t for ${seconds}s"
    if ! cargo fuzz run "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$work/$t.log" 2>&1; then
        failed+=("$t")
        echo "fuzz.sh: $t FAILED; the last lines of its log ($work/$t.log):"
        tail -n 40 "$work/$t.log"
    else
        grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$work/$t.log" |
            sed "s/^/fuzz.sh:   /" || true
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz.sh: crashes in: ${failed[*]}"
    echo "fuzz.sh: inputs are in fuzz/artifacts/<target>/; replay one with"
    echo "fuzz.sh:   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>"
    exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]}; new inputs (not committed) in $work"
