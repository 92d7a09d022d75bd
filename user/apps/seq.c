/* seq [-s SEP] [-w] [FIRST [INCREMENT]] LAST: the integers from FIRST (1 by default) by steps of
 * INCREMENT (1 by default, may be negative) up to LAST (down to it for a negative step), one a
 * line, as coreutils' seq prints them; nothing when FIRST is already past LAST. Options, before
 * the operands (an operand that looks like a negative number ends them, as "--" does):
 *   -s SEP  put SEP between the numbers instead of a newline (a newline still ends the last)
 *   -w      pad the numbers with zeros to one width: the longer of FIRST's and LAST's operands
 *           as written, a leading '+' not counted ("-w 1 010" gives 001 ... 010)
 * Operands are integers only, optionally signed, within 64 bits: a decimal ("1.5"), an exponent
 * ("1e3"), hexadecimal, leading blanks or a larger number, which coreutils accepts, are usage
 * errors here. A FIRST of "-0" is printed as "-0", as coreutils does. Exit status: 0, or 2 on a
 * usage error (an unknown option, a missing or extra operand, a bad number, a zero INCREMENT),
 * where coreutils exits 1. A user program of mkh's /bin (user/apps/): plain C, runs unchanged
 * under qemu-riscv32. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An operand: its value, how wide -w counts it, and whether it was a negative zero. */
struct operand {
  long long value;
  int width, negative_zero;
};

static int usage(void) {
  fprintf(stderr, "usage: seq [-s SEP] [-w] [FIRST [INCREMENT]] LAST\n");
  return 2;
}

/* Reads the integer `text` into `out`; says why not and returns 0 when it is none. */
static int parse(const char* text, struct operand* out) {
  const char* digits = text + (text[0] == '+' || text[0] == '-');
  if (*digits < '0' || *digits > '9' || strspn(digits, "0123456789") != strlen(digits)) {
    fprintf(stderr, "seq: %s: invalid number\n", text);
    return 0;
  }
  errno = 0;
  out->value = strtoll(text, NULL, 10);
  if (errno == ERANGE) {
    fprintf(stderr, "seq: %s: %s\n", text, strerror(errno));
    return 0;
  }
  out->width = (int)strlen(text) - (text[0] == '+');
  out->negative_zero = text[0] == '-' && out->value == 0;
  return 1;
}

/* Prints `value` in at least `width` characters, zero-padded after any sign (negative zero as
 * "-0"). */
static void print_number(long long value, int width, int negative_zero) {
  if (negative_zero) printf("-%0*d", width > 1 ? width - 1 : 1, 0);
  else printf("%0*lld", width, value);
}

/* Prints FIRST, FIRST + STEP, ... while not past LAST, `separator` between them, a newline
 * after the last; stops before a value that would not fit in 64 bits. */
static void count(const struct operand* first, long long step, long long last, const char* separator, int width) {
  long long value = first->value;
  if (step > 0 ? value > last : value < last) return;
  print_number(value, width, first->negative_zero);
  while (step > 0 ? value <= LLONG_MAX - step && value + step <= last
                  : value >= LLONG_MIN - step && value + step >= last) {
    value += step;
    fputs(separator, stdout);
    print_number(value, width, 0);
  }
  putchar('\n');
}

int main(int argc, char** argv) {
  const char* separator = "\n";
  int equal_width = 0, first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    const char* arg = argv[first];
    if (!strcmp(arg, "--")) {
      first++;
      break;
    }
    if ((arg[1] >= '0' && arg[1] <= '9') || arg[1] == '.') break; /* a negative number: an operand */
    for (const char* option = arg + 1; *option; option++) {
      if (*option == 'w') {
        equal_width = 1;
      } else if (*option == 's') {
        if (option[1] == '\0' && first + 1 == argc) {
          fprintf(stderr, "seq: option requires an argument -- 's'\n");
          return usage();
        }
        separator = option[1] ? option + 1 : argv[++first];
        break;
      } else {
        fprintf(stderr, "seq: invalid option -- '%c'\n", *option);
        return usage();
      }
    }
  }
  const int operands = argc - first;
  if (operands == 0) {
    fprintf(stderr, "seq: missing operand\n");
    return usage();
  }
  if (operands > 3) {
    fprintf(stderr, "seq: %s: extra operand\n", argv[first + 3]);
    return usage();
  }
  struct operand start = {1, 1, 0}, step = {1, 1, 0}, last;
  if (operands > 1 && !parse(argv[first], &start)) return usage();
  if (operands == 3 && !parse(argv[first + 1], &step)) return usage();
  if (!parse(argv[argc - 1], &last)) return usage();
  if (step.value == 0) {
    fprintf(stderr, "seq: %s: invalid zero increment\n", argv[first + 1]);
    return usage();
  }
  int width = 0;
  if (equal_width) width = start.width > last.width ? start.width : last.width;
  count(&start, step.value, last.value, separator, width);
  return 0;
}
