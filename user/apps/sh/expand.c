/* sh: variables, and the expansions of a word (POSIX 2.6): tilde, parameters, command
 * substitution, arithmetic, field splitting at IFS, pathname expansion, quote removal. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

extern char** environ;

/* ---- Variables -----------------------------------------------------------------------------
 * An exported variable lives in the environment (setenv), where execvp finds PATH; the
 * others in a list of their own. */

struct variable {
  char* name;
  char* value;
  struct variable* next;
};

static struct variable* variables;

int is_name(const char* s, size_t n) {
  if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
      return 0;
  return 1;
}

static struct variable** find(const char* name) {
  struct variable** v = &variables;
  while (*v && strcmp((*v)->name, name)) v = &(*v)->next;
  return v;
}

const char* variable_get(const char* name) {
  struct variable* v = *find(name);
  return v ? v->value : getenv(name);
}

void variable_unset(const char* name) {
  struct variable** v = find(name);
  if (*v) {
    struct variable* gone = *v;
    *v = gone->next;
    free(gone->name);
    free(gone->value);
    free(gone);
  }
  unsetenv(name);
}

int variable_set(const char* name, const char* value, int export) {
  if (!is_name(name, strlen(name))) {
    fprintf(stderr, "sh: %s: not a name\n", name);
    return -1;
  }
  struct variable** v = find(name);
  if (!value && !*v) value = getenv(name) ? NULL : ""; /* export NAME */
  if (!value && !*v) return 0;                         /* exported already */
  if (export || getenv(name)) {
    if (setenv(name, value ? value : (*v)->value, 1) != 0) {
      fprintf(stderr, "sh: %s: %s\n", name, strerror(errno));
      return -1;
    }
    if (*v) { /* now in the environment only */
      struct variable* gone = *v;
      *v = gone->next;
      free(gone->name);
      free(gone->value);
      free(gone);
    }
    return 0;
  }
  char* copy = strdup(value);
  struct variable* made = *v ? NULL : calloc(1, sizeof *made);
  if (!copy || (!*v && (!made || !(made->name = strdup(name))))) {
    fprintf(stderr, "sh: %s: out of memory\n", name);
    free(copy);
    free(made);
    return -1;
  }
  if (made) *v = made;
  free((*v)->value);
  (*v)->value = copy;
  return 0;
}

void variables_print(void) {
  for (struct variable* v = variables; v; v = v->next) printf("%s=%s\n", v->name, v->value);
  for (char** e = environ; *e; e++) printf("%s\n", *e);
}

char** environment_for(char** assignments, int assignment_count) {
  int n = 0;
  while (environ[n]) n++;
  char** env = malloc((size_t)(n + assignment_count + 1) * sizeof *env);
  if (!env) return environ;
  int count = 0;
  for (int i = 0; i < n; i++) {
    const size_t length = strcspn(environ[i], "=");
    int replaced = 0;
    for (int j = 0; j < assignment_count; j++)
      replaced |= !strncmp(assignments[j], environ[i], length) && assignments[j][length] == '=';
    if (!replaced) env[count++] = environ[i];
  }
  for (int j = 0; j < assignment_count; j++) env[count++] = assignments[j];
  env[count] = NULL;
  return env;
}

/* ---- Building fields ----------------------------------------------------------------------- */

/* Where a word's characters stand: unquoted, in a here-document's lines (as in double quotes,
 * '"' a character), in the WORD of a ${NAME:-WORD} in double quotes (quoted, '"' dropped, '\''
 * a character), or in one unquoted (as unquoted, its own blanks splitting fields). */
enum context { kUnquoted, kHereDocument, kInDoubleQuotes, kInWord };

const char* ifs(void) {
  const char* value = variable_get("IFS");
  return value ? value : " \t\n";
}

int is_ifs_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

/* A field being built: its bytes, and beside each whether it is a pattern character of the
 * word's own, unquoted (* ? [). */
struct building {
  char* bytes;
  unsigned char* is_pattern;
  size_t used, capacity;
  int is_open;     /* a field has begun (a character, or quotes: "" is a field) */
  int after_blank; /* an IFS blank ended the last field, and nothing came since */
  int patterns;    /* unquoted * ? [ are pattern characters (pathname expansion, case, %) */
};

