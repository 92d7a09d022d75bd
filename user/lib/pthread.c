/* POSIX threads on clone(2) and futex_time64(2) (<pthread.h>), and the locks picolibc takes
 * around malloc, stdio and the environment (its retargetable locking: sys/lock.h), so that
 * threads may call them at once. Layer: the user library (user/lib/).
 *
 * A thread's memory is one anonymous mapping: a guard page, the stack, then its descriptor
 * and its TLS block (picolibc keeps errno there; _init_tls fills it, tp points at it). The
 * kernel zeroes the descriptor's tid and wakes it once the thread is gone
 * (CLONE_CHILD_CLEARTID): pthread_join waits for that, then unmaps. A detached thread cannot
 * unmap the stack it runs on: it leaves itself on a list that the next pthread_create or
 * pthread_detach empties of the threads that are gone.
 *
 * Every word two threads share is read and written by the A extension's AMOs (never a plain
 * load or store ordered by fences): they are host atomics in mkh's interpreter, which a
 * thread sanitizer of the host understands. This file is linked only into programs that use
 * threads; the others keep picolibc's locks that do nothing. */
#include <errno.h>
#include <limits.h>
#include <picotls.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/lock.h>
#include <sys/mman.h>

#include "syscall.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffff

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000

#define PAGE 4096u
#define DEFAULT_STACK (256u * 1024)

