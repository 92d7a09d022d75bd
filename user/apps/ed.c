/* ed [-s] [-p PROMPT] [FILE]: the standard editor, as GNU ed does in the C locale. The file is
 * read into a buffer of lines; commands read from standard input edit it and w writes it back.
 * A command is [ADDRESS[,ADDRESS]]COMMAND[PARAMETERS], an address one of . $ N 'x /RE/ ?RE?
 * (// and ?? the last one) followed by +N -N + - offsets; "," is 1,$, ";" is .,$, and ";"
 * between two addresses makes the first the current line. Commands (default addresses):
 *   (.)a (.)i (.,.)c  text lines follow, up to a line holding "."     (.,.)d  delete
 *   e FILE, E FILE  edit another file      f [FILE]  the file name     q, Q  quit
 *   (1,$)g/RE/COMMANDS, (1,$)v/RE/COMMANDS  on each line matching, or not (the commands on
 *           lines ending in a backslash; nothing is p)
 *   h  the last error's explanation        H  explain each error from now on
 *   (.,.+1)j  join      (.)kx  mark x      (.,.)l (.,.)n (.,.)p  print: unambiguously,
 *   numbered, as it is        (.,.)mA  move after A        (.,.)tA  copy after A
 *   P  the prompt (-p, else "*") on or off     ($)r FILE  read FILE in after the line
 *   (.,.)s/RE/REPLACEMENT/[g|N][p|l|n]  substitute (& and \1..\9; % alone: the last
 *           replacement; a backslash at the end of the line goes on with a newline in it);
 *           s[g|N][p|l|n] again      u  undo the last change (u again: redo)
 *   (1,$)w FILE, W FILE  write, append; wq    (.+1)zN  N lines (22)    ($)=  the line number
 *   (.+1)  an address alone prints the line
 * and p, l or n after most commands print the current line after them. Regular expressions are
 * POSIX basic ones (picolibc's regcomp/regexec). The sizes read and written are said in bytes
 * (not with -s). An error is said with "?" (and its explanation after H); when the commands do
 * not come from a terminal, the status is then 1. q and e refuse once to lose changes not
 * written ("Warning: buffer modified"); so does the end of the input (then status 2). Not GNU's:
 * no !COMMAND, no G, V, x, y, no long options, no -l, -r, -v; GNU's extensions to regular
 * expressions are not special. A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MATCHES = 10, LIST_WIDTH = 72 };

static void* allocate(size_t size) {
  void* p = malloc(size ? size : 1);
  if (!p) {
    fputs("ed: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static char* copy(const char* text, size_t length) {
  char* line = allocate(length + 1);
  memcpy(line, text, length);
  line[length] = '\0';
  return line;
}

/* The buffer: lines[0..count), each a string of its own that no change writes into, so an
 * undo keeps the old array of pointers and marks name a line by its string. */
struct buffer {
  char** lines;
  long count, capacity;
  long current; /* ".": 0 when the buffer is empty */
  int modified;
};

static struct buffer buffer, undo_buffer;
static int undo_valid;
static char* marks[26];
static char* file_name;
static const char* prompt = "*";
static int prompting, quiet, explain, interactive, script, had_error;
/* The last command (or the end of the input) refused to lose changes; the one before it. */
static int warned, warned_before;
static long input_line; /* the number of the last line read from standard input */
static const char* last_error;
static regex_t* last_regex;
static int in_global;

/* The line a command reads its parameters from, and where in it. */
static char* command_line;
static size_t command_size;
static const char* cursor;

static void reserve_lines(struct buffer* b, long count) {
  if (count <= b->capacity) return;
  long capacity = b->capacity ? b->capacity : 64;
  while (capacity < count) capacity *= 2;
  char** lines = allocate((size_t)capacity * sizeof *lines);
  if (b->count) memcpy(lines, b->lines, (size_t)b->count * sizeof *lines);
  free(b->lines);
  b->lines = lines;
  b->capacity = capacity;
}

/* Inserts `n` lines after line `after` (0: at the top). */
static void insert_lines(long after, char** lines, long n) {
  reserve_lines(&buffer, buffer.count + n);
  memmove(buffer.lines + after + n, buffer.lines + after, (size_t)(buffer.count - after) * sizeof *buffer.lines);
  memcpy(buffer.lines + after, lines, (size_t)n * sizeof *lines);
  buffer.count += n;
  if (n) buffer.modified = undo_valid = 1;
}

