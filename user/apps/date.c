/* date [-u] [-d @SECONDS] [+FORMAT]: the time now (CLOCK_REALTIME), or SECONDS after the
 * epoch (-d: blanks, signs of which the last counts, and a fraction after '.' or ',' allowed,
 * as coreutils reads them), written in FORMAT, by default "%a %b %e %H:%M:%S %Z %Y"
 * (coreutils' in the C locale: "Thu Jan  1 00:00:00 UTC 1970"), then a newline. -u: in UTC;
 * else in local time, which is UTC unless TZ holds a POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3",
 * read by picolibc's localtime): mkh has no zone files, so any other TZ ("UTC", "Europe/Paris")
 * is UTC, named by its leading letters as glibc names a zone whose file it does not find.
 * FORMAT's conversions are coreutils' in the C locale: %a %A %b %B %h %p %P (names: picolibc's
 * strftime), %c %x %X %D %F %T %R %r, %C %y %Y %g %G %V %U %W %d %e %j %m %H %I %k %l %M %S
 * %u %w %q, %s (seconds since the epoch), %N (nanoseconds; "%-N" as many digits as the clock
 * resolves: 9), %z %:z %::z %:::z (the offset from UTC), %Z (the zone's name: "UTC" with -u),
 * %n %t %%. Each takes, as in coreutils, the flags - (no padding), _ (spaces), 0 (zeros), +
 * (zeros, and '+' before a year wider than 4 digits), ^ (upper case), # (the other case), a
 * width, and an E or O modifier where coreutils accepts one: as there, the conversions
 * coreutils has glibc's strftime write (the names, %c %x %X %r, %EC %Ey %EY, and with O the
 * numbers that are not negative) come in glibc's own padding, which the flags only widen. A
 * directive coreutils does not know is written as it is (in its width). Years from
 * -2147481748 to 2147485547 are shown; others are out of range. Statuses: 0; 1 when -d's time
 * is not @SECONDS or is out of range, or the output fails; 2 for a usage error: an unknown
 * option, -d without its argument, two formats, an operand without '+'. Not coreutils': -d
 * reads only @SECONDS (coreutils reads dates in many forms); a usage error's status is 2
 * (coreutils' is 1), and an operand without '+' is one (coreutils sets the clock with it);
 * no long options; in the last years (past 2147483647) coreutils' glibc overflows for %c %EC
 * %EY %OC %OG %Og, not this date. A user program of mkh's /bin (user/apps/): plain C, runs
 * unchanged under qemu-riscv32. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The years shown, as coreutils' (a year in an int once 1900 is taken off), in seconds. */
#define FIRST_SECOND (-67768040609740800LL)
#define LAST_SECOND 67768036191676799LL

/* A time, and its fields in the zone it is shown in. */
struct moment {
  long long seconds; /* since the epoch */
  long nanoseconds;
  long long year;
  int month, day, hour, minute, second; /* month 1-12, day 1-31 */
  int yday, wday;                       /* 0-365, 0-6 from Sunday */
  long offset;                          /* seconds east of UTC */
  const char* zone;
};

/* A directive of FORMAT: %[flags][width][E|O][colons]conversion. */
struct spec {
  char pad;  /* '-', '_', '0', '+', or 0 for the conversion's own */
  int upper; /* ^ */
  int swap;  /* # */
  int width; /* -1: none */
  char modifier, conversion;
  int colons;
};

/* A string that grows. */
struct text {
  char* data;
  size_t length, capacity;
};

static int usage(void) {
  fprintf(stderr, "usage: date [-u] [-d @SECONDS] [+FORMAT]\n");
  return 2;
}

