"""Sync benchmark: frontdesk's IMAP sync side by side with mbsync, against a local Dovecot.

Loads the generated corpus into a private Dovecot once, then times in the same run:
a raw `UID FETCH BODY.PEEK[]` baseline (the floor), mbsync's initial sync to a Maildir,
frontdesk's initial sync (when its headers are usable, and when bodies and the search
index are done), and an incremental pass of both after 100 new messages and 500 flag
changes. Prints one JSON object on stdout; progress goes to stderr. Never run as a test.

    .venv/bin/python -m benchmarks.sync_bench --messages 20000

Run it from the repository root (it imports `tests` and `engine`). Use a small
--messages (e.g. 500) while developing, --skip-frontdesk for mbsync + baseline only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

from benchmarks import mbsync_peer
from benchmarks.measure import (
    GNU_TIME,
    LINGER_LIMIT_S,
    SAMPLE_INTERVAL_S,
    Run,
    median_of,
    run_measured,
)
from engine.corpus import CorpusMessage, generate_corpus
from tests.servers.dovecot import DOVECOT_BIN, DovecotServer, start_dovecot

USER = "bench@example.com"
ACCOUNT = "bench"
FOLDERS = ("INBOX", "Sent", "Archive", "Junk", "Trash")
FETCH_CHUNK = 500
NEW_MESSAGES = 100
FLAG_CHANGES = 500
# The seed of incremental round r is NEW_SEED + r: never the corpus's own seed.
NEW_SEED = 99
# Seconds between an mbsync run and the next on the same Maildir (see the incremental pass).
MAILDIR_SETTLE_S = 1.5
TARGETS = {"headers_vs_mbsync": 0.25, "full_vs_mbsync": 0.8, "incremental_s": 1.0}

# The venv's entry point; FRONTDESK_BIN points the benchmark at another build.
FRONTDESK = Path(os.environ.get("FRONTDESK_BIN") or Path(sys.executable).parent / "frontdesk")


def log(message: str) -> None:
    print(f"[sync_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Report:
    """Collects what went wrong without stopping the run, so partial results still print."""

    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        log(f"PROBLEM: {text}")
        self.problems.append(text)


# -- corpus -------------------------------------------------------------------------------


@dataclass
class CorpusStats:
    sizes: list[int] = field(default_factory=list)
    folders: Counter[str] = field(default_factory=Counter)

    def track(self, messages: Iterable[CorpusMessage]) -> Iterator[CorpusMessage]:
        # Streams into Dovecot: holding 0.5 GB of raw mail in this process is pointless.
        for message in messages:
            self.sizes.append(len(message.raw))
            self.folders[message.folder] += 1
            yield message

    def summary(self) -> dict[str, Any]:
        return {
            "messages": len(self.sizes),
            "mb": round(sum(self.sizes) / 1e6, 1),
            "median_kb": round(statistics.median(self.sizes) / 1024, 1) if self.sizes else 0,
            "folders": dict(self.folders),
        }


def fetch_range(client: IMAPClient, uids: str, items: str) -> dict[int, dict[bytes, Any]]:
    """UID FETCH over a UID range such as "1:500" or "1:*".

    IMAPClient.fetch cannot take a range: it filters the answer through int(messages)
    (imapclient 4.1), and a UID list is no option since Dovecot rejects 20,000-UID lists.
    So the command goes through imaplib, parsed by the same parser fetch() uses.
    """
    imap = client._imap
    tag = imap._command("UID", "FETCH", uids, items)
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return dict(parse_fetch_response(data, client.normalise_times, True))


# -- server state -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerState:
    total: int
    per_folder: dict[str, int]
    inbox_flagged: int
    inbox_seen: int


def server_state(server: DovecotServer) -> ServerState:
    with server.connect(USER) as client:
        per_folder = {
            name: int(client.folder_status(name, [b"MESSAGES"])[b"MESSAGES"]) for name in FOLDERS
        }
        client.select_folder("INBOX", readonly=True)
        flagged = len(client.search(["FLAGGED"]))
        seen = len(client.search(["SEEN"]))
    return ServerState(sum(per_folder.values()), per_folder, flagged, seen)


def apply_changes(server: DovecotServer, round_no: int) -> dict[str, int]:
    """Flag changes on existing INBOX messages, then new INBOX mail; returns what changed."""
    rng = random.Random(round_no)
    with server.connect(USER) as client:
        client.select_folder("INBOX")
        flags = fetch_range(client, "1:*", "(FLAGS)")
        unflagged = sorted(uid for uid, data in flags.items() if b"\\Flagged" not in data[b"FLAGS"])
        # Small corpora have fewer than 500 INBOX messages: change what there is.
        budget = min(FLAG_CHANGES, len(flags))
        to_flag = rng.sample(unflagged, min(budget // 2, len(unflagged)))
        rest = sorted(set(flags) - set(to_flag))
        to_toggle = rng.sample(rest, min(budget - len(to_flag), len(rest)))
        seen = [uid for uid in to_toggle if b"\\Seen" in flags[uid][b"FLAGS"]]
        unseen = [uid for uid in to_toggle if b"\\Seen" not in flags[uid][b"FLAGS"]]
        if to_flag:
            client.add_flags(to_flag, [b"\\Flagged"])
        if seen:
            client.remove_flags(seen, [b"\\Seen"])
        if unseen:
            client.add_flags(unseen, [b"\\Seen"])
    added = server.append_messages(
        USER, generate_corpus(NEW_MESSAGES, seed=NEW_SEED + round_no), folder="INBOX"
    )
    return {"new_messages": added, "flagged_added": len(to_flag), "seen_toggled": len(to_toggle)}


# -- baseline -----------------------------------------------------------------------------


def raw_fetch(server: DovecotServer, folders: Iterable[str]) -> dict[str, float]:
    """One plain connection fetching every body by UID ranges, discarding them."""
    client = server.client(ssl=False, starttls=False)
    # imapclient leaves imaplib at debug 5, which repr()s every literal it reads.
    client._imap.debug = 0
    messages = size = 0
    try:
        client.login(USER, server.users[USER])
        wall, cpu = time.perf_counter(), time.process_time()
        for folder in folders:
            info = client.select_folder(folder, readonly=True)
            uidnext = int(info[b"UIDNEXT"])
            # Ranges, not UID lists: Dovecot rejects a 20,000-UID list.
            for low in range(1, uidnext, FETCH_CHUNK):
                high = min(low + FETCH_CHUNK - 1, uidnext - 1)
                for data in fetch_range(client, f"{low}:{high}", "(BODY.PEEK[])").values():
                    messages += 1
                    size += len(data[b"BODY[]"])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "messages": messages,
        "mb": round(size / 1e6, 1),
        "msg_per_s": round(messages / wall) if wall else 0,
    }


def baseline(server: DovecotServer, repeat: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, folders in (("inbox", ("INBOX",)), ("all_folders", FOLDERS)):
        runs = [raw_fetch(server, folders) for _ in range(repeat)]
        best = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
        result[name] = best
        log(f"baseline {name}: {best['messages']} messages in {best['wall_s']} s")
    result["method"] = f"imapclient, plain, UID FETCH lo:hi BODY.PEEK[] in {FETCH_CHUNK}-UID ranges"
    return result


# -- mbsync -------------------------------------------------------------------------------


def mbsync_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    return env


def check_mbsync(
    report: Report, label: str, run: Run, target: mbsync_peer.MbsyncTarget, want: ServerState
) -> dict[str, Any]:
    if not run.ok:
        report.problem(f"mbsync {label} failed: {json.dumps(run.failure())}")
    got = mbsync_peer.count(target.maildir)
    checks = {
        "messages": got.messages,
        "expected": want.total,
        "inbox_flagged": got.inbox_flagged,
        "inbox_flagged_expected": want.inbox_flagged,
        "inbox_seen": got.inbox_seen,
        "inbox_seen_expected": want.inbox_seen,
    }
    if got.messages != want.total:
        report.problem(
            f"mbsync {label}: Maildir holds {got.messages} messages, server {want.total} "
            f"(per folder {got.per_folder} vs {want.per_folder})"
        )
    if (got.inbox_flagged, got.inbox_seen) != (want.inbox_flagged, want.inbox_seen):
        report.problem(f"mbsync {label}: INBOX flags differ from the server: {checks}")
    return checks


# -- frontdesk ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontdeskTarget:
    root: Path
    db: Path
    env: dict[str, str]

    def argv(self, *args: str) -> list[str]:
        return [str(FRONTDESK), "--db", str(self.db), *args]


def compile_bytecode() -> None:
    """Compile frontdesk's modules, as installing a package does: a checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module on every start, which
    no installed frontdesk does and mbsync, a compiled program, never pays."""
    root = Path(__file__).resolve().parents[1]
    packages = [str(root / name) for name in ("engine", "storage", "tui", "themes")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True,
                   capture_output=True, timeout=300)


def frontdesk_missing() -> str | None:
    """Why frontdesk's sync cannot be benchmarked yet, or None when it can."""
    if not FRONTDESK.exists():
        return f"{FRONTDESK} does not exist"
    compile_bytecode()
    for args, needle in ((["sync", "--help"], "--once"), (["account", "add", "--help"],
                                                           "--password-stdin")):
        out = subprocess.run(
            [str(FRONTDESK), *args], capture_output=True, text=True, timeout=60, check=False
        )
        if out.returncode != 0 or needle not in out.stdout:
            why = out.stderr.strip()[-300:]
            return f"`frontdesk {' '.join(args)}` exit {out.returncode}: {why}"
    return None


