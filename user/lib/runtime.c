/* What a program's runtime holds beside the calls: the break that sbrk (and so picolibc's
 * malloc) moves with brk, the standard streams stdin, stdout and stderr as picolibc's
 * buffered POSIX files (stdio-bufio.h) on descriptors 0, 1 and 2 — stdout and stderr line
 * buffered, both flushed when the program exits —, and signgam, lgamma's sign, which
 * picolibc's libm uses and does not define. Layer: the user library (user/lib/). crt0.S
 * calls __mkh_runtime_init, which is what links this file in ahead of libc.a's own sbrk. */
#include <errno.h>
#include <stdint.h>
#include <stdio-bufio.h>
#include <stdio.h>
#include <unistd.h>

#include "linux_syscalls.h"

int signgam;

/* The break: 0 until the first call asks the kernel where it is. */
static uintptr_t current_break;

void* sbrk(ptrdiff_t increment) {
  if (current_break == 0) current_break = (uintptr_t)linux_brk(0);
  uintptr_t old = current_break;
  if (increment == 0) return (void*)old;
  uintptr_t wanted = old + (uintptr_t)increment;
  if ((increment > 0 && wanted < old) || (increment < 0 && wanted > old)) {
    errno = ENOMEM;
    return (void*)-1;
  }
  if ((uintptr_t)linux_brk((long)wanted) != wanted) { /* refused: brk answers the old break */
    errno = ENOMEM;
    return (void*)-1;
  }
  current_break = wanted;
  return (void*)old;
}

static char stdin_buffer[BUFSIZ];
static char stdout_buffer[BUFSIZ];
static char stderr_buffer[256];

static struct __file_bufio stdin_file =
    FDEV_SETUP_BUFIO(0, stdin_buffer, sizeof stdin_buffer, read, write, lseek, close, __SRD, 0);
static struct __file_bufio stdout_file =
    FDEV_SETUP_BUFIO(1, stdout_buffer, sizeof stdout_buffer, read, write, lseek, close, __SWR, __BLBF);
static struct __file_bufio stderr_file =
    FDEV_SETUP_BUFIO(2, stderr_buffer, sizeof stderr_buffer, read, write, lseek, close, __SWR, __BLBF);

FILE* const stdin = &stdin_file.xfile.cfile.file;
FILE* const stdout = &stdout_file.xfile.cfile.file;
FILE* const stderr = &stderr_file.xfile.cfile.file;

/* picolibc's __bufio_put answers EOF when the write under it fails but leaves the stream's
 * error flag clear, so a program that asks ferror(stdout) at its end missed a failed line
 * (`echo a >/dev/full` exited 0): the standard streams' put marks the error, as C requires. */
static int put_marking_errors(char c, FILE* stream) {
  const int result = __bufio_put(c, stream);
  if (result < 0) stream->flags |= __SERR;
  return result;
}

/* exit() runs the destructors (picolibc's __libc_fini_array) before _exit. */
__attribute__((destructor)) static void flush_standard_streams(void) {
  fflush(stdout);
  fflush(stderr);
}

void __mkh_runtime_init(void) {
  current_break = (uintptr_t)linux_brk(0);
  stdout_file.xfile.cfile.file.put = put_marking_errors;
  stderr_file.xfile.cfile.file.put = put_marking_errors;
}
