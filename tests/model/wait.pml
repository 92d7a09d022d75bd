/*
 * A process's children and the wait for them, as the C++ implements them (proc/fork.cpp
 * process_wait_child, report_end_to_parent, children_end). The parent's reference keeps a
 * record per child under its children lock. A thread in waitid takes the lock, collects an
 * ended child (its record freed) or, finding only running ones, blocks itself (cause SLEEP),
 * registers in its wait slot and lets the lock go, then looks at its process's end (m_exiting)
 * and yields until unblocked; each turn of its loop clears its slot first. A child that ends
 * takes the parent's lock, marks its record ended and counts a report in flight
 * (m_child_reports), lets the lock go, sends the parent SIGCHLD (an RPC to the parent's pid),
 * takes the lock again, marks its end announced, uncounts its report, unblocks every
 * registered waiter, lets the lock go, then frees itself. A waiter collects an end only once
 * it is announced, and waits for one that is not as for a running child (even a waiter that
 * does not block otherwise: WNOHANG). A kill of the parent (-DKILL) sets m_exiting and unblocks every
 * thread of the process (the killable causes). The parent's end (once its threads are gone)
 * takes the lock, closes the records, kills each running child by its descriptor while the
 * lock is held, lets it go, and starts again until no child runs and no report is in flight;
 * then the parent is freed. With -DSTOPS, each child is also stopped by another process
 * (report_stop_to_parent, at the child's owner): unless the child closed its stop reports, it
 * counts one under way (m_stop_reports), takes the parent's lock, writes the stop into a
 * running child's record, lets the lock go, sends the parent SIGCHLD, takes the lock again,
 * unblocks every registered waiter, lets it go and uncounts its report; a child about to
 * report its end closes its stop reports and waits until none is under way; the waiters
 * collect stops as well as ends (WEXITED | WSTOPPED).
 *
 * Properties (safety run): no waiter sleeps for ever (an invalid end state: spin's deadlock
 * check) — a child's end wakes it, a kill of its process too; a child's descriptor is never
 * touched after it freed itself; no child reports into a freed parent, nor sends its SIGCHLD
 * to a freed parent (whose pid another process may have taken); no end is collected before
 * its SIGCHLD was sent (Linux queues the signal before the end can be seen: a parent that
 * blocks SIGCHLD finds it pending once its wait returned). With -DSLEEPERS the
 * children end only when killed (a parent that ends first takes them with it). Mutations that
 * must fail: -DREGISTER_AFTER_UNLOCK (the waiter blocks and registers after the lock went: a
 * report between is lost), -DKILL_AFTER_UNLOCK (the children killed from a list taken under
 * the lock: one may have reported and freed itself), -DNO_WAIT_FOR_REPORTS (the parent's end
 * does not wait for its children's reports), -DNO_REPORT_COUNT (the end does not wait for the
 * SIGCHLDs in flight), -DSTOPS -DNO_STOP_CLOSE (the child reports its end without waiting for
 * the stop reports under way: one reaches a freed parent), -DCOLLECT_UNANNOUNCED (a waiter
 * collects an end whose SIGCHLD was not sent yet).
 */

#ifndef NCHILDREN
#define NCHILDREN 2
#endif
#ifndef NWAITERS
#define NWAITERS 2
#endif

#define FREE 0
#define RUNNING 1
#define ENDED 2

bool lock = false;                /* the parent's m_children_lock */
byte state[NCHILDREN];            /* ChildRecord::state, all RUNNING at the start */
bool closed = false;              /* m_children_closed */
bool registered[NWAITERS];        /* m_child_waiters[slot] */
bool blocked[NWAITERS];           /* the cause SLEEP in the waiter's blocked word */
bool exiting = false;             /* the parent's m_exiting */
bool child_exiting[NCHILDREN];    /* each child's m_exiting */
bool child_freed[NCHILDREN];      /* the child's descriptor is gone */
bool parent_freed = false;
byte reports = 0;                 /* m_child_reports: SIGCHLDs on their way to the parent */
bool announced[NCHILDREN];        /* ChildRecord::announced */
bool sigchld_sent[NCHILDREN];     /* the child's SIGCHLD reached the parent */
byte waiters_done = 0;
byte collected = 0;
#ifdef STOPS
bool stop_report[NCHILDREN];      /* ChildRecord::stop_signal != 0 */
bool stops_closed[NCHILDREN];     /* the child's m_stop_reports: kStopReportsClosed */
byte stops_under_way[NCHILDREN];  /* the child's m_stop_reports: the count */
#endif

inline lock_children() { atomic { !lock -> lock = true } }
inline unlock_children() { lock = false }

/* A thread of the parent in waitid(P_ALL), blocking, until no child is left (ECHILD) or its
 * process ends (EINTR). */
