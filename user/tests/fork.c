/* fork: the referee program of fork (clone without CLONE_VM) and waitid, through the user
 * library's fork, wait and waitpid (user/tests/). The child's memory is a copy of its parent's
 * (copy-on-write in mkh: globals, heap, stack, an anonymous mapping, written on each side after
 * the fork), but for a shared anonymous mapping; its exit status and the signal that killed it reach its parent; several children
 * waited for in any order; signals from the parent to its children; WNOHANG while a child
 * sleeps; ECHILD; an open file's offset shared
 * across the fork; getppid; a grandchild; a fork by a process with another thread running (the
 * child has one thread); a fork by a thread other than the main one; vfork's flags; children
 * reaped at their end while SIGCHLD is ignored; a child not waited for keeps its pid; fifty
 * forks in a row. `spread`: each child forked on the next cluster
 * of the machine in turn, and the forking thread on the next cluster (mkh's place_fork and
 * place_thread, no-ops under qemu-riscv32). The same bytes and
 * status under qemu-riscv32 and mkh exec. `orphan` (mkh's own, not a referee case): the
 * parent ends while its child sleeps, which mkh kills (no process outlives its parent). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forking.h"
#include "linux_syscalls.h"
#include "mkh.h"

enum { kPages = 64, kPage = 4096 };

static int global = 1;
static unsigned char table[kPages * kPage];

static unsigned checksum(const unsigned char* bytes, size_t size) {
  unsigned sum = 0;
  for (size_t i = 0; i < size; i++) sum = sum * 31 + bytes[i];
  return sum;
}

/* Every kind of memory is the child's own copy: each side writes after the fork, each reads
 * back its own bytes. */
static void memory(void) {
  int local = 2;
  int* heap = malloc(sizeof *heap);
  *heap = 3;
  unsigned char* mapped = mmap(NULL, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < kPages * kPage; i++) table[i] = (unsigned char)(i * 7);
  memset(mapped, 0x5a, 4 * kPage);
  const unsigned before = checksum(table, sizeof table);
  const pid_t pid = fork_next();
  if (pid == 0) {
    global = 10, local = 20, *heap = 30;
    memset(mapped, 0xa5, 2 * kPage);
    for (int i = 0; i < kPages * kPage; i += 100) table[i] ^= 0xff;
    printf("child: global %d local %d heap %d mapped %#x %#x table %s\n", global, local, *heap, mapped[0],
           mapped[3 * kPage], checksum(table, sizeof table) != before ? "changed" : "unchanged");
    exit(7);
  }
  global = 100, local = 200;
  mapped[3 * kPage] = 0x11;
  describe("memory child", wait_for(pid));
  printf("parent: global %d local %d heap %d mapped %#x %#x table %s\n", global, local, *heap, mapped[0],
         mapped[3 * kPage], checksum(table, sizeof table) == before ? "unchanged" : "changed");
  munmap(mapped, 4 * kPage);
  free(heap);
  global = 1;
}

/* An anonymous MAP_SHARED mapping stays shared: the child's writes reach the parent, on a
 * page the parent wrote before the fork and on one nobody had touched. */
