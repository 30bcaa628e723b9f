"""Themes shipped with frontdesk: data files (TOML) turned into Textual themes."""

from __future__ import annotations

import tomllib
from importlib import resources

from textual.theme import Theme

DEFAULT_THEME = "frontdesk-dark"

_FIELDS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "dark",
)


def load_themes() -> list[Theme]:
    """Every theme file in this package, as Textual themes, sorted by name."""
    found = []
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found.append(
                Theme(
                    name=data["name"],
                    variables=dict(data.get("variables", {})),
                    **{k: data[k] for k in _FIELDS if k in data},
                )
            )
    return sorted(found, key=lambda t: t.name)
