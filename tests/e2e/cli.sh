#!/usr/bin/env bash
# The mkh command line: help, version, a boot with its report, and bad usage (exit 2 with
# a message that names the problem). Usage: cli.sh path/to/mkh
set -u
mkh=$1
. "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"

check help 0 'boot' -- "$mkh" --help
check version 0 '^mkh [0-9]+\.[0-9]+\.[0-9]+' -- "$mkh" --version
check boot-help 0 '--topology' -- "$mkh" boot --help
check boot-default 0 '^errors: 0$' -- "$mkh" boot
check boot-report 0 'token hops across clusters' -- "$mkh" boot --topology 2x1:2 --bank-mib 16
check no-subcommand 2 'subcommand' -- "$mkh"
check unknown-subcommand 2 'frobnicate' -- "$mkh" frobnicate
check unknown-option 2 '--bogus' -- "$mkh" boot --bogus
check topology-form 2 "topology 'banana' is not of the form XxY:C" -- "$mkh" boot --topology banana
check topology-zero 2 'C \(cores per cluster\) must be at least 1' -- "$mkh" boot --topology 2x2:0
check topology-x 2 'X = 17 exceeds 16' -- "$mkh" boot --topology 17x1:1
check topology-cores 2 'at most 1024' -- "$mkh" boot --topology 16x16:8
check topology-garbage 2 "'2q'" -- "$mkh" boot --topology 2qx2:2
check bank-not-pow2 2 'bank size 48 MiB is not a power-of-two' -- "$mkh" boot --bank-mib 48
check bank-zero 2 '--bank-mib: Value 0 not in range 4 to 16384' -- "$mkh" boot --bank-mib 0
check bank-text 2 'bank-mib' -- "$mkh" boot --bank-mib lots
check bank-negative 2 'bank-mib' -- "$mkh" boot --bank-mib -64
check spin-huge 2 '--idle-spin-us: Value 5000000 not in range' -- "$mkh" boot --idle-spin-us 5000000
check rounds-range 2 'rounds' -- "$mkh" boot --rounds 99999999
check bench-needs-which 2 'subcommand' -- "$mkh" bench

finish
