/* tr [-c] [-d] [-s] [-t] SET1 [SET2]: standard input copied to standard output with bytes
 * translated, deleted or squeezed, as coreutils' tr does in the C locale. A set is a list of
 * bytes written with
 *   c           the byte itself; \\ \a \b \f \n \r \t \v, \NNN (1 to 3 octal digits) for the
 *               escaped ones, \c for any other c
 *   a-z         the bytes from a to z (in that order; z before a is an error)
 *   [:CLASS:]   alnum alpha blank cntrl digit graph lower print punct space upper xdigit
 *   [=c=]       c (the C locale has no equivalence classes)
 *   [c*N]       N times c (N octal when it starts with 0); [c*] in SET2 repeats c as often as
 *               makes SET2 as long as SET1
 * Without -d, the nth byte of SET1 becomes the nth of SET2 (SET2 is extended with its last byte
 * when shorter, or SET1 cut to SET2's length with -t); the only classes SET2 may hold then are
 * [:lower:] and [:upper:], each at the same place as one of those in SET1 (a case conversion).
 * -c (or -C) takes the bytes not in SET1, in ascending order, for SET1; -d deletes SET1's
 * bytes; -s squeezes each run of a byte of the last set given (after translating or deleting)
 * to one. -d takes one set, -d -s two, -s one or two, and translating two. Options may be
 * grouped (-cd) and mixed with the sets; "--" ends them. A set that does not parse or does not
 * fit its use is reported (status 1); a wrong number of sets or an unknown option is a usage
 * error (2). Not coreutils': no long options (--delete...). A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BYTES = 256 };

struct options {
  int complement, delete, squeeze, truncate;
};

/* A set operand with its escapes replaced: each byte, and whether it was escaped. */
struct text {
  unsigned char* bytes;
  char* escaped;
  size_t length;
};

/* One part of a set: a byte, a range, a class or a repeated byte. */
enum kind { SINGLE, RANGE, CLASS, REPEAT };
struct element {
  enum kind kind;
  unsigned char first, last; /* SINGLE and REPEAT: first; RANGE: first to last */
  int class_id;              /* CLASS */
  size_t count;              /* REPEAT: how many times; 0 for [c*] until it is filled */
  int fill, equivalence;     /* written [c*] (or [c*0]); written [=c=] */
};

/* A parsed set. */
struct set {
  struct element* items;
  size_t count, capacity;
};

/* Where an iteration over a set's bytes is. */
struct cursor {
  const struct set* set;
  size_t item, offset;
};

static const char* const class_names[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                          "lower", "print", "punct", "space", "upper", "xdigit"};
enum { LOWER = 6, UPPER = 10, CLASSES = 12 };

static int usage(void) {
  fprintf(stderr, "usage: tr [-c] [-d] [-s] [-t] SET1 [SET2]\n");
  return 2;
}

/* Ends tr (status 1) after a report of what is wrong with the sets: "tr: ", `before`, `what`,
 * `after`. */
static void fail(const char* before, const char* what, const char* after) {
  fprintf(stderr, "tr: %s%s%s\n", before, what, after);
  exit(1);
}

/* Allocates `size` bytes or ends tr after a report. */
static void* allocate(void* old, size_t size) {
  void* block = realloc(old, size ? size : 1);
  if (block == NULL) fail("", strerror(ENOMEM), "");
  return block;
}

