/* sed [-nsEr] [-i[SUFFIX]] [-l N] [-e SCRIPT]... [-f FILE]... [SCRIPT] [FILE...]: the stream
 * editor, as GNU sed does in the C locale. Each input line is read into the pattern space, the
 * script's commands run on it, and the pattern space is written out at the end of the cycle
 * (not with -n). The files are one stream (standard input when none, or for "-"); with -s or
 * -i each is a stream of its own, and -i writes each back in place (through a new file in its
 * folder, renamed over it; with SUFFIX, the old file is kept under its name plus SUFFIX).
 * Addresses: N (a line), $ (the last), /RE/ or \cREc (I after it: ignoring case), FIRST~STEP;
 * a range ADDR1,ADDR2 where ADDR2 may be N, $, /RE/, FIRST~STEP (up to a line it matches), +N
 * (N more lines) or ~N (up to a multiple of N), and 0,/RE/ ends at the first line if it matches; ! after the addresses negates them.
 * Commands:
 *   { ... }   a block             =  the line number       a, i, c TEXT  append, insert, change
 *   b, t, T [LABEL]  branch: always, after a substitution, after none   : LABEL
 *   d  delete, next cycle         D  delete up to the first newline, cycle without reading
 *   g G h H x  the hold space     l [N]  unambiguously, lines wrapped at N (70; -l N)
 *   n N  print / append the next line (at the end of the input: quit, printing)
 *   p P  print the pattern space / up to its first newline      F  the file's name
 *   q Q [STATUS]  quit, printing / not      r FILE  append FILE    w W FILE  write / first line
 *   s/RE/REPLACEMENT/FLAGS  flags g, N (the Nth match), p, I or i, w FILE; & and \1..\9 in the
 *             replacement, \n a newline      y/SOURCE/DEST/  transliterate     z  empty it
 * Regular expressions are POSIX basic ones (-E or -r: extended), matched by picolibc's
 * regcomp/regexec; an empty one is the last one used. In them, in replacements and in texts,
 * GNU's escapes stand for a byte: \n (a newline), \t, \a, \f, \r, \v, \cX, \dNNN, \oNNN, \xHH.
 * A line written out ends in a newline only if the line it came from did (the input's last
 * line may not), as in GNU's. A script that does not parse is reported as GNU's sed reports
 * it ("-e expression #1, char 3: ..."; status 1); a file that cannot be read is reported and
 * skipped (status 2). Not GNU's: no long options, no e, R, v, M, no \L \U \l \u in
 * replacements, no -z, no back-references in extended expressions; GNU's extensions to
 * regular expressions (\+, \?, \|, \b, \w...) are not special. A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_BAD_SCRIPT = 1, EXIT_BAD_INPUT = 2, EXIT_IO = 4, MATCHES = 10 };

/* A growing byte string. */
struct buffer {
  char* bytes;
  size_t length, capacity;
};

static void* allocate(size_t size) {
  void* p = malloc(size ? size : 1);
  if (!p) {
    fputs("sed: out of memory\n", stderr);
    exit(EXIT_IO);
  }
  return p;
}

static void reserve(struct buffer* b, size_t length) {
  if (length + 1 <= b->capacity) return;
  size_t capacity = b->capacity ? b->capacity : 64;
  while (capacity < length + 1) capacity *= 2;
  char* bytes = allocate(capacity);
  if (b->length) memcpy(bytes, b->bytes, b->length);
  free(b->bytes);
  b->bytes = bytes;
  b->capacity = capacity;
}

static void append(struct buffer* b, const char* bytes, size_t length) {
  reserve(b, b->length + length);
  memcpy(b->bytes + b->length, bytes, length);
  b->length += length;
  b->bytes[b->length] = '\0';
}

static void append_byte(struct buffer* b, char c) { append(b, &c, 1); }

static void assign(struct buffer* b, const char* bytes, size_t length) {
  b->length = 0;
  append(b, bytes, length);
}

/* An output: standard output, or a file of w, W or s///w. A last line written without its
 * newline (the input's last line had none) gets it when anything follows. */
struct output {
  char* name;
  FILE* file;
  int missing_newline;
  struct output* next;
};

struct regex {
  regex_t compiled;
  size_t groups;
};

enum address_kind {
  ADDRESS_NONE,
  ADDRESS_LINE,
  ADDRESS_LAST,
  ADDRESS_REGEX,
  ADDRESS_STEP,
  ADDRESS_PLUS,
  ADDRESS_MULTIPLE
};

struct address {
  enum address_kind kind;
  unsigned long line, step;
  struct regex* regex; /* NULL for //: the last regular expression used */
};

struct substitution {
  struct regex* regex;
  char* replacement; /* with its escapes: \0..\9 and & are references, \\ and \& literal */
  size_t replacement_length;
  int global, print;
  unsigned long occurrence;
  struct output* output;
};

struct command {
  struct address first, last;
  int negated;
  char name;
  int in_range;            /* a range started and not ended */
  unsigned long range_end; /* ADDR1,+N: the range's last line */
  struct buffer text;      /* a, i, c; the label of :, b, t, T; the file of r */
  size_t jump;             /* b, t, T: the command to go on at; {: the one after its } */
  unsigned long number;    /* q, Q: the exit status; l: the width (0: the default) */
  int has_number;
  struct substitution* substitution;
  unsigned char* map; /* y: 256 bytes */
  struct output* output;
};

/* The script, parsed. */
static struct command* commands;
static size_t command_count, command_capacity;
static struct output* outputs;
static struct output standard_output = {"/dev/stdout", NULL, 0, NULL};
static struct regex* last_regex;   /* the last one used, for // */
static struct regex* parsed_regex; /* the last one parsed, for the groups a // may refer to */

