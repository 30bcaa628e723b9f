"""Small builders for stores used by tests: real SQLite files, real migrations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from storage import Store, access, accounts, agents, folders, gateways
from storage.records import Agent


def make_mail(
    subject: str,
    *,
    sender: str = "Customer <c@example.org>",
    to: str = "support@acme.example",
    body: str = "Hello there.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    when: datetime | None = None,
    cc: str = "",
    attachment: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    if attachment:
        msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                           filename=attachment)
    return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@dataclass
class Team:
    store: Store
    agents: dict[str, Agent] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    inboxes: dict[str, int] = field(default_factory=dict)


async def build_team(store: Store) -> Team:
    """ann (admin) and bob, carol (agents); personal mailboxes for ann and bob; a shared
    support@ open to the agent role; a shared sales@ open to bob alone."""
    team = Team(store)
    async with store.transaction() as db:
        for name, role in (("ann", "admin"), ("bob", "agent"), ("carol", "agent")):
            team.agents[name] = await agents.insert(db, name=name, os_user=name, role=role)
        specs = (
            ("ann-mail", "personal", "ann"),
            ("bob-mail", "personal", "bob"),
            ("support", "shared", None),
            ("sales", "shared", None),
        )
        for name, kind, owner in specs:
            acct = await accounts.insert(
                db, name=name, email=f"{name}@acme.example", kind=kind,
                owner_agent_id=team.agents[owner].id if owner else None,
            )
            team.accounts[name] = acct.id
            team.inboxes[name] = await folders.insert(
                db, account_id=acct.id, name="INBOX", role="inbox"
            )
        await access.grant_role(db, account_id=team.accounts["support"], role="agent",
                                can_act=True, granted_by=team.agents["ann"].id)
        await access.grant_agent(db, account_id=team.accounts["sales"],
                                 agent_id=team.agents["bob"].id, can_act=True,
                                 granted_by=team.agents["ann"].id)
    return team


def dated(n: int) -> datetime:
    return datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=n)


async def make_gateway(store: Store, os_user: str | None = None) -> None:
    """Let `os_user` (default: the OS user running the tests) act as any agent with
    --agent, as an admin's gateway may: how one test plays several agents."""
    from engine.identity import os_user as running_user

    async with store.transaction() as db:
        await gateways.add(db, os_user=os_user or running_user(), added_by=None)
