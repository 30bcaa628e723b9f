"""Saved replies (named templates) and signatures: who may write them, and filling them
in for a reply. The rendering itself is engine.templating's sandbox.

Templates are the team's: any active agent may list, read and use them, and add new
ones; changing or removing one is for its creator or an admin. A signature is personal
(an agent's own) or company-wide (admins only), for one account or for every account. A
reply's signature is the agent's personal one for its account (else the agent's
every-account one), then, after a blank line, the company one for that account (else the
company every-account one).

Every body is checked when it is saved: it must render, both with no data and with
sample data, so a broken template is refused then and not when a reply is written.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from engine.access import visible_accounts
from engine.errors import AccessDeniedError, InvalidInputError, NotFoundError
from engine.mime import html_to_text
from storage import Db, Store, accounts, agents, audit, customers
from storage import rules as rules_sql
from storage import templates as templates_sql
from storage.records import Account, Agent, Customer, MessageSummary
from storage.templates import Signature, Template

if TYPE_CHECKING:
    from engine.models import RenderedTemplate

NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_NAME = 64
PERSONAL = "personal"
COMPANY = "company"

_SAMPLE_ACCOUNT = Account(id=0, name="support", display_name="Support",
                          email="support@example.com", kind="shared", owner_agent_id=None)
_SAMPLE_CUSTOMER = Customer(id=0, name="Jane Doe", company="Example Ltd", notes="",
                            addresses=("jane@example.com",), created_by=None, created_at="")
_SAMPLE_MESSAGE = MessageSummary(
    id=0, account_id=0, folder_id=0, thread_id=None, subject="Order 1234",
    from_name="Jane Doe", from_addr="jane@example.com", date="2026-01-05T09:30:00Z",
    seen=True, flagged=False, answered=False, has_attachments=False, snippet="",
    customer_id=0, parse_error=None,
)


# The longest template source accepted, in characters.
MAX_SOURCE_CHARS = 65_536


@dataclass(frozen=True)
class ReplyContext:
    """What a template is filled with: the account replied from, the customer and the
    message replied to, each None when there is none."""

    account: Account | None
    customer: Customer | None
    message: MessageSummary | None


# Saved replies

async def add_template(store: Store, agent: Agent, name: str, body: str, *, html: bool) -> Template:
    """Save `body` as the template `name` (plain text, or HTML with `html`). A name taken
    already is replaced, when the agent created that template or is an admin. A body that
    does not render is refused with the one-line reason."""
    current = await _active(store, agent)
    _check_name(name)
    text = _normalise(body)
    await check_renders(text, current, html=html, label=f"template {name}")
    async with store.transaction() as db:
        existing = await templates_sql.template_by_name(db, name)
        if existing is not None and not _may_change(current, existing.created_by):
            raise AccessDeniedError(
                f"template {name} belongs to {existing.author or 'another agent'}; choose "
                "another name, or ask its author or an admin to change it"
            )
        template_id = await templates_sql.put_template(
            db, name=name, format="html" if html else "plain", body=text, created_by=current.id
        )
        await audit.record(
            db, agent_id=current.id, action="template.add", target_kind="template",
            target_id=template_id,
            detail={"name": name, "format": "html" if html else "plain",
                    "replaced": existing is not None},
        )
        saved = await templates_sql.template_by_name(db, name)
    assert saved is not None  # written in this transaction
    return saved


async def list_templates(store: Store, agent: Agent) -> list[Template]:
    """Every saved reply of the team, by name."""
    await _active(store, agent)
    return await templates_sql.list_templates(store.reader)


async def get_template(store: Store, agent: Agent, name: str) -> Template:
    """The saved reply `name`; NotFoundError when there is none."""
    await _active(store, agent)
    return await _template(store.reader, name)


async def remove_template(store: Store, agent: Agent, name: str) -> Template:
    """Remove the saved reply `name` (its creator or an admin); return what was removed."""
    current = await _active(store, agent)
    async with store.transaction() as db:
        found = await _template(db, name)
        if not _may_change(current, found.created_by):
            raise AccessDeniedError(
                f"template {name} belongs to {found.author or 'another agent'}; only its "
                "author or an admin can remove it"
            )
        users = await rules_sql.rules_using_template(db, found.id)
        if users:
            raise InvalidInputError(
                f"template {name} answers mail for {', '.join(users[:3])}; change those "
                "to another text first")
        await templates_sql.delete_template(db, found.id)
        await audit.record(db, agent_id=current.id, action="template.remove",
                           target_kind="template", target_id=found.id,
                           detail={"name": found.name, "format": found.format})
    return found


async def render_template(
    store: Store, agent: Agent, name: str, *, account: Account | None,
    customer: Customer | None, message: MessageSummary | None,
) -> RenderedTemplate:
    """Fill in the saved reply `name`. An HTML template gives its HTML and a text version
    of it (links listed under it), so a plain part always exists."""
    from engine.models import RenderedTemplate

    current = await _active(store, agent)
    found = await _template(store.reader, name)
    context = _templating().template_context(current, account, customer, message)
    label = f"template {found.name}"
    if found.format != "html":
        text = await asyncio.to_thread(_templating().render, found.body, context, label=label)
        return RenderedTemplate(text=text, html=None)
    markup = await asyncio.to_thread(_templating().render, found.body, context, html=True,
                                     label=label)
    return RenderedTemplate(text=text_version(markup), html=markup)


async def reply_context(
    store: Store, agent: Agent, *, message_id: int | None, account: str | None
) -> ReplyContext:
    """The message `message_id`, its customer and its account, or the account named
    `account` (which wins over the message's). A message or an account the agent may not
    see is NotFoundError."""
    visible = await visible_accounts(store, agent.id)
    message = customer = found_account = None
    if message_id is not None:
        message = await templates_sql.message_summary(store.reader, message_id=message_id,
                                                      account_ids=visible)
        if message is None:
            raise NotFoundError(f"message {message_id} not found")
        if message.customer_id is not None:
            customer = await customers.by_id(store.reader, message.customer_id)
        found_account = await _account_by_id(store, message.account_id, visible)
    if account is not None:
        found_account = await _visible_account(store, account, visible)
    return ReplyContext(account=found_account, customer=customer, message=message)


# Signatures

async def set_signature(
    store: Store, agent: Agent, body: str, *, account: str | None, company: bool
) -> Signature:
    """Set the agent's own signature, or the company one (admins only), for the account
    named `account` or (None) for every account. The body must render."""
    current = await _active(store, agent)
    if company:
        _require_admin(current, "only an admin can set the company signature; set your "
                       "own without --company")
    account_id = await _account_id(store, current, account)
    text = _normalise(body)
    await check_renders(text, current, html=False, label=_signature_label(company, account))
    scope = COMPANY if company else PERSONAL
    async with store.transaction() as db:
        signature_id = await templates_sql.put_signature(
            db, scope=scope, agent_id=None if company else current.id, account_id=account_id,
            body=text, updated_by=current.id,
        )
        await _audit_signature(db, current, "signature.set", signature_id, scope, account_id,
                               account)
        saved = await templates_sql.signature(db, scope=scope,
                                              agent_id=None if company else current.id,
                                              account_id=account_id)
    assert saved is not None  # written in this transaction
    return saved


async def clear_signature(
    store: Store, agent: Agent, *, account: str | None, company: bool
) -> Signature:
    """Remove the agent's own signature, or the company one (admins only), for the account
    named `account` or (None) for every account; return what was removed."""
    current = await _active(store, agent)
    if company:
        _require_admin(current, "only an admin can clear the company signature")
    account_id = await _account_id(store, current, account)
    scope = COMPANY if company else PERSONAL
    async with store.transaction() as db:
        found = await templates_sql.signature(db, scope=scope,
                                              agent_id=None if company else current.id,
                                              account_id=account_id)
        if found is None:
            raise NotFoundError(f"there is no {_signature_label(company, account)} to clear")
        await templates_sql.delete_signature(db, found.id)
        await _audit_signature(db, current, "signature.clear", found.id, scope, account_id,
                               account)
    return found


async def list_signatures(store: Store, agent: Agent) -> list[Signature]:
    """The agent's own signatures and the company ones, for every account and for the
    accounts the agent may see."""
    current = await _active(store, agent)
    return await templates_sql.signatures_of(
        store.reader, agent_id=current.id, account_ids=await visible_accounts(store, current.id)
    )


async def signature_for(
    store: Store, agent: Agent, account_id: int, *, customer: Customer | None,
    message: MessageSummary | None,
) -> str:
    """The signature of a reply from the account `account_id`, rendered: the personal one
    for that account, else the agent's every-account one; then, after a blank line, the
    company one for that account, else the company every-account one. "" when none."""
    current = await _active(store, agent)
    account = await _account_by_id(store, account_id, await visible_accounts(store, current.id))
    context = _templating().template_context(current, account, customer, message)
    parts = []
    for scope, owner in ((PERSONAL, current.id), (COMPANY, None)):
        found = (await templates_sql.signature(store.reader, scope=scope, agent_id=owner,
                                               account_id=account_id)
                 or await templates_sql.signature(store.reader, scope=scope, agent_id=owner,
                                                  account_id=None))
        if found is None:
            continue
        label = _signature_label(scope == COMPANY, found.account or None)
        text = await asyncio.to_thread(_templating().render, found.body, context, label=label)
        if text.strip():
            parts.append(text.strip("\n"))
    return "\n\n".join(parts)


async def account_signature(store: Store, agent: Agent, account: str) -> str:
    """signature_for the account named `account` (one the agent may see), with no
    customer or message."""
    current = await _active(store, agent)
    found = await _visible_account(store, account, await visible_accounts(store, current.id))
    return await signature_for(store, current, found.id, customer=None, message=None)


# Helpers

def _templating() -> ModuleType:
    """The sandboxed renderer, imported when a template is first rendered: Jinja2 costs
    every start of the program tens of milliseconds that most never need."""
    from engine import templating

    return templating


async def _active(store: Store, agent: Agent) -> Agent:
    """The agent as the store has it now: a deactivation or a change of role counts at
    once."""
    current = await agents.by_id(store.reader, agent.id)
    if current is None or not current.active:
        raise AccessDeniedError(f"agent {agent.name} is deactivated; ask an admin")
    return current


def _require_admin(agent: Agent, message: str) -> None:
    if agent.role != "admin":
        raise AccessDeniedError(message)


def _may_change(agent: Agent, created_by: int | None) -> bool:
    return agent.role == "admin" or (created_by is not None and created_by == agent.id)


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise InvalidInputError(
            f"{shown!r} is not a template name: use 1 to {MAX_NAME} letters, digits, "
            "'-', '_' or '.'"
        )


def _normalise(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInputError("the body is empty; give the text of the template")
    return text


async def check_renders(body: str, agent: Agent, *, html: bool, label: str) -> None:
    """Render once with no data and once with sample data: a syntax error, something the
    sandbox refuses, or a template that fails for want of a value is refused now."""
    templating = _templating()
    sample = templating.template_context(agent, _SAMPLE_ACCOUNT, _SAMPLE_CUSTOMER,
                                         _SAMPLE_MESSAGE)
    empty = templating.template_context(agent)
    for context in (empty, sample):
        await asyncio.to_thread(templating.render, body, context, html=html, label=label)


async def _template(db: Db, name: str) -> Template:
    found = await templates_sql.template_by_name(db, name)
    if found is None:
        raise NotFoundError(f"no template named {name!r}; see `frontdesk template list`")
    return found


async def _account_id(store: Store, agent: Agent, name: str | None) -> int | None:
    if name is None:
        return None
    found = await _visible_account(store, name, await visible_accounts(store, agent.id))
    return found.id


async def _visible_account(store: Store, name: str, visible: frozenset[int]) -> Account:
    found = await accounts.by_name(store.reader, name)
    if found is None or found.id not in visible:
        raise NotFoundError(f"no account named {name!r}; see `frontdesk account list`")
    return found


async def _account_by_id(store: Store, account_id: int, visible: frozenset[int]) -> Account:
    found = await accounts.list_visible(store.reader, visible & {account_id})
    if not found:
        raise NotFoundError(f"account {account_id} not found")
    return found[0]


def _signature_label(company: bool, account: str | None) -> str:
    where = f"account {account}" if account else "every account"
    return f"{'company' if company else 'personal'} signature for {where}"


def text_version(markup: str) -> str:
    """An HTML reply as text, its links listed under it."""
    text, links = html_to_text(markup)
    if not links:
        return text
    listed = "\n".join(f"[{n}] {url}" for n, url in enumerate(links, 1))
    return f"{text}\n\n{listed}"


async def _audit_signature(
    db: Db, agent: Agent, action: str, signature_id: int, scope: str,
    account_id: int | None, account: str | None,
) -> None:
    await audit.record(db, agent_id=agent.id, action=action, target_kind="signature",
                       target_id=signature_id,
                       detail={"scope": scope, "account_id": account_id,
                               "account": account or ""})
