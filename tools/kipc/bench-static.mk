# SPDX-License-Identifier: GPL-2.0
# tools/bench/Makefile run in another directory (build/bench-static): the
# sources are found through vpath, the objects are made here. The optional
# peers are switched off by tools/Makefile on the command line.
BENCH_SRC ?= $(error set BENCH_SRC to tools/bench)
vpath %.c $(BENCH_SRC)
vpath %.cpp $(BENCH_SRC)
include $(BENCH_SRC)/Makefile

# The objects `kipc bench` links (tools/Makefile passes the list).
.PHONY: kipc-bench-static-objs
kipc-bench-static-objs: $(KIPC_BENCH_OBJS)
