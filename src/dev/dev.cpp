// The device layer's boot, stop, release and report. Layer: dev.
// Calls dev/chdev.hpp, the drivers' command functions, hal (remote stores into every
// cluster's directory), the host's open/fstat/close.
#include "dev/dev.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "dev/chdev.hpp"
#include "dev/drivers.hpp"
#include "dev/ioc.hpp"
#include "hal/cpu.hpp"
#include "kern/cluster.hpp"

namespace mkh::dev {

namespace {

// Every chdev of the I/O cluster's directory, in directory order (ioc, then txt channels).
std::vector<hal::Xptr<Chdev>> every_chdev() {
  std::vector<hal::Xptr<Chdev>> chdevs;
  const DevDirectory* dir = dev_directory_at(kIoCxy);
  if (const hal::xptr_t ioc = hal::local_load(dir->m_ioc); ioc != hal::XPTR_NULL) chdevs.emplace_back(ioc);
  for (const hal::xptr_t& txt : dir->m_txt)
    if (const hal::xptr_t chdev = hal::local_load(txt); chdev != hal::XPTR_NULL) chdevs.emplace_back(chdev);
  return chdevs;
}

Result<void, Error> open_disk(DevDirectory* dir, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return error(errno_from_host(errno), "cannot open disk image {}: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return error(errno_from_host(e), "disk image {}: {}", path, std::strerror(e));
  }
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    ::close(fd);
    return error(Errno::kInval, "disk image {}: not a regular file", path);
  }
  if (st.st_size % kSectorSize != 0) {
    ::close(fd);
    return error(Errno::kInval, "disk image {}: size {} is not a multiple of {}", path, uint64_t(st.st_size),
                 kSectorSize);
  }
  dir->m_disk_fd = fd;
  dir->m_disk_sectors = uint64_t(st.st_size) / kSectorSize;
  return {};
}

// Publishes a chdev in the directory of every cluster (all were placed by the cluster hooks):
// `local_field` is the field in the local copy, the same lpa in every bank.
void publish(hal::xptr_t* local_field, hal::xptr_t chdev) {
  for (hal::cxy_t cxy = 0; cxy < hal::g_address_space.cxy_limit; ++cxy)
    if (hal::g_address_space.present[cxy]) hal::remote_store(hal::cluster_field(cxy, local_field), chdev);
}

}  // namespace

Result<void, Error> dev_cluster_init(hal::cxy_t cxy, const MachineConfig& config) {
  DevDirectory* dir = new (dev_directory_at(cxy)) DevDirectory();
  dir->m_placed = 1;
  if (cxy != kIoCxy) return {};
  dir->m_console_fd = config.console_fd;
  dir->m_disk_write_limit = config.disk_write_limit;
  dir->m_disk_write_trace_fd = config.disk_write_trace_fd;
  if (!config.disk_image.empty()) TRY(open_disk(dir, config.disk_image));
  return {};
}

Result<void> dev_core_init(hal::cxy_t cxy, hal::lid_t lid) {
  if (cxy != kIoCxy || lid != 0) return {};
  DevDirectory* dir = local_dev_directory();
  // The chdevs are the I/O cluster's; each DEV thread on the core after the previous one's.
  hal::lid_t next_lid = 0;
  const uint32_t cores = kern::cluster_at(cxy)->m_cores_nr;
  if (dir->m_disk_fd >= 0) {
    Chdev* ioc = TRY(chdev_create(ChdevFunc::IOC, 0, ioc_command_fn(), ChdevIo{dir->m_disk_fd, dir->m_disk_sectors}));
    if (auto started = chdev_start(ioc, next_lid++ % cores); !started) {
      chdev_destroy(ioc);
      return error(started.error());
    }
    publish(&dir->m_ioc, hal::XPTR(cxy, ioc));
  }
  if (dir->m_console_fd >= 0) {
    Chdev* txt = TRY(chdev_create(ChdevFunc::TXT, 0, txt_command_fn(), ChdevIo{dir->m_console_fd, 0}));
    if (auto started = chdev_start(txt, next_lid++ % cores); !started) {
      chdev_destroy(txt);
      return error(started.error());
    }
    publish(&dir->m_txt[0], hal::XPTR(cxy, txt));
  }
  return {};
}

void dev_stop(std::chrono::steady_clock::time_point deadline) {
  const std::vector<hal::Xptr<Chdev>> chdevs = every_chdev();
  for (const hal::Xptr<Chdev>& chdev : chdevs) chdev_stop(chdev);
  for (const hal::Xptr<Chdev>& chdev : chdevs)
    while (!chdev_server_gone(chdev) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void dev_release(const std::vector<uint32_t>& clusters) {
  DevDirectory* io = dev_directory_at(kIoCxy);
  if (io->m_placed == 0) return;  // the boot failed before the layer was placed
  {
    hal::ClusterScope scope(kIoCxy);
    for (const hal::Xptr<Chdev>& chdev : every_chdev()) chdev_destroy(chdev.host_ptr());
  }
  if (io->m_disk_fd >= 0) ::close(io->m_disk_fd);
  for (uint32_t cxy : clusters) new (dev_directory_at(cxy)) DevDirectory();
}

uint32_t dev_server_threads() {
  if (dev_directory_at(kIoCxy)->m_placed == 0) return 0;
  uint32_t running = 0;
  for (const hal::Xptr<Chdev>& chdev : every_chdev())
    if (hal::remote_load(chdev.field(&Chdev::m_server)) != hal::XPTR_NULL &&
        hal::remote_load(chdev.field(&Chdev::m_server_gone)) == 0)
      ++running;
  return running;
}

std::vector<DeviceReport> dev_report() {
  std::vector<DeviceReport> reports;
  if (dev_directory_at(kIoCxy)->m_placed == 0) return reports;
  for (const hal::Xptr<Chdev>& chdev : every_chdev()) {
    const Chdev* c = chdev.host_ptr();  // read-only snapshot of relaxed counters (host side, any cluster)
    DeviceReport r;
    r.name = c->m_name;
    r.cxy = chdev.cxy();
    r.commands = hal::stat_read(c->m_commands);
    r.bytes = hal::stat_read(c->m_bytes);
    r.errors = hal::stat_read(c->m_errors);
    r.queue_high_water = hal::stat_read(c->m_queue_high_water);
    r.direct = hal::stat_read(c->m_direct);
    if (c->m_func == ChdevFunc::IOC) {
      const DevDirectory* dir = dev_directory_at(kIoCxy);
      r.written = hal::stat_read(dir->m_disk_sectors_written) * kSectorSize;
      r.dropped = hal::stat_read(dir->m_disk_sectors_dropped) * kSectorSize;
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

}  // namespace mkh::dev
