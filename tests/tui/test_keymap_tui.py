"""Key remaps from the config, help and the command palette, driven with Pilot.

Most tests run the app over a small stand-in for the main screen (same constructor,
a focusable pane with list bindings, PALETTE_ACTIONS), so they pin the app's own
behaviour; one runs the real main screen on the demo store."""

import io
from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import Console
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

import tui.app as app_module
from engine.service import LocalService
from tui.app import FrontdeskApp
from tui.config import ConfigError, Options, load_config
from tui.messages import OptionsChanged


class Pane(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "down", "Down", id="list.down"),
        Binding("k", "up", "Up", id="list.up"),
    ]

    def __init__(self) -> None:
        super().__init__(id="pane")
        self.position = 0

    def action_down(self) -> None:
        self.position += 1

    def action_up(self) -> None:
        self.position -= 1


class StandInScreen(Screen[None]):
    PALETTE_ACTIONS: ClassVar[list[tuple[str, str]]] = [
        ("Show only unread messages (toggle)", "toggle_unread_only"),
    ]

    def __init__(self, service: object, agent: object) -> None:
        super().__init__()
        self.unread_only = False
        self.synced = 0
        self.received: list[Options] = []

    def compose(self) -> ComposeResult:
        yield Pane()
        yield Footer()

    def action_toggle_unread_only(self) -> None:
        self.unread_only = not self.unread_only

    def sync_now(self) -> None:
        self.synced += 1

    def on_options_changed(self, event: OptionsChanged) -> None:
        self.received.append(event.options)


class ScreenWithoutSync(StandInScreen):
    sync_now = None  # type: ignore[assignment]


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> type[StandInScreen]:
    monkeypatch.setattr(app_module, "MainScreen", StandInScreen)
    return StandInScreen


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def make_app(path: Path) -> FrontdeskApp:
    return FrontdeskApp(None, None, config_path=path)  # type: ignore[arg-type]


