#!/usr/bin/env bash
# make bench: measures pk3s-telemetry on this machine, side by side with what a user would
# otherwise use, and prints each figure with its ratio and target. Loopback only; every
# server it starts stops by itself (and is killed on exit).
#
#   BENCH_QUICK=1 make bench   fewer runs (a smoke test of the script itself)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bench-deps.sh

quick=${BENCH_QUICK:-0}
runs=200; flush_runs=3; big=10000; small=1000; curl_n=1000
if [ "$quick" = 1 ]; then runs=20; flush_runs=1; big=2000; small=500; curl_n=100; fi

cargo build --quiet --release --bin pk3s-telemetry
cargo build --quiet --release --example receiver
bin=$PWD/target/release/pk3s-telemetry
receiver=$PWD/target/release/examples/receiver
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
results=$work/results.tsv
: >"$results"

# start_receiver NAME [args...]: starts a quiet receiver, sets $url.
start_receiver() {
    local name=$1; shift
    "$receiver" --quiet --seconds 900 --url-file "$work/$name.url" "$@" 2>/dev/null &
    pids+=($!)
    for _ in $(seq 200); do [ -s "$work/$name.url" ] && break; sleep 0.02; done
    url=$(cat "$work/$name.url")
}

# median SECONDS from a hyperfine JSON export, for command number $2.
median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }

# pair_median PATTERN JSON...: the median of all runs, over the hyperfine exports given, of
# the command containing PATTERN. hyperfine runs one command's runs before the other's;
# a pair is measured in two passes of opposite order, so that whatever the machine is
# still doing after the earlier steps does not fall on one side only.
pair_median() {
    python3 -c 'import json,sys,statistics
t=[x for p in sys.argv[2:] for r in json.load(open(p))["results"] if sys.argv[1] in r["command"] for x in r["times"]]
print(statistics.median(t))' "$@"
}

# record NAME VALUE UNIT REFERENCE_NAME REFERENCE_VALUE TARGET
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

clean_env() {
    env -i PATH="$PATH" HOME="$work/home" TELEMETRY_ENABLED=1 \
        TELEMETRY_OUTBOX_DIR="$work/outbox-unused" "$@"
}

mkdir -p "$work/home"
manifest=examples/manifest.json
clean_env "$bin" send manifest "$manifest" --dry-run --endpoint http://127.0.0.1:9/ >"$work/req.txt"
sed -n '/^$/,$p' "$work/req.txt" | tail -n +2 >"$work/body.json"
headers=(-H 'Content-Type: application/json' -H "User-Agent: productive-k3s/bench"
         -H 'X-Productive-K3S-Telemetry: pk3s-public-v1'
         -H 'Idempotency-Key: 6f2c4b0e-1d4c-4d8e-9a55-2b1f0f3f7a10')

echo "== 1. send manifest vs curl, one POST delivered on the first try ($runs runs each)"
start_receiver http
http_url=$url
hyperfine -N --style basic --warmup 10 --runs "$runs" --export-json "$work/send-http.json" \
    -n "pk3s-telemetry (http)" "env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 TELEMETRY_USER_AGENT=productive-k3s/bench TELEMETRY_OUTBOX_DIR=$work/o $bin send manifest $manifest --endpoint $http_url" \
    -n "curl (http)" "curl -sS -o /dev/null -X POST ${headers[*]@Q} --data-binary @$work/body.json $http_url" >/dev/null 2>>"$work/hyperfine.log"
record "send manifest, http (median)" "$(median "$work/send-http.json" 0)" s "curl" "$(median "$work/send-http.json" 1)" "<= 0.8x"

# TELEMETRY_PROTOCOL=otlp: the same send, the payload mapped into an OTLP logs request
# (parsed again, wrapped, 3-4x the bytes). Two passes of opposite order (pair_median).
otlp_send="env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 TELEMETRY_USER_AGENT=productive-k3s/bench TELEMETRY_OUTBOX_DIR=$work/o TELEMETRY_PROTOCOL=otlp $bin send manifest $manifest --endpoint $http_url"
pk3s_send="env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 TELEMETRY_USER_AGENT=productive-k3s/bench TELEMETRY_OUTBOX_DIR=$work/o $bin send manifest $manifest --endpoint $http_url"
for pass in 1 2; do
    if [ "$pass" = 1 ]; then order=(-n otlp "$otlp_send" -n pk3s "$pk3s_send"); else order=(-n pk3s "$pk3s_send" -n otlp "$otlp_send"); fi
    hyperfine -N --style basic --warmup 10 --runs "$((runs / 2))" --export-json "$work/otlp-$pass.json" \
        "${order[@]}" >/dev/null 2>>"$work/hyperfine.log"
