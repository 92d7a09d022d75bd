/* The ecall of the user library (user/lib/, private to it): a7 holds the number, a0-a5 the
 * arguments, a0 the result, -errno (Linux's numbering) on failure, as on Linux RISC-V. The
 * numbers themselves are in user/include/linux_syscalls.h (the Linux ones) and mkh.h (mkh's). */
#pragma once

static inline long __mkh_ecall(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a3 __asm__("a3") = a3;
  register long r_a4 __asm__("a4") = a4;
  register long r_a5 __asm__("a5") = a5;
  register long r_a7 __asm__("a7") = number;
  __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7) : "memory");
  return r_a0;
}

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
