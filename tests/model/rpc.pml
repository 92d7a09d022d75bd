/*
 * Promela model of the mkh RPC protocol, as src/rpc, src/hal/ipi.cpp and src/kern implement
 * it (DESIGN.md §3). See README.md in this directory for the mapping, the properties and how
 * to run it (check.sh). When the protocol changes, this model changes in the same commit.
 *
 * What runs concurrently (one Promela process per host thread, or per fiber of one):
 *   rpc_send(d)      client threads, each on its own core (host thread): one blocking call
 *   rpc_multicast()  (MULTICAST mode) one client posting the same descriptor NPOSTS times
 *   service_waker()  the other cores that end an RPC thread's wait inside a service
 *                    (thread_unblock from another cluster)
 *   the server core: ONE host thread that runs, one at a time, the fibers
 *     core_step()       the scheduler loop (machine.cpp core loop + sched.cpp core_step):
 *                       rpc_check hook, Sched::select, fiber resume
 *     idle_loop()       the idle thread (kern/cluster.cpp idle_loop + hal ipi_wait/ipi_take)
 *     rpc_thread_loop(t) the RPC threads of the pool (server.cpp rpc_thread_loop)
 *   `m_current` (Sched::m_current) says which of them holds the host thread; each of these
 *   processes is `provided (m_current == me)`, so their steps never interleave with each
 *   other, only with the clients' and the waker's; sched_yield() is `m_current = SCHED`.
 *
 * Granularity: every statement that touches a variable shared with another host thread
 * (FIFO slots, m_tail, m_armed, the IPI line, m_idle, m_blocked words, descriptors) is its
 * own step, one C++ atomic access per step; steps touching only core-local state (m_owner,
 * m_head, the idle list, thread counts) are merged with a neighbouring step (atomic). All
 * the modelled C++ accesses that order against each other are seq_cst or RMWs, so the
 * interleaving (sequentially consistent) semantics of Promela is the C++ semantics here.
 *
 * Switches (-D on the spin command line):
 *   MULTICAST       the multicast mode instead of NCLIENTS blocking rpc_send clients
 *   NCLIENTS=n      blocking clients (default 3)
 *   NPOSTS=n        posts of the multicast (default 3)
 *   FIX_REARM       proposed fix 1: rpc_check re-arms the doorbell when it finds no owner
 *                   and the head slot not published (see README "Findings")
 *   FIX_LID_FIRST   proposed fix 2: thread_unblock reads the thread's m_lid before the
 *                   atomic_and that lets the thread run (and possibly exit)
 */

/* ------------------------------------------------------------------ configuration */
#ifndef NCLIENTS
#define NCLIENTS 3          /* blocking clients (rpc_send) */
#endif
#ifndef NPOSTS
#define NPOSTS 3            /* rpc_multicast: n (response = n) */
#endif
#define NSLOTS 2            /* RemoteFifo::m_slots_nr (a power of two) */
#define MASK (NSLOTS - 1)   /* RemoteFifo::m_mask */
#define NTHREADS 2          /* RpcClusterState::m_pool_bound: RPC threads per core */
#define BATCH 2             /* RpcClusterState::m_batch */

#ifdef MULTICAST
#define NDESC 1             /* one descriptor, posted NPOSTS times */
#define NRET 1              /* client calls that return */
#else
#define NDESC NCLIENTS      /* descriptor d belongs to client d; its item (xptr) is d + 1 */
#define NRET NCLIENTS
#endif

/* m_current values besides the RPC thread numbers 0..NTHREADS-1 */
#define IDLE_THREAD 100     /* Sched::m_idle, the idle thread */
#define SCHED 101           /* no fiber: the host thread is in core_step */
#define RPC_PID0 3          /* _pid of rpc_thread_loop(0) (see init): provided clauses
                               cannot name a parameter */
#define NONE 255            /* nullptr (m_owner) */

