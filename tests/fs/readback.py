#!/usr/bin/env python3
"""Referee: images made by mkfs.fat + mcopy (images.py, checked through mtools first) read back
through `mkh fs` exactly: `tree /` equals the image's model, every file fetched by `get` (one
`script` run per image) equals the model byte for byte, and `ls`, `cat`, `stat`, `df` say
what the model, the boot sector and fsck.fat say; afterwards the image still passes
`fsck.fat -n`. A script of tests/fs/ (ctest fs.readback).

Usage: readback.py MKH [--keep DIR] [--seed S] [--only NAME]
"""

import argparse
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsref  # noqa: E402
import images  # noqa: E402


def text(stdout):
    return stdout.decode("utf-8", errors="replace").splitlines()


def failed(rc, err, what):
    if rc != 0:
        return f"{what} exited {rc}: {err.strip()[-400:]}"
    return None


def readback(mkh, tally, image, model, work):
    name = os.path.basename(image)
    rc, out, err = mkh.fs(image, "tree", "/")
    tally.check(f"{name} tree /", failed(rc, err, "tree /") or
                fsref.compare_lines(fsref.tree_lines(model), text(out), "tree /"))

    files = [path for path, size in fsref.tree_entries(model) if size is not None]
    got = os.path.join(work, name + ".got")
    os.makedirs(got, exist_ok=True)
    lines = [["get", path, os.path.join(got, f"{index}.bin")] for index, path in enumerate(files)]
    rc, out, err = mkh.script(image, lines, os.path.join(work, name + ".get.script"))
    problem = failed(rc, err, "script of gets")
    if not problem:
        differ = []
        for index, path in enumerate(files):
            with open(os.path.join(model, path.lstrip("/")), "rb") as a:
                expected = a.read()
            target = os.path.join(got, f"{index}.bin")
            actual = open(target, "rb").read() if os.path.exists(target) else None
            if actual != expected:
                differ.append(f"{path} ({'missing' if actual is None else f'{len(actual)} bytes'}, "
                              f"expected {len(expected)})")
        problem = f"{len(differ)} of {len(files)} files differ: {differ[:5]}" if differ else None
    tally.check(f"{name} get every file ({len(files)}) byte for byte", problem)
    shutil.rmtree(got)

    for folder in ("/", "/names", "/sizes"):
        host = os.path.join(model, folder.lstrip("/"))
        expected = []
        for entry in sorted(os.listdir(host), key=lambda n: n.encode()):
            full = os.path.join(host, entry)
            expected.append(f"d 0 {entry}" if os.path.isdir(full) else f"- {os.path.getsize(full)} {entry}")
        rc, out, err = mkh.fs(image, "ls", folder)
        tally.check(f"{name} ls {folder}", failed(rc, err, "ls") or fsref.compare_lines(expected, text(out), "ls"))
    size = os.path.getsize(os.path.join(model, "sizes/cluster-plus-one.bin"))
    rc, out, err = mkh.fs(image, "ls", "/sizes/cluster-plus-one.bin")
    tally.check(f"{name} ls FILE", failed(rc, err, "ls FILE") or
                fsref.compare_lines([f"- {size} /sizes/cluster-plus-one.bin"], text(out), "ls FILE"))

    rc, out, err = mkh.fs(image, "cat", "/README.TXT")
    expected = open(os.path.join(model, "README.TXT"), "rb").read()
    tally.check(f"{name} cat", failed(rc, err, "cat") or (None if out == expected else "cat's bytes differ"))

    rc, out, err = mkh.fs(image, "stat", "/sizes/cluster.bin")
    stat = text(out)
    cluster = fsref.Volume(image).cluster_size
    tally.check(f"{name} stat file", failed(rc, err, "stat") or
                (None if "type: file" in stat and f"size: {cluster}" in stat else f"stat says {stat}"))
    rc, out, err = mkh.fs(image, "stat", "/deep")
    tally.check(f"{name} stat directory", failed(rc, err, "stat") or
                (None if "type: directory" in text(out) else f"stat says {text(out)}"))

    volume = fsref.Volume(image)
    expected = [f"cluster_size: {volume.cluster_size}", f"clusters: {volume.clusters}",
                f"free_clusters: {fsref.fsck_free_clusters(image)}"]
    rc, out, err = mkh.fs(image, "df")
    missing = [line for line in expected if line not in text(out)]
    tally.check(f"{name} df", failed(rc, err, "df") or (f"df lacks {missing}: {text(out)}" if missing else None))

    for path in ("/no such file", "/names/nope/deeper"):
        rc, out, err = mkh.fs(image, "cat", path)
        tally.check(f"{name} cat {path}: exit 1, ENOENT",
                    None if rc == 1 and f"{path}: ENOENT" in err else f"exit {rc}, stderr {err.strip()!r}")

    ok, output = fsref.fsck(image)
    tally.check(f"{name} fsck.fat -n after reading", None if ok else output.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mkh")
    parser.add_argument("--keep", help="make the images in DIR and keep them")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--only", help="only the image NAME (c512, c1k, c4k, c32k)")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="mkh-readback-")
    os.makedirs(work, exist_ok=True)
    tally = fsref.Tally()
    mkh = fsref.Mkh(args.mkh)
    try:
        for name, sectors, many in images.IMAGES:
            if args.only and name != args.only:
                continue
            image, model = images.make_image(work, name, sectors, many, args.seed)
            problems = images.check_image(image, model)
            if not tally.check(f"{name} image made by mkfs.fat + mcopy is its model", "; ".join(problems)):
                continue
            readback(mkh, tally, image, model, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