/* Makes room for `more` bytes in `out`; a failed allocation ends date. */
static void reserve(struct text* out, size_t more) {
  if (out->capacity - out->length > more) return;
  const size_t needed = out->length + more + 1;
  const size_t capacity = needed < out->length ? 0 : needed < out->capacity * 2 ? out->capacity * 2 : needed;
  char* bigger = capacity != 0 ? realloc(out->data, capacity) : NULL;
  if (bigger == NULL) {
    fprintf(stderr, "date: %s\n", strerror(ENOMEM));
    exit(1);
  }
  out->data = bigger;
  out->capacity = capacity;
}

/* Appends `length` bytes of `bytes`. */
static void append(struct text* out, const char* bytes, size_t length) {
  reserve(out, length);
  memcpy(out->data + out->length, bytes, length);
  out->length += length;
}

/* Appends `count` copies of `c`. */
static void append_copies(struct text* out, char c, size_t count) {
  reserve(out, count);
  memset(out->data + out->length, c, count);
  out->length += count;
}

/* Appends what printf would write. */
static void appendf(struct text* out, const char* format, ...) {
  char small[64];
  va_list args;
  va_start(args, format);
  const int length = vsnprintf(small, sizeof small, format, args);
  va_end(args);
  if (length < 0) return;
  if ((size_t)length < sizeof small) {
    append(out, small, (size_t)length);
    return;
  }
  reserve(out, (size_t)length + 1);
  va_start(args, format);
  vsnprintf(out->data + out->length, (size_t)length + 1, format, args);
  va_end(args);
  out->length += (size_t)length;
}

/* Floor division and its remainder, for negative times. */
static long long floor_div(long long a, long long b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }
static long long floor_mod(long long a, long long b) { return a - floor_div(a, b) * b; }

static int is_leap(long long year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

/* The days from 1970-01-01 to `year`-`month`-`day` of the proleptic Gregorian calendar, counted
 * in eras of 400 years (146097 days) from a year that starts in March, so that February's
 * last day ends it. */
static long long days_from_civil(long long year, int month, int day) {
  if (month <= 2) year--;
  const long long era = floor_div(year, 400);
  const long long year_of_era = year - era * 400;
  const int day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468; /* 719468: the days from 0000-03-01 to 1970-01-01 */
}

/* The date `days` after 1970-01-01: days_from_civil's inverse. */
static void civil_from_days(long long days, long long* year, int* month, int* day) {
  days += 719468;
  const long long era = floor_div(days, 146097);
  const long long day_of_era = days - era * 146097;
  const long long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int day_of_year = (int)(day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100));
  const int march_month = (5 * day_of_year + 2) / 153; /* 0: March */
  *day = day_of_year - (153 * march_month + 2) / 5 + 1;
  *month = march_month < 10 ? march_month + 3 : march_month - 9;
  *year = year_of_era + era * 400 + (*month <= 2);
}

/* The offset from UTC of local time at `seconds`, and the zone's name, as picolibc's localtime
 * reads TZ. Unset, empty, or a TZ picolibc cannot read (a zone file's name): UTC, named by
 * TZ's leading letters, as glibc names it when it finds no such file, else "UTC". */
static void local_zone(long long seconds, long* offset, const char** zone) {
  const char* tz = getenv("TZ");
  *offset = 0;
  *zone = "UTC";
  if (tz == NULL || tz[0] == '\0') return;
  tzset();
  int dst = 0;
  const time_t when = (time_t)seconds;
  struct tm local;
  if (localtime_r(&when, &local) != NULL) {
    const long long shown = days_from_civil(local.tm_year + 1900LL, local.tm_mon + 1, local.tm_mday) * 86400 +
                            local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec;
    *offset = (long)(shown - seconds);
    dst = local.tm_isdst > 0;
  } else {
    *offset = -_timezone;
  }
  if (tzname[dst] != NULL && tzname[dst][0] != '\0') {
    *zone = tzname[dst];
    return;
  }
  const char* letters = tz + (tz[0] == ':');
  size_t length = 0;
  while (isalpha((unsigned char)letters[length])) length++;
  char* name = length > 0 ? strndup(letters, length) : NULL;
  if (name != NULL) *zone = name; /* kept to the end */
}

