/*
 * Promela model of the mkh RPC protocol, as src/rpc, src/hal/ipi.cpp and src/kern implement
 * it (DESIGN.md §3). README.md in this directory maps every process and variable to the
 * C++, lists the properties and how they are checked, and how to run it (check.sh).
 * When the protocol changes, this model changes in the same commit.
 *
 * Processes (one per host thread, or per fiber of the server core's host thread):
 *   rpc_send(d)        a blocking client on its own core: one rpc_send (client.cpp)
 *   rpc_multicast()    (-DMULTICAST) a client posting one descriptor NPOSTS times
 *   service_waker()    the other cores that end the wait of an RPC thread blocked inside a
 *                      service: kern thread_unblock from another cluster
 *   the server core, ONE host thread running one fiber at a time:
 *     core_step()        the scheduler (machine.cpp loop + sched.cpp core_step): the
 *                        rpc_check scheduling-point hook, Sched::select, fiber resume
 *     idle_loop()        the idle thread (kern/cluster.cpp idle_loop, hal ipi_wait/ipi_take)
 *     rpc_thread_loop(t) the RPC threads of the pool, t = 0..NTHREADS-1 (server.cpp)
 *   m_current (Sched::m_current) names the fiber that holds the host thread; each of these
 *   processes is `provided (m_current == itself)`, so their steps never interleave with
 *   each other, only with the clients' and the waker's. sched_yield() = `m_current = SCHED`.
 *   end_state_check() asserts what must hold when everything has come to rest.
 *
 * Step granularity. Each step (atomic / d_step) holds at most ONE access to a variable that
 * another host thread also accesses (the FIFO's m_tail and slots, m_armed, the IPI line,
 * m_idle, the m_blocked words, the descriptors), as the C++ does it (one std::atomic
 * operation). The core-local state (m_owner, m_head, the idle list, the thread count,
 * m_current), process locals and ghost variables are folded into the neighbouring step.
 * The C++ accesses that order against each other are seq_cst loads/stores or RMWs, so
 * Promela's interleaving semantics is the C++ semantics for them. The few places that fold
 * two shared accesses into one step say why no other thread can tell the difference.
 *
 * Properties: 1 every request served exactly once; 2 every client returns; 3 the core never
 * sleeps for good with a request in its FIFO; 4 only the owner consumes, ownership is
 * never taken from a live owner and the owner never sleeps holding it; 5 nobody touches a
 * client's descriptor or a Thread after it may be gone. Assertions (marked "property n"),
 * end_state_check, invalid end states, and the two LTL formulas at the end.
 *
 * Switches (-D on the spin command line):
 *   MULTICAST      add the rpc_multicast client (descriptor 0); NCLIENTS then defaults to 1
 *   NCLIENTS=n     blocking rpc_send clients, 0..3 (default 3, or 1 with MULTICAST)
 *   NPOSTS=n       posts of the multicast (default 3)
 *   SVC_BLOCK=0    services never block (smaller state space, for some liveness runs)
 *   MAXBLOCKS=n    at most n services block in a run (default: any number)
 *   NESTED         a blocked service waits for a nested call that comes back to this core:
 *                  the waker ends it only once the FIFO is empty; one blocked at a time
 *                  (nesting shallower than the pool)
 *   POOL_BOUND=n   the pool's bound (default NTHREADS, the cap): with 1, a nested call
 *                  needs a second thread while the first waits in it (a fan-in wider
 *                  than the bound)
 *   CREATE_FAILS_ONCE  thread_create fails once (out of memory): rpc_check re-arms the
 *                  doorbell and the idle thread's wait is bounded until the retry (the
 *                  hang of README "Findings" without them)
 */

/* ------------------------------------------------------------------ configuration */
#ifdef MULTICAST
#define MC 1                /* descriptor 0: the multicast client's */
#ifndef NCLIENTS
#define NCLIENTS 1          /* blocking clients besides the multicast one */
#endif
#else
#define MC 0
#ifndef NCLIENTS
#define NCLIENTS 3          /* blocking clients (rpc_send) */
#endif
#endif
#ifndef NPOSTS
#define NPOSTS 3            /* rpc_multicast: n, response = n */
#endif
#define NDESC (MC + NCLIENTS)   /* descriptor d belongs to client d; its item (xptr) is d + 1 */
#ifndef SVC_BLOCK
#define SVC_BLOCK 1         /* 0: services never block (no ownership hand-over, no waker) */
#endif
#define NSLOTS 2            /* RemoteFifo::m_slots_nr (a power of two) */
#define MASK (NSLOTS - 1)   /* RemoteFifo::m_mask */
#define NTHREADS 2          /* RPC threads per core at most (kMaxRpcThreadsPerCore) */
#ifndef POOL_BOUND
#define POOL_BOUND NTHREADS /* RpcClusterState::m_pool_bound: RPC threads per core not */
#endif                      /* blocked inside a service */
#define BATCH 2             /* RpcClusterState::m_batch */

