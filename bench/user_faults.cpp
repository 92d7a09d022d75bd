// The kernel's side of `mkh bench user`: zero-fill page faults and their floor, each timed
// by the kernel thread that makes them (the steady clock around the loop only). Layer: bench.
#include "user_faults.hpp"

#include <chrono>
#include <cstring>
#include <functional>
#include <tuple>
#include <vector>

#include "boot/files.hpp"
#include "hal/xptr.hpp"
#include "mm/kmem.hpp"
#include "mm/vmm/vmm.hpp"
#include "proc/copy.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"
#include "rpc/marshal.hpp"
#include "rpc/services/mkh.hpp"

namespace mkh::bench {

namespace {

using Clock = std::chrono::steady_clock;
using hal::Xptr;

// The three vsegs of a round, far from each other and from nothing else of the process.
constexpr uint32_t kLocalBase = 0x1000'0000;
constexpr uint32_t kRemoteBase = 0x4000'0000;
constexpr uint32_t kCopyBase = 0x7000'0000;

double ns_per(Clock::time_point start, uint32_t count) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / double(count);
}

// Runs `work` in a kernel thread on core 0 of `cxy`; its Errno becomes an Error naming `what`.
template <typename T>
Result<T, Error> in_kernel(uint32_t cxy, const char* what, const std::function<Result<T>()>& work) {
  Result<T> outcome = mkh::error(Errno::kCanceled);
  auto ran = boot::run_in_kernel(cxy, [&] { outcome = work(); });
  if (!ran) return error(ran.error(), "{}: cannot start its kernel thread", what);
  if (!outcome) return error(outcome.error(), "{}: {}", what, errno_name(outcome.error()));
  return *outcome;
}

// What an answered entry must be: mapped, writable, its page in the reference cluster.
bool entry_ok(uint32_t attr, hal::xptr_t page, uint32_t ref) {
  return (attr & vmm::GPT_MAPPED) != 0 && (attr & vmm::GPT_WRITE) != 0 && hal::GET_CXY(page) == ref;
}

// Zeroes a page as the VMM's fill does (zero_bytes: glibc's memset, the size not a constant
// there; with the constant 4096 GCC would inline `rep stosq` instead).
void zero_page(void* base) {
  static volatile uint32_t size = vmm::kPageSize;
  std::memset(base, 0, size);
}

// The floor: `pages` pages from the local ppm, each zeroed as the fault zeroes it; freed
// after the clock stops.
Result<double> page_zero(std::vector<mm::Page*>& held, uint32_t pages) {
  held.clear();
  Errno refused = Errno::kOk;
  const auto start = Clock::now();
  for (uint32_t i = 0; i < pages; ++i) {
    auto page = mm::kmem_alloc_pages(0);
    if (!page) {
      refused = page.error();
      break;
    }
    held.push_back(*page);
    zero_page(mm::kmem_page_base(*page));
  }
  const double ns = ns_per(start, pages);
  for (mm::Page* page : held) mm::kmem_free_pages(page);
  held.clear();
  if (refused != Errno::kOk) return mkh::error(refused);
  return ns;
}

// `pages` write faults on a new ANON vseg of the local reference VMM.
Result<double> local_faults(proc::Process* process, uint32_t pages) {
  TRY(vmm::vmm_create_vseg(&process->m_vmm, vmm::VsegType::kAnon, kLocalBase, pages * vmm::kPageSize,
                           vmm::VSEG_READ | vmm::VSEG_WRITE, 0, 0, Xptr<mapper::Mapper>(), hal::local_cxy()));
  bool wrong = false;
  const auto start = Clock::now();
  for (uint32_t i = 0; i < pages; ++i) {
    const uint64_t entry = TRY(vmm::vmm_get_pte(&process->m_vmm, kLocalBase + i * vmm::kPageSize, vmm::VSEG_WRITE));
    wrong |= !entry_ok(vmm::gpt_attr(entry), vmm::gpt_page(entry), hal::local_cxy());
  }
  const double ns = ns_per(start, pages);
  if (wrong) return mkh::error(Errno::kFault);
  return ns;
}

// The floor of the remote fault: `count` calls of RPC 64 MKH_PING (a null service) to `ref`.
Result<double> ping_ns(uint32_t ref, uint32_t count) {
  bool wrong = false;
  const auto start = Clock::now();
  for (uint32_t i = 0; i < count; ++i) wrong |= TRY(rpc::rpc_call<rpc::RPC_MKH_PING>(ref, uint64_t(i))) != i + 1;
  const double ns = ns_per(start, count);
  if (wrong) return mkh::error(Errno::kIo);
  return ns;
}

// `pages` write faults resolved by the reference cluster `ref` through RPC 21, on an ANON
// vseg made there by RPC 26 (untimed), its pages in `ref`.
Result<double> remote_faults(proc::Process* process, uint32_t ref, uint32_t pages) {
  TRY(rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(ref, process, vmm::VsegType::kAnon, kRemoteBase, pages * vmm::kPageSize,
                                              0u, 0u, Xptr<mapper::Mapper>(), ref));
  bool wrong = false;
  const uint32_t first = kRemoteBase >> 12;
  const auto start = Clock::now();
  for (uint32_t i = 0; i < pages; ++i) {
    const auto [attr, ppn] = TRY(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(ref, process, first + i, true));
    wrong |= !entry_ok(attr, hal::xptr_t(ppn << 12), ref);
  }
  const double ns = ns_per(start, pages);
  if (wrong) return mkh::error(Errno::kFault);
  return ns;
}

// Nanoseconds per page of a copy's two passes over the same pages.
struct CopyPasses {
  double first = 0;  // each page new to the copy (and to the reference)
  double again = 0;  // the entries the copy holds
};

// `pages` write faults by a copy (in this cluster) of the process of cluster `ref`, on an ANON
// vseg made there by RPC 26 (untimed), its pages in `ref`; then the same pages again.
Result<CopyPasses> copy_faults(proc::Process* process, uint32_t ref, uint32_t pages) {
  TRY(rpc::rpc_call<rpc::RPC_VMM_CREATE_VSEG>(ref, process, vmm::VsegType::kAnon, kCopyBase, pages * vmm::kPageSize, 0u,
                                              0u, Xptr<mapper::Mapper>(), ref));
  const uint32_t pid = hal::remote_load(Xptr<proc::Process>(ref, process).field(&proc::Process::m_pid));
  proc::Process* copy = TRY(proc::process_copy_get(pid));
  std::vector<uint64_t> entries(pages);  // host memory, taken before the clock starts
  Result<CopyPasses> passes = [&]() -> Result<CopyPasses> {
    bool wrong = false;
    auto start = Clock::now();
    for (uint32_t i = 0; i < pages; ++i) {
      entries[i] = TRY(proc::process_copy_get_pte(copy, kCopyBase + i * vmm::kPageSize, vmm::VSEG_WRITE));
      wrong |= !entry_ok(vmm::gpt_attr(entries[i]), vmm::gpt_page(entries[i]), ref);
    }
    const double first = ns_per(start, pages);
    start = Clock::now();
    for (uint32_t i = 0; i < pages; ++i)
      wrong |= TRY(proc::process_copy_get_pte(copy, kCopyBase + i * vmm::kPageSize, vmm::VSEG_WRITE)) != entries[i];
    const double again = ns_per(start, pages);
    if (wrong) return mkh::error(Errno::kFault);
    return CopyPasses{.first = first, .again = again};
  }();
  TRY(proc::process_copy_delete(pid));
  return passes;
}

}  // namespace

