// pipe(2)'s pipes. Layer: proc.
#include "proc/pipe.hpp"

#include <algorithm>
#include <optional>

#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "mm/kmem.hpp"
#include "proc/process.hpp"
#include "proc/user_thread.hpp"
#include "rpc/services/pmem.hpp"

namespace mkh::proc {

namespace {

uint32_t index(PipeEnd end) { return uint32_t(end); }

// The pipe's header, locked while this lives, from any cluster.
class Locked {
 public:
  explicit Locked(hal::Xptr<Pipe> pipe) : m_pipe(pipe), m_guard(pipe.field(&Pipe::m_lock)) {}
  uint32_t head() const { return hal::remote_load(m_pipe.field(&Pipe::m_head)); }
  uint32_t count() const { return hal::remote_load(m_pipe.field(&Pipe::m_count)); }
  uint32_t refs(PipeEnd end) const { return hal::remote_load(ref_word(m_pipe, end)); }
  hal::Xptr<hal::XlistEntry> waiters() const { return m_pipe.field(&Pipe::m_waiters); }
  static hal::Xptr<uint32_t> ref_word(hal::Xptr<Pipe> pipe, PipeEnd end) {
    return pipe.field(&Pipe::m_refs).as<uint32_t>() + index(end);
  }

  // Unlinks, marks and unblocks every waiter: each looks at the pipe again.
  void wake_all() {
    while (!hal::xlist_is_empty(waiters())) {
      const auto waiter = hal::xlist_element(hal::xlist_first(waiters()), &PipeWaiter::m_entry);
      hal::xlist_unlink(waiter.field(&PipeWaiter::m_entry));
      hal::remote_store(waiter.field(&PipeWaiter::m_woken), 1u);
      (void)kern::thread_unblock(hal::remote_load(waiter.field(&PipeWaiter::m_thread)), kern::THREAD_BLOCKED_SLEEP);
    }
  }

  // Moves `size` bytes between the ring, from its offset `at` (wrapping), and `bytes`.
  void move(uint32_t at, hal::xptr_t bytes, uint32_t size, bool into_ring) {
    const auto ring = hal::remote_load(m_pipe.field(&Pipe::m_ring));
    for (uint32_t done = 0; done < size;) {
      const uint32_t offset = (at + done) % kPipeBytes;
      const uint32_t piece = std::min(size - done, kPipeBytes - offset);
      const hal::Xptr<void> there = (ring + offset).as<void>(), here(bytes + done);
      if (into_ring) hal::remote_memcpy(there, here, piece);
      else hal::remote_memcpy(here, there, piece);
      done += piece;
    }
  }
  void set(uint32_t head, uint32_t count) {
    hal::remote_store(m_pipe.field(&Pipe::m_head), head);
    hal::remote_store(m_pipe.field(&Pipe::m_count), count);
  }