/* m_current values besides the RPC thread numbers 0..NTHREADS-1 */
#define IDLE_THREAD 100     /* Sched::m_idle: the idle thread */
#define SCHED 101           /* no fiber runs: the host thread is in core_step */
#define NONE 255            /* nullptr (m_owner) */
#ifdef NESTED                 /* -DNESTED: one service at a time blocks, on a nested call */
#define NESTED_ONE (((rpc_blocked[0] | rpc_blocked[1]) & BLOCKED_SVC) == 0)  /* back here */
#else
#define NESTED_ONE true
#endif
#define RPC_PID0 3          /* _pid of rpc_thread_loop(0), see init (a provided clause
                               cannot name a parameter) */

/* Thread::m_blocked causes */
#define BLOCKED_IDLE 1      /* THREAD_BLOCKED_IDLE: a parked RPC thread */
#define BLOCKED_SVC 2       /* what a service blocks on (RPC for a nested call, a lock...) */

/* rpc_check's bound: the threads blocked inside a service (rpc/server.cpp
 * blocked_in_service, which reads their m_blocked under the scheduler's lock: one step
 * with the rest of the hand-over) do not count, up to the cap */
#define IN_SERVICE(t) ((rpc_alive[t] && (rpc_blocked[t] & BLOCKED_SVC) != 0) -> 1 : 0)
#define POOL_FULL (m_threads_nr >= NTHREADS || m_threads_nr - IN_SERVICE(0) - IN_SERVICE(1) >= POOL_BOUND)

/* ------------------------------------------------------------------ shared state */
/* RemoteFifo of the server core (rpc/fifo.hpp) */
byte m_tail;                  /* RemoteFifo::m_tail: next position to claim */
byte slot_sequence[NSLOTS];   /* FifoSlot::sequence: == pos free, == pos + 1 published */
byte slot_item[NSLOTS];       /* FifoSlot::call: the call; the model keeps its descriptor's
                                 xptr (d + 1), 0 = none; its index and in-words travel
                                 with it and are not modelled */
bit  m_armed = 1;             /* RemoteFifo::m_armed: the doorbell */
byte m_head;                  /* RemoteFifo::m_head: the consumer's (server core's) */

/* IpiLine of the server core (hal/ipi.hpp) */
bit ipi_pending;              /* IpiLine::pending (the futex word) */
bit ipi_sleeping;             /* IpiLine::sleeping */
bit futex_waiting;            /* the host thread sleeps in FUTEX_WAIT on `pending` */

/* the server Core, its Sched and its RpcCoreState (kern/core.hpp, rpc/state.hpp) */
bit  m_idle;                  /* Core::m_idle */
bit  retry_soon;              /* Core::m_retry_soon: rpc_check could not create a thread */
byte m_current = SCHED;       /* Sched::m_current: which fiber holds the host thread */
byte rpc_blocked[NTHREADS];   /* Thread::m_blocked of the pool's RPC threads */
bit  rpc_alive[NTHREADS];     /* the Thread exists (thread_create .. thread_destroy) */
byte m_owner = NONE;          /* RpcCoreState::m_owner */
byte m_idle_nr;               /* RpcCoreState::m_idle_nr */
byte m_idle_list[NTHREADS];   /* RpcCoreState::m_idle[] */
byte m_threads_nr;            /* RpcCoreState::m_threads_nr */

/* the clients: descriptors (RpcDesc, on the client's stack), Thread::m_blocked & RPC */
byte desc_count[NDESC];       /* RpcDesc::response & kRpcResponseCount */
bit  desc_waiter[NDESC];      /* RpcDesc::response & kRpcResponseWaiter (same word) */
bit  client_blocked[NDESC];   /* client d's THREAD_BLOCKED_RPC bit */

