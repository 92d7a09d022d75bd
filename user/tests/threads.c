/* threads: the referee program of clone, futex_time64, exit, gettid and the user library's
 * pthreads (user/tests/). Without an argument: workers that share a mutex and an atomic
 * counter and keep their own errno (TLS); the process's CPU clock that counts its threads';
 * workers that map, protect and unmap memory at once (each change a shootdown of the others'
 * TLBs); a page the main thread maps again and again at one address while workers read it;
 * descriptors and the working directory changed by every thread at once; read-write locks,
 * spin locks and semaphores; a
 * producer-consumer queue on a condition variable; a barrier; pthread_once; detached threads;
 * a recursive mutex; thread-specific data; a thread placed on each core of each cluster
 * (mkh's place_thread, a no-op under qemu-riscv32); the calls' refusals and a condition's timed
 * wait; a constant table read while another thread changes the map, a path across two pages.
 * `work`: the workers, maps, remaps, files, sync, queue, barrier, table and paths alone (no clock read,
 * no timed wait: mkh's deterministic mode replays them); `spread`: the same with their threads
 * spread over the clusters (in the process's copies), as a second argument `spread` spreads
 * those of the endings below. Another argument ends it as it says while other threads
 * run or sleep: `group` (a thread calls exit(3): exit_group ends them all, status 3), `main`
 * (the main thread leaves by pthread_exit, a worker prints and ends the process: status 0),
 * `term` (a thread sends itself SIGTERM: 143), `segv` (a thread reads address 0: 139),
 * `stack` (a thread cloned onto an unmapped stack: 139), `mask` (each thread's signal mask
 * and the signals pending for it alone; a worker's SIGTERM to the process: 143), `stdin` (the
 * main thread sleeps, then calls exit(5) while a worker reads the standard input: with a
 * terminal or a pipe without data, the read holds the worker, not the other threads of its
 * core, and exit_group ends it). The same bytes and status under qemu-riscv32 and mkh exec. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "linux_syscalls.h"
#include "mkh.h"

#define WORKERS 4
#define ROUNDS 20000

static long raw(long n, long a, long b, long c, long d, long e, long f) { return linux_syscall(n, a, b, c, d, e, f); }
static int atomic_read(int* word) { return __atomic_fetch_or(word, 0, __ATOMIC_ACQUIRE); }

/* `spread`: each thread created goes to the next cluster of the machine in turn from the one
 * after the creator's, on its next core at each round (mkh's place_thread, a no-op under
 * qemu-riscv32): most of them run in the process's copies in the clusters other than its own. */
static int spread;
static unsigned spread_next = 1;

static int create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  unsigned x = 0, y = 0, cores = 0, cxy = 0, lid = 0;
  if (spread && mkh_get_config(&x, &y, &cores) == 0 && mkh_get_core(&cxy, &lid) == 0) {
    const unsigned n = spread_next++, cluster = ((cxy >> 4) * y + (cxy & 15) + n) % (x * y);
    mkh_place_thread((cluster / y) << 4 | cluster % y, n / (x * y) % cores);
  }
  return pthread_create(thread, attr, start, arg);
}

/* ---- workers: a mutex, an atomic counter, errno of their own */

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static int locked_counter;
static int atomic_counter;
static int errno_kept[WORKERS];

static void* worker(void* arg) {
  const int index = (int)(long)arg;
  errno = 100 + index;
  for (int i = 0; i < ROUNDS; ++i) {
    pthread_mutex_lock(&counter_lock);
    ++locked_counter;
    pthread_mutex_unlock(&counter_lock);
    __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_RELAXED);
    if (i % 5000 == 0) sched_yield();
  }
  errno_kept[index] = errno == 100 + index;
  return (void*)(long)(index * 10);
}

/* WORKERS threads of start(first + i), joined: the sum of their results. */
static long all_workers(void* (*start)(void*), long first) {
  pthread_t threads[WORKERS];
  for (long i = 0; i < WORKERS; ++i)
    if (create(&threads[i], 0, start, (void*)(first + i)) != 0) printf("create %ld failed\n", i);
  long sum = 0;
  for (int i = 0; i < WORKERS; ++i) {
    void* result = 0;
    pthread_join(threads[i], &result);
    sum += (long)result;
  }
  return sum;
}

