import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.errors import FrontdeskError
from themes import theme_names
from tui.config import (
    Config,
    ConfigError,
    Options,
    load_config,
    resolve_config_path,
    save_options,
    save_theme,
)
from tui.toml_edit import dumps, format_string, set_keys

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert isinstance(caught.value, FrontdeskError)
    return message


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope" / "config.toml")
    assert config == Config()
    assert config.options == Options(auto_mark_read=True, html=True, threads=False)
    assert config.theme == "frontdesk-dark"


def test_full_file_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", """\
theme = "frontdesk-light"
[options]
auto_mark_read = false
threads = true
[keymap]
"list.down" = "x,down"
"app.sync_now" = "S"
"main.flag" = "$"
"list.up" = ["y", "up"]
""")
    config = load_config(path)
    assert config.theme == "frontdesk-light"
    assert config.options == Options(auto_mark_read=False, html=True, threads=True)
    assert config.keymap == {"list.down": "x,down", "app.sync_now": "S",
                             "main.flag": "dollar_sign", "list.up": "y,up"}


@pytest.mark.parametrize(("text", "needles"), [
    ("[options]\nhtml = 1\n", ["[options] html must be true or false"]),
    ('[options]\nhtml = "yes"\n', ["[options] html must be true or false"]),
    ("[options]\nsparkles = true\n", ['unknown option "sparkles"', "auto_mark_read"]),
    ("colour = 3\n", ['unknown key "colour"', "[keymap]"]),
    ("options = 3\n", ["options must be a table"]),
    ("theme = 3\n", ["theme must be a string"]),
    ('theme = "solarized-neon"\n', ['unknown theme "solarized-neon"', "frontdesk-dark",
                                    "frontdesk-high-contrast"]),
    ('[keymap]\n"list.down" = 5\n', ['[keymap] "list.down" must be a string']),
    ('[keymap]\n"list.dwn" = "j"\n', ['unknown binding id "list.dwn"']),
    ('[keymap]\n"main.flag" = "j"\n', ['"j" is bound to both main.flag and list.down']),
    ('[keymap]\n"list.down" = ""\n', ['"list.down" has an empty key']),
    ("theme = \n", ["not valid TOML", "line 1"]),
])
def test_bad_values_give_one_line_naming_file_and_key(tmp_path: Path, text: str,
                                                       needles: list[str]) -> None:
    path = write(tmp_path / "config.toml", text)
    message = one_line_error(path)
    assert message.startswith(f"{path}: ")
    for needle in needles:
        assert needle in message


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()
    assert "cannot read" in one_line_error(path)


def test_save_options_round_trip_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "frontdesk" / "config.toml"
    options = Options(auto_mark_read=False, html=False, threads=True)
    save_options(path, options)
    assert load_config(path).options == options
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_save_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "theme = \"frontdesk-dark\"\n")
    path.chmod(0o640)
    save_theme(path, "frontdesk-light")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert load_config(path).theme == "frontdesk-light"


KEPT = """\
# my frontdesk setup
theme = "frontdesk-light"  # easier on the eyes

[options]
# read mail stays unread until I say so
auto_mark_read = false  # really
html = true

