/* dirs: the referee program of the user library's <dirent.h> (user/tests/): opendir,
 * readdir, telldir and seekdir, rewinddir, fdopendir and dirfd, readdir_r, scandir with a
 * filter and alphasort, and their refusals. The order readdir gives is the file system's
 * (FAT's under mkh, the host's under qemu-riscv32), so what is printed is sorted, counted or
 * compared within one run: the same bytes under both. Works in a scratch folder dirs.d made
 * in the current one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { kFiles = 40 };

static const char* yes(int condition) { return condition ? "yes" : "no"; }

static const char* type_name(unsigned char type) {
  switch (type) {
    case DT_DIR: return "folder";
    case DT_REG: return "file";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
  }
}

static int no_dots(const struct dirent* entry) { return strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, ".."); }

static int is_folder(const struct dirent* entry) { return entry->d_type == DT_DIR && no_dots(entry); }

/* The names readdir gives from where `dir` stands to its end, joined in read order. */
static void read_rest(DIR* dir, char* out, size_t size) {
  out[0] = '\0';
  for (struct dirent* entry; (entry = readdir(dir)) != NULL;) {
    strncat(out, entry->d_name, size - strlen(out) - 1);
    strncat(out, "/", size - strlen(out) - 1);
  }
}

int main(void) {
  if (mkdir("dirs.d", 0755) != 0 || chdir("dirs.d") != 0) {
    printf("dirs: cannot make dirs.d: %s\n", strerror(errno));
    return 1;
  }
  char name[64];
  for (int i = 0; i < kFiles; i++) {
    snprintf(name, sizeof name, "a file with a long name number %02d.txt", i);
    const int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || close(fd) != 0) {
      printf("dirs: cannot make %s: %s\n", name, strerror(errno));
      return 1;
    }
  }
  mkdir("sub one", 0755);
  mkdir("sub two", 0755);

  DIR* dir = opendir(".");
  int count = 0, dots = 0, files = 0, folders = 0;
  for (struct dirent* entry; (entry = readdir(dir)) != NULL; count++) {
    if (!no_dots(entry)) dots++;
    else if (entry->d_type == DT_REG) files++;
    else if (entry->d_type == DT_DIR) folders++;
    if (entry->d_reclen != sizeof *entry) printf("dirs: d_reclen %u\n", entry->d_reclen);
  }
  printf("readdir: %d entries: %d dots, %d files, %d folders\n", count, dots, files, folders);

  /* telldir after the fifth entry; seekdir back there reads the same rest again. */
  rewinddir(dir);
  for (int i = 0; i < 5; i++) readdir(dir);
  const long place = telldir(dir);
  static char first[4096], again[4096], rewound[4096], whole[4096];
  read_rest(dir, first, sizeof first);
  seekdir(dir, place);
  read_rest(dir, again, sizeof again);
  printf("seekdir(telldir) reads the same rest again: %s\n", yes(first[0] != '\0' && strcmp(first, again) == 0));
  rewinddir(dir);
  read_rest(dir, rewound, sizeof rewound);
  printf("rewinddir reads everything again: %s\n", yes(strlen(rewound) > strlen(first)));
  const int fd = dirfd(dir);
  printf("dirfd is a descriptor above 2: %s\n", yes(fd > 2));
  printf("closedir -> %d\n", closedir(dir));

  const int folder = open(".", O_RDONLY | O_DIRECTORY);
  DIR* from_fd = fdopendir(folder);
  printf("fdopendir -> %s, dirfd the same descriptor: %s\n", from_fd ? "a DIR" : strerror(errno),
         yes(from_fd != NULL && dirfd(from_fd) == folder));
  struct dirent entry, *result = NULL;
  int entries = 0, status;
  while ((status = readdir_r(from_fd, &entry, &result)) == 0 && result != NULL) entries++;
  printf("readdir_r: %d entries, ends with %d and NULL: %s\n", entries, status, yes(result == NULL));
  rewinddir(from_fd);
  read_rest(from_fd, whole, sizeof whole);
  printf("the same as readdir: %s\n", yes(strcmp(whole, rewound) == 0));
  closedir(from_fd);

  struct dirent** list = NULL;
  const int found = scandir(".", &list, is_folder, alphasort);
  printf("scandir(folders, alphasort) -> %d:", found);
  for (int i = 0; i < found; i++) {
    printf(" '%s' (%s)", list[i]->d_name, type_name(list[i]->d_type));
    free(list[i]);
  }
  printf("\n");
  free(list);
  const int all = scandir(".", &list, no_dots, alphasort);
  printf("scandir(no dots, alphasort) -> %d, first '%s', last '%s'\n", all, all > 0 ? list[0]->d_name : "",
         all > 0 ? list[all - 1]->d_name : "");
  for (int i = 0; i < all; i++) free(list[i]);
  free(list);

  errno = 0;
  printf("opendir(\"missing\") -> %s (%s)\n", opendir("missing") ? "a DIR" : "NULL", strerror(errno));
  errno = 0;
  printf("opendir(\"a file ... 00.txt\") -> %s (%s)\n",
         opendir("a file with a long name number 00.txt") ? "a DIR" : "NULL", strerror(errno));
  const int file = open("a file with a long name number 01.txt", O_RDONLY);
  errno = 0;
  printf("fdopendir(a file) -> %s (%s)\n", fdopendir(file) ? "a DIR" : "NULL", strerror(errno));
  close(file);
  errno = 0;
  printf("scandir(\"missing\") -> %d (%s)\n", scandir("missing", &list, NULL, NULL), strerror(errno));

  for (int i = 0; i < kFiles; i++) {
    snprintf(name, sizeof name, "a file with a long name number %02d.txt", i);
    unlink(name);
  }
  rmdir("sub one");
  rmdir("sub two");
  chdir("..");
  rmdir("dirs.d");
  return 0;
}