static void workers(void) {
  const long sum = all_workers(worker, 0);
  printf("workers: locked %d atomic %d results %ld errno kept %d%d%d%d\n", locked_counter,
         atomic_read(&atomic_counter), sum, errno_kept[0], errno_kept[1], errno_kept[2], errno_kept[3]);
}

/* The process's CPU time holds its threads': it is at least the sum of the times the workers
 * read on their own clocks as they ended. */
static long long clock_ns(clockid_t clock) {
  struct timespec time;
  clock_gettime(clock, &time);
  return time.tv_sec * 1000000000LL + time.tv_nsec;
}

static long long worker_ns[WORKERS];

static void* timed_worker(void* arg) {
  volatile unsigned spin = 0;
  for (int i = 0; i < 300000; ++i) spin = spin * 31 + (unsigned)i;
  worker_ns[(long)arg] = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  return 0;
}

static void cpu_time(void) {
  pthread_t threads[WORKERS];
  for (long i = 0; i < WORKERS; ++i) create(&threads[i], 0, timed_worker, (void*)i);
  long long sum = 0;
  for (int i = 0; i < WORKERS; ++i) {
    pthread_join(threads[i], 0);
    sum += worker_ns[i];
  }
  printf("cpu: the process's time holds its threads': %d\n", clock_ns(CLOCK_PROCESS_CPUTIME_ID) >= sum && sum > 0);
}

/* ---- memory mapped, protected and unmapped by every thread at once */

#define MAPS 300
static int map_errors;

static void* mapper(void* arg) {
  const int index = (int)(long)arg;
  for (int i = 0; i < MAPS; ++i) {
    unsigned char* pages = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) {
      __atomic_fetch_add(&map_errors, 1, __ATOMIC_RELAXED);
      continue;
    }
    for (int j = 0; j < 3 * 4096; j += 512) pages[j] = (unsigned char)(index + i + j);
    if (mprotect(pages + 4096, 4096, PROT_READ) != 0) __atomic_fetch_add(&map_errors, 1, __ATOMIC_RELAXED);
    for (int j = 0; j < 3 * 4096; j += 512)
      if (pages[j] != (unsigned char)(index + i + j)) __atomic_fetch_add(&map_errors, 1, __ATOMIC_RELAXED);
    if (munmap(pages, 3 * 4096) != 0) __atomic_fetch_add(&map_errors, 1, __ATOMIC_RELAXED);
  }
  return 0;
}

static void maps(void) {
  (void)all_workers(mapper, 0);
  printf("maps: %d by each of %d threads, %d errors\n", MAPS, WORKERS, atomic_read(&map_errors));
}

/* ---- one address mapped again and again (MAP_FIXED) while workers read it: each sees every
 * new page's generation, never the page that is gone (which a ballast page takes first, so
 * that the new one is another) — a reader that waits too long gives up and counts it */

#define GENERATIONS 50
#define PATIENCE 2000000
static int* shared_page;
static int remap_acks, remap_misses;

static void* remap_reader(void* arg) {
  (void)arg;
  for (int generation = 1; generation <= GENERATIONS; ++generation) {
    int tries = 0;
    while (atomic_read(shared_page) < generation && ++tries < PATIENCE) sched_yield();
    if (tries == PATIENCE) __atomic_fetch_add(&remap_misses, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&remap_acks, 1, __ATOMIC_ACQ_REL);
  }
  return 0;
}

