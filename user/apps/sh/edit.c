/* Line editing for an interactive shell whose input is a terminal, as dash's and bash's
 * (emacs keys): while a line is read the terminal is in raw mode (no canonical lines, no echo,
 * signals kept: Ctrl-C still interrupts), the shell echoes and edits the line itself, and
 * puts the terminal back as it was before the line runs. Keys: Left/Right (Ctrl-B/Ctrl-F),
 * Home/End (Ctrl-A/Ctrl-E), Backspace, Delete (Ctrl-D on a line that is not empty; on an
 * empty one, the input's end), Ctrl-K, Ctrl-U and Ctrl-W (cut to the end, to the start, the
 * word before), Up/Down (Ctrl-P/Ctrl-N) through the history of the last lines, Ctrl-L (the
 * screen cleared, the line drawn again), Tab (the word completed: a command of PATH for the
 * first word, else a file name; what the matches share, and their list when they share no
 * more). A line wider than the terminal wraps onto the rows below it, each redraw clearing
 * the rows it took. A terminal that does not echo (stty -echo, a
 * script's pseudo-terminal) is not echoed to: the keys still edit. The terminal's attributes
 * are the kernel's struct termios, read and set by TCGETS and TCSETS. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "sh.h"

enum { kHistory = 100 };
static char* history[kHistory]; /* the oldest first */
static int history_count;

/* The line being edited: its bytes (UTF-8), its length, the cursor's byte. */
static char* buffer;
static size_t length, cursor, capacity;
static int echoes; /* the terminal echoed before raw mode: the line is drawn */

static void put(const char* bytes, size_t count) {
  while (echoes && count > 0) {
    const ssize_t written = write(2, bytes, count);
    if (written <= 0 && errno != EINTR) return;
    if (written > 0) bytes += written, count -= (size_t)written;
  }
}
static void put_text(const char* text) { put(text, strlen(text)); }

/* The characters (not bytes: UTF-8's continuation bytes take no column) of text[from, to). */
static size_t columns_of(const char* text, size_t from, size_t to) {
  size_t count = 0;
  for (size_t i = from; i < to; i++) count += ((unsigned char)text[i] & 0xc0) != 0x80;
  return count;
}
static size_t columns(size_t from, size_t to) { return columns_of(buffer, from, to); }

