"""Printing for headless commands: JSON for scripts, aligned text for people."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any


def to_plain(value: Any) -> Any:
    """Dataclasses (nested) to dicts, tuples to lists: what json.dumps takes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    json.dump(to_plain(value), sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def table_lines(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The header line (none when `headers` is empty) and one line a row: columns padded
    to their widest cell, the last one left as it is."""
    cells = [*([list(headers)] if headers else []), *(list(r) for r in rows)]
    if not cells:
        return []
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]])
            for r in cells]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Columns padded to their widest cell; the last column is left unpadded."""
    for line in table_lines([str(h) for h in headers],
                            [[_cell(c) for c in row] for row in rows]):
        print(line)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    # Mail text is sanitised by the engine; a terminal line still must not wrap oddly.
    return " ".join(str(value).split())


def config_option(parser: argparse.ArgumentParser, *, what: str = "the console's config file",
                  suppress: bool = True) -> None:
    """Add --config PATH to `parser`, its help opening with `what`; `suppress`: no
    default, so the option is absent from the namespace when not given."""
    parser.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS if suppress else None,
        help=f"{what} (default: $FRONTDESK_CONFIG, else "
        "$XDG_CONFIG_HOME/frontdesk/config.toml)",
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