def frontdesk_setup(root: Path, server: DovecotServer) -> tuple[FrontdeskTarget, Run]:
    """A fresh store with the bench account; nothing in the user's own XDG dirs is touched."""
    root.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_DB"}
    for var, sub in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state"),
                     ("HOME", "home")):
        (root / sub).mkdir()
        env[var] = str(root / sub)
    target = FrontdeskTarget(root=root, db=root / "frontdesk.db", env=env)
    run = run_measured(
        target.argv(
            "account", "add", ACCOUNT, "--email", USER, "--imap-host", server.host,
            "--imap-port", str(server.port), "--security", "none", "--password-stdin",
            "--folders", ",".join(FOLDERS), "--import", "all",
        ),
        env=env,
        stdin_data=(server.users[USER] + "\n").encode(),
        timeout_s=120,
    )
    return target, run


def store_counts(db: Path) -> dict[str, Any]:
    """Read-only look into frontdesk's store; errors are reported, not raised."""
    queries = {
        "messages": "SELECT count(*) FROM messages",
        "bodies": "SELECT count(*) FROM message_raw",
        "search_text": "SELECT count(*) FROM message_text",
        "inbox_flagged": "SELECT count(*) FROM messages m JOIN folders f ON f.id = m.folder_id"
        " WHERE f.name = 'INBOX' AND m.flagged = 1",
        "inbox_seen": "SELECT count(*) FROM messages m JOIN folders f ON f.id = m.folder_id"
        " WHERE f.name = 'INBOX' AND m.seen = 1",
    }
    counts: dict[str, Any] = {}
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return {"error": f"open {db}: {exc}"}
    try:
        for name, sql in queries.items():
            try:
                counts[name] = conn.execute(sql).fetchone()[0]
            except sqlite3.Error as exc:
                counts[name] = f"error: {exc}"
    finally:
        conn.close()
    return counts


