/* What the referee programs share: the names of the errors they print (errors.c too) and, for
 * the random ones (fsrandom.c, memrandom.c), a generator seeded by the command line, a call's
 * result, a checksum. Each program is one file: everything here is static. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

static uint32_t g_state;

static inline void seed_random(uint32_t seed) { g_state = seed * 2654435761u + 1; }

static inline uint32_t next(void) { /* xorshift32 */
  g_state ^= g_state << 13;
  g_state ^= g_state >> 17;
  g_state ^= g_state << 5;
  return g_state;
}
static inline uint32_t below(uint32_t n) { return next() % n; }

static inline const char* errno_name(int number) {
  switch (number) {
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case ENOTTY: return "ENOTTY";
    case ESPIPE: return "ESPIPE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EFBIG: return "EFBIG";
    case ENODEV: return "ENODEV";
    case ENOSYS: return "ENOSYS";
    case ENXIO: return "ENXIO";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "another";
  }
}

/* Prints a call's result: a count or an offset, or the error. */
static inline void result(long value) {
  if (value < 0) printf(" -> %s\n", errno_name(errno));
  else printf(" -> %ld\n", value);
}

enum { kHashStart = 2166136261u };
static inline uint32_t hash_more(uint32_t hash, const unsigned char* bytes, long size) { /* FNV-1a */
  for (long i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}
static inline uint32_t checksum(const unsigned char* bytes, long size) { return hash_more(kHashStart, bytes, size); }
