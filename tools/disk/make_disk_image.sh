#!/usr/bin/env bash
# Makes the default disk image: a FAT32 volume holding the tree disk/ of the source, made by
# Debian's dosfstools (mkfs.fat) and mtools (mcopy), reproducibly: a fixed volume id and
# label, mkfs.fat's --invariant for its other time-based fields, and every file and folder
# copied one by one, in byte order of their paths, from a staging copy whose times are set to
# one fixed instant (SOURCE_DATE_EPOCH when set), read in UTC. Each DIR=FILE after the size
# adds FILE to the folder DIR of the staging copy (the build's user programs: bin=.../hello,
# tests=.../fileio).
# Called by the build (target disk_image); not a test.
# Usage: make_disk_image.sh MKFS_FAT MCOPY SOURCE_DIR IMAGE [SIZE_KIB [DIR=FILE]...]
set -euo pipefail
mkfs_fat=$1 mcopy=$2 source=$3 image=$4 size_kib=${5:-65536}
shift $(($# < 5 ? $# : 5))
epoch=${SOURCE_DATE_EPOCH:-1704067200} # 2024-01-01 00:00:00 UTC
stage=$image.stage
rm -rf "$stage" "$image.tmp"
mkdir -p "$stage"
cp -R "$source"/. "$stage"/
for added in "$@"; do
  mkdir -p "$stage/${added%%=*}"
  cp "${added#*=}" "$stage/${added%%=*}/"
done
# The mount point of devfs, as a Linux root file system has one (mkh mounts its devices there).
mkdir -p "$stage/dev"
# test(1)'s other name: /bin/[ is a copy of /bin/test (it reads its name). Made here, not by
# the build, whose lists cannot hold a '['.
if [ -f "$stage/bin/test" ]; then cp "$stage/bin/test" "$stage/bin/["; fi
find "$stage" -exec touch -h -d "@$epoch" {} +
"$mkfs_fat" -C --invariant -F 32 -n MKH -i 4D4B4830 "$image.tmp" "$size_kib" >/dev/null
# One entry at a time in byte order of the path (a folder before what it holds), so the
# order of the directory entries on the volume does not depend on the host's readdir order.
# A folder is made by copying an empty one with the same time (mmd would stamp it now).
empty=$image.empty
rm -rf "$empty"
mkdir -p "$empty"
while IFS= read -r -d '' entry; do
  path=${entry#./} parent=$(dirname "${entry#./}")
  [ "$parent" = . ] && parent=
  if [ -d "$stage/$path" ]; then
    mkdir -p "$empty/$path"
    touch -h -d "@$epoch" "$empty/$path"
    TZ=UTC LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 "$mcopy" -s -m -i "$image.tmp" "$empty/$path" "::/$parent"
  else
    TZ=UTC LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 "$mcopy" -m -i "$image.tmp" "$stage/$path" "::/$path"
  fi
done < <(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z)
rm -rf "$empty"
rm -rf "$stage"
mv "$image.tmp" "$image"
