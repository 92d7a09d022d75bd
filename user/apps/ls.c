/* ls [-1aACdFghlNnorRSt] [FILE...]: lists each FILE (the current folder when none) as GNU's ls
 * (coreutils 9) does in the C locale: the files named first, then each folder's entries, under
 * a "FOLDER:" line when there are several or -R; names sorted by their bytes.
 *   -a  the entries whose name starts with '.' too      -A  the same but . and ..
 *   -d  a folder named is listed itself                  -R  each folder below too
 *   -l  long: mode, links, owner, group, size, time     -n  -l with the owner's and group's numbers
 *   -g  -l without the owner                             -o  -l without the group
 *   -h  -l's sizes with a unit (40K)                     -F  a '/' after a folder, '*' after a program
 *   -t  the newest first                                 -S  the largest first
 *   -r  the order reversed                               -1  one per line
 *   -C  in columns, down then across, as wide as COLUMNS, the terminal, or 80
 *   -N  no name quoted on a terminal (its unprintable bytes written '?', as GNU's -N there)
 * One per line unless the output is a terminal (then -C). -l's time is "Mon DD HH:MM" within
 * six months, else "Mon DD  YYYY"; owners are named from /etc/passwd and /etc/group when these
 * have them (else their numbers). On a terminal, a name the shell would not read back as it
 * is gets quoted as GNU's ls quotes it there (shell_quoted, below); elsewhere names are written
 * as they are. The status is 2 when a FILE cannot be listed or an option is unknown, 1 when a folder below one
 * cannot. A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "human.h"
#include "linux_syscalls.h"
#include "users.h"

/* A device's numbers, as the user library packs them into st_rdev (lib/posix.c). */
#define DEVICE_MAJOR(rdev) ((unsigned)(rdev) >> 8)
#define DEVICE_MINOR(rdev) ((unsigned)(rdev)&0xff)

struct entry {
  char* name;
  char* shown; /* the name as written */
  int quoted;  /* `shown` is the name quoted */
  struct stat st;
};

struct listing {
  struct entry* entries;
  size_t count, capacity;
};

static int show_all, almost_all, folders_as_files, classify, human, long_format, numeric, reverse, recursive,
    in_columns;
static int with_owner = 1, with_group = 1;
static int quoting;        /* names quoted as the shell reads them: on a terminal, unless -N */
static int on_terminal;    /* unquoted (-N) on a terminal, a name's unprintable bytes are '?' */
static int some_quoted;    /* a name of the listing being written is quoted */
static char sort_by = 'n'; /* name, 't'ime, 'S'ize */
static int line_length = 80;
static int status;
static int printed; /* something was written: a folder's heading starts with a blank line */
static time_t now;

static int compare(const void* a, const void* b) {
  const struct entry *x = a, *y = b;
  int order = 0;
  if (sort_by == 't') {
    const struct timespec *t = &x->st.st_mtim, *u = &y->st.st_mtim;
    order = u->tv_sec != t->tv_sec ? (u->tv_sec > t->tv_sec) - (u->tv_sec < t->tv_sec)
                                   : (u->tv_nsec > t->tv_nsec) - (u->tv_nsec < t->tv_nsec);
  } else if (sort_by == 'S') order = (y->st.st_size > x->st.st_size) - (y->st.st_size < x->st.st_size);
  if (order == 0) order = strcmp(x->name, y->name);
  return reverse ? -order : order;
}

/* `memory`, or the end of ls when there was none. */
static void* got(void* memory) {
  if (memory == NULL) {
    perror("ls");
    exit(2);
  }
  return memory;
}

/* A byte the terminal would not show as itself (the C locale's: control, or past ASCII). */
static int is_unprintable(unsigned char c) { return c < 0x20 || c >= 0x7f; }

/* Whether the shell would read `name` as something else: it holds a blank, an unprintable
 * byte or one of the shell's special characters (# and ~ only at its start), as GNU's ls
 * judges. */
static int needs_quotes(const char* name) {
  for (const char* p = name; *p; p++) {
    const unsigned char c = (unsigned char)*p;
    if (is_unprintable(c) || strchr(" !\"$&'()*;<=>?[\\^`|", c) || ((c == '#' || c == '~') && p == name)) return 1;
  }
  return 0;
}

