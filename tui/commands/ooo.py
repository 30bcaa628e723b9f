"""`frontdesk ooo set|clear|show`: out of office. Without --account it is your own (it
answers mail to your personal mailboxes); with one, a mailbox's (set by whoever
configures the mailbox). A sender is told once per absence."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table
from tui.commands.rules import read_text

if TYPE_CHECKING:
    from engine.models import Agent, OutOfOffice
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ooo = commands.add_parser(
        "ooo", help="out of office: your own, or a mailbox's",
        description="Out of office: an answer to mail arriving while you (or a mailbox's "
        "team) are away. Without --account it is your own.",
    )
    sub = ooo.add_subparsers(dest="ooo_command", metavar="ACTION", required=True)

    set_ = sub.add_parser(
        "set", parents=[common], help="set (or replace) an out of office",
        description="Set an out of office from one date to another (whole days, UTC, "
        "unless a time is given: 2026-12-24 or 2026-12-24T09:00+01:00). The text is a "
        "template, as saved replies are.",
    )
    set_.add_argument("--from", dest="starts", required=True, metavar="DATE")
    set_.add_argument("--until", dest="ends", required=True, metavar="DATE",
                      help="the last day (or the moment) of the absence")
    text = set_.add_mutually_exclusive_group(required=True)
    text.add_argument("--body-file", metavar="PATH", help="the text ('-': standard input)")
    text.add_argument("--body", metavar="TEXT", help="the text")
    text.add_argument("--template", metavar="NAME", help="answer with this saved template")
    set_.add_argument("--subject", default="", metavar="TPL",
                      help="the subject, a template (default: Re: and the subject)")
    set_.add_argument("--html", action="store_true", help="the text is HTML")
    set_.add_argument("--account", metavar="NAME", help="a mailbox's, not your own")

    clear = sub.add_parser("clear", parents=[common], help="remove an out of office")
    clear.add_argument("--account", metavar="NAME", help="a mailbox's, not your own")

    show = sub.add_parser("show", parents=[common],
                          help="your out of office and those of the mailboxes you see")
    show.add_argument("--json", action="store_true")


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.ooo_command
    if action == "set":
        from engine.models import OutOfOfficeSpec

        body = read_text(args.body_file) if args.body_file is not None else args.body or ""
        saved = await service.set_out_of_office(agent, OutOfOfficeSpec(
            starts=args.starts, ends=args.ends, body=body, subject=args.subject,
            html=args.html, template=args.template or "", account=args.account))
        print(f"set {_whose(saved, agent)} from {saved.starts} until {saved.ends}")
        return 0
    if action == "clear":
        removed = await service.clear_out_of_office(agent, args.account)
        whose = f"the out of office of the mailbox {args.account}" if args.account else (
            "your out of office")
        if removed:
            print(f"cleared {whose}")
        else:
            print(f"{whose} was not set; nothing to clear", file=sys.stderr)
        return 0
    if action == "show":
        found = await service.list_out_of_office(agent)
        if args.json:
            print_json(found)
        elif not found:
            print("no out of office; set yours with `frontdesk ooo set`", file=sys.stderr)
        else:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print_table(("FOR", "FROM", "UNTIL", "NOW", "SUBJECT", "TEXT"),
                        [(_for(o), o.starts, o.ends, _state(o, now), o.subject or None,
                          _text(o)) for o in found])
        return 0
    raise InvalidInputError(f"unknown ooo action {action!r}")


def _whose(ooo: OutOfOffice, agent: Agent) -> str:
    if ooo.account:
        return f"the out of office of the mailbox {ooo.account}"
    return "your out of office" if ooo.agent_id == agent.id else f"the out of office of {ooo.agent}"


def _for(ooo: OutOfOffice) -> str:
    return f"mailbox {ooo.account}" if ooo.account else f"agent {ooo.agent}"


def _state(ooo: OutOfOffice, now: str) -> str:
    if now < ooo.starts:
        return "ahead"
    return "away" if now < ooo.ends else "over"


def _text(ooo: OutOfOffice) -> str:
    if ooo.template:
        return f"template {ooo.template}"
    first = next((line.strip() for line in ooo.body.splitlines() if line.strip()), "")
    return first if len(first) <= 60 else first[:59] + "…"
