/* groups: the referee program of process groups and sessions (user/tests/): setsid, setpgid,
 * getpgid, getpgrp, getsid and kill to a group, through the user library. A child of the
 * program makes a session of its own (setsid), so that what follows does not depend on the
 * group and session the program was started in (mkh's first process leads both; under
 * qemu-riscv32 it is in its runner's); in it: the leader's refusals; a child that makes a
 * group of its own (both it and its parent call setpgid, as a shell does) and cannot make a
 * session then; a second child moved into that group; a group that does not exist or is in
 * another session refused; kill to the group reaches its two members and not the caller, and
 * waitpid(-group) reaps them, waitpid(0) not; kill(0) reaches the caller and a child in its
 * group; a child past an execve refused
 * (EACCES); a zombie's group and session, and the signals it takes, until it is waited for,
 * and a group of a zombie alone;
 * errors for pids and groups that do not exist. Only relations between ids are
 * printed, never an id. `spread`: each child forked on the next cluster of the machine in
 * turn (mkh's place_fork, a no-op under qemu-riscv32). The same bytes and status under
 * qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forking.h"
#include "linux_syscalls.h"

#define NO_SUCH_PID 0x7fff0000 /* above Linux's largest pid; mkh has no cluster 0x7fff */

static void say(const char* what, int result) {
  if (result < 0) printf("%s: -1 %s\n", what, strerror(errno));
  else printf("%s: %d\n", what, result);
}

static void say_true(const char* what, int condition) { printf("%s: %s\n", what, condition ? "yes" : "no"); }

/* A child that tells its parent it is ready (a byte on `ready`), then waits to be killed. */
static void wait_to_be_killed(int ready, char byte) {
  if (write(ready, &byte, 1) != 1) _exit(2);
  for (;;) pause();
}

static char read_byte(int fd) {
  char byte = 0;
  if (read(fd, &byte, 1) != 1) {
    printf("read: %s\n", strerror(errno));
    exit(1);
  }
  return byte;
}

static volatile sig_atomic_t usr1_count;
static void on_usr1(int signal) {
  (void)signal;
  ++usr1_count;
}

