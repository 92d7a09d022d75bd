/*
 * execve's stop of a process's threads against a kill, as the C++ implements them
 * (proc/process.cpp process_stop_for_exec, process_make_exit_at; proc/exec.cpp
 * exec_after_last_thread; proc/user_thread.cpp thread_end). Process::m_exiting is 0 while the
 * process runs, EXITING once its end is decided, FOR_EXEC while an execve stops its threads.
 * The execing thread sets FOR_EXEC (a CAS from 0) and leaves its request; every thread stops
 * at its next look, leaves the thread table, then its cluster's count of threads (a thread of
 * a copy: the copy's). The last to leave the table takes the request, deletes the copies
 * (each waits until its threads are gone, which they are about to be while the process counts
 * as ending: a copy whose process goes on refuses), then sets m_exiting back to 0 (a CAS from
 * FOR_EXEC) and starts the new image's main thread, which later calls exit_group. A kill
 * (PROCESS_MAKE_KILL, exit_group of another thread) sets EXITING from 0 or from FOR_EXEC.
 *
 * Properties (assertions): a kill is never lost — once its call returns the process is ending,
 * for good; no thread of the old image runs once the new one started, and the new one starts
 * with no thread in the table; the request is taken once; a copy is deleted only once its
 * threads are gone, or while the process counts as ending; at the end the process ended, and
 * (-DNO_KILL) after its new image ran. No invalid end state.
 * With -DSIGNAL, a terminating signal from another process, judged while the threads stop by
 * the execve caller's mask: never lost either.
 * Mutations that must fail: -DONE_PASS_KILL (the kill tries 0 -> EXITING, then FOR_EXEC ->
 * EXITING, once each: an exec ending between the two makes it lose), -DRESET_BEFORE_COPIES
 * (m_exiting back to 0 before the copies are deleted), -DSIGNAL -DNO_EXEC_JUDGE (a signal that
 * finds no thread in the table is dropped: lost while the old image goes).
 */

#define EXITING 1
#define FOR_EXEC 2
#define NOLD 3 /* threads of the old image: 0 execs, 2 runs on a copy */

byte exiting = 0;
bool pending = false;  /* Process::m_exec_pending */
byte requests_taken = 0;
byte count = NOLD;     /* the thread table's count */
byte copy_threads = 1; /* the copy's m_local_threads */
bool new_image = false;
bool ended = false;
bool window = false;   /* Process::m_exec_window: from the stop until the new thread is in the table */

/* process_make_exit_at's decision. */
inline make_exit() {
#ifdef ONE_PASS_KILL
  atomic { if :: exiting == 0 -> exiting = EXITING :: else -> skip fi };
  atomic { if :: exiting == FOR_EXEC -> exiting = EXITING :: else -> skip fi }
#else
  do
  :: atomic { exiting == EXITING -> break }
  :: atomic { exiting == 0 -> exiting = EXITING; break }
  :: atomic { exiting == FOR_EXEC -> exiting = EXITING; break }
  od
#endif
}

/* At the reference, once the table is empty (user_thread.cpp last_thread_gone). */
inline last_thread_gone() {
  bool took;
  atomic { took = pending; pending = false };
  if
  :: took ->
     requests_taken++;
#ifdef RESET_BEFORE_COPIES
     atomic { if :: exiting == FOR_EXEC -> exiting = 0; took = true :: else -> took = false fi };
#endif
     /* process_copies_delete: the copy waits for its threads while the process is ending. */
     do
     :: atomic { copy_threads == 0 -> break }
     :: atomic { copy_threads > 0 -> assert(exiting != 0) }  /* else the copy refuses: kBusy */
     od;
#ifndef RESET_BEFORE_COPIES
     atomic { if :: exiting == FOR_EXEC -> exiting = 0; took = true :: else -> took = false fi };
#endif
     if
     :: took ->
        assert(count == 0);
        new_image = true;
        count = 1;
        window = false;  /* process_exec_window_close, once the thread is in the table */
        run new_main()
     :: else -> ended = true
     fi
  :: else -> make_exit(); ended = true
  fi
}

/* The new image's main thread: stops when the process ends, or calls exit_group. */
proctype new_main() {
  do
  :: exiting != 0 -> break
  :: exiting == 0 -> make_exit()
  od;
  bool last;
  atomic { count--; last = (count == 0) };
  if
  :: last -> last_thread_gone()
  :: else -> skip
  fi
}

proctype old_thread(byte id) {
  do
  :: exiting != 0 -> break
  :: exiting == 0 ->
     assert(!new_image);  /* a turn of the old image's code */
     if
     :: id == 0 ->  /* execve: the program checked, then the point of no return */
        bool won;
        /* under the signal lock: the word, the window and the caller's mask together */
        atomic { if :: exiting == 0 -> exiting = FOR_EXEC; window = true; won = true :: else -> won = false fi };
        if
        :: won -> pending = true  /* before this thread leaves the table */
        :: else -> skip
        fi
     :: else -> skip
     fi
  od;
  bool last;
  atomic { count--; last = (count == 0) };
  if
  :: id == 2 -> copy_threads--
  :: else -> skip
  fi;
  if
  :: last -> last_thread_gone()
  :: else -> skip
  fi
}

proctype killer() {
  make_exit();
  assert(exiting == EXITING)
}

#ifdef SIGNAL
/* A terminating signal, not blocked, sent by another process (syscall/signals.cpp send, under
 * the signal lock and the thread table's, then deliver): while an execve stops the threads, or
 * after while its window is open (the new image's thread not in the table yet), the execve
 * caller's mask judges; otherwise a thread of the table, and none means the process is ending
 * (dropped). */
proctype sender() {
  bool acts;
  atomic {
#ifndef NO_EXEC_JUDGE
    if
    :: exiting == FOR_EXEC || (exiting == 0 && window) -> acts = true
    :: else -> acts = count > 0
    fi
#else
    acts = count > 0
#endif
  };
  if
  :: acts -> make_exit()
  :: else -> skip
  fi;
  assert(exiting == EXITING)  /* never lost */
}
#endif

init {
  atomic {
    run old_thread(0);
    run old_thread(1);
    run old_thread(2);
#ifndef NO_KILL
    run killer();
#endif
#ifdef SIGNAL
    run sender();
#endif
  }
  (_nr_pr == 1);
  assert(ended && exiting == EXITING && requests_taken <= 1 && !pending);
#if defined(NO_KILL) && !defined(SIGNAL)
  assert(new_image && requests_taken == 1)
#endif
}
