/* pingpong: two threads of one process hand a token back and forth through two semaphores
 * (`pingpong [ROUNDS [CXY]]`, 10 000 by default) and print the mean round trip: each way a
 * sem_post's futex wake and a sem_wait's futex wait. `mkh exec --topology 1x1:2
 * /bin/pingpong` puts the two threads on two cores, `1x1:1` on one; with CXY (hexadecimal)
 * the answering thread runs on core 0 of that cluster (mkh's place_thread: in the process's
 * copy there when it is another cluster than the process's). Under qemu-riscv32 the host's
 * futexes do the work, and CXY changes nothing. Plain C and pthreads. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mkh.h"

static sem_t ping, pong;
static long rounds;

static void* answer(void* arg) {
  (void)arg;
  for (long i = 0; i < rounds; ++i) {
    sem_wait(&ping);
    sem_post(&pong);
  }
  return NULL;
}

int main(int argc, char** argv) {
  rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
  if (rounds <= 0) {
    fprintf(stderr, "pingpong: ROUNDS must be a positive number\n");
    return 2;
  }
  sem_init(&ping, 0, 0);
  sem_init(&pong, 0, 0);
  if (argc > 2 && mkh_place_thread((unsigned)strtoul(argv[2], NULL, 16), 0) != 0) {
    fprintf(stderr, "pingpong: no cluster %s here\n", argv[2]);
    return 2;
  }
  pthread_t other;
  if (pthread_create(&other, NULL, answer, NULL) != 0) {
    fprintf(stderr, "pingpong: cannot create a thread\n");
    return 1;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < rounds; ++i) {
    sem_post(&ping);
    sem_wait(&pong);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  pthread_join(other, NULL);
  const double ns = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / (double)rounds;
  printf("pingpong: %ld round trips, %.0f ns each\n", rounds, ns);
  return 0;
}
