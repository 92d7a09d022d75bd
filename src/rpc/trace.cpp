// The RPC trace: per-core rings of events and their export as Chrome trace-event JSON.
// Layer: rpc (observability). Calls libk (KASSERT), hal/xptr.hpp (cxy_x, cxy_y), fmt and the
// C library. A ring is written by its core's host thread only; readers (snapshot, export)
// use a sequence check (m_begun / m_done) so that a concurrent read is race-free and never
// returns a torn event, though a reader of a stopped machine is the intended use.
#include "rpc/trace.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>

#include "hal/xptr.hpp"
#include "libk/assert.hpp"

namespace mkh::rpc {
namespace {

// One event, as atomics so that a concurrent reader is not a data race.
struct Slot {
  std::atomic<uint64_t> ts{0};
  std::atomic<uint64_t> flow{0};
  std::atomic<uint64_t> meta{0};  // index | kind << 16
};

struct Ring {
  explicit Ring(uint32_t capacity) : m_capacity(capacity) {}

  // immutable after creation
  const uint32_t m_capacity;
  std::unique_ptr<Slot[]> m_slots;
  // owner core only
  uint32_t m_next_slot = 0;
  // written by the owner core, read by snapshots: events begun / completely written.
  // Event n lives in slot n % m_capacity; it is intact while m_begun <= n + m_capacity.
  std::atomic<uint64_t> m_begun{0};
  std::atomic<uint64_t> m_done{0};

  uint64_t dropped() const {
    const uint64_t done = m_done.load(std::memory_order_acquire);
    return done > m_capacity ? done - m_capacity : 0;
  }
};

// Cells are written by the owning core (first event) and by enable/disable (quiescent).
std::atomic<Ring*> g_rings[kTraceMaxCxy][kTraceMaxLid];
uint32_t g_capacity = 0;  // written only while disabled; published by g_enabled (release)
std::atomic<uint64_t> g_next_flow_id{1};

void free_rings() {
  for (auto& row : g_rings)
    for (auto& cell : row) delete cell.exchange(nullptr, std::memory_order_acq_rel);
}

Ring* make_ring(uint32_t capacity) {
  auto ring = std::unique_ptr<Ring>(new (std::nothrow) Ring(capacity));
  if (!ring) return nullptr;
  ring->m_slots.reset(new (std::nothrow) Slot[capacity]);
  return ring->m_slots ? ring.release() : nullptr;
}

uint64_t now_ns() {
  return uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

bool is_begin(TraceKind kind) { return kind == TraceKind::kClientBegin || kind == TraceKind::kServerBegin; }
bool is_client(TraceKind kind) { return kind == TraceKind::kClientBegin || kind == TraceKind::kClientEnd; }

// A JSON string body: quotes, backslashes and control characters escaped.
std::string json_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", unsigned(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

// Microseconds with three fractional digits, relative to t0.
std::string micros(uint64_t ts_ns, uint64_t t0) {
  const uint64_t rel = ts_ns - t0;
  return fmt::format("{}.{:03}", rel / 1000, rel % 1000);
}

// Writes the trace events to one file, comma-separating them.
class JsonWriter {
 public:
  JsonWriter(std::FILE* file, uint64_t t0) : m_file(file), m_t0(t0) {}

  void metadata(uint32_t cxy, uint32_t lid, bool process) {
    if (process) {
      emit(R"j({{"ph":"M","name":"process_name","pid":{},"args":{{"name":"cluster {:#04x} ({},{})"}}}})j", cxy, cxy,
           hal::cxy_x(cxy), hal::cxy_y(cxy));
      emit(R"({{"ph":"M","name":"process_sort_index","pid":{},"args":{{"sort_index":{}}}}})", cxy, cxy);
    }
    emit(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"core {}"}}}})", cxy, lid, lid);
    emit(R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})", cxy, lid, lid);
  }
  void slice(const TraceEvent& begin, uint64_t end_ns, const std::string& name) {
    emit(R"({{"name":"{}","cat":"{}","ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{{"flow":{}}}}})", name,
         category(begin.kind), micros(begin.ts_ns, m_t0), micros(end_ns, begin.ts_ns), begin.cxy, begin.lid,
         begin.flow_id);
  }
  void unfinished(const TraceEvent& begin, const std::string& name) {
    emit(R"({{"name":"{}","cat":"{}","ph":"i","s":"t","ts":{},"pid":{},"tid":{},)"
         R"("args":{{"flow":{},"unfinished":true}}}})",
         name, category(begin.kind), micros(begin.ts_ns, m_t0), begin.cxy, begin.lid, begin.flow_id);
  }
  void flow(const TraceEvent& client, const TraceEvent& server) {
    emit(R"({{"ph":"s","id":{},"cat":"rpc","name":"rpc","pid":{},"tid":{},"ts":{}}})", client.flow_id, client.cxy,
         client.lid, micros(client.ts_ns, m_t0));
    emit(R"({{"ph":"f","bp":"e","id":{},"cat":"rpc","name":"rpc","pid":{},"tid":{},"ts":{}}})", server.flow_id,
         server.cxy, server.lid, micros(server.ts_ns, m_t0));
  }

 private:
  static const char* category(TraceKind kind) { return is_client(kind) ? "rpc.client" : "rpc.server"; }

  template <typename... Args>
  void emit(fmt::format_string<Args...> format, Args&&... args) {
    fmt::print(m_file, "{}", m_first ? "\n" : ",\n");
    fmt::print(m_file, format, std::forward<Args>(args)...);
    m_first = false;
  }

  std::FILE* m_file;
  uint64_t m_t0;
  bool m_first = true;
};

