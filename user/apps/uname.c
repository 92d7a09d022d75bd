/* uname [-snrvma]: what uname(2) says of the system: -s its kernel's name (the default), -n
 * the node (host) name, -r the kernel's release, -v its version, -m the machine; -a all five.
 * The options combine ("-sn", "-s -n"); the fields chosen are printed in that order whatever
 * the options' order, separated by a space, on one line. coreutils' -a adds "GNU/Linux" (its
 * -o, which no system call tells), and -p and -i when they are known: not here. An unknown
 * option or an operand is a usage error (2). A user program of mkh's /bin (user/apps/): plain
 * C, runs unchanged under qemu-riscv32 (which answers the host's names but machine riscv32). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "linux_syscalls.h"

static int usage(void) {
  fprintf(stderr, "usage: uname [-snrvma]\n");
  return 2;
}

/* The bit of option `letter` in the order the fields are printed, 0 for an unknown one; -a is
 * all of them. */
static unsigned option_bits(char letter) {
  static const char letters[] = "snrvm";
  if (letter == 'a') return (1u << (sizeof letters - 1)) - 1;
  const char* at = letter != '\0' ? strchr(letters, letter) : NULL;
  return at != NULL ? 1u << (at - letters) : 0;
}

int main(int argc, char** argv) {
  unsigned chosen = 0;
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++) {
      const unsigned bits = option_bits(*option);
      if (bits == 0) return usage();
      chosen |= bits;
    }
  }
  if (first != argc) return usage();
  if (chosen == 0) chosen = option_bits('s');
  struct linux_utsname names;
  if (linux_uname(&names) != 0) {
    fprintf(stderr, "uname: %s\n", strerror(errno));
    return 1;
  }
  const char* fields[] = {names.sysname, names.nodename, names.release, names.version, names.machine};
  const char* separator = "";
  for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (chosen & (1u << i)) {
      printf("%s%s", separator, fields[i]);
      separator = " ";
    }
  printf("\n");
  return 0;
}
