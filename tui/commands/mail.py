"""`frontdesk list` and `frontdesk show`: what the store holds, for scripts and people."""

from __future__ import annotations

import argparse

from engine.models import Agent
from engine.service import Service
from tui.commands.output import print_json, print_table


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    listing = commands.add_parser("list", parents=[common], help="list messages in the store")
    listing.add_argument("--folder", default="unified:inbox", metavar="SPEC",
                         help="unified:ROLE (e.g. unified:inbox) or ACCOUNT:FOLDER "
                         "(default: unified:inbox)")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", parents=[common], help="show one message")
    show.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    show.add_argument("--json", action="store_true")


async def run_list(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    rows = await service.list_by_spec(agent, args.folder, limit=max(0, args.limit))
    if args.json:
        print_json(rows)
    else:
        print_table(
            ("ID", "DATE", "FLAGS", "FROM", "SUBJECT"),
            [(m.id, m.date[:16].replace("T", " "),
              ("N" if not m.seen else "-") + ("!" if m.flagged else "-"),
              m.from_name or m.from_addr, m.subject) for m in rows],
        )
    return 0


async def run_show(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    view = await service.open_message(agent, args.message_id)
    if args.json:
        print_json(view)
        return 0
    for name, value in view.headers:
        print(f"{name}: {value}")
    for attachment in view.attachments:
        print(f"Attachment: {attachment.filename} ({attachment.content_type}, "
              f"{attachment.size} bytes)")
    if view.parse_error:
        print(f"Parse-Error: {view.parse_error}")
    print()
    print(view.text)
    if view.links:
        print()
        for n, link in enumerate(view.links, 1):
            print(f"[{n}] {link}")
    return 0
