/* printf FORMAT [ARGUMENT...]: FORMAT written to standard output, its escapes and conversions
 * replaced, as coreutils' printf does in the C locale. The escapes (in FORMAT, and in the
 * argument of %b): \\ \" \a \b \e \f \n \r \t \v, \NNN (1 to 3 octal digits; in %b \0NNN as
 * well), \xHH (1 or 2 hex digits), \uHHHH and \UHHHHHHHH (written back as \uHHHH in the C
 * locale: no character of it is a byte, except $ @ `), and \c, which ends all output at once
 * (status 0); any other backslash is written as it is. The conversions: %% %s %b %c (the
 * argument's first byte) %d %i (signed) %u %o %x %X (unsigned), with the flags - 0 + space #
 * and ' (no grouping in the C locale), a width and a precision, either of them * (taken from
 * the next argument; a negative width means -, a negative precision none); length modifiers
 * (hh h l ll j z t L) are ignored. The format is used again while arguments remain (not when
 * it used none: then they are ignored with a warning); a missing argument is "" (0 for a
 * number). A number argument is C's: decimal, octal after 0, hex after 0x, a sign; 'c or "c is
 * the code of the byte c. One that is not a number is reported ("printf: ARG: expected a
 * numeric value", or "value not completely converted", or out of range: then it is the
 * nearest limit), the rest still written, and the status is 1. An invalid conversion
 * specification (%k, %#d, %5b...), \x without a digit or a bad \u name stop printf with status
 * 1. Not coreutils': the floating-point conversions %f %F %e %E %g %G %a %A are a usage error
 * (coreutils prints long doubles, which picolibc's printf cannot), as is %q, and so is a
 * missing FORMAT (status 2); --help and --version are formats like any other. A user
 * program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arguments not used yet, and the exit status so far. */
struct arguments {
  char** next;
  int left;
  int status;
};

/* One conversion: %[flags][width][.precision][length modifiers]conversion. */
struct directive {
  int minus, plus, space, alt, zero, grouping;
  int width_star, precision_star, has_precision;
  long long width, precision; /* as written in the format; -1: none */
  char conversion;
  size_t length; /* from the '%' to the conversion, both in */
};

static int usage(void) {
  fprintf(stderr, "usage: printf FORMAT [ARGUMENT...]\n");
  return 2;
}

/* Ends printf (status 1, the output so far written) after saying "printf: ", the `length`
 * bytes of `what`, then `message`. */
static void fail(const char* what, size_t length, const char* message) {
  fprintf(stderr, "printf: %.*s%s\n", (int)length, what, message);
  exit(1);
}

/* The value of a hex digit, or -1. */
static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Writes what \u or \U (at `at`, after the backslash) stands for in the C locale; the number
 * of characters read after the backslash. */
static size_t universal_escape(const char* at) {
  const int digits = *at == 'u' ? 4 : 8;
  unsigned long value = 0;
  for (int i = 1; i <= digits; i++) {
    const int digit = hex_value(at[i]);
    if (digit < 0) fail("", 0, "missing hexadecimal number in escape");
    value = value * 16 + (unsigned long)digit;
  }
  if ((value < 0xa0 && value != '$' && value != '@' && value != '`') || (value >= 0xd800 && value <= 0xdfff)) {
    fprintf(stderr, "printf: invalid universal character name \\%c%0*lx\n", *at, digits, value);
    exit(1);
  }
  if (value < 0xa0) putchar((int)value);
  else if (value <= 0xffff) printf("\\u%04lX", value);
  else printf("\\U%08lX", value);
  return (size_t)digits + 1;
}

/* Writes what the escape at `at` (after its backslash) stands for; the number of characters
 * it takes after the backslash. In a %b argument (`in_argument`) \0NNN is octal too. \c ends
 * printf. */
static size_t escape(const char* at, int in_argument) {
  static const char letters[] = "\"\\abefnrtv", bytes[] = "\"\\\a\b\033\f\n\r\t\v";
  if (*at == 'x') {
    int value = 0, count = 0;
    while (count < 2 && hex_value(at[count + 1]) >= 0) value = value * 16 + hex_value(at[++count]);
    if (count == 0) fail("", 0, "missing hexadecimal number in escape");
    putchar(value);
    return (size_t)count + 1;
  }
  if (*at >= '0' && *at <= '7') {
    size_t used = in_argument && *at == '0';
    int value = 0, count = 0;
    for (; count < 3 && at[used] >= '0' && at[used] <= '7'; count++) value = value * 8 + (at[used++] - '0');
    putchar(value & 0xff);
    return used;
  }
  if (*at == 'c') {
    fflush(stdout);
    exit(0);
  }
  if (*at == 'u' || *at == 'U') return universal_escape(at);
  const char* letter = *at ? strchr(letters, *at) : NULL;
  if (letter != NULL) {
    putchar(bytes[letter - letters]);
    return 1;
  }
  putchar('\\');
  if (*at == '\0') return 0;
  putchar(*at);
  return 1;
}

