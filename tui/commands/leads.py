"""`frontdesk lead list|status`: the leads threads were converted into."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    lead = commands.add_parser("lead", help="list leads and move them along",
                               description="List leads and set their status.")
    sub = lead.add_subparsers(dest="lead_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", parents=[common], help="leads you may see, newest first")
    listing.add_argument("--status", default=None,
                         metavar="new|contacted|qualified|lost|won")
    listing.add_argument("--json", action="store_true")
    status = sub.add_parser("status", parents=[common], help="set a lead's status")
    status.add_argument("lead_id", type=int, metavar="LEAD_ID")
    # Checked by the engine, so a wrong status is a one-line error like every other.
    status.add_argument("status", metavar="new|contacted|qualified|lost|won")


async def run_lead(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.lead_command == "list":
        leads = await service.list_leads(agent, status=args.status)
        if args.json:
            print_json(leads)
        else:
            print_table(("ID", "STATUS", "CREATED", "NAME", "EMAIL", "COMPANY"),
                        [(lead.id, lead.status, lead.created_at[:10], lead.name, lead.email,
                          lead.company) for lead in leads])
        return 0
    lead = await service.set_lead_status(agent, args.lead_id, args.status)
    print(f"lead {lead.id} ({lead.name}) is {lead.status}")
    return 0
