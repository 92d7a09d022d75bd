#!/usr/bin/env python3
"""A stand-in for `mkh fs`, made of mtools (writes) and fsref's FAT32 reader (reads): the same
command line, outputs, errors and exit codes as the contract of `mkh fs`, so the referee
scripts of tests/fs/ can be checked against something else than mkh (a referee that passes a
wrong answer, or fails a right one, judges nothing). Not a test: run a referee with it, as
`bash tests/fs/readback.sh tests/fs/standin.py`. Names outside the BMP cannot be written
(mtools drops them): the scripts that write skip them with MKH_FS_MTOOLS_NAMES=1.

Usage: standin.py fs [--disk IMAGE] [--topology T] [--bank-mib N] COMMAND ARGS...
"""

import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsref  # noqa: E402

ERRNO = {"ENOENT": "No such file or directory", "ENOTDIR": "Not a directory", "EISDIR": "Is a directory",
         "EEXIST": "File exists", "ENOTEMPTY": "Directory not empty", "EIO": "Input/output error",
         "EINVAL": "Invalid argument", "ENAMETOOLONG": "File name too long"}
PATH_MAX = 4096  # tree goes no deeper, as mkh fs (a damaged volume may hold a folder in itself)


# MKH_STANDIN_FAULT=flip-byte|drop-entry|leak-cluster makes the stand-in wrong on purpose, to
# see that each referee fails then.
FAULT = os.environ.get("MKH_STANDIN_FAULT", "")


class FsError(Exception):
    def __init__(self, path, errno):
        super().__init__(f"{path}: {errno} ({ERRNO[errno]})")


class UsageError(Exception):
    pass


def split_line(line):
    """One script line into arguments: blanks separate them, double quotes group, with \\" and
    \\\\ inside quotes."""
    args, current, quoted, index, started = [], "", False, 0, False
    while index < len(line):
        ch = line[index]
        if quoted:
            if ch == "\\" and index + 1 < len(line) and line[index + 1] in "\"\\":
                current += line[index + 1]
                index += 1
            elif ch == '"':
                quoted = False
            else:
                current += ch
        elif ch == '"':
            quoted, started = True, True
        elif ch in " \t":
            if started:
                args.append(current)
            current, started = "", False
        else:
            current += ch
            started = True
        index += 1
    if quoted:
        raise UsageError("unterminated quote")
    if started:
        args.append(current)
    return args