/* Whether `name`, which holds a ', is written "..." by GNU's ls: its other bytes are letters,
 * digits, blanks, % + , - . : @ ] _ (and # or ~ first), nothing double quotes would change. */
static int double_quoted(const char* name) {
  for (const char* p = name; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr(" '%+,-.:@]_", *p) && !((*p == '#' || *p == '~') && p == name)) return 0;
  return 1;
}

/* `name` quoted as GNU's ls quotes it on a terminal (quoting style shell-escape), allocated:
 * "..." around a name that holds a ' (double_quoted, above); otherwise '...', a ' written
 * '\'', and each run of unprintable bytes in $'...' ('a'$'\t''b'), each byte as C writes it
 * (\n, \t ... or three octal digits). */
static char* shell_quoted(const char* name) {
  const size_t length = strlen(name);
  char* quoted = got(malloc(8 * length + 3));
  char* out = quoted;
  if (strchr(name, '\'') && double_quoted(name)) {
    sprintf(quoted, "\"%s\"", name);
    return quoted;
  }
  *out++ = '\'';
  int in_dollar = 0; /* within $'...' */
  for (const char* p = name; *p; p++) {
    const unsigned char c = (unsigned char)*p;
    if (c == '\'') {
      out = stpcpy(out, "'\\''");
      in_dollar = 0;
    } else if (is_unprintable(c)) {
      if (!in_dollar) out = stpcpy(out, "'$'");
      in_dollar = 1;
      const char* named = strchr("\aa\bb\ff\nn\rr\tt\vv", c); /* each control byte, then its letter */
      out += named ? sprintf(out, "\\%c", named[1]) : sprintf(out, "\\%03o", c);
    } else {
      if (in_dollar) out = stpcpy(out, "''");
      in_dollar = 0;
      *out++ = (char)c;
    }
  }
  *out++ = '\'';
  *out = '\0';
  return quoted;
}

/* The name as printed: shell-quoted when `quoted`, else with '?' for the unprintable
 * bytes on a terminal. */
static char* shown_name(const char* name, int quoted) {
  if (quoted) return shell_quoted(name);
  char* shown = got(strdup(name));
  if (on_terminal)
    for (char* p = shown; *p; p++)
      if (is_unprintable((unsigned char)*p)) *p = '?';
  return shown;
}

static void add(struct listing* list, const char* name, const struct stat* st) {
  if (list->count == list->capacity) {
    list->capacity = list->capacity ? 2 * list->capacity : 32;
    list->entries = got(realloc(list->entries, list->capacity * sizeof *list->entries));
  }
  struct entry* entry = &list->entries[list->count++];
  entry->name = got(strdup(name));
  entry->quoted = quoting && needs_quotes(name);
  entry->shown = shown_name(name, entry->quoted);
  entry->st = *st;
}

static void release(struct listing* list) {
  for (size_t i = 0; i < list->count; i++) {
    free(list->entries[i].name);
    free(list->entries[i].shown);
  }
  free(list->entries);
}

/* -F's mark after a name: none, or '/', '*', '|', '=' or '@'. */
static char mark_of(const struct stat* st) {
  if (!classify) return 0;
  if (S_ISDIR(st->st_mode)) return '/';
  if (S_ISFIFO(st->st_mode)) return '|';
  if (S_ISSOCK(st->st_mode)) return '=';
  if (S_ISLNK(st->st_mode)) return '@';
  return S_ISREG(st->st_mode) && (st->st_mode & 0111) ? '*' : 0;
}

/* Whether `entry` is written with a space before it: the quoted names of its listing line up
 * with the others (in columns and -l, as GNU's ls aligns them). */
static int spaced(const struct entry* entry) { return some_quoted && !entry->quoted; }

static int width_of(const struct entry* entry) {
  return spaced(entry) + (int)strlen(entry->shown) + (mark_of(&entry->st) != 0);
}