static void put_byte(struct building* b, char c, int is_pattern) {
  if (b->used + 2 > b->capacity) {
    b->capacity = b->capacity ? 2 * b->capacity : 256;
    b->bytes = grow(b->bytes, b->capacity);
    b->is_pattern = grow(b->is_pattern, b->capacity);
  }
  b->is_pattern[b->used] = (unsigned char)is_pattern;
  b->bytes[b->used++] = c;
  b->bytes[b->used] = '\0';
  b->is_open = 1;
  b->after_blank = 0;
}

/* The parameter named at p (just past its '$'); its value (NULL for none) and where the word
 * goes on in *end. "$" alone (not a name) is itself: *end is p and the value "$". `number`
 * holds a number's digits. */
static const char* parameter(const char* p, const char** end, char* number, size_t size) {
  *end = p + 1;
  if (*p == '?' || *p == '$' || *p == '#') {
    snprintf(number, size, "%d",
             *p == '?'         ? last_status
             : *p == '$'       ? (int)shell_pid
             : script_argc > 0 ? script_argc - 1
                               : 0);
    return number;
  }
  if (*p == '!') return last_background > 0 ? (snprintf(number, size, "%d", (int)last_background), number) : NULL;
  if (*p >= '0' && *p <= '9') return *p - '0' < script_argc ? script_argv[*p - '0'] : NULL;
  if (*p == '{' && p[1] && strchr("?$#!", p[1]) && p[2] == '}') { /* ${?} and the like */
    const char* value = parameter(p + 1, end, number, size);
    *end = p + 3;
    return value;
  }
  if (*p == '{' && p[1] >= '0' && p[1] <= '9') { /* ${N}: N of any length */
    char* digits_end;
    const long n = strtol(p + 1, &digits_end, 10);
    if (*digits_end == '}') {
      *end = digits_end + 1;
      return n < script_argc ? script_argv[n] : NULL;
    }
  }
  const int braced = *p == '{';
  const char* name = p + braced;
  const char* name_end = name;
  while (is_name(name, (size_t)(name_end + 1 - name))) name_end++;
  if (name_end == name || (braced && *name_end != '}')) {
    *end = p;
    return "$";
  }
  char key[256];
  const size_t length = (size_t)(name_end - name) < sizeof key ? (size_t)(name_end - name) : sizeof key - 1;
  memcpy(key, name, length);
  key[length] = '\0';
  *end = name_end + braced;
  return variable_get(key);
}

/* Where the braces opened at p (just past "${") close: the '}' of the same depth, its quotes
 * (but single ones in double quotes, `in_quotes`) and inner ${ } matched; NULL when none does. */
static const char* brace_end(const char* p, int in_quotes) {
  char quote = 0;
  for (int depth = 0; *p; p++) {
    if (*p == '\\' && quote != '\'' && p[1]) p++;
    else if ((*p == '"' || (*p == '\'' && !in_quotes)) && (!quote || quote == *p)) quote = quote ? 0 : *p;
    else if (!quote && *p == '$' && p[1] == '{') depth++;
    else if (!quote && *p == '}' && depth-- == 0) return p;
  }
  return NULL;
}

/* `value` without its shortest (or `longest`) suffix (or prefix) that `pattern` matches;
 * malloc'd. */
static char* without_affix(const char* value, const char* pattern, int suffix, int longest) {
  const size_t n = strlen(value);
  for (size_t k = 0; k <= n; k++) {
    const size_t i = suffix == longest ? k : n - k; /* where the suffix starts, or the prefix ends */
    char* prefix = strndup(value, i);
    if (!prefix) return NULL;
    const int matches = fnmatch(pattern, suffix ? value + i : prefix, 0) == 0;
    if (matches) {
      if (suffix) return prefix;
      free(prefix);
      return strdup(value + i);
    }
    free(prefix);
  }
  return strdup(value);
}

static char* expand_one(const char* raw, int pattern, enum context context);

/* ${#NAME} and ${NAME OP WORD} (OP one of - = + ? with or without a ':' before it, or % %% #
 * ##: POSIX 2.6.2), p just past "${", in double quotes or not: 1 with *value (malloc'd), the
 * expansion, or 2 with *value the WORD to expand in its place (- and +), and *end past the '}';
 * 0 when it is none of them (a plain ${NAME}, or not a parameter); -1 with a message. */