def help_text(app: FrontdeskApp) -> str:
    from textual.widgets._key_panel import BindingsTable

    table = app.screen.query_one(BindingsTable).render_bindings_table()
    console = Console(width=60, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


async def test_remapped_quit_key_quits_and_the_old_one_does_not(
        tmp_path: Path, stand_in: type[StandInScreen]) -> None:
    app = make_app(config_file(tmp_path, '[keymap]\n"app.quit" = "ctrl+x"\n'))
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_help_opens_on_the_remapped_key_and_lists_current_keys(
        tmp_path: Path, stand_in: type[StandInScreen]) -> None:
    path = config_file(tmp_path, '[keymap]\n"app.help" = "h"\n"list.down" = "x,down"\n')
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
        await pilot.press("h")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        rows = [line.split() for line in help_text(app).splitlines()]
        assert ["h", "Help"] in rows
        assert ["x", "↓", "Down"] in rows
        assert not any(row[:1] == ["j"] for row in rows)
        await pilot.press("h")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_footer_shows_the_palette_key_in_use(tmp_path: Path,
                                                   stand_in: type[StandInScreen]) -> None:
    app = make_app(config_file(tmp_path, '[keymap]\n"app.palette" = "ctrl+k"\n'))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        palette_key = app.screen.query_one("FooterKey.-command-palette", FooterKey)
        assert palette_key.key == "ctrl+k"
        await pilot.press("colon")
        await pilot.pause()
        assert app.screen.id != "--command-palette"
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert app.screen.id == "--command-palette"


async def test_list_binding_is_remapped_by_id(tmp_path: Path,
                                              stand_in: type[StandInScreen]) -> None:
    app = make_app(config_file(tmp_path, '[keymap]\n"list.down" = "x"\n"list.up" = "y,up"\n'))
    async with app.run_test() as pilot:
        pane = app.screen.query_one(Pane)
        assert app.focused is pane
        active = app.screen.active_bindings
        assert active["x"].binding.id == "list.down"
        assert "j" not in active and "down" not in active  # the remap replaces defaults
        assert active["up"].binding.id == active["y"].binding.id == "list.up"
        await pilot.press("j", "x", "x", "y")
        assert pane.position == 1


async def test_defaults_apply_the_whole_table(tmp_path: Path,
                                              stand_in: type[StandInScreen]) -> None:
    # The pane declares only "j"; the table's default "j,down" is applied to it.
    app = make_app(tmp_path / "missing.toml")
    async with app.run_test() as pilot:
        active = app.screen.active_bindings
        assert active["j"].binding.id == active["down"].binding.id == "list.down"
        await pilot.press("down")
        assert app.screen.query_one(Pane).position == 1
    assert not (tmp_path / "missing.toml").exists()  # nothing changed, nothing written


async def test_a_colliding_remap_refuses_to_start(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[keymap]\n"app.help" = "j"\n')
    with pytest.raises(ConfigError) as caught:
        make_app(path)
    assert str(caught.value) == (
        f'{path}: keymap: "j" is bound to both app.help and list.down; choose another key'
    )


async def test_palette_only_action_can_get_a_key(tmp_path: Path,
                                                 stand_in: type[StandInScreen]) -> None:
    app = make_app(config_file(tmp_path, '[keymap]\n"main.unread_only" = "o"\n'))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, StandInScreen)
        await pilot.press("o")
        assert screen.unread_only is True
        await pilot.press("o")
        assert screen.unread_only is False
        commands = {c.title: c.help for c in app.get_system_commands(screen)}
        assert commands["Show only unread messages (toggle)"] == "key: o"


async def test_sync_key_asks_the_screen_or_says_it_was_requested(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MainScreen", StandInScreen)
    app = make_app(config_file(tmp_path, '[keymap]\n"app.sync_now" = "S"\n'))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, StandInScreen)
        await pilot.press("dollar_sign")
        await pilot.press("S")
        await pilot.pause()
        assert screen.synced == 1
    monkeypatch.setattr(app_module, "MainScreen", ScreenWithoutSync)
    app = make_app(tmp_path / "missing.toml")
    async with app.run_test() as pilot:
        await pilot.press("$")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["sync requested"]


async def run_from_palette(pilot, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("colon")
    await pilot.pause()
    assert pilot.app.screen.id == "--command-palette"
    await pilot.press(*query)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def test_option_toggled_from_the_palette_is_saved_and_sent_to_the_screen(
        tmp_path: Path, stand_in: type[StandInScreen]) -> None:
    path = config_file(tmp_path, '# mine\n[keymap]\n"list.down" = "x"\n')
    app = make_app(path)
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, StandInScreen)
        await run_from_palette(pilot, "Turn thread view on")
        assert app.options == Options(threads=True)
        assert screen.received == [Options(threads=True)]
        assert app.screen is screen  # the palette is gone
        await run_from_palette(pilot, "Turn HTML rendering off")
        assert app.options == Options(threads=True, html=False)
    saved = load_config(path)
    assert saved.options == Options(threads=True, html=False)
    assert saved.keymap == {"list.down": "x"}
    assert path.read_text().startswith("# mine\n")


async def test_set_options_without_a_config_file_still_tells_the_screen(
        stand_in: type[StandInScreen]) -> None:
    app = FrontdeskApp(None, None)  # type: ignore[arg-type]
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, StandInScreen)
        app.set_options(Options(auto_mark_read=False))
        await pilot.pause()
        assert screen.received == [Options(auto_mark_read=False)]


async def test_palette_offers_live_bindings_and_palette_actions(
        tmp_path: Path, stand_in: type[StandInScreen]) -> None:
    app = make_app(config_file(tmp_path, '[keymap]\n"list.down" = "x"\n'))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, StandInScreen)
        commands = {c.title: c.help for c in app.get_system_commands(screen)}
        assert commands["Down"] == "key: x"
        assert commands["Sync now"] == "key: $"
        assert commands["Show only unread messages (toggle)"] == "no key bound"
        for name in ("Turn auto-mark read off", "Turn HTML rendering off",
                     "Turn thread view on", "Theme: frontdesk-light"):
            assert name in commands
        titles = [c.title for c in app.get_system_commands(screen)]
        assert len(titles) == len(set(titles))
        assert "Quit" in titles and "Help" not in titles  # Textual's "Quit" and "Keys"
        await run_from_palette(pilot, "Show only unread")
        assert screen.unread_only is True
        await run_from_palette(pilot, "Down")
        assert screen.query_one(Pane).position == 1


async def test_real_main_screen_takes_the_list_remap(demo_service: LocalService,
                                                     tmp_path: Path) -> None:
    agent = await demo_service.login("tester")
    path = config_file(tmp_path, '[keymap]\n"list.down" = "x"\n"list.top" = "home"\n')
    app = FrontdeskApp(demo_service, agent, config_path=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        active = app.screen.active_bindings
        assert active["x"].binding.id == "list.down"
        assert "g" not in active or active["g"].binding.id != "list.top"
        assert active["dollar_sign"].binding.id == "app.sync_now"
