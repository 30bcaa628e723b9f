"""One engine per store: a lock file beside the database, held while sync runs."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from engine.errors import FrontdeskError
from engine.identity import os_user


class EngineBusyError(FrontdeskError):
    """Another engine already runs on this store."""


class EngineLock:
    """An exclusive, advisory lock (flock) on `<db>.lock`; the kernel releases it when
    the process dies, so a crash never leaves a stale lock."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise EngineBusyError(
                f"another frontdesk engine runs on this store ({holder}); "
                "stop it first, or let it do the syncing"
            ) from None
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "user": os_user(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.write(fd, json.dumps(info).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> EngineLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return (f"pid {info.get('pid', '?')}, user {info.get('user', '?')}, "
                f"since {info.get('since', '?')}")
    except (OSError, ValueError):
        return "holder unknown"
