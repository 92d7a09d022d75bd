/* The directory functions picolibc declares in <dirent.h> and leaves to the system: opendir,
 * fdopendir, readdir, readdir_r, rewinddir, telldir, seekdir, dirfd, closedir, scandir and
 * alphasort, on getdents64 and _llseek. A directory's offset is a place in it, 64 bits wide
 * (a hash on some file systems: ext4's, behind qemu-riscv32), where telldir answers a long:
 * so telldir answers an index into the places it was asked for, and seekdir goes back to
 * the place, as glibc does for 32-bit programs. Layer: the user library (user/lib/); calls
 * linux.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_syscalls.h"

struct __mkh_dir {
  int fd;
  int used, filled;   /* bytes of `records` read out, and read in by the last getdents64 */
  int64_t position;   /* the place after the last entry returned */
  int64_t* places;    /* what telldir answered, by its answer */
  long places_count, places_capacity;
  struct dirent entry;
  char records[2048] __attribute__((aligned(8))); /* getdents64's linux_dirent64 records */
};

DIR* fdopendir(int fd) {
  struct stat status;
  if (fstat(fd, &status) != 0) return NULL;
  if (!S_ISDIR(status.st_mode)) {
    errno = ENOTDIR;
    return NULL;
  }
  DIR* dir = malloc(sizeof *dir);
  if (dir == NULL) return NULL;
  *dir = (DIR){.fd = fd};
  return dir;
}

DIR* opendir(const char* path) {
  const int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return NULL;
  DIR* dir = fdopendir(fd);
  if (dir == NULL) {
    const int failure = errno;
    close(fd);
    errno = failure;
  }
  return dir;
}

/* NULL at the end (errno unchanged) or on a failure (errno set). */
struct dirent* readdir(DIR* dir) {
  if (dir->used >= dir->filled) {
    const int got = getdents64(dir->fd, dir->records, sizeof dir->records);
    if (got <= 0) return NULL;
    dir->filled = got;
    dir->used = 0;
  }
  const struct linux_dirent64* record = (const struct linux_dirent64*)(dir->records + dir->used);
  dir->used += record->d_reclen;
  dir->position = record->d_off;
  struct dirent* entry = &dir->entry;
  entry->d_ino = (ino_t)record->d_ino;
  entry->d_off = (off_t)record->d_off;
  entry->d_reclen = sizeof *entry;
  entry->d_type = record->d_type;
  strncpy(entry->d_name, record->d_name, sizeof entry->d_name - 1);
  entry->d_name[sizeof entry->d_name - 1] = '\0';
  return entry;
}

int readdir_r(DIR* restrict dir, struct dirent* restrict entry, struct dirent** restrict result) {
  const int before = errno;
  errno = 0;
  struct dirent* next = readdir(dir);
  const int failure = errno;
  errno = before;
  if (next == NULL && failure != 0) return failure;
  if (next != NULL) *entry = *next;
  *result = next == NULL ? NULL : entry;
  return 0;
}

/* -1 (errno ENOMEM) when there is no room to remember one more place. */
long telldir(DIR* dir) {
  for (long i = 0; i < dir->places_count; i++)
    if (dir->places[i] == dir->position) return i;
  if (dir->places_count == dir->places_capacity) {
    const long capacity = dir->places_capacity == 0 ? 8 : dir->places_capacity * 2;
    int64_t* grown = realloc(dir->places, (size_t)capacity * sizeof *grown);
    if (grown == NULL) return -1;
    dir->places = grown;
    dir->places_capacity = capacity;
  }
  dir->places[dir->places_count] = dir->position;
  return dir->places_count++;
}

static void go_to(DIR* dir, int64_t position) {
  int64_t result;
  if (llseek(dir->fd, position, &result, SEEK_SET) < 0) return;
  dir->used = dir->filled = 0;
  dir->position = position;
}

/* A cookie telldir did not answer is ignored. */
void seekdir(DIR* dir, long cookie) {
  if (cookie >= 0 && cookie < dir->places_count) go_to(dir, dir->places[cookie]);
}

void rewinddir(DIR* dir) { go_to(dir, 0); }

int dirfd(DIR* dir) { return dir->fd; }

int closedir(DIR* dir) {
  const int closed = close(dir->fd);
  free(dir->places);
  free(dir);
  return closed;
}

int alphasort(const struct dirent** a, const struct dirent** b) { return strcoll((*a)->d_name, (*b)->d_name); }

/* The entries `filter` keeps (every one without it), each in a block of its own, in an array
 * sorted by `compare` (read order without it); the caller frees each and the array. */
int scandir(const char* path, struct dirent*** list, int (*filter)(const struct dirent*),
            int (*compare)(const struct dirent**, const struct dirent**)) {
  DIR* dir = opendir(path);
  if (dir == NULL) return -1;
  struct dirent** entries = NULL;
  size_t count = 0, capacity = 0;
  int failure = 0;
  errno = 0;
  for (struct dirent* entry; (entry = readdir(dir)) != NULL; errno = 0) {
    if (filter != NULL && !filter(entry)) continue;
    if (count == capacity) {
      capacity = capacity == 0 ? 16 : capacity * 2;
      struct dirent** grown = realloc(entries, capacity * sizeof *entries);
      if (grown == NULL) break;
      entries = grown;
    }
    struct dirent* copy = malloc(sizeof *copy);
    if (copy == NULL) break;
    *copy = *entry;
    entries[count++] = copy;
  }
  failure = errno;
  closedir(dir);
  if (failure != 0) {
    while (count > 0) free(entries[--count]);
    free(entries);
    errno = failure;
    return -1;
  }
  if (compare != NULL && count > 1)
    qsort(entries, count, sizeof *entries, (int (*)(const void*, const void*))compare);
  *list = entries;
  return (int)count;
}