static void print_name(const struct entry* entry) {
  if (spaced(entry)) putchar(' ');
  fputs(entry->shown, stdout);
  const char mark = mark_of(&entry->st);
  if (mark) putchar(mark);
}

/* An owner or a group as -l writes it: a name left-aligned, a number right-aligned. The
 * last one asked of each table is kept (a folder's entries mostly share theirs). */
struct id_text {
  unsigned id;
  int known, is_name;
  char text[64];
};

static const struct id_text* id_text(const char* table, struct id_text* last, unsigned id) {
  if (last->known && last->id == id) return last;
  last->id = id, last->known = 1;
  last->is_name = !numeric && id_name(table, id, last->text) != NULL;
  if (!last->is_name) snprintf(last->text, sizeof last->text, "%u", id);
  return last;
}

static struct id_text last_user, last_group;
static const struct id_text* user_of(const struct stat* st) { return id_text("/etc/passwd", &last_user, st->st_uid); }
static const struct id_text* group_of(const struct stat* st) { return id_text("/etc/group", &last_group, st->st_gid); }

static void print_id(const struct id_text* id, int width) {
  if (id->is_name) printf("%-*s ", width, id->text);
  else printf("%*s ", width, id->text);
}

static void mode_text(mode_t mode, char text[11]) {
  text[0] = S_ISDIR(mode)    ? 'd'
            : S_ISCHR(mode)  ? 'c'
            : S_ISBLK(mode)  ? 'b'
            : S_ISFIFO(mode) ? 'p'
            : S_ISLNK(mode)  ? 'l'
            : S_ISSOCK(mode) ? 's'
                             : '-';
  static const char letters[] = "rwxrwxrwx";
  for (int bit = 0; bit < 9; bit++) text[1 + bit] = (mode & (0400 >> bit)) ? letters[bit] : '-';
  if (mode & S_ISUID) text[3] = text[3] == 'x' ? 's' : 'S';
  if (mode & S_ISGID) text[6] = text[6] == 'x' ? 's' : 'S';
  if (mode & S_ISVTX) text[9] = text[9] == 'x' ? 't' : 'T';
  text[10] = '\0';
}

static void size_text(const struct stat* st, int major_width, int minor_width, char text[32]) {
  if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
    snprintf(text, 32, "%*u, %*u", major_width, DEVICE_MAJOR(st->st_rdev), minor_width, DEVICE_MINOR(st->st_rdev));
  else if (human) human_size((uint64_t)st->st_size, text);
  else snprintf(text, 32, "%llu", (unsigned long long)st->st_size);
}

static int digits(unsigned long long value) {
  int count = 1;
  while (value >= 10) value /= 10, count++;
  return count;
}

static int max(int a, int b) { return a > b ? a : b; }

/* -l: a line per entry, the columns as wide as their widest; "total N" (the 1 KiB blocks the
 * entries hold) first for a folder's entries. */
static void print_long(const struct listing* list, int with_total) {
  int links = 1, owner = 1, group = 1, size = 1, major_width = 1, minor_width = 1;
  uint64_t blocks = 0;
  for (size_t i = 0; i < list->count; i++) {
    const struct stat* st = &list->entries[i].st;
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
      major_width = max(major_width, digits(DEVICE_MAJOR(st->st_rdev)));
      minor_width = max(minor_width, digits(DEVICE_MINOR(st->st_rdev)));
    }
  }
  for (size_t i = 0; i < list->count; i++) {
    const struct stat* st = &list->entries[i].st;
    char text[32];
    size_text(st, major_width, minor_width, text);
    links = max(links, digits((unsigned long long)st->st_nlink));
    owner = max(owner, (int)strlen(user_of(st)->text));
    group = max(group, (int)strlen(group_of(st)->text));
    size = max(size, (int)strlen(text));
    blocks += (uint64_t)st->st_blocks;
  }
  if (with_total) {
    char text[32];
    if (human) human_size(blocks * 512, text);
    else snprintf(text, sizeof text, "%llu", (unsigned long long)((blocks + 1) / 2));
    printf("total %s\n", text);
  }
  const time_t six_months_ago = now - 31556952 / 2;
  for (size_t i = 0; i < list->count; i++) {
    const struct entry* entry = &list->entries[i];
    const struct stat* st = &entry->st;
    char mode[11], size_of[32], when[32];
    mode_text(st->st_mode, mode);
    size_text(st, major_width, minor_width, size_of);
    const time_t time = st->st_mtime;
    struct tm* local = localtime(&time);
    const int recent = time > six_months_ago && time <= now;
    if (local == NULL || strftime(when, sizeof when, recent ? "%b %e %H:%M" : "%b %e  %Y", local) == 0)
      snprintf(when, sizeof when, "%lld", (long long)time);
    printf("%s %*llu ", mode, links, (unsigned long long)st->st_nlink);
    if (with_owner) print_id(user_of(st), owner);
    if (with_group) print_id(group_of(st), group);
    printf("%*s %s ", size, size_of, when);
    print_name(entry);
    putchar('\n');
  }
}

