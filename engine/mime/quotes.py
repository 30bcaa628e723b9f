"""Quoted replies, as mail clients write them."""

from __future__ import annotations

import re

# "On Tue, 3 Nov 2026, Dana Reyes <dana@...> wrote:", "Am 3. Nov. schrieb Dana <...>:" and
# kin end with a colon right before the quote block.
_ATTRIBUTION = re.compile(
    r"\b(wrote|schrieb|a écrit|escribió|ha scritto|skrev|schreef|napisał)\b.*:\s*$",
    re.IGNORECASE,
)


def own_words(text: str) -> str:
    """The text without quoted lines ("> ...") and the attribution line before them.

    Quoted text is the earlier message of the thread, indexed where it was written;
    indexing it again in every reply made the search index (its most expensive write)
    several times larger for no new words.
    """
    if ">" not in text:
        return text.strip()
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        bare = line.lstrip()
        if bare[:1] == ">":
            continue
        if (bare.rstrip().endswith(":") and _ATTRIBUTION.search(line)
                and _quote_follows(lines, index + 1)):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _quote_follows(lines: list[str], start: int) -> bool:
    for line in lines[start : start + 3]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False
