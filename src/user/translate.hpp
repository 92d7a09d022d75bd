// The translator: the hot blocks of a decoded page as x86-64 code, which the interpreter calls
// in place of their handlers. Layer: user. Calls Xbyak (Debian's libxbyak-dev) to write the
// code; reads the decoded slots (code_cache.hpp) and the Tlb's entries.
//
// A block is translated once the interpreter has entered it kWarmEntries times (the Warm
// handler counts): a short process pays nothing for it. Its native code runs the block's
// instructions, from its first slot to the control transfer that ends it, each reading and
// writing the guest registers in the interpreter's register file, each access through the
// Tlb's entries as the interpreter's hit does; it returns the pc the block goes on at, and
// the interpreter enters that block as after any control transfer (the budget, the page's
// lookup). An instruction it does not translate (a system call, an atomic, the page's end)
// ends the native code early, and an access that misses the Tlb or crosses a page leaves it
// before the instruction: both are a side exit, at that instruction's slot, which the
// interpreter runs on from (its handlers, charging nothing: the block was charged on
// entering it). What the native code did before a side exit is done, as in the interpreter.
//
// The code lives in one buffer per code cache, written in order; a page dropped leaves its
// code behind until every page is (drop_all, which empties the buffer). When the buffer is
// full, nothing more is translated until then. x86-64 hosts only: elsewhere nothing is
// translated and the interpreter runs every block.
#pragma once

#include <cstdint>
#include <memory>

#include "user/tlb.hpp"

namespace mkh::user {

struct DecodedPage;

class Translator {
 public:
  // Entries of a block before it is translated, by default.
  static constexpr uint32_t kWarmEntries = 64;
  // What the native code returns: the pc of the next block, or kSideExit | the slot's index in
  // its page where the interpreter goes on within the block.
  static constexpr uint64_t kSideExit = uint64_t(1) << 32;

  Translator();
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  // Translates the block of `page` that starts at slot `index` (decoded). Returns its handle,
  // or 0 when nothing of it can be translated or the buffer is full. `native`: the handler of
  // a translated block's first slot (a slot with it holds its handle).
  uint16_t translate(const DecodedPage& page, uint32_t index, const void* native);
  // Runs the native code `handle` on the register file `x` (33 words, x[32] the sink), its
  // block's length and those of the blocks it goes on to taken from `budget`.
  uint64_t run(uint16_t handle, uint32_t* x, const Tlb& tlb, int64_t* budget) const;
  // Forgets every translation (their pages are gone).
  void clear();

  // Blocks translated since the translator was made (cleared ones included).
  size_t blocks() const { return m_blocks; }

 private:
  class Writer;
  std::unique_ptr<Writer> m_writer;  // made at the first translation
  size_t m_blocks = 0;
};

}  // namespace mkh::user
