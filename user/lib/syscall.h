/* The ecall of the user library (user/lib/, private to it): linux_syscall (linux_syscalls.h)
 * by the number of its arguments. The numbers are in user/include/linux_syscalls.h (the Linux
 * ones) and mkh.h (mkh's). */
#pragma once

#include "linux_syscalls.h"

#define __mkh_ecall linux_syscall

#define __MKH_SC0(n) __mkh_ecall((n), 0, 0, 0, 0, 0, 0)
#define __MKH_SC1(n, a) __mkh_ecall((n), (long)(a), 0, 0, 0, 0, 0)
#define __MKH_SC2(n, a, b) __mkh_ecall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define __MKH_SC3(n, a, b, c) __mkh_ecall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define __MKH_SC4(n, a, b, c, d) __mkh_ecall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define __MKH_SC5(n, a, b, c, d, e) __mkh_ecall((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define __MKH_SC6(n, a, b, c, d, e, f) \
  __mkh_ecall((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Linux's errno number -> picolibc's (errno_map.c). */
int __mkh_errno_from_linux(long linux_errno);

/* What libc does with a raw result: -4095..-1 is -errno, stored in errno, and -1 returned. */
long __mkh_result(long raw);

/* picolibc's AT_FDCWD and AT_* flags to Linux's (linux.c). */
int __mkh_linux_dirfd(int dirfd);
int __mkh_linux_at_flags(int flags);

/* picolibc's signal number as Linux's; -1 for one Linux has not (posix.c). */
int __mkh_linux_signal(int signal);