/* The options. */
static int quiet, extended, separate, in_place, line_width = 70;
static const char* backup_suffix;

static int exit_status;

/* ---- The parser ---- */

/* One piece of the script, for messages: -e's text or a -f file's. Pieces are joined by
 * newlines into one text, so a command's text may go on in the next piece, as in GNU's. */
struct piece {
  size_t start, end;
  int expression; /* -e's number, 0 for a file */
  const char* file;
};

static struct buffer script;
static struct piece* pieces;
static size_t piece_count;
static size_t position; /* the next byte of script to read */

static void add_piece(const char* text, size_t length, int expression, const char* file) {
  if (piece_count) append_byte(&script, '\n');
  struct piece* grown = allocate((piece_count + 1) * sizeof *grown);
  if (piece_count) memcpy(grown, pieces, piece_count * sizeof *grown);
  free(pieces);
  pieces = grown;
  pieces[piece_count] = (struct piece){script.length, 0, expression, file};
  append(&script, text, length);
  pieces[piece_count].end = script.length;
  piece_count++;
}

/* Whether the script's byte at `at` is the newline that joins two pieces (add_piece). */
static int joins_pieces(size_t at) {
  for (size_t i = 0; i + 1 < piece_count; ++i)
    if (pieces[i].end == at) return 1;
  return 0;
}

/* A script error, as GNU's sed words it: where (the expression and the bytes read of it, or
 * the file and line), then what. */
static void bad_script(const char* format, ...) {
  size_t at = position > script.length ? script.length : position;
  const struct piece* piece = &pieces[0];
  for (size_t i = 0; i < piece_count; ++i)
    if (pieces[i].start <= at) piece = &pieces[i];
  if (at > piece->end) at = piece->end;
  if (piece->file) {
    unsigned long line = 1;
    for (size_t i = piece->start; i < at; ++i) line += script.bytes[i] == '\n';
    if (at > piece->start && at == piece->end && script.bytes[at - 1] == '\n') line--;
    fprintf(stderr, "sed: file %s line %lu: ", piece->file, line);
  } else {
    fprintf(stderr, "sed: -e expression #%d, char %lu: ", piece->expression, (unsigned long)(at - piece->start));
  }
  va_list arguments;
  va_start(arguments, format);
  vfprintf(stderr, format, arguments);
  va_end(arguments);
  fputc('\n', stderr);
  exit(EXIT_BAD_SCRIPT);
}

static int next_char(void) {
  return position < script.length ? (unsigned char)script.bytes[position++] : (position++, EOF);
}

static void unread(int c) { position--, (void)c; }

static int is_blank(int c) { return c == ' ' || c == '\t'; }

static int skip_blanks(void) {
  int c;
  do c = next_char();
  while (is_blank(c));
  return c;
}

/* What may end a command: ;, a newline, }, # or the end. Anything else is an error. */
static void end_command(void) {
  int c = skip_blanks();
  if (c == EOF || c == '\n' || c == ';') return;
  if (c == '}' || c == '#') {
    unread(c);
    return;
  }
  bad_script("extra characters after command");
}

/* GNU's escapes of one byte, after a backslash: \a \f \n \r \t \v, \cX (control-X), \dNNN,
 * \oNNN, \xHH (decimal, octal, hexadecimal). -1 for any other byte (nothing more is read). */
static int read_escape(int c) {
  const char* controls = "a\af\fn\nr\rt\tv\v";
  const char* control = strchr(controls, c);
  if (c && control && (control - controls) % 2 == 0) return control[1];
  if (c == 'c') {
    int x = next_char();
    if (x != EOF && x != '\n') return (x >= 'a' && x <= 'z' ? x - 'a' + 'A' : x) ^ 0x40;
    unread(x);
    return -1;
  }
  int base = c == 'd' ? 10 : c == 'o' ? 8 : c == 'x' ? 16 : 0, digits = 0, value = 0;
  for (; base && digits < (base == 16 ? 2 : 3); ++digits) {
    int d = next_char();
    int digit = d >= '0' && d <= '9'   ? d - '0'
                : d >= 'a' && d <= 'f' ? d - 'a' + 10
                : d >= 'A' && d <= 'F' ? d - 'A' + 10
                                       : 99;
    if (digit >= base) {
      unread(d);
      break;
    }
    value = value * base + digit;
  }
  return digits ? value & 0xff : -1;
}

/* The text of a regular expression or a replacement, up to the delimiter not escaped:
 * \DELIMITER becomes the delimiter and GNU's escapes (read_escape) their byte; other escapes
 * are kept. 0 when the script or a line ends first (a replacement may hold an escaped
 * newline). */
static int read_delimited(int delimiter, struct buffer* out, int keep_escaped_newline) {
  out->length = 0;
  append(out, "", 0);
  for (;;) {
    int c = next_char();
    if (c == EOF) return 0;
    if (c == delimiter) return 1;
    if (c == '\n') return 0;
    if (c != '\\') {
      append_byte(out, (char)c);
      continue;
    }
    c = next_char();
    if (c == EOF) return 0;
    int escaped = c == delimiter ? c : read_escape(c);
    if (escaped >= 0) {
      append_byte(out, (char)escaped);
    } else if (c == '\n') {
      if (!keep_escaped_newline) return 0;
      append_byte(out, '\n');
    } else {
      append_byte(out, '\\');
      append_byte(out, (char)c);
    }
  }
}

