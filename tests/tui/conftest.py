from pathlib import Path

import pytest

from engine.demo import DemoSpec, open_demo
from engine.service import LocalService


@pytest.fixture
async def demo_service(tmp_path: Path):
    service: LocalService = await open_demo(
        tmp_path / "demo.db", DemoSpec(messages=240, seed=3), login="tester"
    )
    yield service
    await service.close()
