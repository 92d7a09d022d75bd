#!/usr/bin/env bash
# ed refereed by GNU's ed: each script below is fed to GNU's ed and to mkh's /bin/ed (run by
# qemu-riscv32, which runs it as mkh does: cases/ed.case runs it under `mkh exec` too), each in
# a fresh copy of a folder of small files; stdout, stderr, the status and the files written
# must be byte for byte the same. C locale.
# Then scripts drawn at random (seeded) from commands and addresses.
# Usage: ed.sh PROGRAM_DIR [RANDOM_SCRIPTS]
set -uo pipefail
dir=$1 random_scripts=${2:-24}
command -v ed >/dev/null || { echo "SKIP: GNU ed is not installed (make deps installs it)"; exit 77; }
source "$(dirname "$0")/gnu_referee.sh" ed

mkdir -p "$work/files" && cd "$work/files" || exit 1
printf 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n' >numbers
printf 'alpha beta\ngamma delta\n\nHello World\nfoo/bar/baz\n\ttabbed  line \n' >words
printf 'no newline at the end' >unfinished
printf 'l\001\177\\\351 long %s\n' "$(printf 'x%.0s' $(seq 1 90))" >odd
cd - >/dev/null || exit 1

# compare SCRIPT ARG...: `ed ARG...` with SCRIPT (printf's escapes) on its standard input, a
# pipe (as `... | ed`: an error is said and the next command read); compare_script: a regular
# file (as `ed <FILE`: GNU's ed takes it for a script, which the first error ends).
compare() { input=pipe run "$@"; }
compare_script() { input=file run "$@"; }
run() {
  local script=$1
  shift
  rm -rf "$work/gnu" "$work/mkh" && cp -R "$work/files" "$work/gnu" && cp -R "$work/files" "$work/mkh"
  printf -- "$script" >"$work/script"
  if [ "$input" = pipe ]; then
    (cd "$work/gnu" && cat ../script | ed "$@" >../gnu.out 2>../gnu.err; echo "[exit $?]" >>../gnu.out)
    (cd "$work/mkh" && cat ../script | "$qemu" "$dir/bin/ed" "$@" >../mkh.out 2>../mkh.err; echo "[exit $?]" >>../mkh.out)
  else
    (cd "$work/gnu" && ed "$@" <../script >../gnu.out 2>../gnu.err; echo "[exit $?]" >>../gnu.out)
    (cd "$work/mkh" && "$qemu" "$dir/bin/ed" "$@" <../script >../mkh.out 2>../mkh.err; echo "[exit $?]" >>../mkh.out)
  fi
  judge "ed $* <$input $(printf '%q' "$script")" folders
}