done
record "send manifest, otlp, http (median)" "$(pair_median otlp "$work"/otlp-[12].json)" s "the same send, pk3s" "$(pair_median pk3s "$work"/otlp-[12].json)" "<= 1.2x"

# send --background: the caller's cost (write-ahead, hand-off); delivery happens after it.
# hyperfine itself runs in the clean environment, so that neither command pays for an
# extra `env` exec (the lines above charge it to pk3s-telemetry alone).
env -i PATH="$PATH" HOME="$work/home" TELEMETRY_ENABLED=1 TELEMETRY_USER_AGENT=productive-k3s/bench \
    TELEMETRY_OUTBOX_DIR="$work/obg" \
    hyperfine -N --style basic --warmup 10 --runs "$runs" --export-json "$work/send-bg.json" \
    -n "pk3s-telemetry --background (http)" "$bin send manifest $manifest --background --endpoint $http_url" \
    -n "curl (http)" "curl -sS -o /dev/null -X POST ${headers[*]@Q} --data-binary @$work/body.json $http_url" >/dev/null 2>>"$work/hyperfine.log"
record "send --background, http (median)" "$(median "$work/send-bg.json" 0)" s "curl" "$(median "$work/send-bg.json" 1)" "<= 0.3x"

start_receiver https --tls-ca "$work/ca.pem"
https_url=$url
hyperfine -N --style basic --warmup 10 --runs "$runs" --export-json "$work/send-https.json" \
    -n "pk3s-telemetry (https)" "env -i PATH=$PATH HOME=$work/home SSL_CERT_FILE=$work/ca.pem TELEMETRY_ENABLED=1 TELEMETRY_USER_AGENT=productive-k3s/bench TELEMETRY_OUTBOX_DIR=$work/o $bin send manifest $manifest --endpoint $https_url" \
    -n "curl (https)" "curl -sS -o /dev/null --cacert $work/ca.pem -X POST ${headers[*]@Q} --data-binary @$work/body.json $https_url" >/dev/null 2>>"$work/hyperfine.log"
record "send manifest, https (median)" "$(median "$work/send-https.json" 0)" s "curl" "$(median "$work/send-https.json" 1)" "<= 0.8x"

echo "== 2. resolve and env vs /bin/true ($runs runs each)"
hyperfine -N --style basic --warmup 10 --runs "$runs" --export-json "$work/resolve.json" \
    -n resolve "env -i PATH=$PATH HOME=$work/home CI=true TELEMETRY_ENABLED=1 $bin resolve --component infra" \
    -n env "env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 TELEMETRY_SESSION_ID=s TELEMETRY_RUN_ID=r $bin env" \
    -n true "env -i PATH=$PATH HOME=$work/home /bin/true" >/dev/null 2>>"$work/hyperfine.log"
record "resolve (median)" "$(median "$work/resolve.json" 0)" s "/bin/true" "$(median "$work/resolve.json" 2)" "<= 2x"
record "env (median)" "$(median "$work/resolve.json" 1)" s "/bin/true" "$(median "$work/resolve.json" 2)" "<= 2x"

