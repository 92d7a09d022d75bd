/* <sys/wait.h>: picolibc's, then what it lacks of Linux's: WCONTINUED and WIFCONTINUED (a
 * stopped child continued by SIGCONT, as glibc's and musl's status word says it: 0xffff), and
 * WSTOPPED, WUNTRACED's other name.
 * Earlier on the include path than picolibc's, which it includes. Layer: the user library's
 * headers. */
#include_next <sys/wait.h>

#ifndef MKH_SYS_WAIT_H
#define MKH_SYS_WAIT_H

#ifndef WCONTINUED
#define WCONTINUED 8
#endif
#ifndef WSTOPPED
#define WSTOPPED WUNTRACED
#endif
#ifndef WIFCONTINUED
#define WIFCONTINUED(w) ((w) == 0xffff)
#endif

#endif
