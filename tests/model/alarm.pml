/*
 * A process's interval timer (setitimer's ITIMER_REAL) and the kernel thread that sends its
 * SIGALRM, as the C++ implements them (proc/alarm.cpp).
 *
 * Under the process's m_alarm_lock: the timer (armed or not; each change of its time bumps a
 * version) and the sender the process names (m_alarm_thread). setitimer changes the timer and
 * unblocks the named sender, or, arming it with none named, makes one and names it, all under
 * the lock. The sender, holding the process (ProcessUse, unless it is gone: then it ends
 * untouched), looks under the lock: not named (its pid names another process), it ends; the
 * timer disarmed or the process ending, it clears the name and ends; the time due, it sets
 * the next (or disarms a one-shot timer) and sends the signal; else it blocks itself (SLEEP)
 * before the lock goes and yields until unblocked — by a change, or by its timer, which fires
 * at the time it saw (modelled as: only while that time is still the timer's; an earlier wake
 * would only make it look again). The process's end (process_destroy) disarms the timer and
 * unblocks the named sender under the lock, then waits until no use is left, and frees it.
 *
 * Properties (safety run): nothing unblocks a sender that ended (its descriptor is freed); no
 * signal is sent, nor the process touched, after it is freed; every sender ends (spin's
 * invalid end states: a sender left blocked for ever is one). -DNO_END: the process lives on
 * (the last change leaves a one-shot timer armed, which fires, then the sender ends).
 * Mutations that must fail: -DSET_WITHOUT_WAKE with -DNO_END (a change does not wake the
 * sender: it sleeps for a time that is no longer the timer's), -DEND_WITHOUT_WAKE (the end does
 * not wake it: it sleeps for ever), -DEXIT_WITHOUT_CLEAR (a sender ends still named: a later
 * change unblocks a thread that is gone).
 */

#define NONE 0
#define THREADS 3  /* ids 1 and 2: the timer is armed again after its sender ended */
#define VERSIONS 8

bool lock = false;
bool armed = false;        /* m_alarm_deadline != 0 */
bool periodic = false;     /* m_alarm_interval != 0 */
byte version = 0;          /* each change of the time, modulo VERSIONS */
byte named = NONE;         /* m_alarm_thread */
byte next_id = 1;
bool alive[THREADS];
bool blocked[THREADS];
byte seen[THREADS];        /* the version whose time its timer is armed for */
byte uses = 0;             /* ProcessUse */
bool ending = false, removed = false, freed = false, process_done = false;

inline take_lock() { atomic { !lock -> lock = true } }

/* Under the lock: the named sender looks again. */
inline wake_named() {
  if
  :: named != NONE -> assert(alive[named]); blocked[named] = false
  :: else -> skip
  fi
}

proctype sender(byte me) {
  bool fire;
  do
  :: atomic { removed -> break }  /* ProcessUse::by_pid: the process is gone */
  :: atomic { !removed -> uses++ };
    take_lock();
    assert(!freed);
    if
    :: named != me -> lock = false; uses--; break  /* another process's */
    :: named == me && (!armed || ending) ->
#ifndef EXIT_WITHOUT_CLEAR
      named = NONE;
#endif
      lock = false;
      uses--;
      break
    :: named == me && armed && !ending ->
      if
      :: fire = true; armed = periodic; version = (version + 1) % VERSIONS  /* due: the next time */
      :: fire = false; blocked[me] = true; seen[me] = version  /* not yet: blocked under the lock */
      fi;
      lock = false;
      if
      :: fire -> assert(!freed)  /* PROCESS_MAKE_KILL, the process held */
      :: else -> skip
      fi;
      uses--;
      !blocked[me]  /* sched_yield: runs again once unblocked */
    fi
  od;
  alive[me] = false
}

/* The senders' timers: each fires at the time its sender saw, while it is the timer's. */
proctype timers() {
end_timers:
  do
  :: atomic { alive[1] && blocked[1] && armed && seen[1] == version -> blocked[1] = false }
  :: atomic { alive[2] && blocked[2] && armed && seen[2] == version -> blocked[2] = false }
  od
}

/* setitimer: `arm` (one-shot or `every` interval) or disarm. */
inline set(arm, every) {
  take_lock();
  armed = arm;
  periodic = arm && every;
  version = (version + 1) % VERSIONS;
#ifndef SET_WITHOUT_WAKE
  wake_named();
#endif
  if
  :: named == NONE && arm && next_id < THREADS -> alive[next_id] = true; named = next_id; run sender(next_id); next_id++
  :: else -> skip
  fi;
  lock = false
}

proctype process() {
  set(true, true);
  set(true, false);
  set(false, false);
  set(true, false);
#ifndef NO_END
  ending = true;
  /* process_destroy: alarm_end, then no use left, then freed */
  take_lock();
  armed = false;
  version = (version + 1) % VERSIONS;
#ifndef END_WITHOUT_WAKE
  wake_named();
#endif
  lock = false;
  removed = true;  /* out of the table: no new use */
  uses == 0;
  freed = true;
#endif
  process_done = true
}

init {
  atomic {
    run process();
    run timers();
  }
  (process_done && !alive[1] && !alive[2]);
  assert(named == NONE || freed)
}
