// Clang thread-safety attributes (no-ops on GCC), as Zircon and Abseil spell them.
// Layer: libk. Our lock types are CAPABILITYs; guarded fields are GUARDED_BY.
#pragma once

#if defined(__clang__)
#define MKH_TSA(x) __attribute__((x))
#else
#define MKH_TSA(x)
#endif

#define CAPABILITY(x) MKH_TSA(capability(x))
#define SCOPED_CAPABILITY MKH_TSA(scoped_lockable)
#define GUARDED_BY(x) MKH_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) MKH_TSA(pt_guarded_by(x))
#define REQUIRES(...) MKH_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) MKH_TSA(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) MKH_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) MKH_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) MKH_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) MKH_TSA(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) MKH_TSA(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) MKH_TSA(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS MKH_TSA(no_thread_safety_analysis)
