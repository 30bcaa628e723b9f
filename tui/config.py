"""The console's configuration file (TOML): theme, options and key remaps.

```toml
theme = "frontdesk-dark"
[options]
auto_mark_read = true
[keymap]
"list.down" = "j,down"
```

The same file may declare the whole setup (accounts, IMAP defaults, the system SMTP,
rules and processing modes; see tui.config_file), which `frontdesk config check|apply`
read: the console leaves those sections to them, but still refuses a top-level key that
is none of these.

Loading is strict: an unknown key or a wrong type is refused with one line naming the
file, the key and what is allowed. Saving changes only its own keys and keeps the
rest of the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from engine.errors import InvalidInputError
from themes import DEFAULT_THEME, theme_names
from tui.keymap import KeymapError, resolve_keymap
from tui.toml_edit import set_keys

CONFIG_ENV = "FRONTDESK_CONFIG"
TOP_LEVEL_KEYS = ("theme", "options", "keymap")
# Sections of the setup that `frontdesk config apply` reads (tui.config_file).
SETUP_KEYS = ("imap_defaults", "smtp", "accounts", "rules", "modes")


class ConfigError(InvalidInputError):
    """The config file cannot be read, is not valid, or cannot be saved."""


@dataclass(frozen=True)
class Options:
    """Console options people switch on and off; saved in the config."""

    auto_mark_read: bool = True  # opening a message in the preview marks it read
    html: bool = True  # show HTML mail converted to text; off: the plain part only
    threads: bool = False  # list conversations, not single messages


OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Options))


@dataclass(frozen=True)
class Config:
    """What the config file says. `keymap` holds the file's remaps only (ids to keys in
    Textual's form); tui.keymap.resolve_keymap adds the defaults."""

    theme: str = DEFAULT_THEME
    options: Options = field(default_factory=Options)
    keymap: dict[str, str] = field(default_factory=dict)


def resolve_config_path(explicit: str | None = None) -> Path:
    """--config wins, then $FRONTDESK_CONFIG, then the XDG config directory."""
    from engine.paths import config_file

    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(CONFIG_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return config_file()


def load_config(path: Path) -> Config:
    """The config at `path`; defaults when there is no file. Raises ConfigError."""
    text = read_text(path)
    if text is None:
        return Config()
    data = _parse(path, text)
    unknown = [key for key in data if key not in TOP_LEVEL_KEYS + SETUP_KEYS]
    if unknown:
        raise ConfigError(
            f'{path}: unknown key "{unknown[0]}"; allowed: theme, [options], [keymap], '
            "[imap_defaults], [smtp], [[accounts]], [[rules]], [modes]"
        )
    theme = data.get("theme", DEFAULT_THEME)
    if not isinstance(theme, str):
        raise ConfigError(f'{path}: theme must be a string, e.g. theme = "{DEFAULT_THEME}"')
    _check_theme(path, theme)
    return Config(
        theme=theme,
        options=_options(path, data.get("options", {})),
        keymap=_keymap(path, data.get("keymap", {})),
    )


def read_text(path: Path) -> str | None:
    """The text of the file at `path`, None when there is none; ConfigError (with what
    to do) when it cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read it ({exc.strerror or exc}); check the path and permissions"
        ) from None


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        message = f"{path}: not valid TOML ({reason}); fix the line or remove it"
    raise ConfigError(message)


def _check_theme(path: Path, theme: str) -> None:
    names = theme_names()
    if theme not in names:
        raise ConfigError(
            f'{path}: unknown theme "{theme}"; the themes are: {", ".join(names)}'
        )


def _options(path: Path, table: Any) -> Options:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: options must be a table: [options]")
    values: dict[str, bool] = {}
    for key, value in table.items():
        if key not in OPTION_NAMES:
            raise ConfigError(
                f'{path}: [options] unknown option "{key}"; allowed: {", ".join(OPTION_NAMES)}'
            )
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: [options] {key} must be true or false")
        values[key] = value
    return Options(**values)


def _keymap(path: Path, table: Any) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: keymap must be a table: [keymap]")
    overrides: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if not isinstance(value, str):
            raise ConfigError(
                f'{path}: [keymap] "{key}" must be a string of keys, e.g. "j,down"'
            )
        overrides[key] = value
    try:
        resolved = resolve_keymap(overrides)
    except KeymapError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return {key: resolved[key] for key in overrides}


def save_options(path: Path, options: Options) -> None:
    """Write `options` to [options], keeping every other key of the file."""
    _update(path, "options", {name: getattr(options, name) for name in OPTION_NAMES})


def save_theme(path: Path, theme: str) -> None:
    """Write the top-level `theme`, keeping every other key of the file."""
    _check_theme(path, theme)
    _update(path, None, {"theme": theme})


def _update(path: Path, table: str | None, values: dict[str, Any]) -> None:
    if path.is_symlink():
        # Keep a link into a dotfiles checkout a link: write where it points.
        path = path.resolve()
    text = read_text(path) or ""
    try:
        new_text = set_keys(text, table, values)
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{path}: not valid TOML ({reason}); not saved") from None
    write_atomic(path, new_text)


def write_atomic(path: Path, text: str) -> None:
    """Replace the file at `path` with `text` at once (a new file is 0600, in a 0700
    directory; an existing one keeps its mode). Raises ConfigError."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o600
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot save it ({exc.strerror or exc}); check the directory's permissions"
        ) from None
