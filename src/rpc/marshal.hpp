// Typed marshalling: from a service's C++ signature, the packing of its arguments into the
// descriptor's 64-bit words, the server stub and the typed client call. Layer: rpc.
//
// A service is a function `Result<R> server_fn(In...)` with the real types of its
// arguments (the kcm type enum, the thread type, a typed Xptr<T>, a pointer local to the
// server cluster), never raw words. Its in-arguments are packed in args[0 .. sizeof...(In))
// (the first kRpcSlotWords of them travel in the FIFO slot too, and the server reads them
// there), its result R (nothing, one value, or a std::tuple of values: several out-values)
// comes back in the words after them. Every argument type is a word: an integer, an enum,
// a bool, a pointer or an Xptr. The server still validates what arrives: another cluster
// wrote it.
#pragma once

#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "hal/cpu.hpp"
#include "hal/remote.hpp"
#include "libk/result.hpp"
#include "rpc/catalog.hpp"
#include "rpc/desc.hpp"
#include "rpc/rpc.hpp"

namespace mkh::rpc {

template <typename T>
struct IsXptr : std::false_type {};
template <typename T>
struct IsXptr<hal::Xptr<T>> : std::true_type {};

template <typename T>
uint64_t to_word(T value) {
  if constexpr (std::is_pointer_v<T>) return reinterpret_cast<uintptr_t>(value);
  else if constexpr (std::is_enum_v<T>) return uint64_t(std::underlying_type_t<T>(value));
  else if constexpr (IsXptr<T>::value) return value.raw();
  else {
    static_assert(std::is_integral_v<T>, "an RPC argument must be an integer, enum, pointer or Xptr");
    return uint64_t(value);
  }
}

// A word that does not fit an integer or enum type saturates to the type's largest value
// instead of wrapping into a valid one: the server's range check then refuses it (words come
// from another cluster's descriptor and are validated, never trusted).
template <typename U>
U saturate(uint64_t word) {
  constexpr uint64_t kMax = uint64_t(std::numeric_limits<U>::max());
  return U(word > kMax ? kMax : word);
}

template <typename T>
T from_word(uint64_t word) {
  if constexpr (std::is_pointer_v<T>) return reinterpret_cast<T>(uintptr_t(word));
  else if constexpr (std::is_enum_v<T>) return T(saturate<std::make_unsigned_t<std::underlying_type_t<T>>>(word));
  else if constexpr (IsXptr<T>::value) return T(word);
  else if constexpr (std::is_same_v<T, bool>) return word != 0;
  else if constexpr (std::is_unsigned_v<T>) return saturate<T>(word);
  else return T(word);
}

// The result words of R: none for void, one for a value, one per element of a tuple.
template <typename R>
struct ResultWords {
  static constexpr uint32_t kCount = 1;
  static void store(hal::Xptr<RpcDesc> desc, uint32_t first, const R& value) {
    hal::remote_store(rpc_arg(desc, first), to_word(value));
  }
  static R load(const RpcDesc& desc, uint32_t first) { return from_word<R>(desc.args[first]); }
};
template <>
struct ResultWords<void> {
  static constexpr uint32_t kCount = 0;
};
template <typename... T>
struct ResultWords<std::tuple<T...>> {
  static constexpr uint32_t kCount = sizeof...(T);
  static void store(hal::Xptr<RpcDesc> desc, uint32_t first, const std::tuple<T...>& value) {
    store_each(desc, first, value, std::index_sequence_for<T...>{});
  }
  static std::tuple<T...> load(const RpcDesc& desc, uint32_t first) {
    return load_each(desc, first, std::index_sequence_for<T...>{});
  }

 private:
  template <std::size_t... I>
  static void store_each(hal::Xptr<RpcDesc> desc, uint32_t first, const std::tuple<T...>& value,
                         std::index_sequence<I...>) {
    (hal::remote_store(rpc_arg(desc, first + uint32_t(I)), to_word(std::get<I>(value))), ...);
  }
  template <std::size_t... I>
  static std::tuple<T...> load_each(const RpcDesc& desc, uint32_t first, std::index_sequence<I...>) {
    return std::tuple<T...>(from_word<T>(desc.args[first + I])...);
  }
};

// Records the server's error in the descriptor (the first error wins: multicast servers
// share one descriptor).
inline void record_error(hal::Xptr<RpcDesc> desc, Errno e) {
  hal::remote_cas(desc.field(&RpcDesc::error), int32_t(0), int32_t(e));
}

template <auto kServerFn>
struct Marshal;

template <typename R, typename... In, Result<R> (*kServerFn)(In...)>
struct Marshal<kServerFn> {
  static constexpr uint32_t kIns = sizeof...(In);
  static_assert(kIns + ResultWords<R>::kCount <= kRpcArgs, "too many RPC arguments");
  using Return = R;

