/* stat [-L] [-c FORMAT] FILE...: what stat(2) says of each file ("-": standard input), as
 * coreutils' stat in the C locale. -L follows a symbolic link (FAT has none). -c writes FORMAT
 * and a newline for each file, its directives replaced: %n the name, %s the size in bytes,
 * %F the type ("regular file", "regular empty file", "directory", "symbolic link", "fifo",
 * "socket", "character special file", "block special file", "weird file"), %a the permission
 * bits in octal, %A them as ls writes them (-rw-r--r--), %f the raw mode in hex, %h the
 * links, %i the inode, %u %g the owner's ids, %U %G their names (from /etc/passwd and
 * /etc/group, else UNKNOWN), %b the blocks allocated, %B their size (512), %o the best I/O
 * size, %d %D the device (decimal, hex), %Hd %Ld its major and minor numbers, %r %R %Hr %Lr
 * %t %T the same of the device a special file is, %x %y %z the last access, modification and
 * change times ("2024-05-09 12:34:56.123456789 +0000", local time), %X %Y %Z them in seconds
 * since the epoch (a precision adds that many digits of fraction, "." alone nine), %w %W the
 * birth time (never known here: "-" and 0), %% a '%'. Each takes printf's flags (- 0 + space #
 * '), a width and a precision; an unknown one is "?"; a '%' after flags, or a directive cut by
 * FORMAT's end, is an error (status 1 at once). No backslash escapes (coreutils' --printf).
 * Without -c, coreutils' listing of 8 lines: "File:" and the name; the size, the blocks, the
 * I/O size and the type; the device (major,minor), the inode and the links (and a special
 * file's device numbers); the permissions, the owner's and the group's ids and names; the
 * access, modification and change times; the birth time ("-"). These values but the name, the
 * size and the type are the file system's own: under qemu the host's, under mkh FAT's. A file
 * it cannot stat is reported ("stat: NAME: strerror"), the others still shown, and the status
 * is 1. A usage error (an unknown option, -c without FORMAT, no FILE) exits 2. Not coreutils':
 * a usage error's status (coreutils' is 1); the birth time, which coreutils shows when the
 * file system keeps it; picolibc's struct stat holds 16 bits of the inode, device, link and
 * id numbers, and 31 of the size; no %N %m %C, no --printf, -t, -f or long options; a
 * symbolic link's "File:" line does not show its target. A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timestamp.h"

/* The default listing, as coreutils' (a special file's third line adds its device numbers). */
static const char listing[] =
    "  File: %n\n"
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: %Hd,%Ld\tInode: %-11i Links: %h\n"
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\n"
    "Modify: %y\n"
    "Change: %z\n"
    " Birth: %w\n";
static const char special_listing[] =
    "  File: %n\n"
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: %Hd,%Ld\tInode: %-11i Links: %-5h Device type: %Hr,%Lr\n"
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\n"
    "Modify: %y\n"
    "Change: %z\n"
    " Birth: %w\n";

/* A directive of FORMAT: %[flags][width][.precision][H|L]conversion. */
struct directive {
  char flags[8];
  int width, precision; /* -1: none ("." alone is a precision of 0, and `bare_dot`) */
  int bare_dot;
  char half; /* 'H' (major), 'L' (minor) or 0 */
  char conversion;
};

static int usage(void) {
  fprintf(stderr, "usage: stat [-L] [-c FORMAT] FILE...\n");
  return 2;
}

/* The file's type, in coreutils' words. */
static const char* type_of(const struct stat* st) {
  if (S_ISREG(st->st_mode)) return st->st_size == 0 ? "regular empty file" : "regular file";
  if (S_ISDIR(st->st_mode)) return "directory";
  if (S_ISLNK(st->st_mode)) return "symbolic link";
  if (S_ISFIFO(st->st_mode)) return "fifo";
  if (S_ISSOCK(st->st_mode)) return "socket";
  if (S_ISCHR(st->st_mode)) return "character special file";
  if (S_ISBLK(st->st_mode)) return "block special file";
  return "weird file";
}

/* Writes the mode as ls does, "drwxr-xr-x", into `text` (11 bytes). */
static void mode_string(mode_t mode, char* text) {
  static const char bits[] = "rwxrwxrwx";
  text[0] = S_ISDIR(mode)    ? 'd'
            : S_ISLNK(mode)  ? 'l'
            : S_ISCHR(mode)  ? 'c'
            : S_ISBLK(mode)  ? 'b'
            : S_ISFIFO(mode) ? 'p'
            : S_ISSOCK(mode) ? 's'
                             : '-';
  for (int i = 0; i < 9; i++) text[i + 1] = mode & (0400 >> i) ? bits[i] : '-';
  if (mode & S_ISUID) text[3] = text[3] == 'x' ? 's' : 'S';
  if (mode & S_ISGID) text[6] = text[6] == 'x' ? 's' : 'S';
  if (mode & S_ISVTX) text[9] = text[9] == 'x' ? 't' : 'T';
  text[10] = '\0';
}

/* The name of the id `id` in `path` (/etc/passwd, /etc/group: name:password:id:...), or
 * "UNKNOWN"; allocated, NULL when memory runs out. */