static void shared_mapping(void) {
  unsigned* shared = mmap(NULL, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  shared[0] = 5;
  const pid_t pid = fork_next();
  if (pid == 0) {
    __atomic_fetch_add(&shared[0], 10, __ATOMIC_ACQ_REL);
    __atomic_exchange_n(&shared[kPage / sizeof *shared], 77u, __ATOMIC_ACQ_REL);
    exit(0);
  }
  wait_for(pid);
  printf("shared mapping after the child: %u %u\n", __atomic_fetch_or(&shared[0], 0, __ATOMIC_ACQUIRE),
         __atomic_fetch_or(&shared[kPage / sizeof *shared], 0, __ATOMIC_ACQUIRE));
  munmap(shared, 2 * kPage);
  /* One made without access, opened by each side after the fork: still the same pages. */
  unsigned* closed = mmap(NULL, kPage, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  const pid_t opener = fork_next();
  if (opener == 0) {
    mprotect(closed, kPage, PROT_READ | PROT_WRITE);
    __atomic_exchange_n(closed, 42u, __ATOMIC_ACQ_REL);
    exit(0);
  }
  wait_for(opener);
  mprotect(closed, kPage, PROT_READ | PROT_WRITE);
  printf("shared mapping opened after the fork: %u\n", __atomic_fetch_or(closed, 0, __ATOMIC_ACQUIRE));
  munmap(closed, kPage);
}

/* Five children, each its own status, waited for in any order (wait()). */
static void several(void) {
  pid_t pids[5];
  for (int i = 0; i < 5; i++) {
    pids[i] = fork_next();
    if (pids[i] == 0) exit(40 + i);
  }
  int seen[5] = {0};
  for (int i = 0; i < 5; i++) {
    int status = 0;
    const pid_t got = wait(&status);
    for (int j = 0; j < 5; j++)
      if (got == pids[j] && WIFEXITED(status) && WEXITSTATUS(status) == 40 + j) seen[j]++;
  }
  int status = 0;
  const pid_t none = wait(&status);
  printf("several: %d %d %d %d %d; then %d (%s)\n", seen[0], seen[1], seen[2], seen[3], seen[4], none,
         none < 0 && errno == ECHILD ? "ECHILD" : "?");
}

static void killed(void) {
  pid_t pid = fork_next();
  if (pid == 0) {
    kill(getpid(), SIGKILL);
    exit(1);
  }
  describe("SIGKILL child", wait_for(pid));
  pid = fork_next();
  if (pid == 0) {
    raise(SIGTERM);
    exit(1);
  }
  describe("SIGTERM child", wait_for(pid));
}

/* A child that sleeps long, unless a signal ends it first. */
static pid_t sleeper(void) {
  const pid_t pid = fork_next();
  if (pid == 0) {
    const struct timespec pause = {30, 0};
    nanosleep(&pause, NULL);
    exit(1);
  }
  return pid;
}

/* kill(2) from the parent to its children: existence (signal 0), a terminating signal (one
 * whose number picolibc and Linux spell differently too), a stop then a continue then SIGKILL,
 * a SIGTERM the child ignores, and ESRCH for a child waited for. */
static void signals_to_children(void) {
  pid_t pid = sleeper();
  printf("kill(child, 0): %d\n", kill(pid, 0));
  kill(pid, SIGTERM);
  describe("SIGTERM from the parent", wait_for(pid));
  errno = 0;
  printf("kill(that child again): %d %s\n", kill(pid, SIGTERM), errno == ESRCH ? "ESRCH" : "?");
  pid = sleeper();
  kill(pid, SIGUSR1);
  describe("SIGUSR1 from the parent", wait_for(pid));
  pid = sleeper();
  kill(pid, SIGSTOP);
  kill(pid, SIGCONT);
  kill(pid, SIGKILL);
  describe("stopped, continued, then SIGKILL", wait_for(pid));
  unsigned* ready = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid = fork_next();
  if (pid == 0) {
    struct sigaction ignore = {0};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGTERM, &ignore, NULL);
    __atomic_exchange_n(ready, 1u, __ATOMIC_RELEASE);
    const struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    exit(4);
  }
  while (__atomic_fetch_or(ready, 0, __ATOMIC_ACQUIRE) == 0) sched_yield();
  kill(pid, SIGTERM);
  describe("SIGTERM the child ignores", wait_for(pid));
  munmap(ready, kPage);
}

/* WNOHANG finds nothing while the child sleeps; the blocking wait then finds it. */
static void nohang(void) {
  const pid_t pid = fork_next();
  if (pid == 0) {
    const struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    exit(9);
  }
  int status = -1;
  const pid_t early = waitpid(pid, &status, WNOHANG);
  printf("WNOHANG while it sleeps: %d, status untouched %s\n", early, status == -1 ? "yes" : "no");
  describe("sleeping child", wait_for(pid));
}

static void refusals(void) {
  int status = 0;
  errno = 0;
  printf("waitpid(-1) without children: %d %s\n", waitpid(-1, &status, 0), errno == ECHILD ? "ECHILD" : "?");
  errno = 0;
  printf("waitpid(self): %d %s\n", waitpid(getpid(), &status, 0), errno == ECHILD ? "ECHILD" : "?");
  errno = 0;
  printf("waitpid(-1, WNOHANG) without children: %d %s\n", waitpid(-1, &status, WNOHANG),
         errno == ECHILD ? "ECHILD" : "?");
}

/* The parent's open file is the child's too: one offset. */
static void shared_file(void) {
  const int fd = open("fork.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "parent one\n", 11);
  const pid_t pid = fork_next();
  if (pid == 0) {
    write(fd, "child\n", 6);
    exit(0);
  }
  wait_for(pid);
  write(fd, "parent two\n", 11);
  char text[64] = {0};
  lseek(fd, 0, SEEK_SET);
  const ssize_t got = read(fd, text, sizeof text - 1);
  printf("shared file (%zd bytes):\n%s", got, text);
  close(fd);
  unlink("fork.txt");
}

static void family(void) {
  const pid_t parent = getpid();
  pid_t pid = fork_next();
  if (pid == 0) exit(getppid() == parent ? 0 : 1);
  describe("getppid is the parent", wait_for(pid));
  pid = fork_next();
  if (pid == 0) {
    const pid_t grandchild = fork_next();
    if (grandchild == 0) exit(3);
    const int status = wait_for(grandchild);
    exit(WIFEXITED(status) ? WEXITSTATUS(status) + 1 : 99);
  }
  describe("child of a grandchild's 3", wait_for(pid));
}

/* The worker's flag and count are read and written with atomics (AMOs): plain accesses from
 * two threads would be a data race, which ThreadSanitizer reports through mkh's interpreter. */
static int stop_worker;
static unsigned worker_turns;
static unsigned atomic_read(unsigned* word) { return __atomic_fetch_or(word, 0, __ATOMIC_ACQUIRE); }
static void* worker(void* unused) {
  (void)unused;
  while (!atomic_read((unsigned*)&stop_worker)) __atomic_fetch_add(&worker_turns, 1, __ATOMIC_RELAXED);
  return NULL;
}

/* Only the forking thread goes on in the child. */
static void with_thread(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, worker, NULL);
  while (atomic_read(&worker_turns) == 0) sched_yield();
  const pid_t pid = fork_next();
  if (pid == 0) {
    const unsigned seen = atomic_read(&worker_turns);
    const struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    exit(atomic_read(&worker_turns) == seen ? 0 : 1);
  }
  describe("child of a two-thread process: its worker did not run", wait_for(pid));
  __atomic_exchange_n(&stop_worker, 1, __ATOMIC_RELEASE);
  pthread_join(thread, NULL);
}

/* A fork by a thread other than the main one (with `spread`, in the process's copy on the
 * next cluster): the child is that thread's copy, its waiter that thread. */
static void* forking_thread(void* unused) {
  (void)unused;
  const pid_t pid = fork_next();
  if (pid == 0) exit(global == 1 ? 6 : 1);
  return (void*)(long)wait_for(pid);
}

static void from_thread(void) {
  unsigned x, y, cores, cxy, lid;
  if (spread && mkh_get_config(&x, &y, &cores) == 0 && mkh_get_core(&cxy, &lid) == 0) {
    const unsigned cluster = ((cxy >> 4) * y + (cxy & 15) + 1) % (x * y);
    mkh_place_thread((cluster / y) << 4 | cluster % y, 0);
  }
  pthread_t thread;
  void* status = NULL;
  pthread_create(&thread, NULL, forking_thread, NULL);
  pthread_join(thread, &status);
  describe("child of a thread", (int)(long)status);
}

/* vfork's flags (CLONE_VM | CLONE_VFORK | SIGCHLD), as the raw call: a child that only exits.
 * A parent that ignores SIGCHLD has its children reaped at their end: wait finds none. */
static void vfork_and_reaped(void) {
  fflush(stdout);
  const long pid = linux_syscall(SYS_clone, 0x100 | 0x4000 | 17, 0, 0, 0, 0, 0);
  if (pid == 0) linux_syscall(SYS_exit_group, 12, 0, 0, 0, 0, 0);
  describe("vfork child", pid > 0 ? wait_for((pid_t)pid) : -1);
  struct sigaction ignore = {0}, old;
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGCHLD, &ignore, &old);  /* (picolibc's signal() tells the kernel nothing) */
  for (int i = 0; i < 3; i++)
    if (fork_next() == 0) exit(1);
  int status = 0;
  errno = 0;
  const pid_t got = wait(&status);
  printf("SIGCHLD ignored: wait %d %s\n", got, got < 0 && errno == ECHILD ? "ECHILD" : "?");
  sigaction(SIGCHLD, &old, NULL);
}

