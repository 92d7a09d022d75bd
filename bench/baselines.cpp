// Host-thread baselines for `mkh bench rpc` (see baselines.hpp): spin floors (two lines, two
// lines with the spin loops placed, by reference, the slot protocol's), atomic_queue
// (one-to-one by value, many-to-many by reference), condition variable and futex
// request/response, atomic_queue streaming, shared-CPU futex.
// Layer: bench. Calls std::thread, pthread_setaffinity_np, SYS_futex and atomic_queue only.
// Each round starts its threads, waits for them at a start barrier, then the initiating side
// times from its first request to its last response; a lost or wrong echo fails the round.
#include "baselines.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

// atomic_queue's constructor asserts std::atomic<T>::is_lock_free(), which Clang 14 with
// libstdc++ 12 leaves as a call into libatomic (not linked into mkh): include it with its
// asserts off (they expand where the templates are defined) and check at compile time.
#ifndef NDEBUG
#define MKH_BASELINES_RESTORE_ASSERT
#define NDEBUG
#endif
#include <atomic_queue/atomic_queue.h>
#ifdef MKH_BASELINES_RESTORE_ASSERT
#undef NDEBUG
#undef MKH_BASELINES_RESTORE_ASSERT
#include <cassert>  // assert() back on for the rest of this file
#endif

#include "median.hpp"

namespace mkh::bench {

namespace {

using Clock = std::chrono::steady_clock;

// One spin-wait step. Only a pause: no yield and no sleep in a spinning path.
inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

double ns_per(Clock::time_point start, Clock::time_point end, uint64_t operations) {
  return std::chrono::duration<double, std::nano>(end - start).count() / double(operations);
}

// The initiator's side of a ping-pong: times round trips 1..round_trips, trip(i) making the
// i-th and answering whether its reply was the one expected; kBaselineFailed when one was not.
// With `trip_ns`, each round trip is timed too, into (*trip_ns)[i - 1].
template <typename Trip>
double time_round_trips(uint64_t round_trips, Trip trip, std::vector<double>* trip_ns = nullptr) {
  uint64_t errors = 0;
  if (trip_ns != nullptr) trip_ns->reserve(round_trips);
  const auto start = Clock::now();
  auto trip_start = start;
  for (uint64_t i = 1; i <= round_trips; ++i) {
    if (!trip(i)) ++errors;
    if (trip_ns != nullptr) {
      const auto trip_end = Clock::now();
      trip_ns->push_back(std::chrono::duration<double, std::nano>(trip_end - trip_start).count());
      trip_start = trip_end;
    }
  }
  const auto end = Clock::now();
  return errors == 0 ? ns_per(start, end, round_trips) : kBaselineFailed;
}

bool pin_current_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// Start barrier for the threads of one round: each pins itself, arrives, and waits for the
// others. Outside the timed part, so it may yield.
class StartBarrier {
 public:
  StartBarrier(int parties, bool pin) : m_parties(parties), m_pin(pin) {}

  void arrive_and_wait(int cpu) {
    if (m_pin && !pin_current_thread(cpu)) m_pin_failed.store(true, std::memory_order_relaxed);
    m_arrived.fetch_add(1, std::memory_order_acq_rel);
    while (m_arrived.load(std::memory_order_acquire) < m_parties) std::this_thread::yield();
  }

  // Called after every thread is joined.
  void report(bool* pin_failed) const {
    if (pin_failed != nullptr) *pin_failed = m_pin_failed.load(std::memory_order_relaxed);
  }

 private:
  const int m_parties;
  const bool m_pin;
  std::atomic<int> m_arrived{0};
  std::atomic<bool> m_pin_failed{false};
};

// Runs side_b (the answerer) and side_a (the initiator, returns the figure) on two fresh
// threads pinned to setup.cpu_b / setup.cpu_a; returns side_a's figure.
template <class SideA, class SideB>
double run_pair(const PingPongSetup& setup, SideA side_a, SideB side_b) {
  StartBarrier barrier(2, setup.pin);
  double figure = kBaselineFailed;
  std::thread answerer([&] {
    barrier.arrive_and_wait(setup.cpu_b);
    side_b();
  });
  std::thread initiator([&] {
    barrier.arrive_and_wait(setup.cpu_a);
    figure = side_a();
  });
  initiator.join();
  answerer.join();
  barrier.report(setup.pin_failed);
  return figure;
}

// --- futex ------------------------------------------------------------------------------
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);

uint32_t* futex_word(std::atomic<uint32_t>& word) { return reinterpret_cast<uint32_t*>(&word); }

// True when the thread slept (woken by a FUTEX_WAKE), false when the word had changed.
bool futex_wait(std::atomic<uint32_t>& word, uint32_t expected) {
  return syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0) == 0;
}