// Writes the events of a snapshot (grouped by core, oldest first) to file.
void write_events(std::FILE* file, const std::vector<TraceEvent>& events, std::string (*name_of)(uint16_t)) {
  uint64_t t0 = UINT64_MAX;
  for (const TraceEvent& event : events) t0 = std::min(t0, event.ts_ns);
  JsonWriter writer(file, t0);

  std::unordered_map<uint16_t, std::string> names;
  auto name = [&](uint16_t index) -> const std::string& {
    auto [it, inserted] = names.try_emplace(index);
    if (inserted) it->second = json_escape(name_of ? name_of(index) : fmt::format("rpc {}", index));
    return it->second;
  };

  fmt::print(file, R"({{"displayTimeUnit":"ns","traceEvents":[)");
  std::vector<const TraceEvent*> client_begins;
  std::unordered_map<uint64_t, const TraceEvent*> server_begins;
  for (size_t first = 0; first < events.size();) {
    const uint32_t cxy = events[first].cxy, lid = events[first].lid;
    size_t last = first;
    while (last < events.size() && events[last].cxy == cxy && events[last].lid == lid) ++last;
    writer.metadata(cxy, lid, first == 0 || events[first - 1].cxy != cxy);

    std::unordered_map<uint64_t, const TraceEvent*> open[2];  // [is_client] flow -> begin
    std::vector<const TraceEvent*> unmatched;
    for (size_t i = first; i < last; ++i) {
      const TraceEvent& event = events[i];
      auto& side = open[is_client(event.kind)];
      if (is_begin(event.kind)) {
        auto [it, inserted] = side.try_emplace(event.flow_id, &event);
        if (!inserted) {  // a flow id begun twice on one side: keep the older as unfinished
          unmatched.push_back(it->second);
          it->second = &event;
        }
        if (is_client(event.kind)) client_begins.push_back(&event);
        else server_begins.try_emplace(event.flow_id, &event);
      } else if (auto it = side.find(event.flow_id); it != side.end()) {
        writer.slice(*it->second, event.ts_ns, name(it->second->index));
        side.erase(it);
      }  // else: its begin was overwritten in a full ring; drop it
    }
    for (auto& side : open)
      for (auto& [flow_id, begin] : side) unmatched.push_back(begin);
    std::sort(unmatched.begin(), unmatched.end());  // snapshot order: oldest first
    for (const TraceEvent* begin : unmatched) writer.unfinished(*begin, name(begin->index));
    first = last;
  }
  for (const TraceEvent* client : client_begins)
    if (auto it = server_begins.find(client->flow_id); it != server_begins.end()) writer.flow(*client, *it->second);
  fmt::print(file, "\n]}}\n");
}

}  // namespace

