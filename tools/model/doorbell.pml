/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * doorbell.pml - the spin-then-sleep doorbell of kipc's rings, as lib/
 * implements it, for spin to check exhaustively (tools/model/check.sh;
 * README.md there maps every statement to its line of lib/).
 *
 * One ring, a producer and a consumer, both directions of waiting: the
 * consumer for data (cons.waiting), the producer for room (prod.need).
 * Memory is x86-TSO: every store goes into its process's FIFO store buffer
 * and a flusher process makes the oldest one visible at some later step;
 * loads read memory (no side ever loads what it stores itself, so store
 * forwarding never matters); a full fence waits for the buffer to drain.
 * Kicks and sleeps are NOT treated as fences, although the kernel's locks
 * are: the model relies only on the library's own fences.
 *
 * A doorbell is one bit (an eventfd edge pending in the waiter's
 * edge-triggered epoll): kicks merge, a sleep or a bell reset takes the
 * edge, a kick before the sleep makes the sleep return at once.
 * Either process may be killed at any step (the Reaper, at most one): its
 * stores drain (the CPU empties its buffer), then the GONE bit is set and
 * wakes the survivor (the kernel's state word / the socket's hang-up,
 * which is in every bell epoll).
 *
 * Property: the producer sends NMSG messages and stays alive, the consumer
 * receives NMSG and stays alive; a survivor drains and stops. A process
 * blocked for good (asleep, never woken) is an invalid end state.
 *
 * -DNO_FENCE=k removes fence k (1: kipc_ring_cons_prepare_wait, 2:
 * kipc_ring_prod_should_kick, 3: kipc_ring_prod_prepare_wait, 4:
 * kipc_ring_cons_should_kick); spin must then find a lost wake-up.
 */
#ifndef NMSG
#define NMSG	3
#endif
#ifndef RING
#define RING	2	/* ring size in message spans */
#endif
#ifndef NO_FENCE
#define NO_FENCE 0
#endif
#define BATCH	2	/* rx->batch, in message spans */
#define NEED	1	/* kipc_ring_need(): one message's span */
#define SB	4	/* store buffer depth (asserted, never reached) */

#define HEAD	0
#define NEEDV	1
#define TAIL	2
#define WAITING	3

/* Shared memory: kipc_prod {head, need}, kipc_cons {tail, waiting}. */
byte head, need, tail, waiting;
/* Doorbells: an edge pending in the consumer's data bell, the producer's
 * room bell (shm: bell[0], bell[1]; dev: the connection's poll).
 */
bit bell_data, bell_room;
/* The peer state the survivor sees: producer gone, consumer gone. */
bit gone_p, gone_c;
bit kill_p, kill_c;

chan sb_p = [SB] of { byte, byte };
chan sb_c = [SB] of { byte, byte };

inline commit(v, x)
{
	if
	:: v == HEAD -> head = x
	:: v == NEEDV -> need = x
	:: v == TAIL -> tail = x
	:: v == WAITING -> waiting = x
	fi
}

inline store(sb, v, x)
{
	assert(nfull(sb));
	sb!v,x
}

/* A process dies: the CPU drains its store buffer, then the kernel (or the
 * socket's hang-up) publishes GONE.
 */
inline die(sb, gone)
{
	atomic {
		do
		:: sb?dv,dx -> commit(dv, dx)
		:: empty(sb) -> break
		od;
		gone = 1;
		dv = 0; dx = 0
	}
}

proctype Flusher(chan sb)
{
	byte v, x;
end:	do
	:: atomic { sb?v,x -> commit(v, x); v = 0; x = 0 }
	od
}

active proctype Reaper()
{
	if
	:: kill_p = 1
	:: kill_c = 1
	:: skip
	fi
}

/* ------------------------------------------------------------------ */
/* Producer: kipc_send() with KIPC_MORE on all but the last message.   */

/* tx_publish(): kipc_ring_publish + kipc_ring_prod_should_kick + kick. */
inline tx_publish()
{
	if
	:: pub != pos ->
		store(sb_p, HEAD, pos);
		pub = pos;
#if NO_FENCE != 2
		empty(sb_p);		/* should_kick: seq_cst fence */
#endif
		w = waiting;
		if
		:: w -> bell_data = 1	/* ops->kick */
		:: else
		fi;
		w = 0
	:: else
	fi
}

/* kipc_ring_prod_free(r, true): load-acquire tail. */
inline prod_refresh()
{
	seen = tail;
	avail = RING - (pos - seen)
}

/* kipc_ring_reserve(): cached room, then a fresh tail if short. */
inline reserve()
{
	avail = RING - (pos - seen);
	if
	:: avail < NEED -> prod_refresh()
	:: else
	fi
}

/* kipc_ring_prod_prepare_wait(): 1 (fits) clears need again, 0 sleeps. */
inline prod_prepare_wait()
{
	store(sb_p, NEEDV, NEED);
#if NO_FENCE != 3
	empty(sb_p);
#endif
	prod_refresh();
	if
	:: avail >= NEED -> store(sb_p, NEEDV, 0); ret = 1
	:: else -> ret = 0
	fi
}

