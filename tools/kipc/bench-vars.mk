# SPDX-License-Identifier: GPL-2.0
# Read alongside tools/bench/Makefile (make -f Makefile -f bench-vars.mk) to
# learn which objects make up the bench engine and what they link against,
# without repeating tools/bench's lists here: `kipc bench` is kipc-bench
# minus its main.o.
.PHONY: kipc-bench-objs kipc-bench-libs
kipc-bench-objs:
	@echo $(filter-out main.o,$(DRIVER) $(MECHS) $(ENGINE))
kipc-bench-libs:
	@echo $(BENCH_LIBS) $(LDLIBS)
