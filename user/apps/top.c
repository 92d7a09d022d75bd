/* top [-b] [-d SECONDS] [-n COUNT]: the machine's processes by the CPU time each took over
 * the last interval, refreshed every SECONDS (3 by default, tenths allowed), as procps-ng's top
 * shows them: a head of uptime's line (uptime_line.h), the processes by state and their
 * threads, the cores' use (the processes' CPU time over the interval, of every core of every
 * cluster) and the memory of every cluster's bank, then a line per process — its pid and
 * parent's, its owner cluster, threads, the clusters holding a copy of it, %CPU (100 is one
 * core), its CPU time (minutes:seconds.hundredths, procps's TIME+), its state and name. The
 * first screen counts from a tenth of a second after the start. On a terminal (without -b),
 * each screen replaces the last, as many processes as the terminal's rows allow, and the
 * terminal's keys act at once: q quits, any other key refreshes; its interrupt quits too.
 * -b (batch): the screens one after the other, every process, no keys. -n: that many screens,
 * then top ends. Under another kernel there is no such call: it says so and exits 1; 2 for a
 * usage error. A user program of mkh's /bin (user/apps/). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"
#include "uptime_line.h"

enum { kMaxProcesses = 1024, kHeadRows = 6 };

struct sample {
  struct mkh_process process;
  unsigned cluster;
  uint32_t cpu_ms_before; /* at the previous screen; the process's whole time if it is new */
};

static struct sample samples[kMaxProcesses], previous[kMaxProcesses];
static int sample_count, previous_count;
static unsigned x_size, y_size, cores;
static volatile sig_atomic_t interrupted;

static void on_interrupt(int signal) {
  (void)signal;
  interrupted = 1;
}

static long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Every process of every cluster into samples[]; -1 (errno) when a cluster cannot say. */
static int take_samples(void) {
  sample_count = 0;
  for (unsigned x = 0; x < x_size; x++)
    for (unsigned y = 0; y < y_size; y++) {
      const unsigned cxy = x << 4 | y;
      struct mkh_process info;
      for (unsigned index = 1; sample_count < kMaxProcesses && mkh_process_info(cxy, index, &info) == 0;
           index = (info.pid & 0xffff) + 1) {
        struct sample* sample = &samples[sample_count++];
        sample->process = info;
        sample->cluster = cxy;
        sample->cpu_ms_before = 0;
        for (int i = 0; i < previous_count; i++)
          if (previous[i].process.pid == info.pid) sample->cpu_ms_before = previous[i].process.cpu_ms;
      }
      if (sample_count < kMaxProcesses && errno != ESRCH) return -1;
    }
  return 0;
}

static uint32_t used_ms(const struct sample* sample) {
  const uint32_t now = sample->process.cpu_ms;
  return now > sample->cpu_ms_before ? now - sample->cpu_ms_before : 0;
}

/* The most CPU time over the interval first, then by pid. */
static int by_use(const void* a, const void* b) {
  const struct sample *left = a, *right = b;
  const uint32_t left_ms = used_ms(left), right_ms = used_ms(right);
  if (left_ms != right_ms) return left_ms > right_ms ? -1 : 1;
  return left->process.pid < right->process.pid ? -1 : left->process.pid > right->process.pid;
}

/* One screen for the interval of `elapsed_ms`, at most `rows` lines of processes (-1: all). */
static int show(long long elapsed_ms, int rows) {
  struct sysinfo info;
  if (sysinfo(&info) != 0) {
    perror("top: sysinfo");
    return -1;
  }
  print_uptime_line("top - ", &info, time(NULL));
  int counts[5] = {0};
  unsigned long threads = 0, used = 0;
  for (int i = 0; i < sample_count; i++) {
    if (samples[i].process.state < 5) counts[samples[i].process.state]++;
    threads += samples[i].process.threads;
    used += used_ms(&samples[i]);
  }
  printf("Tasks: %3d total, %3d running, %3d stopped, %3d zombie, %3lu threads\n", sample_count,
         counts[MKH_RUNNING] + counts[MKH_ENDING] + counts[MKH_EXEC], counts[MKH_STOPPED], counts[MKH_ZOMBIE], threads);
  const unsigned all_cores = x_size * y_size * cores;
  const double busy = elapsed_ms > 0 ? 100.0 * (double)used / ((double)elapsed_ms * all_cores) : 0;
  printf("Cores: %3u in %u clusters, %5.1f %% busy\n", all_cores, x_size * y_size, busy > 100 ? 100 : busy);
  uint64_t total = 0, free_bytes = 0;
  for (unsigned x = 0; x < x_size; x++)
    for (unsigned y = 0; y < y_size; y++) {
      struct mkh_memory bank;
      if (mkh_memory_info(x << 4 | y, &bank) != 0) continue;
      total += (uint64_t)(bank.pages_total - bank.pages_reserved) * bank.page_size;
      free_bytes += (uint64_t)bank.pages_free * bank.page_size;
    }
  printf("MiB Mem: %8.1f total, %8.1f free, %8.1f used\n\n", (double)total / 1048576, (double)free_bytes / 1048576,
         (double)(total - free_bytes) / 1048576);
  printf("%8s %8s %7s %7s %6s %5s %9s %-8s %s\n", "PID", "PPID", "CLUSTER", "THREADS", "COPIES", "%CPU", "TIME+",
         "STATE", "NAME");
  qsort(samples, (size_t)sample_count, sizeof samples[0], by_use);
  for (int i = 0; i < sample_count && (rows < 0 || i < rows); i++) {
    const struct mkh_process* process = &samples[i].process;
    char name[sizeof process->name + 1];
    memcpy(name, process->name, sizeof process->name);
    name[sizeof process->name] = '\0';
    char cluster[12], time_text[24];
    snprintf(cluster, sizeof cluster, "0x%x", samples[i].cluster);
    const unsigned long hundredths = process->cpu_ms / 10;
    snprintf(time_text, sizeof time_text, "%lu:%02lu.%02lu", hundredths / 6000, hundredths / 100 % 60,
             hundredths % 100);
    const double cpu = elapsed_ms > 0 ? 100.0 * used_ms(&samples[i]) / (double)elapsed_ms : 0;
    printf("%8lu %8lu %7s %7lu %6lu %5.1f %9s %-8s %s\n", (unsigned long)process->pid, (unsigned long)process->ppid,
           cluster, (unsigned long)process->threads, (unsigned long)process->copies, cpu, time_text,
           mkh_process_state_name(process->state), name);
  }
  return fflush(stdout) == 0 ? 0 : -1;
}

