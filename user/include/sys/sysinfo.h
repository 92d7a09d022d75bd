/* <sys/sysinfo.h>: sysinfo, which picolibc has not: the user library's (user/lib/posix.c), on
 * Linux's sysinfo, with the struct laid out as Linux's struct sysinfo for RV32 (32-bit words).
 * Layer: the user library's headers. */
#ifndef MKH_SYS_SYSINFO_H
#define MKH_SYS_SYSINFO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SI_LOAD_SHIFT 16

struct sysinfo {
  long uptime;            /* seconds since boot */
  unsigned long loads[3]; /* the load averages over 1, 5 and 15 minutes, x 2^SI_LOAD_SHIFT */
  unsigned long totalram; /* in mem_unit bytes */
  unsigned long freeram;
  unsigned long sharedram;
  unsigned long bufferram;
  unsigned long totalswap;
  unsigned long freeswap;
  unsigned short procs; /* threads */
  unsigned short pad;
  unsigned long totalhigh;
  unsigned long freehigh;
  unsigned int mem_unit;
  char _f[8];
};

int sysinfo(struct sysinfo* info);

#ifdef __cplusplus
}
#endif

#endif