[keymap]
"list.down" = "x,down"
"main.flag" = "!"
"""


def test_save_options_keeps_other_keys_and_comments(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", KEPT)
    save_options(path, Options(auto_mark_read=True, html=False, threads=True))
    text = path.read_text(encoding="utf-8")
    config = load_config(path)
    assert config.theme == "frontdesk-light"
    assert config.keymap == {"list.down": "x,down", "main.flag": "exclamation_mark"}
    assert config.options == Options(auto_mark_read=True, html=False, threads=True)
    assert "# read mail stays unread until I say so" in text
    assert "auto_mark_read = true  # really" in text
    assert "# easier on the eyes" in text
    # The new key lands in [options], not at the end of the file.
    assert text.index("threads = true") < text.index("[keymap]")


def test_save_theme_keeps_other_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", KEPT)
    save_theme(path, "frontdesk-high-contrast")
    config = load_config(path)
    assert config.theme == "frontdesk-high-contrast"
    assert config.options.auto_mark_read is False
    assert config.keymap["list.down"] == "x,down"
    assert 'theme = "frontdesk-high-contrast"  # easier on the eyes' in path.read_text()


def test_save_theme_into_a_file_without_one_puts_it_at_the_top(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "[options]\nhtml = false\n")
    save_theme(path, "frontdesk-light")
    data = tomllib.loads(path.read_text())
    assert data == {"theme": "frontdesk-light", "options": {"html": False}}


def test_save_refuses_an_unknown_theme(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError, match="unknown theme"):
        save_theme(path, "nope")
    assert not path.exists()


def test_save_never_overwrites_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", "theme = = oops\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        save_options(path, Options())
    assert path.read_text() == "theme = = oops\n"


def test_save_rewrites_shapes_it_cannot_edit_without_losing_keys(tmp_path: Path) -> None:
    # Dotted keys and a multi-line string defeat line editing; every value must survive.
    original = (
        'options.html = false\n'
        'note = """\n[options]\nthreads = true\n"""\n'
        '[extra]\nlist = [1, 2.5, "three"]\nwhen = 2026-01-02T03:04:05Z\n'
        '[extra.inner]\nquote = "say \\"hi\\"\\tnow"\n'
    )
    path = write(tmp_path / "config.toml", original)
    before = tomllib.loads(original)
    save_options(path, Options(threads=True))
    after = tomllib.loads(path.read_text())
    expected = dict(before)
    expected["options"] = {"auto_mark_read": True, "html": True, "threads": True}
    assert after == expected


def test_set_keys_adds_a_missing_table(tmp_path: Path) -> None:
    text = set_keys('theme = "frontdesk-dark"\n[keymap]\n"app.quit" = "Q"\n', "options",
                    {"html": False})
    assert tomllib.loads(text) == {"theme": "frontdesk-dark", "keymap": {"app.quit": "Q"},
                                   "options": {"html": False}}


@pytest.mark.parametrize("value", [
    'quote " and backslash \\', "tab\tnewline\nreturn\r", "bell\x07 esc\x1b del\x7f",
    "unicode ✓ é 中", "'single'", "#not a comment",
])
def test_strings_are_escaped_so_they_read_back_the_same(value: str) -> None:
    assert tomllib.loads(f"k = {format_string(value)}\n") == {"k": value}
    document = {"a key.with dots": value, "t": {"nested": {"v": [value]}}}
    assert tomllib.loads(dumps(document)) == document


def test_the_readme_example_is_a_valid_config(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = load_config(write(tmp_path / "config.toml", example))
    assert config.keymap["main.unread_only"] == "o"
    assert config.options == Options()


def test_config_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FRONTDESK_CONFIG", raising=False)
    assert resolve_config_path() == tmp_path / "xdg" / "frontdesk" / "config.toml"
    monkeypatch.setenv("FRONTDESK_CONFIG", str(tmp_path / "env.toml"))
    assert resolve_config_path() == tmp_path / "env.toml"
    assert resolve_config_path(str(tmp_path / "flag.toml")) == tmp_path / "flag.toml"


def test_every_shipped_theme_is_allowed_in_the_config(tmp_path: Path) -> None:
    for name in theme_names():
        path = write(tmp_path / "config.toml", f'theme = "{name}"\n')
        assert load_config(path).theme == name


def test_the_command_refuses_a_bad_config_in_one_line(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", '[keymap]\n"main.flag" = "j"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("FRONTDESK_DB", "FRONTDESK_CONFIG")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    for args, extra in (
        (["--config", str(config)], {}),
        ([], {"FRONTDESK_CONFIG": str(config)}),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env={**env, **extra},
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines == [
            f'frontdesk: {config}: keymap: "j" is bound to both main.flag and list.down; '
            "choose another key"
        ]
    assert not (tmp_path / "data" / "frontdesk" / "frontdesk.db").exists()
