// `mkh bench fs`: mkh's VFS against mtools' mcopy on one FAT32 image in the host's page
// cache, in interleaved rounds. Each round runs, back to back, mkh then mcopy (odd rounds:
// mcopy then mkh) for the sequential read, the sequential write and the creation of small
// files, then mkh's random reads with a cold mapper. Each of mkh's measures boots its own
// machine on the image and shuts it down before mcopy runs; between two measures the
// volume is put back as it was (untimed), after what mkh wrote was checked by mtools. Every
// ratio is the median of the per-round ratios; the JSON also gives every round's figures.
#include "mkh/bench.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "fs_mkh.hpp"
#include "fs_volume.hpp"
#include "libk/result.hpp"
#include "rounds.hpp"

namespace mkh::bench {

namespace {

constexpr uint64_t kDataSeed = 1;
constexpr uint32_t kRandomReads = 2048;
constexpr double kTargetRatio = 1.5;

// The figures in the order they are printed; the ratios come last.
constexpr std::string_view kFigures[] = {
    "read_cold_mibs",
    "read_warm_mibs",
    "mcopy_read_mibs",
    "write_mibs",
    "mcopy_write_mibs",
    "create_files_per_s",
    "mcopy_create_files_per_s",
    "random_read_cold_per_s",
    "random_read_warm_per_s",
    "mcopy_empty_ms",
    "ratio_read_cold_over_mcopy",
    "ratio_read_warm_over_mcopy",
    "ratio_write_over_mcopy",
    "ratio_create_over_mcopy",
};

// FAT32 with 4 KiB clusters needs 65525 clusters at least (256 MiB): 512 MiB at least, and
// room for the file read, the file written and the small files of both sides with a margin.
uint64_t image_mib(const BenchFsOptions& options) {
  const uint64_t small_mib = (uint64_t(options.files) * 4096 * 2 + (1u << 20) - 1) >> 20;
  return std::max<uint64_t>(512, 3 * uint64_t(options.mib) + small_mib + 64);
}

template <typename T>
Result<T, Error> named(std::string_view what, Result<T, Error> result) {
  if (!result) return error(result.error().context(what));
  return result;
}

class Round {
 public:
  Round(Volume& volume, const FsData& data, const MachineConfig& config, uint32_t index, Samples& samples)
      : m_volume(volume), m_data(data), m_config(config), m_index(index), m_samples(samples) {}

  Result<void, Error> run() {
    TRY(run_pair(
        m_index, [&] { return mkh_read(); }, [&] { return peer_read(); }));
    TRY(run_pair(
        m_index, [&] { return mkh_write(); }, [&] { return peer_write(); }));
    TRY(run_pair(
        m_index, [&] { return mkh_create(); }, [&] { return peer_create(); }));
    TRY(mkh_random_cold());
    const double mkh_read_cold = m_samples["read_cold_mibs"].back();
    const double mkh_read_warm = m_samples["read_warm_mibs"].back();
    const double peer_read_mibs = m_samples["mcopy_read_mibs"].back();
    m_samples["ratio_read_cold_over_mcopy"].push_back(mkh_read_cold / peer_read_mibs);
    m_samples["ratio_read_warm_over_mcopy"].push_back(mkh_read_warm / peer_read_mibs);
    m_samples["ratio_write_over_mcopy"].push_back(m_samples["write_mibs"].back() /
                                                  m_samples["mcopy_write_mibs"].back());
    m_samples["ratio_create_over_mcopy"].push_back(m_samples["create_files_per_s"].back() /
                                                   m_samples["mcopy_create_files_per_s"].back());
    return {};
  }

 private:
  double mib() const { return double(m_data.big.size()) / double(1u << 20); }
  void add(const char* name, double value) { m_samples[name].push_back(value); }

  // One boot: the sequential read with the mapper empty, again with it full, then the random
  // reads with it full.
  Result<void, Error> mkh_read() {
    auto machine = TRY(boot_on_volume(m_config));
    const double cold = TRY(named("mkh cold read", vfs_read_seconds(*machine, kReadPath, m_data.big)));
    const double warm = TRY(named("mkh warm read", vfs_read_seconds(*machine, kReadPath, m_data.big)));
    const double random = TRY(named(
        "mkh warm random reads", vfs_random_reads_per_s(*machine, kReadPath, m_data.big, kRandomReads, m_index + 1)));
    TRY(shut_down(std::move(machine)));
    TRY(m_volume.flush());
    add("read_cold_mibs", mib() / cold);
    add("read_warm_mibs", mib() / warm);
    add("random_read_warm_per_s", random);
    return {};
  }

  // The read, then the same of an empty file (the part of mcopy's time that is not copying).
  Result<void, Error> peer_read() {
    add("mcopy_read_mibs", mib() / TRY(named("mcopy read", m_volume.mcopy_read())));
    add("mcopy_empty_ms", 1e3 * TRY(named("mcopy read of an empty file", m_volume.mcopy_read_empty())));
    return {};
  }

