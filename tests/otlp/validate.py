"""Parses OTLP/HTTP logs export requests (JSON encoding), one per line of standard input,
with protobuf's own JSON parser and the message types generated from the official
OpenTelemetry .proto files. Unknown fields are errors (json_format's default). Prints one
line per request: "ok" or "error: ...". Exits 1 when any request fails."""

import sys

from google.protobuf.json_format import ParseError, Parse
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)


def main():
    failed = False
    for line in sys.stdin.buffer.read().split(b"\n"):
        if not line.strip():
            continue
        try:
            Parse(line.decode("utf-8"), ExportLogsServiceRequest(), ignore_unknown_fields=False)
            print("ok")
        except (ParseError, UnicodeDecodeError, ValueError) as e:
            failed = True
            print("error: " + " ".join(str(e).split()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
