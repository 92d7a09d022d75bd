/* id [-u | -g | -G] [-n] [USER...]: the process's user and group, or each USER's (a name, else
 * a number, of /etc/passwd: its id and group), as coreutils' id prints them:
 * "uid=0(root) gid=0(root) groups=0(root)" (each name from /etc/passwd and /etc/group, left
 * out when they have none); -u the user's id alone, -g the group's, -G the groups'; -n their
 * names instead. The groups are the process's group, or USER's (mkh keeps no supplementary
 * groups: a process is root, see docs/decisions.md "System calls"). Status 1 when -n finds no
 * name or a USER is not there, 2 for a usage error. A user program of mkh's /bin (user/apps/):
 * plain C. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "users.h"

static void show(const char* key, const char* table, unsigned id) {
  char name[64];
  printf("%s=%u", key, id);
  if (id_name(table, id, name)) printf("(%s)", name);
}

/* The user `who` of /etc/passwd, by its name, else by its number: its id and its group's; 0
 * when there is none (or the table cannot be read). */
static int user_ids(const char* who, unsigned* user, unsigned* group) {
  char* end;
  const unsigned long number = strtoul(who, &end, 10);
  const int numeric = *who != '\0' && *end == '\0';
  for (int by_number = 0; by_number <= numeric; by_number++) {
    FILE* file = fopen("/etc/passwd", "r");
    if (file == NULL) return 0;
    char line[256];
    while (fgets(line, sizeof line, file)) {
      char* fields[4]; /* name, password, user id, group id */
      char* rest = line;
      int count = 0;
      for (; count < 4 && rest; count++) {
        fields[count] = rest;
        rest = strchr(rest, ':');
        if (rest) *rest++ = '\0';
      }
      if (count < 4) continue;
      const unsigned long id = strtoul(fields[2], NULL, 10);
      if (by_number ? id == number : strcmp(fields[0], who) == 0) {
        *user = (unsigned)id;
        *group = (unsigned)strtoul(fields[3], NULL, 10);
        fclose(file);
        return 1;
      }
    }
    fclose(file);
  }
  return 0;
}

/* What id prints of `user` and `group`: 0, or 1 when -n finds no name. */
static int print_ids(char only, int names, unsigned user, unsigned group) {
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

int main(int argc, char** argv) {
  char only = 0;
  int names = 0, users = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' || argv[i][1] == '\0') {
      argv[++users] = argv[i]; /* the operands moved to argv[1..users] */
      continue;
    }
    for (const char* option = argv[i] + 1; *option; option++) {
      if (*option == 'n') names = 1;
      else if (!strchr("ugG", *option)) {
        fprintf(stderr, "id: invalid option -- '%c'\nusage: id [-u | -g | -G] [-n] [USER...]\n", *option);
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
  if (users == 0) return print_ids(only, names, (unsigned)geteuid(), (unsigned)getegid());
  int status = 0;
  for (int i = 1; i <= users; i++) {
    unsigned user, group;
    if (!user_ids(argv[i], &user, &group)) {
      fprintf(stderr, "id: '%s': no such user\n", argv[i]);
      status = 1;
    } else if (print_ids(only, names, user, group) != 0) {
      status = 1;
    }
  }
  return status;
}
