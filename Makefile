# pk3s-telemetry: build, demo, test. Everything the targets need is installed by them.
CARGO ?= cargo

.PHONY: all build release demo test fmt bench

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# Build, start a loopback receiver, send a manifest and an event to it, show what arrived.
demo:
	./scripts/demo.sh

# fmt check, clippy with warnings denied, and every test.
test:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	$(CARGO) test --locked

fmt:
	$(CARGO) fmt --all

# Speed, memory and size figures with ratios (installs hyperfine and wrk if missing).
bench:
	./scripts/bench.sh
