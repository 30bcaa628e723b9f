"""The installed `frontdesk demo` in a real terminal (tmux), at 80x24 and 120x40."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

FRONTDESK = Path(sys.executable).parent / "frontdesk"


def _tmux(sock: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True,
                          timeout=20).stdout


def _wait_for(sock: str, predicate, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(sock, "capture-pane", "-p", "-t", "smoke")
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"screen never matched; last screen:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"),
                    reason="tmux not installed")
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_demo_console_in_tmux(tmp_path: Path, size: tuple[int, int]) -> None:
    assert FRONTDESK.exists(), "install the package first (pip install -e .)"
    sock = f"frontdesk-smoke-{os.getpid()}-{size[0]}"
    done = tmp_path / "exit"
    env = (f"env XDG_DATA_HOME={tmp_path}/data XDG_CONFIG_HOME={tmp_path}/config "
           f"TERM=xterm-256color")
    cmd = (f"{env} {FRONTDESK} demo --db {tmp_path}/demo.db --messages 200; "
           f"echo $? > {done}")
    try:
        _tmux(sock, "new-session", "-d", "-s", "smoke", "-x", str(size[0]), "-y", str(size[1]),
              cmd)
        # The tree, and the status line counting the open folder's messages (loaded a
        # moment after the tree).
        screen = _wait_for(sock, lambda s: "(shared)" in s and "Inbox" in s and "messages" in s)
        lines = screen.splitlines()
        assert len(lines) <= size[1] and all(len(line) <= size[0] for line in lines)
        # Search from the keyboard, then back to the folder.
        _tmux(sock, "send-keys", "-t", "smoke", "/")
        _tmux(sock, "send-keys", "-t", "smoke", "-l", "is:unread")
        _tmux(sock, "send-keys", "-t", "smoke", "Enter")
        _wait_for(sock, lambda s: "Search: is:unread" in s and "results" in s)
        _tmux(sock, "send-keys", "-t", "smoke", "Escape")
        _wait_for(sock, lambda s: "Inbox ·" in s and "messages" in s)
        _tmux(sock, "send-keys", "-t", "smoke", "j")
        _tmux(sock, "send-keys", "-t", "smoke", "q")
        deadline = time.monotonic() + 20
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert done.exists(), "frontdesk did not quit on q"
        assert done.read_text().strip() == "0"
    finally:
        _tmux(sock, "kill-server")
