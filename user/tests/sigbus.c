/* sigbus: the referee program of a file mapping read past the file's end (user/tests/): maps two
 * pages of a one-byte file, reads the first page (its bytes past the end are zeros), then the
 * second, wholly past the end: the process is killed by SIGBUS, so the runner exits with
 * 128 + 7 = 135. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "linux_syscalls.h"

int main(void) {
  const int fd = open("sigbus.tmp", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "x", 1) != 1) return 1;
  volatile unsigned char* pages = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  unlink("sigbus.tmp");
  if (pages == MAP_FAILED) return 2;
  printf("sigbus: first page %c %d\n", pages[0], pages[4095]);
  fflush(stdout);
  printf("sigbus: second page %d, which is wrong\n", pages[4096]);
  return 0;
}
