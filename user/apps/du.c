/* du [-a | -s] [-c] [-d N] [-b | -k | -m | -h | -B SIZE] [PATH...]: the disk space each PATH
 * uses, and each directory under it, as GNU's du counts it: a file's blocks (st_blocks, of 512
 * bytes: on FAT, the clusters it holds), a directory's own and everything under it, rounded up
 * to the unit, a line "SIZE<tab>PATH" per directory (after what it holds), PATH . by default.
 *   -a        a line for every file too        -s        a line for each PATH alone
 *   -c        a last line "SIZE<tab>total"      -d N      lines N levels below a PATH at most
 *   -k        in KiB (the default)             -m        in MiB
 *   -b        the apparent size (st_size) in bytes, not the blocks
 *   -h        with a unit each (K, M, G, as GNU's: one decimal under 10, rounded up)
 *   -B SIZE   in units of SIZE bytes
 * Entries in the order readdir gives them, as GNU's. A PATH or a directory it cannot read is
 * reported ("du: PATH: strerror") and the rest still counted: status 1; 2 for a usage error.
 * A user program of mkh's /bin (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "human.h"

static int all_files, summarize, grand_total, apparent, human;
static long max_depth = LONG_MAX;
static uint64_t unit = 1024;
static int status;

static int usage(void) {
  fprintf(stderr, "usage: du [-a | -s] [-c] [-d N] [-b | -k | -m | -h | -B SIZE] [PATH...]\n");
  return 2;
}

static void print_size(uint64_t bytes, const char* path) {
  char text[16];
  if (human) printf("%s\t%s\n", human_size(bytes, text), path);
  else printf("%llu\t%s\n", (unsigned long long)((bytes + unit - 1) / unit), path);
}

static uint64_t usage_of(const struct stat* st) {
  return apparent ? (uint64_t)st->st_size : (uint64_t)st->st_blocks * 512;
}

/* The space `path` uses, its lines printed on the way; `depth` levels below its PATH. */
static uint64_t walk(const char* path, long depth) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    fprintf(stderr, "du: cannot access '%s': %s\n", path, strerror(errno));
    status = 1;
    return 0;
  }
  uint64_t total = usage_of(&st);
  if (S_ISDIR(st.st_mode)) {
    DIR* dir = opendir(path);
    if (dir == NULL) {
      fprintf(stderr, "du: cannot read directory '%s': %s\n", path, strerror(errno));
      status = 1;
    } else {
      struct dirent* entry;
      while ((entry = readdir(dir)) != NULL) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
        const size_t length = strlen(path);
        char* child = malloc(length + strlen(entry->d_name) + 2);
        if (child == NULL) {
          fprintf(stderr, "du: out of memory\n");
          exit(1);
        }
        sprintf(child, length > 0 && path[length - 1] == '/' ? "%s%s" : "%s/%s", path, entry->d_name);
        total += walk(child, depth + 1);
        free(child);
      }
      closedir(dir);
    }
  }
  if ((S_ISDIR(st.st_mode) || all_files || depth == 0) && depth <= max_depth && (!summarize || depth == 0))
    print_size(total, path);
  return total;
}

/* The value of option -d or -B: the rest of its word, else the next word. */
static const char* option_value(char letter, const char* rest, int argc, char** argv, int* index) {
  if (*rest != '\0') return rest;
  if (*index + 1 < argc) return argv[++*index];
  fprintf(stderr, "du: option requires an argument -- '%c'\n", letter);
  return NULL;
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (!strcmp(argv[first], "--")) {
      first++;
      break;
    }
    for (const char* letter = argv[first] + 1; *letter != '\0'; letter++) {
      const char* value;
      char* end;
      switch (*letter) {
        case 'a': all_files = 1; continue;
        case 's': summarize = 1; continue;
        case 'c': grand_total = 1; continue;
        case 'b': apparent = 1, unit = 1, human = 0; continue;
        case 'k': unit = 1024, human = 0; continue;
        case 'm': unit = 1024 * 1024, human = 0; continue;
        case 'h': human = 1; continue;
        case 'd':
          if ((value = option_value('d', letter + 1, argc, argv, &first)) == NULL) return usage();
          max_depth = strtol(value, &end, 10);
          if (*value == '\0' || *end != '\0' || max_depth < 0) {
            fprintf(stderr, "du: invalid maximum depth '%s'\n", value);
            return usage();
          }
          break;
        case 'B': {
          if ((value = option_value('B', letter + 1, argc, argv, &first)) == NULL) return usage();
          const unsigned long long size = strtoull(value, &end, 10);
          if (*value == '\0' || *value == '-' || *end != '\0' || size == 0) {
            fprintf(stderr, "du: invalid block size '%s'\n", value);
            return usage();
          }
          unit = size, human = 0;
          break;
        }
        default: fprintf(stderr, "du: invalid option -- '%c'\n", *letter); return usage();
      }
      break; /* -d and -B took the rest of the word */
    }
  }
  if (all_files && summarize) {
    fprintf(stderr, "du: cannot both summarize and show all entries\n");
    return usage();
  }
  uint64_t total = 0;
  if (first == argc) total = walk(".", 0);
  for (int i = first; i < argc; i++) total += walk(argv[i], 0);
  if (grand_total) print_size(total, "total");
  return status;
}
