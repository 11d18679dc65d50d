# minictr — build, test, demo, bench.  See README.md.
#
#   make               build build/minictr (only builds: scripts/install-deps.sh
#                      build, or scripts/demo.sh / scripts/test.sh, install
#                      the libraries; make deps does too)
#   make test          unit + host integration + pure cgroup v2 VM suites
#   make check-asan    the unit and host suites against an ASan+UBSan build
#   make demo          import the built-in busybox image and show it
#   make bench         bench/*.sh: timings side by side with LXC and plain tools,
#                      container-to-container TCP beside host loopback, and
#                      DENSITY_N (200; 1000 for the full run) containers on
#                      one host (bench/density.sh, CSV and plot in bench/results)
#   make bench-ab REV=R  this tree's build against revision R's, interleaved
#                      in one run (bench/ab.sh: before/after of a change)
#   make install       PREFIX=/usr/local DESTDIR=

CC       ?= gcc
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
BUILDDIR ?= build
SANITIZE ?= 0
DENSITY_N ?= 200
V        ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Linked: what every command needs (libmnl: netlink, ~26 kB).  Loaded with
# dlopen() by lib/dl.c on first use (headers only at build time): what
# only image commands and network commands (libnftables) need, and sd-bus
# (libsystemd), which only a container start on a systemd host needs.
PKGS    := yaml-0.1 jansson libcap libseccomp libmnl
DL_PKGS := libarchive libsquashfs1 libcrypto libssl libnftables libsystemd libwebsockets

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wformat-security -Wvla \
	-Wimplicit-fallthrough -Wpointer-arith -Wcast-align -Wundef \
	-Wnull-dereference -Wwrite-strings

ifeq ($(SANITIZE),1)
OPT      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
SAN_LD   := -fsanitize=address,undefined
else
OPT      := -O2 -g -D_FORTIFY_SOURCE=2
SAN_LD   :=
endif

# What the code needs, then the user's CFLAGS/LDFLAGS/LDLIBS (make
# CFLAGS=-O0 adds to these, it does not replace them).  pkg-config runs
# when a rule needs the flags (recursive `=`), not when the Makefile is
# read: `make deps all` on a bare machine sees the libraries it installed.
CFLAGS   ?=
LDFLAGS  ?=
LDLIBS   ?=
MC_CFLAGS  = -std=gnu11 $(OPT) $(WARNINGS) -fstack-protector-strong \
	-fstack-clash-protection -D_GNU_SOURCE -I. \
	$(shell pkg-config --cflags $(PKGS) $(DL_PKGS) 2>/dev/null) $(CFLAGS)
MC_LDFLAGS = $(SAN_LD) -Wl,-z,relro,-z,now $(LDFLAGS)
MC_LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(LDLIBS)

