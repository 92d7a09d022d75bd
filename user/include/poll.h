/* <poll.h>: poll and ppoll, which picolibc has not: the user library's (user/lib/posix.c), on
 * Linux's ppoll_time64, with struct pollfd and the events as Linux has them for RV32. Layer:
 * the user library's headers. */
#ifndef MKH_POLL_H
#define MKH_POLL_H

#include <signal.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200

typedef unsigned int nfds_t;

struct pollfd {
  int fd;
  short events;
  short revents;
};

int poll(struct pollfd* fds, nfds_t count, int timeout_ms);
int ppoll(struct pollfd* fds, nfds_t count, const struct timespec* timeout, const sigset_t* mask);

#ifdef __cplusplus
}
#endif

#endif
