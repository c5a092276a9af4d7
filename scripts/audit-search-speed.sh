#!/usr/bin/env bash
# How long `smsp-bridge audit verify` and `audit search` take on a trail of realistic size, and
# how much memory they hold (README, Security, "smsp-bridge audit search"; docs/PERFORMANCE.md,
# "Audit search"). Writes a synthetic trail of RECORDS records in the bridge's own format and
# chain (examples/audit_trail.rs: 64 MiB files), then times, with GNU time (wall clock, peak RSS):
#   - audit verify over the whole trail;
#   - audit search for one patient (JSON Lines), and the same as CSV;
#   - audit search for one user in one day.
#
# Usage: scripts/audit-search-speed.sh [RECORDS]   (default 1000000: about 0.5 GB of trail)
#        TRAIL_DIR=/mnt/x scripts/audit-search-speed.sh   (the trail on another volume)
# Needs: GNU time (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${1:-1000000}"
source scripts/common.sh
need /usr/bin/time time
release_bin
cargo build --release --quiet --example audit_trail
TRAIL="${TRAIL_DIR:-$WORK/trail}"
mkdir -p "$TRAIL"
echo "==> writing $RECORDS records to $TRAIL"
target/release/examples/audit_trail "$TRAIL" "$RECORDS"
echo "trail: $(du -sh "$TRAIL" | cut -f1) in $(find "$TRAIL" -name 'audit-*.jsonl' | wc -l) file(s)"
# The first patient and user the generator uses; any would do.
PATIENT=9990000018
# (the page cache is warm after the write: these are CPU figures, not disk ones)
run() { # label, then the command's arguments
  local label="$1"
  shift
  local out="$WORK/out" err="$WORK/err" times="$WORK/time"
  /usr/bin/time -o "$times" -f '%e %M' "$BIN" audit "$@" >"$out" 2>"$err" || true
  read -r secs kb <"$times"
  # verify prints its summary on stdout, search on stderr
  local summary
  summary=$(tail -n1 "$err")
  [ -n "$summary" ] || summary=$(tail -n1 "$out")
  printf '%-44s %8s s %8s MB  %s\n' "$label" "$secs" "$((kb / 1024))" "${summary:0:100}"
}
echo "==> $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %11s  %s\n' "command" "wall" "peak RSS" "its summary"
run "audit verify" verify "$TRAIL"
run "audit search --nhs-number (jsonl)" search "$TRAIL" --nhs-number "$PATIENT"
run "audit search --nhs-number --format csv" search "$TRAIL" --nhs-number "$PATIENT" --format csv
run "audit search --user --from --to (one day)" search "$TRAIL" --user user07 \
  --from 2026-11-18 --to 2026-11-18
