// What the running host thread is, for the kernel: the local cluster and core, the
// busylocks it holds, and the host-level relax/yield used by every spin loop.
// Layer: hal. Set by the core driver (boot/machine.cpp) before it runs a core's scheduler.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "hal/sanitizers.hpp"
#include "hal/xptr.hpp"

namespace mkh::hal {

struct CpuContext {
  cxy_t cxy = kInvalidCxy;   // the cluster whose kernel instance this host thread runs now
  lid_t lid = 0;             // the core inside it
  uint32_t busylocks = 0;    // busylocks held: a thread must hold none when it deschedules
  uint32_t drives_core = 0;  // 1 on the host thread that drives core (cxy, lid); 0 in a ClusterScope
};

namespace detail {
inline thread_local CpuContext t_cpu;  // reached through cpu() only
}  // namespace detail

// The running host thread's context. A kernel thread is a fiber, and a fiber may resume on
// another host thread than the one it left (in the deterministic mode every fiber started
// before start() moves from the boot thread to the cores' thread), so code must not keep
// the context's address across a scheduling point: it calls cpu() again after one.
// Optimised code reaches the thread-local relative to the thread pointer at each access, but
// GCC treats the thread pointer as constant in a function: wherever it needs the variable's
// address (sanitizer instrumentation, an atomic) it may compute it once and keep it across a
// context switch. Under the sanitizers cpu() is therefore a call that the compiler may
// neither inline nor fold with another, so each use asks again. (cpu_out_of_line is always
// defined: a sanitized source may call it from a program whose hal is not, as the fuzzer's.)
CpuContext& cpu_out_of_line();
#if defined(MKH_ASAN) || defined(MKH_TSAN)
inline CpuContext& cpu() { return cpu_out_of_line(); }
#else
inline CpuContext& cpu() { return detail::t_cpu; }
#endif

inline cxy_t local_cxy() {
  DEBUG_KASSERT(cpu().cxy != kInvalidCxy, "local_cxy() on a host thread outside the machine");
  return cpu().cxy;
}

// Pauses between two host yields in a spin loop, less one (a power of two less one). While
// spinners may share host CPUs (more core threads than CPUs, the usual case in tests), a
// spinner yields every 64 pauses so that the thread it waits for runs soon. A machine whose
// core threads each have a CPU yields less often (spin_set_host_cpus_shared, clock.hpp): a
// host yield costs 1.6 us on some virtual machines (a system call through the hypervisor),
// and at every 64 pauses a spinner spent most of its time in it, a wake-up waiting for it.
inline constexpr uint32_t kSpinYieldMaskShared = 63;
inline std::atomic<uint32_t> g_spin_yield_mask{kSpinYieldMaskShared};

// The CPU's spin-wait hint.
inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// One spin-wait step: a pause, and every so often a host yield so that a preempted lock
// holder or producer on the same host CPU gets to run (the usual case when virtual cores
// outnumber host CPUs).
inline void cpu_relax(uint32_t& spins) {
  if ((++spins & g_spin_yield_mask.load(std::memory_order_relaxed)) == 0) {
    std::this_thread::yield();
  } else {
    cpu_pause();
  }
}

// Asks for the cache line at `address` in exclusive state (PREFETCHW; on x86 CPUs
// without it the opcode is a no-op), for a line about to be written.
inline void prefetch_for_write(const void* address) {
#if defined(__x86_64__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(address)));
#else
  __builtin_prefetch(address, 1);
#endif
}

// `loaded`, taken from `guess` when the two are equal: a branch compares them, and when the
// guess is right what the caller computes from the result depends on `guess` only, not on
// the load of `loaded`. A CPU that predicts the branch then runs that code before the load
// has its line; a spinning server, for one, asks for the lines it will write while the line
// it polls is still on its way (docs/decisions.md, "The server guesses the descriptor").
// Written in assembly because a compiler, knowing the two equal in the branch, may use
// either.
inline uint64_t value_predicted(uint64_t loaded, uint64_t guess) {
#if defined(__x86_64__)
  uint64_t value;
  asm("cmp %[guess], %[loaded]\n\t"
      "jne 1f\n\t"
      "mov %[guess], %[value]\n\t"
      "jmp 2f\n"
      "1:\n\t"
      "mov %[loaded], %[value]\n"
      "2:"
      : [value] "=&r"(value)
      : [loaded] "r"(loaded), [guess] "r"(guess)
      : "cc");
  return value;
#else
  (void)guess;
  return loaded;
#endif
}

// Runs on a host thread that is not a core (the embedder's, a test's) and acts for cluster
// cxy while in scope: it may then allocate from that cluster and create its threads.
class ClusterScope {
 public:
  explicit ClusterScope(cxy_t cxy) : m_saved(cpu()) { cpu() = CpuContext{cxy, 0, 0}; }
  ~ClusterScope() { cpu() = m_saved; }
  ClusterScope(const ClusterScope&) = delete;
  ClusterScope& operator=(const ClusterScope&) = delete;

 private:
  CpuContext m_saved;
};

}  // namespace mkh::hal
