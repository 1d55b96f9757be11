#!/usr/bin/env bash
# make privacy (and the last section of make bench): the privacy guard's figures.
#  - speed: `check` on 1, 4 and 16 MiB of each hard shape; the growth from 1 to 4 MiB
#    (linear is about 4x), and the 4 MiB time against parsing the same file alone
#    (examples/json_parse, serde_json with the tool's features) and `jq .` when present,
#    all measured in this run. Goals: 4 MiB within 5x the parse alone; 16 MiB of any
#    shape under 2 s.
#  - exactness: the labelled corpus (tests/privacy-corpus), recall per kind and the share
#    of clean payloads damaged (the test that holds the thresholds prints them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --bin pk3s-telemetry --example json_parse
bin=$PWD/target/release/pk3s-telemetry
parse=$PWD/target/release/examples/json_parse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import json, random, sys
work = sys.argv[1]
r = random.Random(21)
HEX = "0123456789abcdef"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B64 = ALNUM + "+/"
TRIGGERS = "ab1.:/@-_ %=~[]\\9fK"
def s(alpha, n): return "".join(r.choices(alpha, k=n))
def one(v): return json.dumps({"blob": v})
shapes = {
    "hex": lambda n: one(s(HEX, n)),
    "alphanumeric": lambda n: one(s(ALNUM, n)),
    "one-letter": lambda n: one("a" * n),
    "percent-41": lambda n: one("%41" * (n // 3)),
    "digits": lambda n: one(s("0123456789", n)),
    "base64": lambda n: one(s(B64, n)),
    "every-trigger": lambda n: one(s(TRIGGERS, n)),
    "public-look-alikes": lambda n: one("127.0.0.1 https://get.k3s.io/x v1.2.3.4 " * (n // 40)),
    "long-key": lambda n: json.dumps({s(ALNUM, n): 1}),
    "deep-nesting": lambda n: "[" + ",".join(["[" * 120 + '"x"' + "]" * 120] * (n // 243)) + "]",
    "many-keys": lambda n: "{" + ",".join('"k%07d":1' % i for i in range(n // 12)) + "}",
    "many-items": lambda n: "[" + ",".join('"i%07d"' % i for i in range(n // 11)) + "]",
}
with open(f"{work}/shapes", "w") as f:
    for name, make in shapes.items():
        f.write(name + "\n")
        for mib in (1, 4, 16):
            # 16 MiB is the most the tool reads: the document (escapes and all) stays
            # under it.
            n = (mib << 20) - ((1 << 20) if mib == 16 else 0)
            with open(f"{work}/{name}-{mib}.json", "w") as out:
                out.write(make(n))
PY

# best SECONDS of 3 runs of a command (its exit status 0, 1 or 2 is its own business).
best() {
    python3 - "$@" <<'PY'
import subprocess, sys, time
times = []
for _ in range(3):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
print(f"{min(times):.4f}")
PY
}

have_jq=0; command -v jq >/dev/null && have_jq=1
echo "== privacy guard: check on hard shapes (best of 3; release build; this machine)"
printf '| shape | 1 MiB | 4 MiB | growth 1->4 | ~16 MiB | parse 4 MiB | guard/parse |%s\n' "$([ $have_jq = 1 ] && printf ' jq . 4 MiB |')"
printf '|---|---|---|---|---|---|---|%s\n' "$([ $have_jq = 1 ] && printf -- '---|')"
worst16=0; worst_ratio=0
while read -r name; do
    t1=$(best "$bin" check "$work/$name-1.json")
    t4=$(best "$bin" check "$work/$name-4.json")
    t16=$(best "$bin" check "$work/$name-16.json")
    p4=$(best "$parse" "$work/$name-4.json")
    jq4=""; [ $have_jq = 1 ] && jq4=" $(best jq . "$work/$name-4.json") s |"
    read -r growth ratio < <(python3 -c "print(f'{$t4/$t1:.2f} {$t4/$p4:.2f}')")
    printf '| %s | %s s | %s s | %sx | %s s | %s s | %sx |%s\n' "$name" "$t1" "$t4" "$growth" "$t16" "$p4" "$ratio" "$jq4"
    worst16=$(python3 -c "print(max($worst16, $t16))")
    worst_ratio=$(python3 -c "print(max($worst_ratio, $ratio))")
done <"$work/shapes"
echo
echo "slowest 16 MiB: ${worst16} s (goal < 2 s); largest 4 MiB guard/parse: ${worst_ratio}x (goal <= 5x)"

echo
echo "== privacy guard: the labelled corpus (tests/privacy-corpus)"
cargo test --quiet --test it privacy_corpus -- --nocapture 2>/dev/null | grep -E '^(kind|  [a-z]|corpus|caught|clean|  damaged|  missed)' || true