void futex_wake_one(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// Sleeps until word differs from `old`; returns the new value. FUTEX_WAIT returns at once
// if the word already changed, so no wake-up is lost. *slept, when given: whether it slept.
uint32_t futex_wait_change(std::atomic<uint32_t>& word, uint32_t old, bool* slept = nullptr) {
  uint32_t value;
  bool any = false;
  while ((value = word.load(std::memory_order_acquire)) == old) any = futex_wait(word, old) || any;
  if (slept != nullptr) *slept = any;
  return value;
}

// --- atomic_queue -------------------------------------------------------------------------
// One-to-one, by value: AtomicQueue<T, SIZE, NIL, MINIMIZE_CONTENTION, MAXIMIZE_THROUGHPUT,
// TOTAL_ORDER, SPSC>. 0 is the empty slot (NIL), so requests count from 1.
using ValueQueue = atomic_queue::AtomicQueue<uint64_t, 64, 0, true, true, false, true>;
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// Many-to-many, by reference. atomic_queue 0.0+git20220518 pops with exchange(NIL, release):
// no acquire on the element. So the payload carries its own release/acquire pair rather
// than relying on the queue.
struct RttMessage {
  std::atomic<uint64_t> seq{0};
  std::atomic<uint64_t> reply{0};
};
using RttQueue = atomic_queue::AtomicQueue<RttMessage*, 64>;
static_assert(std::atomic<RttMessage*>::is_always_lock_free);

// Streaming messages are immutable once the round's threads start (std::thread's start
// orders their construction before any read): the pointer alone carries the message.
struct StreamMessage {
  uint32_t producer = 0;
  uint32_t index = 0;  // position in the producer's ring
};
constexpr uint32_t kStreamRing = 1024;
using StreamQueue = atomic_queue::AtomicQueue<StreamMessage*, 4096>;

// The two-line floor's ping-pong; wait_change(word, old) spins until *word != old and
// returns the new value.
template <class WaitChange>
double two_line_rtt_ns(uint64_t round_trips, PingPongSetup setup, WaitChange wait_change) {
  if (round_trips == 0) return kBaselineFailed;
  struct alignas(64) Line {
    std::atomic<uint64_t> value{0};
  };
  struct Lines {
    Line request;   // written by the initiator only
    Line response;  // written by the answerer only
  } lines;
  static_assert(sizeof(Line) == 64 && sizeof(Lines) == 128);
  auto initiator = [&] {
    return time_round_trips(round_trips, [&](uint64_t i) {
      lines.request.value.store(i, std::memory_order_release);
      return wait_change(&lines.response.value, i - 1) == i;
    });
  };
  auto answerer = [&] {
    uint64_t last = 0;
    for (uint64_t i = 0; i < round_trips; ++i) {
      last = wait_change(&lines.request.value, last);
      lines.response.value.store(last, std::memory_order_release);
    }
  };
  return run_pair(setup, initiator, answerer);
}

#if defined(__x86_64__)
// wait_change with its loop (load, compare, branch out, pause, branch back: 12 bytes, the
// registers fixed so that the length is too) kOffset bytes into a 64-byte block of code; the
// padding before it is jumped over.
template <uint32_t kOffset>
[[gnu::noinline]] uint64_t wait_change_placed(const std::atomic<uint64_t>* word, uint64_t old) {
  static_assert(kOffset < 64);
  uint64_t value;
  asm volatile(
      "jmp 2f\n\t"
      ".p2align 6\n\t"
      ".skip 64 + %c[offset], 0x90\n"  // 64 more: a .skip of zero draws an assembler warning
      "2:\n\t"
      "mov (%[word]), %%rax\n\t"
      "cmp %%rax, %[old]\n\t"
      "jne 3f\n\t"
      "pause\n\t"
      "jmp 2b\n"
      "3:"
      : "=a"(value)
      : [word] "D"(word), [old] "S"(old), [offset] "i"(kOffset)
      : "cc", "memory");
  return value;
}

using WaitChange = uint64_t (*)(const std::atomic<uint64_t>*, uint64_t);
template <uint32_t... kPlacement>
constexpr std::array<WaitChange, sizeof...(kPlacement)> placed_waits(std::integer_sequence<uint32_t, kPlacement...>) {
  return {&wait_change_placed<kPlacement * 64 / kSpinPlacements>...};
}
constexpr auto kPlacedWaits = placed_waits(std::make_integer_sequence<uint32_t, kSpinPlacements>{});
#endif

}  // namespace

