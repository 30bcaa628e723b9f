import re
from pathlib import Path

import pytest
from textual.color import Color
from textual.theme import Theme

import tui.app as app_module
from tests.tui.test_keymap_tui import StandInScreen, config_file, make_app, run_from_palette
from themes import DEFAULT_THEME, load_themes, theme_names
from tui.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(Color.parse(a)), luminance(Color.parse(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def textual_variables() -> set[str]:
    plain = Theme(name="plain", primary="#888888")
    return set(plain.to_color_system().generate())


def test_shipped_themes() -> None:
    names = theme_names()
    assert DEFAULT_THEME in names
    assert {"frontdesk-dark", "frontdesk-light", "frontdesk-high-contrast"} <= set(names)
    assert [t.name for t in load_themes()] == names


def test_every_theme_defines_the_apps_own_variables() -> None:
    builtin = textual_variables()
    own = {t.name: set(t.variables) - builtin for t in load_themes()}
    every = set().union(*own.values())
    assert {"unread-foreground", "muted-foreground"} <= every
    for name, variables in own.items():
        assert variables == every, f"{name} lacks {every - variables}"


@pytest.mark.parametrize("theme", load_themes(), ids=lambda t: t.name)
def test_text_is_readable(theme: Theme) -> None:
    assert theme.foreground is not None and theme.background is not None
    minimum = 7.0 if "high-contrast" in theme.name else 4.5
    for text in (theme.foreground, theme.variables["muted-foreground"],
                 theme.variables["unread-foreground"]):
        assert contrast(text, theme.background) >= minimum, text


def test_high_contrast_cursor_is_readable() -> None:
    theme = next(t for t in load_themes() if t.name == "frontdesk-high-contrast")
    assert contrast(theme.variables["block-cursor-foreground"],
                    theme.variables["block-cursor-background"]) >= 7.0


def test_stylesheets_take_colours_from_the_theme_only() -> None:
    literal = re.compile(
        r"#[0-9a-fA-F]{3,8}\b|\b(?:rgb|rgba|hsl|hsla)\(|:\s*(?:red|green|blue|white|black"
        r"|yellow|magenta|cyan|gr[ae]y)\b"
    )
    offenders = {}
    for sheet in [*ROOT.joinpath("tui").rglob("*.tcss"), *ROOT.joinpath("themes").glob("*.tcss")]:
        for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("/*", 1)[0]
            if literal.search(code):
                offenders[f"{sheet.relative_to(ROOT)}:{number}"] = line.strip()
    assert offenders == {}


async def test_theme_comes_from_the_config_and_only_frontdesk_themes_are_offered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MainScreen", StandInScreen)
    app = make_app(config_file(tmp_path, 'theme = "frontdesk-light"\n'))
    async with app.run_test():
        assert app.theme == "frontdesk-light"
        assert app.current_theme.dark is False
        assert sorted(app.available_themes) == theme_names()


async def test_switching_theme_from_the_palette_is_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MainScreen", StandInScreen)
    path = config_file(tmp_path, '[options]\nhtml = false\n[keymap]\n"list.down" = "x"\n')
    app = make_app(path)
    async with app.run_test() as pilot:
        assert app.theme == DEFAULT_THEME
        await run_from_palette(pilot, "Theme: frontdesk-high-contrast")
        assert app.theme == "frontdesk-high-contrast"
        assert app.get_css_variables()["background"].upper() == "#000000"
    saved = load_config(path)
    assert saved.theme == "frontdesk-high-contrast"
    assert saved.options.html is False and saved.keymap == {"list.down": "x"}


async def test_textual_theme_picker_choice_is_saved_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MainScreen", StandInScreen)
    path = tmp_path / "new" / "config.toml"
    app = make_app(path)
    async with app.run_test() as pilot:
        app.search_themes()
        await pilot.pause()
        await pilot.press(*"frontdesk-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "frontdesk-light"
    assert load_config(path).theme == "frontdesk-light"
    assert path.stat().st_mode & 0o777 == 0o600