static void remaps(void) {
  shared_page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int* ballast = mmap(0, GENERATIONS * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pthread_t threads[WORKERS];
  for (int i = 0; i < WORKERS; ++i) create(&threads[i], 0, remap_reader, 0);
  int failures = 0;
  for (int generation = 1; generation <= GENERATIONS; ++generation) {
    if (mmap(shared_page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != shared_page)
      ++failures;
    __atomic_exchange_n(&ballast[(generation - 1) * 1024], -1, __ATOMIC_ACQ_REL);
    __atomic_exchange_n(shared_page, generation, __ATOMIC_ACQ_REL);
    while (atomic_read(&remap_acks) < generation * WORKERS) sched_yield();
  }
  for (int i = 0; i < WORKERS; ++i) pthread_join(threads[i], 0);
  munmap(shared_page, 4096);
  munmap(ballast, GENERATIONS * 4096);
  printf("remap: %d generations, %d failures, %d missed by %d readers\n", GENERATIONS, failures,
         atomic_read(&remap_misses), WORKERS);
}

/* ---- descriptors and the working directory changed by every thread at once: each open of
 * the program reads its ELF magic, whatever another thread closed or where it moved */

static int wrong_reads;
static char program[512], program_dir[512]; /* absolute: the threads chdir */

static void* file_worker(void* arg) {
  const int index = (int)(long)arg;
  char cwd[512];
  for (int i = 0; i < 200; ++i) {
    chdir((i + index) % 2 ? "/" : program_dir);
    if (getcwd(cwd, sizeof cwd) == 0 || (strcmp(cwd, "/") != 0 && strcmp(cwd, program_dir) != 0))
      __atomic_fetch_add(&wrong_reads, 1, __ATOMIC_RELAXED);
    const int fd = open(program, O_RDONLY);
    if (fd < 0) {
      __atomic_fetch_add(&wrong_reads, 1, __ATOMIC_RELAXED);
      continue;
    }
    char magic[4];
    if (read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) != 0) __atomic_fetch_add(&wrong_reads, 1, __ATOMIC_RELAXED);
    if (index == 0) close(fd + 1); /* maybe another thread's: its read fails (EBADF) or reads */
    close(fd);
  }
  return 0;
}

static void files(const char* argv0) {
  char cwd[256] = "";
  if (argv0[0] != '/' && getcwd(cwd, sizeof cwd) == 0) return;
  const size_t length = strlen(cwd);
  snprintf(program, sizeof program, "%s%s%s", cwd, length > 0 && cwd[length - 1] != '/' ? "/" : "", argv0);
  strcpy(program_dir, program);
  *strrchr(program_dir, '/') = '\0';
  (void)all_workers(file_worker, 0);
  chdir(cwd[0] != '\0' ? cwd : "/");
  printf("files: %d wrong\n", atomic_read(&wrong_reads));
}

/* ---- read-write locks, spin locks and semaphores: counters only their holders change */

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static sem_t free_slots, filled_slots;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static int rw_counter, rw_errors, spin_counter, ring[4], ring_in, ring_out, ring_sum;

static void* sync_worker(void* arg) {
  const int index = (int)(long)arg;
  for (int i = 0; i < 2000; ++i) {
    if (i % 2 == 0) {
      pthread_rwlock_wrlock(&rwlock);
      ++rw_counter;
      pthread_rwlock_unlock(&rwlock);
    } else {
      pthread_rwlock_rdlock(&rwlock);
      if (rw_counter > 4 * 1000) __atomic_fetch_add(&rw_errors, 1, __ATOMIC_RELAXED);
      pthread_rwlock_unlock(&rwlock);
    }
    pthread_spin_lock(&spin);
    ++spin_counter;
    pthread_spin_unlock(&spin);
  }
  /* two producers, two consumers through a ring of four slots */
  for (int i = 0; i < 500; ++i) {
    if (index < 2) {
      sem_wait(&free_slots);
      pthread_mutex_lock(&ring_lock);
      ring[ring_in++ % 4] = index * 1000 + i;
      pthread_mutex_unlock(&ring_lock);
      sem_post(&filled_slots);
    } else {
      sem_wait(&filled_slots);
      pthread_mutex_lock(&ring_lock);
      ring_sum += ring[ring_out++ % 4];
      pthread_mutex_unlock(&ring_lock);
      sem_post(&free_slots);
    }
  }
  return 0;
}

static void sync_pass(void) {
  pthread_spin_init(&spin, 0);
  sem_init(&free_slots, 0, 4);
  sem_init(&filled_slots, 0, 0);
  (void)all_workers(sync_worker, 0);
  int free_count = 0;
  sem_getvalue(&free_slots, &free_count);
  printf("sync: rwlock %d (%d errors), spin %d, ring sum %d, free slots %d\n", rw_counter,
         atomic_read(&rw_errors), spin_counter, ring_sum, free_count);
  pthread_rwlock_wrlock(&rwlock);
  const int busy_read = pthread_rwlock_tryrdlock(&rwlock) == EBUSY;
  pthread_rwlock_unlock(&rwlock);
  pthread_rwlock_rdlock(&rwlock);
  const int busy_write = pthread_rwlock_trywrlock(&rwlock) == EBUSY, second_read = pthread_rwlock_tryrdlock(&rwlock);
  pthread_rwlock_unlock(&rwlock);
  pthread_rwlock_unlock(&rwlock);
  printf("sync: a read under a writer busy %d, a write under a reader busy %d, two readers %d, unlocked %d\n",
         busy_read, busy_write, second_read == 0, pthread_rwlock_unlock(&rwlock) == EPERM);
}

/* ---- a bounded queue on a condition variable: two producers, two consumers */

#define ITEMS 2000
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_changed = PTHREAD_COND_INITIALIZER;
static int queue[8], queue_count, queue_head, produced_left = ITEMS, consumed_sum, consumed_count;

static void* producer(void* arg) {
  const int base = (int)(long)arg;
  for (int i = 0; i < ITEMS / 2; ++i) {
    pthread_mutex_lock(&queue_lock);
    while (queue_count == 8) pthread_cond_wait(&queue_changed, &queue_lock);
    queue[(queue_head + queue_count++) % 8] = base + i;
    pthread_cond_broadcast(&queue_changed);
    pthread_mutex_unlock(&queue_lock);
  }
  return 0;
}

static void* consumer(void* arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&queue_lock);
    while (queue_count == 0 && produced_left > 0) pthread_cond_wait(&queue_changed, &queue_lock);
    if (queue_count == 0) {
      pthread_mutex_unlock(&queue_lock);
      return 0;
    }
    consumed_sum += queue[queue_head];
    queue_head = (queue_head + 1) % 8;
    --queue_count;
    ++consumed_count;
    if (--produced_left == 0) pthread_cond_broadcast(&queue_changed);
    pthread_cond_broadcast(&queue_changed);
    pthread_mutex_unlock(&queue_lock);
  }
}

