// Services 7 THREAD_KERNEL_CREATE and 8 THREAD_KILL: kernel threads of the server cluster.
// Layer: rpc services. Calls kern.
#pragma once

#include "kern/thread.hpp"
#include "rpc/marshal.hpp"

namespace mkh::rpc {

// A kernel thread of type `type` (DEV; the other types have their own ways in: kInval)
// running fn(arg) on the least loaded core of the server cluster; its xptr.
Result<hal::Xptr<kern::Thread>> thread_kernel_create_server(kern::ThreadType type, kern::ThreadEntry fn, void* arg);
// Kills a kernel thread of the server cluster: marks it for deletion; it is destroyed at
// its core's next scheduling point. kSrch when `thread` is not a live thread there (it has
// exited already) or is being deleted; kInval for the idle and RPC threads.
Result<void> thread_kill_server(kern::Thread* thread);

template <>
struct RpcService<RPC_THREAD_KERNEL_CREATE> {
  static constexpr auto kServer = &thread_kernel_create_server;
};
template <>
struct RpcService<RPC_THREAD_KILL> {
  static constexpr auto kServer = &thread_kill_server;
};

// The reference's client functions (its out-parameters are the result).
Result<hal::Xptr<kern::Thread>> rpc_thread_kernel_create_client(hal::cxy_t cxy, kern::ThreadType type,
                                                                kern::ThreadEntry fn, void* arg);
Result<void> rpc_thread_kill_client(hal::cxy_t cxy, kern::Thread* thread);

}  // namespace mkh::rpc
