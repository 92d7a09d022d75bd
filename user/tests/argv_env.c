/* argv_env: the referee program of the entry stack (user/tests/): prints argc, each argument
 * (argv[0] by its last component only: the runners name the program by different paths), the
 * values of the MKH_* variables it is given through envp, environ and getenv alike, and checks
 * the auxiliary vector's page size. The same bytes under qemu-riscv32 and mkh exec. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

int main(int argc, char** argv, char** envp) {
  const char* slash = strrchr(argv[0], '/');
  printf("argc %d\n", argc);
  printf("argv[0] ends in %s\n", slash ? slash + 1 : argv[0]);
  for (int i = 1; i < argc; i++) printf("argv[%d] [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
  printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");
  printf("envp is environ: %s\n", envp == environ ? "yes" : "no");
  int count = 0;
  char** entry = envp;
  for (; *entry != NULL; entry++)
    if (strncmp(*entry, "MKH_", 4) == 0) count++;
  printf("MKH_ variables: %d\n", count);
  const char* names[] = {"MKH_GREETING", "MKH_EMPTY", "MKH_SPACES", "MKH_ABSENT"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const char* value = getenv(names[i]);
    if (value == NULL) printf("%s is unset\n", names[i]);
    else printf("%s=[%s]\n", names[i], value);
  }
  /* After envp's null: the auxiliary vector, (type, value) pairs up to AT_NULL. */
  uint32_t* aux = (uint32_t*)(entry + 1);
  uint32_t page_size = 0, entry_point = 0;
  for (; aux[0] != 0; aux += 2) {
    if (aux[0] == 6) page_size = aux[1];   /* AT_PAGESZ */
    if (aux[0] == 9) entry_point = aux[1]; /* AT_ENTRY */
  }
  extern void _start(void);
  printf("AT_PAGESZ %lu\n", (unsigned long)page_size);
  printf("AT_ENTRY is _start: %s\n", entry_point == (uint32_t)(uintptr_t)_start ? "yes" : "no");
  return 0;
}
