#!/usr/bin/env python3
"""Random RV32IMAC programs, run by the interpreter (rv32run) and by qemu-riscv32: same bytes.

Each program is a series of cases. A case sets every register but x8 to a value drawn from
edges (0, 1, -1, 0x80000000, 0x7fffffff, ...) and random words, runs a random block of
instructions, then writes all registers and the data it reads and writes to stdout. The
block mixes every RV32IMAC operation the assembler knows (it picks the compressed form where
one exists): ALU, multiply and divide (by zero, overflowing), loads and stores at any
alignment and across a page boundary, forward branches and jumps (jal, jalr through a
register), small loops, AMOs and LR/SC pairs, and common pairs back to back (the
interpreter fuses them). x8 holds the data's base throughout; x9 counts a loop's turns.

Every program runs under rv32run with its default quantum and with small quanta (the run
stops and resumes inside blocks and pairs), then with every block translated at its first
entry (translate.hpp) at the default quantum and a small one, with --mkh and --image under `mkh exec` too (the
kernel's exec, VMM and page faults, the programs copied into a scratch copy of the image by
mcopy), and under qemu-riscv32: stdout and exit status must be the same. A failure names the
program's seed and keeps its source (--keep). Exits 77 (skipped) without
riscv64-unknown-elf-gcc or qemu-riscv32 (or mcopy, with --mkh).

Usage: random_insn.py --rv32run PATH [--mkh PATH --image IMG] [--cc GCC] [--programs N]
                      [--cases N] [--length N] [--seed N] [--keep DIR]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

EDGES = [0, 1, 2, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000000, 0x7FFFFFFF, 0x80000001, 0x0000FFFF, 0xFFFF0000, 0xFF, 0x7FF,
         0xFFFFF800, 31, 32, 33]
R_OPS = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
         "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
I_OPS = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
SHIFT_OPS = ["slli", "srli", "srai"]
LOADS = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
AMOS = ["amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w", "amomin.w", "amomax.w", "amominu.w",
        "amomaxu.w"]
ENDINGS = [
    "  li a0, STATUS\n  li a7, 93\n  ecall",  # exit
    "  li a0, STATUS\n  li a7, 94\n  ecall",  # exit_group
    "  ebreak",  # SIGTRAP
    "  .2byte 0",  # an illegal instruction: SIGILL
    "  lw x5, 0(x0)",  # unmapped: SIGSEGV
    "  la x6, data\n  jr x6",  # data is not code: SIGSEGV
    "  la x6, data + 1\n  lr.w x5, (x6)",  # misaligned: SIGBUS
]
BASE = 8  # x8: the data's base, never written by a block
COUNTER = 9  # x9: a loop's counter, never written inside a loop
BATCH = 100  # programs per scratch image (the default image has room for a few hundred)
DUMP = 1024  # the registers are written at x8 + DUMP; blocks touch x8 - 2048 .. x8 + DUMP - 1
DATA = 2048 + DUMP + 128  # bytes written out per case, from x8 - 2048


def reg(n):
    return f"x{n}"


class Block:
    """The random instructions of one case; `labels` counts the labels made so far."""

    def __init__(self, rng, prefix):
        self.rng = rng
        self.prefix = prefix
        self.lines = []
        self.labels = 0
        self.pending = []  # forward labels not placed yet: [label, instructions left before it]

    def label(self):
        self.labels += 1
        return f"{self.prefix}_{self.labels}"

    def dest(self, banned=()):
        while True:
            n = self.rng.randrange(32)
            if n != BASE and n not in banned:
                return n

    def src(self):
        return self.rng.randrange(32)

    def emit(self, *texts):
        """One idiom: the forward labels due are placed before it, never inside it."""
        for entry in [e for e in self.pending if e[1] <= 0]:
            self.lines.append(f"{entry[0]}:")
            self.pending.remove(entry)
        self.lines += ["  " + text for text in texts]
        for entry in self.pending:
            entry[1] -= 1

    def close(self):
        for entry in self.pending:
            self.lines.append(f"{entry[0]}:")
        self.pending = []

    def mem_offset(self, size, aligned=False):
        offset = self.rng.randrange(-2048, DUMP - size + 1)
        if aligned:
            offset -= offset % size
        return offset

    def one(self, banned):
        """One instruction (or a short idiom); `banned`: registers it must not write."""
        rng = self.rng
        kind = rng.choices(["r", "i", "shift", "lui", "auipc", "load", "store", "compressed", "branch", "jal", "jalr",
                            "amo", "lrsc", "pair", "fence"],
                           weights=[16, 10, 4, 3, 1, 10, 8, 14, 8, 2, 2, 3, 1, 10, 1])[0]
        d = lambda: reg(self.dest(banned))  # noqa: E731
        s = lambda: reg(self.src())  # noqa: E731
        if kind == "r":
            self.emit(f"{rng.choice(R_OPS)} {d()}, {s()}, {s()}")
        elif kind == "i":
            self.emit(f"{rng.choice(I_OPS)} {d()}, {s()}, {rng.randrange(-2048, 2048)}")
        elif kind == "shift":
            self.emit(f"{rng.choice(SHIFT_OPS)} {d()}, {s()}, {rng.randrange(32)}")
        elif kind == "lui":
            self.emit(f"lui {d()}, {rng.randrange(1 << 20)}")
        elif kind == "auipc":
            self.emit(f"auipc {d()}, {rng.randrange(1 << 20)}")
        elif kind == "load":
            op = rng.choice(list(LOADS))
            self.emit(f"{op} {d()}, {self.mem_offset(LOADS[op])}({reg(BASE)})")
        elif kind == "store":
            op = rng.choice(list(STORES))
            self.emit(f"{op} {s()}, {self.mem_offset(STORES[op])}({reg(BASE)})")
        elif kind == "compressed":
            self.compressed(banned)
        elif kind == "branch":
            self.forward(f"{rng.choice(BRANCHES)} {s()}, {s()}")
        elif kind == "jal":
            self.forward(f"jal {d()}")
        elif kind == "jalr":
            through = self.dest(banned + (0,))
            target = self.label()
            self.emit(f"lla {reg(through)}, {target}", f"jalr {d()}, 0({reg(through)})")
            self.pending.append([target, rng.randrange(0, 4)])
        elif kind == "amo":
            address = self.dest(banned + (0,))
            self.emit(f"addi {reg(address)}, {reg(BASE)}, {self.mem_offset(4, aligned=True)}",
                      f"{rng.choice(AMOS)} {d()}, {s()}, ({reg(address)})")
        elif kind == "lrsc":
            address = self.dest(banned + (0,))
            loaded = self.dest(banned + (address,))
            between = [f"addi {reg(loaded)}, {reg(loaded)}, {rng.randrange(-8, 8)}"] if rng.random() < 0.5 else []
            self.emit(f"addi {reg(address)}, {reg(BASE)}, {self.mem_offset(4, aligned=True)}",
                      f"lr.w {reg(loaded)}, ({reg(address)})", *between, f"sc.w {d()}, {s()}, ({reg(address)})")
        elif kind == "pair":  # the shapes the interpreter fuses: an ALU op or a load, then a branch
            first = self.dest(banned)
            op = rng.choice(["addi", "add", "andi", "lw", "lbu"])
            if op in ("addi", "andi"):
                head = f"{op} {reg(first)}, {s()}, {rng.randrange(-2048, 2048)}"
            elif op == "add":
                head = f"add {reg(first)}, {s()}, {s()}"
            else:
                head = f"{op} {reg(first)}, {self.mem_offset(LOADS[op])}({reg(BASE)})"
            self.forward(f"{rng.choice(BRANCHES)} {reg(first)}, {s()}", head)
        else:
            self.emit("fence")

    def compressed(self, banned):
        """An instruction in a form that has a compressed encoding (the assembler picks it)."""
        rng = self.rng
        small = [n for n in range(9, 16) if n not in banned]  # x8..x15 but the base: c.* registers
        r = lambda: reg(rng.choice(small))  # noqa: E731
        d = self.dest(banned)
        form = rng.randrange(16)
        if form == 0:
            self.emit(f"add {reg(d)}, {reg(d)}, {reg(self.src())}")  # c.add (c.mv when rd = x0: hint)
        elif form == 1:
            x = r()
            self.emit(f"{rng.choice(['sub', 'xor', 'or', 'and'])} {x}, {x}, {reg(rng.randrange(8, 16))}")
        elif form == 2:
            x = r()
            self.emit(f"{rng.choice(['srli', 'srai'])} {x}, {x}, {rng.randrange(1, 32)}")
        elif form == 3:
            x = r()
            self.emit(f"andi {x}, {x}, {rng.randrange(-32, 32)}")
        elif form == 4:
            self.emit(f"addi {reg(d)}, {reg(d)}, {rng.choice([n for n in range(-32, 32) if n])}")  # c.addi
        elif form == 5:
            self.emit(f"li {reg(d)}, {rng.randrange(-32, 32)}")  # c.li
        elif form == 6:
            if d != 2:
                self.emit(f"lui {reg(d)}, {rng.choice([n for n in range(1, 32)] + [n for n in range(0xFFFE0, 1 << 20)])}")
        elif form == 7:
            self.emit(f"mv {reg(d)}, {reg(self.src())}")  # c.mv
        elif form == 8:
            self.emit(f"slli {reg(d)}, {reg(d)}, {rng.randrange(1, 32)}")  # c.slli
        elif form == 9:
            self.forward(f"{rng.choice(['beqz', 'bnez'])} {reg(rng.randrange(8, 16))}")  # c.beqz, c.bnez
        elif form == 10:
            self.forward("j")  # c.j
        elif form == 11 and 1 not in banned:
            self.forward("jal")  # c.jal (ra)
        elif form == 12:  # c.jr, c.jalr
            through = self.dest(banned + (0, 1))
            target = self.label()
            self.emit(f"lla {reg(through)}, {target}", f"{rng.choice(['jr', 'jalr'])} {reg(through)}")
            self.pending.append([target, rng.randrange(0, 4)])
        elif form == 13:  # c.addi4spn (sp as a value only), c.addi16sp
            if rng.random() < 0.5:
                self.emit(f"addi {r()}, sp, {rng.randrange(1, 256) * 4}")
            elif 2 not in banned:
                self.emit(f"addi sp, sp, {rng.choice([n for n in range(-32, 32) if n]) * 16}")
        elif form == 14 and 2 not in banned:  # c.lwsp, c.swsp: sp made to point into the data first
            offset = rng.randrange(64) * 4
            load = f"lw {reg(self.dest(banned + (0, 2)))}, {offset}(sp)"
            store = f"sw {reg(self.src())}, {offset}(sp)"
            self.emit(f"addi sp, {reg(BASE)}, {-2048 + 4 * rng.randrange(256)}", rng.choice([load, store]))
        else:  # c.lw, c.sw: x8..x15, word offsets 0..124
            offset = rng.randrange(32) * 4
            if rng.random() < 0.5:
                self.emit(f"lw {r()}, {offset}({reg(BASE)})")
            else:
                self.emit(f"sw {reg(rng.randrange(8, 16))}, {offset}({reg(BASE)})")

    def forward(self, text, head=None):
        """A jump forward to a label placed after 0 to 4 more idioms (after `head`, if any)."""
        target = self.label()
        jump = f"{text} {target}" if text in ("j", "jal") else f"{text}, {target}"
        self.emit(*([head] if head else []), jump)
        self.pending.append([target, self.rng.randrange(0, 5)])

    def generate(self, length):
        done = 0
        while done < length:
            if self.rng.random() < 0.06 and not self.pending:
                self.loop()
                done += 8
            else:
                self.one(())
                done += 1
        self.close()

    def loop(self):
        top = self.label()
        self.emit(f"li {reg(COUNTER)}, {self.rng.randrange(1, 6)}")
        self.close()
        self.lines.append(f"{top}:")
        for _ in range(self.rng.randrange(1, 8)):
            self.one((COUNTER,))
        self.close()  # every forward target inside the loop
        self.emit(f"addi {reg(COUNTER)}, {reg(COUNTER)}, -1", f"bnez {reg(COUNTER)}, {top}")


def program(seed, cases, length):
    rng = random.Random(seed)
    out = [f"# random_insn.py seed {seed}", "  .text", "  .globl _start", "_start:",
           "  .option push", "  .option norelax", f"  la {reg(BASE)}, data + 2048", "  .option pop"]
    for case in range(cases):
        for n in range(1, 32):
            if n == BASE:
                continue
            value = rng.choice(EDGES) if rng.random() < 0.4 else rng.getrandbits(32)
            out.append(f"  li {reg(n)}, {value:#x}")
        block = Block(rng, f"c{case}")
        block.generate(length)
        out += block.lines
        out += [f"  sw {reg(n)}, {DUMP + 4 * n}({reg(BASE)})" for n in range(1, 32)]
        out += ["  li a7, 64", "  li a0, 1", f"  addi a1, {reg(BASE)}, -2048", f"  li a2, {DATA}", "  ecall"]
    # The end: an exit with a status of its own, or a trap (its signal is the exit status).
    out += [rng.choice(ENDINGS).replace("STATUS", str(rng.randrange(256)))]
    out += ["  .data", "  .balign 4096",
            "  .skip 1536", "data:"]  # x8 + 512 is a page boundary
    out += [f"  .word {rng.getrandbits(32):#x}" for _ in range(DATA // 4 + 32)]
    return "\n".join(out) + "\n"


def describe(byte):
    """What byte `byte` of a case's output is."""
    if byte >= 2048 + DUMP + 4:
        return f"register x{(byte - 2048 - DUMP) // 4}"
    return f"data byte x8{byte - 2048:+d}"


