"""`frontdesk reply`, `frontdesk send`, `frontdesk drafts` and `frontdesk outbox`: mail
written by scripts goes through the same drafts and outbox as the console's."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from tui.commands.output import print_json, print_table

if TYPE_CHECKING:
    from engine.models import Agent, Draft
    from engine.service import Service

MAX_BODY_FILE = 2 * 1024 * 1024


def _content_options(parser: argparse.ArgumentParser) -> None:
    body = parser.add_mutually_exclusive_group(required=True)
    body.add_argument("--body-file", metavar="FILE",
                      help="the text to send (UTF-8); - reads standard input")
    body.add_argument("--template", metavar="NAME", help="a saved reply to send")
    parser.add_argument("--cc", action="append", default=[], metavar="ADDR")
    parser.add_argument("--bcc", action="append", default=[], metavar="ADDR")
    parser.add_argument("--attach", action="append", default=[], metavar="FILE")
    parser.add_argument("--draft", action="store_true",
                        help="save it as a draft instead of sending")
    parser.add_argument("--json", action="store_true")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    reply = commands.add_parser(
        "reply", parents=[common], help="reply to a message",
        description="Reply from the account the message came in on, quoting it below the "
        "text, with your signature. Sent through the outbox: `frontdesk outbox` shows it.")
    reply.add_argument("message_id", type=int, metavar="MESSAGE_ID")
    reply.add_argument("--all", action="store_true", help="reply to everyone (not yourself)")
    _content_options(reply)

    send = commands.add_parser(
        "send", parents=[common], help="send new mail",
        description="Send new mail from one of your accounts, through the outbox.")
    send.add_argument("--from", dest="account", metavar="ACCOUNT",
                      help="the account to send from (default: your main account)")
    send.add_argument("--to", action="append", required=True, metavar="ADDR")
    send.add_argument("--subject", required=True)
    _content_options(send)

    drafts = commands.add_parser("drafts", parents=[common], help="your unsent drafts")
    drafts.add_argument("--json", action="store_true")
    outbox = commands.add_parser("outbox", parents=[common],
                                 help="what you sent or are sending, with any error")
    outbox.add_argument("--json", action="store_true")


def _read_body(path: str) -> str:
    if path == "-":
        return sys.stdin.read(MAX_BODY_FILE)
    file = Path(path)
    try:
        if file.stat().st_size > MAX_BODY_FILE:
            raise InvalidInputError(f"{path} is larger than 2 MB; send it as an attachment")
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None


async def _text(args: argparse.Namespace, service: Service, agent: Agent,
                message_id: int | None, account: str | None) -> tuple[str, str | None]:
    if args.template:
        rendered = await service.render_template(agent, args.template,
                                                 message_id=message_id, account=account)
        return rendered.text, rendered.html
    return _read_body(args.body_file), None


async def _finish(args: argparse.Namespace, service: Service, agent: Agent, draft: Draft,
                  *, to: str, subject: str, text: str, html: str | None) -> int:
    body = text.rstrip("\n") + "\n" + draft.body if draft.body.strip() else text
    cc = ", ".join([*draft.cc, *args.cc])
    draft = await service.save_draft(agent, draft.id, to=to, cc=cc, bcc=", ".join(args.bcc),
                                     subject=subject, body=body, html_body=html)
    for path in args.attach:
        draft = await service.attach_file(agent, draft.id, path)
    if not args.draft:
        draft = await service.send_draft(agent, draft.id)
    if args.json:
        print_json(draft)
    elif args.draft:
        print(f"draft {draft.id} saved; the console offers it, or see `frontdesk drafts`")
    else:
        print(f"queued {draft.message_id} as outbox {draft.id}: the engine sends it "
              "(`frontdesk sync` runs it); `frontdesk outbox` shows how it went")
    return 0


async def run_reply(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    kind = "reply_all" if args.all else "reply"
    text, html = await _text(args, service, agent, args.message_id, None)
    draft = await service.start_draft(agent, kind, message_id=args.message_id)
    return await _finish(args, service, agent, draft, to=", ".join(draft.to),
                         subject=draft.subject, text=text, html=html)


async def run_send(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    draft = await service.start_draft(agent, "new", account=args.account)
    text, html = await _text(args, service, agent, None, draft.account)
    return await _finish(args, service, agent, draft, to=", ".join(args.to),
                         subject=args.subject, text=text, html=html)


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


async def run_drafts(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    found = await service.list_drafts(agent)
    if args.json:
        print_json(found)
    else:
        print_table(("ID", "FROM", "TO", "SAVED", "SUBJECT"),
                    [(d.id, d.account, ", ".join(d.to), _when(d.updated_at), d.subject)
                     for d in found])
    return 0


async def run_outbox(args: argparse.Namespace, service: Service, agent: Agent) -> int:
    found = await service.outbox(agent)
    if args.json:
        print_json(found)
    else:
        print_table(("ID", "STATE", "FROM", "TO", "WHEN", "SUBJECT", "ERROR"),
                    [(d.id, d.state, d.account, ", ".join(d.to),
                      _when(d.sent_at or d.queued_at), d.subject, d.error) for d in found])
    return 0
