#!/usr/bin/env bash
# make demo: build, start a loopback receiver, send a manifest and a built event to it,
# show what arrived, stop the receiver. Touches nothing outside a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building pk3s-telemetry and the loopback receiver (cargo build; the first build takes a minute or two)"
cargo build --bin pk3s-telemetry --example receiver
echo "== starting a receiver on 127.0.0.1 (it stops by itself after 60 s)"
bin=target/debug/pk3s-telemetry
work=$(mktemp -d)
receiver_pid=
cleanup() {
    status=$?
    if [ -n "$receiver_pid" ]; then
        kill "$receiver_pid" 2>/dev/null || true
        wait "$receiver_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

target/debug/examples/receiver --url-file "$work/url" --seconds 60 >"$work/received.log" &
receiver_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
[ -s "$work/url" ] || { echo "demo: the receiver did not start" >&2; exit 1; }

export TELEMETRY_ENDPOINT="$(cat "$work/url")"
export TELEMETRY_OUTBOX_DIR="$work/outbox"

# As a layer starts: decide consent and this run's ids once, exported for what follows.
echo '== eval "$(pk3s-telemetry resolve --component core --telemetry enable)"'
eval "$("$bin" resolve --component core --telemetry enable)"
echo "   TELEMETRY_ENABLED=$TELEMETRY_ENABLED session $TELEMETRY_SESSION_ID run $TELEMETRY_RUN_ID"

echo "== pk3s-telemetry send manifest examples/manifest.json   (to $TELEMETRY_ENDPOINT)"
"$bin" -v send manifest examples/manifest.json
echo "   exit $?"
echo "== pk3s-telemetry send event --name core.apply.single_node.completed --command apply --result success"
"$bin" -v send event --name core.apply.single_node.completed --command apply --result success --field mode=single-node
echo "   exit $?"
sleep 0.2
echo
echo "== what the receiver got"
cat "$work/received.log"