/* Thread::m_blocked causes */
#define BLOCKED_IDLE 1      /* THREAD_BLOCKED_IDLE: a parked RPC thread */
#define BLOCKED_SVC 2       /* the cause a service blocks on (RPC for a nested call, a lock...) */

/* ------------------------------------------------------------------ shared state */
/* RemoteFifo of the server core (rpc/fifo.hpp) */
byte m_tail;                  /* RemoteFifo::m_tail: next position to claim (producers CAS) */
byte slot_sequence[NSLOTS];   /* FifoSlot::sequence: == pos free, == pos + 1 published */
byte slot_item[NSLOTS];       /* FifoSlot::item: the xptr of a descriptor (d + 1), 0 = null */
bit  m_armed = 1;             /* RemoteFifo::m_armed: the doorbell */
local byte m_head;            /* RemoteFifo::m_head: consumer (server core) only */

/* IpiLine of the server core (hal/ipi.hpp) */
bit ipi_pending;              /* IpiLine::pending (also the futex word) */
bit ipi_sleeping;             /* IpiLine::sleeping */
bit futex_waiting;            /* the host thread is inside FUTEX_WAIT on `pending` (kernel) */

/* Core of the server (kern/core.hpp), its scheduler and its RPC state (rpc/state.hpp) */
bit  m_idle;                  /* Core::m_idle: the idle thread is about to look/sleep */
byte m_current = SCHED;       /* Sched::m_current: which fiber holds the host thread */
byte rpc_blocked[NTHREADS];   /* Thread::m_blocked of the pool's RPC threads */
bit  rpc_alive[NTHREADS];     /* the Thread object exists (created, not yet destroyed) */
byte m_owner = NONE;          /* RpcCoreState::m_owner */
byte m_idle_nr;               /* RpcCoreState::m_idle_nr */
byte m_idle_list[NTHREADS];   /* RpcCoreState::m_idle[] (parked RPC threads) */
byte m_threads_nr;            /* RpcCoreState::m_threads_nr */

/* the clients: their descriptors (RpcDesc, on the client's stack) and Thread::m_blocked */
byte desc_response[NDESC];    /* RpcDesc::response */
bit  client_blocked[NDESC];   /* Thread::m_blocked & THREAD_BLOCKED_RPC of client d */

/* ghost state, for the properties only */
byte posted[NDESC];           /* items of descriptor d published in the FIFO */
byte served[NDESC];           /* items of descriptor d served (rpc_dispatch ran) */
bit  client_gone[NDESC];      /* client d returned: its descriptor and Thread may be gone */
byte returned;                /* client calls that returned */
bit  client_window[NDESC];    /* a server is inside thread_unblock(client d) after its atomic_and */
bit  waker_window[NTHREADS];  /* the waker is inside thread_unblock(RPC thread t) after its atomic_and */

/* ------------------------------------------------------------------ helpers */
#define fifo_depth (m_tail != m_head)    /* claimed and not consumed */
#define has_runnable ((rpc_alive[0] && rpc_blocked[0] == 0) || (rpc_alive[1] && rpc_blocked[1] == 0))

/* hal ipi_send (hal/ipi.cpp) + kern send_ipi: exchange pending, then look at sleeping and
 * FUTEX_WAKE the sleeper. Two shared accesses, two steps (plus the wake). */
inline ipi_send() {
  ipi_pending = 1;                                   /* remote_exchange(pending, 1) */
  if
  :: ipi_sleeping != 0 -> futex_waiting = 0          /* remote_load_sc(sleeping); futex_wake_all */
  :: else
  fi
}

/* fifo.cpp fifo_push: claim (CAS on m_tail), write the item, publish (exchange sequence),
 * then the doorbell: load armed, and if 1 exchange it to 0 -> ring.
 * result: 0 kQueued, 1 kQueuedRing, 2 kFull */