proctype waiter(byte w) {
  byte i;
  bool found, any, done = false, interrupted = false;
  do
  :: done -> break
  :: !done ->
    lock_children();
    registered[w] = false;
    found = false;
    any = false;
    i = 0;
    do
    :: i < NCHILDREN && !found ->
      if
#ifndef COLLECT_UNANNOUNCED
      :: state[i] == ENDED && announced[i] ->
#else
      :: state[i] == ENDED ->
#endif
        assert(sigchld_sent[i]);  /* the parent finds SIGCHLD pending once its wait returns */
        state[i] = FREE; announced[i] = false; collected++; found = true
#ifndef COLLECT_UNANNOUNCED
      :: state[i] == ENDED && !announced[i] -> any = true  /* its SIGCHLD comes at once: waited for */
#endif
#ifdef STOPS
      :: state[i] == RUNNING && stop_report[i] -> stop_report[i] = false; collected++; found = true
      :: state[i] == RUNNING && !stop_report[i] -> any = true
#else
      :: state[i] == RUNNING -> any = true
#endif
      :: else -> skip
      fi;
      i++
    :: else -> break
    od;
    if
    :: found || !any -> unlock_children(); interrupted = false  /* a child's end, or ECHILD: the call returns */
    :: !found && any && interrupted ->  /* the records first, then EINTR (Linux's do_wait) */
      unlock_children();
      done = true
    :: else ->
#ifndef REGISTER_AFTER_UNLOCK
      blocked[w] = true;
      registered[w] = true;
      unlock_children();
#else
      unlock_children();
      blocked[w] = true;
      registered[w] = true;
#endif
      if
      :: exiting ->  /* blocked before the look: the kill's wake-up after it is not lost */
        blocked[w] = false;
        interrupted = true  /* the records looked at once more (its slot cleared there) */
      :: else -> !blocked[w]  /* sched_yield: its core runs it again once it is unblocked */
      fi
    fi;
    if
    :: !found && !any -> done = true
    :: else -> skip
    fi
  od;
  waiters_done++
}

/* A child: it ends by itself (or, -DSLEEPERS, only when killed), reports, frees itself. */
proctype child(byte i) {
  byte w;
#ifdef SLEEPERS
  child_exiting[i];
#endif
#if defined(STOPS) && !defined(NO_STOP_CLOSE)
  stops_closed[i] = true;
  stops_under_way[i] == 0;  /* sched_yield until the reports under way end */
#endif
  lock_children();
  assert(!parent_freed);
  if
  :: state[i] == RUNNING ->
    state[i] = ENDED;
    reports++;
    unlock_children();
    assert(!parent_freed);  /* SIGCHLD: the parent's pid is still the parent's */
    sigchld_sent[i] = true;
    lock_children();
    assert(state[i] == ENDED);  /* no wait freed the record: its end was not announced */
    announced[i] = true;
    reports--;
    w = 0;
    do
    :: w < NWAITERS -> if :: registered[w] -> blocked[w] = false :: else -> skip fi; w++
    :: else -> break
    od
  :: else -> skip
  fi;
  unlock_children();
  child_freed[i] = true
}

#ifdef STOPS
/* A stop of child i by another process, reported to the parent unless the child is ending. */
proctype stopper(byte i) {
  byte w;
  bool written = false;
  if
  :: atomic { !stops_closed[i] -> stops_under_way[i]++ }
    lock_children();
    assert(!parent_freed);
    if
    :: state[i] == RUNNING -> stop_report[i] = true; written = true
    :: else -> skip
    fi;
    unlock_children();
    if
    :: written ->
      assert(!parent_freed);  /* SIGCHLD: the parent's pid is still the parent's */
      lock_children();
      w = 0;
      do
      :: w < NWAITERS -> if :: registered[w] -> blocked[w] = false :: else -> skip fi; w++
      :: else -> break
      od;
      unlock_children()
    :: else -> skip
    fi;
    stops_under_way[i]--
  :: atomic { stops_closed[i] -> skip }
  fi
}
#endif

/* The parent's end, once its threads are gone. */
proctype parent_end() {
  byte i;
  bool running, first = true;
#ifdef KILL_AFTER_UNLOCK
  bool to_kill[NCHILDREN];
#endif
  waiters_done == NWAITERS;
  do
  :: lock_children();
    closed = true;
    running = false;
    i = 0;
    do
    :: i < NCHILDREN ->
      if
      :: state[i] == RUNNING ->
        running = true;
#ifndef KILL_AFTER_UNLOCK
        if
        :: first -> assert(!child_freed[i]); child_exiting[i] = true
        :: else -> skip
        fi
#else
        to_kill[i] = first
#endif
      :: else -> skip
      fi;
      i++
    :: else -> break
    od;
    unlock_children();
#ifdef KILL_AFTER_UNLOCK
    i = 0;
    do
    :: i < NCHILDREN -> if :: to_kill[i] -> assert(!child_freed[i]); child_exiting[i] = true :: else -> skip fi; i++
    :: else -> break
    od;
#endif
    first = false;
#ifdef NO_WAIT_FOR_REPORTS
    break
#else
    if
#ifndef NO_REPORT_COUNT
    :: !running && reports == 0 -> break
#else
    :: !running -> break
#endif
    :: else -> skip  /* sched_yield: each killed child reports at its next scheduling point */
    fi
#endif
  od;
  parent_freed = true
}

#ifdef KILL
/* A kill of the parent while its threads wait: m_exiting, then every thread unblocked. */
proctype kill() {
  byte w = 0;
  exiting = true;
  do
  :: w < NWAITERS -> blocked[w] = false; w++
  :: else -> break
  od
}
#endif

init {
  byte i;
  atomic {
    i = 0;
    do
    :: i < NCHILDREN ->
      state[i] = RUNNING;
      run child(i);
#ifdef STOPS
      run stopper(i);
#endif
      i++
    :: else -> break
    od;
    i = 0;
    do
    :: i < NWAITERS -> run waiter(i); i++
    :: else -> break
    od;
    run parent_end();
#ifdef KILL
    run kill();
#endif
  }
}
