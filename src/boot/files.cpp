// The machine's disk: mount, unmount, kernel work started from the host. Layer: boot.
#include "boot/files.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include "fs/vfs/objects.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "kern/thread.hpp"

namespace mkh::boot {

namespace {
struct KernelWork {
  const std::function<void()>* work;
  std::atomic<bool> done{false};
};
void kernel_work_entry(void* raw) {
  auto* work = static_cast<KernelWork*>(raw);
  (*work->work)();
  work->done.store(true, std::memory_order_release);
}
}  // namespace

Result<void> run_in_kernel(uint32_t cxy, const std::function<void()>& work) {
  KernelWork state{.work = &work};
  {
    hal::ClusterScope scope(cxy);
    TRY(kern::thread_create(kern::ThreadType::DEV, kernel_work_entry, &state, 0, "host-work"));
  }
  // The thread runs on the machine's cores; this host thread only waits.
  while (!state.done.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  return {};
}

Result<void, Error> mount_disk(uint32_t io_cxy) {
  Result<void, Error> mounted = {};
  TRY(run_in_kernel(io_cxy, [&] { mounted = fs::vfs_mount(); }));
  return mounted;
}

Result<void> unmount_disk(uint32_t io_cxy) {
  if (!disk_mounted(io_cxy)) return {};
  Result<void> unmounted = {};
  TRY(run_in_kernel(io_cxy, [&] { unmounted = fs::vfs_unmount(); }));
  return unmounted;
}

bool disk_mounted(uint32_t cxy) { return hal::local_load(fs::fs_cluster_at(cxy)->m_mounted) != 0; }

}  // namespace mkh::boot
