#!/usr/bin/env python3
"""The screen a terminal of COLUMNS x ROWS shows after the bytes of a transcript, as a VT100
draws them: printable characters wrap at the right margin (the cursor waits there until the
next character), CR, LF (which scrolls at the bottom), BS, and the escape sequences a line
editor uses: ESC[K (erase to the end of the row), ESC[nA/B/C/D (cursor moves, stopped at the
edges), ESC[H and ESC[2J. Anything else is an error: the test must know what it draws.
Prints the screen's rows, trailing spaces and empty rows at the bottom left out.
Usage: screen.py COLUMNS ROWS TRANSCRIPT"""
import re
import sys


def render(text, width, height):
    screen = [[" "] * width for _ in range(height)]
    row = column = 0
    pending = False  # the cursor is past the last column: the next character wraps

    def line_feed():
        nonlocal row
        if row == height - 1:
            screen.pop(0)
            screen.append([" "] * width)
        else:
            row += 1

    at = 0
    while at < len(text):
        char = text[at]
        at += 1
        if char == "\x1b":
            sequence = re.match(r"\[([0-9;]*)([A-Za-z])", text[at:])
            if not sequence:
                raise ValueError(f"an escape sequence not known at byte {at}: {text[at:at + 8]!r}")
            at += sequence.end()
            argument, command = sequence.group(1), sequence.group(2)
            count = int(argument) if argument.isdigit() else 1
            pending = False
            if command == "K" and argument in ("", "0"):
                screen[row][column:] = [" "] * (width - column)
            elif command == "A":
                row = max(0, row - count)
            elif command == "B":
                row = min(height - 1, row + count)
            elif command == "C":
                column = min(width - 1, column + count)
            elif command == "D":
                column = max(0, column - count)
            elif command == "H" and argument == "":
                row = column = 0
            elif command == "J" and argument == "2":
                screen = [[" "] * width for _ in range(height)]
            else:
                raise ValueError(f"an escape sequence not known: ESC[{argument}{command}")
        elif char == "\r":
            column, pending = 0, False
        elif char == "\n":
            line_feed()
            pending = False
        elif char == "\b":
            column, pending = max(0, column - 1), False
        elif char == "\a":
            pass
        elif char < " ":
            raise ValueError(f"a control character not known: {char!r}")
        else:
            if pending:
                column, pending = 0, False
                line_feed()
            screen[row][column] = char
            if column == width - 1:
                pending = True
            else:
                column += 1
    rows = ["".join(cells).rstrip() for cells in screen]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: screen.py COLUMNS ROWS TRANSCRIPT")
    with open(sys.argv[3], encoding="utf-8", errors="replace", newline="") as transcript:
        print("\n".join(render(transcript.read(), int(sys.argv[1]), int(sys.argv[2]))))


if __name__ == "__main__":
    main()
