/*
 * A process's stop by PROCESS_SIGACTION (BLOCK, then UNBLOCK) and a thread of it that starts
 * meanwhile, as the C++ implements them (proc/process.cpp process_sigaction and
 * each_kernel_thread, proc/user_thread.cpp user_thread_entry and stop_while_stopped).
 *
 * The service sets or clears the descriptor's m_stopped (sequentially consistent), then looks
 * at each thread's recorded kernel thread (UserThread::m_thread) and blocks or unblocks it
 * (the cause GLOBAL): the look and the action are two steps. A new thread records its kernel
 * thread first, then, while m_stopped is set and its process is not ending, blocks itself,
 * unblocks itself if the flag is clear again (or the process ending), and yields: its core
 * runs it again only once it is unblocked. Then it runs its user code a quantum at a time,
 * passing a scheduling point before each, where its core runs it only while it is not
 * blocked. A kill (-DKILL) sets m_exiting and unblocks every recorded thread.
 *
 * Properties (safety run): no quantum of user code begins while a BLOCK is in effect (from
 * its end to its UNBLOCK's start) unless the process is ending — a thread already in its
 * quantum when the BLOCK lands finishes that quantum, as the C++'s does; and no thread stays
 * blocked for ever once the UNBLOCK came (an invalid end state: spin's deadlock check).
 * -DNO_ENTRY_CHECK (the thread does not look at the flag), -DFLAG_AFTER (the service looks at
 * the threads before it sets the flag) and -DNO_SELF_UNBLOCK (the thread does not look at the
 * flag again after blocking itself) must fail.
 */

#ifndef ROUNDS
#define ROUNDS 2
#endif
#ifndef QUANTA
#define QUANTA 3
#endif

bool stop_flag = false;  /* Process::m_stopped */
bool recorded = false;  /* UserThread::m_thread: the thread's kernel thread is known */
bool blocked = false;   /* the cause GLOBAL in the thread's blocked word */
bool exiting = false;   /* Process::m_exiting */
bool in_effect = false; /* a BLOCK has returned and its UNBLOCK has not begun */

/* BLOCK then UNBLOCK, ROUNDS times. */
proctype sigaction() {
  byte round = 0;
  do
  :: round < ROUNDS ->
#ifndef FLAG_AFTER
    stop_flag = true;
#endif
    if
    :: recorded -> blocked = true
    :: else -> skip
    fi;
#ifdef FLAG_AFTER
    stop_flag = true;
#endif
    in_effect = true;
    in_effect = false;
    stop_flag = false;
    if
    :: recorded -> blocked = false
    :: else -> skip
    fi;
    round++
  :: else -> break
  od
}

proctype thread() {
  byte quanta = 0;
  recorded = true;
#ifndef NO_ENTRY_CHECK
  do
  :: stop_flag && !exiting ->
    blocked = true;
#ifndef NO_SELF_UNBLOCK
    if
    :: !(stop_flag && !exiting) -> blocked = false
    :: else -> skip
    fi;
#endif
    !blocked  /* sched_yield: its core runs it again once it is unblocked */
  :: else -> break
  od;
#endif
  do
  :: quanta < QUANTA ->
    atomic { !blocked -> assert(!in_effect || exiting) };  /* a scheduling point, then a quantum */
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
  fi
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