/* ghost state (properties only) */
byte posted[NDESC];           /* items of descriptor d published in the FIFO */
byte served[NDESC];           /* items of descriptor d whose service ran */
bit  client_gone[NDESC];      /* client d returned: its descriptor is gone, the thread may go */
byte returned;                /* client calls that returned */
#ifdef CREATE_FAILS_ONCE
bit  create_fails = 1;        /* the next thread_create fails */
#endif
#ifdef MAXBLOCKS
byte blocks_left = MAXBLOCKS; /* services that may still block (-DMAXBLOCKS=n) */
#define MAY_BLOCK (blocks_left > 0)
#define BLOCKED_ONE blocks_left--
#else
#define MAY_BLOCK true
#define BLOCKED_ONE skip
#endif

#define fifo_ready (slot_sequence[m_head & MASK] == m_head + 1)   /* fifo.cpp fifo_ready */
#define runnable(t) (rpc_alive[t] && rpc_blocked[t] == 0)          /* sched.cpp is_runnable */
#define has_runnable (runnable(0) || runnable(1))                  /* Sched::has_runnable */

/* hal/ipi.cpp ipi_send (kern send_ipi): exchange(pending, 1), then load_sc(sleeping) and
 * FUTEX_WAKE when set. The load and the wake are one step: pending is 1 already, so a
 * sleeper entering FUTEX_WAIT in between returns at once anyway. */
#define IPI_SEND_WAKE  d_step { if :: ipi_sleeping != 0 -> futex_waiting = 0 :: else fi }

/* ------------------------------------------------------------------ clients */
/* rpc/fifo.cpp fifo_push, as used by client.cpp rpc_post (which copies the call out of
 * the descriptor: its xptr, index, flow and first in-argument words):
 *   position = load(tail); loop { sequence = load(slot.sequence);
 *     == position: cas(tail, position, position + 1) -> claimed, else position = load(tail)
 *     <  position: kFull;   > position: position = load(tail) }
 *   store(slot.call); exchange(slot.sequence, position + 1)     -- publish
 *   ring = load_sc(armed) != 0 && exchange(armed, 0) != 0       -- the doorbell
 * rpc_post: kQueuedRing -> send_ipi; kFull -> back off (sched_yield, cpu_relax: nothing
 * the model sees) and retry, or after `rounds` rounds fail with kAgain (here: at any round,
 * a nondeterministic choice). ITEM is the descriptor's xptr, d + 1. */
#define FIFO_PUSH(d, FULL_FAIL, QUEUED, RING)                              \
  position = m_tail;                                 /* load(tail) */                 \
fifo_push_claim:                                                                      \
  if                                                 /* load(slot.sequence) */        \
  :: atomic { slot_sequence[position & MASK] == position -> skip }                    \
  :: atomic { slot_sequence[position & MASK] > position -> skip }; goto fifo_push_reload \
  :: atomic { slot_sequence[position & MASK] < position -> position = 0 }; goto fifo_push_reload \
                                                     /* kFull: back off, retry */     \
  :: atomic { slot_sequence[position & MASK] < position -> position = 0 }; goto FULL_FAIL \
  fi;                                                                                 \
  if                                                                                  \
  :: atomic { m_tail == position -> m_tail = position + 1 }   /* cas(tail) succeeds */ \
  :: atomic { m_tail != position -> skip }; goto fifo_push_reload   /* cas fails */   \
  fi;                                                                                 \
  /* store(slot.call), exchange(slot.sequence, position + 1): one step, as nobody reads \
   * the call of a claimed slot before its sequence publishes it */                   \
  d_step {                                                                            \
    slot_item[position & MASK] = d + 1;                                               \
    slot_sequence[position & MASK] = position + 1;                                    \
    posted[d]++;                                                                      \
    position = 0                                                                      \
  }                                                                                   \
  /* load_sc(armed) != 0 && exchange(armed, 0) != 0, as one step: the load only decides  \
   * whether to exchange, and "exchange when 1" at the exchange's instant has the same   \
   * effect and result (the producer's state in between is its own) */                 \
  if                                                                                  \
  :: atomic { m_armed == 0 -> skip }; goto QUEUED           /* kQueued */             \
  :: atomic { m_armed != 0 -> m_armed = 0 }; goto RING      /* kQueuedRing */         \
  fi;                                                                                 \
fifo_push_reload:                                                                     \
  position = m_tail;                                 /* load(tail) */                 \
  goto fifo_push_claim

