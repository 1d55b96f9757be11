# pk3s-telemetry: build, demo, test. Everything the targets need is installed by them.
CARGO ?= cargo

.PHONY: all build release demo test stress fmt clippy check

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

# The outbox under load (release build): the SIGKILL loop at scale and a 10,000-entry flush,
# with figures (entries/s, wall time, peak RSS). Slow, so not part of `make test`.
stress:
	./scripts/stress.sh

fmt:
	$(CARGO) fmt --all
