/* POSIX threads, the subset the user library gives (user/lib/pthread.c): create, join,
 * detach, exit, self, kill; mutexes (normal, recursive, error-checking), read-write locks,
 * spin locks, condition variables, barriers, once and thread-specific data (keys) — on clone(2) and futex_time64(2), as on Linux, so a threaded program runs the same
 * under mkh and under qemu-riscv32. picolibc has no <pthread.h> of its own. Layer: the user
 * library's headers. */
#pragma once

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct __mkh_thread* pthread_t;

typedef struct {
  size_t stacksize;
  int detachstate;
} pthread_attr_t;

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1
#define PTHREAD_STACK_MIN 16384

typedef struct {
  int type;
} pthread_mutexattr_t;

#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT PTHREAD_MUTEX_NORMAL

/* word: 0 free, 1 held, 2 held with waiters (Drepper's "Futexes Are Tricky", mutex 2). */
typedef struct {
  int word;
  int type;
  void* owner; /* a recursive or error-checking mutex's holder (its thread pointer) */
  unsigned count;
} pthread_mutex_t;
#define PTHREAD_MUTEX_INITIALIZER {0, PTHREAD_MUTEX_NORMAL, 0, 0}

typedef struct {
  int unused;
} pthread_condattr_t;
/* sequence: bumped by each signal and broadcast; waiters sleep on it. */
typedef struct {
  int sequence;
} pthread_cond_t;
#define PTHREAD_COND_INITIALIZER {0}

typedef struct {
  int unused;
} pthread_barrierattr_t;
typedef struct {
  pthread_mutex_t lock;
  unsigned count;
  unsigned waiting;
  int generation;
} pthread_barrier_t;
#define PTHREAD_BARRIER_SERIAL_THREAD (-1)

/* word: the readers holding it, or kWriter (-1) when a writer does; waiters sleep on `wakes`. */
typedef struct {
  int word;
  int wakes;
} pthread_rwlock_t;
#define PTHREAD_RWLOCK_INITIALIZER {0, 0}
typedef struct {
  int unused;
} pthread_rwlockattr_t;

typedef int pthread_spinlock_t;

typedef int pthread_once_t;
#define PTHREAD_ONCE_INIT 0

typedef unsigned pthread_key_t;
#define PTHREAD_KEYS_MAX 64
#define PTHREAD_DESTRUCTOR_ITERATIONS 4

int pthread_attr_init(pthread_attr_t* attr);
int pthread_attr_destroy(pthread_attr_t* attr);
int pthread_attr_setstacksize(pthread_attr_t* attr, size_t size);
int pthread_attr_getstacksize(const pthread_attr_t* attr, size_t* size);
int pthread_attr_setdetachstate(pthread_attr_t* attr, int state);
int pthread_attr_getdetachstate(const pthread_attr_t* attr, int* state);

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg);
int pthread_join(pthread_t thread, void** result);
int pthread_detach(pthread_t thread);
void pthread_exit(void* result) __attribute__((noreturn));
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);
/* `signal` sent to the thread (tgkill); each thread has its mask (pthread_sigmask, declared by
 * picolibc's <signal.h>). */
int pthread_kill(pthread_t thread, int signal);

int pthread_mutexattr_init(pthread_mutexattr_t* attr);
int pthread_mutexattr_destroy(pthread_mutexattr_t* attr);
int pthread_mutexattr_settype(pthread_mutexattr_t* attr, int type);
int pthread_mutexattr_gettype(const pthread_mutexattr_t* attr, int* type);
int pthread_mutex_init(pthread_mutex_t* mutex, const pthread_mutexattr_t* attr);
int pthread_mutex_destroy(pthread_mutex_t* mutex);
int pthread_mutex_lock(pthread_mutex_t* mutex);
int pthread_mutex_trylock(pthread_mutex_t* mutex);
int pthread_mutex_unlock(pthread_mutex_t* mutex);

int pthread_cond_init(pthread_cond_t* cond, const pthread_condattr_t* attr);
int pthread_cond_destroy(pthread_cond_t* cond);
int pthread_cond_wait(pthread_cond_t* cond, pthread_mutex_t* mutex);
int pthread_cond_timedwait(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* deadline);
int pthread_cond_signal(pthread_cond_t* cond);
int pthread_cond_broadcast(pthread_cond_t* cond);

int pthread_barrier_init(pthread_barrier_t* barrier, const pthread_barrierattr_t* attr, unsigned count);
int pthread_barrier_destroy(pthread_barrier_t* barrier);
int pthread_barrier_wait(pthread_barrier_t* barrier);

int pthread_once(pthread_once_t* once, void (*routine)(void));

int pthread_rwlock_init(pthread_rwlock_t* lock, const pthread_rwlockattr_t* attr);
int pthread_rwlock_destroy(pthread_rwlock_t* lock);
int pthread_rwlock_rdlock(pthread_rwlock_t* lock);
int pthread_rwlock_tryrdlock(pthread_rwlock_t* lock);
int pthread_rwlock_wrlock(pthread_rwlock_t* lock);
int pthread_rwlock_trywrlock(pthread_rwlock_t* lock);
int pthread_rwlock_unlock(pthread_rwlock_t* lock);

int pthread_spin_init(pthread_spinlock_t* lock, int shared);
int pthread_spin_destroy(pthread_spinlock_t* lock);
int pthread_spin_lock(pthread_spinlock_t* lock);
int pthread_spin_trylock(pthread_spinlock_t* lock);
int pthread_spin_unlock(pthread_spinlock_t* lock);

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*));
int pthread_key_delete(pthread_key_t key);
void* pthread_getspecific(pthread_key_t key);
int pthread_setspecific(pthread_key_t key, const void* value);

#ifdef __cplusplus
}
#endif
