// futex(2)'s wait and wake between the threads of one process. Layer: proc. Calls kern
// (blocking), the VMM (the user's word).
//
// Every futex of mkh is private: a process has one address space, so the user address is the
// key (a shared futex across processes comes with shared mappings). The waiters of a process
// are FutexWaiter records on their own kernel stacks, in one list under m_futex_lock (the
// reference's: the threads of a copy wait and wake there too, by remote access): a
// waiter checks the word and links itself under the lock, a waker unlinks, marks and
// unblocks under it, so no wake-up is lost and a record is never touched after its waiter
// left. A wait blocks (cause USERSYNC); a timed one arms a timer of its core (kern/timer.hpp)
// that unblocks it at its deadline, as clock_nanosleep does.
#pragma once

#include <cstdint>

#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"

namespace mkh::kern {
struct Thread;
}

namespace mkh::proc {

struct Process;
struct UserThread;

inline constexpr uint32_t kFutexBitsetAny = ~0u;  // FUTEX_BITSET_MATCH_ANY

struct FutexWaiter {
  hal::XlistEntry m_entry;
  uint32_t m_address = 0;
  uint32_t m_bitset = 0;
  hal::Xptr<kern::Thread> m_thread;
  uint32_t m_woken = 0;  // written by the waker, under the lock
};

// The calling thread sleeps while the 32-bit word at `address` (4-byte aligned) holds
// `expected`, until a futex_wake for the address (its bitset meeting `bitset`), the deadline
// (`deadline_ns` on the host clock `clock`; a negative one: none) or the end of its process.
// kAgain when the word differs, kTimedOut, kIntr (the process is ending), kFault, kInval.
[[nodiscard]] Result<void> futex_wait(UserThread* thread, uint32_t address, uint32_t expected, uint32_t bitset,
                                      int clock, int64_t deadline_ns);
// Wakes up to `count` waiters of `address` whose bitset meets `bitset`; how many it woke.
uint32_t futex_wake(Process* process, uint32_t address, uint32_t count, uint32_t bitset);
// Wakes every waiter of the process whose reference is `reference` (it is ending).
void futex_wake_all(hal::Xptr<Process> reference);

}  // namespace mkh::proc
