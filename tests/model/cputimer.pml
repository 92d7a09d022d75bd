/*
 * A process's CPU-time timer (setitimer's ITIMER_VIRTUAL or ITIMER_PROF) counted down by its
 * threads, as the C++ implements it (proc/alarm.cpp: cpu_timer_set, cpu_timers_charge).
 *
 * The time left (0: disarmed) and the interval are the reference's. A thread charges the CPU
 * time it ran at a scheduling point: unless the time left is 0 (a look that only spares the
 * work), it counts itself among the charges in progress, then looks at the time left (a
 * sequentially consistent load) and replaces it by compare-and-swap with what is left after its
 * charge — the interval (or 0) when the time runs out, in which case it sends the signal, which
 * is then pending in the process —, looking again when the swap fails; then it counts itself
 * out. setitimer, under the process's alarm lock, sets the interval, then exchanges the time
 * left; out of the lock, it waits until no charge is in progress before it returns.
 *
 * Properties (safety run): a signal is sent once per expiry of a timer as set, and none is made
 * pending after the setitimer that disarmed the timer returned (a program may then let the
 * signal's default action back). Mutations that must fail: -DNO_WAIT (setitimer returns without
 * waiting for the charges), -DCOUNT_OUT_BEFORE_SEND (a charge counts itself out before it sends
 * the signal of the expiry it made).
 */

#define CHARGERS 2
#define CHARGES 3   /* per thread, one unit of CPU time each */

bool lock = false;
byte left = 0;        /* m_cpu_timer_left */
byte interval = 0;    /* m_cpu_timer_interval */
byte charging = 0;    /* m_cpu_timer_charging */
byte expiries = 0;    /* swaps that ran a timer out */
byte sent = 0;        /* signals made pending */
bool disarmed = false;  /* the last setitimer, which disarms the timer, returned */
byte done = 0;

inline take_lock() { atomic { !lock -> lock = true } }

inline send() {
  atomic {
    assert(!disarmed);
    sent++;
    assert(sent <= expiries)
  }
}

proctype charger() {
  byte n, was, next;
  bool expired;
  for (n : 1 .. CHARGES) {
    if
    :: left == 0 -> skip  /* both timers disarmed: nothing to count */
    :: else ->
      charging++;
      was = left;
      do
      :: was == 0 -> break
      :: else ->
        expired = (was == 1);
        next = (expired -> interval : was - 1);
        atomic {
          if
          :: left == was ->
            left = next;
            if :: expired -> expiries++ :: else -> skip fi;
            was = 0  /* swapped: the loop ends after the signal */
          :: else -> was = left; expired = false
          fi
        }
        if
        :: expired ->
#ifdef COUNT_OUT_BEFORE_SEND
          charging--;
          send();
          goto counted_out
#else
          send()
#endif
        :: else -> skip
        fi
      od;
      charging--;
#ifdef COUNT_OUT_BEFORE_SEND
counted_out:
#endif
      skip
    fi
  }
  done++
}

/* setitimer(value, every) */
inline set(value, every) {
  take_lock();
  interval = every;
  left = value;
  lock = false;
#ifndef NO_WAIT
  charging == 0;
#endif
}

proctype setter() {
  set(2, 1);
  set(1, 0);
  set(2, 2);
  set(0, 0);
  disarmed = true;
  done == CHARGERS;
  assert(sent == expiries)
}

init {
  byte i;
  atomic {
    run setter();
    for (i : 1 .. CHARGERS) { run charger() }
  }
}
