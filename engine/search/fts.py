"""Turning search words into FTS5 MATCH expressions that cannot be read as FTS syntax.

Every word or phrase becomes one FTS5 string ("..." with inner quotes doubled), so
NEAR(, *, ^, column filters and stray quotes are searched for as text, never obeyed.
"""

from __future__ import annotations

from collections.abc import Iterable


def fts_string(term: str) -> str:
    """One term as an FTS5 string literal: a phrase of its tokens, nothing else."""
    return '"' + term.replace('"', '""') + '"'


def searchable(term: str) -> bool:
    """Whether a term holds anything the index keeps (letters or digits); punctuation
    alone is dropped by the tokenizer and would match nothing."""
    return any(ch.isalnum() for ch in term)


def all_of(terms: Iterable[str]) -> str | None:
    """A MATCH expression true when every term appears; None when no term is searchable."""
    kept = [fts_string(t) for t in terms if searchable(t)]
    return " AND ".join(kept) if kept else None


def any_of(terms: Iterable[str]) -> str | None:
    """A MATCH expression true when at least one term appears; None when none is
    searchable."""
    kept = [fts_string(t) for t in terms if searchable(t)]
    return " OR ".join(kept) if kept else None


def in_column(column: str, term: str) -> str | None:
    """A MATCH expression for one term in one column of the index (a fixed column name,
    never user text); None when the term is not searchable."""
    if not searchable(term):
        return None
    return "{" + column + "}: " + fts_string(term)
