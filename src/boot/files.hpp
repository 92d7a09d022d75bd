// The machine's disk: mount at boot, unmount at shutdown, and kernel work started from the
// host. Layer: boot. Calls fs, kern.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "libk/result.hpp"

namespace mkh::boot {

// Kernel work started from the host: `work` runs in a kernel thread, which sets `done`
// when it has returned.
struct KernelWork {
  std::function<void()> work;
  std::atomic<bool> done{false};
};

// Starts `work` in a new kernel thread on core 0 of cluster `cxy`; kNoMem when the thread
// cannot be made. `work` must live until wait_for_kernel(work.done) returns.
Result<void> start_in_kernel(uint32_t cxy, KernelWork& work);

// Waits on the host until `done`: the machine's cores do the work, or, in a deterministic
// machine not yet started, this host thread drives them meanwhile (Machine::start). The host
// thread sleeps in a futex until some kernel work ends (finish_kernel_work).
void wait_for_kernel(const std::atomic<bool>& done);
// Sets `done` and wakes the host threads in wait_for_kernel. The waker touches `done` only
// to set it: a waiter may free it as soon as it sees it set.
void finish_kernel_work(std::atomic<bool>& done);

// Runs `work` in a new kernel thread on core 0 of cluster `cxy` and waits for it to return;
// kNoMem when the thread cannot be made.
Result<void> run_in_kernel(uint32_t cxy, const std::function<void()>& work);

// Mounts the disk's volume (from a kernel thread of the I/O cluster `io_cxy`), and with
// `devices` devfs at /dev; the error says why the volume is refused.
Result<void, Error> mount_disk(uint32_t io_cxy, bool devices);
// Syncs and unmounts, when a volume is mounted.
Result<void> unmount_disk(uint32_t io_cxy);
bool disk_mounted(uint32_t cxy);

}  // namespace mkh::boot