def frontdesk_sync(target: FrontdeskTarget, timeout_s: float) -> tuple[Run, dict[str, Any]]:
    """`sync --once`; at headers_done the store is counted, to check "usable" is true."""
    at_headers: dict[str, Any] = {}

    def on_event(event: dict[str, Any], at: float) -> None:
        if event.get("event") == "headers_done":
            at_headers.update(store_counts(target.db))

    run = run_measured(
        target.argv("sync", "--once", "--progress", "json"),
        env=target.env,
        on_event=on_event,
        timeout_s=timeout_s,
    )
    return run, at_headers


def check_frontdesk(
    report: Report, label: str, run: Run, target: FrontdeskTarget, want: ServerState
) -> dict[str, Any]:
    if not run.ok:
        report.problem(f"frontdesk {label} failed: {json.dumps(run.failure())}")
    if run.killed:
        report.problem(f"frontdesk {label} left processes running {LINGER_LIMIT_S} s after "
                       f"it exited (killed): {run.killed}")
    for event in ("headers_done", "done"):
        if event not in run.marks:
            report.problem(
                f"frontdesk {label}: no {event!r} progress event "
                f"(saw {sorted(run.marks)}; last events {run.last_events[-3:]})"
            )
    got = store_counts(target.db)
    if "error" in got:
        report.problem(f"frontdesk {label}: cannot read the store: {got['error']}")
        return got
    checks = {
        **got,
        "expected": want.total,
        "inbox_flagged_expected": want.inbox_flagged,
        "inbox_seen_expected": want.inbox_seen,
    }
    for key, expected in (("messages", want.total), ("bodies", want.total),
                          ("search_text", want.total), ("inbox_flagged", want.inbox_flagged),
                          ("inbox_seen", want.inbox_seen)):
        if got.get(key) != expected:
            report.problem(f"frontdesk {label}: store {key} = {got.get(key)}, server {expected}")
    return checks


