/* forks: `forks [COUNT [PAGES]]` forks COUNT children one after the other (100 by default),
 * each writing one word on each of PAGES pages (0 by default) of a buffer its parent filled
 * before, then exiting; the parent waits for each and checks its status, then prints the count.
 * `mkh bench user` times it under mkh exec and under qemu-riscv32: fork, exit and wait, and with
 * PAGES the copies on write. A user program (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kPage = 4096 };

int main(int argc, char** argv) {
  const long count = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
  const long pages = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (count <= 0 || pages < 0 || pages > 65536) {
    fprintf(stderr, "forks: COUNT must be positive and PAGES from 0 to 65536\n");
    return 2;
  }
  char* buffer = pages > 0 ? malloc((size_t)pages * kPage) : NULL;
  if (pages > 0 && buffer == NULL) {
    fprintf(stderr, "forks: no memory for %ld pages\n", pages);
    return 1;
  }
  if (buffer != NULL) memset(buffer, 1, (size_t)pages * kPage);
  fflush(stdout);
  for (long i = 0; i < count; i++) {
    const pid_t pid = fork();
    if (pid < 0) {
      perror("forks: fork");
      return 1;
    }
    if (pid == 0) {
      for (long page = 0; page < pages; page++) buffer[page * kPage] = 2;
      _exit(7);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
      fprintf(stderr, "forks: child %ld ended with status %#x\n", i, status);
      return 1;
    }
  }
  printf("forks: %ld children, %ld pages each\n", count, pages);
  return 0;
}
