"""Snapshots of the console on the demo store at 80x24 and 120x40.

The demo store is seeded, and both its dates and the list's clock are pinned, so the
screens are the same on every run. Update after a deliberate change of layout with
`pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the SVGs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import engine.demo
import tui.screens.main
import tui.widgets.message_list
from engine.demo import DemoSpec, open_demo
from engine.service import LocalService
from tests.tui.conftest import clock_at
from tui.app import FrontdeskApp
from tui.config import Config, Options

FIXED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)




@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(engine.demo, "datetime", clock_at(FIXED_NOW))
    monkeypatch.setattr(tui.widgets.message_list, "_utc_now", lambda: FIXED_NOW)
    monkeypatch.setattr(tui.screens.main, "_utc_now", lambda: FIXED_NOW)
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def demo_app(tmp_path: Path, pinned: None) -> Iterator[FrontdeskApp]:
    """The console on a fresh demo store. The store's connections run in their own
    threads, so the service opened here serves the app's own event loop too."""

    async def build() -> tuple[LocalService, Any]:
        service = await open_demo(tmp_path / "demo.db", DemoSpec(messages=240, seed=3),
                                  login="tester")
        return service, await service.login("tester")

    service, agent = asyncio.run(build())
    config = Config(options=Options(auto_mark_read=False))
    try:
        yield FrontdeskApp(service, agent, config=config)
    finally:
        asyncio.run(service.close())


async def _loaded(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _after(*keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await _loaded(pilot)

    return run


def test_start_80x24(snap_compare: Any, demo_app: FrontdeskApp) -> None:
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_after())


def test_start_120x40(snap_compare: Any, demo_app: FrontdeskApp) -> None:
    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=_after())


def test_threads_80x24(snap_compare: Any, demo_app: FrontdeskApp) -> None:
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_after("T", "j"))


def test_search_120x40(snap_compare: Any, demo_app: FrontdeskApp) -> None:
    keys = ("slash", *"subject:invoice is:read", "enter", "n")
    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=_after(*keys))
