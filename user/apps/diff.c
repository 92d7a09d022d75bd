/* diff [-qsruibw] [-U N] FILE1 FILE2: the differences between two files, as GNU diff (diffutils)
 * finds and writes them in the C locale. The lines are compared as GNU's are: the identical
 * lines at both ends set apart (but for the context -u shows), the lines that match no line of
 * the other file and most of those that match very many left out, then Myers' O(ND)
 * comparison, splitting at the middle snake of the shortest edit script, and the runs of
 * changes slid along identical lines to merge them and to face the other file's changes: the
 * same changes as GNU's, in the same places. Output: the normal format (2,3c2 then the lines,
 * < and > before them), or with -u (-U N) the unified one, N lines of context (3) around each
 * hunk and a header naming each file with its time of modification. A last line without a
 * newline differs from the same line with one and is followed by "\ No newline at end of
 * file". A file holding a NUL byte in its first 32 KiB is binary: "Binary files A and B
 * differ". -q says only whether they differ, -s says also when they do not. A FILE may be "-"
 * (standard input); when one is a folder, the file of the other's name in it is compared; when
 * both are, their entries are compared in name order: "Only in" for those in one, "Common
 * subdirectories" for folders, and with -r the folders compared in turn. Exit status: 0 when
 * nothing differs, 1 when something does, 2 after an error (a missing file, a usage error).
 * -i (case), -b (changes in the amount of white space, and white space at a line's end), -w
 * (all white space) leave that out of the comparison of two lines — and, -b or -w, a missing
 * newline at the end of the last line —, as GNU's: a common line is shown as the first file
 * has it; files the same but for that are the same (-s says they are identical). Not GNU's: no
 * other option (no -c, -B, -N, --color, long options...), and none of GNU's heuristics for
 * large files (a minimal comparison every time). A user program of
 * mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timestamp.h"

enum { SAME = 0, DIFFERENT = 1, TROUBLE = 2, BINARY_PREFIX = 32768 };

static int brief, report_identical, recursive, unified;
/* -i, -b, -w: what the comparison of two lines leaves out. With -b or -w, a missing newline at
 * the end of the last line too, as GNU's. */
static int ignore_case, ignore_space_change, ignore_all_space;
static long context = 3;
static char options_text[256]; /* the options as given, for the "diff -r A B" lines */

static void* allocate(size_t size) {
  void* p = calloc(1, size ? size : 1);
  if (!p) {
    fputs("diff: memory exhausted\n", stderr);
    exit(TROUBLE);
  }
  return p;
}

/* A line: its bytes (without the newline) and whether a newline ended it. */
struct line {
  const char* bytes;
  size_t length;
  int newline;
  unsigned long hash;
};

struct file {
  const char* name;
  struct stat status;
  char* data;
  size_t size;
  struct line* lines;
  long count;
};

static int read_whole(struct file* f) {
  int fd = strcmp(f->name, "-") == 0 ? 0 : open(f->name, O_RDONLY);
  if (fd < 0 || fstat(fd, &f->status) != 0) {
    fprintf(stderr, "diff: %s: %s\n", f->name, strerror(errno));
    if (fd > 0) close(fd);
    return -1;
  }
  size_t capacity = 65536;
  f->data = allocate(capacity);
  f->size = 0;
  for (;;) {
    if (f->size == capacity) {
      char* grown = allocate(capacity * 2);
      memcpy(grown, f->data, f->size);
      free(f->data);
      f->data = grown;
      capacity *= 2;
    }
    ssize_t n = read(fd, f->data + f->size, capacity - f->size);
    if (n < 0) {
      fprintf(stderr, "diff: %s: %s\n", f->name, strerror(errno));
      if (fd > 0) close(fd);
      return -1;
    }
    if (n == 0) break;
    f->size += (size_t)n;
  }
  if (fd > 0) close(fd);
  return 0;
}