/* Deletes lines from..to. A mark on one names a line no longer in the buffer (an invalid
 * address) until u brings it back. */
static void delete_lines(long from, long to) {
  memmove(buffer.lines + from - 1, buffer.lines + to, (size_t)(buffer.count - to) * sizeof *buffer.lines);
  buffer.count -= to - from + 1;
  buffer.modified = undo_valid = 1;
}

/* The state before a command that may change the buffer, for u (a global command's changes
 * are one: it saves before its commands run). There is something to undo once a line was
 * inserted or deleted after it: a command that fails first, or changes nothing, leaves
 * nothing to undo, as in GNU's. */
static void save_undo(void) {
  if (in_global) return;
  undo_valid = 0;
  free(undo_buffer.lines);
  undo_buffer = buffer;
  undo_buffer.lines = allocate((size_t)(buffer.count ? buffer.count : 1) * sizeof *buffer.lines);
  if (buffer.count) memcpy(undo_buffer.lines, buffer.lines, (size_t)buffer.count * sizeof *buffer.lines);
  undo_buffer.capacity = buffer.count;
}

/* An error: the command is abandoned with "?" said, and its explanation after H. */
static int fail(const char* message) {
  last_error = message;
  return -1;
}

/* ---- Reading files ---- */

/* Reads `name` in after line `after`; the number of bytes read, or -1. */
static long read_file(const char* name, long after) {
  FILE* file = fopen(name, "r");
  if (!file) {
    fprintf(stderr, "%s: %s\n", name, strerror(errno));
    return fail("Cannot open input file");
  }
  char** lines = NULL;
  long n = 0, capacity = 0, bytes = 0;
  char* line = NULL;
  size_t size = 0;
  ssize_t length;
  int newline_appended = 0;
  while ((length = getline(&line, &size, file)) >= 0) {
    bytes += length;
    if (length > 0 && line[length - 1] == '\n') length--;
    else newline_appended = 1, bytes++;
    if (n == capacity) {
      capacity = capacity ? capacity * 2 : 64;
      char** grown = allocate((size_t)capacity * sizeof *grown);
      if (n) memcpy(grown, lines, (size_t)n * sizeof *lines);
      free(lines);
      lines = grown;
    }
    lines[n++] = copy(line, (size_t)length);
  }
  free(line);
  int failed = ferror(file);
  fclose(file);
  if (failed) {
    fprintf(stderr, "%s: %s\n", name, strerror(errno));
    free(lines);
    return fail("Cannot read input file");
  }
  if (newline_appended) puts("Newline appended");
  insert_lines(after, lines, n);
  free(lines);
  buffer.current = after + n;
  return bytes;
}

static long write_file(const char* name, const char* mode, long from, long to) {
  FILE* file = fopen(name, mode);
  if (!file) {
    fprintf(stderr, "%s: %s\n", name, strerror(errno));
    return fail("Cannot open output file");
  }
  long bytes = 0;
  for (long i = from; i <= to && i > 0; ++i) {
    fputs(buffer.lines[i - 1], file);
    fputc('\n', file);
    bytes += (long)strlen(buffer.lines[i - 1]) + 1;
  }
  if (fclose(file) != 0) {
    fprintf(stderr, "%s: %s\n", name, strerror(errno));
    return fail("Cannot write output file");
  }
  return bytes;
}

static void say_size(long bytes) {
  if (!quiet) printf("%ld\n", bytes);
}

/* ---- Regular expressions ---- */

static regex_t* compile(const char* pattern) {
  regex_t* regex = allocate(sizeof *regex);
  int error = regcomp(regex, pattern, 0);
  if (error) {
    static char message[128];
    regerror(error, regex, message, sizeof message);
    free(regex);
    fail(message);
    return NULL;
  }
  return regex;
}

/* The pattern after a delimiter at cursor (read), up to the same delimiter or the end of the
 * line: the compiled one, or the last one for an empty pattern. */