static int load(int* word) { return __atomic_fetch_or(word, 0, __ATOMIC_ACQUIRE); }
static int swap(int* word, int value) { return __atomic_exchange_n(word, value, __ATOMIC_ACQ_REL); }
static int cas(int* word, int expected, int desired) {
  return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static void* load_pointer(void** word) {
  return (void*)__atomic_fetch_or((uintptr_t*)word, 0, __ATOMIC_ACQUIRE);
}
static void store_pointer(void** word, void* value) { (void)__atomic_exchange_n(word, value, __ATOMIC_ACQ_REL); }

static void* thread_pointer(void) {
  void* tp;
  __asm__("mv %0, tp" : "=r"(tp));
  return tp;
}

/* futex_time64: the wait's answer is not needed (every caller checks its word again). */
static void futex_wait(int* word, int value) {
  (void)__MKH_SC6(SYS_futex_time64, word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, value, 0, 0, 0);
}
/* A wait until an absolute CLOCK_REALTIME deadline (FUTEX_WAIT_BITSET): the raw answer, so
 * that the caller tells -ETIMEDOUT and -EINVAL from a wake. */
static long futex_wait_until(int* word, int value, const struct timespec* deadline) {
  struct {
    long long seconds;
    long nanoseconds;
    long padding;
  } until = {deadline->tv_sec, deadline->tv_nsec, 0};
  return __MKH_SC6(SYS_futex_time64, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, value, &until,
                   0, FUTEX_BITSET_MATCH_ANY);
}

/* The wait for a thread's end: the kernel's wake of the cleared tid is a shared futex's, as
 * Linux's (a private waiter would not hear it there; mkh's futexes are all private). */
static void futex_wait_shared(int* word, int value) {
  (void)__MKH_SC6(SYS_futex_time64, word, FUTEX_WAIT, value, 0, 0, 0);
}
static void futex_wake(int* word, int count) {
  (void)__MKH_SC6(SYS_futex_time64, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count, 0, 0, 0);
}

/* ---- mutexes: word 0 free, 1 held, 2 held and maybe waited for */

static void lock_word(int* word) {
  if (cas(word, 0, 1)) return;
  while (swap(word, 2) != 0) futex_wait(word, 2);
}

static int try_lock_word(int* word) { return cas(word, 0, 1); }

static void unlock_word(int* word) {
  if (__atomic_fetch_sub(word, 1, __ATOMIC_RELEASE) != 1) {
    (void)swap(word, 0);
    futex_wake(word, 1);
  }
}

int pthread_mutexattr_init(pthread_mutexattr_t* attr) {
  attr->type = PTHREAD_MUTEX_DEFAULT;
  return 0;
}
int pthread_mutexattr_destroy(pthread_mutexattr_t* attr) {
  (void)attr;
  return 0;
}
int pthread_mutexattr_settype(pthread_mutexattr_t* attr, int type) {
  if (type != PTHREAD_MUTEX_NORMAL && type != PTHREAD_MUTEX_RECURSIVE && type != PTHREAD_MUTEX_ERRORCHECK)
    return EINVAL;
  attr->type = type;
  return 0;
}
int pthread_mutexattr_gettype(const pthread_mutexattr_t* attr, int* type) {
  *type = attr->type;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t* mutex, const pthread_mutexattr_t* attr) {
  mutex->word = 0;
  mutex->type = attr != 0 ? attr->type : PTHREAD_MUTEX_DEFAULT;
  mutex->owner = 0;
  mutex->count = 0;
  return 0;
}
int pthread_mutex_destroy(pthread_mutex_t* mutex) { return load(&mutex->word) != 0 ? EBUSY : 0; }

/* The holder of a recursive or error-checking mutex is known by its thread pointer; only it
 * reads owner and count while it holds the mutex. */
static int mutex_acquire(pthread_mutex_t* mutex, int try_only) {
  if (mutex->type != PTHREAD_MUTEX_NORMAL && load_pointer(&mutex->owner) == thread_pointer()) {
    if (mutex->type == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
    ++mutex->count;
    return 0;
  }
  if (try_only) {
    if (!try_lock_word(&mutex->word)) return EBUSY;
  } else {
    lock_word(&mutex->word);
  }
  if (mutex->type != PTHREAD_MUTEX_NORMAL) {
    store_pointer(&mutex->owner, thread_pointer());
    mutex->count = 1;
  }
  return 0;
}

int pthread_mutex_lock(pthread_mutex_t* mutex) { return mutex_acquire(mutex, 0); }
int pthread_mutex_trylock(pthread_mutex_t* mutex) { return mutex_acquire(mutex, 1); }

int pthread_mutex_unlock(pthread_mutex_t* mutex) {
  if (mutex->type != PTHREAD_MUTEX_NORMAL) {
    if (load_pointer(&mutex->owner) != thread_pointer()) return EPERM;
    if (--mutex->count != 0) return 0;
    store_pointer(&mutex->owner, 0);
  }
  unlock_word(&mutex->word);
  return 0;
}

/* ---- condition variables: a sequence number bumped by each signal */

int pthread_cond_init(pthread_cond_t* cond, const pthread_condattr_t* attr) {
  (void)attr;
  cond->sequence = 0;
  return 0;
}
int pthread_cond_destroy(pthread_cond_t* cond) {
  (void)cond;
  return 0;
}

/* Waits for a signal after `sequence` was read; the deadline is CLOCK_REALTIME's (the default
 * condattr's clock), none when null. */
static int cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* deadline) {
  int sequence = load(&cond->sequence);
  int result = pthread_mutex_unlock(mutex);
  if (result != 0) return result;
  long raw = 0;
  if (deadline == 0) futex_wait(&cond->sequence, sequence);
  else raw = futex_wait_until(&cond->sequence, sequence, deadline);
  pthread_mutex_lock(mutex);
  if (raw < 0 && -raw == 110) return ETIMEDOUT; /* Linux's ETIMEDOUT */
  if (raw < 0 && -raw == 22) return EINVAL;     /* a deadline out of range */
  return 0;
}

int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex) { return cond_wait(cond, mutex, 0); }
int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* deadline) {
  return cond_wait(cond, mutex, deadline);
}

int pthread_cond_signal(pthread_cond_t* cond) {
  __atomic_fetch_add(&cond->sequence, 1, __ATOMIC_ACQ_REL);
  futex_wake(&cond->sequence, 1);
  return 0;
}
int pthread_cond_broadcast(pthread_cond_t* cond) {
  __atomic_fetch_add(&cond->sequence, 1, __ATOMIC_ACQ_REL);
  futex_wake(&cond->sequence, INT_MAX);
  return 0;
}

/* ---- barriers */