static int session(void) {
  const pid_t self = getpid();
  say_true("setsid answers the pid", setsid() == self);
  say_true("getpgid(0) is the pid", getpgid(0) == self);
  say_true("getpgrp() is the pid", getpgrp() == self);
  say_true("getsid(0) is the pid", getsid(0) == self);
  say_true("getsid(pid) is the pid", getsid(self) == self);
  say("setsid by a session's leader", setsid());
  say("setpgid(0, 0) by a session's leader", setpgid(0, 0));
  say("setpgid(0, -1)", setpgid(0, -1));
  say("setpgid of a process that is not a child", setpgid(NO_SUCH_PID, 0));
  say("setpgid of the parent", setpgid(getppid(), 0));
  say("getpgid of no process", getpgid(NO_SUCH_PID));
  say("getsid of no process", getsid(NO_SUCH_PID));
  say("kill to no group", kill(-NO_SUCH_PID, 0));
  say("kill(-1, 0)", kill(-1, 0));

  /* A group of its own: the child and the parent both move it (either may come first). */
  int ready[2];
  if (pipe(ready) != 0) return 1;
  const pid_t leader = fork_next();
  if (leader == 0) {
    setpgid(0, 0);
    wait_to_be_killed(ready[1], setsid() < 0 && errno == EPERM ? 'P' : '?');
  }
  say("setpgid(child, child)", setpgid(leader, leader));
  printf("the group's leader cannot make a session: %s\n", read_byte(ready[0]) == 'P' ? "yes" : "no");
  say_true("getpgid(child) is the child", getpgid(leader) == leader);
  say_true("getsid(child) is this session", getsid(leader) == self);

  const pid_t member = fork_next();
  if (member == 0) wait_to_be_killed(ready[1], 'm');
  read_byte(ready[0]);
  say("setpgid(second child, the first's group)", setpgid(member, leader));
  say_true("getpgid(second child) is the first", getpgid(member) == leader);
  say("setpgid(second child, no group)", setpgid(member, NO_SUCH_PID));
  say_true("getpgid(0) is still the pid", getpgid(0) == self);

  /* A child in a session of its own: its group is in another session. */
  int hold[2];
  if (pipe(hold) != 0) return 1;
  const pid_t other = fork_next();
  if (other == 0) {
    close(hold[1]);
    const char made = setsid() == getpid() ? 's' : '?';
    if (write(ready[1], &made, 1) != 1) _exit(2);
    char byte;
    _exit(read(hold[0], &byte, 1) == 0 ? 0 : 1); /* until the parent closes its end: EOF */
  }
  close(hold[0]);
  printf("the third child made a session: %s\n", read_byte(ready[0]) == 's' ? "yes" : "no");
  say_true("getsid(third child) is the child", getsid(other) == other);
  say("setpgid(third child, 0), another session", setpgid(other, 0));
  say("setpgid(second child, the third's group)", setpgid(member, other));
  close(hold[1]);
  describe("third child", wait_for(other));

  say("kill(-group, SIGTERM)", kill(-leader, SIGTERM));
  say("waitpid(0), no child in the caller's group", waitpid(0, NULL, WNOHANG));
  for (int i = 0; i < 2; i++) {
    int status = 0;
    const pid_t got = waitpid(-leader, &status, 0);
    describe(got == leader || got == member ? "waitpid(-group): one of the two" : "waitpid(-group): another", status);
  }
  say("waitpid(-group) once it is empty", waitpid(-leader, NULL, WNOHANG));
  say("kill to the group once it is empty", kill(-leader, 0));

  /* kill(0): the caller's group, the caller included. */
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_usr1;
  sigaction(SIGUSR1, &action, NULL);
  sigset_t usr1, none;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  const pid_t same = fork_next();
  if (same == 0) {
    if (write(ready[1], "g", 1) != 1) _exit(2);
    sigsuspend(&none);
    _exit(usr1_count == 1 ? 7 : 1);
  }
  read_byte(ready[0]);
  say("kill(0, SIGUSR1)", kill(0, SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &usr1, NULL);
  printf("the caller's handler ran: %d time(s)\n", (int)usr1_count);
  describe("child in the caller's group", wait_for(same));
  say("kill(-pgrp, 0)", kill(-getpgrp(), 0));
  say("waitpid(0) once the caller's group has no child", waitpid(0, NULL, WNOHANG));

  /* A child past its execve: its group is its own now. The pipe's end closes at the execve. */
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) return 1;
  const pid_t program = fork_next();
  if (program == 0) {
    char* const argv[] = {"sleep", "30", NULL};
    char* const envp[] = {NULL};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  close(exec_pipe[1]);
  char byte;
  printf("the pipe closed at the execve: %s\n", read(exec_pipe[0], &byte, 1) == 0 ? "yes" : "no");
  say("setpgid(child past its execve, 0)", setpgid(program, 0));
  say("kill(child past its execve, SIGKILL)", kill(program, SIGKILL));
  describe("child past its execve", wait_for(program));

  /* A zombie (ended, not waited for: waitid's WNOWAIT leaves it so) keeps its group and
   * session and takes signals without effect, until the wait; then it is no process. */
  const pid_t zombie = fork_next();
  if (zombie == 0) _exit(7);
  int info[32]; /* Linux's siginfo (picolibc has no waitid): P_PID 1, WEXITED 4, WNOWAIT 0x01000000 */
  say("waitid(zombie, WEXITED | WNOWAIT)", (int)linux_syscall(SYS_waitid, 1, zombie, (long)info, 4 | 0x01000000, 0, 0));
  say_true("the zombie's group is the caller's", getpgid(zombie) == getpgrp());
  say_true("the zombie's session is the caller's", getsid(zombie) == getsid(0));
  say("kill(zombie, 0)", kill(zombie, 0));
  say("kill(zombie, SIGKILL)", kill(zombie, SIGKILL));
  say("kill(zombie, 99)", kill(zombie, 99));
  describe("zombie", wait_for(zombie));
  say("getpgid(zombie waited for)", getpgid(zombie));
  say("getsid(zombie waited for)", getsid(zombie));
  say("kill(zombie waited for, 0)", kill(zombie, 0));

  /* A group whose one member is a zombie: still a group, which kill names (and reaches none). */
  const pid_t lone = fork_next();
  if (lone == 0) {
    setpgid(0, 0);
    _exit(3);
  }
  say("waitid(zombie leader, WEXITED | WNOWAIT)",
      (int)linux_syscall(SYS_waitid, 1, lone, (long)info, 4 | 0x01000000, 0, 0));
  say_true("the zombie leads its group", getpgid(lone) == lone);
  say("kill(-zombie's group, 0)", kill(-lone, 0));
  say("kill(-zombie's group, SIGTERM)", kill(-lone, SIGTERM));
  describe("zombie leader", wait_for(lone));
  say("kill(-group of no process, 0)", kill(-lone, 0));
  return 0;
}

int main(int argc, char** argv) {
  spread = argc > 1 && strcmp(argv[1], "spread") == 0;
  say_true("getpgrp() is getpgid(0)", getpgrp() == getpgid(0));
  say_true("getsid(0) is getsid(pid)", getsid(0) == getsid(getpid()));
  const pid_t child = fork_next();
  if (child == 0) {
    const int failed = session();
    fflush(stdout);
    _exit(failed);
  }
  describe("session", wait_for(child));
  return 0;
}
