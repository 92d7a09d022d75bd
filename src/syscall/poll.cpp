// The waits for descriptors: ppoll and pselect6 (Linux's fs/select.c). Layer: syscall.
//
// A wait looks at every descriptor in turn and, when none is ready, sleeps until one may be:
// the caller blocks itself first (cause SLEEP), then each pipe it looks at links a record of
// the caller under the lock of its look (proc::pipe_poll), so that whoever changes the pipe
// after the look unblocks it, as a reader or writer waiting on the pipe is; a timer of its
// core unblocks it at the deadline, a signal's kick when one must be handled. It then takes
// every record off and looks again. A host stream cannot wake it: while one is looked at, the
// sleep lasts 1 ms, then twice as long each time up to 32 ms (as a read of one waits). A file
// of the VFS is always ready (Linux's DEFAULT_POLLMASK). tests/model/pipe.pml (-DPOLL) models
// the records, the wake-ups and the timer.
#include <poll.h>

#include <algorithm>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "hal/clock.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "kern/timer.hpp"
#include "proc/pipe.hpp"
#include "syscall/call.hpp"

namespace mkh::syscall {

namespace {

using proc::UserFd;

// RV32's struct pollfd.
struct PollEntry {
  int32_t fd;
  int16_t events;
  int16_t revents;
};
static_assert(sizeof(PollEntry) == 8);

// An entry's descriptor, held from its look until the thread is unblocked again (a release
// may block: the last reference to a file closes it), and its record on the pipe the
// descriptor names while it is linked there.
struct PollRecord {
  std::optional<proc::HeldFd> held;
  proc::PipeWaiter waiter;
  bool linked = false;
  uint32_t counted = UINT32_MAX;  // the events that make the entry ready (select's sets: fewer than poll's)

  // Unblocked: the record off its pipe, then the descriptor released (a pipe's last reference
  // wakes its waiters).
  void release() {
    if (std::exchange(linked, false)) proc::pipe_poll_unlink(held->fd.pipe, &waiter);
    held.reset();
  }
};

// What a file of the VFS answers (Linux's DEFAULT_POLLMASK).
constexpr uint32_t kAlwaysReady = proc::kPollIn | proc::kPollOut | proc::kPollRdNorm | proc::kPollWrNorm;
// select's three sets, by the events each takes (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET).
constexpr uint32_t kSelectIn = proc::kPollRdNorm | proc::kPollRdBand | proc::kPollIn | proc::kPollHup | proc::kPollErr;
constexpr uint32_t kSelectOut = proc::kPollWrBand | proc::kPollWrNorm | proc::kPollOut | proc::kPollErr;
constexpr uint32_t kSelectEx = proc::kPollPri;
constexpr uint64_t kHostFirstPause = 1'000'000, kHostLastPause = 32'000'000;

// The events of `entry`'s descriptor among those it asks for (and the errors, always), set in
// its revents; the answer is those of them that count (not 0: the entry is ready). The
// descriptor stays held in `record`; with `link`, a pipe links the record. `host` is set when
// the descriptor is a host stream.
uint32_t look(Call& call, PollEntry& entry, PollRecord& record, bool link, bool& host) {
  uint32_t events = 0;
  if (entry.fd >= 0) {
    auto held = proc::fd_lookup(call.process, entry.fd);
    if (!held) {
      events = proc::kPollNval;
    } else {
      const UserFd& fd = record.held.emplace(std::move(*held)).fd;
      if (fd.kind == UserFd::Kind::kHost) {
        host = true;
        pollfd stream{.fd = fd.host_fd, .events = entry.events, .revents = 0};
        if (::poll(&stream, 1, 0) < 0) stream.revents = POLLERR;
        events = uint16_t(stream.revents);
      } else if (fd.is_pipe()) {
        events = proc::pipe_poll(fd.pipe, fd.pipe_end(), link ? &record.waiter : nullptr);
        record.linked = link;
      } else {
        events = kAlwaysReady;
      }
    }
  }
  events &= uint16_t(entry.events) | proc::kPollErr | proc::kPollHup | proc::kPollNval;
  entry.revents = int16_t(events);
  return events & record.counted;
}

// Looks at `entries` until one is ready or the monotonic clock passes `deadline` (its
// nanoseconds; INT64_MAX: none, 0: no wait), sleeping between the looks; the count of the
// entries ready, their revents set. kIntr when a signal (or the process's end) interrupts.
Answer wait_for_entries(Call& call, std::span<PollEntry> entries, std::span<PollRecord> records, int64_t deadline) {
  const auto self = kern::thread_current_xptr();
  uint64_t host_pause = kHostFirstPause;
  auto release_all = [&] {
    for (PollRecord& record : records) record.release();
  };
  for (;;) {
    const int64_t left = deadline == INT64_MAX ? INT64_MAX : deadline - hal::clock_ns(CLOCK_MONOTONIC);
    const bool may_wait = left > 0;
    // Blocked before the looks: a pipe's change after its look unblocks it, and the yield
    // below returns at once.
    if (may_wait) kern::thread_block(self, kern::THREAD_BLOCKED_SLEEP);
    uint32_t ready = 0;
    bool host = false;
    for (size_t i = 0; i < entries.size(); ++i)
      if (look(call, entries[i], records[i], may_wait && ready == 0, host) != 0) ++ready;
    if (ready > 0 || !may_wait) {
      if (may_wait) (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_SLEEP);
      release_all();
      return ready;
    }
    uint64_t pause = uint64_t(left);
    if (host) {
      pause = std::min(pause, host_pause);
      host_pause = std::min(host_pause * 2, kHostLastPause);
    }
    kern::Timer timer;
    timer.arm(kern::ticks_from_now(pause), kern::THREAD_BLOCKED_SLEEP);
    if (proc::wait_interrupted(call.process)) {
      (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_SLEEP);
      release_all();
      return error(Errno::kIntr);
    }
    kern::sched_yield();
    release_all();
  }
}

// The entries and their records, in a block of pages of the calling cluster (a kernel stack
// has no room for 1024 of each).
struct Entries {
  mm::PageBlock block;
  std::span<PollEntry> entries;
  std::span<PollRecord> records;

