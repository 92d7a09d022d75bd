/* <sys/vfs.h>: <sys/statfs.h>, as glibc's. Layer: the user library's headers. */
#include <sys/statfs.h>
