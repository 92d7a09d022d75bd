/*
 * The TLB shootdown of a process's threads, as the C++ implements it (proc/user_thread.cpp:
 * enter_user, leave_user, UserThread::translate, user_shootdown; the VMM's lock, entries and
 * page frees in mm/vmm/vmm.cpp). One virtual page of a process, its GPT entry naming a
 * physical page; NTHREADS user threads that run user code through their software TLB; one
 * thread of the same process that changes the mapping twice (a MAP_FIXED mmap: the entry
 * removed, the page freed, a new page mapped; then a munmap), each change under the VMM's
 * lock: the entry removed, then the shootdown (the epoch bumped, then a wait until every other
 * thread is out of user code or has flushed for that epoch), then the page freed.
 *
 * A user thread: enter_user (m_in_user = 1, then the epoch read; a moved epoch flushes the
 * TLB), then user code: an access through the TLB, or a miss that translates (out of user
 * code while it asks the VMM under its lock; back in, a moved epoch flushes and asks again),
 * or the end of a run (a system call, the quantum: out of user code). The C++ makes both
 * sides' store-then-load sequentially consistent, as Promela's interleavings are.
 *
 * With -DCOPY the last thread runs in a copy of the process in another cluster: its entries
 * come from the copy's GPT (mm/vmm/vmm.cpp vmm_copy_get_pte: an entry held there is used only
 * while the reference's generation, odd during a change, has not moved since it was filled;
 * else the reference is asked under its lock, and the answer kept only if the generation did
 * not move meanwhile — copy.pml checks that protocol alone), and between its runs it holds
 * the page for a system call as UserPage::hold does on a copy: the entry found out of user
 * code, then in user code for the shootdown from the epoch's look to the release.
 *
 * -DNCOPY=2 makes the last two threads threads of the copy (its faults serialised by its
 * lock). With -DREPLICA the page is read-only code, which the copy replicates in a page of
 * its own (freed when the copy drops what it holds), and the changer first makes a change
 * that removes no entry (an mprotect or munmap of pages never touched): the generation moves,
 * so the copy's next fault frees the replica its other thread may still hold in its TLB —
 * unless that change, too, ends with the shootdown (vmm.cpp ChangeSection: kChangeMade).
 *
 * With -DSELF_CHANGE thread 0, between its runs (in a system call: munmap, mprotect of another
 * page; or in a fault that breaks a copy-on-write), makes a change of its own that removes no
 * entry of this page: a shootdown of the other threads, after which user_shootdown counts its
 * own flush for the new epoch only if it had seen the one before (else the next enter_user
 * flushes its TLB). -DNO_SELF_SEEN_CHECK (counted whatever it had seen) must fail: the
 * changer's shootdown passed thread 0 by while it was out of user code, its TLB still names
 * the page freed.
 *
 * Property (safety run): no access through a TLB entry, or a held page, to a page already
 * freed (assert in access()). -DNO_WAIT (the changer does not wait for the other threads) and
 * -DNO_RECHECK (translate does not look at the epoch again after the VMM answered) must fail;
 * with -DCOPY, -DNO_GENERATION (the copy keeps its entry whatever the generation) and
 * -DNO_HOLD_RECHECK (the hold does not look at the epoch) too; with -DREPLICA -DNCOPY=2,
 * -DNO_CHANGE_SHOOTDOWN (a change without an entry ends without the shootdown).
 */

#ifndef NTHREADS
#define NTHREADS 2
#endif
#ifndef RUNS
#define RUNS 2
#endif

#ifndef NCOPY
#define NCOPY 1
#endif

byte entry = 1;          /* the GPT entry: the physical page mapped (1, then 2), 0 when none */
bool freed[8];           /* a physical page given back to the ppm (3 and up: the copy's replicas) */
bool vmm_lock = false;   /* Vmm::m_lock */
byte epoch = 0;          /* Process::m_tlb_epoch */
bool in_user[NTHREADS];  /* UserThread::m_in_user */
byte seen[NTHREADS];     /* UserThread::m_seen_epoch */

inline lock(l) { atomic { !l -> l = true } }
inline unlock(l) { l = false }

#ifdef COPY
byte generation = 0;       /* the reference's Vmm::m_generation: odd while a change runs */
byte copy_entry = 0;       /* the copy's GPT entry: a physical page, 0 when none */
byte copy_generation = 0;  /* Vmm::m_copy_generation: the generation copy_entry is from */
bool copy_lock = false;    /* the copy's Vmm::m_lock */
byte replicas = 0;         /* replicas made so far (their pages 3, 4, ...) */

/* vmm_copy_get_pte, under the copy's lock. */
inline copy_lookup(got) {
  byte g;
  lock(copy_lock);
  do
  :: true ->
     g = generation;
     if
     :: g % 2 == 1 -> skip  /* a change runs: waited out */
     :: else ->
#ifndef NO_GENERATION
        if
        :: g != copy_generation ->
#ifdef REPLICA
           if
           :: copy_entry != 0 -> freed[copy_entry] = true  /* drop_all_locked: the replica freed */
           :: else -> skip
           fi;
#endif
           copy_entry = 0; copy_generation = g
        :: else -> skip
        fi;
#endif
        if
        :: copy_entry != 0 -> got = copy_entry; break
        :: else ->
           lock(vmm_lock);  /* VMM_GET_PTE, at the reference */
           got = entry;
           unlock(vmm_lock);
           if
           :: generation == g ->
#ifdef REPLICA
              if
              :: got != 0 -> replicas++; got = 2 + replicas  /* the code page copied into one of its own */
              :: else -> skip
              fi;
#endif
              copy_entry = got; break
           :: else -> skip  /* asked again */
           fi
        fi
     fi
  od;
  unlock(copy_lock)
}
#endif

