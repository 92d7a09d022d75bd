#!/usr/bin/env bash
# The mkh command line: help, version, a boot with its report, and bad usage (exit 2 with
# a message that names the option or the word that is wrong and the accepted form).
# Usage: cli.sh path/to/mkh
set -u
mkh=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"

check help 0 'boot' -- "$mkh" --help
check version 0 '^mkh [0-9]+\.[0-9]+\.[0-9]+' -- "$mkh" --version
check boot-help 0 '--topology' -- "$mkh" boot --help
check boot-default 0 '^errors: 0$' -- "$mkh" boot
check boot-report 0 ' 80 token hops \(80 across clusters\)' -- "$mkh" boot --topology 2x1:2 --bank-mib 16
check no-subcommand 2 'mkh: a subcommand is required \(expected: boot, fs, exec, bench, soak\)' -- "$mkh"
check unknown-subcommand 2 "unknown command 'frobnicate' \(expected: boot, fs, exec, bench, soak\)" -- "$mkh" frobnicate
check option-for-subcommand 2 "unknown option '--bang' \(expected a subcommand: boot, fs, exec, bench, soak; or --help" -- "$mkh" --bang
check fs-no-command 2 '^mkh: fs: a command is required \(ls, tree' -- "$mkh" fs
check fs-unknown-command 2 "^mkh: fs: unknown command 'frob'" -- "$mkh" fs frob /
check fs-missing-argument 2 '^mkh: fs: ls takes 1 argument: ls PATH$' -- "$mkh" fs ls
check fs-missing-disk 2 '^mkh: --disk: --disk /nonexistent/disk.img: No such file or directory' -- "$mkh" fs --disk /nonexistent/disk.img ls /
check fs-disk-folder 2 '^mkh: --disk: --disk /tmp: a folder; expected a FAT32 image file' -- "$mkh" fs --disk /tmp ls /
check fs-missing-script 2 '^mkh: fs: script /nonexistent/script: No such file or directory' -- "$mkh" fs script /nonexistent/script
check fs-truncate-size-text 2 "^mkh: fs: truncate: the size '-5' is not a whole number$" -- "$mkh" fs truncate /f -5
check fs-write-offset-text 2 "^mkh: fs: write: the offset 'abc' is not a whole number$" -- "$mkh" fs write /f abc /dev/null
check fs-no-such-file 1 '^mkh: fs: /no/such/file: ENOENT \(No such file or directory\)$' -- "$mkh" fs cat /no/such/file
check fs-default-disk 0 'README.txt' -- "$mkh" fs ls /
check fs-write-limit-negative 2 '^mkh: --disk-write-limit: Value -1 not in range 0 to' -- "$mkh" fs --disk-write-limit -1 ls /
check fs-write-limit-word 2 "^mkh: --disk-write-limit: 'abc' is not a whole number" -- "$mkh" fs --disk-write-limit abc ls /
check fs-write-trace-missing-dir 2 '^mkh: --disk-write-trace /nonexistent-dir/t: No such file or directory; expected' -- "$mkh" fs --disk-write-trace /nonexistent-dir/t ls /
check exec-no-program 2 '^mkh: exec: a program is required: mkh exec \[OPTIONS\] PATH \[ARG...\]$' -- "$mkh" exec
check exec-relative-path 2 '^mkh: exec: bin/hello: expected an absolute path' -- "$mkh" exec bin/hello
check exec-bad-env 2 '^mkh: exec: --env NOVALUE: expected KEY=VALUE$' -- "$mkh" exec --env NOVALUE /bin/hello
check exec-no-such-file 1 '^mkh: exec: /no/such/program: ENOENT \(No such file or directory\)$' -- "$mkh" exec /no/such/program
check exec-deterministic 0 '^Hello from mkh user mode!$' -- "$mkh" exec --deterministic --seed 3 /bin/hello
check exec-seed-text 2 "^mkh: --seed: 'x' is not a whole number" -- "$mkh" exec --deterministic --seed x /bin/hello
check exec-not-elf 1 '^mkh: exec: /README.txt: ENOEXEC \(Exec format error\)$' -- "$mkh" exec /README.txt
check exec-stopped 147 '^signals: ending by stop$' -- "$mkh" exec /tests/signals stop
# A thread reading a standard input that has no data (a pipe whose writer stays silent) holds
# itself, not its core: the main thread runs, and its exit_group ends the reader too, on one
# cluster of two cores, on a machine of one core, and with the reader in a copy of the process
# in another cluster (its sleeps look at the reference's end).
work=$(mktemp -d "${TMPDIR:-/tmp}/mkh-cli.XXXXXX")
trap 'exec 3>&-; rm -rf "$work"' EXIT
mkfifo "$work/silent"
exec 3<>"$work/silent"  # a writer that never writes: reads wait, no end of file
for topology in 1x1:2 1x1:1; do
  check "exec-silent-stdin-$topology" 5 '^stdin: the main thread ends the process while a thread reads$' -- \
    timeout 60 "$mkh" exec --topology "$topology" /tests/threads stdin <"$work/silent"
