"""TUI benchmark: the console on a 100,000-message store, side by side with Textual's
stock DataTable holding the same unified inbox whole.

Builds (or reuses, from a cache keyed by message count and seed) a demo store over five
accounts, then runs each side headless in its own subprocess, timed by GNU time for peak
RSS: first paint of the unified inbox, key-to-screen latency of j, k, ctrl+d and G, and
(frontdesk only) search through the search bar. Prints one JSON object on stdout;
progress goes to stderr. Never run as a test.

    .venv/bin/python -m benchmarks.tui_bench --messages 100000 --repeat 3

Run it from the repository root (it runs itself as `-m benchmarks.tui_bench`). A small
--messages (e.g. 3000) with --presses 10 is quick while developing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from textual import constants
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from benchmarks.measure import run_measured
from benchmarks.tui_frames import (
    WAIT_LIMIT_S,
    BenchError,
    FrameProbe,
    ListView,
    css_beside,
    current_rss_mb,
    frontdesk_view,
    log,
    peak_rss_mb,
    record_frame,
)
from benchmarks.tui_peer import (
    UNIFIED_INBOX,
    PeerConsole,
    PeerTable,
    peer_painted,
    peer_view,
)
from engine.corpus import DEFAULT_ACCOUNTS, CorpusAccount
from engine.demo import DemoSpec, open_demo
from engine.listing import Listing
from engine.models import Agent
from engine.service import LocalService, Service
from tui.app import FrontdeskApp
from tui.config import Config, Options
from tui.screens.main import MainScreen
from tui.widgets.message_list import PAGE_SIZE, MessageList
from tui.widgets.search_bar import SearchBar
from tui.widgets.status_bar import StatusBar

LOGIN = "bench"
SIZE = (120, 40)
EXTRA_ACCOUNTS = (
    CorpusAccount(key="sales", name="Sales", email="sales@acme.example", shared=True),
    CorpusAccount(key="billing", name="Billing", email="billing@acme.example", shared=True),
)
ACCOUNTS = (*DEFAULT_ACCOUNTS, *EXTRA_ACCOUNTS)
SEARCHES = (
    "invoice",
    "from:brightline",
    "is:unread",
    'subject:"password reset"',
    "has:attachment after:2026-01-01",
)
KEYS = ("j", "k", "ctrl+d", "G")
TARGETS = {"first_paint_s": 0.5, "key_p95_ms": 50.0, "search_ms": 100.0, "rss_mb": 200.0}
# How long one awaited frame (or settling) may take before the side gives up; and the
# whole side, after which it prints where every task waits and exits.
SIDE_LIMIT_S = 900.0
SIDE_TIMEOUT_S = SIDE_LIMIT_S + 60.0
# Auto-mark-read off: the cached store must read the same in every run.
BENCH_CONFIG = Config(options=Options(auto_mark_read=False))

MEASUREMENT = {
    "clock": "time.perf_counter in the side's own process",
    "frame": "a screen update the app hands to its driver (App._display, overridden in a "
    "subclass). Headless Textual composes the frame (every changed line rendered) but does "
    "not encode it; the benchmark encodes it to terminal sequences as the real driver "
    "would (CompositorUpdate.render_segments) and discards them, then timestamps the "
    "frame. Conditions are checked on that frame, against the state it was rendered from",
    "first_paint_s": "from just before the App is constructed (store already open, as in "
    "the CLI) to the first frame on which the list holds the unified inbox and every row "
    "in view is a real row (frontdesk: no placeholder; peer: DataTable has every row and "
    "has sized itself to them)",
    "key_ms": "from just before pilot.press(key) to the first frame on which the cursor "
    "is on the expected row, that row is in view and loaded. Presses follow each other "
    "as soon as that frame is out and pilot.press has returned (pilot waits ~40 ms for "
    "idle per key), so background work (frontdesk's preview load) may still run",
    "key_full_screen_ms": "same start, to the first frame on which every row in view "
    "is loaded as well",
    "keys": "j x presses from the top, k x presses back, ctrl+d (half page) x presses/2, "
    "G x max(1, presses/4), each G from the top. Frontdesk: before each G the list is "
    "reloaded (MessageList.reload, as after a store change), so the bottom page is not "
    "in its page cache: every G reads the store. The peer binds j/k/g/G/ctrl+d to "
    "DataTable's own cursor actions (ctrl+d: half a page via move_cursor)",
    "search_ms": "'/' and the query typed into the search bar, then from just before "
    "pressing Enter to the first frame on which the status line reports the query's "
    "result count and every row in view is loaded; median over the reps of each query "
    "(the first rep is also shown). Escape returns to the inbox between reps. "
    "store_only_median_ms: the same count and first page through the Service alone, "
    "timed after the console has exited",
    "peak_rss_mb": "ru_maxrss of the side's own process, read at its end (getrusage "
    "RUSAGE_SELF); the side runs under GNU time, so its figure is not inflated by this "
    "process's (vfork + exec keeps the parent's high-water mark); gnu_time_peak_rss_mb "
    "is GNU time's figure for the same process (null without /usr/bin/time). "
    "rss_before_app_mb: after imports and opening the store; rss_at_first_paint_mb: "
    "current RSS at first paint",
    "pooling": "first paint and RSS: median and max over the --repeat runs of each side; "
    "key and search samples pooled over the runs",
    "peer": "Textual's DataTable, cursor_type=row, filled with add_rows from one "
    "Service.list_listing call per MAX_PAGE rows over the whole unified inbox, cells as "
    "plain Text: marks, date, sender, account, subject (frontdesk's own helpers). It "
    "fills the screen (rows_in_view), with no folder tree, preview or status line, and "
    "has no search",
    "frontdesk": "FrontdeskApp as shipped, on its default config except auto-mark-read "
    "off (so the cached store reads the same in every run); the list sits above the "
    "preview, so fewer rows are in view than in the peer",
}


# -- frontdesk -----------------------------------------------------------------------------


class BenchFrontdesk(FrontdeskApp):
    CSS_PATH = css_beside(FrontdeskApp)

    def __init__(self, probe: FrameProbe, service: Service, agent: Agent) -> None:
        super().__init__(service, agent, config=BENCH_CONFIG)
        self.probe = probe

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        record_frame(self, renderable, self.probe)


def main_list(app: App[Any]) -> MessageList | None:
    screen = app.screen
    return screen.query_one(MessageList) if isinstance(screen, MainScreen) else None


def frontdesk_painted(app: App[Any]) -> bool:
    messages = main_list(app)
    return messages is not None and frontdesk_view(messages).full()


# -- timing -------------------------------------------------------------------------------


async def press(pilot: Pilot[Any], *keys: str) -> None:
    try:
        await asyncio.wait_for(pilot.press(*keys), WAIT_LIMIT_S)
    except TimeoutError as exc:
        raise BenchError(f"pilot.press{keys} did not return within {WAIT_LIMIT_S} s") from exc


def expected_row(view: ListView, key: str) -> int:
    cursor, total = view.cursor(), view.total()
    half = max(1, len(view.viewport()) // 2)
    target = {"j": cursor + 1, "k": cursor - 1, "ctrl+d": cursor + half, "G": total - 1,
              "g": 0}[key]
    return max(0, min(target, total - 1))


async def time_press(pilot: Pilot[Any], probe: FrameProbe, view: ListView,
                     key: str) -> tuple[float, float]:
    """Seconds from pressing `key` to the frame showing the cursor's row, and to the
    frame showing every row in view."""
    row = expected_row(view, key)
    probe.expect("cursor", lambda: view.shows(row))
    probe.expect("screen", lambda: view.shows(row) and view.full())
    start = time.perf_counter()
    await press(pilot, key)
    cursor_at = await probe.seen("cursor")
    screen_at = await probe.seen("screen")
    return cursor_at - start, screen_at - start


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let every load the last key started finish, and the messages it posted."""
    for _ in range(3):
        await pilot.pause()
        try:
            await asyncio.wait_for(app.workers.wait_for_complete(), WAIT_LIMIT_S)
        except TimeoutError as exc:
            busy = ", ".join(f"{w.name or w.description} ({w.state.name})"
                             for w in app.workers if not w.is_finished)
            raise BenchError(f"workers still busy after {WAIT_LIMIT_S} s: {busy}") from exc
    await pilot.pause()