static int parameter_operation(const char* p, int in_quotes, const char** end, char** value) {
  const enum context context = in_quotes ? kInDoubleQuotes : kUnquoted;
  const int length_of = *p == '#' && p[1] != '}';
  const char* name = p + length_of;
  const char* name_end = name;
  if (*name >= '0' && *name <= '9') name_end = name + 1;
  else
    while (is_name(name, (size_t)(name_end + 1 - name))) name_end++;
  const char* close = brace_end(p, in_quotes);
  if (name_end == name || !close || (!length_of && *name_end == '}')) return 0;
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(name_end - name), name);
  const char* current =
      *name >= '0' && *name <= '9' ? (*name - '0' < script_argc ? script_argv[*name - '0'] : NULL) : variable_get(key);
  *end = close + 1;
  if (length_of) {
    if (name_end != close) return 0;
    char number[24];
    snprintf(number, sizeof number, "%zu", current ? strlen(current) : (size_t)0);
    return (*value = strdup(number)) ? 1 : -1;
  }
  if (*name_end == '%' || *name_end == '#') { /* ${NAME%WORD} ${NAME%%WORD} ${NAME#WORD} ${NAME##WORD} */
    const int longest = name_end[1] == name_end[0];
    char* word = strndup(name_end + 1 + longest, (size_t)(close - (name_end + 1 + longest)));
    char* pattern = word ? expand_one(word, 1, kUnquoted) : NULL; /* its own quoting, in quotes too */
    *value = pattern ? without_affix(current ? current : "", pattern, *name_end == '%', longest) : NULL;
    free(word);
    free(pattern);
    return *value ? 1 : -1;
  }
  const int colon = *name_end == ':';
  const char op = name_end[colon];
  if (!strchr("-=+?", op) || op == '\0') return 0;
  const int is_set = current && (!colon || *current);
  char* word = strndup(name_end + colon + 1, (size_t)(close - (name_end + colon + 1)));
  if (!word) return -1;
  char* result = NULL;
  if (op == '+' ? !is_set : is_set) {
    result = strdup(op == '+' ? "" : current);
  } else if (op == '-' || op == '+') {
    *value = word; /* expanded in place: its quotes and splitting as the word's own */
    return 2;
  } else {
    result = expand_one(word, 0, context);
    if (result && op == '=' && (*name >= '0' && *name <= '9' ? -1 : variable_set(key, result, 0)) < 0) {
      fprintf(stderr, "sh: ${%s=...}: not a variable\n", key);
      free(result);
      result = NULL;
    } else if (result && op == '?') { /* a script ends there (POSIX 2.6.2) */
      fprintf(stderr, "sh: %s: %s\n", key, *result ? result : "parameter not set");
      free(result);
      result = NULL;
      if (!is_interactive) {
        fflush(stdout);
        exit(2);
      }
    }
  }
  free(word);
  *value = result;
  return result ? 1 : -1;
}

/* ---- Pathname expansion (POSIX 2.13.3; picolibc has fnmatch, not glob) ---------------------- */

enum { kPathBytes = 4096 };

struct matches {
  char* paths[kMaxWords + 1];
  int count;
};

/* Whether the n bytes at `s` hold a pattern character not escaped by a backslash. */
static int has_pattern_char(const char* s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\' && i + 1 < n) i++;
    else if (s[i] == '*' || s[i] == '?' || s[i] == '[') return 1;
  }
  return 0;
}

static void add_match(struct matches* m, const char* path) {
  if (m->count <= kMaxWords) m->paths[m->count++] = strdup(path); /* one more than fits: too many */
}

/* The matches of `pattern` (the rest of the path's components, escapes as fnmatch takes them)
 * under `path` (its first `length` bytes: "" for the working directory, else ending in '/'). */
