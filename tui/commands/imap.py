"""`frontdesk imap defaults`: the IMAP settings personal accounts fall back on (admins
set them; anyone may look)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import print_json

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    imap = commands.add_parser("imap", help="IMAP defaults for personal accounts (admins)",
                               description="Store-wide IMAP settings.")
    sub = imap.add_subparsers(dest="imap_command", metavar="ACTION", required=True)
    defaults = sub.add_parser(
        "defaults", parents=[common], help="show or set the IMAP defaults",
        description="The IMAP server personal accounts use for what they leave empty: "
        "`account add` may then leave out --imap-host. Changing a default changes every "
        "account that left that field empty. With no option, show them.")
    defaults.add_argument("--host", metavar="HOST", help="the IMAP host ('' to unset)")
    defaults.add_argument("--port", type=int, metavar="PORT",
                          help="default: 993 with ssl, 143 with starttls or none")
    defaults.add_argument("--security", choices=("ssl", "starttls", "none"))
    defaults.add_argument("--ca-file", metavar="PEM",
                          help="trust this CA bundle for the default host ('' to unset)")
    defaults.add_argument("--check-every", type=int, metavar="MIN",
                          help="the poll interval of accounts added without one")
    defaults.add_argument("--clear", action="store_true",
                          help="unset every default (then set the options given)")
    defaults.add_argument("--json", action="store_true")


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    from engine.models import ImapDefaultsChange

    change = ImapDefaultsChange(
        host=args.host, port=args.port, security=args.security, ca_file=args.ca_file,
        check_every_minutes=args.check_every, clear=args.clear)
    if change == ImapDefaultsChange():
        defaults = await service.get_imap_defaults(agent)
    else:
        defaults = await service.set_imap_defaults(agent, change)
    if args.json:
        print_json(defaults)
        return 0
    if defaults.empty:
        print("no IMAP defaults: every account names its own server")
        return 0
    fields = (("host", defaults.host), ("port", defaults.port),
              ("security", defaults.security), ("ca-file", defaults.ca_file),
              ("check-every", defaults.check_every_minutes))
    for label, value in fields:
        print(f"{label + ':':13}{'-' if value is None else value}")
    print(f"{'set by:':13}{defaults.updated_by or '-'} at {defaults.updated_at}")
    return 0
