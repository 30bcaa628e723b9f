"""Themes shipped with frontdesk: data files (TOML) turned into Textual themes."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from textual.theme import Theme

DEFAULT_THEME = "frontdesk-dark"

_FIELDS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "dark",
)


@cache
def _theme_data() -> tuple[dict, ...]:
    found = []
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".toml"):
            found.append(tomllib.loads(entry.read_text(encoding="utf-8")))
    return tuple(sorted(found, key=lambda data: data["name"]))


def load_themes() -> list[Theme]:
    """Every theme file in this package, as Textual themes, sorted by name."""
    return [
        Theme(
            name=data["name"],
            variables=dict(data.get("variables", {})),
            **{k: data[k] for k in _FIELDS if k in data},
        )
        for data in _theme_data()
    ]


def theme_names() -> list[str]:
    """The names of the shipped themes, sorted."""
    return [data["name"] for data in _theme_data()]
