/* env [-i] [-0] [-u NAME]... [--] [-] [NAME=VALUE]... [COMMAND [ARG...]]: the environment,
 * changed so, printed one NAME=VALUE a line in its order (each ended by a NUL instead with -0),
 * or given to COMMAND, run in env's place (execvp: looked up in the new PATH when it has no
 * slash). -i (or a lone - after the options) starts from an empty environment; else -u NAME
 * takes NAME out; each NAME=VALUE then replaces NAME's value where it is, or comes last, as
 * coreutils' env. Statuses: 0; 125 when a name to take out is empty or holds '=' (or memory
 * runs out); 127 when COMMAND is not found, 126 when it cannot be run; an unknown option, -u
 * without a name or -0 with a command is a usage error (2). A user program of mkh's /bin
 * (user/apps/): plain C, runs unchanged under qemu-riscv32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

static int usage(void) {
  fprintf(stderr, "usage: env [-i] [-0] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG...]]\n");
  return 2;
}

/* The environment being made: its `count` variables, then NULL, in a block with room for more. */
struct environment {
  char** entries;
  size_t count;
};

/* Whether `entry` ("NAME=VALUE") is the variable `name` of `length` bytes. */
static int names(const char* entry, const char* name, size_t length) {
  return strncmp(entry, name, length) == 0 && entry[length] == '=';
}

/* Takes every variable `name` out, the others keeping their order. */
static void take_out(struct environment* env, const char* name) {
  const size_t length = strlen(name);
  size_t kept = 0;
  for (size_t i = 0; i < env->count; i++)
    if (!names(env->entries[i], name, length)) env->entries[kept++] = env->entries[i];
  env->count = kept;
  env->entries[kept] = NULL;
}

/* Sets the variable `assignment` ("NAME=VALUE") names: in the place of its first entry, or
 * last (the array has room for it). */
static void assign(struct environment* env, char* assignment) {
  const size_t length = (size_t)(strchr(assignment, '=') - assignment);
  for (size_t i = 0; i < env->count; i++)
    if (names(env->entries[i], assignment, length)) {
      env->entries[i] = assignment;
      return;
    }
  env->entries[env->count++] = assignment;
  env->entries[env->count] = NULL;
}

/* Prints each variable, followed by `end`. */
static int print(const struct environment* env, char end) {
  for (size_t i = 0; i < env->count; i++) printf("%s%c", env->entries[i], end);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "env: standard output: %s\n", strerror(errno));
    return 125;
  }
  return 0;
}

/* Checks the names -u gave (not empty, without '='); 125, reported, for the first that is not
 * one. */
static int check_names(const char* const* unset, size_t unsets) {
  for (size_t i = 0; i < unsets; i++)
    if (unset[i][0] == '\0' || strchr(unset[i], '=') != NULL) {
      fprintf(stderr, "env: cannot unset %s: %s\n", unset[i], strerror(EINVAL));
      return 125;
    }
  return 0;
}

/* Runs the command `argv` (its name first) with the environment `env`; returns only when it
 * cannot, with its status (127 for a command not found, else 126), reported. */
static int run(char** argv, struct environment* env) {
  environ = env->entries; /* execvp looks the name up in the new PATH */
  execvp(argv[0], argv);
  const int status = errno == ENOENT ? 127 : 126;
  fprintf(stderr, "env: %s: %s\n", argv[0], strerror(errno));
  return status;
}

int main(int argc, char** argv) {
  int empty = 0, nul = 0, first = 1;
  const char** unset = malloc((size_t)argc * sizeof *unset);
  size_t unsets = 0;
  if (unset == NULL) {
    fprintf(stderr, "env: %s\n", strerror(errno));
    return 125;
  }
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    for (const char* option = argv[first] + 1; *option; option++) {
      if (*option == 'i') empty = 1;
      else if (*option == '0') nul = 1;
      else if (*option != 'u') return usage();
      else {
        /* -uNAME, or -u NAME: the rest of the argument, or the next one. */
        if (option[1] != '\0') unset[unsets++] = option + 1;
        else if (first + 1 < argc) unset[unsets++] = argv[++first];
        else return usage();
        break;
      }
    }
  }
  if (first < argc && strcmp(argv[first], "-") == 0) {
    empty = 1;
    first++;
  }
  /* The names -u takes out are checked and taken out only from the environment received. */
  if (!empty && check_names(unset, unsets) != 0) return 125;
  size_t count = 0;
  if (!empty)
    while (environ != NULL && environ[count] != NULL) count++;
  /* Room for the environment received and an assignment per argument. */
  struct environment env = {malloc((count + (size_t)argc + 1) * sizeof(char*)), count};
  if (env.entries == NULL) {
    fprintf(stderr, "env: %s\n", strerror(errno));
    return 125;
  }
  if (count > 0) memcpy(env.entries, environ, count * sizeof(char*));
  env.entries[count] = NULL;
  for (size_t i = 0; i < unsets && !empty; i++) take_out(&env, unset[i]);
  free(unset);
  for (; first < argc && strchr(argv[first], '=') != NULL; first++) assign(&env, argv[first]);
  if (first == argc) return print(&env, nul ? '\0' : '\n');
  if (nul) return usage();
  return run(argv + first, &env);
}