/* client.cpp wait_for_response(desc) (rpc/rpc.hpp explains the handshake):
 *   if (answered()) return; [RPC thread: rpc_thread_blocking]; spin on answered() while the
 *   core has nothing else to run and no server is this core; if (answered()) return;
 *   thread_block(self, RPC);
 *   loop { value = load(response); count 0: thread_unblock(self, RPC), return;
 *          cas(response, value, value | kRpcResponseWaiter) -> break }
 *   sched_yield() -- resumed once the last server has cleared the RPC cause
 * Nobody looks at the client's m_blocked before the waiter bit is set, so thread_block and
 * the self-unblock are invisible until the CAS: the model sets the RPC cause with the
 * successful CAS. The loads before it (answered(), the spin, value = load) and the CAS are
 * one step: only the last load decides, and a CAS that fails (a decrement came between)
 * just loads again, so "count 0: return, else set the waiter bit" at the CAS's instant has
 * the same outcomes. The client's core (its idle loop, the IPI of thread_unblock) runs the
 * handshake modelled for the server core below, so the yield is "until the RPC cause is
 * clear". */
#define WAIT_FOR_RESPONSE(d, DONE)                                                     \
  if                                                 /* load(response), cas(..., |W) */ \
  :: atomic { desc_count[d] == 0 -> skip }; goto DONE      /* answered: return */    \
  :: atomic { desc_count[d] != 0 ->                  /* waiter bit set, RPC cause set */ \
              assert(!desc_waiter[d]); desc_waiter[d] = 1; client_blocked[d] = 1 }     \
  fi;                                                                                 \
  atomic {                                           /* sched_yield(): resumed once */ \
    client_blocked[d] == 0;                          /* the RPC cause is clear */     \
    assert(desc_count[d] == 0)                       /* KASSERT(answered()) */        \
  };                                                                                  \
  goto DONE

/* client.cpp rpc_send, blocking: desc->response = 1 (done by init: nobody reads it before
 * the post publishes the item), rpc_post, wait_for_response. */
proctype rpc_send(byte d) {
  byte position;
  FIFO_PUSH(d, post_failed, wait_for_response, ring);
ring:
  ipi_pending = 1;                                   /* send_ipi: exchange(pending, 1) */
  IPI_SEND_WAKE;
wait_for_response:
  WAIT_FOR_RESPONSE(d, answered);
answered:
  atomic {
    assert(posted[d] == 1 && served[d] == 1);        /* property 1: served, once */
    client_gone[d] = 1; returned++                   /* returns: the descriptor is gone */
  };
  goto done;
post_failed:
  atomic {                                           /* rpc_post failed: kAgain */
    assert(posted[d] == 0 && served[d] == 0);
    client_gone[d] = 1; returned++
  };
done:
  skip
}

#ifdef MULTICAST
/* client.cpp rpc_multicast: response = n (by init); the n posts (rpc_post each); the
 * failed ones taken off the count (atomic_add: the waiter bit is not set yet); then
 * wait_for_response. The n posts all go to the modelled server core's FIFO. */
proctype rpc_multicast() {
  byte position, i, failed;
  FIFO_PUSH(0, post_failed, next_post, ring);
post_failed:
  failed++;
  goto next_post;
ring:
  ipi_pending = 1;                                   /* send_ipi */
  IPI_SEND_WAKE;
next_post:
  if
  :: atomic { i + 1 < NPOSTS -> i++; position = m_tail }; goto fifo_push_claim
  :: atomic { i + 1 >= NPOSTS && failed == 0 -> i = 0 }
  :: atomic { i + 1 >= NPOSTS && failed != 0 ->      /* atomic_add(response, -failed) */
       i = 0;
       assert(desc_count[0] >= failed && !desc_waiter[0]);
       desc_count[0] = desc_count[0] - failed }
  fi;
wait_for_response:
  WAIT_FOR_RESPONSE(0, answered);
answered:
  atomic {
    assert(posted[0] == NPOSTS - failed && served[0] == posted[0]);   /* property 1 */
    client_gone[0] = 1; returned++; failed = 0
  }
}
#endif

/* ------------------------------------------------------------------ service waker */
/* Another core ends the wait of an RPC thread blocked inside a service (a nested call's
 * response, a lock's release...): kern thread_unblock(thread, cause): load(thread->m_lid)
 * (folded: the thread is blocked, so nothing changes it), atomic_and(m_blocked, ~cause);
 * the thread is runnable now (a thread blocked in a service has no other cause), so
 * load_sc(core->m_idle), and send_ipi when set. */
