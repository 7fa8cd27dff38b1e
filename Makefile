# PaaSTech Cloud. Two commands on a fresh Debian 12 machine, as root:
#   make run    install what is needed, build, run the whole platform (`paastech dev`)
#   make test   install what is needed, build, run every test
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

SWIFT       ?= swift
STATE_DIR   ?= .paastech
BUILD_FLAGS ?=
BINARY       = .build/debug/paastech

# Debian packages the build, the platform and the tests need.
APT_PACKAGES = pkg-config libpq-dev libssh-dev libgit2-dev libseccomp-dev libsystemd-dev libssl-dev \
               postgresql git openssh-client curl ca-certificates systemd python3 \
               nftables iproute2 bubblewrap procps python3-venv python3-pip bc nodejs \
               pebble python3-websockets openssl chromium chromium-driver python3-selenium
# ...and what only `make bench` compares against or measures with...
BENCH_PACKAGES = nginx-light wrk
# ...and what `make deb` packages with.
DEB_PACKAGES = debhelper dpkg-dev lintian fakeroot
# ...and what `make e2e` boots it with.
E2E_PACKAGES = debootstrap systemd-container

.PHONY: all deps build run test test-swift test-integration bench deb e2e clean

all: build

deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

# PID 1 of every sandbox, also without libc: SwiftPM links glibc and the Swift runtime into its
# paastech-init (9.5 MB, 0.8 ms to start and run /bin/true here); this one is 9 KB and takes 0.5 ms.
# paastech prefers paastech-init-tiny next to itself (Sources/Sandbox/SandboxPaths.swift).
TINY_INIT = $(CC) -static -nostdlib -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
            -fno-stack-protector -fno-asynchronous-unwind-tables -Os -s -Wall -Wextra -DPAASTECH_INIT_NO_LIBC -o
INIT_SOURCE = Sources/paastech-init/init.c

build: deps
	$(SWIFT) build $(BUILD_FLAGS)
	$(TINY_INIT) "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/paastech-init-tiny" $(INIT_SOURCE)

run: build
	$(BINARY) dev --state-dir $(STATE_DIR)

# Speed targets, side by side with the alternatives (release build).
bench: deps
	@scripts/install-deps.sh $(BENCH_PACKAGES)
	$(SWIFT) build -c release
	$(TINY_INIT) .build/release/paastech-init-tiny $(INIT_SOURCE)
	.build/release/paastech bench sandbox --runs 200
	scripts/bench-push.sh .build/release/paastech
	scripts/bench-edge.sh .build/release/paastech

# The Debian package (dist/paastech_<version>_amd64.deb), checked with lintian.
deb: deps
	@scripts/install-deps.sh $(DEB_PACKAGES)
	TINY_INIT="$(TINY_INIT)" scripts/build-deb.sh

# The package in a booted Debian 12 (systemd-nspawn): install, every unit active, the edge serving,
# restarts, reinstall. Needs root and free ports 80, 443, 8081, 8082, 2222.
e2e: deb
	@scripts/install-deps.sh $(E2E_PACKAGES)
	scripts/e2e.sh dist/paastech_$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)_amd64.deb

# Swift Testing suites run against real PostgreSQL clusters they start themselves.
# The full log goes to .build/test.log; on failure the failed tests and their recorded issues are
# printed again at the end, where a CI log's tail shows them.
# Then the .deb in a booted Debian 12 (make e2e), when this machine allows it (scripts/e2e.sh --can-run:
# root, its ports free, the Debian archive in reach); otherwise it says why it was skipped.
test: build
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	@set -o pipefail; $(SWIFT) test --skip-build $(BUILD_FLAGS) 2>&1 | tee .build/test.log || { \
	  echo "==== failed tests and recorded issues (full log: .build/test.log) ===="; \
	  grep -a '✘' .build/test.log | head -80; \
	  exit 1; }
	@if reason=$$(scripts/e2e.sh --can-run); then $(MAKE) --no-print-directory e2e; else echo "make e2e skipped: $$reason"; fi

clean:
	rm -rf .build
