"""`frontdesk agent add|list|remove|set-role|gateway|address|authorized-keys`: the
people of a store, the addresses assigned to them, and SSH gateways."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service

# Far more than any public key; a larger file is not one.
MAX_KEY_FILE = 65_536


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    agent = commands.add_parser(
        "agent", help="agents, their addresses, and SSH gateways (admins)",
        description="The agents of this store. Admins add and remove agents, assign "
        "addresses, and configure SSH gateways; every agent may list the agents.")
    sub = agent.add_subparsers(dest="agent_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", parents=[common], help="add an agent (or bring one back)",
                         description="Add an agent. Adding the name of a removed agent "
                         "brings it back, with what is given now.")
    add.add_argument("name", help="a short name: a-z, 0-9, '.', '_' or '-'")
    login = add.add_mutually_exclusive_group()
    login.add_argument("--os-user", metavar="USER",
                       help="the OS login that acts as this agent (default: the name)")
    login.add_argument("--no-os-user", action="store_true",
                       help="no OS login: the agent acts only through a gateway's key")
    add.add_argument("--display-name", metavar="TEXT", default="")
    add.add_argument("--email", metavar="ADDR", default="",
                     help="the agent's own address (it may add a personal account for it)")
    add.add_argument("--role", choices=("admin", "agent"), default="agent")
    add.add_argument("--json", action="store_true")

    listing = sub.add_parser("list", parents=[common],
                             help="list the agents (admins also see removed ones)")
    listing.add_argument("--json", action="store_true")

    remove = sub.add_parser(
        "remove", parents=[common], help="remove an agent (its history stays)",
        description="Deactivate an agent: its history stays; its grants and assigned "
        "addresses go. The last active admin cannot be removed.")
    remove.add_argument("name")
    remove.add_argument("--disable-accounts", action="store_true",
                        help="also stop syncing the agent's personal accounts (their mail "
                        "stays in the store)")

    role = sub.add_parser("set-role", parents=[common], help="make an agent admin or agent")
    role.add_argument("name")
    role.add_argument("role", choices=("admin", "agent"))

    _register_gateway(sub, common)
    _register_address(sub, common)

    keys = sub.add_parser(
        "authorized-keys", parents=[common],
        help="print the authorized_keys line that lets a key act as an agent",
        description="Print the line to add to a gateway's ~/.ssh/authorized_keys: the "
        "key may then only run frontdesk on this store, as this agent.")
    keys.add_argument("name", metavar="AGENT")
    keys.add_argument("--key", required=True, metavar="FILE",
                      help="the agent's public key file (id_ed25519.pub, say)")
    keys.add_argument("--program", metavar="PATH",
                      help="frontdesk's absolute path on this host (default: found)")


def _register_gateway(sub: argparse._SubParsersAction,
                      common: argparse.ArgumentParser) -> None:
    gateway = sub.add_parser(
        "gateway", help="OS users that may name the agent with --agent",
        description="A gateway is an OS login shared by a team over SSH: each key's "
        "forced command names its agent. A gateway may act as any agent, so give its "
        "login only through keys with forced commands (frontdesk agent authorized-keys).")
    actions = gateway.add_subparsers(dest="gateway_command", metavar="ACTION", required=True)
    for action, text in (("add", "make an OS user a gateway"),
                         ("remove", "stop an OS user being a gateway")):
        parser = actions.add_parser(action, parents=[common], help=text)
        parser.add_argument("os_user", metavar="OSUSER")
    listing = actions.add_parser("list", parents=[common], help="list the gateways")
    listing.add_argument("--json", action="store_true")


def _register_address(sub: argparse._SubParsersAction,
                      common: argparse.ArgumentParser) -> None:
    address = sub.add_parser(
        "address", help="addresses assigned to agents",
        description="Addresses an admin assigns to an agent, besides its own email: an "
        "agent may add a personal account only for an address it holds.")
    actions = address.add_subparsers(dest="address_command", metavar="ACTION", required=True)
    for action, text in (("add", "assign an address to an agent"),
                         ("remove", "take an address back")):
        parser = actions.add_parser(action, parents=[common], help=text)
        parser.add_argument("name", metavar="AGENT")
        parser.add_argument("address", metavar="ADDRESS")
    listing = actions.add_parser("list", parents=[common],
                                 help="list assigned addresses (yours, or an admin's pick)")
    listing.add_argument("name", metavar="AGENT", nargs="?", default=None,
                         help="whose (default: yours; admins: everyone's with --all)")
    listing.add_argument("--all", action="store_true", help="everyone's (admins)")
    listing.add_argument("--json", action="store_true")


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.agent_command
    if action == "add":
        return await _add(args, service, agent)
    if action == "list":
        agents = await service.list_agents(agent)
        if args.json:
            print_json(agents)
        else:
            print_table(("NAME", "ROLE", "OS USER", "EMAIL", "ACTIVE", "DISPLAY NAME"),
                        [(a.name, a.role, a.os_user, a.email or None, a.active,
                          a.display_name or None) for a in agents])
        return 0
    if action == "remove":
        removed = await service.remove_agent(agent, args.name,
                                             disable_accounts=args.disable_accounts)
        print(_removed_text(args.name, removed.grants_dropped, removed.addresses_dropped,
                            removed.accounts_disabled))
        return 0
    if action == "set-role":
        changed = await service.set_agent_role(agent, args.name, args.role)
        print(f"{changed.name} is {'an admin' if changed.role == 'admin' else 'an agent'}")
        return 0
    if action == "gateway":
        return await _gateway(args, service, agent)
    if action == "address":
        return await _address(args, service, agent)
    if action == "authorized-keys":
        text = _read_key_file(args.key)
        program = args.program or _frontdesk_program()
        print(await service.authorized_keys_line(agent, args.name, text, program))
        return 0
    raise InvalidInputError(f"unknown agent action {action!r}")


async def _add(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    from engine.models import AgentSpec

    spec = AgentSpec(name=args.name, os_user=args.os_user, no_os_user=args.no_os_user,
                     display_name=args.display_name, email=args.email, role=args.role)
    added = await service.add_agent(agent, spec)
    if args.json:
        print_json(added)
        return 0
    new = added.agent
    how = f"OS user {new.os_user}" if new.os_user else "no OS user: acts through a gateway"
    verb = "brought back" if added.reactivated else "added"
    print(f"agent {new.name} {verb} ({new.role}, {how})")
    return 0


def _removed_text(name: str, grants: int, addresses: tuple[str, ...],
                  accounts: tuple[str, ...]) -> str:
    parts = [f"agent {name} removed; its history stays"]
    if grants:
        parts.append(f"{grants} grant(s) withdrawn")
    if addresses:
        parts.append("addresses taken back: " + ", ".join(addresses))
    if accounts:
        parts.append("no longer syncing: " + ", ".join(accounts))
    return "; ".join(parts)


async def _gateway(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.gateway_command
    if action == "add":
        gateway = await service.add_gateway(agent, args.os_user)
        print(f"OS user {gateway.os_user} is a gateway: it may act as any agent; give it "
              "keys with `frontdesk agent authorized-keys AGENT --key FILE`")
    elif action == "remove":
        await service.remove_gateway(agent, args.os_user)
        print(f"OS user {args.os_user} is no longer a gateway")
    else:
        found = await service.list_gateways(agent)
        if args.json:
            print_json(found)
        else:
            print_table(("OS USER", "ADDED BY", "SINCE"),
                        [(g.os_user, g.added_by, g.created_at) for g in found])
    return 0


async def _address(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.address_command
    if action == "add":
        assigned = await service.assign_address(agent, args.name, args.address)
        print(f"{assigned.address} is assigned to {assigned.agent}")
    elif action == "remove":
        await service.unassign_address(agent, args.name, args.address)
        print(f"{args.address.strip()} is no longer assigned to {args.name}")
    else:
        if args.all and args.name:
            raise InvalidInputError("give an agent or --all, not both")
        name = None if args.all else (args.name or agent.name)
        found = await service.agent_addresses(agent, name)
        if args.json:
            print_json(found)
        else:
            print_table(("ADDRESS", "AGENT", "ASSIGNED BY", "SINCE"),
                        [(a.address, a.agent, a.assigned_by, a.created_at) for a in found])
    return 0


def _read_key_file(path: str) -> str:
    try:
        with open(Path(path).expanduser(), "rb") as file:
            data = file.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise InvalidInputError(f"cannot read --key {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_FILE:
        raise InvalidInputError(f"--key {path} is far too large for a public key")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"--key {path} is not a text public key file") from None


def _frontdesk_program() -> str:
    """The absolute path of the frontdesk program: the one running, else the one
    installed beside this Python, else the first on PATH."""
    running = Path(sys.argv[0])
    if running.name == "frontdesk" and running.exists():
        return str(running.absolute())
    beside = Path(sys.executable).parent / "frontdesk"
    if beside.exists():
        return str(beside.absolute())
    found = shutil.which("frontdesk")
    if found:
        return os.path.abspath(found)
    raise InvalidInputError("cannot find the frontdesk program; give its path with --program")
