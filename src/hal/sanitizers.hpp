// Which sanitizer instruments this build: MKH_ASAN, MKH_TSAN (GCC says so with
// __SANITIZE_*__, Clang with __has_feature). Layer: hal.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define MKH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MKH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define MKH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MKH_TSAN 1
#endif
#endif
