/* pipe: the referee program of pipe2 (user/tests/): bytes through a pipe in one process and
 * between processes (a parent and its child, two children as a shell's pipeline joins them),
 * the end of the bytes when the last writer goes, EPIPE and SIGPIPE when the last reader
 * goes (also for a writer waiting for room), writers of PIPE_BUF bytes never interleaved, a
 * reader woken by a writer's bytes and by its close, non-blocking ends, readv and writev, what a pipe's descriptors answer (F_GETFL, F_GETFD, statx's
 * type, lseek, pread, FIONREAD, EBADF on the wrong end) and pipe2's refusals. The ring's size
 * is not printed (Linux's is 64 KiB, mkh's 60 KiB). `spread`: each child forked on the next
 * cluster in turn (mkh's place_fork, a no-op under qemu-riscv32). The same bytes and status
 * under qemu-riscv32 and mkh exec. */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "forking.h"
#include "linux_syscalls.h"

enum { kPipeBuf = 4096, kRecords = 64, kWriters = 4, kStream = 1 << 20, kFionread = 0x541b };

/* A C library call's answer: the value, or the error errno names. */
static void say(const char* what, long result) {
  if (result < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %ld\n", what, result);
}

/* A raw system call's answer: the value, or the error it returned. */
static void say_raw(const char* what, long result) {
  if (result < 0) printf("%s: %s\n", what, strerror((int)-result));
  else printf("%s: %ld\n", what, result);
}

static void make_pipe(int fds[2], int flags) {
  if (pipe2(fds, flags) != 0) {
    printf("pipe2: %s\n", strerror(errno));
    exit(1);
  }
}

/* Reads exactly `size` bytes (less only at the end of the bytes); the count. */
static size_t read_all(int fd, void* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, (char*)buffer + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  return done;
}

static int write_all(int fd, const void* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, (const char*)buffer + done, size - done);
    if (n < 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

/* The n-th byte of the stream the tests send (not periodic in the ring's size). */
static unsigned char stream_byte(size_t n) { return (unsigned char)(n * 7 + n / 251); }

/* A pipe in one process: what goes in comes out, and what its descriptors answer. */
static void alone(void) {
  int fds[2];
  char buffer[64] = {0};
  make_pipe(fds, 0);
  printf("read end %d, write end %d\n", fds[0], fds[1]);
  say("write 5", write(fds[1], "hello", 5));
  int waiting = -1;
  say("FIONREAD", ioctl(fds[0], kFionread, &waiting));
  printf("  bytes waiting: %d\n", waiting);
  say("read up to 64", read(fds[0], buffer, sizeof buffer));
  printf("  they are: %s\n", buffer);
  say("F_GETFL of the read end", fcntl(fds[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  say("F_GETFL of the write end", fcntl(fds[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  say("F_GETFD", fcntl(fds[0], F_GETFD));
  struct stat info;
  say("fstat", fstat(fds[0], &info));
  printf("  a FIFO: %s, size %ld\n", S_ISFIFO(info.st_mode) ? "yes" : "no", (long)info.st_size);
  say("lseek", lseek(fds[0], 0, SEEK_CUR));
  say("pread", pread(fds[0], buffer, 1, 0));
  say("pwrite", pwrite(fds[1], "x", 1, 0));
  say("read from the write end", read(fds[1], buffer, 1));
  say("write to the read end", write(fds[0], "x", 1));
  say("read 0 bytes", read(fds[0], buffer, 0));
  say("mmap", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fds[0], 0) == MAP_FAILED ? -1 : 0);
  say("fsync", fsync(fds[1]));
  say("ftruncate", ftruncate(fds[1], 0));
  say_raw("getdents64", linux_syscall(SYS_getdents64, fds[0], (long)buffer, sizeof buffer, 0, 0, 0));
  say_raw("fchdir", linux_syscall(SYS_fchdir, fds[0], 0, 0, 0, 0, 0));
  /* A dup names the same end: closing one leaves the pipe open. */
  const int copy = dup(fds[1]);
  say("close the write end", close(fds[1]));
  say("write through its dup", write(copy, "abc", 3));
  say("close the dup", close(copy));
  say("read what is left", read(fds[0], buffer, sizeof buffer));
  say("read at the end", read(fds[0], buffer, sizeof buffer));
  say("close the read end", close(fds[0]));
}

/* readv and writev on a pipe: a readv takes what is there without waiting past its first
 * vector (a writer is left, and would be waited for: the program would hang); a writev of at
 * most PIPE_BUF bytes goes in whole or not at all. */
static void vectors(void) {
  int fds[2];
  char first[5], second[5];
  make_pipe(fds, O_NONBLOCK);
  write(fds[1], "abcde", 5);
  fcntl(fds[0], F_SETFL, 0);  /* a blocking read end */
  struct linux_iovec in[2] = {{first, sizeof first}, {second, sizeof second}};
  say("readv of 2 x 5 with 5 bytes there", readv(fds[0], in, 2));
  static unsigned char block[kPipeBuf];
  memset(block, 'v', sizeof block);
  while (write(fds[1], block, sizeof block) > 0) continue;
  say("read 3000 of the full pipe", read(fds[0], block, 3000));
  struct linux_iovec out[2] = {{block, 2000}, {block, 2000}};
  say("writev of 2 x 2000 into it", writev(fds[1], out, 2));
  close(fds[0]);
  close(fds[1]);
}

/* No reader left: EPIPE when SIGPIPE is ignored, the signal when it is not. */
static void no_reader(void) {
  int fds[2];
  make_pipe(fds, 0);
  close(fds[0]);
  struct sigaction action = {0};
  action.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &action, NULL);  /* picolibc's signal() is its own, not the kernel's */
  say("write with no reader, SIGPIPE ignored", write(fds[1], "x", 1));
  action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &action, NULL);
  const pid_t child = fork_next();
  if (child == 0) {
    write(fds[1], "x", 1);
    printf("the child lived on\n");
    exit(0);
  }
  describe("a child writing with no reader", wait_for(child));
  /* A writer whose reader leaves while it waits for room: SIGPIPE too, after some bytes went in. */
  int more[2];
  make_pipe(more, 0);
  const pid_t blocked = fork_next();
  if (blocked == 0) {
    close(more[0]);
    static unsigned char lot[100000];
    const ssize_t n = write(more[1], lot, sizeof lot);
    printf("the long write returned %zd\n", n);
    exit(0);
  }
  close(more[1]);
  char some[10];
  say("the reader takes", (long)read_all(more[0], some, sizeof some));
  close(more[0]);
  describe("a long writer whose reader left", wait_for(blocked));
  say("write of 0 bytes with no reader", write(fds[1], "x", 0));
  close(fds[1]);
}

/* Non-blocking ends: EAGAIN for a read of an empty pipe and a write to a full one. */
static void nonblocking(void) {
  int fds[2];
  make_pipe(fds, O_NONBLOCK | O_CLOEXEC);
  say("F_GETFL of the read end", fcntl(fds[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  say("F_GETFD", fcntl(fds[1], F_GETFD));
  char byte;
  say("read of an empty pipe", read(fds[0], &byte, 1));
  static unsigned char block[kPipeBuf];
  size_t total = 0;
  ssize_t n;
  for (;;) {
    for (size_t i = 0; i < sizeof block; i++) block[i] = stream_byte(total + i);
    if ((n = write(fds[1], block, sizeof block)) <= 0) break;
    total += (size_t)n;
  }
  printf("filled: more than 32 KiB: %s; then %s\n", total > 32768 ? "yes" : "no", strerror(errno));
  say("a write of one byte into it", write(fds[1], "x", 1) < 0 ? -1 : 0);
  size_t got = 0, wrong = 0;
  while ((n = read(fds[0], block, sizeof block)) > 0) {
    for (ssize_t i = 0; i < n; i++) wrong += block[i] != stream_byte(got + (size_t)i);
    got += (size_t)n;
  }
  printf("read back: %s, %zu wrong bytes; then %s\n", got == total ? "all" : "not all", wrong, strerror(errno));
  /* O_NONBLOCK off by fcntl: the end's every descriptor sees it. */
  const int copy = dup(fds[0]);
  say("F_SETFL without O_NONBLOCK", fcntl(fds[0], F_SETFL, 0));
  say("F_GETFL of its dup", fcntl(copy, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  close(copy);
  close(fds[0]);
  close(fds[1]);
}

/* A megabyte from a child to its parent in writes of many sizes, checked byte for byte; then
 * the parent's reader blocked until the child's bytes come, and until its close. */
static void parent_and_child(void) {
  int fds[2];
  make_pipe(fds, 0);
  const pid_t child = fork_next();
  if (child == 0) {
    close(fds[0]);
    static unsigned char piece[9000];
    size_t sent = 0;
    for (size_t size = 1; sent < kStream; size = size * 3 % 8999 + 1) {
      if (size > kStream - sent) size = kStream - sent;
      for (size_t i = 0; i < size; i++) piece[i] = stream_byte(sent + i);
      if (write_all(fds[1], piece, size) != 0) exit(2);
      sent += size;
    }
    exit(0);
  }
  close(fds[1]);
  static unsigned char got[kStream];
  const size_t n = read_all(fds[0], got, sizeof got);
  size_t wrong = 0;
  for (size_t i = 0; i < n; i++) wrong += got[i] != stream_byte(i);
  char extra;
  printf("a megabyte from a child: %zu bytes, %zu wrong, then %zd\n", n, wrong, read(fds[0], &extra, 1));
  describe("the writer", wait_for(child));
  close(fds[0]);

  /* The reader waits for a child that sleeps, then writes, then sleeps and closes. */
  make_pipe(fds, 0);
  const pid_t sleeper = fork_next();
  if (sleeper == 0) {
    close(fds[0]);
    const struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    write(fds[1], "late", 4);
    nanosleep(&nap, NULL);
    exit(0);
  }
  close(fds[1]);
  char word[8] = {0};
  say("a read that waits for the bytes", read(fds[0], word, sizeof word - 1));
  printf("  they are: %s\n", word);
  say("a read that waits for the close", read(fds[0], word, 1));
  describe("the sleeper", wait_for(sleeper));
  close(fds[0]);
}

/* A pipeline of two children, as a shell makes it: the first's stdout is the pipe's write
 * end, the second's stdin its read end; the parent keeps neither. */
static void pipeline(void) {
  int fds[2];
  make_pipe(fds, 0);
  const pid_t producer = fork_next();
  if (producer == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    for (int i = 1; i <= 1000; i++) printf("line %d\n", i);
    exit(0);
  }
  const pid_t consumer = fork_next();
  if (consumer == 0) {
    dup2(fds[0], 0);
    close(fds[0]);
    close(fds[1]);
    char line[64];
    long lines = 0, sum = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
      lines++;
      sum += strtol(line + 5, NULL, 10);
    }
    printf("the consumer: %ld lines, numbers summing to %ld\n", lines, sum);
    exit(0);
  }
  close(fds[0]);
  close(fds[1]);
  const int consumed = wait_for(consumer);  /* its line printed before the parent's */
  describe("the producer", wait_for(producer));
  describe("the consumer", consumed);
}

/* Writers of PIPE_BUF bytes at once: each record comes out whole, never mixed with another. */
static void atomic_records(void) {
  int fds[2];
  make_pipe(fds, 0);
  pid_t writers[kWriters];
  for (int w = 0; w < kWriters; w++) {
    writers[w] = fork_next();
    if (writers[w] == 0) {
      close(fds[0]);
      static unsigned char record[kPipeBuf];
      memset(record, 'a' + w, sizeof record);
      for (int r = 0; r < kRecords; r++)
        if (write(fds[1], record, sizeof record) != (ssize_t)sizeof record) exit(2);
      exit(0);
    }
  }
  close(fds[1]);
  static unsigned char record[kPipeBuf];
  int whole = 0, mixed = 0, per_writer[kWriters] = {0};
  while (read_all(fds[0], record, sizeof record) == sizeof record) {
    int same = 1;
    for (size_t i = 1; i < sizeof record; i++) same &= record[i] == record[0];
    if (same && record[0] >= 'a' && record[0] < 'a' + kWriters) {
      whole++;
      per_writer[record[0] - 'a']++;
    } else {
      mixed++;
    }
  }
  printf("records of PIPE_BUF bytes: %d whole, %d mixed;", whole, mixed);
  for (int w = 0; w < kWriters; w++) printf(" %d", per_writer[w]);
  printf("\n");
  int ended = 0;
  for (int w = 0; w < kWriters; w++) ended += WIFEXITED(wait_for(writers[w]));
  printf("writers ended: %d\n", ended);
  close(fds[0]);
}

/* pipe2's refusals. Last: after a bad address qemu-riscv32 leaves the two host descriptors open
 * (Linux closes them, and mkh). */
static void refusals(void) {
  int fds[2];
  say("pipe2 with O_APPEND", pipe2(fds, O_APPEND));
  say_raw("pipe2 into a bad address", linux_syscall(SYS_pipe2, 16, 0, 0, 0, 0, 0));
}

int main(int argc, char** argv) {
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  alone();
  vectors();
  no_reader();
  nonblocking();
  parent_and_child();
  pipeline();
  atomic_records();
  refusals();
  return 0;
}
