// setitimer's ITIMER_REAL: SIGALRM to a process at a time, then every interval; and its CPU-time
// timers, ITIMER_VIRTUAL and ITIMER_PROF (below). Layer: proc.
// Calls kern (a kernel thread, its timer) and the process's owner services (the signal).
//
// The timer is the process's reference's (its owner cluster's; a copy's thread asks there). A
// kernel thread of that cluster sends the signal: made when the timer is first armed, it
// sleeps on its core's timer until the time comes, sends SIGALRM as the kernel does (SI_KERNEL,
// PROCESS_MAKE_KILL's action), sets the next time (the interval after, or none) and sleeps
// again; when the timer is disarmed, or the process ends, it ends. It looks at the timer under
// m_alarm_lock and, to sleep, blocks itself (SLEEP) under it; whoever changes the timer does it
// under the lock too and unblocks the thread, which looks again: no change is missed. It holds
// the process (ProcessUse) only while it looks and sends, so the process's end never waits for
// a sleeping thread: process_destroy disarms the timer and wakes it, and a thread that finds
// its pid gone, or naming another process's timer (a pid used again), ends without touching
// it. tests/model/alarm.pml models it.
#pragma once

#include <cstdint>

#include "libk/result.hpp"

namespace mkh::proc {

struct Process;
struct UserThread;

// A timer's state as setitimer gives and takes it: the time left to its next signal (0:
// disarmed) and the interval after it, in nanoseconds.
struct AlarmTimer {
  int64_t value_ns = 0;
  int64_t interval_ns = 0;
};

// The timer of `process` (its reference, of this cluster): what it was (a live timer has at
// least 1 µs left, as Linux answers), and, with `next`, set to it (a value of 0 disarms it, its
// interval aside). kNoMem (or kAgain) when no kernel thread could be made to send the signal:
// the timer is then left disarmed.
[[nodiscard]] Result<AlarmTimer> alarm_set(Process* process, const AlarmTimer* next);
// The timer disarmed and its thread woken, at the process's end (process_destroy).
void alarm_end(Process* process);

// setitimer's CPU-time timers: ITIMER_VIRTUAL counts down the process's user time (its
// threads' interpreters), ITIMER_PROF its user and system time, and each sends its signal
// (SIGVTALRM, SIGPROF: SI_KERNEL, PROCESS_MAKE_KILL's action) when its time runs out, then once
// every interval of it (intervals missed in one charge give one signal, as Linux's). No thread
// sleeps for them: every thread of the process charges them the CPU time it ran at its
// scheduling points (a quantum's end), from any cluster, by compare-and-swap on the time left,
// so exactly one charge sends each signal; a change by cpu_timer_set makes a charge in flight
// try again on the new value.
enum CpuTimer : uint32_t { kCpuTimerVirtual = 0, kCpuTimerProf = 1 };
// The CPU timer `which` of `process` (its reference, of this cluster): what it was (a live
// timer at least 1 µs), and with `next`, set to it (a value of 0 disarms it, its interval
// aside).
[[nodiscard]] AlarmTimer cpu_timer_set(Process* process, CpuTimer which, const AlarmTimer* next);
// Charges the CPU time the calling user thread ran since its last charge to its process's CPU
// timers: one remote load of each when they are disarmed.
void cpu_timers_charge(UserThread* thread);
// The same with its time counted up to now (user_thread.cpp): setitimer's first step, so that
// what the thread ran before a timer is set is not charged to the new timer.
void cpu_timers_charge_now(UserThread* thread);

}  // namespace mkh::proc