def binary_of(work, seed):
    return os.path.join(work, f"random{seed}")


def write_source(work, seed, args):
    source = binary_of(work, seed) + ".S"
    with open(source, "w") as f:
        f.write(program(seed, args.cases, args.length))
    return source


def run(command):
    done = subprocess.run(command, capture_output=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def run_batch(args, work, seeds):
    """Assembles and runs the programs of `seeds`; the failures, or None when the batch cannot run."""
    failed = 0
    for seed in seeds:
        status, _, errors = run([args.cc, "-march=rv32imac", "-mabi=ilp32", "-static", "-nostdlib",
                                 "-Wl,--no-warn-rwx-segments", "-o", binary_of(work, seed),
                                 write_source(work, seed, args)])
        if status != 0:
            print(f"FAIL: seed {seed}: the program does not assemble:\n{errors.decode(errors='replace')}")
            return None
    image = None
    if args.mkh:
        image = os.path.join(work, "disk.img")
        shutil.copy(args.image, image)
        status, _, errors = run(["mcopy", "-i", image] + [binary_of(work, seed) for seed in seeds] + ["::/"])
        if status != 0:
            print(f"FAIL: mcopy could not put the programs on {image}: {errors.decode(errors='replace')}")
            return None
    for seed in seeds:
        binary = binary_of(work, seed)
        qemu = run(["qemu-riscv32", binary])
        qemu = (128 - qemu[0] if qemu[0] < 0 else qemu[0],) + qemu[1:]  # killed: 128 + the signal, as rv32run
        if len(qemu[1]) != args.cases * DATA:
            print(f"FAIL: seed {seed}: under qemu-riscv32 it exited {qemu[0]} after {len(qemu[1])} bytes: "
                  "the generator made a broken program")
            failed += 1
        runs = [(f"rv32run, quantum {quantum or 'default'}",
                 [args.rv32run] + ([] if quantum is None else ["--quantum", str(quantum)]) + [binary])
                for quantum in (None, 1 + seed % 3, 7 + seed % 11)]
        runs += [(f"rv32run, every block translated, quantum {quantum or 'default'}",
                  [args.rv32run, "--warm", "1"] + ([] if quantum is None else ["--quantum", str(quantum)]) + [binary])
                 for quantum in (None, 5 + seed % 13)]
        if image:
            runs.append(("mkh exec", [args.mkh, "exec", "--disk", image, "/" + os.path.basename(binary)]))
        for name, command in runs:
            mine = run(command)
            if mine[:2] != qemu[:2]:
                where = next((i for i in range(min(len(mine[1]), len(qemu[1]))) if mine[1][i] != qemu[1][i]),
                             min(len(mine[1]), len(qemu[1])))
                print(f"FAIL: seed {seed}, {name}: exit {mine[0]} (qemu {qemu[0]}), "
                      f"{len(mine[1])} bytes (qemu {len(qemu[1])}), first difference in case {where // DATA}, "
                      f"{describe(where % DATA)}; {mine[2].decode(errors='replace').strip()}")
                failed += 1
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    shutil.copy(binary + ".S", args.keep)
                    shutil.copy(binary, args.keep)
                break
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rv32run", required=True)
    parser.add_argument("--mkh", help="also run every program under `mkh exec` (with --image)")
    parser.add_argument("--image", help="the FAT32 image mkh boots (a scratch copy gets the programs)")
    parser.add_argument("--cc", default="riscv64-unknown-elf-gcc")
    parser.add_argument("--programs", type=int, default=8)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--length", type=int, default=80, help="instructions per case's block")
    parser.add_argument("--seed", type=int, default=1, help="the first program's seed; the next ones follow")
    parser.add_argument("--keep", help="folder where a failing program's source and binary are kept")
    args = parser.parse_args()
    if args.programs < 1 or args.cases < 1 or args.length < 1:
        parser.error("--programs, --cases and --length must be at least 1")
    if (args.mkh is None) != (args.image is None):
        parser.error("--mkh and --image go together")
    for tool in (args.cc, "qemu-riscv32") + (("mcopy",) if args.mkh else ()):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} is not installed (make deps installs it)")
            return 77
    failed = 0
    seeds = list(range(args.seed, args.seed + args.programs))
    for batch in range(0, len(seeds), BATCH):
        with tempfile.TemporaryDirectory(prefix="mkh-random-insn.") as work:
            result = run_batch(args, work, seeds[batch:batch + BATCH])
            if result is None:
                return 1
            failed += result
    total = args.programs * args.cases
    if failed:
        print(f"{failed} failure(s) over {args.programs} programs; replay one with --seed N --programs 1")
        return 1
    runners = "rv32run (default quantum and two small ones; translated, default and small)" + (" and mkh exec" if args.mkh else "")
    print(f"ok: {args.programs} programs, {total} cases of {args.length} instructions, seeds {args.seed}.."
          f"{args.seed + args.programs - 1}: {runners} print what qemu-riscv32 prints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