int pthread_barrier_init(pthread_barrier_t* barrier, const pthread_barrierattr_t* attr, unsigned count) {
  (void)attr;
  if (count == 0) return EINVAL;
  pthread_mutex_init(&barrier->lock, 0);
  barrier->count = count;
  barrier->waiting = 0;
  barrier->generation = 0;
  return 0;
}
int pthread_barrier_destroy(pthread_barrier_t* barrier) {
  (void)barrier;
  return 0;
}

int pthread_barrier_wait(pthread_barrier_t* barrier) {
  pthread_mutex_lock(&barrier->lock);
  int generation = load(&barrier->generation);
  if (++barrier->waiting == barrier->count) {
    barrier->waiting = 0;
    __atomic_fetch_add(&barrier->generation, 1, __ATOMIC_ACQ_REL);
    futex_wake(&barrier->generation, INT_MAX);
    pthread_mutex_unlock(&barrier->lock);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  pthread_mutex_unlock(&barrier->lock);
  while (load(&barrier->generation) == generation) futex_wait(&barrier->generation, generation);
  return 0;
}

/* ---- once: 0 not run, 1 running, 2 done */

int pthread_once(pthread_once_t* once, void (*routine)(void)) {
  if (load(once) == 2) return 0;
  if (cas(once, 0, 1)) {
    routine();
    (void)swap(once, 2);
    futex_wake(once, INT_MAX);
    return 0;
  }
  int state;
  while ((state = load(once)) != 2) futex_wait(once, state);
  return 0;
}

/* ---- read-write locks: word > 0 readers, -1 a writer; a waiter sleeps on `wakes`, which each
 * unlock that may let someone in bumps (a waiter that read it first cannot miss the bump) */

enum { kWriter = -1 };

int pthread_rwlock_init(pthread_rwlock_t* lock, const pthread_rwlockattr_t* attr) {
  (void)attr;
  lock->word = 0;
  lock->wakes = 0;
  return 0;
}
int pthread_rwlock_destroy(pthread_rwlock_t* lock) { return load(&lock->word) != 0 ? EBUSY : 0; }

static int try_read(pthread_rwlock_t* lock) {
  for (int word = load(&lock->word); word >= 0; word = load(&lock->word))
    if (cas(&lock->word, word, word + 1)) return 1;
  return 0;
}
static int try_write(pthread_rwlock_t* lock) { return cas(&lock->word, 0, kWriter); }

int pthread_rwlock_tryrdlock(pthread_rwlock_t* lock) { return try_read(lock) ? 0 : EBUSY; }
int pthread_rwlock_trywrlock(pthread_rwlock_t* lock) { return try_write(lock) ? 0 : EBUSY; }

int pthread_rwlock_rdlock(pthread_rwlock_t* lock) {
  for (;;) {
    const int wakes = load(&lock->wakes);
    if (try_read(lock)) return 0;
    futex_wait(&lock->wakes, wakes);
  }
}

int pthread_rwlock_wrlock(pthread_rwlock_t* lock) {
  for (;;) {
    const int wakes = load(&lock->wakes);
    if (try_write(lock)) return 0;
    futex_wait(&lock->wakes, wakes);
  }
}

int pthread_rwlock_unlock(pthread_rwlock_t* lock) {
  const int word = load(&lock->word);
  if (word == 0) return EPERM;
  if (word == kWriter) (void)swap(&lock->word, 0);
  else if (__atomic_fetch_sub(&lock->word, 1, __ATOMIC_ACQ_REL) != 1) return 0; /* readers remain */
  __atomic_fetch_add(&lock->wakes, 1, __ATOMIC_ACQ_REL);
  futex_wake(&lock->wakes, INT_MAX);
  return 0;
}

/* ---- spin locks: a word, AMO-swapped */

int pthread_spin_init(pthread_spinlock_t* lock, int shared) {
  (void)shared;
  *lock = 0;
  return 0;
}
int pthread_spin_destroy(pthread_spinlock_t* lock) { return load(lock) != 0 ? EBUSY : 0; }
int pthread_spin_lock(pthread_spinlock_t* lock) {
  while (swap(lock, 1) != 0)
    while (load(lock) != 0) __MKH_SC0(SYS_sched_yield); /* the holder may share this core */
  return 0;
}
int pthread_spin_trylock(pthread_spinlock_t* lock) { return swap(lock, 1) == 0 ? 0 : EBUSY; }
int pthread_spin_unlock(pthread_spinlock_t* lock) {
  (void)swap(lock, 0);
  return 0;
}

/* ---- semaphores (<semaphore.h>): value the count; a post wakes one sleeper when someone
 * announced it may sleep (waiters) */

int sem_init(sem_t* semaphore, int shared, unsigned value) {
  (void)shared; /* a process's threads only: no memory is shared between processes */
  if (value > SEM_VALUE_MAX) {
    errno = EINVAL;
    return -1;
  }
  semaphore->value = (int)value;
  semaphore->waiters = 0;
  return 0;
}
int sem_destroy(sem_t* semaphore) {
  (void)semaphore;
  return 0;
}

static int sem_take(sem_t* semaphore) {
  for (int value = load(&semaphore->value); value > 0; value = load(&semaphore->value))
    if (cas(&semaphore->value, value, value - 1)) return 1;
  return 0;
}

int sem_trywait(sem_t* semaphore) {
  if (sem_take(semaphore)) return 0;
  errno = EAGAIN;
  return -1;
}

/* Sleeps while the count is 0; a deadline (CLOCK_REALTIME, absolute) ends it with ETIMEDOUT. */
static int sem_wait_until(sem_t* semaphore, const struct timespec* deadline) {
  while (!sem_take(semaphore)) {
    __atomic_fetch_add(&semaphore->waiters, 1, __ATOMIC_ACQ_REL);
    long raw = 0;
    if (deadline == 0) futex_wait(&semaphore->value, 0);
    else raw = futex_wait_until(&semaphore->value, 0, deadline);
    __atomic_fetch_sub(&semaphore->waiters, 1, __ATOMIC_ACQ_REL);
    if (raw == -110 || raw == -22) { /* Linux's ETIMEDOUT, EINVAL */
      if (sem_take(semaphore)) return 0;
      errno = raw == -110 ? ETIMEDOUT : EINVAL;
      return -1;
    }
  }
  return 0;
}

int sem_wait(sem_t* semaphore) { return sem_wait_until(semaphore, 0); }
int sem_timedwait(sem_t* semaphore, const struct timespec* deadline) { return sem_wait_until(semaphore, deadline); }

int sem_post(sem_t* semaphore) {
  if (load(&semaphore->value) == SEM_VALUE_MAX) {
    errno = EOVERFLOW;
    return -1;
  }
  __atomic_fetch_add(&semaphore->value, 1, __ATOMIC_ACQ_REL);
  if (load(&semaphore->waiters) > 0) futex_wake(&semaphore->value, 1);
  return 0;
}

int sem_getvalue(sem_t* semaphore, int* value) {
  *value = load(&semaphore->value);
  return 0;
}

/* ---- thread-specific data: each thread's values in its TLS block; a key's destructor runs
 * when a thread that holds a value for it ends by pthread_exit (or its start's return) */

static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key_used[PTHREAD_KEYS_MAX];
static void (*key_destructors[PTHREAD_KEYS_MAX])(void*);
static __thread void* key_values[PTHREAD_KEYS_MAX];

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  pthread_mutex_lock(&keys_lock);
  for (unsigned i = 0; i < PTHREAD_KEYS_MAX; ++i)
    if (!key_used[i]) {
      key_used[i] = 1;
      key_destructors[i] = destructor;
      pthread_mutex_unlock(&keys_lock);
      *key = i;
      return 0;
    }
  pthread_mutex_unlock(&keys_lock);
  return EAGAIN;
}