static void queue_pass(void) {
  pthread_t threads[4];
  create(&threads[0], 0, producer, (void*)0L);
  create(&threads[1], 0, producer, (void*)100000L);
  create(&threads[2], 0, consumer, 0);
  create(&threads[3], 0, consumer, 0);
  for (int i = 0; i < 4; ++i) pthread_join(threads[i], 0);
  printf("queue: %d items, sum %d\n", consumed_count, consumed_sum);
}

/* ---- a barrier: each round, every thread sees every other's slot */

#define BARRIER_ROUNDS 5
static pthread_barrier_t barrier;
static int slots[WORKERS];
static int serial_count, barrier_errors;

static void* barrier_worker(void* arg) {
  const int index = (int)(long)arg;
  for (int round = 1; round <= BARRIER_ROUNDS; ++round) {
    __atomic_exchange_n(&slots[index], round, __ATOMIC_ACQ_REL);
    if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
      __atomic_fetch_add(&serial_count, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < WORKERS; ++i)
      if (atomic_read(&slots[i]) != round) __atomic_fetch_add(&barrier_errors, 1, __ATOMIC_RELAXED);
    pthread_barrier_wait(&barrier);
  }
  return 0;
}

static void barrier_pass(void) {
  pthread_barrier_init(&barrier, 0, WORKERS);
  (void)all_workers(barrier_worker, 0);
  printf("barrier: %d rounds, %d serial, %d errors\n", BARRIER_ROUNDS, atomic_read(&serial_count),
         atomic_read(&barrier_errors));
}

/* ---- a constant table (read-only data, which a copy replicates) read by one thread while
 * another, beside it, changes pages it never touched and touches new ones (with `spread`, both
 * in one copy in another cluster: each change makes the copy drop what it holds, its replicas
 * included, at its next fault) — no read sees anything but the table's values */

