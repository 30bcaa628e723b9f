"""`frontdesk account test-send`: one message sent straight away (not through the outbox),
so the admin sees at once whether the SMTP settings work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from engine.access import require_act
from engine.compose import Outgoing, build_message, invalid_addresses, make_message_id
from engine.errors import InvalidInputError, NotFoundError
from engine.models import Agent
from engine.names import domain_of
from engine.sending.config import sending_settings
from engine.smtp.client import send
from storage import Store, audit
from storage import settings as settings_sql
from storage import smtp as smtp_sql


async def test_send(store: Store, agent: Agent, name: str, to: str) -> str:
    """Send a short test message from an account to `to`; its Message-ID. SMTP errors
    are raised as they are (one line, what to do)."""
    account = await settings_sql.by_name(store.reader, name)
    missing = f"no account named {name!r}; see `frontdesk account list`"
    if account is None:
        raise NotFoundError(missing)
    await require_act(store, agent.id, account.id, missing=missing)
    if invalid_addresses([to]):
        raise InvalidInputError(f"--to {to!r} is not an email address")
    settings = await sending_settings(store, account.id)
    config = await smtp_sql.of_account(store.reader, account.id)
    now = datetime.now(UTC)
    message_id = make_message_id(domain_of(account.email))
    raw = build_message(Outgoing(
        message_id=message_id, from_addr=account.email, from_name=account.display_name,
        reply_to=config.reply_to if config else "", to=(to,), cc=(), bcc=(),
        subject=f"frontdesk test message from {account.name}",
        body=(f"This message was sent by `frontdesk account test-send {account.name}` on "
              f"{now:%Y-%m-%d at %H:%M} UTC through {settings.host}:{settings.port} "
              f"({settings.security}).\n"),
        html_body=None, in_reply_to=None, references="", date=now, attachments=(),
    ))
    await asyncio.to_thread(send, settings, sender=account.email, recipients=[to], raw=raw)
    async with store.transaction() as db:
        await audit.record(db, agent_id=agent.id, action="account.test_send",
                           target_kind="account", target_id=account.id, detail={"to": to})
    return message_id
