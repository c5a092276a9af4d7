#!/usr/bin/env bash
# Short fuzz run of every cargo-fuzz target (issue 8), then a summary: executions, speed,
# corpus size, and whether anything was found. Long runs: docs/RELIABILITY.md ("Fuzzing").
#
#   scripts/fuzz.sh                 # 60 s per target
#   scripts/fuzz.sh 600 smsp_reply  # 10 min, one target
#   SANITIZER=address scripts/fuzz.sh 60
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The machine has one stable toolchain;
# cargo-fuzz passes nightly-only `-Z` flags, so RUSTC_BOOTSTRAP=1 lets stable rustc accept them.
# The fuzz crate builds in its own target dir (fuzz/target), never in the main one.
# Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here/fuzz"

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(smsp_reply fhir_search fhir_verify)
fi
# The parsers are safe Rust: without a sanitizer libFuzzer runs several times faster, and
# panics, overflow checks (debug assertions are on) and the RSS/time limits still trip.
sanitizer="${SANITIZER:-none}"

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$here/fuzz/target"

command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
}

mkdir -p logs
# One build for every target (the main crate is compiled once), then the binaries are run
# directly, so edits to the crate during the run cannot trigger rebuilds between targets.
echo "building the fuzz targets (sanitizer: $sanitizer) ..."
cargo fuzz build --sanitizer "$sanitizer" >logs/build.log 2>&1 || {
    cat logs/build.log >&2
    exit 2
}
bin_dir="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"

found=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
    extra=()
    if [ "$t" = smsp_reply ]; then
        extra+=("-dict=xml.dict")
    fi
    echo "fuzzing $t for ${seconds}s ..."
    set +e
    "$bin_dir/$t" "corpus/$t" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" "${extra[@]}" >"logs/$t.log" 2>&1
    status=$?
    set -e
    execs=$(grep -h 'stat::number_of_executed_units' "logs/$t.log" | awk '{s+=$2} END {print s+0}')
    speed=$(grep -h 'stat::average_exec_per_sec' "logs/$t.log" | awk '{s+=$2} END {print s+0}')
    corpus=$(find "corpus/$t" -type f | wc -l)
    crashes=$(find "artifacts/$t" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        found=1
        verdict="FOUND SOMETHING (exit $status, $crashes artifact(s) in fuzz/artifacts/$t; log fuzz/logs/$t.log)"
    else
        verdict="nothing found"
    fi
    summary+=("$(printf '%-12s %10s execs  %7s exec/s  corpus %5s  %s' "$t" "$execs" "$speed" "$corpus" "$verdict")")
done

echo
echo "fuzz summary: ${seconds}s per target, sanitizer $sanitizer, $(rustc --version)"
printf '%s\n' "${summary[@]}"
exit "$found"
