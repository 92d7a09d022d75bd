/* fsrandom: random file system calls, judged by Linux through qemu-riscv32 (user/tests/).
 * Usage: fsrandom SEED COUNT. In a scratch directory fsrandom.SEED made in the current one, makes
 * COUNT calls drawn from SEED — open and openat (with every combination of O_CREAT, O_EXCL,
 * O_TRUNC, O_APPEND, O_DIRECTORY and the three access modes), close, read, write, readv,
 * writev, pread, pwrite, lseek, dup, dup3, fcntl (F_GETFL, F_SETFL), fstat, getdents64,
 * mkdir, mkdirat, rmdir, unlink, unlinkat, rename, renameat2 (RENAME_NOREPLACE,
 * RENAME_EXCHANGE), truncate, ftruncate, faccessat, stat, chdir and getcwd — on a few names two levels deep (spelled with ".", "..", "./" and trailing
 * slashes too), through up to six open descriptors, and prints each call with its result (the
 * count, the offset, the errno's name, a checksum of the bytes read); then the tree, sorted,
 * each file with its size and checksum. What a FAT32 volume cannot show like ext4 is left out:
 * modes, links, times, the order of a directory, a directory's size. Exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "random_calls.h"

enum { kSlots = 6, kMaxBytes = 6000, kMaxOffset = 24000 };

/* A path of one or two names from a small set, so that calls meet each other's files; at
 * times spelled with "./", "NAME/..", ".", a trailing slash, or ending in "." or "..". */
static void random_path(char* path) {
  static const char* const names[] = {"a", "b", "c", "d"};
  const char* first = names[below(4)];
  const char* second = names[below(4)];
  switch (below(14)) {
    case 12: sprintf(path, "%s/.", first); break;
    case 13: sprintf(path, "%s/..", first); break;
    case 0: sprintf(path, "./%s", first); break;
    case 1: sprintf(path, "%s/", first); break;
    case 2: sprintf(path, "%s/../%s", first, second); break;
    case 3: sprintf(path, "%s/./%s", first, second); break;
    case 4: sprintf(path, "%s/%s/", first, second); break;
    case 5:
    case 6:
    case 7: sprintf(path, "%s/%s", first, second); break;
    default: strcpy(path, first); break;
  }
}

static int g_fds[kSlots];
static unsigned char g_bytes[kMaxBytes];

static int open_flags(char* text) {
  static const int access[] = {O_RDONLY, O_WRONLY, O_RDWR};
  static const char* const access_names[] = {"O_RDONLY", "O_WRONLY", "O_RDWR"};
  const uint32_t mode = below(3);
  int flags = access[mode];
  strcpy(text, access_names[mode]);
  if (below(2)) flags |= O_CREAT, strcat(text, "|O_CREAT");
  if (below(5) == 0) flags |= O_EXCL, strcat(text, "|O_EXCL");
  if (below(4) == 0) flags |= O_TRUNC, strcat(text, "|O_TRUNC");
  if (below(4) == 0) flags |= O_APPEND, strcat(text, "|O_APPEND");
  /* O_DIRECTORY with O_CREAT: the answer changed between Linux versions (EINVAL since 6.4) */
  if (below(8) == 0 && !(flags & O_CREAT)) flags |= O_DIRECTORY, strcat(text, "|O_DIRECTORY");
  return flags;
}

static void fill(long size) {
  for (long i = 0; i < size; ++i) g_bytes[i] = (unsigned char)next();
}

/* A descriptor slot: mostly an open one, when there is one. */
static int random_slot(void) {
  int open_slots[kSlots], count = 0;
  for (int i = 0; i < kSlots; ++i)
    if (g_fds[i] >= 0) open_slots[count++] = i;
  if (count > 0 && below(8) != 0) return open_slots[below((uint32_t)count)];
  return (int)below(kSlots);
}