#define WAKE(t) d_step { (rpc_blocked[t] & BLOCKED_SVC) != 0 && NESTED_DONE -> \
                         assert(rpc_blocked[t] == BLOCKED_SVC && rpc_alive[t]);   \
                         rpc_blocked[t] = 0 }
#ifdef NESTED
/* the service waits for a nested call that comes back to this core: it can end only once
 * this core's FIFO has been served (is empty) */
#define NESTED_DONE (m_tail == m_head)
#else
#define NESTED_DONE true
#endif
proctype service_waker() {
end_service_waker:
  if
  :: WAKE(0)
  :: WAKE(1)
  fi;
  if                                                 /* load_sc(core->m_idle) */
  :: atomic { m_idle == 0 -> skip }; goto end_service_waker
  :: atomic { m_idle != 0 -> skip }
  fi;
  ipi_pending = 1;                                   /* send_ipi */
  IPI_SEND_WAKE;
  goto end_service_waker
}

/* ------------------------------------------------------------------ server core: core_step */
/* The core's host thread: core_step = the rpc_check hook, Sched::select (a runnable RPC
 * thread, else the idle thread), resume that fiber until it yields. Sched::select is
 * round robin; the model picks any runnable RPC thread (a superset of behaviours). */
/* property 4: at every scheduling point the FIFO's owner (if any) can run: an RPC thread
 * never sleeps holding the ownership (it gives it up before it blocks) */
#define OWNER_RUNNABLE  assert(m_owner == NONE || runnable(m_owner))
#define SELECT(cond)                                                                  \
  :: atomic { cond && runnable(0) -> OWNER_RUNNABLE; m_current = 0 }; goto end_core_step \
  :: atomic { cond && runnable(1) -> OWNER_RUNNABLE; m_current = 1 }; goto end_core_step \
  :: atomic { cond && !runnable(0) && !runnable(1) -> OWNER_RUNNABLE;                 \
              m_current = IDLE_THREAD }; goto end_core_step

proctype core_step() provided (m_current == SCHED) {
  byte t;
end_core_step:
  retry_soon = 0;                                    /* rpc_check: m_retry_soon = 0 */
  if
  /* rpc_check: m_owner != nullptr -> return; then Sched::select */
  SELECT(m_owner != NONE)
  /* rpc_check: fifo_ready: load_sc(sequence) */
  :: atomic { m_owner == NONE && fifo_ready -> skip }; goto handover
  :: atomic { m_owner == NONE && !fifo_ready -> skip }
  fi;
  /* nothing to serve: if the doorbell is armed (relaxed load), return; else
   * fifo_arm_and_recheck: store(armed, 1), fifo_ready */
  if
  :: atomic { m_armed != 0 -> skip }; goto sched_select
  :: atomic { m_armed == 0 -> skip }
  fi;
  m_armed = 1;
  if
  :: atomic { fifo_ready -> skip }; goto handover
  :: atomic { !fifo_ready -> skip }; goto sched_select
  fi;
handover:
  atomic {
    if
    :: m_idle_nr > 0 ->
       m_idle_nr--; t = m_idle_list[m_idle_nr]; m_idle_list[m_idle_nr] = 0;   /* unpark */
       assert(m_owner == NONE);                      /* property 4 */
       m_owner = t;                                  /* take_ownership */
       /* thread_unblock(t, IDLE): only this core touches a parked thread's m_blocked
        * (it has no other cause), and m_idle is 0 while core_step runs: no IPI */
       assert(rpc_blocked[t] == BLOCKED_IDLE && m_idle == 0);
       rpc_blocked[t] = 0;
       m_armed = 0                                   /* take_ownership: fifo_disarm */
    :: m_idle_nr == 0 && POOL_FULL ->
       skip                                          /* pool exhausted: requests wait */
#ifdef CREATE_FAILS_ONCE
    :: m_idle_nr == 0 && !POOL_FULL && create_fails ->
       create_fails = 0;                             /* fails (no memory): */
       m_armed = 1;                                  /*   fifo_arm_and_recheck (its look is */
       retry_soon = 1                                /*   moot: the core retries anyway), and
                                                        m_retry_soon = 1 */
#endif
    :: m_idle_nr == 0 && !POOL_FULL ->
       /* thread_create(RPC, rpc_thread_loop): registered, runnable; thread_make's
        * load_sc(m_idle) is 0 here: no IPI */
       if :: !rpc_alive[0] -> t = 0 :: else -> t = 1 fi;
       assert(!rpc_alive[t] && rpc_blocked[t] == 0 && m_idle == 0);
       rpc_alive[t] = 1;
       m_threads_nr++;
       assert(m_owner == NONE);                      /* property 4 */
       m_owner = t;                                  /* take_ownership */
       m_armed = 0                                   /*   fifo_disarm */
    fi;
    t = 0
  }
sched_select:
  if
  SELECT(true)
  fi
}

