"""The Textual application: themes, global keys, and the main screen. Kept thin; the
work is in screens/ and widgets/, the data behind the Service."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from engine.models import Agent
from engine.service import Service
from themes import DEFAULT_THEME, load_themes
from tui.screens.main import MainScreen


class FrontdeskApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "frontdesk"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "toggle_help", "Help", id="app.help"),
        Binding("colon", "command_palette", "Commands", show=False, id="app.palette"),
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent

    def on_mount(self) -> None:
        for theme in load_themes():
            self.register_theme(theme)
        self.theme = DEFAULT_THEME
        self.push_screen(MainScreen(self.service, self.agent))

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