static regex_t* read_pattern(int delimiter) {
  const char* start = cursor;
  while (*cursor && *cursor != delimiter && *cursor != '\n') {
    if (*cursor == '\\' && cursor[1] && cursor[1] != '\n') cursor++;
    else if (*cursor == '[') { /* a bracket expression may hold the delimiter */ const char* end = cursor + 1;
      if (*end == '^') end++;
      if (*end == ']') end++;
      while (*end && *end != ']' && *end != '\n') end++;
      if (*end == ']') cursor = end;
    }
    cursor++;
  }
  if (cursor == start) {
    if (!last_regex) fail("No previous pattern");
    return last_regex;
  }
  char* pattern = copy(start, (size_t)(cursor - start));
  regex_t* regex = compile(pattern);
  free(pattern);
  if (regex) last_regex = regex;
  return regex;
}

static int line_matches(long line, regex_t* regex) {
  regmatch_t match[1];
  return regexec(regex, buffer.lines[line - 1], 1, match, 0) == 0;
}

/* ---- Addresses ---- */

static void skip_blanks(void) {
  while (*cursor == ' ' || *cursor == '\t') cursor++;
}

static long read_number(void) {
  long n = 0;
  while (*cursor >= '0' && *cursor <= '9') n = n > 100000000 ? n : n * 10 + (*cursor++ - '0');
  return n;
}

/* One address with its offsets: -1 when there is none, -2 after an error. Sets *counted for
 * "," and ";" alone, which stand for two. */
static long next_address(long* second, int* counted) {
  skip_blanks();
  const char* start = cursor;
  long address = buffer.current;
  int first = 1;
  for (;;) {
    char c = *cursor;
    if (c >= '0' && c <= '9') {
      if (!first) return fail("Invalid address"), -2;
      address = read_number();
    } else if (c == '+' || c == '-' || c == ' ' || c == '\t') {
      cursor++;
      if (*cursor >= '0' && *cursor <= '9') {
        long n = read_number();
        address += c == '-' ? -n : n;
      } else if (c == '+') {
        address++;
      } else if (c == '-') {
        address--;
      }
    } else if (c == '.' || c == '$') {
      if (!first) return fail("Invalid address"), -2;
      cursor++;
      address = c == '.' ? buffer.current : buffer.count;
    } else if (c == '/' || c == '?') {
      if (!first) return fail("Invalid address"), -2;
      cursor++;
      regex_t* regex = read_pattern(c);
      if (!regex) return -2;
      if (*cursor == c) cursor++;
      long line = buffer.current;
      for (long i = 0; i < buffer.count; ++i) {
        line = c == '/' ? line % buffer.count + 1 : (line + buffer.count - 2) % buffer.count + 1;
        if (line_matches(line, regex)) break;
        if (i == buffer.count - 1) line = -1;
      }
      if (buffer.count == 0 || line < 0) return fail("No match"), -2;
      address = line;
    } else if (c == '\'') {
      if (!first) return fail("Invalid address"), -2;
      cursor++;
      char m = *cursor;
      if (m < 'a' || m > 'z') return fail("Invalid mark character"), -2;
      cursor++;
      long line = 0;
      for (long i = 0; i < buffer.count && !line; ++i)
        if (marks[m - 'a'] == buffer.lines[i]) line = i + 1;
      if (!line) return fail("Invalid address"), -2;
      address = line;
    } else if ((c == ',' || c == ';' || c == '%') && first) {
      cursor++;
      (*counted)++;
      *second = c == ';' ? buffer.current : 1;
      address = buffer.count;
    } else {
      if (cursor == start) return -1;
      if (address < 0 || address > buffer.count) return fail("Invalid address"), -2;
      (*counted)++;
      return address;
    }
    first = 0;
  }
}

/* The addresses before a command: their count (at most 2), or -1 after an error. */
static long first_address, second_address;

static int read_addresses(void) {
  int counted = 0;
  long address;
  first_address = second_address = buffer.current;
  while ((address = next_address(&second_address, &counted)) >= 0) {
    first_address = second_address;
    second_address = address;
    if (*cursor != ',' && *cursor != ';') break;
    if (*cursor == ';') buffer.current = address;
    cursor++;
  }
  if (address == -2) return -1;
  if (counted > 2) counted = 2;
  if (counted == 1 || second_address != address) first_address = second_address;
  return counted;
}

/* Fills in the default addresses of a command taking a range, and checks the range. */
static int default_range(int counted, long from, long to) {
  if (counted == 0) first_address = from, second_address = to;
  if (first_address < 1 || first_address > second_address || second_address > buffer.count)
    return fail("Invalid address");
  return 0;
}

/* ---- Printing ---- */