/* ------------------------------------------------------------------ server core: idle_loop */
/* kern/cluster.cpp idle_loop with hal ipi_wait and ipi_take. The spin phase of ipi_wait
 * (poll `pending` for idle_spin_us) is left out: it returns early only in states where the
 * sleep phase returns without sleeping. */
proctype idle_loop() provided (m_current == IDLE_THREAD) {
end_idle_loop:
  m_idle = 1;                                        /* store(m_idle, 1, seq_cst) */
  if                                                 /* Sched::has_runnable: load_sc */
  :: atomic { has_runnable -> skip }; goto idle_wake
  :: atomic { !has_runnable -> skip }
  fi;
  ipi_sleeping = 1;                                  /* ipi_wait: store(sleeping, 1) */
  do
  :: ipi_pending != 0 -> break                       /* load(pending, seq_cst) != 0 */
  :: retry_soon -> break                             /* the timed futex wait (kRetrySleepNs)
                                                        of a core with work to retry ends */
  :: atomic { ipi_pending == 0 && !retry_soon -> futex_waiting = 1 };   /* futex_wait(&pending, 0): the
                                                        load and the futex's own check of
                                                        pending == 0 as one step */
end_futex_wait:
     futex_waiting == 0                              /* FUTEX_WAKE */
  od;
  ipi_sleeping = 0;                                  /* store(sleeping, 0) */
idle_wake:
  m_idle = 0;                                        /* store(m_idle, 0, seq_cst) */
  if                                                 /* ipi_take: load(pending), */
  :: atomic { ipi_pending != 0 -> skip };            /*   then exchange(pending, 0) */
     atomic { ipi_pending = 0; m_current = SCHED }   /* sched_yield */
  :: atomic { ipi_pending == 0 -> m_current = SCHED }
  fi;
  goto end_idle_loop
}

/* ------------------------------------------------------------------ server core: RPC thread */
/* server.cpp rpc_thread_loop with serve_batch, poll_for_work, park, rpc_serve, and
 * sched_yield's RPC blocking hook (rpc_thread_blocking -> release_ownership). The process
 * sits at end_rpc_thread_loop while the thread does not exist; a new thread starts there,
 * and the thread resumes there after its kBatchDone and park yields (the loop top). */

/* Not the owner: leave when the pool has a parked thread already (the fiber returns and
 * core_step destroys the thread), else park(s, self) + thread_block(self, IDLE) + the
 * sched_yield (whose rpc_thread_blocking does nothing: not the owner). The atomic_or on
 * m_blocked is folded in: the waker only touches a thread with the service cause. */
#define NOT_OWNER(L1, L2)                                                             \
  if                                                                                  \
  :: m_idle_nr >= 1 ->                                                                \
     assert(m_owner != self);                                                         \
     m_threads_nr--;                                                                  \
     rpc_alive[self] = 0;                                                             \
     m_current = SCHED;                                                               \
L1:  goto end_rpc_thread_loop                                                         \
  :: m_idle_nr == 0 ->                                                                \
     assert(m_owner != self);                                                         \
     m_idle_list[m_idle_nr] = self; m_idle_nr++;                                      \
     rpc_blocked[self] = BLOCKED_IDLE;                                                \
     m_current = SCHED;                                                               \
L2:  goto end_rpc_thread_loop                                                         \
  fi

/* fifo_pop: load_sc(sequence); if published: copy the call, then store(sequence, pos +
 * mask + 1) (free for the next lap) and m_head++, in the same step (the consumer's state
 * in between is seen by nobody). The server runs the service on that copy: it touches the
 * descriptor only to complete the call. */