#define TABLE_WORDS 4096
#define TABLE_VALUE(i) ((unsigned)(i) * 2654435761u | 1u)
#define T1(i) TABLE_VALUE(i),
#define T4(i) T1(i) T1(i + 1) T1(i + 2) T1(i + 3)
#define T16(i) T4(i) T4(i + 4) T4(i + 8) T4(i + 12)
#define T64(i) T16(i) T16(i + 16) T16(i + 32) T16(i + 48)
#define T256(i) T64(i) T64(i + 64) T64(i + 128) T64(i + 192)
#define T1024(i) T256(i) T256(i + 256) T256(i + 512) T256(i + 768)
static const unsigned table[TABLE_WORDS] = {T1024(0) T1024(1024) T1024(2048) T1024(3072)};
#define CHANGES 1000
static int table_done, table_wrong;

static void* table_reader(void* arg) {
  (void)arg;
  const volatile unsigned* words = table;
  while (!atomic_read(&table_done))
    for (unsigned i = 0; i < TABLE_WORDS; i += 97)
      if (words[i] != TABLE_VALUE(i)) __atomic_fetch_add(&table_wrong, 1, __ATOMIC_RELAXED);
  return 0;
}

static void* map_changer(void* arg) {
  (void)arg;
  char* fresh = mmap(0, CHANGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* untouched = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fresh == MAP_FAILED || untouched == MAP_FAILED) {
    __atomic_fetch_add(&table_wrong, 1, __ATOMIC_RELAXED);
    return 0;
  }
  for (int i = 0; i < CHANGES; ++i) {
    mprotect(untouched, 4096, PROT_READ);
    mprotect(untouched, 4096, PROT_READ | PROT_WRITE);
    fresh[i * 4096] = 1;
  }
  munmap(fresh, CHANGES * 4096);
  munmap(untouched, 4096);
  return 0;
}

static void table_pass(void) {
  unsigned x = 0, y = 0, cores = 0, cxy = 0, lid = 0;
  const int place = spread && mkh_get_config(&x, &y, &cores) == 0 && mkh_get_core(&cxy, &lid) == 0;
  const unsigned clusters = x * y > 0 ? x * y : 1, next = ((cxy >> 4) * y + (cxy & 15) + 1) % clusters;
  pthread_t reader, changer;
  if (place) mkh_place_thread((next / y) << 4 | next % y, 0);
  pthread_create(&reader, 0, table_reader, 0);
  if (place) mkh_place_thread((next / y) << 4 | next % y, 1 % cores);
  pthread_create(&changer, 0, map_changer, 0);
  pthread_join(changer, 0);
  __atomic_store_n(&table_done, 1, __ATOMIC_RELEASE);
  pthread_join(reader, 0);
  printf("table: read beside %d changes of the map, %d wrong\n", CHANGES, atomic_read(&table_wrong));
}

/* ---- the program's own path, starting near a page's end, opened by a thread (of a copy,
 * with `spread`) */

static int path_opened;

static void* path_opener(void* arg) {
  const char* program = arg;
  char* pages = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED || strlen(program) < 5 || strlen(program) > 4000) return 0;
  char* path = pages + 4096 - 4;  /* four bytes on the first page, the rest on the second */
  strcpy(path, program);
  const int fd = open(path, O_RDONLY);
  path_opened = fd >= 0;
  if (fd >= 0) close(fd);
  munmap(pages, 2 * 4096);
  return 0;
}

static void path_pass(const char* argv0) {
  pthread_t thread;
  create(&thread, 0, path_opener, (void*)argv0);
  pthread_join(thread, 0);
  printf("paths: one across two pages opened %d\n", path_opened);
}

/* ---- once, detached threads, a recursive mutex */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs, detached_done;
static void run_once(void) { __atomic_fetch_add(&once_runs, 1, __ATOMIC_RELAXED); }
static void* once_worker(void* arg) {
  (void)arg;
  pthread_once(&once, run_once);
  return 0;
}
static void* detached_worker(void* arg) {
  (void)arg;
  __atomic_fetch_add(&detached_done, 1, __ATOMIC_ACQ_REL);
  return 0;
}

