"""Run one command as a measured child: wall, CPU and peak memory of that child alone.

CPU comes from os.wait4 on the child, so it covers the child and every descendant it
reaped itself (a worker pool included) and nothing of this process.

Peak RSS cannot come from that same wait4: Python spawns with vfork, and Linux records
the old address space's high-water mark at exec, so a child's ru_maxrss starts at this
process's own peak (measured: /bin/true "peaks" at 319 MB under a 300 MB parent). GNU
time, a 1 MB process, therefore sits between us and the command and reports the
command's own ru_maxrss (largest single process among it and its reaped descendants).
The summed RSS of the whole process tree is sampled from /proc as well, since a worker
pool's total is not the largest single process.

Processes the command leaves running when it exits (a multiprocessing forkserver and
resource tracker, say) would take their CPU, and that of the workers they reaped, out of
the command's rusage. So this process becomes a child subreaper: such orphans are
re-parented to it, and once they end on their own their rusage is added to the command's.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")
GNU_TIME = Path("/usr/bin/time")
# How long what the command left behind may take to end on its own before it is killed.
LINGER_LIMIT_S = 10.0
PR_SET_CHILD_SUBREAPER = 36
SAMPLE_INTERVAL_S = 0.1

# Called from the stderr reader thread with a decoded JSON event and its time since start.
EventHook = Callable[[dict[str, Any], float], None]


@dataclass
class Run:
    argv: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    peak_tree_rss_mb: float
    # "gnu-time" (exact), else "wait4" (an upper bound: see the module docstring).
    rss_source: str = "gnu-time"
    timed_out: bool = False
    # Processes of the command's session still running when it exited; their CPU (and that
    # of their reaped children) is included in cpu_s once they end.
    lingering: list[str] = field(default_factory=list)
    linger_s: float = 0.0
    lingering_cpu_s: float = 0.0
    # Those still running LINGER_LIMIT_S after the command exited: killed.
    killed: list[str] = field(default_factory=list)
    # First occurrence of every {"event": NAME} line on stderr, seconds since start.
    marks: dict[str, float] = field(default_factory=dict)
    events: int = 0
    last_events: list[dict[str, Any]] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def failure(self) -> dict[str, Any]:
        """What to show when the run failed: enough to reproduce and diagnose it."""
        return {
            "command": " ".join(self.argv),
            "exit_code": self.returncode,
            "timed_out": self.timed_out,
            "stderr_tail": self.stderr_tail[-15:],
            "last_events": self.last_events[-5:],
        }


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    stdin_data: bytes | None = None,
    on_event: EventHook | None = None,
    timeout_s: float = 3600.0,
) -> Run:
    """Run *argv* to completion and measure it; never raises for a failing command."""
    tail: deque[str] = deque(maxlen=60)
    last_events: deque[dict[str, Any]] = deque(maxlen=10)
    marks: dict[str, float] = {}
    counts = {"events": 0}
    stdout_chunks: list[bytes] = []
    peak_tree = [0]
    finished = threading.Event()
    timed_out = threading.Event()

    _become_subreaper()
    launcher: list[str] = []
    rss_file: Path | None = None
    if GNU_TIME.exists():
        fd, name = tempfile.mkstemp(prefix="fd-bench-rusage-")
        os.close(fd)
        rss_file = Path(name)
        launcher = [str(GNU_TIME), "-f", "%M", "-o", name, "--"]

    start = time.perf_counter()
    # Own session: the whole tree can be found (and, on timeout, killed) by session id.
    proc = subprocess.Popen(
        [*launcher, *argv],
        stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        start_new_session=True,
    )

    def read_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            at = time.perf_counter() - start
            line = raw.decode(errors="replace").rstrip("\n")
            tail.append(line)
            event = _as_event(line)
            if event is None:
                continue
            counts["events"] += 1
            last_events.append(event)
            name = str(event["event"])
            if name not in marks:
                marks[name] = at
                if on_event is not None:
                    on_event(event, at)

    def read_stdout() -> None:
        assert proc.stdout is not None
        stdout_chunks.extend(iter(lambda: proc.stdout.read(65536), b""))  # type: ignore[union-attr]

    def sample_tree() -> None:
        skip = proc.pid if launcher else None  # GNU time itself is not the command
        # A first look early, so that sub-second runs get a figure too.
        interval = SAMPLE_INTERVAL_S / 5
        while not finished.wait(interval):
            peak_tree[0] = max(peak_tree[0], session_rss(proc.pid, skip))
            interval = SAMPLE_INTERVAL_S

    def watchdog() -> None:
        if not finished.wait(timeout_s):
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    threads = [
        threading.Thread(target=fn, daemon=True)
        for fn in (read_stderr, read_stdout, sample_tree, watchdog)
    ]
    for thread in threads:
        thread.start()
    if stdin_data is not None:
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin_data)
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()

    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    finished.set()
    # Popen did not reap the child itself; tell it, so it never waits on a reused pid.
    proc.returncode = os.waitstatus_to_exitcode(status)

    lingering = {pid: _cmdline(pid) for pid in session_members(proc.pid)}
    orphans = _collect_orphans(proc.pid, time.perf_counter() + LINGER_LIMIT_S)
    for thread in threads[:2]:
        thread.join(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    peak_kib, rss_source = usage.ru_maxrss, "wait4"
    if rss_file is not None:
        # A non-zero exit adds a "Command exited with ..." line before the figure.
        lines = rss_file.read_text().split()
        rss_file.unlink()
        if lines and lines[-1].isdigit():
            peak_kib, rss_source = int(lines[-1]), "gnu-time"

    return Run(
        argv=list(argv),
        returncode=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime + orphans.user_s + orphans.sys_s,
        user_s=usage.ru_utime + orphans.user_s,
        sys_s=usage.ru_stime + orphans.sys_s,
        peak_rss_mb=max(peak_kib, orphans.maxrss_kib) / 1024,
        peak_tree_rss_mb=peak_tree[0] / 2**20,
        rss_source=rss_source,
        timed_out=timed_out.is_set(),
        lingering=sorted(lingering.values()),
        linger_s=orphans.linger_s,
        lingering_cpu_s=orphans.user_s + orphans.sys_s,
        killed=orphans.killed,
        marks=marks,
        events=counts["events"],
        last_events=list(last_events),
        stderr_tail=list(tail),
        stdout=b"".join(stdout_chunks).decode(errors="replace"),
    )


@dataclass
class _Orphans:
    user_s: float = 0.0
    sys_s: float = 0.0
    maxrss_kib: int = 0
    linger_s: float = 0.0
    killed: list[str] = field(default_factory=list)


def _collect_orphans(sid: int, deadline: float) -> _Orphans:
    """Wait for what is left of session *sid* to end, reaping the orphans handed to us."""
    found = _Orphans()
    start = time.perf_counter()
    killed_at: float | None = None
    while True:
        members = session_members(sid, zombies=True)
        for pid in members:
            try:
                reaped, _status, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                continue  # not re-parented to us (yet): its parent is still alive
            if reaped and killed_at is None:
                found.user_s += usage.ru_utime
                found.sys_s += usage.ru_stime
                found.maxrss_kib = max(found.maxrss_kib, usage.ru_maxrss)
        now = time.perf_counter()
        if not members:
            found.linger_s = now - start
            return found
        if killed_at is None and now > deadline:
            found.killed = [_cmdline(pid) for pid in members]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(sid, signal.SIGKILL)
            killed_at = now
        elif killed_at is not None and now > killed_at + 5:
            return found  # only zombies of parents outside our reach remain
        time.sleep(0.005)


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"pid {pid}"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:200] or f"pid {pid}"


def _as_event(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if isinstance(event, dict) and "event" in event:
        return event
    return None


def _stat_fields(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses; everything after the last ')' is safe.
    return text[text.rfind(")") + 2 :].split()


def session_members(sid: int, *, zombies: bool = False) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        # After comm: state(0) ppid(1) pgrp(2) session(3). A zombie has ended but
        # still holds its rusage for whoever reaps it.
        if fields and int(fields[3]) == sid and (zombies or fields[0] != "Z"):
            members.append(int(entry))
    return members


def session_rss(sid: int, skip: int | None = None) -> int:
    """Summed resident bytes of every live process in session *sid* but *skip*."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or (skip is not None and int(entry) == skip):
            continue
        fields = _stat_fields(entry)
        if fields and int(fields[3]) == sid:
            total += int(fields[21]) * PAGE  # rss, in pages (field 24 of stat)
    return total