/* The terminal's width (TIOCGWINSZ), 80 when it does not say. */
static size_t terminal_width(void) {
  struct linux_winsize size;
  return ioctl(2, LINUX_TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
}

/* Where the line is on the screen: the rows it took when last drawn (the prompt's first), and
 * the row of the cursor among them. A line wider than the terminal wraps onto the next rows. */
static size_t drawn_rows = 1, cursor_row;

static void move_rows(size_t count, char direction) {
  char move[16];
  snprintf(move, sizeof move, "\033[%zu%c", count, direction);
  if (count > 0) put_text(move);
}

/* Draws the line again from the prompt on (its rows cleared first), and puts the cursor back
 * where it is: on its row, at its column. */
static void redraw(const char* prompt) {
  const size_t width = terminal_width();
  const size_t start = columns_of(prompt, 0, strlen(prompt));
  const size_t end = start + columns(0, length), at = start + columns(0, cursor);
  move_rows(drawn_rows - 1 - cursor_row, 'B');
  for (size_t row = drawn_rows - 1; row > 0; row--) put_text("\r\033[K\033[A");
  put_text("\r\033[K");
  put_text(prompt);
  put(buffer, length);
  size_t rows = end == 0 ? 1 : (end + width - 1) / width; /* the terminal's cursor on the last */
  if (at == end && end > 0 && end % width == 0) {         /* at the end of a full row: onto the next */
    put_text("\n\r");
    rows++;
  }
  move_rows(rows - 1 - at / width, 'A');
  put_text("\r");
  move_rows(at % width, 'C');
  drawn_rows = rows;
  cursor_row = at / width;
}

/* The line is left for what comes below it: the cursor taken past its last row. */
static void leave_line(void) {
  move_rows(drawn_rows - 1 - cursor_row, 'B');
  put_text("\n");
  drawn_rows = 1, cursor_row = 0;
}

static void set_line(const char* text) {
  length = cursor = 0;
  const size_t bytes = strlen(text);
  if (bytes + 1 > capacity) {
    capacity = bytes + 64;
    buffer = grow(buffer, capacity);
  }
  memcpy(buffer, text, bytes);
  length = cursor = bytes;
}

static void insert(char byte) {
  if (length + 2 > capacity) {
    capacity = capacity * 2 + 64;
    buffer = grow(buffer, capacity);
  }
  memmove(buffer + cursor + 1, buffer + cursor, length - cursor);
  buffer[cursor++] = byte;
  length++;
}

/* Cuts buffer[from, to). */
static void cut(size_t from, size_t to) {
  memmove(buffer + from, buffer + to, length - to);
  length -= to - from;
  cursor = from;
}

static size_t char_before(size_t at) {
  while (at > 0 && ((unsigned char)buffer[--at] & 0xc0) == 0x80) continue;
  return at;
}
static size_t char_after(size_t at) {
  while (at < length && ((unsigned char)buffer[++at] & 0xc0) == 0x80) continue;
  return at < length ? at : length;
}

/* Tab's matches: the names that complete the word, each with a '/' when it is a folder. */
enum { kMaxMatches = 256 };
static char* matches[kMaxMatches];
static int match_count;

static void add_matches(const char* folder, const char* start, size_t start_length, int commands_only) {
  DIR* dir = opendir(*folder ? folder : ".");
  if (!dir) return;
  for (struct dirent* entry; (entry = readdir(dir)) != NULL && match_count < kMaxMatches;) {
    const char* name = entry->d_name;
    if (strncmp(name, start, start_length) != 0 || (name[0] == '.' && (start_length == 0 || start[0] != '.'))) continue;
    if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", *folder ? folder : "", name);
    struct stat st;
    const int folder_entry = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    if (commands_only && folder_entry) continue;
    char* match = malloc(strlen(name) + 2);
    if (!match) break;
    sprintf(match, "%s%s", name, folder_entry ? "/" : "");
    int seen = 0; /* a command in two folders of PATH is one match */
    for (int i = 0; i < match_count && !seen; i++) seen = !strcmp(matches[i], match);
    if (seen) free(match);
    else matches[match_count++] = match;
  }
  closedir(dir);
}

/* Completes the word before the cursor; `listing`: Tab pressed twice, the matches listed. */
static void complete(int listing) {
  size_t start = cursor;
  while (start > 0 && buffer[start - 1] != ' ') start--;
  size_t before = start;
  while (before > 0 && buffer[before - 1] == ' ') before--;
  const int first_word = before == 0;
  /* The folder part (up to its last '/') and the name's start after it. */
  size_t name_at = cursor;
  while (name_at > start && buffer[name_at - 1] != '/') name_at--;
  char folder[PATH_MAX];
  snprintf(folder, sizeof folder, "%.*s", (int)(name_at - start), buffer + start);
  const char* name = buffer + name_at;
  const size_t name_length = cursor - name_at;
  match_count = 0;
  if (first_word && name_at == start) { /* a command: the folders of PATH */
    const char* path = variable_get("PATH");
    for (const char* each = path ? path : "/bin"; *each;) {
      const char* end = strchr(each, ':');
      const size_t length = end ? (size_t)(end - each) : strlen(each);
      char dir[PATH_MAX];
      snprintf(dir, sizeof dir, "%.*s/", (int)length, each);
      add_matches(dir, name, name_length, 1);
      each += length + (end != NULL);
    }
  } else {
    add_matches(folder, name, name_length, 0);
  }
  size_t common = 0; /* what every match shares past the name's start */
  if (match_count > 0) {
    common = strlen(matches[0]);
    for (int i = 1; i < match_count; i++) {
      size_t same = 0;
      while (same < common && matches[i][same] == matches[0][same]) same++;
      common = same;
    }
  }
  if (common > name_length) {
    for (size_t i = name_length; i < common; i++) insert(matches[0][i]);
    if (match_count == 1 && matches[0][common - 1] != '/') insert(' ');
  } else if (listing && match_count > 1) {
    leave_line();
    for (int i = 0; i < match_count; i++) {
      put_text(matches[i]);
      put_text(i + 1 < match_count ? "  " : "\n");
    }
  } else {
    put_text("\a");
  }
  for (int i = 0; i < match_count; i++) free(matches[i]);
}

static void remember(const char* line) {
  if (*line == '\0' || (history_count > 0 && !strcmp(history[history_count - 1], line))) return;
  if (history_count == kHistory) {
    free(history[0]);
    memmove(history, history + 1, sizeof history[0] * (kHistory - 1));
    history_count--;
  }
  history[history_count++] = strdup(line);
}

void history_list(void) {
  for (int i = 0; i < history_count; i++) printf("%5d  %s\n", i + 1, history[i]);
}

/* The next byte of the terminal; -1 at its end or on an error. */
static int next_byte(void) {
  unsigned char byte;
  for (;;) {
    const ssize_t got = read(0, &byte, 1);
    if (got == 1) return byte;
    if (got < 0 && errno == EINTR) continue;
    return -1;
  }
}

/* An escape sequence's key after ESC, as the control key that does the same: the arrows
 * Ctrl-P, N, F, B; Home and End Ctrl-A, E; Delete Ctrl-D. 0 for another one (read whole and
 * dropped). */
static int escape_key(void) {
  int byte = next_byte();
  if (byte != '[' && byte != 'O') return 0;
  byte = next_byte();
  switch (byte) {
    case 'A': return 16;
    case 'B': return 14;
    case 'C': return 6;
    case 'D': return 2;
    case 'H': return 1;
    case 'F': return 5;
  }
  int number = 0;
  for (; byte >= '0' && byte <= '9'; byte = next_byte()) number = number * 10 + (byte - '0');
  if (byte != '~') return 0;
  return number == 1 || number == 7 ? 1 : number == 4 || number == 8 ? 5 : number == 3 ? 4 : 0;
}

ssize_t edit_line(const char* prompt, char** line, size_t* line_capacity) {
  const char* last_line = strrchr(prompt, '\n'); /* a prompt of several lines: its last is redrawn */
  if (last_line) prompt = last_line + 1;
  drawn_rows = 1, cursor_row = 0;
  struct linux_termios before, raw;
  if (linux_tcgets(0, &before) != 0) return -2; /* no terminal: the caller reads as it would */
  raw = before;
  linux_make_raw(&raw);
  linux_tcsets(0, &raw);
  echoes = (before.c_lflag & LINUX_ECHO) != 0;
  set_line("");
  int browsing = history_count; /* the history line shown; history_count: the new line */
  char* draft = NULL;           /* the new line, kept while the history is browsed */
  int interrupts = prompt_interrupts;
  int previous_key = 0; /* a second Tab lists the matches */
  ssize_t result = -1;
  for (;;) {
    const int byte = next_byte();
    if (interrupts != prompt_interrupts) { /* Ctrl-C: the line dropped, the prompt shown again */
      interrupts = prompt_interrupts;
      drawn_rows = 1, cursor_row = 0;
      set_line("");
      browsing = history_count;
    }
    if (byte < 0) break;
    const int last_key = previous_key;
    previous_key = byte;
    int key = byte;
    if (byte == 27 && (key = escape_key()) == 0) continue; /* an escape sequence not known */
    if (key == '\r' || key == '\n') {
      leave_line();
      buffer[length] = '\0';
      remember(buffer);
      if (length + 2 > *line_capacity) {
        *line_capacity = length + 2;
        *line = grow(*line, *line_capacity);
      }
      memcpy(*line, buffer, length);
      (*line)[length] = '\n';
      (*line)[length + 1] = '\0';
      result = (ssize_t)length + 1;
      break;
    }
    if (byte == 4 && length == 0) { /* Ctrl-D (not Delete) on an empty line: the input's end */
      leave_line();
      break;
    }
    switch (key) {
      case 1: cursor = 0; break;
      case 5: cursor = length; break;
      case 2: cursor = char_before(cursor); break;
      case 6: cursor = char_after(cursor); break;
      case 4:
        if (cursor < length) cut(cursor, char_after(cursor));
        break;
      case 127:
      case 8:
        if (cursor > 0) cut(char_before(cursor), cursor);
        break;
      case 11: length = cursor; break;
      case 21: cut(0, cursor); break;
      case 23: {
        size_t from = cursor;
        while (from > 0 && buffer[from - 1] == ' ') from--;
        while (from > 0 && buffer[from - 1] != ' ') from--;
        cut(from, cursor);
        break;
      }
      case 12:
        put_text("\033[H\033[2J");
        drawn_rows = 1, cursor_row = 0;
        break;
      case 9: complete(last_key == 9); break;
      case 16:
      case 14: {
        const int next = key == 16 ? browsing - 1 : browsing + 1;
        if (next < 0 || next > history_count) break;
        if (browsing == history_count) {
          buffer[length] = '\0';
          free(draft);
          draft = strdup(buffer);
        }
        browsing = next;
        set_line(browsing == history_count ? (draft ? draft : "") : history[browsing]);
        break;
      }
      default: {
        if (key < 32) continue; /* another control character: nothing */
        insert((char)key);
        const size_t width = terminal_width();
        const size_t at = columns_of(prompt, 0, strlen(prompt)) + columns(0, cursor);
        if (cursor == length && at % width != 0) { /* at the end, inside a row: the byte alone */
          const char text = (char)key;
          put(&text, 1);
          cursor_row = at / width;
          drawn_rows = cursor_row + 1;
          continue;
        }
      }
    }
    redraw(prompt);
  }
  free(draft);
  linux_tcsets(0, &before);
  return result;
}