/* The sorted names of the directory open as `fd`, on one line. */
static void print_names(int fd) {
  char names[32][64], buffer[512];
  int count = 0;
  long got;
  while ((got = getdents64(fd, buffer, sizeof buffer)) > 0) {
    for (long at = 0; at < got;) {
      const struct linux_dirent64* entry = (const struct linux_dirent64*)(buffer + at);
      if (count < 32) snprintf(names[count++], sizeof names[0], "%s", entry->d_name);
      at += entry->d_reclen;
    }
  }
  if (got < 0) {
    result(-1);
    return;
  }
  qsort(names, (size_t)count, sizeof names[0], (int (*)(const void*, const void*))strcmp);
  printf(" ->");
  for (int i = 0; i < count; ++i) printf(" %s", names[i]);
  printf("\n");
}

static int g_depth; /* how far below fsrandom.SEED the working directory is */

/* The calls of the second kind: *at, vectors, descriptors' flags, directories, the cwd. */
static void call_more(int slot, int fd) {
  char path[16], other[16], flags_text[64], cwd[256];
  /* a directory descriptor for the *at calls: the slot's, when it is one, else AT_FDCWD */
  struct stat st;
  const int dirfd = fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? fd : AT_FDCWD;
  const char* base = dirfd == AT_FDCWD ? "cwd" : "dir";
  switch (below(14)) {
    case 0: {
      random_path(path);
      const int flags = open_flags(flags_text);
      const int to = (int)below(kSlots);
      const int opened = openat(dirfd, path, flags, 0755);
      if (g_fds[to] >= 0) close(g_fds[to]); /* after the call: it may be the directory's */
      g_fds[to] = opened;
      printf("openat %s %s %s as %d", base, path, flags_text, to);
      result(opened < 0 ? -1 : 0);
      break;
    }
    case 1:
      random_path(path);
      printf("mkdirat %s %s", base, path);
      result(mkdirat(dirfd, path, 0755));
      break;
    case 2: {
      random_path(path);
      const int flags = below(2) ? AT_REMOVEDIR : 0;
      printf("unlinkat %s %s%s", base, path, flags ? " AT_REMOVEDIR" : "");
      result(unlinkat(dirfd, path, flags));
      break;
    }
    case 3: {
      random_path(path);
      random_path(other);
      static const char* const kFlags[] = {"", " RENAME_NOREPLACE", " RENAME_EXCHANGE"};
      const unsigned flags = below(3); /* 0, RENAME_NOREPLACE (1), RENAME_EXCHANGE (2) */
      printf("renameat2 %s %s %s%s", base, path, other, kFlags[flags]);
      result(renameat2(dirfd, path, dirfd, other, flags));
      break;
    }
    case 4: {
      const long first = (long)below(kMaxBytes / 2), second = (long)below(kMaxBytes / 2);
      struct linux_iovec iov[2] = {{g_bytes, (size_t)first}, {g_bytes + first, (size_t)second}};
      if (below(2)) {
        fill(first + second);
        printf("writev %d %ld+%ld", slot, first, second);
        result(writev(fd, iov, 2));
      } else {
        const long got = readv(fd, iov, 2);
        printf("readv %d %ld+%ld", slot, first, second);
        if (got > 0) printf(" -> %ld bytes %08lx\n", got, (unsigned long)checksum(g_bytes, got));
        else result(got);
      }
      break;
    }
    case 5: {
      const int to = (int)below(kSlots);
      if (to == slot || g_fds[to] < 0) break; /* dup3 onto an open descriptor: it is closed first */
      const int duplicated = dup3(fd, g_fds[to], 0);
      printf("dup3 %d onto %d", slot, to);
      if (duplicated < 0 && fd >= 0) g_fds[to] = -1; /* unknown: forget it */
      result(duplicated < 0 ? -1 : 0);
      break;
    }
    case 6: {
      if (below(3) == 0) {
        const long append = below(2) ? 02000 /* O_APPEND */ : 0;
        printf("fcntl %d F_SETFL %s", slot, append ? "O_APPEND" : "0");
        result(fcntl64(fd, 4 /* F_SETFL */, append));
        break;
      }
      const long flags = fcntl64(fd, 3 /* F_GETFL */, 0);
      printf("fcntl %d F_GETFL", slot);
      if (flags < 0) result(-1);
      else printf(" -> %s%s\n", (const char*[]){"O_RDONLY", "O_WRONLY", "O_RDWR", "?"}[flags & 3],
                  (flags & 02000) ? "|O_APPEND" : "");
      break;
    }
    case 7:
      printf("fstat %d", slot);
      if (fstat(fd, &st) < 0) result(-1);
      else if (S_ISDIR(st.st_mode)) printf(" -> directory\n");
      else printf(" -> file of %ld bytes\n", (long)st.st_size);
      break;
    case 8:
      printf("getdents64 %d", slot);
      print_names(fd);
      /* back to the start: at its end ext4's position is a hash past any a read may reach (EINVAL) */
      if (fd >= 0) lseek(fd, 0, SEEK_SET);
      break;
    case 9:
      if (g_depth > 0 && below(2)) {
        printf("chdir ..");
        const int changed = chdir("..");
        if (changed == 0) --g_depth;
        result(changed);
      } else {
        static const char* const names[] = {"a", "b", "c", "d"};
        const char* name = names[below(4)];
        printf("chdir %s", name);
        const int changed = chdir(name);
        if (changed == 0) ++g_depth;
        result(changed);
      }
      break;
    case 10: {
      const long length = (long)below(kMaxOffset);
      printf("ftruncate %d %ld", slot, length);
      result(ftruncate(fd, length));
      break;
    }
    case 11: {
      const long length = (long)below(kMaxOffset);
      random_path(path);
      printf("truncate %s %ld", path, length);
      result(truncate(path, length));
      break;
    }
    case 12: {
      /* as root: whether the path resolves (files are created 0755, as mkh shows every file) */
      const int mode = (int)below(8);
      random_path(path);
      printf("faccessat %s %s %c%c%c", base, path, mode & R_OK ? 'r' : '-', mode & W_OK ? 'w' : '-',
             mode & X_OK ? 'x' : '-');
      result(faccessat(dirfd, path, mode, 0));
      break;
    }
    default: {
      /* the part of the working directory below fsrandom.SEED: the rest differs by runner */
      printf("getcwd");
      if (getcwd(cwd, sizeof cwd) == NULL) {
        result(-1);
        break;
      }
      const char* below_scratch = strstr(cwd, "/fsrandom.");
      below_scratch = below_scratch == NULL ? NULL : strchr(below_scratch + 1, '/');
      printf(" -> .%s\n", below_scratch == NULL ? "" : below_scratch);
      break;
    }
  }
}

