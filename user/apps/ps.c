/* ps: the processes of the machine, cluster by cluster (each cluster's kernel owns the
 * processes whose pid it gave: a pid is its cluster in the high 16 bits and an index there in
 * the low ones), by mkh_process_info. One line each: the pid and the parent's (in decimal, as
 * getpid and $$ give them), its process group and session (getpgid, getsid), the owner
 * cluster, the threads, the number of other clusters that hold a copy of the process (where
 * some of its threads run), its CPU time (HH:MM:SS, as Linux's ps), the state and the name.
 * Under another kernel there is no such call: it says so and exits 1. A user program of mkh's
 * /bin (user/apps/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mkh.h"

int main(int argc, char** argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: ps\n");
    return 2;
  }
  unsigned x_size, y_size, cores;
  if (mkh_get_config(&x_size, &y_size, &cores) != 0) {
    fprintf(stderr, "ps: %s (not running on mkh)\n", strerror(errno));
    return 1;
  }
  printf("%8s %8s %8s %8s %7s %7s %6s %8s %-8s %s\n", "PID", "PPID", "PGID", "SID", "CLUSTER", "THREADS", "COPIES",
         "TIME", "STATE", "NAME");
  for (unsigned x = 0; x < x_size; x++)
    for (unsigned y = 0; y < y_size; y++) {
      const unsigned cxy = x << 4 | y;
      struct mkh_process info;
      for (unsigned index = 1; mkh_process_info(cxy, index, &info) == 0; index = (info.pid & 0xffff) + 1) {
        char name[sizeof info.name + 1];
        memcpy(name, info.name, sizeof info.name);
        name[sizeof info.name] = '\0';
        char cluster[12];
        snprintf(cluster, sizeof cluster, "0x%x", cxy);
        char group[12] = "-", session[12] = "-"; /* "-": it ended since */
        const pid_t pgid = getpgid((pid_t)info.pid), sid = getsid((pid_t)info.pid);
        if (pgid > 0) snprintf(group, sizeof group, "%ld", (long)pgid);
        if (sid > 0) snprintf(session, sizeof session, "%ld", (long)sid);
        const unsigned long seconds = (unsigned long)(info.cpu_ms / 1000);
        char time[16]; /* as Linux's ps: [DD-]HH:MM:SS */
        snprintf(time, sizeof time, "%02lu:%02lu:%02lu", seconds / 3600, seconds / 60 % 60, seconds % 60);
        printf("%8lu %8lu %8s %8s %7s %7lu %6lu %8s %-8s %s\n", (unsigned long)info.pid, (unsigned long)info.ppid,
               group, session, cluster, (unsigned long)info.threads, (unsigned long)info.copies, time,
               mkh_process_state_name(info.state), name);
      }
      if (errno != ESRCH) {
        fprintf(stderr, "ps: cluster %#x: %s\n", cxy, strerror(errno));
        return 1;
      }
    }
  return 0;
}
