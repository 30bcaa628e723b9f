"""A reproducible, seeded generator of realistic support mail (see generate_corpus)."""

from engine.corpus.generator import DEFAULT_END, generate_corpus
from engine.corpus.hostile import HOSTILE_KINDS, MALFORMED_KINDS
from engine.corpus.model import (
    DEFAULT_ACCOUNTS,
    DEFAULT_PROFILE,
    DEMO_PROFILE,
    FOLDERS,
    CorpusAccount,
    CorpusMessage,
    CorpusProfile,
)

__all__ = [
    "DEFAULT_ACCOUNTS",
    "DEFAULT_END",
    "DEFAULT_PROFILE",
    "DEMO_PROFILE",
    "FOLDERS",
    "HOSTILE_KINDS",
    "MALFORMED_KINDS",
    "CorpusAccount",
    "CorpusMessage",
    "CorpusProfile",
    "generate_corpus",
]
