#!/usr/bin/env bash
# make stress: the outbox under load, with the release binary against the loopback receiver
# of the test suite.
#   1. the SIGKILL loop at scale: flush killed at random moments while the receiver fails
#      every third request, then finished: every event_id arrives, nothing is left behind;
#   2. a 10,000-entry flush: wall time, entries/s and peak RSS (/usr/bin/time -v, if there);
#   3. sends SIGKILLed during their attempt: 0 lost, 0 delivered twice (write-ahead);
#   4. a failed send with 10,000 entries waiting against an empty outbox (at most 1.2x).
# Sizes: PK3S_STRESS_ENTRIES (10000), PK3S_STRESS_KILL_ENTRIES (2000), PK3S_STRESS_KILLS (60),
# PK3S_STRESS_SEND_KILLS (100).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release --locked --test it --no-run 2>&1 | tail -n 1
started=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --release --locked --test it -- --ignored --nocapture --test-threads=1 stress_ \
    >"$log" 2>&1 || status=$?
grep -E 'stress: |^test result|FAILED|panicked|left behind|never arrived|repeat deliveries' "$log" |
    sed -E 's/^test [^ ]+ \.\.\. //' || true
[ "$status" -eq 0 ] || tail -n 40 "$log"
echo "make stress: $(( $(date +%s) - started ))s in all, exit $status"
exit "$status"