/* The next argument, or "" when none is left. */
static const char* take(struct arguments* args) {
  if (args->left == 0) return "";
  args->left--;
  return *args->next++;
}

/* The number `text` stands for (a character constant 'c, or C's integer syntax, as signed or
 * unsigned), reported when it is not one: then the status becomes 1. */
static uintmax_t number(const char* text, int is_signed, struct arguments* args) {
  if ((text[0] == '\'' || text[0] == '"') && text[1] != '\0') {
    if (text[2] != '\0')
      fprintf(stderr, "printf: warning: %s: character(s) following character constant have been ignored\n", text + 2);
    return (unsigned char)text[1];
  }
  char* end;
  errno = 0;
  const uintmax_t value = is_signed ? (uintmax_t)strtoimax(text, &end, 0) : strtoumax(text, &end, 0);
  if (errno != 0) {
    fprintf(stderr, "printf: %s: %s\n", text, strerror(errno));
    args->status = 1;
  } else if (*end != '\0') {
    fprintf(stderr, "printf: %s: %s\n", text,
            end == text ? "expected a numeric value" : "value not completely converted");
    args->status = 1;
  }
  return value;
}

/* Writes `count` copies of `c`. */
static void pad(long long count, char c) {
  for (; count > 0; count--) putchar(c);
}

/* Writes an integer conversion: `magnitude` after a '-' when `negative`, in the directive's
 * base, with its precision (digits at least), sign, prefix and width. */
static void put_integer(const struct directive* d, long long width, long long precision, int negative,
                        uintmax_t magnitude) {
  const char conversion = d->conversion;
  const unsigned base = conversion == 'o' ? 8 : conversion == 'x' || conversion == 'X' ? 16 : 10;
  const char* set = conversion == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[64];
  int count = 0;
  for (uintmax_t rest = magnitude; rest != 0; rest /= base) digits[count++] = set[rest % base];
  long long zeros = precision < 0 ? (count == 0) : precision > count ? precision - count : 0;
  if (d->alt && base == 8 && zeros == 0) zeros = 1;
  char prefix[3] = "";
  if (conversion == 'd' || conversion == 'i') {
    if (negative) strcpy(prefix, "-");
    else if (d->plus) strcpy(prefix, "+");
    else if (d->space) strcpy(prefix, " ");
  } else if (d->alt && base == 16 && magnitude != 0) {
    strcpy(prefix, conversion == 'X' ? "0X" : "0x");
  }
  const long long used = (long long)strlen(prefix) + zeros + count;
  const long long room = width > used ? width - used : 0;
  if (d->minus) {
    fputs(prefix, stdout);
    pad(zeros, '0');
  } else if (d->zero && precision < 0) {
    fputs(prefix, stdout);
    pad(room + zeros, '0');
  } else {
    pad(room, ' ');
    fputs(prefix, stdout);
    pad(zeros, '0');
  }
  while (count > 0) putchar(digits[--count]);
  if (d->minus) pad(room, ' ');
}

/* Writes `length` bytes of `text` in a field of `width` (on the left with -). */
static void put_text(const struct directive* d, long long width, const char* text, size_t length) {
  const long long room = width > (long long)length ? width - (long long)length : 0;
  if (!d->minus) pad(room, ' ');
  fwrite(text, 1, length, stdout);
  if (d->minus) pad(room, ' ');
}

/* Reads the directive after a '%' at `at` into `d`; where its conversion character is. */
static const char* parse_directive(const char* at, struct directive* d) {
  const char* start = at - 1;
  memset(d, 0, sizeof *d);
  d->width = d->precision = -1;
  for (;; at++) {
    if (*at == '-') d->minus = 1;
    else if (*at == '+') d->plus = 1;
    else if (*at == ' ') d->space = 1;
    else if (*at == '#') d->alt = 1;
    else if (*at == '0') d->zero = 1;
    else if (*at == '\'' || *at == 'I') d->grouping = 1;
    else break;
  }
  if (*at == '*') d->width_star = 1, at++;
  else if (*at >= '1' && *at <= '9')
    for (d->width = 0; *at >= '0' && *at <= '9'; at++)
      if ((d->width = d->width * 10 + (*at - '0')) > INT_MAX) d->width = INT_MAX;
  if (*at == '.') {
    d->has_precision = 1;
    at++;
    if (*at == '*') d->precision_star = 1, at++;
    else
      for (d->precision = 0; *at >= '0' && *at <= '9'; at++)
        if ((d->precision = d->precision * 10 + (*at - '0')) > INT_MAX) d->precision = INT_MAX;
  }
  while (*at && strchr("hlLjzt", *at)) at++;
  d->conversion = *at;
  d->length = (size_t)(at - start) + (*at != '\0');
  return at;
}

