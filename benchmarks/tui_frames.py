"""What the TUI benchmark measures with: frame timestamps and a view of a list widget."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from textual._compositor import CompositorUpdate
from textual.app import App

from tui.widgets.message_list import MessageList

# No single wait (a frame, a key, background work) may take longer than this.
WAIT_LIMIT_S = 60.0


class BenchError(Exception):
    """A measurement could not be taken."""


def log(text: str) -> None:
    # Textual captures sys.stderr while an app runs.
    stream = sys.__stderr__ or sys.stderr
    print(f"[tui_bench {time.strftime('%H:%M:%S')}] {text}", file=stream, flush=True)


def current_rss_mb() -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    return 0.0


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- frames -------------------------------------------------------------------------------


class FrameProbe:
    """Timestamps the first frame on which each awaited condition holds."""

    def __init__(self) -> None:
        self.frames = 0
        self._pending: dict[str, Callable[[], bool]] = {}
        self._seen: dict[str, float] = {}
        self._events: dict[str, asyncio.Event] = {}

    def expect(self, name: str, condition: Callable[[], bool]) -> None:
        self._pending[name] = condition
        self._seen.pop(name, None)
        self._events[name] = asyncio.Event()

    def frame(self) -> None:
        self.frames += 1
        now = time.perf_counter()
        for name, condition in list(self._pending.items()):
            if condition():
                del self._pending[name]
                self._seen[name] = now
                self._events[name].set()

    async def seen(self, name: str, limit: float = WAIT_LIMIT_S) -> float:
        """When the first frame showing `name` went out."""
        try:
            await asyncio.wait_for(self._events[name].wait(), limit)
        except TimeoutError as exc:
            raise BenchError(f"no frame showed {name!r} within {limit} s") from exc
        return self._seen[name]


def record_frame(app: App[Any], renderable: RenderableType | None, probe: FrameProbe) -> None:
    if renderable is None:
        return
    if app.is_headless and isinstance(renderable, CompositorUpdate):
        renderable.render_segments(app.console)
    probe.frame()


def css_beside(app_class: type[App[Any]]) -> str:
    """An app's relative CSS_PATH made absolute, so a subclass defined here finds it."""
    css = app_class.CSS_PATH
    if not isinstance(css, str):
        raise BenchError(f"{app_class.__name__}.CSS_PATH is not one path")
    return str(Path(inspect.getfile(app_class)).parent / css)


@dataclass(frozen=True)
class ListView:
    """What the timing loop reads of a list widget: its cursor, size, rows in view, and
    whether a row's data is at hand."""

    cursor: Callable[[], int]
    total: Callable[[], int]
    viewport: Callable[[], range]
    loaded: Callable[[int], bool]

    def shows(self, row: int) -> bool:
        return self.cursor() == row and row in self.viewport() and self.loaded(row)

    def full(self) -> bool:
        return self.total() > 0 and all(self.loaded(r) for r in self.viewport())


def frontdesk_view(messages: MessageList) -> ListView:
    def viewport() -> range:
        top = round(messages.scroll_y)
        height = max(1, messages.scrollable_content_region.height)
        return range(top, min(messages.total, top + height))

    return ListView(
        cursor=lambda: messages.cursor_row,
        total=lambda: messages.total,
        viewport=viewport,
        loaded=lambda row: messages.message_at(row) is not None,
    )
