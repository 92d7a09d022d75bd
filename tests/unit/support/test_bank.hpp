// Test support: one bank-sized, bank-aligned piece of anonymous memory holding a Ppm (and
// optionally some Kcm caches) at its start, as a cluster descriptor would: the allocators
// tested alone, without a machine.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "mm/kcm.hpp"
#include "mm/ppm.hpp"

namespace mkh::test {

// The broken invariant a check() reports, "" when none: EXPECT_EQ(broken(ppm.check()), "")
// shows it.
inline std::string broken(const Result<void, Error>& checked) {
  return checked ? std::string() : std::string(checked.error().text());
}

class TestBank {
 public:
  explicit TestBank(uint64_t bank_size, uint32_t caches = 0) : m_size(bank_size) {
    m_mapping =
        mmap(nullptr, 2 * bank_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m_mapping == MAP_FAILED) std::abort();
    const auto raw = reinterpret_cast<uintptr_t>(m_mapping);
    m_base = reinterpret_cast<uint8_t*>((raw + bank_size - 1) & ~(bank_size - 1));
    m_ppm = new (m_base) mm::Ppm();
    if (caches != 0) m_kcms = new (m_base + sizeof(mm::Ppm)) mm::Kcm[caches];
    m_ppm->init(m_base, bank_size, kernel_data_end(caches));
  }
  ~TestBank() { munmap(m_mapping, 2 * m_size); }
  TestBank(const TestBank&) = delete;
  TestBank& operator=(const TestBank&) = delete;

  static uint64_t kernel_data_end(uint32_t caches = 0) {
    return (sizeof(mm::Ppm) + caches * sizeof(mm::Kcm) + 63) & ~uint64_t(63);
  }
  mm::Ppm& ppm() { return *m_ppm; }
  mm::Kcm& kcm(uint32_t at) { return m_kcms[at]; }
  uint8_t* base() const { return m_base; }
  uint64_t size() const { return m_size; }
  bool inside(const void* p) const {
    return static_cast<const uint8_t*>(p) >= m_base && static_cast<const uint8_t*>(p) < m_base + m_size;
  }

 private:
  void* m_mapping = nullptr;
  uint8_t* m_base = nullptr;
  uint64_t m_size = 0;
  mm::Ppm* m_ppm = nullptr;
  mm::Kcm* m_kcms = nullptr;
};

}  // namespace mkh::test
