#!/usr/bin/env bash
# The referee of the user programs (user/apps/, user/tests/): runs the commands of a case file
# with a given runner and compares the transcript — each command line, what it printed on
# stdout, its stderr lines prefixed "2> ", and "[exit N]" — with the expected file.
# Usage: check.sh RUNNER PROGRAM_ROOT CASE EXPECTED [FIXTURE_DIR]
#   RUNNER        a command taking `[--env K=V]... PROGRAM [ARG...]`, as `mkh exec` does
#                 (qemu_runner.sh runs qemu-riscv32); may hold several words ("mkh exec --disk X")
#   PROGRAM_ROOT  where a case's program names are found: PROGRAM_ROOT/bin/cat, .../tests/fileio
#   FIXTURE_DIR   copied into the scratch directory every command runs in (the source disk/)
# A case line: [K=V]... PROGRAM [ARG...], shell-quoted, run with stdin from /dev/null; '#'
# starts a comment line. Exit: 0 same, 1 different, 77 skipped (a program is not built, or
# the runner says 77 first). With SAVE_TRANSCRIPT=FILE in the environment, the transcript is
# also copied to FILE (how an expected file is first made, then read and checked by hand).
set -uo pipefail
runner=$1 root=$2 case_file=$3 expected=$4 fixture=${5:-}
read -r -a runner_words <<<"$runner"
# The commands run in the scratch directory: relative paths are made absolute first.
if [[ ${runner_words[0]} == */* && -e ${runner_words[0]} ]]; then runner_words[0]=$(realpath "${runner_words[0]}"); fi
if [ -d "$root" ]; then root=$(realpath "$root"); fi
scratch=$(mktemp -d)
# The fixture's modes are the ones mkh shows for the image made of it, Linux vfat's: 0755.
if [ -n "$fixture" ]; then cp -R "$fixture"/. "$scratch"/ && chmod -R 0755 "$scratch"; fi
transcript=$scratch.transcript
: >"$transcript"
trap 'rm -rf "$scratch" "$transcript"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in '' | '#'*) continue ;; esac
  eval "words=($line)"
  environment=()
  while [ "${#words[@]}" -gt 0 ] && [[ ${words[0]} == *=* ]]; do
    environment+=(--env "${words[0]}")
    words=("${words[@]:1}")
  done
  program=$root/${words[0]}
  if [ -d "$root" ] && [ ! -e "$program" ]; then
    echo "SKIP: $program is not built"
    exit 77
  fi
  echo "\$ $line" >>"$transcript"
  (cd "$scratch" && "${runner_words[@]}" "${environment[@]}" "$program" "${words[@]:1}" \
    </dev/null >"$transcript.out" 2>"$transcript.err")
  status=$?
  if [ "$status" = 77 ] && [ "$(wc -l <"$transcript")" = 1 ]; then
    cat "$transcript.out"
    exit 77
  fi
  cat "$transcript.out" >>"$transcript"
  if [ -n "$(tail -c 1 "$transcript.out")" ]; then printf '\n[no newline at the end]\n' >>"$transcript"; fi
  sed 's/^/2> /' "$transcript.err" >>"$transcript"
  if [ -n "$(tail -c 1 "$transcript.err")" ]; then printf '\n[no newline at the end of stderr]\n' >>"$transcript"; fi
  echo "[exit $status]" >>"$transcript"
  rm -f "$transcript.out" "$transcript.err"
done <"$case_file"
if [ -n "${SAVE_TRANSCRIPT:-}" ]; then cp "$transcript" "$SAVE_TRANSCRIPT"; fi
if diff -u "$expected" "$transcript"; then
  echo "same as $(basename "$expected")"
  exit 0
fi
echo "FAIL: the transcript differs from $expected (above: - expected, + got)"
exit 1
