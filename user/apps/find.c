/* find [PATH...] [EXPRESSION]: walks the tree under each PATH ("." when none), depth first, a
 * directory before what it holds, and evaluates the expression on each file met, as GNU find
 * does (without following symbolic links). The paths are the arguments before the first one
 * that starts with '-' (and is not "-" alone) or is "!" or "("; a leading "--" is skipped.
 * The expression, made of:
 *   tests    -name PATTERN   the last component of the path matches the shell PATTERN (fnmatch,
 *                            bytes as in the C locale; '*' and '?' match a leading '.')
 *            -iname PATTERN  the same, ignoring the case of ASCII letters
 *            -type T         the file is of type T: f, d, l, b, c, p or s, or of one of a
 *                            comma-separated list of them ("f,d")
 *            -empty          an empty regular file, or a directory holding nothing
 *            -true, -false   always, never
 *   actions  -print          writes the path and a newline; true
 *   global   -maxdepth N     descends at most N levels below the PATHs (0: the PATHs alone)
 *            -mindepth N     evaluates nothing less than N levels below them
 *                            (both apply wherever they stand; as tests they are true)
 *   operators  ( EXPR )   ! EXPR, -not EXPR   EXPR EXPR, EXPR -a EXPR, EXPR -and EXPR
 *              EXPR -o EXPR, EXPR -or EXPR   EXPR , EXPR (both evaluated, the second's value)
 *              from the tightest to the loosest; -a and -o do not evaluate their right side
 *              when the left one decides.
 * When the expression holds no -print, it is ( EXPR ) -print (just -print when there is none).
 * On purpose not GNU's: GNU find walks a directory in the order readdir gives its entries,
 * which differs from one file system to another (ext4, FAT32); this one sorts the entries of
 * each directory by name, comparing bytes (strcmp), before walking them, so that it prints the
 * same everywhere. A PATH or a directory it cannot read is reported ("find: PATH: strerror"),
 * the rest still walked, and the status is 1; a bad expression (an unknown predicate, a missing
 * or bad argument, a misplaced operator or parenthesis, a path after the expression) is a usage
 * error: a message, a usage line, status 2 (GNU's is 1). Otherwise the status is 0. A user
 * program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum kind { NAME, INAME, TYPE, EMPTY, TRUE, FALSE, PRINT, NOT, AND, OR, COMMA };

/* A node of the expression: a test or action, or an operator on one or two others. */
struct node {
  enum kind kind;
  const char* pattern; /* -name, -iname */
  unsigned types;      /* -type: a bit per type letter (its place in TYPE_LETTERS) */
  struct node *left, *right;
};

static const char TYPE_LETTERS[] = "fdlbcps";

/* The arguments being parsed, and the global options found among them. */
struct parser {
  char** args;
  int at, end;
  int mindepth, maxdepth, printing; /* printing: a -print was seen */
};

/* What the walk evaluates, and how it went. */
struct walk {
  const struct node* expression;
  int mindepth, maxdepth, status;
};

/* The file being evaluated. */
struct file {
  const char* path;
  const char* name; /* the last component, which -name matches */
  const struct stat* info;
};

static void usage(void) { fprintf(stderr, "usage: find [PATH...] [EXPRESSION]\n"); }

/* A new node of the expression; the program ends, reported, when there is no memory. */
static struct node* new_node(enum kind kind, struct node* left, struct node* right) {
  struct node* node = calloc(1, sizeof *node);
  if (!node) {
    fprintf(stderr, "find: %s\n", strerror(errno));
    exit(1);
  }
  node->kind = kind;
  node->left = left;
  node->right = right;
  return node;
}

/* Says what is wrong with the expression (the usage line follows); returns NULL. */
static struct node* bad(const char* what, const char* argument) {
  fprintf(stderr, "find: %s%s\n", what, argument);
  return NULL;
}

/* The next argument, without taking it; NULL at the end. */
static const char* peek(const struct parser* p) { return p->at < p->end ? p->args[p->at] : NULL; }

/* Whether the next argument is `word`. */
static int next_is(const struct parser* p, const char* word) { return peek(p) && !strcmp(peek(p), word); }

