/* basename NAME [SUFFIX], basename -a [-s SUFFIX] [-z] NAME...: the last component of each
 * NAME, its trailing slashes left out ("/" for a name of slashes only, an empty line for an
 * empty name), and SUFFIX taken off its end when it ends with it and is longer than it, as
 * coreutils' basename does. -a takes every operand as a NAME; -s SUFFIX (or -sSUFFIX) gives
 * the suffix and implies -a; -z ends each output line with a NUL byte instead of a newline.
 * Options may be grouped (-az) and come before the operands; "--" ends them. A failed write is
 * reported and the status is 1; a usage error (an unknown option, no NAME, a third operand
 * without -a) is 2. A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct options {
  int multiple, zero;
  const char* suffix;
};

static int usage(void) {
  fprintf(stderr, "usage: basename NAME [SUFFIX], or basename -a [-s SUFFIX] [-z] NAME...\n");
  return 2;
}

/* Reads the options in front of the operands; the index of the first operand, or -1 after
 * the report of a bad one. */
static int parse_options(int argc, char** argv, struct options* o) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
    if (!strcmp(argv[i], "--")) return i + 1;
    for (const char* letter = argv[i] + 1; *letter; letter++) {
      if (*letter == 'a') {
        o->multiple = 1;
      } else if (*letter == 'z') {
        o->zero = 1;
      } else if (*letter == 's') {
        if (letter[1] == '\0' && i + 1 == argc) {
          fprintf(stderr, "basename: option requires an argument -- 's'\n");
          return -1;
        }
        o->suffix = letter[1] ? letter + 1 : argv[++i];
        o->multiple = 1;
        break;
      } else {
        fprintf(stderr, "basename: invalid option -- '%c'\n", *letter);
        return -1;
      }
    }
  }
  return i;
}

/* Writes the last component of `name` without `suffix` (NULL: none), then the line's end. */
static void write_base(const char* name, const char* suffix, int zero) {
  size_t end = strlen(name);
  while (end > 0 && name[end - 1] == '/') end--;
  if (end == 0 && name[0] == '/') {
    fputs("/", stdout); /* only slashes: the root, whose name no suffix shortens */
  } else {
    size_t start = end;
    while (start > 0 && name[start - 1] != '/') start--;
    const size_t length = suffix ? strlen(suffix) : 0;
    if (length > 0 && length < end - start && !memcmp(name + end - length, suffix, length)) end -= length;
    fwrite(name + start, 1, end - start, stdout);
  }
  putchar(zero ? '\0' : '\n');
}

int main(int argc, char** argv) {
  struct options o = {0, 0, NULL};
  const int first = parse_options(argc, argv, &o);
  if (first < 0) return usage();
  if (first == argc) {
    fprintf(stderr, "basename: missing operand\n");
    return usage();
  }
  if (!o.multiple) {
    if (argc - first > 2) {
      fprintf(stderr, "basename: extra operand %s\n", argv[first + 2]);
      return usage();
    }
    write_base(argv[first], first + 1 < argc ? argv[first + 1] : NULL, o.zero);
  } else {
    for (int i = first; i < argc; i++) write_base(argv[i], o.suffix, o.zero);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "basename: standard output: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}