static void call(void) {
  char path[16], other[16], flags_text[64];
  const int slot = random_slot();
  const int fd = g_fds[slot];
  if (below(4) == 0) {
    call_more(slot, fd);
    return;
  }
  switch (below(15)) {
    case 0:
    case 1: {
      random_path(path);
      const int flags = open_flags(flags_text);
      if (fd >= 0) close(fd);
      g_fds[slot] = open(path, flags, 0755);
      printf("open %s %s as %d", path, flags_text, slot);
      result(g_fds[slot] < 0 ? -1 : 0);
      break;
    }
    case 2:
      printf("close %d", slot);
      result(close(fd));
      g_fds[slot] = -1;
      break;
    case 3:
    case 4: {
      const long size = (long)below(kMaxBytes);
      const long got = read(fd, g_bytes, (size_t)size);
      printf("read %d %ld", slot, size);
      if (got > 0) printf(" -> %ld bytes %08lx\n", got, (unsigned long)checksum(g_bytes, got));
      else result(got);
      break;
    }
    case 5:
    case 6: {
      const long size = (long)below(kMaxBytes);
      fill(size);
      printf("write %d %ld", slot, size);
      result(write(fd, g_bytes, (size_t)size));
      break;
    }
    case 7: {
      const long size = (long)below(kMaxBytes), offset = (long)below(kMaxOffset);
      const long got = pread(fd, g_bytes, (size_t)size, offset);
      printf("pread %d %ld at %ld", slot, size, offset);
      if (got > 0) printf(" -> %ld bytes %08lx\n", got, (unsigned long)checksum(g_bytes, got));
      else result(got);
      break;
    }
    case 8: {
      const long size = (long)below(kMaxBytes), offset = (long)below(kMaxOffset);
      fill(size);
      printf("pwrite %d %ld at %ld", slot, size, offset);
      result(pwrite(fd, g_bytes, (size_t)size, offset));
      break;
    }
    case 9: {
      static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
      const uint32_t whence = below(3);
      const long offset = (long)below(kMaxOffset) - (whence == SEEK_SET ? 0 : kMaxOffset / 2);
      struct stat st;
      if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) break; /* a directory's offsets are ext4's own */
      printf("lseek %d %ld %s", slot, offset, (const char*[]){"SEEK_SET", "SEEK_CUR", "SEEK_END"}[whence]);
      result(lseek(fd, offset, whences[whence]));
      break;
    }
    case 10: {
      const int to = (int)below(kSlots);
      if (to == slot) break;
      if (g_fds[to] >= 0) close(g_fds[to]);
      g_fds[to] = dup(fd);
      printf("dup %d as %d", slot, to);
      result(g_fds[to] < 0 ? -1 : 0);
      break;
    }
    case 11:
      random_path(path);
      printf("mkdir %s", path);
      result(mkdir(path, 0755));
      break;
    case 12:
      random_path(path);
      if (below(2)) {
        printf("rmdir %s", path);
        result(rmdir(path));
      } else {
        printf("unlink %s", path);
        result(unlink(path));
      }
      break;
    case 13:
      random_path(path);
      random_path(other);
      printf("rename %s %s", path, other);
      result(rename(path, other));
      break;
    default: {
      struct stat st;
      random_path(path);
      printf("stat %s", path);
      if (stat(path, &st) < 0) result(-1);
      else if (S_ISDIR(st.st_mode)) printf(" -> directory\n");
      else printf(" -> file of %ld bytes\n", (long)st.st_size);
      break;
    }
  }
}

