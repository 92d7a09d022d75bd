#!/usr/bin/env bash
# The system-call trace (mkh's trace(1)): `mkh exec --strace` traces the first process and the
# children it forks, on whichever cluster each runs, a line per call on stderr once it
# returns, and each process's end; /bin/strace traces the command it runs and nothing of its
# caller; a fault's signal and the death it brings show in the trace. Under qemu-riscv32,
# /bin/strace says that the kernel traces nothing. --faults (and strace -F) trace the page
# faults: one of each kind the trace names.
# Usage: strace.sh MKH DISK_IMAGE STRACE_PROGRAM
set -uo pipefail
mkh=$1 image=$2 strace_program=$3
[ -e "$image" ] || { echo "SKIP: $image is not built"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mkh-strace.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp "$image" "$scratch/disk.img"
status=0
fail() { echo "FAIL: $1"; status=1; }
# expect_line FILE REGEX: FILE has a line REGEX (grep -E, whole line), the caller's part first.
caller='\[pid [0-9]+ tid [0-9]+ 0x[0-9a-f]+\.[0-9]+\] '
took=' <[0-9]+\.[0-9]{3} us>'
expect_line() { grep -Eqx "$caller$2" "$1" || fail "no line '$2' in $(basename "$1"):"$'\n'"$(cat "$1")"; }
# expect_end FILE REGEX: FILE has a process's end, "[pid P] +++ REGEX +++".
ending='\[pid [0-9]+\] \+\+\+ '
expect_end() { grep -Eqx "$ending$2 \+\+\+" "$1" || fail "no end '$2' in $(basename "$1"):"$'\n'"$(cat "$1")"; }

# A shell and its children, traced from the first call.
"$mkh" exec --strace --disk "$scratch/disk.img" /bin/sh -c 'echo hi > /tmp/t; cat /tmp/t /nonexistent; exit 3' \
  >"$scratch/out.txt" 2>"$scratch/shell.txt"
ended=$?
[ "$ended" = 3 ] || fail "the traced shell exited $ended, not 3"
[ "$(cat "$scratch/out.txt")" = hi ] || fail "the traced shell printed '$(cat "$scratch/out.txt")', not hi"
expect_line "$scratch/shell.txt" 'openat\(AT_FDCWD, "/tmp/t", O_WRONLY[|]O_CREAT[|]O_TRUNC, 0666\) = 3'"$took"
expect_line "$scratch/shell.txt" 'execve\("/bin/cat", \["cat", "/tmp/t", "/nonexistent"\], 0x[0-9a-f]+ /\* [0-9]+ vars \*/\) = 0'"$took"
expect_line "$scratch/shell.txt" 'read\(3, "hi\\n", 4096\) = 3'"$took"
expect_line "$scratch/shell.txt" 'openat\(AT_FDCWD, "/nonexistent", O_RDONLY, 0\) = -1 ENOENT'"$took"
expect_line "$scratch/shell.txt" 'write\(2, "cat: /nonexistent: No such file "\.\.\., 45\) = 45'"$took"
expect_line "$scratch/shell.txt" 'exit_group\(3\) = \?'"$took"
expect_end "$scratch/shell.txt" 'exited with 1'
expect_end "$scratch/shell.txt" 'exited with 3'
pids=$(grep -Eo '^\[pid [0-9]+' "$scratch/shell.txt" | sort -u | wc -l)
clusters=$(grep -Eo '^\[pid [0-9]+ tid [0-9]+ 0x[0-9a-f]+' "$scratch/shell.txt" | awk '{print $5}' | sort -u | wc -l)
[ "$pids" -ge 3 ] && [ "$clusters" -ge 2 ] ||
  fail "the trace shows $pids processes on $clusters clusters, not the shell and its two children on two clusters or more"
untraced=$(grep -Ev "^$caller" "$scratch/shell.txt" | grep -Evc "^$ending")
[ "$untraced" = 1 ] || fail "stderr has $untraced lines that are not the trace's, not cat's one:"$'\n'"$(cat "$scratch/shell.txt")"
[ "$status" = 0 ] && echo "mkh exec --strace: the shell and its children on $clusters clusters, $(wc -l <"$scratch/shell.txt") lines"

# /bin/strace in an untraced shell: its command alone is traced.
"$mkh" exec --disk "$scratch/disk.img" /bin/sh -c 'strace /bin/echo x; echo "done $?"; strace; echo "usage $?"' \
  >"$scratch/out.txt" 2>"$scratch/command.txt"
[ "$(cat "$scratch/out.txt")" = $'x\ndone 0\nusage 2' ] || fail "/bin/strace's shell printed '$(cat "$scratch/out.txt")'"
expect_line "$scratch/command.txt" 'execve\("/bin/echo", \["/bin/echo", "x"\], 0x[0-9a-f]+ /\* [0-9]+ vars \*/\) = 0'"$took"
expect_line "$scratch/command.txt" 'write\(1, "x\\n", 2\) = 2'"$took"
expect_line "$scratch/command.txt" 'exit_group\(0\) = \?'"$took"
grep -q 'done' "$scratch/command.txt" && fail "the untraced shell's own calls are in the trace"
grep -qx 'usage: strace \[-F\] COMMAND \[ARG...\]' "$scratch/command.txt" || fail "strace without a command said no usage"
[ "$status" = 0 ] && echo "/bin/strace: its command traced, not its caller"

# A fault's signal, in the trace before the end.
"$mkh" exec --strace --disk "$scratch/disk.img" /tests/sigsegv >/dev/null 2>"$scratch/fault.txt"
ended=$?
[ "$ended" = 139 ] || fail "the traced sigsegv exited $ended, not 139"
expect_line "$scratch/fault.txt" '--- SIGSEGV \(page fault at 0x100, pc 0x[0-9a-f]+\) ---'
expect_end "$scratch/fault.txt" 'killed by SIGSEGV'
[ "$status" = 0 ] && echo "a fault's SIGSEGV in the trace"

# Page faults (--faults alone: no call), each kind: the program's pages read from the file,
# heap pages zero-filled, a fork's copy-on-write, and a thread in another cluster whose entries
# come from the reference, its code copied into its own cluster.
"$mkh" exec --faults --disk "$scratch/disk.img" /tests/faults >/dev/null 2>"$scratch/faults.txt"
ended=$?
[ "$ended" = 0 ] || fail "the traced faults exited $ended, not 0"
page='--- page fault 0x[0-9a-f]+ '
cluster=', a page of cluster 0x[0-9a-f]+'"$took"' ---'
expect_line "$scratch/faults.txt" "${page}exec: read from the file$cluster"
expect_line "$scratch/faults.txt" "${page}write: zero-filled$cluster"
expect_line "$scratch/faults.txt" "${page}write: copy-on-write, copied$cluster"
expect_line "$scratch/faults.txt" "${page}write: copy-on-write, its only mapping: writable again$cluster"
expect_line "$scratch/faults.txt" "${page}read: the entry of the reference in cluster 0x[0-9a-f]+$cluster"
expect_line "$scratch/faults.txt" "${page}exec: code copied from the reference in cluster 0x[0-9a-f]+$cluster"
expect_end "$scratch/faults.txt" 'exited with 0'
grep -q ') = ' "$scratch/faults.txt" && fail "--faults alone traced a system call:"$'\n'"$(cat "$scratch/faults.txt")"
[ "$status" = 0 ] && echo "mkh exec --faults: $(grep -c 'page fault' "$scratch/faults.txt") page faults, of each kind, no call"
"$mkh" exec --disk "$scratch/disk.img" /bin/sh -c 'strace -F /bin/echo x >/dev/null' 2>"$scratch/both.txt"
expect_line "$scratch/both.txt" 'execve\("/bin/echo", \["/bin/echo", "x"\], 0x[0-9a-f]+ /\* [0-9]+ vars \*/\) = 0'"$took"
expect_line "$scratch/both.txt" "${page}exec: read from the file$cluster"
[ "$status" = 0 ] && echo "strace -F: the calls and the page faults"

if command -v qemu-riscv32 >/dev/null; then
  said=$(qemu-riscv32 "$strace_program" /bin/true 2>&1)
  ended=$?
  [ "$ended" = 1 ] && [ "$said" = "strace: the kernel traces no system call: Function not implemented" ] ||
    fail "/bin/strace under qemu-riscv32 exited $ended saying '$said'"
  [ "$status" = 0 ] && echo "/bin/strace under qemu-riscv32: no trace, said so"
fi
exit "$status"
