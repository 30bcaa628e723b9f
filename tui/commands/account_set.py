"""`frontdesk account set NAME ...`: change an account's settings after it was added,
with the same checks as `account add`. Only the options given change."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from engine.accounts import parse_import
from engine.errors import InvalidInputError
from engine.server_settings import SECURITY_MODES
from tui.commands.output import print_json

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.service import Service

ACCOUNT_ACTIONS = ("set",)


def register_account_actions(sub: argparse._SubParsersAction,
                             common: argparse.ArgumentParser) -> None:
    change = sub.add_parser(
        "set", parents=[common], help="change an account's settings",
        description="Change an account's settings; only the options given change. An "
        "empty --imap-host, --imap-port 0 or an empty --ca-file make a personal account "
        "use the IMAP defaults again; an empty --password-command goes back to the "
        "stored password. Changing the server or login lets a sync stopped by a failed "
        "login try again.")
    change.add_argument("name")
    change.add_argument("--display-name", "--label", dest="display_name", metavar="TEXT")
    change.add_argument("--email", metavar="ADDRESS")
    change.add_argument("--imap-host", metavar="HOST")
    change.add_argument("--imap-port", type=int, metavar="PORT")
    change.add_argument("--security", choices=SECURITY_MODES)
    change.add_argument("--username", metavar="USER")
    change.add_argument("--ca-file", metavar="PEM")
    change.add_argument("--verify-cert", action=argparse.BooleanOptionalAction, default=None,
                        help="validate the server's certificate")
    change.add_argument("--password-command", metavar="CMD")
    change.add_argument("--check-every", type=int, metavar="MIN")
    change.add_argument("--import", dest="import_mode", metavar="MODE",
                        help="all | unread | new-only | since:YYYY-MM-DD (for folders not "
                        "synced yet)")
    change.add_argument("--mark-read-on-import", action=argparse.BooleanOptionalAction,
                        default=None)
    change.add_argument("--write-read-status", action=argparse.BooleanOptionalAction,
                        default=None)
    change.add_argument("--enabled", action=argparse.BooleanOptionalAction, default=None,
                        help="--no-enabled: keep the account but do not sync it")
    change.add_argument("--json", action="store_true", help="print the account as JSON")


async def run_account(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    from engine.account_edit import AccountChange

    mode, since = parse_import(args.import_mode) if args.import_mode else (None, None)
    change = AccountChange(
        display_name=args.display_name, email=args.email, imap_host=args.imap_host,
        imap_port=args.imap_port, security=args.security, username=args.username,
        verify_cert=args.verify_cert, ca_file=args.ca_file,
        password_command=args.password_command, check_every_minutes=args.check_every,
        import_mode=mode, import_since=since,
        mark_read_on_import=args.mark_read_on_import,
        write_read_status=args.write_read_status, enabled=args.enabled)
    if change.empty:
        raise InvalidInputError(
            f"nothing to change; see `frontdesk account set --help` for what {args.name} "
            "can change")
    changed = await service.change_account(agent, args.name, change)
    if args.json:
        print_json(changed)
    else:
        print(f"account {changed.name} changed: {', '.join(change.given())}")
    return 0
