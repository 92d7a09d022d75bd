#!/usr/bin/env python3
"""Referee: what `mkh fs` writes, judged by dosfstools and mtools. On a fresh mkfs.fat image
(two cluster sizes: 512 B and 4 KiB), two `script` runs (two boots) make deep folders, put
files of 0, 1, cluster-1, cluster, cluster+1 bytes and several MiB, long and unicode names
(12 "Long Name N.txt" that need ~N aliases), rename across folders and over a file, remove,
truncate, append and write at offsets; the same commands are applied to a host folder. Then
the image must pass `fsck.fat -n`, read back through mcopy as that folder, name for name and
byte for byte, and `df` must count the free clusters as fsck.fat does. Last, the errors: exit
1 with the path and the POSIX name, exit 2 on usage, and the image still clean.
A script of tests/fs/ (ctest fs.writes). MKH_FS_MTOOLS_NAMES=1 leaves out names outside the BMP.

Usage: writes.py MKH [--keep DIR]
"""

import argparse
import os
import random
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsref  # noqa: E402

MTOOLS_NAMES = os.environ.get("MKH_FS_MTOOLS_NAMES") == "1"


def first_boot(model, cluster, rng):
    deep = ""
    for level in range(1, 9):
        deep += f"/Level {level}" if level % 2 else f"/L{level}"
        model.mkdir(deep)
    model.put(deep + "/bottom.txt", b"eight folders down\n")
    for folder in ["/sizes", "/names", "/many", "/Ünïcödé Folder", "/日本語のフォルダ", "/empty"] + \
            ([] if MTOOLS_NAMES else ["/emoji 🎉 folder"]):
        model.mkdir(folder)
    sizes = {"zero.bin": 0, "one.bin": 1, "cluster-minus-one.bin": cluster - 1, "cluster.bin": cluster,
             "cluster-plus-one.bin": cluster + 1, "big.bin": 5 * 1024 * 1024 + 17}
    for name, size in sizes.items():
        model.put(f"/sizes/{name}", rng.randbytes(size))
    for n in range(1, 13):
        model.put(f"/names/Long Name {n}.txt", f"long name {n}\n".encode())
    names = ["A Long File Name With Mixed Case.txt", "UPPER.TXT", "lower.txt", "MiXeD.TxT", "Grüße, 世界.txt",
             "Ελληνικά.md", "+,;=[] legal.txt", "name with  two spaces.and.dots.txt", "y" * 180 + ".txt"]
    if not MTOOLS_NAMES:
        names.append("emoji 😀 party 🎉.txt")
    for name in names:
        model.put(f"/names/{name}", rng.randbytes(rng.randrange(1, 3 * cluster)))
    model.put("/Ünïcödé Folder/fichier été.txt", b"accents\n")
    model.put("/日本語のフォルダ/ファイル.txt", "日本語\n".encode())
    if not MTOOLS_NAMES:
        model.put("/emoji 🎉 folder/🙂.txt", b"smile\n")
    for index in range(60):  # the folder grows past its first cluster
        model.put(f"/many/entry number {index:02d}.dat", rng.randbytes(rng.randrange(0, 700)))


def second_boot(model, cluster, rng):
    model.mv("/sizes/one.bin", "/Level 1/L2/moved one.bin")  # across folders
    model.mv("/names/Long Name 3.txt", "/names/Renamed Three.txt")  # in place
    model.put("/victim.txt", b"replaced by a rename\n")
    model.mv("/sizes/cluster.bin", "/victim.txt")  # over a file
    model.mv("/Level 1/L2/Level 3", "/Moved Level 3")  # a folder with its subtree
    model.rm("/sizes/cluster-minus-one.bin")
    for index in range(0, 60, 3):
        model.rm(f"/many/entry number {index:02d}.dat")
    model.rmdir("/empty")
    model.truncate("/sizes/big.bin", cluster + 5)  # shrink: frees clusters
    model.truncate("/sizes/zero.bin", 3 * cluster + 1)  # grow with zeros
    model.append("/sizes/cluster-plus-one.bin", rng.randbytes(2 * cluster))
    model.write("/victim.txt", cluster - 3, rng.randbytes(7))  # across a cluster boundary
    model.write("/sizes/hole.bin", 5 * cluster + 11, rng.randbytes(100))  # a new file with a hole
    model.write("/names/Long Name 5.txt", 2, b"XY")  # inside
    model.put("/names/Long Name 13.txt", b"thirteen\n")
    model.put("/names/Long Name 7.txt", b"replaced\n")  # put over a file
    model.put("/sizes/big2.bin", rng.randbytes(3 * 1024 * 1024))


