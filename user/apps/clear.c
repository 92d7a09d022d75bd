/* clear [-x]: clears the terminal, as ncurses' clear does on an xterm: the cursor home, the
 * screen erased, then its scrollback (-x: not the scrollback). mkh has no terminfo: these are
 * xterm's sequences, which the terminal emulators mkh runs in understand (top and more write
 * the same kind), whatever TERM says. Anything else on the line is a usage error (exit 1, as
 * ncurses' clear). A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  int scrollback = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-x") == 0) {
      scrollback = 0;
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') fprintf(stderr, "clear: invalid option -- '%c'\n", argv[i][1]);
    else fprintf(stderr, "clear: extra operand '%s'\n", argv[i]);
    fputs("Usage: clear [-x]\n", stderr);
    return 1;
  }
  fputs(scrollback ? "\033[H\033[2J\033[3J" : "\033[H\033[2J", stdout);
  return fflush(stdout) == 0 ? 0 : 1;
}