static void match_from(char* path, size_t length, const char* pattern, struct matches* m) {
  const char* slash = strchr(pattern, '/');
  const size_t n = slash ? (size_t)(slash - pattern) : strlen(pattern);
  if (!has_pattern_char(pattern, n)) { /* a plain component: it is there or not */
    for (size_t i = 0; i < n && length + 2 < kPathBytes; i++) {
      if (pattern[i] == '\\' && i + 1 < n) i++;
      path[length++] = pattern[i];
    }
    if (slash && length + 2 < kPathBytes) path[length++] = '/';
    path[length] = '\0';
    if (slash) match_from(path, length, slash + 1, m);
    else if (access(path, F_OK) == 0) add_match(m, path);
    return;
  }
  char component[n + 1];
  memcpy(component, pattern, n);
  component[n] = '\0';
  DIR* dir = opendir(length ? path : ".");
  if (!dir) return;
  for (struct dirent* entry; (entry = readdir(dir)) != NULL && m->count <= kMaxWords;) {
    const char* name = entry->d_name;
    if (!strcmp(name, ".") || !strcmp(name, "..") || (name[0] == '.' && component[0] != '.')) continue;
    const size_t name_length = strlen(name);
    if (fnmatch(component, name, 0) != 0 || length + name_length + 2 >= kPathBytes) continue;
    memcpy(path + length, name, name_length + 1);
    if (!slash) {
      add_match(m, path);
    } else {
      path[length + name_length] = '/';
      path[length + name_length + 1] = '\0';
      match_from(path, length + name_length + 1, slash + 1, m);
    }
    path[length] = '\0';
  }
  closedir(dir);
}

static int compare_paths(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* ---- Fields ------------------------------------------------------------------------------ */

static int add_field(struct fields* f, const char* s) {
  const size_t length = strlen(s) + 1;
  if (f->argc == kMaxWords) {
    if (!f->overflow) fprintf(stderr, "sh: too many words in a command (at most %d)\n", kMaxWords);
    f->overflow = 1;
    return -1;
  }
  char* copy = malloc(length);
  if (!copy) return -1;
  memcpy(copy, s, length);
  f->argv[f->argc++] = copy;
  f->argv[f->argc] = NULL;
  return 0;
}

void fields_free(struct fields* f) {
  for (int i = 0; i < f->argc; i++) free(f->argv[i]);
  f->argc = 0;
  f->argv[0] = NULL;
  f->overflow = 0;
}

/* The pattern of the first `length` bytes built: their quoted pattern characters (and
 * backslashes) escaped as fnmatch reads them; a ']' needs none (it closes a bracket expression
 * only after an unquoted '['). malloc'd. */
static char* pattern_of(const struct building* b, size_t length) {
  char* pattern = malloc(2 * length + 1);
  if (!pattern) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < length; i++) {
    if (!b->is_pattern[i] && strchr("*?[\\", b->bytes[i])) pattern[n++] = '\\';
    pattern[n++] = b->bytes[i];
  }
  pattern[n] = '\0';
  return pattern;
}

/* Ends the field being built: into f, or the paths its pattern matches when it has a pattern
 * character of its own (sorted, a leading '.' matched only by a '.', the word itself when
 * nothing matches). */
static int end_field(struct building* b, struct fields* f) {
  if (!b->is_open) return 0;
  b->is_open = 0;
  const size_t length = b->used;
  b->used = 0;
  if (length == 0) return add_field(f, "");
  int has_pattern = 0;
  for (size_t i = 0; i < length; i++) has_pattern |= b->is_pattern[i];
  if (!has_pattern) return add_field(f, b->bytes);
  char* pattern = pattern_of(b, length);
  if (!pattern) return -1;
  struct matches found = {.count = 0};
  char path[kPathBytes] = "";
  const int absolute = pattern[0] == '/';
  if (absolute) strcpy(path, "/");
  match_from(path, absolute, pattern + absolute, &found);
  free(pattern);
  qsort(found.paths, (size_t)found.count, sizeof found.paths[0], compare_paths);
  int status = found.count == 0 ? add_field(f, b->bytes) : 0;
  for (int i = 0; i < found.count; i++) {
    if (status == 0) status = add_field(f, found.paths[i] ? found.paths[i] : "");
    free(found.paths[i]);
  }
  return status;
}

/* Puts a parameter's value into the field: in quotes (or into one string: f NULL) as it is,
 * its * ? [ pattern characters when unquoted in a pattern's expansion; else split at IFS's
 * characters as POSIX 2.6.5 says: its blanks (space, tab, newline) end the
 * field being built and make none at either end; any other of its characters ends a field,
 * empty or not. */
static int put_value(struct building* b, struct fields* f, const char* value, int quoted) {
  const char* separators = ifs();
  for (; value && *value; value++) {
    if (quoted || !f || !strchr(separators, *value)) {
      put_byte(b, *value, !quoted && b->patterns && (*value == '*' || *value == '?' || *value == '['));
    } else if (is_ifs_blank(*value)) {
      if (b->is_open) {
        if (end_field(b, f) < 0) return -1;
        b->after_blank = 1;
      }
    } else { /* a separator that is not a blank ends a field, empty or not (a blank before it merges) */
      if (!b->after_blank) b->is_open = 1;
      b->after_blank = 0;
      if (end_field(b, f) < 0) return -1;
    }
  }
  return 0;
}

