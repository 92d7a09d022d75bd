/* hexdump [-C] [-v] [-n LENGTH] [-s OFFSET] [FILE...]: the bytes of the FILEs (one stream;
 * stdin without one) in util-linux's canonical form, 16 a line: the offset in hexadecimal,
 * the bytes in hexadecimal in two groups of 8, the printable ones between bars; a line the
 * same as the one before is a "*" (all of them with -v); then the offset past the end. -s
 * skips OFFSET bytes first, -n shows LENGTH at most (both decimal, or hexadecimal after 0x).
 * Only the canonical form: without -C too (util-linux's default is 2-byte words). A FILE that
 * cannot be read is reported, the others shown: status 1; 2 for a usage error. A user program
 * of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int verbose;
static uint64_t skip, limit = UINT64_MAX;
static uint64_t address; /* of the next byte, skipped ones included */
static unsigned char line[16], previous[16];
static size_t filled;
static int has_previous, squeezing;

static int usage(void) {
  fprintf(stderr, "usage: hexdump [-C] [-v] [-n LENGTH] [-s OFFSET] [FILE...]\n");
  return 2;
}

static void put_line(void) {
  const uint64_t at = address - filled;
  if (!verbose && filled == 16 && has_previous && !memcmp(line, previous, 16)) {
    if (!squeezing) printf("*\n");
    squeezing = 1;
    filled = 0;
    return;
  }
  squeezing = 0;
  printf("%08llx ", (unsigned long long)at);
  for (size_t i = 0; i < 16; i++) {
    if (i == 8) putchar(' ');
    if (i < filled) printf(" %02x", line[i]);
    else printf("   ");
  }
  printf("  |");
  for (size_t i = 0; i < filled; i++) putchar(line[i] >= 32 && line[i] < 127 ? line[i] : '.');
  printf("|\n");
  memcpy(previous, line, 16);
  has_previous = filled == 16;
  filled = 0;
}

/* Shows what `file` holds, past what is left to skip and up to the limit. */
static void show(FILE* file) {
  int byte;
  while (limit > 0 && (byte = getc(file)) != EOF) {
    address++;
    if (skip > 0) {
      skip--;
      continue;
    }
    line[filled++] = (unsigned char)byte;
    limit--;
    if (filled == 16) put_line();
  }
}

static int parse_size(const char* text, uint64_t* value) {
  char* end;
  errno = 0;
  const unsigned long long parsed = strtoull(text, &end, 0);
  if (*text == '\0' || *text == '-' || *end != '\0' || errno != 0) return 0;
  *value = parsed;
  return 1;
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    const char* option = argv[first];
    if (!strcmp(option, "--")) {
      first++;
      break;
    }
    if (!strcmp(option, "-C")) continue;
    if (!strcmp(option, "-v")) {
      verbose = 1;
      continue;
    }
    if (!strcmp(option, "-n") || !strcmp(option, "-s")) {
      if (first + 1 == argc) {
        fprintf(stderr, "hexdump: option requires an argument -- '%c'\n", option[1]);
        return usage();
      }
      if (!parse_size(argv[++first], option[1] == 'n' ? &limit : &skip)) {
        fprintf(stderr, "hexdump: invalid %s argument: '%s'\n", option[1] == 'n' ? "length" : "offset", argv[first]);
        return usage();
      }
      continue;
    }
    fprintf(stderr, "hexdump: invalid option -- '%s'\n", option + 1);
    return usage();
  }
  int failed = 0, shown = 0;
  if (first == argc) {
    show(stdin);
    shown = 1;
  }
  for (int i = first; i < argc; i++) {
    FILE* file = fopen(argv[i], "r");
    if (!file) {
      fprintf(stderr, "hexdump: %s: %s\n", argv[i], strerror(errno));
      failed = 1;
      continue;
    }
    show(file);
    fclose(file);
    shown = 1;
  }
  if (!shown) {
    fprintf(stderr, "hexdump: all input file arguments failed\n");
    return 1;
  }
  if (filled > 0) put_line();
  if (address > 0) printf("%08llx\n", (unsigned long long)address);
  return failed;
}