int pthread_key_delete(pthread_key_t key) {
  pthread_mutex_lock(&keys_lock);
  const int used = key < PTHREAD_KEYS_MAX && key_used[key];
  if (used) {
    key_used[key] = 0;
    key_destructors[key] = 0;
  }
  pthread_mutex_unlock(&keys_lock);
  return used ? 0 : EINVAL;
}

void* pthread_getspecific(pthread_key_t key) { return key < PTHREAD_KEYS_MAX ? key_values[key] : 0; }

int pthread_setspecific(pthread_key_t key, const void* value) {
  if (key >= PTHREAD_KEYS_MAX) return EINVAL;
  key_values[key] = (void*)value;
  return 0;
}

/* POSIX's rounds: a destructor may set values again, for at most PTHREAD_DESTRUCTOR_ITERATIONS. */
static void run_key_destructors(void) {
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; ++round) {
    int ran = 0;
    for (unsigned i = 0; i < PTHREAD_KEYS_MAX; ++i) {
      void* value = key_values[i];
      if (value == 0) continue;
      pthread_mutex_lock(&keys_lock);
      void (*destructor)(void*) = key_used[i] ? key_destructors[i] : 0;
      pthread_mutex_unlock(&keys_lock);
      key_values[i] = 0;
      if (destructor != 0) {
        destructor(value);
        ran = 1;
      }
    }
    if (!ran) return;
  }
}