#define KQUEUED 0
#define KQUEUED_RING 1
#define KFULL 2
inline fifo_push(item, result) {
  position = m_tail;                                 /* remote_load(tail) */
  do
  :: sequence = slot_sequence[position & MASK];      /* remote_load(slot.sequence) */
     if
     :: sequence == position ->                      /* free: claim it */
        if
        :: atomic { m_tail == position -> m_tail = position + 1 } ->   /* remote_cas succeeds */
           break
        :: atomic { m_tail != position -> skip };                      /* remote_cas fails */
           position = m_tail                                           /* remote_load(tail) */
        fi
     :: sequence < position -> result = KFULL; goto push_done          /* previous lap */
     :: sequence > position -> position = m_tail     /* another producer claimed it */
     fi
  od;
  slot_item[position & MASK] = item;                 /* remote_store(slot.item) */
  d_step {                                           /* remote_exchange(sequence, pos+1): publish */
    slot_sequence[position & MASK] = position + 1;
    posted[item - 1]++
  }
  if                                                 /* remote_load_sc(armed) != 0 && */
  :: m_armed != 0 ->
     atomic { if                                     /* remote_exchange(armed, 0) != 0 */
              :: m_armed != 0 -> result = KQUEUED_RING
              :: else -> result = KQUEUED
              fi; m_armed = 0 }
  :: else -> result = KQUEUED
  fi;
push_done:
  position = 0; sequence = 0                         /* dead locals (smaller state space) */
}

/* client.cpp rpc_post: push; on kQueuedRing send_ipi; on kFull back off (the caller's RPC
 * cause is cleared around the sched_yield) and retry, or give up after `rounds` (here: at
 * any round, nondeterministically). ok = 1 when queued. */
inline rpc_post(d, ok) {
  do
  :: fifo_push(d + 1, result);
     if
     :: result == KQUEUED_RING -> ipi_send(); ok = 1; break
     :: result == KQUEUED -> ok = 1; break
     :: result == KFULL ->
        if
        :: ok = 0; break                             /* round == rounds: kAgain */
        :: client_blocked[d] == 1 ->                 /* back-off: held != 0 */
           client_blocked[d] = 0;                    /* thread_unblock(self, held) */
           /* sched_yield(): the client's core runs its other threads meanwhile */
           client_blocked[d] = 1                     /* thread_block(self, held) */
        fi
     fi
  od;
  result = 0
}

/* ------------------------------------------------------------------ clients */
#ifndef MULTICAST
/* client.cpp rpc_send, blocking (desc->blocking = 1, response = 1). The client's own core
 * (its idle loop and the IPI thread_unblock sends it) is the same handshake as the server
 * core's, modelled below; here wait_for_response is just "until the RPC cause is clear". */
proctype rpc_send(byte d) {
  byte position, sequence, result;
  bit ok;
  desc_response[d] = 1;                              /* desc->response = 1 (own stack) */
  client_blocked[d] = 1;                             /* thread_block(self, RPC): before the post */
  rpc_post(d, ok);
  if
  :: ok == 0 ->                                      /* the post failed */
     client_blocked[d] = 0;                          /* thread_unblock(self, RPC) */
     assert(posted[d] == 0 && served[d] == 0)
  :: else ->
     client_blocked[d] == 0;                         /* wait_for_response(): cause cleared */
     assert(posted[d] == 1 && served[d] == 1)        /* property 1: served, and once */
  fi;
  /* returns: its stack frame (the descriptor) is gone, and the thread may exit from now on
   * (thread_exit, then thread_destroy frees the Thread): nobody may still be about to read it */
  d_step { assert(!client_window[d]); client_gone[d] = 1; returned++ }
}
#else
/* client.cpp rpc_multicast: response = n, blocked before the first post, the failed posts
 * subtracted at the end (the one that brings response to 0 unblocks), then
 * wait_for_response. All n posts go to the modelled server core's FIFO. */