#define FIFO_POP                                                                      \
  if                                                                                  \
  :: fifo_ready ->                                                                    \
     item = slot_item[m_head & MASK];                                                 \
     assert(item != 0);                            /* property 1: real, unconsumed */ \
     slot_item[m_head & MASK] = 0;                 /* ghost: a 2nd pop would read 0 */ \
     slot_sequence[m_head & MASK] = m_head + NSLOTS;                                  \
     m_head++                                                                         \
  :: else -> item = 0                              /* XPTR_NULL */                    \
  fi

#define OTHER (1 - self)

proctype rpc_thread_loop(byte self) provided (m_current + RPC_PID0 == _pid) {
  byte item, served_b, d;
  bit wake;
end_rpc_thread_loop:
  atomic {
    assert(_pid == self + RPC_PID0 && rpc_alive[self]);
    if
    :: m_owner == NONE -> m_owner = self; m_armed = 0   /* take_ownership: fifo_disarm */
    :: m_owner == self -> skip
    :: else -> NOT_OWNER(end_left0, end_parked0)
    fi
  }
serve_next:
  /* ---- serve_batch(s, self, batch): the loop, from the end of rpc_serve on */
  atomic {
    if
    :: wake ->                                       /* completion, end: only after the */
       /* decrement that saw the waiter bit: client = load(desc->thread), then
        * thread_unblock(client, RPC): load(m_lid), atomic_and(m_blocked, ~RPC) (the loads
        * are folded: the client is blocked, nothing changes its descriptor or thread);
        * then load_sc(the client core's m_idle) and IPI it: the client cores are not
        * modelled */
       assert(!client_gone[d] && client_blocked[d]); /* property 5: blocked, so its */
                                                     /* descriptor and thread are alive */
       client_blocked[d] = 0;
       wake = 0;
       d = 0;
       goto serve_next
    :: else
    fi;
    d = 0;
    if
    :: m_owner != self ->                            /* kLostOwnership (after rpc_serve) */
       served_b = 0;
       NOT_OWNER(end_left1, end_parked1)
    :: m_owner == self && served_b == BATCH ->       /* kBatchDone: sched_yield, owner kept */
       served_b = 0;
       m_current = SCHED;
end_batch_done:
       goto end_rpc_thread_loop
    :: m_owner == self && served_b < BATCH ->
       assert(m_owner == self);                      /* property 4: only the owner pops */
       FIFO_POP
    fi
  }
  /* ---- rpc_serve(call): rpc_dispatch runs the service on the call; the descriptor is
   * written at completion only (results, error, the decrement) */
  if
  :: d_step {                                        /* the service runs to its end, then */
       item != 0 ->
       d = item - 1; item = 0;
       assert(!client_gone[d] && served[d] < posted[d]);   /* property 1: no duplicate */
       served[d]++;
       served_b++;
       /* completion: atomic_add(response, ~0u); the last response wakes the client only
        * if its waiter bit was set (and only then reads the descriptor again: wake) */
       assert(desc_count[d] > 0);
       wake = (desc_count[d] == 1 && desc_waiter[d]);
       desc_count[d]--
     }; goto serve_next
  :: d_step {                                        /* the service blocks: thread_block */
       SVC_BLOCK && item != 0 && NESTED_ONE && MAY_BLOCK ->
       BLOCKED_ONE;
       d = item - 1; item = 0;
       assert(!client_gone[d] && served[d] < posted[d]);
       served[d]++;
       served_b++;
       rpc_blocked[self] = rpc_blocked[self] | BLOCKED_SVC
     }
     /* sched_yield(): an RPC thread with m_blocked != 0 calls rpc_thread_blocking(self):
      * the owner releases ownership: fifo_arm_and_recheck (store(armed, 1); the result is
      * not used), m_owner = nullptr */
     if                                              /* load(m_blocked) */
     :: atomic { rpc_blocked[self] != 0 && m_owner == self -> m_owner = NONE };
        atomic { m_armed = 1; m_current = SCHED }
     :: atomic { rpc_blocked[self] != 0 && m_owner != self -> m_current = SCHED }
     :: atomic { rpc_blocked[self] == 0 -> m_current = SCHED }     /* woken already */
     fi;
     goto service_resumed
  :: d_step {                                        /* the service makes a nested rpc_send */
       SVC_BLOCK && item != 0 && NESTED_ONE && MAY_BLOCK ->
       BLOCKED_ONE;
       d = item - 1; item = 0;
       assert(!client_gone[d] && served[d] < posted[d]);
       served[d]++;
       served_b++;
       /* wait_for_response: not answered yet; an RPC thread calls rpc_thread_blocking
        * before it spins: the owner releases ownership (no scheduling point) */
       if :: m_owner == self -> m_owner = NONE :: else fi
     }
     m_armed = 1;                                    /* release_ownership: arm_and_recheck */
     if
     :: goto service_done                            /* answered while it spun */
     :: d_step {                                     /* thread_block, waiter bit, then the */
          rpc_blocked[self] = rpc_blocked[self] | BLOCKED_SVC;   /* sched_yield (the hook: */
          m_current = SCHED                          /* not the owner any more) */
        }
     fi;
     /* resumed by core_step: the service's wait ends, its cause is clear */
service_resumed:
service_done:
     atomic {                                        /* completion, as above */
       assert(rpc_blocked[self] == 0 && !client_gone[d] && desc_count[d] > 0);
       wake = (desc_count[d] == 1 && desc_waiter[d]);
       desc_count[d]--
     }; goto serve_next
  /* XPTR_NULL: kDrained. poll_for_work: when idle_spin_ns != 0 and no other thread of the
   * core is runnable (has_runnable(self): load_sc of its m_blocked), poll fifo_ready until
   * the deadline, with the doorbell disarmed; found -> continue (loop top: owner, new
   * batch). One step: the has_runnable check and the poll's last, successful fifo_ready
   * (the thread's state in between is its own; a poll that ends at the deadline is the
   * second option). */
  :: atomic { item == 0 && !runnable(OTHER) && fifo_ready -> served_b = 0 }; goto serve_next
  :: atomic { item == 0 -> skip }                    /* no poll, or the deadline */
  fi;
  m_armed = 1;                                       /* fifo_arm_and_recheck: store(armed) */
  if                                                 /*   fifo_ready: load_sc(sequence) */
  :: atomic { fifo_ready -> skip };
     atomic { m_armed = 0; served_b = 0 }; goto serve_next    /* fifo_disarm; continue */
  :: atomic {
       !fifo_ready ->
       served_b = 0;
       m_owner = NONE;                               /* s.m_owner = nullptr */
       NOT_OWNER(end_left2, end_parked2)             /* then: park, or leave */
     }
  fi;
}

