"""The Textual application: config, themes, keymap, global keys and the main screen.
Kept thin; the work is in screens/ and widgets/, the data behind the Service."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen, SystemModalScreen
from textual.theme import BUILTIN_THEMES

from engine.errors import FrontdeskError
from engine.models import Agent
from engine.service import Service
from themes import load_themes
from tui import keymap
from tui.config import Config, Options, load_config, save_options, save_theme
from tui.messages import OptionsChanged
from tui.palette import binding_commands, option_commands, theme_commands
from tui.screens.main import MainScreen


class FrontdeskApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "frontdesk"
    BINDINGS = [
        keymap.binding("app.quit", "quit"),
        keymap.binding("app.help", "toggle_help"),
        keymap.binding("app.palette", "command_palette", show=False),
        keymap.binding("app.sync_now", "sync_now", show=False),
    ]

    def __init__(self, service: Service, agent: Agent, *, config: Config | None = None,
                 config_path: Path | None = None) -> None:
        """`config` as loaded by the caller, else read from `config_path`; with neither,
        the defaults. Options and theme changes are saved to `config_path` when given.
        Raises ConfigError (one line) for a bad config."""
        if config is None:
            config = load_config(config_path) if config_path is not None else Config()
        key_bindings = keymap.resolve_keymap(config.keymap)
        super().__init__()
        self.key_bindings = key_bindings
        # The footer shows the palette under this key; follow the remap.
        self.COMMAND_PALETTE_BINDING = key_bindings["app.palette"].split(",")[0]  # type: ignore[misc]
        self.service = service
        self.agent = agent
        self.config_path = config_path
        self.options: Options = config.options
        self._start_theme = config.theme
        self._saved_theme = config.theme
        for spec in keymap.KEY_TABLE:
            keys = self.key_bindings[spec.id]
            if spec.action and keys and not spec.keys:
                self.bind(keys, spec.action, description=spec.description, show=False)

    def on_mount(self) -> None:
        for theme in load_themes():
            self.register_theme(theme)
        self.theme = self._start_theme
        # Textual's own themes lack the variables frontdesk's CSS uses.
        for name in BUILTIN_THEMES:
            self.unregister_theme(name)
        self.set_keymap({key: keys for key, keys in self.key_bindings.items() if keys})
        self.push_screen(MainScreen(self.service, self.agent))

    def set_options(self, options: Options) -> None:
        """Use `options`, save them to the config, and tell the screens."""
        changed = options != self.options
        self.options = options
        if changed and self.config_path is not None:
            try:
                save_options(self.config_path, options)
            except FrontdeskError as exc:
                self.notify(str(exc), title="Options not saved", severity="error",
                            markup=False)
        for screen in self.screen_stack:
            if not isinstance(screen, SystemModalScreen):
                screen.post_message(OptionsChanged(options))

    def switch_theme(self, name: str) -> None:
        self.theme = name

    def watch_theme(self, theme: str) -> None:
        if self.config_path is None or theme == self._saved_theme:
            return
        try:
            save_theme(self.config_path, theme)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Theme not saved", severity="error", markup=False)
        else:
            self._saved_theme = theme

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        titles: set[str] = set()
        for command in chain(super().get_system_commands(screen), theme_commands(self),
                             option_commands(self), binding_commands(self, screen)):
            if command.title not in titles:
                titles.add(command.title)
                yield command

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    async def action_sync_now(self) -> None:
        handler = getattr(self.screen, "sync_now", None)
        if handler is None:
            self.notify("sync requested")
            return
        result = handler()
        if inspect.isawaitable(result):
            await result