static int is_space(int c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

/* The next byte of `line` the comparison sees, from *at on; -1 at the line's end. -w leaves
 * white space out, -b makes a run of it one space and leaves it out at the end, -i makes
 * letters small. */
static int next_byte(const struct line* line, size_t* at) {
  const char* bytes = line->bytes;
  size_t i = *at;
  if (ignore_all_space || ignore_space_change) {
    const size_t run = i;
    while (i < line->length && is_space((unsigned char)bytes[i])) i++;
    if (i == line->length) {
      *at = i;
      return -1;
    }
    if (i > run && !ignore_all_space) {
      *at = i;
      return ' ';
    }
  }
  if (i == line->length) return -1;
  *at = i + 1;
  const int c = (unsigned char)bytes[i];
  return ignore_case && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int ignoring(void) { return ignore_case || ignore_space_change || ignore_all_space; }
/* Whether the comparison sees a line's newline. */
static int newline_counts(void) { return !ignore_space_change && !ignore_all_space; }

static void split_lines(struct file* f) {
  long count = 0;
  for (size_t i = 0; i < f->size; ++i) count += f->data[i] == '\n';
  if (f->size && f->data[f->size - 1] != '\n') count++;
  f->lines = allocate((size_t)(count + 1) * sizeof *f->lines);
  f->count = 0;
  for (size_t start = 0; start < f->size;) {
    const char* end = memchr(f->data + start, '\n', f->size - start);
    size_t length = end ? (size_t)(end - (f->data + start)) : f->size - start;
    struct line* line = &f->lines[f->count++];
    line->bytes = f->data + start;
    line->length = length;
    line->newline = end != NULL;
    unsigned long hash = 5381 + (unsigned long)(line->newline && newline_counts());
    if (!ignoring()) {
      for (size_t i = 0; i < length; ++i) hash = hash * 33 + (unsigned char)line->bytes[i];
    } else {
      size_t at = 0;
      for (int c; (c = next_byte(line, &at)) >= 0;) hash = hash * 33 + (unsigned)c;
    }
    line->hash = hash;
    start += length + 1;
  }
}

/* Whether two lines are the same bytes (GNU sets the identical ends apart so, whatever -i,
 * -b and -w say). */
static int same_bytes(const struct line* a, const struct line* b) {
  return a->length == b->length && a->newline == b->newline && memcmp(a->bytes, b->bytes, a->length) == 0;
}

static int same_line(const struct line* a, const struct line* b) {
  if (!ignoring()) return a->hash == b->hash && same_bytes(a, b);
  if (a->hash != b->hash || (newline_counts() && a->newline != b->newline)) return 0;
  size_t at_a = 0, at_b = 0;
  for (;;) {
    const int c = next_byte(a, &at_a);
    if (c != next_byte(b, &at_b)) return 0;
    if (c < 0) return 1;
  }
}

/* ---- The comparison (the lines between the identical ends) ---- */

/* One file's side: the equivalence class of each line compared (equal lines, one class), which
 * ones changed (with a 0 before and after), and the lines compareseq sees. */
struct side {
  long count;
  long* equivs;
  char* changed;
  long* undiscarded;
  long* real_index;
  long kept;
};

static struct side sides[2];
static long *forward, *backward; /* the diagonals' furthest points, indexed by diagonal */

static void diag(long xoff, long xlim, long yoff, long ylim, long* xmid, long* ymid) {
  const long* xv = sides[0].undiscarded;
  const long* yv = sides[1].undiscarded;
  long* fd = forward;
  long* bd = backward;
  const long dmin = xoff - ylim, dmax = xlim - yoff, fmid = xoff - yoff, bmid = xlim - ylim;
  long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
  const int odd = (fmid - bmid) & 1;
  fd[fmid] = xoff;
  bd[bmid] = xlim;
  for (;;) {
    /* Extend the top-down search by an edit step in each diagonal. */
    if (fmin > dmin) fd[--fmin - 1] = -1;
    else ++fmin;
    if (fmax < dmax) fd[++fmax + 1] = -1;
    else --fmax;
    for (long d = fmax; d >= fmin; d -= 2) {
      long x, y, tlo = fd[d - 1], thi = fd[d + 1];
      long x0 = tlo >= thi ? tlo + 1 : thi;
      for (x = x0, y = x0 - d; x < xlim && y < ylim && xv[x] == yv[y]; ++x, ++y) continue;
      fd[d] = x;
      if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
        *xmid = x;
        *ymid = y;
        return;
      }
    }
    /* Similarly extend the bottom-up search. */
    if (bmin > dmin) bd[--bmin - 1] = LONG_MAX;
    else ++bmin;
    if (bmax < dmax) bd[++bmax + 1] = LONG_MAX;
    else --bmax;
    for (long d = bmax; d >= bmin; d -= 2) {
      long x, y, tlo = bd[d - 1], thi = bd[d + 1];
      long x0 = tlo < thi ? tlo : thi - 1;
      for (x = x0, y = x0 - d; xoff < x && yoff < y && xv[x - 1] == yv[y - 1]; --x, --y) continue;
      bd[d] = x;
      if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
        *xmid = x;
        *ymid = y;
        return;
      }
    }
  }
}

