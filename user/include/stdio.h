/* <stdio.h>: picolibc's, then getline and getdelim (POSIX 2008), which it neither declares
 * nor has: the user library's (user/lib/getline.c). Earlier on the include path than
 * picolibc's, which it includes. Layer: the user library's headers. */
#include_next <stdio.h>

#ifndef MKH_STDIO_H
#define MKH_STDIO_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif
ssize_t getdelim(char** line, size_t* size, int delimiter, FILE* stream);
ssize_t getline(char** line, size_t* size, FILE* stream);
#ifdef __cplusplus
}
#endif

#endif
