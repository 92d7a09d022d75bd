#!/usr/bin/env python3
"""Makes the referee images: FAT32 volumes made by mkfs.fat and filled by mcopy/mdel, one per
cluster size (512 B, 1 KiB, 4 KiB, 32 KiB: -S 512 -s 1, 2, 8, 64), each holding long and
unicode names (accents, CJK, emoji), folders 8 deep, a folder of 300 files, 0-byte files,
files of one cluster and one byte more, a fragmented file, with contents from a seeded
generator. Beside each IMAGE it keeps IMAGE.model/, the host folder the image must read back
as (the exact names and bytes). With --check it verifies the images themselves through
mtools and fsck.fat (a referee that is wrong judges nothing). A script of tests/fs/.

Usage: images.py DIR [--seed S] [--check] [--only NAME]
"""

import argparse
import os
import random
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsref  # noqa: E402

# (image name, sectors per cluster, with the folder of 300 files)
IMAGES = [("c512", 1, True), ("c1k", 2, False), ("c4k", 8, True), ("c32k", 64, False)]

NAMES = [
    "A Long File Name With Mixed Case.txt",
    "Ünïcödé àccents éèêë.txt",
    "日本語のファイル名.txt",
    "中文目录名",
    "emoji 😀 party 🎉.txt",
    "name with  two spaces and.dots.in.it.txt",
    "UPPER.TXT",
    "lower.txt",
    "MiXeD.TxT",
    "+,;=[] are legal in long names.txt",
    "x" * 200 + ".txt",
    "Ελληνικά και кириллица.md",
] + [f"Long Name {n}.txt" for n in range(1, 13)]


def data(seed, path, size):
    """The reproducible bytes of a file: a generator seeded by the run's seed and the path."""
    return random.Random(f"{seed}:{path}").randbytes(size)


def non_bmp(name):
    return any(ord(ch) > 0xFFFF for ch in name)


def placeholder(name):
    """A name of the same UTF-16 length that mcopy can write (mtools drops characters outside
    the BMP): each such character becomes two '~'."""
    return "".join("\u2603\u2603" if ord(ch) > 0xFFFF else ch for ch in name)


def build_model(model, seed, cluster, many):
    """Fills the host folder model with the tree of one image."""

    def put(path, size):
        full = os.path.join(model, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data(seed, path, size))

    put("/README.TXT", 300)
    for index, name in enumerate(NAMES):
        if name.endswith((".txt", ".TXT", ".TxT", ".md")):
            put(f"/names/{name}", 10 + 37 * index)
        else:
            put(f"/names/{name}/inside {name}.txt", 50 + index)
    deep = "/deep"
    for level in range(1, 9):
        deep += f"/Level {level} Folder" if level % 2 else f"d{level}"
        put(f"{deep}/file at level {level}.bin", 100 * level)
    if many:
        for index in range(300):
            put(f"/many/file-{index:03d}.dat", (index * 7919) % 1500)
    sizes = {"zero.bin": 0, "one.bin": 1, "cluster-minus-one.bin": cluster - 1, "cluster.bin": cluster,
             "cluster-plus-one.bin": cluster + 1, "two-clusters.bin": 2 * cluster,
             "three-clusters-and-7.bin": 3 * cluster + 7, "big.bin": max(1 << 20, 40 * cluster) + 123}
    for name, size in sizes.items():
        put(f"/sizes/{name}", size)
    os.makedirs(os.path.join(model, "sizes", "empty folder"), exist_ok=True)
    os.makedirs(os.path.join(model, "frag"), exist_ok=True)
    for name in ("A.bin", "C.bin"):
        put(f"/frag/{name}", 3 * cluster + 100)
    put("/frag/D.bin", 10 * cluster + 200)