static void compareseq(long xoff, long xlim, long yoff, long ylim) {
  const long* xv = sides[0].undiscarded;
  const long* yv = sides[1].undiscarded;
  while (xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff]) xoff++, yoff++;
  while (xoff < xlim && yoff < ylim && xv[xlim - 1] == yv[ylim - 1]) xlim--, ylim--;
  if (xoff == xlim) {
    while (yoff < ylim) sides[1].changed[sides[1].real_index[yoff++]] = 1;
  } else if (yoff == ylim) {
    while (xoff < xlim) sides[0].changed[sides[0].real_index[xoff++]] = 1;
  } else {
    long xmid, ymid;
    diag(xoff, xlim, yoff, ylim, &xmid, &ymid);
    compareseq(xoff, xmid, yoff, ymid);
    compareseq(xmid, xlim, ymid, ylim);
  }
}

/* Leaves out of the comparison the lines that match no line of the other file, and those that
 * match very many when they sit among such lines: they are changes either way, and comparing
 * fewer lines goes faster (GNU's discard_confusing_lines, whose choices this keeps). */
static void discard_confusing_lines(long classes) {
  long* counts[2];
  for (int f = 0; f < 2; ++f) {
    counts[f] = allocate((size_t)(classes + 1) * sizeof *counts[f]);
    for (long i = 0; i < sides[f].count; ++i) counts[f][sides[f].equivs[i]]++;
  }
  char* discards[2];
  for (int f = 0; f < 2; ++f) {
    const long end = sides[f].count;
    discards[f] = allocate((size_t)end + 1);
    long many = 5;
    for (long tem = end / 64; (tem >>= 2) > 0;) many *= 2;
    for (long i = 0; i < end; ++i) {
      long matches = counts[1 - f][sides[f].equivs[i]];
      if (matches == 0) discards[f][i] = 1;
      else if (matches > many) discards[f][i] = 2;
    }
  }
  for (int f = 0; f < 2; ++f) {
    const long end = sides[f].count;
    char* d = discards[f];
    for (long i = 0; i < end; ++i) {
      if (d[i] == 2) {
        d[i] = 0; /* a provisional discard not in a run of discards */
      } else if (d[i] != 0) {
        long j, provisional = 0;
        for (j = i; j < end && d[j] != 0; ++j) provisional += d[j] == 2;
        while (j > i && d[j - 1] == 2) d[--j] = 0, --provisional;
        const long length = j - i;
        if (provisional * 4 > length) {
          while (j > i)
            if (d[--j] == 2) d[j] = 0;
        } else {
          long minimum = 1, consecutive;
          for (long tem = length >> 2; (tem >>= 2) > 0;) minimum <<= 1;
          minimum++;
          for (j = 0, consecutive = 0; j < length; ++j) {
            if (d[i + j] != 2) consecutive = 0;
            else if (minimum == ++consecutive) j -= consecutive; /* back to cancel the subrun */
            else if (minimum < consecutive) d[i + j] = 0;
          }
          for (j = 0, consecutive = 0; j < length; ++j) {
            if (j >= 8 && d[i + j] == 1) break;
            if (d[i + j] == 2) consecutive = 0, d[i + j] = 0;
            else if (d[i + j] == 0) consecutive = 0;
            else consecutive++;
            if (consecutive == 3) break;
          }
          i += length - 1;
          for (j = 0, consecutive = 0; j < length; ++j) {
            if (j >= 8 && d[i - j] == 1) break;
            if (d[i - j] == 2) consecutive = 0, d[i - j] = 0;
            else if (d[i - j] == 0) consecutive = 0;
            else consecutive++;
            if (consecutive == 3) break;
          }
        }
      }
    }
  }
  for (int f = 0; f < 2; ++f) {
    struct side* s = &sides[f];
    s->undiscarded = allocate((size_t)(s->count + 1) * sizeof *s->undiscarded);
    s->real_index = allocate((size_t)(s->count + 1) * sizeof *s->real_index);
    s->kept = 0;
    for (long i = 0; i < s->count; ++i) {
      if (discards[f][i] == 0) {
        s->undiscarded[s->kept] = s->equivs[i];
        s->real_index[s->kept++] = i;
      } else {
        s->changed[i] = 1;
      }
    }
    free(discards[f]);
    free(counts[f]);
  }
}

