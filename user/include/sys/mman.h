/* <sys/mman.h>, which picolibc has not: mmap, munmap and mprotect with Linux's PROT_* and
 * MAP_* (the user library's Linux calls, linux_syscalls.h and user/lib/linux.c). Layer: the
 * user library's headers. */
#ifndef MKH_SYS_MMAN_H
#define MKH_SYS_MMAN_H

#include "linux_syscalls.h"

#define MAP_ANON MAP_ANONYMOUS

#endif
