"""`frontdesk doctor`: check an installation and print, per check, ok / warning / problem
with one line of what to fix.

Unlike the other headless commands it does not open the store first: a read-only look
at the database comes before (engine.doctor.run.preflight), so a database
that is missing, damaged, unwritable or waiting for a migration is reported instead of
stopping the command, and is never created or migrated by it. Exit status 0 when no
check failed (warnings do not fail), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from engine.doctor.report import FAIL, OK, SKIPPED, WARN, DoctorReport, check
from tui.commands.output import config_option, print_json, table_lines, to_plain

if TYPE_CHECKING:
    from engine.models import DoctorCheck

EXIT_OK = 0
EXIT_PROBLEM = 1
CONFIG = "config.file"
# What a person reads in the table; --json keeps the stable words of STATUSES.
LABELS = {OK: "ok", WARN: "warning", FAIL: "problem", SKIPPED: "skipped"}
HEADERS = ("STATUS", "CHECK", "ACCOUNT", "DETAIL")
# Columns padded to their widest cell; the last one (the detail) is left as it is.
table = table_lines


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    doctor = commands.add_parser(
        "doctor", parents=[common], help="check the installation and print what to fix",
        description="Check the installation: the database file, its directory and "
        "permissions, the key file beside it, the database's integrity and schema, the "
        "console's config file, and each account you configure (an admin: all): login, "
        "OAuth2 token, SMTP server, last sync error, queued server changes; and the clock "
        "against a server's. Each check prints ok, warning or problem with what to do. "
        "Exits 1 when a check found a problem (warnings do not count).")
    doctor.add_argument("--account", metavar="NAME",
                        help="check only this account (the other checks still run)")
    doctor.add_argument("--offline", action="store_true",
                        help="skip what needs the network: logins, SMTP, token renewal and "
                        "the clock")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    config_option(doctor, what="the console's config file to check")


async def run(args: argparse.Namespace) -> int:
    """Run every check and print the report; the exit status."""
    from engine.doctor.run import preflight, with_open_failure
    from engine.errors import StoreOpenError
    from engine.paths import resolve_db
    from engine.service import LocalService

    db_path = resolve_db(args.db)
    found = await preflight(db_path)
    result = found.report
    if found.can_open:
        try:
            service = await LocalService.open(db_path)
        except StoreOpenError as exc:
            result = await with_open_failure(db_path, exc)
        else:
            try:
                agent = await service.login(args.agent)
                result = await service.doctor(agent, account=args.account,
                                              offline=args.offline)
            finally:
                await service.close()
    config = await asyncio.to_thread(config_check, getattr(args, "config", None))
    full = DoctorReport(checks=(config, *result.checks))
    if args.json:
        print_json(as_json(full))
    else:
        print(render(full))
    return EXIT_PROBLEM if full.failed else EXIT_OK


def config_check(explicit: str | None) -> DoctorCheck:
    """The console's config file loads (no file is fine: the console uses defaults)."""
    from tui.config import ConfigError, load_config, resolve_config_path

    path = resolve_config_path(explicit)
    try:
        config = load_config(path)
    except ConfigError as exc:
        return check(CONFIG, FAIL, str(exc))
    if not path.exists():
        return check(CONFIG, OK, f"no config file at {path}; the console uses its defaults")
    remaps = len(config.keymap)
    return check(CONFIG, OK, f"{path} loads (theme {config.theme}, {remaps} key "
                 f"remap{'' if remaps == 1 else 's'})")


def as_json(report: DoctorReport) -> dict[str, Any]:
    """The report as --json prints it: ok (no check failed), counts by status, and every
    check with its id, account, status and detail."""
    return {"ok": not report.failed, "counts": report.counts(),
            "checks": [to_plain(c) for c in report.checks]}


def render(report: DoctorReport) -> str:
    """The report as a table, one check a line, with a summary line under it."""
    rows = [(LABELS[c.status], c.id, c.account or "-", c.detail) for c in report.checks]
    return "\n".join([*table(HEADERS, rows), "", summary(report)])


def summary(report: DoctorReport) -> str:
    """E.g. "1 problem, 2 warnings, 9 ok, 1 skipped"."""
    counts = report.counts()
    parts = [_count(counts[FAIL], "problem"), _count(counts[WARN], "warning"),
             f"{counts[OK]} ok", f"{counts[SKIPPED]} skipped"]
    verdict = "fix the problems above" if report.failed else "no problem found"
    return f"{', '.join(parts)}: {verdict}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
