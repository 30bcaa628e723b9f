"""Where frontdesk keeps its files (XDG base directories via platformdirs, loaded only
when a default location is asked for)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "frontdesk"
DB_ENV = "FRONTDESK_DB"


def data_dir() -> Path:
    """$XDG_DATA_HOME/frontdesk (usually ~/.local/share/frontdesk)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/frontdesk (usually ~/.config/frontdesk)."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The TOML configuration file."""
    return config_dir() / "config.toml"


def default_db() -> Path:
    """The store used when neither --db nor FRONTDESK_DB names one."""
    return data_dir() / "frontdesk.db"


def demo_db() -> Path:
    """The store `frontdesk demo` builds when no --db is given: never the real one."""
    return data_dir() / "demo.db"


def resolve_db(explicit: str | None) -> Path:
    """--db wins, then $FRONTDESK_DB, then the default location."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DB_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return default_db()
