/* true: exits 0 at once, printing nothing (`mkh bench user` counts exec+exit per second with
 * it). A user program (user/apps/): plain C, runs unchanged under qemu-riscv32. */
int main(void) { return 0; }