static struct regex* compile(const struct buffer* pattern, int ignore_case) {
  if (pattern->length == 0) return NULL; /* the last one used */
  struct regex* regex = allocate(sizeof *regex);
  int flags = (extended ? REG_EXTENDED : 0) | (ignore_case ? REG_ICASE : 0);
  int error = regcomp(&regex->compiled, pattern->bytes, flags);
  if (error) {
    char message[128];
    regerror(error, &regex->compiled, message, sizeof message);
    bad_script("%s", message);
  }
  regex->groups = regex->compiled.re_nsub;
  parsed_regex = regex;
  return regex;
}

static int read_number(int c, unsigned long* number) {
  if (c < '0' || c > '9') return 0;
  unsigned long n = 0;
  while (c >= '0' && c <= '9') {
    n = n > (ULONG_MAX - 9) / 10 ? ULONG_MAX : n * 10 + (unsigned long)(c - '0');
    c = next_char();
  }
  unread(c);
  *number = n;
  return 1;
}

/* An address at c (its first byte, read); 0 when there is none there. */
static int read_address(int c, struct address* address, int second) {
  struct buffer pattern = {0};
  if (c == '/' || c == '\\') {
    int delimiter = c == '\\' ? next_char() : '/';
    if (delimiter == EOF || delimiter == '\n' || delimiter == '\\') bad_script("unexpected `,'");
    if (!read_delimited(delimiter, &pattern, 0)) bad_script("unterminated address regex");
    int ignore_case = 0;
    for (c = next_char(); c == 'I'; c = next_char()) ignore_case = 1;
    unread(c);
    address->kind = ADDRESS_REGEX;
    address->regex = compile(&pattern, ignore_case);
    free(pattern.bytes);
    return 1;
  }
  if (c == '$') {
    address->kind = ADDRESS_LAST;
    return 1;
  }
  if (second && (c == '+' || c == '~')) {
    if (!read_number(next_char(), &address->line)) bad_script("expected newer version of sed");
    address->kind = c == '+' ? ADDRESS_PLUS : ADDRESS_MULTIPLE;
    return 1;
  }
  if (!read_number(c, &address->line)) return 0;
  address->kind = ADDRESS_LINE;
  c = next_char();
  if (c == '~') {
    if (!read_number(next_char(), &address->step)) address->step = 0;
    /* A second address N~0 is the line N; N~M ends the range at the first line it matches. */
    if (!second || address->step) address->kind = ADDRESS_STEP;
  } else {
    unread(c);
  }
  return 1;
}

static struct output* open_output(const char* name) {
  for (struct output* o = outputs; o; o = o->next)
    if (strcmp(o->name, name) == 0) return o;
  struct output* o = allocate(sizeof *o);
  o->name = strdup(name);
  /* /dev/stdout is an output of its own on the same stream, as in GNU's: the last line's
   * missing newline is not written before what it writes. */
  o->file = strcmp(name, "/dev/stdout") == 0 ? stdout : strcmp(name, "/dev/stderr") == 0 ? stderr : fopen(name, "w");
  if (!o->file) {
    fprintf(stderr, "sed: couldn't open file %s: %s\n", name, strerror(errno));
    exit(EXIT_IO);
  }
  o->missing_newline = 0;
  o->next = outputs;
  outputs = o;
  return o;
}

/* The rest of the line after blanks: a file name or a label (which ; also ends). */
static void read_to_end_of_line(struct buffer* out) {
  out->length = 0;
  append(out, "", 0);
  int c = skip_blanks();
  while (c != EOF && c != '\n') {
    append_byte(out, (char)c);
    c = next_char();
  }
}

/* A label of :, b, t or T: after blanks, up to a blank, a semicolon or the line's end (which
 * it takes) or a } (which it leaves, a command), as GNU's sed 4.9 reads one. */
static void read_label(struct buffer* out) {
  out->length = 0;
  append(out, "", 0);
  int c = skip_blanks();
  for (; c != EOF && c != '\n' && c != ';' && c != '}' && !is_blank(c); c = next_char()) append_byte(out, (char)c);
  if (c == '}') unread(c);
}

/* The text of a, i and c: after a backslash and a newline, the lines that follow; else (GNU's
 * one-line form) the rest of the line after blanks. A backslash ending a line goes on to the
 * next; GNU's escapes are their byte (read_escape), and a backslash before another byte is
 * dropped. A backslash ending the script is an empty text, without even a newline. */
static void read_text(struct buffer* out) {
  out->length = 0;
  append(out, "", 0);
  int c = skip_blanks();
  if (c == EOF) bad_script("expected \\ after `a', `c' or `i'");
  if (c == '\\') {
    c = next_char();
    if (c == EOF) return;
    if (c == '\n') c = next_char();
  }
  while (c != EOF && c != '\n') {
    int escaped = -1;
    if (c == '\\') {
      c = next_char();
      if (c == EOF) break;
      escaped = read_escape(c);
    }
    append_byte(out, (char)(escaped >= 0 ? escaped : c));
    c = next_char();
  }
  append_byte(out, '\n');
}

