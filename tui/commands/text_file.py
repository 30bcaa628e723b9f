"""A small UTF-8 text file a command is given (a rule's response, a signature), read
with a bound: a huge file is refused by its reader rather than read whole."""

from __future__ import annotations

from pathlib import Path

from engine.errors import InvalidInputError


def read_utf8(path: Path, limit: int) -> str:
    """At most `limit` + 1 characters of the UTF-8 file at `path` (~ expanded), so the
    caller can refuse one over its limit; InvalidInputError naming `path` when the file
    cannot be read or is not UTF-8."""
    try:
        with path.expanduser().open(encoding="utf-8", newline="") as source:
            return source.read(limit + 1)
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
