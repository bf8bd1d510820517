// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkipc's hostile-peer suite: the tests that need the library's
 * internals (lib/internal.h's test hooks, struct kipc_wire), to play a
 * peer that breaks the protocol, or an older library or driver. Linked
 * with libkipc.a (the hooks are hidden in the .so). Run like kipc_test:
 * KIPC_TRANSPORT=dev|shm|uds, kipc_hostile [TEST|GROUP...].
 */
#include "../harness.h"

extern const struct test_group peer_group, handshake_group, pages_group,
	formats_group, linger_group, leftovers_group;

TEST_MAIN(&peer_group, &handshake_group, &pages_group, &formats_group,
	  &linger_group, &leftovers_group)