static char* name_of(const char* path, unsigned long id) {
  FILE* file = fopen(path, "r");
  char* line = NULL;
  size_t size = 0;
  char* found = NULL;
  while (file != NULL && found == NULL && getline(&line, &size, file) > 0) {
    char* first = strchr(line, ':');
    char* second = first ? strchr(first + 1, ':') : NULL;
    char* end;
    if (second == NULL || second[1] < '0' || second[1] > '9' || strtoul(second + 1, &end, 10) != id || *end != ':')
      continue;
    *first = '\0';
    found = strdup(line);
  }
  free(line);
  if (file != NULL) fclose(file);
  return found != NULL ? found : strdup("UNKNOWN");
}

/* Writes `value` with the directive's flags, width and precision, in printf's conversion `c`
 * (d, u, o or x). */
static void put_number(const struct directive* d, char c, intmax_t value) {
  char format[40];
  char* at = format;
  *at++ = '%';
  at = stpcpy(at, d->flags);
  if (d->width >= 0) at += sprintf(at, "%d", d->width);
  if (d->precision >= 0) at += sprintf(at, ".%d", d->precision);
  at = stpcpy(at, c == 'd' ? "jd" : c == 'u' ? "ju" : c == 'o' ? "jo" : "jx");
  if (c == 'd') printf(format, value);
  else printf(format, (uintmax_t)value);
}

/* Writes `text` with the directive's width and precision, on the left with the - flag (the
 * others do not apply to text). */
static void put_text(const struct directive* d, const char* text) {
  char format[40];
  char* at = format;
  *at++ = '%';
  if (strchr(d->flags, '-')) *at++ = '-';
  if (d->width >= 0) at += sprintf(at, "%d", d->width);
  if (d->precision >= 0) at += sprintf(at, ".%d", d->precision);
  strcpy(at, "s");
  printf(format, text);
}

/* Writes seconds since the epoch; a precision adds that many digits of the fraction (nine
 * for "." alone), the whole in the directive's width. */
static void put_seconds(const struct directive* d, const struct timespec* when) {
  if (d->precision <= 0 && !d->bare_dot) {
    struct directive whole = *d;
    whole.precision = -1;
    put_number(&whole, 'd', (intmax_t)when->tv_sec);
    return;
  }
  const int digits = d->bare_dot ? 9 : d->precision;
  char text[64];
  int length = snprintf(text, sizeof text, "%lld.%09ld", (long long)when->tv_sec, (long)when->tv_nsec);
  const int point = (int)(strchr(text, '.') - text);
  while (length < point + 1 + digits && length < (int)sizeof text - 1) text[length++] = '0';
  text[point + 1 + digits < length ? point + 1 + digits : length] = '\0';
  struct directive whole = *d;
  whole.precision = -1;
  put_text(&whole, text);
}

/* A device number as an unsigned value: picolibc's dev_t is a short. */
static uintmax_t device(dev_t number) {
  const uintmax_t mask = sizeof number < sizeof(uintmax_t) ? (UINTMAX_C(1) << (8 * sizeof number)) - 1 : UINTMAX_MAX;
  return (uintmax_t)number & mask;
}

/* Its major number (H) or its minor one (L), as Linux packs them in 16 bits. */
static uintmax_t device_half(dev_t number, char half) {
  return half == 'H' ? device(number) >> 8 : device(number) & 0xff;
}

/* Writes the directive `d` for the file `name`. */
static void put_directive(const struct directive* d, const char* name, const struct stat* st) {
  char text[96];
  switch (d->conversion) {
    case 'n': put_text(d, name); break;
    case 's': put_number(d, 'd', (intmax_t)st->st_size); break;
    case 'F': put_text(d, type_of(st)); break;
    case 'a': put_number(d, 'o', (intmax_t)(st->st_mode & 07777)); break;
    case 'A':
      mode_string(st->st_mode, text);
      put_text(d, text);
      break;
    case 'f': put_number(d, 'x', (intmax_t)st->st_mode); break;
    case 'h': put_number(d, 'u', (intmax_t)st->st_nlink); break;
    case 'i': put_number(d, 'u', (intmax_t)st->st_ino); break;
    case 'u': put_number(d, 'u', (intmax_t)st->st_uid); break;
    case 'g': put_number(d, 'u', (intmax_t)st->st_gid); break;
    case 'U':
    case 'G': {
      char* owner = d->conversion == 'U' ? name_of("/etc/passwd", st->st_uid) : name_of("/etc/group", st->st_gid);
      if (owner == NULL) fprintf(stderr, "stat: %s\n", strerror(ENOMEM));
      put_text(d, owner != NULL ? owner : "UNKNOWN");
      free(owner);
      break;
    }
    case 'b': put_number(d, 'u', (intmax_t)st->st_blocks); break;
    case 'B': put_number(d, 'u', 512); break;
    case 'o': put_number(d, 'u', (intmax_t)st->st_blksize); break;
    case 'd': put_number(d, 'u', (intmax_t)(d->half ? device_half(st->st_dev, d->half) : device(st->st_dev))); break;
    case 'D': put_number(d, 'x', (intmax_t)device(st->st_dev)); break;
    case 'r': put_number(d, 'u', (intmax_t)(d->half ? device_half(st->st_rdev, d->half) : device(st->st_rdev))); break;
    case 'R': put_number(d, 'x', (intmax_t)device(st->st_rdev)); break;
    case 't': put_number(d, 'x', (intmax_t)device_half(st->st_rdev, 'H')); break;
    case 'T': put_number(d, 'x', (intmax_t)device_half(st->st_rdev, 'L')); break;
    case 'x':
    case 'y':
    case 'z':
      time_string(d->conversion == 'x'   ? &st->st_atim
                  : d->conversion == 'y' ? &st->st_mtim
                                         : &st->st_ctim,
                  text, sizeof text);
      put_text(d, text);
      break;
    case 'X': put_seconds(d, &st->st_atim); break;
    case 'Y': put_seconds(d, &st->st_mtim); break;
    case 'Z': put_seconds(d, &st->st_ctim); break;
    case 'w': put_text(d, "-"); break;
    case 'W': put_number(d, 'd', 0); break;
    default: putchar('?'); break;
  }
}