/* $@ and $*: the positional parameters. In quotes, "$@" is a field each and "$*" one field
 * of them joined by spaces; unquoted, both are split at blanks. */
static int put_parameters(struct building* b, struct fields* f, int quoted, int each) {
  if (quoted && each && f && script_argc <= 1 && b->used == 0) b->is_open = 0; /* "$@": no field */
  for (int i = 1; i < script_argc; i++) {
    if (i > 1) {
      if (quoted && each && f) {
        if (end_field(b, f) < 0) return -1;
        b->is_open = 1;
      } else {
        if (put_value(b, f, " ", quoted) < 0) return -1;
      }
    }
    if (put_value(b, f, script_argv[i], quoted) < 0) return -1;
  }
  return 0;
}

/* Where the command substitution whose text starts at p (just past its "$(") ends: past its
 * ')', its quotes and parentheses matched as parse.c read them. */
static const char* substitution_end(const char* p) {
  char quote = 0;
  for (int depth = 0; *p; p++) {
    const char c = *p;
    if (c == '\\' && quote != '\'' && p[1]) {
      p++;
    } else if (c == '$' && p[1] == '(' && quote != '\'') {
      p = substitution_end(p + 2) - 1;
    } else if ((c == '\'' || c == '"') && (!quote || quote == c)) {
      quote = quote ? 0 : c;
    } else if (!quote && c == '(') {
      depth++;
    } else if (!quote && c == ')' && depth-- == 0) {
      return p + 1;
    }
  }
  return p;
}

/* ---- Arithmetic expansion (POSIX 2.6.4): $(( )) ------------------------------------------- */

/* An expression of C's integer operators (|| && == != < <= > >= + - * / % and unary - + !,
 * parentheses; C's precedence, && and || not evaluating a side the left decided), decimal
 * numbers and variable names (their value a number, 0 when unset or empty), in intmax_t as
 * dash and bash compute it. */
struct arithmetic {
  const char* p;
  const char* error; /* the first error met */
  int skipping;      /* in a side && or || does not evaluate: no division by zero there */
};

static intmax_t arithmetic_or(struct arithmetic* a);

static void skip_spaces(struct arithmetic* a) {
  while (*a->p == ' ' || *a->p == '\t' || *a->p == '\n') a->p++;
}

static int accept_operator(struct arithmetic* a, const char* op) {
  skip_spaces(a);
  const size_t n = strlen(op);
  if (strncmp(a->p, op, n)) return 0;
  /* < is not <=, nor & &&, nor = ==: the longer operator is another one */
  if (n == 1 && (a->p[1] == '=' || a->p[1] == op[0]) && strchr("<>|&", op[0])) return 0;
  a->p += n;
  return 1;
}

static intmax_t number_of(struct arithmetic* a, const char* text) {
  char* end;
  errno = 0;
  const intmax_t value = strtoimax(text, &end, 0);
  if (*text && (*end || errno) && !a->error) a->error = text;
  return value;
}

static intmax_t arithmetic_primary(struct arithmetic* a) {
  skip_spaces(a);
  if (accept_operator(a, "(")) {
    const intmax_t value = arithmetic_or(a);
    if (!accept_operator(a, ")") && !a->error) a->error = a->p;
    return value;
  }
  if (accept_operator(a, "-")) return -arithmetic_primary(a);
  if (accept_operator(a, "+")) return arithmetic_primary(a);
  if (accept_operator(a, "!")) return !arithmetic_primary(a);
  const char* start = a->p;
  if (*a->p >= '0' && *a->p <= '9') {
    while ((*a->p >= '0' && *a->p <= '9') || (*a->p >= 'a' && *a->p <= 'z') || (*a->p >= 'A' && *a->p <= 'Z')) a->p++;
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)(a->p - start), start);
    return number_of(a, text);
  }
  while (is_name(start, (size_t)(a->p + 1 - start))) a->p++;
  if (a->p == start) {
    if (!a->error) a->error = *start ? start : "end of expression";
    return 0;
  }
  char name[256];
  snprintf(name, sizeof name, "%.*s", (int)(a->p - start), start);
  const char* value = variable_get(name);
  return value && *value ? number_of(a, value) : 0;
}

