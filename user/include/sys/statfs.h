/* <sys/statfs.h> (and <sys/vfs.h>, which includes it): statfs and fstatfs, which picolibc has
 * not: the user library's (user/lib/posix.c), on Linux's statfs64 and fstatfs64, with the
 * struct laid out as Linux's struct statfs64 for RV32 (32-bit words, 64-bit counts), as
 * glibc's struct statfs is with 64-bit offsets. Layer: the user library's headers. */
#ifndef MKH_SYS_STATFS_H
#define MKH_SYS_STATFS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int __val[2];
} fsid_t;

struct statfs {
  uint32_t f_type; /* the file system's magic number (0x4d44 for FAT, 0x01021994 for tmpfs) */
  uint32_t f_bsize;
  uint64_t f_blocks; /* in f_frsize units */
  uint64_t f_bfree;
  uint64_t f_bavail; /* free for an unprivileged user */
  uint64_t f_files;
  uint64_t f_ffree;
  fsid_t f_fsid;
  uint32_t f_namelen;
  uint32_t f_frsize;
  uint32_t f_flags;
  uint32_t f_spare[4];
};

int statfs(const char* path, struct statfs* buf);
int fstatfs(int fd, struct statfs* buf);

#ifdef __cplusplus
}
#endif

#endif
