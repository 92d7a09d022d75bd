/* uniq [-c] [-d] [-u] [-i] [INPUT [OUTPUT]]: the lines of INPUT (standard input when none or
 * "-"), each run of adjacent equal lines written once, to OUTPUT (standard output when none or
 * "-"), as coreutils' uniq does. -c puts the number of lines of the run in front (right-aligned
 * in 7 columns, then a space); -d writes only the runs of several lines, -u only the single
 * lines; -i compares ignoring case (the first line of a run is the one written). Options may
 * be grouped (-cd) and mixed with the operands; "--" ends them. A last line without a newline
 * gets one. A file it cannot read or write is reported and the status is 1; a usage error (an
 * unknown option, a third operand) is 2. A user program of mkh's /bin (user/apps/): plain C,
 * runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct options {
  int count, repeated, single, ignore_case;
};

/* A line without its newline, in a block that getline grows. */
struct line {
  char* text;
  size_t length, size;
};

static int usage(void) {
  fprintf(stderr, "usage: uniq [-c] [-d] [-u] [-i] [INPUT [OUTPUT]]\n");
  return 2;
}

/* Reads the next line of `in`; 1, 0 at the end, or -1 on an error (errno set: the stream's,
 * or no memory for the line). */
static int next_line(FILE* in, struct line* line) {
  const ssize_t got = getline(&line->text, &line->size, in);
  if (got < 0) return feof(in) && !ferror(in) ? 0 : -1;
  line->length = (size_t)got;
  if (line->length > 0 && line->text[line->length - 1] == '\n') line->length--;
  return 1;
}

/* Whether two lines are the same, letters of either case alike with -i. */
static int same(const struct line* a, const struct line* b, const struct options* o) {
  if (a->length != b->length) return 0;
  if (!o->ignore_case) return !memcmp(a->text, b->text, a->length);
  for (size_t i = 0; i < a->length; i++) {
    unsigned char x = (unsigned char)a->text[i], y = (unsigned char)b->text[i];
    if (x >= 'a' && x <= 'z') x = (unsigned char)(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = (unsigned char)(y - 'a' + 'A');
    if (x != y) return 0;
  }
  return 1;
}

/* Writes a run of `count` lines equal to `line`, if the options keep it. */
static void emit(FILE* out, const struct line* line, unsigned long count, const struct options* o) {
  if ((o->repeated && count == 1) || (o->single && count > 1)) return;
  if (o->count) fprintf(out, "%7lu ", count);
  fwrite(line->text, 1, line->length, out);
  putc('\n', out);
}

/* Copies `in` to `out` a run at a time; 0, or -1 on a read error (errno set). */
static int uniq(FILE* in, FILE* out, const struct options* o) {
  struct line kept = {NULL, 0, 0}, next = {NULL, 0, 0};
  unsigned long count = 0;
  int status;
  while ((status = next_line(in, &next)) > 0) {
    if (count > 0 && same(&kept, &next, o)) {
      count++;
      continue;
    }
    if (count > 0) emit(out, &kept, count, o);
    const struct line swap = kept;
    kept = next;
    next = swap;
    count = 1;
  }
  if (count > 0) emit(out, &kept, count, o);
  free(kept.text);
  free(next.text);
  return status;
}

/* Reads the options of one argument (after its '-'); 0, or -1 after an unknown one's report. */
static int parse_options(const char* letters, struct options* o) {
  for (; *letters; letters++) {
    if (*letters == 'c') o->count = 1;
    else if (*letters == 'd') o->repeated = 1;
    else if (*letters == 'u') o->single = 1;
    else if (*letters == 'i') o->ignore_case = 1;
    else {
      fprintf(stderr, "uniq: invalid option -- '%c'\n", *letters);
      return -1;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  struct options o = {0, 0, 0, 0};
  const char* operands[2] = {"-", "-"};
  int count = 0, options_done = 0;
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      if (count == 2) {
        fprintf(stderr, "uniq: extra operand %s\n", arg);
        return usage();
      }
      operands[count++] = arg;
    } else if (!strcmp(arg, "--")) {
      options_done = 1;
    } else if (parse_options(arg + 1, &o) < 0) {
      return usage();
    }
  }
  const int standard_in = !strcmp(operands[0], "-"), standard_out = !strcmp(operands[1], "-");
  const char* in_name = standard_in ? "standard input" : operands[0];
  const char* out_name = standard_out ? "standard output" : operands[1];
  FILE* in = standard_in ? stdin : fopen(operands[0], "r");
  if (in == NULL) {
    fprintf(stderr, "uniq: %s: %s\n", in_name, strerror(errno));
    return 1;
  }
  FILE* out = standard_out ? stdout : fopen(operands[1], "w");
  if (out == NULL) {
    fprintf(stderr, "uniq: %s: %s\n", out_name, strerror(errno));
    return 1;
  }
  if (uniq(in, out, &o) < 0) {
    fprintf(stderr, "uniq: %s: %s\n", in_name, strerror(errno));
    return 1;
  }
  if (fflush(out) != 0 || ferror(out) || (!standard_out && fclose(out) != 0)) {
    fprintf(stderr, "uniq: %s: %s\n", out_name, strerror(errno));
    return 1;
  }
  return 0;
}
