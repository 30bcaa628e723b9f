"""The `frontdesk` command line: the console, the demo, and (later) headless setup.

Expected failures print one line on stderr and exit non-zero; tracebacks are for bugs.
Textual is imported only by the commands that open the console, so headless commands
start fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import FrontdeskError
from engine.service import LocalService
from tui import forced_command
from tui.commands import (
    accounts,
    agents,
    audit,
    blocks,
    cases,
    customers,
    doctor,
    imap,
    leads,
    mail,
    oauth,
    ooo,
    outbox,
    rules,
    smtp,
    sync,
    templates,
)
from tui.commands import config as config_file
from tui.commands.output import config_option, positive_int

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service
    from tui.config import Config

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("frontdesk")
    except metadata.PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """--version, which looks the version up only when it is asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0,
                         help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"frontdesk {version()}")
        parser.exit()


def _common_options(*, suppress: bool) -> argparse.ArgumentParser:
    """--db and --agent, accepted before or after the command name."""
    parser = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--db", metavar="PATH", default=default,
        help="the store to open (default: $FRONTDESK_DB, else the XDG data directory)",
    )
    parser.add_argument(
        "--agent", metavar="NAME", default=default,
        help="act as this agent (default: the agent of your OS user); another agent "
        "only when an admin made your OS user a gateway",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdesk", parents=[_common_options(suppress=False)],
        description="A terminal shared-inbox console. With no command, opens the console.",
    )
    parser.add_argument("--version", action=_VersionAction)
    config_option(parser, suppress=False)
    common = _common_options(suppress=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", parents=[common],
        help="build a demo store of generated mail and open the console on it",
        description="Build a demo store (3 accounts, one shared) and open the console. "
        "The demo store is separate from your real one unless --db says otherwise.",
    )
    demo.add_argument("--messages", type=positive_int, default=2000, metavar="N",
                      help="how many messages to generate (default: 2000)")
    demo.add_argument("--seed", type=int, default=7, metavar="N",
                      help="the generator's seed: same seed, same mail (default: 7)")
    demo.add_argument("--seed-only", action="store_true",
                      help="write the store and exit without opening the console")
    config_option(demo)
    demo.add_argument("--rebuild", action="store_true",
                      help="build the store again even if it already holds this demo")
    accounts.register(commands, common)
    agents.register(commands, common)
    sync.register(commands, common)
    smtp.register(commands, common)
    imap.register(commands, common)
    oauth.register(commands, common)
    mail.register(commands, common)
    outbox.register(commands, common)
    cases.register(commands, common)
    leads.register(commands, common)
    customers.register(commands, common)
    blocks.register(commands, common)
    templates.register(commands, common)
    rules.register(commands, common)
    ooo.register(commands, common)
    audit.register(commands, common)
    config_file.register(commands, common)
    doctor.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `frontdesk` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args = forced_command.apply(parser, args, os.environ)
        args.db_path = Path(args.db).expanduser() if args.db else None
        if args.command == "demo":
            return asyncio.run(_demo(args))
        if args.command == "doctor":  # opens the store itself, after checking it
            return asyncio.run(doctor.run(args))
        if args.command == "sync":
            from engine.sync.cpu import prefork

            prefork()  # before any thread exists; see prefork
        if args.command in HEADLESS:
            return asyncio.run(_headless(args, HEADLESS[args.command]))
        return asyncio.run(_console(args))
    except FrontdeskError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`frontdesk list | head`): not an error. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


Command = Callable[[argparse.Namespace, "Service", "Agent"], Awaitable[int]]

HEADLESS: dict[str, Command] = {
    "account": accounts.run,
    "agent": agents.run,
    "sync": sync.run_sync,
    "smtp": smtp.run,
    "imap": imap.run,
    "oauth": oauth.run,
    "status": sync.run_status,
    "list": mail.run_list,
    "show": mail.run_show,
    "delete": mail.run_delete,
    "archive": mail.run_archive,
    "restore": mail.run_restore,
    "reply": outbox.run_reply,
    "send": outbox.run_send,
    "drafts": outbox.run_drafts,
    "outbox": outbox.run_outbox,
    "convert": cases.run_convert,
    "case": cases.run_case,
    "lead": leads.run_lead,
    "customer": customers.run,
    "block": blocks.run,
    "template": templates.run_template,
    "signature": templates.run_signature,
    "rules": rules.run,
    "ooo": ooo.run,
    "audit": audit.run,
    "config": config_file.run,
}


async def _headless(args: argparse.Namespace, command: Command) -> int:
    from engine.paths import resolve_db

    service = await LocalService.open(resolve_db(args.db))
    try:
        agent = await service.login(args.agent)
        return await command(args, service, agent)
    finally:
        await service.close()


async def _console(args: argparse.Namespace) -> int:
    from engine.paths import resolve_db

    config = _load_console_config(args)
    service = await LocalService.open(resolve_db(args.db))
    try:
        agent = await service.login(args.agent)
        await _run_app(service, agent, config)
    finally:
        await service.close()
    return EXIT_OK


async def _demo(args: argparse.Namespace) -> int:
    from engine.demo import DemoSpec, open_demo
    from engine.identity import os_user
    from engine.paths import demo_db

    path = args.db_path or demo_db()
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress:
            print(f"\rbuilding demo store: {done}/{total} messages", end="", file=sys.stderr)

    config = None if args.seed_only else _load_console_config(args)
    login = args.agent or os_user()
    service = await open_demo(
        path, DemoSpec(messages=args.messages, seed=args.seed), login=login,
        rebuild=args.rebuild, progress=progress,
    )
    if show_progress:
        print(file=sys.stderr)
    try:
        if config is None:  # --seed-only
            print(f"demo store ready: {path}")
            return EXIT_OK
        agent = await service.login(login)
        await _run_app(service, agent, config)
    finally:
        await service.close()
    return EXIT_OK


def _load_console_config(args: argparse.Namespace) -> tuple[Path, Config]:
    """Read before anything else happens, so a bad config costs nothing."""
    from tui.config import load_config, resolve_config_path

    path = resolve_config_path(getattr(args, "config", None))
    return path, load_config(path)


async def _run_app(service: Service, agent: Agent, config: tuple[Path, Config]) -> None:
    if not sys.stdout.isatty():
        raise FrontdeskError(
            "the console needs a terminal; run it in one, or use a headless command"
        )
    from tui.app import FrontdeskApp

    path, loaded = config
    await FrontdeskApp(service, agent, config=loaded, config_path=path).run_async()


if __name__ == "__main__":
    raise SystemExit(main())
