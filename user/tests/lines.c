/* lines: the referee program of getline and getdelim (user/tests/): lines of every kind from
 * a file it writes — empty, long (past the first block), the last without its newline — and
 * fields cut by getdelim, each with its length; a line through a file mkstemp made in
 * /tmp. The same bytes under qemu-riscv32 and mkh exec. Works in a scratch file lines.txt
 * made in the current folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  FILE* out = fopen("lines.txt", "w");
  if (out == NULL) {
    printf("lines: cannot make lines.txt: %s\n", strerror(errno));
    return 1;
  }
  fputs("first\n\nthird line\n", out);
  for (int i = 0; i < 300; i++) fputc('a' + i % 26, out);
  fputs("\nroot:x:0:0\nlast, no newline", out);
  fclose(out);

  FILE* in = fopen("lines.txt", "r");
  char* line = NULL;
  size_t size = 0;
  ssize_t length;
  for (int number = 1; (length = getline(&line, &size, in)) != -1; number++) {
    const size_t shown = strlen(line) > 40 ? 40 : strlen(line);
    printf("line %d: %zd bytes, block of %s, \"%.*s%s\"\n", number, length, size > (size_t)length ? "room" : "no room",
           (int)shown, line, strlen(line) > 40 ? "..." : "");
  }
  printf("at the end: -1, feof: %s\n", feof(in) ? "yes" : "no");

  rewind(in);
  for (int i = 0; i < 4; i++) getline(&line, &size, in); /* to "root:x:0:0" */
  while ((length = getdelim(&line, &size, ':', in)) != -1) {
    if (line[length - 1] == '\n') break;
    printf("field: %zd bytes \"%s\"\n", length, line);
  }
  fclose(in);
  free(line);

  errno = 0;
  printf("getline(NULL, ...) -> %zd %s\n", getline(NULL, &size, stdin), strerror(errno));
  char* fresh = NULL;
  size_t fresh_size = 12345; /* ignored when the line is NULL */
  printf("getline from an empty stdin -> %zd\n", getline(&fresh, &fresh_size, stdin));
  free(fresh);
  unlink("lines.txt");

  /* A temporary file where Linux programs make them: the disk has a /tmp, as Linux does. */
  char name[] = "/tmp/linesXXXXXX";
  const int temporary = mkstemp(name);
  FILE* scratch = temporary >= 0 ? fdopen(temporary, "w+") : NULL;
  char* back = NULL;
  size_t back_size = 0;
  if (scratch != NULL) {
    fputs("a line in /tmp\n", scratch);
    rewind(scratch);
  }
  printf("mkstemp(\"/tmp/linesXXXXXX\"): %s, the line read back: %s\n", scratch ? "made" : strerror(errno),
         scratch != NULL && getline(&back, &back_size, scratch) == 15 ? "yes" : "no");
  if (scratch != NULL) fclose(scratch);
  free(back);
  unlink(name);
  return 0;
}