echo "== 3. flush of queued entries"
# fill DIR N: N undelivered manifests, kept by real failing sends (a refused port).
fill() {
    local dir=$1 n=$2
    seq "$n" | xargs -P 2 -I{} env -i PATH="$PATH" HOME="$work/home" TELEMETRY_ENABLED=1 \
        TELEMETRY_MAX_RETRIES=1 TELEMETRY_OUTBOX_DIR="$dir" TELEMETRY_OUTBOX_MAX_ENTRIES=1000000 \
        "$bin" -q send manifest "$manifest" --endpoint http://127.0.0.1:9/telemetry || true
    local got
    got=$(find "$dir" -maxdepth 1 -name '*.json' | wc -l)
    [ "$got" = "$n" ] || { echo "bench: expected $n entries in $dir, found $got" >&2; exit 1; }
}
# flush_once TEMPLATE N [SUFFIX]: copies TEMPLATE, flushes it, appends "seconds peak_kib" to
# $work/flush-N[SUFFIX]. With a SUFFIX the copy is synced to disk first, like an outbox whose
# entries waited a while: deleting a file the disk holds costs ext4 several times more.
flush_once() {
    local tpl=$1 n=$2 dir=$work/flush-run
    rm -rf "$dir"; cp -a "$tpl" "$dir"
    [ -z "${3:-}" ] || sync
    # Queued entries have waited: a flush checks the name of one changed in the last two
    # seconds once more (entry::claim), which a fresh copy of every entry would measure.
    sleep 2.1
    # Wall time from the clock (time's %e has 10 ms steps, 2% of a 10,000-entry flush).
    local t0 t1
    t0=$(date +%s.%N)
    # The entries were written for the refused port: re-routed to the receiver.
    /usr/bin/time -f '%M' -o "$work/time.txt" env -i PATH="$PATH" HOME="$work/home" \
        TELEMETRY_ENABLED=1 TELEMETRY_OUTBOX_DIR="$dir" TELEMETRY_OUTBOX_MAX_ENTRIES=1000000 \
        "$bin" -q flush --reroute "$http_url" >/dev/null
    t1=$(date +%s.%N)
    left=$(find "$dir" -maxdepth 1 -name '*.json' | wc -l)
    [ "$left" = 0 ] || { echo "bench: flush left $left entries" >&2; exit 1; }
    echo "$(python3 -c "print(round($t1 - $t0, 4))") $(cat "$work/time.txt")" >>"$work/flush-$n${3:-}"
}
echo "   queueing $small and $big entries (real failing sends)..."
fill "$work/tpl-small" "$small"
fill "$work/tpl-big" "$big"
for _ in $(seq "$flush_runs"); do flush_once "$work/tpl-small" "$small"; flush_once "$work/tpl-big" "$big"; done
flush_once "$work/tpl-big" "$big" -synced

echo "== status on the quiet $big-entry outbox vs resolve ($runs runs each)"
# A quiet outbox (nothing written for a moment) is counted once and then read from its
# cache; one listing of this outbox costs ~10 ms here (docs/outbox.md).
for _ in 1 2; do
    env -i PATH="$PATH" HOME="$work/home" CI=true TELEMETRY_OUTBOX_DIR="$work/tpl-big" "$bin" status >/dev/null
    sleep 0.2
done
hyperfine -N --style basic --warmup 10 --runs "$runs" --export-json "$work/status.json" \
    -n status "env -i PATH=$PATH HOME=$work/home CI=true TELEMETRY_OUTBOX_DIR=$work/tpl-big $bin status" \
    -n resolve "env -i PATH=$PATH HOME=$work/home CI=true TELEMETRY_OUTBOX_DIR=$work/tpl-big $bin resolve" >/dev/null 2>>"$work/hyperfine.log"
record "status, $big entries (median)" "$(median "$work/status.json" 0)" s "resolve" "$(median "$work/status.json" 1)" "<= 2x"
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
big_s=$(cut -d' ' -f1 "$work/flush-$big" | med)
big_kib=$(cut -d' ' -f2 "$work/flush-$big" | med)
small_kib=$(cut -d' ' -f2 "$work/flush-$small" | med)
big_rate=$(python3 -c "print(round($big / max($big_s, 0.001)))")

