/* What the referee programs that time their waits share (user/tests/poll.c, sigwait.c,
 * alarm.c): the monotonic clock in milliseconds, and a sleep of milliseconds. Included once by
 * each program. */
#include <time.h>

static inline long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static inline void sleep_ms(long ms) {
  const struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};
  nanosleep(&pause, NULL);
}
