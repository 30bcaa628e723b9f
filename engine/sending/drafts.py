"""Drafts: a reply, reply-all, forward or new mail, saved in the store as the agent
writes it, so a dropped session loses nothing. Only the agent who started a draft sees
and changes it."""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING

from engine.access import actable_accounts, require_act, visible_accounts
from engine.errors import InvalidInputError, NotFoundError
from engine.names import domain_of
from engine.sending import drafts_mirror
from engine.sending.signatures import signature_text
from storage import Store
from storage import agents as agents_sql
from storage import outgoing as outgoing_sql
from storage import settings as settings_sql
from storage.records import AccountSettings

if TYPE_CHECKING:
    from engine.compose import Prefill
    from engine.models import Agent, Draft

KINDS = ("new", "reply", "reply_all", "forward")
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
OPEN_STATES = ("draft",)
OUTBOX_STATES = ("queued", "failed", "sent")


async def start(
    store: Store, agent: Agent, kind: str, *, message_id: int | None = None,
    account: str | None = None,
) -> Draft:
    """A new draft, prefilled: a reply goes out from the account the message came in on,
    with Re:, the references and the quoted original; new mail from `account`, else the
    agent's main account, else its only account."""
    from engine.compose import prefill_forward, prefill_new, prefill_reply
    from engine.sending.original import load_original

    if kind not in KINDS:
        raise InvalidInputError(f"{kind!r} is not one of {', '.join(KINDS)}")
    visible = await visible_accounts(store, agent.id)
    if kind == "new":
        sender = await _new_mail_account(store, agent, visible, account)
        prefill = prefill_new(await signature_text(store, agent, sender.id))
        thread_id = source_id = None
    else:
        if message_id is None:
            raise InvalidInputError(f"a {kind.replace('_', '-')} needs the message it answers")
        head, original = await load_original(store.reader, message_id, visible,
                                             with_attachments=kind == "forward")
        # A reply or a forward goes out from the message's account: acting on it.
        await require_act(store, agent.id, head.account_id,
                          missing=f"message {message_id} not found")
        sender = await _account(store, head.account_id)
        signature = await signature_text(store, agent, sender.id, message_id=message_id)
        if kind == "forward":
            prefill = prefill_forward(original, signature=signature)
        else:
            prefill = prefill_reply(original, own=await _own_addresses(store, agent, visible),
                                    signature=signature, all=kind == "reply_all")
        thread_id, source_id = head.thread_id, head.id
    return await _create(store, agent, sender, kind, prefill, source_id, thread_id)


async def _create(
    store: Store, agent: Agent, sender: AccountSettings, kind: str, prefill: Prefill,
    source_id: int | None, thread_id: int | None,
) -> Draft:
    from engine.compose import make_message_id

    async with store.transaction() as db:
        draft_id = await outgoing_sql.insert(
            db, account_id=sender.id, agent_id=agent.id, kind=kind, source_id=source_id,
            message_id=make_message_id(domain_of(sender.email)),
            in_reply_to=prefill.in_reply_to, references=prefill.references, to=prefill.to,
            cc=prefill.cc, subject=prefill.subject, body=prefill.body, thread_id=thread_id,
        )
        for attachment in prefill.attachments:
            await outgoing_sql.add_attachment(
                db, draft_id=draft_id, filename=attachment.filename,
                content_type=attachment.content_type, data=attachment.data)
        made = await outgoing_sql.by_id(db, draft_id)
        assert made is not None
        await drafts_mirror.queue(db, made)
    return made


async def _account(store: Store, account_id: int) -> AccountSettings:
    found = await settings_sql.by_id(store.reader, account_id)
    if found is None:
        raise NotFoundError(f"account {account_id} not found")
    return found


async def _new_mail_account(
    store: Store, agent: Agent, visible: frozenset[int], name: str | None
) -> AccountSettings:
    if name:
        found = await settings_sql.by_name(store.reader, name)
        missing = f"no account named {name!r}; see `frontdesk account list`"
        if found is None:
            raise NotFoundError(missing)
        await require_act(store, agent.id, found.id, missing=missing)
        return found
    main = await agents_sql.main_account(store.reader, agent.id)
    if main is not None and main in visible:
        # The agent's own choice: when it may only read that account now, say so.
        await require_act(store, agent.id, main, missing=f"account {main} not found")
        return await _account(store, main)
    accounts = await settings_sql.list_for(store.reader,
                                           await actable_accounts(store, agent.id))
    if len(accounts) == 1:
        return accounts[0]
    if not accounts:
        raise InvalidInputError("you have no account to send from; see `frontdesk account add`")
    raise InvalidInputError(
        "choose the account to send from (--from NAME), or set your main account with "
        "`frontdesk account main NAME`")