def make_image(directory, name, sectors_per_cluster, many, seed):
    image = os.path.join(directory, name + ".img")
    model = image + ".model"
    cluster = 512 * sectors_per_cluster
    for path in (image, model, image + ".upload"):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    build_model(model, seed, cluster, many)
    data_kib = sum(size for _, size in fsref.tree_entries(model) if size) // 1024
    volume = fsref.fresh_image(image, sectors_per_cluster, 2 * data_kib, name.upper())

    # The upload: the model with names mtools cannot write replaced by placeholders, and the
    # fragmented trio copied apart.
    upload = image + ".upload"
    shutil.copytree(model, upload)
    renames = []
    for folder, dirs, files in os.walk(upload, topdown=False):
        for entry in dirs + files:
            if non_bmp(entry):
                os.rename(os.path.join(folder, entry), os.path.join(folder, placeholder(entry)))
                rel = os.path.relpath(os.path.join(folder, entry), upload)
                renames.append("/" + rel)
    shutil.rmtree(os.path.join(upload, "frag"))
    tops = sorted(os.listdir(upload))
    fsref.mtool("mcopy", "-s", "-m", "-i", image, *[os.path.join(upload, t) for t in tops], "::/")
    # The fragmented file: A, B, C in a row, B deleted, then D (FSInfo's next-free hint reset so
    # that mtools allocates from the start) fills B's hole and goes on after C.
    frag = os.path.join(model, "frag")
    fsref.mtool("mmd", "-i", image, "::/frag")
    with open(os.path.join(upload, "B.bin"), "wb") as f:
        f.write(data(seed, "/frag/B.bin", 3 * cluster + 100))
    for piece in ("A.bin", "B.bin", "C.bin"):
        source = os.path.join(upload, piece) if piece == "B.bin" else os.path.join(frag, piece)
        fsref.mtool("mcopy", "-m", "-i", image, source, f"::/frag/{piece}")
    fsref.mtool("mdel", "-i", image, "::/frag/B.bin")
    volume.set_next_free(0xFFFFFFFF)
    fsref.mtool("mcopy", "-m", "-i", image, os.path.join(frag, "D.bin"), "::/frag/D.bin")
    # The names outside the BMP, written over their placeholders (deepest first).
    for path in sorted(renames, key=lambda p: -p.count("/")):
        parent, leaf = path.rsplit("/", 1)
        entry = volume.find(parent + "/" + placeholder(leaf))
        volume.rewrite_long_name(entry, leaf)
    shutil.rmtree(upload)
    return image, model


def check_image(image, model):
    """The image is what its model says, as mtools and fsck.fat see it; D.bin is fragmented."""
    problems = []
    ok, output = fsref.fsck(image)
    if not ok:
        problems.append(f"fsck.fat -n: {output.strip()}")
    extracted = image + ".extract"
    shutil.rmtree(extracted, ignore_errors=True)
    fsref.extract(image, extracted)
    expected = sorted((fsref.mtools_view(p), s) for p, s in fsref.tree_entries(model))
    actual = sorted(fsref.tree_entries(extracted))
    if expected != actual:
        problems.append(fsref.compare_lines([f"{s} {p}" for p, s in expected], [f"{s} {p}" for p, s in actual],
                                            "mtools tree"))
    for path, size in fsref.tree_entries(model):
        if size is not None:
            with open(os.path.join(model, path.lstrip("/")), "rb") as a, \
                 open(os.path.join(extracted, fsref.mtools_view(path).lstrip("/")), "rb") as b:
                if a.read() != b.read():
                    problems.append(f"bytes differ: {path}")
    shutil.rmtree(extracted)
    volume = fsref.Volume(image)
    chain = volume.chain(volume.find("/frag/D.bin")["first_cluster"])
    a_chain = volume.chain(volume.find("/frag/A.bin")["first_cluster"])
    c_chain = volume.chain(volume.find("/frag/C.bin")["first_cluster"])
    gaps = sum(1 for x, y in zip(chain, chain[1:]) if y != x + 1)
    if not (gaps >= 1 and chain[0] == a_chain[-1] + 1 and chain[-1] > c_chain[-1]):
        problems.append(f"D.bin is not fragmented as planned: A {a_chain[0]}-{a_chain[-1]}, "
                        f"C {c_chain[0]}-{c_chain[-1]}, D starts {chain[0]} with {gaps} gaps")
    raw = sorted(volume.name(entry) for entry in volume.entries(volume.find("/names")["first_cluster"])
                 if volume.name(entry) not in (".", "..") and not entry["attributes"] & 0x08)
    if raw != sorted(os.listdir(os.path.join(model, "names"))):
        problems.append("the long names in /names are not the model's (raw directory read)")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--only")
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    failed = False
    for name, sectors, many in IMAGES:
        if args.only and name != args.only:
            continue
        image, model = make_image(args.directory, name, sectors, many, args.seed)
        print(image)
        if args.check:
            for problem in check_image(image, model):
                print(f"images: {name}: {problem}", file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