done
check "exec-silent-stdin-in-a-copy" 5 '^stdin: the main thread ends the process while a thread reads$' -- \
  timeout 60 "$mkh" exec --topology 2x1:1 /tests/threads stdin spread <"$work/silent"
check unknown-option 2 '--bogus' -- "$mkh" boot --bogus
check help-hint-names-the-subcommand 2 "Run 'mkh boot --help'" -- "$mkh" boot --bogus
check topology-form 2 "^mkh: --topology: topology 'banana' is not of the form XxY:C" -- "$mkh" boot --topology banana
check topology-zero 2 '--topology: .*C \(cores per cluster\) must be at least 1; expected XxY:C' -- "$mkh" boot --topology 2x2:0
check topology-x 2 '^mkh: --topology: topology X = 17 exceeds 16.*; expected XxY:C with X in \[1, 16\], Y in \[1, 16\], C in \[1, 64\] and X\*Y\*C at most 1024$' -- "$mkh" boot --topology 17x1:1
check topology-every-size-too-big 2 '^mkh: --topology: topology X = 99 exceeds 16.*expected XxY:C' -- "$mkh" boot --topology 99x99:99
check topology-cores 2 '^mkh: --topology: topology 16x16:8 has 2048 virtual cores; at most 1024 .*expected XxY:C' -- "$mkh" boot --topology 16x16:8
check topology-garbage 2 "'2q'" -- "$mkh" boot --topology 2qx2:2
check bank-not-pow2 2 '^mkh: --bank-mib: bank size 48 MiB is not a power-of-two.*; expected a power of two in \[4, 16384\]$' -- "$mkh" boot --bank-mib 48
check bank-zero 2 '^mkh: --bank-mib: Value 0 not in range 4 to 16384; expected a power of two in \[4, 16384\]$' -- "$mkh" boot --bank-mib 0
check bank-text 2 "^mkh: --bank-mib: 'lots' is not a whole number; expected a power of two in \[4, 16384\]$" -- "$mkh" boot --bank-mib lots
check bank-fraction 2 "^mkh: --bank-mib: '1.5' is not a whole number; expected a power of two" -- "$mkh" boot --bank-mib 1.5
check bank-negative 2 '^mkh: --bank-mib: Value -64 not in range 4 to 16384' -- "$mkh" boot --bank-mib -64
check spin-huge 2 '--idle-spin-us: Value 5000000 not in range 0 to 1000000' -- "$mkh" boot --idle-spin-us 5000000
check spin-negative 2 '--idle-spin-us: Value -1 not in range 0 to 1000000' -- "$mkh" boot --idle-spin-us -1
check spin-text 2 "^mkh: --idle-spin-us: 'x' is not a whole number; expected a whole number in \[0, 1000000\]$" -- "$mkh" boot --idle-spin-us x
check translate-huge 2 '--translate-after: Value 65536 not in range 0 to 65535' -- "$mkh" exec --translate-after 65536 /bin/true
check translate-text 2 "^mkh: --translate-after: 'often' is not a whole number; expected a whole number in \[0, 65535\]$" -- "$mkh" exec --translate-after often /bin/true
check rounds-range 2 'rounds' -- "$mkh" boot --rounds 99999999
check seed-negative 2 '^mkh: --seed: Value -1 not in range 0 to 9223372036854775807$' -- "$mkh" boot --seed -1
check seed-text 2 "^mkh: --seed: 'x' is not a whole number; expected a whole number in \[0, " -- "$mkh" boot --seed x
# CLI11 once clamped a seed past 2^63-1 to 2^63-1 and ran with it.
check seed-overflow-was-clamped 2 '^mkh: --seed: Value 99999999999999999999 not in range 0 to' -- "$mkh" soak --ops 10 --seed 99999999999999999999
check trace-missing-dir 2 '^mkh: --trace /nonexistent-dir/t.json: cannot create it: No such file or directory; expected' -- "$mkh" boot --trace /nonexistent-dir/t.json --stats
check trace-directory 2 '^mkh: --trace /: cannot write it: Is a directory' -- "$mkh" boot --trace /
check bench-needs-which 2 'mkh bench: a subcommand is required \(expected: rpc, core, fs, user\)' -- "$mkh" bench
check bench-unknown-which 2 "^mkh bench: unknown command 'foo' \(expected: rpc, core, fs, user\)$" -- "$mkh" bench foo
check bench-option-for-which 2 "^mkh bench: unknown option '--json' \(expected a subcommand: rpc, core, fs, user; or --help\)$" -- "$mkh" bench --json
check bench-rpc-rounds-text 2 "^mkh: --rounds: 'x' is not a whole number; expected a whole number in \[1, 1000\]$" -- "$mkh" bench rpc --rounds x
check bench-rpc-rounds-zero 2 '^mkh: --rounds: Value 0 not in range 1 to 1000$' -- "$mkh" bench rpc --rounds 0
check bench-rpc-spin-negative 2 '^mkh: --spin-us: Value -3 not in range 0 to 1000000$' -- "$mkh" bench rpc --spin-us -3
check bench-core-rounds-text 2 "^mkh: --rounds: '1e3' is not a whole number; expected a whole number in \[1, 1000\]$" -- "$mkh" bench core --rounds 1e3
check bench-fs-mib-zero 2 '^mkh: --mib: Value 0 not in range 1 to 1024$' -- "$mkh" bench fs --mib 0
check bench-fs-files-text 2 "^mkh: --files: 'many' is not a whole number; expected a whole number in \[1, 10000\]$" -- "$mkh" bench fs --files many
check bench-fs-bank 2 '^mkh: --bank-mib: bank size 48 MiB is not a power-of-two' -- "$mkh" bench fs --bank-mib 48
check bench-fs-topology 2 '^mkh: --topology: topology X = 17 exceeds 16' -- "$mkh" bench fs --topology 17x1:1
check soak-ops-text 2 "^mkh: --ops: 'x' is not a whole number; expected a whole number in \[1, 1000000000\]$" -- "$mkh" soak --ops x --seed 1
check soak-seconds-fraction 2 "^mkh: --seconds: '1.5' is not a whole number; expected a whole number in \[1, 86400\]$" -- "$mkh" soak --seconds 1.5 --seed 1
check soak-topology 2 '^mkh: --topology: topology Y = 17 exceeds 16.*expected XxY:C' -- "$mkh" soak --topology 1x17:1 --ops 10 --seed 1
check soak-bank 2 '^mkh: --bank-mib: bank size 12 MiB is not a power-of-two' -- "$mkh" soak --bank-mib 12 --ops 10 --seed 1

finish
