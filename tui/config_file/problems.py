"""A problem found in config.toml, and how it is printed: `FILE:LINE: what is wrong;
what to do`, one line each, in the order of the file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from tui.config_file.locator import Locator, Path


@dataclass(frozen=True)
class Problem:
    """What is wrong at `path` (keys and array indices, as tui.config_file.locator reads
    them), or at `line` when the text could not be read as TOML at all."""

    path: Path
    text: str
    line: int | None = None


def render(problems: Iterable[Problem], source: str, locator: Locator) -> list[str]:
    """The problems as lines, sorted by their line in the file (stable)."""
    placed = [(p.line if p.line is not None else locator.line(p.path), p.text)
              for p in problems]
    placed.sort(key=lambda item: item[0])
    return [f"{source}:{line}: {' '.join(text.split())}" for line, text in placed]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """'; did you mean "x"?' for the closest of `choices`, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""
