/* exec: execve and the user library's execv and execvp (user/tests/).
 * `errors`: the calls refused — a missing program, an empty path, a directory, a path through
 * a file, bad pointers for the path, argv and a string of argv, execvp's search — each leaving
 * the process as it was; the same bytes and status under qemu-riscv32 and mkh exec.
 * The others are mkh's own (qemu-user runs a program's execve on the host, which has no
 * binfmt_misc entry here to run a RISC-V program with): `image` replaces the image and checks
 * in the next one (`after`) what Linux keeps across an execve — the pid, descriptors but those
 * marked FD_CLOEXEC, the working directory, ignored signals, the signal mask, the thread's
 * pending signals — and what it replaces — argv, envp, memory, the actions' flags; `threads` makes threads (one blocked in a futex, one asleep,
 * one spinning, one on another cluster) and execs from one that is not the main thread: the new
 * image (`alone`) has one thread whose tid is the pid; `children` forks children that exec
 * /bin/echo, a missing program and a text file; `race` forks children whose execve races an
 * exit_group of another of their threads, or a SIGKILL from the parent; `term` children that a
 * SIGTERM reaches during their execve; `status N` exits with N. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"

extern char** environ;

static char self[256];  /* this program's absolute path: argv[0] made absolute */
static char* const no_env[] = {NULL};

static void say_refused(const char* what, int result) {
  printf("%s: %d %s\n", what, result, result < 0 ? strerror(errno) : "(returned)");
}

static int errors(void) {
  char* const argv[] = {"exec", "status", "9", NULL};
  char* const bad_string[] = {"exec", (char*)8, NULL};
  /* Bad pointers, hidden from the compiler's checks. */
  char* const* volatile bad_array = (char* const*)8;
  const char* volatile bad_path = (const char*)8;
  const pid_t pid = getpid();
  static char long_string[13000];
  memset(long_string, 'x', sizeof long_string - 1);
  char* const long_argv[] = {"exec", long_string, NULL};
  say_refused("missing program", execve("no/such/program", argv, no_env));
  /* The program is opened before the strings are read (Linux's order). */
  say_refused("missing program, a long argument", execve("no/such/program", long_argv, no_env));
  say_refused("a directory, a long argument", execve("docs", long_argv, no_env));
  say_refused("empty path", execve("", argv, no_env));
  say_refused("a directory", execve("docs", argv, no_env));
  say_refused("through a file", execve("README.txt/exec", argv, no_env));
  say_refused("bad path pointer", execve(bad_path, argv, no_env));
  say_refused("bad argv", execve("README.txt", bad_array, no_env));
  say_refused("bad argv string", execve("README.txt", bad_string, no_env));
  say_refused("bad envp", execve("README.txt", argv, bad_array));
  say_refused("execv missing", execv("no-such-program", argv));
  say_refused("execvp missing", execvp("no-such-program", argv));
  say_refused("execvp empty", execvp("", argv));
  printf("still here: same pid %d\n", getpid() == pid);
  return 0;
}

/* The first image: what the next one must find. */
static int image(void) {
  const int kept = open("exec-kept.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  const int closed = open("exec-closed.txt", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (kept < 0 || closed < 0 || chdir("docs") != 0) {
    printf("setup: %s\n", strerror(errno));
    return 1;
  }
  struct sigaction ignore = {0};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &ignore, NULL);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  /* SIGUSR1 pending on this thread (tkill): the new image's thread has it pending still. */
  linux_syscall(SYS_tkill, linux_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), 10 /* Linux's SIGUSR1 */, 0, 0, 0, 0);
  /* An action's flags go at an execve (Linux's), even for the default action. */
  struct sigaction with_flags = {0};
  with_flags.sa_handler = SIG_DFL;
  with_flags.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &with_flags, NULL);
  char pid[16], kept_fd[16], closed_fd[16];
  snprintf(pid, sizeof pid, "%d", getpid());
  snprintf(kept_fd, sizeof kept_fd, "%d", kept);
  snprintf(closed_fd, sizeof closed_fd, "%d", closed);
  char* const argv[] = {"exec", "after", pid, kept_fd, closed_fd, "an argument with spaces", "", NULL};
  char* const envp[] = {"GREETING=hello", "EMPTY=", NULL};
  printf("image: execve\n");
  fflush(stdout);
  execve(self, argv, envp);
  printf("execve: %s\n", strerror(errno));
  return 1;
}

