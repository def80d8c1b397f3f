# Nox: build the Debian package and check the systemd units.
#
#   make deb           dist/nox_VERSION_ARCH.deb (runs the Swift release build first)
#   make deb NOX_BINARY=path/to/nox    pack an already built (or stub) binary instead
#                      (and the noxctl beside it, or NOXCTL_BINARY=path/to/noxctl)
#   make lint          lintian on that .deb, failing on errors and warnings
#   make check-units   systemd-analyze verify (any output fails) and security
#                      (exposure <= NOX_MAX_EXPOSURE), sysusers.d and tmpfiles.d offline
#   make clean
#
# Adding a daemon NAME: systemd/nox-NAME.{service,socket} and nox-NAME-varlink.socket,
# NAME in NOX_DAEMONS here and in packaging/debian/rules, its sockets in
# systemd/nox.target's Wants=, its user in systemd/sysusers.d/nox.conf, its
# credentials directory in systemd/tmpfiles.d/nox.conf, its routes in
# packaging/nginx/nox and packaging/caddy/Caddyfile.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

NOX_DAEMONS := auth files exec metrics
# Each runs as its own system user nox-NAME (nox-exec is root without capabilities: see its unit).
NOX_UNPRIVILEGED_DAEMONS := auth files metrics

VERSION := $(shell dpkg-parsechangelog -l packaging/debian/changelog -S Version)
ARCH := $(shell dpkg --print-architecture)
DEB := dist/nox_$(VERSION)_$(ARCH).deb

SWIFT ?= swift
# BIND_NOW as hardening=+all would give a C program (lintian: hardening-no-bindnow).
SWIFT_BUILD_FLAGS := -c release --static-swift-stdlib --product nox -Xlinker -z -Xlinker now
NOX_BINARY ?= .build/release/nox
# The CLI, a binary of its own built with the same flags; by default beside NOX_BINARY, so
# `make deb NOX_BINARY=.build-x/debug/nox` packs .build-x/debug/noxctl with it.
NOXCTL_BUILD_FLAGS := $(subst --product nox,--product noxctl,$(SWIFT_BUILD_FLAGS))
NOXCTL_BINARY ?= $(dir $(NOX_BINARY))noxctl

# systemd-analyze security's overall exposure, times ten (20 = 2.0).
NOX_MAX_EXPOSURE := 20

