/* getline and getdelim (POSIX 2008), which picolibc has not: a line up to and with its
 * delimiter into a block that grows (realloc) as it needs, NUL-terminated. -1 at the end of
 * the stream with nothing read, or on an error (errno: EINVAL for no place to keep the line,
 * ENOMEM, the stream's). picolibc's buffered streams take a failed read (a directory's: EISDIR)
 * for the end of the file; a read that set errno marks the stream's error instead (ferror), so
 * a program tells the two apart as on Linux. Layer: the user library (user/lib/); calls
 * picolibc's stdio. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

ssize_t getdelim(char** line, size_t* size, int delimiter, FILE* stream) {
  if (line == NULL || size == NULL || stream == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (*line == NULL) *size = 0;
  size_t length = 0;
  const int before = errno;
  for (;;) {
    errno = 0;
    const int c = getc(stream);
    if (c == EOF && errno != 0) stream->flags = (stream->flags & ~__SEOF) | __SERR;
    else errno = before;
    if (c == EOF && (length == 0 || ferror(stream))) return -1;
    if (length + 2 > *size) { /* room for this byte and the NUL */
      const size_t grown = *size < 64 ? 128 : *size * 2;
      char* bigger = realloc(*line, grown);
      if (bigger == NULL) return -1;
      *line = bigger;
      *size = grown;
    }
    if (c == EOF) break;
    (*line)[length++] = (char)c;
    if (c == delimiter) break;
  }
  (*line)[length] = '\0';
  return (ssize_t)length;
}

ssize_t getline(char** line, size_t* size, FILE* stream) { return getdelim(line, size, '\n', stream); }