/* Whether the next argument is a binary operator: -a, -and, -o, -or or ",". */
static int next_is_binary(const struct parser* p) {
  return next_is(p, "-a") || next_is(p, "-and") || next_is(p, "-o") || next_is(p, "-or") || next_is(p, ",");
}

/* Reads the depth after -maxdepth or -mindepth (digits only, at most INT_MAX) into `depth`;
 * 0 after the report of a bad one. */
static int parse_depth(const char* option, const char* text, int* depth) {
  char* end;
  errno = 0;
  const long value = strtol(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE || value > INT_MAX) {
    fprintf(stderr, "find: %s: invalid argument to %s\n", text, option);
    return 0;
  }
  *depth = (int)value;
  return 1;
}

/* Reads the argument of -type ("f", "f,d"...) into a set of bits; 0 after the report of a bad
 * one (an unknown letter, a missing one, one given twice, two without a comma between). */
static int parse_types(const char* text, unsigned* types) {
  *types = 0;
  for (const char* c = text;; c += 2) {
    const char* letter = *c ? strchr(TYPE_LETTERS, *c) : NULL;
    if (!letter || (*types >> (letter - TYPE_LETTERS) & 1) || (c[1] != '\0' && (c[1] != ',' || c[2] == '\0'))) {
      fprintf(stderr, "find: %s: invalid argument to -type\n", text);
      return 0;
    }
    *types |= 1u << (letter - TYPE_LETTERS);
    if (c[1] == '\0') return 1;
  }
}

static struct node* parse_list(struct parser* p);

/* A test or an action, with its argument if it takes one. */
static struct node* parse_primary(struct parser* p) {
  const char* word = p->args[p->at++];
  const int takes_argument = !strcmp(word, "-name") || !strcmp(word, "-iname") || !strcmp(word, "-type") ||
                             !strcmp(word, "-maxdepth") || !strcmp(word, "-mindepth");
  const char* argument = takes_argument ? peek(p) : NULL;
  if (takes_argument && !argument) return bad("missing argument to ", word);
  if (takes_argument) p->at++;
  struct node* node = NULL;
  if (!strcmp(word, "-name") || !strcmp(word, "-iname")) {
    node = new_node(word[1] == 'n' ? NAME : INAME, NULL, NULL);
    node->pattern = argument;
  } else if (!strcmp(word, "-type")) {
    node = new_node(TYPE, NULL, NULL);
    if (!parse_types(argument, &node->types)) return NULL;
  } else if (!strcmp(word, "-maxdepth") || !strcmp(word, "-mindepth")) {
    if (!parse_depth(word, argument, word[2] == 'a' ? &p->maxdepth : &p->mindepth)) return NULL;
    node = new_node(TRUE, NULL, NULL);
  } else if (!strcmp(word, "-empty")) node = new_node(EMPTY, NULL, NULL);
  else if (!strcmp(word, "-true")) node = new_node(TRUE, NULL, NULL);
  else if (!strcmp(word, "-false")) node = new_node(FALSE, NULL, NULL);
  else if (!strcmp(word, "-print")) {
    node = new_node(PRINT, NULL, NULL);
    p->printing = 1;
  } else if (word[0] == '-') return bad("unknown predicate ", word);
  else return bad("paths must precede expression: ", word);
  return node;
}

/* A primary, possibly under ! or -not, or a parenthesized expression. */
static struct node* parse_unary(struct parser* p) {
  const char* word = peek(p);
  if (next_is_binary(p)) return bad("invalid expression: nothing before ", word);
  if (next_is(p, ")")) return bad("invalid expression: too many ", word);
  if (next_is(p, "!") || next_is(p, "-not")) {
    p->at++;
    if (!peek(p) || next_is(p, ")")) return bad("invalid expression: nothing after ", word);
    struct node* operand = parse_unary(p);
    return operand ? new_node(NOT, operand, NULL) : NULL;
  }
  if (next_is(p, "(")) {
    p->at++;
    if (next_is(p, ")")) return bad("invalid expression: ", "empty parentheses");
    if (!peek(p)) return bad("invalid expression: nothing after ", word);
    struct node* inner = parse_list(p);
    if (!inner) return NULL;
    if (!next_is(p, ")")) return bad("invalid expression: no ')' after ", word);
    p->at++;
    return inner;
  }
  return parse_primary(p);
}

