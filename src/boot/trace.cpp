// The public RPC trace API (include/mkh/trace.hpp). Layer: boot. Calls rpc (trace, catalogue).
#include "mkh/trace.hpp"

#include "rpc/catalog.hpp"
#include "rpc/trace.hpp"

namespace mkh {

void rpc_trace_start(uint32_t events_per_core) { rpc::trace_enable(events_per_core); }

void rpc_trace_stop() { rpc::trace_disable(); }

Result<void, Error> rpc_trace_write(const std::string& path) {
  return rpc::trace_write_chrome_json(path, [](uint16_t index) { return std::string(rpc::rpc_name(index)); });
}

}  // namespace mkh
