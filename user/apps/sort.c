/* sort [-r] [-n] [-u] [-f] [-o FILE] [FILE...]: the lines of the files (standard input when
 * none, or for "-"), concatenated, written in order, as coreutils' sort does in the C locale:
 * bytes compare as unsigned values. -n compares the numbers the lines start with (after
 * blanks: an optional minus sign, digits, a decimal point and more digits; a line without
 * one counts as 0); -f folds lower case to upper case before comparing; lines equal under
 * -n or -f are then ordered by their bytes. -r reverses the order; -u writes only the first
 * (in input order) of the lines that compare equal; -o writes to FILE instead of standard
 * output, which may be one of the inputs (they are all read first). Options may be grouped
 * (-rn) and mixed with the files; "--" ends them. A last line without a newline gets one.
 * A file it cannot read or write is reported and the status is 2, as for a usage error (an
 * unknown option, -o without a FILE or with two). A user program of mkh's /bin (user/apps/):
 * plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
  int reverse, numeric, unique, fold;
  const char* output;
};

struct line {
  const char* text;
  size_t length; /* without the newline */
};

/* All the input: the bytes of the files one after the other, then the lines they hold. */
struct input {
  char* data;
  size_t length, capacity;
  struct line* lines;
  size_t count;
};

static int usage(void) {
  fprintf(stderr, "usage: sort [-r] [-n] [-u] [-f] [-o FILE] [FILE...]\n");
  return 2;
}

/* Reports an allocation that failed; the status to exit with. */
static int out_of_memory(void) {
  fprintf(stderr, "sort: %s\n", strerror(ENOMEM));
  return 2;
}

/* Appends everything `fd` holds to the input, with a newline after its last line when it has
 * none. 0, or -1 with errno set. */
static int read_all(int fd, struct input* in) {
  const size_t start = in->length;
  for (;;) {
    if (in->capacity - in->length < 4096) {
      const size_t grown = in->capacity ? in->capacity * 2 : 65536;
      char* bigger = realloc(in->data, grown);
      if (bigger == NULL) return -1;
      in->data = bigger;
      in->capacity = grown;
    }
    const ssize_t got = read(fd, in->data + in->length, in->capacity - in->length - 1);
    if (got < 0) return -1;
    if (got == 0) break;
    in->length += (size_t)got;
  }
  if (in->length > start && in->data[in->length - 1] != '\n') in->data[in->length++] = '\n';
  return 0;
}

/* Reads the file `name` ("-": standard input) into the input; 0, or the status after a report. */
static int read_file(const char* name, struct input* in) {
  const int standard = !strcmp(name, "-");
  const int fd = standard ? 0 : open(name, O_RDONLY);
  if (fd < 0 || read_all(fd, in) < 0) {
    fprintf(stderr, "sort: %s: %s\n", standard ? "standard input" : name, strerror(errno));
    return 2;
  }
  if (!standard) close(fd);
  return 0;
}

/* Cuts the input into its lines (each one ends with a newline there); 0 or -1 (no memory). */
static int split_lines(struct input* in) {
  size_t count = 0;
  for (size_t i = 0; i < in->length; i++) count += in->data[i] == '\n';
  in->lines = malloc((count ? count : 1) * sizeof *in->lines);
  if (in->lines == NULL) return -1;
  const char* start = in->data;
  for (size_t i = 0; i < in->length; i++)
    if (in->data[i] == '\n') {
      in->lines[in->count].text = start;
      in->lines[in->count++].length = (size_t)(in->data + i - start);
      start = in->data + i + 1;
    }
  return 0;
}

/* The bytes of two lines compared as unsigned values, a prefix first. */
static int compare_bytes(const struct line* a, const struct line* b) {
  const int diff = memcmp(a->text, b->text, a->length < b->length ? a->length : b->length);
  if (diff) return diff;
  return (a->length > b->length) - (a->length < b->length);
}

