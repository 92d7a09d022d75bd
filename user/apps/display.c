/* display sched [CXY LID] | display vsegs: prints a kernel structure on the kernel's console
 * (the host's stderr under `mkh exec`, the terminal in `make run`), as the reference's shell's
 * `display` does: the scheduler of core LID of cluster CXY (SCHED_DISPLAY, run on that cluster;
 * without CXY and LID, every core of every cluster), or display's own vsegs (its address space,
 * from the VMM). CXY is a cluster identifier as mkh names them (0x0, 0x1, ...: (x << 4) | y).
 * Statuses: 0; 1 when the kernel refuses (no such cluster or core: EINVAL; no mkh: ENOSYS);
 * 2 for a usage error. A user program of mkh's /bin (user/apps/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkh.h"

enum { kDisplaySched = 0, kDisplayVsegs = 1 };

static int usage(void) {
  fprintf(stderr, "usage: display sched [CXY LID] | display vsegs\n");
  return 2;
}

/* A number (decimal, or hexadecimal after 0x) into *value; 0 when `text` is not one. */
static int parse_number(const char* text, unsigned long* value) {
  char* end;
  errno = 0;
  *value = strtoul(text, &end, 0);
  return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

static int display_sched(unsigned long cxy, unsigned long lid) {
  if (mkh_display(kDisplaySched, (long)cxy, (long)lid) == 0) return 0;
  fprintf(stderr, "display: core %lu of cluster %#lx: %s\n", lid, cxy, strerror(errno));
  return 1;
}

static int display_every_core(void) {
  unsigned int x_size, y_size, cores;
  if (mkh_get_config(&x_size, &y_size, &cores) != 0) {
    fprintf(stderr, "display: the machine's configuration: %s\n", strerror(errno));
    return 1;
  }
  for (unsigned int x = 0; x < x_size; ++x)
    for (unsigned int y = 0; y < y_size; ++y)
      for (unsigned int lid = 0; lid < cores; ++lid)
        if (display_sched((x << 4) | y, lid) != 0) return 1;
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "vsegs") == 0) {
    if (mkh_display(kDisplayVsegs, 0, 0) == 0) return 0;
    fprintf(stderr, "display: vsegs: %s\n", strerror(errno));
    return 1;
  }
  if (argc < 2 || strcmp(argv[1], "sched") != 0) return usage();
  if (argc == 2) return display_every_core();
  unsigned long cxy, lid;
  if (argc != 4) return usage();
  if (!parse_number(argv[2], &cxy) || !parse_number(argv[3], &lid)) {
    fprintf(stderr, "display: sched %s %s: expected two numbers, a cluster and a core\n", argv[2], argv[3]);
    return 2;
  }
  return display_sched(cxy, lid);
}