/* Unary expressions one after the other, or joined by -a or -and. */
static struct node* parse_and(struct parser* p) {
  struct node* left = parse_unary(p);
  while (left && peek(p) && !next_is(p, ")") && !next_is(p, "-o") && !next_is(p, "-or") && !next_is(p, ",")) {
    const char* word = peek(p);
    if (next_is(p, "-a") || next_is(p, "-and")) {
      p->at++;
      if (!peek(p) || next_is(p, ")")) return bad("invalid expression: nothing after ", word);
    }
    struct node* right = parse_unary(p);
    left = right ? new_node(AND, left, right) : NULL;
  }
  return left;
}

/* Expressions joined by the binary operator `word` (-o and -or, or ","), each read by `item`. */
static struct node* parse_binary(struct parser* p, const char* word, const char* other, enum kind kind,
                                 struct node* (*item)(struct parser*)) {
  struct node* left = item(p);
  while (left && (next_is(p, word) || (other && next_is(p, other)))) {
    const char* op = p->args[p->at++];
    if (!peek(p) || next_is(p, ")")) return bad("invalid expression: nothing after ", op);
    struct node* right = item(p);
    left = right ? new_node(kind, left, right) : NULL;
  }
  return left;
}

/* Expressions joined by -o or -or. */
static struct node* parse_or(struct parser* p) { return parse_binary(p, "-o", "-or", OR, parse_and); }

/* Expressions joined by ",", the loosest operator. */
static struct node* parse_list(struct parser* p) { return parse_binary(p, ",", NULL, COMMA, parse_or); }

/* Whether the directory at `path` holds nothing; 0 after the report of one it cannot read. */
static int directory_is_empty(struct walk* w, const char* path) {
  DIR* dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "find: %s: %s\n", path, strerror(errno));
    w->status = 1;
    return 0;
  }
  struct dirent* entry;
  int empty = 1;
  errno = 0;
  while (empty && (entry = readdir(dir)) != NULL)
    if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) empty = 0;
  if (empty && errno) {
    fprintf(stderr, "find: %s: %s\n", path, strerror(errno));
    w->status = 1;
    empty = 0;
  }
  closedir(dir);
  return empty;
}

/* The letter -type knows the file's type by (its place in TYPE_LETTERS); -1 for another. */
static int type_index(mode_t mode) {
  const char letter = S_ISREG(mode)    ? 'f'
                      : S_ISDIR(mode)  ? 'd'
                      : S_ISLNK(mode)  ? 'l'
                      : S_ISBLK(mode)  ? 'b'
                      : S_ISCHR(mode)  ? 'c'
                      : S_ISFIFO(mode) ? 'p'
                      : S_ISSOCK(mode) ? 's'
                                       : '\0';
  return letter ? (int)(strchr(TYPE_LETTERS, letter) - TYPE_LETTERS) : -1;
}

/* The value of the expression `n` for the file `f`, doing its actions. */
static int evaluate(struct walk* w, const struct node* n, const struct file* f) {
  switch (n->kind) {
    case NAME: return fnmatch(n->pattern, f->name, 0) == 0;
    case INAME: return fnmatch(n->pattern, f->name, FNM_CASEFOLD) == 0;
    case TYPE: {
      const int index = type_index(f->info->st_mode);
      return index >= 0 && (n->types >> index & 1);
    }
    case EMPTY:
      if (S_ISREG(f->info->st_mode)) return f->info->st_size == 0;
      return S_ISDIR(f->info->st_mode) && directory_is_empty(w, f->path);
    case TRUE: return 1;
    case FALSE: return 0;
    case PRINT: printf("%s\n", f->path); return 1;
    case NOT: return !evaluate(w, n->left, f);
    case AND: return evaluate(w, n->left, f) && evaluate(w, n->right, f);
    case OR: return evaluate(w, n->left, f) || evaluate(w, n->right, f);
    case COMMA: evaluate(w, n->left, f); return evaluate(w, n->right, f);
  }
  return 0;
}

static int compare_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* The names in the directory at `path` but "." and "..", sorted, in an array of `*count`;
 * NULL after the report of one it cannot read. The caller frees each name and the array. */
