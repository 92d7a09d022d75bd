// ctest-label: concurrency
// The RPC trace (rpc/trace): recording from several host threads, each its own core; ring
// overflow keeps the newest events and counts the dropped ones; concurrent snapshots never
// see a torn event; the Chrome JSON export is checked by an outside referee (python3's json
// module plus a script that counts slices and matches each flow arrow to its slices).
#include "rpc/trace.hpp"

#include <unistd.h>
#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mkh::rpc {
namespace {

struct CoreId {
  uint32_t cxy;
  uint32_t lid;
};
constexpr CoreId kCores[] = {{0x00, 0}, {0x00, 1}, {0x11, 0}, {0xff, 63}};
constexpr size_t kCoreCount = std::size(kCores);
constexpr char kOddName[] = "ODD \"quoted\" \\ back\nslash\x01";

std::string name_of(uint16_t index) { return index == 3 ? kOddName : fmt::format("RPC_{}", index); }

std::string temp_path(const std::string& name) {
  return fmt::format("{}trace_test_{}_{}", ::testing::TempDir(), getpid(), name);
}

int run(const std::string& command) { return std::system(command.c_str()); }

bool json_valid(const std::string& path) {
  return run(fmt::format("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '{}'", path)) == 0;
}

// Referee: argv = file, X slices, flow pairs, unfinished instants. Exits non-zero on mismatch.
constexpr char kChecker[] = R"py(import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["displayTimeUnit"] == "ns"
ev = d["traceEvents"]
xs = [e for e in ev if e["ph"] == "X"]
ss = [e for e in ev if e["ph"] == "s"]
fs = {e["id"]: e for e in ev if e["ph"] == "f"}
inst = [e for e in ev if e["ph"] == "i"]
assert len(xs) == int(sys.argv[2]), ("slices", len(xs))
assert len(ss) == len(fs) == int(sys.argv[3]), ("flows", len(ss), len(fs))
assert len(inst) == int(sys.argv[4]), ("instants", len(inst))
assert all(i["args"]["unfinished"] is True and i["cat"] == "rpc.client" for i in inst)
by_flow = {}
for x in xs:
    assert x["dur"] >= 0 and x["cat"] in ("rpc.client", "rpc.server")
    by_flow.setdefault((x["args"]["flow"], x["cat"]), []).append(x)
def holder(p, cat):
    return [x for x in by_flow.get((p["id"], cat), [])
            if x["pid"] == p["pid"] and x["tid"] == p["tid"] and x["ts"] <= p["ts"] <= x["ts"] + x["dur"]]
for s in ss:
    f = fs[s["id"]]
    assert f["bp"] == "e" and s["cat"] == f["cat"] == "rpc"
    assert len(holder(s, "rpc.client")) == 1 and len(holder(f, "rpc.server")) == 1, s
    assert s["ts"] <= f["ts"], (s, f)
    c, v = holder(s, "rpc.client")[0], holder(f, "rpc.server")[0]
    assert c["ts"] <= v["ts"] and v["ts"] + v["dur"] <= c["ts"] + c["dur"], (c, v)
assert not xs or any(x["name"] == 'ODD "quoted" \\ back\nslash\x01' for x in xs)
meta = [e for e in ev if e["ph"] == "M"]
pids = {e["pid"] for e in xs}
procs = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
assert set(procs) == pids, procs
for pid, name in procs.items():
    assert name == "cluster 0x%02x (%d,%d)" % (pid, pid >> 4, pid & 15), name
threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in meta if e["name"] == "thread_name"}
assert threads == {(x["pid"], x["tid"]): "core %d" % x["tid"] for x in xs}, threads
)py";

bool check_trace(const std::string& path, size_t slices, size_t flows, size_t unfinished) {
  const std::string script = temp_path("check.py");
  std::ofstream(script) << kChecker;
  const int status = run(fmt::format("python3 '{}' '{}' {} {} {}", script, path, slices, flows, unfinished));
  std::remove(script.c_str());
  return status == 0;
}