static int after(int argc, char** argv) {
  printf("after: argc %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d] '%s'\n", i, argv[i]);
  for (char** variable = environ; *variable != NULL; variable++) printf("env '%s'\n", *variable);
  if (argc < 5) return 1;
  printf("same pid %d\n", getpid() == atoi(argv[2]));
  const int kept = atoi(argv[3]), closed = atoi(argv[4]);
  printf("kept descriptor writes %d\n", (int)write(kept, "kept\n", 5));
  errno = 0;
  printf("FD_CLOEXEC descriptor: %d %s\n", fcntl(closed, F_GETFD), strerror(errno));
  char cwd[64];
  printf("cwd %s\n", getcwd(cwd, sizeof cwd) != NULL ? cwd : strerror(errno));
  struct sigaction action;
  sigaction(SIGTERM, NULL, &action);
  printf("SIGTERM ignored %d\n", action.sa_handler == SIG_IGN);
  sigset_t blocked;
  sigprocmask(SIG_BLOCK, NULL, &blocked);
  printf("SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", sigismember(&blocked, SIGUSR1), sigismember(&blocked, SIGUSR2));
  sigset_t pending;
  sigpending(&pending);
  printf("SIGUSR1 pending %d\n", sigismember(&pending, SIGUSR1));
  sigaction(SIGCHLD, NULL, &action);
  printf("SIGCHLD flags %#x\n", (unsigned)action.sa_flags);
  return 0;
}

/* ---- threads */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
/* Flags between threads, read and written by AMOs (the interpreter's host atomics). */
static int spinning;
static int go;
static void raise_flag(int* flag) { __atomic_exchange_n(flag, 1, __ATOMIC_SEQ_CST); }
static int flag_raised(int* flag) { return __atomic_fetch_or(flag, 0, __ATOMIC_SEQ_CST); }

static void* waits(void* unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  for (;;) pthread_cond_wait(&never, &lock);
  return NULL;
}

static void* sleeps(void* unused) {
  (void)unused;
  const struct timespec hour = {3600, 0};
  nanosleep(&hour, NULL);
  return NULL;
}

static void* spins(void* unused) {
  (void)unused;
  raise_flag(&spinning);
  for (;;) __asm__ volatile("" ::: "memory");
  return NULL;
}

static void* execs(void* pid) {
  while (!flag_raised(&spinning)) sched_yield();
  char* const argv[] = {"exec", "alone", pid, NULL};
  fflush(stdout);
  execve(self, argv, no_env);
  printf("execve from a thread: %s\n", strerror(errno));
  exit(1);
}

static int threads(void) {
  static char pid[16];
  snprintf(pid, sizeof pid, "%d", getpid());
  pthread_t thread;
  void* (*bodies[])(void*) = {waits, sleeps, spins};
  for (unsigned i = 0; i < sizeof bodies / sizeof bodies[0]; i++) pthread_create(&thread, NULL, bodies[i], NULL);
  unsigned x, y, cores;
  if (mkh_get_config(&x, &y, &cores) == 0 && x * y > 1) mkh_place_thread(1, 0);  /* cluster 0x1 */
  pthread_create(&thread, NULL, sleeps, NULL);
  if (mkh_get_config(&x, &y, &cores) == 0 && x * y > 1) mkh_place_thread(x > 1 ? 0x10 : 1, 0);
  printf("threads: execve from a thread\n");
  pthread_create(&thread, NULL, execs, pid);
  pthread_join(thread, NULL);
  return 1;
}