static char** read_names(struct walk* w, const char* path, size_t* count) {
  DIR* dir = opendir(path);
  if (!dir) {
    fprintf(stderr, "find: %s: %s\n", path, strerror(errno));
    w->status = 1;
    return NULL;
  }
  char** names = NULL;
  size_t capacity = 0;
  *count = 0;
  struct dirent* entry;
  errno = 0;
  while ((entry = readdir(dir)) != NULL) {
    if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
    if (*count == capacity) {
      capacity = capacity ? 2 * capacity : 16;
      char** grown = realloc(names, capacity * sizeof *names);
      if (!grown) break;
      names = grown;
    }
    if (!(names[*count] = strdup(entry->d_name))) break;
    ++*count;
    errno = 0;
  }
  if (errno) {
    fprintf(stderr, "find: %s: %s\n", path, strerror(errno));
    w->status = 1;
  }
  closedir(dir);
  if (*count > 1) qsort(names, *count, sizeof *names, compare_names);
  return names;
}

static void visit(struct walk* w, const char* path, const char* name, int depth);

/* Visits the entries of the directory at `path`, `depth` levels below the starting point. */
static void descend(struct walk* w, const char* path, int depth) {
  size_t count = 0;
  char** names = read_names(w, path, &count);
  if (!names) return;
  const size_t length = strlen(path);
  const int slash = length > 0 && path[length - 1] == '/';
  for (size_t i = 0; i < count; i++) {
    char* child = malloc(length + strlen(names[i]) + 2);
    if (!child) {
      fprintf(stderr, "find: %s\n", strerror(errno));
      w->status = 1;
    } else {
      sprintf(child, slash ? "%s%s" : "%s/%s", path, names[i]);
      visit(w, child, names[i], depth + 1);
      free(child);
    }
    free(names[i]);
  }
  free(names);
}

/* Evaluates the expression on the file at `path` (named `name`), `depth` levels below the
 * starting point, then descends into it when it is a directory above -maxdepth. */
static void visit(struct walk* w, const char* path, const char* name, int depth) {
  struct stat info;
  if (lstat(path, &info) != 0) {
    fprintf(stderr, "find: %s: %s\n", path, strerror(errno));
    w->status = 1;
    return;
  }
  const struct file f = {path, name, &info};
  if (depth >= w->mindepth) evaluate(w, w->expression, &f);
  if (S_ISDIR(info.st_mode) && depth < w->maxdepth) descend(w, path, depth);
}

/* Walks the tree under the starting point `path`; -name matches its last component, trailing
 * slashes left out ("/" for the root). */
static void walk_from(struct walk* w, const char* path) {
  size_t length = strlen(path);
  while (length > 1 && path[length - 1] == '/') length--;
  size_t start = length;
  while (start > 0 && path[start - 1] != '/') start--;
  if (start == length && length > 0) start--; /* the root: "/" */
  char* name = strndup(path + start, length - start);
  if (!name) {
    fprintf(stderr, "find: %s\n", strerror(errno));
    w->status = 1;
    return;
  }
  visit(w, path, name, 0);
  free(name);
}

/* Whether the argument starts the expression rather than naming a path. */
static int starts_expression(const char* arg) {
  return (arg[0] == '-' && arg[1] != '\0') || !strcmp(arg, "!") || !strcmp(arg, "(");
}

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && !strcmp(argv[first], "--")) first++;
  int paths_end = first;
  while (paths_end < argc && !starts_expression(argv[paths_end])) paths_end++;
  struct parser p = {argv, paths_end, argc, 0, INT_MAX, 0};
  struct node* expression = NULL;
  if (paths_end < argc) {
    expression = parse_list(&p);
    if (expression && p.at < argc) expression = bad("invalid expression: too many ", argv[p.at]);
    if (!expression) {
      usage();
      return 2;
    }
  }
  if (!p.printing) {
    struct node* print = new_node(PRINT, NULL, NULL);
    expression = expression ? new_node(AND, expression, print) : print;
  }
  struct walk w = {expression, p.mindepth, p.maxdepth, 0};
  if (paths_end == first) walk_from(&w, ".");
  for (int i = first; i < paths_end; i++) walk_from(&w, argv[i]);
  return w.status;
}