#ifdef SELF_CHANGE
/* Thread `me`'s change of another page, between its runs: its own shootdown (user_shootdown
 * with itself as `self`). */
inline self_change(me) {
  byte mine;
  byte u;
  lock(vmm_lock);
  atomic { epoch++; mine = epoch };
  u = 0;
  do
  :: u < NTHREADS -> (u == me || !in_user[u] || seen[u] >= mine); u++
  :: else -> break
  od;
#ifdef NO_SELF_SEEN_CHECK
  seen[me] = mine;
#else
  if
  :: seen[me] + 1 == mine -> seen[me] = mine
  :: else -> skip
  fi;
#endif
  unlock(vmm_lock)
}
#endif

/* enter_user: true in `moved` when the epoch had moved (the TLB is flushed). */
inline enter_user(me, tlb, moved) {
  in_user[me] = true;
  if
  :: epoch != seen[me] -> tlb = 0; seen[me] = epoch; moved = true
  :: else -> moved = false
  fi
}

inline access(tlb) { assert(!freed[tlb]) }

proctype user(byte me) {
  byte tlb = 0;   /* the TLB's entry for the page: the physical page, 0 when none */
  byte got;
  bool moved;
  byte runs = 0;
  do
  :: runs < RUNS ->
     runs++;
     enter_user(me, tlb, moved);
     do
     :: tlb != 0 -> access(tlb)
     :: tlb == 0 ->  /* a miss: translate */
        do
        :: true ->
           in_user[me] = false;
           lock(vmm_lock);
           got = entry;
           unlock(vmm_lock);
           enter_user(me, tlb, moved);
#ifdef NO_RECHECK
           moved = false;
#endif
           if
           :: moved -> skip  /* ask again */
           :: else -> break
           fi
        od;
        if
        :: got != 0 -> tlb = got; access(tlb)
        :: else -> break  /* SIGSEGV in the C++: the run ends */
        fi
     :: break  /* the run ends: a system call, the quantum */
     od;
     in_user[me] = false;
#ifdef SELF_CHANGE
     if
     :: me == 0 -> self_change(me)
     :: else -> skip
     fi
#endif
  :: else -> break
  od;
}

#ifdef COPY
/* A thread of the copy: runs of user code as user() (its misses through the copy's GPT), each
 * followed by a system call that holds the page (UserPage::hold on a copy). */
proctype copy_thread(byte me) {
  byte tlb = 0;
  byte got;
  bool moved;
  byte runs = 0;
  do
  :: runs < RUNS ->
     runs++;
     enter_user(me, tlb, moved);
     do
     :: tlb != 0 -> access(tlb)
     :: tlb == 0 ->
        do
        :: true ->
           in_user[me] = false;
           copy_lookup(got);
           enter_user(me, tlb, moved);
           if
           :: moved -> skip
           :: else -> break
           fi
        od;
        if
        :: got != 0 -> tlb = got; access(tlb)
        :: else -> break
        fi
     :: break
     od;
     in_user[me] = false;
     do
     :: true ->
        copy_lookup(got);
        enter_user(me, tlb, moved);
#ifdef NO_HOLD_RECHECK
        moved = false;
#endif
        if
        :: moved -> in_user[me] = false  /* found again */
        :: else -> break
        fi
     od;
     if
     :: got != 0 -> access(got)
     :: else -> skip  /* EFAULT */
     fi;
     in_user[me] = false  /* the page released */
  :: else -> break
  od
}
#endif

/* The shootdown: the epoch bumped, then a wait until every other thread is out of user code or
 * has flushed for it. */
inline shootdown() {
  byte target;
  byte t;
  atomic { epoch++; target = epoch };
#ifndef NO_WAIT
  t = 0;
  do
  :: t < NTHREADS -> (!in_user[t] || seen[t] >= target); t++
  :: else -> break
  od;
#endif
}

#ifdef REPLICA
/* A change that removes no entry of this page (another page's mprotect, an untouched range's
 * munmap): a change section all the same, ended by the shootdown when threads run in copies. */
inline change_elsewhere() {
  lock(vmm_lock);
  generation++;
#ifndef NO_CHANGE_SHOOTDOWN
  shootdown();
#endif
  generation++;
  unlock(vmm_lock)
}
#endif

/* The change of the mapping under the VMM's lock, a change section for the copies (the
 * generation odd): the entry set to `next` (0: none), the shootdown, then the old page freed. */
inline change(next) {
  byte old;
  lock(vmm_lock);
#ifdef COPY
  generation++;
#endif
  old = entry;
  entry = 0;
  shootdown();
  freed[old] = true;
  entry = next;
#ifdef COPY
  generation++;
#endif
  unlock(vmm_lock)
}

proctype changer() {
#ifdef REPLICA
  change_elsewhere();
#endif
  change(2);
  change(0)
}

init {
  byte i;
  atomic {
#ifdef COPY
    for (i : 0 .. NTHREADS - 1) {
      if
      :: i < NTHREADS - NCOPY -> run user(i)
      :: else -> run copy_thread(i)
      fi
    }
#else
    for (i : 0 .. NTHREADS - 1) { run user(i) }
#endif
    run changer()
  }
}
