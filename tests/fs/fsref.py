"""The referees' common ground: mtools and fsck.fat run the same way everywhere, the `tree`
listing of a host folder (what `mkh fs tree` must print), and a reader of FAT32 on-disk
structures (boot sector, FAT, directory entries) for the scripts that inspect or damage
images. A module of tests/fs/ (imported by its scripts, also a small command line).

Usage: fsref.py tree DIR | extract IMAGE DIR | fsck IMAGE | free IMAGE | geometry IMAGE
"""

import os
import shutil
import struct
import subprocess
import sys


def mtools_env():
    """mtools with names in UTF-8, times in UTC, and no check of the drive geometry."""
    env = dict(os.environ)
    env.update(MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8", TZ="UTC")
    return env


def mtool(tool, *args, check=True):
    """Runs one mtools command; fails loudly (with its stderr) unless check is False."""
    result = subprocess.run([tool, *args], env=mtools_env(), capture_output=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{tool} {' '.join(args)}: exit {result.returncode}: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result


def fsck_fat():
    return shutil.which("fsck.fat") or shutil.which("fsck.fat", path="/usr/sbin:/sbin") or "fsck.fat"


def mkfs_fat():
    return shutil.which("mkfs.fat") or shutil.which("mkfs.fat", path="/usr/sbin:/sbin") or "mkfs.fat"


def extract(image, dest):
    """Copies every file and folder of the image into the host folder dest (made if absent)."""
    os.makedirs(dest, exist_ok=True)
    listing = mtool("mdir", "-b", "-i", image, "::/").stdout
    if listing.strip():
        mtool("mcopy", "-s", "-n", "-m", "-i", image, "::/*", dest + "/")


def tree_entries(root):
    """The (full path, size or None for a folder) of everything under root, root excluded,
    sorted bytewise by full path (UTF-8, without the folders' trailing slash)."""
    entries = []
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else "/" + rel
        for name in dirs:
            entries.append((prefix + "/" + name, None))
        for name in files:
            entries.append((prefix + "/" + name, os.path.getsize(os.path.join(folder, name))))
    entries.sort(key=lambda e: e[0].encode("utf-8", "surrogateescape"))
    return entries


def tree_lines(root):
    """What `mkh fs tree /` prints for a volume holding root's contents: `SIZE FULLPATH` for a
    file, `0 FULLPATH/` for a folder."""
    return [f"0 {path}/" if size is None else f"{size} {path}" for path, size in tree_entries(root)]


def compare_lines(expected, actual, what):
    """None when equal, otherwise a short report of the first differences."""
    if expected == actual:
        return None
    if sorted(expected) == sorted(actual):
        return f"{what}: the same {len(expected)} lines in another order (expected: sorted bytewise by full path)"
    missing = [line for line in expected if line not in set(actual)]
    extra = [line for line in actual if line not in set(expected)]
    report = [f"{what}: {len(expected)} lines expected, {len(actual)} got"]
    report += [f"  missing: {line}" for line in missing[:10]]
    report += [f"  unexpected: {line}" for line in extra[:10]]
    return "\n".join(report)


def fsck(image):
    """(ok, output) of `fsck.fat -n IMAGE`: ok when it exits 0 and says nothing but its
    banner and its summary line."""
    result = subprocess.run([fsck_fat(), "-n", image], capture_output=True)
    output = (result.stdout + result.stderr).decode(errors="replace")
    lines = [line for line in output.splitlines() if line.strip()]
    noise = [line for line in lines if not line.startswith("fsck.fat ") and " files, " not in line]
    return result.returncode == 0 and not noise, output


def fsck_free_clusters(image):
    """The free clusters that fsck.fat counts in the FAT ("N files, USED/TOTAL clusters")."""
    result = subprocess.run([fsck_fat(), "-n", image], capture_output=True)
    for line in (result.stdout + result.stderr).decode(errors="replace").splitlines():
        if " files, " in line and " clusters" in line:
            used, total = line.split(" files, ")[1].split(" clusters")[0].split("/")
            return int(total) - int(used)
    raise RuntimeError(f"fsck.fat gave no summary for {image}")


def quote(arg):
    """One argument of an `mkh fs script` line: double-quoted, with \\" and \\\\ escapes."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mkh:
    """Runs `MKH fs --disk IMAGE ...` under a timeout; MKH_FS_ARGS (blank-separated) adds
    options such as --topology 4x4:1."""

    def __init__(self, path, timeout=120):
        self.path = path
        self.timeout = timeout
        self.extra = os.environ.get("MKH_FS_ARGS", "").split()

    def command(self, image, *args):
        prefix = [sys.executable, self.path] if self.path.endswith(".py") else [self.path]
        return prefix + ["fs", *self.extra, "--disk", image, *args]

    def fs(self, image, *args):
        """(exit code, stdout bytes, stderr text); exit 124 on a timeout."""
        try:
            result = subprocess.run(self.command(image, *args), capture_output=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return 124, b"", f"timed out after {self.timeout} s"
        return result.returncode, result.stdout, result.stderr.decode(errors="replace")

    def script(self, image, lines, path):
        """Writes the lines (lists of arguments) as a script file at path and runs it."""
        with open(path, "w", encoding="utf-8") as f:
            f.write("# mkh fs script\n")
            for args in lines:
                f.write(" ".join(quote(a) for a in args) + "\n")
        return self.fs(image, "script", path)


class Tally:
    """ok/FAIL lines and the final count, as the e2e scripts print them."""

    def __init__(self):
        self.failures = 0
        self.total = 0

    def check(self, name, problem):
        self.total += 1
        if problem:
            self.failures += 1
            print(f"FAIL {name}: {problem}", flush=True)
        else:
            print(f"ok   {name}", flush=True)
        return not problem

    def finish(self):
        print(f"{self.total - self.failures} passed, {self.failures} failed")
        return 1 if self.failures else 0


class Volume:
    """A FAT32 volume's geometry read from its boot sector, and raw access to its FAT and
    directories, over the image file (read-only unless patch() is called)."""

    def __init__(self, image):
        self.image = image
        with open(image, "rb") as f:
            boot = f.read(512)
        (self.bytes_per_sector, self.sectors_per_cluster, self.reserved, self.fats) = struct.unpack_from(
            "<HBHB", boot, 11)
        total16 = struct.unpack_from("<H", boot, 19)[0]
        total32 = struct.unpack_from("<I", boot, 32)[0]
        self.total_sectors = total16 or total32
        self.fat_sectors = struct.unpack_from("<I", boot, 36)[0]
        self.root_cluster = struct.unpack_from("<I", boot, 44)[0]
        self.fsinfo_sector = struct.unpack_from("<H", boot, 48)[0]
        self.cluster_size = self.bytes_per_sector * self.sectors_per_cluster
        self.fat_offset = self.reserved * self.bytes_per_sector
        self.data_offset = (self.reserved + self.fats * self.fat_sectors) * self.bytes_per_sector
        data_sectors = self.total_sectors - self.reserved - self.fats * self.fat_sectors
        self.clusters = data_sectors // self.sectors_per_cluster
        self.max_cluster = self.clusters + 1

    def read(self, offset, length):
        with open(self.image, "rb") as f:
            f.seek(offset)
            return f.read(length)

    def patch(self, offset, data):
        with open(self.image, "r+b") as f:
            f.seek(offset)
            f.write(data)

    def fat_entry(self, cluster):
        return struct.unpack("<I", self.read(self.fat_offset + 4 * cluster, 4))[0] & 0x0FFFFFFF

    def set_fat_entry(self, cluster, value):
        """Writes the entry in every FAT copy (so that the damage is consistent)."""
        for copy in range(self.fats):
            offset = self.fat_offset + copy * self.fat_sectors * self.bytes_per_sector + 4 * cluster
            self.patch(offset, struct.pack("<I", value))

    def chain(self, first, strict=False):
        """The clusters of a chain. strict: a ValueError when it loops or leaves the volume
        (otherwise it stops there)."""
        chain, seen = [], set()
        cluster = first
        while 2 <= cluster <= self.max_cluster and cluster not in seen:
            chain.append(cluster)
            seen.add(cluster)
            cluster = self.fat_entry(cluster)
        if strict and first != 0 and cluster < 0x0FFFFFF8:
            raise ValueError(f"chain from {first} {'loops' if cluster in seen else 'leaves the volume'} at {cluster}")
        return chain

    def cluster_offset(self, cluster):
        return self.data_offset + (cluster - 2) * self.cluster_size

    def entries(self, dir_cluster):
        """The directory's entries: dicts with the long name (or None), short name, attributes,
        first cluster, size, the byte offset of the short entry and those of its long-name
        entries."""
        result = []
        lfn_parts, lfn_offsets, lfn_sums = [], [], set()
        for cluster in self.chain(dir_cluster):
            base = self.cluster_offset(cluster)
            data = self.read(base, self.cluster_size)
            for index in range(0, self.cluster_size, 32):
                raw = data[index:index + 32]
                if raw[0] == 0:
                    return result
                if raw[0] == 0xE5:
                    lfn_parts, lfn_offsets, lfn_sums = [], [], set()
                    continue
                if raw[11] == 0x0F:
                    units = raw[1:11] + raw[14:26] + raw[28:32]
                    lfn_parts.insert(0, units)
                    lfn_offsets.append(base + index)
                    lfn_sums.add(raw[13])
                    continue
                long_name = None
                checksum = 0
                for byte in raw[0:11]:
                    checksum = (((checksum & 1) << 7) + (checksum >> 1) + byte) & 0xFF
                if lfn_parts and lfn_sums == {checksum}:  # a long name whose checksum fails is ignored
                    utf16 = b"".join(lfn_parts)
                    end = next((i for i in range(0, len(utf16), 2) if utf16[i:i + 2] == b"\0\0"), len(utf16))
                    long_name = utf16[:end].decode("utf-16-le", errors="replace")
                first = struct.unpack_from("<H", raw, 20)[0] << 16 | struct.unpack_from("<H", raw, 26)[0]
                result.append(dict(long_name=long_name, short_name=raw[0:11], attributes=raw[11], case=raw[12],
                                   first_cluster=first, size=struct.unpack_from("<I", raw, 28)[0],
                                   offset=base + index, lfn_offsets=lfn_offsets))
                lfn_parts, lfn_offsets, lfn_sums = [], [], set()
        return result

    @staticmethod
    def name(entry):
        """The entry's name as a reader shows it: the long name, or the 8.3 name with the
        lower-case flags of byte 12 applied (code page 850 for its upper half)."""
        if entry["long_name"] is not None:
            return entry["long_name"]
        short = entry["short_name"]
        base = short[0:8].rstrip(b" ").replace(b"\x05", b"\xe5", 1).decode("cp850")
        ext = short[8:11].rstrip(b" ").decode("cp850")
        if entry["case"] & 0x08:
            base = base.lower()
        if entry["case"] & 0x10:
            ext = ext.lower()
        return base + ("." + ext if ext else "")

    def find(self, path):
        """The entry (as entries() gives it) of an absolute path, matched on long or short names."""
        cluster = self.root_cluster
        entry = None
        for part in [p for p in path.split("/") if p]:
            matches = [e for e in self.entries(cluster) if self.name(e) == part]
            if not matches:
                raise KeyError(path)
            entry = matches[0]
            cluster = entry["first_cluster"]
        return entry

    def rewrite_long_name(self, entry, name):
        """Writes name over the entry's long name, in place: its UTF-16 form must have the same
        length (used to put characters mtools cannot write, such as emoji, into an image)."""
        units = name.encode("utf-16-le")
        old = (entry["long_name"] or "").encode("utf-16-le")
        assert len(units) == len(old), (name, entry["long_name"])
        positions = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]
        for offset in entry["lfn_offsets"]:
            ordinal = self.read(offset, 1)[0] & 0x1F
            for slot, position in enumerate(positions):
                unit = (ordinal - 1) * 13 + slot
                if 2 * unit < len(units):
                    self.patch(offset + position, units[2 * unit:2 * unit + 2])

    def set_next_free(self, value):
        """Sets FSInfo's next-free hint (0xFFFFFFFF: unknown, search from the start)."""
        self.patch(self.fsinfo_sector * self.bytes_per_sector + 492, struct.pack("<I", value))


MIN_CLUSTERS = 65525  # fewer is not FAT32 (Microsoft's FAT specification)


def fresh_image(path, sectors_per_cluster, data_kib=0, label="MKH"):
    """Makes an empty FAT32 image (-S 512) just above FAT32's minimum cluster count, with room
    for data_kib more (a sparse file: only what is written takes disk space)."""
    if os.path.exists(path):
        os.remove(path)
    cluster = 512 * sectors_per_cluster
    size_kib = (MIN_CLUSTERS + 500) * cluster // 1024 + 2048 + data_kib
    subprocess.run([mkfs_fat(), "-C", "-F", "32", "-S", "512", "-s", str(sectors_per_cluster), "-n", label,
                    "-i", f"{0x4D4B0000 + sectors_per_cluster:08X}", path, str(size_kib)], check=True,
                   capture_output=True)
    volume = Volume(path)
    assert volume.cluster_size == cluster and volume.clusters >= MIN_CLUSTERS, (path, volume.clusters)
    return volume


def mtools_view(name):
    """How mtools shows a long name: each character outside the BMP (a UTF-16 surrogate pair)
    as two '_' (it cannot convert them)."""
    return "".join("__" if ord(ch) > 0xFFFF else ch for ch in name)


def volume_tree(image):
    """tree_lines() of the image read by Volume (the exact long names, sizes from the entries)."""
    volume = Volume(image)
    out = []

    def walk(cluster, prefix):
        for entry in volume.entries(cluster):
            name = volume.name(entry)
            if name in (".", "..") or entry["attributes"] & 0x08:
                continue
            if entry["attributes"] & 0x10:
                out.append((prefix + "/" + name, None))
                walk(entry["first_cluster"], prefix + "/" + name)
            else:
                out.append((prefix + "/" + name, entry["size"]))

    walk(volume.root_cluster, "")
    out.sort(key=lambda e: e[0].encode("utf-8", "surrogateescape"))
    return [f"0 {path}/" if size is None else f"{size} {path}" for path, size in out]


class Model:
    """The host-directory model of a volume: the commands of `mkh fs` (put, mkdir, rmdir, rm,
    mv, write, append, truncate) applied to a host folder, and recorded as script lines whose
    host files (the bytes to put or write) are kept in a data folder."""

    def __init__(self, root, data):
        self.root, self.data = root, data
        os.makedirs(root, exist_ok=True)
        os.makedirs(data, exist_ok=True)
        self.lines = []
        self.blobs = 0

    def host(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def blob(self, content):
        self.blobs += 1
        path = os.path.join(self.data, f"{self.blobs}.bin")
        with open(path, "wb") as f:
            f.write(content)
        return path

    def put(self, path, content):
        with open(self.host(path), "wb") as f:
            f.write(content)
        self.lines.append(["put", self.blob(content), path])

    def mkdir(self, path):
        os.mkdir(self.host(path))
        self.lines.append(["mkdir", path])

    def rmdir(self, path):
        os.rmdir(self.host(path))
        self.lines.append(["rmdir", path])

    def rm(self, path):
        os.remove(self.host(path))
        self.lines.append(["rm", path])

    def mv(self, old, new):
        os.rename(self.host(old), self.host(new))
        self.lines.append(["mv", old, new])

    def write(self, path, offset, content):
        host = self.host(path)
        with open(host, "r+b" if os.path.exists(host) else "wb") as f:
            f.seek(offset)
            f.write(content)
        self.lines.append(["write", path, str(offset), self.blob(content)])

    def append(self, path, content):
        with open(self.host(path), "ab") as f:
            f.write(content)
        self.lines.append(["append", path, self.blob(content)])

    def truncate(self, path, size):
        os.truncate(self.host(path), size)
        self.lines.append(["truncate", path, str(size)])


def judge(image, root, work):
    """The problems (a list, empty when none) of an image that must hold exactly the host folder
    root: fsck.fat -n clean; mtools' extraction equal to root in names, sizes and bytes (names
    outside the BMP as mtools shows them); the exact long names as the raw reader sees them."""
    problems = []
    ok, output = fsck(image)
    if not ok:
        problems.append("fsck.fat -n: " + output.strip()[-1500:])
    extracted = os.path.join(work, "extracted")
    shutil.rmtree(extracted, ignore_errors=True)
    try:
        extract(image, extracted)
    except RuntimeError as error:
        return problems + [f"mcopy cannot extract the image: {error}"]
    expected = sorted(f"{size} {mtools_view(path)}" if size is not None else f"0 {mtools_view(path)}/"
                      for path, size in tree_entries(root))
    problem = compare_lines(expected, sorted(tree_lines(extracted)), "tree through mtools")
    if problem:
        problems.append(problem)
    else:
        differ = []
        for path, size in tree_entries(root):
            if size is not None:
                with open(os.path.join(root, path.lstrip("/")), "rb") as a, \
                     open(os.path.join(extracted, mtools_view(path).lstrip("/")), "rb") as b:
                    left, right = a.read(), b.read()
                if left != right:
                    first = next(i for i in range(min(len(left), len(right)) + 1)
                                 if i >= min(len(left), len(right)) or left[i] != right[i])
                    differ.append(f"{path} (first difference at byte {first})")
        if differ:
            problems.append(f"{len(differ)} files differ through mtools: {differ[:5]}")
    try:
        problem = compare_lines(tree_lines(root), volume_tree(image), "long names read raw")
    except Exception as error:  # a damaged directory the raw reader cannot walk
        problem = f"the raw reader fails: {error!r}"
    if problem:
        problems.append(problem)
    shutil.rmtree(extracted, ignore_errors=True)
    return problems


def main(argv):
    if len(argv) == 3 and argv[1] == "tree":
        print("\n".join(tree_lines(argv[2])))
    elif len(argv) == 4 and argv[1] == "extract":
        extract(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "fsck":
        ok, output = fsck(argv[2])
        sys.stdout.write(output)
        return 0 if ok else 1
    elif len(argv) == 3 and argv[1] == "free":
        print(fsck_free_clusters(argv[2]))
    elif len(argv) == 3 and argv[1] == "geometry":
        v = Volume(argv[2])
        print(f"cluster_size: {v.cluster_size}\nclusters: {v.clusters}\nroot_cluster: {v.root_cluster}")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