/* Fills `m` for `seconds` and `nanoseconds`, in UTC or local time; -1 when its year is out of
 * range. */
static int make_moment(long long seconds, long nanoseconds, int utc, struct moment* m) {
  memset(m, 0, sizeof *m);
  m->seconds = seconds;
  m->nanoseconds = nanoseconds;
  m->zone = "UTC";
  if (!utc) local_zone(seconds, &m->offset, &m->zone);
  if (seconds < FIRST_SECOND - m->offset || seconds > LAST_SECOND - m->offset) return -1;
  const long long shown = seconds + m->offset;
  const long long days = floor_div(shown, 86400);
  const long long rest = shown - days * 86400;
  civil_from_days(days, &m->year, &m->month, &m->day);
  m->hour = (int)(rest / 3600);
  m->minute = (int)(rest / 60 % 60);
  m->second = (int)(rest % 60);
  m->yday = (int)(days - days_from_civil(m->year, 1, 1));
  m->wday = (int)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
  return 0;
}

/* The ISO 8601 weeks of `year`: 53 when it starts on a Thursday, or on a Wednesday in a leap
 * year; else 52. */
static int iso_weeks(long long year) {
  const long long first = floor_mod(days_from_civil(year, 1, 1) + 4, 7);
  return first == 4 || (first == 3 && is_leap(year)) ? 53 : 52;
}

/* The ISO 8601 week (1-53, weeks from Monday, week 1 holding the year's first Thursday) of
 * `m`, and the year it belongs to. */
static int iso_week(const struct moment* m, long long* year) {
  const int weekday = (m->wday + 6) % 7; /* 0: Monday */
  int week = (m->yday - weekday + 10) / 7;
  *year = m->year;
  if (week < 1) {
    week = iso_weeks(--*year);
  } else if (week > iso_weeks(*year)) {
    week = 1;
    ++*year;
  }
  return week;
}

/* The padding character of the directive: 0 for none, else the flag's or `own`. */
static char padding(const struct spec* s, char own) {
  if (s->pad == '-') return 0;
  if (s->pad == '_') return ' ';
  if (s->pad == '0' || s->pad == '+') return '0';
  return own;
}

/* Appends `digits` after `sign` (0 for none), padded to the directive's width, else to
 * `width`, with its padding or `own`: zeros after the sign, spaces before it. */
static void put_digits(struct text* out, const struct spec* s, char sign, const char* digits, int width, char own) {
  const size_t wanted = s->width >= 0 ? (size_t)s->width : (size_t)width;
  const size_t used = strlen(digits) + (sign != 0);
  const char pad = padding(s, own);
  const size_t room = pad != 0 && wanted > used ? wanted - used : 0;
  if (pad == ' ') append_copies(out, ' ', room);
  if (sign != 0) append(out, &sign, 1);
  if (pad == '0') append_copies(out, '0', room);
  append(out, digits, strlen(digits));
}

/* Appends a number: `magnitude`, after a '-' when `negative`, `width` wide unless the directive
 * says otherwise, padded with `own` (zeros or spaces). */
static void put_number(struct text* out, const struct spec* s, int negative, unsigned long long magnitude, int width,
                       char own) {
  char digits[24];
  snprintf(digits, sizeof digits, "%llu", magnitude);
  put_digits(out, s, negative ? '-' : 0, digits, width, own);
}

/* Appends a signed number, `width` wide (zeros) unless the directive says otherwise. */
static void put_value(struct text* out, const struct spec* s, long long value, int width) {
  put_number(out, s, value < 0, value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value, width, '0');
}

/* Appends a year (or a century): as a number `width` wide, and with the + flag a '+' before it
 * when it, or the directive's width, is wider than `width`. */
