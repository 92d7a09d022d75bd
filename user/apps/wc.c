/* wc [-l] [-w] [-c] [FILE...]: the newlines, words (runs of characters other than space, tab,
 * newline, vertical tab, form feed and carriage return) and bytes of each file (standard input
 * when none), then their total when there are several: the counts chosen (all three by
 * default, in that order) right-aligned in the width of the largest, then the name. A file
 * it cannot read is reported and the status is 1; an unknown option is a usage error (2). A
 * user program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct counts {
  unsigned long long lines, words, bytes;
};

static int show_lines, show_words, show_bytes;

static int count(int fd, const char* name, struct counts* out) {
  static char buffer[4096];
  int in_word = 0;
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got == 0) return 0;
    if (got < 0) {
      fprintf(stderr, "wc: %s: %s\n", name, strerror(errno));
      return 1;
    }
    out->bytes += (unsigned long long)got;
    for (ssize_t i = 0; i < got; i++) {
      const char c = buffer[i];
      const int space = c == ' ' || (c >= '\t' && c <= '\r');
      out->lines += c == '\n';
      out->words += !space && !in_word;
      in_word = !space;
    }
  }
}

static void print(const struct counts* c, int width, const char* name) {
  const unsigned long long values[3] = {c->lines, c->words, c->bytes};
  const int shown[3] = {show_lines, show_words, show_bytes};
  const char* separator = "";
  for (int i = 0; i < 3; i++)
    if (shown[i]) {
      printf("%s%*llu", separator, width, values[i]);
      separator = " ";
    }
  printf(name ? " %s\n" : "\n", name);
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++)
    for (const char* option = argv[first] + 1; *option; option++) {
      if (*option == 'l') show_lines = 1;
      else if (*option == 'w') show_words = 1;
      else if (*option == 'c') show_bytes = 1;
      else {
        fprintf(stderr, "wc: invalid option -- '%c'\nusage: wc [-l] [-w] [-c] [FILE...]\n", *option);
        return 2;
      }
    }
  if (!show_lines && !show_words && !show_bytes) show_lines = show_words = show_bytes = 1;
  const int files = argc - first;
  struct counts each[files > 0 ? files : 1], total = {0, 0, 0};
  int status = 0, failed[files > 0 ? files : 1];
  if (files == 0) {
    memset(&each[0], 0, sizeof each[0]);
    status = count(0, "standard input", &each[0]);
    total = each[0];
  }
  for (int i = 0; i < files; i++) {
    memset(&each[i], 0, sizeof each[i]);
    const int fd = open(argv[first + i], O_RDONLY);
    failed[i] = fd < 0;
    if (fd < 0) {
      fprintf(stderr, "wc: %s: %s\n", argv[first + i], strerror(errno));
      status = 1;
      continue;
    }
    failed[i] = count(fd, argv[first + i], &each[i]);
    status |= failed[i];
    close(fd);
    total.lines += each[i].lines;
    total.words += each[i].words;
    total.bytes += each[i].bytes;
  }
  unsigned long long largest = 0;
  if (show_lines && total.lines > largest) largest = total.lines;
  if (show_words && total.words > largest) largest = total.words;
  if (show_bytes && total.bytes > largest) largest = total.bytes;
  int width = 1;
  for (; largest >= 10; largest /= 10) width++;
  if (files == 0) {
    print(&each[0], width, NULL);
    return status;
  }
  for (int i = 0; i < files; i++)
    if (!failed[i]) print(&each[i], width, argv[first + i]);
  if (files > 1) print(&total, width, "total");
  return status;
}