/* Slides each run of changes along the identical lines around it: up to merge with the run
 * before, down to merge with the runs after, then back up to face a run of changes in the
 * other file if it can (GNU's shift_boundaries). */
static void shift_boundaries(void) {
  for (int f = 0; f < 2; ++f) {
    char* changed = sides[f].changed;
    const char* other_changed = sides[1 - f].changed;
    const long* equivs = sides[f].equivs;
    const long i_end = sides[f].count;
    long i = 0, j = 0;
    for (;;) {
      while (i < i_end && !changed[i]) {
        while (other_changed[j++]) continue;
        i++;
      }
      if (i == i_end) break;
      long start = i, runlength, corresponding;
      while (changed[++i]) continue;
      while (other_changed[j]) j++;
      do {
        runlength = i - start;
        while (start && equivs[start - 1] == equivs[i - 1]) {
          changed[--start] = 1;
          changed[--i] = 0;
          while (changed[start - 1]) start--;
          while (other_changed[--j]) continue;
        }
        corresponding = other_changed[j - 1] ? i : i_end;
        while (i != i_end && equivs[start] == equivs[i]) {
          changed[start++] = 0;
          changed[i++] = 1;
          while (changed[i]) i++;
          while (other_changed[++j]) corresponding = i;
        }
      } while (runlength != i - start);
      while (corresponding < i) {
        changed[--start] = 1;
        changed[--i] = 0;
        while (other_changed[--j]) continue;
      }
    }
  }
}

/* A change: from line0 of the first file (0-based), `deleted` lines replaced by `inserted` of
 * the second from line1. */
struct change {
  long line0, line1, deleted, inserted;
};

/* The changes between the two files, in order; their count in *count. */
static struct change* compare_lines(struct file* a, struct file* b, long horizon, long* count) {
  long prefix = 0;
  while (prefix < a->count && prefix < b->count && same_bytes(&a->lines[prefix], &b->lines[prefix])) prefix++;
  const long start = prefix > horizon ? prefix - horizon : 0;
  long suffix = 0;
  const long room = (a->count < b->count ? a->count : b->count) - start;
  while (suffix < room && same_bytes(&a->lines[a->count - 1 - suffix], &b->lines[b->count - 1 - suffix])) suffix++;
  const long cut = suffix > horizon ? suffix - horizon : 0;
  struct file* files[2] = {a, b};
  /* Equivalence classes by hash chains over the lines compared. */
  const long total = a->count + b->count - 2 * start - 2 * cut;
  long buckets = 1;
  while (buckets < 2 * total + 1) buckets <<= 1;
  long* heads = allocate((size_t)buckets * sizeof *heads);
  const struct line** representative = allocate((size_t)(total + 1) * sizeof *representative);
  long* next = allocate((size_t)(total + 1) * sizeof *next);
  long classes = 0;
  for (int f = 0; f < 2; ++f) {
    struct side* s = &sides[f];
    s->count = files[f]->count - start - cut;
    s->equivs = allocate((size_t)(s->count + 1) * sizeof *s->equivs);
    s->changed = (char*)allocate((size_t)s->count + 2) + 1; /* changed[-1] and changed[count] are 0 */
    for (long i = 0; i < s->count; ++i) {
      const struct line* line = &files[f]->lines[start + i];
      long* chain = &heads[line->hash & (unsigned long)(buckets - 1)];
      long c = *chain;
      while (c && !same_line(representative[c], line)) c = next[c];
      if (!c) {
        c = ++classes;
        representative[c] = line;
        next[c] = *chain;
        *chain = c;
      }
      s->equivs[i] = c;
    }
  }
  free(heads);
  free(representative);
  free(next);
  discard_confusing_lines(classes);
  const long diagonals = sides[0].kept + sides[1].kept + 3;
  forward = (long*)allocate((size_t)diagonals * 2 * sizeof(long)) + sides[1].kept + 1;
  backward = forward + diagonals;
  compareseq(0, sides[0].kept, 0, sides[1].kept);
  free(forward - sides[1].kept - 1);
  shift_boundaries();
  /* The changes, in order. */
  struct change* changes = allocate((size_t)(sides[0].count + sides[1].count + 1) * sizeof *changes);
  long n = 0;
  for (long i0 = 0, i1 = 0; i0 < sides[0].count || i1 < sides[1].count; ++i0, ++i1) {
    if (sides[0].changed[i0] || sides[1].changed[i1]) {
      struct change* c = &changes[n++];
      c->line0 = start + i0;
      c->line1 = start + i1;
      while (sides[0].changed[i0]) i0++;
      while (sides[1].changed[i1]) i1++;
      c->deleted = start + i0 - c->line0;
      c->inserted = start + i1 - c->line1;
    }
  }
  for (int f = 0; f < 2; ++f) {
    free(sides[f].equivs);
    free(sides[f].changed - 1);
    free(sides[f].undiscarded);
    free(sides[f].real_index);
  }
  *count = n;
  return changes;
}

