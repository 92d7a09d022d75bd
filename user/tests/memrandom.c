/* memrandom: random memory-mapping calls, judged by Linux through qemu-riscv32 (user/tests/).
 * Usage: memrandom SEED COUNT. Reserves 32 pages with mmap (PROT_NONE), then makes COUNT calls
 * drawn from SEED on page ranges inside them — mmap with MAP_FIXED (anonymous, or a private
 * copy of a scratch file's bytes), munmap and mprotect with no access, read or read and write
 * (write alone: Linux on RISC-V makes the page readable too, qemu-riscv32 does not) — and checks the
 * pages as the calls left them: the kernel's view through write() and read() on the scratch
 * file (EFAULT where a page cannot be read or written), and the program's own loads and stores
 * where its model of the pages says they are allowed (a wrong model is a SIGSEGV, and the
 * runs differ). Each call and each check is printed with its result, addresses as page
 * offsets from the reservation (the two kernels place it differently). Exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "random_calls.h"

enum { kPages = 32, kPage = 4096, kFilePages = 4 };

/* The program's model of each page: mapped or not, and its protection. */
static int g_mapped[kPages];
static int g_prot[kPages];
static unsigned char* g_base;
static int g_file; /* mapped, never written after: Linux's private mapping shows later writes
                    * in the pages not written yet; mkh copies the page at its first touch */
static int g_sink; /* the probes' file */
static unsigned char g_bytes[kFilePages * kPage];

static const char* prot_name(int prot) {
  static const char* const names[] = {"---", "r--", "-w-", "rw-"};
  return names[prot & 3];
}

static void set_model(uint32_t first, uint32_t count, int mapped, int prot) {
  for (uint32_t i = first; i < first + count; ++i) {
    g_mapped[i] = mapped;
    g_prot[i] = prot;
  }
}

/* Whether every page of [first, first + count) allows `access` (PROT_READ or PROT_WRITE); a
 * writable page is readable (RISC-V has no write-only page). */
static int allowed(uint32_t first, uint32_t count, int access) {
  for (uint32_t i = first; i < first + count; ++i) {
    if (!g_mapped[i]) return 0;
    const int prot = g_prot[i] & PROT_WRITE ? g_prot[i] | PROT_READ : g_prot[i];
    if ((prot & access) != access) return 0;
  }
  return 1;
}

/* Whether the kernel's copy of [offset, offset + size) from page `first` would fail at its
 * start or not at all: a range that becomes inaccessible in its middle is left out (Linux
 * moves the bytes before the fault, qemu-riscv32 refuses the whole call). */
static int all_or_nothing(unsigned first, unsigned offset, unsigned size, int access) {
  const unsigned last = (first * kPage + offset + size - 1) / kPage;
  return !allowed(first, 1, access) || allowed(first, last - first + 1, access);
}

/* The kernel reads (PROT_READ: write() from them) or writes (PROT_WRITE: read() into them) a
 * random span from page `first`, when it fails at its start or not at all. */
static void kernel_probe(unsigned first, int access) {
  const unsigned offset = below(kPage), size = 1 + below(2 * kPage);
  if (first * kPage + offset + size > kPages * kPage || !all_or_nothing(first, offset, size, access)) return;
  unsigned char* at = g_base + first * kPage + offset;
  printf("%s %u+%u %u", access == PROT_READ ? "write from" : "read into", first, offset, size);
  result(access == PROT_READ ? pwrite(g_sink, at, size, 0) : pread(g_sink, at, size, 0));
}

static void call(void) {
  /* no write-only page: Linux on RISC-V makes it readable too, qemu-riscv32 does not */
  static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
  const unsigned first = below(kPages);
  const unsigned count = 1 + below(kPages - first < 6 ? kPages - first : 6);
  unsigned char* at = g_base + first * kPage;
  const int prot = prots[below(3)];
  switch (below(7)) {
    case 0: {
      const int from_file = below(2) && count <= kFilePages; /* past the file's end: SIGBUS */
      printf("mmap %u+%u %s%s", first, count, prot_name(prot), from_file ? " file" : "");
      void* got = from_file ? mmap(at, count * kPage, prot, MAP_PRIVATE | MAP_FIXED, g_file, 0)
                            : mmap(at, count * kPage, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (got == MAP_FAILED) {
        result(-1);
      } else {
        printf(" -> %s\n", got == at ? "there" : "elsewhere");
        set_model(first, count, 1, prot);
      }
      break;
    }
    case 1: {
      printf("munmap %u+%u", first, count);
      const int got = munmap(at, count * kPage);
      if (got == 0) set_model(first, count, 0, 0);
      result(got);
      break;
    }
    case 2: {
      /* over a hole Linux answers ENOMEM, qemu-riscv32 0 (it keeps the hole reserved): left out */
      for (unsigned i = first; i < first + count; ++i)
        if (!g_mapped[i]) return;
      printf("mprotect %u+%u %s", first, count, prot_name(prot));
      const int got = mprotect(at, count * kPage, prot);
      if (got == 0) set_model(first, count, 1, prot);
      result(got);
      break;
    }
    case 3: /* the kernel reads the pages: write() to the probes' file */
      kernel_probe(first, PROT_READ);
      break;
    case 4: /* the kernel writes the pages: read() from the probes' file */
      kernel_probe(first, PROT_WRITE);
      break;
    case 5: /* the program reads, where the model allows it */
      if (!allowed(first, count, PROT_READ)) break;
      printf("load %u+%u -> %08lx\n", first, count, (unsigned long)checksum(at, count * kPage));
      break;
    default: /* the program writes, where the model allows it */
      if (!allowed(first, count, PROT_WRITE)) break;
      for (uint32_t i = 0; i < count * kPage; i += 64) at[i + below(64)] = (unsigned char)next();
      printf("store %u+%u\n", first, count);
      break;
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: memrandom SEED COUNT\n");
    return 2;
  }
  const uint32_t seed = (uint32_t)strtoul(argv[1], NULL, 10);
  const long count = strtol(argv[2], NULL, 10);
  seed_random(seed);
  char name[32];
  snprintf(name, sizeof name, "memrandom.%lu", (unsigned long)seed);
  g_file = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
  for (uint32_t i = 0; i < sizeof g_bytes; ++i) g_bytes[i] = (unsigned char)next();
  if (g_file < 0 || write(g_file, g_bytes, sizeof g_bytes) != (ssize_t)sizeof g_bytes) {
    printf("memrandom: cannot make %s: %s\n", name, strerror(errno));
    return 1;
  }
  char sink_name[40];
  snprintf(sink_name, sizeof sink_name, "%s.sink", name);
  g_sink = open(sink_name, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (g_sink < 0 || write(g_sink, g_bytes, sizeof g_bytes) != (ssize_t)sizeof g_bytes) {
    printf("memrandom: cannot make %s: %s\n", sink_name, strerror(errno));
    return 1;
  }
  g_base = mmap(NULL, kPages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g_base == MAP_FAILED) {
    printf("memrandom: cannot reserve %d pages: %s\n", kPages, strerror(errno));
    return 1;
  }
  set_model(0, kPages, 1, PROT_NONE);
  for (long i = 0; i < count; ++i) call();
  close(g_file);
  close(g_sink);
  unlink(name);
  unlink(sink_name);
  return 0;
}
