"""`frontdesk audit`: the audit log, newest first (an admin reads every row; an agent its
own and those about what it may see)."""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import TYPE_CHECKING, Any

from tui.commands.output import positive_int, print_json, print_table, to_plain

if TYPE_CHECKING:
    from engine.models import Agent, AuditEntry
    from engine.service import Service

DEFAULT_LIMIT = 100


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    audit = commands.add_parser(
        "audit", parents=[common], help="read the audit log, newest first",
        description="Who did what, newest first: every row for an admin; for an agent "
        "its own rows and those about its accounts and their mail.")
    audit.add_argument("--limit", type=positive_int, default=DEFAULT_LIMIT, metavar="N",
                       help=f"how many rows (default: {DEFAULT_LIMIT})")
    audit.add_argument("--before", type=positive_int, default=None, metavar="ID",
                       help="only rows older than the row ID (to page back)")
    audit.add_argument("--json", action="store_true")


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    rows = await service.audit_log(agent, limit=args.limit, before_id=args.before)
    if args.json:
        print_json([_plain(row) for row in rows])
        return 0
    print_table(("ID", "AT", "AGENT", "ACTION", "TARGET", "DETAIL"),
                [(row.id, row.at, row.agent or "-", row.action, _target(row), row.detail)
                 for row in rows])
    return 0


def _target(row: AuditEntry) -> str:
    if not row.target_kind:
        return "-"
    return row.target_kind if row.target_id is None else f"{row.target_kind}:{row.target_id}"


def _plain(row: AuditEntry) -> dict[str, Any]:
    plain: dict[str, Any] = to_plain(row)
    with contextlib.suppress(ValueError):  # else shown as written
        plain["detail"] = json.loads(row.detail)
    return plain
