/* yes [STRING...]: its arguments joined by spaces ("y" when there are none), a line at a time,
 * forever, as coreutils' yes does; the lines go out many at a time, in blocks of 8 KiB or more.
 * It ends only when a write fails: on a pipe with no reader, SIGPIPE's default action ends it
 * at once; any other failure is reported and the status is 1. The first "--" is left out; any
 * other argument that starts with '-' (except "-" itself) before it is an option, of which
 * there are none: a usage error (2). A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kBlock = 8192 };

static int usage(void) {
  fprintf(stderr, "usage: yes [STRING...]\n");
  return 2;
}

/* Whether `argv[i]` is a string to write: not an option, nor the first "--" (whose index is
 * `options_end`, argc when there is none). */
static int is_string(char** argv, int i, int options_end) {
  return i > options_end || (i < options_end && (argv[i][0] != '-' || argv[i][1] == '\0'));
}

/* Fills a block with as many copies of the line as fit in kBlock bytes (one at least); the
 * block, its length in `*length`, or NULL when there is no memory for it. */
static char* make_block(int argc, char** argv, int options_end, size_t* length) {
  size_t line = 0;
  int strings = 0;
  for (int i = 1; i < argc; i++)
    if (is_string(argv, i, options_end)) line += strlen(argv[i]) + 1, strings++;
  if (strings == 0) line = 2; /* "y\n" */
  const size_t copies = line < kBlock ? kBlock / line : 1;
  char* block = malloc(line * copies);
  if (block == NULL) return NULL;
  if (strings == 0) memcpy(block, "y\n", 2);
  size_t at = 0;
  for (int i = 1; i < argc; i++) {
    if (!is_string(argv, i, options_end)) continue;
    const size_t size = strlen(argv[i]);
    memcpy(block + at, argv[i], size);
    at += size;
    block[at++] = --strings ? ' ' : '\n';
  }
  for (size_t copy = 1; copy < copies; copy++) memcpy(block + copy * line, block, line);
  *length = line * copies;
  return block;
}

int main(int argc, char** argv) {
  int options_end = argc;
  for (int i = 1; i < argc && options_end == argc; i++) {
    if (!strcmp(argv[i], "--")) {
      options_end = i;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "yes: invalid option -- '%c'\n", argv[i][1]);
      return usage();
    }
  }
  size_t length;
  char* block = make_block(argc, argv, options_end, &length);
  if (block == NULL) {
    fprintf(stderr, "yes: %s\n", strerror(ENOMEM));
    return 1;
  }
  for (size_t at = 0;; at = at == length ? 0 : at) {
    const ssize_t wrote = write(1, block + at, length - at);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) break;
    at += (size_t)wrote;
  }
  fprintf(stderr, "yes: standard output: %s\n", strerror(errno));
  return 1;
}
