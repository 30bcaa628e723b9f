"""`frontdesk sync` and `frontdesk status`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import TYPE_CHECKING

from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service
    from engine.status import AccountHealth
    from engine.sync.progress import SyncEvent


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sync = commands.add_parser(
        "sync", parents=[common], help="sync accounts with their servers",
        description="Sync accounts. Without --once it stays up (IDLE on each inbox, "
        "polling other folders) until Ctrl-C or SIGTERM.",
    )
    sync.add_argument("--account", metavar="NAME", help="only this account")
    sync.add_argument("--once", action="store_true", help="one pass, then exit")
    sync.add_argument("--progress", choices=("auto", "json", "none"), default="auto",
                      help="progress on stderr: lines for people, JSON lines for scripts")

    status = commands.add_parser("status", parents=[common],
                                 help="sync health: last success, errors, counts, jobs")
    status.add_argument("--json", action="store_true")


class _Printer:
    """Human progress on stderr: a line rewritten in place on a terminal, one line per
    finished phase otherwise."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self._last = 0.0

    def __call__(self, event: SyncEvent) -> None:
        if self.mode == "none":
            return
        if self.mode == "json":
            data = event.as_dict()
            data["t"] = round(time.monotonic() - self.started, 3)
            sys.stderr.write(json.dumps(data) + "\n")
            sys.stderr.flush()
            return
        if event.event == "folder":
            line = (f"{event.account}/{event.folder}: {event.phase} {event.done}/{event.total}"
                    f" ({event.bytes / 1e6:.1f} MB)")
            finished = event.done >= event.total
            now = time.monotonic()
            if self.tty and (finished or now - self._last > 0.1):
                self._last = now
                sys.stderr.write("\r\x1b[K" + line + ("\n" if finished else ""))
            elif not self.tty and finished:
                sys.stderr.write(line + "\n")
        elif event.event == "error":
            sys.stderr.write(f"\r{event.account}: error: {event.message}\n")
        elif event.event == "account_done" and event.done:
            sys.stderr.write(f"{event.account}: {event.done} new messages\n")
        sys.stderr.flush()


async def run_sync(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    printer = _Printer(args.progress)
    if args.once:
        results = await service.sync(agent, account=args.account, once=True, progress=printer)
        failed = [r for r in results if r.error]
        if not results:
            print("no accounts to sync; add one with `frontdesk account add`", file=sys.stderr)
        return 1 if failed else 0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await service.sync(agent, account=args.account, once=False, progress=printer, stop=stop)
    return 0


async def run_status(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    health = await service.status(agent)
    if args.json:
        print_json(health)
        return 0
    print_table(
        ("ACCOUNT", "MESSAGES", "UNREAD", "LAST SYNC", "JOBS", "STATE"),
        [(h.name, h.messages, h.unread, h.last_sync_at or "never",
          f"{h.jobs_pending} pending, {h.jobs_failed} failed",
          "ok" if h.healthy else (h.last_error or "folder errors"))
         for h in health],
    )
    for h in health:
        for folder in h.folders:
            if folder.last_error:
                print(f"{h.name}/{folder.name}: {folder.last_error}")
    for h in health:
        if h.oauth_provider:
            print(f"{h.name}: {_token_state(h)}")
    return 0


def _token_state(h: AccountHealth) -> str:
    """One line on an OAuth2 account's token."""
    if h.needs_sign_in:
        return (f"{h.oauth_provider} sign-in needed: run `frontdesk account reconnect "
                f"{h.name}`")
    return (f"{h.oauth_provider} token for {h.oauth_user or h.email} valid until "
            f"{h.token_expires_at}, renewed automatically")
