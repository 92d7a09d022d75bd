// ctest-label: concurrency
// The RPC path allocates nothing from the host heap while kernel threads run thousands of
// blocking calls, multicasts and non-blocking sends (once the RPC pools have grown). What
// is counted, in this test binary, from the start of the measure to its end:
// * without a sanitizer: every call of malloc, calloc, realloc, aligned_alloc,
//   posix_memalign, memalign, valloc and pvalloc, defined here over glibc's __libc_*
//   functions, which every operator new (plain, array, aligned, nothrow) of libstdc++
//   calls too; and every operator new, replaced here as well;
// * under ASan or TSan: every operator new (replaced here), and what the sanitizer's
//   allocator reports through __sanitizer_install_malloc_and_free_hooks: malloc, calloc
//   and realloc, but not aligned_alloc, posix_memalign or memalign (GCC 12's TSan calls no
//   hook for them), which only the unsanitized builds count.
// Memory mapped directly (mmap: the banks, the fiber stacks' banks) is not the heap.
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "kcheck.hpp"
#include "machine_fixture.hpp"
#include "mm/kmem.hpp"
#include "rpc/services/kcm.hpp"
#include "rpc/services/mkh.hpp"
#include "rpc/services/pmem.hpp"

namespace {
constinit std::atomic<bool> g_counting{false};
constinit std::atomic<uint64_t> g_heap_allocations{0};

void count_allocation() {
  if (g_counting.load(std::memory_order_relaxed)) g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#ifdef MKH_TEST_SANITIZED
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void malloc_hook(const volatile void*, std::size_t) { count_allocation(); }
void free_hook(const volatile void*) {}
const bool g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook) != 0;
}  // namespace
#else
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void* __libc_valloc(std::size_t size);
void* __libc_pvalloc(std::size_t size);

void* malloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  count_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  count_allocation();
  return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_valloc(size);
}
void* pvalloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_pvalloc(size);
}
}  // extern "C"
namespace {
const bool g_hooks_installed = true;
}  // namespace
#endif

// Every replaceable operator new, counted in every build (the sanitizers' hook counts it
// once more: zero is zero).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
void* counted_new(std::size_t size, std::size_t alignment = 0) {
  count_allocation();
  if (size == 0) size = 1;
  void* p = alignment <= alignof(std::max_align_t)
                ? std::malloc(size)
                : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace
void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_new(size, std::size_t(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_new(size, std::size_t(a)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size, std::size_t(a));
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size, std::size_t(a));
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace mkh::test {
namespace {

using namespace mkh::rpc;

class RpcAllocTest : public MachineTest {};

// A KCHECK allocates only when it fails, and then the test fails anyway.
void rpc_round(const std::vector<uint32_t>& clusters) {
  for (uint32_t server : clusters) {
    for (uint64_t i = 0; i < 50; ++i) KCHECK_OK(rpc_call<RPC_MKH_PING>(server, i));
    auto page = rpc_pmem_get_pages_client(server, 0);
    KCHECK_OK(page);
    if (page) KCHECK_OK(rpc_pmem_release_pages_client(server, *page));
    auto object = rpc_kcm_alloc_client(server, mm::KcmType::GENERIC_64);
    KCHECK_OK(object);
    if (object) KCHECK_OK(rpc_kcm_free_client(server, object->host_ptr(), mm::KcmType::GENERIC_64));
  }
  RpcDesc desc;
  desc.index = RPC_MKH_PING;
  KCHECK_OK(rpc_multicast(clusters.data(), uint32_t(clusters.size()), &desc));
}

// The counter sees what it claims to see: each kind of allocation, from a kernel thread.
TEST_F(RpcAllocTest, TheCounterSeesEveryKindOfAllocation) {
  ASSERT_TRUE(g_hooks_installed);
  boot({1, 1, 1});
  std::atomic<uint64_t> seen[6] = {};
  {
    ThreadRunner runner(machine());
    runner.start(0, 0, [&] {
      auto measure = [](auto allocate) {
        const uint64_t before = g_heap_allocations.load();
        allocate();
        return g_heap_allocations.load() - before;
      };
      g_counting.store(true);
      // volatile pointers: the compiler may not pair and elide the calls
      seen[0] = measure([] {
        void* volatile p = std::malloc(24);
        std::free(p);
      });
      seen[1] = measure([] {
        void* volatile p = std::calloc(3, 8);
        std::free(p);
      });
      seen[2] = measure([] {
        void* volatile p = std::aligned_alloc(64, 64);
        std::free(p);
      });
      seen[3] = measure([] {
        int* volatile p = new int(1);
        delete p;
      });
      seen[4] = measure([] {
        struct alignas(128) Line {
          char bytes[128];
        };
        Line* volatile p = new Line;
        delete p;
      });
      seen[5] = measure([] {
        int* volatile p = new int[5];
        delete[] p;
      });
      g_counting.store(false);
    });
  }
  for (int kind = 0; kind < 6; ++kind) {
    if (kind == 2 && kSanitized) continue;
    EXPECT_GE(seen[kind].load(), 1u) << "allocation kind " << kind;
  }
  g_heap_allocations.store(0);
}

TEST_F(RpcAllocTest, TheRpcPathMakesNoHeapAllocation) {
  ASSERT_TRUE(g_hooks_installed);
  boot({2, 2, 1});
  std::atomic<int> warmed{0};
  std::atomic<bool> measure{false};
  std::atomic<int> measured{0};
  const std::vector<uint32_t> clusters = machine().clusters();
  {
    ThreadRunner runner(machine());
    runner.start_on_every_core([&](uint32_t, uint32_t, uint32_t) {
      rpc_round(clusters);  // warm-up: pools grow, pages are first touched
      warmed.fetch_add(1);
      while (!measure.load()) kern::sched_yield();
      for (int r = 0; r < 10; ++r) rpc_round(clusters);
      measured.fetch_add(1);
    });
    while (warmed.load() < 4) std::this_thread::yield();
    g_counting.store(true);
    measure.store(true);
    while (measured.load() < 4) std::this_thread::yield();
    g_counting.store(false);
  }
  EXPECT_EQ(g_heap_allocations.load(), 0u);
}

}  // namespace
}  // namespace mkh::test