static void read_substitution(struct command* command) {
  struct substitution* s = allocate(sizeof *s);
  memset(s, 0, sizeof *s);
  command->substitution = s;
  int delimiter = next_char();
  if (delimiter == EOF || delimiter == '\n' || delimiter == '\\') bad_script("unterminated `s' command");
  struct buffer pattern = {0}, replacement = {0};
  if (!read_delimited(delimiter, &pattern, 0)) bad_script("unterminated `s' command");
  if (!read_delimited(delimiter, &replacement, 1)) bad_script("unterminated `s' command");
  int ignore_case = 0, numbered = 0;
  for (;;) {
    int c = next_char();
    if (is_blank(c)) {
      continue;
    } else if (c == 'g') {
      if (s->global) bad_script("multiple `g' options to `s' command");
      s->global = 1;
    } else if (c == 'p') {
      if (s->print) bad_script("multiple `p' options to `s' command");
      s->print = 1;
    } else if (c == 'i' || c == 'I') {
      ignore_case = 1;
    } else if (c >= '0' && c <= '9') {
      if (numbered) bad_script("multiple number options to `s' command");
      read_number(c, &s->occurrence);
      if (s->occurrence == 0) bad_script("number option to `s' command may not be zero");
      numbered = 1;
    } else if (c == 'w') {
      struct buffer name = {0};
      read_to_end_of_line(&name);
      if (name.length == 0) bad_script("missing filename in r/R/w/W commands");
      s->output = open_output(name.bytes);
      free(name.bytes);
      break;
    } else if (c == EOF || c == '\n' || c == ';' || c == '}' || c == '#') {
      unread(c);
      end_command();
      break;
    } else {
      bad_script("unknown option to `s'");
    }
  }
  if (s->occurrence == 0) s->occurrence = 1;
  s->regex = compile(&pattern, ignore_case);
  size_t groups = parsed_regex ? parsed_regex->groups : 0;
  for (size_t i = 0; i + 1 < replacement.length; ++i)
    if (replacement.bytes[i] == '\\') {
      char c = replacement.bytes[++i];
      if (c >= '1' && c <= '9' && (size_t)(c - '0') > groups) {
        bad_script("invalid reference \\%c on `s' command's RHS", c);
      }
    }
  s->replacement = replacement.bytes;
  s->replacement_length = replacement.length;
  free(pattern.bytes);
}

/* y/SOURCE/DEST/: \\ is a backslash, \n a newline, \DELIMITER the delimiter. */
static void read_transliteration(struct command* command) {
  int delimiter = next_char();
  if (delimiter == EOF || delimiter == '\n' || delimiter == '\\') bad_script("unterminated `y' command");
  struct buffer sides[2] = {{0}, {0}};
  for (int side = 0; side < 2; ++side) {
    append(&sides[side], "", 0);
    for (;;) {
      int c = next_char();
      if (c == EOF || c == '\n') bad_script("unterminated `y' command");
      if (c == delimiter) break;
      if (c == '\\') {
        c = next_char();
        if (c == 'n') c = '\n';
        else if (c != '\\' && c != delimiter) bad_script("unknown option to `y'");
      }
      append_byte(&sides[side], (char)c);
    }
  }
  if (sides[0].length != sides[1].length) bad_script("strings for `y' command are different lengths");
  command->map = allocate(256);
  for (int i = 0; i < 256; ++i) command->map[i] = (unsigned char)i;
  for (size_t i = 0; i < sides[0].length; ++i)
    command->map[(unsigned char)sides[0].bytes[i]] = (unsigned char)sides[1].bytes[i];
  free(sides[0].bytes);
  free(sides[1].bytes);
  end_command();
}

static struct command* new_command(void) {
  if (command_count == command_capacity) {
    command_capacity = command_capacity ? command_capacity * 2 : 16;
    struct command* grown = allocate(command_capacity * sizeof *grown);
    if (command_count) memcpy(grown, commands, command_count * sizeof *grown);
    free(commands);
    commands = grown;
  }
  struct command* command = &commands[command_count++];
  memset(command, 0, sizeof *command);
  return command;
}

/* No range started, but 0,/RE/'s, in which a stream starts. */
static void start_ranges(void) {
  for (size_t i = 0; i < command_count; ++i)
    commands[i].in_range = commands[i].first.kind == ADDRESS_LINE && commands[i].first.line == 0;
}

static void parse_script(void) {
  size_t* blocks = allocate((script.length + 1) * sizeof *blocks); /* the open {s */
  size_t depth = 0;
  position = 0;
  if (script.length >= 2 && script.bytes[0] == '#' && script.bytes[1] == 'n' &&
      (script.length == 2 || script.bytes[2] == '\n'))
    quiet = 1;
  for (;;) {
    int c;
    do c = next_char();
    while (is_blank(c) || c == '\n' || c == ';');
    if (c == EOF) break;
    struct command* command = new_command();
    if (read_address(c, &command->first, 0)) {
      c = skip_blanks();
      if (c == ',') {
        if (!read_address(skip_blanks(), &command->last, 1)) bad_script("unexpected `,'");
        c = skip_blanks();
      }
      if ((command->first.kind == ADDRESS_LINE && command->first.line == 0) && (command->last.kind != ADDRESS_REGEX))
        bad_script("invalid usage of line address 0");
    } else if (c == ',') {
      bad_script("unexpected `,'");
    }
    if (c == '!') {
      command->negated = 1;
      c = skip_blanks();
      if (c == '!') bad_script("multiple `!'s");
    }
    int addresses = command->last.kind != ADDRESS_NONE ? 2 : command->first.kind != ADDRESS_NONE ? 1 : 0;
    command->name = (char)c;
    switch (c) {
      case EOF: bad_script("missing command"); break;
      case '\n': /* the end of an expression or a file is the end of the script; a newline inside one is no command */
        if (joins_pieces(position - 1)) bad_script("missing command");
        bad_script("unknown command: `\n'");
        break;
      case '#':
        if (addresses) bad_script("comments don't accept any addresses");
        while (c != EOF && c != '\n') c = next_char();
        command_count--;
        break;
      case '{': blocks[depth++] = command_count - 1; break;
      case '}':
        if (!depth) bad_script("unexpected `}'");
        if (addresses) bad_script("} doesn't want any addresses");
        commands[blocks[--depth]].jump = command_count;
        end_command();
        break;
      case ':':
        if (addresses) bad_script(": doesn't want any addresses");
        read_label(&command->text);
        if (command->text.length == 0) bad_script("\":\" lacks a label");
        break;
      case 'b':
      case 't':
      case 'T': read_label(&command->text); break;
      case 'a':
      case 'i':
      case 'c': read_text(&command->text); break;
      case 'r':
      case 'w':
      case 'W':
        read_to_end_of_line(&command->text);
        if (command->text.length == 0) bad_script("missing filename in r/R/w/W commands");
        if (c != 'r') command->output = open_output(command->text.bytes);
        break;
      case 'q':
      case 'Q':
      case 'l':
        if (c != 'l' && addresses > 1) bad_script("command only uses one address");
        command->has_number = read_number(skip_blanks(), &command->number);
        if (!command->has_number) unread(0);
        end_command();
        break;
      case 's': read_substitution(command); break;
      case 'y': read_transliteration(command); break;
      case '=':
      case 'd':
      case 'D':
      case 'F':
      case 'g':
      case 'G':
      case 'h':
      case 'H':
      case 'n':
      case 'N':
      case 'p':
      case 'P':
      case 'x':
      case 'z': end_command(); break;
      default: bad_script("unknown command: `%c'", c);
    }
  }
  if (depth) {
    position = 0;
    bad_script("unmatched `{'");
  }
  free(blocks);
  start_ranges();
  /* Branches: to their label, or to the end; the last one first, as GNU's, which names the
   * last branch whose label is missing. */
  for (size_t i = command_count; i-- > 0;) {
    struct command* command = &commands[i];
    if (command->name != 'b' && command->name != 't' && command->name != 'T') continue;
    command->jump = command_count;
    if (command->text.length == 0) continue;
    size_t j = 0;
    while (j < command_count && !(commands[j].name == ':' && strcmp(commands[j].text.bytes, command->text.bytes) == 0))
      ++j;
    if (j == command_count) {
      fprintf(stderr, "sed: can't find label for jump to `%s'\n", command->text.bytes);
      exit(EXIT_IO); /* GNU's panic */
    }
    command->jump = j;
  }
}

