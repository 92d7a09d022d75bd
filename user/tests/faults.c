/* faults: a page fault of each kind the kernel's trace names (`mkh exec --faults`, `strace
 * -F`): the program's code and data (read from the file), heap pages written first
 * (zero-filled), a fork's child writing a heap page it shares with its parent (copy-on-write:
 * copied), the parent writing another once the child is gone (copy-on-write: its own again),
 * and a thread in another cluster (mkh's place_thread, which a machine of one cluster and
 * qemu-riscv32 refuse: the thread is made beside the first) that runs the program's code and
 * reads the heap (its code copied into that cluster, the heap's entries asked of the
 * reference). Prints what it computed, the same under qemu-riscv32; user/tests/strace.sh
 * reads the trace. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"

enum { kBytes = 3 * 4096 };

static unsigned char* heap;

static void* reader(void* sum) {
  for (int i = 0; i < kBytes; i++) *(long*)sum += heap[i];
  return NULL;
}

int main(void) {
  heap = malloc(kBytes);
  if (heap == NULL) return 1;
  memset(heap, 1, kBytes);
  const pid_t child = fork();
  if (child == 0) {
    heap[0] = 7;
    _exit(heap[0]);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  heap[4096] = 1; /* a shared page the child did not write, its only mapping now: writable again */
  printf("the child wrote %d, the parent still has %d\n", WEXITSTATUS(status), heap[0]);
  unsigned cxy = 0, lid = 0;
  (void)mkh_get_core(&cxy, &lid);
  (void)mkh_place_thread(cxy == 0 ? 0x1 : 0x0, 0); /* a cluster other than this one */
  long sum = 0;
  pthread_t thread;
  if (pthread_create(&thread, NULL, reader, &sum) != 0 || pthread_join(thread, NULL) != 0) return 1;
  printf("a thread read %ld bytes of 1\n", sum);
  return 0;
}
