/* dirname [-z] NAME...: each NAME without its last component and the slashes before it, as
 * coreutils' dirname does: "." for a name without a slash (or an empty one), "/" for a name in
 * the root or of slashes only; the rest of the name is kept as written ("//a//b" gives "//a").
 * Trailing slashes do not make a component. -z ends each output line with a NUL byte instead of
 * a newline. Options may be mixed with the operands; "--" ends them. A failed write is reported
 * and the status is 1; a usage error (an unknown option, no NAME) is 2. A user program of
 * mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int usage(void) {
  fprintf(stderr, "usage: dirname [-z] NAME...\n");
  return 2;
}

/* Whether `argv[i]` is an option: options end at the first "--", whose index is `options_end`
 * (argc while there is none). */
static int is_option(char** argv, int i, int options_end) {
  return i < options_end && argv[i][0] == '-' && argv[i][1] != '\0';
}

/* Writes the directory part of `name`, then the line's end. */
static void write_directory(const char* name, int zero) {
  const size_t root = name[0] == '/'; /* the part no slash stripping may take away */
  size_t end = strlen(name);
  while (end > 0 && name[end - 1] == '/') end--; /* trailing slashes */
  while (end > 0 && name[end - 1] != '/') end--; /* the last component */
  while (end > root && name[end - 1] == '/') end--;
  if (end == 0) fputs(root ? "/" : ".", stdout);
  else fwrite(name, 1, end, stdout);
  putchar(zero ? '\0' : '\n');
}

int main(int argc, char** argv) {
  int zero = 0, options_end = argc, operands = 0;
  for (int i = 1; i < argc; i++) {
    if (!is_option(argv, i, options_end)) {
      operands++;
    } else if (!strcmp(argv[i], "--")) {
      options_end = i;
    } else {
      for (const char* letter = argv[i] + 1; *letter; letter++) {
        if (*letter != 'z') {
          fprintf(stderr, "dirname: invalid option -- '%c'\n", *letter);
          return usage();
        }
        zero = 1;
      }
    }
  }
  if (operands == 0) {
    fprintf(stderr, "dirname: missing operand\n");
    return usage();
  }
  for (int i = 1; i < argc; i++)
    if (i != options_end && !is_option(argv, i, options_end)) write_directory(argv[i], zero);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "dirname: standard output: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}