namespace trace_detail {

std::atomic<bool> g_enabled{false};

void record(uint32_t cxy, uint32_t lid, TraceKind kind, uint16_t index, uint64_t flow_id) {
  if (!g_enabled.load(std::memory_order_acquire)) return;
  KASSERT(cxy < kTraceMaxCxy && lid < kTraceMaxLid, "trace_record: core ({:#x}, {}) out of range", cxy, lid);
  std::atomic<Ring*>& cell = g_rings[cxy][lid];
  Ring* ring = cell.load(std::memory_order_relaxed);  // only this core stores a ring here
  if (ring == nullptr) {
    ring = make_ring(g_capacity);
    if (ring == nullptr) return;  // host out of memory: the trace is best effort
    cell.store(ring, std::memory_order_release);
  }
  const uint64_t ts = now_ns();
  const uint64_t n = ring->m_done.load(std::memory_order_relaxed);
  // Announce that slot n % capacity (event n - capacity) is being overwritten, then write.
  // Release stores (plain moves on x86): a reader that loads any of them sees m_begun > n.
  ring->m_begun.store(n + 1, std::memory_order_relaxed);
  Slot& slot = ring->m_slots[ring->m_next_slot];
  slot.ts.store(ts, std::memory_order_release);
  slot.flow.store(flow_id, std::memory_order_release);
  slot.meta.store(uint64_t(index) | uint64_t(kind) << 16, std::memory_order_release);
  ring->m_done.store(n + 1, std::memory_order_release);
  if (++ring->m_next_slot == ring->m_capacity) ring->m_next_slot = 0;
}

}  // namespace trace_detail

void trace_enable(uint32_t capacity_per_core) {
  trace_detail::g_enabled.store(false, std::memory_order_relaxed);
  free_rings();
  g_capacity = std::max<uint32_t>(capacity_per_core, 1);
  trace_detail::g_enabled.store(true, std::memory_order_release);
}

void trace_disable() {
  trace_detail::g_enabled.store(false, std::memory_order_release);
  free_rings();
}

uint64_t trace_dropped() {
  uint64_t dropped = 0;
  for (auto& row : g_rings)
    for (auto& cell : row)
      if (const Ring* ring = cell.load(std::memory_order_acquire)) dropped += ring->dropped();
  return dropped;
}

uint64_t trace_new_flow_id() { return g_next_flow_id.fetch_add(1, std::memory_order_relaxed); }

std::vector<TraceEvent> trace_snapshot() {
  std::vector<TraceEvent> events;
  for (uint32_t cxy = 0; cxy < kTraceMaxCxy; ++cxy) {
    for (uint32_t lid = 0; lid < kTraceMaxLid; ++lid) {
      const Ring* ring = g_rings[cxy][lid].load(std::memory_order_acquire);
      if (ring == nullptr) continue;
      const uint64_t capacity = ring->m_capacity;
      const uint64_t done = ring->m_done.load(std::memory_order_acquire);
      const uint64_t oldest = done > capacity ? done - capacity : 0;
      const size_t base = events.size();
      for (uint64_t n = oldest; n < done; ++n) {
        const Slot& slot = ring->m_slots[n % capacity];
        const uint64_t meta = slot.meta.load(std::memory_order_acquire);
        events.push_back(TraceEvent{slot.ts.load(std::memory_order_acquire), slot.flow.load(std::memory_order_acquire),
                                    cxy, lid, uint16_t(meta), TraceKind(uint8_t(meta >> 16))});
      }
      // Events whose slot a later write has begun to overwrite may be torn: drop them.
      const uint64_t begun = ring->m_begun.load(std::memory_order_relaxed);
      const uint64_t intact = begun > capacity ? begun - capacity : 0;
      if (intact > oldest) {
        const size_t torn = size_t(std::min(intact, done) - oldest);
        events.erase(events.begin() + ptrdiff_t(base), events.begin() + ptrdiff_t(base + torn));
      }
    }
  }
  return events;
}

Result<void, Error> trace_write_chrome_json(const std::string& path, std::string (*name_of)(uint16_t index)) {
  const std::vector<TraceEvent> events = trace_snapshot();
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (const int e = errno; file == nullptr)
    return error(errno_from_host(e), "trace: cannot open {}: {}", path, std::strerror(e));
  Result<void, Error> written;
  try {
    write_events(file, events, name_of);
  } catch (const std::system_error& e) {  // fmt::print throws on a failed write, with its errno
    written = error(e.code().value() != 0 ? errno_from_host(e.code().value()) : Errno::kIo,
                    "trace: cannot write {}: {}", path, e.what());
  } catch (const std::exception& e) {
    written = error(Errno::kIo, "trace: cannot write {}: {}", path, e.what());
  }
  const bool write_failed = std::ferror(file) != 0;
  if (std::fclose(file) != 0 && written) {
    const int e = errno;
    written = error(errno_from_host(e), "trace: cannot write {}: {}", path, std::strerror(e));
  }
  if (write_failed && written) written = error(Errno::kIo, "trace: cannot write {}", path);
  return written;
}

}  // namespace mkh::rpc