def figures(runs: list[Run], messages: int = 0) -> dict[str, Any] | None:
    """Medians over the successful runs; a failed run's timings would flatter it."""
    if not runs:
        return None
    ok = [r for r in runs if r.ok]
    if not ok:
        return {"failed": True, "runs": len(runs)}
    result: dict[str, Any] = median_of(ok)
    if len(ok) < len(runs):
        result["failed_runs"] = len(runs) - len(ok)
    for mark, key in (("headers_done", "headers_usable_s"), ("done", "done_event_s")):
        times = [r.marks[mark] for r in ok if mark in r.marks]
        if times:
            result[key] = round(statistics.median(times), 3)
    if messages:
        result["msg_per_s"] = round(messages / result["wall_s"])
    return result


# -- helpers ------------------------------------------------------------------------------


def quiesce() -> None:
    """Flush dirty pages first, so no pass pays for writing back the previous one's data."""
    os.sync()


def tree_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        return f"unavailable: {exc}"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="passes per measurement (medians)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (not Dovecot's)")
    parser.add_argument("--skip-frontdesk", action="store_true", help="mbsync + baseline only")
    parser.add_argument("--mbsync-fsync", choices=("yes", "no"), default="yes",
                        help="mbsync's FSync setting (default: isync's default, yes)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.messages < 1:
        parser.error("--messages and --repeat must be positive")

    report = Report()
    fsync = args.mbsync_fsync == "yes"
    skip_reason = "--skip-frontdesk" if args.skip_frontdesk else frontdesk_missing()
    if skip_reason and not args.skip_frontdesk:
        report.problem(f"frontdesk not benchmarked: {skip_reason}")

    root = Path(tempfile.mkdtemp(prefix="fd-syncbench-"))
    server: DovecotServer | None = None
    result: dict[str, Any] = {"benchmark": "sync"}
    try:
        server = start_dovecot({USER: secrets.token_urlsafe(12)}, shares=())
        log(f"dovecot on {server.host}:{server.port}; loading {args.messages} messages")
        stats = CorpusStats()
        started = time.perf_counter()
        server.append_messages(USER, stats.track(generate_corpus(args.messages, seed=args.seed)))
        corpus = stats.summary()
        corpus["load_s"] = round(time.perf_counter() - started, 1)
        result["corpus"] = corpus
        log(f"loaded {corpus['messages']} messages, {corpus['mb']} MB in {corpus['load_s']} s")
        with server.connect(USER) as client:
            compress_offered = any(c.startswith(b"COMPRESS") for c in client.capabilities())
        result["environment"] = {
            "python": sys.version.split()[0],
            "dovecot": tool_version([str(DOVECOT_BIN), "--version"]),
            "mbsync": mbsync_peer.version(),
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "server_offers_compress": compress_offered,
            # Other work on the machine skews wall times; compare with loadavg_end.
            "loadavg_start": _loadavg(),
        }
        mbsync_settings = mbsync_peer.settings(fsync)
        if not compress_offered:
            mbsync_settings["compress"] += (
                " (moot: this Dovecot does not load imap_zlib, so COMPRESS is never offered)"
            )
        mbsync_settings["settle_before_incremental_s"] = MAILDIR_SETTLE_S
        result["mbsync_config"] = mbsync_settings
        result["measurement"] = {
            "wall_s": "Popen to exit (frontdesk headers_usable_s: Popen to reading headers_done)",
            "cpu_s": "ru_utime + ru_stime from os.wait4: the command and its reaped children, "
            "plus processes it left running (reaped here as their subreaper)",
            "peak_rss_mb": "the command's own ru_maxrss via GNU time (largest single process)"
            if GNU_TIME.exists() else "wait4 ru_maxrss: upper bound, includes this process",
            "peak_tree_rss_mb": f"summed RSS of the process tree, sampled every "
            f"{SAMPLE_INTERVAL_S} s",
            "medians_of": args.repeat,
        }

        # The baseline also warms Dovecot's index and the page cache before any tool runs.
        result["baseline_raw_fetch"] = baseline(server, args.repeat)
        want = server_state(server)
        if want.total != corpus["messages"]:
            report.problem(f"server holds {want.total} messages, {corpus['messages']} appended")

        # Initial syncs: a fresh target each pass, tools alternating who goes first.
        mb_runs: list[Run] = []
        mb_last_end = 0.0
        fd_runs: list[Run] = []
        mb_target: mbsync_peer.MbsyncTarget | None = None
        fd_target: FrontdeskTarget | None = None
        checks: dict[str, Any] = {}
        for rep in range(args.repeat):
            order = ["mbsync", "frontdesk"] if rep % 2 == 0 else ["frontdesk", "mbsync"]
            for tool in order:
                last = rep == args.repeat - 1
                if tool == "mbsync":
                    mb_target = mbsync_peer.write_config(
                        root / f"mbsync-{rep}", host=server.host, port=server.port,
                        user=USER, password=server.users[USER], fsync=fsync)
                    log(f"mbsync initial sync, pass {rep + 1}")
                    quiesce()
                    run = run_measured(mb_target.argv(), env=mbsync_env(mb_target.root))
                    mb_runs.append(run)
                    mb_last_end = time.perf_counter()
                    checks["mbsync_initial"] = check_mbsync(report, "initial", run, mb_target,
                                                            want)
                    log(f"mbsync initial: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU")
                    # Only the last pass's target goes on to the incremental pass.
                    if not last and not args.keep:
                        shutil.rmtree(mb_target.root, ignore_errors=True)
                elif not skip_reason:
                    fd_target, setup = frontdesk_setup(root / f"frontdesk-{rep}", server)
                    if not setup.ok:
                        report.problem(f"frontdesk account add failed: "
                                       f"{json.dumps(setup.failure())}")
                        skip_reason = "account add failed"
                        continue
                    log(f"frontdesk initial sync, pass {rep + 1}")
                    quiesce()
                    run, at_headers = frontdesk_sync(fd_target, timeout_s=3600)
                    fd_runs.append(run)
                    checks["frontdesk_initial"] = check_frontdesk(report, "initial", run,
                                                                  fd_target, want)
                    checks["frontdesk_store_at_headers_done"] = at_headers
                    if at_headers and at_headers.get("messages") != want.total:
                        report.problem(f"frontdesk: at headers_done the store lists "
                                       f"{at_headers.get('messages')} of {want.total} messages")
                    log(f"frontdesk initial: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, "
                        f"headers_done at {run.marks.get('headers_done')}")
                    if not last and not args.keep:
                        shutil.rmtree(fd_target.root, ignore_errors=True)

        # Incremental: each round makes its own changes so every pass has work to do.
        mb_inc: list[Run] = []
        fd_inc: list[Run] = []
        changes: list[dict[str, int]] = []
        for rep in range(args.repeat):
            changes.append(apply_changes(server, rep))
            want = server_state(server)
            log(f"incremental round {rep + 1}: {changes[-1]}")
            order = ["mbsync", "frontdesk"] if rep % 2 == 0 else ["frontdesk", "mbsync"]
            for tool in order:
                if tool == "mbsync" and mb_target is not None:
                    # mbsync sleeps ~1 s when its Maildir changed within the current second
                    # (it cannot trust the mtimes then); a real incremental sync comes
                    # minutes after the last one, so that sleep is not part of its cost.
                    time.sleep(max(0.0, mb_last_end + MAILDIR_SETTLE_S - time.perf_counter()))
                    quiesce()
                    run = run_measured(mb_target.argv(), env=mbsync_env(mb_target.root),
                                       timeout_s=600)
                    mb_inc.append(run)
                    mb_last_end = time.perf_counter()
                    checks["mbsync_incremental"] = check_mbsync(report, "incremental", run,
                                                                mb_target, want)
                    log(f"mbsync incremental: {run.wall_s:.3f} s")
                elif tool == "frontdesk" and fd_target is not None and not skip_reason:
                    quiesce()
                    run, _ = frontdesk_sync(fd_target, timeout_s=600)
                    fd_inc.append(run)
                    checks["frontdesk_incremental"] = check_frontdesk(report, "incremental", run,
                                                                      fd_target, want)
                    log(f"frontdesk incremental: {run.wall_s:.3f} s")

        messages = corpus["messages"]
        if mb_runs:
            result["mbsync"] = {
                "initial": figures(mb_runs, messages),
                "incremental": figures(mb_inc),
                "maildir_mb": tree_mb(mb_target.maildir) if mb_target else None,
            }
        if skip_reason:
            result["frontdesk"] = {"skipped": skip_reason}
        elif fd_runs:
            result["frontdesk"] = {
                "initial": figures(fd_runs, messages),
                "incremental": figures(fd_inc),
                # The database, its journal files and its pack files (mail bodies).
                "store_mb": round(sum(
                    f.stat().st_size for p in fd_target.root.glob("frontdesk.db*")
                    for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()
                ) / 1e6, 1) if fd_target else None,
            }
        result["incremental_changes"] = changes
        result["checks"] = checks

        mb_wall = (result.get("mbsync", {}).get("initial") or {}).get("wall_s")
        fd = result.get("frontdesk", {})
        fd_initial = fd.get("initial") or {}
        fd_incremental = fd.get("incremental") or {}
        ratios = {
            "frontdesk_headers_vs_mbsync": ratio(fd_initial.get("headers_usable_s"), mb_wall),
            "frontdesk_full_vs_mbsync": ratio(fd_initial.get("wall_s"), mb_wall),
            "frontdesk_incremental_s": fd_incremental.get("wall_s"),
            "mbsync_vs_raw_fetch": ratio(
                mb_wall, result["baseline_raw_fetch"]["all_folders"]["wall_s"]),
        }
        result["ratios"] = ratios
        result["targets"] = {
            "headers_usable_le_0.25x_mbsync": _met(ratios["frontdesk_headers_vs_mbsync"],
                                                   TARGETS["headers_vs_mbsync"], inclusive=True),
            "full_le_0.8x_mbsync": _met(ratios["frontdesk_full_vs_mbsync"],
                                        TARGETS["full_vs_mbsync"], inclusive=True),
            "incremental_lt_1s": _met(ratios["frontdesk_incremental_s"],
                                      TARGETS["incremental_s"], inclusive=False),
        }
    except Exception as exc:
        report.problem(f"benchmark aborted: {type(exc).__name__}: {exc}")
        if server is not None:
            result["dovecot_log_tail"] = server.log_tail(20).splitlines()
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    result.setdefault("environment", {})["loadavg_end"] = _loadavg()
    result["repeat"] = args.repeat
    result["problems"] = report.problems
    print(json.dumps(result, indent=2))
    return 1 if report.problems else 0


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return ""


def _met(value: float | None, limit: float, *, inclusive: bool) -> bool | None:
    if value is None:
        return None
    return value <= limit if inclusive else value < limit


if __name__ == "__main__":
    raise SystemExit(main())