/* Whether byte `c` is in the class `id` (its index in class_names), in the C locale. */
static int in_class(int id, int c) {
  const int lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
  const int graph = c > ' ' && c < 127;
  switch (id) {
    case 0: return lower || upper || digit;
    case 1: return lower || upper;
    case 2: return c == ' ' || c == '\t';
    case 3: return c < ' ' || c == 127;
    case 4: return digit;
    case 5: return graph;
    case 6: return lower;
    case 7: return graph || c == ' ';
    case 8: return graph && !lower && !upper && !digit;
    case 9: return c == ' ' || (c >= '\t' && c <= '\r');
    case 10: return upper;
    default: return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}

/* Replaces the escapes of `operand`; warns of the ones coreutils warns of. */
static struct text unescape(const char* operand) {
  const size_t size = strlen(operand);
  struct text t = {allocate(NULL, size), allocate(NULL, size), 0};
  static const char letters[] = "\\abfnrtv", bytes[] = "\\\a\b\f\n\r\t\v";
  for (size_t i = 0; i < size; i++) {
    const char c = operand[i];
    t.escaped[t.length] = c == '\\' && operand[i + 1] != '\0';
    if (c != '\\') {
      t.bytes[t.length++] = (unsigned char)c;
    } else if (operand[i + 1] == '\0') {
      fprintf(stderr, "tr: warning: an unescaped backslash at end of string is not portable\n");
      t.bytes[t.length++] = '\\';
    } else if (operand[i + 1] >= '0' && operand[i + 1] <= '7') {
      unsigned value = 0;
      size_t digits = 0;
      while (digits < 3 && operand[i + 1 + digits] >= '0' && operand[i + 1 + digits] <= '7') {
        const unsigned next = value * 8 + (unsigned)(operand[i + 1 + digits] - '0');
        if (next >= BYTES) {
          const char* d = operand + i + 1;
          fprintf(stderr,
                  "tr: warning: the ambiguous octal escape \\%c%c%c is being\n\tinterpreted as the 2-byte "
                  "sequence \\0%c%c, %c\n",
                  d[0], d[1], d[2], d[0], d[1], d[2]);
          break;
        }
        value = next;
        digits++;
      }
      t.bytes[t.length++] = (unsigned char)value;
      i += digits;
    } else {
      const char* letter = strchr(letters, operand[i + 1]);
      t.bytes[t.length++] = (unsigned char)(letter ? bytes[letter - letters] : operand[i + 1]);
      i++;
    }
  }
  return t;
}

/* Whether the byte at `i` is `c`, not escaped. */
static int is(const struct text* t, size_t i, char c) {
  return i < t->length && t->bytes[i] == (unsigned char)c && !t->escaped[i];
}

/* Appends an element to the set. */
static void add(struct set* s, struct element e) {
  if (s->count == s->capacity) {
    s->capacity = s->capacity ? s->capacity * 2 : 16;
    s->items = allocate(s->items, s->capacity * sizeof *s->items);
  }
  s->items[s->count++] = e;
}

/* Reads the N of [c*N] (`length` bytes at `digits`: blanks, a '+', then octal digits after a 0,
 * else decimal ones; none is 0) into `count` (at most SIZE_MAX); 0 when it is not a number below
 * 2^64 - 1, as coreutils' limit is. */
static int repeat_count(const char* digits, size_t length, size_t* count) {
  const unsigned base = length > 0 && digits[0] == '0' ? 8 : 10;
  unsigned long long value = 0;
  size_t at = 0;
  *count = 0;
  if (length == 0) return 1;
  while (at < length && (digits[at] == ' ' || (digits[at] >= '\t' && digits[at] <= '\r'))) at++;
  if (at < length && digits[at] == '+') at++;
  if (at == length) return 0;
  for (; at < length; at++) {
    const unsigned digit = (unsigned)(digits[at] - '0');
    if (digits[at] < '0' || digit >= base || value > (~0ULL - 1 - digit) / base) return 0;
    value = value * base + digit;
  }
  *count = value > (size_t)-1 ? (size_t)-1 : (size_t)value;
  return 1;
}

/* Reads [c*N] or [c*] with its '[' at `open`: 1 (the element added, `*end` after its ']'),
 * 0 when the text is not one; ends tr when N is not a number. */
static int parse_repeat(const struct text* t, size_t open, struct set* s, size_t* end) {
  if (open + 2 >= t->length || !is(t, open + 2, '*')) return 0;
  size_t close = open + 3;
  while (close < t->length && !t->escaped[close] && t->bytes[close] != ']') close++;
  if (close >= t->length || t->escaped[close]) return 0;
  const char* digits = (const char*)t->bytes + open + 3;
  const size_t length = close - open - 3;
  size_t count;
  if (!repeat_count(digits, length, &count)) {
    char* copy = allocate(NULL, length + 1);
    memcpy(copy, digits, length);
    copy[length] = '\0';
    fail("invalid repeat count ", copy, " in [c*n] construct");
  }
  struct element e = {REPEAT, t->bytes[open + 1], 0, 0, count, count == 0, 0};
  add(s, e);
  *end = close + 1;
  return 1;
}

/* Whether the text at `at` is '*', digits and ']' (a repeat after all, as "[:*3]"). */
static int star_digits_bracket(const struct text* t, size_t at) {
  if (!is(t, at, '*')) return 0;
  for (at++; at < t->length && !t->escaped[at] && t->bytes[at] >= '0' && t->bytes[at] <= '9';) at++;
  return is(t, at, ']');
}

/* Reads [:CLASS:] or [=c=] with its '[' at `open`: 1 (added, `*end` after it), 0 when it is
 * not one; ends tr on a bad class name or equivalence operand. */
static int parse_bracket_class(const struct text* t, size_t open, struct set* s, size_t* end) {
  const char delimiter = (char)t->bytes[open + 1];
  size_t close = open + 2;
  while (close + 1 < t->length && !(is(t, close, delimiter) && is(t, close + 1, ']'))) close++;
  if (close + 1 >= t->length) return 0;
  const size_t length = close - open - 2;
  char* name = allocate(NULL, length + 1);
  memcpy(name, t->bytes + open + 2, length);
  name[length] = '\0';
  if (length == 0)
    fail(delimiter == ':' ? "missing character class name [::]" : "missing equivalence class character [==]", "", "");
  if (delimiter == '=') {
    if (length != 1) {
      if (star_digits_bracket(t, open + 2)) return free(name), 0;
      fail("", name, ": equivalence class operand must be a single character");
    }
    struct element e = {SINGLE, t->bytes[open + 2], 0, 0, 1, 0, 1};
    add(s, e);
  } else {
    int id = 0;
    while (id < CLASSES && (strlen(class_names[id]) != length || memcmp(class_names[id], name, length))) id++;
    if (id == CLASSES) {
      if (star_digits_bracket(t, open + 2)) return free(name), 0;
      fail("invalid character class ", name, "");
    }
    struct element e = {CLASS, 0, 0, id, 0, 0, 0};
    add(s, e);
  }
  free(name);
  *end = close + 2;
  return 1;
}

/* Parses a set operand. */
static struct set parse_set(const char* operand) {
  const struct text t = unescape(operand);
  struct set s = {NULL, 0, 0};
  size_t i = 0;
  while (i < t.length) {
    if (i + 2 < t.length && is(&t, i, '[')) {
      size_t end;
      if ((is(&t, i + 1, ':') || is(&t, i + 1, '=')) && parse_bracket_class(&t, i, &s, &end)) {
        i = end;
        continue;
      }
      if (parse_repeat(&t, i, &s, &end)) {
        i = end;
        continue;
      }
    }
    if (i + 2 < t.length && is(&t, i + 1, '-')) {
      if (t.bytes[i + 2] < t.bytes[i]) {
        char range[4] = {(char)t.bytes[i], '-', (char)t.bytes[i + 2], '\0'};
        fail("range-endpoints of ", range, " are in reverse collating sequence order");
      }
      struct element e = {RANGE, t.bytes[i], t.bytes[i + 2], 0, 1, 0, 0};
      add(&s, e);
      i += 3;
    } else {
      struct element e = {SINGLE, t.bytes[i], 0, 0, 1, 0, 0};
      add(&s, e);
      i++;
    }
  }
  free(t.bytes);
  free(t.escaped);
  return s;
}

/* How many bytes an element stands for. */
static size_t element_length(const struct element* e) {
  if (e->kind == RANGE) return (size_t)(e->last - e->first) + 1;
  if (e->kind == REPEAT) return e->count;
  if (e->kind == SINGLE) return 1;
  size_t members = 0;
  for (int c = 0; c < BYTES; c++) members += in_class(e->class_id, c);
  return members;
}

/* How many bytes a set stands for (as many as fit in a size_t). */
static size_t set_length(const struct set* s) {
  size_t length = 0;
  for (size_t i = 0; i < s->count; i++) {
    const size_t more = element_length(&s->items[i]);
    length = length > (size_t)-1 - more ? (size_t)-1 : length + more;
  }
  return length;
}

/* The next byte of a set, or -1 at its end. */
static int next_byte(struct cursor* c) {
  while (c->item < c->set->count) {
    const struct element* e = &c->set->items[c->item];
    if (e->kind == CLASS) {
      while (c->offset < BYTES && !in_class(e->class_id, (int)c->offset)) c->offset++;
      if (c->offset < BYTES) return (int)c->offset++;
    } else if (c->offset < element_length(e)) {
      return e->kind == RANGE ? e->first + (int)c->offset++ : (c->offset++, e->first);
    }
    c->item++;
    c->offset = 0;
  }
  return -1;
}

/* Marks in `members` the bytes a set holds (all the others with `complement`). */
static void members_of(const struct set* s, int complement, char members[BYTES]) {
  memset(members, complement, BYTES);
  struct cursor c = {s, 0, 0};
  for (int byte; (byte = next_byte(&c)) >= 0;) members[byte] = !complement;
}

/* Whether every case class of SET2 starts where a case class of SET1 does. */
static int case_classes_aligned(const struct set* s1, const struct set* s2) {
  size_t at2 = 0;
  for (size_t i = 0; i < s2->count; at2 += element_length(&s2->items[i++])) {
    const struct element* e = &s2->items[i];
    if (e->kind != CLASS) continue;
    size_t at1 = 0, j = 0;
    while (j < s1->count && at1 < at2) at1 += element_length(&s1->items[j++]);
    if (j == s1->count || at1 != at2) return 0;
    const struct element* f = &s1->items[j];
    if (f->kind != CLASS || (f->class_id != LOWER && f->class_id != UPPER)) return 0;
  }
  return 1;
}

/* Whether all of a set's bytes are the same one. */
static int single_byte(const struct set* s) {
  int byte = -1;
  for (size_t i = 0; i < s->count; i++) {
    const struct element* e = &s->items[i];
    if (element_length(e) == 0) continue;
    if (e->kind == CLASS || (e->kind == RANGE && e->first != e->last)) return 0;
    if (byte >= 0 && e->first != byte) return 0;
    byte = e->first;
  }
  return 1;
}

/* Checks that the sets suit what they are used for, as coreutils' tr does (ending tr when
 * not); fills SET2's [c*]. `length1` is SET1's length (complemented with -c). */
static void check_sets(const struct set* s1, struct set* s2, size_t length1, const struct options* o) {
  for (size_t i = 0; i < s1->count; i++)
    if (s1->items[i].fill) fail("the [c*] repeat construct may not appear in string1", "", "");
  if (s2 == NULL) return;
  struct element* fill = NULL;
  int equivalence = 0, restricted = 0;
  for (size_t i = 0; i < s2->count; i++) {
    struct element* e = &s2->items[i];
    if (e->fill && fill != NULL) fail("only one [c*] repeat construct may appear in string2", "", "");
    if (e->fill) fill = e;
    equivalence |= e->equivalence;
    restricted |= e->kind == CLASS && e->class_id != LOWER && e->class_id != UPPER;
  }
  const size_t length2 = set_length(s2);
  if (fill != NULL) fill->count = length1 > length2 ? length1 - length2 : 0;
  if (o->delete) {
    if (fill != NULL) fail("the [c*] construct may appear in string2 only when translating", "", "");
    return;
  }
  if (equivalence) fail("[=c=] expressions may not appear in string2 when translating", "", "");
  if (restricted)
    fail("when translating, the only character classes that may appear in\nstring2 are 'upper' and 'lower'", "", "");
  if (!case_classes_aligned(s1, s2)) fail("misaligned [:upper:] and/or [:lower:] construct", "", "");
  const size_t filled = set_length(s2);
  if (length1 > filled && !o->truncate) {
    if (filled == 0) fail("when not truncating set1, string2 must be non-empty", "", "");
    if (s2->items[s2->count - 1].kind == CLASS)
      fail("when translating with string1 longer than string2,\nthe latter string must not end with a character class",
           "", "");
  }
  int classes1 = 0;
  for (size_t i = 0; i < s1->count; i++) classes1 |= s1->items[i].kind == CLASS;
  const size_t extended = length1 > filled && !o->truncate ? length1 : filled;
  if (o->complement && classes1 && (extended != length1 || !single_byte(s2)))
    fail("when translating with complemented character classes,\nstring2 must map all characters in the domain to one",
         "", "");
}

/* The translation table: SET1's bytes (the bytes not in it with -c) to SET2's, in order. */
static void build_map(const struct set* s1, const struct set* s2, const struct options* o, unsigned char map[BYTES]) {
  for (int i = 0; i < BYTES; i++) map[i] = (unsigned char)i;
  char members[BYTES];
  members_of(s1, 0, members);
  struct cursor from = {s1, 0, 0}, to = {s2, 0, 0};
  int last = -1, next = 0;
  for (;;) {
    int byte;
    if (o->complement) {
      while (next < BYTES && members[next]) next++;
      byte = next < BYTES ? next++ : -1;
    } else {
      byte = next_byte(&from);
    }
    if (byte < 0) break;
    int target = next_byte(&to);
    if (target < 0 && o->truncate) break;
    if (target < 0) target = last;
    last = target;
    map[byte] = (unsigned char)target;
  }
}

/* Copies standard input to standard output, deleting, translating, then squeezing; 0, or 1
 * after a read or write error's report. */
static int filter(const char deleted[BYTES], const unsigned char map[BYTES], const char squeezed[BYTES]) {
  enum { BLOCK = 65536 };
  unsigned char* in = allocate(NULL, BLOCK);
  unsigned char* out = allocate(NULL, BLOCK);
  int last = -1;
  for (;;) {
    const ssize_t got = read(0, in, BLOCK);
    if (got < 0) {
      fprintf(stderr, "tr: read error: %s\n", strerror(errno));
      return 1;
    }
    if (got == 0) return 0;
    size_t length = 0;
    for (ssize_t i = 0; i < got; i++) {
      if (deleted[in[i]]) continue;
      const unsigned char byte = map[in[i]];
      if (squeezed[byte] && byte == last) continue;
      out[length++] = byte;
      last = byte;
    }
    for (size_t done = 0; done < length;) {
      const ssize_t put = write(1, out + done, length - done);
      if (put < 0) {
        fprintf(stderr, "tr: write error: %s\n", strerror(errno));
        return 1;
      }
      done += (size_t)put;
    }
  }
}

/* Reads the options of one argument (after its '-'); 0, or -1 after an unknown one's report. */
static int parse_options(const char* letters, struct options* o) {
  for (; *letters; letters++) {
    if (*letters == 'c' || *letters == 'C') o->complement = 1;
    else if (*letters == 'd') o->delete = 1;
    else if (*letters == 's') o->squeeze = 1;
    else if (*letters == 't') o->truncate = 1;
    else {
      fprintf(stderr, "tr: invalid option -- '%c'\n", *letters);
      return -1;
    }
  }
  return 0;
}

/* Whether the number of sets suits the options; reports it when not. */
static int check_operands(int count, char** operands, const struct options* o) {
  const int needed = o->delete == o->squeeze ? 2 : 1, most = o->delete &&!o->squeeze ? 1 : 2;
  if (count == 0) {
    fprintf(stderr, "tr: missing operand\n");
  } else if (count < needed) {
    fprintf(stderr, "tr: missing operand after %s\nTwo strings must be given when %s.\n", operands[count - 1],
            o->delete ? "both deleting and squeezing repeats" : "translating");
  } else if (count > most) {
    fprintf(stderr, "tr: extra operand %s\n", operands[most]);
    if (most == 1) fprintf(stderr, "Only one string may be given when deleting without squeezing repeats.\n");
  } else {
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  struct options o = {0, 0, 0, 0};
  char** operands = allocate(NULL, (size_t)argc * sizeof *operands);
  int count = 0, options_done = 0;
  for (int i = 1; i < argc; i++) {
    if (options_done || argv[i][0] != '-' || argv[i][1] == '\0') operands[count++] = argv[i];
    else if (!strcmp(argv[i], "--")) options_done = 1;
    else if (parse_options(argv[i] + 1, &o) < 0) return usage();
  }
  if (!check_operands(count, operands, &o)) return usage();
  const int translating = !o.delete &&count == 2;
  struct set s1 = parse_set(operands[0]), s2 = {NULL, 0, 0};
  if (count == 2) s2 = parse_set(operands[1]);
  char members[BYTES];
  members_of(&s1, 0, members);
  size_t length1 = set_length(&s1);
  if (o.complement) {
    length1 = 0;
    for (int c = 0; c < BYTES; c++) length1 += !members[c];
  }
  if (!translating) o.truncate = 0;
  check_sets(&s1, count == 2 ? &s2 : NULL, length1, &o);
  char deleted[BYTES], squeezed[BYTES];
  unsigned char map[BYTES];
  memset(deleted, 0, sizeof deleted);
  memset(squeezed, 0, sizeof squeezed);
  for (int c = 0; c < BYTES; c++) map[c] = (unsigned char)c;
  if (o.delete) members_of(&s1, o.complement, deleted);
  if (translating) build_map(&s1, &s2, &o, map);
  if (o.squeeze) {
    if (count == 2) members_of(&s2, 0, squeezed);
    else members_of(&s1, o.complement, squeezed);
  }
  return filter(deleted, map, squeezed);
}