double floor_rtt_ns(uint64_t round_trips, PingPongSetup setup) {
  return two_line_rtt_ns(round_trips, setup, [](const std::atomic<uint64_t>* word, uint64_t old) {
    uint64_t value;
    while ((value = word->load(std::memory_order_acquire)) == old) spin_pause();
    return value;
  });
}

#if defined(__x86_64__)
bool spin_placement_supported() { return true; }

double floor_placed_rtt_ns(uint64_t round_trips, uint32_t placement, PingPongSetup setup) {
  if (placement >= kSpinPlacements) return kBaselineFailed;
  return two_line_rtt_ns(round_trips, setup, kPlacedWaits[placement]);
}
#else
bool spin_placement_supported() { return false; }
double floor_placed_rtt_ns(uint64_t, uint32_t, PingPongSetup) { return kBaselineFailed; }
#endif

double floor_byref_rtt_ns(uint64_t round_trips, PingPongSetup setup) {
  if (round_trips == 0) return kBaselineFailed;
  struct alignas(64) Message {
    std::atomic<uint64_t> seq{0};    // written by the initiator
    std::atomic<uint64_t> reply{0};  // written by the answerer (0 by the initiator before a request)
  };
  struct alignas(64) Request {
    std::atomic<Message*> message{nullptr};  // written by the initiator only
  };
  static_assert(sizeof(Message) == 64 && sizeof(Request) == 64);
  Request request;
  Message messages[2];  // alternated: each request names another line than the last one
  auto initiator = [&] {
    return time_round_trips(round_trips, [&](uint64_t i) {
      Message* message = &messages[i & 1];
      message->reply.store(0, std::memory_order_relaxed);
      message->seq.store(i, std::memory_order_relaxed);
      request.message.store(message, std::memory_order_release);
      uint64_t reply;
      while ((reply = message->reply.load(std::memory_order_acquire)) == 0) spin_pause();
      return reply == i + 1;
    });
  };
  auto answerer = [&] {
    Message* last = nullptr;
    for (uint64_t i = 0; i < round_trips; ++i) {
      Message* message;
      while ((message = request.message.load(std::memory_order_acquire)) == last) spin_pause();
      last = message;
      message->reply.store(message->seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
  };
  return run_pair(setup, initiator, answerer);
}

double floor_slot_rtt_ns(uint64_t round_trips, PingPongSetup setup) {
  if (round_trips == 0) return kBaselineFailed;
  struct alignas(64) Answer {
    std::atomic<uint64_t> count{0};  // answers expected
    uint64_t argument = 0;
    uint64_t result = 0;  // written by the answerer
  };
  struct alignas(64) Slot {
    std::atomic<uint64_t> sequence{0};  // == position: free; == position + 1: published
    Answer* answer = nullptr;
    uint64_t argument = 0;
  };
  static_assert(sizeof(Answer) == 64 && sizeof(Slot) == 64);
  constexpr uint64_t kSlots = 64;  // the RPC FIFO's default
  auto slots = std::make_unique<Slot[]>(kSlots);
  for (uint64_t i = 0; i < kSlots; ++i) slots[i].sequence.store(i, std::memory_order_relaxed);
  auto initiator = [&] {
    Answer answer;
    return time_round_trips(round_trips, [&](uint64_t i) {
      const uint64_t position = i - 1;
      Slot& slot = slots[position % kSlots];
      answer.argument = i;
      answer.result = 0;
      answer.count.store(1, std::memory_order_relaxed);
      while (slot.sequence.load(std::memory_order_acquire) != position) spin_pause();
      slot.answer = &answer;
      slot.argument = i;
      slot.sequence.store(position + 1, std::memory_order_release);
      while (answer.count.load(std::memory_order_acquire) != 0) spin_pause();
      return answer.result == i + 1;
    });
  };
  auto answerer = [&] {
    for (uint64_t position = 0; position < round_trips; ++position) {
      Slot& slot = slots[position % kSlots];
      while (slot.sequence.load(std::memory_order_acquire) != position + 1) spin_pause();
      Answer* answer = slot.answer;
      const uint64_t argument = slot.argument;
      slot.sequence.store(position + kSlots, std::memory_order_release);
      answer->result = argument + 1;
      answer->count.store(0, std::memory_order_release);
    }
  };
  return run_pair(setup, initiator, answerer);
}

double atomic_queue_rtt_ns(uint64_t round_trips, PingPongSetup setup) {
  if (round_trips == 0) return kBaselineFailed;
  auto requests = std::make_unique<ValueQueue>();
  auto responses = std::make_unique<ValueQueue>();
  auto initiator = [&] {
    return time_round_trips(round_trips, [&](uint64_t i) {
      requests->push(i);
      return responses->pop() == i + 1;  // pop spins
    });
  };
  auto answerer = [&] {
    for (uint64_t i = 0; i < round_trips; ++i) responses->push(requests->pop() + 1);
  };
  return run_pair(setup, initiator, answerer);
}

double atomic_queue_mpmc_byref_rtt_ns(uint64_t round_trips, PingPongSetup setup) {
  if (round_trips == 0) return kBaselineFailed;
  auto requests = std::make_unique<RttQueue>();
  auto responses = std::make_unique<RttQueue>();
  RttMessage slots[2];  // alternated, so a stale pointer coming back is caught
  auto initiator = [&] {
    return time_round_trips(round_trips, [&](uint64_t i) {
      RttMessage* message = &slots[i & 1];
      message->reply.store(0, std::memory_order_relaxed);
      message->seq.store(i, std::memory_order_release);
      requests->push(message);
      RttMessage* back = responses->pop();  // spins
      return back == message && back->reply.load(std::memory_order_acquire) == i;
    });
  };
  auto answerer = [&] {
    for (uint64_t i = 0; i < round_trips; ++i) {
      RttMessage* message = requests->pop();  // spins
      message->reply.store(message->seq.load(std::memory_order_acquire), std::memory_order_release);
      responses->push(message);
    }
  };
  return run_pair(setup, initiator, answerer);
}

double condvar_rtt_ns(uint64_t round_trips, PingPongSetup setup) {
  if (round_trips == 0) return kBaselineFailed;
  std::mutex mutex;
  std::condition_variable request_ready;
  std::condition_variable response_ready;
  uint64_t request = 0;   // guarded by mutex
  uint64_t response = 0;  // guarded by mutex
  auto initiator = [&] {
    return time_round_trips(round_trips, [&](uint64_t i) {
      std::unique_lock<std::mutex> lock(mutex);
      request = i;
      request_ready.notify_one();
      response_ready.wait(lock, [&] { return response != i - 1; });
      return response == i;
    });
  };
  auto answerer = [&] {
    uint64_t last = 0;
    for (uint64_t i = 0; i < round_trips; ++i) {
      std::unique_lock<std::mutex> lock(mutex);
      request_ready.wait(lock, [&] { return request != last; });
      last = request;
      response = request;
      response_ready.notify_one();
    }
  };
  return run_pair(setup, initiator, answerer);
}

double futex_rtt_ns(uint64_t round_trips, PingPongSetup setup, double* sleeping_median_ns) {
  // 32-bit futex words carry the sequence: it must not wrap back to its start value.
  if (round_trips == 0 || round_trips >= (uint64_t(1) << 32)) return kBaselineFailed;
  struct alignas(64) Word {
    std::atomic<uint32_t> value{0};
  };
  Word request;   // the answerer sleeps on it
  Word response;  // the initiator sleeps on it
  const bool timed = sleeping_median_ns != nullptr;
  std::vector<double> trip_ns;  // each round trip's time (timed)
  std::vector<uint8_t> answerer_slept(timed ? round_trips : 0);
  auto initiator = [&] {
    return time_round_trips(
        round_trips,
        [&](uint64_t trip) {
          const auto i = uint32_t(trip);
          request.value.store(i, std::memory_order_release);
          futex_wake_one(request.value);
          return futex_wait_change(response.value, i - 1) == i;
        },
        timed ? &trip_ns : nullptr);
  };
  auto answerer = [&] {
    uint32_t last = 0;
    for (uint64_t i = 0; i < round_trips; ++i) {
      bool slept = false;
      last = futex_wait_change(request.value, last, &slept);
      if (timed) answerer_slept[i] = slept;
      response.value.store(last, std::memory_order_release);
      futex_wake_one(response.value);
    }
  };
  const double mean_ns = run_pair(setup, initiator, answerer);
  if (timed) {  // both threads joined: their vectors are complete
    std::vector<double> sleeping;
    for (std::size_t i = 0; i < trip_ns.size() && i < answerer_slept.size(); ++i)
      if (answerer_slept[i] != 0) sleeping.push_back(trip_ns[i]);
    *sleeping_median_ns = median(sleeping.empty() ? std::move(trip_ns) : std::move(sleeping));
  }
  return mean_ns;
}

double shared_cpu_futex_ns(uint64_t round_trips, int cpu, bool* pin_failed) {
  return futex_rtt_ns(round_trips, PingPongSetup{cpu, cpu, true, pin_failed});
}

double atomic_queue_stream_mops(uint64_t messages, int producers, PingPongSetup setup, uint64_t* out_of_order) {
  if (messages == 0 || producers < 1 || producers > 1024) return kBaselineFailed;
  const auto n_producers = std::size_t(producers);
  auto queue = std::make_unique<StreamQueue>();
  std::vector<std::vector<StreamMessage>> rings(n_producers);
  std::vector<uint64_t> quota(n_producers);
  for (std::size_t p = 0; p < n_producers; ++p) {
    rings[p].resize(kStreamRing);
    for (uint32_t j = 0; j < kStreamRing; ++j) rings[p][j] = StreamMessage{uint32_t(p), j};
    quota[p] = messages / n_producers + (p < messages % n_producers ? 1 : 0);
  }
  StartBarrier barrier(producers + 1, setup.pin);
  std::atomic<bool> go{false};
  double figure = kBaselineFailed;
  uint64_t reordered = 0;

  std::vector<std::thread> threads;
  threads.reserve(n_producers + 1);
  threads.emplace_back([&] {  // the consumer releases the producers and times the round
    barrier.arrive_and_wait(setup.cpu_b);
    // Arrivals per (producer, ring slot): every message exactly once, whatever the order.
    std::vector<uint64_t> arrived(n_producers * kStreamRing, 0);
    std::vector<uint32_t> next_index(n_producers, 0);
    uint64_t errors = 0;
    const auto start = Clock::now();
    go.store(true, std::memory_order_release);
    for (uint64_t m = 0; m < messages; ++m) {
      const StreamMessage* message = queue->pop();  // spins
      const std::size_t p = message->producer;
      if (p >= n_producers || message->index >= kStreamRing) {
        ++errors;
        continue;
      }
      ++arrived[p * kStreamRing + message->index];
      reordered += message->index != next_index[p];
      next_index[p] = (message->index + 1) % kStreamRing;
    }
    const auto end = Clock::now();
    for (std::size_t p = 0; p < n_producers; ++p) {
      for (uint32_t j = 0; j < kStreamRing; ++j) {
        errors += arrived[p * kStreamRing + j] != quota[p] / kStreamRing + (j < quota[p] % kStreamRing);
      }
    }
    const double seconds = std::chrono::duration<double>(end - start).count();
    figure = errors == 0 ? double(messages) / seconds / 1e6 : kBaselineFailed;
  });
  for (std::size_t p = 0; p < n_producers; ++p) {
    threads.emplace_back([&, p] {
      barrier.arrive_and_wait(setup.cpu_a);
      while (!go.load(std::memory_order_acquire)) spin_pause();
      for (uint64_t i = 0; i < quota[p]; ++i) queue->push(&rings[p][i % kStreamRing]);
    });
  }
  for (auto& thread : threads) thread.join();
  barrier.report(setup.pin_failed);
  if (out_of_order != nullptr) *out_of_order = reordered;
  return figure;
}

}  // namespace mkh::bench
