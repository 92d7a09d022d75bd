/* Names of user and group ids, as /etc/passwd and /etc/group give them (their first field the
 * name, their third the id). mkh's disk holds both, root's alone. Static functions of the
 * program that includes it (user/apps/). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The name of `id` in `table` (/etc/passwd or /etc/group) into `name`; NULL when the table
 * has none (or cannot be read). */
static const char* id_name(const char* table, unsigned id, char name[64]) {
  FILE* file = fopen(table, "r");
  if (file == NULL) return NULL;
  char line[256];
  const char* found = NULL;
  while (!found && fgets(line, sizeof line, file)) {
    const char* colon = strchr(line, ':');
    const char* after = colon ? strchr(colon + 1, ':') : NULL;
    if (after && colon - line < 64 && after[1] >= '0' && after[1] <= '9' && strtoul(after + 1, NULL, 10) == id) {
      memcpy(name, line, (size_t)(colon - line));
      name[colon - line] = '\0';
      found = name;
    }
  }
  fclose(file);
  return found;
}
