// The mapper: create, destroy, get_page with read-ahead, move_buffer, sync, truncate.
// Layer: mapper. Calls mm (ppm pages, kmem), kern (remote rwlock), rpc (services 24 and 25
// for a remote mapper: mm/mapper/services.hpp), the file system through MapperOps.
#include "mm/mapper/mapper.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "hal/cpu.hpp"
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

// Before `pages` new pages come (write lock held): a mapper at its page limit writes back and
// drops every page it holds.
Result<void> make_room_locked(Mapper* mapper, uint32_t pages) {
  if (mapper->m_page_limit == 0 || mapper->m_pages + pages <= mapper->m_page_limit) return {};
  TRY(sync_locked(mapper));
  drop_locked(mapper, 0);
  count(mapper->m_reclaims);
  return {};
}

// Makes the page of `index` present (write lock held, absent checked by the caller): loaded
// with the pages after it that read-ahead asks for and that are absent.
Result<mm::Page*> fill_locked(Mapper* mapper, uint32_t index) {
  uint32_t wanted = 1;
  if (mapper->m_ops->readahead != nullptr) {
    const bool sequential = mapper->m_readahead_window != 0 && index == mapper->m_readahead_next;
    mapper->m_readahead_window =
        sequential ? std::min(2 * mapper->m_readahead_window, kMapperMaxReadahead) : kMapperFirstReadahead;
    wanted = std::min(mapper->m_ops->readahead(mapper, index), mapper->m_readahead_window);
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

// The page of `index`, present after the call (write lock for a miss).
Result<mm::Page*> ensure_page(Mapper* mapper, uint32_t index) {
  WriteLocked locked(mapper);
  if (auto* page = static_cast<mm::Page*>(mapper->m_tree.lookup(index))) return page;  // loaded meanwhile
  count(mapper->m_misses);
  return fill_locked(mapper, index);
}

// A write of the whole page of `index` that missed: the page is made from `source` (none of
// its old bytes are needed, so nothing is loaded), or written over if it came meanwhile.
Result<void> write_whole_page(Mapper* mapper, uint32_t index, hal::Xptr<void> source) {
  WriteLocked locked(mapper);
  auto* page = static_cast<mm::Page*>(mapper->m_tree.lookup(index));
  const bool made = page == nullptr;
  if (made) {
    count(mapper->m_misses);
    TRY(make_room_locked(mapper, 1));
    page = TRY(new_page(mapper));
  }
  hal::remote_memcpy(hal::Xptr<void>(hal::local_cxy(), mm::kmem_page_base(page)), source, hal::kPageSize);
  page->set_flags(mm::PageFlags::DIRTY);
  if (made) {
    if (auto inserted = mapper->m_tree.insert(index, page); !inserted) {
      mm::kmem_free_pages(page);
      return error(inserted.error());
    }
    count(mapper->m_pages);
    count(mapper->m_created);
  }
  return {};
}

// A mapper of this cluster, or any for a host thread outside the machine (boot code, tests),
// which then acts as the mapper's cluster (it cannot send RPCs).
bool is_local(hal::cxy_t cxy) { return hal::t_cpu.cxy == cxy || hal::t_cpu.cxy == hal::kInvalidCxy; }

// A host thread outside the machine acts as the mapper's cluster while in scope; a kernel
// thread (or a host thread in a ClusterScope already) keeps its context.
class HostScope {
 public:
  explicit HostScope(hal::cxy_t cxy) {
    if (hal::t_cpu.cxy == hal::kInvalidCxy) m_scope.emplace(cxy);
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
  for (auto entry = mapper->m_tree.next(0); entry; entry = mapper->m_tree.next(entry->index + 1)) {
    mm::kmem_free_pages(static_cast<mm::Page*>(entry->value));
  }
  mapper->m_tree.clear();
  mm::kmem_delete(mapper);
}

mm::Page* mapper_lookup(Mapper* mapper, uint32_t index) {
  ReadLocked locked(mapper);
  return static_cast<mm::Page*>(mapper->m_tree.lookup(index));
}

Result<mm::Page*> mapper_get_page_local(Mapper* mapper, uint32_t index) {
  if (mapper == nullptr || index >= kMapperIndexLimit) return error(Errno::kInval);
  {
    ReadLocked locked(mapper);
    if (auto* page = static_cast<mm::Page*>(mapper->m_tree.lookup(index))) {
      count(mapper->m_hits);
      return page;
    }
  }
  return ensure_page(mapper, index);
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
    const uint64_t length = std::min(hal::kPageSize - in_page, size - done);
    bool copied = false;
    bool first_look = true;
    while (!copied) {
      {
        // Copy under the shared lock: the page cannot be truncated away meanwhile.
        ReadLocked locked(mapper);
        if (auto* page = static_cast<mm::Page*>(mapper->m_tree.lookup(index))) {
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
      if (!to_buffer && length == hal::kPageSize) {
        TRY(write_whole_page(mapper, index, hal::Xptr<void>(buffer + done)));
        break;
      }
      TRY(ensure_page(mapper, index));
    }
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
  return sync_locked(mapper);
}

void mapper_truncate(Mapper* mapper, uint32_t first) {
  WriteLocked locked(mapper);
  drop_locked(mapper, first);
}

hal::Xptr<void> mapper_page_base(hal::Xptr<mm::Page> page) {
  if (page.is_null()) return hal::Xptr<void>();
  // Every bank has the same layout (the page array at the same lpa), so the local ppm's
  // arithmetic applies to any cluster's descriptor, moved to the same lpa of the local bank:
  // no field of another cluster is read.
  const hal::cxy_t here = hal::t_cpu.cxy != hal::kInvalidCxy ? hal::t_cpu.cxy : page.cxy();
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
  return s;
}

}  // namespace mkh::mapper
