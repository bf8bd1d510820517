# SPDX-License-Identifier: GPL-2.0
#
# kipc: kernel-assisted shared-memory IPC. See README.
#
#   make run     build everything, load the driver (in the VM where this
#                kernel cannot load modules) and compare kipc with the
#                classic IPC mechanisms
#   make check   build everything and run every test, host and VM
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
	checkpatch clean

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

clean:
	-$(MAKE) -C lib clean
	-$(MAKE) -C tools clean
	rm -rf build
