/* df [PATH...]: the file systems of the machine, or those the paths are on (by statfs), one
 * line each as coreutils' df writes it: the file system's type for its name, its size, the
 * space used and the space available in 1K blocks (rounded up), the use in percent (rounded
 * up; "-" for a file system without blocks) and where it is mounted. mkh has two: the disk's
 * FAT volume at /, devtmpfs at /dev; a file system is told from the other by its type
 * (statfs's f_type), as there is no mount table to read. Exit status: 0, or 1 when a path has no file system
 * (`df: PATH: No such file or directory`; the others are written). A user program of mkh's
 * /bin (user/apps/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

enum { kFatMagic = 0x4d44, kTmpfsMagic = 0x01021994 };

/* `blocks` of `size` bytes in KiB, rounded up (a FAT block may be 512 bytes). */
static unsigned long long kibibytes(unsigned long long blocks, unsigned size) { return (blocks * size + 1023) / 1024; }

static int show(const char* path) {
  struct statfs fs;
  if (statfs(path, &fs) != 0) {
    fprintf(stderr, "df: %s: %s\n", path, strerror(errno));
    return 1;
  }
  const char* name = fs.f_type == kFatMagic ? "vfat" : fs.f_type == kTmpfsMagic ? "devtmpfs" : "?";
  const char* mounted = fs.f_type == kFatMagic ? "/" : fs.f_type == kTmpfsMagic ? "/dev" : path;
  const unsigned long long size = kibibytes(fs.f_blocks, fs.f_frsize), available = kibibytes(fs.f_bavail, fs.f_frsize);
  const unsigned long long used = kibibytes(fs.f_blocks - fs.f_bfree, fs.f_frsize);
  char use[8] = "-";
  if (used + available > 0)
    snprintf(use, sizeof use, "%llu%%", (used * 100 + used + available - 1) / (used + available));
  printf("%-14s %9llu %9llu %9llu %4s %s\n", name, size, used, available, use, mounted);
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-') {
      fprintf(stderr, "usage: df [PATH...]\n");
      return 2;
    }
  printf("%-14s %9s %9s %9s %4s %s\n", "Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on");
  if (argc == 1) return show("/") | show("/dev");
  int status = 0;
  for (int i = 1; i < argc; i++) status |= show(argv[i]);
  return status;
}
