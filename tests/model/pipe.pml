/*
 * A pipe between its readers and writers, as the C++ implements it (proc/pipe.cpp). The
 * pipe's busylock guards its ring (a count of bytes here), its two ends' reference counts and
 * its list of waiters. A reader or writer that cannot move on (an empty pipe that has writers,
 * a full one that has readers) takes the lock, takes its record out of the list unless a waker
 * did, looks, and, not ready, clears its record's mark, blocks itself (cause SLEEP) and links
 * the record before the lock goes; then it looks at its process's end and yields until
 * unblocked, and starts again. Whoever moves bytes, and the last reference of an end going,
 * unlinks, marks and unblocks every waiter under the lock. An end's last reference going makes
 * the pipe free when the other end has none either; nothing touches it after.
 *
 * NREADERS readers each read byte by byte until the end of the bytes (no writer, an empty
 * ring), then drop their end; NWRITERS writers each write NBYTES bytes, one at a time (a byte
 * is a write of at most PIPE_BUF: it goes in whole), then drop theirs. -DREADER_LEAVES: the
 * first reader drops its end after one byte, so a writer may find no reader (EPIPE) and stops.
 * -DKILL: the process of reader 0 ends while it may wait (m_exiting, then every killable thread
 * unblocked): it leaves its wait with EINTR and drops its end.
 *
 * -DPOLL: one more reader, the poller, waits for the read end with ppoll (syscall/poll.cpp)
 * before each read, which takes only what is there: blocked first (cause SLEEP), it looks
 * under the lock and links its record in the same section (proc::pipe_poll), ready or not;
 * ready, it unblocks itself, else it yields until unblocked; either way it then takes the
 * record off unless a waker did. The record lives on its stack for the call only: a waker
 * never finds it linked outside one. -DPOLL_TIMER: its timeout's timer may unblock it too
 * while it waits (a timer of its own core: it fires while the thread is blocked, never while
 * it runs).
 *
 * Properties (safety run): no thread sleeps for ever (an invalid end state: spin's deadlock
 * check), the readers get every byte written (when no reader leaves early), the ring never
 * holds more than CAPACITY bytes nor fewer than 0, the pipe is freed once, after every use.
 * Mutations that must fail: -DLINK_AFTER_UNLOCK (the waiter blocks and links itself after the
 * lock went: a wake between is lost), -DNO_WAKE_ON_RELEASE (an end's last reference goes
 * without waking: a reader waits for ever for a writer that left), with -DPOLL:
 * -DPOLL_BLOCK_AFTER_LOOK (the poller blocks after its looks: a wake between is lost),
 * -DPOLL_NO_UNLINK with -DPOLL_TIMER (the record left linked after a timer's wake-up: a
 * waker finds it after the call).
 */

#ifndef NREADERS
#define NREADERS 2
#endif
#ifndef NWRITERS
#define NWRITERS 2
#endif
#ifndef NBYTES
#define NBYTES 2
#endif
#ifndef CAPACITY
#define CAPACITY 1
#endif
#ifdef POLL
#define POLLER (NREADERS + NWRITERS)
#define NTHREADS (NREADERS + NWRITERS + 1)
#define POLLER_INDEX POLLER
#else
#define NTHREADS (NREADERS + NWRITERS)
#define POLLER_INDEX NTHREADS
#endif
#define READ 0
#define WRITE 1

bool lock = false;
byte count = 0;             /* bytes in the ring */
byte refs[2];               /* m_refs: NREADERS and NWRITERS at the start */
bool linked[NTHREADS];      /* the thread's record in m_waiters */
bool woken[NTHREADS];       /* its record's m_woken */
bool blocked[NTHREADS];     /* the cause SLEEP in its blocked word */
bool freed = false;
bool exiting = false;       /* m_exiting of reader 0's process (-DKILL) */
byte written = 0, received = 0;
bool reader_left = false;
bool in_call[NTHREADS];     /* the poller's record exists (its ppoll runs) */
bool armed = false;         /* the poller's timer (-DPOLL_TIMER) */
bool poller_done = false;

inline take_lock() { atomic { !lock -> assert(!freed); lock = true } }
inline drop_lock() { lock = false }

/* Under the lock: every waiter unlinked, marked, unblocked. */
inline wake_all() {
  i = 0;
  do
  :: i < NTHREADS ->
    if
    :: linked[i] -> assert(i != POLLER_INDEX || in_call[i]); linked[i] = false; woken[i] = true; blocked[i] = false
    :: else -> skip
    fi;
    i++
  :: else -> break
  od
}

/* wait_until_ready(end): `ready` is the condition looked at under the lock; sets `intr` when
 * the process ends during the wait (kill: reader 0's alone). */