  // The server stub: in-arguments from the call (those past the slot's words by remote
  // loads from the descriptor), the service, results by remote stores into the descriptor.
  // Returns the error recorded in the descriptor (kOk when none).
  static Errno serve(const RpcCall& call) { return serve_with(call, std::index_sequence_for<In...>{}); }

  // A local call served directly by the calling thread: the same function on the same
  // cluster, so the same results, without the descriptor and the FIFO.
  static Result<R> call_direct(uint32_t index, In... in) {
    Result<R> result = kServerFn(in...);
    rpc_count_direct(index, result.has_value());
    return result;
  }

  // One descriptor to the n clusters of `cxys` (rpc_multicast), for a service without results:
  // each server runs it on the same in-arguments; the first error recorded is returned.
  static Result<void> multicast(const hal::cxy_t* cxys, uint32_t n, uint32_t index,
                                In... in) requires std::is_void_v<R> {
    RpcDesc desc;
    desc.index = index;
    pack(desc, std::index_sequence_for<In...>{}, in...);
    return rpc_multicast(cxys, n, &desc);
  }

  // The client: pack, send (blocking), unpack.
  static Result<R> call(hal::cxy_t cxy, uint32_t index, In... in) {
    RpcDesc desc{RpcDesc::Unpacked{}};
    desc.index = index;
    desc.blocking = 1;
    pack(desc, std::index_sequence_for<In...>{}, in...);
    for (uint32_t i = kIns; i < kRpcSlotWords; ++i) desc.args[i] = 0;  // the slot carries them
    TRY(rpc_send(cxy, &desc));
    if constexpr (std::is_void_v<R>) return {};
    else return ResultWords<R>::load(desc, kIns);
  }

 private:
  template <std::size_t kI>
  static uint64_t in_word(const RpcCall& call) {
    if constexpr (kI < kRpcSlotWords) return call.words[kI];
    else return hal::remote_load(rpc_arg(hal::Xptr<RpcDesc>(call.desc), uint32_t(kI)));
  }
  template <std::size_t... I>
  static void pack(RpcDesc& desc, std::index_sequence<I...>, In... in) {
    ((desc.args[I] = to_word(in)), ...);
  }
  template <std::size_t... I>
  static Errno serve_with(const RpcCall& call, std::index_sequence<I...>) {
    const hal::Xptr<RpcDesc> desc(call.desc);
    Result<R> result = kServerFn(from_word<In>(in_word<I>(call))...);
    if (!result) {
      record_error(desc, result.error());
      return result.error();
    }
    if constexpr (!std::is_void_v<R>) ResultWords<R>::store(desc, kIns, *result);
    return Errno::kOk;
  }
};

// Each served index names its server function (rpc/services/*.hpp specialise this), and
// may allow local calls to run it directly: `static constexpr bool kLocalDirect = true;`
// for services that neither block nor care which thread runs them (not THREAD_KILL: its
// victim may be the caller, and the reference serves it from another thread).
template <uint32_t kIndex>
struct RpcService;

template <typename Service>
concept LocalDirect = Service::kLocalDirect;

// The typed client of index kIndex: rpc_call<RPC_KCM_ALLOC>(cxy, type). A call to the
// local cluster goes through the local FIFO, or directly when the service allows it.
template <uint32_t kIndex, typename... Args>
auto rpc_call(hal::cxy_t cxy, Args... args) {
  using M = Marshal<RpcService<kIndex>::kServer>;
  if constexpr (LocalDirect<RpcService<kIndex>>)
    if (cxy == hal::local_cxy()) return M::call_direct(kIndex, args...);
  return M::call(cxy, kIndex, args...);
}

// The typed multicast of index kIndex (a service without results), one descriptor shared by
// the n clusters of `cxys`: rpc_multicast_call<RPC_PROCESS_SIGACTION>(cxys, n, action, pid).
template <uint32_t kIndex, typename... Args>
Result<void> rpc_multicast_call(const hal::cxy_t* cxys, uint32_t n, Args... args) {
  return Marshal<RpcService<kIndex>::kServer>::multicast(cxys, n, kIndex, args...);
}

}  // namespace mkh::rpc