static void put_year(struct text* out, const struct spec* s, int negative, unsigned long long magnitude, int width) {
  char digits[24];
  snprintf(digits, sizeof digits, "%llu", magnitude);
  const int wanted = s->width >= 0 ? s->width : width;
  char sign = negative ? '-' : 0;
  if (!negative && s->pad == '+' && ((int)strlen(digits) > width || wanted > width)) sign = '+';
  put_digits(out, s, sign, digits, width, '0');
}

/* Appends `length` bytes of `bytes` in the directive's width (padded with spaces, or zeros
 * with 0 or +, on the left), in upper case when `upper`, in lower case when `lower`. */
static void put_string(struct text* out, const struct spec* s, const char* bytes, size_t length, int upper, int lower) {
  const char pad = padding(s, ' ');
  if (pad != 0 && s->width >= 0 && (size_t)s->width > length) append_copies(out, pad, (size_t)s->width - length);
  const size_t start = out->length;
  append(out, bytes, length);
  for (size_t i = start; i < out->length; i++) {
    if (upper) out->data[i] = (char)toupper((unsigned char)out->data[i]);
    else if (lower) out->data[i] = (char)tolower((unsigned char)out->data[i]);
  }
}

/* A name of the C locale (%a %A %b %B %p), as picolibc's strftime writes it. */
static void name_of(char conversion, const struct moment* m, char* name, size_t size) {
  struct tm tm = {.tm_wday = m->wday, .tm_mon = m->month - 1, .tm_mday = m->day, .tm_hour = m->hour, .tm_year = 70};
  const char format[3] = {'%', conversion, '\0'};
  if (strftime(name, size, format, &tm) == 0) name[0] = '\0';
}

/* Whether the offset from UTC has a '-' sign: west of UTC, or a zone named "-..." at UTC. */
static int offset_negative(const struct moment* m) { return m->offset < 0 || (m->offset == 0 && m->zone[0] == '-'); }

/* Appends the offset from UTC: %z +hhmm, %:z +hh:mm, %::z +hh:mm:ss, %:::z as little of
 * these as tells it; padded as a number whose sign counts in its width. */
static void put_offset(struct text* out, const struct spec* s, const struct moment* m) {
  const long magnitude = m->offset < 0 ? -m->offset : m->offset;
  const long hours = magnitude / 3600, minutes = magnitude / 60 % 60, seconds = magnitude % 60;
  char digits[32];
  int width;
  if (s->colons == 0) {
    snprintf(digits, sizeof digits, "%ld", hours * 100 + minutes);
    width = 5;
  } else if (s->colons == 2 || (s->colons == 3 && seconds != 0)) {
    snprintf(digits, sizeof digits, "%ld:%02ld:%02ld", hours, minutes, seconds);
    width = 9;
  } else if (s->colons == 1 || minutes != 0) {
    snprintf(digits, sizeof digits, "%ld:%02ld", hours, minutes);
    width = 6;
  } else {
    snprintf(digits, sizeof digits, "%ld", hours);
    width = 3;
  }
  put_digits(out, s, offset_negative(m) ? '-' : '+', digits, width, '0');
}

/* Appends the nanoseconds: as many leading digits of the nine as the width says (zeros after
 * them past nine); with _ the zeros at their end become spaces, with - they go. */
static void put_nanoseconds(struct text* out, const struct spec* s, const struct moment* m) {
  char nine[16];
  snprintf(nine, sizeof nine, "%09ld", m->nanoseconds);
  const size_t width = s->width > 0 ? (size_t)s->width : 9;
  const size_t start = out->length;
  append(out, nine, width < 9 ? width : 9);
  if (width > 9) append_copies(out, '0', width - 9);
  if (s->pad == '_' || s->pad == '-') {
    size_t end = out->length;
    while (end > start + 1 && out->data[end - 1] == '0') end--;
    out->length = end;
    if (s->pad == '_') append_copies(out, ' ', width - (end - start));
  }
}

