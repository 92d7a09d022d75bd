/* mkh's own system calls, numbered from 1024 (no Linux number is that high; the list is in
 * docs/decisions.md, "The user library (issue 10)"): each returns 0 or -1 with errno set.
 * Under another kernel (qemu-riscv32, Linux) they fail with ENOSYS, and the placement calls
 * then succeed as no-ops, so a program that places its work runs unchanged there. Layer: the
 * user library (user/); implemented in user/lib/mkh.c. */
#pragma once

#include <stdint.h>

#define SYS_mkh_display 1024
#define SYS_mkh_get_config 1025
#define SYS_mkh_get_core 1026
#define SYS_mkh_get_cycle 1027
#define SYS_mkh_place_fork 1028
#define SYS_mkh_place_thread 1029
#define SYS_mkh_trace 1030
#define SYS_mkh_process_info 1031
#define SYS_mkh_memory_info 1032

/* Prints a kernel structure (kind and its arguments as mkh's display documents them). */
int mkh_display(int kind, long arg0, long arg1);
/* The mesh (x_size, y_size) and the cores per cluster. */
int mkh_get_config(unsigned int* x_size, unsigned int* y_size, unsigned int* cores);
/* Where the calling thread runs: its cluster and local core index. */
int mkh_get_core(unsigned int* cxy, unsigned int* lid);
/* The calling core's cycle counter. */
int mkh_get_cycle(uint64_t* cycles);
/* The cluster the next fork places its child in (a no-op where mkh is absent). */
int mkh_place_fork(unsigned int cxy);
/* Not a system call: the next fork's child on the next cluster of the machine in turn (the
 * caller's own count, from the first cluster), by mkh_place_fork; a no-op where mkh is absent.
 * How the shell and xargs spread their commands. */
void mkh_place_next_fork(void);
/* The cluster and core the next thread created is placed on (a no-op where mkh is absent). */
int mkh_place_thread(unsigned int cxy, unsigned int lid);
/* The kernel's trace of this process: MKH_TRACE_CALLS its system calls, MKH_TRACE_FAULTS its
 * page faults (either, both, or 0: off). */
#define MKH_TRACE_CALLS 1
#define MKH_TRACE_FAULTS 2
int mkh_trace(int mode);

/* A process, as mkh_process_info gives it. */
/* MKH_ZOMBIE: ended, its parent has not waited for it yet (no threads, its name, ids and CPU
 * time kept until the wait). */
enum mkh_process_state { MKH_RUNNING = 0, MKH_STOPPED = 1, MKH_ENDING = 2, MKH_EXEC = 3, MKH_ZOMBIE = 4 };
struct mkh_process {
  uint32_t pid;
  uint32_t ppid;    /* 0 for the first process */
  uint32_t threads; /* in every cluster */
  uint32_t copies;  /* the other clusters holding a copy of it: where some of its threads run */
  uint32_t state;   /* enum mkh_process_state; MKH_EXEC between an execve's two images */
  uint32_t cpu_ms;  /* its CPU time, in milliseconds: its threads' as each last counted it */
  char name[16];    /* the last component of the program's path, as Linux's comm */
};
/* The first process that cluster `cxy` owns at local index `index` or after it (a pid's low
 * 16 bits are its index: ask again from the pid's index + 1 for the next); -1 with errno
 * ESRCH when there is none, EINVAL when the machine has no cluster `cxy`. */
int mkh_process_info(unsigned int cxy, unsigned int index, struct mkh_process* info);
/* Not a system call: the name ps and top give `state` (an enum mkh_process_state): "running",
 * "stopped", "ending", "exec", "zombie"; "?" for another. */
const char* mkh_process_state_name(uint32_t state);

/* A cluster's memory bank, as mkh_memory_info gives it (counts of pages of `page_size`
 * bytes): the bank's pages, those the kernel's own data reserves (descriptors, the page
 * array), and those free; the rest are in use (kernel objects, user pages, file caches). */
struct mkh_memory {
  uint32_t page_size;
  uint32_t pages_total;
  uint32_t pages_reserved;
  uint32_t pages_free;
};
/* The memory bank of cluster `cxy`; -1 with errno EINVAL when the machine has no such cluster. */
int mkh_memory_info(unsigned int cxy, struct mkh_memory* info);

/* Not a system call: Linux's number for picolibc's signal `signal` (picolibc numbers SIGBUS,
 * SIGSYS and the signals from 16 up as BSD does), -1 for one Linux has not; what a shell adds
 * to 128 for a status, as Linux's shells do. */
int mkh_linux_signal(int signal);
/* Not system calls either: Linux's name of its signal `number` (1-31, as signal(7) names it,
 * without SIG), NULL for another number; and Linux's number of the signal `text` names (a name
 * with or without SIG, or a number from 0 to 64), -1 for none. kill and the shell's trap. */
const char* mkh_signal_name(int number);
int mkh_signal_number(const char* text);
