/* DIR and struct dirent for picolibc's <dirent.h>, which declares opendir, readdir and the
 * rest and leaves these to the system (picolibc's own <sys/dirent.h> stops the build: this
 * one, earlier on the include path, takes its place). The functions are the user library's
 * (user/lib/dirent.c), on getdents64. Layer: the user library's headers. */
#ifndef MKH_SYS_DIRENT_H
#define MKH_SYS_DIRENT_H

#include <sys/types.h>

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12
#define DT_WHT 14

struct dirent {
  ino_t d_ino;             /* getdents64's, cut to picolibc's ino_t as stat's st_ino is */
  off_t d_off;             /* the place of the next entry: what telldir answers after it */
  unsigned short d_reclen; /* sizeof (struct dirent) */
  unsigned char d_type;    /* DT_* */
  char d_name[256];        /* NAME_MAX (255) bytes and the NUL */
};

typedef struct __mkh_dir DIR;

#endif
