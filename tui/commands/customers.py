"""`frontdesk customer add|list|show|pair`: the team's customers, from scripts and shells."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent, Customer, Timeline
    from engine.service import Service


class _CheckedParser(argparse.ArgumentParser):
    """An argument parser that also runs `check` on what it parsed, for rules argparse
    cannot state (exactly one of ADDRESS and --message); a failure is a usage error."""

    check: Callable[[argparse.Namespace], str | None] | None = None

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        problem = self.check(parsed) if self.check is not None else None
        if problem:
            self.error(problem)
        return parsed, extras


def _one_pair_source(args: argparse.Namespace) -> str | None:
    if args.address is not None and args.message is not None:
        return "give ADDRESS or --message, not both"
    if args.address is None and args.message is None:
        return "give the ADDRESS to pair, or --message MESSAGE_ID to pair its sender"
    return None


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    customer = commands.add_parser(
        "customer", help="find, add and pair customers; show a customer's timeline",
        description="The team's customers: find, add, pair addresses, show a timeline.",
    )
    sub = customer.add_subparsers(dest="customer_command", metavar="ACTION", required=True,
                                  parser_class=_CheckedParser)

    add = sub.add_parser("add", parents=[common], help="add a customer",
                         description="Add a customer owning the given addresses.")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--company", default="", metavar="TEXT")
    add.add_argument("--email", action="append", default=[], metavar="ADDRESS",
                     help="an address of the customer; repeatable")
    add.add_argument("--notes", default="", metavar="TEXT")
    add.add_argument("--move", action="store_true",
                     help="take addresses already paired to another customer")
    add.add_argument("--json", action="store_true", help="print the customer as JSON")

    listing = sub.add_parser("list", parents=[common], help="list or search customers",
                             description="List customers by name, or search them: the "
                             "query's characters in order in the name, company or an "
                             "address (\"acm\" finds \"ACME Ltd\"), best match first.")
    listing.add_argument("--search", default="", metavar="QUERY")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.add_argument("--json", action="store_true")

    show = sub.add_parser("show", parents=[common],
                          help="a customer, its recent mail, cases and leads",
                          description="A customer with its timeline: its mail in the "
                          "accounts you may see, newest first, and its cases and leads.")
    show.add_argument("customer_id", type=int, metavar="ID")
    show.add_argument("--limit", type=int, default=20, metavar="N",
                      help="how many messages to show (default: 20)")
    show.add_argument("--json", action="store_true")

    pair = sub.add_parser("pair", parents=[common],
                          help="pair an address, or a message's sender, to a customer",
                          description="Give an address to a customer: its mail, past and "
                          "future, is that customer's.")
    pair.add_argument("address", nargs="?", metavar="ADDRESS")
    pair.add_argument("customer_id", type=int, metavar="CUSTOMER_ID")
    pair.add_argument("--message", type=int, metavar="MESSAGE_ID",
                      help="pair the sender of this message instead of an ADDRESS")
    pair.add_argument("--move", action="store_true",
                      help="move the address when another customer has it")
    pair.add_argument("--json", action="store_true", help="print the customer as JSON")
    pair.check = _one_pair_source


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.customer_command
    if action == "add":
        added = await service.add_customer(
            agent, name=args.name, company=args.company, addresses=args.email,
            notes=args.notes, move=args.move,
        )
        _print_customer(added, as_json=args.json, verb="added")
        return 0
    if action == "list":
        found = await service.find_customers(agent, args.search, limit=max(0, args.limit))
        if args.json:
            print_json(found)
        else:
            print_table(("ID", "NAME", "COMPANY", "ADDRESSES"),
                        [(c.id, c.name, c.company, ", ".join(c.addresses)) for c in found])
        return 0
    if action == "show":
        timeline = await service.customer_timeline(agent, args.customer_id,
                                                   limit=max(0, args.limit))
        if args.json:
            print_json(timeline)
        else:
            await _print_timeline(timeline, service, agent)
        return 0
    if action == "pair":
        if args.message is not None:
            paired = await service.pair_sender(agent, args.message, args.customer_id,
                                               move=args.move)
        else:
            paired = await service.pair_address(agent, args.address, args.customer_id,
                                                move=args.move)
        _print_customer(paired, as_json=args.json, verb="paired")
        return 0
    raise InvalidInputError(f"unknown customer action {action!r}")


def _print_customer(customer: Customer, *, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(customer)
        return
    addresses = ", ".join(customer.addresses) or "no addresses"
    print(f"customer {customer.id} {verb}: {customer.name} ({addresses})")


async def _print_timeline(timeline: Timeline, service: Service, agent: Agent) -> None:
    customer = timeline.customer
    print(f"Customer {customer.id}: {customer.name}")
    print(f"Company: {customer.company or '-'}")
    print(f"Addresses: {', '.join(customer.addresses) or '-'}")
    print(f"Created: {customer.created_at}")
    if customer.notes:
        print("Notes:")
        for line in customer.notes.splitlines():
            print(f"  {line}")
    accounts = {a.id: a.name for a in await service.list_accounts(agent)}
    print()
    print(f"Messages: {len(timeline.messages)} of {timeline.total}")
    if timeline.messages:
        print_table(
            ("ID", "DATE", "ACCOUNT", "FROM", "SUBJECT"),
            [(m.id, m.date[:16].replace("T", " "), accounts.get(m.account_id, m.account_id),
              m.from_name or m.from_addr, m.subject) for m in timeline.messages],
        )
    print()
    print(f"Cases: {len(timeline.cases)}")
    if timeline.cases:
        print_table(("NUMBER", "STATUS", "PRIORITY", "ASSIGNEE", "SUBJECT"),
                    [(c.number, c.status, c.priority, c.assignee or None, c.subject)
                     for c in timeline.cases])
    print()
    print(f"Leads: {len(timeline.leads)}")
    if timeline.leads:
        print_table(("ID", "NAME", "STATUS", "EMAIL", "COMPANY"),
                    [(lead.id, lead.name, lead.status, lead.email, lead.company)
                     for lead in timeline.leads])