proctype rpc_multicast() {
  byte position, sequence, result, i, failed, before;
  bit ok;
  desc_response[0] = NPOSTS;                         /* desc->response = n */
  client_blocked[0] = 1;                             /* thread_block(self, RPC) */
  do
  :: i < NPOSTS ->
     rpc_post(0, ok);
     d_step { if :: ok == 0 -> failed++ :: else fi; i++; ok = 0 }
  :: else -> break
  od;
  if
  :: failed != 0 ->
     d_step { before = desc_response[0];             /* remote_atomic_add(response, -failed) */
              desc_response[0] = desc_response[0] - failed };
     assert(before >= failed);
     if
     :: before == failed -> client_blocked[0] = 0    /* thread_unblock(self, RPC) */
     :: else
     fi
  :: else
  fi;
  client_blocked[0] == 0;                            /* wait_for_response() */
  assert(desc_response[0] == 0);
  assert(posted[0] == NPOSTS - failed && served[0] == posted[0]);   /* property 1 */
  d_step { assert(!client_window[0]); client_gone[0] = 1; returned++ }
}
#endif


/* ------------------------------------------------------------------ service waker */
/* remote_atomic_and(thread->m_blocked, ~cause); FIX_LID_FIRST: remote_load(thread->m_lid)
 * comes before it, while the thread is still blocked, so no window */
#ifdef FIX_LID_FIRST
#define WAKER_WINDOW skip
#else
#define WAKER_WINDOW if :: (before & ~BLOCKED_SVC) == 0 -> waker_window[t] = 1 :: else fi
#endif
inline waker_atomic_and() {
  before = rpc_blocked[t];
  rpc_blocked[t] = rpc_blocked[t] & ~BLOCKED_SVC;
  WAKER_WINDOW
}

/* Another core ends the wait of an RPC thread blocked inside a service (a nested RPC's
 * response, a lock's release...) with kern thread_unblock(thread, cause): atomic_and; if the
 * thread became runnable, remote_load(thread->m_lid), then load the core's m_idle and send
 * the IPI when it is set. The RPC thread may run, finish, leave and be destroyed as soon as
 * the atomic_and is done (waker_window, checked when the thread is destroyed). */
proctype service_waker() {
  byte t, before;
end_service_waker:
  do                                                 /* thread_unblock(thread, cause): */
  :: d_step { (rpc_blocked[0] & BLOCKED_SVC) != 0 -> t = 0; waker_atomic_and() }; break
  :: d_step { (rpc_blocked[1] & BLOCKED_SVC) != 0 -> t = 1; waker_atomic_and() }; break
  od;
  if
  :: (before & ~BLOCKED_SVC) == 0 ->                 /* runnable now */
#ifndef FIX_LID_FIRST
     waker_window[t] = 0;                            /* remote_load(thread->m_lid) */
#endif
     if
     :: m_idle != 0 -> ipi_send()                    /* remote_load_sc(core->m_idle); send_ipi */
     :: else
     fi
  :: else
  fi;
  t = 0; before = 0;
  goto end_service_waker
}

/* ------------------------------------------------------------------ the server core */
/* machine.cpp core loop + sched.cpp core_step: the rpc_check scheduling-point hook, then
 * Sched::select (a runnable RPC thread, else the idle thread), then resume its fiber; the
 * fiber runs until it calls sched_yield (m_current = SCHED). Sched::select is round robin;
 * the model picks any runnable thread (more behaviours). */
