#!/usr/bin/env python3
"""Referee: damaged volumes. Each image below — a sound FAT32 volume with one defect patched in
(offsets computed from its boot sector), or no FAT32 volume at all — must make `mkh fs`
exit 1 with a message: never 0, never a signal (exit >= 128), never a hang (a timeout), and
the image's bytes must be the same afterwards (mkh mounts, reads, syncs: nothing to write).
A broken long-name checksum may instead list the file by its short name. With --corpus DIR
it also writes a seed corpus for the FAT32 fuzzer: the first 64 KiB of each image, trailing
zeros cut (the harness pads an input with zeros to the size its boot sector gives).
A script of tests/fs/ (ctest fs.badimages).

Usage: badimages.py MKH [--keep DIR] [--corpus DIR]
"""

import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsref  # noqa: E402

TIMEOUT = 60
CORPUS_SLICE = 64 * 1024


def base_image(path, fat_bits=32):
    """A small sound volume: /hello.txt (3 clusters), /dir/inner.txt, /A long name.txt."""
    if fat_bits == 32:
        volume = fsref.fresh_image(path, 1)
    else:
        subprocess.run([fsref.mkfs_fat(), "-C", "-F", str(fat_bits), "-i", "4D4B0016", path, "16384"], check=True,
                       capture_output=True)
        volume = None
    source = path + ".files"
    os.makedirs(os.path.join(source, "dir"), exist_ok=True)
    with open(os.path.join(source, "hello.txt"), "wb") as f:
        f.write(b"hello, damaged world\n" * 60)
    with open(os.path.join(source, "dir", "inner.txt"), "wb") as f:
        f.write(b"inside\n")
    with open(os.path.join(source, "A long name.txt"), "wb") as f:
        f.write(b"a long name\n")
    fsref.mtool("mcopy", "-s", "-m", "-i", path, *[os.path.join(source, n) for n in sorted(os.listdir(source))], "::/")
    shutil.rmtree(source)
    return volume


def damage(kind, path, work):
    """Makes the image of one kind of damage at path; returns the mkh fs command to run and
    whether a listing by short name (exit 0) is also accepted."""
    if kind == "empty-file":
        open(path, "wb").close()
        return ["tree", "/"], False
    if kind == "fat16":
        base_image(path, 16)
        return ["tree", "/"], False
    if kind == "too-few-clusters":  # FAT32 made on 16 MiB: far fewer than 65525 clusters
        subprocess.run([fsref.mkfs_fat(), "-C", "-F", "32", "-i", "4D4B0032", path, "16384"], check=True,
                       capture_output=True)
        return ["tree", "/"], False
    v = base_image(path)
    hello = v.find("/hello.txt")
    if kind == "bad-boot-signature":
        v.patch(510, b"\x00\x00")
    elif kind == "bytes-per-sector-1000":
        v.patch(11, struct.pack("<H", 1000))
    elif kind == "sectors-per-cluster-3":
        v.patch(13, bytes([3]))
    elif kind == "no-fat":
        v.patch(16, bytes([0]))
    elif kind == "root-cluster-out-of-range":
        v.patch(44, struct.pack("<I", v.max_cluster + 100))
    elif kind == "truncated-image":
        os.truncate(path, v.data_offset + 8 * v.cluster_size)
    elif kind == "file-chain-loops":
        v.set_fat_entry(hello["first_cluster"], hello["first_cluster"])
        return ["cat", "/hello.txt"], False
    elif kind == "file-chain-leaves-volume":
        v.set_fat_entry(hello["first_cluster"] + 1, v.max_cluster + 7)
        return ["cat", "/hello.txt"], False
    elif kind == "root-chain-loops":
        v.set_fat_entry(v.root_cluster, v.root_cluster)
    elif kind == "dir-chain-leaves-volume":
        v.set_fat_entry(v.find("/dir")["first_cluster"], v.max_cluster + 1)
    elif kind == "size-past-chain":
        chain = v.chain(hello["first_cluster"])
        v.patch(hello["offset"] + 28, struct.pack("<I", (len(chain) + 4) * v.cluster_size))
        return ["cat", "/hello.txt"], False
    elif kind == "dir-holds-itself":  # /dir's "." entry renamed: a subfolder of /dir that is /dir
        v.patch(v.cluster_offset(v.find("/dir")["first_cluster"]) + 6, b".")
    elif kind == "dir-holds-its-parent":  # /dir/sub's ".." renamed: a subfolder of /dir/sub that is /dir
        fsref.mtool("mmd", "-i", path, "::/dir/sub")
        v = fsref.Volume(path)
        v.patch(v.cluster_offset(v.find("/dir/sub")["first_cluster"]) + 32 + 6, b".")
    elif kind == "broken-lfn-checksum":
        entry = v.find("/A long name.txt")
        for offset in entry["lfn_offsets"]:
            v.patch(offset + 13, bytes([v.read(offset + 13, 1)[0] ^ 0x5A]))
        return ["tree", "/"], True
    else:
        raise ValueError(kind)
    return ["tree", "/"], False