/* ---- Output ---- */

static void print_line(const struct file* f, long index, const char* prefix) {
  const struct line* line = &f->lines[index];
  fputs(prefix, stdout);
  fwrite(line->bytes, 1, line->length, stdout);
  fputs(line->newline ? "\n" : "\n\\ No newline at end of file\n", stdout);
}

/* A range of 1-based lines [first, last] as the normal format writes it. */
static void print_range(long first, long last) {
  if (last > first) printf("%ld,%ld", first, last);
  else printf("%ld", last);
}

static void print_normal(const struct file* a, const struct file* b, const struct change* changes, long count) {
  for (long k = 0; k < count; ++k) {
    const struct change* c = &changes[k];
    print_range(c->line0 + 1, c->line0 + c->deleted);
    putchar(c->deleted && c->inserted ? 'c' : c->deleted ? 'd' : 'a');
    print_range(c->line1 + 1, c->line1 + c->inserted);
    putchar('\n');
    for (long i = 0; i < c->deleted; ++i) print_line(a, c->line0 + i, "< ");
    if (c->deleted && c->inserted) puts("---");
    for (long i = 0; i < c->inserted; ++i) print_line(b, c->line1 + i, "> ");
  }
}

/* A range of 0-based lines [first, last] as the unified format writes it. */
static void print_unified_range(long first, long last) {
  if (last < first) printf("%ld,0", last + 1);
  else if (last == first) printf("%ld", first + 1);
  else printf("%ld,%ld", first + 1, last - first + 1);
}

static void print_unified(const struct file* a, const struct file* b, const struct change* changes, long count) {
  const struct file* files[2] = {a, b};
  for (int f = 0; f < 2; ++f) {
    char when[96];
    time_string(&files[f]->status.st_mtim, when, sizeof when);
    printf("%s %s\t%s\n", f == 0 ? "---" : "+++", files[f]->name, when);
  }
  for (long k = 0; k < count;) {
    /* The hunk: the changes fewer than 2 * context + 1 lines apart. */
    long last = k;
    while (last + 1 < count &&
           changes[last + 1].line0 - (changes[last].line0 + changes[last].deleted) < 2 * context + 1)
      last++;
    long first0 = changes[k].line0 - context, first1 = changes[k].line1 - context;
    if (first0 < 0) first0 = 0;
    if (first1 < 0) first1 = 0;
    long last0 = changes[last].line0 + changes[last].deleted - 1 + context;
    long last1 = changes[last].line1 + changes[last].inserted - 1 + context;
    if (last0 > a->count - 1) last0 = a->count - 1;
    if (last1 > b->count - 1) last1 = b->count - 1;
    fputs("@@ -", stdout);
    print_unified_range(first0, last0);
    fputs(" +", stdout);
    print_unified_range(first1, last1);
    fputs(" @@\n", stdout);
    long i0 = first0, i1 = first1;
    for (; k <= last; ++k) {
      const struct change* c = &changes[k];
      for (; i0 < c->line0; ++i0, ++i1) print_line(a, i0, " ");
      for (long i = 0; i < c->deleted; ++i) print_line(a, i0++, "-");
      for (long i = 0; i < c->inserted; ++i) print_line(b, i1++, "+");
    }
    for (; i0 <= last0; ++i0) print_line(a, i0, " ");
  }
}