proctype core_step() provided (m_current == SCHED) {
  byte t, before;
  bit ready;
end_core_step:
  do
  :: /* ---- server.cpp rpc_check(core) */
     if
     :: m_owner != NONE -> skip
     :: else ->
        ready = (slot_sequence[m_head & MASK] == m_head + 1);     /* fifo_ready: load_sc(sequence) */
#ifdef FIX_REARM
        /* fix: no owner and nothing to serve -> make sure the doorbell is armed, look again */
        if
        :: !ready ->
           m_armed = 1;                                           /* fifo_arm_and_recheck */
           ready = (slot_sequence[m_head & MASK] == m_head + 1)
        :: else
        fi;
#endif
        if
        :: !ready -> skip
        :: ready && m_idle_nr > 0 ->
           atomic {
             m_idle_nr--; t = m_idle_list[m_idle_nr]; m_idle_list[m_idle_nr] = 0;   /* unpark */
             assert(m_owner == NONE);                             /* property 4 */
             m_owner = t; m_armed = 0                             /* take_ownership: fifo_disarm */
           }
           d_step {                                               /* thread_unblock(t, IDLE) */
             before = rpc_blocked[t]; rpc_blocked[t] = rpc_blocked[t] & ~BLOCKED_IDLE
           }
           if
           :: before == BLOCKED_IDLE ->                           /* runnable: load its core's m_idle */
              if :: m_idle != 0 -> ipi_send() :: else fi
           :: else
           fi
        :: ready && m_idle_nr == 0 && m_threads_nr >= NTHREADS ->
           skip                                                   /* pool exhausted: requests wait */
        :: ready && m_idle_nr == 0 && m_threads_nr < NTHREADS ->
           atomic {                                               /* thread_create(RPC, rpc_thread_loop) */
             if :: !rpc_alive[0] -> t = 0 :: else -> t = 1 fi;
             rpc_alive[t] = 1;                                    /* kmem_new: m_blocked = 0 */
             assert(rpc_blocked[t] == 0)                          /*   register_thread */
           }
           if :: m_idle != 0 -> ipi_send() :: else fi;           /* thread_make: load_sc(m_idle) */
           atomic {
             m_threads_nr++;
             assert(m_owner == NONE);                             /* property 4 */
             m_owner = t; m_armed = 0                             /* take_ownership: fifo_disarm */
           }
        fi
     fi;
     t = 0; before = 0; ready = 0;
     /* ---- Sched::select, then resume the fiber (core_step waits until it yields) */
     if
     :: atomic { rpc_alive[0] && rpc_blocked[0] == 0 -> m_current = 0 }
     :: atomic { rpc_alive[1] && rpc_blocked[1] == 0 -> m_current = 1 }
     :: else -> m_current = IDLE_THREAD              /* Sched::m_idle */
     fi
  od
}

/* kern/cluster.cpp idle_loop, with hal ipi_wait (sleep phase) and ipi_take. The spin phase of
 * ipi_wait (poll `pending` for idle_spin_us, return when set) is left out: it only returns
 * early in states where the sleep phase below returns without sleeping. */
proctype idle_loop() provided (m_current == IDLE_THREAD) {
end_idle_loop:
  do
  :: m_idle = 1;                                     /* local_store(m_idle, 1, seq_cst) */
     if
     :: has_runnable -> skip                         /* Sched::has_runnable: load_sc(m_blocked) */
     :: else ->                                      /* ipi_wait */
        ipi_sleeping = 1;                            /* store(sleeping, 1, seq_cst) */
        do
        :: ipi_pending != 0 -> break                 /* load(pending, seq_cst) */
        :: else ->
           atomic {                                  /* futex_wait(&pending, 0): sleeps only */
             if                                      /* while pending is still 0 */
             :: ipi_pending == 0 -> futex_waiting = 1
             :: else
             fi
           };
end_futex_wait:
           futex_waiting == 0                        /* woken by FUTEX_WAKE */
        od;
        ipi_sleeping = 0                             /* store(sleeping, 0) */
     fi;
     m_idle = 0;                                     /* local_store(m_idle, 0, seq_cst) */
     if                                              /* ipi_take: load, then exchange(0) */
     :: ipi_pending != 0 -> ipi_pending = 0
     :: else
     fi;
     m_current = SCHED                               /* sched_yield */
  od
}

