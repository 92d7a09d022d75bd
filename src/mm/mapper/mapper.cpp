// The mapper: create, destroy, get_page with read-ahead, move_buffer, sync, truncate.
// Layer: mapper. Calls mm (ppm pages, kmem), kern (remote rwlock), rpc (services 24 and 25
// for a remote mapper: mm/mapper/services.hpp), the file system through MapperOps.
#include "mm/mapper/mapper.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <optional>
#include <thread>

#include "hal/cpu.hpp"
#include "kern/sched.hpp"
#include "kern/thread.hpp"
#include "mm/kmem.hpp"
#include "mm/mapper/services.hpp"
#include "mm/memory.hpp"

namespace mkh::mapper {

namespace {

hal::Xptr<kern::RemoteRwlock> lock_of(Mapper* mapper) {
  return hal::Xptr<kern::RemoteRwlock>(hal::local_cxy(), &mapper->m_lock);
}

class ReadLocked {
 public:
  explicit ReadLocked(Mapper* mapper) : m_lock(lock_of(mapper)) { kern::remote_rwlock_rd_acquire(m_lock); }
  ~ReadLocked() { kern::remote_rwlock_rd_release(m_lock); }
  ReadLocked(const ReadLocked&) = delete;
  ReadLocked& operator=(const ReadLocked&) = delete;

 private:
  hal::Xptr<kern::RemoteRwlock> m_lock;
};

class WriteLocked {
 public:
  explicit WriteLocked(Mapper* mapper) : m_lock(lock_of(mapper)) { kern::remote_rwlock_wr_acquire(m_lock); }
  ~WriteLocked() { kern::remote_rwlock_wr_release(m_lock); }
  WriteLocked(const WriteLocked&) = delete;
  WriteLocked& operator=(const WriteLocked&) = delete;

