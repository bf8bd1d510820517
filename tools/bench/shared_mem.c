// SPDX-License-Identifier: GPL-2.0
/* Shared memory for the mechanisms that set it up before the fork. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

void *bench_shared_alloc(struct bench_run *r, size_t bytes)
{
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		bench_fail(r, "mmap %zu shared bytes: %s", bytes, strerror(errno));
		return NULL;
	}
	return mem;
}

void bench_shared_prefault(void *mem, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
	/* no page fault in a timed section; best effort (Linux 5.14+) */
	madvise(mem, bytes, MADV_POPULATE_WRITE);
#else
	(void)mem;
	(void)bytes;
#endif
}
