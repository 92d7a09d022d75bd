#!/usr/bin/env python3
"""Referee: a randomized differential test of `mkh fs`. A generator seeded by --seed draws
--ops operations, each valid on the current state (create, put over a file, write at an
offset, append, truncate, mkdir, rename of files and folders across folders and over a file,
unlink, rmdir of an empty folder), applies them to a host folder and writes them as one
`mkh fs script`, run on a fresh image in one boot. Then the image must pass `fsck.fat -n`
and read back through mtools as the host folder, name for name and byte for byte. A failure
prints the seed and the command that replays it, and keeps the script, the image and the
model in a folder it names. A script of tests/fs/ (ctest fs.differential.*).

Usage: differential.py MKH --seed S --ops N [--sectors-per-cluster K] [--mtools-names] [--keep DIR]
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

WORDS = ["alpha", "Beta", "GAMMA", "delta", "notes", "Report", "data", "x", "a.b", "read me", "v1.2.3", "tmp",
         "Long Name", "résumé", "Ærøskøbing", "naïve café", "日本", "文件", "Ελλάδα", "Москва", "+plus", "semi;colon",
         "[brackets]", "equal=sign", "comma,here", "UPPER", "MiXeD"]
EMOJI = ["😀", "🎉", "🙂", "🚀"]
EXTENSIONS = ["", ".txt", ".TXT", ".dat", ".c", ".tar.gz", ".longextension", ".md"]
MAX_DEPTH = 6


class Generator:
    """Draws operations valid on the model's state and applies them to the model."""

    def __init__(self, model, rng, cluster, mtools_names, budget):
        self.model, self.rng, self.cluster, self.mtools_names = model, rng, cluster, mtools_names
        self.dirs = {"/"}
        self.files = {}  # path -> size
        self.budget = budget  # bytes the files may hold in all

    def children(self, folder):
        prefix = folder.rstrip("/") + "/"
        return [p for p in list(self.dirs) + list(self.files)
                if p != "/" and p.startswith(prefix) and "/" not in p[len(prefix):]]

    def new_name(self, folder):
        """A name not yet in folder, neither exactly nor ignoring case, nor as mtools shows it;
        None when none was drawn that fits (a folder whose path is already near the limit)."""
        taken = {fsref.mtools_view(p.rsplit("/", 1)[1]).upper() for p in self.children(folder)}
        for _ in range(200):
            r = self.rng.random()
            if r < 0.1:
                name = f"Long Name {self.rng.randrange(1, 15)}.txt"
            elif r < 0.15 and not self.mtools_names:
                name = "".join(self.rng.choice("abcdefghij") for _ in range(self.rng.randrange(60, 120)))
            else:
                words = [w for w in WORDS if not (self.mtools_names and "[" in w)]  # mtools globs [...]
                parts = [self.rng.choice(words) for _ in range(self.rng.randrange(1, 4))]
                if not self.mtools_names and self.rng.random() < 0.1:
                    parts.insert(self.rng.randrange(len(parts) + 1), self.rng.choice(EMOJI))
                name = " ".join(parts) + self.rng.choice(EXTENSIONS)
                if self.rng.random() < 0.3:
                    name = f"{name[:20]}{self.rng.randrange(1000)}"
            name = name.strip(" .")
            path = folder.rstrip("/") + "/" + name
            if self.mtools_names and not name.isascii() and len(name) <= 12:
                continue  # mtools stores it as a bare 8.3 name, which it reads back with another case
            if name and fsref.mtools_view(name).upper() not in taken and len(path.encode()) < 230:
                return path
        return None

    def depth(self, path):
        return path.count("/")

    def content(self, size):
        return self.rng.randbytes(size)

    def size(self):
        r = self.rng.random()
        if r < 0.1:
            return 0
        if r < 0.5:
            return self.rng.randrange(1, self.cluster + 2)
        if r < 0.9:
            return self.rng.randrange(self.cluster, 6 * self.cluster)
        return self.rng.randrange(1, 256 * 1024)

    def used(self):
        return sum(self.files.values())

    def step(self):
        ops = ["create", "create", "write", "write", "append", "truncate", "mkdir", "rename_file", "rename_dir",
               "unlink", "rmdir", "put_over"]
        while True:
            op = self.rng.choice(ops)
            if getattr(self, "op_" + op)():
                return

    def some_dir(self, max_depth=MAX_DEPTH):
        choices = [d for d in self.dirs if self.depth(d) < max_depth or d == "/"]
        return self.rng.choice(sorted(choices))

    def some_file(self):
        return self.rng.choice(sorted(self.files)) if self.files else None

    def op_create(self):
        size = self.size()
        if self.used() + size > self.budget:
            return False
        path = self.new_name(self.some_dir())
        if path is None:
            return False
        self.model.put(path, self.content(size))
        self.files[path] = size
        return True

    def op_put_over(self):
        path, size = self.some_file(), self.size()
        if not path or self.used() - self.files[path] + size > self.budget:
            return False
        self.model.put(path, self.content(size))
        self.files[path] = size
        return True

    def op_write(self):
        path = self.some_file() if self.rng.random() < 0.8 else None
        if path is None:
            path = self.new_name(self.some_dir())
            if path is None:
                return False
        old = self.files.get(path, 0)
        offset = self.rng.randrange(0, old + 2 * self.cluster + 1)
        if self.rng.random() < 0.3:  # at or around a cluster boundary
            offset = max(0, (offset // self.cluster) * self.cluster + self.rng.choice([-1, 0, 1]))
        length = self.rng.randrange(1, 3 * self.cluster)
        new = max(old, offset + length)
        if self.used() - old + new > self.budget:
            return False
        self.model.write(path, offset, self.content(length))
        self.files[path] = new
        return True

    def op_append(self):
        path = self.some_file()
        length = self.rng.randrange(1, 3 * self.cluster)
        if not path or self.used() + length > self.budget:
            return False
        self.model.append(path, self.content(length))
        self.files[path] += length
        return True

    def op_truncate(self):
        path = self.some_file()
        if not path:
            return False
        old = self.files[path]
        size = self.rng.randrange(0, old + 1) if self.rng.random() < 0.6 else old + self.rng.randrange(1, 4 * self.cluster)
        if self.used() - old + size > self.budget:
            return False
        self.model.truncate(path, size)
        self.files[path] = size
        return True

    def op_mkdir(self):
        if len(self.dirs) > 60:
            return False
        path = self.new_name(self.some_dir(MAX_DEPTH - 1))
        if path is None:
            return False
        self.model.mkdir(path)
        self.dirs.add(path)
        return True

    def op_rename_file(self):
        path = self.some_file()
        if not path:
            return False
        others = [f for f in self.files if f != path]
        if others and self.rng.random() < 0.25:
            target = self.rng.choice(sorted(others))  # over an existing file
            del self.files[target]
        else:
            target = self.new_name(self.some_dir())
            if target is None:
                return False
        self.model.mv(path, target)
        self.files[target] = self.files.pop(path)
        return True

    def op_rename_dir(self):
        movable = sorted(d for d in self.dirs if d != "/")
        if not movable:
            return False
        path = self.rng.choice(movable)
        height = max(self.depth(p) for p in list(self.dirs) + list(self.files)
                     if p == path or p.startswith(path + "/")) - self.depth(path)
        parents = [d for d in self.dirs if d != path and not d.startswith(path + "/")
                   and self.depth(d) + 1 + height <= MAX_DEPTH]
        if not parents:
            return False
        target = self.new_name(self.rng.choice(sorted(parents)))
        if target is None or any(len((target + p[len(path):]).encode()) >= 240 for p in list(self.files) + list(self.dirs)
               if p.startswith(path + "/")):
            return False
        self.model.mv(path, target)

        def moved(p):
            return target + p[len(path):] if p == path or p.startswith(path + "/") else p

        self.dirs = {moved(d) for d in self.dirs}
        self.files = {moved(f): s for f, s in self.files.items()}
        return True

    def op_unlink(self):
        path = self.some_file()
        if not path:
            return False
        self.model.rm(path)
        del self.files[path]
        return True

    def op_rmdir(self):
        empty = sorted(d for d in self.dirs if d != "/" and not self.children(d))
        if not empty:
            return False
        path = self.rng.choice(empty)
        self.model.rmdir(path)
        self.dirs.remove(path)
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mkh")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--ops", type=int, required=True)
    parser.add_argument("--sectors-per-cluster", type=int, help="default: 1, 2, 8 or 64 by the seed")
    parser.add_argument("--mtools-names", action="store_true", default=os.environ.get("MKH_FS_MTOOLS_NAMES") == "1",
                        help="only names the mtools stand-in can handle: none outside the BMP, of 60+ "
                        "characters, with [ ], or short with non-ASCII letters")
    parser.add_argument("--keep", help="work in DIR and keep it")
    args = parser.parse_args()
    sectors = args.sectors_per_cluster or [1, 2, 8, 64][args.seed % 4]
    cluster = 512 * sectors
    work = args.keep or tempfile.mkdtemp(prefix=f"mkh-differential-{args.seed}-")
    os.makedirs(work, exist_ok=True)
    replay = (f"python3 {os.path.relpath(os.path.abspath(__file__))} {args.mkh} --seed {args.seed} --ops {args.ops}" +
              (f" --sectors-per-cluster {sectors}" if args.sectors_per_cluster else "") +
              (" --mtools-names" if args.mtools_names else ""))

    budget = 24 * 1024 * 1024
    image = os.path.join(work, "volume.img")
    fsref.fresh_image(image, sectors, budget // 1024 * 2)
    model = fsref.Model(os.path.join(work, "model"), os.path.join(work, "data"))
    generator = Generator(model, random.Random(args.seed), cluster, args.mtools_names, budget)
    for _ in range(args.ops):
        generator.step()
    script = os.path.join(work, "ops.script")
    rc, out, err = fsref.Mkh(args.mkh, timeout=300).script(image, model.lines, script)
    problems = [] if rc == 0 else [f"mkh fs script exited {rc}: {err.strip()[-800:]}"]
    if rc == 0:
        problems = fsref.judge(image, model.root, work)
    summary = (f"seed {args.seed}, {args.ops} operations, {cluster}-byte clusters: {len(generator.files)} files, "
               f"{len(generator.dirs) - 1} folders, {generator.used()} bytes")
    if problems:
        print(f"FAIL differential {summary}")
        for problem in problems:
            print(problem)
        print(f"replay: {replay}\nkept: {work} (ops.script, volume.img, model/)")
        return 1
    print(f"ok   differential {summary}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
