// Linux's system-call numbers for RISC-V 32-bit (include/uapi/asm-generic/unistd.h, 32-bit
// off_t and 64-bit time_t only), and mkh's private calls from 1024. Layer: syscall.
#pragma once

#include <cstdint>

namespace mkh::syscall {

enum Number : uint32_t {
  NR_getcwd = 17,
  NR_dup = 23,
  NR_dup3 = 24,
  NR_fcntl64 = 25,
  NR_ioctl = 29,
  NR_mkdirat = 34,
  NR_unlinkat = 35,
  NR_truncate64 = 45,
  NR_ftruncate64 = 46,
  NR_faccessat = 48,
  NR_chdir = 49,
  NR_fchdir = 50,
  NR_openat = 56,
  NR_close = 57,
  NR_getdents64 = 61,
  NR_llseek = 62,
  NR_read = 63,
  NR_write = 64,
  NR_readv = 65,
  NR_writev = 66,
  NR_pread64 = 67,
  NR_pwrite64 = 68,
  NR_sync = 81,
  NR_fsync = 82,
  NR_fdatasync = 83,
  NR_exit = 93,
  NR_exit_group = 94,
  NR_set_tid_address = 96,
  NR_sched_yield = 124,
  NR_kill = 129,
  NR_tkill = 130,
  NR_tgkill = 131,
  NR_uname = 160,
  NR_umask = 166,
  NR_getpid = 172,
  NR_getppid = 173,
  NR_getuid = 174,
  NR_geteuid = 175,
  NR_getgid = 176,
  NR_getegid = 177,
  NR_gettid = 178,
  NR_brk = 214,
  NR_munmap = 215,
  NR_mmap2 = 222,
  NR_mprotect = 226,
  NR_riscv_flush_icache = 259,  // arch/riscv's own: __NR_arch_specific_syscall + 15
  NR_renameat2 = 276,
  NR_getrandom = 278,
  NR_statx = 291,
  NR_clock_gettime64 = 403,
  NR_clock_getres_time64 = 406,
  NR_clock_nanosleep_time64 = 407,
  NR_faccessat2 = 439,
  // mkh's own (docs/decisions.md "User mode"): no Linux number is this high.
  NR_mkh_display = 1024,
  NR_mkh_get_config = 1025,
  NR_mkh_get_core = 1026,
  NR_mkh_get_cycle = 1027,
  NR_mkh_place_fork = 1028,
  NR_mkh_place_thread = 1029,
  NR_mkh_trace = 1030,
};

}  // namespace mkh::syscall