static int alone(int argc, char** argv) {
  printf("alone: same pid %d, tid is the pid %d\n", argc > 2 && getpid() == atoi(argv[2]),
         gettid() == getpid());
  return 0;
}

/* ---- races */

static void* exits_five(void* unused) {
  (void)unused;
  while (!flag_raised(&go)) {
  }
  _exit(5);
}

static int race(void) {
  enum { kChildren = 20 };
  int expected = 0;
  for (int i = 0; i < kChildren; i++) {
    fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      pthread_t thread;
      pthread_create(&thread, NULL, exits_five, NULL);
      raise_flag(&go);
      char* const argv[] = {"exec", "status", "0", NULL};
      execve(self, argv, no_env);
      _exit(1);
    }
    const int killed = i % 2;
    if (killed) kill(pid, SIGKILL);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) printf("waitpid: %s\n", strerror(errno));
    if ((WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 5)) ||
        (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
      expected++;
    else
      printf("child %d: status %#x\n", i, status);
  }
  printf("race: %d of %d children ended as expected\n", expected, kChildren);
  return 0;
}

/* A SIGTERM from the parent while its child execs (sent once the exec closed the child's
 * close-on-exec end of a pipe: the old image is going, the new one not made yet) ends the child:
 * the signal is never lost for want of a thread to judge it. The child touched 4 MiB first, so
 * that the old image takes a while to go; its new image sleeps 20 s. */
static int term(void) {
  enum { kChildren = 10, kTouched = 4 << 20 };
  int ended = 0;
  for (int i = 0; i < kChildren; i++) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return 1;
    fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      char* memory = malloc(kTouched);
      if (memory != NULL) memset(memory, 1, kTouched);
      char* const argv[] = {"exec", "sleep", NULL};
      execve(self, argv, no_env);
      _exit(1);
    }
    close(fds[1]);
    char byte;
    while (read(fds[0], &byte, 1) > 0) continue;  /* the end: the execve closed the child's end */
    close(fds[0]);
    kill(pid, SIGTERM);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) printf("waitpid: %s\n", strerror(errno));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) ended++;
    else printf("child %d: status %#x\n", i, status);
  }
  printf("term: %d of %d children ended by SIGTERM\n", ended, kChildren);
  return 0;
}

/* ---- children */

static void run_child(const char* path, char* const argv[]) {
  fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    execv(path, argv);
    printf("child: %s: %s\n", path, strerror(errno));
    fflush(stdout);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) printf("waitpid: %s\n", strerror(errno));
  printf("%s exited %d\n", path, WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
}

static int children(void) {
  char* const echo[] = {"echo", "a", "child's", "echo", NULL};
  char* const status[] = {"exec", "status", "3", NULL};
  run_child("/bin/echo", echo);
  run_child(self, status);
  run_child("/no/such/program", echo);
  run_child("/README.txt", echo);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (argv[0][0] == '/' || getcwd(self, sizeof self - 1) == NULL) self[0] = '\0';
  else if (strcmp(self, "/") != 0) strcat(self, "/");
  strncat(self, argv[0], sizeof self - strlen(self) - 1);
  if (strcmp(mode, "errors") == 0) return errors();
  if (strcmp(mode, "image") == 0) return image();
  if (strcmp(mode, "after") == 0) return after(argc, argv);
  if (strcmp(mode, "threads") == 0) return threads();
  if (strcmp(mode, "alone") == 0) return alone(argc, argv);
  if (strcmp(mode, "children") == 0) return children();
  if (strcmp(mode, "race") == 0) return race();
  if (strcmp(mode, "term") == 0) return term();
  if (strcmp(mode, "sleep") == 0) return sleep(20) == 0 ? 0 : 1;
  if (strcmp(mode, "status") == 0 && argc > 2) return atoi(argv[2]);
  fprintf(stderr, "usage: exec errors|image|threads|children|race|term|status N\n");
  return 2;
}
