/* id [-u | -g | -G] [-n]: the process's user and group, as coreutils' id prints them:
 * "uid=0(root) gid=0(root) groups=0(root)" (each name from /etc/passwd and /etc/group, left
 * out when they have none); -u the user's id alone, -g the group's, -G the groups'; -n their
 * names instead. The groups are the process's group (mkh keeps no supplementary groups: a
 * process is root, see docs/decisions.md "System calls"). Status 1 when -n finds no name, 2
 * for a usage error. A user program of mkh's /bin (user/apps/): plain C. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "users.h"

static void show(const char* key, const char* table, unsigned id) {
  char name[64];
  printf("%s=%u", key, id);
  if (id_name(table, id, name)) printf("(%s)", name);
}

int main(int argc, char** argv) {
  char only = 0;
  int names = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' || argv[i][1] == '\0') {
      fprintf(stderr, "id: extra operand '%s' (users other than the caller are not looked up)\n", argv[i]);
      return 2;
    }
    for (const char* option = argv[i] + 1; *option; option++) {
      if (*option == 'n') names = 1;
      else if (!strchr("ugG", *option)) {
        fprintf(stderr, "id: invalid option -- '%c'\nusage: id [-u | -g | -G] [-n]\n", *option);
        return 2;
      } else if (only && only != *option) {
        fprintf(stderr, "id: cannot print \"only\" of more than one choice\n");
        return 2;
      } else only = *option;
    }
  }
  if (names && !only) {
    fprintf(stderr, "id: cannot print only names or real IDs in default format\n");
    return 2;
  }
  const unsigned user = (unsigned)geteuid(), group = (unsigned)getegid();
  if (!only) {
    show("uid", "/etc/passwd", user);
    putchar(' ');
    show("gid", "/etc/group", group);
    putchar(' ');
    show("groups", "/etc/group", group);
    putchar('\n');
    return 0;
  }
  const unsigned id = only == 'u' ? user : group;
  if (!names) {
    printf("%u\n", id);
    return 0;
  }
  char name[64];
  if (!id_name(only == 'u' ? "/etc/passwd" : "/etc/group", id, name)) {
    fprintf(stderr, "id: cannot find name for %s ID %u\n", only == 'u' ? "user" : "group", id);
    printf("%u\n", id);
    return 1;
  }
  printf("%s\n", name);
  return 0;
}
