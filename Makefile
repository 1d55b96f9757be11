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
# each shell looks for them. Builds the release binary first when it is missing or older
# than any source. Directories it creates are listed in $(RECORD), so that uninstall removes
# them again (when empty) and nothing that was there before.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
ELVDIR = $(DESTDIR)$(PREFIX)/share/elvish/lib
DATADIR = $(DESTDIR)$(PREFIX)/share/pk3s-telemetry
PSDIR = $(DATADIR)/completions
RECORD = $(DATADIR)/created-directories
DIRS = $(BINDIR) $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR) $(ELVDIR) $(PSDIR)
BIN = target/release/pk3s-telemetry
SOURCES = Cargo.toml Cargo.lock $(shell find src -type f)

$(BIN): $(SOURCES)
	$(CARGO) build --release --locked

install: $(BIN)
	@created=; for d in $(DIRS); do \
	    while [ ! -d "$$d" ]; do created="$$created$$d\n"; d=$$(dirname "$$d"); done; \
	done; \
	install -d $(DIRS); \
	printf "$$created" >>$(RECORD)
	install -m 0755 $(BIN) $(BINDIR)/pk3s-telemetry
	install -m 0644 man/*.1 $(MANDIR)/
	install -m 0644 completions/pk3s-telemetry.bash $(BASHDIR)/pk3s-telemetry
	install -m 0644 completions/_pk3s-telemetry $(ZSHDIR)/_pk3s-telemetry
	install -m 0644 completions/pk3s-telemetry.fish $(FISHDIR)/pk3s-telemetry.fish
	install -m 0644 completions/pk3s-telemetry.elv $(ELVDIR)/pk3s-telemetry.elv
	install -m 0644 completions/_pk3s-telemetry.ps1 $(PSDIR)/_pk3s-telemetry.ps1

# Removes the files install wrote, then the directories it created, deepest first, when
# they are empty (a directory another package has filled stays).
uninstall:
	rm -f $(BINDIR)/pk3s-telemetry
	rm -f $(addprefix $(MANDIR)/,$(notdir $(wildcard man/*.1)))
	rm -f $(BASHDIR)/pk3s-telemetry $(ZSHDIR)/_pk3s-telemetry $(FISHDIR)/pk3s-telemetry.fish
	rm -f $(ELVDIR)/pk3s-telemetry.elv $(PSDIR)/_pk3s-telemetry.ps1
	@if [ -f $(RECORD) ]; then \
	    dirs=$$(sort -ru $(RECORD)); rm -f $(RECORD); \
	    for d in $$dirs; do rmdir "$$d" 2>/dev/null || true; done; \
	fi
	-@rmdir $(PSDIR) $(DATADIR) 2>/dev/null || true