/* ---- threads */

enum { kJoinable = 0, kDetached = 1, kExited = 2 };

struct __mkh_thread {
  void* (*start)(void*);
  void* arg;
  void* result;
  int tid;   /* the kernel's: set at clone, zeroed (and woken) when the thread is gone */
  int state; /* kJoinable, kDetached, kExited: who unmaps */
  void* map;
  size_t map_size;
  struct __mkh_thread* next_gone; /* on the list of detached threads that ended */
};

static struct __mkh_thread main_thread;
static __thread struct __mkh_thread* current;
static pthread_mutex_t gone_lock = PTHREAD_MUTEX_INITIALIZER;
static struct __mkh_thread* gone; /* detached threads that ended, their mappings still there */

/* Unmaps the threads of the gone list that the kernel is done with (their tid is zero). */
static void reap_gone(void) {
  pthread_mutex_lock(&gone_lock);
  for (struct __mkh_thread** link = &gone; *link != 0;) {
    struct __mkh_thread* thread = *link;
    if (load(&thread->tid) != 0) {
      link = &thread->next_gone;
      continue;
    }
    *link = thread->next_gone;
    munmap(thread->map, thread->map_size);
  }
  pthread_mutex_unlock(&gone_lock);
}

static void leave_gone(struct __mkh_thread* thread) {
  pthread_mutex_lock(&gone_lock);
  thread->next_gone = gone;
  gone = thread;
  pthread_mutex_unlock(&gone_lock);
}

int pthread_attr_init(pthread_attr_t* attr) {
  attr->stacksize = DEFAULT_STACK;
  attr->detachstate = PTHREAD_CREATE_JOINABLE;
  return 0;
}
int pthread_attr_destroy(pthread_attr_t* attr) {
  (void)attr;
  return 0;
}
int pthread_attr_setstacksize(pthread_attr_t* attr, size_t size) {
  if (size < PTHREAD_STACK_MIN) return EINVAL;
  attr->stacksize = size;
  return 0;
}
int pthread_attr_getstacksize(const pthread_attr_t* attr, size_t* size) {
  *size = attr->stacksize;
  return 0;
}
int pthread_attr_setdetachstate(pthread_attr_t* attr, int state) {
  if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED) return EINVAL;
  attr->detachstate = state;
  return 0;
}
int pthread_attr_getdetachstate(const pthread_attr_t* attr, int* state) {
  *state = attr->detachstate;
  return 0;
}

pthread_t pthread_self(void) { return current != 0 ? current : &main_thread; }

int pthread_kill(pthread_t thread, int signal) {
  const int tid = thread == &main_thread ? (int)__MKH_SC0(SYS_getpid) : load(&thread->tid);
  if (tid == 0) return ESRCH; /* gone */
  const long raw = __MKH_SC3(SYS_tgkill, __MKH_SC0(SYS_getpid), tid, __mkh_linux_signal(signal));
  return raw < 0 ? __mkh_errno_from_linux(-raw) : 0;
}
int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

void pthread_exit(void* result) {
  struct __mkh_thread* self = pthread_self();
  run_key_destructors();
  self->result = result;
  if (self != &main_thread && swap(&self->state, kExited) == kDetached) leave_gone(self);
  for (;;) (void)__MKH_SC1(SYS_exit, 0); /* this thread only; the kernel then zeroes tid */
}

