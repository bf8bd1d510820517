// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "uring_util.h"

#ifdef BENCH_HAVE_URING
const char *bench_uring_unavailable(int opcode)
{
	static char why[160];
	struct io_uring_probe *probe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0) {
		snprintf(why, sizeof(why), "io_uring_setup: %s%s", strerror(-ret),
			 ret == -EPERM ? " (kernel.io_uring_disabled?)" : "");
		return why;
	}
	ret = 0;
	if (opcode >= 0) {
		probe = io_uring_get_probe_ring(&ring);
		ret = !probe || !io_uring_opcode_supported(probe, opcode);
		if (probe)
			io_uring_free_probe(probe);
	}
	io_uring_queue_exit(&ring);
	if (ret) {
		snprintf(why, sizeof(why), "this kernel's io_uring lacks opcode %d", opcode);
		return why;
	}
	return NULL;
}
#endif
