#!/usr/bin/env bash
# The tree is formatted as .clang-format says (clang-format 14): every C++ file that git
# tracks, or every one under the source folders when git is absent (an exported tree).
# Usage: format.sh PROJECT_DIR
set -euo pipefail
cd "$1"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t files < <(find src include tools bench tests -name '*.cpp' -o -name '*.hpp')
fi
if ! command -v clang-format-14 >/dev/null; then
  echo "format: clang-format-14 is not installed (make deps installs it)"
  exit 77
fi
if ! clang-format-14 --dry-run --Werror "${files[@]}"; then
  echo "format: run clang-format-14 -i on the files named above"
  exit 1
fi
echo "format: ${#files[@]} files formatted as .clang-format says"