static int thread_start(void* argument) {
  struct __mkh_thread* self = argument;
  current = self;
  pthread_exit(self->start(self->arg));
}

long __mkh_clone(int (*fn)(void*), void* stack, unsigned long flags, void* arg, int* parent_tid, void* tls,
                 int* child_tid);

static size_t round_up(size_t size, size_t to) { return (size + to - 1) / to * to; }

int pthread_create(pthread_t* out, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  reap_gone();
  const size_t stack = round_up(attr != 0 ? attr->stacksize : DEFAULT_STACK, PAGE);
  const size_t align = _tls_align() > 16 ? _tls_align() : 16;
  const size_t size = PAGE + stack + round_up(sizeof(struct __mkh_thread) + align + _tls_size(), PAGE);
  char* map = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return EAGAIN;
  (void)mprotect(map, PAGE, PROT_NONE); /* the guard page: a stack overflow faults */
  char* top = map + PAGE + stack;
  struct __mkh_thread* thread = (struct __mkh_thread*)top;
  char* tls = (char*)round_up((uintptr_t)(top + sizeof *thread), align);
  _init_tls(tls);
  thread->start = start;
  thread->arg = arg;
  thread->map = map;
  thread->map_size = size;
  thread->state = attr != 0 && attr->detachstate == PTHREAD_CREATE_DETACHED ? kDetached : kJoinable;
  const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                              CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  long tid = __mkh_clone(thread_start, top, flags, thread, &thread->tid, tls, &thread->tid);
  if (tid < 0) {
    munmap(map, size);
    return EAGAIN;
  }
  *out = thread;
  return 0;
}

int pthread_join(pthread_t thread, void** result) {
  if (thread == pthread_self()) return EDEADLK;
  if (thread == &main_thread || load(&thread->state) == kDetached) return EINVAL;
  int tid;
  while ((tid = load(&thread->tid)) != 0) futex_wait_shared(&thread->tid, tid);
  if (result != 0) *result = thread->result;
  munmap(thread->map, thread->map_size);
  return 0;
}

int pthread_detach(pthread_t thread) {
  if (thread == &main_thread) return EINVAL;
  const int state = swap(&thread->state, kDetached);
  if (state == kDetached) return EINVAL;
  if (state == kExited) leave_gone(thread); /* it ended joinable: whoever reaps unmaps it */
  reap_gone();
  return 0;
}

/* ---- picolibc's locks: recursive futex mutexes; a lock of stdio that was never initialised
 * (a static FILE's, or one fdopen made: init leaves it null) is the library's shared one. */

struct __lock {
  pthread_mutex_t mutex;
};
struct __lock __lock___libc_recursive_mutex = {{0, PTHREAD_MUTEX_RECURSIVE, 0, 0}};
static struct __lock shared_lock = {{0, PTHREAD_MUTEX_RECURSIVE, 0, 0}};
static struct __lock* lock_of(_LOCK_T lock) { return lock != 0 ? lock : &shared_lock; }

void __retarget_lock_init(_LOCK_T* lock) { *lock = 0; }
void __retarget_lock_init_recursive(_LOCK_T* lock) { *lock = 0; }
void __retarget_lock_close(_LOCK_T lock) { (void)lock; }
void __retarget_lock_close_recursive(_LOCK_T lock) { (void)lock; }
void __retarget_lock_acquire(_LOCK_T lock) { pthread_mutex_lock(&lock_of(lock)->mutex); }
void __retarget_lock_acquire_recursive(_LOCK_T lock) { pthread_mutex_lock(&lock_of(lock)->mutex); }
int __retarget_lock_try_acquire(_LOCK_T lock) { return pthread_mutex_trylock(&lock_of(lock)->mutex) == 0; }
int __retarget_lock_try_acquire_recursive(_LOCK_T lock) { return pthread_mutex_trylock(&lock_of(lock)->mutex) == 0; }
void __retarget_lock_release(_LOCK_T lock) { pthread_mutex_unlock(&lock_of(lock)->mutex); }
void __retarget_lock_release_recursive(_LOCK_T lock) { pthread_mutex_unlock(&lock_of(lock)->mutex); }
