// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * ABI growth (issue 9, section 1): a caller built against the 1.0
 * layouts, a caller whose struct ends early, and a driver that lacks a
 * feature the library needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kipc.h>

#include "harness.h"

/* struct kipc_opts as the 1.0 header has it, copied here: a caller built
 * against that header must keep working with every later library.
 */
struct kipc_opts_1_0 {
	size_t size;
	unsigned int flags;
	unsigned int transport;
	uint32_t ring_bytes;
	uint32_t mode;
	int backlog;
	int wait_policy;
	unsigned int spin_ns;
	int timeout_ms;
};

static void t_opts_1_0(void)
{
	struct kipc_opts_1_0 o = { .size = sizeof(o) };
	struct pair p;

	CHECK_EQ(sizeof(o), 40);
	o.transport = (unsigned int)env_transport();
	o.ring_bytes = 8192;
	o.timeout_ms = T_MS;
	pair_open(&p, (const struct kipc_opts *)&o, (const struct kipc_opts *)&o);
	/* ring_bytes came through: 8 KiB rings carry at most 4088 bytes. */
	if (ring_transport(p.c))
		CHECK_EQ(kipc_msg_max(p.c), 8192 / 2 - 8);
	send_ok(p.c, "1.0", 3);
	recv_is(p.s, "1.0", 3);
	pair_close(&p);
}

/* A struct that ends early (libbpf's OPTS_GET): what it lacks is default. */
static void t_opts_short(void)
{
	struct kipc_listener *l;
	struct kipc_opts o;
	struct pair p;

	opts_init(&o);
	o.ring_bytes = 8192;	/* beyond the size below: not read */
	o.size = offsetof(struct kipc_opts, ring_bytes);
	pair_open(&p, &o, &o);
	if (ring_transport(p.c))
		CHECK(kipc_msg_max(p.c) > 8192 / 2);	/* the default ring */
	send_ok(p.c, "short", 5);
	recv_is(p.s, "short", 5);
	pair_close(&p);
	/* Only the size itself is required. */
	o.size = sizeof(o.size);
	CHECK_OK(kipc_listen(new_name(), &o, &l));
	kipc_listener_close(l);
	o.size = 4;
	CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);
}

/*
 * The driver plays an older one without KIPC_F_POLL_NEED (its test hook
 * feature_mask): forced onto dev the library fails with -EPROTONOSUPPORT
 * and a message naming the feature; automatic, it falls back to the
 * socket transports. Needs the driver and root (the VM).
 */
static void missing_feature_child(void *a)
{
	struct kipc_listener *l;
	struct kipc_conn *c;
	struct kipc_opts o;
	struct pair p;
	int ret;

	(void)a;
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_DEV;
	ret = kipc_listen(new_name(), &o, &l);
	CHECK_EQ(ret, -EPROTONOSUPPORT);
	CHECK(strstr(kipc_strerror(ret), "KIPC_F_POLL_NEED"));
	CHECK_EQ(kipc_connect(new_name(), &o, &c), -EPROTONOSUPPORT);

	o.transport = KIPC_TRANSPORT_AUTO;
	unsetenv("KIPC_TRANSPORT");
	pair_open(&p, &o, &o);
	CHECK(kipc_transport(p.c) != KIPC_TRANSPORT_DEV);
	send_ok(p.c, "fb", 2);
	recv_is(p.s, "fb", 2);
	pair_close(&p);
}

static void t_dev_missing_feature(void)
{
	with_feature_hidden(KIPC_F_POLL_NEED, missing_feature_child);
}

TEST_GROUP(growth,
	{ "opts_1_0", t_opts_1_0, 30 },
	{ "opts_short", t_opts_short, 30 },
	{ "dev_missing_feature", t_dev_missing_feature, 30 });