  static Result<Entries> make(uint32_t count) {
    const size_t bytes = count * (sizeof(PollEntry) + sizeof(PollRecord));
    uint32_t order = 0;
    while ((size_t(hal::kPageSize) << order) < bytes) ++order;
    auto block = TRY(mm::PageBlock::alloc(order));
    auto* records = static_cast<PollRecord*>(block.base());
    std::uninitialized_default_construct_n(records, count);
    auto* entries = reinterpret_cast<PollEntry*>(records + count);
    return Entries(std::move(block), {entries, count}, {records, count});
  }
  Entries(mm::PageBlock owned, std::span<PollEntry> list, std::span<PollRecord> their_records)
      : block(std::move(owned)), entries(list), records(their_records) {}
  Entries(Entries&&) = default;
  ~Entries() {
    if (block.page() != nullptr) std::destroy(records.begin(), records.end());
  }
};

// The deadline a timeout at `address` sets (Linux's poll_select_set_timeout): none for a
// null address, now for a zero timeout. kInval, kFault.
Result<int64_t> deadline_of(Call& call, uint32_t address) {
  if (address == 0) return INT64_MAX;
  const int64_t ns = TRY(timespec_ns_from_user(call, address));
  return ns == 0 ? 0 : deadline_after(CLOCK_MONOTONIC, ns);
}

// The end of a wait: the mask before it back unless a signal interrupted it (a handler's
// return restores it then), and what is left of the timeout written back (Linux's
// poll_select_finish), not for none or a zero one; a failure to write it is ignored.
Answer finish(Call& call, uint32_t address, int64_t deadline, Answer answer) {
  if (answer || answer.error() != Errno::kIntr) wait_mask_restore(call);
  if (address != 0 && deadline != INT64_MAX && deadline != 0) {
    const int64_t rest = std::max<int64_t>(0, deadline - hal::clock_ns(CLOCK_MONOTONIC));
    (void)timespec_to_user(call, address, timespec{.tv_sec = rest / 1'000'000'000, .tv_nsec = rest % 1'000'000'000});
  }
  return answer;
}

}  // namespace

// ppoll(fds, nfds, timeout, sigmask, sigsetsize) with a struct timespec64: Linux's order of
// refusals (the timeout, the mask, then nfds past RLIMIT_NOFILE: EINVAL; EFAULT), each
// entry's revents written back, even when a signal interrupted.
Answer sys_ppoll_time64(Call& call) {
  const int64_t deadline = TRY(deadline_of(call, call.a[2]));
  if (call.a[3] != 0) TRY(wait_mask_set(call, call.a[3], call.a[4]));
  const uint32_t count = call.a[1];
  auto answer = [&]() -> Answer {
    if (count > proc::kMaxFds) return error(Errno::kInval);
    Entries list = TRY(Entries::make(count));
    TRY(proc::copy_from_user(call.process, list.entries.data(), call.a[0], count * sizeof(PollEntry)));
    const Answer ready = wait_for_entries(call, list.entries, list.records, deadline);
    for (uint32_t i = 0; i < count; ++i)
      TRY(proc::copy_to_user(call.process, call.a[0] + i * sizeof(PollEntry) + offsetof(PollEntry, revents),
                             &list.entries[i].revents, sizeof(int16_t)));
    return ready;
  }();
  return finish(call, call.a[2], deadline, answer);
}

// pselect6(n, readfds, writefds, exceptfds, timeout, sig) with a struct timespec64, `sig`
// naming a signal set's address and size: Linux's order of refusals (the timeout, the mask, n
// negative: EINVAL; EFAULT; a descriptor of the sets that is not open: EBADF); n past the
// descriptors a process may have counts as that many. The sets, when not interrupted, say
// which descriptors are ready; the answer is their count.
Answer sys_pselect6_time64(Call& call) {
  constexpr uint32_t kWords = proc::kMaxFds / 32;
  const int64_t deadline = TRY(deadline_of(call, call.a[4]));
  if (call.a[5] != 0) {
    uint32_t sig[2];
    TRY(proc::copy_from_user(call.process, sig, call.a[5], sizeof sig));
    if (sig[0] != 0) TRY(wait_mask_set(call, sig[0], sig[1]));
  }
  auto answer = [&]() -> Answer {
    if (int32_t(call.a[0]) < 0) return error(Errno::kInval);
    const uint32_t limit = std::min(call.a[0], proc::kMaxFds), bytes = (limit + 31) / 32 * 4;
    static constexpr uint32_t kTakes[3] = {kSelectIn, kSelectOut, kSelectEx};
    uint32_t sets[3][kWords] = {};
    for (uint32_t k = 0; k < 3; ++k)
      if (call.a[1 + k] != 0) TRY(proc::copy_from_user(call.process, sets[k], call.a[1 + k], bytes));
    auto in = [&](uint32_t k, uint32_t fd) { return (sets[k][fd / 32] >> fd % 32 & 1) != 0; };
    uint32_t count = 0;
    for (uint32_t fd = 0; fd < limit; ++fd) count += in(0, fd) || in(1, fd) || in(2, fd);
    Entries list = TRY(Entries::make(count));
    for (uint32_t fd = 0, i = 0; fd < limit; ++fd) {
      uint32_t takes = 0;
      for (uint32_t k = 0; k < 3; ++k) takes |= in(k, fd) ? kTakes[k] : 0;
      if (takes == 0) continue;
      TRY(proc::fd_lookup(call.process, int32_t(fd)));  // each descriptor open, before any wait
      list.entries[i] = PollEntry{.fd = int32_t(fd), .events = int16_t(takes), .revents = 0};
      list.records[i++].counted = takes;
    }
    TRY(wait_for_entries(call, list.entries, list.records, deadline));
    uint32_t ready[3][kWords] = {}, bits = 0;
    for (const PollEntry& entry : list.entries)
      for (uint32_t k = 0; k < 3; ++k)
        if (in(k, uint32_t(entry.fd)) && (uint16_t(entry.revents) & kTakes[k]) != 0) {
          ready[k][entry.fd / 32] |= 1u << entry.fd % 32;
          ++bits;
        }
    for (uint32_t k = 0; k < 3; ++k)
      if (call.a[1 + k] != 0) TRY(proc::copy_to_user(call.process, call.a[1 + k], ready[k], bytes));
    return bits;
  }();
  return finish(call, call.a[4], deadline, answer);
}

}  // namespace mkh::syscall
