// SPDX-License-Identifier: GPL-2.0
/* Every mechanism, in the order the table shows them: floors first. */
#include <string.h>

#include "bench.h"

extern const struct bench_mech bench_mech_cacheline, bench_mech_cacheline_ro,
	bench_mech_payload_floor,
	bench_mech_payload_walk,
	bench_mech_spsc, bench_mech_eventfd, bench_mech_pipe,
	bench_mech_fifo, bench_mech_unix_stream, bench_mech_unix_seqpacket,
	bench_mech_unix_dgram, bench_mech_tcp, bench_mech_posix_mq, bench_mech_shm_condvar,
	bench_mech_shm_eventfd, bench_mech_mmap_file, bench_mech_uring_sock,
	bench_mech_uring_msgring, bench_mech_dbus, bench_mech_boost_mq, bench_mech_iceoryx,
	bench_mech_kipc_dev, bench_mech_kipc_dev_zc, bench_mech_kipc_shm,
	bench_mech_kipc_shm_zc, bench_mech_kipc_uds;

const struct bench_mech *const bench_mechs[] = {
	&bench_mech_cacheline,
	&bench_mech_cacheline_ro,
	&bench_mech_payload_floor,
	&bench_mech_payload_walk,
	&bench_mech_spsc,
	&bench_mech_eventfd,
	&bench_mech_pipe,
	&bench_mech_fifo,
	&bench_mech_unix_stream,
	&bench_mech_unix_seqpacket,
	&bench_mech_unix_dgram,
	&bench_mech_tcp,
	&bench_mech_posix_mq,
	&bench_mech_shm_condvar,
	&bench_mech_shm_eventfd,
	&bench_mech_mmap_file,
	&bench_mech_uring_sock,
	&bench_mech_uring_msgring,
	&bench_mech_dbus,
	&bench_mech_boost_mq,
	&bench_mech_iceoryx,
	&bench_mech_kipc_dev,
	&bench_mech_kipc_dev_zc,
	&bench_mech_kipc_shm,
	&bench_mech_kipc_shm_zc,
	&bench_mech_kipc_uds,
	NULL,
};

const struct bench_mech *bench_find_mech(const char *name)
{
	int i;

	for (i = 0; bench_mechs[i]; i++)
		if (!strcmp(bench_mechs[i]->name, name))
			return bench_mechs[i];
	return NULL;
}
