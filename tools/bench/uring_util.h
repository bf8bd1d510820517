/* SPDX-License-Identifier: GPL-2.0 */
/* What the two io_uring mechanisms share. */
#ifndef KIPC_BENCH_URING_UTIL_H
#define KIPC_BENCH_URING_UTIL_H

#include "bench.h"

#ifdef BENCH_HAVE_URING
#include <liburing.h>

/* NULL if io_uring (and 'opcode', if >= 0) works here, else why not. */
const char *bench_uring_unavailable(int opcode);
#endif
#define BENCH_URING_MISSING "built without liburing: apt-get install liburing-dev, then rebuild"

#endif
