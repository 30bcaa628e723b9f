"""Writing TOML without a dependency: the values tomllib reads, written back, and a
few keys of one table changed in a file's text while its other lines (comments
included) stay as they are."""

from __future__ import annotations

import copy
import datetime
import math
import re
import tomllib
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = re.compile(r"^\s*\[(?P<array>\[)?\s*(?P<name>[^\[\]]*?)\s*\]\]?\s*(#.*)?$")
_VALUE_AND_TAIL = re.compile(
    r"""^(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s#"']+)(?P<tail>\s*(?:#.*)?)$"""
)
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r",
            '"': '\\"', "\\": "\\\\"}


def format_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def format_key(key: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    return key if _BARE_KEY.fullmatch(key) else format_string(key)


def format_value(value: Any) -> str:
    """One value as TOML: what tomllib returns can always be written back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        pairs = ", ".join(f"{format_key(k)} = {format_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dumps(data: Mapping[str, Any]) -> str:
    """A whole document: plain keys first, then one [table] per mapping, nested
    tables as [a.b]."""
    lines: list[str] = []
    _dump_table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _dump_table(table: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if path and (plain or not tables):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(format_key(p) for p in path) + "]")
    for key, value in plain.items():
        lines.append(f"{format_key(key)} = {format_value(value)}")
    for key, value in tables.items():
        _dump_table(value, [*path, key], lines)


def _header_name(line: str) -> str | None:
    """The table a header line opens ("" for an array of tables), or None."""
    match = _HEADER.match(line)
    if match is None:
        return None
    if match.group("array"):
        return ""
    name = match.group("name")
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1]
    return name


def _assignment(line: str, key: str) -> re.Match[str] | None:
    quoted = "|".join(re.escape(k) for k in (key, format_string(key), f"'{key}'"))
    return re.match(rf"^(?P<indent>\s*)(?:{quoted})\s*=\s*(?P<rest>.*?)\r?\n?$", line)


def _edit_lines(text: str, table: str | None, values: Mapping[str, Any]) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    headers = [(i, _header_name(line)) for i, line in enumerate(lines)]
    headers = [(i, name) for i, name in headers if name is not None]
    if table is None:
        start, end = 0, headers[0][0] if headers else len(lines)
    else:
        opening = [i for i, name in headers if name == table]
        if not opening:
            block = [f"[{format_key(table)}]\n"]
            block += [f"{format_key(k)} = {format_value(v)}\n" for k, v in values.items()]
            if lines and lines[-1].strip():
                block.insert(0, "\n")
            return "".join(lines + block)
        start = opening[0] + 1
        end = next((i for i, _ in headers if i >= start), len(lines))
    missing: list[str] = []
    last_assignment = start - 1 if table is not None else -1
    for key, value in values.items():
        for index in range(start, end):
            match = _assignment(lines[index], key)
            if match is None:
                continue
            tail_match = _VALUE_AND_TAIL.match(match.group("rest"))
            tail = tail_match.group("tail") if tail_match else ""
            lines[index] = (
                f"{match.group('indent')}{format_key(key)} = {format_value(value)}{tail}\n"
            )
            break
        else:
            missing.append(f"{format_key(key)} = {format_value(value)}\n")
    for index in range(start, end):
        if "=" in lines[index] and not lines[index].lstrip().startswith("#"):
            last_assignment = index
    insert_at = last_assignment + 1 if last_assignment >= start else start
    return "".join(lines[:insert_at] + missing + lines[insert_at:])


def set_keys(text: str, table: str | None, values: Mapping[str, Any]) -> str:
    """`text` with `values` set in `table` (None: the top level), every other key kept.

    Lines are edited in place so comments survive; when the file's shape defeats
    that (dotted keys, multi-line values), the document is written out anew, which
    keeps every key and loses only comments. Raises tomllib.TOMLDecodeError when
    `text` is not TOML."""
    data = tomllib.loads(text)
    expected = copy.deepcopy(data)
    if table is None:
        expected.update(values)
    else:
        target = expected.get(table)
        if not isinstance(target, dict):
            target = expected[table] = {}
        target.update(values)
    edited = _edit_lines(text, table, values)
    try:
        if tomllib.loads(edited) == expected:
            return edited
    except tomllib.TOMLDecodeError:
        pass
    return dumps(expected)
