/* false [ARGUMENT...]: exits 1 at once, printing nothing, whatever its arguments: the program
 * behind `env false` and scripts that run /bin/false (the shell has its own false). As true
 * here, it takes no option: coreutils' false prints its help for a lone --help or --version
 * (status 1 still). A user program of mkh's /bin (user/apps/): plain C, runs unchanged under
 * qemu-riscv32. */
int main(void) { return 1; }
