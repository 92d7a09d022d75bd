/* test: `test EXPRESSION` or `[ EXPRESSION ]` — exits 0 when the expression is true, 1 when it
 * is false, 2 (and a line on standard error) when it cannot be read. POSIX's primaries:
 * -e -f -d -c -b -p -r -w -x -s -h -L -S FILE, -t FD (a terminal), -n -z STRING, STRING, S1 = S2, S1 != S2, N1 -eq -ne -lt -le -gt -ge
 * N2 (decimal integers), ! EXPRESSION, ( EXPRESSION ), E1 -a E2, E1 -o E2 (-a before -o);
 * up to 4 arguments, POSIX's rules by their number first (so `test !` and `test ( ! )` are
 * true: one argument, not empty).
 * The disk's /bin/[ is this program: named `[`, its last argument must be `]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char** args;
static int count, at;

static _Noreturn void fail(const char* what, const char* argument) {
  if (argument) fprintf(stderr, "test: %s: %s\n", argument, what);
  else fprintf(stderr, "test: %s\n", what);
  exit(2);
}

static const char* next(void) { return at < count ? args[at] : NULL; }

static const char* take(void) {
  if (at == count) fail("argument expected", args[count - 1]);
  return args[at++];
}

static long integer(const char* s) {
  char* end;
  errno = 0;
  const long n = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0') fail("integer expected", s);
  if (errno == ERANGE) fail("out of range", s);
  return n;
}

static int is_unary(const char* s) { return s && s[0] == '-' && s[1] && !s[2] && strchr("efdcbprwxsnztLhS", s[1]); }

static int is_binary(const char* s) {
  static const char* const operators[] = {"=", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"};
  for (unsigned i = 0; s && i < sizeof operators / sizeof operators[0]; i++)
    if (!strcmp(s, operators[i])) return 1;
  return 0;
}

static int unary(char op, const char* operand) {
  if (op == 'n') return operand[0] != '\0';
  if (op == 'z') return operand[0] == '\0';
  if (op == 't') return isatty((int)integer(operand));
  struct stat st;
  if ((op == 'h' || op == 'L' ? lstat(operand, &st) : stat(operand, &st)) != 0) return 0;
  switch (op) {
    case 'f': return S_ISREG(st.st_mode);
    case 'd': return S_ISDIR(st.st_mode);
    case 'c': return S_ISCHR(st.st_mode);
    case 'b': return S_ISBLK(st.st_mode);
    case 'p': return S_ISFIFO(st.st_mode);
    case 'h':
    case 'L': return S_ISLNK(st.st_mode);
    case 'S': return S_ISSOCK(st.st_mode);
    case 's': return st.st_size > 0;
    case 'r': return access(operand, R_OK) == 0;
    case 'w': return access(operand, W_OK) == 0;
    case 'x': return access(operand, X_OK) == 0;
    default: return 1; /* -e */
  }
}

static int binary(const char* left, const char* op, const char* right) {
  if (!strcmp(op, "=")) return strcmp(left, right) == 0;
  if (!strcmp(op, "!=")) return strcmp(left, right) != 0;
  const long a = integer(left), b = integer(right);
  switch (op[1] * 256 + op[2]) {
    case 'e' * 256 + 'q': return a == b;
    case 'n' * 256 + 'e': return a != b;
    case 'l' * 256 + 't': return a < b;
    case 'l' * 256 + 'e': return a <= b;
    case 'g' * 256 + 't': return a > b;
    default: return a >= b;
  }
}

static int expression(void);

/* A primary, or ! and ( before one. A word followed by a binary operator is a comparison
 * first (so `[ "$x" = ! ]` and `[ -n = -n ]` compare), as POSIX's rules for few arguments say. */
static int primary(void) {
  const char* word = take();
  if (at + 1 < count && is_binary(args[at])) {
    const char* op = take();
    return binary(word, op, take());
  }
  if (!strcmp(word, "!")) return !primary();
  if (!strcmp(word, "(") && at < count) {
    const int value = expression();
    const char* close = next();
    if (!close || strcmp(close, ")")) fail("')' expected", close);
    at++;
    return value;
  }
  if (is_unary(word) && at < count) return unary(word[1], take());
  return word[0] != '\0';
}

static int conjunction(void) {
  int value = primary();
  while (next() && !strcmp(next(), "-a")) {
    at++;
    value = primary() && value;
  }
  return value;
}

static int expression(void) {
  int value = conjunction();
  while (next() && !strcmp(next(), "-o")) {
    at++;
    value = conjunction() || value;
  }
  return value;
}

/* POSIX's rules for 1 to 4 arguments, which come before the operators' precedence: `n`
 * arguments from args[at]. */
static int few(int n) {
  const char* a = args[at];
  if (n == 1) {
    at++;
    return a[0] != '\0';
  }
  if (n == 2 && !strcmp(a, "!")) {
    at++;
    return !few(1);
  }
  if (n == 2 && is_unary(a)) {
    at += 2;
    return unary(a[1], args[at - 1]);
  }
  if (n == 3 && is_binary(args[at + 1])) {
    at += 3;
    return binary(a, args[at - 2], args[at - 1]);
  }
  if (n >= 3 && !strcmp(a, "!")) {
    at++;
    return !few(n - 1);
  }
  if (n >= 3 && !strcmp(a, "(") && !strcmp(args[at + n - 1], ")")) {
    at++;
    const int value = few(n - 2);
    at++;
    return value;
  }
  return expression();
}

int main(int argc, char** argv) {
  const char* name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  args = argv + 1;
  count = argc - 1;
  if (!strcmp(name, "[")) {
    if (count == 0 || strcmp(args[count - 1], "]")) fail("missing ']'", NULL);
    count--;
  }
  if (count == 0) return 1;
  const int value = count <= 4 ? few(count) : expression();
  if (at < count) fail("unexpected argument", args[at]);
  return value ? 0 : 1;
}
