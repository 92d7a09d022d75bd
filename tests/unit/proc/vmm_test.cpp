// ctest-label: concurrency
// The VMM of a process on a running machine: vsegs made, found, split by munmap and mprotect,
// the heap grown and shrunk by brk, mmap placed top-down, page faults that allocate in the
// vseg's cluster and fill from zeros, the refusals, and every page back at the end; a copy in
// another cluster filled from its reference (services 20 and 21), its code replicated, what
// the reference changed dropped, alone and while the reference changes; fork's copy-on-write.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <tuple>

#include "kcheck.hpp"
#include "kern/sched.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"
#include "mm/vmm/vmm.hpp"
#include "proc/copy.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"
#include "proc/user_thread.hpp"

namespace mkh::test {
namespace {

using vmm::kPageSize;
using vmm::VSEG_EXEC;
using vmm::VSEG_READ;
using vmm::VSEG_WRITE;

using hal::Xptr;

class VmmTest : public MachineTest {};

uint64_t free_pages(hal::cxy_t cxy) { return mm::memory_at(cxy)->m_ppm.stats().free_pages; }

// The free pages of `cxy` once the kernel threads a test ran there gave their stacks back (a
// ThreadRunner's wait returns when its function does, before its thread ends): `expected`, or
// what there is after 5 s.
uint64_t free_pages_settled(hal::cxy_t cxy, uint64_t expected) {
  for (int i = 0; i < 5000 && free_pages(cxy) != expected; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return free_pages(cxy);
}

TEST_F(VmmTest, VsegsFaultsBrkMmapMunmapMprotect) {
  boot({2, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t other = machine().clusters()[1];
  ThreadRunner runner(machine());
  runner.start(machine().clusters()[0], 0, [&] {
    const uint64_t free_before = free_pages(hal::local_cxy());
    const uint64_t other_before = free_pages(other);
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    vmm::Vmm* v = &(*made)->m_vmm;

    // A vseg whose pages are another cluster's: a fault allocates there and fills zeros.
    KCHECK_OK(
        vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x20000, 4 * kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {}, other));
    auto entry = vmm::vmm_get_pte(v, 0x21234, VSEG_WRITE);
    KCHECK_OK(entry);
    if (entry) {
      KCHECK_EQ(hal::GET_CXY(vmm::gpt_page(*entry)), other);
      KCHECK((vmm::gpt_attr(*entry) & (vmm::GPT_MAPPED | vmm::GPT_WRITE | vmm::GPT_READ)) ==
             (vmm::GPT_MAPPED | vmm::GPT_WRITE | vmm::GPT_READ));
      for (uint32_t at = 0; at < kPageSize; at += 8)
        if (hal::remote_load(hal::Xptr<uint64_t>(vmm::gpt_page(*entry) + at)) != 0) KCHECK_FAIL("byte {} not zero", at);
      auto again = vmm::vmm_get_pte(v, 0x21000, VSEG_READ);
      KCHECK_OK(again);
      if (again) KCHECK_EQ(*again, *entry);  // the same page, not a second one
    }
    KCHECK_EQ(free_pages(other), other_before - 1);
    // Refusals: overlaps, unaligned, outside the user range, no vseg, a forbidden access.
    KCHECK_ERR(vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x22000, kPageSize, VSEG_READ, 0, 0, {}, other),
               Errno::kInval);
    KCHECK_ERR(vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x30001, kPageSize, VSEG_READ, 0, 0, {}, other),
               Errno::kInval);
    KCHECK_ERR(vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x1000, kPageSize, VSEG_READ, 0, 0, {}, other),
               Errno::kInval);
    KCHECK_ERR(vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0xF000'0000, kPageSize, VSEG_READ, 0, 0, {}, other),
               Errno::kInval);
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x50000, VSEG_READ), Errno::kFault);
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x20000, VSEG_EXEC), Errno::kAcces);

    // mprotect of the middle splits the vseg in three; a write there is refused, not elsewhere.
    KCHECK_OK(vmm::vmm_mprotect(v, 0x21000, 2 * kPageSize, VSEG_READ, nullptr, nullptr));
    KCHECK_EQ(vmm::vmm_stats(v).vsegs, 3u);
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x21000, VSEG_WRITE), Errno::kAcces);
    KCHECK_OK(vmm::vmm_get_pte(v, 0x23000, VSEG_WRITE));
    KCHECK_ERR(vmm::vmm_mprotect(v, 0x23000, 2 * kPageSize, VSEG_READ, nullptr, nullptr), Errno::kNoMem);  // a hole

    // munmap of the middle: its page goes back to the other cluster at once.
    // What the VMM tells its flush callback: each entry removed or changed, and each change.
    struct Flushes {
      uint32_t pages = 0;
      uint32_t changes = 0;
    } flushed;
    auto count_flushes = [](uint32_t vpn, void* raw) {
      auto* flushes = static_cast<Flushes*>(raw);
      ++(vpn == vmm::kChangeMade ? flushes->changes : flushes->pages);
    };
    KCHECK_OK(vmm::vmm_munmap(v, 0x21000, kPageSize, count_flushes, &flushed));
    KCHECK(flushed.pages == 1 && flushed.changes == 1);
    KCHECK_EQ(free_pages(other), other_before - 1);  // 0x23000's page is still there
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x21000, VSEG_READ), Errno::kFault);
    auto found = vmm::vmm_find_vseg(v, 0x22000);
    KCHECK_OK(found);
    if (found) KCHECK(found->m_base == 0x22000 && found->m_size == kPageSize && found->m_prot == VSEG_READ);

    // brk: from the heap's start up and down; below its start or into a vseg it stays.
    vmm::vmm_set_heap_start(v, 0x100000);
    KCHECK_EQ(vmm::vmm_brk(v, 0, nullptr, nullptr), 0x100000u);
    KCHECK_EQ(vmm::vmm_brk(v, 0x100000 + 3 * kPageSize + 5, nullptr, nullptr), 0x100000u + 3 * kPageSize + 5);
    KCHECK_OK(vmm::vmm_get_pte(v, 0x100000 + 3 * kPageSize, VSEG_WRITE));
    flushed = {};
    KCHECK_EQ(vmm::vmm_brk(v, 0x100000 + kPageSize, count_flushes, &flushed), 0x100000u + kPageSize);
    KCHECK(flushed.pages == 1 &&
           flushed.changes == 1);  // the page the break gave back left the TLBs before it was freed
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x100000 + 3 * kPageSize, VSEG_READ), Errno::kFault);
    // A heap whose last page was unmapped grows from the break again, beside what is there.
    KCHECK_EQ(vmm::vmm_brk(v, 0x100000 + 2 * kPageSize, nullptr, nullptr), 0x100000u + 2 * kPageSize);
    KCHECK_OK(vmm::vmm_munmap(v, 0x100000 + kPageSize, kPageSize, nullptr, nullptr));
    KCHECK_OK(vmm::vmm_mmap(v, 0x100000 + kPageSize, vmm::Placement::kFixed, kPageSize, VSEG_READ, {}, 0, 0));
    KCHECK_EQ(vmm::vmm_brk(v, 0x100000 + 3 * kPageSize, nullptr, nullptr), 0x100000u + 3 * kPageSize);
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x100000 + kPageSize, VSEG_WRITE), Errno::kAcces);  // the fixed mapping's
    KCHECK_OK(vmm::vmm_get_pte(v, 0x100000 + 2 * kPageSize, VSEG_WRITE));              // the heap's
    KCHECK_EQ(vmm::vmm_brk(v, 0x100000 + kPageSize, nullptr, nullptr), 0x100000u + kPageSize);
    KCHECK_ERR(vmm::vmm_find_vseg(v, 0x100000 + kPageSize), Errno::kFault);  // shrinking unmapped it, as Linux
    KCHECK_OK(
        vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x200000, kPageSize, VSEG_READ, 0, 0, {}, hal::local_cxy()));
    KCHECK_EQ(vmm::vmm_brk(v, 0x300000, nullptr, nullptr),
              0x100000u + kPageSize);  // the vseg at 0x200000 is in the way

    // mmap: top-down below the stacks, a free hint taken as is, the rest refused.
    auto top = vmm::vmm_mmap(v, 0, vmm::Placement::kHint, 5 * kPageSize, VSEG_READ | VSEG_WRITE, {}, 0, 0);
    KCHECK_OK(top);
    if (top) KCHECK_EQ(*top, vmm::kStackZone - 5 * kPageSize);
    auto next = vmm::vmm_mmap(v, 0, vmm::Placement::kHint, kPageSize, VSEG_READ, {}, 0, 0);
    KCHECK_OK(next);
    if (next) KCHECK_EQ(*next, vmm::kStackZone - 6 * kPageSize);
    auto hinted = vmm::vmm_mmap(v, 0x4000'0000, vmm::Placement::kHint, kPageSize, VSEG_READ, {}, 0, 0);
    KCHECK_OK(hinted);
    if (hinted) KCHECK_EQ(*hinted, 0x4000'0000u);
    KCHECK_ERR(vmm::vmm_mmap(v, 0, vmm::Placement::kHint, 0, VSEG_READ, {}, 0, 0), Errno::kInval);
    KCHECK_ERR(vmm::vmm_mmap(v, 0, vmm::Placement::kHint, 0xD000'0000, VSEG_READ, {}, 0, 0), Errno::kNoMem);
    // MAP_FIXED: there or nowhere, below the heap's end too, replacing what is there (its
    // page's entry flushed); a refusal unmaps nothing.
    auto fixed = vmm::vmm_mmap(v, 0x30000, vmm::Placement::kFixed, kPageSize, VSEG_READ | VSEG_WRITE, {}, 0, 0);
    KCHECK_OK(fixed);
    if (fixed) KCHECK_EQ(*fixed, 0x30000u);
    KCHECK_OK(vmm::vmm_get_pte(v, 0x30000, VSEG_WRITE));
    flushed = {};
    auto replaced =
        vmm::vmm_mmap(v, 0x30000, vmm::Placement::kFixed, kPageSize, VSEG_READ, {}, 0, 0, count_flushes, &flushed);
    KCHECK_OK(replaced);
    if (replaced) KCHECK_EQ(*replaced, 0x30000u);
    KCHECK(flushed.pages == 1 && flushed.changes == 1);
    KCHECK_ERR(vmm::vmm_get_pte(v, 0x30000, VSEG_WRITE), Errno::kAcces);  // the new mapping's protection
    KCHECK_ERR(vmm::vmm_mmap(v, 0x1000, vmm::Placement::kFixed, kPageSize, VSEG_READ, {}, 0, 0), Errno::kPerm);
    KCHECK_ERR(vmm::vmm_mmap(v, 0x30800, vmm::Placement::kFixed, kPageSize, VSEG_READ, {}, 0, 0), Errno::kInval);
    KCHECK_ERR(
        vmm::vmm_mmap(v, vmm::kStackZone - kPageSize, vmm::Placement::kFixed, 2 * kPageSize, VSEG_READ, {}, 0, 0),
        Errno::kNoMem);
    KCHECK_OK(vmm::vmm_find_vseg(v, 0x30000));  // still there after the refusals
    // munmap across several vsegs and holes.
    KCHECK_OK(vmm::vmm_munmap(v, 0x20000, 0x10000, nullptr, nullptr));
    KCHECK_ERR(vmm::vmm_find_vseg(v, 0x23000), Errno::kFault);
    KCHECK_EQ(free_pages(other), other_before);

    proc::process_destroy(*made);
    KCHECK_EQ(free_pages(hal::local_cxy()), free_before);
  });
}

// fork's copy-on-write (vmm_fork_image, vmm_fork_adopt): the parent's entries lose their write
// right (each writable one flushed), the child in another cluster maps the same pages; the
// first write on either side copies the page into the writer's cluster while the other maps
// it, and only takes the write right back once the other side let it go; mprotect keeps a
// shared page copy-on-write; the image freed from the child's cluster; every page back.
TEST_F(VmmTest, AForkSharesPagesUntilEachSideWritesThem) {
  boot({2, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t here = machine().clusters()[0], there = machine().clusters()[1];
  constexpr uint32_t kBase = 0x20000;
  auto page_of = [](uint32_t page) { return kBase + page * kPageSize; };
  auto word_of = [](const Result<uint64_t>& entry) {
    return entry ? hal::remote_load(Xptr<uint32_t>(vmm::gpt_page(*entry))) : ~0u;
  };
  const uint64_t here_before = free_pages(here), there_before = free_pages(there);
  proc::Process* parent = nullptr;
  proc::Process* child = nullptr;
  Xptr<vmm::ForkImage> image;
  uint64_t parent_page[3] = {};
  auto phase = [&](hal::cxy_t cxy, const std::function<void()>& fn) {
    ThreadRunner runner(machine());
    runner.start(cxy, 0, fn);
    ASSERT_TRUE(runner.wait());
  };
  phase(here, [&] {
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    parent = *made;
    vmm::Vmm* v = &parent->m_vmm;
    KCHECK_OK(
        vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, kBase, 4 * kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {}, here));
    for (uint32_t i = 0; i < 3; ++i) {
      auto entry = vmm::vmm_get_pte(v, page_of(i), VSEG_WRITE);
      KCHECK_OK(entry);
      if (!entry) return;
      parent_page[i] = vmm::gpt_page(*entry);
      hal::remote_store(Xptr<uint32_t>(parent_page[i]), 0x1000 + i);
    }
    struct Flushes {
      uint32_t pages = 0;
      uint32_t changes = 0;
    } flushed;
    auto made_image = vmm::vmm_fork_image(
        v,
        [](uint32_t vpn, void* raw) {
          auto* flushes = static_cast<Flushes*>(raw);
          ++(vpn == vmm::kChangeMade ? flushes->changes : flushes->pages);
        },
        &flushed);
    KCHECK_OK(made_image);
    if (made_image) image = *made_image;
    KCHECK(flushed.pages == 3 && flushed.changes == 1);
    auto entry = vmm::vmm_get_pte(v, page_of(0), VSEG_READ);
    KCHECK_OK(entry);
    if (entry) KCHECK((vmm::gpt_attr(*entry) & (vmm::GPT_COW | vmm::GPT_WRITE)) == vmm::GPT_COW);
  });
  ASSERT_TRUE(parent != nullptr && image);
  phase(there, [&] {
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    child = *made;
    vmm::Vmm* v = &child->m_vmm;
    KCHECK_OK(vmm::vmm_fork_adopt(v, image));
    vmm::vmm_fork_image_free(image);  // from the child's cluster: its block goes back to the parent's
    for (uint32_t i = 0; i < 3; ++i) {
      auto entry = vmm::vmm_get_pte(v, page_of(i), VSEG_READ);
      KCHECK_OK(entry);
      if (entry) KCHECK(vmm::gpt_page(*entry) == parent_page[i] && word_of(entry) == 0x1000 + i);
    }
    // The child's first write: a copy, in its own cluster, with the parent's bytes.
    auto written = vmm::vmm_get_pte(v, page_of(0), VSEG_WRITE);
    KCHECK_OK(written);
    if (written) {
      KCHECK(vmm::gpt_page(*written) != parent_page[0] && hal::GET_CXY(vmm::gpt_page(*written)) == there);
      KCHECK_EQ(word_of(written), 0x1000u);
      hal::remote_store(Xptr<uint32_t>(vmm::gpt_page(*written)), 0xC0u);
    }
    KCHECK(vmm::vmm_stats(v).cow_copies == 1 && vmm::vmm_stats(v).cow_reuses == 0);
    // mprotect leaves a shared page without its write right.
    KCHECK_OK(vmm::vmm_mprotect(v, page_of(1), kPageSize, VSEG_READ | VSEG_WRITE, nullptr, nullptr));
    auto shared = vmm::vmm_get_pte(v, page_of(1), VSEG_READ);
    KCHECK_OK(shared);
    if (shared) KCHECK((vmm::gpt_attr(*shared) & (vmm::GPT_COW | vmm::GPT_WRITE)) == vmm::GPT_COW);
    // A page the parent never touched is a fresh one.
    auto fresh = vmm::vmm_get_pte(v, page_of(3), VSEG_WRITE);
    KCHECK_OK(fresh);
    if (fresh) KCHECK(word_of(fresh) == 0 && (vmm::gpt_attr(*fresh) & vmm::GPT_COW) == 0);
  });
  ASSERT_TRUE(child != nullptr);
  phase(here, [&] {
    vmm::Vmm* v = &parent->m_vmm;
    auto entry = vmm::vmm_get_pte(v, page_of(0), VSEG_READ);
    KCHECK_EQ(word_of(entry), 0x1000u);  // the child's write is its own
    // Page 0: the child let it go, the parent takes it back. Page 1: still the child's too.
    auto reused = vmm::vmm_get_pte(v, page_of(0), VSEG_WRITE);
    KCHECK_OK(reused);
    if (reused) KCHECK_EQ(vmm::gpt_page(*reused), parent_page[0]);
    auto copied = vmm::vmm_get_pte(v, page_of(1), VSEG_WRITE);
    KCHECK_OK(copied);
    if (copied) {
      KCHECK(vmm::gpt_page(*copied) != parent_page[1]);
      hal::remote_store(Xptr<uint32_t>(vmm::gpt_page(*copied)), 0xB1u);
    }
    KCHECK(vmm::vmm_stats(v).cow_copies == 1 && vmm::vmm_stats(v).cow_reuses == 1);
  });
  phase(there, [&] {
    vmm::Vmm* v = &child->m_vmm;
    auto entry = vmm::vmm_get_pte(v, page_of(1), VSEG_WRITE);  // the parent let it go
    KCHECK_OK(entry);
    if (entry) KCHECK(vmm::gpt_page(*entry) == parent_page[1] && word_of(entry) == 0x1001u);
    KCHECK_EQ(vmm::vmm_stats(v).cow_reuses, 1u);
    proc::process_destroy(child);
  });
  phase(here, [&] { proc::process_destroy(parent); });
  EXPECT_EQ(free_pages_settled(here, here_before), here_before);
  EXPECT_EQ(free_pages_settled(there, there_before), there_before);
}

// A thread out of user code (its TLB miss waiting for the VMM's lock) is passed by another
// thread's munmap, whose shootdown does not wait for it; its own miss then breaks a
// copy-on-write, a shootdown of its own: that one must not count as its flush for the epoch it
// missed (user_shootdown), or its TLB keeps the page the munmap freed.
TEST_F(VmmTest, ACopyOnWriteBreakKeepsTheShootdownAThreadMissed) {
  boot({1, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  ThreadRunner runner(machine());
  runner.start(machine().clusters()[0], 0, [&] {
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    proc::Process* process = *made;
    vmm::Vmm* v = &process->m_vmm;
    KCHECK_OK(vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x20000, 2 * kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {},
                                   hal::local_cxy()));
    auto a_made = proc::user_thread_make(process, user::Context{}, 0, true);
    auto b_made = proc::user_thread_make(process, user::Context{}, 0, false);
    KCHECK_OK(a_made);
    KCHECK_OK(b_made);
    if (!a_made || !b_made) return;
    proc::UserThread* a = *a_made;
    proc::UserThread* b = *b_made;
    KCHECK(a->m_tlb.read(0x20000) != nullptr);  // A's TLB holds page Y
    hal::local_store(a->m_in_user, 0u);         // A is out of user code (a miss, waiting for the VMM)
    proc::TlbShootdown by_b{.process = process, .thread = b};
    KCHECK_OK(vmm::vmm_munmap(v, 0x20000, kPageSize, proc::user_flush_page, &by_b));  // Y freed
    KCHECK_OK(vmm::vmm_get_pte(v, 0x21000, VSEG_WRITE));
    auto image = vmm::vmm_fork_image(v, nullptr, nullptr);  // X shared, copy-on-write
    KCHECK_OK(image);
    KCHECK(a->m_tlb.write(0x21000) != nullptr);        // A's miss: a write that copies X, and shoots down
    KCHECK(a->m_tlb.read_hit(0x20000, 4) == nullptr);  // back in user code, A flushed: Y is gone from its TLB
    if (image) vmm::vmm_fork_image_free(*image);
    for (proc::UserThread* t : {b, a}) {
      {
        proc::ThreadTable table(process);
        table.set(t->m_slot, {});
        table.set_count(table.count() - 1);
      }
      std::atomic_ref<uint32_t>(process->m_local_threads).fetch_sub(1);
      t->~UserThread();
      mm::kmem_free_pages(mm::local_memory()->m_ppm.base_to_page(t));
    }
    proc::process_destroy(process);
  });
  ASSERT_TRUE(runner.wait());
}

// A page held for writing by the kernel (a read(2) moving bytes into a buffer) while another
// thread of the process forks: the fork waits for the hold's end, so the bytes reach the
// parent (and the child's snapshot), not a page only the child keeps after the parent's write.
TEST_F(VmmTest, AForkWaitsForThePagesHeldForWriting) {
  boot({1, 1, 2});
  ASSERT_FALSE(HasFatalFailure());
  proc::Process* parent = nullptr;
  proc::Process* child = nullptr;
  {
    ThreadRunner runner(machine());
    runner.start(machine().clusters()[0], 0, [&] {
      auto made = proc::process_create(0);
      KCHECK_OK(made);
      if (!made) return;
      parent = *made;
      KCHECK_OK(vmm::vmm_create_vseg(&parent->m_vmm, vmm::VsegType::kAnon, 0x20000, kPageSize, VSEG_READ | VSEG_WRITE,
                                     0, 0, {}, hal::local_cxy()));
      made = proc::process_create(0);
      KCHECK_OK(made);
      if (made) child = *made;
    });
    ASSERT_TRUE(runner.wait());
  }
  ASSERT_TRUE(parent != nullptr && child != nullptr);
  std::atomic<int> step{0};
  ThreadRunner runner(machine());
  runner.start(machine().clusters()[0], 0, [&] {  // the read(2)
    auto held = vmm::vmm_hold_page(&parent->m_vmm, 0x20000, VSEG_WRITE);
    KCHECK_OK(held);
    step.store(1);
    while (step.load() < 2) kern::sched_yield();  // the fork has begun
    // The bytes take a while to come: until the forking thread has written the page (it must
    // not get there before the hold's end), or a while.
    for (int i = 0; i < 100'000 && step.load() < 3; ++i) kern::sched_yield();
    if (held) {
      hal::remote_store(Xptr<uint32_t>(held->base), 0x4242u);
      vmm::vmm_release_page(*held);
    }
  });
  runner.start(machine().clusters()[0], 1, [&] {  // another thread forks, then writes the page
    while (step.load() < 1) kern::sched_yield();
    step.store(2);
    auto image = vmm::vmm_fork_image(&parent->m_vmm, nullptr, nullptr);
    KCHECK_OK(image);
    if (!image) return;
    KCHECK_OK(vmm::vmm_fork_adopt(&child->m_vmm, *image));
    vmm::vmm_fork_image_free(*image);
    auto written = vmm::vmm_get_pte(&parent->m_vmm, 0x20000, VSEG_WRITE);
    KCHECK_OK(written);
    if (written) hal::remote_store(Xptr<uint32_t>(vmm::gpt_page(*written) + 8), 1u);
    step.store(3);
  });
  ASSERT_TRUE(runner.wait());
  ThreadRunner check(machine());
  check.start(machine().clusters()[0], 0, [&] {
    auto mine = vmm::vmm_get_pte(&parent->m_vmm, 0x20000, VSEG_READ);
    auto childs = vmm::vmm_get_pte(&child->m_vmm, 0x20000, VSEG_READ);
    KCHECK_OK(mine);
    KCHECK_OK(childs);
    if (mine) KCHECK_EQ(hal::remote_load(Xptr<uint32_t>(vmm::gpt_page(*mine))), 0x4242u);
    if (childs) KCHECK_EQ(hal::remote_load(Xptr<uint32_t>(vmm::gpt_page(*childs))), 0x4242u);
    proc::process_destroy(child);
    proc::process_destroy(parent);
  });
  ASSERT_TRUE(check.wait());
}

// A page held for a kernel copy (vmm_hold_page) outlives its unmapping, on the page's own
// cluster and on another: freed by the release, not by the munmap; a page refused is not held.
TEST_F(VmmTest, AHeldPageIsFreedByItsReleaseNotByTheMunmap) {
  boot({2, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t other = machine().clusters()[1];
  ThreadRunner runner(machine());
  runner.start(machine().clusters()[0], 0, [&] {
    const uint64_t free_before = free_pages(hal::local_cxy()), other_before = free_pages(other);
    auto made = proc::process_create(0);
    KCHECK_OK(made);
    if (!made) return;
    vmm::Vmm* v = &(*made)->m_vmm;
    for (const hal::cxy_t cxy : {hal::local_cxy(), other}) {
      KCHECK_OK(
          vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x20000, kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {}, cxy));
      auto held = vmm::vmm_hold_page(v, 0x20010, VSEG_WRITE);  // made by the hold's fault
      KCHECK_OK(held);
      if (!held) continue;
      KCHECK(held->held);
      const mm::Page* page = mm::memory_at(cxy)->m_ppm.base_to_page(hal::GET_PTR(held->base));
      KCHECK_OK(vmm::vmm_munmap(v, 0x20000, kPageSize, nullptr, nullptr));
      KCHECK(page->has(mm::PageFlags::ALLOCATED));  // still the copy's
      hal::remote_store(hal::Xptr<uint64_t>(held->base), uint64_t(42));
      vmm::vmm_release_page(*held);
      KCHECK(!page->has(mm::PageFlags::ALLOCATED));
    }
    KCHECK_ERR(vmm::vmm_hold_page(v, 0x20000, VSEG_READ), Errno::kFault);
    proc::process_destroy(*made);
    KCHECK_EQ(free_pages(hal::local_cxy()), free_before);
    KCHECK_EQ(free_pages(other), other_before);
  });
}

// The reference's entry of `address`, asked by VMM_GET_PTE as a copy would.
uint64_t reference_entry(proc::Process* process, uint32_t address) {
  auto pte = rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(process->m_ref_cxy, process, address >> 12, false);
  KCHECK_OK(pte);
  return pte ? vmm::gpt_entry(std::get<1>(*pte) << 12, std::get<0>(*pte)) : 0;
}

// A code page's words: word i of the page at 0x40000 + ... is kCodeWord + i.
constexpr uint64_t kCodeWord = 0x5eed'0000'0000;
constexpr uint32_t kHeap = 0x10'0000;  // where a test's reference puts its heap
void write_code(uint64_t entry) {
  for (uint32_t i = 0; i < kPageSize / 8; ++i)
    hal::remote_store(hal::Xptr<uint64_t>(vmm::gpt_page(entry) + i * 8), kCodeWord + i);
}
bool holds_code(uint64_t entry) {
  for (uint32_t i = 0; i < kPageSize / 8; ++i)
    if (hal::remote_load(hal::Xptr<uint64_t>(vmm::gpt_page(entry) + i * 8)) != kCodeWord + i) return false;
  return true;
}

// A process of the first cluster with a data vseg (two pages at 0x20000) and a code vseg (one
// page at 0x40000, its bytes written), their pages made.
proc::Process* reference_with_code() {
  auto made = proc::process_create(0);
  KCHECK_OK(made);
  if (!made) return nullptr;
  vmm::Vmm* v = &(*made)->m_vmm;
  const hal::cxy_t here = hal::local_cxy();
  KCHECK_OK(
      vmm::vmm_create_vseg(v, vmm::VsegType::kData, 0x20000, 2 * kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {}, here));
  KCHECK_OK(vmm::vmm_create_vseg(v, vmm::VsegType::kCode, 0x40000, kPageSize, VSEG_READ | VSEG_EXEC, 0, 0, {}, here));
  KCHECK_OK(vmm::vmm_get_pte(v, 0x20000, VSEG_WRITE));
  auto code = vmm::vmm_get_pte(v, 0x40000, VSEG_EXEC);
  KCHECK_OK(code);
  if (code) write_code(*code);
  return *made;
}

TEST_F(VmmTest, ACopyFillsFromItsReferenceReplicatesItsCodeAndDropsWhatChanged) {
  boot({2, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t home = machine().clusters()[0], away = machine().clusters()[1];
  proc::Process* process = nullptr;
  run_on(home, [&] { process = reference_with_code(); });
  ASSERT_NE(process, nullptr);
  // The copy's side, then the reference's changes, then the copy's again, in turn.
  std::atomic<uint32_t> step{0};
  auto wait_for = [&](uint32_t value) {
    while (step.load() < value) kern::sched_yield();
  };
  {
    ThreadRunner runner(machine());
    runner.start(away, 0, [&] {
      const uint64_t away_before = free_pages(away);
      KCHECK_ERR(proc::process_copy_get(0), Errno::kSrch);
      auto made = proc::process_copy_get(process->m_pid);
      KCHECK_OK(made);
      if (!made) {
        step = 5;  // the reference's side goes on alone
        return;
      }
      proc::Process* copy = *made;
      KCHECK_EQ(copy->m_pid, process->m_pid);
      auto found = proc::process_copy_get(process->m_pid);  // found again
      KCHECK(found && *found == copy);
      KCHECK_ERR(proc::process_copy_get(proc::pid_make(away, 1)), Errno::kInval);  // of this cluster
      // Data: the reference's page itself, not the copy's to free.
      auto data = proc::process_copy_get_pte(copy, 0x20010, VSEG_WRITE);
      KCHECK_OK(data);
      if (data) {
        KCHECK_EQ(vmm::gpt_page(*data), vmm::gpt_page(reference_entry(process, 0x20000)));
        KCHECK((vmm::gpt_attr(*data) & (vmm::GPT_PRIVATE | vmm::GPT_WRITE)) == vmm::GPT_WRITE);
      }
      // Code: a page of this cluster with the reference's bytes, made once.
      const mm::Page* replica = nullptr;
      auto code = proc::process_copy_get_pte(copy, 0x40008, VSEG_EXEC);
      KCHECK_OK(code);
      if (code) {
        KCHECK_EQ(hal::GET_CXY(vmm::gpt_page(*code)), away);
        KCHECK((vmm::gpt_attr(*code) & vmm::GPT_PRIVATE) != 0);
        KCHECK(holds_code(*code));
        replica = mm::local_memory()->m_ppm.base_to_page(hal::GET_PTR(vmm::gpt_page(*code)));
        auto again = proc::process_copy_get_pte(copy, 0x40ff0, VSEG_READ);
        KCHECK_OK(again);
        if (again) KCHECK_EQ(*again, *code);
      }
      // The refusals: a write into the code, an address of no vseg.
      KCHECK_ERR(proc::process_copy_get_pte(copy, 0x40000, VSEG_WRITE), Errno::kAcces);
      KCHECK_ERR(proc::process_copy_get_pte(copy, 0x60000, VSEG_READ), Errno::kFault);
      const vmm::VmmStats stats = vmm::vmm_stats(&copy->m_vmm);
      KCHECK(stats.vsegs == 2 && stats.pages == 2 && stats.faults == 2 && stats.fault_errors == 2 &&
             stats.copy_drops == 0);
      // The reference's heap: made, then grown by brk, which costs the copy nothing it holds.
      step = 1;
      wait_for(2);
      KCHECK_OK(proc::process_copy_get_pte(copy, kHeap, VSEG_WRITE));
      step = 3;
      wait_for(4);
      auto grown = proc::process_copy_get_pte(copy, kHeap + 2 * kPageSize, VSEG_WRITE);
      KCHECK_OK(grown);
      if (grown) KCHECK_EQ(vmm::gpt_page(*grown), vmm::gpt_page(reference_entry(process, kHeap + 2 * kPageSize)));
      KCHECK_ERR(proc::process_copy_get_pte(copy, kHeap + 3 * kPageSize, VSEG_READ), Errno::kFault);
      const vmm::VmmStats after_growth = vmm::vmm_stats(&copy->m_vmm);
      KCHECK(after_growth.vsegs == 3 && after_growth.pages == 4 && after_growth.copy_drops == 0);
      step = 5;
      wait_for(6);
      // The copy dropped what it held (its replica freed) and asks again.
      data = proc::process_copy_get_pte(copy, 0x20000, VSEG_READ);
      KCHECK_OK(data);
      if (data) {
        KCHECK_EQ(vmm::gpt_page(*data), vmm::gpt_page(reference_entry(process, 0x20000)));
        KCHECK_EQ(hal::remote_load(hal::Xptr<uint64_t>(vmm::gpt_page(*data))), 7u);
      }
      if (replica != nullptr) KCHECK(!replica->has(mm::PageFlags::ALLOCATED));
      KCHECK_ERR(proc::process_copy_get_pte(copy, 0x21000, VSEG_READ), Errno::kFault);  // unmapped at the reference
      // Writable code is the reference's page, not replicated.
      code = proc::process_copy_get_pte(copy, 0x40000, VSEG_WRITE);
      KCHECK_OK(code);
      if (code) {
        KCHECK_EQ(vmm::gpt_page(*code), vmm::gpt_page(reference_entry(process, 0x40000)));
        KCHECK(holds_code(*code));
      }
      KCHECK_EQ(vmm::vmm_stats(&copy->m_vmm).copy_drops, 1u);
      KCHECK_OK(proc::process_copy_delete(copy->m_pid));
      KCHECK_EQ(free_pages(away), away_before);
    });
    // The reference replaces its data (a new page) and makes its code writable.
    runner.start(home, 0, [&] {
      vmm::Vmm* v = &process->m_vmm;
      wait_for(1);
      vmm::vmm_set_heap_start(v, kHeap);
      KCHECK_EQ(vmm::vmm_brk(v, kHeap + kPageSize, nullptr, nullptr), kHeap + kPageSize);
      step = 2;
      wait_for(3);
      KCHECK_EQ(vmm::vmm_brk(v, kHeap + 3 * kPageSize, nullptr, nullptr), kHeap + 3 * kPageSize);
      step = 4;
      wait_for(5);
      KCHECK_OK(vmm::vmm_munmap(v, 0x20000, 2 * kPageSize, nullptr, nullptr));
      KCHECK_OK(vmm::vmm_create_vseg(v, vmm::VsegType::kData, 0x20000, kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {},
                                     hal::local_cxy()));
      auto data = vmm::vmm_get_pte(v, 0x20000, VSEG_WRITE);
      KCHECK_OK(data);
      if (data) hal::remote_store(hal::Xptr<uint64_t>(vmm::gpt_page(*data)), uint64_t(7));
      KCHECK_OK(vmm::vmm_mprotect(v, 0x40000, kPageSize, VSEG_READ | VSEG_WRITE | VSEG_EXEC, nullptr, nullptr));
      step = 6;
    });
  }
  run_on(home, [&] { proc::process_destroy(process); });
  const MachineReport report = machine().report();
  for (const char* name : {"VMM_GET_VSEG", "VMM_GET_PTE"}) {
    EXPECT_GT(served(report, home, name), 0u) << name;
    EXPECT_GT(served(report, away, name, true), 0u) << name << " sent by the copy's cluster";
  }
}

// A copy faulting on pages that stay while its reference maps, unmaps and reprotects others:
// every answer is the reference's current page (the data) or the reference's bytes (the code),
// and the copy drops what it held as the reference changes. ThreadSanitizer watches the two.
TEST_F(VmmTest, ACopyFaultingWhileItsReferenceChangesGetsCurrentPages) {
  boot({2, 1, 1});
  ASSERT_FALSE(HasFatalFailure());
  const hal::cxy_t home = machine().clusters()[0], away = machine().clusters()[1];
  proc::Process* process = nullptr;
  {
    ThreadRunner runner(machine());
    runner.start(home, 0, [&] { process = reference_with_code(); });
  }
  ASSERT_NE(process, nullptr);
  std::atomic<bool> done{false};
  std::atomic<bool> started{false};
  {
    ThreadRunner runner(machine());
    runner.start(away, 0, [&] {
      const uint64_t away_before = free_pages(away);
      auto copy = proc::process_copy_get(process->m_pid);
      KCHECK_OK(copy);
      if (!copy) {
        started = true;
        return;
      }
      const uint64_t data_page = vmm::gpt_page(reference_entry(process, 0x20000));
      KCHECK_OK(proc::process_copy_get_pte(*copy, 0x20000, VSEG_READ));
      started = true;
      for (uint32_t round = 0; !done || round < 100; ++round) {
        auto data = proc::process_copy_get_pte(*copy, 0x20000 + (round % 8) * 8, VSEG_READ);
        KCHECK_OK(data);
        if (data && vmm::gpt_page(*data) != data_page) KCHECK_FAIL("round {}: not the reference's page", round);
        auto code = proc::process_copy_get_pte(*copy, 0x40000, VSEG_EXEC);
        KCHECK_OK(code);
        if (code && !holds_code(*code)) KCHECK_FAIL("round {}: the code's bytes differ", round);
      }
      // One more after the last change (the loop may have run wholly before or after them, when
      // the host ran the two cores' threads in turn): it drops what the copy held.
      KCHECK_OK(proc::process_copy_get_pte(*copy, 0x20000, VSEG_READ));
      KCHECK_LE(1u, vmm::vmm_stats(&(*copy)->m_vmm).copy_drops);
      KCHECK_OK(proc::process_copy_delete(process->m_pid));
      KCHECK_EQ(free_pages(away), away_before);
    });
    runner.start(home, 0, [&] {
      while (!started) kern::sched_yield();
      vmm::Vmm* v = &process->m_vmm;
      for (uint32_t round = 0; round < 300; ++round) {
        KCHECK_OK(vmm::vmm_create_vseg(v, vmm::VsegType::kAnon, 0x30000, kPageSize, VSEG_READ | VSEG_WRITE, 0, 0, {},
                                       hal::local_cxy()));
        KCHECK_OK(vmm::vmm_get_pte(v, 0x30000, VSEG_WRITE));
        KCHECK_OK(vmm::vmm_munmap(v, 0x30000, kPageSize, nullptr, nullptr));
        KCHECK_OK(vmm::vmm_mprotect(v, 0x20000, kPageSize, round % 2 == 0 ? VSEG_READ : VSEG_READ | VSEG_WRITE, nullptr,
                                    nullptr));
      }
      done = true;
    });
  }
  {
    ThreadRunner runner(machine());
    runner.start(home, 0, [&] { proc::process_destroy(process); });
  }
}

}  // namespace
}  // namespace mkh::test