/* ---- The input ---- */

struct input {
  char** files;
  int count, next_file;
  FILE* file;
  const char* name;    /* the open file's name, "-" for standard input */
  struct buffer ahead; /* the next line, read ahead to know the last */
  int ahead_newline;   /* it ended in a newline */
  int has_ahead;
  unsigned long line; /* the number of the line in the pattern space */
  struct output* out; /* where the stream goes: standard output, or the -i file */
  char* temporary;    /* -i: the file written, renamed over name at its end */
};

/* Opens the next file that can be read; 0 at the end of the list. */
static int open_next(struct input* in) {
  while (in->next_file < in->count) {
    const char* name = in->files[in->next_file++];
    in->name = name;
    if (strcmp(name, "-") == 0 && !in_place) {
      in->file = stdin;
      return 1;
    }
    struct stat st;
    if (in_place && stat(name, &st) == 0 && !S_ISREG(st.st_mode)) {
      fprintf(stderr, "sed: couldn't edit %s: not a regular file\n", name);
      exit_status = EXIT_IO;
      continue;
    }
    in->file = fopen(name, "r");
    if (!in->file) {
      fprintf(stderr, "sed: can't read %s: %s\n", name, strerror(errno));
      exit_status = EXIT_BAD_INPUT;
      continue;
    }
    if (in_place) {
      const char* slash = strrchr(name, '/');
      size_t folder = slash ? (size_t)(slash - name + 1) : 0;
      in->temporary = allocate(folder + 16);
      memcpy(in->temporary, name, folder);
      strcpy(in->temporary + folder, "sedXXXXXX");
      int fd = mkstemp(in->temporary);
      FILE* file = fd < 0 ? NULL : fdopen(fd, "w");
      if (!file) {
        fprintf(stderr, "sed: couldn't open temporary file %s: %s\n", in->temporary, strerror(errno));
        exit(EXIT_IO);
      }
      in->out = allocate(sizeof *in->out);
      *in->out = (struct output){in->temporary, file, 0, NULL};
    }
    return 1;
  }
  return 0;
}

/* Reads the line after the one read ahead, from this file or (one stream) the next ones. */
static void read_ahead(struct input* in, int across_files) {
  in->has_ahead = 0;
  while (in->file) {
    char* line = NULL;
    size_t size = 0;
    ssize_t length = getline(&line, &size, in->file);
    if (length >= 0) {
      in->ahead_newline = length > 0 && line[length - 1] == '\n';
      assign(&in->ahead, line, (size_t)length - (size_t)in->ahead_newline);
      free(line);
      in->has_ahead = 1;
      return;
    }
    free(line);
    if (ferror(in->file)) {
      fprintf(stderr, "sed: read error on %s: %s\n", in->name, strerror(errno));
      exit_status = EXIT_IO;
    }
    if (!across_files) return;
    if (in->file != stdin) fclose(in->file);
    in->file = NULL;
    if (!open_next(in)) return;
  }
}

/* ---- Running ---- */

/* Each space knows whether its line ended in a newline, as GNU's do: a line written out gets
 * one only then. x swaps that, h g H G copy it along. The hold space starts as an empty line. */
static struct buffer pattern, hold;
static int pattern_newline, hold_newline = 1;
static int replaced; /* a substitution since the last line read or t */
static struct buffer appended;
static int append_pending; /* a or r ran: the last line's newline is written, even for nothing */

static void write_bytes(struct output* o, const char* bytes, size_t length) {
  if (o->missing_newline) {
    fputc('\n', o->file);
    o->missing_newline = 0;
  }
  fwrite(bytes, 1, length, o->file);
}

static void write_line(struct output* o, const char* bytes, size_t length, int newline) {
  write_bytes(o, bytes, length);
  if (newline) fputc('\n', o->file);
  else o->missing_newline = 1;
  if (o->file != stdout) fflush(o->file);
}

