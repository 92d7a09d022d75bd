// ctest-label: concurrency
// The RPC path allocates nothing on the C++ heap: a counting global operator new in this
// test binary sees no allocation while kernel threads run thousands of blocking calls,
// multicasts and non-blocking sends (once the RPC pools have grown).
#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "machine_fixture.hpp"
#include "mm/kmem.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_heap_allocations{0};
}  // namespace

// The replacement pair is malloc/free underneath; GCC cannot see that it is consistent.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace mkh::test {
namespace {

using namespace mkh::rpc;

class RpcAllocTest : public MachineTest {};

void rpc_round(const std::vector<uint32_t>& clusters, std::atomic<int>& bad) {
  for (uint32_t server : clusters) {
    for (uint64_t i = 0; i < 50; ++i)
      if (!rpc_call<RPC_MKH_PING>(server, i)) bad.fetch_add(1);
    auto page = rpc_pmem_get_pages_client(server, 0);
    if (!page || !rpc_pmem_release_pages_client(server, *page)) bad.fetch_add(1);
    auto object = rpc_kcm_alloc_client(server, mm::KcmType::GENERIC_64);
    if (!object || !rpc_kcm_free_client(server, object->host_ptr(), mm::KcmType::GENERIC_64)) bad.fetch_add(1);
  }
  RpcDesc desc;
  desc.index = RPC_MKH_PING;
  if (!rpc_multicast(clusters.data(), uint32_t(clusters.size()), &desc)) bad.fetch_add(1);
}

TEST_F(RpcAllocTest, TheRpcPathMakesNoHeapAllocation) {
  boot({2, 2, 1});
  std::atomic<int> bad{0};
  std::atomic<int> warmed{0};
  std::atomic<bool> measure{false};
  std::atomic<int> measured{0};
  const std::vector<uint32_t> clusters = machine().clusters();
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t) {
      rpc_round(clusters, bad);  // warm-up: pools grow, pages are first touched
      warmed.fetch_add(1);
      while (!measure.load()) kern::sched_yield();
      for (int r = 0; r < 10; ++r) rpc_round(clusters, bad);
      measured.fetch_add(1);
    });
    while (warmed.load() < 4) std::this_thread::yield();
    g_counting.store(true);
    measure.store(true);
    while (measured.load() < 4) std::this_thread::yield();
    g_counting.store(false);
  }
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(g_heap_allocations.load(), 0u);
}

}  // namespace
}  // namespace mkh::test