/* Whether the directive's flags and precision suit its conversion, as coreutils' allow. */
static int valid(const struct directive* d) {
  const char c = d->conversion;
  if (c == '\0' || !strchr("cdiosuxX", c)) return 0;
  if (d->grouping && strchr("cosxX", c)) return 0;
  if (d->alt && strchr("cdisu", c)) return 0;
  if (d->zero && strchr("cs", c)) return 0;
  return !(d->has_precision && c == 'c');
}

/* A width (or else a precision) taken from the next argument (*): in int's range, else printf
 * ends; a precision below it is none (-1). */
static long long star_value(struct arguments* args, int is_width) {
  const char* text = take(args);
  const intmax_t value = (intmax_t)number(text, 1, args);
  if (value > INT_MAX || (is_width && value < INT_MIN)) {
    fprintf(stderr, "printf: invalid %s: %s\n", is_width ? "field width" : "precision", text);
    exit(1);
  }
  return !is_width && value < 0 ? -1 : value;
}

/* Writes the conversion of the directive `d` (starting at `start`), taking its arguments. */
static void convert(const struct directive* d, const char* start, struct arguments* args) {
  long long width = d->width_star ? star_value(args, 1) : d->width;
  const long long precision = d->precision_star ? star_value(args, 0) : d->precision;
  if (!valid(d)) fail(start, d->length, ": invalid conversion specification");
  struct directive flags = *d;
  if (width < 0 && d->width_star) flags.minus = 1, width = -width;
  const char* argument = take(args);
  const char c = d->conversion;
  if (c == 'c') {
    put_text(&flags, width, argument, 1);
  } else if (c == 's') {
    const size_t length = strlen(argument);
    put_text(&flags, width, argument, precision >= 0 && (size_t)precision < length ? (size_t)precision : length);
  } else if (c == 'd' || c == 'i') {
    const intmax_t value = (intmax_t)number(argument, 1, args);
    put_integer(&flags, width, precision, value < 0, value < 0 ? -(uintmax_t)value : (uintmax_t)value);
  } else {
    put_integer(&flags, width, precision, 0, number(argument, 0, args));
  }
}

/* Writes the format once, taking the arguments its conversions use. */
static void print_format(const char* format, struct arguments* args) {
  for (const char* at = format; *at; at++) {
    if (*at == '\\') {
      at += escape(at + 1, 0);
    } else if (*at != '%') {
      putchar(*at);
    } else if (at[1] == '%') {
      putchar('%');
      at++;
    } else if (at[1] == 'b') {
      const char* argument = take(args);
      for (const char* in = argument; *in; in++) {
        if (*in == '\\') in += escape(in + 1, 1);
        else putchar(*in);
      }
      at++;
    } else {
      const char* start = at;
      struct directive d;
      at = parse_directive(at + 1, &d);
      convert(&d, start, args);
      if (*at == '\0') break;
    }
  }
}

/* The first floating-point conversion (or %q) of the format, or NULL: what this printf
 * does not do. */
static const char* unsupported(const char* format, size_t* length) {
  for (const char* at = format; *at; at++) {
    if (*at == '\\' && at[1] != '\0') {
      at++;
    } else if (*at == '%' && at[1] != '\0') {
      if (at[1] == '%' || at[1] == 'b') {
        at++;
        continue;
      }
      struct directive d;
      const char* end = parse_directive(at + 1, &d);
      if (d.conversion != '\0' && strchr("aAeEfFgGq", d.conversion)) {
        *length = d.length;
        return at;
      }
      if (*end == '\0') break;
      at = end;
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && !strcmp(argv[first], "--")) first++;
  if (first == argc) {
    fprintf(stderr, "printf: missing operand\n");
    return usage();
  }
  const char* format = argv[first];
  size_t length;
  const char* bad = unsupported(format, &length);
  if (bad != NULL) {
    fprintf(stderr, "printf: %.*s: conversion not supported (no floating point, no %%q)\n", (int)length, bad);
    return usage();
  }
  struct arguments args = {argv + first + 1, argc - first - 1, 0};
  for (;;) {
    const int before = args.left;
    print_format(format, &args);
    if (args.left == 0) break;
    if (args.left == before) {
      fprintf(stderr, "printf: warning: ignoring excess arguments, starting with %s\n", *args.next);
      break;
    }
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "printf: write error: %s\n", strerror(errno));
    return 1;
  }
  return args.status;
}
