"""`frontdesk template add|list|show|remove|render` and `frontdesk signature set|show|clear`:
saved replies and signatures, written in Jinja2 and rendered in a sandbox."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table
from tui.commands.text_file import read_utf8

if TYPE_CHECKING:
    from engine.models import Agent, Signature
    from engine.service import Service

TEMPLATE_HELP = (
    "A template is Jinja2 text. It can use agent.name, agent.display_name, agent.email; "
    "account.name, account.email, account.display_name; customer.name, customer.company, "
    "customer.addresses; message.subject, message.from_name, message.from_addr, "
    "message.date. A value that is missing renders empty."
)


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    template = commands.add_parser(
        "template", help="saved replies: templates the team shares",
        description="Saved replies, shared by the team. " + TEMPLATE_HELP,
    )
    sub = template.add_subparsers(dest="template_command", metavar="ACTION", required=True)

    add = sub.add_parser(
        "add", parents=[common], help="save a template (replaces one of the same name)",
        description="Save a template. One of the same name is replaced when you created it "
        "or are an admin. A template that does not render is refused.",
    )
    add.add_argument("name", metavar="NAME", help="letters, digits, '-', '_' or '.'")
    _source_options(add)
    add.add_argument("--html", action="store_true",
                     help="an HTML template: values are escaped, and a text version is made")

    listing = sub.add_parser("list", parents=[common], help="list the templates")
    listing.add_argument("--json", action="store_true")

    show = sub.add_parser("show", parents=[common], help="print a template's source")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true")

    remove = sub.add_parser("remove", parents=[common],
                            help="remove a template (its author or an admin)")
    remove.add_argument("name", metavar="NAME")

    render = sub.add_parser(
        "render", parents=[common], help="fill in a template, to try it out",
        description="Print a template filled in for a message (its sender's customer and "
        "its account) or an account.",
    )
    render.add_argument("name", metavar="NAME")
    render.add_argument("--message", type=int, metavar="MESSAGE_ID",
                        help="the message replied to")
    render.add_argument("--account", metavar="NAME",
                        help="the account replied from (default: the message's)")
    render.add_argument("--json", action="store_true", help="the text and the HTML part")

    signature = commands.add_parser(
        "signature", help="your signature, and the company one",
        description="Signatures close replies: yours for the account (else yours for every "
        "account), then the company one for the account (else the company one for every "
        "account). They are templates too. " + TEMPLATE_HELP,
    )
    sig = signature.add_subparsers(dest="signature_command", metavar="ACTION", required=True)

    set_ = sig.add_parser("set", parents=[common], help="set a signature")
    _signature_scope(set_)
    _source_options(set_)

    sig_show = sig.add_parser(
        "show", parents=[common], help="show signatures",
        description="With --account, the signature of a reply from that account, filled "
        "in; without, every signature you have and the company ones, as written.",
    )
    sig_show.add_argument("--account", metavar="NAME")
    sig_show.add_argument("--json", action="store_true")

    clear = sig.add_parser("clear", parents=[common], help="remove a signature")
    _signature_scope(clear)


def _source_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="FILE", help="read the text from FILE (UTF-8)")
    source.add_argument("--stdin", action="store_true", help="read the text from standard input")


def _signature_scope(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", metavar="NAME",
                        help="for this account only (default: every account)")
    parser.add_argument("--company", action="store_true",
                        help="the company signature (admins) instead of yours")


async def run_template(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.template_command
    if action == "add":
        saved = await service.add_template(agent, args.name, _read_source(args), html=args.html)
        print(f"saved template {saved.name} ({saved.format})")
        return 0
    if action == "list":
        found = await service.list_templates(agent)
        if args.json:
            print_json(found)
        else:
            print_table(("NAME", "FORMAT", "AUTHOR", "UPDATED"),
                        [(t.name, t.format, t.author or None, t.updated_at) for t in found])
        return 0
    if action == "show":
        template = await service.template(agent, args.name)
        if args.json:
            print_json(template)
        else:
            _print_text(template.body)
        return 0
    if action == "remove":
        removed = await service.remove_template(agent, args.name)
        print(f"removed template {removed.name}")
        return 0
    if action == "render":
        rendered = await service.render_template(agent, args.name, message_id=args.message,
                                                 account=args.account)
        if args.json:
            print_json(rendered)
        else:
            _print_text(rendered.text)
        return 0
    raise InvalidInputError(f"unknown template action {action!r}")


async def run_signature(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    action = args.signature_command
    if action == "set":
        saved = await service.set_signature(agent, _read_source(args), account=args.account,
                                            company=args.company)
        print(f"set {_describe(saved, agent)}")
        return 0
    if action == "clear":
        removed = await service.clear_signature(agent, account=args.account,
                                                company=args.company)
        print(f"cleared {_describe(removed, agent)}")
        return 0
    if action == "show":
        if args.account is not None:
            text = await service.signature(agent, args.account)
            if args.json:
                print_json({"account": args.account, "signature": text})
            elif text:
                _print_text(text)
            else:
                print(f"no signature for account {args.account}", file=sys.stderr)
            return 0
        found = await service.list_signatures(agent)
        if args.json:
            print_json(found)
            return 0
        if not found:
            print("no signatures; set yours with `frontdesk signature set`", file=sys.stderr)
        for n, signature in enumerate(found):
            if n:
                print()
            print(f"== {_describe(signature, agent)} (updated {signature.updated_at})")
            _print_text(signature.body)
        return 0
    raise InvalidInputError(f"unknown signature action {action!r}")


def _read_source(args: argparse.Namespace) -> str:
    """The text of --file or --stdin; a little more than a template may hold is read, so
    an oversized one is refused with the limit rather than read whole."""
    from engine.templates import MAX_SOURCE_CHARS

    if args.stdin:
        return sys.stdin.read(MAX_SOURCE_CHARS + 1)
    return read_utf8(Path(args.file).expanduser(), MAX_SOURCE_CHARS)


def _describe(signature: Signature, agent: Agent) -> str:
    whose = "the company signature" if signature.scope == "company" else (
        "your signature" if signature.agent_id == agent.id else "a personal signature")
    where = f"account {signature.account}" if signature.account else "every account"
    return f"{whose} for {where}"


def _print_text(text: str) -> None:
    print(text, end="" if text.endswith("\n") else "\n")
