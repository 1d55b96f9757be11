#!/bin/sh
# Drop-in for productive-k3s's scripts/send-telemetry-event.sh: the same argument (the ready-made
# event file), the same TELEMETRY_* variables, the same exit statuses (0 delivered or nothing
# to do, 1 otherwise). Delivery, retries, the outbox and the privacy guard are
# pk3s-telemetry's; see docs/integration.md.
#
# A layer calls this only after deciding consent itself, so where nothing else has decided
# the call counts as that yes (--if-undecided enable). Everything that decides still does:
# TELEMETRY_ENABLED (true or false), DO_NOT_TRACK, a saved `pk3s-telemetry disable`.

# The binary: PK3S_TELEMETRY if set, else one beside this script, else on PATH.
bin=${PK3S_TELEMETRY:-}
if [ -z "$bin" ]; then
  bin="$(dirname "$0")/pk3s-telemetry"
  [ -x "$bin" ] || bin=pk3s-telemetry
fi
if ! command -v "$bin" >/dev/null 2>&1; then
  printf '[WARN] %s\n' "pk3s-telemetry is not installed: telemetry not sent." >&2
  exit 1
fi
if [ -z "${1:-}" ]; then
  printf '[WARN] %s\n' "Telemetry event path is missing or invalid." >&2
  exit 1
fi
"$bin" send event --if-undecided enable -- "$1" || exit 1