proctype Producer()
{
	byte pos, pub, seen, avail, sent, w, dv, dx;
	bit armed, ret;

	{
top:
	do
	:: sent == NMSG -> break
	:: else ->
		/* tx_reserve(): the state words first */
		if
		:: gone_c -> goto done		/* -EPIPE */
		:: else
		fi;
		reserve();
		if
		:: avail >= NEED -> skip
		:: else ->
			/* kipc__tx_reserve_slow() */
			tx_publish();
			do
			:: gone_c -> goto done	/* -EPIPE */
			:: else ->
				reserve();
				if
				:: avail >= NEED -> break
				:: else
				fi;
				if
				:: /* blocking: prepare_wait, sleep_on(POLLOUT) */
					prod_prepare_wait();
					if
					:: ret -> goto slow_next
					:: else
					fi;
					atomic { (bell_room || gone_c) -> bell_room = 0 };
					store(sb_p, NEEDV, 0)	/* finish_wait */
				:: /* KIPC_NONBLOCK: tx_arm, -EAGAIN, poll(kipc_fd()) */
					bell_room = 0;		/* ops->bell_reset */
					if
					:: gone_c -> goto slow_next
					:: else
					fi;
					prod_prepare_wait();
					if
					:: ret -> goto slow_next
					:: else
					fi;
					armed = 1;
					if
					:: gone_c -> goto slow_next
					:: else
					fi;
					(bell_room || gone_c);	/* poll: level, takes nothing */
					goto top		/* the caller sends again */
				fi;
slow_next:			skip
			od
		fi;
		/* reserved: tx_disarm() */
		if
		:: armed -> store(sb_p, NEEDV, 0); armed = 0
		:: else
		fi;
		/* kipc_ring_commit(), then KIPC_MORE or tx_publish() */
		pos++;
		sent++;
		if
		:: sent < NMSG -> skip		/* KIPC_MORE */
		:: true -> tx_publish()
		fi
	od
	} unless { kill_p -> die(sb_p, gone_p) };
done:	skip
}

/* ------------------------------------------------------------------ */
/* Consumer: kipc_recv().                                              */

/* rx_release(): kipc_ring_release + kipc_ring_cons_should_kick + kick. */
inline rx_release()
{
	if
	:: pub != pos ->
		store(sb_c, TAIL, pos);
		pub = pos;
#if NO_FENCE != 4
		empty(sb_c);		/* should_kick: seq_cst fence */
#endif
		n = need;
		if
		:: n && (n > RING || RING - (seen - pub) >= n) ->
			bell_room = 1	/* ops->kick */
		:: else
		fi;
		n = 0
	:: else
	fi
}

/* kipc_ring_cons_refresh(): load-acquire head. */
inline cons_refresh()
{
	seen = head
}

/* kipc_ring_cons_prepare_wait(): 1 (data) clears waiting again, 0 sleeps. */
inline cons_prepare_wait()
{
	if
	:: seen != pos -> ret = 1
	:: else ->
		store(sb_c, WAITING, 1);
#if NO_FENCE != 1
		empty(sb_c);
#endif
		cons_refresh();
		if
		:: seen != pos -> store(sb_c, WAITING, 0); ret = 1
		:: else -> ret = 0
		fi
	fi
}

proctype Consumer()
{
	byte pos, pub, seen, got, n, dv, dx;
	bit armed, ret;

	{
top:
	do
	:: got == NMSG -> break
	:: else ->
		/* kipc_ring_peek(): a fresh head only when all seen is read */
		if
		:: seen == pos -> cons_refresh()
		:: else
		fi;
		if
		:: seen != pos ->
			/* rx_next(): rx_disarm(), then rx_consume() */
			if
			:: armed -> store(sb_c, WAITING, 0); armed = 0
			:: else
			fi;
			pos++;
			got++;
			if
			:: pos - pub >= BATCH ||
			   (seen - pub >= RING / 2 && need) -> rx_release()
			:: else
			fi
		:: else ->
			/* kipc__rx_wait() */
			skip;
			if
			:: pos - pub >= BATCH || need -> rx_release()
			:: else
			fi;
			do
			:: gone_p ->
				cons_refresh();
				if
				:: seen != pos -> goto top	/* drain */
				:: else -> goto done		/* end-of-stream */
				fi
			:: else ->
				if
				:: /* blocking: release, prepare_wait, sleep_on(POLLIN) */
					skip;
					rx_release();
					cons_prepare_wait();
					if
					:: ret -> goto top
					:: else
					fi;
					atomic { (bell_data || gone_p) -> bell_data = 0 };
					store(sb_c, WAITING, 0);	/* finish_wait */
					cons_refresh();
					if
					:: seen != pos -> goto top
					:: else
					fi
				:: /* KIPC_NONBLOCK: rx_arm, -EAGAIN, poll(kipc_fd()) */
					skip;
					rx_release();
					bell_data = 0;		/* ops->bell_reset */
					if
					:: gone_p -> goto rx_next_iter
					:: else
					fi;
					cons_prepare_wait();
					if
					:: ret -> goto top
					:: else
					fi;
					armed = 1;
					if
					:: gone_p -> goto rx_next_iter
					:: else
					fi;
					(bell_data || gone_p);	/* poll: level, takes nothing */
					goto top		/* the caller receives again */
				fi;
rx_next_iter:			skip
			od
		fi
	od
	} unless { kill_c -> die(sb_c, gone_c) };
done:	skip
}

init {
	atomic {
		run Flusher(sb_p);
		run Flusher(sb_c);
		run Producer();
		run Consumer()
	}
}