/* server.cpp rpc_thread_loop (with serve_batch, poll_for_work, park, rpc_serve, and the
 * sched_yield hook rpc_thread_blocking). Thread `self` of the pool; the process sits at
 * end_rpc_thread_loop while the thread does not exist, and resumes there after the
 * kBatchDone yield and after the park yield (the `for (;;)` loop top). */
proctype rpc_thread_loop(byte self) provided (m_current + RPC_PID0 == _pid) {
  byte item, served_b, d, before;
  bit ready;
end_rpc_thread_loop:
  atomic {                                           /* if (m_owner == nullptr) take_ownership */
    assert(_pid == self + RPC_PID0);
    if :: m_owner == NONE -> m_owner = self; m_armed = 0 :: else fi
  }
  if
  :: m_owner == self ->
     /* ---- serve_batch(s, self, batch) */
     served_b = 0;
serve_next:
     if
     :: served_b == BATCH ->                         /* kBatchDone: sched_yield, keeps ownership */
        atomic { served_b = 0; m_current = SCHED }   /*   (m_blocked == 0: no blocking hook) */
        goto end_rpc_thread_loop
     :: else
     fi;
     atomic {                                        /* fifo_pop: load_sc(sequence), item */
       assert(m_owner == self);                      /* property 4: only the owner consumes */
       if
       :: slot_sequence[m_head & MASK] == m_head + 1 ->
          item = slot_item[m_head & MASK];
          slot_item[m_head & MASK] = 0               /* ghost: a second pop would read null */
       :: else -> item = 0
       fi
     }
     if
     :: item == 0 ->                                 /* XPTR_NULL */
        m_armed = 1;                                 /* fifo_arm_and_recheck: store(armed, 1) */
        ready = (slot_sequence[m_head & MASK] == m_head + 1);     /*  fifo_ready */
        if
        :: !ready -> ready = 0; goto drained         /* kDrained */
        :: else
        fi;
        ready = 0;
        m_armed = 0;                                 /* fifo_disarm */
        atomic {                                     /* fifo_pop */
          assert(m_owner == self);
          if
          :: slot_sequence[m_head & MASK] == m_head + 1 ->
             item = slot_item[m_head & MASK];
             slot_item[m_head & MASK] = 0
          :: else -> item = 0
          fi
        }
     :: else
     fi;
     assert(item != 0);                              /* a published, never consumed item */
     d_step {                                        /* fifo_pop: free the slot, m_head++ */
       slot_sequence[m_head & MASK] = m_head + NSLOTS;
       m_head++;
       d = item - 1; item = 0
     }
     /* ---- rpc_serve(desc): rpc_dispatch runs the service */
     d_step {
       assert(!client_gone[d]);                      /* the descriptor is alive */
       assert(served[d] < posted[d]);                /* property 1: no duplicate */
       served[d]++
     }
     if
     :: skip                                         /* the service does not block */
     :: rpc_blocked[self] = rpc_blocked[self] | BLOCKED_SVC;   /* thread_block(self, cause) */
        /* sched_yield(): RPC thread with m_blocked != 0 -> rpc_thread_blocking(self) */
        if
        :: rpc_blocked[self] != 0 ->                 /* local_load(m_blocked) */
           atomic {
             if                                      /* if (m_owner == thread) release_ownership */
             :: m_owner == self -> m_armed = 1; m_owner = NONE   /* arm_and_recheck; owner = null */
             :: else
             fi
           }
        :: else
        fi;
        m_current = SCHED                            /* suspend; resumed once runnable */
        /* the service's wait loop ends: the cause is clear */
     fi;
     /* completion: read desc->thread and desc->blocking, then the atomic decrement */
     d_step {
       assert(!client_gone[d]);
       before = desc_response[d];                    /* remote_atomic_add(response, ~0u) */
       desc_response[d]--
     }
     assert(before > 0);
     if
     :: before == 1 ->                               /* blocking && client */
        /* kern thread_unblock(client, THREAD_BLOCKED_RPC) */
        d_step {                                     /* remote_atomic_and(m_blocked, ~RPC) */
          before = client_blocked[d];
          client_blocked[d] = 0;
#ifndef FIX_LID_FIRST
          client_window[d] = before
#endif
        }
        if
        :: before != 0 ->                            /* runnable now */
#ifndef FIX_LID_FIRST
           client_window[d] = 0;                     /* remote_load(thread->m_lid) */
#endif
           skip                                      /* load the client core's m_idle, IPI it:
                                                        the client cores are not modelled */
        :: else
        fi
     :: else
     fi;
     d = 0; before = 0;
     if
     :: m_owner != self -> goto not_owner            /* kLostOwnership */
     :: else
     fi;
     served_b++;
     goto serve_next;
drained:
     served_b = 0;
     /* ---- poll_for_work: only while no thread of the core is runnable (idle_spin_ns != 0) */
     if
     :: !has_runnable ->                             /* unreachable: the caller itself is runnable */
        if
        :: (slot_sequence[m_head & MASK] == m_head + 1) ->    /* fifo_ready within the budget */
           m_armed = 0;                              /* fifo_disarm; continue */
           goto end_rpc_thread_loop
        :: true                                      /* deadline */
        fi
     :: else
     fi;
     atomic { m_armed = 1; m_owner = NONE }          /* release_ownership */
  :: else
  fi;
not_owner:
  /* not the owner: leave when a thread is parked already, else park */
  if
  :: m_idle_nr >= 1 ->                               /* break */
     atomic { if :: m_owner == self -> m_armed = 1; m_owner = NONE :: else fi }
     atomic {                                        /* --m_threads_nr; the fiber returns and */
       m_threads_nr--;                               /* core_step calls thread_destroy */
       assert(!waker_window[self]);                  /* nobody is about to read the Thread */
       rpc_alive[self] = 0;
       served_b = 0; item = 0; d = 0; before = 0; ready = 0;
       m_current = SCHED
     }
     goto end_rpc_thread_loop
  :: else ->
     atomic {                                        /* park(s, self) */
       m_idle_list[m_idle_nr] = self; m_idle_nr++;
       rpc_blocked[self] = rpc_blocked[self] | BLOCKED_IDLE   /* thread_block(self, IDLE) */
     }
     /* sched_yield: m_blocked != 0 -> rpc_thread_blocking (owner == self? never here) */
     atomic {
       if :: m_owner == self -> m_armed = 1; m_owner = NONE :: else fi;
       m_current = SCHED
     }
     goto end_rpc_thread_loop                        /* rpc_check unblocks it, owner */
  fi
}