/* P and W: the pattern space up to its first newline. */
static void write_first_line(struct output* o) {
  char* newline = memchr(pattern.bytes, '\n', pattern.length);
  if (newline) write_line(o, pattern.bytes, (size_t)(newline - pattern.bytes), 1);
  else write_line(o, pattern.bytes, pattern.length, pattern_newline);
}

/* What a and r queue goes out at the end of the cycle, or before n or N read a line. */
static void flush_appended(struct output* out) {
  if (append_pending) write_bytes(out, appended.bytes, appended.length);
  appended.length = 0;
  append_pending = 0;
}

static void queue_file(const char* name) {
  append_pending = 1;
  FILE* file = strcmp(name, "/dev/stdin") == 0 ? stdin : fopen(name, "r");
  if (!file) return;
  char chunk[4096];
  size_t length;
  while ((length = fread(chunk, 1, sizeof chunk, file)) > 0) append(&appended, chunk, length);
  if (file != stdin) fclose(file);
}

static int matches(struct regex* regex, const char* text, regmatch_t* match, int flags) {
  if (!regex) regex = last_regex;
  if (!regex) {
    fputs("sed: -e expression #1, char 0: no previous regular expression\n", stderr); /* as GNU's */
    exit(EXIT_BAD_SCRIPT);
  }
  last_regex = regex;
  return regexec(&regex->compiled, text, MATCHES, match, flags) == 0;
}

static int is_last(struct input* in) { return !in->has_ahead; }

static int address_matches(struct address* a, struct input* in) {
  regmatch_t match[MATCHES];
  switch (a->kind) {
    case ADDRESS_LINE: return in->line == a->line;
    case ADDRESS_STEP:
      return a->step == 0 ? in->line == a->line : in->line >= a->line && (in->line - a->line) % a->step == 0;
    case ADDRESS_LAST: return is_last(in);
    case ADDRESS_REGEX: return matches(a->regex, pattern.bytes, match, 0);
    default: return 0;
  }
}

static int selects(struct command* c, struct input* in) {
  if (c->first.kind == ADDRESS_NONE) return 1;
  if (c->last.kind == ADDRESS_NONE) return address_matches(&c->first, in);
  if (c->in_range) {
    switch (c->last.kind) {
      case ADDRESS_LINE:
        if (in->line >= c->last.line) {
          c->in_range = 0;
          return in->line == c->last.line;
        }
        return 1;
      case ADDRESS_PLUS:
        if (in->line >= c->range_end) c->in_range = 0;
        return 1;
      case ADDRESS_MULTIPLE:
        if (c->last.line == 0 || in->line % c->last.line == 0) c->in_range = 0;
        return 1;
      default:
        if (address_matches(&c->last, in)) c->in_range = 0;
        return 1;
    }
  }
  if (!address_matches(&c->first, in)) return 0;
  switch (c->last.kind) {
    case ADDRESS_LINE: c->in_range = c->last.line > in->line; break;
    case ADDRESS_PLUS:
      c->range_end = in->line + c->last.line;
      c->in_range = c->last.line > 0;
      break;
    case ADDRESS_MULTIPLE: c->in_range = c->last.line > 0 && in->line % c->last.line != 0; break;
    case ADDRESS_LAST: c->in_range = !is_last(in); break;
    case ADDRESS_STEP: c->in_range = !address_matches(&c->last, in); break;
    default: c->in_range = 1;
  }
  return 1;
}

/* The replacement of one match: & and \0 the match, \1..\9 its groups, other escapes the
 * byte after the backslash. */
static void replace(struct buffer* out, const struct substitution* s, const char* text, const regmatch_t* match) {
  for (size_t i = 0; i < s->replacement_length; ++i) {
    char c = s->replacement[i];
    int group = -1;
    if (c == '&') {
      group = 0;
    } else if (c == '\\' && i + 1 < s->replacement_length) {
      c = s->replacement[++i];
      if (c >= '0' && c <= '9') group = c - '0';
    }
    if (group < 0) append_byte(out, c);
    else if (match[group].rm_so >= 0)
      append(out, text + match[group].rm_so, (size_t)(match[group].rm_eo - match[group].rm_so));
  }
}

static void substitute(struct command* command, struct output* out) {
  struct substitution* s = command->substitution;
  struct buffer result = {0};
  regmatch_t match[MATCHES];
  size_t start = 0, count = 0;
  int done = 0;
  append(&result, "", 0);
  while (start <= pattern.length && matches(s->regex, pattern.bytes + start, match, start ? REG_NOTBOL : 0)) {
    size_t from = start + (size_t)match[0].rm_so, to = start + (size_t)match[0].rm_eo;
    append(&result, pattern.bytes + start, from - start);
    /* An empty match where the last match ended is not one (GNU's, and Perl's). */
    if (from == to && from == start && count > 0 && done) {
      if (from < pattern.length) append_byte(&result, pattern.bytes[from]);
      start = from + 1;
      done = 0;
      continue;
    }
    if (++count < s->occurrence) {
      append(&result, pattern.bytes + from, to - from);
    } else {
      for (int g = 0; g < MATCHES; ++g)
        if (match[g].rm_so >= 0) match[g].rm_so += (regoff_t)start, match[g].rm_eo += (regoff_t)start;
      replace(&result, s, pattern.bytes, match);
      replaced = 1;
      if (!s->global) {
        start = to;
        break;
      }
    }
    done = to > from;
    if (from == to) {
      if (from < pattern.length) append_byte(&result, pattern.bytes[from]);
      start = to + 1;
    } else {
      start = to;
    }
  }
  if (start < pattern.length) append(&result, pattern.bytes + start, pattern.length - start);
  if (count >= s->occurrence) {
    free(pattern.bytes);
    pattern = result;
    if (s->print) write_line(out, pattern.bytes, pattern.length, pattern_newline);
    if (s->output) write_line(s->output, pattern.bytes, pattern.length, pattern_newline);
  } else {
    free(result.bytes);
  }
}