def errors(mkh, tally, image, work, label):
    cases = [(["rmdir", "/names"], 1, "/names: ENOTEMPTY"), (["mkdir", "/names"], 1, "/names: EEXIST"),
             (["rm", "/no such file"], 1, "/no such file: ENOENT"), (["cat", "/names"], 1, "/names: EISDIR"),
             (["ls", "/sizes/big.bin/below"], 1, "/sizes/big.bin/below: ENOTDIR"),
             (["mkdir", "/no/such/parent"], 1, "/no/such/parent: ENOENT"), (["frobnicate", "/"], 2, ""),
             (["cat"], 2, "")]
    for args, code, message in cases:
        rc, out, err = mkh.fs(image, *args)
        tally.check(f"{label} {' '.join(args)}: exit {code}",
                    None if rc == code and message in err else f"exit {rc}, stderr {err.strip()!r}")
    script = os.path.join(work, "failing.script")
    with open(script, "w") as f:
        f.write('# the second command fails, the third never runs\nmkdir "/made by script"\n\n'
                'rmdir /names\nmkdir "/never made"\n')
    rc, out, err = mkh.fs(image, "script", script)
    tally.check(f"{label} script stops at its failing line",
                None if rc == 1 and f"{script}:4:" in err and "ENOTEMPTY" in err else
                f"exit {rc}, stderr {err.strip()!r}")
    rc, out, err = mkh.fs(image, "ls", "/")
    lines = out.decode(errors="replace").splitlines()
    tally.check(f"{label} script ran up to its failing line",
                None if "d 0 made by script" in lines and "d 0 never made" not in lines else f"ls / says {lines}")
    rc, out, err = mkh.fs(image, "rmdir", "/made by script")
    ok, output = fsref.fsck(image)
    tally.check(f"{label} fsck.fat -n after the errors", None if ok and rc == 0 else f"rmdir exit {rc}; {output}")


def run(mkh, tally, work, sectors, seed):
    cluster = 512 * sectors
    label = f"c{cluster}"
    image = os.path.join(work, label + ".img")
    fsref.fresh_image(image, sectors, 12 * 1024)
    model = fsref.Model(os.path.join(work, label + ".model"), os.path.join(work, label + ".data"))
    rng = random.Random(seed * 1000 + sectors)
    for number, boot in enumerate((first_boot, second_boot), 1):
        model.lines = []
        boot(model, cluster, rng)
        rc, out, err = mkh.script(image, model.lines, os.path.join(work, f"{label}.boot{number}.script"))
        if not tally.check(f"{label} boot {number}: script of {len(model.lines)} commands",
                           None if rc == 0 else f"exit {rc}: {err.strip()[-400:]}"):
            return
    problems = fsref.judge(image, model.root, work)
    tally.check(f"{label} fsck.fat -n clean, mtools reads the model back", "\n".join(problems))
    rc, out, err = mkh.fs(image, "df")
    expected = f"free_clusters: {fsref.fsck_free_clusters(image)}"
    tally.check(f"{label} df counts the free clusters as fsck.fat",
                None if rc == 0 and expected in out.decode().splitlines() else f"exit {rc}, {out!r}, want {expected}")
    rc, out, err = mkh.fs(image, "tree", "/")
    tally.check(f"{label} tree / is the model's",
                fsref.compare_lines(fsref.tree_lines(model.root), out.decode(errors="replace").splitlines(), "tree"))
    errors(mkh, tally, image, work, label)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mkh")
    parser.add_argument("--keep", help="work in DIR and keep it")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="mkh-writes-")
    os.makedirs(work, exist_ok=True)
    tally = fsref.Tally()
    try:
        for sectors in (1, 8):
            run(fsref.Mkh(args.mkh), tally, work, sectors, args.seed)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
