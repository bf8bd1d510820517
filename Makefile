# SPDX-License-Identifier: GPL-2.0
#
# kipc: kernel-assisted shared-memory IPC. See README.
#
#   make run     build everything, load the driver (in the VM where this
#                kernel cannot load modules) and compare kipc with the
#                classic IPC mechanisms
#   make check   build everything and run every test, host and VM
#
#   make install / uninstall   the library, headers, kipc.pc, the kipc
#                command and every man page; PREFIX (default /usr/local),
#                DESTDIR, BINDIR, LIBDIR, INCLUDEDIR, PKGCONFIGDIR, MANDIR
#   make modules_install       kipc.ko into $(DESTDIR)/lib/modules/KVER/updates
#   make install-driver / uninstall-driver   the udev rule and modprobe.d file
#                (UDEVRULESDIR, MODPROBEDIR; default /etc/udev/rules.d and
#                /etc/modprobe.d)
#   make install-dkms / uninstall-dkms       the driver's source for DKMS
#                in $(DESTDIR)/usr/src/kipc-VERSION (DKMSSRCDIR)
#   make deb     the Debian packages into build/deb/ (packaging/deb.sh)
#   make deb-test  make deb, then install, test and purge them (root)
#
# Both install what they need first (Debian packages, as root).
# KERNEL_SERIES=6.12 picks the other supported kernel, KDIR/KERNEL any
# other one (tools/vm/kernel.sh).

KDIR ?= $(shell tools/vm/kernel.sh kdir)
# Each kernel's build in its own folder, build/kmod/KVER (kernel.sh ko), made
# of links to kmod/: kbuild writes next to its sources, and two kernels'
# builds must not overwrite each other's kipc.ko.
KMOD_OUT = $(patsubst %/,%,$(dir $(shell KDIR=$(KDIR) tools/vm/kernel.sh ko)))
KBUILD_ARGS = -C $(KDIR) M=$(KMOD_OUT) CONFIG_KIPC=m \
	KIPC_UAPI=$(CURDIR)/include/uapi

.PHONY: all deps deps-debug kmod-tree module sparse print-kmod-srcs lib selftests tools run check check-debug \
	checkpatch clean install uninstall modules_install install-driver \
	uninstall-driver install-dkms uninstall-dkms deb deb-test install-prereqs check-kcsan

all: module lib selftests tools examples

deps:
	tools/vm/install-deps.sh

deps-debug:
	tools/vm/install-deps.sh --debug-kernel