/* Appends a numeric conversion (one of "CdegGHIjklmMqsSuUVwWyY"). */
static void put_numeric(struct text* out, const struct spec* s, const struct moment* m) {
  const int hour12 = m->hour % 12 ? m->hour % 12 : 12;
  const unsigned long long year = m->year < 0 ? 0ULL - (unsigned long long)m->year : (unsigned long long)m->year;
  long long iso_year;
  const int week = iso_week(m, &iso_year);
  const unsigned long long iso_magnitude =
      iso_year < 0 ? 0ULL - (unsigned long long)iso_year : (unsigned long long)iso_year;
  switch (s->conversion) {
    case 'C': put_year(out, s, m->year < 0, year / 100, 2); break;
    case 'y': put_year(out, s, 0, year % 100, 2); break;
    case 'Y': put_year(out, s, m->year < 0, year, 4); break;
    case 'g': put_year(out, s, 0, iso_magnitude % 100, 2); break;
    case 'G': put_year(out, s, iso_year < 0, iso_magnitude, 4); break;
    case 'V': put_value(out, s, week, 2); break;
    case 'U': put_value(out, s, (m->yday + 7 - m->wday) / 7, 2); break;
    case 'W': put_value(out, s, (m->yday + 7 - (m->wday + 6) % 7) / 7, 2); break;
    case 'd': put_value(out, s, m->day, 2); break;
    case 'e': put_number(out, s, 0, (unsigned long long)m->day, 2, ' '); break;
    case 'j': put_value(out, s, m->yday + 1, 3); break;
    case 'm': put_value(out, s, m->month, 2); break;
    case 'H': put_value(out, s, m->hour, 2); break;
    case 'I': put_value(out, s, hour12, 2); break;
    case 'k': put_number(out, s, 0, (unsigned long long)m->hour, 2, ' '); break;
    case 'l': put_number(out, s, 0, (unsigned long long)hour12, 2, ' '); break;
    case 'M': put_value(out, s, m->minute, 2); break;
    case 'S': put_value(out, s, m->second, 2); break;
    case 'q': put_value(out, s, (m->month - 1) / 3 + 1, 1); break;
    case 's': put_value(out, s, m->seconds, 1); break;
    case 'u': put_value(out, s, (m->wday + 6) % 7 + 1, 1); break;
    default: put_value(out, s, m->wday, 1); break; /* w */
  }
}

/* Whether coreutils has the C library (glibc) write the directive: the names and %c %x %X %r
 * (in the C locale, as here), %EC %Ey %EY, and, with O, a number that is not negative (or
 * one glibc does not know: %Oq, %O:z). */
static int from_library(const struct spec* s, const struct moment* m) {
  const char c = s->conversion;
  if (strchr("aAbBhpPcxXr", c)) return 1;
  if (s->modifier == 'E') return strchr("CyY", c) != NULL;
  if (s->modifier != 'O') return 0;
  long long iso_year;
  iso_week(m, &iso_year);
  if (c == 'C') return m->year >= 0;
  if (c == 'G') return iso_year >= 0;
  if (c == 'z') return !offset_negative(m);
  return strchr("deHIjklmMSuUVwWygq", c) != NULL;
}

/* Appends what glibc's strftime writes for the directive in the C locale, as from_library
 * chose it: in its own padding (none for its years and centuries), whatever the flags. */
