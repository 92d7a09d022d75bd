#!/usr/bin/env bash
# Makes the default disk image: a FAT32 volume holding the tree disk/ of the source, made by
# Debian's dosfstools (mkfs.fat) and mtools (mcopy), reproducibly: a fixed volume id and
# label, mkfs.fat's --invariant for its other time-based fields, and every file and folder
# copied from a staging copy whose times are set to one fixed instant (SOURCE_DATE_EPOCH
# when set), read in UTC. Called by the build (target disk_image); not a test.
# Usage: make_disk_image.sh MKFS_FAT MCOPY SOURCE_DIR IMAGE [SIZE_KIB]
set -euo pipefail
mkfs_fat=$1 mcopy=$2 source=$3 image=$4 size_kib=${5:-65536}
epoch=${SOURCE_DATE_EPOCH:-1704067200} # 2024-01-01 00:00:00 UTC
stage=$image.stage
rm -rf "$stage" "$image.tmp"
mkdir -p "$stage"
cp -R "$source"/. "$stage"/
find "$stage" -exec touch -h -d "@$epoch" {} +
"$mkfs_fat" -C --invariant -F 32 -n MKH -i 4D4B4830 "$image.tmp" "$size_kib" >/dev/null
shopt -s nullglob dotglob
entries=("$stage"/*)
if [ "${#entries[@]}" -gt 0 ]; then
  TZ=UTC LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 "$mcopy" -s -m -i "$image.tmp" "${entries[@]}" ::/
fi
rm -rf "$stage"
mv "$image.tmp" "$image"