kmod-tree:
	@mkdir -p $(KMOD_OUT)
	@for f in kmod/Kbuild kmod/*.c kmod/*.h; do \
		ln -sfn $(CURDIR)/$$f $(KMOD_OUT)/; done
	@for l in $(KMOD_OUT)/*.[ch]; do \
		[ -e "$$l" ] || rm -f "$$l"; done

# Warnings fail the driver build, as -Werror does everywhere else.
module: kmod-tree
	$(MAKE) $(KBUILD_ARGS) KCFLAGS=-Werror modules

# Sparse over every driver file (C=2 checks even up-to-date objects).
sparse: kmod-tree
	$(MAKE) $(KBUILD_ARGS) C=2 modules

# The driver's own sources, not kbuild's generated kipc.mod.c.
KMOD_SRCS = $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h))

print-kmod-srcs:
	@echo $(KMOD_SRCS)

CHECKPATCH = perl $$(tools/ksrc.sh)/scripts/checkpatch.pl --no-tree --strict \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG

# The uapi header's layout static asserts are C11 _Static_assert, which
# checkpatch takes for CamelCase.
checkpatch:
	$(CHECKPATCH) -f $(KMOD_SRCS)
	$(CHECKPATCH) --ignore CAMELCASE -f include/uapi/linux/kipc.h

# The libraries, plus the statically linked suite the VM runs.
lib:
	$(MAKE) -C lib all vm-tests

selftests:
	$(MAKE) -C selftests

tools: lib
	$(MAKE) -C tools

# examples/ against the tree's libkipc, dynamic and static (for the VM).
.PHONY: examples
examples: lib
	$(MAKE) -C examples all static

run: deps
	tools/run.sh

check: deps
	tools/check.sh

# The VM suite on the cached KASAN/lockdep/kmemleak kernel (its packages
# installed and the kernel built on first use, about 30 minutes on two
# cores); it fails rather than run on any other kernel.
check-debug: deps-debug
	tools/check.sh --debug-kernel

# The race suite and the stress test on the KCSAN kernel (opt-in, cached
# apart from check-debug's: KCSAN cannot share a kernel with KASAN).
check-kcsan: deps-debug
	tools/check.sh --kcsan-kernel

# Installing: the layout is the FHS one; Debian's multiarch library folder
# is LIBDIR=/usr/lib/x86_64-linux-gnu (debian/rules passes it).
VERSION := $(shell sed -n 's/^VERSION := //p' lib/Makefile)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
UDEVRULESDIR ?= /etc/udev/rules.d
MODPROBEDIR ?= /etc/modprobe.d
DKMSSRCDIR ?= /usr/src/kipc-$(VERSION)
INSTALL_VARS = PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR) \
	PKGCONFIGDIR=$(PKGCONFIGDIR) DESTDIR=$(DESTDIR)
# Every page of sections 1, 3 and 7 under man/ (any depth) and kipc(1):
# a new page is installed without an edit here.
MANPAGES = $(sort $(shell find man -name '*.[137]' 2> /dev/null) tools/kipc/kipc.1)

# What install needs, without the VM's static suites that `make lib` adds.
install-prereqs:
	$(MAKE) -C lib all
	$(MAKE) -C tools

install: install-prereqs
	$(MAKE) -C lib $(INSTALL_VARS) install
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 build/tools/kipc $(DESTDIR)$(BINDIR)/kipc
	@set -e; for f in $(MANPAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${f##*.}; \
		echo "install -m 0644 $$f $$d/"; \
		install -d $$d; install -m 0644 $$f $$d/; done

uninstall:
	$(MAKE) -C lib $(INSTALL_VARS) uninstall
	rm -f $(DESTDIR)$(BINDIR)/kipc
	@for f in $(MANPAGES); do \
		p=$(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/}; \
		echo "rm -f $$p"; rm -f $$p; done

# kbuild's own: INSTALL_MOD_PATH is the root, depmod runs where the kernel
# tree has a System.map (a headers package has none: run depmod -a after).
# The module is signed only where the tree holds its signing key (a kernel
# built here); a distribution's headers do not, and the module stays
# unsigned, as `make module` leaves it.
MODULE_SIGN_ARGS = $(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)

modules_install: module
	$(MAKE) $(KBUILD_ARGS) $(MODULE_SIGN_ARGS) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates modules_install

# The packages built, installed, tested and purged (packaging/deb-test.sh;
# as root; it installs into this system for a minute).
deb-test: deb
	packaging/deb-test.sh

# /dev/kipc for group kipc, mode 0660 (the driver's own default is 0666:
# access control is per listener); the module parameters' file.
install-driver:
	install -D -m 0644 packaging/udev/60-kipc.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-kipc.rules
	install -D -m 0644 packaging/modprobe.d/kipc.conf \
		$(DESTDIR)$(MODPROBEDIR)/kipc.conf

uninstall-driver:
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-kipc.rules \
	      $(DESTDIR)$(MODPROBEDIR)/kipc.conf

# What DKMS builds from: dkms.conf, kmod/ and the uapi header, in the
# layout kmod/Kbuild expects (../include/uapi next to kmod/).
DKMS_FILES = $(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) kmod/Kbuild \
	include/uapi/linux/kipc.h

build/dkms/dkms.conf: packaging/dkms.conf.in lib/Makefile
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/' $< > $@

install-dkms: build/dkms/dkms.conf
	@set -e; for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSSRCDIR)/$$f; done
	install -m 0644 $< $(DESTDIR)$(DKMSSRCDIR)/dkms.conf

uninstall-dkms:
	rm -rf $(DESTDIR)$(DKMSSRCDIR)

deb:
	packaging/deb.sh

clean:
	-$(MAKE) -C lib clean
	-$(MAKE) -C tools clean
	rm -rf build
