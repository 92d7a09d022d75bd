/* mkh_calls: mkh's own system calls (1024 and up, user/include/mkh.h) and their refusals: a
 * cluster or a core the machine has not (EINVAL), a pointer to no memory (EFAULT), an unknown
 * kind or value (EINVAL), a number in mkh's range that names no call (ENOSYS), and what the
 * answers that succeed must hold. Only relations are printed, never an address or a count
 * that changes from one run to the next. mkh only (its mkh case): under another kernel every
 * call answers ENOSYS. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"

#define NO_CLUSTER 0x7fffu            /* mkh has no cluster 0x7fff */
#define NO_MEMORY ((void*)0xfffff000) /* above the user's range */
#define UNMAPPED ((void*)0x00001000)  /* below the program: mapped by nothing */

static void say(const char* what, int result) {
  if (result < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %d\n", what, result);
}

static void say_true(const char* what, int condition) { printf("%s: %s\n", what, condition ? "yes" : "no"); }

int main(void) {
  unsigned x_size, y_size, cores, cxy, lid;
  say("get_config", mkh_get_config(&x_size, &y_size, &cores));
  say("get_config(NO_MEMORY, ...)", mkh_get_config(NO_MEMORY, &y_size, &cores));
  say("get_core", mkh_get_core(&cxy, &lid));
  say_true("the core is one of the machine's", (cxy >> 4) < x_size && (cxy & 15) < y_size && lid < cores);
  say("get_core(..., UNMAPPED)", mkh_get_core(&cxy, UNMAPPED));
  uint64_t first, second;
  say("get_cycle", mkh_get_cycle(&first));
  say("get_cycle again", mkh_get_cycle(&second));
  say_true("the cycle counter does not go back", second >= first);
  say("get_cycle(NO_MEMORY)", mkh_get_cycle(NO_MEMORY));

  say("display(sched, no cluster)", mkh_display(0, NO_CLUSTER, 0));
  say("display(sched, no core)", mkh_display(0, cxy, cores));
  say("display(kind 7)", mkh_display(7, 0, 0));

  say("place_fork(no cluster)", mkh_place_fork(NO_CLUSTER));
  say("place_thread(no cluster)", mkh_place_thread(NO_CLUSTER, 0));
  say("place_thread(no core)", mkh_place_thread(cxy, cores));
  say("trace(4)", mkh_trace(4)); /* an unknown bit */

  struct mkh_process process;
  say("process_info(no cluster)", mkh_process_info(NO_CLUSTER, 1, &process));
  say("process_info(past the last index)", mkh_process_info(cxy, 0xffff, &process));
  const unsigned self = (unsigned)getpid();
  say("process_info(the caller's, NO_MEMORY)", mkh_process_info(self >> 16, self & 0xffff, NO_MEMORY));
  int found = 0;
  for (unsigned x = 0; x < x_size && !found; x++)
    for (unsigned y = 0; y < y_size && !found; y++)
      for (unsigned index = 1; mkh_process_info(x << 4 | y, index, &process) == 0; index = (process.pid & 0xffff) + 1)
        if (process.pid == self) {
          found = 1;
          break;
        }
  say_true("process_info finds the caller", found);
  say_true("and names it", found && strncmp(process.name, "mkh_calls", sizeof process.name) == 0);

  struct mkh_memory bank;
  say("memory_info(no cluster)", mkh_memory_info(NO_CLUSTER, &bank));
  say("memory_info(UNMAPPED)", mkh_memory_info(cxy, UNMAPPED));
  say("memory_info", mkh_memory_info(cxy, &bank));
  say_true("a page is 4096 bytes", bank.page_size == 4096);
  say_true("reserved and free pages are fewer than the bank's",
           bank.pages_reserved > 0 && bank.pages_free > 0 && bank.pages_reserved + bank.pages_free < bank.pages_total);

  const long unknown = linux_syscall(SYS_mkh_memory_info + 1, 0, 0, 0, 0, 0, 0);
  printf("call %d (none): %s\n", SYS_mkh_memory_info + 1,
         unknown == -38 /* Linux's ENOSYS */ ? "ENOSYS" : "another answer");
  return 0;
}
