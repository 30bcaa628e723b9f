"""`frontdesk convert` and `frontdesk case list|show|close|reopen|pending|priority|assign`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import print_json, print_table, to_plain

if TYPE_CHECKING:
    from engine.models import Agent, Case, Conversion
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    convert = commands.add_parser(
        "convert", parents=[common], help="convert a message's thread to a lead or a case",
        description="Convert the thread of a message to a lead or a case, built from the "
        "thread's first message. Converting a thread again shows what it already is.",
    )
    convert.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    # Checked by the engine, so a wrong kind is a one-line error like every other.
    convert.add_argument("kind", metavar="lead|case")
    convert.add_argument("--json", action="store_true")

    case = commands.add_parser(
        "case", help="list, show and change cases",
        description="List and show cases; close, reopen or set them pending; set their "
        "priority; give them to an agent.")
    sub = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", parents=[common],
                             help="cases you may see, most recently updated first")
    listing.add_argument("--status", metavar="open|pending|closed", default=None)
    listing.add_argument("--json", action="store_true")
    show = sub.add_parser("show", parents=[common], help="show one case")
    show.add_argument("ref", metavar="REF", help="the case number (C-000012) or id")
    show.add_argument("--json", action="store_true")
    for action, text in (("close", "close a case"), ("reopen", "open a closed case again"),
                         ("pending", "set a case pending (waiting on the customer)")):
        change = sub.add_parser(action, parents=[common], help=text)
        change.add_argument("ref", metavar="REF", help="the case number (C-000012) or id")
    priority = sub.add_parser("priority", parents=[common], help="set a case's priority")
    priority.add_argument("ref", metavar="REF", help="the case number (C-000012) or id")
    # Checked by the engine, so a wrong level is a one-line error like every other.
    priority.add_argument("level", metavar="low|normal|high|urgent")
    assign = sub.add_parser(
        "assign", parents=[common], help="give a case to an agent",
        description="Give a case to an agent who can see its mail; --nobody leaves it "
        "unassigned.")
    assign.add_argument("ref", metavar="REF", help="the case number (C-000012) or id")
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("agent_name", nargs="?", metavar="AGENT", default=None)
    who.add_argument("--nobody", action="store_true", help="take the case from its assignee")


async def run_convert(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    made = await service.convert(agent, args.message_id, args.kind)
    if args.json:
        print_json(made)
    elif made.created:
        print(f"{_named(made)} created from message {args.message_id}")
    else:
        print(f"message {args.message_id}'s thread is already {_named(made)}")
    return 0


def _named(made: Conversion) -> str:
    if made.kind == "case":
        return f"case {made.label}"
    return f"lead {made.id} ({made.label})"


async def run_case(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.case_command
    if action == "list":
        cases = await service.list_cases(agent, status=args.status)
        if args.json:
            print_json(cases)
        else:
            print_table(
                ("NUMBER", "STATUS", "PRIORITY", "ASSIGNEE", "UPDATED", "SUBJECT"),
                [(c.number, c.status, c.priority, c.assignee or None, _when(c.updated_at),
                  c.subject) for c in cases],
            )
        return 0
    if action == "show":
        case = await service.case(agent, args.ref)
        found = await service.case_messages(agent, args.ref)
        if args.json:
            print_json({**to_plain(case), "messages": found})
        else:
            _print_case(case)
            if found:
                print()
                print_table(("ID", "DATE", "FROM", "SUBJECT"),
                            [(m.id, _when(m.date), m.from_addr, m.subject) for m in found])
        return 0
    if action == "priority":
        case = await service.set_case_priority(agent, args.ref, args.level)
        print(f"case {case.number} has {case.priority} priority")
        return 0
    if action == "assign":
        case = await service.assign_case(agent, args.ref,
                                         None if args.nobody else args.agent_name)
        print(f"case {case.number} is {case.assignee}'s" if case.assignee
              else f"case {case.number} has no assignee")
        return 0
    status = {"close": "closed", "reopen": "open", "pending": "pending"}[action]
    case = await service.set_case_status(agent, args.ref, status)
    print(f"case {case.number} is {case.status}")
    return 0


def _print_case(case: Case) -> None:
    fields = (
        ("Case", case.number),
        ("Subject", case.subject),
        ("Status", case.status),
        ("Priority", case.priority),
        ("Assignee", case.assignee or "-"),
        ("Customer", "-" if case.customer_id is None else str(case.customer_id)),
        ("From message", "-" if case.source_message_id is None
         else str(case.source_message_id)),
        ("Threads", ", ".join(str(t) for t in case.thread_ids) or "-"),
        ("Created", _when(case.created_at)),
        ("Updated", _when(case.updated_at)),
    )
    width = max(len(name) for name, _ in fields) + 1
    for name, value in fields:
        # Subjects are mail text: sanitised by the engine, kept to one line here.
        print(f"{name + ':':<{width}} {' '.join(value.split())}")


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")
