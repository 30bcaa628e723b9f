"""`frontdesk account grant|revoke|share|access`: who sees and acts on an account."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import AccountAccess, Agent
    from engine.service import Service

ACCOUNT_ACTIONS = ("grant", "revoke", "share", "access")


def register_account_actions(sub: argparse._SubParsersAction,
                             common: argparse.ArgumentParser) -> None:
    grant = sub.add_parser(
        "grant", parents=[common], help="let another agent read (or act on) your account",
        description="Let another agent read a personal account you own, and with --act "
        "reply from it and triage its mail. Granting again replaces the grant.")
    grant.add_argument("name")
    grant.add_argument("--to", required=True, metavar="AGENT", dest="to_agent")
    grant.add_argument("--act", action="store_true",
                       help="also reply, move, flag and convert (default: read only)")
    grant.add_argument("--json", action="store_true")

    revoke = sub.add_parser("revoke", parents=[common],
                            help="take back an agent's access to your account")
    revoke.add_argument("name")
    revoke.add_argument("--from", required=True, metavar="AGENT", dest="from_agent")
    revoke.add_argument("--json", action="store_true")

    share = sub.add_parser(
        "share", parents=[common], help="set who works a shared account (admins)",
        description="Set the agents and roles that work a shared account. Each option "
        "replaces its list (an empty value empties it); a list left out stays as it is. "
        "Members work the mailbox together, so they may act on it unless --read-only.")
    share.add_argument("name")
    share.add_argument("--agents", metavar="LIST", help="comma-separated agent names")
    share.add_argument("--roles", metavar="LIST", help="comma-separated roles: admin, agent")
    share.add_argument("--read-only", action="store_true",
                       help="members may read its mail but not act on it")
    share.add_argument("--json", action="store_true")

    access = sub.add_parser("access", parents=[common],
                            help="show who sees and acts on an account")
    access.add_argument("name")
    access.add_argument("--json", action="store_true")


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def _show(access: AccountAccess, *, as_json: bool) -> None:
    if as_json:
        print_json(access)
        return
    owner = f", owner {access.owner}" if access.owner else ""
    print(f"{access.account} ({access.kind}, {access.email}){owner}")
    if not access.entries:
        print("nobody is listed on it yet; set who works it with "
              f"`frontdesk account share {access.account} --agents LIST`")
        return
    print_table(("WHO", "KIND", "ACCESS", "GRANTED BY", "SINCE"),
                [(e.who, e.kind, e.access, e.granted_by, e.granted_at)
                 for e in access.entries])


async def run_account(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.account_command
    if action == "grant":
        access = await service.grant_account(agent, args.name, args.to_agent,
                                             can_act=args.act)
        if not args.json:
            what = "read and act on" if args.act else "read"
            print(f"{args.to_agent} may now {what} {args.name}")
        _show(access, as_json=args.json)
    elif action == "revoke":
        access = await service.revoke_account(agent, args.name, args.from_agent)
        if not args.json:
            print(f"{args.from_agent}'s grant on {args.name} is withdrawn")
        _show(access, as_json=args.json)
    elif action == "share":
        access = await service.share_account(
            agent, args.name, agent_names=_names(args.agents), roles=_names(args.roles),
            can_act=not args.read_only)
        _show(access, as_json=args.json)
    else:
        _show(await service.account_access(agent, args.name), as_json=args.json)
    return 0