static void others(void) {
  (void)all_workers(once_worker, 0);
  printf("once: %d run\n", atomic_read(&once_runs));

  pthread_t threads[WORKERS];
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (int i = 0; i < 3; ++i) create(&threads[i], &attr, detached_worker, 0);
  create(&threads[3], 0, detached_worker, 0);
  printf("detach of a joinable thread: %d\n", pthread_detach(threads[3]));
  while (atomic_read(&detached_done) != 4) sched_yield();
  printf("detached: %d done\n", atomic_read(&detached_done));

  pthread_mutexattr_t mattr;
  pthread_mutex_t recursive;
  pthread_mutexattr_init(&mattr);
  pthread_mutexattr_settype(&mattr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&recursive, &mattr);
  int a = pthread_mutex_lock(&recursive), b = pthread_mutex_lock(&recursive), c = pthread_mutex_trylock(&recursive);
  int d = pthread_mutex_unlock(&recursive) + pthread_mutex_unlock(&recursive) + pthread_mutex_unlock(&recursive);
  printf("recursive: %d %d %d %d, unlocked again: %d\n", a, b, c, d, pthread_mutex_unlock(&recursive) == EPERM);
  printf("self: %d, join of itself: %d\n", pthread_equal(pthread_self(), pthread_self()),
         pthread_join(pthread_self(), 0) == EDEADLK);
}

/* ---- thread-specific data: each thread its value, its destructor run as it ends */

static pthread_key_t key;
static int destructed_sum;
static void destruct(void* value) { __atomic_fetch_add(&destructed_sum, (int)(long)value, __ATOMIC_ACQ_REL); }
static void* keyed(void* arg) {
  pthread_setspecific(key, arg);
  sched_yield();
  return pthread_getspecific(key);
}

static void keys(void) {
  pthread_key_create(&key, destruct);
  pthread_setspecific(key, (void*)1000L);
  const long returned = all_workers(keyed, 1);
  printf("keys: values %ld, destructed %d, main's %ld, deleted %d, again %d\n", returned,
         atomic_read(&destructed_sum), (long)pthread_getspecific(key), pthread_key_delete(key),
         pthread_key_delete(key) == EINVAL);
}

/* ---- placement: a thread on each core of each cluster, where mkh_get_core finds it (those of
 * the other clusters than the process's run in its copies there); under qemu-riscv32 there is
 * no placement and no core to ask: nothing to check */

struct where {
  unsigned cxy, lid;
};

static void* where(void* arg) {
  struct where* at = arg;
  if (mkh_get_core(&at->cxy, &at->lid) != 0) at->cxy = at->lid = ~0u;
  return 0;
}

static void placement(void) {
  unsigned x = 0, y = 0, cores = 0, cxy = 0, lid = 0, misplaced = 0;
  if (mkh_get_config(&x, &y, &cores) == 0 && mkh_get_core(&cxy, &lid) == 0) {
    for (unsigned cluster = 0; cluster < x * y; ++cluster)
      for (unsigned want = 0; want < cores; ++want) {
        const unsigned want_cxy = (cluster / y) << 4 | cluster % y;
        struct where got = {~0u, ~0u};
        pthread_t thread;
        if (mkh_place_thread(want_cxy, want) != 0 || create(&thread, 0, where, &got) != 0) ++misplaced;
        else pthread_join(thread, 0);
        if (got.cxy != want_cxy || got.lid != want) ++misplaced;
      }
    if (mkh_place_thread(cxy, cores) == 0 || mkh_place_thread(x << 4, 0) == 0) ++misplaced;
  }
  printf("placement: %u threads misplaced\n", misplaced);
}

/* ---- the calls' answers, by their raw numbers */

static int sleeper_word;
static void* sleeper(void* arg) {
  (void)arg;
  const long tid = raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
  __atomic_exchange_n(&sleeper_word, (int)tid, __ATOMIC_ACQ_REL);
  while (atomic_read(&sleeper_word) != 0) raw(SYS_futex_time64, (long)&sleeper_word, 128, tid, 0, 0, 0);
  return 0;
}