static intmax_t arithmetic_product(struct arithmetic* a) {
  intmax_t value = arithmetic_primary(a);
  for (;;) {
    const int op = accept_operator(a, "*") ? '*' : accept_operator(a, "/") ? '/' : accept_operator(a, "%") ? '%' : 0;
    if (!op) return value;
    const intmax_t right = arithmetic_primary(a);
    if (op != '*' && right == 0) {
      if (!a->error && !a->skipping) a->error = "division by zero";
      return 0;
    }
    value = op == '*' ? value * right : op == '/' ? value / right : value % right;
  }
}

static intmax_t arithmetic_sum(struct arithmetic* a) {
  intmax_t value = arithmetic_product(a);
  for (;;) {
    if (accept_operator(a, "+")) value += arithmetic_product(a);
    else if (accept_operator(a, "-")) value -= arithmetic_product(a);
    else return value;
  }
}

static intmax_t arithmetic_relation(struct arithmetic* a) {
  intmax_t value = arithmetic_sum(a);
  for (;;) {
    if (accept_operator(a, "<=")) value = value <= arithmetic_sum(a);
    else if (accept_operator(a, ">=")) value = value >= arithmetic_sum(a);
    else if (accept_operator(a, "<")) value = value < arithmetic_sum(a);
    else if (accept_operator(a, ">")) value = value > arithmetic_sum(a);
    else return value;
  }
}

static intmax_t arithmetic_equality(struct arithmetic* a) {
  intmax_t value = arithmetic_relation(a);
  for (;;) {
    if (accept_operator(a, "==")) value = value == arithmetic_relation(a);
    else if (accept_operator(a, "!=")) value = value != arithmetic_relation(a);
    else return value;
  }
}

/* The right side of && or || when the left decided: read, its errors not counted. */
static intmax_t arithmetic_skipped(struct arithmetic* a, intmax_t (*side)(struct arithmetic*)) {
  a->skipping++;
  side(a);
  a->skipping--;
  return 0;
}

static intmax_t arithmetic_and(struct arithmetic* a) {
  intmax_t value = arithmetic_equality(a);
  while (accept_operator(a, "&&"))
    value = value ? arithmetic_equality(a) != 0 : arithmetic_skipped(a, arithmetic_equality);
  return value;
}

static intmax_t arithmetic_or(struct arithmetic* a) {
  intmax_t value = arithmetic_and(a);
  while (accept_operator(a, "||")) value = value ? (arithmetic_skipped(a, arithmetic_and), 1) : arithmetic_and(a) != 0;
  return value;
}

/* The value of `expression` (already expanded) into `text`; 0, or -1 with a message. */
static int arithmetic(const char* expression, char* text, size_t size) {
  struct arithmetic a = {.p = expression, .error = NULL};
  const intmax_t value = arithmetic_or(&a);
  skip_spaces(&a);
  if (!a.error && *a.p) a.error = a.p;
  if (a.error) {
    fprintf(stderr, "sh: arithmetic: %s: %s\n", expression,
            !strcmp(a.error, "division by zero") ? a.error : "not an expression");
    return -1;
  }
  snprintf(text, size, "%jd", value);
  return 0;
}

/* Expands `raw` into b, ending fields into f (or into one string when f is NULL: no splitting),
 * its unquoted * ? [ pattern characters when `patterns`. */