#define READY(end) ((end) == READ -> (count > 0 || refs[WRITE] == 0) : (count < CAPACITY || refs[READ] == 0))
inline wait_until_ready(me, end) {
  intr = false;
  do
  :: take_lock();
    if :: linked[me] && !woken[me] -> linked[me] = false :: else -> linked[me] = false fi;
    if
    :: READY(end) -> drop_lock(); break
    :: else ->
      woken[me] = false;
#ifndef LINK_AFTER_UNLOCK
      blocked[me] = true;
      linked[me] = true;
      drop_lock();
#else
      drop_lock();
      blocked[me] = true;
      linked[me] = true;
#endif
      if
      :: me == 0 && exiting ->  /* blocked before the look: the end's wake-up after it is not lost */
        blocked[me] = false;
        take_lock();
        if :: linked[me] && !woken[me] -> linked[me] = false :: else -> linked[me] = false fi;
        drop_lock();
        intr = true;
        break
      :: else -> !blocked[me]  /* sched_yield: its core runs it again once it is unblocked */
      fi
    fi
  od
}

/* pipe_release(end): the last reference wakes every waiter; the last of both frees. */
inline release(end) {
  take_lock();
  refs[end]--;
#ifndef NO_WAKE_ON_RELEASE
  if :: refs[end] == 0 -> wake_all() :: else -> skip fi;
#endif
  last = refs[READ] == 0 && refs[WRITE] == 0;
  drop_lock();
  if :: last -> assert(!freed); freed = true :: else -> skip fi
}

proctype reader(byte me) {
  byte i;
  bool intr, last, done = false, got;
  do
  :: done -> break
  :: else ->
    wait_until_ready(me, READ);
    if
    :: intr -> done = true
    :: else ->
      take_lock();
      got = count > 0;
      if
      :: got -> count--; received++; wake_all()
      :: else -> skip
      fi;
      if :: !got && refs[WRITE] == 0 -> done = true :: else -> skip fi;  /* the end of the bytes */
      drop_lock();
#ifdef READER_LEAVES
      if :: me == 0 && got -> done = true; reader_left = true :: else -> skip fi
#endif
    fi
  od;
  release(READ)
}

proctype writer(byte me) {
  byte i, sent = 0;
  bool intr, last, gone = false, put;
  do
  :: sent == NBYTES || gone -> break
  :: else ->
    wait_until_ready(me, WRITE);
    take_lock();
    if
    :: refs[READ] == 0 -> gone = true  /* EPIPE */
    :: count < CAPACITY -> count++; written++; sent++; wake_all()
    :: else -> skip  /* another writer came first: wait again */
    fi;
    assert(count <= CAPACITY);
    drop_lock()
  od;
  release(WRITE)
}

#ifdef POLL
/* One ppoll of the read end with no deadline (-DPOLL_TIMER: one that may run out): `ready`
 * when it found bytes or no writer left. */
inline poll_read_end(me) {
  in_call[me] = true;
#ifndef POLL_BLOCK_AFTER_LOOK
  blocked[me] = true;  /* blocked before the looks */
#endif
  take_lock();
  ready = READY(READ);
  woken[me] = false;
  linked[me] = true;
  drop_lock();
#ifdef POLL_BLOCK_AFTER_LOOK
  blocked[me] = true;
#endif
  if
  :: ready -> blocked[me] = false
  :: else ->
#ifdef POLL_TIMER
    armed = true;
#endif
    !blocked[me];  /* sched_yield */
    armed = false
  fi;
#ifdef POLL_NO_UNLINK
  if :: ready -> take_lock(); if :: linked[me] && !woken[me] -> linked[me] = false :: else -> skip fi; drop_lock()
     :: else -> skip fi;
#else
  take_lock();
  if :: linked[me] && !woken[me] -> linked[me] = false :: else -> skip fi;
  drop_lock();
#endif
  in_call[me] = false
}

/* Polls, then reads what is there, until the end of the bytes. */
proctype poller(byte me) {
  byte i;
  bool ready, last, done = false;
  do
  :: done -> break
  :: else ->
    poll_read_end(me);
    take_lock();
    if
    :: count > 0 -> count--; received++; wake_all()
    :: count == 0 && refs[WRITE] == 0 -> done = true  /* the end of the bytes */
    :: count == 0 && refs[WRITE] > 0 -> skip  /* a timeout, or another reader came first */
    fi;
    drop_lock()
  od;
  release(READ);
  poller_done = true
}

#ifdef POLL_TIMER
/* The poller's timer: fires at a scheduling point of its core, while the poller waits. */
proctype timer() {
  do
  :: atomic { armed && blocked[POLLER] -> blocked[POLLER] = false }
  :: poller_done -> break
  od
}
#endif
#endif

#ifdef KILL
proctype kill() {
  exiting = true;
  blocked[0] = false  /* unblock_threads: the killable causes of the process's threads */
}
#endif

init {
  byte i;
  atomic {
#ifdef POLL
    refs[READ] = NREADERS + 1;
    run poller(POLLER);
#ifdef POLL_TIMER
    run timer();
#endif
#else
    refs[READ] = NREADERS;
#endif
    refs[WRITE] = NWRITERS;
    i = 0;
    do
    :: i < NREADERS -> run reader(i); i++
    :: else -> break
    od;
    i = 0;
    do
    :: i < NWRITERS -> run writer(NREADERS + i); i++
    :: else -> break
    od;
#ifdef KILL
    run kill();
#endif
  }
  (_nr_pr == 1);  /* every thread done */
  assert(freed);
#if !defined(READER_LEAVES) && !defined(KILL)
  assert(received == NWRITERS * NBYTES);
#endif
  assert(received == written || count == written - received)
}
