// The init levels of the layers and what each one boots. Layer: boot. Calls mm, kern, rpc, dev, fs,
// proc, syscall.
#include "boot/init.hpp"

#include <array>

#include "boot/rpc_table.hpp"
#include "dev/chdev.hpp"
#include "dev/dev.hpp"
#include "fs/fat/fatfs.hpp"
#include "fs/vfs/objects.hpp"
#include "fs/vfs/vfs.hpp"
#include "hal/cpu.hpp"
#include "kern/cluster.hpp"
#include "kern/thread.hpp"
#include "mm/mapper/mapper.hpp"
#include "mm/memory.hpp"
#include "mm/vmm/vmm.hpp"
#include "proc/process.hpp"
#include "rpc/rpc.hpp"
#include "syscall/syscall.hpp"

namespace mkh::boot {

namespace {

// The object size of each kcm type: mm names the caches, the layers above own the types.
constexpr uint32_t kcm_object_size(mm::KcmType type) {
  switch (type) {
    case mm::KcmType::THREAD: return sizeof(kern::Thread);
    case mm::KcmType::GENERIC_64: return 64;
    case mm::KcmType::GENERIC_256: return 256;
    case mm::KcmType::GENERIC_1024: return 1024;
    case mm::KcmType::CHDEV: return sizeof(dev::Chdev);
    case mm::KcmType::MAPPER: return sizeof(mapper::Mapper);
    case mm::KcmType::RADIX_NODE: return sizeof(mapper::RadixNode);
    case mm::KcmType::INODE: return sizeof(fs::Inode);
    case mm::KcmType::DENTRY: return sizeof(fs::Dentry);
    case mm::KcmType::FILE: return sizeof(fs::File);
    case mm::KcmType::FAT_CONTEXT: return sizeof(fs::fat::FatContext);
    case mm::KcmType::VSEG: return sizeof(vmm::Vseg);
    case mm::KcmType::PROCESS: return sizeof(proc::Process);
    case mm::KcmType::kCount: break;
  }
  return 0;
}

constexpr auto kKcmObjectSizes = [] {
  std::array<uint32_t, mm::kKcmTypeCount> sizes{};
  for (uint32_t type = 0; type < mm::kKcmTypeCount; ++type) sizes[type] = kcm_object_size(mm::KcmType(type));
  return sizes;
}();

Result<void, Error> mm_cluster_init(hal::cxy_t cxy, const MachineConfig&) {
  mm::memory_init(cxy, kKcmObjectSizes);
  return {};
}

Result<void, Error> kern_cluster_init(hal::cxy_t cxy, const MachineConfig& config) {
  kern::cluster_init(cxy, config);
  return {};
}

Result<void, Error> rpc_cluster_init(hal::cxy_t, const MachineConfig& config) {
  TRY(rpc::rpc_cluster_init(config));
  return {};
}

Result<void, Error> fs_cluster_init(hal::cxy_t cxy, const MachineConfig&) {
  fs::fs_cluster_init(cxy);
  return {};
}
Result<void, Error> proc_cluster_init(hal::cxy_t cxy, const MachineConfig& config) {
  proc::proc_cluster_init(cxy, config.translate_after);
  return {};
}
// What the layers hold for good is placed: from here on every page comes back.
Result<void, Error> mm_boot_done(hal::cxy_t cxy, const MachineConfig&) {
  mm::memory_boot_done(cxy);
  return {};
}

Result<void> rpc_core_init(hal::cxy_t cxy, hal::lid_t lid) {
  return rpc::rpc_core_init(&kern::cluster_at(cxy)->m_cores[lid]);
}

struct InitHook {
  Result<void, Error> (*cluster)(hal::cxy_t cxy, const MachineConfig& config);  // on every cluster, or null
  Result<void> (*core)(hal::cxy_t cxy, hal::lid_t lid);                         // then on every core, or null
};

// In the order of the layers; a layer's hooks may use every layer before it.
constexpr InitHook kInitHooks[] = {
    {mm_cluster_init, nullptr},
    {kern_cluster_init, kern::core_init},
    {rpc_cluster_init, rpc_core_init},
    // The directory on every cluster and the disk opened; the chdevs and their DEV threads
    // by the core hook (they need the schedulers), on lid 0 of the I/O cluster.
    {dev::dev_cluster_init, dev::dev_core_init},
    {fs_cluster_init, nullptr},  // no volume yet: the machine mounts its disk once its cores run
    {proc_cluster_init, nullptr},
    {mm_boot_done, nullptr},  // after every layer placed what it holds for good
};

}  // namespace

Result<void, Error> boot_clusters(const std::vector<uint32_t>& clusters, const MachineConfig& config) {
  rpc::rpc_install(rpc_server_table());
  syscall::syscall_init();
  for (const InitHook& hook : kInitHooks)
    if (hook.cluster != nullptr)
      for (uint32_t cxy : clusters) {
        hal::ClusterScope scope(cxy);
        TRY(hook.cluster(cxy, config));
      }
  for (const InitHook& hook : kInitHooks)
    if (hook.core != nullptr)
      for (uint32_t cxy : clusters)
        for (hal::lid_t lid = 0; lid < config.topology.cores_per_cluster; ++lid) {
          hal::ClusterScope scope(cxy);
          TRY(hook.core(cxy, lid));
        }
  return {};
}

}  // namespace mkh::boot