static void put_library_text(struct text* out, const struct spec* s, const struct moment* m) {
  static const struct spec plain = {0, 0, 0, -1, 0, 0, 0};
  char day[16], month[16], meridian[8];
  long long iso_year;
  iso_week(m, &iso_year);
  name_of('a', m, day, sizeof day);
  name_of('b', m, month, sizeof month);
  name_of('p', m, meridian, sizeof meridian);
  const int hour12 = m->hour % 12 ? m->hour % 12 : 12;
  switch (s->conversion) {
    case 'a': appendf(out, "%s", day); break;
    case 'A':
    case 'B': {
      char name[16];
      name_of(s->conversion, m, name, sizeof name);
      appendf(out, "%s", name);
      break;
    }
    case 'b':
    case 'h': appendf(out, "%s", month); break;
    case 'p':
    case 'P': appendf(out, "%s", meridian); break;
    case 'c':
      appendf(out, "%s %s %2d %02d:%02d:%02d %lld", day, month, m->day, m->hour, m->minute, m->second, m->year);
      break;
    case 'x': appendf(out, "%02d/%02d/%02lld", m->month, m->day, floor_mod(m->year, 100)); break;
    case 'X': appendf(out, "%02d:%02d:%02d", m->hour, m->minute, m->second); break;
    case 'r': appendf(out, "%02d:%02d:%02d %s", hour12, m->minute, m->second, meridian); break;
    case 'C': appendf(out, "%lld", floor_div(m->year, 100)); break;
    case 'Y': appendf(out, "%lld", m->year); break;
    case 'y': appendf(out, "%02lld", floor_mod(m->year, 100)); break;
    case 'G': appendf(out, "%lld", iso_year); break;
    case 'g': appendf(out, "%02lld", floor_mod(iso_year, 100)); break;
    case 'q': appendf(out, "%%Oq"); break; /* not glibc's */
    case 'z':
      if (s->colons) appendf(out, "%%O:"); /* nor that */
      else appendf(out, "+%02ld%02ld", m->offset / 3600, m->offset / 60 % 60);
      break;
    default: { /* the others as coreutils writes them without flags */
      struct spec bare = plain;
      bare.conversion = s->conversion;
      put_numeric(out, &bare, m);
    }
  }
}

/* Appends a conversion made of others (%D %F %T %R) in the directive's width: %D's year as
 * %y with the directive's padding, %F's taking the width left to it. */
static void put_composite(struct text* out, const struct spec* s, const struct moment* m) {
  struct text part = {NULL, 0, 0};
  struct spec year = {s->pad, 0, 0, -1, 0, 'y', 0};
  switch (s->conversion) {
    case 'D': {
      const long long last_two = m->year % 100 < 0 ? -(m->year % 100) : m->year % 100;
      appendf(&part, "%02d/%02d/", m->month, m->day);
      put_year(&part, &year, 0, (unsigned long long)last_two, 2);
      break;
    }
    case 'F': {
      const int bare = s->pad == 0 && s->width < 0;
      year.pad = bare ? '+' : s->pad;
      year.width = bare ? 4 : s->width > 6 ? s->width - 6 : 0;
      put_year(&part, &year, m->year < 0,
               m->year < 0 ? 0ULL - (unsigned long long)m->year : (unsigned long long)m->year, 4);
      appendf(&part, "-%02d-%02d", m->month, m->day);
      break;
    }
    case 'R': appendf(&part, "%02d:%02d", m->hour, m->minute); break;
    default: appendf(&part, "%02d:%02d:%02d", m->hour, m->minute, m->second); break; /* T */
  }
  put_string(out, s, part.data, part.length, s->upper, 0);
  free(part.data);
}

/* Appends the conversion of the directive `s`. Case: ^ upper; # upper for the names of days
 * and months, lower for AM/PM and the zone's name; %P always lower. */
static void convert(struct text* out, const struct spec* s, const struct moment* m) {
  const char c = s->conversion;
  const int lower = c == 'P' || (s->swap && strchr("pZ", c));
  const int upper = !lower && (s->upper || (s->swap && strchr("aAbBh", c)));
  if (from_library(s, m)) {
    struct text part = {NULL, 0, 0};
    put_library_text(&part, s, m);
    put_string(out, s, part.data, part.length, upper, lower);
    free(part.data);
  } else if (c == 'Z') {
    put_string(out, s, m->zone, strlen(m->zone), upper, lower);
  } else if (c == 'z') {
    put_offset(out, s, m);
  } else if (c == 'N') {
    put_nanoseconds(out, s, m);
  } else if (c == 'n' || c == 't') {
    put_string(out, s, c == 'n' ? "\n" : "\t", 1, 0, 0);
  } else if (strchr("DFRT", c)) {
    put_composite(out, s, m);
  } else {
    put_numeric(out, s, m);
  }
}

