#!/usr/bin/env bash
# sed refereed by GNU's sed: each command line below runs in a folder of small files under
# GNU's sed and under mkh's /bin/sed (run by qemu-riscv32, which runs it as mkh does: the
# user cases run it under `mkh exec` too); stdout, stderr, the status and the files a command
# wrote must be byte for byte the same. C locale.
# Then scripts drawn at random (seeded) from pieces of commands, addresses and separators.
# Usage: sed.sh PROGRAM_DIR [RANDOM_SCRIPTS]
set -uo pipefail
dir=$1 random_scripts=${2:-16}
source "$(dirname "$0")/gnu_referee.sh" sed

# The files every command starts from.
mkdir -p "$work/files" && cd "$work/files" || exit 1
printf 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n' >numbers
printf 'alpha beta\ngamma delta\n\nHello World\nfoo/bar/baz\n\ttabbed  line \n' >words
printf 'no newline at the end' >unfinished
printf 'first\nsecond\n' >two
printf 'a\n\n\n\nb\n\n' >blank
: >empty
printf 'l\001\177\\\351 long %s\n' "$(printf 'x%.0s' $(seq 1 90))" >odd
printf 's/o/0/g\n# a comment\n/t/{\n  p\n}\n' >script.sed
cd - >/dev/null || exit 1

# compare ARG...: `sed ARG...` by GNU's and by mkh's, each in a fresh copy of the files.
compare() {
  rm -rf "$work/gnu" "$work/mkh" && cp -R "$work/files" "$work/gnu" && cp -R "$work/files" "$work/mkh"
  (cd "$work/gnu" && sed "$@" >../gnu.out 2>../gnu.err </dev/null; echo "[exit $?]" >>../gnu.out)
  (cd "$work/mkh" && "$qemu" "$dir/bin/sed" "$@" >../mkh.out 2>../mkh.err </dev/null; echo "[exit $?]" >>../mkh.out)
  judge "sed $(printf '%q ' "$@")" folders
}

