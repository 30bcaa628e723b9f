"""Console settings: auto-mark read on preview, HTML rendering, conversations (thread
view) and the theme. The app saves them in the console's config file, as the palette's
option and theme commands do (tui.config.save_options, save_theme)."""

from __future__ import annotations

from typing import Protocol, cast

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Select, Switch

from engine.models import Agent
from engine.service import Service
from themes import theme_names
from tui.config import Options
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import FieldRow

SWITCHES = (
    ("auto_mark_read", "Auto-mark read", "a message shown in the preview is marked read"),
    ("html", "HTML rendering", "off: show only the plain part of HTML mail"),
    ("threads", "Conversations", "list threads, not single messages"),
)


class _ConsoleApp(Protocol):
    options: Options
    theme: str
    config_path: object

    def set_options(self, options: Options) -> None: ...


class ConsoleSection(SettingsSection):
    """The console's own options, for this agent's console only."""

    def __init__(self, service: Service, agent: Agent, *, id: str | None = None) -> None:
        super().__init__(service, agent, Content("Console: options and theme"), id=id)

    @property
    def console(self) -> _ConsoleApp:
        return cast(_ConsoleApp, self.app)

    def fields(self) -> ComposeResult:
        options = getattr(self.app, "options", Options())
        for name, label, hint in SWITCHES:
            yield FieldRow(label, Switch(bool(getattr(options, name)), id=f"console-{name}"),
                           hint=hint)
        names = theme_names()
        themes = [(Content(name), name) for name in names]
        current = self.app.theme if self.app.theme in names else names[0]
        yield FieldRow("Theme", Select(themes, value=current, allow_blank=False,
                                       id="console-theme"))

    async def read(self) -> None:
        self.note.done(self._where("Kept"))

    def _where(self, word: str = "Saved") -> str:
        path = getattr(self.app, "config_path", None)
        if path is None:
            return "No config file: changes last until the console closes."
        return f"{word} in {path}."

    def show_options(self, options: Options) -> None:
        """Options changed elsewhere (the palette): show them as they are now."""
        for name, _, _ in SWITCHES:
            self.query_one(f"#console-{name}", Switch).value = bool(getattr(options, name))
        if self.app.theme in theme_names():
            self.query_one("#console-theme", Select).value = self.app.theme

    def options(self) -> Options:
        values = {name: self.query_one(f"#console-{name}", Switch).value
                  for name, _, _ in SWITCHES}
        return Options(**values)

    def save(self) -> None:
        options = self.options()
        if callable(getattr(self.app, "set_options", None)):
            self.console.set_options(options)
        theme = self.query_one("#console-theme", Select).value
        if isinstance(theme, str) and theme != self.app.theme:
            self.app.theme = theme
        self.note.done(f"Console options saved. {self._where()}")
