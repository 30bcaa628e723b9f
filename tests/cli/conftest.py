import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The user's own store and config are never touched by tests."""
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


@pytest.fixture
def frontdesk(cli_env: dict[str, str]) -> Run:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=env or cli_env,
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def frontdesk_in(cli_env: dict[str, str]) -> Run:
    """Like `frontdesk`, with text for standard input."""

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=cli_env,
            capture_output=True, text=True, timeout=120, input=stdin,
        )

    return run