# (a) the receiver's ceiling: one keep-alive connection posting the same body, like flush.
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Productive-K3S-Telemetry"] = "pk3s-public-v1"
local f = io.open("$work/body.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
wrk -t1 -c1 -d5s -s "$work/post.lua" "$http_url" >"$work/wrk.txt"
limit=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")

# (b) one curl process per payload, as the shell scripts would have to.
start=$(date +%s.%N)
for _ in $(seq "$curl_n"); do
    curl -sS -o /dev/null -X POST "${headers[@]}" --data-binary @"$work/body.json" "$http_url"
done
end=$(date +%s.%N)
curl_rate=$(python3 -c "print(round($curl_n / ($end - $start)))")

record "flush $big entries (entries/s, median of $flush_runs)" "$big_rate" "/s" "receiver ceiling, wrk 1 conn" "$limit" ">= 0.5x of ceiling"
synced_s=$(cut -d' ' -f1 "$work/flush-$big-synced")
synced_rate=$(python3 -c "print(round($big / max($synced_s, 0.001)))")
record "flush $big entries, outbox synced to disk first (entries/s)" "$synced_rate" "/s" "receiver ceiling, wrk 1 conn" "$limit" "(reference: two unlinks an entry)"
record "flush, one curl per payload (entries/s)" "$curl_rate" "/s" "flush" "$big_rate" "(reference)"
record "flush peak RSS, $big entries" "$big_kib" KiB "$small entries" "$small_kib" "<= 12288 KiB, flat"

echo "== 3b. a failed send with $big entries waiting vs with an empty outbox ($runs runs each)"
dead=http://127.0.0.1:9/telemetry
cp -a "$work/tpl-big" "$work/full"
sync  # the copy's writeback must not land in the measurement
full_cmd="env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 TELEMETRY_MAX_RETRIES=1 TELEMETRY_OUTBOX_DIR=$work/full $bin -q send manifest $manifest --endpoint $dead"
empty_cmd="env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 TELEMETRY_MAX_RETRIES=1 TELEMETRY_OUTBOX_DIR=$work/empty $bin -q send manifest $manifest --endpoint $dead"
# The endpoint memory is forgotten before each run: a send that tries and fails is measured,
# not one the memory spares (which costs less).
for pass in 1 2; do
    if [ "$pass" = 1 ]; then order=("$full_cmd" "$empty_cmd"); else order=("$empty_cmd" "$full_cmd"); fi
    hyperfine -N --style basic --warmup 5 --runs "$((runs / 2))" --export-json "$work/fail-$pass.json" -i \
        --prepare "rm -rf $work/empty $work/home/.local/state/productive-k3s" "${order[@]}" >/dev/null 2>>"$work/hyperfine.log"
done
fail_median() { pair_median "$1" "$work/fail-1.json" "$work/fail-2.json"; }
record "failed send, $big entries waiting (median)" "$(fail_median "$work/full ")" s "empty outbox" "$(fail_median "$work/empty ")" "<= 1.2x"

echo "== 4. worst case against a hanging endpoint, default settings (one run)"
start_receiver hang --status hang
start=$(date +%s.%N)
env -i PATH="$PATH" HOME="$work/home" TELEMETRY_ENABLED=1 TELEMETRY_OUTBOX_DIR="$work/hang-outbox" \
    "$bin" -q send manifest "$manifest" --endpoint "$url" || true
end=$(date +%s.%N)
hang_s=$(python3 -c "print(round($end - $start, 2))")
record "worst case, hanging endpoint, defaults" "$hang_s" s "documented bound" "31.5" "<= bound + 0.5 s"
# What a bootstrap piping through tee sees with --background: the caller and its pipe return
# at once; the deliverer gives up in the background within the same bound.
start=$(date +%s.%N)
env -i PATH="$PATH" HOME="$work/home" TELEMETRY_ENABLED=1 TELEMETRY_OUTBOX_DIR="$work/hang-bg" \
    sh -c "'$bin' -q send manifest '$manifest' --background --endpoint '$url' 2>&1 | cat" || true
end=$(date +%s.%N)
bg_s=$(python3 -c "print(round($end - $start, 4))")
record "bootstrap-visible, hanging endpoint, --background" "$bg_s" s "without --background" "$hang_s" "returns at once"

echo "== 4b. a bootstrap's seven sends in sequence: the time the bootstrap sees (one run each)"
# The same seven payloads the way upstream's send-telemetry.sh sends each one (its own code
# is not copied; this is what it does): up to TELEMETRY_MAX_RETRIES (3) curl attempts, each
# --fail --connect-timeout 5 --max-time 10 (TELEMETRY_CONNECT_/REQUEST_TIMEOUT_SECONDS), with
# no wait between them. pk3s-telemetry runs with its defaults, each kind of receiver with a
# user (HOME) of its own, so that no endpoint memory carries over from another run.
seven_connect=5; seven_max=10; seven_note=""
if [ "$quick" = 1 ]; then seven_connect=1; seven_max=1; seven_note=" (quick: 1 s timeouts)"; fi
upstream_send() {
    local attempt
    for attempt in 1 2 3; do
        curl -sS -o /dev/null --fail --connect-timeout "$seven_connect" --max-time "$seven_max" \
            -X POST "${headers[@]}" --data-binary @"$work/body.json" "$1" 2>/dev/null && return 0
    done
    return 1
}
# seven KIND URL TARGET: both sequences against one receiver, recorded side by side.
seven() {
    local kind=$1 url=$2 target=$3 home=$work/seven-$1 i t0 t1 ours theirs
    mkdir -p "$home"
    t0=$(date +%s.%N)
    for i in 1 2 3 4 5 6 7; do
        env -i PATH="$PATH" HOME="$home" TELEMETRY_ENABLED=1 TELEMETRY_OUTBOX_DIR="$home/outbox" \
            TELEMETRY_CONNECT_TIMEOUT_SECONDS="$seven_connect" TELEMETRY_REQUEST_TIMEOUT_SECONDS="$seven_max" \
            "$bin" -q send manifest "$manifest" --endpoint "$url" || true
    done
    t1=$(date +%s.%N)
    ours=$(python3 -c "print(round($t1 - $t0, 4))")
    t0=$(date +%s.%N)
    for i in 1 2 3 4 5 6 7; do upstream_send "$url" || true; done
    t1=$(date +%s.%N)
    theirs=$(python3 -c "print(round($t1 - $t0, 4))")
    record "bootstrap of 7 sends, $kind receiver$seven_note" "$ours" s "curl as upstream's send-telemetry.sh" "$theirs" "$target"
}
start_receiver failing --status 500
failing_url=$url
start_receiver hang7 --status hang
hang7_url=$url
seven healthy "$http_url" "<= 1x"
seven "500" "$failing_url" "(each send retries, with waits)"
seven refused http://127.0.0.1:9/telemetry "about one send's bound"
seven hanging "$hang7_url" "about one send's bound (31.5 s)"
# Nothing lost: the seven kept against the hanging receiver all go out with a later flush.
kept=$(find "$work/seven-hanging/outbox" -maxdepth 1 -name '*.json' | wc -l)
env -i PATH="$PATH" HOME="$work/seven-hanging" TELEMETRY_ENABLED=1 \
    TELEMETRY_OUTBOX_DIR="$work/seven-hanging/outbox" "$bin" -q flush --reroute "$http_url" || true
left=$(find "$work/seven-hanging/outbox" -maxdepth 1 -name '*.json' | wc -l)
echo "   hanging receiver: $kept of 7 kept; a later flush delivered $((kept - left)), $left left"
[ "$kept" = 7 ] && [ "$left" = 0 ] || { echo "bench: the hanging run lost payloads" >&2; exit 1; }

echo "== 5. privacy guard: 10,000 and 160,000 identifier keys (send --dry-run)"
for n in 10000 160000; do
    python3 -c 'import json,sys; n=int(sys.argv[1]); json.dump({"nodes": {f"10.{i>>16&255}.{i>>8&255}.{i&255}": i for i in range(1, n+1)}}, open(sys.argv[2], "w"))' "$n" "$work/keys-$n.json"
done
hyperfine -N --style basic --warmup 1 --runs 5 --export-json "$work/privacy.json" \
    -n "160k keys" "env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 $bin -q send manifest $work/keys-160000.json --dry-run --endpoint http://127.0.0.1:9/" \
    -n "10k keys" "env -i PATH=$PATH HOME=$work/home TELEMETRY_ENABLED=1 $bin -q send manifest $work/keys-10000.json --dry-run --endpoint http://127.0.0.1:9/" >/dev/null 2>>"$work/hyperfine.log"
record "privacy guard, 160,000 identifier keys (median)" "$(median "$work/privacy.json" 0)" s "10,000 keys (linear: 16x)" "$(median "$work/privacy.json" 1)" "<= 1 s"

echo "== 6. stripped release binary"
size=$(stat -c %s "$bin")
record "release binary size" "$size" bytes "target" "$(./scripts/size.sh --limit)" "<= 8 MiB"

echo
python3 - "$results" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def fmt(v, unit):
    v = float(v)
    if unit == "s":
        return f"{v*1000:.2f} ms" if v < 1 else f"{v:.2f} s"
    if unit == "bytes":
        return f"{v:,.0f} bytes"
    if unit == "KiB":
        return f"{v/1024:.1f} MiB"
    return f"{v:,.0f}{unit}"
print("| measure | figure | compared with | its figure | ratio | target |")
print("|---|---|---|---|---|---|")
for name, val, unit, ref, refval, target in rows:
    ratio = float(val) / float(refval) if float(refval) else float("nan")
    # A size limit is hard: three decimals, so that a few KiB over does not read 1.00x.
    r = f"{ratio:.3f}x" if unit == "bytes" else f"{ratio:.2f}x"
    print(f"| {name} | {fmt(val, unit)} | {ref} | {fmt(refval, unit)} | {r} | {target} |")
PY

echo
./scripts/privacy-bench.sh