class Machine:
    def __init__(self, image):
        self.image = image
        try:
            self.volume = fsref.Volume(image)
            v = self.volume
            ok = v.bytes_per_sector in (512, 1024, 2048, 4096) and v.fat_sectors > 0 and v.clusters >= 65525 and \
                v.sectors_per_cluster in (1, 2, 4, 8, 16, 32, 64, 128) and v.fats > 0 and \
                v.read(510, 2) == b"\x55\xaa" and 2 <= v.root_cluster <= v.max_cluster and \
                os.path.getsize(image) >= v.total_sectors * v.bytes_per_sector
        except Exception:
            ok = False
        if not ok:
            raise FsError(image, "EINVAL")

    def entry(self, path):
        if path == "/":
            return dict(attributes=0x10, first_cluster=self.volume.root_cluster, size=0)
        entry = dict(attributes=0x10, first_cluster=self.volume.root_cluster, size=0)
        for part in [p for p in path.split("/") if p]:
            if not entry["attributes"] & 0x10:
                raise FsError(path, "ENOTDIR")
            matches = [e for e in self.volume.entries(entry["first_cluster"]) if self.volume.name(e) == part]
            if not matches:
                raise FsError(path, "ENOENT")
            if matches[0]["attributes"] & 0x10 and matches[0]["first_cluster"] == entry["first_cluster"]:
                raise FsError(path, "EIO")  # a folder that lists itself (a damaged "." entry)
            entry = matches[0]
        return entry

    def children(self, path, entry=None):
        entry = entry or self.entry(path)
        if not entry["attributes"] & 0x10:
            raise FsError(path, "ENOTDIR")
        try:
            self.volume.chain(entry["first_cluster"], strict=True)
        except ValueError:
            raise FsError(path, "EIO") from None
        found = [e for e in self.volume.entries(entry["first_cluster"])
                 if self.volume.name(e) not in (".", "..") and not e["attributes"] & 0x08]
        return found[1:] if FAULT == "drop-entry" and len(found) > 5 else found

    def read(self, path):
        entry = self.entry(path)
        if entry["attributes"] & 0x10:
            raise FsError(path, "EISDIR")
        out = bytearray()
        try:
            chain = self.volume.chain(entry["first_cluster"], strict=True)
        except ValueError:
            raise FsError(path, "EIO") from None
        if len(chain) * self.volume.cluster_size < entry["size"]:
            raise FsError(path, "EIO")
        for cluster in chain:
            out += self.volume.read(self.volume.cluster_offset(cluster), self.volume.cluster_size)
        data = bytes(out[:entry["size"]])
        if FAULT == "flip-byte" and len(data) > 1000:  # a wrong byte, for the referees' self-check
            data = data[:1000] + bytes([data[1000] ^ 1]) + data[1001:]
        return data

    def exists(self, path):
        try:
            self.entry(path)
            return True
        except FsError:
            return False

    def mtools(self, tool, *args, path):
        result = fsref.mtool(tool, "-i", self.image, *args, check=False)
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace")
            raise FsError(path, "ENOTEMPTY" if "not empty" in message else "EIO")

    def store(self, path, data):
        if self.exists(path) and self.entry(path)["attributes"] & 0x10:
            raise FsError(path, "EISDIR")
        parent = path.rsplit("/", 1)[0] or "/"
        self.children(parent)
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            self.mtools("mcopy", "-D", "o", f.name, "::" + path, path=path)
        if FAULT == "leak-cluster":  # a cluster marked used that no file holds
            volume = fsref.Volume(self.image)
            free = next(c for c in range(volume.max_cluster, 2, -1) if volume.fat_entry(c) == 0)
            volume.set_fat_entry(free, 0x0FFFFFFF)

    def move(self, old, new):
        """mv by copies (mtools' mmove asserts on some long-name layouts): a file is stored
        under its new name then deleted, a folder made anew, its children moved, then removed."""
        if self.entry(old)["attributes"] & 0x10:
            self.mtools("mmd", "::" + new, path=new)
            self.volume = fsref.Volume(self.image)
            for child in self.children(old):
                name = self.volume.name(child)
                self.move(old.rstrip("/") + "/" + name, new + "/" + name)
            self.mtools("mrd", "::" + old, path=old)
        else:
            self.store(new, self.read(old))
            self.mtools("mdel", "::" + old, path=old)

    def tree(self, path, out):
        pending = [(path, self.entry(path))]
        while pending:
            folder, folder_entry = pending.pop()
            for entry in self.children(folder, folder_entry):
                full = (folder.rstrip("/") + "/" + self.volume.name(entry))
                if entry["attributes"] & 0x10:
                    if entry["first_cluster"] == folder_entry["first_cluster"]:
                        raise FsError(full, "EIO")
                    if len(full.encode()) >= PATH_MAX:
                        raise FsError(full[:80] + "...", "ENAMETOOLONG")
                    out.append((full, f"0 {full}/"))
                    pending.append((full, entry))
                else:
                    out.append((full, f"{entry['size']} {full}"))

    def run(self, args):
        if not args:
            raise UsageError("no command")
        command, args = args[0], args[1:]
        arity = {"ls": 1, "cat": 1, "get": 2, "put": 2, "mkdir": 1, "rmdir": 1, "rm": 1, "mv": 2, "stat": 1, "df": 0,
                 "write": 3, "append": 2, "truncate": 2}
        if command == "tree" and len(args) <= 1:
            out = []
            self.tree(args[0] if args else "/", out)
            out.sort(key=lambda pair: pair[0].encode())
            sys.stdout.write("".join(line + "\n" for _, line in out))
            return
        if arity.get(command) != len(args):
            raise UsageError(f"{command}: wrong arguments")
        if command == "ls":
            entry = self.entry(args[0])
            if not entry["attributes"] & 0x10:
                print(f"- {entry['size']} {args[0]}")
                return
            for e in sorted(self.children(args[0]), key=lambda e: self.volume.name(e).encode()):
                kind = "d 0" if e["attributes"] & 0x10 else f"- {e['size']}"
                print(f"{kind} {self.volume.name(e)}")
        elif command == "cat":
            sys.stdout.flush()
            sys.stdout.buffer.write(self.read(args[0]))
            sys.stdout.flush()
        elif command == "get":
            data = self.read(args[0])
            with open(args[1], "wb") as f:
                f.write(data)
        elif command == "put":
            with open(args[0], "rb") as f:
                self.store(args[1], f.read())
        elif command == "mkdir":
            if self.exists(args[0]):
                raise FsError(args[0], "EEXIST")
            try:
                self.children(args[0].rsplit("/", 1)[0] or "/")
            except FsError as error:
                raise FsError(args[0], "ENOENT") from error
            self.mtools("mmd", "::" + args[0], path=args[0])
        elif command == "rmdir":
            if self.children(args[0]):
                raise FsError(args[0], "ENOTEMPTY")
            self.mtools("mrd", "::" + args[0], path=args[0])
        elif command == "rm":
            if self.entry(args[0])["attributes"] & 0x10:
                raise FsError(args[0], "EISDIR")
            self.mtools("mdel", "::" + args[0], path=args[0])
        elif command == "mv":
            self.entry(args[0])
            if self.exists(args[1]):
                if self.entry(args[1])["attributes"] & 0x10:
                    raise FsError(args[1], "EISDIR")
                self.mtools("mdel", "::" + args[1], path=args[1])
            self.move(args[0], args[1])
        elif command == "stat":
            entry = self.entry(args[0])
            kind = "directory" if entry["attributes"] & 0x10 else "file"
            print(f"type: {kind}\nsize: {0 if kind == 'directory' else entry['size']}")
        elif command == "df":
            print(f"cluster_size: {self.volume.cluster_size}\nclusters: {self.volume.clusters}\n"
                  f"free_clusters: {fsref.fsck_free_clusters(self.image)}")
        elif command in ("write", "append", "truncate"):
            path = args[0]
            data = bytearray(self.read(path)) if self.exists(path) else bytearray()
            if command == "truncate":
                size = int(args[1])
                data = data[:size] + bytes(max(0, size - len(data)))
            else:
                with open(args[-1], "rb") as f:
                    piece = f.read()
                offset = len(data) if command == "append" else int(args[1])
                data += bytes(max(0, offset - len(data)))
                data[offset:offset + len(piece)] = piece
            self.store(path, bytes(data))
        else:
            raise UsageError(f"unknown command {command}")


def main(argv):
    try:
        args = argv[1:]
        if not args or args[0] != "fs":
            raise UsageError("only `fs` is stood in for")
        args = args[1:]
        image = os.path.join(os.path.dirname(os.path.abspath(argv[0])), "disk.img")
        while args and args[0].startswith("--"):
            if len(args) < 2:
                raise UsageError(f"{args[0]} needs a value")
            if args[0] == "--disk":
                image = args[1]
            elif args[0] not in ("--topology", "--bank-mib"):
                raise UsageError(f"unknown option {args[0]}")
            args = args[2:]
        machine = Machine(image)
        if args and args[0] == "script":
            if len(args) != 2:
                raise UsageError("script FILE")
            with open(args[1], encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    stripped = line.strip()
                    if not stripped or stripped.startswith("#"):
                        continue
                    try:
                        machine.run(split_line(stripped))
                    except (FsError, UsageError) as error:
                        print(f"mkh: fs: {args[1]}:{number}: {error}", file=sys.stderr)
                        return 1
                    machine.volume = fsref.Volume(image)
            return 0
        machine.run(args)
        return 0
    except UsageError as error:
        print(f"mkh: fs: {error}", file=sys.stderr)
        return 2
    except FsError as error:
        print(f"mkh: fs: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