KINDS = ["empty-file", "bad-boot-signature", "bytes-per-sector-1000", "sectors-per-cluster-3", "no-fat", "fat16",
         "too-few-clusters", "root-cluster-out-of-range", "truncated-image", "file-chain-loops",
         "file-chain-leaves-volume", "root-chain-loops", "dir-chain-leaves-volume", "size-past-chain",
         "dir-holds-itself", "dir-holds-its-parent", "broken-lfn-checksum"]


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def judge(kind, rc, out, err, short_name_ok):
    if rc == 124:
        return f"hung: no answer in {TIMEOUT} s"
    if rc >= 128 or rc < 0:
        return f"killed by a signal (exit {rc}): {err.strip()[-300:]}"
    if rc == 1:
        return None if err.strip().startswith("mkh: fs:") else f"exit 1 without a `mkh: fs:` message: {err!r}"
    if rc == 0 and short_name_ok:
        lines = out.decode(errors="replace").splitlines()
        named = [line for line in lines if line.upper().endswith("/ALONGN~1.TXT")]
        if named and not any(line.endswith("/A long name.txt") for line in lines):
            return None
        return f"exit 0 but the file is not listed by its short name alone: {lines}"
    return f"exit {rc}: {err.strip()[-300:]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mkh")
    parser.add_argument("--keep", help="work in DIR and keep it")
    parser.add_argument("--corpus", help="write the fuzzer's seed corpus into DIR")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="mkh-badimages-")
    os.makedirs(work, exist_ok=True)
    tally = fsref.Tally()
    mkh = fsref.Mkh(args.mkh, timeout=TIMEOUT)
    try:
        sound = os.path.join(work, "sound.img")
        base_image(sound)
        rc, out, err = mkh.fs(sound, "cat", "/hello.txt")
        tally.check("sound base image reads (the damage below is the only difference)",
                    None if rc == 0 and out == b"hello, damaged world\n" * 60 else f"exit {rc}: {err.strip()}")
        images = [("sound", sound)]
        for kind in KINDS:
            path = os.path.join(work, kind + ".img")
            command, short_name_ok = damage(kind, path, work)
            images.append((kind, path))
            before = digest(path)
            rc, out, err = mkh.fs(path, *command)
            problem = judge(kind, rc, out, err, short_name_ok)
            if not problem and digest(path) != before:
                problem = "the image was written"
            tally.check(f"{kind}: {' '.join(command)} refused{' (or short name)' if short_name_ok else ''}", problem)
        if args.corpus:
            os.makedirs(args.corpus, exist_ok=True)
            for kind, path in images:
                with open(path, "rb") as f:
                    head = f.read(CORPUS_SLICE).rstrip(b"\0")
                with open(os.path.join(args.corpus, kind + ".img"), "wb") as f:
                    f.write(head)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
