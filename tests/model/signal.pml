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
 *
 * -DWAITED: the thread blocks the signals and takes them with rt_sigtimedwait
 * (syscall/signals.cpp): under the signal lock it takes one pending, or else records that it
 * waits for them (m_signals_waited); then it waits as above and, under the lock again, takes
 * one if there is one and no longer waits. The sender, under the lock, makes the signal
 * pending and kicks the thread only when it waits for it (a blocked signal kicks no one
 * else). Checked: every signal taken, no wait for ever. -DWAITED_AFTER_UNLOCK (the wait
 * recorded after the lock went: a signal between is not kicked) must fail.
 */

#ifndef SIGNALS
#define SIGNALS 3
#endif

byte pending = 0;    /* sent, not yet delivered (the pending sets) */
bool kick = true;    /* UserThread::m_signal_kick: a new thread looks once */
bool recorded = false;
bool blocked = false;  /* a wait's cause (SLEEP, USERSYNC) in the thread's blocked word */
byte delivered = 0;

#ifdef WAITED
bool lock = false;
bool waited = false;  /* UserThread::m_signals_waited */

inline take_lock() { atomic { !lock -> lock = true } }

proctype sender() {
  byte sent = 0;
  do
  :: sent < SIGNALS ->
    take_lock();
    pending++;
    if
    :: waited ->  /* kick, under the lock */
      kick = true;
      if
      :: recorded -> blocked = false
      :: else -> skip
      fi
    :: else -> skip
    fi;
    lock = false;
    sent++
  :: else -> break
  od
}

proctype thread() {
  bool got;
  recorded = true;
  do
  :: delivered == SIGNALS -> break
  :: else ->
    take_lock();
    if
    :: pending > 0 -> pending--; delivered++; got = true
    :: else -> got = false;
#ifndef WAITED_AFTER_UNLOCK
      waited = true
#endif
    fi;
    lock = false;
#ifdef WAITED_AFTER_UNLOCK
    if :: !got -> waited = true :: else -> skip fi;
#endif
    if
    :: got -> skip
    :: else ->
      blocked = true;  /* sleep_for: blocked, a look at the kick, the yield */
      if
      :: kick -> blocked = false
      :: else -> skip
      fi;
      !blocked;
      take_lock();
      if
      :: pending > 0 -> pending--; delivered++
      :: else -> skip
      fi;
      waited = false;
      lock = false
    fi;
    kick = false  /* back to user code: signals_deliver takes the kick */
  od;
  assert(pending == 0)
}
#else
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
#endif

init {
  atomic {
    run sender();
    run thread();
  }
}
