"""`frontdesk account smtp|test-send|main` and `frontdesk smtp system`: how mail is sent."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands.output import print_json
from tui.commands.secrets_input import read_password

if TYPE_CHECKING:
    from engine.models import Agent, SmtpChange, SmtpConfig
    from engine.service import Service

ACCOUNT_ACTIONS = ("smtp", "test-send", "main")


def _server_options(parser: argparse.ArgumentParser, *, system: bool) -> None:
    if not system:
        parser.add_argument("--system", action="store_true",
                            help="send through the system SMTP an admin set")
    parser.add_argument("--host", metavar="HOST", required=system)
    parser.add_argument("--port", type=int, metavar="PORT",
                        help="default: 465 with ssl, 587 with starttls, 25 with none")
    parser.add_argument("--security", choices=("ssl", "starttls", "none"),
                        default="starttls")
    parser.add_argument("--username", metavar="USER",
                        help="SMTP login (default: the account's address)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input (stored encrypted)")
    secret.add_argument("--password-command", metavar="CMD",
                        help="a shell command printing the password; never stored")
    secret.add_argument("--no-auth", action="store_true", help="the server needs no login")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", metavar="PEM", help="trust this CA bundle for the server")
    tls.add_argument("--no-verify-cert", action="store_true",
                     help="do not validate the server's certificate")
    parser.add_argument("--json", action="store_true")


def register_account_actions(sub: argparse._SubParsersAction,
                             common: argparse.ArgumentParser) -> None:
    smtp = sub.add_parser(
        "smtp", parents=[common], help="set how an account sends mail",
        description="Set the SMTP server an account sends through (or --system for the "
        "system SMTP). Replies go out from the account the message came in on.")
    smtp.add_argument("name")
    _server_options(smtp, system=False)
    smtp.add_argument("--reply-to", metavar="ADDR", default="",
                      help="a Reply-To for everything the account sends")
    smtp.add_argument("--server-saves-sent", action="store_true",
                      help="the server files sent mail in Sent itself (Gmail): no copy "
                      "is appended")
    test = sub.add_parser("test-send", parents=[common],
                          help="send a test message from an account now")
    test.add_argument("name")
    test.add_argument("--to", required=True, metavar="ADDR")
    main = sub.add_parser("main", parents=[common],
                          help="the account your new mail goes out from")
    main.add_argument("name", nargs="?", default=None,
                      help="an account name; leave out with --none to clear")
    main.add_argument("--none", action="store_true", help="no main account")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    smtp = commands.add_parser("smtp", help="the system SMTP (admins)",
                               description="The system SMTP: the server accounts set "
                               "with `frontdesk account smtp NAME --system` send through.")
    sub = smtp.add_subparsers(dest="smtp_command", metavar="ACTION", required=True)
    system = sub.add_parser("system", parents=[common], help="set the system SMTP")
    _server_options(system, system=True)


def _change(args: argparse.Namespace, *, system: bool) -> SmtpChange:
    from engine.models import SmtpChange

    password = read_password("SMTP password: ") if args.password_stdin else None
    return SmtpChange(
        host=args.host, port=args.port, security=args.security, username=args.username,
        password=password, password_command=args.password_command, no_auth=args.no_auth,
        ca_file=args.ca_file, verify_cert=not args.no_verify_cert,
        reply_to=getattr(args, "reply_to", ""),
        use_system=not system and args.system,
        server_saves_sent=getattr(args, "server_saves_sent", False),
    )


def describe_smtp(config: SmtpConfig) -> str:
    """How mail goes out, in a few words (the settings screen says it the same way)."""
    if config.use_system:
        return "the system SMTP"
    login = "no login" if not config.auth else (
        "password from a command" if config.password_command
        else "stored password" if config.has_password else "NO PASSWORD YET")
    return f"{config.host}:{config.port} ({config.security}, {login})"


async def run_account(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.account_command
    if action == "smtp":
        config = await service.configure_smtp(agent, args.name, _change(args, system=False))
        if args.json:
            print_json(config)
        else:
            print(f"{args.name} sends through {describe_smtp(config)}; try it with "
                  f"`frontdesk account test-send {args.name} --to ADDR`")
        return 0
    if action == "test-send":
        message_id = await service.test_send(agent, args.name, args.to)
        print(f"sent: the server took the test message {message_id} for {args.to}")
        return 0
    chosen = await service.set_main_account(agent, None if args.none else args.name)
    print(f"new mail goes out from {chosen}" if chosen else "no main account set")
    return 0


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    config = await service.configure_system_smtp(agent, _change(args, system=True))
    if args.json:
        print_json(config)
    else:
        print(f"the system SMTP is {describe_smtp(config)}")
    return 0
