/* mv [-f] [--] SOURCE DEST, mv [-f] [--] SOURCE... DIRECTORY: renames SOURCE to DEST, or moves
 * each SOURCE into DIRECTORY under its last name when the last operand is a directory, with
 * rename(2) (one file system: no copy). -f is accepted and does nothing (mv never asks here);
 * -- ends the options. A source that is missing, the same file as its target, or that cannot be
 * moved (a directory onto a file, a file onto a directory, a directory into itself or onto one
 * that is not empty) is reported and the others are still moved; the status is then 1. Several
 * sources and a last operand that is not a directory is an error (1); an unknown option or
 * fewer than two operands is a usage error (2). A user program of mkh's /bin (user/apps/):
 * plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int usage(void) {
  fprintf(stderr, "usage: mv [-f] SOURCE DEST, or mv [-f] SOURCE... DIRECTORY\n");
  return 2;
}

/* Reports `what` with errno's text; 1, the status of a failure. */
static int fail(const char* what) {
  fprintf(stderr, "mv: %s: %s\n", what, strerror(errno));
  return 1;
}

/* `directory`/ then the last component of `source` (its trailing slashes left out), in a block
 * the caller frees; NULL, reported, when there is no memory for it. */
static char* target_in(const char* directory, const char* source) {
  size_t end = strlen(source);
  while (end > 1 && source[end - 1] == '/') end--;
  size_t start = end;
  while (start > 0 && source[start - 1] != '/') start--;
  const size_t length = strlen(directory);
  const int slash = length > 0 && directory[length - 1] != '/';
  char* target = malloc(length + (size_t)slash + (end - start) + 1);
  if (target == NULL) {
    fail(source);
    return NULL;
  }
  memcpy(target, directory, length);
  if (slash) target[length] = '/';
  memcpy(target + length + (size_t)slash, source + start, end - start);
  target[length + (size_t)slash + (end - start)] = '\0';
  return target;
}

/* Whether `source` and `target`, both present, name one file (their absolute paths are equal:
 * the file system has no links). */
static int same_file(const char* source, const char* target) {
  char source_path[PATH_MAX], target_path[PATH_MAX];
  if (realpath(source, source_path) == NULL || realpath(target, target_path) == NULL) return 0;
  return strcmp(source_path, target_path) == 0;
}

/* Renames `source` to `target`, after the checks rename(2) would not make: a source that is
 * not there, and a target that is the source itself (which rename accepts silently). */
static int move(const char* source, const char* target) {
  struct stat info;
  if (lstat(source, &info) < 0) return fail(source);
  if (lstat(target, &info) == 0 && same_file(source, target)) {
    fprintf(stderr, "mv: %s and %s are the same file\n", source, target);
    return 1;
  }
  if (rename(source, target) < 0) {
    fprintf(stderr, "mv: cannot move %s to %s: %s\n", source, target, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++)
      if (*option != 'f') return usage();
  }
  const int operands = argc - first;
  if (operands < 2) return usage();
  const char* last = argv[argc - 1];
  struct stat info;
  const int found = stat(last, &info) == 0, into = found && S_ISDIR(info.st_mode);
  if (!into && operands == 2) return move(argv[first], last);
  if (!into) {
    if (found) errno = ENOTDIR;
    return fail(last);
  }
  int status = 0;
  for (int i = first; i < argc - 1; i++) {
    char* target = target_in(last, argv[i]);
    if (target == NULL) {
      status = 1;
      continue;
    }
    status |= move(argv[i], target);
    free(target);
  }
  return status;
}