static void free_file(struct file* f) {
  free(f->data);
  free(f->lines);
  f->data = NULL;
  f->lines = NULL;
}

static int has_nul(const struct file* f) {
  return memchr(f->data, '\0', f->size < BINARY_PREFIX ? f->size : BINARY_PREFIX) != NULL;
}

/* Compares two files (read already): 0, 1 or 2. `header` is the "diff -r A B" line to say
 * before the differences, or NULL. */
static int compare_files(struct file* a, struct file* b, const char* header) {
  if (a->size == b->size && memcmp(a->data, b->data, a->size) == 0) {
    if (report_identical) printf("Files %s and %s are identical\n", a->name, b->name);
    return SAME;
  }
  /* A binary file is compared byte for byte, whatever -i, -b, -w say (GNU's). */
  if (has_nul(a) || has_nul(b) || (brief && !ignoring())) {
    printf(brief ? "Files %s and %s differ\n" : "Binary files %s and %s differ\n", a->name, b->name);
    return DIFFERENT;
  }
  split_lines(a);
  split_lines(b);
  long count;
  struct change* changes = compare_lines(a, b, unified ? context : 0, &count);
  if (count == 0 || brief) {
    free(changes);
    if (count > 0) printf("Files %s and %s differ\n", a->name, b->name);
    else if (report_identical) printf("Files %s and %s are identical\n", a->name, b->name);
    return count > 0 ? DIFFERENT : SAME;
  }
  if (header) puts(header);
  if (unified) print_unified(a, b, changes, count);
  else print_normal(a, b, changes, count);
  free(changes);
  return DIFFERENT;
}

static char* join(const char* folder, const char* name) {
  size_t length = strlen(folder);
  char* path = allocate(length + strlen(name) + 2);
  sprintf(path, "%s%s%s", folder, length && folder[length - 1] == '/' ? "" : "/", name);
  return path;
}

static const char* type_name(const struct stat* st) {
  if (S_ISDIR(st->st_mode)) return "directory";
  if (S_ISREG(st->st_mode)) return st->st_size == 0 ? "regular empty file" : "regular file";
  if (S_ISCHR(st->st_mode)) return "character special file";
  if (S_ISFIFO(st->st_mode)) return "fifo";
  return "file";
}

static int compare_paths(const char* name0, const char* name1, int top);

static int by_name(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* A folder's entries but . and .., sorted; NULL after an error (said). */
static char** list_folder(const char* path, long* count) {
  DIR* dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "diff: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  long n = 0, capacity = 16;
  char** names = allocate((size_t)capacity * sizeof *names);
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    if (n == capacity) {
      char** grown = allocate((size_t)capacity * 2 * sizeof *grown);
      memcpy(grown, names, (size_t)n * sizeof *names);
      free(names);
      names = grown;
      capacity *= 2;
    }
    names[n++] = strdup(entry->d_name);
  }
  closedir(dir);
  qsort(names, (size_t)n, sizeof *names, by_name);
  *count = n;
  return names;
}

static int compare_folders(const char* path0, const char* path1) {
  long count0, count1;
  char** names0 = list_folder(path0, &count0);
  char** names1 = names0 ? list_folder(path1, &count1) : NULL;
  if (!names1) return TROUBLE;
  int status = SAME;
  for (long i = 0, j = 0; i < count0 || j < count1;) {
    int order = i == count0 ? 1 : j == count1 ? -1 : strcmp(names0[i], names1[j]);
    int result;
    if (order < 0) {
      printf("Only in %s: %s\n", path0, names0[i++]);
      result = DIFFERENT;
    } else if (order > 0) {
      printf("Only in %s: %s\n", path1, names1[j++]);
      result = DIFFERENT;
    } else {
      char* child0 = join(path0, names0[i++]);
      char* child1 = join(path1, names1[j++]);
      result = compare_paths(child0, child1, 0);
      free(child0);
      free(child1);
    }
    if (result > status) status = result;
  }
  for (long i = 0; i < count0; ++i) free(names0[i]);
  for (long j = 0; j < count1; ++j) free(names1[j]);
  free(names0);
  free(names1);
  return status;
}

