/* pipes: `pipes [MIB [CHUNK]]` sends MIB mebibytes (32 by default) from a forked child to its
 * parent through a pipe, in writes of CHUNK bytes (4096 by default; the parent reads 64 KiB at
 * a time), and prints the count the parent read. Under mkh the child is forked on another
 * cluster when there is one (mkh_place_fork; a no-op under qemu-riscv32), so the bytes cross
 * clusters. `mkh bench user` times it under mkh exec and under qemu-riscv32. A user program
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mkh.h"

static char buffer[65536] __attribute__((aligned(4096))); /* a page-aligned buffer, as a large malloc gives */

int main(int argc, char** argv) {
  const long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 32;
  const long chunk = argc > 2 ? strtol(argv[2], NULL, 10) : 4096;
  if (mib <= 0 || mib > 4096 || chunk <= 0 || chunk > (long)sizeof buffer) {
    fprintf(stderr, "pipes: MIB must be from 1 to 4096 and CHUNK from 1 to %zu\n", sizeof buffer);
    return 2;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipes: pipe");
    return 1;
  }
  unsigned x, y, cores, cxy, lid;
  if (mkh_get_config(&x, &y, &cores) == 0 && x * y > 1 && mkh_get_core(&cxy, &lid) == 0) {
    const unsigned here = (cxy >> 4) * y + (cxy & 15), there = (here + 1) % (x * y);
    mkh_place_fork((there / y) << 4 | there % y);
  }
  const long long total = (long long)mib << 20;
  const pid_t child = fork();
  if (child < 0) {
    perror("pipes: fork");
    return 1;
  }
  if (child == 0) {
    close(fds[0]);
    for (long long sent = 0; sent < total;) {
      const long size = total - sent < chunk ? (long)(total - sent) : chunk;
      const ssize_t n = write(fds[1], buffer, (size_t)size);
      if (n <= 0) _exit(1);
      sent += n;
    }
    _exit(0);
  }
  close(fds[1]);
  long long got = 0;
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) got += n;
  int status = 0;
  waitpid(child, &status, 0);
  printf("pipes: %lld bytes read, the writer %s\n", got, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed");
  return got == total && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