static void print_line(long line, char how) {
  const char* text = buffer.lines[line - 1];
  if (how == 'n') printf("%ld\t", line);
  if (how != 'l') {
    puts(text);
    return;
  }
  size_t column = 0;
  for (const unsigned char* c = (const unsigned char*)text; *c; ++c) {
    char item[8];
    const char* escapes = "\\\\\aa\bb\ff\rr\tt\vv";
    const char* e = strchr(escapes, *c);
    if (e && (e - escapes) % 2 == 0) snprintf(item, sizeof item, "\\%c", e[1]);
    else if (*c >= 0x20 && *c < 0x7f) snprintf(item, sizeof item, "%c", *c);
    else snprintf(item, sizeof item, "\\%03o", *c);
    size_t length = strlen(item);
    if (column + length > LIST_WIDTH) {
      fputs("\\\n", stdout);
      column = 0;
    }
    fputs(item, stdout);
    column += length;
  }
  puts("$");
}

/* ---- Input ---- */

/* The next line of standard input, without its newline; NULL at the end. */
static char* read_line(void) {
  ssize_t length = getline(&command_line, &command_size, stdin);
  if (length < 0) return NULL;
  input_line++;
  if (length > 0 && command_line[length - 1] == '\n') command_line[length - 1] = '\0';
  return command_line;
}

/* The text of a, i and c: lines up to one holding ".", inserted after `after`. Lines come
 * from the global command's list when one runs it. */
static const char* global_text;

static void read_text(long after) {
  for (;;) {
    const char* line;
    size_t length;
    if (in_global) {
      if (!global_text || !*global_text) break;
      const char* end = strchr(global_text, '\n');
      length = end ? (size_t)(end - global_text) : strlen(global_text);
      line = global_text;
      global_text = end ? end + 1 : NULL;
    } else {
      line = read_line();
      if (!line) break;
      length = strlen(line);
    }
    if (length == 1 && line[0] == '.') break;
    char* text = copy(line, length);
    insert_lines(after++, &text, 1);
  }
  buffer.current = after;
}

/* ---- Commands ---- */

/* The p, l or n after a command; -1 for anything else. */
static int read_suffix(char* how) {
  *how = 0;
  while (*cursor == 'p' || *cursor == 'l' || *cursor == 'n') *how = *cursor++;
  if (*cursor != '\0' && *cursor != '\n') return fail("Invalid command suffix");
  return 0;
}

/* A file name parameter: after blanks, to the end of the line; the default one when empty. */
static const char* read_file_name(int required) {
  if (*cursor && *cursor != ' ' && *cursor != '\t') {
    fail("Unexpected command suffix");
    return NULL;
  }
  skip_blanks();
  if (*cursor) return cursor;
  if (!file_name && required) {
    fail("No current filename");
    return NULL;
  }
  return file_name ? file_name : "";
}

static void set_file_name(const char* name) {
  if (!*name) return;
  free(file_name);
  file_name = copy(name, strlen(name));
}

/* s: the substitution of the last one when none is given. */
struct substitution {
  regex_t* regex;
  char* replacement;
  int global;
  long occurrence;
};
static struct substitution last_substitution;

/* Appends `n` bytes to the string *out of *length bytes (kept ending in a NUL). */
static void append(char** out, size_t* length, const char* bytes, size_t n) {
  char* grown = realloc(*out, *length + n + 1);
  if (!grown) allocate((size_t)-1);
  memcpy(grown + *length, bytes, n);
  *length += n;
  grown[*length] = '\0';
  *out = grown;
}

static void replace(char** out, size_t* length, const char* replacement, const char* text, const regmatch_t* match) {
  for (const char* r = replacement; *r; ++r) {
    int group = -1;
    char c = *r;
    if (c == '&') group = 0;
    else if (c == '\\' && r[1]) {
      c = *++r;
      if (c >= '1' && c <= '9') group = c - '0';
    }
    const char* bytes = &c;
    size_t n = 1;
    if (group >= 0) {
      if (match[group].rm_so < 0) continue;
      bytes = text + match[group].rm_so;
      n = (size_t)(match[group].rm_eo - match[group].rm_so);
    }
    append(out, length, bytes, n);
  }
}

/* Substitutes in line `line`; the lines it became (a newline in the replacement splits it),
 * or 0 when nothing matched. */