/* The tree under `path`, sorted: each file with its size and checksum. */
static void list(const char* path) {
  char names[32][64];
  int count = 0;
  const int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  char buffer[1024];
  long got;
  while ((got = getdents64(fd, buffer, sizeof buffer)) > 0) {
    for (long at = 0; at < got;) {
      const struct linux_dirent64* entry = (const struct linux_dirent64*)(buffer + at);
      if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 && count < 32)
        snprintf(names[count++], sizeof names[0], "%s", entry->d_name);
      at += entry->d_reclen;
    }
  }
  close(fd);
  qsort(names, (size_t)count, sizeof names[0], (int (*)(const void*, const void*))strcmp);
  for (int i = 0; i < count; ++i) {
    char child[160];
    struct stat st;
    snprintf(child, sizeof child, "%.90s/%.60s", path, names[i]);
    if (stat(child, &st) < 0) {
      printf("%s: stat fails\n", child);
    } else if (S_ISDIR(st.st_mode)) {
      printf("%s/\n", child);
      list(child);
    } else {
      const int file = open(child, O_RDONLY);
      uint32_t hash = kHashStart;
      long got;
      while (file >= 0 && (got = read(file, g_bytes, sizeof g_bytes)) > 0) hash = hash_more(hash, g_bytes, got);
      printf("%s %ld bytes %08lx\n", child, (long)st.st_size, (unsigned long)hash);
      if (file >= 0) close(file);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fsrandom SEED COUNT\n");
    return 2;
  }
  const uint32_t seed = (uint32_t)strtoul(argv[1], NULL, 10);
  const long count = strtol(argv[2], NULL, 10);
  seed_random(seed);
  char folder[32];
  snprintf(folder, sizeof folder, "fsrandom.%lu", (unsigned long)seed);
  if (mkdir(folder, 0755) < 0 || chdir(folder) < 0) {
    printf("fsrandom: cannot make %s: %s\n", folder, strerror(errno));
    return 1;
  }
  for (int i = 0; i < kSlots; ++i) g_fds[i] = -1;
  for (long i = 0; i < count; ++i) call();
  for (int i = 0; i < kSlots; ++i)
    if (g_fds[i] >= 0) close(g_fds[i]);
  for (; g_depth > 0; --g_depth)
    if (chdir("..") < 0) printf("chdir .. fails\n");
  list(".");
  return 0;
}
