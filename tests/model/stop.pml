/*
 * A process's stop by PROCESS_SIGACTION (BLOCK, then UNBLOCK) and one of its threads, as the
 * C++ implements them (proc/process.cpp process_set_stopped and unblock_threads,
 * proc/user_thread.cpp user_thread_entry and stop_while_stopped).
 *
 * BLOCK sets the descriptor's m_stopped; UNBLOCK clears it, then looks at the thread's
 * recorded kernel thread (UserThread::m_thread) and unblocks it (cause GLOBAL): the look and
 * the unblock are two steps. The thread records its kernel thread when it starts; then, on
 * its way back to user code before each quantum, while m_stopped is set and the process is not
 * ending, it blocks itself, unblocks itself if the flag went clear or the process is ending,
 * and yields: its core runs it again only once it is unblocked. A kill (-DKILL:
 * process_make_exit) sets m_exiting, then unblocks the recorded thread; with it, a last BLOCK
 * comes with no UNBLOCK (a stop sent after the kill). Every access is sequentially consistent,
 * as in the C++.
 *
 * Properties (safety run): once a BLOCK has returned and until its UNBLOCK begins, at most one
 * quantum of user code begins (the one the thread had already passed its look for) unless the
 * process is ending; and the thread never stays blocked for ever (an invalid end state: spin's
 * deadlock check) — after the UNBLOCK, and after a kill even when a stop follows it.
 * -DNO_LOOK (the thread does not look at the flag), -DNO_SECOND_LOOK (no look after blocking
 * itself), and with -DKILL -DNO_EXIT_LOOK (a thread of an ending process stops too) must fail.
 */

#ifndef ROUNDS
#define ROUNDS 2
#endif
#ifndef QUANTA
#define QUANTA 4
#endif

bool stop_flag = false; /* Process::m_stopped */
bool recorded = false;  /* UserThread::m_thread: the thread's kernel thread is known */
bool blocked = false;   /* the cause GLOBAL in the thread's blocked word */
bool exiting = false;   /* Process::m_exiting */
bool in_effect = false; /* a BLOCK has returned and its UNBLOCK has not begun */
byte begun = 0;         /* quanta begun while in effect */

#ifdef NO_EXIT_LOOK
#define STOPPED (stop_flag)
#else
#define STOPPED (stop_flag && !exiting)
#endif

inline block_all() {
  stop_flag = true;
  atomic { in_effect = true; begun = 0 }
}

inline unblock_all() {
  in_effect = false;
  stop_flag = false;
  if
  :: recorded -> blocked = false
  :: else -> skip
  fi
}

/* BLOCK then UNBLOCK, ROUNDS times. */
proctype sigaction() {
  byte round = 0;
  do
  :: round < ROUNDS -> block_all(); unblock_all(); round++
  :: else -> break
  od
}

proctype thread() {
  byte quanta = 0;
  recorded = true;
  do
  :: quanta < QUANTA ->
#ifndef NO_LOOK
    do
    :: STOPPED ->
      blocked = true;
#ifndef NO_SECOND_LOOK
      if
      :: !STOPPED -> blocked = false
      :: else -> skip
      fi;
#endif
      !blocked  /* sched_yield: its core runs it again once it is unblocked */
    :: else -> break
    od;
#endif
    atomic {  /* a quantum begins */
      if
      :: in_effect && !exiting -> begun++; assert(begun <= 1)
      :: else -> skip
      fi
    };
    quanta++
  :: else -> break
  od
}

#ifdef KILL
proctype kill() {
  exiting = true;
  if
  :: recorded -> blocked = false
  :: else -> skip
  fi;
  block_all()  /* a stop after the kill: never undone */
}
#endif

init {
  atomic {
    run sigaction();
    run thread();
#ifdef KILL
    run kill();
#endif
  }
}