Result<FaultFigures, Error> fault_round(Machine& machine, uint32_t pages, bool zero_first) {
  const uint32_t ref = machine.clusters().front(), remote = machine.clusters().back();
  if (ref == remote) return error(Errno::kInval, "the remote fault needs two clusters (e.g. --topology 2x1:1)");
  std::vector<mm::Page*> held;
  held.reserve(pages);  // host memory, so that the floor allocates nothing but its pages

  proc::Process* process =
      TRY(in_kernel<proc::Process*>(ref, "process_create", [] { return proc::process_create(0); }));
  FaultFigures figures;
  Result<void, Error> measured = [&]() -> Result<void, Error> {
    const auto zero = [&]() -> Result<void, Error> {
      figures.page_zero_ns = TRY(in_kernel<double>(ref, "page zero", [&] { return page_zero(held, pages); }));
      return {};
    };
    if (zero_first) TRY(zero());
    figures.fault_ns = TRY(in_kernel<double>(ref, "local fault", [&] { return local_faults(process, pages); }));
    if (!zero_first) TRY(zero());
    figures.rpc_ping_ns = TRY(in_kernel<double>(remote, "rpc ping", [&] { return ping_ns(ref, pages); }));
    figures.fault_remote_ns =
        TRY(in_kernel<double>(remote, "remote fault", [&] { return remote_faults(process, ref, pages); }));
    const CopyPasses copy =
        TRY(in_kernel<CopyPasses>(remote, "copy fault", [&] { return copy_faults(process, ref, pages); }));
    figures.fault_copy_ns = copy.first;
    figures.copy_hit_ns = copy.again;
    return {};
  }();
  auto destroyed = in_kernel<bool>(ref, "process_destroy", [&]() -> Result<bool> {
    proc::process_destroy(process);
    return true;
  });
  TRY(measured);
  TRY(destroyed);
  return figures;
}

Result<void, Error> warm_pages(Machine& machine, uint32_t pages) {
  std::vector<mm::Page*> held;
  held.reserve(pages);
  TRY(in_kernel<double>(machine.clusters().front(), "warm-up", [&] { return page_zero(held, pages); }));
  return {};
}

Result<double, Error> empty_kernel_call_us(Machine& machine, uint32_t count) {
  const auto start = Clock::now();
  for (uint32_t i = 0; i < count; ++i)
    if (auto ran = boot::run_in_kernel(machine.clusters().back(), [] {}); !ran)
      return error(ran.error(), "an empty kernel call: cannot start its kernel thread");
  return ns_per(start, count) / 1e3;
}

}  // namespace mkh::bench
