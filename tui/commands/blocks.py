"""`frontdesk block add|remove|list`: the deny list of senders and domains."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent, BlockEntry
    from engine.service import Service

EVERY_ACCOUNT = "every account"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    block = commands.add_parser(
        "block", help="block senders or domains, and review the block list",
        description="Block a sender or a whole domain: its new mail is not imported and "
        "its stored mail is hidden (not deleted) until it is unblocked.",
    )
    sub = block.add_subparsers(dest="block_command", metavar="ACTION", required=True)

    add = sub.add_parser(
        "add", parents=[common], help="block an address or a domain",
        description="Block an address (VALUE with '@') or a domain and its subdomains "
        "(VALUE without '@').",
    )
    add.add_argument("value", metavar="VALUE", help="e.g. pest@spam.example or spam.example")
    add.add_argument("--account", metavar="NAME",
                     help="block on this account only (default: every account, admins only)")

    remove = sub.add_parser("remove", parents=[common],
                            help="unblock: remove an entry and show its mail again")
    remove.add_argument("entry_id", type=int, metavar="ID", help="the entry's id (block list)")

    listing = sub.add_parser("list", parents=[common], help="list the blocked senders")
    listing.add_argument("--json", action="store_true")


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.block_command
    if action == "add":
        kind = "address" if "@" in args.value else "domain"
        entry = await service.block(agent, kind, args.value, account=args.account)
        print(f"blocked {_what(entry)} on {_where(entry)} (entry {entry.id}); "
              f"{_messages(entry.changed)} hidden")
        return 0
    if action == "remove":
        entry = await service.unblock(agent, args.entry_id)
        print(f"unblocked {_what(entry)} on {_where(entry)} (entry {entry.id} removed); "
              f"{_messages(entry.changed)} shown again")
        return 0
    if action == "list":
        entries = await service.list_blocks(agent)
        if args.json:
            print_json(entries)
        else:
            print_table(("ID", "ACCOUNT", "KIND", "VALUE", "CREATED"),
                        [(e.id, e.account or EVERY_ACCOUNT, e.kind, e.value, e.created_at)
                         for e in entries])
        return 0
    raise InvalidInputError(f"unknown block action {action!r}")


def _what(entry: BlockEntry) -> str:
    return f"{entry.kind} {entry.value}"


def _where(entry: BlockEntry) -> str:
    return f"account {entry.account}" if entry.account_id is not None else EVERY_ACCOUNT


def _messages(n: int) -> str:
    return f"{n} stored message{'' if n == 1 else 's'}"