def median_of(runs: Sequence[Run]) -> dict[str, Any]:
    """Medians of the measured figures over repeated runs (one run: its own figures)."""
    figures: dict[str, Any] = {
        "wall_s": round(statistics.median(r.wall_s for r in runs), 3),
        "cpu_s": round(statistics.median(r.cpu_s for r in runs), 3),
        "user_s": round(statistics.median(r.user_s for r in runs), 3),
        "sys_s": round(statistics.median(r.sys_s for r in runs), 3),
        "peak_rss_mb": round(statistics.median(r.peak_rss_mb for r in runs), 1),
        "peak_tree_rss_mb": round(statistics.median(r.peak_tree_rss_mb for r in runs), 1),
    }
    lingering = sorted({name for r in runs for name in r.lingering})
    if lingering:
        # Still running when the command exited; their CPU is in cpu_s, the wait is not.
        figures["lingering_after_exit"] = lingering
        figures["linger_s_max"] = round(max(r.linger_s for r in runs), 3)
        figures["lingering_cpu_s"] = round(statistics.median(r.lingering_cpu_s for r in runs), 3)
    if len(runs) > 1:
        # The spread tells whether a median on a shared machine can be trusted.
        figures["wall_s_runs"] = [round(r.wall_s, 3) for r in runs]
        figures["cpu_s_runs"] = [round(r.cpu_s, 3) for r in runs]
    return figures
