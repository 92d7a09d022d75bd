/* <signal.h>: picolibc's, then the sigaction flags it leaves out for this target, with Linux's
 * values (the user library passes sa_flags to Linux as they are): SA_RESTART, SA_NODEFER,
 * SA_RESETHAND and SA_ONSTACK, and sigaltstack's SS_AUTODISARM. Earlier on the include path than picolibc's, which it includes. Layer: the user
 * library's headers. */
#include_next <signal.h>

#ifndef MKH_SIGNAL_H
#define MKH_SIGNAL_H

#ifndef SA_RESTART
#define SA_RESTART 0x10000000
#endif
#ifndef SA_NODEFER
#define SA_NODEFER 0x40000000
#endif
#ifndef SA_RESETHAND
#define SA_RESETHAND 0x80000000
#endif
#ifndef SA_ONSTACK
#define SA_ONSTACK 0x08000000
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#endif