async def _own_addresses(store: Store, agent: Agent, visible: frozenset[int]) -> list[str]:
    """Addresses that are the agent's side of a conversation: every account it may see,
    and its own."""
    own = [a.email for a in await settings_sql.list_for(store.reader, visible)]
    if agent.email:
        own.append(agent.email)
    return own


async def get(store: Store, agent: Agent, draft_id: int) -> Draft:
    """A draft or outbox entry of the agent's (NotFoundError for anyone else's)."""
    found = await outgoing_sql.by_id(store.reader, draft_id)
    visible = await visible_accounts(store, agent.id)
    if found is None or found.agent_id != agent.id or found.account_id not in visible:
        raise NotFoundError(f"draft {draft_id} not found; see `frontdesk drafts`")
    return found


async def _editable(store: Store, agent: Agent, draft_id: int) -> Draft:
    draft = await get(store, agent, draft_id)
    if draft.state != "draft":
        raise InvalidInputError(
            f"draft {draft_id} is {draft.state} and can no longer change")
    return draft


async def save(
    store: Store, agent: Agent, draft_id: int, *, to: str, cc: str, bcc: str, subject: str,
    body: str, account: str | None = None, html_body: str | None = None,
) -> Draft:
    """Save what the agent wrote (addresses as typed: commas or semicolons between);
    `html_body`, an HTML alternative (from an HTML saved reply), or None for plain mail."""
    from engine.compose import parse_address_list

    draft = await _editable(store, agent, draft_id)
    account_id = draft.account_id
    if account and account != draft.account:
        account_id = (await _new_mail_account(
            store, agent, await visible_accounts(store, agent.id), account)).id
    async with store.transaction() as db:
        saved = await outgoing_sql.update_text(
            db, draft_id=draft.id, account_id=account_id, to=parse_address_list(to),
            cc=parse_address_list(cc), bcc=parse_address_list(bcc), subject=subject,
            body=body, html_body=html_body)
        if not saved:
            raise InvalidInputError(f"draft {draft_id} can no longer change")
        now = await outgoing_sql.by_id(db, draft.id)
        assert now is not None
        await drafts_mirror.queue(db, now, previous_account=draft.account_id)
    return now


async def attach(store: Store, agent: Agent, draft_id: int, path: str) -> Draft:
    """Attach a file from the server's file system (the agent's own session reads it)."""
    draft = await _editable(store, agent, draft_id)
    name, data = await asyncio.to_thread(_read_file, path)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    async with store.transaction() as db:
        await outgoing_sql.add_attachment(db, draft_id=draft.id, filename=name,
                                          content_type=content_type, data=data)
        now = await outgoing_sql.by_id(db, draft.id)
        assert now is not None
        await drafts_mirror.queue(db, now)
    return now


def _read_file(path: str) -> tuple[str, bytes]:
    """A file's name and bytes, bounded; InvalidInputError saying why it cannot be read."""
    file = Path(path).expanduser()
    try:
        if not file.is_file():
            raise InvalidInputError(f"{path} is not a file")
        size = file.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise InvalidInputError(
                f"{path} is {size // (1024 * 1024)} MB; attachments are limited to "
                f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
        return file.name, file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None


async def detach(store: Store, agent: Agent, draft_id: int, index: int) -> Draft:
    draft = await _editable(store, agent, draft_id)
    async with store.transaction() as db:
        if not await outgoing_sql.remove_attachment(db, draft_id=draft.id, idx=index):
            raise NotFoundError(f"draft {draft_id} has no attachment {index}")
        now = await outgoing_sql.by_id(db, draft.id)
        assert now is not None
        await drafts_mirror.queue(db, now)
    return now


async def discard(store: Store, agent: Agent, draft_id: int) -> None:
    draft = await _editable(store, agent, draft_id)
    async with store.transaction() as db:
        await drafts_mirror.queue(db, draft)
        await outgoing_sql.delete_draft(db, draft.id)


async def list_mine(store: Store, agent: Agent, *, outbox: bool = False,
                    limit: int = 100) -> list[Draft]:
    """The agent's unsent drafts, or (outbox) what it sent or is sending, newest first."""
    visible = await visible_accounts(store, agent.id)
    return await outgoing_sql.of_agent(
        store.reader, agent_id=agent.id, states=OUTBOX_STATES if outbox else OPEN_STATES,
        account_ids=visible, limit=limit)