  Result<void, Error> mkh_write() {
    auto machine = TRY(boot_on_volume(m_config));
    const double seconds = TRY(named("mkh write", vfs_write_seconds(*machine, kWritePath, m_data.big)));
    TRY(named("mkh write", shut_down(std::move(machine))));
    TRY(named("mkh write", m_volume.check_written(m_data)));
    TRY(m_volume.remove_written());
    add("write_mibs", mib() / seconds);
    return {};
  }

  Result<void, Error> peer_write() {
    const double seconds = TRY(named("mcopy write", m_volume.mcopy_write()));
    TRY(m_volume.remove_written());
    add("mcopy_write_mibs", mib() / seconds);
    return {};
  }

  Result<void, Error> mkh_create() {
    auto machine = TRY(boot_on_volume(m_config));
    const double seconds = TRY(named("mkh create", vfs_create_seconds(*machine, kTreePath, m_data)));
    TRY(named("mkh create", shut_down(std::move(machine))));
    TRY(named("mkh create", m_volume.check_tree(m_data)));
    TRY(m_volume.remove_tree());
    add("create_files_per_s", double(m_data.files) / seconds);
    return {};
  }

  Result<void, Error> peer_create() {
    const double seconds = TRY(named("mcopy create", m_volume.mcopy_create()));
    TRY(m_volume.remove_tree());
    add("mcopy_create_files_per_s", double(m_data.files) / seconds);
    return {};
  }

  // A boot of its own: the same reads as the warm ones of the round, the mapper empty.
  Result<void, Error> mkh_random_cold() {
    auto machine = TRY(boot_on_volume(m_config));
    const double random = TRY(named(
        "mkh cold random reads", vfs_random_reads_per_s(*machine, kReadPath, m_data.big, kRandomReads, m_index + 1)));
    TRY(shut_down(std::move(machine)));
    TRY(m_volume.flush());
    add("random_read_cold_per_s", random);
    return {};
  }

  Volume& m_volume;
  const FsData& m_data;
  const MachineConfig& m_config;
  uint32_t m_index;
  Samples& m_samples;
};

}  // namespace

int run_bench_fs(const BenchFsOptions& options) {
  const FsData data = make_fs_data(uint64_t(options.mib) << 20, options.files, kDataSeed);
  const uint64_t image = image_mib(options);
  auto volume = Volume::create(data, image);
  if (!volume) {
    fmt::print(stderr, "mkh: bench fs: the volume: {}\n", volume.error());
    return 1;
  }
  MachineConfig config = options.machine;
  config.disk_image = (*volume)->image();
  config.quiet = true;

  Samples samples;
  for (uint32_t index = 0; index < options.rounds; ++index)
    if (auto ran = Round(**volume, data, config, index, samples).run(); !ran) {
      fmt::print(stderr, "mkh: bench fs: round {}: {}\n", index + 1, ran.error());
      return 1;
    }
  if (auto checked = (*volume)->check_volume(); !checked) {
    fmt::print(stderr, "mkh: bench fs: the volume after the rounds: {}\n", checked.error());
    return 1;
  }

  const Topology& t = config.topology;
  if (options.json) {
    std::string json = fmt::format(
        "{{\"rounds\": {}, \"mib\": {}, \"files\": {}, \"file_bytes\": {}, \"random_reads\": {}, "
        "\"random_read_bytes\": {}, \"chunk_bytes\": {}, \"image_mib\": {}, \"cluster_bytes\": 4096, "
        "\"topology\": \"{}x{}:{}\", \"bank_mib\": {}, \"populate_banks\": {}, \"target_ratio\": {:.1f}",
        options.rounds, options.mib, options.files, kSmallFileBytes, kRandomReads, kRandomReadBytes, kChunkBytes, image,
        t.x_size, t.y_size, t.cores_per_cluster, config.bank_mib, config.populate_banks, kTargetRatio);
    fmt::print("{}\n", json_with_medians(std::move(json), kFigures, samples));
  } else {
    fmt::print(
        "mkh bench fs: medians of {} interleaved rounds; a {} MiB file, {} files of {} bytes, {} random reads of {} "
        "bytes; machine {}x{}:{}, {} MiB banks{}; image {} MiB (FAT32, 4 KiB clusters)\n",
        options.rounds, options.mib, options.files, kSmallFileBytes, kRandomReads, kRandomReadBytes, t.x_size, t.y_size,
        t.cores_per_cluster, config.bank_mib, config.populate_banks ? " (populated)" : "", image);
    for (std::string_view name : kFigures) {
      const double value = median(samples[std::string(name)]);
      const bool ratio = name.starts_with("ratio_") && name != "ratio_read_warm_over_mcopy";
      fmt::print("  {:<32} {:>12.6g}{}\n", name, value,
                 ratio
                     ? fmt::format("  (target >= {:.1f}: {})", kTargetRatio, value >= kTargetRatio ? "met" : "not met")
                     : "");
    }
  }
  return 0;
}

}  // namespace mkh::bench