/* l: the pattern space unambiguously, \-escaped, wrapped at width - 1 with a \, ending in $. */
static void list(struct output* out, unsigned long width) {
  struct buffer line = {0};
  size_t column = 0;
  append(&line, "", 0);
  for (size_t i = 0; i < pattern.length; ++i) {
    unsigned char c = (unsigned char)pattern.bytes[i];
    char item[8];
    const char* escapes = "\\\\\aa\bb\ff\nn\rr\tt\vv";
    const char* e = c ? strchr(escapes, c) : NULL;
    if (e && (e - escapes) % 2 == 0) snprintf(item, sizeof item, "\\%c", e[1]);
    else if (c >= 0x20 && c < 0x7f) snprintf(item, sizeof item, "%c", c);
    else snprintf(item, sizeof item, "\\%03o", c);
    size_t length = strlen(item);
    if (width > 0 && column + length > width - 1) {
      append(&line, "\\\n", 2);
      column = 0;
    }
    append(&line, item, length);
    column += length;
  }
  append(&line, "$\n", 2);
  write_bytes(out, line.bytes, line.length);
  free(line.bytes);
}

/* Moves the line read ahead into the pattern space (replacing it, or after a newline). */
static int take_line(struct input* in, int add, int across_files) {
  if (!in->has_ahead) return 0;
  if (add) {
    append_byte(&pattern, '\n');
    append(&pattern, in->ahead.bytes, in->ahead.length);
  } else {
    assign(&pattern, in->ahead.bytes, in->ahead.length);
  }
  pattern_newline = in->ahead_newline;
  in->line++;
  read_ahead(in, across_files);
  return 1;
}

enum cycle_end { CYCLE_NEXT, CYCLE_DELETED, CYCLE_RESTART, CYCLE_QUIT, CYCLE_QUIT_SILENT };

static enum cycle_end run(struct input* in, int across_files, int* status) {
  struct output* out = in->out;
  for (size_t pc = 0; pc < command_count; ++pc) {
    struct command* c = &commands[pc];
    if (selects(c, in) == c->negated) {
      if (c->name == '{') pc = c->jump - 1;
      continue;
    }
    switch (c->name) {
      case '{':
      case '}':
      case ':': break;
      case '=': {
        char number[24];
        int length = snprintf(number, sizeof number, "%lu\n", in->line);
        write_bytes(out, number, (size_t)length);
        break;
      }
      case 'a':
        append(&appended, c->text.bytes, c->text.length);
        append_pending = 1;
        break;
      case 'i': write_bytes(out, c->text.bytes, c->text.length); break;
      case 'c':
        if (c->last.kind == ADDRESS_NONE || !c->in_range || c->negated) write_bytes(out, c->text.bytes, c->text.length);
        return CYCLE_DELETED;
      case 'b': pc = c->jump - 1; break;
      case 't':
        if (replaced) replaced = 0, pc = c->jump - 1;
        break;
      case 'T':
        if (!replaced) pc = c->jump - 1;
        else replaced = 0;
        break;
      case 'd': return CYCLE_DELETED;
      case 'D': {
        char* newline = memchr(pattern.bytes, '\n', pattern.length);
        if (!newline) return CYCLE_DELETED;
        size_t cut = (size_t)(newline - pattern.bytes) + 1;
        memmove(pattern.bytes, pattern.bytes + cut, pattern.length - cut + 1);
        pattern.length -= cut;
        return CYCLE_RESTART;
      }
      case 'F':
        write_bytes(out, in->name, strlen(in->name));
        write_bytes(out, "\n", 1);
        break;
      case 'g':
        assign(&pattern, hold.bytes ? hold.bytes : "", hold.length);
        pattern_newline = hold_newline;
        break;
      case 'G':
        append_byte(&pattern, '\n');
        append(&pattern, hold.bytes ? hold.bytes : "", hold.length);
        pattern_newline = hold_newline;
        break;
      case 'h':
        assign(&hold, pattern.bytes, pattern.length);
        hold_newline = pattern_newline;
        break;
      case 'H':
        append_byte(&hold, '\n');
        append(&hold, pattern.bytes, pattern.length);
        hold_newline = pattern_newline;
        break;
      case 'x': {
        struct buffer swap = pattern;
        pattern = hold;
        hold = swap;
        append(&pattern, "", 0);
        int newline = pattern_newline;
        pattern_newline = hold_newline;
        hold_newline = newline;
        break;
      }
      case 'l': list(out, c->has_number ? c->number : (unsigned long)line_width); break;
      case 'n':
      case 'N': /* at the end of the input: the cycle ends, as GNU's (POSIX's N prints nothing) */
        if (!in->has_ahead) return CYCLE_NEXT;
        if (c->name == 'n' && !quiet) write_line(out, pattern.bytes, pattern.length, pattern_newline);
        flush_appended(out);
        take_line(in, c->name == 'N', across_files);
        break;
      case 'p': write_line(out, pattern.bytes, pattern.length, pattern_newline); break;
      case 'P': write_first_line(out); break;
      case 'q':
      case 'Q': *status = (int)c->number; return c->name == 'q' ? CYCLE_QUIT : CYCLE_QUIT_SILENT;
      case 'r': queue_file(c->text.bytes); break;
      case 's': substitute(c, out); break;
      case 'w': write_line(c->output, pattern.bytes, pattern.length, pattern_newline); break;
      case 'W': write_first_line(c->output); break;
      case 'y':
        for (size_t i = 0; i < pattern.length; ++i) pattern.bytes[i] = (char)c->map[(unsigned char)pattern.bytes[i]];
        break;
      case 'z':
        pattern.length = 0;
        pattern.bytes[0] = '\0';
        break;
    }
  }
  return CYCLE_NEXT;
}

