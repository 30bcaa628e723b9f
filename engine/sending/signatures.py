"""The signature a new draft starts with, rendered for its account, customer and
message (engine.templates holds the signatures themselves)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import templates
from storage import Store

if TYPE_CHECKING:
    from engine.models import Agent


async def signature_text(store: Store, agent: Agent, account_id: int, *,
                         message_id: int | None = None) -> str:
    """The agent's signature for a draft from `account_id` (answering `message_id`)."""
    context = await templates.reply_context(store, agent, message_id=message_id, account=None)
    return await templates.signature_for(store, agent, account_id, customer=context.customer,
                                         message=context.message)