/* Appends a directive coreutils does not know, the `length` bytes at `start`, as it is, in the
 * directive's width; in upper case with ^, or with # after %Eb or %Eh. */
static void put_literal(struct text* out, const struct spec* s, const char* start, size_t length) {
  const int upper =
      s->upper || (s->swap && s->modifier == 'E' && (start[length - 1] == 'b' || start[length - 1] == 'h'));
  put_string(out, s, start, length, upper, 0);
}

/* Reads the directive at `start` (its '%') into `s`, and where the next one starts into *next.
 * A bad one's conversion is 0, and *literal says how many bytes after `start` it writes as
 * they are: up to its bad character, not a '%' (which starts the next one), or up to the first
 * colon not before 'z'. */
static void parse_spec(const char* start, struct spec* s, size_t* literal, const char** next) {
  static const char known[] = "aAbBcCdDeFgGhHIjklmMnNpPqrRsStTuUVwWxXyYzZ";
  static const char with_e[] = "cCnpPqrRstTuxXyYzZ", with_o[] = "bBCdeghGHIjklmMnNpPqrRsStTuUVwWyzZ";
  const char* at = start + 1;
  memset(s, 0, sizeof *s);
  s->width = -1;
  for (;; at++) {
    if (*at == '-' || *at == '_' || *at == '0' || *at == '+') s->pad = *at;
    else if (*at == '^') s->upper = 1;
    else if (*at == '#') s->swap = 1;
    else break;
  }
  for (; *at >= '0' && *at <= '9'; at++)
    s->width = s->width > (INT_MAX - 9) / 10 ? INT_MAX : (s->width < 0 ? 0 : s->width) * 10 + (*at - '0');
  if (*at == 'E' || *at == 'O') s->modifier = *at++;
  while (at[s->colons] == ':') s->colons++;
  const char conversion = at[s->colons];
  if (s->colons > 0 && conversion != 'z') {
    *next = at + 1;
  } else if (s->colons > 3) {
    *next = at + s->colons + 1;
  } else {
    at += s->colons;
    const int bad = conversion == '\0' || conversion == '%' || !strchr(known, conversion) ||
                    (s->modifier == 'E' && !strchr(with_e, conversion)) ||
                    (s->modifier == 'O' && !strchr(with_o, conversion));
    *next = conversion == '\0' || conversion == '%' ? at : at + 1;
    if (!bad) s->conversion = conversion;
  }
  *literal = (size_t)(*next - start);
}

/* Appends FORMAT for the moment `m`. */
static void format(struct text* out, const char* format, const struct moment* m) {
  const char* at = format;
  while (*at != '\0') {
    if (*at != '%') {
      const char* end = strchr(at, '%');
      const size_t length = end ? (size_t)(end - at) : strlen(at);
      append(out, at, length);
      at += length;
      continue;
    }
    if (at[1] == '%') {
      append(out, "%", 1);
      at += 2;
      continue;
    }
    struct spec s;
    size_t literal;
    const char* next;
    parse_spec(at, &s, &literal, &next);
    if (!strncmp(at, "%-N", 3)) s.pad = 0, s.width = 9; /* as many digits as the clock resolves */
    if (s.conversion == 0) put_literal(out, &s, at, literal);
    else convert(out, &s, m);
    at = next;
  }
}

/* Reads -d's "@SECONDS" (blanks around, signs of which the last counts, a fraction after '.'
 * or ','; beyond nanoseconds it rounds down) into `seconds` and `nanoseconds`; 0, or -1 when
 * it is not such a time. */
