// THREAD_KERNEL_CREATE / THREAD_KILL: servers and clients. Layer: rpc services.
#include "rpc/services/thread.hpp"

#include <cstdio>

#include "kern/cluster.hpp"
#include "kern/sched.hpp"

namespace mkh::rpc {

namespace {

// The core of the local cluster with the fewest threads.
hal::lid_t least_loaded_core() {
  kern::Cluster* cluster = LOCAL_CLUSTER;
  hal::lid_t best = 0;
  for (hal::lid_t lid = 1; lid < cluster->m_cores_nr; ++lid)
    if (hal::local_load(cluster->m_cores[lid].m_sched.m_threads_nr) <
        hal::local_load(cluster->m_cores[best].m_sched.m_threads_nr))
      best = lid;
  return best;
}

}  // namespace

Result<hal::Xptr<kern::Thread>> thread_kernel_create_server(kern::ThreadType type, kern::ThreadEntry fn, void* arg) {
  if (type != kern::ThreadType::DEV || fn == nullptr) return error(Errno::kInval);
  char name[kern::kThreadNameSize];
  std::snprintf(name, sizeof name, "kthread%u", hal::local_load(LOCAL_CLUSTER->m_next_thread_index));
  kern::Thread* thread = TRY(kern::thread_create(kern::ThreadType::DEV, fn, arg, least_loaded_core(), name));
  return hal::Xptr<kern::Thread>(hal::local_cxy(), thread);
}

Result<void> thread_kill_server(kern::Thread* thread) {
  // The pointer comes from another cluster: thread_request_delete looks it up in the
  // cores' lists and checks it under the lock, never trusting it.
  return kern::thread_request_delete(thread);
}

Result<hal::Xptr<kern::Thread>> rpc_thread_kernel_create_client(hal::cxy_t cxy, kern::ThreadType type,
                                                                kern::ThreadEntry fn, void* arg) {
  return rpc_call<RPC_THREAD_KERNEL_CREATE>(cxy, type, fn, arg);
}

Result<void> rpc_thread_kill_client(hal::cxy_t cxy, kern::Thread* thread) {
  return rpc_call<RPC_THREAD_KILL>(cxy, thread);
}

}  // namespace mkh::rpc
