#!/usr/bin/env bash
# diff refereed by GNU's diff (diffutils): each comparison below runs under GNU's diff and under
# mkh's /bin/diff (run by qemu-riscv32, which runs it as mkh does: cases/diff.case runs it under
# `mkh exec` too); stdout, stderr and the status must be byte for byte the same. Beside the
# written cases, pairs of files made from a seeded random walk (lines drawn from a few, so that
# many match, then lines deleted, inserted, changed and moved) are compared in both formats:
# GNU's choices among equally short edit scripts are the ones to match; each pair again with
# noise in the edited file (capitals, white space, a last newline gone) under -i, -b or -w.
# C locale, UTC.
# Usage: diff.sh PROGRAM_DIR [PAIRS]
set -uo pipefail
dir=$1 pairs=${2:-150}
source "$(dirname "$0")/gnu_referee.sh" diff

# compare ARG...: `diff ARG...` in $work/files by GNU's and by mkh's.
compare() {
  (cd "$work/files" && diff "$@" >../gnu.out 2>../gnu.err; echo "[exit $?]" >>../gnu.out)
  (cd "$work/files" && "$qemu" "$dir/bin/diff" "$@" >../mkh.out 2>../mkh.err; echo "[exit $?]" >>../mkh.out)
  judge "diff $*"
}

mkdir -p "$work/files" && cd "$work/files" || exit 1
printf 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n' >numbers
printf 'one\n2\nthree\nfour\nfive\nsix\nseven\nand a half\neight\nnine\n' >edited
printf 'zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\n' >longer
printf 'one\ntwo\nthree' >unfinished
printf 'one\ntwo\nthree\n' >finished
printf 'a\nb\na\nb\na\nb\n' >ab
printf 'b\na\nb\na\nb\na\n' >ba
printf 'x\n\n\n\ny\n\n\n\nz\n\n\n\n\n\n\n' >blanks
printf 'x\n\n\ny\n\n\n\n\nz\n\n\n\n' >fewer_blanks
printf 'binary\0file\n' >binary
: >empty
mkdir -p left/sub right/sub left/only_left right/only_right
cp numbers left/n && cp edited right/n
cp numbers left/same && cp numbers right/same
cp ab left/sub/x && cp ba right/sub/x
mkdir left/kind && : >right/kind
touch -d '2024-01-02 03:04:05' numbers edited longer unfinished finished empty left/n right/n

compare numbers edited
compare -u numbers edited
compare -U 1 numbers longer
compare -U0 edited longer
compare -u numbers numbers
compare -s numbers numbers
compare -q numbers edited
compare numbers empty
compare -u empty numbers
compare unfinished finished
compare -u finished unfinished
compare ab ba
compare -u ab ba
compare blanks fewer_blanks
compare -u blanks fewer_blanks
compare binary numbers
compare numbers left
compare left right
compare -r left right
compare -ru left right
compare -rq left right
compare numbers missing
compare numbers
compare -k numbers edited
compare -U x numbers edited
compare numbers edited longer
printf 'A\nb\nsame\n' >cased && printf 'a\nc\nsame\n' >lower
printf 'a  b\nc \n\t d\nab\n' >spaced && printf 'a b\nc\n d\na b\n' >unspaced
compare -i cased lower
compare -u -i cased lower
compare -b spaced unspaced
compare -w spaced unspaced
compare -u -bi spaced unspaced
compare -b unfinished finished
compare -w finished unfinished
compare -i unfinished finished
compare -s -w unfinished finished
compare -q -b spaced unspaced
compare -q -w spaced unspaced
compare -w numbers blanks

# Random pairs: a file of lines drawn from a few, and the same edited.
RANDOM=7
words=(alpha beta gamma delta '' '{' '}' 'return 0;' 'i++;')
for pair in $(seq 1 "$pairs"); do
  length=$((RANDOM % 40))
  : >a
  for _ in $(seq 1 "$length"); do printf '%s\n' "${words[RANDOM % ${#words[@]}]}" >>a; done
  : >b
  while IFS= read -r line; do
    case $((RANDOM % 8)) in
      0) ;;                                                            # deleted
      1) printf '%s\n%s\n' "${words[RANDOM % ${#words[@]}]}" "$line" >>b ;; # one inserted
      2) printf 'changed %s\n' "$pair" >>b ;;                           # changed
      *) printf '%s\n' "$line" >>b ;;
    esac
  done <a
  [ $((RANDOM % 5)) = 0 ] && printf 'tail\n' >>b
  cp a "a$pair" && cp b "b$pair"
  compare "a$pair" "b$pair"
  compare -u "a$pair" "b$pair"
  # The same edit with noise -i, -b or -w leave out (or not: spaces where there were none).
  : >c
  while IFS= read -r line; do
    case $((RANDOM % 6)) in
      0) printf '%s\n' "${line^^}" >>c ;;
      1) printf '  %s\t\n' "$line" >>c ;;
      2) printf '%s\n' "${line// /   }" >>c ;;
      3) printf '%s\n' "${line//;/ ;}" >>c ;;
      *) printf '%s\n' "$line" >>c ;;
    esac
  done <b
  [ $((RANDOM % 4)) = 0 ] && truncate -s -1 c
  cp c "c$pair"
  options=(-i -b -w -ib -iw -ub -uw -uiw)
  compare "${options[RANDOM % ${#options[@]}]}" "a$pair" "c$pair"
done
echo "diff: $compared comparisons as GNU's diff makes them"
exit "$status"
