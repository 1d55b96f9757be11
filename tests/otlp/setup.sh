#!/bin/sh
# The OTLP tests' strict parser: the official OpenTelemetry protobuf definitions
# (opentelemetry-proto, generated from the .proto files) and protobuf's JSON parser, installed
# into a venv of the project's own (target/otlp-venv), at pinned versions. `make test` runs
# this first; the tests run it too when the venv is missing. Fast when already installed.
set -eu
cd "$(dirname "$0")/../.."
venv=target/otlp-venv
want="opentelemetry-proto==1.45.2 protobuf==7.36.2"
stamp="$venv/.installed"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
python3 -m venv "$venv" || {
    echo "tests/otlp/setup.sh: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
}
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want
"$venv/bin/python" -c 'import google.protobuf, opentelemetry.proto.collector.logs.v1.logs_service_pb2'
printf '%s\n' "$want" >"$stamp"
