/*
 * A signal with a handler sent to a thread that waits, as the C++ implements it
 * (syscall/signals.cpp send and kick, proc/user_thread.cpp user_thread_entry and
 * wait_interrupted, the waits of syscall/syscall.cpp sleep_for, proc/pipe.cpp, proc/fork.cpp
 * process_wait_child and proc/futex.cpp).
 *
 * The sender makes the signal pending (under the process's signal lock), sets the thread's
 * kick (m_signal_kick), then looks at the thread's recorded kernel thread (UserThread::m_thread)
 * and unblocks it: the look and the unblock are two steps. The thread, before it runs user
 * code, takes the kick when it is set and runs the handlers of every pending signal; otherwise
 * it runs user code, then waits in a system call: it blocks itself, looks at the kick (a set
 * kick: it unblocks itself, the wait is interrupted), and yields — its core runs it again only
 * once it is unblocked; woken, it goes back to its loop. A new thread starts with its kick set.
 * Every access is sequentially consistent, as in the C++.
 *
 * Properties (safety run): every signal sent is delivered, and the thread never stays blocked
 * for ever with a signal pending (an invalid end state: spin's deadlock check).
 * -DNO_SECOND_LOOK (no look after blocking itself) and -DNO_KICK_LOOK (the loop does not look
 * at the kick before user code) must fail.
 */

#ifndef SIGNALS
#define SIGNALS 3
#endif

byte pending = 0;    /* sent, not yet delivered (the pending sets) */
bool kick = true;    /* UserThread::m_signal_kick: a new thread looks once */
bool recorded = false;
bool blocked = false;  /* a wait's cause (SLEEP, USERSYNC) in the thread's blocked word */
byte delivered = 0;

proctype sender() {
  byte sent = 0;
  do
  :: sent < SIGNALS ->
    pending++;
    kick = true;
    if
    :: recorded -> blocked = false
    :: else -> skip
    fi;
    sent++
  :: else -> break
  od
}

proctype thread() {
  recorded = true;
  do
  :: delivered == SIGNALS -> break
  :: else ->
    if
#ifndef NO_KICK_LOOK
    :: kick ->  /* signals_deliver: the kick taken, then the pending signals */
      kick = false;
      atomic { delivered = delivered + pending; pending = 0 }
    :: else ->
#else
    :: true ->
      if
      :: kick -> kick = false; atomic { delivered = delivered + pending; pending = 0 }
      :: true -> skip
      fi;
#endif
      /* user code, then a wait */
      blocked = true;
#ifndef NO_SECOND_LOOK
      if
      :: kick -> blocked = false  /* interrupted: EINTR, or the call starts again */
      :: else -> skip
      fi;
#endif
      !blocked  /* sched_yield: its core runs it again once it is unblocked */
    fi
  od;
  assert(pending == 0)
}

init {
  atomic {
    run sender();
    run thread();
  }
}
