"""Auto-responses: the per-sender limits, filling in the response, and queueing it in the
outbox (an smtp.send job) in the transaction that applies the rules.

A response goes from the mailbox's address to the Return-Path (else From), answers the
message (In-Reply-To, References), and is marked `Auto-Submitted: auto-replied`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from engine.errors import InvalidInputError
from engine.ingest import iso_utc
from engine.jobs.queue import SMTP_SEND
from engine.rules.facts import Facts
from engine.sanitize import sanitize_line
from storage import Db, customers
from storage import jobs as jobs_sql
from storage import outgoing as outgoing_sql
from storage import rules as rules_sql
from storage import smtp as smtp_sql
from storage.records import AccountSettings
from storage.rules import Target

if TYPE_CHECKING:
    from engine.models import Agent, Customer

# Auto-responses to one address across every mailbox and rule, per day.
CAP_PER_SENDER = 3
CAP_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Response:
    """A response to send: a rule's or an out of office's template, filled in."""

    to: str
    subject: str
    text: str
    html: str | None


async def limit_reached(db: Db, *, to: str, now: datetime, rule_id: int | None = None,
                        period_days: int = 4, ooo_id: int | None = None,
                        ooo_since: str | None = None) -> str | None:
    """Why `to` gets no more auto-responses now, or None: once per rule per period, once
    per out-of-office period, and CAP_PER_SENDER a day whatever answers."""
    if rule_id is not None:
        since = iso_utc(now - timedelta(days=period_days))
        last = await rules_sql.last_response(db, recipient=to, rule_id=rule_id, since=since)
        if last is not None:
            return (f"{to} was answered by this rule on {last[:10]}; once every "
                    f"{period_days} day{'s' if period_days != 1 else ''}")
    if ooo_id is not None and ooo_since is not None:
        last = await rules_sql.last_response(db, recipient=to, ooo_id=ooo_id, since=ooo_since)
        if last is not None:
            return f"{to} was told on {last[:10]} already; once per absence"
    count = await rules_sql.responses_since(db, recipient=to, since=iso_utc(now - CAP_WINDOW))
    if count >= CAP_PER_SENDER:
        return (f"{to} got {count} auto-responses in the last 24 hours, the most any "
                "address gets")
    return None


async def customer_of(db: Db, target: Target) -> Customer | None:
    """The customer the message's sender is paired with, if any."""
    return None if target.customer_id is None else await customers.by_id(db, target.customer_id)


async def fill(*, subject: str, body: str, html: bool, agent: Agent | None,
               account: AccountSettings, customer: Customer | None, target: Target, to: str,
               label: str) -> Response:
    """The response, rendered in the sandbox (in a worker thread) with what a saved reply
    gets: agent (an out of office's; none for a rule), account, customer, message.
    TemplateError when the template fails."""
    from engine.compose.headers import reply_subject
    from engine.templates import text_version
    from engine.templating import render, template_context  # Jinja2 loads only when due

    data = template_context(agent, account, customer, target)
    text = await asyncio.to_thread(render, body, data, html=html, label=label)
    if subject.strip():
        said = await asyncio.to_thread(render, subject, data, label=f"{label} subject")
        title = sanitize_line(said).strip()
    else:
        title = reply_subject(target.subject)
    if html:
        return Response(to=to, subject=title, text=text_version(text), html=text)
    return Response(to=to, subject=title, text=text, html=None)


async def queue(db: Db, account: AccountSettings, target: Target, facts: Facts,
                response: Response) -> int:
    """Queue the response in the outbox; its outgoing id. InvalidInputError when it
    cannot be built (an address mail cannot go to)."""
    from engine.compose import Outgoing, build_message
    from engine.compose.headers import make_message_id, valid_msg_id

    config = await smtp_sql.of_account(db, account.id)
    refs = [r for r in (*facts.references, facts.message_id) if r]
    in_reply_to = valid_msg_id(facts.message_id)
    message_id = make_message_id(account.email)
    outgoing = Outgoing(
        message_id=message_id, from_addr=account.email, from_name=account.display_name,
        reply_to=config.reply_to if config else "", to=(response.to,),
        subject=response.subject, body=response.text, html_body=response.html,
        in_reply_to=in_reply_to, references=" ".join(refs[-20:]), auto_reply=True,
    )
    raw = build_message(outgoing)
    outgoing_id = await outgoing_sql.insert(
        db, account_id=account.id, agent_id=None, kind="reply", source_id=target.id,
        message_id=message_id, in_reply_to=in_reply_to, references=outgoing.references,
        to=(response.to,), cc=(), subject=response.subject, body=response.text,
        thread_id=target.thread_id,
    )
    if not await outgoing_sql.queue(db, draft_id=outgoing_id, raw=raw):
        raise InvalidInputError("the response could not be queued")
    await jobs_sql.enqueue(db, account_id=account.id, kind=SMTP_SEND,
                           payload={"outgoing": outgoing_id}, created_by=None)
    return outgoing_id