/* Compares two paths: files, folders, or a file with the file of its name in a folder (at the
 * top only). */
static int compare_paths(const char* name0, const char* name1, int top) {
  struct stat st0, st1;
  int stdin0 = strcmp(name0, "-") == 0, stdin1 = strcmp(name1, "-") == 0;
  if (!stdin0 && stat(name0, &st0) != 0) {
    fprintf(stderr, "diff: %s: %s\n", name0, strerror(errno));
    return TROUBLE;
  }
  if (!stdin1 && stat(name1, &st1) != 0) {
    fprintf(stderr, "diff: %s: %s\n", name1, strerror(errno));
    return TROUBLE;
  }
  int dir0 = !stdin0 && S_ISDIR(st0.st_mode), dir1 = !stdin1 && S_ISDIR(st1.st_mode);
  if (dir0 && dir1) {
    if (top || recursive) return compare_folders(name0, name1);
    printf("Common subdirectories: %s and %s\n", name0, name1);
    return SAME;
  }
  if (dir0 != dir1) {
    if (!top) {
      printf("File %s is a %s while file %s is a %s\n", name0, type_name(&st0), name1, type_name(&st1));
      return DIFFERENT;
    }
    /* A file against a folder: against the file of the same name in the folder. */
    const char* file = dir0 ? name1 : name0;
    const char* base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    if (strcmp(file, "-") == 0) {
      fprintf(stderr, "diff: cannot compare '-' to a directory\n");
      return TROUBLE;
    }
    char* inside = join(dir0 ? name0 : name1, base);
    int status = dir0 ? compare_paths(inside, name1, 0) : compare_paths(name0, inside, 0);
    free(inside);
    return status;
  }
  struct file a = {.name = name0}, b = {.name = name1};
  if (read_whole(&a) != 0 || read_whole(&b) != 0) {
    free_file(&a);
    free_file(&b);
    return TROUBLE;
  }
  char* header = NULL;
  if (!top) {
    header = allocate(strlen(options_text) + strlen(name0) + strlen(name1) + 8);
    sprintf(header, "diff%s %s %s", options_text, name0, name1);
  }
  int status = compare_files(&a, &b, header);
  free(header);
  free_file(&a);
  free_file(&b);
  return status;
}

static int usage_error(const char* format, const char* what) {
  fputs("diff: ", stderr);
  fprintf(stderr, format, what);
  fputs("\ndiff: Try 'diff --help' for more information.\n", stderr);
  return TROUBLE;
}

int main(int argc, char** argv) {
  const char* operands[2];
  int operand_count = 0, options_done = 0;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      if (operand_count == 2) return usage_error("extra operand '%s'", arg);
      operands[operand_count++] = arg;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      options_done = 1;
      continue;
    }
    size_t used = strlen(options_text);
    snprintf(options_text + used, sizeof options_text - used, " %s", arg);
    for (const char* o = arg + 1; *o; ++o) {
      if (*o == 'q') brief = 1;
      else if (*o == 's') report_identical = 1;
      else if (*o == 'r') recursive = 1;
      else if (*o == 'u') unified = 1;
      else if (*o == 'i') ignore_case = 1;
      else if (*o == 'b') ignore_space_change = 1;
      else if (*o == 'w') ignore_all_space = 1;
      else if (*o == 'U') {
        const char* value = o[1] ? o + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value) return usage_error("option requires an argument -- '%s'", "U");
        if (value != o + 1) {
          used = strlen(options_text);
          snprintf(options_text + used, sizeof options_text - used, " %s", value);
        }
        char* end;
        long n = strtol(value, &end, 10);
        if (*end || n < 0 || end == value) {
          fprintf(stderr, "diff: invalid context length '%s'\ndiff: Try 'diff --help' for more information.\n", value);
          return TROUBLE;
        }
        context = n;
        unified = 1;
        break;
      } else {
        char option[2] = {*o, '\0'};
        return usage_error("invalid option -- '%s'", option);
      }
    }
  }
  if (operand_count < 2)
    return operand_count ? usage_error("missing operand after '%s'", operands[0])
                         : usage_error("missing operand after '%s'", "diff");
  int status = compare_paths(operands[0], operands[1], 1);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "diff: standard output: %s\n", strerror(errno));
    return TROUBLE;
  }
  return status;
}
