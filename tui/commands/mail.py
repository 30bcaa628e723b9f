"""`frontdesk list`, `show`, `delete`, `archive` and `restore`: the store's mail, for scripts and
people."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from engine.search.operators import OPERATOR_HELP
from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent, MessageRemoved
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    listing = commands.add_parser(
        "list", parents=[common], help="list messages in the store",
        description="List messages, newest first. Search operators: " + OPERATOR_HELP
        + ', "quoted phrases", words; a leading - excludes a term.',
    )
    listing.add_argument("--folder", default=None, metavar="SPEC",
                         help="unified:ROLE (e.g. unified:inbox), ACCOUNT:FOLDER, folder:ID "
                         "or all (default: unified:inbox, or all with --search)")
    listing.add_argument("--search", default="", metavar="QUERY",
                         help='e.g. \'from:acme.example is:unread "late invoice"\'')
    listing.add_argument("--unread", action="store_true", help="only unread messages")
    listing.add_argument("--threads", action="store_true",
                         help="one row per conversation: its newest message")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", parents=[common], help="show one message")
    show.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    show.add_argument("--json", action="store_true")

    delete = commands.add_parser(
        "delete", parents=[common], help="move a message to its account's Trash",
        description="Move a message to its account's Trash. A message in Trash already, or "
        "in an account without Trash, is deleted for good.",
    )
    delete.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    archive = commands.add_parser(
        "archive", parents=[common], help="move a message to its account's Archive folder")
    archive.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    restore = commands.add_parser(
        "restore", parents=[common], help="undo a delete or archive",
        description="Put a deleted or archived message back in the folder it was taken "
        "from (the inbox when that is not known). A message deleted for good can come "
        "back only until the server has expunged it.",
    )
    restore.add_argument("message_id", type=int, metavar="MESSAGE_ID")


async def run_list(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    from engine.listing import Listing

    scope = args.folder or ("all" if args.search.strip() else "unified:inbox")
    listing = Listing(scope=scope, query=args.search, unread_only=args.unread,
                      threads=args.threads)
    rows = await service.list_listing(agent, listing, limit=max(0, args.limit))
    if args.json:
        print_json(rows)
    else:
        print_table(
            ("ID", "DATE", "FLAGS", "FROM", "SUBJECT"),
            [(m.id, m.date[:16].replace("T", " "),
              ("N" if not m.seen else "-") + ("!" if m.flagged else "-"),
              m.from_name or m.from_addr,
              f"({m.thread_count}) {m.subject}" if args.threads else m.subject)
             for m in rows],
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


async def run_delete(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    print(_outcome(await service.delete_message(agent, args.message_id)))
    return 0


async def run_archive(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    print(_outcome(await service.archive_message(agent, args.message_id)))
    return 0


async def run_restore(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    print(_outcome(await service.restore_message(agent, args.message_id)))
    return 0


def _outcome(done: MessageRemoved) -> str:
    """One line on where the message went (the store changed at once; the server
    follows through the queued job)."""
    later = "" if done.job_id is None else (
        " (the server follows within seconds when the engine runs)")
    if done.folder is None:
        return f"message {done.message_id} deleted for good{later}"
    return f"message {done.message_id} moved to {done.folder}{later}"