/* Runs the script over one stream; 1 when it quit. */
static int process(struct input* in, int across_files) {
  read_ahead(in, across_files);
  int restart = 0, status = -1;
  for (;;) {
    if (!restart) {
      if (!take_line(in, 0, across_files)) return 0;
      replaced = 0;
    }
    restart = 0;
    enum cycle_end end = run(in, across_files, &status);
    if ((end == CYCLE_NEXT || end == CYCLE_QUIT) && !quiet)
      write_line(in->out, pattern.bytes, pattern.length, pattern_newline);
    if (end != CYCLE_QUIT_SILENT) flush_appended(in->out);
    if (end == CYCLE_RESTART) restart = 1;
    if (end == CYCLE_QUIT || end == CYCLE_QUIT_SILENT) {
      if (status > 0) exit_status = status;
      return 1;
    }
  }
}

static void close_in_place(struct input* in) {
  if (!in->temporary) return;
  if (fclose(in->out->file) != 0) {
    fprintf(stderr, "sed: couldn't close %s: %s\n", in->temporary, strerror(errno));
    exit(EXIT_IO);
  }
  if (backup_suffix && *backup_suffix) {
    char* backup = allocate(strlen(in->name) + strlen(backup_suffix) + 1);
    strcat(strcpy(backup, in->name), backup_suffix);
    if (rename(in->name, backup) != 0) fprintf(stderr, "sed: cannot rename %s: %s\n", in->name, strerror(errno));
    free(backup);
  }
  if (rename(in->temporary, in->name) != 0) {
    fprintf(stderr, "sed: cannot rename %s: %s\n", in->temporary, strerror(errno));
    exit(EXIT_IO);
  }
  free(in->temporary);
  free(in->out);
  in->temporary = NULL;
  in->out = &standard_output;
}

static void usage(void) {
  fputs("Usage: sed [-nsEr] [-i[SUFFIX]] [-l N] [-e SCRIPT]... [-f FILE]... [SCRIPT] [FILE...]\n", stderr);
  exit(EXIT_BAD_SCRIPT);
}

static void add_script_file(const char* name) {
  FILE* file = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
  if (!file) {
    fprintf(stderr, "sed: couldn't open file %s: %s\n", name, strerror(errno));
    exit(EXIT_BAD_SCRIPT);
  }
  struct buffer text = {0};
  char chunk[4096];
  size_t length;
  append(&text, "", 0);
  while ((length = fread(chunk, 1, sizeof chunk, file)) > 0) append(&text, chunk, length);
  if (file != stdin) fclose(file);
  if (text.length && text.bytes[text.length - 1] == '\n') text.length--;
  add_piece(text.bytes, text.length, 0, name);
  free(text.bytes);
}

int main(int argc, char** argv) {
  standard_output.file = stdout;
  int expressions = 0, i = 1;
  char** files = allocate((size_t)argc * sizeof *files);
  int file_count = 0, options_done = 0;
  for (; i < argc; ++i) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      files[file_count++] = argv[i];
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      options_done = 1;
      continue;
    }
    for (const char* o = arg + 1; *o; ++o) {
      if (*o == 'n') quiet = 1;
      else if (*o == 'E' || *o == 'r') extended = 1;
      else if (*o == 's') separate = 1;
      else if (*o == 'i') {
        in_place = separate = 1;
        backup_suffix = o + 1;
        break;
      } else if (*o == 'e' || *o == 'f' || *o == 'l') {
        const char* value = o[1] ? o + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value) {
          fprintf(stderr, "sed: option requires an argument -- '%c'\n", *o);
          usage();
        }
        if (*o == 'e') {
          add_piece(value, strlen(value), ++expressions, NULL);
        } else if (*o == 'f') {
          add_script_file(value);
        } else {
          line_width = atoi(value); /* as GNU's: "x" is 0, no wrapping */
        }
        break;
      } else {
        fprintf(stderr, "sed: invalid option -- '%c'\n", *o);
        usage();
      }
    }
  }
  if (!piece_count) {
    if (file_count == 0) usage();
    const char* text = files[0];
    add_piece(text, strlen(text), 1, NULL);
    memmove(files, files + 1, (size_t)--file_count * sizeof *files);
  }
  parse_script();
  if (in_place && file_count == 0) {
    fputs("sed: no input files\n", stderr);
    return EXIT_BAD_SCRIPT;
  }
  static char* standard_input[] = {"-"};
  struct input in = {0};
  in.files = file_count ? files : standard_input;
  in.count = file_count ? file_count : 1;
  in.out = &standard_output;
  append(&pattern, "", 0);
  append(&appended, "", 0);
  if (separate) {
    while (open_next(&in)) {
      in.line = 0; /* each file its own stream: its lines counted anew, the hold space empty */
      hold.length = 0;
      hold_newline = 1;
      start_ranges();
      int quit = process(&in, 0);
      if (in.file && in.file != stdin) fclose(in.file);
      in.file = NULL;
      close_in_place(&in);
      if (quit) break;
    }
  } else if (open_next(&in)) {
    process(&in, 1);
  }
  for (struct output* o = outputs; o; o = o->next)
    if (o->file != stdout && o->file != stderr && fclose(o->file) != 0) exit_status = EXIT_IO;
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "sed: couldn't write to stdout: %s\n", strerror(errno));
    return EXIT_IO;
  }
  return exit_status;
}
