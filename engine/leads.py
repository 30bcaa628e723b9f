"""Leads after conversion: listing them and moving them along (new, contacted,
qualified, then won or lost)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.cases import require_act_on_mail, viewer
from engine.errors import InvalidInputError, NotFoundError
from storage import Store, audit
from storage import leads as leads_sql

if TYPE_CHECKING:
    from engine.models import Agent, Lead

STATUSES = ("new", "contacted", "qualified", "lost", "won")


async def list_leads(store: Store, agent: Agent, *, status: str | None = None) -> list[Lead]:
    """The leads the agent may see, newest first; only those with `status` when given."""
    if status is not None:
        _check(status)
    agent_id, visible = await viewer(store, agent)
    return await leads_sql.list_visible(store.reader, agent_id=agent_id, account_ids=visible,
                                        status=status)


async def set_status(store: Store, agent: Agent, lead_id: int, status: str) -> Lead:
    """Move a lead to another status (the same status: nothing changes, no error)."""
    _check(status)
    agent_id, visible = await viewer(store, agent)
    async with store.transaction() as db:
        lead = await leads_sql.visible_by_id(db, lead_id=lead_id, agent_id=agent_id,
                                             account_ids=visible)
        if lead is None:
            raise NotFoundError(f"lead {lead_id} not found; see `frontdesk lead list`")
        await require_act_on_mail(
            store, agent_id, f"lead {lead.id}",
            thread_ids=() if lead.thread_id is None else (lead.thread_id,),
            message_ids=() if lead.source_message_id is None else (lead.source_message_id,))
        was = await leads_sql.set_status(db, lead_id=lead.id, status=status)
        if was is not None:
            await audit.record(
                db, agent_id=agent.id, action="lead.status", target_kind="lead",
                target_id=lead.id, detail={"from": was, "to": status},
            )
        now = await leads_sql.visible_by_id(db, lead_id=lead.id, agent_id=agent_id,
                                            account_ids=visible)
    return now or lead


def _check(status: str) -> None:
    if status not in STATUSES:
        raise InvalidInputError(f"lead status {status!r} is not one of {', '.join(STATUSES)}")