/* GNU's padding from column `from` to `to`: a tab where one reaches a multiple of 8 at or
 * before `to`, spaces for the rest. */
static void pad(int from, int to) {
  while (from < to) {
    if (to / 8 > (from + 1) / 8) {
      putchar('\t');
      from += 8 - from % 8;
    } else {
      putchar(' ');
      from++;
    }
  }
}

/* The widths of `columns` columns of `list` arranged down then across (a name and two
 * spaces, the last column's name alone), into `widths`; their sum. */
static int arrange(const struct listing* list, size_t columns, int* widths) {
  const size_t rows = (list->count + columns - 1) / columns;
  int length = 0;
  for (size_t column = 0; column < columns; column++) widths[column] = 0;
  for (size_t i = 0; i < list->count; i++) {
    const size_t column = i / rows;
    const int width = width_of(&list->entries[i]) + (column == columns - 1 ? 0 : 2);
    if (width > widths[column]) length += width - widths[column], widths[column] = width;
  }
  return length;
}

/* -C: in the most columns (of 3 characters at least) whose line is shorter than line_length,
 * as GNU's ls arranges them. */
static void print_columns(const struct listing* list) {
  const size_t n = list->count;
  if (n == 0) return;
  size_t columns = (size_t)max(line_length / 3, 1);
  if (columns > n) columns = n;
  int* widths = got(malloc(columns * sizeof *widths));
  while (arrange(list, columns, widths) >= line_length && columns > 1) columns--;
  const size_t rows = (n + columns - 1) / columns;
  for (size_t row = 0; row < rows; row++) {
    int at = 0;
    for (size_t i = row, column = 0; i < n; i += rows, column++) {
      print_name(&list->entries[i]);
      if (i + rows < n) pad(at + width_of(&list->entries[i]), at + widths[column]);
      at += widths[column];
    }
    putchar('\n');
  }
  free(widths);
}

static void print_list(const struct listing* list, int folder_entries) {
  some_quoted = 0;
  if (long_format || in_columns)
    for (size_t i = 0; i < list->count; i++) some_quoted |= list->entries[i].quoted;
  if (long_format) print_long(list, folder_entries);
  else if (in_columns) print_columns(list);
  else
    for (size_t i = 0; i < list->count; i++) {
      print_name(&list->entries[i]);
      putchar('\n');
    }
}

/* FOLDER/NAME, allocated (no second slash after a FOLDER that ends with one). */
static char* joined(const char* folder, const char* name) {
  const size_t length = strlen(folder);
  char* path = got(malloc(length + strlen(name) + 2));
  sprintf(path, "%s%s%s", folder, length > 0 && folder[length - 1] == '/' ? "" : "/", name);
  return path;
}

