/* <time.h>: picolibc's, then the POSIX clocks it declares only for Cygwin and RTEMS
 * (clock_gettime, clock_getres, clock_nanosleep, nanosleep) and the CLOCK_* ids it leaves
 * out, with picolibc's (newlib's) numbers like the ids it does define: the user library turns
 * them into Linux's (user/lib/time.c). Earlier on the include path than picolibc's, which it
 * includes. Layer: the user library's headers. */
#include_next <time.h>

#ifndef MKH_TIME_H
#define MKH_TIME_H

#ifndef CLOCK_PROCESS_CPUTIME_ID
#define CLOCK_PROCESS_CPUTIME_ID ((clockid_t)2)
#endif
#ifndef CLOCK_THREAD_CPUTIME_ID
#define CLOCK_THREAD_CPUTIME_ID ((clockid_t)3)
#endif
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC ((clockid_t)4)
#endif

#ifdef __cplusplus
extern "C" {
#endif
#if !defined(_POSIX_TIMERS)
int clock_gettime(clockid_t clock, struct timespec* now);
int clock_getres(clockid_t clock, struct timespec* resolution);
int nanosleep(const struct timespec* request, struct timespec* remain);
#endif
#if !defined(_POSIX_CLOCK_SELECTION)
int clock_nanosleep(clockid_t clock, int flags, const struct timespec* request, struct timespec* remain);
#endif
#ifdef __cplusplus
}
#endif

#endif