static long substitute_line(long line, const struct substitution* s) {
  const char* text = buffer.lines[line - 1];
  size_t text_length = strlen(text), start = 0, length = 0;
  char* out = NULL;
  long count = 0;
  int replaced = 0;
  regmatch_t match[MATCHES];
  while (start <= text_length && regexec(s->regex, text + start, MATCHES, match, start ? REG_NOTBOL : 0) == 0) {
    size_t from = start + (size_t)match[0].rm_so, to = start + (size_t)match[0].rm_eo;
    if (s->global && from == to && from < text_length) {
      free(out);
      return fail("Infinite substitution loop");
    }
    for (int g = 0; g < MATCHES; ++g)
      if (match[g].rm_so >= 0) match[g].rm_so += (regoff_t)start, match[g].rm_eo += (regoff_t)start;
    append(&out, &length, text + start, from - start);
    if (++count >= s->occurrence) {
      replace(&out, &length, s->replacement, text, match);
      replaced = 1;
    } else {
      append(&out, &length, text + from, to - from);
    }
    if (replaced && !s->global) {
      start = to;
      break;
    }
    if (from == to) {
      if (from < text_length) append(&out, &length, text + from, 1);
      start = to + 1;
    } else {
      start = to;
    }
  }
  if (!replaced) {
    free(out);
    return 0;
  }
  if (start < text_length) append(&out, &length, text + start, text_length - start);
  /* The result, cut at its newlines, replaces the line (a new line: its marks stay with the
   * old one, which u brings back): in place when it is one line, else by a deletion and
   * insertions. */
  if (!strchr(out, '\n')) {
    buffer.lines[line - 1] = out;
    buffer.modified = undo_valid = 1;
    return 1;
  }
  long lines = 0;
  char* piece = out;
  delete_lines(line, line);
  for (;;) {
    char* newline = strchr(piece, '\n');
    char* text_line = copy(piece, newline ? (size_t)(newline - piece) : strlen(piece));
    insert_lines(line - 1 + lines++, &text_line, 1);
    if (!newline) break;
    piece = newline + 1;
  }
  free(out);
  return lines;
}

static int substitute(int counted, char* how) {
  if (default_range(counted, buffer.current, buffer.current) < 0) return -1;
  struct substitution s = last_substitution;
  char delimiter = *cursor;
  if (delimiter && delimiter != ' ' && delimiter != '\n' && delimiter != 'g' && delimiter != 'p' && delimiter != 'l' &&
      delimiter != 'n' && !(delimiter >= '0' && delimiter <= '9')) {
    cursor++;
    s.regex = read_pattern(delimiter);
    if (!s.regex) return -1;
    if (*cursor != delimiter) return fail("Missing pattern delimiter");
    cursor++;
    /* The replacement: to the delimiter; a backslash ending the line goes on to the next. */
    size_t length = 0;
    char* replacement = NULL;
    append(&replacement, &length, "", 0);
    while (*cursor && *cursor != delimiter) {
      if (*cursor == '\\' && cursor[1] == '\0') {
        const char* next = in_global ? NULL : read_line();
        if (!next) return fail("Unexpected end of file");
        append(&replacement, &length, "\n", 1);
        cursor = next;
        continue;
      }
      size_t n = *cursor == '\\' ? 2 : 1;
      append(&replacement, &length, cursor, n);
      cursor += n;
    }
    if (strcmp(replacement, "%") == 0) {
      if (!last_substitution.replacement) return fail("No previous substitution");
      free(replacement);
      replacement = last_substitution.replacement;
    }
    s.replacement = replacement;
    s.global = 0;
    s.occurrence = 1;
    if (*cursor == delimiter) {
      cursor++;
    } else {
      *how = 'p'; /* no last delimiter: the line is printed, as POSIX says */
    }
  } else if (!last_substitution.regex) {
    return fail("No previous substitution");
  }
  /* g (again: g toggles it) or a count, not both */
  if (*cursor == 'g') {
    s.global = !s.global;
    cursor++;
  } else if (*cursor >= '0' && *cursor <= '9') {
    s.occurrence = read_number();
  }
  if (*cursor == 'g' || (*cursor >= '0' && *cursor <= '9')) return fail("Invalid command suffix");
  char suffix;
  if (read_suffix(&suffix) < 0) return -1;
  if (suffix) *how = suffix;
  last_substitution = s;
  save_undo();
  long line = first_address, last = second_address, changed = 0;
  while (line <= last) {
    long lines = substitute_line(line, &s);
    if (lines < 0) return -1;
    if (lines) {
      changed = line + lines - 1;
      last += lines - 1;
      line += lines;
    } else {
      line++;
    }
  }
  if (!changed) return in_global ? 0 : fail("No match");
  buffer.current = changed;
  return 0;
}