static void list_folder(const char* path, int named, int heading) {
  DIR* folder = opendir(path);
  if (folder == NULL) {
    fprintf(stderr, "ls: cannot open directory '%s': %s\n", path, strerror(errno));
    status = named ? 2 : max(status, 1);
    return;
  }
  if (heading) {
    char* shown = shown_name(path, quoting && needs_quotes(path));
    printf("%s%s:\n", printed ? "\n" : "", shown);
    free(shown);
  }
  printed = 1;
  struct listing list = {0};
  const int needs_stat = long_format || classify || recursive || sort_by != 'n';
  struct dirent* found;
  while ((errno = 0, found = readdir(folder)) != NULL) {
    const char* name = found->d_name;
    const int dots = !strcmp(name, ".") || !strcmp(name, "..");
    if (name[0] == '.' && !show_all && !(almost_all && !dots)) continue;
    struct stat st = {0};
    if (needs_stat) {
      char* inside = joined(path, name);
      const int failed = lstat(inside, &st);
      if (failed) fprintf(stderr, "ls: cannot access '%s': %s\n", inside, strerror(errno)), status = max(status, 1);
      free(inside);
      if (failed) continue;
    }
    add(&list, name, &st);
  }
  if (errno != 0) {
    fprintf(stderr, "ls: reading directory '%s': %s\n", path, strerror(errno));
    status = named ? 2 : max(status, 1);
  }
  closedir(folder);
  qsort(list.entries, list.count, sizeof *list.entries, compare);
  print_list(&list, 1);
  for (size_t i = 0; recursive && i < list.count; i++) {
    const struct entry* entry = &list.entries[i];
    if (!S_ISDIR(entry->st.st_mode) || !strcmp(entry->name, ".") || !strcmp(entry->name, "..")) continue;
    char* below = joined(path, entry->name);
    list_folder(below, 0, 1);
    free(below);
  }
  release(&list);
}

static int usage(char option) {
  fprintf(stderr, "ls: invalid option -- '%c'\nusage: ls [-1aACdFghlNnorRSt] [FILE...]\n", option);
  return 2;
}

static void choose_line_length(void) {
  const char* columns = getenv("COLUMNS");
  struct linux_winsize size;
  if (columns && atoi(columns) > 0) line_length = atoi(columns);
  else if (ioctl(STDOUT_FILENO, LINUX_TIOCGWINSZ, &size) == 0 && size.ws_col > 0) line_length = size.ws_col;
}

int main(int argc, char** argv) {
  in_columns = quoting = on_terminal = isatty(STDOUT_FILENO);
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (!strcmp(argv[first], "--")) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++) {
      switch (*option) {
        case 'a': show_all = 1, almost_all = 0; break;
        case 'A': almost_all = 1, show_all = 0; break;
        case 'd': folders_as_files = 1; break;
        case 'F': classify = 1; break;
        case 'g': with_owner = 0, long_format = 1, in_columns = 0; break;
        case 'o': with_group = 0, long_format = 1, in_columns = 0; break;
        case 'h': human = 1; break;
        case 'n': numeric = 1, long_format = 1, in_columns = 0; break;
        case 'l': long_format = 1, in_columns = 0; break;
        case 'r': reverse = 1; break;
        case 'R': recursive = 1; break;
        case 'S': sort_by = 'S'; break;
        case 't': sort_by = 't'; break;
        case '1': in_columns = 0, long_format = 0; break;
        case 'C': in_columns = 1, long_format = 0; break;
        case 'N': quoting = 0; break;
        default: return usage(*option);
      }
    }
  }
  choose_line_length();
  now = time(NULL);
  const int named = argc - first;
  char* here[] = {"."};
  char** paths = named ? argv + first : here;
  const int count = named ? named : 1;
  struct listing files = {0}, folders = {0};
  for (int i = 0; i < count; i++) {
    struct stat st;
    if (lstat(paths[i], &st) != 0) {
      fprintf(stderr, "ls: cannot access '%s': %s\n", paths[i], strerror(errno));
      status = 2;
    } else add(S_ISDIR(st.st_mode) && !folders_as_files ? &folders : &files, paths[i], &st);
  }
  qsort(files.entries, files.count, sizeof *files.entries, compare);
  qsort(folders.entries, folders.count, sizeof *folders.entries, compare);
  print_list(&files, 0);
  if (files.count) printed = 1;
  for (size_t i = 0; i < folders.count; i++) list_folder(folders.entries[i].name, 1, count > 1 || recursive);
  release(&files);
  release(&folders);
  if (fflush(stdout) != 0) {
    perror("ls: write error");
    return 2;
  }
  return status;
}