static void calls(void) {
  static int word = 5;
  struct {
    long long seconds;
    long nanoseconds, padding;
  } ten_ms = {0, 10000000, 0}, bad = {0, 1000000000, 0};
  printf("futex: wait on another value %ld, timed out %ld, bad time %ld, misaligned %ld, wake none %ld, op 99 %ld\n",
         raw(SYS_futex_time64, (long)&word, 0, 4, 0, 0, 0), raw(SYS_futex_time64, (long)&word, 128, 5, (long)&ten_ms, 0, 0),
         raw(SYS_futex_time64, (long)&word, 128, 5, (long)&bad, 0, 0),
         raw(SYS_futex_time64, (long)&word + 1, 1, 1, 0, 0, 0), raw(SYS_futex_time64, (long)&word, 1, 1, 0, 0, 0),
         raw(SYS_futex_time64, (long)&word, 99, 1, 0, 0, 0));
  printf("futex: an unmapped word %ld\n", raw(SYS_futex_time64, 0x1000, 128, 0, 0, 0, 0));
  struct {
    long long seconds;
    long nanoseconds, padding;
  } forever = {0x7fffffffffffffffLL, 999999999, 0};
  printf("futex: a wait of ~forever on another value %ld\n", raw(SYS_futex_time64, (long)&word, 128, 4, (long)&forever, 0, 0));
  printf("futex: FUTEX_CLOCK_REALTIME with a wait %ld, a wake %ld; a zero bitset %ld\n",
         raw(SYS_futex_time64, (long)&word, 128 | 256, 4, 0, 0, 0), raw(SYS_futex_time64, (long)&word, 1 | 128 | 256, 1, 0, 0, 0),
         raw(SYS_futex_time64, (long)&word, 10 | 128, 1, 0, 0, 0));
  printf("clone: a thread without CLONE_SIGHAND %ld\n", raw(SYS_clone, 0x100 | 0x10000, 0, 0, 0, 0, 0));
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t never = PTHREAD_COND_INITIALIZER;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 10000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_nsec -= 1000000000;
    ++deadline.tv_sec;
  }
  pthread_mutex_lock(&lock);
  const int timed = pthread_cond_timedwait(&never, &lock, &deadline);
  printf("cond: a timed wait nobody signals %s, the mutex held again %d\n", timed == ETIMEDOUT ? "ETIMEDOUT" : "?",
         pthread_mutex_trylock(&lock) == EBUSY);
  pthread_mutex_unlock(&lock);
  sem_t empty;
  sem_init(&empty, 0, 0);
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 10000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_nsec -= 1000000000;
    ++deadline.tv_sec;
  }
  const int tried = sem_trywait(&empty) == -1 && errno == EAGAIN;
  const int timed_out = sem_timedwait(&empty, &deadline) == -1 && errno == ETIMEDOUT;
  printf("sem: an empty one's trywait EAGAIN %d, timedwait ETIMEDOUT %d\n", tried, timed_out);
  pthread_t thread;
  create(&thread, 0, sleeper, 0);
  long tid;
  while ((tid = atomic_read(&sleeper_word)) == 0) sched_yield();
  const long pid = getpid();
  printf("tid: the thread's differs from the pid %d, tgkill 0 to it %ld, to the pid %ld, to the tid with pid + 1 %ld\n",
         tid != pid, raw(SYS_tgkill, pid, tid, 0, 0, 0, 0), raw(SYS_tgkill, pid, pid, 0, 0, 0, 0),
         raw(SYS_tgkill, pid + 1, tid, 0, 0, 0, 0));
  __atomic_exchange_n(&sleeper_word, 0, __ATOMIC_ACQ_REL);
  long woken = 0;
  while (woken == 0) woken = raw(SYS_futex_time64, (long)&sleeper_word, 129, 1, 0, 0, 0) + (sched_yield(), 0);
  pthread_join(thread, 0);
  printf("futex: woke %ld\n", woken);
}

/* ---- the ends */

