// The memory managers of one cluster: its ppm and one kcm cache per object type.
// Layer: mm. Calls hal (kernel-data layout). The descriptor sits at hal::kMemoryDataLpa of
// every bank, so any cluster reaches another's managers by replication.
#pragma once

#include <array>
#include <cstdint>

#include "hal/cpu.hpp"
#include "hal/kdata.hpp"
#include "mm/kcm.hpp"
#include "mm/kcm_types.hpp"
#include "mm/ppm.hpp"

namespace mkh::mm {

struct Memory {
  // each manager has its own lock
  Ppm m_ppm;
  Kcm m_kcm[kKcmTypeCount];

  // immutable after boot: ppm free pages once the kernel data was placed
  uint64_t m_boot_free_pages = 0;
};
static_assert(sizeof(Memory) <= hal::kMemoryDataSpan, "mm's kernel data outgrew its span in hal/kdata.hpp");

inline Memory* memory_at(hal::cxy_t cxy) { return hal::kdata_at<Memory, hal::kMemoryDataLpa>(cxy); }
inline Memory* local_memory() { return memory_at(hal::local_cxy()); }

// Boot of cluster cxy: places its managers in its bank; the ppm owns every page after the
// kernel data (hal::kKernelDataEnd). object_sizes[t] is the object size of kcm type t.
void memory_init(hal::cxy_t cxy, const std::array<uint32_t, kKcmTypeCount>& object_sizes);

// Boot of cluster cxy, once every layer has placed what it holds for good: from here on
// every page comes back, and the report counts the ones that do not as leaked.
void memory_boot_done(hal::cxy_t cxy);

}  // namespace mkh::mm