/* As compare_bytes, with the lower-case letters taken as their upper-case ones. */
static int compare_folded(const struct line* a, const struct line* b) {
  const size_t shorter = a->length < b->length ? a->length : b->length;
  for (size_t i = 0; i < shorter; i++) {
    unsigned char x = (unsigned char)a->text[i], y = (unsigned char)b->text[i];
    if (x >= 'a' && x <= 'z') x = (unsigned char)(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = (unsigned char)(y - 'a' + 'A');
    if (x != y) return x < y ? -1 : 1;
  }
  return (a->length > b->length) - (a->length < b->length);
}

/* The number a line starts with: its sign, its integer digits without the leading zeros and
 * its fraction digits without the trailing ones (a zero has none, and no sign). */
struct number {
  int negative;
  const char *integer, *fraction;
  size_t integer_length, fraction_length;
};

static struct number parse_number(const struct line* line) {
  struct number n = {0, NULL, NULL, 0, 0};
  const char *at = line->text, *end = line->text + line->length;
  while (at < end && (*at == ' ' || *at == '\t')) at++;
  if (at < end && *at == '-') n.negative = 1, at++;
  while (at < end && *at == '0') at++;
  n.integer = at;
  while (at < end && *at >= '0' && *at <= '9') at++;
  n.integer_length = (size_t)(at - n.integer);
  if (at < end && *at == '.') {
    n.fraction = ++at;
    while (at < end && *at >= '0' && *at <= '9') at++;
    n.fraction_length = (size_t)(at - n.fraction);
    while (n.fraction_length > 0 && n.fraction[n.fraction_length - 1] == '0') n.fraction_length--;
  }
  if (n.integer_length == 0 && n.fraction_length == 0) n.negative = 0;
  return n;
}

/* The numbers two lines start with, compared by value. */
static int compare_numbers(const struct line* a, const struct line* b) {
  const struct number x = parse_number(a), y = parse_number(b);
  if (x.negative != y.negative) return x.negative ? -1 : 1;
  int diff = (x.integer_length > y.integer_length) - (x.integer_length < y.integer_length);
  if (!diff) diff = memcmp(x.integer, y.integer, x.integer_length);
  if (!diff) {
    const size_t shorter = x.fraction_length < y.fraction_length ? x.fraction_length : y.fraction_length;
    if (shorter) diff = memcmp(x.fraction, y.fraction, shorter);
    if (!diff) diff = (x.fraction_length > shorter) - (y.fraction_length > shorter);
  }
  return x.negative ? -diff : diff;
}

/* The comparison the options ask for, without the last resort of the bytes: what -u keeps
 * one line of. */
static int compare_keys(const struct line* a, const struct line* b, const struct options* o) {
  if (o->numeric) return compare_numbers(a, b);
  if (o->fold) return compare_folded(a, b);
  return compare_bytes(a, b);
}

/* The order of two lines: their keys, then (without -u) their bytes; reversed with -r. */
static int compare(const struct line* a, const struct line* b, const struct options* o) {
  int diff = compare_keys(a, b, o);
  if (!diff && !o->unique && (o->numeric || o->fold)) diff = compare_bytes(a, b);
  return o->reverse ? -diff : diff;
}

/* Sorts lines[0..count) stably (equal lines keep their input order), `spare` as room. */
static void merge_sort(struct line* lines, struct line* spare, size_t count, const struct options* o) {
  if (count < 2) return;
  const size_t half = count / 2;
  merge_sort(lines, spare, half, o);
  merge_sort(lines + half, spare, count - half, o);
  if (compare(&lines[half - 1], &lines[half], o) <= 0) return;
  memcpy(spare, lines, half * sizeof *lines);
  size_t left = 0, right = half, out = 0;
  while (left < half && right < count)
    lines[out++] = compare(&lines[right], &spare[left], o) < 0 ? lines[right++] : spare[left++];
  while (left < half) lines[out++] = spare[left++];
}

/* Writes the sorted lines to the output (-u: the first of each run of equal ones); 0, or the
 * status after a report. */
static int write_lines(const struct input* in, const struct options* o) {
  FILE* out = o->output ? fopen(o->output, "w") : stdout;
  const char* name = o->output ? o->output : "standard output";
  if (out == NULL) {
    fprintf(stderr, "sort: %s: %s\n", name, strerror(errno));
    return 2;
  }
  const struct line* last = NULL;
  for (size_t i = 0; i < in->count; i++) {
    if (o->unique && last && !compare_keys(last, &in->lines[i], o)) continue;
    last = &in->lines[i];
    fwrite(last->text, 1, last->length + 1, out);
  }
  if (fflush(out) != 0 || ferror(out) || (o->output && fclose(out) != 0)) {
    fprintf(stderr, "sort: %s: %s\n", name, strerror(errno));
    return 2;
  }
  return 0;
}

/* Reads the options of one argument (after its '-'); 1 when it took the next argument (-o
 * FILE), 0, or -1 after a usage error's report. */
static int parse_options(const char* letters, const char* next, struct options* o) {
  for (; *letters; letters++) {
    if (*letters == 'r') o->reverse = 1;
    else if (*letters == 'n') o->numeric = 1;
    else if (*letters == 'u') o->unique = 1;
    else if (*letters == 'f') o->fold = 1;
    else if (*letters == 'o') {
      const char* file = letters[1] ? letters + 1 : next;
      if (file == NULL) {
        fprintf(stderr, "sort: option requires an argument -- 'o'\n");
        return -1;
      }
      if (o->output && strcmp(o->output, file)) {
        fprintf(stderr, "sort: multiple output files specified\n");
        return -1;
      }
      o->output = file;
      return file == next;
    } else {
      fprintf(stderr, "sort: invalid option -- '%c'\n", *letters);
      return -1;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  struct options o = {0, 0, 0, 0, NULL};
  const char** files = malloc((size_t)argc * sizeof *files);
  if (files == NULL) return out_of_memory();
  int count = 0, options_done = 0;
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      files[count++] = arg;
    } else if (!strcmp(arg, "--")) {
      options_done = 1;
    } else {
      const int took = parse_options(arg + 1, i + 1 < argc ? argv[i + 1] : NULL, &o);
      if (took < 0) return usage();
      i += took;
    }
  }
  if (count == 0) files[count++] = "-";
  struct input in = {NULL, 0, 0, NULL, 0};
  for (int i = 0; i < count; i++)
    if (read_file(files[i], &in)) return 2;
  if (split_lines(&in) < 0) return out_of_memory();
  struct line* spare = malloc((in.count / 2 + 1) * sizeof *spare);
  if (spare == NULL) return out_of_memory();
  merge_sort(in.lines, spare, in.count, &o);
  return write_lines(&in, &o);
}