Reset = Callable[[], Awaitable[None]]


async def key_latencies(pilot: Pilot[Any], probe: FrameProbe, view: ListView,
                        presses: int, before_bottom: Reset) -> dict[str, dict[str, list[float]]]:
    plan = (("j", presses), ("k", presses), ("ctrl+d", max(1, presses // 2)))
    samples: dict[str, list[tuple[float, float]]] = {key: [] for key in KEYS}
    for key, count in plan:
        for _ in range(count):
            if expected_row(view, key) == view.cursor():
                break
            samples[key].append(await time_press(pilot, probe, view, key))
    for _ in range(max(1, presses // 4)):
        if expected_row(view, "g") != view.cursor():
            await time_press(pilot, probe, view, "g")
        await before_bottom()
        if expected_row(view, "G") != view.cursor():
            samples["G"].append(await time_press(pilot, probe, view, "G"))
    return {key: {"cursor_ms": [round(c * 1000, 2) for c, _ in pairs],
                  "screen_ms": [round(s * 1000, 2) for _, s in pairs]}
            for key, pairs in samples.items()}


async def time_search(pilot: Pilot[Any], probe: FrameProbe, screen: MainScreen,
                      view: ListView, query: str) -> float:
    await press(pilot, "slash", *query)
    typed = screen.query_one(SearchBar).value
    if typed != query:
        raise BenchError(f"the search bar holds {typed!r}, not {query!r}")
    status = screen.query_one(StatusBar)
    probe.expect("search", lambda: screen.search == query
                 and f"Search: {query} · " in status.summary and all(
                     view.loaded(r) for r in view.viewport()))
    start = time.perf_counter()
    await press(pilot, "enter")
    return await probe.seen("search") - start


async def search_latencies(app: App[Any], pilot: Pilot[Any], probe: FrameProbe,
                           view: ListView, reps: int) -> dict[str, dict[str, Any]]:
    screen = app.screen
    if not isinstance(screen, MainScreen):
        raise BenchError("the main screen is not on show")
    results: dict[str, dict[str, Any]] = {}
    for query in SEARCHES:
        times: list[float] = []
        for _ in range(reps):
            times.append(round(await time_search(pilot, probe, screen, view, query) * 1000, 2))
            count = view.total()
            probe.expect("inbox", lambda: screen.search is None and view.full())
            await press(pilot, "escape")
            await probe.seen("inbox")
            await settle(app, pilot)
        results[query] = {"results": count, "ms": times}
    return results


async def store_search_ms(service: Service, agent: Agent, reps: int) -> dict[str, float]:
    """What the console asks of the store for a search (a count, then the first page),
    timed through the Service without the console: the engine's share of a search."""
    found: dict[str, float] = {}
    for query in SEARCHES:
        listing = Listing(scope="all", query=query)
        samples: list[float] = []
        for _ in range(reps):
            start = time.perf_counter()
            await service.count_listing(agent, listing)
            await service.list_listing(agent, listing, limit=PAGE_SIZE)
            samples.append(time.perf_counter() - start)
        found[query] = round(statistics.median(samples) * 1000, 2)
    return found


# -- the sides ----------------------------------------------------------------------------


async def open_store(db: Path) -> tuple[LocalService, Agent]:
    service = await LocalService.open(db)
    try:
        return service, await service.login(LOGIN)
    except BaseException:
        await service.close()
        raise


async def run_frontdesk(db: Path, presses: int, search_reps: int) -> dict[str, Any]:
    service, agent = await open_store(db)
    result: dict[str, Any] = {"rss_before_app_mb": current_rss_mb()}
    probe = FrameProbe()
    try:
        start = time.perf_counter()
        app = BenchFrontdesk(probe, service, agent)
        probe.expect("first_frame", lambda: True)
        probe.expect("first_rows", lambda: frontdesk_painted(app))
        async with app.run_test(size=SIZE) as pilot:
            result["first_frame_s"] = round(await probe.seen("first_frame") - start, 4)
            result["first_paint_s"] = round(await probe.seen("first_rows") - start, 4)
            result["rss_at_first_paint_mb"] = current_rss_mb()
            log(f"frontdesk: first paint after {result['first_paint_s']} s")
            await settle(app, pilot)
            messages = main_list(app)
            if messages is None:
                raise BenchError("the main screen is not on show")
            view = frontdesk_view(messages)
            result["rows"] = view.total()
            result["rows_in_view"] = len(view.viewport())

            async def reload() -> None:
                messages.reload()
                await settle(app, pilot)

            await settle(app, pilot)
            result["keys"] = await key_latencies(pilot, probe, view, presses, reload)
            log("frontdesk: keys timed")
            await settle(app, pilot)
            result["searches"] = await search_latencies(app, pilot, probe, view, search_reps)
            result["frames"] = probe.frames
        result["search_store_ms"] = await store_search_ms(service, agent, search_reps)
    finally:
        await service.close()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


async def run_peer(db: Path, presses: int) -> dict[str, Any]:
    service, agent = await open_store(db)
    result: dict[str, Any] = {"rss_before_app_mb": current_rss_mb()}
    probe = FrameProbe()
    try:
        start = time.perf_counter()
        app = PeerConsole(probe, service, agent)
        probe.expect("first_frame", lambda: True)
        probe.expect("first_rows", lambda: peer_painted(app))
        async with app.run_test(size=SIZE) as pilot:
            result["first_frame_s"] = round(await probe.seen("first_frame") - start, 4)
            result["first_paint_s"] = round(await probe.seen("first_rows") - start, 4)
            result["rss_at_first_paint_mb"] = current_rss_mb()
            log(f"peer: first paint after {result['first_paint_s']} s")
            await settle(app, pilot)
            view = peer_view(app.query_one(PeerTable))
            result["rows"] = view.total()
            result["rows_in_view"] = len(view.viewport())

            async def idle() -> None:
                await settle(app, pilot)

            result["keys"] = await key_latencies(pilot, probe, view, presses, idle)
            result["frames"] = probe.frames
    finally:
        await service.close()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


async def build_store(db: Path, messages: int, seed: int, rebuild: bool) -> dict[str, Any]:
    await asyncio.to_thread(db.parent.mkdir, parents=True, exist_ok=True)
    built = [False]

    def progress(done: int, total: int) -> None:
        if not built[0] or done == total or done % 10_000 < 500:
            log(f"building store: {done}/{total} messages")
        built[0] = True

    start = time.perf_counter()
    service = await open_demo(db, DemoSpec(messages=messages, seed=seed), login=LOGIN,
                              rebuild=rebuild, progress=progress, accounts=ACCOUNTS)
    seconds = round(time.perf_counter() - start, 1)
    try:
        facts = await store_facts(service)
    finally:
        await service.close()
    log(f"store {'built' if built[0] else 'reused'} in {seconds} s: {db}")
    return {"path": str(db), "built": built[0], "build_s" if built[0] else "open_s": seconds,
            **facts, "store_mb": round(await asyncio.to_thread(store_bytes, db) / 1e6, 1)}


async def store_facts(service: LocalService) -> dict[str, Any]:
    agent = await service.login(LOGIN)
    accounts = await service.list_accounts(agent)
    return {
        "messages": await service.count_listing(agent, Listing(scope="all")),
        "accounts": len(accounts),
        "account_names": sorted(a.name for a in accounts),
        "unified_inbox": await service.count_listing(agent, UNIFIED_INBOX),
        "unified_inbox_unread": await service.count_listing(
            agent, Listing(scope="unified:inbox", unread_only=True)),
    }


def store_bytes(db: Path) -> int:
    return sum(Path(f"{db}{suffix}").stat().st_size for suffix in ("", "-wal", "-shm")
               if Path(f"{db}{suffix}").exists())


async def give_up_after(limit: float) -> None:
    """A side stuck on something with no timeout of its own: show where, then exit."""
    await asyncio.sleep(limit)
    stream = sys.__stderr__ or sys.stderr
    log(f"stuck after {limit} s; every task:")
    for task in asyncio.all_tasks():
        task.print_stack(limit=10, file=stream)
    stream.flush()
    os._exit(3)


async def guarded(work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    watchdog = asyncio.create_task(give_up_after(SIDE_LIMIT_S))
    try:
        return await work
    finally:
        watchdog.cancel()


def run_side(args: argparse.Namespace) -> int:
    db = Path(args.db)
    if args.side == "build":
        result = asyncio.run(build_store(db, args.messages, args.seed, args.rebuild))
    elif args.side == "frontdesk":
        result = asyncio.run(guarded(run_frontdesk(db, args.presses, args.search_reps)))
    else:
        result = asyncio.run(guarded(run_peer(db, args.presses)))
    print(json.dumps(result))
    return 0


# -- figures ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def spread(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95), "max_ms": max(values) if values else None}


def key_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for key in KEYS:
        cursor = [v for run in runs for v in run["keys"][key]["cursor_ms"]]
        screen = [v for run in runs for v in run["keys"][key]["screen_ms"]]
        full = spread(screen)
        figures[key] = {**spread(cursor), "full_screen_p50_ms": full["p50_ms"],
                        "full_screen_p95_ms": full["p95_ms"]}
    return figures


def search_figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for query in SEARCHES:
        times = [v for run in runs for v in run["searches"][query]["ms"]]
        figures[query] = {
            "results": runs[-1]["searches"][query]["results"],
            "n": len(times),
            "median_ms": round(statistics.median(times), 2),
            "first_ms": runs[0]["searches"][query]["ms"][0],
            "max_ms": max(times),
            "store_only_median_ms": statistics.median(
                run["search_store_ms"][query] for run in runs),
        }
    return figures


def side_figures(runs: list[dict[str, Any]], gnu_rss: list[float]) -> dict[str, Any]:
    paints = [run["first_paint_s"] for run in runs]
    figures: dict[str, Any] = {
        "runs": len(runs),
        "rows": runs[-1]["rows"],
        "rows_in_view": runs[-1]["rows_in_view"],
        "first_paint_s": round(statistics.median(paints), 4),
        "first_paint_runs_s": paints,
        "first_frame_s": round(statistics.median(r["first_frame_s"] for r in runs), 4),
        "keys": key_figures(runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "gnu_time_peak_rss_mb": max(gnu_rss) if gnu_rss else None,
        "rss_before_app_mb": statistics.median(r["rss_before_app_mb"] for r in runs),
        "rss_at_first_paint_mb": statistics.median(r["rss_at_first_paint_mb"] for r in runs),
    }
    if all("searches" in run for run in runs):
        figures["search"] = search_figures(runs)
    return figures


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(fd: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "first_paint_frontdesk_vs_peer": ratio(fd["first_paint_s"], peer["first_paint_s"]),
        "peak_rss_frontdesk_vs_peer": ratio(fd["peak_rss_mb"], peer["peak_rss_mb"]),
    }
    for key in KEYS:
        found[f"{key}_p95_frontdesk_vs_peer"] = ratio(fd["keys"][key]["p95_ms"],
                                                     peer["keys"][key]["p95_ms"])
    return found


def target(value: float | None, limit: float) -> dict[str, Any]:
    return {"value": value, "limit": limit, "met": None if value is None else value < limit}


def targets(fd: dict[str, Any]) -> dict[str, Any]:
    key_p95 = [fd["keys"][key]["p95_ms"] for key in KEYS if fd["keys"][key]["p95_ms"]]
    search = [f["median_ms"] for f in fd.get("search", {}).values()]
    return {
        "first_paint_lt_0.5s": target(fd["first_paint_s"], TARGETS["first_paint_s"]),
        "key_p95_lt_50ms (worst key)": target(max(key_p95, default=None),
                                              TARGETS["key_p95_ms"]),
        "search_lt_100ms (worst query median)": target(max(search, default=None),
                                                       TARGETS["search_ms"]),
        "rss_lt_200mb": target(fd["peak_rss_mb"], TARGETS["rss_mb"]),
    }


# -- the run ------------------------------------------------------------------------------


def loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return ""


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "textual": version("textual"),
        "textual_max_fps": constants.MAX_FPS,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "terminal_size": list(SIZE),
        "loadavg_start": loadavg(),
    }


def self_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.tui_bench", *args]


def ensure_store(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    """Build or reuse the store in a child, so this process stays small."""
    argv = self_command("--side", "build", "--db", str(db), "--messages", str(args.messages),
                        "--seed", str(args.seed), *(["--rebuild"] if args.rebuild else []))
    done = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"building the store failed (exit {done.returncode})")
    facts: dict[str, Any] = json.loads(done.stdout)
    return facts


def measure_side(side: str, db: Path, args: argparse.Namespace,
                 problems: list[str]) -> tuple[dict[str, Any], float] | None:
    log(f"{side}: running")
    run = run_measured(
        self_command("--side", side, "--db", str(db), "--presses", str(args.presses),
                     "--search-reps", str(args.search_reps)),
        env=dict(os.environ), timeout_s=SIDE_TIMEOUT_S,
    )
    for line in run.stderr_tail[-5:]:
        log(f"{side}: {line}")
    if not run.ok:
        problems.append(f"{side} failed: {json.dumps(run.failure())}")
        log(f"PROBLEM: {problems[-1]}")
        return None
    result: dict[str, Any] = json.loads(run.stdout)
    log(f"{side}: first paint {result['first_paint_s']} s, peak RSS {result['peak_rss_mb']} MB"
        f" (GNU time {run.peak_rss_mb:.1f} MB), {run.wall_s:.1f} s")
    return result, round(run.peak_rss_mb, 1)


def passes(args: argparse.Namespace, db: Path,
           problems: list[str]) -> dict[str, tuple[list[dict[str, Any]], list[float]]]:
    found: dict[str, tuple[list[dict[str, Any]], list[float]]] = {
        "frontdesk": ([], []), "peer": ([], [])}
    for rep in range(args.repeat):
        order: Iterable[str] = ("frontdesk", "peer") if rep % 2 == 0 else ("peer", "frontdesk")
        for side in order:
            measured = measure_side(side, db, args, problems)
            if measured is not None:
                found[side][0].append(measured[0])
                found[side][1].append(measured[1])
    return found


def default_cache() -> Path:
    return Path(tempfile.gettempdir()) / "frontdesk-tui-bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side")
    parser.add_argument("--presses", type=int, default=60,
                        help="j and k presses per run (ctrl+d: half, G: a quarter)")
    parser.add_argument("--search-reps", type=int, default=3, help="runs of each query")
    parser.add_argument("--cache-dir", type=Path, default=default_cache(),
                        help="where built stores are kept (default: %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="build the store again")
    parser.add_argument("--side", choices=("build", "frontdesk", "peer"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.messages, args.repeat, args.presses, args.search_reps) < 1:
        parser.error("--messages, --repeat, --presses and --search-reps must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.side:
        return run_side(args)
    db = args.cache_dir / f"store-{args.messages}-seed{args.seed}-{len(ACCOUNTS)}accounts.db"
    result: dict[str, Any] = {"benchmark": "tui", "environment": environment()}
    problems: list[str] = []
    try:
        result["store"] = ensure_store(args, db)
        result["measurement"] = MEASUREMENT
        found = passes(args, db, problems)
        figures = {side: side_figures(runs, rss) for side, (runs, rss) in found.items() if runs}
        result.update(figures)
        if len(figures) == 2:
            result["ratios"] = ratios(figures["frontdesk"], figures["peer"])
        if "frontdesk" in figures:
            result["targets"] = targets(figures["frontdesk"])
    except (BenchError, OSError, ValueError) as exc:
        problems.append(f"benchmark aborted: {type(exc).__name__}: {exc}")
    result["environment"]["loadavg_end"] = loadavg()
    result["repeat"] = args.repeat
    result["problems"] = problems
    print(json.dumps(result, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