UNITS := $(wildcard systemd/*.service systemd/*.socket systemd/*.target systemd/*.slice)
SERVICES := $(notdir $(wildcard systemd/*.service))
CHECK_ROOT := .build-units

.PHONY: all deb binary lint check-units clean

all: deb

# The Swift build runs only when NOX_BINARY is left at its default.
binary:
ifeq ($(origin NOX_BINARY),file)
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)
	$(SWIFT) build $(NOXCTL_BUILD_FLAGS)
else
	@test -x "$(NOX_BINARY)" || { echo "NOX_BINARY=$(NOX_BINARY) is not an executable file" >&2; exit 1; }
	@test -x "$(NOXCTL_BINARY)" || { echo "NOXCTL_BINARY=$(NOXCTL_BINARY) is not an executable file (build the noxctl product too, or pass NOXCTL_BINARY)" >&2; exit 1; }
endif

deb: binary
	rm -rf debian
	cp -r packaging/debian debian
	dpkg-checkbuilddeps
	mkdir -p dist
	rm -f dist/nox_$(VERSION)_$(ARCH).deb dist/nox-dbgsym_$(VERSION)_$(ARCH).deb
	debian/rules binary NOX_BINARY="$(abspath $(NOX_BINARY))" NOXCTL_BINARY="$(abspath $(NOXCTL_BINARY))" NOX_DEB_DESTDIR="$(abspath dist)"
	@ls -l dist/nox_$(VERSION)_$(ARCH).deb

lint:
	@test -f "$(DEB)" || { echo "$(DEB) is missing: run make deb first" >&2; exit 1; }
	lintian --fail-on error,warning --display-info "$(DEB)"

# An offline root for systemd-analyze: the host's units plus ours, a stand-in
# binary (verify checks ExecStart= exists), and Debian's base users and groups
# (tmpfiles.d names www-data).
check-units:
	rm -rf $(CHECK_ROOT)
	mkdir -p $(CHECK_ROOT)/lib/systemd $(CHECK_ROOT)/usr/lib/nox $(CHECK_ROOT)/etc
	cp -a /lib/systemd/system $(CHECK_ROOT)/lib/systemd/
	cp $(UNITS) $(CHECK_ROOT)/lib/systemd/system/
	printf '#!/bin/sh\nexit 0\n' > $(CHECK_ROOT)/usr/lib/nox/nox
	chmod 0755 $(CHECK_ROOT)/usr/lib/nox/nox
	for d in $(NOX_DAEMONS); do ln -s nox $(CHECK_ROOT)/usr/lib/nox/nox-$$d; done
	cp /usr/share/base-passwd/passwd.master $(CHECK_ROOT)/etc/passwd
	cp /usr/share/base-passwd/group.master $(CHECK_ROOT)/etc/group
	mkdir -p $(CHECK_ROOT)/usr/lib/sysusers.d $(CHECK_ROOT)/usr/lib/tmpfiles.d
	cp systemd/sysusers.d/nox.conf $(CHECK_ROOT)/usr/lib/sysusers.d/nox.conf
	cp systemd/tmpfiles.d/nox.conf $(CHECK_ROOT)/usr/lib/tmpfiles.d/nox.conf
	@echo "== every daemon has its units, and nox.target wants its sockets"
	grep -qx 'NOX_DAEMONS = $(NOX_DAEMONS)' packaging/debian/rules || { echo "NOX_DAEMONS differs in packaging/debian/rules" >&2; exit 1; }
	for d in $(NOX_DAEMONS); do \
	  for u in nox-$$d.service nox-$$d.socket nox-$$d-varlink.socket; do \
	    test -f systemd/$$u || { echo "systemd/$$u is missing" >&2; exit 1; }; \
	  done; \
	  for u in nox-$$d.socket nox-$$d-varlink.socket; do \
	    grep -Eq "^Wants=(.* )?$$u( |$$)" systemd/nox.target || { echo "nox.target does not want $$u" >&2; exit 1; }; \
	  done; \
	done
	@echo "== systemd-analyze verify (any output fails)"
	out=$$(systemd-analyze verify --root=$(abspath $(CHECK_ROOT)) --man=no $(notdir $(UNITS)) 2>&1) || { echo "$$out"; exit 1; }; \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@echo "== systemd-analyze security (exposure <= $(NOX_MAX_EXPOSURE)/10)"
	for s in $(SERVICES); do \
	  systemd-analyze security --offline=yes --root=$(abspath $(CHECK_ROOT)) --threshold=$(NOX_MAX_EXPOSURE) --no-pager $$s \
	    > $(CHECK_ROOT)/security-$$s.txt 2>&1 || { cat $(CHECK_ROOT)/security-$$s.txt; exit 1; }; \
	  grep 'Overall exposure' $(CHECK_ROOT)/security-$$s.txt; \
	done
	@echo "== systemd-sysusers --root"
	systemd-sysusers --root=$(abspath $(CHECK_ROOT)) nox.conf
	grep -q '^nox:' $(CHECK_ROOT)/etc/group
	for d in $(NOX_UNPRIVILEGED_DAEMONS); do \
	  grep -q "^nox-$$d:x:[0-9]*:[0-9]*:[^:]*:/var/lib/nox/$$d:/usr/sbin/nologin$$" $(CHECK_ROOT)/etc/passwd; \
	  grep -Eq "^nox:x:[0-9]+:(.*,)?nox-$$d(,|$$)" $(CHECK_ROOT)/etc/group; \
	done
	@echo "== systemd-tmpfiles --root --create"
	systemd-tmpfiles --root=$(abspath $(CHECK_ROOT)) --create nox.conf
	gid() { awk -F: -v n="$$1" '$$1 == n { print $$3 }' $(CHECK_ROOT)/etc/group; }; \
	expect() { got=$$(stat -c '%a %u %g' "$(CHECK_ROOT)$$1"); want="$$2 0 $$(gid $$3)"; \
	  [ "$$got" = "$$want" ] || { echo "$$1: mode uid gid $$got, want $$want ($$3)" >&2; exit 1; }; }; \
	expect /run/nox 755 root; \
	expect /run/nox/http 750 www-data; \
	expect /run/nox/ipc 750 nox; \
	expect /var/lib/nox 755 root; \
	uid() { awk -F: -v n="$$1" '$$1 == n { print $$3 }' $(CHECK_ROOT)/etc/passwd; }; \
	got=$$(stat -c '%a %u %g' $(CHECK_ROOT)/var/lib/nox/users); want="2770 $$(uid nox-files) $$(gid nox-run)"; \
	[ "$$got" = "$$want" ] || { echo "/var/lib/nox/users: mode uid gid $$got, want $$want" >&2; exit 1; }; \
	expect /etc/nox 755 root; \
	expect /etc/nox/nox.d 755 root; \
	expect /etc/nox/credentials 700 root; \
	expect /etc/nox/credentials/auth 700 root
	@echo "check-units: all passed"

clean:
	rm -rf debian dist $(CHECK_ROOT)
