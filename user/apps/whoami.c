/* whoami: the name of the process's effective user, from /etc/passwd, as coreutils' whoami
 * prints it; status 1 when /etc/passwd has no name for it, 2 for an operand. A user program of
 * mkh's /bin (user/apps/): plain C. */
#include <stdio.h>
#include <unistd.h>

#include "users.h"

int main(int argc, char** argv) {
  if (argc > 1) {
    fprintf(stderr, "whoami: extra operand '%s'\nusage: whoami\n", argv[1]);
    return 2;
  }
  char name[64];
  const unsigned user = (unsigned)geteuid();
  if (!id_name("/etc/passwd", user, name)) {
    fprintf(stderr, "whoami: cannot find name for user ID %u\n", user);
    return 1;
  }
  puts(name);
  return 0;
}
