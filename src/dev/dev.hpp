// The device layer's boot, directory, stop and report. Layer: dev. Calls dev/chdev.hpp,
// kern, hal (kernel-data replication, the host's open/close).
// Every cluster keeps the chdev directory at hal::kDevDataLpa of its bank: the xptrs of
// every chdev (the reference's chdev_dir), so any cluster finds the IOC chdev locally. The
// chdevs and their DEV threads live on the I/O cluster, the first one (cxy 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "dev/txt.hpp"
#include "hal/cpu.hpp"
#include "hal/kdata.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "mkh/config.hpp"
#include "mkh/machine.hpp"

namespace mkh::dev {

inline constexpr hal::cxy_t kIoCxy = 0;  // make_cxy(0, 0): the first cluster of every topology

struct DevDirectory {
  // written by dev_core_init on the I/O cluster before any client runs; read-only after,
  // until dev_release clears them (the cores stopped)
  hal::xptr_t m_ioc = hal::XPTR_NULL;  // Xptr<Chdev>, null: no disk
  hal::xptr_t m_txt[kTxtChannels] = {};

  uint32_t m_placed = 0;  // 1 once dev_cluster_init placed it (a fresh bank reads 0)

  // I/O cluster only, from dev_cluster_init to dev_core_init: the host side prepared
  int32_t m_disk_fd = -1;
  uint64_t m_disk_sectors = 0;
  int32_t m_console_fd = -1;

  // I/O cluster only: the host's terminal as the controlling terminal of the first process's
  // session (proc/groups.hpp keeps its rules): that session and its foreground process group,
  // 0 for none; each read and written whole from any cluster.
  uint32_t m_terminal_session = 0;
  uint32_t m_terminal_foreground = 0;

  // I/O cluster only: the disk's write accounting (ioc_command), relaxed remote atomics
  uint64_t m_disk_write_limit = kNoDiskWriteLimit;  // MachineConfig::disk_write_limit, set at boot
  int32_t m_disk_write_trace_fd = -1;               // MachineConfig::disk_write_trace_fd, set at boot
  uint64_t m_disk_sectors_written = 0;              // asked to be written, dropped ones included
  uint64_t m_disk_sectors_dropped = 0;
};
static_assert(sizeof(DevDirectory) <= hal::kDevDataSpan, "dev's kernel data outgrew its span in hal/kdata.hpp");

inline DevDirectory* dev_directory_at(hal::cxy_t cxy) { return hal::kdata_at<DevDirectory, hal::kDevDataLpa>(cxy); }
inline DevDirectory* local_dev_directory() { return dev_directory_at(hal::local_cxy()); }
// The local directory, or the I/O cluster's for a host thread outside the machine.
inline DevDirectory* dev_directory_here() {
  return dev_directory_at(hal::cpu().cxy == hal::kInvalidCxy ? kIoCxy : hal::cpu().cxy);
}

// Boot, every cluster: places the directory; on the I/O cluster, opens the disk image
// (config.disk_image, O_RDWR; empty: no disk). The error names the path and the reason
// ("cannot open disk image X: No such file or directory", "disk image X: size 1000 is not a
// multiple of 512").
[[nodiscard]] Result<void, Error> dev_cluster_init(hal::cxy_t cxy, const MachineConfig& config);
// Boot, every core (the schedulers ready): on lid 0 of the I/O cluster, creates the chdevs
// and their DEV threads and publishes them in every cluster's directory.
[[nodiscard]] Result<void> dev_core_init(hal::cxy_t cxy, hal::lid_t lid);
// Shutdown, host thread, cores running: every DEV thread drains its queue and leaves; waits
// until they have gone, at most until `deadline`. Clients that come
// later run their commands themselves.
void dev_stop(std::chrono::steady_clock::time_point deadline);
// Shutdown, cores stopped (or a failed boot): closes the host files, frees the chdevs, clears
// the directories.
void dev_release(const std::vector<uint32_t>& clusters);
// The DEV threads running (one per chdev, from boot to dev_stop): the machine's own threads.
uint32_t dev_server_threads();
// The counters of every chdev.
std::vector<DeviceReport> dev_report();

}  // namespace mkh::dev
