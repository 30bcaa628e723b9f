"""Where a key or table of a TOML document is written: its line number.

tomllib returns values without positions, so the document's text is scanned once more
for what it names: table headers (arrays of tables counted, `[[accounts]]` then
`[accounts.smtp]` meaning the last account's table), keys (dotted keys included), and the
keys and items inside inline tables and arrays, however many lines they span. A path is
a tuple of keys and 0-based array indices: ("accounts", 1, "smtp", "host"). Scanning
only what parsed as TOML, it reads the grammar loosely and never fails: a path it did
not see is given the line of its nearest parent it did see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

PathPart = str | int
Path = tuple[PathPart, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class Locator:
    """Line numbers (1-based) of the keys and tables of one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        # What was seen before the scanner lost its way still counts.
        with contextlib.suppress(IndexError, ValueError):
            _Scanner(text, self._lines).document()

    def line(self, path: Sequence[PathPart]) -> int:
        """The line of `path`, else of its nearest parent seen, else 1."""
        wanted = tuple(path)
        while wanted:
            found = self._lines.get(wanted)
            if found is not None:
                return found
            wanted = wanted[:-1]
        return 1

    def find(self, path: Sequence[PathPart]) -> int | None:
        """The line of exactly `path`, or None when it is not written in the text."""
        return self._lines.get(tuple(path))


class _Scanner:
    def __init__(self, text: str, lines: dict[Path, int]) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines = lines
        self.arrays: dict[Path, int] = {}  # array-of-tables path -> items seen

    # -- the document -----------------------------------------------------------------

    def document(self) -> None:
        table: Path = ()
        while self._skip_blank():
            if self._peek() == "[":
                table = self._header()
            else:
                self._pair(table)
            self._skip_to_line_end()

    def _header(self) -> Path:
        self.pos += 1
        array = self._peek() == "["
        if array:
            self.pos += 1
        line = self.line
        keys = self._key()
        self._skip_spaces()
        self.pos += 2 if array else 1
        path = (*self._resolve(keys[:-1]), keys[-1])
        if array:
            count = self.arrays.get(path, 0)
            self.arrays[path] = count + 1
            self._mark(path, line)
            path = (*path, count)
        self._mark(path, line)
        return path

    def _resolve(self, keys: Sequence[str]) -> Path:
        """A dotted name as a path: a prefix naming an array of tables means its last
        item."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        return path

    def _pair(self, table: Path) -> None:
        line = self.line
        keys = self._key()
        for n in range(1, len(keys)):
            self._mark(table + tuple(keys[:n]), line)
        path = table + tuple(keys)
        self._mark(path, line)
        self._skip_spaces()
        if self._peek() != "=":
            raise ValueError("not a key/value pair")
        self.pos += 1
        self._skip_spaces()
        self._value(path)

    # -- keys and values ----------------------------------------------------------------

    def _key(self) -> list[str]:
        keys = []
        while True:
            self._skip_spaces()
            char = self._peek()
            if char in "\"'":
                keys.append(self._string())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] in _BARE:
                    self.pos += 1
                if start == self.pos:
                    raise ValueError("no key")
                keys.append(self.text[start:self.pos])
            self._skip_spaces()
            if self._peek() != ".":
                return keys
            self.pos += 1

    def _value(self, path: Path) -> None:
        char = self._peek()
        if char in "\"'":
            self._string()
        elif char == "[":
            self._array(path)
        elif char == "{":
            self._inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}#\n":
                self.pos += 1

    def _array(self, path: Path) -> None:
        self.pos += 1
        index = 0
        while True:
            self._skip_blank()
            if self._peek() == "]":
                self.pos += 1
                return
            self._mark((*path, index), self.line)
            self._value((*path, index))
            index += 1
            self._skip_blank()
            if self._peek() == ",":
                self.pos += 1

    def _inline_table(self, path: Path) -> None:
        self.pos += 1
        while True:
            self._skip_spaces()
            if self._peek() == "}":
                self.pos += 1
                return
            line = self.line
            keys = self._key()
            for n in range(1, len(keys) + 1):
                self._mark(path + tuple(keys[:n]), line)
            self._skip_spaces()
            self.pos += 1  # "="
            self._skip_spaces()
            self._value(path + tuple(keys))
            self._skip_spaces()
            if self._peek() == ",":
                self.pos += 1

    def _string(self) -> str:
        quote = self.text[self.pos]
        if self.text.startswith(quote * 3, self.pos):
            end = self._closing(quote * 3, self.pos + 3)
            value = self.text[self.pos + 3:end]
            self._advance(end + 3)
            # A multi-line string may end with up to two more quotes of its own.
            while self._peek() == quote:
                self.pos += 1
            return value
        end = self._closing(quote, self.pos + 1)
        value = self.text[self.pos + 1:end]
        self._advance(end + 1)
        return value

    def _closing(self, quote: str, start: int) -> int:
        escapes = quote[0] == '"'
        pos = start
        while True:
            found = self.text.index(quote, pos)
            if escapes and _escaped(self.text, found):
                pos = found + 1
                continue
            return found

    # -- moving on ------------------------------------------------------------------------

    def _mark(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def _skip_spaces(self) -> None:
        while self._peek() in (" ", "\t") and self._peek():
            self.pos += 1

    def _skip_blank(self) -> bool:
        """Past spaces, line breaks and comments; False at the end of the text."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\n":
                self.line += 1
                self.pos += 1
            elif char in " \t\r":
                self.pos += 1
            elif char == "#":
                self._skip_comment()
            else:
                return True
        return False

    def _skip_comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def _skip_to_line_end(self) -> None:
        self._skip_spaces()
        if self._peek() == "#":
            self._skip_comment()


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1