/* Reads the directive after the '%' at `at` into `d`; where its conversion is. */
static const char* parse_directive(const char* at, struct directive* d) {
  size_t count = 0;
  memset(d, 0, sizeof *d);
  d->width = d->precision = -1;
  for (; *at && strchr("-+ #0'I", *at); at++) /* ' and I: no grouping in the C locale */
    if (*at != 'I' && *at != '\'' && !strchr(d->flags, *at) && count < sizeof d->flags - 1) d->flags[count++] = *at;
  if (*at >= '0' && *at <= '9') d->width = (int)strtol(at, (char**)&at, 10);
  if (*at == '.') {
    d->bare_dot = at[1] < '0' || at[1] > '9';
    d->precision = (int)strtol(at + 1, (char**)&at, 10);
  }
  if ((*at == 'H' || *at == 'L') && (at[1] == 'd' || at[1] == 'r')) d->half = *at++;
  d->conversion = *at;
  return at;
}

/* Writes FORMAT for the file `name`; 0, or -1 after the report of an invalid directive. */
static int show(const char* format, const char* name, const struct stat* st) {
  for (const char* at = format; *at; at++) {
    if (*at != '%') {
      putchar(*at);
      continue;
    }
    if (at[1] == '\0') {
      putchar('%');
      break;
    }
    if (at[1] == '%') {
      putchar('%');
      at++;
      continue;
    }
    struct directive d;
    const char* start = at;
    at = parse_directive(at + 1, &d);
    if (d.conversion == '%' || d.conversion == '\0' || (d.half != 0 && d.conversion != 'd' && d.conversion != 'r')) {
      fflush(stdout);
      fprintf(stderr, "stat: %.*s: invalid directive\n", (int)(at - start + (*at != '\0')), start);
      return -1;
    }
    put_directive(&d, name, st);
  }
  return 0;
}

/* Reads the options (-L, -c FORMAT; they may follow the files, "--" ends them); the files are
 * left in `files` (their number in *count). 0, or -1 after a usage error's report. */
static int parse_arguments(int argc, char** argv, int* follow, const char** format, const char** files, int* count) {
  int options_done = 0;
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (options_done || arg[0] != '-' || arg[1] == '\0') {
      files[(*count)++] = arg;
    } else if (!strcmp(arg, "--")) {
      options_done = 1;
    } else if (!strcmp(arg, "-L")) {
      *follow = 1;
    } else if (!strncmp(arg, "-c", 2)) {
      *format = arg[2] ? arg + 2 : i + 1 < argc ? argv[++i] : NULL;
      if (*format == NULL) {
        fprintf(stderr, "stat: option requires an argument -- 'c'\n");
        return -1;
      }
    } else {
      fprintf(stderr, "stat: invalid option -- '%c'\n", arg[1]);
      return -1;
    }
  }
  if (*count == 0) {
    fprintf(stderr, "stat: missing operand\n");
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  const char* format = NULL;
  int follow = 0, count = 0;
  const char** files = malloc((size_t)argc * sizeof *files);
  if (files == NULL) {
    fprintf(stderr, "stat: %s\n", strerror(ENOMEM));
    return 1;
  }
  if (parse_arguments(argc, argv, &follow, &format, files, &count) < 0) return usage();
  int status = 0;
  for (int i = 0; i < count; i++) {
    struct stat st;
    const int failed = !strcmp(files[i], "-") ? fstat(0, &st) : follow ? stat(files[i], &st) : lstat(files[i], &st);
    if (failed != 0) {
      fprintf(stderr, "stat: %s: %s\n", files[i], strerror(errno));
      status = 1;
      continue;
    }
    const char* shown = format ? format : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? special_listing : listing;
    if (show(shown, files[i], &st) < 0) return 1;
    if (format != NULL) putchar('\n');
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "stat: write error: %s\n", strerror(errno));
    return 1;
  }
  return status;
}
