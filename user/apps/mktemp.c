/* mktemp [-d] [-q] [-p DIR] [TEMPLATE]: makes a new file (-d: a folder) whose name is
 * TEMPLATE with its last X's (three at least) replaced by random characters, only the caller
 * able to use it (0600, 0700), and prints its name, as coreutils' mktemp does. TEMPLATE is
 * tmp.XXXXXXXXXX when not given, then in -p's DIR, else $TMPDIR, else /tmp; a TEMPLATE given
 * is taken as it is (relative to the working folder) unless -p is. -q leaves failures unsaid.
 * Status 1 when nothing could be made, 2 for a usage error. A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes `path`, its trailing X's replaced by random letters and digits (arc4random, seeded by
 * getrandom), tried again with other ones while the name exists: whether it was made. */
static int make(char* path, int folder) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t x = strlen(path);
  while (x > 0 && path[x - 1] == 'X') x--;
  for (int attempt = 0; attempt < 100; attempt++) {
    for (size_t i = x; path[i]; i++) path[i] = kChars[arc4random_uniform(sizeof kChars - 1)];
    const int fd = folder ? mkdir(path, 0700) : open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) return folder || close(fd) == 0;
    if (errno != EEXIST) return 0;
  }
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: mktemp [-d] [-q] [-p DIR] [TEMPLATE]\n");
  return 2;
}

int main(int argc, char** argv) {
  int folder = 0, quiet = 0, first = 1;
  const char* dir = NULL;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (!strcmp(argv[first], "--")) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++) {
      if (*option == 'd') folder = 1;
      else if (*option == 'q') quiet = 1;
      else if (*option == 'p' && (option[1] || first + 1 < argc)) {
        dir = option[1] ? option + 1 : argv[++first];
        break;
      } else return usage();
    }
  }
  if (argc - first > 1) return usage();
  const char* template = first < argc ? argv[first] : "tmp.XXXXXXXXXX";
  const size_t length = strlen(template);
  if (length < 3 || strcmp(template + length - 3, "XXX") != 0) {
    if (!quiet) fprintf(stderr, "mktemp: too few X's in template '%s'\n", template);
    return 1;
  }
  if (!dir && first == argc) dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char path[4096];
  if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir ? dir : "", dir ? "/" : "", template) >= sizeof path) {
    if (!quiet) fprintf(stderr, "mktemp: %s/%s: the name is too long\n", dir, template);
    return 1;
  }
  char asked[sizeof path];
  memcpy(asked, path, sizeof path);
  if (!make(path, folder)) {
    if (!quiet)
      fprintf(stderr, "mktemp: failed to create %s via template '%s': %s\n", folder ? "directory" : "file", asked,
              strerror(errno));
    return 1;
  }
  puts(path);
  return 0;
}
