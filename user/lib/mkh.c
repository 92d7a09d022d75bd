/* mkh's own system calls (user/include/mkh.h), numbered from 1024: thin wrappers, the
 * placement ones answering success where the kernel does not know them (ENOSYS under
 * qemu-riscv32 or Linux); and the name of a process's state. Layer: the user library
 * (user/lib/); calls the ecall only. */
#include <errno.h>

#include "mkh.h"
#include "syscall.h"

int mkh_display(int kind, long arg0, long arg1) {
  return (int)__mkh_result(__MKH_SC3(SYS_mkh_display, kind, arg0, arg1));
}

int mkh_get_config(unsigned int* x_size, unsigned int* y_size, unsigned int* cores) {
  return (int)__mkh_result(__MKH_SC3(SYS_mkh_get_config, x_size, y_size, cores));
}

int mkh_get_core(unsigned int* cxy, unsigned int* lid) {
  return (int)__mkh_result(__MKH_SC2(SYS_mkh_get_core, cxy, lid));
}

int mkh_get_cycle(uint64_t* cycles) { return (int)__mkh_result(__MKH_SC1(SYS_mkh_get_cycle, cycles)); }

/* -38 is Linux's ENOSYS: the kernel has no placement, there is nothing to place. */
static int placement(long raw) { return raw == -38 ? 0 : (int)__mkh_result(raw); }

int mkh_place_fork(unsigned int cxy) { return placement(__MKH_SC1(SYS_mkh_place_fork, cxy)); }

void mkh_place_next_fork(void) {
  static unsigned next;
  unsigned x, y, cores;
  if (mkh_get_config(&x, &y, &cores) != 0) return;
  const unsigned cluster = next++ % (x * y);
  mkh_place_fork((cluster / y) << 4 | cluster % y);
}

int mkh_place_thread(unsigned int cxy, unsigned int lid) {
  return placement(__MKH_SC2(SYS_mkh_place_thread, cxy, lid));
}

int mkh_trace(int mode) { return (int)__mkh_result(__MKH_SC1(SYS_mkh_trace, mode)); }

int mkh_process_info(unsigned int cxy, unsigned int index, struct mkh_process* info) {
  return (int)__mkh_result(__MKH_SC3(SYS_mkh_process_info, cxy, index, info));
}

const char* mkh_process_state_name(uint32_t state) {
  switch (state) {
    case MKH_RUNNING: return "running";
    case MKH_STOPPED: return "stopped";
    case MKH_ENDING: return "ending";
    case MKH_EXEC: return "exec";
    case MKH_ZOMBIE: return "zombie";
  }
  return "?";
}

int mkh_memory_info(unsigned int cxy, struct mkh_memory* info) {
  return (int)__mkh_result(__MKH_SC2(SYS_mkh_memory_info, cxy, info));
}
