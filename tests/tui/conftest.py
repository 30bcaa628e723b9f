from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pytest

import engine.demo
from engine.demo import DemoSpec, open_demo
from engine.service import LocalService

# The demo spreads its mail over the days before it is built, so when it is built decides
# which message comes first; the tests want the same store on every day.
DEMO_NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def clock_at(moment: datetime) -> type[datetime]:
    """datetime whose now() is `moment`: patched into engine.demo, it pins the demo."""

    class Pinned(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    return Pinned


@pytest.fixture
async def demo_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(engine.demo, "datetime", clock_at(DEMO_NOW))
    service: LocalService = await open_demo(
        tmp_path / "demo.db", DemoSpec(messages=240, seed=3), login="tester"
    )
    yield service
    await service.close()