static int run_command(void);

/* g and v: each line that matches (or not) marked first, then the commands run on each. */
static int global(int counted, int matching) {
  if (in_global) return fail("Cannot nest global commands");
  if (default_range(counted, 1, buffer.count) < 0) return -1;
  char delimiter = *cursor;
  if (!delimiter || delimiter == ' ' || delimiter == '\n') return fail("Invalid pattern delimiter");
  cursor++;
  regex_t* regex = read_pattern(delimiter);
  if (!regex) return -1;
  if (*cursor == delimiter) cursor++;
  /* The command list: the rest of the line, and the next ones while a line ends in \. */
  size_t length = strlen(cursor);
  char* list = copy(cursor, length);
  while (length && list[length - 1] == '\\') {
    list[length - 1] = '\n';
    const char* next = read_line();
    if (!next) break;
    append(&list, &length, next, strlen(next));
  }
  if (length == 0) append(&list, &length, "p", 1);
  char** selected = allocate((size_t)(buffer.count ? buffer.count : 1) * sizeof *selected);
  long count = 0;
  for (long i = first_address; i <= second_address; ++i)
    if (line_matches(i, regex) == matching) selected[count++] = buffer.lines[i - 1];
  save_undo();
  in_global = 1;
  int status = 0;
  for (long k = 0, line = 0; k < count && status == 0; ++k) {
    /* Where the line is now: looked for from where the last one was (the commands seldom move
     * lines), around the buffer; not found when the commands on an earlier line deleted it. */
    long found = 0;
    for (long n = 0; n < buffer.count && !found; ++n)
      if (buffer.lines[(line + n) % buffer.count] == selected[k]) found = (line + n) % buffer.count + 1;
    if (!found) continue;
    line = found;
    buffer.current = line;
    const char* commands = list;
    while (commands && status == 0) {
      const char* end = strchr(commands, '\n');
      char* one = copy(commands, end ? (size_t)(end - commands) : strlen(commands));
      global_text = end ? end + 1 : NULL;
      cursor = one;
      status = run_command();
      commands = global_text;
      free(one);
    }
  }
  in_global = 0;
  free(selected);
  free(list);
  return status;
}