class TraceTest : public ::testing::Test {
 protected:
  void TearDown() override { trace_disable(); }
};

TEST_F(TraceTest, DisabledTracingRecordsNothing) {
  trace_disable();
  EXPECT_FALSE(trace_enabled());
  trace_record(0x01, 0, TraceKind::kClientBegin, 1, trace_new_flow_id());
  EXPECT_TRUE(trace_snapshot().empty());

  trace_enable(8);
  EXPECT_TRUE(trace_enabled());
  EXPECT_TRUE(trace_snapshot().empty());
  trace_record(0x01, 0, TraceKind::kClientBegin, 1, 7);
  ASSERT_EQ(trace_snapshot().size(), 1u);

  trace_disable();  // frees the ring: nothing survives a disable/enable cycle
  for (int i = 0; i < 3; ++i) trace_record(0x01, 0, TraceKind::kClientEnd, 1, 7);
  trace_enable(8);
  EXPECT_TRUE(trace_snapshot().empty());
  EXPECT_EQ(trace_dropped(), 0u);
}

TEST_F(TraceTest, FullRingKeepsTheNewestAndCountsTheDropped) {
  trace_enable(4);
  for (uint16_t i = 0; i < 10; ++i) trace_record(0x10, 3, TraceKind::kServerBegin, i, 100 + i);
  const std::vector<TraceEvent> events = trace_snapshot();
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].index, 6 + i);
    EXPECT_EQ(events[i].flow_id, 106 + i);
    EXPECT_EQ(events[i].cxy, 0x10u);
    EXPECT_EQ(events[i].lid, 3u);
    EXPECT_EQ(events[i].kind, TraceKind::kServerBegin);
    if (i > 0) {
      EXPECT_GE(events[i].ts_ns, events[i - 1].ts_ns);
    }
  }
  EXPECT_EQ(trace_dropped(), 6u);
}

TEST_F(TraceTest, FlowIdsAreUniqueAndNonZero) {
  const uint64_t a = trace_new_flow_id(), b = trace_new_flow_id();
  EXPECT_NE(a, 0u);
  EXPECT_GT(b, a);
}

// Overflowing rings read while their cores write: every event seen is whole and in order.
TEST_F(TraceTest, ConcurrentSnapshotsNeverSeeTornEvents) {
  constexpr uint32_t kCapacity = 64;
  constexpr uint64_t kMinEvents = 1000;
  constexpr size_t kSnapshots = 3000;
  trace_enable(kCapacity);
  std::atomic<bool> stop{false};
  uint64_t written[kCoreCount] = {};  // each written by its thread, read after join
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kCoreCount; ++t) {
    threads.emplace_back([t, &stop, &written] {
      uint64_t seq = 0;
      for (; seq < kMinEvents || !stop.load(std::memory_order_relaxed); ++seq)
        trace_record(kCores[t].cxy, kCores[t].lid, TraceKind(seq % 4), uint16_t(seq), uint64_t(t) << 32 | seq);
      written[t] = seq;
    });
  }
  size_t torn = 0;
  for (size_t snapshot = 0; snapshot < kSnapshots; ++snapshot) {
    const std::vector<TraceEvent> events = trace_snapshot();
    for (size_t i = 0; i < events.size(); ++i) {
      const TraceEvent& e = events[i];
      const uint64_t t = e.flow_id >> 32, seq = e.flow_id & 0xffffffff;
      const bool whole = t < kCoreCount && kCores[t].cxy == e.cxy && kCores[t].lid == e.lid &&
                         e.index == uint16_t(seq) && e.kind == TraceKind(seq % 4);
      const bool ordered = i == 0 || events[i - 1].cxy != e.cxy || events[i - 1].lid != e.lid ||
                           (events[i - 1].flow_id + 1 == e.flow_id && events[i - 1].ts_ns <= e.ts_ns);
      torn += !whole || !ordered;
    }
    (void)trace_dropped();
  }
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(torn, 0u);

  const std::vector<TraceEvent> events = trace_snapshot();
  ASSERT_EQ(events.size(), kCoreCount * kCapacity);
  uint64_t dropped = 0;
  for (size_t t = 0; t < kCoreCount; ++t) {  // each ring holds its newest kCapacity events
    EXPECT_EQ(events[t * kCapacity].flow_id, uint64_t(t) << 32 | (written[t] - kCapacity));
    EXPECT_EQ(events[t * kCapacity + kCapacity - 1].flow_id, uint64_t(t) << 32 | (written[t] - 1));
    dropped += written[t] - kCapacity;
  }
  EXPECT_EQ(trace_dropped(), dropped);
}