/* ------------------------------------------------------------------ end-state check */
/* Runs only when no other process can move (timeout): the system has come to rest. */
proctype end_state_check() {
  timeout;
  assert(returned == NRET);                          /* property 2: every client returned */
  assert(m_tail == m_head);                          /* property 3: the FIFO is empty */
  assert(!has_runnable && futex_waiting);            /* the core sleeps with nothing to run */
}

init {
  atomic {
    slot_sequence[1] = 1;                            /* fifo_init: slot i sequence = i */
    run core_step();
    run idle_loop();
    run rpc_thread_loop(0);
    run rpc_thread_loop(1);
    run service_waker();
    run end_state_check();
#ifdef MULTICAST
    run rpc_multicast();
#else
    run rpc_send(0);
#if NCLIENTS > 1
    run rpc_send(1);
#endif
#if NCLIENTS > 2
    run rpc_send(2);
#endif
#if NCLIENTS > 3
    run rpc_send(3);
#endif
#endif
  }
}

/* ------------------------------------------------------------------ LTL (liveness) */
/* with weak fairness (pan -a -f -N name) */
ltl all_return { <> (returned == NRET) }                                   /* property 2 */
ltl no_sleep_with_work { [] <> !(futex_waiting && m_tail != m_head) }     /* property 3 */