/* Runs the command at cursor; 1 to quit, -1 after an error. */
static int run_command(void) {
  int counted = read_addresses();
  if (counted < 0) return -1;
  skip_blanks();
  char name = *cursor ? *cursor++ : '\0', how = 0;
  switch (name) {
    case 'a':
    case 'i':
    case 'c': {
      if (read_suffix(&how) < 0) return -1;
      if (name == 'c' && default_range(counted, buffer.current, buffer.current) < 0) return -1;
      long after = counted ? second_address : buffer.current;
      save_undo();
      if (name == 'c') {
        delete_lines(first_address, second_address);
        after = first_address - 1;
      } else if (name == 'i' && after > 0) {
        after--;
      }
      read_text(after);
      if (name == 'c' && buffer.current == after) buffer.current = after + 1 > buffer.count ? buffer.count : after + 1;
      break;
    }
    case 'd':
      if (default_range(counted, buffer.current, buffer.current) < 0 || read_suffix(&how) < 0) return -1;
      save_undo();
      delete_lines(first_address, second_address);
      buffer.current = first_address > buffer.count ? buffer.count : first_address;
      break;
    case 'e':
    case 'E': {
      if (counted) return fail("Unexpected address");
      const char* name_given = read_file_name(1);
      if (!name_given) return -1;
      if (name == 'e' && buffer.modified && !warned_before) {
        warned = 1;
        return fail("Warning: buffer modified");
      }
      buffer.count = 0;
      buffer.current = 0;
      memset(marks, 0, sizeof marks);
      char* target = copy(name_given, strlen(name_given));
      set_file_name(target);
      long bytes = read_file(target, 0);
      free(target);
      buffer.modified = undo_valid = 0; /* a new file: nothing to undo */
      if (bytes < 0) return -1;
      say_size(bytes);
      break;
    }
    case 'f': {
      if (counted) return fail("Unexpected address");
      if (*cursor && *cursor != ' ' && *cursor != '\t') return fail("Unexpected command suffix");
      skip_blanks();
      if (*cursor) set_file_name(cursor);
      if (!file_name) return fail("No current filename");
      puts(file_name);
      return 0;
    }
    case 'g':
    case 'v': return global(counted, name == 'g');
    case 'h':
    case 'H':
      if (counted) return fail("Unexpected address");
      if (read_suffix(&how) < 0) return -1;
      if (name == 'H') explain = !explain;
      if ((name == 'h' || explain) && last_error) puts(last_error);
      return 0;
    case 'j':
      if (default_range(counted, buffer.current, buffer.current + 1) < 0 || read_suffix(&how) < 0) return -1;
      save_undo(); /* even for one line, joined with nothing: then nothing to undo, as GNU's */
      if (first_address < second_address) {
        size_t length = 0;
        for (long i = first_address; i <= second_address; ++i) length += strlen(buffer.lines[i - 1]);
        char* joined = allocate(length + 1);
        joined[0] = '\0';
        for (long i = first_address; i <= second_address; ++i) strcat(joined, buffer.lines[i - 1]);
        delete_lines(first_address, second_address);
        insert_lines(first_address - 1, &joined, 1);
        buffer.current = first_address;
      }
      break;
    case 'k': {
      if (second_address == 0) return fail("Invalid address");
      char m = *cursor;
      if (m == '\0') return fail("Invalid command suffix");
      if (m < 'a' || m > 'z') return fail("Invalid mark character");
      cursor++;
      if (read_suffix(&how) < 0) return -1;
      marks[m - 'a'] = buffer.lines[second_address - 1];
      return 0;
    }
    case 'l':
    case 'n':
    case 'p':
      if (default_range(counted, buffer.current, buffer.current) < 0) return -1;
      if (read_suffix(&how) < 0) return -1;
      for (long i = first_address; i <= second_address; ++i) print_line(i, name == 'p' ? how ? how : 'p' : name);
      buffer.current = second_address;
      return 0;
    case 'm':
    case 't': {
      if (default_range(counted, buffer.current, buffer.current) < 0) return -1;
      long from = first_address, to = second_address;
      int destination_count = read_addresses();
      if (destination_count < 0) return -1;
      if (destination_count == 0) {
        if (*cursor && *cursor != 'p' && *cursor != 'l' && *cursor != 'n') return fail("Destination expected");
        second_address = buffer.current;
      }
      long after = second_address;
      if (read_suffix(&how) < 0) return -1;
      if (name == 'm' && after >= from - 1 && after <= to) {
        if (after >= from && after < to) return fail("Invalid destination");
        save_undo();
        buffer.current = to; /* the lines stay where they are, and count as moved */
        buffer.modified = 1;
        break;
      }
      save_undo();
      long n = to - from + 1;
      char** lines = allocate((size_t)n * sizeof *lines);
      if (name == 't') {
        for (long i = 0; i < n; ++i) lines[i] = copy(buffer.lines[from - 1 + i], strlen(buffer.lines[from - 1 + i]));
        insert_lines(after, lines, n);
        buffer.current = after + n;
      } else {
        memcpy(lines, buffer.lines + from - 1, (size_t)n * sizeof *lines);
        memmove(buffer.lines + from - 1, buffer.lines + to, (size_t)(buffer.count - to) * sizeof *lines);
        buffer.count -= n;
        if (after > to) after -= n;
        insert_lines(after, lines, n);
        buffer.current = after + n;
      }
      free(lines);
      break;
    }
    case 'P':
      if (counted) return fail("Unexpected address");
      if (read_suffix(&how) < 0) return -1;
      prompting = !prompting;
      return 0;
    case 'q':
    case 'Q':
      if (counted) return fail("Unexpected address");
      if (*cursor) return fail("Invalid command suffix");
      if (name == 'q' && buffer.modified && !warned_before) {
        warned = 1;
        return fail("Warning: buffer modified");
      }
      return 1;
    case 'r': {
      const char* name_given = read_file_name(1);
      if (!name_given) return -1;
      char* target = copy(name_given, strlen(name_given));
      if (!file_name) set_file_name(target);
      save_undo();
      long bytes = read_file(target, counted ? second_address : buffer.count);
      free(target);
      if (bytes < 0) return -1;
      say_size(bytes);
      break;
    }
    case 's':
      if (substitute(counted, &how) < 0) return -1;
      break;
    case 'u':
      if (counted) return fail("Unexpected address");
      if (read_suffix(&how) < 0) return -1;
      if (!undo_valid) return fail("Nothing to undo");
      {
        struct buffer swap = buffer; /* the buffer as it was, modified or not; u again redoes */
        buffer = undo_buffer;
        undo_buffer = swap;
      }
      break;
    case 'w':
    case 'W': {
      int then_quit = name == 'w' && *cursor == 'q';
      if (then_quit) cursor++;
      if (default_range(counted, 1, buffer.count) < 0 && buffer.count) return -1;
      const char* name_given = read_file_name(1);
      if (!name_given) return -1;
      char* target = copy(name_given, strlen(name_given));
      if (!file_name) set_file_name(target);
      long bytes = write_file(target, name == 'w' ? "w" : "a", buffer.count ? first_address : 0, second_address);
      free(target);
      if (bytes < 0) return -1;
      if (first_address <= 1 && second_address == buffer.count) buffer.modified = 0;
      say_size(bytes);
      if (then_quit) return 1;
      return 0;
    }
    case 'z': {
      if (counted == 0) second_address = buffer.current + 1;
      if (second_address < 1 || second_address > buffer.count) return fail("Invalid address");
      static long window = 22;
      if (*cursor >= '0' && *cursor <= '9') window = read_number();
      if (read_suffix(&how) < 0) return -1;
      long last = second_address + window - 1;
      if (last > buffer.count) last = buffer.count;
      for (long i = second_address; i <= last; ++i) print_line(i, how ? how : 'p');
      buffer.current = last;
      return 0;
    }
    case '=':
      if (read_suffix(&how) < 0) return -1;
      printf("%ld\n", counted ? second_address : buffer.count);
      return 0;
    case '\0':
      if (in_global) {
        if (counted) buffer.current = second_address;
        return 0;
      }
      if (counted == 0) second_address = buffer.current + 1;
      if (second_address < 1 || second_address > buffer.count) return fail("Invalid address");
      buffer.current = second_address;
      print_line(buffer.current, 'p');
      return 0;
    default: return fail("Unknown command");
  }
  if (how && buffer.current > 0) print_line(buffer.current, how);
  return 0;
}

