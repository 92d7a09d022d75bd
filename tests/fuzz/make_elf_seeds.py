#!/usr/bin/env python3
"""Seeds of the ELF checker's fuzzer: the small instruction test programs the build makes
(tests/user/insn/, built by riscv64-unknown-elf-gcc), whole, and one of them cut inside its
ELF header, inside its program headers and inside its segments' bytes. A script of
tests/fuzz/, run by hand when the seeds are to change.

Usage: make_elf_seeds.py INSN_BUILD_DIR CORPUS_DIR
  e.g. make_elf_seeds.py build/release/tests/user/insn tests/fuzz/corpus/elf
"""

import os
import sys

WHOLE = ["rv32a", "rv32m", "rvc", "bench"]  # each a few KiB (rv32i and cprog are larger)
CUT = ("rvc", {"header": 40, "phdrs": 100, "segment": 600})


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, corpus = sys.argv[1], sys.argv[2]
    os.makedirs(corpus, exist_ok=True)
    for name in WHOLE:
        with open(os.path.join(build, name), "rb") as f:
            data = f.read()
        with open(os.path.join(corpus, f"{name}.elf"), "wb") as f:
            f.write(data)
    name, cuts = CUT
    with open(os.path.join(build, name), "rb") as f:
        data = f.read()
    for where, length in cuts.items():
        with open(os.path.join(corpus, f"{name}-cut-in-{where}.elf"), "wb") as f:
            f.write(data[:length])
    return 0


if __name__ == "__main__":
    sys.exit(main())
