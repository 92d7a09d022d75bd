#!/usr/bin/env python3
"""Seeds of the FAT32 fuzzer that reach directories and files: small sound volumes made by
Debian's mkfs.fat and mcopy with one FAT and 8 reserved sectors, so that the data region
starts ~270 KiB into the image (a FAT32 FAT maps at least 65525 clusters: 256 KiB), each cut
after its last non-zero byte (the harness pads an input with zeros). The slices that
tests/fs/badimages.py writes end long before the data region: their root directories read
as empty. A script of tests/fuzz/, run by hand when the seeds are to change.

Usage: make_seeds.py CORPUS_DIR
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fs"))
import fsref  # noqa: E402

MAX_SEED = 512 * 1024  # run.sh's -max_len
FIXED_TIME = 1700000000  # 2023-11-14 22:13:20 UTC


def tree(root, cluster):
    """A small tree: long and short names, a name outside ASCII, an empty file, files of
    several clusters, nested directories, a directory of many entries."""
    files = {
        "README.TXT": b"short name, one cluster\n",
        "A long file name.txt": b"a long name\n" * 3,
        "caf\u00e9 na\u00efve.txt": b"not ASCII\n",
        "empty": b"",
        "spans.bin": bytes(range(256)) * (3 * cluster // 256 + 1),
        "docs/notes.md": b"# notes\n" * 40,
        "docs/deeper/deepest/leaf.txt": b"leaf\n",
        "docs/deeper/Mixed Case.TXT": b"case\n",
    }
    for i in range(20):
        files[f"many/entry number {i:02d}.dat"] = bytes([i]) * (i * 7)
    for path, content in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)
        os.utime(full, (FIXED_TIME, FIXED_TIME))  # mcopy -m keeps it: the same seeds each time


def make_seed(path, sectors_per_cluster, work):
    cluster = 512 * sectors_per_cluster
    size_kib = (fsref.MIN_CLUSTERS + 500) * cluster // 1024 + 2048
    image = os.path.join(work, "volume.img")
    if os.path.exists(image):
        os.remove(image)
    subprocess.run([fsref.mkfs_fat(), "-C", "-F", "32", "-S", "512", "-s", str(sectors_per_cluster), "-f", "1",
                    "-R", "8", "-b", "6", "-n", "SEED", "-i", f"{0x4D4B5300 + sectors_per_cluster:08X}", image,
                    str(size_kib)], check=True, capture_output=True)
    source = os.path.join(work, "tree")
    shutil.rmtree(source, ignore_errors=True)
    os.makedirs(source)
    tree(source, cluster)
    fsref.mtool("mcopy", "-s", "-m", "-i", image, *[os.path.join(source, n) for n in sorted(os.listdir(source))],
                "::/")
    ok, output = fsref.fsck(image)
    if not ok:
        raise RuntimeError(f"fsck.fat -n {image}:\n{output}")
    with open(image, "rb") as f:
        head = f.read(MAX_SEED + 1).rstrip(b"\0")
    if len(head) > MAX_SEED:
        raise RuntimeError(f"{path}: the volume's data reach past {MAX_SEED} bytes")
    with open(path, "wb") as f:
        f.write(head)
    return len(head)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    corpus = sys.argv[1]
    os.makedirs(corpus, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mkh-seeds-")
    try:
        for name, spc in [("dense-c512.img", 1), ("dense-c4k.img", 8)]:
            size = make_seed(os.path.join(corpus, name), spc, work)
            print(f"{name}: {size} bytes")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
