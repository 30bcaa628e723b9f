"""`frontdesk account add|list|test|folders|password|reconnect|remove` (and, through
tui.commands.smtp, `smtp|test-send|main`; through tui.commands.drafts_mirror, `drafts`;
through tui.commands.access, `grant|revoke|share|access`; through
tui.commands.discover, `discover`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from engine.accounts import AccountSpec, parse_import
from engine.errors import FrontdeskError, InvalidInputError
from engine.imap.connection import default_port
from tui.commands import access, account_set, account_wizard, discover, drafts_mirror, oauth, smtp
from tui.commands.output import print_json, print_table, to_plain
from tui.commands.secrets_input import read_password

if TYPE_CHECKING:
    from engine.models import Agent
    from engine.pop3.check import Pop3Report
    from engine.service import Service


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    account = commands.add_parser("account", help="add, test and manage IMAP and POP3 accounts",
                                  description="Add, test and manage IMAP and POP3 accounts.")
    sub = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", parents=[common], help="add an IMAP or POP3 account",
                         description="Add an IMAP account, or a POP3 one with --protocol "
                         "pop3: a personal one of yours, for "
                         "an address you own, or (admins) a shared one with --shared. The "
                         "password is read from standard input (--password-stdin) or "
                         "comes from a command. Server options left out of a personal "
                         "IMAP account come from `frontdesk imap defaults`.")
    add.add_argument("name", help="a short name: letters, digits, '.', '_' or '-'")
    add.add_argument("--email", help="the mailbox's address")
    add.add_argument("--protocol", choices=("imap", "pop3"), default="imap",
                     help="how the mailbox is read (default: imap); POP3 has an inbox only")
    add.add_argument("--imap-host", "--host", metavar="HOST", default="", dest="imap_host",
                     help="the server (default: the IMAP defaults' host)")
    add.add_argument("--imap-port", "--port", type=int, metavar="PORT", dest="imap_port",
                     help="default: 993 with ssl, 143 with starttls or none "
                     "(POP3: 995, 110)")
    add.add_argument("--security", choices=("ssl", "starttls", "none"),
                     help="default: the IMAP defaults', else ssl")
    add.add_argument("--username", metavar="USER", help="IMAP login (default: the email)")
    add.add_argument("--display-name", "--label", metavar="TEXT", default="",
                     dest="display_name", help="the name shown for it (default: NAME)")
    add.add_argument("--shared", action="store_true",
                     help="a shared mailbox (admins): share it with `account share`")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input (stored encrypted)")
    secret.add_argument("--password-command", metavar="CMD",
                        help="a shell command printing the password; never stored")
    secret.add_argument("--oauth", choices=("microsoft", "google"),
                        help="sign in with OAuth2 now, in this terminal (no password); the "
                        "server defaults to the provider's")
    add.add_argument("--no-sign-in", action="store_true",
                     help="with --oauth: add the account now, sign in later with "
                     "`account reconnect`")
    tls = add.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", metavar="PEM", help="trust this CA bundle for the server")
    tls.add_argument("--no-verify-cert", action="store_true",
                     help="do not validate the server's certificate")
    add.add_argument("--folders", default="INBOX", metavar="LIST",
                     help="comma-separated folders to sync (default: INBOX)")
    add.add_argument("--import", dest="import_mode", default="all", metavar="MODE",
                     help="all | unread | new-only | since:YYYY-MM-DD (default: all)")
    add.add_argument("--check-every", type=int, metavar="MIN",
                     help="poll folders without push every MIN minutes (default: the "
                     "IMAP defaults', else 5)")
    add.add_argument("--mark-read-on-import", action="store_true",
                     help="mark mail read on the server once imported")
    add.add_argument("--no-write-read-status", action="store_true",
                     help="keep read/unread changes made here off the server")
    add.add_argument("--delete-after-import", action="store_true",
                     help="POP3: delete mail from the server once it is stored here "
                     "(default: leave it on the server)")
    add.add_argument("--sent-to", metavar="ACCOUNT",
                     help="POP3: file copies of sent mail in this IMAP account's Sent "
                     "folder (default: nowhere on a server)")
    add.add_argument("--json", action="store_true", help="print the account as JSON")
    account_wizard.register_options(add)

    listing = sub.add_parser("list", parents=[common], help="list accounts")
    listing.add_argument("--json", action="store_true")

    test = sub.add_parser("test", parents=[common],
                          help="connect, log in, show capabilities and folders")
    test.add_argument("name")
    test.add_argument("--json", action="store_true")

    folders = sub.add_parser("folders", parents=[common],
                             help="show (and choose) the folders of an account")
    folders.add_argument("name")
    folders.add_argument("--sync", metavar="LIST", help="comma-separated folders to sync")
    folders.add_argument("--role", action="append", default=[], metavar="FOLDER=ROLE",
                         help="set a folder's role (inbox, sent, drafts, trash, spam, "
                         "archive, or none); repeatable")
    folders.add_argument("--no-refresh", action="store_true",
                         help="show what the store knows without asking the server")
    folders.add_argument("--json", action="store_true")

    password = sub.add_parser("password", parents=[common],
                              help="replace an account's stored password")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", required=True)

    remove = sub.add_parser("remove", parents=[common],
                            help="remove an account and its mail from the store")
    remove.add_argument("name")

    reconnect = sub.add_parser(
        "reconnect", parents=[common], help="sign an OAuth2 account in (again)",
        description="Sign an OAuth2 account in, in this terminal: Microsoft shows an "
        "address and a code to enter on any device; Google shows an address to open and "
        "asks for the address the browser ends on.")
    reconnect.add_argument("name")
    smtp.register_account_actions(sub, common)
    drafts_mirror.register_account_actions(sub, common)
    access.register_account_actions(sub, common)
    account_set.register_account_actions(sub, common)
    discover.register_account_actions(sub, common)


async def run(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.account_command
    if action in smtp.ACCOUNT_ACTIONS:
        return await smtp.run_account(args, service, agent)
    if action in drafts_mirror.ACCOUNT_ACTIONS:
        return await drafts_mirror.run_account(args, service, agent)
    if action in access.ACCOUNT_ACTIONS:
        return await access.run_account(args, service, agent)
    if action in account_set.ACCOUNT_ACTIONS:
        return await account_set.run_account(args, service, agent)
    if action in discover.ACCOUNT_ACTIONS:
        return await discover.run_account(args, service, agent)
    if action == "add":
        return await _add(args, service, agent)
    if action == "list":
        return await _list(args, service, agent)
    if action == "test":
        from engine.pop3.check import Pop3Report

        report = await service.test_account(agent, args.name)
        if args.json:
            print_json(report)
            return 0
        if isinstance(report, Pop3Report):
            _print_pop3_report(report)
            return 0
        print(f"ok: logged in to {report.host}:{report.port} ({report.security}) as "
              f"{report.username} in {report.seconds:.2f}s")
        print("capabilities: " + " ".join(report.capabilities))
        print_table(("FOLDER", "ROLE"), [(f.name, f.role) for f in report.folders])
        return 0
    if action == "folders":
        return await _folders(args, service, agent)
    if action == "password":
        await service.set_account_password(agent, args.name, read_password())
        print(f"password of {args.name} replaced")
        return 0
    if action == "reconnect":
        return await _signed_in(service, agent, args.name)
    if action == "remove":
        await service.remove_account(agent, args.name)
        print(f"account {args.name} removed from the store (the server is untouched)")
        return 0
    raise InvalidInputError(f"unknown account action {action!r}")


async def _add(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if account_wizard.wanted(args):
        return await account_wizard.run(args, service, agent)
    mode, since = parse_import(args.import_mode)
    spec = AccountSpec(
        name=args.name,
        email=args.email,
        imap_host=args.imap_host,
        imap_port=args.imap_port,
        security=args.security,
        username=args.username,
        display_name=args.display_name,
        verify_cert=not args.no_verify_cert,
        ca_file=args.ca_file,
        password_command=args.password_command,
        folders=tuple(f.strip() for f in args.folders.split(",") if f.strip()),
        import_mode=mode,
        import_since=since,
        check_every_minutes=args.check_every,
        mark_read_on_import=args.mark_read_on_import,
        write_read_status=False if args.no_write_read_status else None,
        shared=args.shared,
        oauth=args.oauth,
        protocol=args.protocol,
        delete_after_import=args.delete_after_import,
        sent_to=args.sent_to,
    )
    if args.no_sign_in and not args.oauth:
        raise InvalidInputError("--no-sign-in goes with --oauth")
    password = read_password() if args.password_stdin else None
    added = await service.add_account(agent, spec, password)
    if args.json:
        print_json(added)
        return 0
    kind = "shared account" if added.kind == "shared" else "account"
    if added.protocol == "pop3":
        kind = "POP3 " + kind
    server = _server(added.imap_host, added.imap_port, added.imap_security, added.inherited,
                     added.protocol)
    print(f"{kind} {added.name} added ({added.email} on {server}); check it with "
          f"`frontdesk account test {added.name}`")
    if added.kind == "shared":
        print(f"only you are listed on it; set who works it with "
              f"`frontdesk account share {added.name} --agents LIST --roles LIST`")
    if args.oauth and args.no_sign_in:
        print(f"sign it in with `frontdesk account reconnect {added.name}`")
    elif args.oauth:
        return await _signed_in(service, agent, added.name)
    return 0


async def _signed_in(service: Service, agent: Agent, name: str) -> int:
    try:
        account = await oauth.sign_in(service, agent, name)
    except FrontdeskError as exc:
        raise FrontdeskError(f"{exc} (then run `frontdesk account reconnect {name}`)"
                             ) from None
    print(f"signed in as {account.oauth_user or account.email}; token valid until "
          f"{account.oauth_expires_at} and renewed automatically")
    return 0


def _server(host: str | None, port: int | None, security: str | None,
            inherited: tuple[str, ...], protocol: str = "imap") -> str:
    """host:port as an account uses them, marked when they come from the defaults."""
    from engine.pop3.client import default_pop3_port

    if not host:
        return "-"
    default = default_pop3_port if protocol == "pop3" else default_port
    port = port or default(security or "ssl")
    return f"{host}:{port}" + (" (defaults)" if inherited else "")


async def _list(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    accounts = await service.account_settings(agent)
    standing = {s.name: s for s in await service.account_standing(agent)}

    def of(name: str) -> tuple[str | None, str | None]:
        found = standing.get(name)
        return (found.owner, found.access) if found else (None, None)

    if args.json:
        print_json([{**to_plain(a), "owner": of(a.name)[0], "access": of(a.name)[1]}
                    for a in accounts])
        return 0
    print_table(
        ("NAME", "KIND", "OWNER", "ACCESS", "EMAIL", "PROTOCOL", "SERVER", "SECURITY",
         "FOLDERS", "LAST SYNC", "ERROR"),
        [(a.name, a.kind, *of(a.name), a.email, a.protocol,
          _server(a.imap_host, a.imap_port, a.imap_security, a.inherited, a.protocol),
          a.imap_security or ("ssl" if a.imap_host else None),
          ",".join(a.sync_folders), a.last_sync_at, a.last_error) for a in accounts],
    )
    return 0


def _roles(pairs: list[str]) -> dict[str, str | None]:
    roles: dict[str, str | None] = {}
    for pair in pairs:
        folder, sep, role = pair.rpartition("=")
        if not sep or not folder:
            raise InvalidInputError(f"--role {pair!r}: write FOLDER=ROLE")
        roles[folder] = None if role.lower() in ("", "none") else role.lower()
    return roles


def _print_pop3_report(report: Pop3Report) -> None:
    print(f"ok: logged in to {report.host}:{report.port} ({report.security}, POP3) as "
          f"{report.username} in {report.seconds:.2f}s")
    print("capabilities: " + ", ".join(report.capabilities))
    print(f"messages on the server: {report.messages} ({report.octets} bytes)")


async def _folders(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    if args.sync is None and not args.role and not args.json:
        pop3 = [a for a in await service.account_settings(agent)
                if a.name == args.name and a.protocol == "pop3"]
        if pop3:
            print(f"{args.name} is a POP3 account: it has an inbox only (INBOX), with no "
                  "other folders or roles")
            return 0
    if args.sync is not None or args.role:
        if not args.no_refresh:
            await service.account_folders(agent, args.name, refresh=True)
        sync = None if args.sync is None else [
            f.strip() for f in args.sync.split(",") if f.strip()]
        folders = await service.configure_folders(agent, args.name, sync=sync,
                                                  roles=_roles(args.role))
    else:
        folders = await service.account_folders(agent, args.name,
                                                refresh=not args.no_refresh)
    if args.json:
        print_json(folders)
    else:
        print_table(("FOLDER", "ROLE", "SYNC", "SYNCED UP TO UID", "ERROR"),
                    [(f.name, f.role, f.sync_enabled, f.synced_uid or None, f.last_error)
                     for f in folders])
    return 0
