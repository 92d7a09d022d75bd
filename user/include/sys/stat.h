/* <sys/stat.h>: picolibc's, then lstat, which it declares only for SPU, RTEMS and Cygwin:
 * the user library's (user/lib/posix.c; FAT has no symbolic links, so it answers as stat),
 * and utimensat's UTIME_NOW and UTIME_OMIT, which it defines only for RTEMS and Cygwin:
 * Linux's values, as glibc's.
 * Earlier on the include path than picolibc's, which it includes. Layer: the user library's
 * headers. */
#include_next <sys/stat.h>

#ifndef MKH_SYS_STAT_H
#define MKH_SYS_STAT_H

#ifdef __cplusplus
extern "C" {
#endif
#if !defined(__SPU__) && !defined(__rtems__) && !defined(__CYGWIN__)
int lstat(const char* __restrict path, struct stat* __restrict out);
#endif
#ifndef UTIME_NOW
#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)
#endif
#ifdef __cplusplus
}
#endif

#endif