 private:
  hal::Xptr<Pipe> m_pipe;
  hal::RemoteBusylockGuard m_guard;
};

hal::Xptr<uint32_t> status_word(hal::Xptr<Pipe> pipe, PipeEnd end) {
  return pipe.field(&Pipe::m_status).as<uint32_t>() + index(end);
}

bool nonblocking(hal::Xptr<Pipe> pipe, PipeEnd end) {
  return (hal::remote_load(status_word(pipe, end)) & kPipeNonblock) != 0;
}

// Whether `end` can move on: a reader has bytes or no writer left; a writer has `room` bytes
// free or no reader left.
bool ready(const Locked& locked, PipeEnd end, uint32_t room) {
  if (end == PipeEnd::kRead) return locked.count() > 0 || locked.refs(PipeEnd::kWrite) == 0;
  return kPipeBytes - locked.count() >= room || locked.refs(PipeEnd::kRead) == 0;
}

// Waits until `end` is ready (`room` as above); kAgain for a non-blocking end, kIntr when the
// process ends or a signal interrupts the wait (wait_interrupted). The waiter blocks itself and
// links its record under the lock: a wake after the lock goes unblocks it, and its yield
// returns at once.
Result<void> wait_until_ready(Process* process, hal::Xptr<Pipe> pipe, PipeEnd end, uint32_t room) {
  const auto self = kern::thread_current_xptr();
  PipeWaiter waiter;
  waiter.m_thread = self;
  const hal::Xptr<PipeWaiter> record(hal::local_cxy(), &waiter);
  hal::publish_local(waiter);  // wakers in any cluster reach it through `record`
  bool linked = false;
  // Under the lock: the record leaves the list unless a waker took it out (and marked it).
  auto unlink = [&] {
    if (linked && hal::remote_load(record.field(&PipeWaiter::m_woken)) == 0)
      hal::xlist_unlink(record.field(&PipeWaiter::m_entry));
    linked = false;
  };
  for (;;) {
    {
      Locked locked(pipe);
      unlink();
      if (ready(locked, end, room)) return {};
      if (nonblocking(pipe, end)) return error(Errno::kAgain);
      hal::remote_store(record.field(&PipeWaiter::m_woken), 0u);
      kern::thread_block(self, kern::THREAD_BLOCKED_SLEEP);
      hal::xlist_add_last(locked.waiters(), record.field(&PipeWaiter::m_entry));
      linked = true;
    }
    // Blocked before the look: the end's wake-up (unblock_threads), or a signal's, after it is
    // not lost.
    if (wait_interrupted(process)) {
      (void)kern::thread_unblock(self, kern::THREAD_BLOCKED_SLEEP);
      Locked locked(pipe);
      unlink();
      return error(Errno::kIntr);
    }
    kern::sched_yield();
  }
}

}  // namespace

Result<hal::Xptr<Pipe>> pipe_create(uint32_t status) {
  auto block = TRY(mm::PageBlock::alloc(kPipeOrder));
  auto* header = static_cast<uint8_t*>(block.base());
  Pipe* pipe = new (header) Pipe();
  pipe->m_refs[index(PipeEnd::kRead)] = 1;
  pipe->m_refs[index(PipeEnd::kWrite)] = 1;
  pipe->m_status[index(PipeEnd::kRead)] = status & kPipeNonblock;
  pipe->m_status[index(PipeEnd::kWrite)] = status & kPipeNonblock;
  pipe->m_ring = hal::Xptr<uint8_t>(hal::local_cxy(), header + hal::kPageSize);  // after the header's page
  const hal::Xptr<Pipe> self(hal::local_cxy(), pipe);
  hal::xlist_root_init(self.field(&Pipe::m_waiters));
  pipe->m_block = block.release();
  hal::publish_local(*pipe);
  return self;
}

void pipe_take(hal::Xptr<Pipe> pipe, PipeEnd end) { hal::remote_atomic_add(Locked::ref_word(pipe, end), 1u); }

void pipe_release(hal::Xptr<Pipe> pipe, PipeEnd end) {
  bool last = false;
  {
    Locked locked(pipe);
    const uint32_t left = hal::remote_atomic_add(Locked::ref_word(pipe, end), uint32_t(-1)) - 1;
    if (left == 0) locked.wake_all();
    last = left == 0 && locked.refs(end == PipeEnd::kRead ? PipeEnd::kWrite : PipeEnd::kRead) == 0;
  }
  if (!last) return;
  // No reference is left to either end: nothing can reach the pipe any more.
  mm::Page* const block = hal::remote_load(pipe.field(&Pipe::m_block));
  if (pipe.cxy() == hal::local_cxy()) mm::kmem_free_pages(block);
  else if (!rpc::rpc_pmem_release_pages_client(pipe.cxy(), block)) kern::cluster_count_error();
}

Result<uint32_t> pipe_read(Process* process, hal::Xptr<Pipe> pipe, uint32_t address, uint32_t size, bool wait) {
  uint32_t done = 0;
  while (done < size) {
    const uint64_t at = uint64_t(address) + done;
    const uint32_t chunk = uint32_t(std::min<uint64_t>(size - done, vmm::kPageSize - (at & (vmm::kPageSize - 1))));
    // The first byte waited for before the page is held: a page is never held through a wait.
    if (done == 0 && wait) TRY(wait_until_ready(process, pipe, PipeEnd::kRead, 0));
    auto page = at < vmm::kUserEnd ? UserPage::hold(process, uint32_t(at), vmm::VSEG_WRITE)
                                   : Result<UserPage>(error(Errno::kFault));
    if (!page) {
      if (done > 0) break;
      return error(page.error());
    }
    uint32_t moved = 0;
    bool ended = false;
    {
      Locked locked(pipe);
      const uint32_t count = locked.count();
      moved = std::min(chunk, count);
      if (moved > 0) {
        locked.move(locked.head(), page->byte(uint32_t(at)), moved, false);
        locked.set((locked.head() + moved) % kPipeBytes, count - moved);
        locked.wake_all();  // writers waiting for room
      }
      ended = count == 0 && locked.refs(PipeEnd::kWrite) == 0;
    }
    done += moved;
    if (done > 0 && moved < chunk) break;       // the ring is empty: what was there is the answer
    if (moved == 0 && (ended || !wait)) break;  // no writer left (the end of the bytes), or no wait
    // Else another reader took the bytes first: wait again.
  }
  return done;
}

namespace {

// Where a write's bytes are: staged in this cluster's memory, or on one page of the user's,
// held again after each wait (never through one).
struct Source {
  hal::xptr_t staged = 0;
  uint32_t user = 0;  // when `staged` is null
};

// Puts the `size` bytes of `source` in the ring, waiting for room; all at once when `whole`,
// else as room comes.
Result<PipeWritten> put(Process* process, hal::Xptr<Pipe> pipe, Source source, uint32_t size, bool whole) {
  PipeWritten written;
  while (written.count < size) {
    const uint32_t left = size - written.count;
    auto waited = wait_until_ready(process, pipe, PipeEnd::kWrite, whole ? left : 1);
    if (!waited) {
      if (written.count > 0) break;
      return error(waited.error());
    }
    std::optional<UserPage> page;
    hal::xptr_t from = source.staged + written.count;
    if (source.staged == 0) {
      auto held = UserPage::hold(process, source.user + written.count, vmm::VSEG_READ);
      if (!held) {
        if (written.count > 0) break;
        return error(held.error());
      }
      from = held->byte(source.user + written.count);
      page.emplace(std::move(*held));
    }
    Locked locked(pipe);
    if (locked.refs(PipeEnd::kRead) == 0) {
      written.no_reader = true;
      break;
    }
    const uint32_t count = locked.count();
    const uint32_t room = kPipeBytes - count;
    if (whole && room < left) continue;  // another writer came first: wait again
    const uint32_t n = std::min(left, room);
    locked.move(locked.head() + count, from, n, true);
    locked.set(locked.head(), count + n);
    locked.wake_all();  // readers waiting for bytes
    written.count += n;
  }
  return written;
}

}  // namespace

Result<PipeWritten> pipe_write(Process* process, hal::Xptr<Pipe> pipe, uint32_t address, uint32_t size) {
  if (size == 0) return PipeWritten{};  // before the readers are looked at, as Linux
  // A page of the user's at a time, from there into the ring; but a write of at most PIPE_BUF
  // bytes across two pages is copied into a page of this cluster first, so that it goes in at
  // one time.
  static_assert(kPipeAtomicBytes <= vmm::kPageSize, "a write that goes in whole fits the staging page");
  const bool whole = size <= kPipeAtomicBytes;
  std::optional<mm::PageBlock> block;
  PipeWritten written;
  while (written.count < size) {
    const uint32_t at = address + written.count;
    const uint32_t page_rest = vmm::kPageSize - (at & (vmm::kPageSize - 1));
    const uint32_t piece = whole ? size : std::min(size - written.count, page_rest);
    Source source{.staged = 0, .user = at};
    if (piece > page_rest) {
      if (!block) block.emplace(TRY(mm::PageBlock::alloc(0)));
      auto copied = copy_from_user(process, block->base(), at, piece);
      if (!copied) {
        if (written.count > 0) break;
        return error(copied.error());
      }
      source.staged = hal::Xptr<void>(hal::local_cxy(), block->base()).raw();
    }
    auto put_now = put(process, pipe, source, piece, whole);
    if (!put_now) {
      if (written.count > 0) break;
      return error(put_now.error());
    }
    written.count += put_now->count;
    written.no_reader = put_now->no_reader;
    if (put_now->count < piece) break;  // no reader left, or the end came
  }
  return written;
}

Result<PipeWritten> pipe_write_staged(Process* process, hal::Xptr<Pipe> pipe, const void* bytes, uint32_t size) {
  if (size == 0) return PipeWritten{};
  return put(process, pipe, Source{.staged = hal::Xptr<void>(hal::local_cxy(), const_cast<void*>(bytes)).raw()}, size,
             size <= kPipeAtomicBytes);
}

uint32_t pipe_poll(hal::Xptr<Pipe> pipe, PipeEnd end, PipeWaiter* waiter) {
  Locked locked(pipe);
  uint32_t events = 0;
  if (end == PipeEnd::kRead) {
    if (locked.count() > 0) events |= kPollIn | kPollRdNorm;
    if (locked.refs(PipeEnd::kWrite) == 0) events |= kPollHup;
  } else {
    if (kPipeBytes - locked.count() >= kPipeAtomicBytes) events |= kPollOut | kPollWrNorm;
    if (locked.refs(PipeEnd::kRead) == 0) events |= kPollErr;
  }
  if (waiter != nullptr) {
    waiter->m_thread = kern::thread_current_xptr();
    waiter->m_woken = 0;
    hal::publish_local(*waiter);  // wakers in any cluster reach it through the list
    hal::xlist_add_last(locked.waiters(), hal::Xptr<PipeWaiter>(hal::local_cxy(), waiter).field(&PipeWaiter::m_entry));
  }
  return events;
}

void pipe_poll_unlink(hal::Xptr<Pipe> pipe, PipeWaiter* waiter) {
  const hal::Xptr<PipeWaiter> record(hal::local_cxy(), waiter);
  const Locked locked(pipe);
  if (hal::remote_load(record.field(&PipeWaiter::m_woken)) == 0) hal::xlist_unlink(record.field(&PipeWaiter::m_entry));
}

uint32_t pipe_bytes(hal::Xptr<Pipe> pipe) { return Locked(pipe).count(); }

uint32_t pipe_status(hal::Xptr<Pipe> pipe, PipeEnd end) {
  const Locked locked(pipe);
  return hal::remote_load(status_word(pipe, end));
}

void pipe_set_status(hal::Xptr<Pipe> pipe, PipeEnd end, uint32_t mask, uint32_t value) {
  const Locked locked(pipe);
  const auto word = status_word(pipe, end);
  hal::remote_store(word, (hal::remote_load(word) & ~mask) | (value & mask));
}

}  // namespace mkh::proc