/* A child not waited for keeps its pid while 300 others come and go (mkh gives a cluster 255
 * pids in turn): no new child gets it, and its wait finds its own status. */
static void pid_kept(void) {
  const pid_t first = fork_next();
  if (first == 0) exit(3);
  int reused = 0, wrong = 0;
  for (int i = 0; i < 300; i++) {
    const pid_t pid = fork_next();
    if (pid == 0) exit(0);
    if (pid == first) reused++;
    const int status = wait_for(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) wrong++;
  }
  printf("a child not waited for through 300 forks: pid reused %d, wrong statuses %d; ", reused, wrong);
  describe("its own", wait_for(first));
}

static void many(void) {
  int sum = 0;
  for (int i = 0; i < 50; i++) {
    const pid_t pid = fork_next();
    if (pid == 0) exit(i % 7);
    const int status = wait_for(pid);
    sum += WEXITSTATUS(status);
  }
  printf("fifty forks: statuses sum to %d\n", sum);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "orphan") == 0) {
    /* mkh only (Linux lets the child live on): the parent's end kills it. */
    if (fork_next() == 0) {
      const struct timespec pause = {600, 0};
      nanosleep(&pause, NULL);
      exit(1);
    }
    printf("the parent ends first\n");
    return 0;
  }
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  memory();
  shared_mapping();
  several();
  killed();
  signals_to_children();
  nohang();
  refusals();
  shared_file();
  family();
  with_thread();
  from_thread();
  vfork_and_reaped();
  pid_kept();
  many();
  printf("done\n");
  return 0;
}