static int forever, main_printed;
static void* ender(void* arg) {
  const char* how = arg;
  for (int i = 0; i < 3; ++i) sched_yield();
  if (strcmp(how, "group") == 0) exit(3);
  if (strcmp(how, "term") == 0) raw(SYS_tkill, raw(SYS_gettid, 0, 0, 0, 0, 0, 0), 15, 0, 0, 0, 0);
  if (strcmp(how, "segv") == 0) return (void*)(long)*(volatile int*)0;
  while (atomic_read(&main_printed) == 0) sched_yield(); /* its line first */
  printf("worker: the main thread is gone\n");
  return 0;
}

static int reading;
static void* stdin_reader(void* arg) {
  (void)arg;
  char byte;
  __atomic_exchange_n(&reading, 1, __ATOMIC_ACQ_REL);
  while (read(0, &byte, 1) > 0) continue; /* /dev/null: at once; a silent pipe: until the end */
  return 0;
}
static int stdin_end(void) {
  pthread_t thread;
  if (create(&thread, 0, stdin_reader, 0) != 0) return 1;
  while (atomic_read(&reading) == 0) sched_yield();
  struct timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, 0);
  printf("stdin: the main thread ends the process while a thread reads\n");
  exit(5);
}

/* Each thread's own mask: the main thread blocks SIGTERM and has one pending for itself
 * (pthread_kill); a worker created then inherits the mask but not the pending signal, unblocks
 * SIGTERM and lives on, then sends SIGTERM to the process, which ends (143). */
static void* mask_worker(void* arg) {
  (void)arg;
  sigset_t pending, term;
  sigpending(&pending);
  printf("worker: SIGTERM pending for it %d\n", sigismember(&pending, SIGTERM));
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &term, 0);
  printf("worker: unblocked, still here\n");
  kill(getpid(), SIGTERM);
  printf("worker: not reached\n");
  return 0;
}

static int signal_masks(void) {
  sigset_t term, pending;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, 0);
  pthread_kill(pthread_self(), SIGTERM);
  sigpending(&pending);
  printf("main: SIGTERM pending for it %d\n", sigismember(&pending, SIGTERM));
  pthread_t thread;
  create(&thread, 0, mask_worker, 0);
  pthread_join(thread, 0);
  return 1;
}

/* clone of a thread whose stack is not mapped: the thread's first load from it faults. */
static long clone_onto_unmapped_stack(void) {
  register long a0 __asm__("a0") = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000; /* SYSVSEM: qemu-user wants it */
  register long a1 __asm__("a1") = 0x1000;
  register long a2 __asm__("a2") = 0, a3 __asm__("a3") = 0, a4 __asm__("a4") = 0;
  register long a7 __asm__("a7") = SYS_clone;
  __asm__ volatile("ecall\n\tbnez a0, 1f\n\tlw t0, 0(sp)\n1:"
                   : "+r"(a0)
                   : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7)
                   : "t0", "memory");
  return a0;
}

/* The passes without a clock read or a timed wait: a seed of the deterministic mode replays
 * them. */
static void work(const char* argv0) {
  workers();
  maps();
  remaps();
  files(argv0);
  sync_pass();
  queue_pass();
  barrier_pass();
  table_pass();
  path_pass(argv0);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[2], "spread") == 0) {
    spread = 1;
    argc = 2;
  }
  if (argc == 2 && (strcmp(argv[1], "work") == 0 || strcmp(argv[1], "spread") == 0)) {
    spread |= strcmp(argv[1], "spread") == 0;
    work(argv[0]);
    return 0;
  }
  if (argc < 2) {
    work(argv[0]);
    cpu_time();
    others();
    keys();
    placement();
    calls();
    return 0;
  }
  if (strcmp(argv[1], "mask") == 0) return signal_masks();
  if (strcmp(argv[1], "stdin") == 0) return stdin_end();
  pthread_t thread;
  if (strcmp(argv[1], "stack") == 0) {
    if (clone_onto_unmapped_stack() <= 0) return 1;
  } else if (create(&thread, 0, ender, argv[1]) != 0) {
    return 1;
  }
  if (strcmp(argv[1], "main") == 0) {
    printf("main: leaving\n");
    __atomic_exchange_n(&main_printed, 1, __ATOMIC_ACQ_REL);
    pthread_exit(0);
  }
  raw(SYS_futex_time64, (long)&forever, 128, 0, 0, 0, 0); /* until the process ends */
  return 1;
}
