# pk3s-telemetry: build, demo, test. Everything the targets need is installed by them.
CARGO ?= cargo

.PHONY: all build release demo test stress fmt bench privacy size generate install uninstall

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# Build, start a loopback receiver, send a manifest and an event to it, show what arrived.
demo:
	./scripts/demo.sh

# fmt check, clippy with warnings denied, and every test. The OTLP tests' strict parser (the
# official OpenTelemetry protobuf definitions, Python) is installed first into target/otlp-venv.
test:
	./tests/otlp/setup.sh
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	$(CARGO) test --locked

# The outbox under load (release build): the SIGKILL loop at scale and a 10,000-entry flush,
# with figures (entries/s, wall time, peak RSS). Slow, so not part of `make test`.
stress:
	./scripts/stress.sh

fmt:
	$(CARGO) fmt --all

# Speed, memory and size figures with ratios (installs hyperfine and wrk if missing).
bench:
	./scripts/bench.sh

# The privacy guard's figures: growth from 1 to 4 MiB and the 4 MiB time against parsing
# alone on each hard shape, 16 MiB of each, and the labelled corpus's scores.
privacy:
	./scripts/privacy-bench.sh

# The stripped release binary within its 8 MiB limit (CI runs it after make test).
size:
	./scripts/size.sh

# Regenerate the committed completions/ and man/ from the clap definition.
generate:
	$(CARGO) run --quiet -- generate .

# make install PREFIX=/usr/local DESTDIR=...: the binary, man pages, and completions where
# each shell looks for them. It installs the release binary that `make release` built and
# never builds one itself (under sudo that would be a build as root, and a third build after
# `make test` and `make size`): a missing or stale binary stops it, naming the command to
# run. The directories it creates are listed in $(RECORD) as they are on the installed
# system (without DESTDIR, so a package's record names no build root), so that uninstall
# removes them again (when empty) and nothing that was there before.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
BASHDIR = $(PREFIX)/share/bash-completion/completions
ZSHDIR = $(PREFIX)/share/zsh/site-functions
FISHDIR = $(PREFIX)/share/fish/vendor_completions.d
ELVDIR = $(PREFIX)/share/elvish/lib
DATADIR = $(PREFIX)/share/pk3s-telemetry
PSDIR = $(DATADIR)/completions
RECORD = $(DESTDIR)$(DATADIR)/created-directories
DIRS = $(BINDIR) $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR) $(ELVDIR) $(PSDIR)
BIN = target/release/pk3s-telemetry
SOURCES = Cargo.toml Cargo.lock src

install:
	@if [ ! -f $(BIN) ]; then \
	    echo "make install: $(BIN) is missing: run 'make release' first (as yourself, not root)" >&2; exit 1; \
	fi; \
	newer=$$(find $(SOURCES) -newer $(BIN) -type f 2>/dev/null | head -n 1); \
	if [ -n "$$newer" ]; then \
	    echo "make install: $(BIN) is older than $$newer: run 'make release' first (as yourself, not root)" >&2; exit 1; \
	fi
	@created=; for d in $(DIRS); do \
	    while [ "$$d" != / ] && [ ! -d "$(DESTDIR)$$d" ]; do created="$$created$$d\n"; d=$$(dirname "$$d"); done; \
	done; \
	for d in $(DIRS); do install -d "$(DESTDIR)$$d"; done; \
	printf '%b' "$$created" >>$(RECORD)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/pk3s-telemetry
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/
	install -m 0644 completions/pk3s-telemetry.bash $(DESTDIR)$(BASHDIR)/pk3s-telemetry
	install -m 0644 completions/_pk3s-telemetry $(DESTDIR)$(ZSHDIR)/_pk3s-telemetry
	install -m 0644 completions/pk3s-telemetry.fish $(DESTDIR)$(FISHDIR)/pk3s-telemetry.fish
	install -m 0644 completions/pk3s-telemetry.elv $(DESTDIR)$(ELVDIR)/pk3s-telemetry.elv
	install -m 0644 completions/_pk3s-telemetry.ps1 $(DESTDIR)$(PSDIR)/_pk3s-telemetry.ps1

# Removes the files install wrote, then the directories it created, deepest first, when
# they are empty (a directory another package has filled stays).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pk3s-telemetry
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(notdir $(wildcard man/*.1)))
	rm -f $(DESTDIR)$(BASHDIR)/pk3s-telemetry $(DESTDIR)$(ZSHDIR)/_pk3s-telemetry
	rm -f $(DESTDIR)$(FISHDIR)/pk3s-telemetry.fish $(DESTDIR)$(ELVDIR)/pk3s-telemetry.elv
	rm -f $(DESTDIR)$(PSDIR)/_pk3s-telemetry.ps1
	@if [ -f $(RECORD) ]; then \
	    dirs=$$(sort -ru $(RECORD)); rm -f $(RECORD); \
	    for d in $$dirs; do rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
	fi
	-@rmdir $(DESTDIR)$(PSDIR) $(DESTDIR)$(DATADIR) 2>/dev/null || true