/* ------------------------------------------------------------------ end state */
/* Runs only when no other process can move (timeout): the system is at rest. */
proctype end_state_check() {
  timeout;
  assert(returned == NDESC);                         /* property 2: every client returned */
  assert(m_tail == m_head);                          /* property 3: the FIFO is empty */
  assert(!has_runnable && futex_waiting)             /* the core sleeps, nothing to run */
}

init {
  byte d;
  atomic {
    slot_sequence[1] = 1;                            /* fifo_init: slot i sequence = i */
    /* rpc_core_init: the pool's first RPC thread, created at boot and parked (it has
     * never run: unparked, it starts at the top of rpc_thread_loop as the owner) */
    rpc_alive[0] = 1;
    rpc_blocked[0] = BLOCKED_IDLE;
    m_idle_list[0] = 0;
    m_idle_nr = 1;
    m_threads_nr = 1;
    do
    :: d < NDESC ->
       desc_count[d] = (d < MC -> NPOSTS : 1);       /* desc->response = n, or 1: set by */
       d++                                           /* the client before its first post */
    :: else -> break
    od;
    d = 0;
    run core_step();                                 /* _pid 1 */
    run idle_loop();                                 /* _pid 2 */
    run rpc_thread_loop(0);                          /* _pid 3 = RPC_PID0 */
    run rpc_thread_loop(1);                          /* _pid 4 */
    run service_waker();
    run end_state_check();
#ifdef MULTICAST
    run rpc_multicast();                             /* descriptor 0 */
#endif
#if NCLIENTS > 0
    run rpc_send(MC);
#endif
#if NCLIENTS > 1
    run rpc_send(MC + 1);
#endif
#if NCLIENTS > 2
    run rpc_send(MC + 2);
#endif
  }
}

/* ------------------------------------------------------------------ LTL, under weak fairness */
/* pan -a -f -N <name> */
ltl all_return { <> (returned == NDESC) }                                      /* property 2 */
ltl no_sleep_with_work { [] <> !(futex_waiting && m_tail != m_head) }         /* property 3 */
