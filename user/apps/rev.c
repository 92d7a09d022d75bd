/* rev [FILE...]: each line of each file (standard input when none) with its bytes in the
 * reverse order, its newline kept at its end, as util-linux's rev does in the C locale; a last
 * line without a newline is written without one. "-" is a file name like any other, as it is
 * for util-linux's rev. "--" ends the options, of which there are none. A file it cannot open
 * or read is reported, the others are still written, and the status is 1; an option is a usage
 * error (2). A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: rev [FILE...]\n");
  return 2;
}

/* Reverses the `length` bytes of `text` in place. */
static void reverse(char* text, size_t length) {
  for (size_t i = 0, j = length; i + 1 < j; i++, j--) {
    const char swap = text[i];
    text[i] = text[j - 1];
    text[j - 1] = swap;
  }
}

/* Reports `name` with errno's text; 1, the status of a failure. */
static int fail(const char* name) {
  fprintf(stderr, "rev: %s: %s\n", name, strerror(errno));
  return 1;
}

/* Doubles the block `*data` of `*capacity` bytes (64 KiB at first); 0, or -1 (errno ENOMEM)
 * when there is no memory for it, the block left as it was. */
static int grow(char** data, size_t* capacity) {
  const size_t size = *capacity ? *capacity * 2 : 65536;
  char* bigger = size > *capacity ? realloc(*data, size) : NULL;
  if (bigger == NULL) {
    errno = ENOMEM;
    return -1;
  }
  *data = bigger;
  *capacity = size;
  return 0;
}

/* Writes the lines of `fd` reversed, reading it a block at a time into a buffer that grows as
 * long as a line needs; 0, or 1 after the report of a failed read or of no memory. */
static int rev(int fd, const char* name) {
  char* data = NULL;
  size_t length = 0, capacity = 0; /* `length`: the bytes of a line not ended yet */
  for (;;) {
    if (capacity - length < 4096 && grow(&data, &capacity) < 0) break;
    const ssize_t got = read(fd, data + length, capacity - length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    if (got == 0) {
      reverse(data, length); /* the last line, which has no newline */
      fwrite(data, 1, length, stdout);
      free(data);
      return 0;
    }
    size_t done = 0; /* the bytes of the lines ended in this block */
    for (size_t at = length; at < length + (size_t)got; at++) {
      if (data[at] != '\n') continue;
      reverse(data + done, at - done);
      done = at + 1;
    }
    length += (size_t)got;
    fwrite(data, 1, done, stdout);
    memmove(data, data + done, length - done);
    length -= done;
  }
  free(data);
  return fail(name);
}

/* Writes the file `name` reversed; 0, or 1 after a report. */
static int rev_file(const char* name) {
  const int fd = open(name, O_RDONLY);
  if (fd < 0) return fail(name);
  const int status = rev(fd, name);
  close(fd);
  return status;
}

/* Whether `argv[i]` is a file name: not an option, nor the first "--" (whose index is
 * `options_end`, argc when there is none). */
static int is_file(char** argv, int i, int options_end) {
  return i > options_end || (i < options_end && (argv[i][0] != '-' || argv[i][1] == '\0'));
}

int main(int argc, char** argv) {
  int options_end = argc, files = 0;
  for (int i = 1; i < argc; i++) {
    if (is_file(argv, i, options_end)) {
      files++;
    } else if (!strcmp(argv[i], "--") && options_end == argc) {
      options_end = i;
    } else {
      fprintf(stderr, "rev: invalid option -- '%c'\n", argv[i][1]);
      return usage();
    }
  }
  int status = files == 0 ? rev(0, "standard input") : 0;
  for (int i = 1; i < argc; i++)
    if (is_file(argv, i, options_end)) status |= rev_file(argv[i]);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "rev: standard output: %s\n", strerror(errno));
    return 1;
  }
  return status;
}
