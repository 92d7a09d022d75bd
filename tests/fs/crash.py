#!/usr/bin/env python3
"""Referee: what a crash between or inside syncs leaves on the disk, judged by fsck.fat.
fatfs.hpp promises that a crash can lose unsynced data and leak clusters, never cross-link
two files or corrupt a directory. A power cut is `mkh fs --disk-write-limit N`: the disk
keeps the first N sectors written and drops the rest, so the image holds what a crash at
that point leaves. One script of writes, with syncs between its phases (files grown past
the write-behind's runs, a directory grown, a cross-folder rename of a file and of a
folder, an exchange of two files' names, unlinks, a truncation, clusters freed and then
allocated again), is run once whole, its writes traced (`--disk-write-trace`), then cut
between every two of its writes and in the middle of every write of several sectors (a
torn write). At every cut:
  - `fsck.fat -n` reports nothing but what a crash may leave: lost clusters, a wrong free
    count, a file longer than its chain (a size written before a truncation's FAT), the
    two FATs differing; never two files sharing clusters, a bad entry, a broken folder;
  - the files the script never touches (made by mcopy) read back through mtools byte for
    byte (a store into a cluster that is still theirs would be a cross-link that fsck.fat
    cannot see), and every folder lists.
Uncut, the image must pass fsck.fat and read back as the script's model.
A script of tests/fs/ (ctest fs.crash).

Usage: crash.py MKH [--sample N] [--seed S] [--cluster-sectors N] [--keep DIR]
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsref  # noqa: E402

# The untouched files (mcopy puts them before mkh runs): name, size.
KEEP = {"k1.bin": 3000, "k2.bin": 70 * 1024, "k3.bin": 1, "k4.bin": 300 * 1024}
# What the script changes, present from the start.
OLD = {"a.bin": 20 * 1024, "b.bin": 5 * 1024, "c.bin": 40 * 1024, "d/x.txt": 100, "d/y.txt": 2000}

# What fsck.fat -n may say about an image cut by a crash. Anything else fails the cut.
BENIGN = [
    r"^fsck\.fat \d",                                      # banner
    r"^\d+ files, \d+/\d+ clusters$",                      # summary
    r"^Checking we can access the last sector",
    r"^Boot sector contents:",
    r"^Free cluster summary wrong \(\d+ vs\. really \d+\)$",  # FSInfo written last
    r"^\s*Auto-correcting\.$",
    r"^\s*Leaving as it is\.$",
    r"^Reclaimed \d+ unused clusters? \(\d+ bytes\)( in \d+ chains?)?\.$",  # leaked clusters
    # A size and a chain from two syncs: the FAT is written before the entry, so a file cut
    # shorter, or grown, by the unsynced work has a chain shorter, or longer, than its size.
    r"^\s*File size is \d+ bytes, cluster chain length is >? ?\d+ bytes\.$",
    r"^\s*Truncating file to \d+ bytes\.$",
    r"^FATs differ but appear to be intact\.$",  # a cut between the two FAT copies
    r"^\s*Using first FAT\.$",
    r"^Leaving filesystem unchanged\.$",
    r"^/",                                                 # the path a "File size" line is about
]
BENIGN_RE = [re.compile(p) for p in BENIGN]


class SparseCopy:
    """An image's data extents (SEEK_DATA/SEEK_HOLE), written again as a sparse copy: each
    cut starts from the base image without copying its tens of MiB of holes."""

    def __init__(self, path):
        self.size = os.path.getsize(path)
        self.extents = []
        with open(path, "rb") as f:
            fd, at = f.fileno(), 0
            while at < self.size:
                try:
                    start = os.lseek(fd, at, os.SEEK_DATA)
                except OSError:  # no data past `at`
                    break
                end = os.lseek(fd, start, os.SEEK_HOLE)
                self.extents.append((start, os.pread(fd, end - start, start)))
                at = end

    def write(self, path):
        with open(path, "wb") as f:
            f.truncate(self.size)
            for start, data in self.extents:
                os.pwrite(f.fileno(), data, start)


def fsck_verdict(image):
    """(None, output) when fsck.fat -n finds only what a crash may leave, else (problem, output)."""
    result = subprocess.run([fsref.fsck_fat(), "-n", image], capture_output=True)
    output = (result.stdout + result.stderr).decode(errors="replace")
    lines = [line for line in output.splitlines() if line.strip()]
    bad = [line for line in lines if not any(p.search(line) for p in BENIGN_RE)]
    if result.returncode not in (0, 1) or bad:
        return f"fsck.fat exit {result.returncode}: {bad[:5]}", output
    return None, output


def base_image(path, rng, work, sectors_per_cluster):
    """A fresh FAT32 image with /keep and /old filled by mcopy; returns the contents put."""
    fsref.fresh_image(path, sectors_per_cluster, data_kib=16 * 1024)
    contents = {}
    for folder, files in (("keep", KEEP), ("old", OLD)):
        for name, size in files.items():
            contents[f"/{folder}/{name}"] = rng.randbytes(size)
    fsref.mtool("mmd", "-i", path, "::/keep", "::/old", "::/old/d")
    for name, data in contents.items():
        host = os.path.join(work, "src.bin")
        with open(host, "wb") as f:
            f.write(data)
        fsref.mtool("mcopy", "-i", path, host, "::" + name)
    return contents


def script_lines(rng, work, model):
    """The crash script's commands (lists of words), applied to model (path -> bytes, folders
    as None) as mkh must end."""
    def host(name, data):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    lines = []

    def put(path, data):
        lines.append(["put", host(f"h{len(lines)}", data), path])
        model[path] = data

    def mv(old, new):
        lines.append(["mv", old, new])
        model.pop(new, None)
        for key in sorted(model):
            if key == old or key.startswith(old + "/"):
                model[new + key[len(old):]] = model.pop(key)

    # Phase 1: new files, one past the write-behind's 1 MiB runs.
    lines.append(["mkdir", "/new"])
    model["/new"] = None
    put("/new/big1.bin", rng.randbytes(3 * 1024 * 1024 + 123))
    put("/new/s1.txt", rng.randbytes(777))
    lines.append(["sync"])
    # Phase 2: unlink, renames across folders, truncate, append, a folder grown past a cluster.
    lines.append(["rm", "/old/a.bin"])
    del model["/old/a.bin"]
    mv("/old/b.bin", "/new/b.bin")
    lines.append(["truncate", "/old/c.bin", "1000"])
    model["/old/c.bin"] = model["/old/c.bin"][:1000]
    extra = rng.randbytes(5000)
    lines.append(["append", "/new/big1.bin", host("append.bin", extra)])
    model["/new/big1.bin"] += extra
    lines.append(["mkdir", "/new/many"])
    model["/new/many"] = None
    for i in range(40):
        put(f"/new/many/A long name for file number {i}.txt", rng.randbytes(rng.randrange(1, 3000)))
    lines.append(["sync"])
    # Phase 3: clusters freed, then others allocated before the sync; a rename in its folder,
    # one over another file, a folder moved, two names exchanged.
    lines.append(["rm", "/new/big1.bin"])
    del model["/new/big1.bin"]
    put("/new/big2.bin", rng.randbytes(2 * 1024 * 1024 + 5))
    mv("/new/many/A long name for file number 3.txt", "/new/many/Renamed in its own folder, a longer name.txt")
    mv("/new/s1.txt", "/new/b.bin")  # replaces the b.bin moved in phase 2
    mv("/new/many", "/old/d/moved")
    lines.append(["exchange", "/old/c.bin", "/new/b.bin"])  # two files of two folders swap
    model["/old/c.bin"], model["/new/b.bin"] = model["/new/b.bin"], model["/old/c.bin"]
    lines.append(["mkdir", "/gone"])
    lines.append(["rmdir", "/gone"])
    put("/old/d/x.txt", rng.randbytes(4000))  # replaces it (put truncates)
    return lines  # the shutdown syncs the rest


def written_bytes(stderr):
    match = re.search(r"ioc0 .* written (\d+) bytes \((\d+) dropped\)", stderr)
    if not match:
        raise RuntimeError(f"no ioc0 line in mkh fs --stats:\n{stderr[-2000:]}")
    return int(match.group(1)), int(match.group(2))


def cut_points(trace, sample):
    """The sector counts to cut after: between every two writes of the trace (lines "FIRST
    SECTORS") and in the middle of each write of several sectors; with sample, that many of
    them, evenly spread (the first and last kept)."""
    cuts, done = {0}, 0
    for line in trace.splitlines():
        sectors = int(line.split()[1])
        if sectors > 1:
            cuts.add(done + sectors // 2)
        done += sectors
        cuts.add(done)
    cuts = sorted(cuts)
    if sample and sample < len(cuts):
        cuts = [cuts[i * (len(cuts) - 1) // (sample - 1)] for i in range(sample)]
    return cuts, done


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mkh")
    parser.add_argument("--sample", type=int, default=0, help="cut at this many points only (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cluster-sectors", type=int, default=1,
                        help="sectors of 512 B a cluster (1: a mapper page holds eight clusters)")
    parser.add_argument("--keep", help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="mkh-crash-")
    os.makedirs(work, exist_ok=True)
    tally = fsref.Tally()
    rng = random.Random(args.seed)
    try:
        base = os.path.join(work, "base.img")
        contents = base_image(base, rng, work, args.cluster_sectors)
        model = dict(contents)
        model.update({"/keep": None, "/old": None, "/old/d": None})
        lines = script_lines(rng, work, model)
        script = os.path.join(work, "crash.script")

        base_copy = SparseCopy(base)

        def run(image, extra):
            """mkh fs --stats EXTRA... script, on a copy of the base image."""
            base_copy.write(image)
            command = fsref.Mkh(args.mkh)
            command.extra += ["--stats", *extra]
            return command.script(image, lines, script)

        # The whole run: clean, the model read back, and its writes traced.
        whole = os.path.join(work, "whole.img")
        trace = os.path.join(work, "writes.trace")
        code, _, err = run(whole, ["--disk-write-trace", trace])
        if not tally.check("whole run", f"exit {code}: {err.strip()[-800:]}" if code != 0 else None):
            return tally.finish()
        ok, output = fsref.fsck(whole)
        tally.check("whole run: fsck.fat -n", None if ok else output)
        extracted = os.path.join(work, "whole.tree")
        fsref.extract(whole, extracted)
        expected = sorted(f"0 {p}/" if d is None else f"{len(d)} {p}" for p, d in model.items())
        tally.check("whole run: the tree", fsref.compare_lines(expected, sorted(fsref.tree_lines(extracted)), "tree"))
        for path, data in model.items():
            if data is not None:
                with open(extracted + path, "rb") as f:
                    if f.read() != data:
                        tally.check(f"whole run: {path}", "other bytes")
        total, dropped = written_bytes(err)
        with open(trace) as f:
            cuts, sectors = cut_points(f.read(), args.sample)
        tally.check("whole run: the trace counts every sector written",
                    None if sectors > 0 and sectors * 512 == total and dropped == 0 else (sectors, total, dropped))
        print(f"{sectors} sectors written by the whole run; {len(cuts)} cuts", flush=True)
        image = os.path.join(work, "cut.img")
        for cut in cuts:
            code, _, err = run(image, ["--disk-write-limit", str(cut)])
            problem = None
            if code not in (0, 1):  # 1: an error the kernel met after the cut (stale reads)
                problem = f"mkh exit {code}: {err.strip()[-800:]}"
            else:
                written, dropped = written_bytes(err)
                if written - dropped > cut * 512:
                    problem = f"kept {written - dropped} bytes past the limit of {cut} sectors"
            if problem is None:
                problem, output = fsck_verdict(image)
                if problem:
                    problem += "\n" + output
            if problem is None:
                listing = fsref.mtool("mdir", "-/", "-b", "-i", image, "::/", check=False)
                if listing.returncode != 0:
                    problem = f"mdir -/: {listing.stderr.decode(errors='replace').strip()}"
            if problem is None:
                for name in KEEP:
                    path = f"/keep/{name}"
                    copy = os.path.join(work, "keep.bin")
                    fsref.mtool("mcopy", "-n", "-i", image, "::" + path, copy, check=False)
                    got = open(copy, "rb").read() if os.path.exists(copy) else b""
                    if os.path.exists(copy):
                        os.remove(copy)
                    if got != contents[path]:
                        problem = f"{path}: {len(got)} bytes, not the {len(contents[path])} mcopy put"
                        break
            tally.check(f"cut after {cut} of {sectors} sectors", problem)
            if problem and args.keep:
                shutil.copyfile(image, os.path.join(work, f"failed-{cut}.img"))
        return tally.finish()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