static int expand_into(const char* raw, struct building* b, struct fields* f, int patterns, enum context context) {
  const int here = context == kHereDocument;
  char quote = context == kUnquoted || context == kInWord ? 0 : '"';
  b->patterns = patterns;
  char number[16];
  const char* end;
  char* value = NULL;
  int operation;
  if ((context == kUnquoted || context == kInWord) && raw[0] == '~' &&
      (raw[1] == '/' || raw[1] == '\0')) { /* ~ and ~/...: $HOME */
    const char* home = variable_get("HOME");
    put_value(b, NULL, home && *home ? home : "/", 1);
    raw++;
  }
  for (const char* p = raw; *p;) {
    const char c = *p;
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else put_byte(b, c, 0);
      p++;
    } else if ((context == kUnquoted || context == kInWord) && (c == '"' || (c == '\'' && !quote))) {
      if (!quote) b->is_open = 1; /* "" is a field */
      quote = quote ? 0 : c;
      p++;
    } else if (context == kInDoubleQuotes && c == '"') { /* "${X:-"WORD"}": quoted all the same */
      p++;
    } else if (here && c == '\\' && p[1] == '\n') {
      p += 2;
    } else if (c == '\\' && p[1] != '\0' && (!quote || strchr(here ? "\\$`" : "\"\\$`", p[1]))) {
      put_byte(b, p[1], 0);
      p += 2;
    } else if (c == '`') {
      /* `COMMANDS`: $(COMMANDS) written the old way; \` \\ and \$ in it stand for ` \ $ */
      char* commands = grow(NULL, strlen(p));
      size_t n = 0;
      for (p++; *p && *p != '`'; p++) {
        if (*p == '\\' && (p[1] == '`' || p[1] == '\\' || p[1] == '$')) p++;
        commands[n++] = *p;
      }
      if (*p) p++;
      char* output = command_output(commands, n);
      free(commands);
      const int status = output ? put_value(b, f, output, quote != 0) : -1;
      free(output);
      if (status < 0) return -1;
    } else if (c == '$' && p[1] == '(' && p[2] == '(') {
      const char* end = substitution_end(p + 2);
      if (end - p < 5 || end[-1] != ')' || end[-2] != ')') {
        fprintf(stderr, "sh: arithmetic: %s: not closed by ))\n", p);
        return -1;
      }
      char* inner = strndup(p + 3, (size_t)(end - 2 - (p + 3)));
      char* expression = inner ? expand_string(inner) : NULL;
      char value[32];
      const int status = expression ? arithmetic(expression, value, sizeof value) : -1;
      free(inner);
      free(expression);
      if (status < 0 || put_value(b, f, value, 1) < 0) return -1;
      p = end;
    } else if (c == '$' && p[1] == '(') {
      const char* end = substitution_end(p + 2);
      char* output = command_output(p + 2, (size_t)(end - (p + 2)) - (end[-1] == ')'));
      const int status = output ? put_value(b, f, output, quote != 0) : -1;
      free(output);
      if (status < 0) return -1;
      p = end;
    } else if (c == '$' && (p[1] == '@' || p[1] == '*')) {
      if (put_parameters(b, f, quote != 0, p[1] == '@') < 0) return -1;
      p += 2;
    } else if (c == '$' && p[1] == '{' && (operation = parameter_operation(p + 2, quote != 0, &end, &value)) != 0) {
      const int status = operation < 0    ? -1
                         : operation == 2 ? expand_into(value, b, f, patterns, quote ? kInDoubleQuotes : kInWord)
                                          : put_value(b, f, value, quote != 0);
      free(value);
      if (status < 0) return -1;
      p = end;
    } else if (c == '$') {
      const char* value = parameter(p + 1, &end, number, sizeof number);
      if (end == p + 1) { /* not a parameter: the $ is itself */
        put_byte(b, '$', 0);
        p++;
      } else {
        if (put_value(b, f, value, quote != 0) < 0) return -1;
        p = end;
      }
    } else {
      if (context == kInWord && !quote && f && strchr(ifs(), c)) put_value(b, f, (const char[]){c, '\0'}, 0);
      else put_byte(b, c, patterns && !quote && (c == '*' || c == '?' || c == '['));
      p++;
    }
  }
  return 0;
}

int expand_fields(const char* raw, struct fields* f) {
  struct building b = {0};
  int status = expand_into(raw, &b, f, 1, kUnquoted);
  if (status == 0) status = end_field(&b, f);
  free(b.bytes);
  free(b.is_pattern);
  return status;
}

/* The expansion of `raw` as one string (expand_string), as a pattern (expand_pattern), or as a
 * here-document's lines (expand_here). */
static char* expand_one(const char* raw, int pattern, enum context context) {
  struct building b = {0};
  put_byte(&b, '\0', 0); /* a string even when empty */
  b.used = 0;
  char* expanded = NULL;
  if (expand_into(raw, &b, NULL, pattern, context) == 0) expanded = pattern ? pattern_of(&b, b.used) : b.bytes;
  if (expanded != b.bytes) free(b.bytes);
  free(b.is_pattern);
  return expanded;
}

char* expand_string(const char* raw) { return expand_one(raw, 0, kUnquoted); }

char* expand_pattern(const char* raw) { return expand_one(raw, 1, kUnquoted); }

char* expand_here(const char* raw) { return expand_one(raw, 0, kHereDocument); }
