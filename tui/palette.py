"""The command palette's frontdesk commands: themes, options, and every live binding and
palette-only action of the screen, found by description."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen

from tui.config import OPTION_NAMES

if TYPE_CHECKING:
    from tui.app import FrontdeskApp

OPTION_LABELS: dict[str, str] = {
    "auto_mark_read": "auto-mark read",
    "html": "HTML rendering",
    "threads": "thread view",
}

# Textual's own palette commands already offer these ("Quit", "Keys", the palette).
_OFFERED_BY_TEXTUAL = frozenset({
    "quit", "toggle_help", "show_help_panel", "hide_help_panel", "command_palette",
    "help_quit",
})


def theme_commands(app: FrontdeskApp) -> Iterator[SystemCommand]:
    """One command per registered theme."""
    for name in sorted(app.available_themes):
        current = " (current)" if name == app.theme else ""
        yield SystemCommand(
            f"Theme: {name}", f"Switch to the {name} theme{current}; saved in the config",
            lambda name=name: app.switch_theme(name),
        )


def option_label(name: str) -> str:
    return OPTION_LABELS.get(name, name.replace("_", " "))


def option_commands(app: FrontdeskApp) -> Iterator[SystemCommand]:
    """One command per option, turning it to its other state."""
    for name in OPTION_NAMES:
        value = bool(getattr(app.options, name))
        label = option_label(name)
        yield SystemCommand(
            f"Turn {label} {'off' if value else 'on'}",
            f"{label[0].upper()}{label[1:]} is {'on' if value else 'off'}; saved in the config",
            lambda name=name, value=value: app.set_options(
                replace(app.options, **{name: not value})
            ),
        )


def _bare_action(action: str) -> str:
    return action.partition("(")[0].rpartition(".")[2]


def binding_commands(app: FrontdeskApp, screen: Screen[Any]) -> Iterator[SystemCommand]:
    """The frontdesk bindings (those with an id) active on `screen`: the focused
    widget's, the screen's and the app's; then the screen's PALETTE_ACTIONS. Each runs
    in its own namespace."""
    seen: dict[tuple[int, str], list[str]] = {}
    found: list[tuple[str, str, DOMNode]] = []
    screen_keys: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if active.node is screen or binding.action.startswith("screen."):
            screen_keys.setdefault(_bare_action(binding.action), []).append(
                app.get_key_display(binding.with_key(key)))
        # Bindings without an id are Textual's own (scrolling, copy): not frontdesk's keys.
        if (binding.id is None or binding.system or not active.enabled
                or not binding.description
                or _bare_action(binding.action) in _OFFERED_BY_TEXTUAL):
            continue
        slot = (id(active.node), binding.action)
        if slot not in seen:
            seen[slot] = []
            found.append((binding.description, binding.action, active.node))
        display = app.get_key_display(binding.with_key(key))
        if display not in seen[slot]:
            seen[slot].append(display)
    on_screen: set[str] = set()
    for description, action, node in found:
        keys = " ".join(seen[(id(node), action)])
        if node is screen or action.startswith("screen."):
            on_screen.add(_bare_action(action))
        yield SystemCommand(description, f"key: {keys}", _runner(app, action, node))
    for description, action in getattr(screen, "PALETTE_ACTIONS", ()):
        bare = _bare_action(action)
        if bare not in on_screen:
            keys = " ".join(screen_keys.get(bare, []))
            yield SystemCommand(description, f"key: {keys}" if keys else "no key bound",
                                _runner(app, action, screen))


def _runner(app: FrontdeskApp, action: str, node: DOMNode) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await app.run_action(action, node)

    return run