# Addresses and ranges.
compare -n 3p numbers
compare -n '$p' numbers words
compare -n '2,4p' numbers
compare -n '4,2p' numbers
compare -n '/^t/p' numbers
compare -n '/^T/Ip' numbers
compare -n '\,/,p' words
compare -n '/two/,/five/p' numbers
compare -n '/two/,+2p' numbers
compare -n '3,~4p' numbers
compare -n '0~3p' numbers
compare -n '2~0p' numbers
compare -n '0,/o/p' numbers
compare -n '1,/o/p' numbers
compare -n '/e/,3p' numbers
compare -n '$!{$!p}' two
compare '2,8!d' numbers
compare -s -n '$p' numbers two
compare -n '$=' numbers two
compare -s -n '$=' numbers two
# Substitutions.
compare 's/e/E/' numbers
compare 's/e/E/g' numbers
compare 's/e/E/2' numbers
compare 's/e/E/2g' numbers
compare 's/a*/x/g' words
compare 's/b*/-/2' words
compare 's/l*/X/3' words
compare 's/$/$/;s/^/^/' words
compare 's/\(a\)\(l\)/\2\1/' words
compare -E 's/(a|e)(.)/[\2\1]/g' words
compare 's/o/&&/g;s/&/and/' words
compare 's/[[:space:]][[:space:]]*/_/g' words
compare -E 's/[[:space:]]+/_/g;s/(l+)(o?)/<\2\1>/' words
compare 's|/|\||g' words
compare 's/ /\n/;P;D' words
compare 's/HELLO/hi/I' words
compare -n 's/o/0/gp' numbers
compare 's/o/0/w out' numbers
compare 's/x/\
/g' odd
compare '$!N;s/\n/+/' numbers
compare ':a;N;$!ba;s/\n/,/g' numbers
compare -e 's/t/T/' -e t -e 's/$/ no t/' numbers
compare -e 's/t/T/;Tx' -e 's/$/ had t/;:x' numbers
compare 's/e/E/;s//3/' numbers
compare 'y/abcdefghij/ABCDEFGHIJ/' words
compare 'y/\n /|_/;N;N;y/\n/|/' words
# Text, the hold space, the other commands.
compare '2i\
inserted' two
compare '1a appended\
and more' two
compare '$a\  at the end' unfinished
compare '/three/,/five/c\
changed' numbers
compare '3c one line' numbers
compare '2q' numbers
compare '2q5' numbers
compare '2Q' numbers
compare -n '2{p;q}' numbers
compare '1!G;h;$!d' numbers
compare -n 'H;${x;s/\n/,/g;p}' numbers
compare 'x;$G' two
compare -n '/four/{=;p}' numbers
compare -n 'l' odd
compare -n 'l 20' odd
compare -l 30 -n 'l' odd
compare -n 'l;l 1' words
compare 'n;d' numbers
compare -n 'n;p' numbers
compare '$!N;P;D' numbers
compare 'N;N;D' numbers
compare 'N' numbers
compare -n 'F;=' two
compare z two
compare '1r two' numbers
compare '$r missing' two
compare 'w copy' two
compare -n '/e/w evens
/o/W odds' numbers
compare p unfinished
compare G unfinished
compare -n 'p;P;w /dev/stdout' unfinished
compare 'x;p;x;1r missing' unfinished
compare 'H;$!d;x' two
compare '1h;2G' two
compare '$!d;x;G;G' two
compare -n p empty
compare = unfinished two
compare -f script.sed numbers
compare -n -f script.sed -e '$=' two
compare '#n
p' two
compare -s 1d numbers two
compare -s 'x;$G' numbers two
compare -s '2,8!G' numbers two
compare -n '/o/b skip ; p; :skip' numbers
compare -n '/o/{b skip};p;:skip' numbers
compare -i 's/o/0/' numbers two
compare -i.orig -e '1d' two
compare -n -i p missing two
compare p missing two
# One-liners: tac, blank lines squeezed and dropped, lines numbered, joined in pairs.
compare -n '1!G;h;$p' numbers
compare '/^$/N;/\n$/D' blank
compare '/^$/d' blank
compare = numbers
compare '$!N;s/\n/ /' numbers
compare -n '$!{h;d};x;G;p' numbers
compare 'a foo\tbar' two
compare 'i\
one\\\
two' two
compare '2!c\
not two' two
compare 's/o/[\&]/;s/e/\\/' numbers
compare -n '/o/{//!d;s//0/p}' numbers
compare -E 's/(t)(w|h)/\2\1/' numbers
compare 's/\([aeiou]\)\1/<&>/' numbers
compare 's/\t/T/;s/ /\t|\x41|\o102|\d67|\cA|\cz|\n/;s/\x41\o102/ab/' words
compare 'a a\x41\cz\n\o101\tb' two
compare -ne 'p' -- two
compare -s F two numbers
compare -n l blank
compare -n 'l 0' odd
compare -l 69 -n l odd
compare -i 's/o/0/' - two
# Errors.
compare 's/a/b' numbers
compare 's/a/b/k' numbers
compare 's/a/b/gg' numbers
compare 's/a/b/0' numbers
compare 's/\(a\)/\2/' numbers
compare 'k' numbers
compare '/a' numbers
compare '2,p' numbers
compare 'p;}' numbers
compare '{p' numbers
compare 'b nowhere' numbers
compare 'y/ab/c/' numbers
compare 'p x' numbers
compare '1,2q' numbers
compare '0p' numbers
compare -e 'p' -e 'k' numbers
compare -n -f script.sed -e 'k' two
compare -n '//p' numbers
compare -l x -n l numbers
compare -e numbers
compare 'a\' numbers
compare 's/a/b/ p' numbers
compare ': ' numbers
compare '1~2!{p' numbers
compare -n '3,2~4p;6,10~0p;12,5~3p;/4/,10~3p' numbers
compare '2;p' numbers
compare -n $'2,3\n2,3;w out' numbers unfinished # a newline after an address: no command
compare -n 't L2,+1;T Ls/o/0/g' numbers unfinished # two labels missing: the last branch's named

# Random scripts. No piece starts GNU's e command (it runs its text as a shell command): the
# one label is L.
RANDOM=5
pieces=(p d D n N g G h H x P = l z q 's/o/0/g' 's/\(t\)/[\1]/' 's/x*/-/g' 's/e/E/2' 'y/ot/OT/' 'a foo'
  $'i\\\nbar' 'c baz' :L 't L' 'T L' '{' '}' '!' 1 '$' 2,3 /o/ /t/,/f/ 0~2 2,+1 'w out' ';' $'\n' ' ' 'l 5'
  '$!N' 's/\n/+/' '1!G' 's/^/>/' 's/$/</')
for _ in $(seq 1 "$random_scripts"); do
  script=
  count=$((RANDOM % 7)) # drawn here: a command substitution's subshell draws from a seed of its own
  for _ in $(seq 0 "$count"); do script+=${pieces[RANDOM % ${#pieces[@]}]}; done
  compare -n "$script" numbers unfinished
  compare -s "$script" numbers unfinished
done
echo "sed: $compared commands as GNU's sed runs them"
exit "$status"