LIB_SRCS := $(wildcard lib/*.c runtime/*.c runtime/*/*.c images/*.c api/*.c)
CLI_SRCS := $(wildcard cli/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILDDIR)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILDDIR)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILDDIR)/tests/%)

FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIBSRCS := lib/cleanup.c lib/error.c lib/utils.c lib/yamltree.c \
	runtime/template.c images/metadata.c images/archive.c images/fingerprint.c lib/dl.c \
	images/oci.c images/docker_archive.c runtime/oci/bundle.c

.PHONY: all deps deps-test deps-bench test check-unit check-host check-vm \
	check-asan demo install clean lint bench bench-ab fuzz

all: $(BUILDDIR)/minictr

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

deps-bench:
	@scripts/install-deps.sh bench

# Shipped profiles (profiles/*.yaml) are compiled in (runtime/config/profiles.c).
SHIPPED_PROFILES := $(sort $(wildcard profiles/*.yaml))
build-gen/shipped-profiles.h: $(SHIPPED_PROFILES) Makefile
	@mkdir -p $(dir $@)
	$(Q)for f in $(SHIPPED_PROFILES); do \
		n=$$(basename $$f .yaml); \
		echo "  { \"$$n\","; \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $$f; \
		echo "  },"; \
	done > $@.tmp && mv $@.tmp $@

$(BUILDDIR)/runtime/config/profiles.o: build-gen/shipped-profiles.h

build-gen/sonames.h: scripts/gen-sonames.sh Makefile
	@mkdir -p $(dir $@)
	$(Q)scripts/gen-sonames.sh > $@.tmp && mv $@.tmp $@

$(BUILDDIR)/lib/dl.o: build-gen/sonames.h

$(BUILDDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(MC_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILDDIR)/libminictr.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILDDIR)/minictr: $(CLI_OBJS) $(BUILDDIR)/libminictr.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(MC_LDFLAGS) -o $@ $(CLI_OBJS) $(BUILDDIR)/libminictr.a $(MC_LDLIBS)

$(BUILDDIR)/tests/%: tests/unit/%.c $(BUILDDIR)/libminictr.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(MC_CFLAGS) -Wno-missing-prototypes -MMD -MP $(MC_LDFLAGS) -o $@ $< \
		$(BUILDDIR)/libminictr.a $(MC_LDLIBS) -lcmocka

# A static probe run inside containers: exits with the errno of one syscall.
$(BUILDDIR)/tests/syscall-probe: tests/probe/syscall-probe.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ $<

# The security suite's probe: one escape attempt per run, exits with errno.
$(BUILDDIR)/tests/escape-probe: tests/probe/escape-probe.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ $<

# LD_PRELOAD shim: mount_setattr fails with ENOSYS (shifted-copy fallback).
$(BUILDDIR)/tests/no_idmap.so: tests/preload/no_idmap.c
	@mkdir -p $(dir $@)
	$(Q)gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

# LD_PRELOAD shim: openat2 fails with ENOSYS (`minictr file` fallback).
$(BUILDDIR)/tests/no_openat2.so: tests/preload/no_openat2.c
	@mkdir -p $(dir $@)
	$(Q)gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

# Both ends of proxy devices' traffic, static for a busybox rootfs.
$(BUILDDIR)/tests/sock-probe: tests/probe/sock-probe.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ $<

# A hostile container root's CVE-2019-5736 attempt: a preloaded library
# and the writer it starts (dynamic: the container gets minictr's libraries).
$(BUILDDIR)/tests/hostile-exe.so: tests/probe/hostile-exe.c
	@mkdir -p $(dir $@)
	$(Q)gcc -shared -fPIC -O2 -DPRELOAD -Wall -Wextra -Werror -o $@ $<

$(BUILDDIR)/tests/hostile-writer: tests/probe/hostile-exe.c
	@mkdir -p $(dir $@)
	$(Q)gcc -O2 -Wall -Wextra -Werror -o $@ $<

TEST_HELPERS := $(BUILDDIR)/tests/syscall-probe $(BUILDDIR)/tests/escape-probe $(BUILDDIR)/tests/sock-probe \
	$(BUILDDIR)/tests/no_idmap.so \
	$(BUILDDIR)/tests/no_openat2.so \
	$(BUILDDIR)/tests/hostile-exe.so $(BUILDDIR)/tests/hostile-writer

unit-bins: $(UNIT_BINS) $(TEST_HELPERS)

# Every suite prints TAP; tests/run.sh counts it and ends with the
# "N passed, N failed" line.
test: deps-test all unit-bins $(FUZZ_BINS)
	@BUILDDIR=$(BUILDDIR) tests/run.sh lint unit fuzz host host-lxd-ids vm vm-systemd

check-unit: deps-test all unit-bins
	@BUILDDIR=$(BUILDDIR) tests/run.sh unit

check-host: deps-test all $(TEST_HELPERS)
	@BUILDDIR=$(BUILDDIR) tests/run.sh host

check-vm: deps-test all $(TEST_HELPERS)
	@BUILDDIR=$(BUILDDIR) tests/run.sh vm vm-systemd

check-asan: deps-test
	@$(MAKE) --no-print-directory BUILDDIR=build-asan SANITIZE=1 all unit-bins
	@BUILDDIR=build-asan tests/run.sh unit host

demo:
	@BUILDDIR=$(BUILDDIR) scripts/demo.sh

bench: deps-bench all
	@BUILDDIR=$(BUILDDIR) bench/image-import.sh
	@BUILDDIR=$(BUILDDIR) bench/lifecycle.sh
	@BUILDDIR=$(BUILDDIR) bench/exec-files.sh
	@BUILDDIR=$(BUILDDIR) bench/network.sh
	@BUILDDIR=$(BUILDDIR) bench/api.sh
	@BUILDDIR=$(BUILDDIR) bench/oci.sh
	@BUILDDIR=$(BUILDDIR) DENSITY_N=$(DENSITY_N) bench/density.sh

bench-ab: deps-bench all
	@test -n "$(REV)" || { echo "make bench-ab: REV=<revision to compare with> is required" >&2; exit 2; }
	@BUILDDIR=$(BUILDDIR) bench/ab.sh "$(REV)"

lint: deps-test
	@tests/run.sh lint

# libFuzzer targets for the parsers of untrusted input (clang only).
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIBSRCS) build-gen/sonames.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined $(WARNINGS) \
		-Wno-unknown-warning-option -D_GNU_SOURCE -I. \
		$(shell pkg-config --cflags $(PKGS) $(DL_PKGS) 2>/dev/null) \
		-o $@ $(filter %.c,$^) $(MC_LDLIBS)

fuzz: deps-test $(FUZZ_BINS)
	@tests/run.sh fuzz

install: all
	install -D -m 0755 $(BUILDDIR)/minictr $(DESTDIR)$(BINDIR)/minictr
	ln -sf minictr $(DESTDIR)$(BINDIR)/minictr-runc
	sed 's|/usr/local/bin/minictr|$(BINDIR)/minictr|' contrib/systemd/minictr-boot.service \
		> $(BUILDDIR)/minictr-boot.service
	install -D -m 0644 $(BUILDDIR)/minictr-boot.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/minictr-boot.service
	sed 's|/usr/local/bin/minictr|$(BINDIR)/minictr|' contrib/systemd/minictr-snapshots.service \
		> $(BUILDDIR)/minictr-snapshots.service
	install -D -m 0644 $(BUILDDIR)/minictr-snapshots.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/minictr-snapshots.service
	install -D -m 0644 contrib/systemd/minictr-snapshots.timer \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/minictr-snapshots.timer
	sed 's|/usr/local/bin/minictr|$(BINDIR)/minictr|' contrib/systemd/minictr.service \
		> $(BUILDDIR)/minictr.service
	install -D -m 0644 $(BUILDDIR)/minictr.service $(DESTDIR)$(PREFIX)/lib/systemd/system/minictr.service
	install -D -m 0644 contrib/systemd/minictr.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/minictr.socket
	install -D -m 0644 contrib/systemd/minictr.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/minictr.conf
	@# The socket's group, made now (a package leaves it to systemd-sysusers).
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(PREFIX)/lib/sysusers.d/minictr.conf; fi

clean:
	rm -rf build build-asan build-fuzz build-gen

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_BINS:=.d)