# Printing and addresses.
compare ',p\n' numbers
compare '2p\n$p\n.p\n-p\n--p\n+2p\n- 2p\n1;+2p\n^p\n' numbers
compare ',n\n3,5l\n' numbers
compare '/e/p\n//p\n??p\n?t?p\n/^f/,/^s/n\n' numbers
compare '3\n\n\n=\n.=\n/six/=\n' numbers
compare ';p\n2;p\n' numbers
compare '1z3\nz\n' numbers
compare 'l\n' odd
compare ',l\n' words
compare '3kx\n1\n'"'"'xp\n'"'"'x,$d\n,p\n' numbers
compare 'H\n20p\n0p\n4,2p\n/zzz/p\n'"'"'qp\nkQ\n' numbers
compare ',p\n' -s numbers
compare 'P\n2p\nP\n3p\n' -s numbers
compare '2p\n' -p '> ' numbers
# Changes.
compare '2a\nnew line\n.\n0a\ntop\n.\n$a\nend\n.\n,p\nw\nq\n' numbers
compare '3i\ninserted\n.\n0i\nzero\n.\n,n\nwq\n' -s numbers
compare '2,4c\nchanged\n.\n,p\n$c\n.\n,p\nQ\n' numbers
compare '2,3d\n,p\n$d\n,p\nd\n.=\nQ\n' numbers
compare '1,3j\n,p\n4,5jp\nj\n,n\nQ\n' numbers
compare '1,2m$\n,p\n$m0\n,p\n2,3m1\nH\n2,4m3\nQ\n' numbers
compare '1,2t$\n,p\n3t0\n5tp\n,n\nQ\n' numbers
compare 's/o/0/\n,s/e/E/g\n,p\n2,4s/E/[&]/p\ns/x/y/\nH\n,s/q/r/\nQ\n' numbers
compare ',s/\\(.\\)\\(.\\)/\\2\\1/\n,p\n2s/o/[&]/\n,s/e/%%/2\n,p\n3s\n,p\n,s/./X/3g\n,s/./X/3\n,p\n3s/e/X/\ns\n3s/e/Y/g\ns\n2s/[a-z]/Z/\nsg\n,p\n4s/x*/-/g\n4s/x*/-/\n4s/$/!/g\n4p\nQ\n' numbers
compare '1s/ /\\\n/\n,n\n2s/a/x/gn\n3s/l*/-/g\n3p\n4s/$/!/l\nQ\n' words
compare 'g/e/p\nv/e/s/o/0/\\\np\n,p\ng/^t/d\n,n\nQ\n' numbers
compare 'g/e/s//E/\\\ns/$/ (e)/\n,p\nu\n,p\nu\n,p\nQ\n' numbers
compare 'g/o/a\\\nafter an o\\\n.\n,p\nQ\n' numbers
compare 'g/x/g/x/p\nH\ng\n2,1g/x/p\nQ\n' numbers
compare 'u\n2d\nu\n,p\nu\n,p\nQ\n' numbers
compare 'H\n2d\ns/zzz/y/\nu\ng/o/p\nu\n1m0\n' numbers
compare 'a\nx\n.\nq\n5,1p\n' numbers
compare '2kx\n1,3m$\n'"'"'xn\n'"'"'x;+1j\n,n\ng/e/m0\n,n\nu\n,n\nQ\n' numbers
compare '2z2\nz\nzn\n5dn\n5dl\n$dp\nQ\n' numbers
compare 'g/^t/i\\\nbefore a t\\\n.\\\n.=\n,p\nQ\n' numbers
# Files.
compare '0r unfinished\n1,2w new\n$W new\n$r new\n,n\nw\ne\n,p\nQ\n' numbers
compare 'w copy\nW copy\n3,4w part\nf\nf other\nw\ne part\n,p\nr numbers\n,n\nr\nQ\n' numbers
compare ',p\nw\nq\n' unfinished
compare 'a\nline\n.\nq\nq\n' numbers
compare 'a\nline\n.\nq\nQ\n' numbers
compare 'a\nline\n.\n' numbers
compare 'a\nline\n.\ne numbers\ne numbers\n,p\nE words\n,p\nq\n' numbers
compare 'p\nf\na\nnew\n.\nw\nq\n' missing
compare 'r missing\nh\nw\nQ\n'
compare 'a\nfirst\nsecond\n.\nw made\nq\n'
# Errors.
compare_script '2p\n--p\n3p\n' numbers
compare_script 'H\n2p\n/zzz/p\n3p\n' numbers
compare_script 'p\n' missing
compare_script 'p\n' -s missing
compare_script 'a\nline\n.\n' numbers
compare 'k\nzz\n2x\n1,2q\nqq\nu\nfoo\n,pp\nH\n2a5\n.\n' numbers
compare 'h\n' numbers
compare '' -k
compare '' numbers words

# Random scripts, through a pipe (the next command is read after an error).
RANDOM=3
commands=(p n l d 'a\nnew\n.' 'i\nins\n.' 'c\nchg\n.' j m0 'm$' t0 t. u 's/o/0/' 's/o/0/g' 's//X/' s 'g/o/p'
  'v/e/d' 'g/t/s/t/T/' kx "'x" 1 '$' . - + 2,3 '1;+1' , /o/ '?e?' = z2 'w out' 'r numbers' 'e numbers' f h H P q Q k
  3 10 5,1 /zz/)
addresses=(1 '$' . 2,3 , /o/ - +1)
for _ in $(seq 1 "$random_scripts"); do
  script=
  count=$((RANDOM % 8)) # drawn here: a command substitution's subshell draws from a seed of its own
  for _ in $(seq 0 "$count"); do
    command=${commands[RANDOM % ${#commands[@]}]}
    case $command in p | n | l | d | j | m0 | t0 | 's/o/0/' | =)
      [ $((RANDOM % 5)) -lt 2 ] && command=${addresses[RANDOM % ${#addresses[@]}]}$command ;;
    esac
    script+="$command\n"
  done
  compare "$script" numbers
done
echo "ed: $compared scripts as GNU's ed runs them"
exit "$status"
