// The machine's disk: mount, unmount, kernel work started from the host. Layer: boot.
#include "boot/files.hpp"

#include <atomic>

#include "fs/vfs/objects.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "kern/thread.hpp"

namespace mkh::boot {

namespace {
void kernel_work_entry(void* raw) {
  auto* work = static_cast<KernelWork*>(raw);
  work->work();
  finish_kernel_work(work->done);
}
}  // namespace

Result<void> start_in_kernel(uint32_t cxy, KernelWork& work) {
  hal::ClusterScope scope(cxy);
  TRY(kern::thread_create(kern::ThreadType::DEV, kernel_work_entry, &work, 0, "host-work"));
  return {};
}

Result<void> run_in_kernel(uint32_t cxy, const std::function<void()>& work) {
  KernelWork state{.work = work};
  TRY(start_in_kernel(cxy, state));
  wait_for_kernel(state.done);
  return {};
}

Result<void, Error> mount_disk(uint32_t io_cxy, bool devices) {
  Result<void, Error> mounted = {};
  TRY(run_in_kernel(io_cxy, [&] { mounted = fs::vfs_mount(devices); }));
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