 private:
  hal::Xptr<kern::RemoteRwlock> m_lock;
};

void count(uint64_t& counter, uint64_t delta = 1) { hal::stat_add(counter, delta); }

// A page of the local cluster, owned by `mapper`, whose every byte its filler writes before
// anyone else sees it (the file system's move_pages, or a write of the whole page): left as
// the ppm gives it, poisoned in checked builds so a byte a filler forgets shows in a test.
Result<mm::Page*> new_page(Mapper* mapper) {
  mm::Page* page = TRY(mm::kmem_alloc_pages(0));
#if defined(MKH_DEBUG_CHECKS)
  std::memset(mm::kmem_page_base(page), 0xa5, hal::kPageSize);
#endif
  page->owner = mapper;
  return page;
}

// Writes every dirty page back (write lock held).
Result<void> sync_locked(Mapper* mapper) {
  mm::Page* run[kMapperMaxReadahead];
  uint32_t run_first = 0;
  uint32_t run_count = 0;
  auto flush = [&]() -> Result<void> {
    if (run_count == 0) return {};
    for (uint32_t i = 0; i < run_count; ++i) run[i]->clear_flags(mm::PageFlags::DIRTY);
    count(mapper->m_sync_calls);
    if (auto written = mapper->m_ops->move_pages(mapper, run_first, run, run_count, false); !written) {
      for (uint32_t i = 0; i < run_count; ++i) run[i]->set_flags(mm::PageFlags::DIRTY);
      return error(written.error());
    }
    count(mapper->m_written_back, run_count);
    run_count = 0;
    return {};
  };
  for (auto entry = mapper->m_tree.next(0); entry; entry = mapper->m_tree.next(entry->index + 1)) {
    auto* page = static_cast<mm::Page*>(entry->value);
    if (!page->has(mm::PageFlags::DIRTY)) continue;
    if (run_count != 0 && (entry->index != run_first + run_count || run_count == kMapperMaxReadahead)) TRY(flush());
    if (run_count == 0) run_first = entry->index;
    run[run_count++] = page;
  }
  return flush();
}

// Frees every page of index >= first, without write-back (write lock held).
void drop_locked(Mapper* mapper, uint32_t first) {
  for (auto entry = mapper->m_tree.next(first); entry; entry = mapper->m_tree.next(entry->index + 1)) {
    mapper->m_tree.remove(entry->index);
    mm::kmem_free_pages(static_cast<mm::Page*>(entry->value));
    count(mapper->m_pages, ~uint64_t(0));  // minus one
  }
}

// ---- asynchronous I/O: read-ahead and write-behind (mapper.hpp says how they work)

// An I/O's plan: the file system's word and the page of each page it moves, in a page of the
// mapper's cluster.
struct AsyncPlan {
  uint64_t words[kMapperMaxReadahead];
  mm::Page* pages[kMapperMaxReadahead];
};
static_assert(sizeof(AsyncPlan) <= hal::kPageSize && kMapperWriteBehindRun <= kMapperMaxReadahead);

AsyncPlan* plan_of(const MapperIo& io) { return static_cast<AsyncPlan*>(mm::kmem_page_base(io.plan)); }

bool covers(const MapperIo& io, uint32_t index) { return index - io.first < io.count; }

bool in_flight(const Mapper* mapper, uint32_t index) {
  return std::any_of(std::begin(mapper->m_io), std::end(mapper->m_io),
                     [index](const MapperIo& io) { return covers(io, index); });
}

// The mover thread: the planned I/O, then the post. It touches nothing of the mapper after
// the post but the waiter's word (see thread_post_flag_to), so the mapper may be retired and
// destroyed as soon as the flag reads posted.
void async_mover(void* arg) {
  auto* io = static_cast<MapperIo*>(arg);
  Mapper* mapper = io->mapper;
  AsyncPlan* plan = plan_of(*io);
  const Result<void> moved =
      mapper->m_ops->move_planned(mapper, io->first, plan->pages, plan->words, io->count, io->to_memory);
  hal::local_store(io->error, moved ? int32_t(0) : int32_t(moved.error()));
  kern::thread_post_flag_to(hal::Xptr<uint32_t>(hal::local_cxy(), &io->done),
                            hal::Xptr<hal::xptr_t>(hal::local_cxy(), &io->waiter), kern::THREAD_BLOCKED_WAIT);
}

// The mover as a thread of its own, created in a no-delete scope (start_mover_locked).
void async_mover_thread(void* arg) {
  async_mover(arg);
  --kern::thread_current()->m_no_delete;
}

// Hands the I/O just planned, in the free slot `io`, to a mover thread of this core (write
// lock held).
void start_mover_locked(Mapper* mapper, MapperIo& io, uint32_t first, uint32_t pages, bool to_memory,
                        mm::Page* plan_page) {
  io.mapper = mapper;
  io.first = first;
  io.count = pages;
  io.to_memory = to_memory;
  io.plan = plan_page;
  hal::local_store(io.error, int32_t(0));
  count(to_memory ? mapper->m_async_loads : mapper->m_async_stores);
  auto mover = kern::thread_create(kern::ThreadType::DEV, async_mover_thread, &io, hal::cpu().lid, "mapper-io");
  if (!mover) {
    async_mover(&io);  // no thread to be had: move here, now
    return;
  }
  // Not deletable until its post (a kill would leave the lock's holder waiting for ever):
  // set before it can reach a scheduling point, ended by async_mover_thread.
  ++(*mover)->m_no_delete;
}

// Retires `io`, if it is in flight, once it has ended; with `wait`, waits for it to end first
// (write lock held, or the mapper's last user in mapper_destroy). A load's pages become
// usable, or are dropped when it failed; a store's pages stay clean, or are dirty again.
void settle_io_locked(Mapper* mapper, MapperIo& io, bool wait) {
  if (io.count == 0) return;
  const auto done = hal::Xptr<uint32_t>(hal::local_cxy(), &io.done);
  if (hal::remote_load(done) != kern::kFlagPosted) {
    if (!wait) return;
    count(mapper->m_async_waits);
    if (kern::thread_current() != nullptr) {
      hal::local_store(io.waiter, kern::thread_current_xptr().raw());
      kern::thread_wait_flag(done, kern::THREAD_BLOCKED_WAIT);
    } else {
      // A host thread outside the machine cannot block; the mover runs on a core meanwhile.
      while (hal::remote_load(done) != kern::kFlagPosted) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  hal::local_store(io.done, 0u);  // taken by the wait, or posted with nobody waiting
  AsyncPlan* plan = plan_of(io);
  const uint32_t moved = io.count;
  const bool failed = hal::local_load(io.error) != 0;
  if (io.to_memory && failed) {
    for (uint32_t i = 0; i < moved; ++i) {
      mapper->m_tree.remove(io.first + i);
      mm::kmem_free_pages(plan->pages[i]);
    }
    count(mapper->m_pages, uint64_t(0) - moved);
  } else if (failed) {
    for (uint32_t i = 0; i < moved; ++i) plan->pages[i]->set_flags(mm::PageFlags::DIRTY);
  } else {
    count(io.to_memory ? mapper->m_loaded : mapper->m_written_back, moved);
  }
  mm::kmem_free_pages(io.plan);
  io.plan = nullptr;
  io.count = 0;
}

// Retires every I/O that has ended; with `wait`, every I/O, each waited for.
void settle_async_locked(Mapper* mapper, bool wait) {
  for (MapperIo& io : mapper->m_io) settle_io_locked(mapper, io, wait);
}

// Retires every I/O that has ended, after waiting for the one that moves the page of `index`
// if there is one.
void settle_for_page_locked(Mapper* mapper, uint32_t index) {
  for (MapperIo& io : mapper->m_io) settle_io_locked(mapper, io, covers(io, index));
}

// The page of `index` if it is in the tree and usable: not one of an I/O not yet retired
// (m_lock held, shared or exclusive).
mm::Page* usable_page(Mapper* mapper, uint32_t index) {
  if (in_flight(mapper, index)) return nullptr;
  return static_cast<mm::Page*>(mapper->m_tree.lookup(index));
}

// Before `pages` new pages come (write lock held): a mapper at its page limit writes back and
// drops every page it holds.
Result<void> make_room_locked(Mapper* mapper, uint32_t pages) {
  if (mapper->m_page_limit == 0 || mapper->m_pages + pages <= mapper->m_page_limit) return {};
  settle_async_locked(mapper, true);
  TRY(sync_locked(mapper));
  drop_locked(mapper, 0);
  count(mapper->m_reclaims);
  return {};
}

// Makes the page of `index` present (write lock held, absent checked by the caller): loaded
// with the pages after it that read-ahead asks for and that are absent.
Result<mm::Page*> fill_locked(Mapper* mapper, uint32_t index) {
  uint32_t wanted = 1;
  mapper->m_readahead_trigger = kMapperIndexLimit;
  if (mapper->m_ops->readahead != nullptr) {
    const bool sequential = mapper->m_readahead_window != 0 && index == mapper->m_readahead_next;
    mapper->m_readahead_window =
        sequential ? std::min(2 * mapper->m_readahead_window, kMapperMaxReadahead) : kMapperFirstReadahead;
    wanted = std::min(mapper->m_ops->readahead(mapper, index), mapper->m_readahead_window);
    if (sequential)
      mapper->m_readahead_trigger = index;  // a sequential reader: the next window loads while it copies this one
  }
  wanted = std::clamp(wanted, 1u, kMapperIndexLimit - index);
  uint32_t count_absent = 1;  // index itself is absent; then the run of absent pages after it
  while (count_absent < wanted && mapper->m_tree.lookup(index + count_absent) == nullptr) ++count_absent;

  TRY(make_room_locked(mapper, count_absent));

  mm::Page* pages[kMapperMaxReadahead];
  uint32_t made = 0;
  auto free_from = [&](uint32_t first) {
    for (uint32_t i = first; i < made; ++i) mm::kmem_free_pages(pages[i]);
  };
  for (; made < count_absent; ++made) {
    auto page = new_page(mapper);
    if (!page) {
      if (made == 0) return error(page.error());
      break;  // read ahead less: the page asked for is what matters
    }
    pages[made] = *page;
  }
  count(mapper->m_load_calls);
  if (auto loaded = mapper->m_ops->move_pages(mapper, index, pages, made, true); !loaded) {
    free_from(0);
    return error(loaded.error());
  }
  count(mapper->m_loaded, made);
  if (auto inserted = mapper->m_tree.insert(index, pages[0]); !inserted) {
    free_from(0);
    return error(inserted.error());
  }
  uint32_t kept = 1;
  for (; kept < made; ++kept)
    if (!mapper->m_tree.insert(index + kept, pages[kept])) break;  // no node: drop the rest
  free_from(kept);
  count(mapper->m_pages, kept);
  mapper->m_readahead_next = index + kept;
  return pages[0];
}

// Starts loading, in the free slot `io`, the window after the pages the sequential reader
// has (write lock held). Best effort: nothing starts when the file system cannot plan the
// window, memory is short or the page limit would be passed. True when a mover was made.
bool start_window_locked(Mapper* mapper, MapperIo& io) {
  const uint32_t first = mapper->m_readahead_next;
  if (first >= kMapperIndexLimit) return false;
  const uint32_t wanted =
      std::min({mapper->m_ops->readahead(mapper, first), kMapperMaxReadahead, kMapperIndexLimit - first});
  uint32_t absent = 0;
  while (absent < wanted && mapper->m_tree.lookup(first + absent) == nullptr) ++absent;
  if (absent == 0 || (mapper->m_page_limit != 0 && mapper->m_pages + absent > mapper->m_page_limit)) return false;
  auto plan_page = mm::kmem_alloc_pages(0);
  if (!plan_page) return false;
  auto* plan = static_cast<AsyncPlan*>(mm::kmem_page_base(*plan_page));
  uint32_t made = 0;
  for (; made < absent; ++made) {
    auto page = new_page(mapper);
    if (!page) break;
    plan->pages[made] = *page;
  }
  const uint32_t planned =
      made == 0 ? 0 : std::min(made, mapper->m_ops->plan_move(mapper, first, made, true, plan->words));
  uint32_t inserted = 0;
  while (inserted < planned && mapper->m_tree.insert(first + inserted, plan->pages[inserted])) ++inserted;
  for (uint32_t i = inserted; i < made; ++i) mm::kmem_free_pages(plan->pages[i]);
  if (inserted == 0) {
    mm::kmem_free_pages(*plan_page);
    return false;
  }
  count(mapper->m_pages, inserted);
  mapper->m_readahead_next = first + inserted;
  start_mover_locked(mapper, io, first, inserted, true, *plan_page);
  return true;
}

// The sequential reader is at the trigger page (write lock held): each free slot loads the
// next window, and the first page of the oldest load in flight is the next trigger. Nothing
// starts while a store is in flight. True when a mover was made.
bool start_readahead_locked(Mapper* mapper) {
  mapper->m_readahead_trigger = kMapperIndexLimit;
  if (mapper->m_ops->plan_move == nullptr || kern::thread_current() == nullptr) return false;
  auto is_store = [](const MapperIo& io) { return io.count != 0 && !io.to_memory; };
  if (std::any_of(std::begin(mapper->m_io), std::end(mapper->m_io), is_store)) return false;
  bool started = false;
  for (MapperIo& io : mapper->m_io) {
    if (io.count != 0) continue;
    if (!start_window_locked(mapper, io)) break;
    started = true;
  }
  for (const MapperIo& io : mapper->m_io)
    if (io.count != 0) mapper->m_readahead_trigger = std::min(mapper->m_readahead_trigger, io.first);
  return started;
}

// A slot for a new I/O (write lock held): the I/Os that have ended are retired, and when
// every slot is still in flight, the oldest (the lowest pages) is waited for.
MapperIo& free_slot_locked(Mapper* mapper) {
  settle_async_locked(mapper, false);
  MapperIo* oldest = nullptr;
  for (MapperIo& io : mapper->m_io) {
    if (io.count == 0) return io;
    if (oldest == nullptr || io.first < oldest->first) oldest = &io;
  }
  settle_io_locked(mapper, *oldest, true);
  return *oldest;
}

// Starts writing back the run of kMapperWriteBehindRun pages from `first` that a sequential
// writer has just completed (write lock held), in a free slot (so a writer runs at most
// kMapperIoSlots runs ahead of the disk, and the device has the next run queued when it ends
// one). Nothing starts unless every page of the run is present and dirty; the file system may
// plan fewer (it refuses what must not be written before a sync). True when a mover was made.
bool start_writebehind_locked(Mapper* mapper, uint32_t first) {
  if (mapper->m_ops->plan_move == nullptr || kern::thread_current() == nullptr) return false;
  MapperIo& slot = free_slot_locked(mapper);
  auto plan_page = mm::kmem_alloc_pages(0);
  if (!plan_page) return false;
  auto* plan = static_cast<AsyncPlan*>(mm::kmem_page_base(*plan_page));
  uint32_t dirty = 0;
  while (dirty < kMapperWriteBehindRun) {
    auto* page = static_cast<mm::Page*>(mapper->m_tree.lookup(first + dirty));
    if (page == nullptr || !page->has(mm::PageFlags::DIRTY)) break;
    plan->pages[dirty++] = page;
  }
  const uint32_t planned = dirty < kMapperWriteBehindRun
                               ? 0
                               : std::min(dirty, mapper->m_ops->plan_move(mapper, first, dirty, false, plan->words));
  if (planned == 0) {
    mm::kmem_free_pages(*plan_page);
    return false;
  }
  for (uint32_t i = 0; i < planned; ++i) plan->pages[i]->clear_flags(mm::PageFlags::DIRTY);
  start_mover_locked(mapper, slot, first, planned, false, *plan_page);
  return true;
}

// The page of `index`, present and usable after the call (write lock for a miss). A
// sequential reader (`reading`) at the trigger page starts the next window's load.
Result<mm::Page*> ensure_page(Mapper* mapper, uint32_t index, bool reading) {
  bool started = false;
  Result<mm::Page*> page = [&]() -> Result<mm::Page*> {
    WriteLocked locked(mapper);
    settle_for_page_locked(mapper, index);
    auto* present = static_cast<mm::Page*>(mapper->m_tree.lookup(index));  // loaded meanwhile?
    if (present == nullptr) {
      count(mapper->m_misses);
      present = TRY(fill_locked(mapper, index));
    }
    if (reading && index == mapper->m_readahead_trigger) started = start_readahead_locked(mapper);
    return present;
  }();
  // The mover runs on this core: let it queue its I/O now, while this thread copies.
  if (started) kern::sched_yield();
  return page;
}

// After a write that completed the page of `index`: at the end of an aligned run, the run's
// write-back starts.
void write_behind(Mapper* mapper, uint32_t index) {
  if ((index + 1) % kMapperWriteBehindRun != 0 || mapper->m_ops->plan_move == nullptr) return;
  bool started = false;
  {
    WriteLocked locked(mapper);
    started = start_writebehind_locked(mapper, index + 1 - kMapperWriteBehindRun);
  }
  if (started) kern::sched_yield();  // as in ensure_page
}

// A write of the `pages` whole pages from `index`, under one exclusive lock: a page that is
// there is written over, one that is not is made from `source` (none of its old bytes are
// needed, so nothing is loaded).
Result<void> write_whole_pages(Mapper* mapper, uint32_t index, uint32_t pages, hal::Xptr<void> source) {
  WriteLocked locked(mapper);
  uint32_t written = 0;
  uint32_t made = 0;  // of the pages written
  Result<void> outcome = {};
  for (; written < pages; ++written) {
    settle_for_page_locked(mapper, index + written);
    auto* page = static_cast<mm::Page*>(mapper->m_tree.lookup(index + written));
    const bool absent = page == nullptr;
    if (absent) {
      if (auto room = make_room_locked(mapper, 1); !room) {
        outcome = error(room.error());
        break;
      }
      auto fresh = new_page(mapper);
      if (!fresh) {
        outcome = error(fresh.error());
        break;
      }
      page = *fresh;
    }
    hal::remote_memcpy(hal::Xptr<void>(hal::local_cxy(), mm::kmem_page_base(page)),
                       source + uint64_t(written) * hal::kPageSize, hal::kPageSize);
    page->set_flags(mm::PageFlags::DIRTY);
    if (absent) {
      if (auto inserted = mapper->m_tree.insert(index + written, page); !inserted) {
        mm::kmem_free_pages(page);
        outcome = error(inserted.error());
        break;
      }
      ++made;
    }
  }
  count(mapper->m_hits, written - made);
  count(mapper->m_misses, made);
  count(mapper->m_pages, made);
  count(mapper->m_created, made);
  return outcome;
}

// A mapper of this cluster, or any for a host thread outside the machine (boot code, tests),
// which then acts as the mapper's cluster (it cannot send RPCs).
bool is_local(hal::cxy_t cxy) { return hal::cpu().cxy == cxy || hal::cpu().cxy == hal::kInvalidCxy; }

// A host thread outside the machine acts as the mapper's cluster while in scope; a kernel
// thread (or a host thread in a ClusterScope already) keeps its context.
class HostScope {
 public:
  explicit HostScope(hal::cxy_t cxy) {
    if (hal::cpu().cxy == hal::kInvalidCxy) m_scope.emplace(cxy);
  }

 private:
  std::optional<hal::ClusterScope> m_scope;
};

}  // namespace

Result<Mapper*> mapper_create(const MapperOps* ops, hal::xptr_t owner) {
  if (ops == nullptr || ops->move_pages == nullptr) return error(Errno::kInval);
  Mapper* mapper = TRY(mm::kmem_new<Mapper>());
  mapper->m_ops = ops;
  mapper->m_owner = owner;
  kern::remote_rwlock_init(lock_of(mapper));
  hal::local_store(mapper->m_magic, Mapper::kMagic);
  return mapper;
}

void mapper_destroy(Mapper* mapper) {
  hal::local_store(mapper->m_magic, 0u);
  settle_async_locked(mapper, true);
  for (auto entry = mapper->m_tree.next(0); entry; entry = mapper->m_tree.next(entry->index + 1)) {
    mm::kmem_free_pages(static_cast<mm::Page*>(entry->value));
  }
  mapper->m_tree.clear();
  mm::kmem_delete(mapper);
}

mm::Page* mapper_lookup(Mapper* mapper, uint32_t index) {
  ReadLocked locked(mapper);
  return usable_page(mapper, index);
}

Result<mm::Page*> mapper_get_page_local(Mapper* mapper, uint32_t index) {
  if (mapper == nullptr || index >= kMapperIndexLimit) return error(Errno::kInval);
  {
    ReadLocked locked(mapper);
    if (auto* page = usable_page(mapper, index)) {
      count(mapper->m_hits);
      return page;
    }
  }
  return ensure_page(mapper, index, false);
}

Result<hal::Xptr<mm::Page>> mapper_get_page(hal::Xptr<Mapper> mapper, uint32_t index) {
  if (mapper.is_null()) return error(Errno::kInval);
  if (!is_local(mapper.cxy())) return rpc_mapper_get_page_client(mapper.cxy(), mapper.host_ptr(), index);
  HostScope scope(mapper.cxy());
  mm::Page* page = TRY(mapper_get_page_local(mapper.host_ptr(), index));
  return hal::Xptr<mm::Page>(mapper.cxy(), page);
}

Result<void> mapper_move_buffer_local(Mapper* mapper, bool to_buffer, bool is_user, uint64_t offset, hal::xptr_t buffer,
                                      uint64_t size) {
  if (mapper == nullptr) return error(Errno::kInval);
  if (is_user) return error(Errno::kNoSys);  // user buffers come with the VMM
  if (size == 0) return {};
  if (buffer == hal::XPTR_NULL || offset + size < offset || buffer + size < buffer ||
      ((offset + size - 1) >> hal::kPageShift) >= kMapperIndexLimit)
    return error(Errno::kInval);
  uint64_t done = 0;
  while (done < size) {
    const uint64_t position = offset + done;
    const auto index = uint32_t(position >> hal::kPageShift);
    const uint64_t in_page = position & (hal::kPageSize - 1);
    if (!to_buffer && in_page == 0 && size - done >= hal::kPageSize) {
      // Whole pages written: up to the end of the write-behind run, under one exclusive lock.
      const auto pages = uint32_t(
          std::min<uint64_t>((size - done) >> hal::kPageShift, kMapperWriteBehindRun - index % kMapperWriteBehindRun));
      TRY(write_whole_pages(mapper, index, pages, hal::Xptr<void>(buffer + done)));
      write_behind(mapper, index + pages - 1);
      done += uint64_t(pages) << hal::kPageShift;
      continue;
    }
    const uint64_t length = std::min(hal::kPageSize - in_page, size - done);
    bool copied = false;
    bool first_look = true;
    while (!copied) {
      {
        // Copy under the shared lock: the page cannot be truncated away meanwhile.
        ReadLocked locked(mapper);
        auto* page = usable_page(mapper, index);
        if (to_buffer && index == mapper->m_readahead_trigger) page = nullptr;  // to start the next window
        if (page != nullptr) {
          if (first_look) count(mapper->m_hits);
          const hal::Xptr<void> bytes(hal::local_cxy(), static_cast<uint8_t*>(mm::kmem_page_base(page)) + in_page);
          const hal::Xptr<void> other(buffer + done);
          if (to_buffer) {
            hal::remote_memcpy(other, bytes, length);
          } else {
            hal::remote_memcpy(bytes, other, length);
            page->set_flags(mm::PageFlags::DIRTY);
          }
          copied = true;
        }
      }
      if (copied) break;
      first_look = false;
      TRY(ensure_page(mapper, index, to_buffer));
    }
    if (!to_buffer && in_page + length == hal::kPageSize) write_behind(mapper, index);
    done += length;
  }
  return {};
}

Result<void> mapper_move_buffer(hal::Xptr<Mapper> mapper, bool to_buffer, bool is_user, uint64_t offset,
                                hal::xptr_t buffer, uint64_t size) {
  if (mapper.is_null()) return error(Errno::kInval);
  if (!is_local(mapper.cxy()))
    return rpc_mapper_move_buffer_client(mapper.cxy(), mapper.host_ptr(), to_buffer, is_user, offset, buffer, size);
  HostScope scope(mapper.cxy());
  return mapper_move_buffer_local(mapper.host_ptr(), to_buffer, is_user, offset, buffer, size);
}

Result<void> mapper_sync(Mapper* mapper) {
  // Exclusive: no copy into a page while it is written back, so what is written is what the
  // dirty bit covered. The write-back may block on the device; it holds a sleeping lock.
  WriteLocked locked(mapper);
  settle_async_locked(mapper, true);  // a failed write-behind's pages are dirty again, written here
  return sync_locked(mapper);
}

void mapper_truncate(Mapper* mapper, uint32_t first) {
  WriteLocked locked(mapper);
  settle_async_locked(mapper, true);
  drop_locked(mapper, first);
}

hal::Xptr<void> mapper_page_base(hal::Xptr<mm::Page> page) {
  if (page.is_null()) return hal::Xptr<void>();
  // Every bank has the same layout (the page array at the same lpa), so the local ppm's
  // arithmetic applies to any cluster's descriptor, moved to the same lpa of the local bank:
  // no field of another cluster is read.
  const hal::cxy_t here = hal::cpu().cxy != hal::kInvalidCxy ? hal::cpu().cxy : page.cxy();
  const auto* twin = hal::GET_PTR<mm::Page>((hal::xptr_t(here) << hal::kCxyShift) | page.lpa());
  const uint64_t index = mm::memory_at(here)->m_ppm.page_index(twin);
  return hal::Xptr<void>((hal::xptr_t(page.cxy()) << hal::kCxyShift) | (index << hal::kPageShift));
}

void mapper_set_dirty(hal::Xptr<mm::Page> page) {
  hal::remote_atomic_or(mm::Page::flags_field(page), uint16_t(mm::PageFlags::DIRTY));
}

MapperStats mapper_stats(hal::Xptr<Mapper> mapper) {
  auto load = [&](uint64_t Mapper::*field) { return hal::remote_load(mapper.field(field)); };
  MapperStats s;
  s.pages = load(&Mapper::m_pages);
  s.hits = load(&Mapper::m_hits);
  s.misses = load(&Mapper::m_misses);
  s.loaded = load(&Mapper::m_loaded);
  s.created = load(&Mapper::m_created);
  s.written_back = load(&Mapper::m_written_back);
  s.load_calls = load(&Mapper::m_load_calls);
  s.sync_calls = load(&Mapper::m_sync_calls);
  s.reclaims = load(&Mapper::m_reclaims);
  s.async_loads = load(&Mapper::m_async_loads);
  s.async_stores = load(&Mapper::m_async_stores);
  s.async_waits = load(&Mapper::m_async_waits);
  return s;
}

}  // namespace mkh::mapper