static int parse_time(const char* text, long long* seconds, long* nanoseconds) {
  const char* at = text;
  while (isspace((unsigned char)*at)) at++;
  if (*at++ != '@') return -1;
  int negative = 0;
  for (;; at++) {
    if (*at == '-' || *at == '+') negative = *at == '-';
    else if (!isspace((unsigned char)*at)) break;
  }
  if (*at < '0' || *at > '9') return -1;
  unsigned long long whole = 0;
  for (; *at >= '0' && *at <= '9'; at++) {
    if (whole > (ULLONG_MAX - 9) / 10) return -1;
    whole = whole * 10 + (unsigned long long)(*at - '0');
  }
  long fraction = 0;
  int beyond = 0; /* a digit past the nanoseconds that is not 0 */
  if (*at == '.' || *at == ',') {
    if (at[1] < '0' || at[1] > '9') return -1;
    int count = 0;
    for (at++; *at >= '0' && *at <= '9'; at++, count++) {
      if (count < 9) fraction = fraction * 10 + (*at - '0');
      else beyond |= *at != '0';
    }
    for (; count < 9; count++) fraction *= 10;
  }
  while (isspace((unsigned char)*at)) at++;
  if (*at != '\0' || whole > (unsigned long long)LLONG_MAX + negative) return -1;
  if (!negative) {
    *seconds = (long long)whole;
    *nanoseconds = fraction;
    return 0;
  }
  /* -W.F is -(W+1) + (1 - .F), when F is not 0 */
  fraction += beyond;
  *seconds = whole == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)whole;
  *nanoseconds = 0;
  if (fraction > 0) {
    if (*seconds == LLONG_MIN) return -1;
    *seconds -= 1;
    *nanoseconds = 1000000000L - fraction;
  }
  return 0;
}

/* The options: -u, -d TIME; the format. 0, or -1 after a usage error's report. */
static int parse_arguments(int argc, char** argv, int* utc, const char** when, const char** format_text) {
  int options_done = 0;
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      if (arg[0] != '+') {
        fprintf(stderr, "date: %s: setting the date is not supported\n", arg);
        return -1;
      }
      if (*format_text != NULL) {
        fprintf(stderr, "date: extra operand %s\n", arg);
        return -1;
      }
      *format_text = arg + 1;
    } else if (!strcmp(arg, "--")) {
      options_done = 1;
    } else {
      for (const char* letter = arg + 1; *letter != '\0'; letter++) {
        if (*letter == 'u') {
          *utc = 1;
        } else if (*letter == 'd') {
          *when = letter[1] != '\0' ? letter + 1 : i + 1 < argc ? argv[++i] : NULL;
          if (*when == NULL) {
            fprintf(stderr, "date: option requires an argument -- 'd'\n");
            return -1;
          }
          break;
        } else if (arg[1] == '-') {
          fprintf(stderr, "date: unrecognized option %s\n", arg);
          return -1;
        } else {
          fprintf(stderr, "date: invalid option -- '%c'\n", *letter);
          return -1;
        }
      }
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  int utc = 0;
  const char *when = NULL, *format_text = NULL;
  if (parse_arguments(argc, argv, &utc, &when, &format_text) < 0) return usage();
  long long seconds;
  long nanoseconds;
  if (when != NULL) {
    if (parse_time(when, &seconds, &nanoseconds) < 0) {
      fprintf(stderr, "date: %s: invalid date\n", when);
      return 1;
    }
  } else {
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) < 0) {
      fprintf(stderr, "date: clock_gettime: %s\n", strerror(errno));
      return 1;
    }
    seconds = now.tv_sec;
    nanoseconds = now.tv_nsec;
  }
  struct moment m;
  if (make_moment(seconds, nanoseconds, utc, &m) < 0) {
    fprintf(stderr, "date: %s: time out of range\n", when != NULL ? when : "now");
    return 1;
  }
  struct text out = {NULL, 0, 0};
  format(&out, format_text != NULL ? format_text : "%a %b %e %H:%M:%S %Z %Y", &m);
  append(&out, "\n", 1);
  fwrite(out.data, 1, out.length, stdout);
  free(out.data);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "date: write error: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}