// Each core is client of a flow served by the previous core, in lock-step rounds, so every
// server slice lies inside its client slice; the export is then checked by the referee.
TEST_F(TraceTest, ChromeJsonHasOneSlicePerSideAndAFlowPerRpc) {
  constexpr size_t kRounds = 200;
  trace_enable(4 * kRounds + 2);  // every event of a core fits: nothing dropped
  std::vector<std::vector<uint64_t>> flows(kCoreCount, std::vector<uint64_t>(kRounds));
  for (auto& core_flows : flows)
    for (uint64_t& flow : core_flows) flow = trace_new_flow_id();
  std::barrier sync(kCoreCount);
  std::atomic<size_t> running{kCoreCount};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kCoreCount; ++t) {
    threads.emplace_back([&, t] {
      const auto [cxy, lid] = kCores[t];
      const size_t server_of = (t + kCoreCount - 1) % kCoreCount;
      for (size_t k = 0; k < kRounds; ++k) {
        const uint16_t index = uint16_t(k % 8);
        trace_record(cxy, lid, TraceKind::kClientBegin, index, flows[t][k]);
        sync.arrive_and_wait();
        trace_record(cxy, lid, TraceKind::kServerBegin, uint16_t(k % 8), flows[server_of][k]);
        trace_record(cxy, lid, TraceKind::kServerEnd, uint16_t(k % 8), flows[server_of][k]);
        sync.arrive_and_wait();
        trace_record(cxy, lid, TraceKind::kClientEnd, index, flows[t][k]);
      }
      trace_record(cxy, lid, TraceKind::kClientBegin, 1, trace_new_flow_id());  // still running
      trace_record(cxy, lid, TraceKind::kServerEnd, 1, ~uint64_t(0));           // begin lost
      running.fetch_sub(1);
    });
  }
  while (running.load() > 0) (void)trace_snapshot();  // readers racing the writers
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(trace_dropped(), 0u);

  const std::string path = temp_path("rpc.json");
  const auto written = trace_write_chrome_json(path, name_of);
  ASSERT_TRUE(written) << written.error();
  EXPECT_TRUE(json_valid(path));
  EXPECT_TRUE(check_trace(path, 2 * kCoreCount * kRounds, kCoreCount * kRounds, kCoreCount));
  std::remove(path.c_str());
}

TEST_F(TraceTest, EmptyTraceIsValidJson) {
  trace_enable(16);
  const std::string path = temp_path("empty.json");
  const auto written = trace_write_chrome_json(path, nullptr);
  ASSERT_TRUE(written) << written.error();
  EXPECT_TRUE(json_valid(path));
  EXPECT_TRUE(check_trace(path, 0, 0, 0));
  std::remove(path.c_str());
}

TEST_F(TraceTest, WriteFailuresAreReported) {
  trace_enable(16);
  trace_record(0, 0, TraceKind::kClientBegin, 1, 1);
  trace_record(0, 0, TraceKind::kClientEnd, 1, 1);
  const auto missing = trace_write_chrome_json("/nonexistent-dir/trace.json", name_of);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent-dir/trace.json"), std::string::npos) << missing.error();
  EXPECT_EQ(missing.error().code, Errno::kNoEnt);
  if (access("/dev/full", W_OK) == 0) {
    const auto full = trace_write_chrome_json("/dev/full", name_of);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, Errno::kNoSpc) << full.error();
  }
}

}  // namespace
}  // namespace mkh::rpc
