// Baselines for `mkh bench rpc`: host-thread request/response and streaming figures that the
// RPC round trip is compared with, measured in the same run on the same host CPUs.
// Layer: bench (host only, independent of the kernel). Calls std::thread, pthread affinity,
// the futex system call and atomic_queue; nothing of src/.
// Each function runs ONE round (threads started per round, start-up outside the timed part);
// the caller interleaves rounds and takes medians.
#pragma once

#include <cstdint>

namespace mkh::bench {

// Returned instead of a figure when a round was refused (zero messages, bad argument) or a
// message did not come back intact (lost, duplicated, out of order, wrong echo).
inline constexpr double kBaselineFailed = -1.0;

inline bool baseline_failed(double figure) { return figure < 0; }

struct PingPongSetup {
  int cpu_a = 0;    // the initiating side (times the round)
  int cpu_b = 1;    // the answering side (the consumer, for the streaming figure)
  bool pin = true;  // pin each thread to its host CPU with pthread_setaffinity_np
  // Out, optional: set after the round to true if pinning was asked for and failed on some
  // thread (that thread then ran unpinned), to false otherwise. Never aborts the round.
  bool* pin_failed = nullptr;
};

// Two threads, one request cache line and one response cache line, spin hand-off (pause,
// no yield): the hardware floor of a request/response, two line transfers. ns per round trip.
double floor_rtt_ns(uint64_t round_trips, PingPongSetup setup);

// The two-line floor with both spin loops at one of kSpinPlacements placements in a 64-byte
// block of code (placement p: 64 * p / kSpinPlacements bytes in), the loop written out in
// assembly so that only its placement changes. On some CPUs where a pause loop sits decides
// how soon it sees the other side's store (the slowest placement took 1.7-2.1 times the
// fastest on the EPYC machines, docs/perf.md): the spread says how much of a difference
// between two spinning measures can be the placement of their loops rather than what they
// do. x86-64 only (spin_placement_supported()); elsewhere
// kBaselineFailed. ns per round trip.
inline constexpr uint32_t kSpinPlacements = 32;
bool spin_placement_supported();
double floor_placed_rtt_ns(uint64_t round_trips, uint32_t placement, PingPongSetup setup);

// The by-reference floor, measured the same way: the request line names a message line
// (the initiator alternates between two) that the answerer reads and answers in, so three
// serial line transfers (request, message to the answerer, message back): the minimum of
// a protocol that passes the message by its address. ns per round trip.
double floor_byref_rtt_ns(uint64_t round_trips, PingPongSetup setup);

// The slot protocol's floor, the memory accesses of an RPC round trip without its kernel:
// the initiator writes its answer line (in its stack, as a descriptor is: the count of
// answers expected, 1, and the argument) and a call into the next one-line slot of a ring
// of 64 (the answer line's address and the argument, then the slot's sequence); the
// answerer polls the head slot, reads the call, frees the slot and writes the answer
// (argument + 1, then the count 0) into the answer line, which the initiator polls. No
// locked instruction. `rpc_rtt_ns` over it is what the RPC's kernel software adds; it over
// `atomic_queue_rtt_ns` is what passing the answer through the caller's line costs. ns per
// round trip.
double floor_slot_rtt_ns(uint64_t round_trips, PingPongSetup setup);

// atomic_queue at its best for a round trip: two one-to-one queues (SPSC = true: no locked
// instruction), the value itself in the slot, both sides busy-waiting in push and pop; the
// answer is the request + 1. ns per round trip.
double atomic_queue_rtt_ns(uint64_t round_trips, PingPongSetup setup);

// The same with the many-to-many queues (a locked fetch_add and a compare-and-swap or an
// exchange per operation) carrying a pointer to a message that both sides read and write
// (the by-reference pattern). ns per round trip.
double atomic_queue_mpmc_byref_rtt_ns(uint64_t round_trips, PingPongSetup setup);

// std::mutex + std::condition_variable request/response. ns per round trip.
double condvar_rtt_ns(uint64_t round_trips, PingPongSetup setup);

// Raw futex ping-pong, no spinning: each side sleeps in FUTEX_WAIT_PRIVATE on its own word
// and the other wakes it with FUTEX_WAKE_PRIVATE. The "sleeping" baseline. ns per round trip
// (the mean). With `sleeping_median_ns`, every round trip is timed, and *sleeping_median_ns is
// the median of those in which the answerer slept (it finds the request already there in
// the others: a tenth to over half of them, from run to run); of all when none did.
double futex_rtt_ns(uint64_t round_trips, PingPongSetup setup, double* sleeping_median_ns = nullptr);

// AtomicQueue streaming throughput: `producers` threads (all pinned to cpu_a) push `messages`
// in total to one consumer (cpu_b), timed by the consumer from the start signal to the last
// message. Million messages per second. Fails only if a message is lost or duplicated: the
// queue is not FIFO per producer once producers share a CPU (a producer preempted between
// claiming a slot and filling it is overtaken a lap later), so reordering is counted instead,
// into *out_of_order when given (arrivals not following their producer's previous one).
double atomic_queue_stream_mops(uint64_t messages, int producers, PingPongSetup setup,
                                uint64_t* out_of_order = nullptr);

// Futex ping-pong between two threads both pinned to the SAME host CPU (the oversubscribed
// case). ns per round trip. pin_failed as in PingPongSetup.
double shared_cpu_futex_ns(uint64_t round_trips, int cpu, bool* pin_failed = nullptr);

}  // namespace mkh::bench