int main(int argc, char** argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    }
    for (const char* o = argv[i] + 1; *o; ++o) {
      if (*o == 's') {
        quiet = 1;
      } else if (*o == 'p') {
        const char* value = o[1] ? o + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value) {
          fputs("ed: option requires an argument -- 'p'\nTry 'ed --help' for more information.\n", stderr);
          return 1;
        }
        prompt = value;
        prompting = 1;
        break;
      } else {
        fprintf(stderr, "ed: invalid option -- '%c'\nTry 'ed --help' for more information.\n", *o);
        return 1;
      }
    }
  }
  /* Commands from a regular file are a script, as GNU's ed takes them: the first error ends it
   * (status 1; 2 when the file to edit cannot be read). */
  struct stat input;
  interactive = isatty(0);
  script = fstat(0, &input) == 0 && S_ISREG(input.st_mode);
  if (i < argc) {
    set_file_name(argv[i]);
    long bytes = read_file(argv[i], 0);
    if (bytes >= 0) say_size(bytes);
    else if (script) return 2;
    else if (!interactive) had_error = 1;
    buffer.modified = undo_valid = 0;
  }
  for (;;) {
    if (prompting) fputs(prompt, stdout);
    fflush(stdout);
    if (!read_line()) {
      /* The end of the input refuses once to lose changes, as q does; the second ends ed
       * (status 2 when the changes are lost). */
      if (!buffer.modified || warned) break; /* warned: by the last command, or the last end */
      warned = 1;
      last_error = "Warning: buffer modified";
      puts("?");
      if (explain) puts(last_error);
      if (!interactive) had_error = 2;
      clearerr(stdin);
      continue;
    }
    cursor = command_line;
    warned_before = warned;
    warned = 0;
    int status = run_command();
    if (status > 0) break;
    if (status < 0) {
      puts("?");
      if (explain && script) printf("script, line %ld: %s\n", input_line, last_error);
      else if (explain) puts(last_error);
      if (script) return 1;
      if (!interactive) had_error = 1;
    }
  }
  fflush(stdout);
  return had_error;
}