/* This screen's samples become the next one's start. */
static void keep_samples(void) {
  memcpy(previous, samples, sizeof samples[0] * (size_t)sample_count);
  previous_count = sample_count;
}

static int usage(void) {
  fprintf(stderr, "usage: top [-b] [-d SECONDS] [-n COUNT]\n");
  return 2;
}

/* SECONDS as milliseconds: digits, then at most three after a point; -1 when it is not such a
 * number or not above 0. */
static long parse_delay(const char* text) {
  long ms = 0;
  int digits = 0, after_point = -1;
  for (const char* c = text; *c; c++) {
    if (*c == '.' && after_point < 0) {
      after_point = 0;
    } else if (*c >= '0' && *c <= '9' && after_point < 3 && ms < 100000000) {
      ms = ms * 10 + (*c - '0');
      digits++;
      if (after_point >= 0) after_point++;
    } else {
      return -1;
    }
  }
  for (int scale = after_point < 0 ? 0 : after_point; scale < 3; scale++) ms *= 10;
  return digits > 0 && ms > 0 ? ms : -1;
}

int main(int argc, char** argv) {
  int batch = 0;
  long delay_ms = 3000, screens = -1;
  for (int i = 1; i < argc; i++) {
    const char* option = argv[i];
    if (strcmp(option, "-b") == 0) {
      batch = 1;
    } else if (strcmp(option, "-d") == 0 || strcmp(option, "-n") == 0) {
      if (i + 1 == argc) return usage();
      const char* value = argv[++i];
      if (option[1] == 'd' && (delay_ms = parse_delay(value)) < 0) {
        fprintf(stderr, "top: bad delay interval '%s'\n", value);
        return 2;
      }
      char* end = NULL;
      if (option[1] == 'n' && ((screens = strtol(value, &end, 10)) < 1 || *end != '\0' || end == value)) {
        fprintf(stderr, "top: bad iterations argument '%s'\n", value);
        return 2;
      }
    } else {
      return usage();
    }
  }
  if (mkh_get_config(&x_size, &y_size, &cores) != 0) {
    fprintf(stderr, "top: %s (not running on mkh)\n", strerror(errno));
    return 1;
  }
  struct linux_termios before, raw;
  const int keys = !batch && isatty(1) && linux_tcgets(0, &before) == 0;
  if (keys) {
    raw = before;
    linux_make_raw(&raw);
    linux_tcsets(0, &raw);
    struct sigaction action = {0};
    action.sa_handler = on_interrupt;
    sigaction(SIGINT, &action, NULL);
  }
  int rows = -1; /* the process lines a screen has room for (-1: every process) */
  if (keys) {
    struct linux_winsize size = {0};
    rows = ioctl(1, LINUX_TIOCGWINSZ, &size) == 0 && size.ws_row > kHeadRows + 1 ? size.ws_row : 24;
    rows -= kHeadRows + 1;
  }
  int status = 0;
  long long last = now_ms();
  long wait_ms = 100; /* the first screen's interval */
  if (take_samples() != 0) {
    fprintf(stderr, "top: %s\n", strerror(errno));
    status = 1;
    screens = 0;
  }
  keep_samples();
  for (long shown = 0; !interrupted && (screens < 0 || shown < screens); shown++) {
    if (keys) {
      struct pollfd key = {.fd = 0, .events = POLLIN};
      if (poll(&key, 1, (int)wait_ms) > 0) {
        char byte = 0;
        if (read(0, &byte, 1) != 1 || byte == 'q') break;
      }
    } else {
      const struct timespec pause = {.tv_sec = wait_ms / 1000, .tv_nsec = wait_ms % 1000 * 1000000L};
      nanosleep(&pause, NULL);
    }
    if (interrupted) break;
    wait_ms = delay_ms;
    if (take_samples() != 0) {
      fprintf(stderr, "top: %s\n", strerror(errno));
      status = 1;
      break;
    }
    const long long now = now_ms();
    if (keys) printf("\033[H\033[2J");
    else if (shown > 0) printf("\n");
    if (show(now - last, rows) != 0) {
      status = 1;
      break;
    }
    keep_samples();
    last = now;
  }
  if (keys) linux_tcsets(0, &before);
  return status;
}
