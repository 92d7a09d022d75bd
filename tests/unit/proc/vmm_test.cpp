// ctest-label: concurrency
// The VMM of a process copy on a running machine: vsegs made, found, split by munmap and
// mprotect, the heap grown and shrunk by brk, mmap placed top-down, page faults that allocate in
// the vseg's cluster and fill from zeros, the refusals, and every page back at the end.
#include <gtest/gtest.h>

#include "kcheck.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"
#include "mm/vmm/vmm.hpp"
#include "proc/process.hpp"

namespace mkh::test {
namespace {

using vmm::kPageSize;
using vmm::VSEG_EXEC;
using vmm::VSEG_READ;
using vmm::VSEG_WRITE;

class VmmTest : public MachineTest {};

uint64_t free_pages(hal::cxy_t cxy) { return mm::memory_at(cxy)->m_ppm.stats().free_pages; }

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
    uint32_t flushed = 0;
    auto count_flushes = [](uint32_t, void* count) { ++*static_cast<uint32_t*>(count); };
    KCHECK_OK(vmm::vmm_munmap(v, 0x21000, kPageSize, count_flushes, &flushed));
    KCHECK_EQ(flushed, 1u);
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
    flushed = 0;
    KCHECK_EQ(vmm::vmm_brk(v, 0x100000 + kPageSize, count_flushes, &flushed), 0x100000u + kPageSize);
    KCHECK_EQ(flushed, 1u);  // the page the break gave back left the TLBs before it was freed
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
    flushed = 0;
    auto replaced =
        vmm::vmm_mmap(v, 0x30000, vmm::Placement::kFixed, kPageSize, VSEG_READ, {}, 0, 0, count_flushes, &flushed);
    KCHECK_OK(replaced);
    if (replaced) KCHECK_EQ(*replaced, 0x30000u);
    KCHECK_EQ(flushed, 1u);
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

}  // namespace
}  // namespace mkh::test
