"""What `frontdesk config check|apply|export` do (tui.commands.config registers them)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.config import load_config, read_text, resolve_config_path, write_atomic
from tui.config_file.apply import Applier
from tui.config_file.current import Current, read_current
from tui.config_file.export import export_config
from tui.config_file.locator import Locator
from tui.config_file.problems import render
from tui.config_file.schema import Declared, read_config
from tui.config_file.store_checks import check_store

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    path = resolve_config_path(getattr(args, "config", None))
    if args.config_command == "export":
        return await _export(args, service, agent, path)
    text = await asyncio.to_thread(_read, path)
    declared, current, problems = await _checked(service, agent, text, str(path))
    apply = args.config_command == "apply"
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        print(f"{path}: {count}" + ("; nothing was applied" if apply else ""),
              file=sys.stderr)
        return 1
    if not apply:
        accounts, rules = len(declared.accounts), len(declared.rules)
        print(f"{path}: ok, {accounts} account{'' if accounts == 1 else 's'}, "
              f"{rules} rule{'' if rules == 1 else 's'}")
        return 0
    applier = Applier(service, current, declared, dry_run=args.dry_run, prune=args.prune,
                      say=print, warn=lambda line: print(f"warning: {line}", file=sys.stderr))
    report = await applier.run()
    changes = f"{report.changes} change{'' if report.changes == 1 else 's'}"
    if not report.changes:
        print("nothing to change")
    elif args.dry_run:
        print(f"dry run: {changes}; nothing was changed")
    else:
        print(f"{path}: {changes} applied")
    return 0


async def _checked(service: Service, agent: Agent, text: str, source: str
                   ) -> tuple[Declared, Current, list[str]]:
    """What the file declares, the store as read, and every problem as a line."""
    declared, problems = await asyncio.to_thread(read_config, text)
    current = await read_current(service, agent)
    if not any(p.line is not None for p in problems):  # TOML that parsed
        problems += await check_store(declared, current)
    return declared, current, render(problems, source, Locator(text))


def _read(path: Path) -> str:
    text = read_text(path)
    if text is None:
        raise InvalidInputError(
            f"{path}: no such file; write one, or start from `frontdesk config export "
            f"--output {path}`")
    return text


def _write(output: str, text: str) -> Path:
    target = Path(output).expanduser()
    write_atomic(target, text)
    return target


async def _export(args: argparse.Namespace, service: Service, agent: Agent,
                  path: Path) -> int:
    console = await asyncio.to_thread(load_config, path)
    current = await read_current(service, agent)
    text = await export_config(service, current, console)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = await asyncio.to_thread(_write, args.output, text)
    accounts = len(current.managed)
    print(f"wrote {target}: {accounts} account{'' if accounts == 1 else 's'}; check it "
          f"with `frontdesk config check --config {target}`")
    return 0
