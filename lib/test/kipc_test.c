// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkipc conformance suite: the public API only (kipc.h, kipc_ring.h and
 * the uapi header; this folder builds without lib/ on its include path).
 * One run per transport: KIPC_TRANSPORT=dev, shm or uds (unset: automatic).
 * TAP output, last line "N passed, N failed, N skipped".
 *
 * Usage: kipc_test [TEST|GROUP...]   (no argument: all tests). A group is
 * one file of this folder, one concern each, named by the file; the tests
 * that need the library's internals (hostile and old peers) are the
 * kipc_hostile suite, in hostile/.
 *
 * Sizes: KIPC_TEST_MSGS, _BIG, _HOSTILE, _KILLS, _WAKES (harness.c has
 * their defaults, the counts); KIPC_TEST_TIMEOUT_SCALE (default 1)
 * multiplies every test's time limit.
 */
#include "harness.h"

extern const struct test_group growth_group, ring_cap_group, basic_group,
	cred_group, errors_group, ring_state_group, eos_group, poll_group,
	nokick_group, listener_group, ring_protocol_group, ring_sweep_group,
	wait_group, threads_group, lifecycle_group, perm_group, kill_group,
	stream_group, leftovers_group;

/* The long ones late; leftovers last, to see what the others left. */
TEST_MAIN(&growth_group, &ring_cap_group, &basic_group, &cred_group,
	  &errors_group, &ring_state_group, &eos_group, &poll_group,
	  &nokick_group, &listener_group, &ring_protocol_group,
	  &ring_sweep_group, &lifecycle_group, &perm_group, &wait_group,
	  &threads_group, &kill_group, &stream_group, &leftovers_group)
