/* POSIX unnamed semaphores (user/lib/pthread.c), on futex_time64 as on Linux; picolibc has no
 * <semaphore.h>. Named ones (sem_open) are not there. Layer: the user library's headers. */
#pragma once

#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* value: the count; waiters: threads that may sleep on it (a post wakes one only then). */
typedef struct {
  int value;
  int waiters;
} sem_t;

#define SEM_VALUE_MAX 0x7fffffff

int sem_init(sem_t* semaphore, int shared, unsigned value);
int sem_destroy(sem_t* semaphore);
int sem_wait(sem_t* semaphore);
int sem_trywait(sem_t* semaphore);
int sem_timedwait(sem_t* semaphore, const struct timespec* deadline);
int sem_post(sem_t* semaphore);
int sem_getvalue(sem_t* semaphore, int* value);

#ifdef __cplusplus
}
#endif
