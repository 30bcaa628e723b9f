"""A store for access tests: three agents (admin, alice, bob), alice's personal mailbox,
a shared support mailbox every agent works, and mail, customers, a case, a lead, a block,
drafts and signatures hanging on alice's mailbox. Built through the same paths as the
rest of the tests (storage inserts, ingest, Service calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.ingest import Incoming, ingest
from engine.models import Agent, OutOfOfficeSpec, Rule, RuleCondition, SmtpChange
from engine.service import LocalService
from storage import access, accounts, agents, customers, folders
from storage import outgoing as outgoing_sql
from storage import templates as templates_sql
from tests.store_factory import dated, make_mail

ALICE_MAIL = "alice-mail"
SUPPORT = "support"
# Subjects: alice's mail carries "Alice", support's "Support"; "zeppelin" is in both bodies.
ALICE_SECRET = "Alice secret plan"
ALICE_LEAD = "Alice lead from Dan"
ALICE_TRASHED = "Alice trashed note"
SUPPORT_QUESTION = "Support question"
SEARCH_WORD = "zeppelin"
ALICE_UNREAD = 2  # secret plan and lead, in alice's inbox
SUPPORT_UNREAD = 1
CARLA = "carla@cust.example"
DAN = "dan@cust.example"  # writes only to alice: no customer, only her mail knows him
ROLES = {"admin": "admin", "alice": "agent", "bob": "agent"}


@dataclass
class World:
    service: LocalService
    agents: dict[str, Agent] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    folders: dict[tuple[str, str], int] = field(default_factory=dict)
    mail: dict[str, int] = field(default_factory=dict)  # subject -> message id
    carla: int = 0  # customer ids
    dan_co: int = 0
    case: str = ""  # the case made from alice's secret plan
    lead: int = 0  # the lead made from alice's lead mail
    block: int = 0  # a block on alice's mailbox
    rule: int = 0  # an auto-response rule of alice's mailbox (she is away, too)
    drafts: dict[str, int] = field(default_factory=dict)  # agent -> its draft on alice-mail
    support_drafts: dict[str, int] = field(default_factory=dict)  # agent -> on support
    failed: dict[str, int] = field(default_factory=dict)  # agent -> failed send, alice-mail
    attachment: Path = Path()

    def agent(self, name: str) -> Agent:
        return self.agents[name]


async def build_world(service: LocalService, tmp: Path) -> World:
    """The store described above; bob has no grant on alice's mailbox yet."""
    world = World(service)
    store = service.store
    async with store.transaction() as db:
        for name, role in ROLES.items():
            world.agents[name] = await agents.insert(db, name=name, os_user=f"os-{name}",
                                                     role=role, email=f"{name}@acme.example")
        for name, owner in ((ALICE_MAIL, "alice"), (SUPPORT, None)):
            made = await accounts.insert(
                db, name=name, email=f"{name}@acme.example",
                kind="personal" if owner else "shared",
                owner_agent_id=world.agents[owner].id if owner else None)
            world.accounts[name] = made.id
            for folder, role in (("INBOX", "inbox"), ("Trash", "trash"),
                                 ("Archive", "archive")):
                world.folders[(name, folder)] = await folders.insert(
                    db, account_id=made.id, name=folder, role=role)
        for role in ("admin", "agent"):
            await access.grant_role(db, account_id=world.accounts[SUPPORT], role=role,
                                    can_act=True, granted_by=world.agents["admin"].id)
        world.carla = await customers.insert(db, name="Carla Client", company="Cust",
                                             addresses=[CARLA], created_by=None)
        world.dan_co = await customers.insert(db, name="Dan's company", company="Dan Co",
                                              addresses=[], created_by=None)
    await _mail(world)
    await _records(world, tmp)
    return world


async def _mail(world: World) -> None:
    letters = (
        (ALICE_MAIL, "INBOX", ALICE_SECRET, f"Carla <{CARLA}>", False, "plan.pdf"),
        (ALICE_MAIL, "INBOX", ALICE_LEAD, f"Dan <{DAN}>", False, None),
        (ALICE_MAIL, "Trash", ALICE_TRASHED, f"Carla <{CARLA}>", True, None),
        (SUPPORT, "INBOX", SUPPORT_QUESTION, f"Carla <{CARLA}>", False, None),
    )
    for n, (account, folder, subject, sender, seen, attachment) in enumerate(letters):
        raw = make_mail(subject, sender=sender, to=f"{account}@acme.example",
                        body=f"About the {SEARCH_WORD}, number {n}.",
                        message_id=f"<m{n}@cust.example>", when=dated(n),
                        attachment=attachment)
        [world.mail[subject]] = await ingest(
            world.service.store, account_id=world.accounts[account],
            folder_id=world.folders[(account, folder)],
            items=[Incoming(raw, ("\\Seen",) if seen else ())])


def alice_rule(rule_id: int) -> Rule:
    """An auto-response rule of alice's mailbox: the world's (id 0: a new one)."""
    return Rule(id=rule_id, account_id=0, account=ALICE_MAIL, name="thanks", kind="respond",
                active=True, position=0,
                conditions=(RuleCondition("subject", "contains", "plan"),),
                body="Thanks, {{ message.from_name }}")


async def _records(world: World, tmp: Path) -> None:
    service, alice = world.service, world.agent("alice")
    world.case = (await service.convert(alice, world.mail[ALICE_SECRET], "case")).label
    world.lead = (await service.convert(alice, world.mail[ALICE_LEAD], "lead")).id
    world.block = (await service.block(alice, "address", "pest@spam.example",
                                       account=ALICE_MAIL)).id
    await service.add_template(alice, "hello", "About: {{ message.subject }}")
    world.rule = (await service.save_rule(alice, alice_rule(0))).id
    await service.set_out_of_office(alice, OutOfOfficeSpec(
        starts="2026-01-01", ends="2036-01-01", body="Away", account=ALICE_MAIL))
    await service.configure_smtp(alice, ALICE_MAIL, SmtpChange(
        host="127.0.0.1", port=1, security="none", no_auth=True))
    world.attachment = tmp / "note.txt"
    world.attachment.write_text("a note\n", encoding="utf-8")
    async with service.store.transaction() as db:
        for name, agent in world.agents.items():
            # Started while the agent could (or as the store's history has it): drafts
            # are the agent's own, from the account they go out from.
            for tag, account, into in (("draft", ALICE_MAIL, world.drafts),
                                       ("support", SUPPORT, world.support_drafts),
                                       ("failed", ALICE_MAIL, world.failed)):
                into[name] = await outgoing_sql.insert(
                    db, account_id=world.accounts[account], agent_id=agent.id, kind="new",
                    source_id=None, message_id=f"<{name}-{tag}@acme.example>",
                    in_reply_to=None, references="", to=[CARLA], cc=[],
                    subject=f"Draft of {name}", body="Hello", thread_id=None)
            await outgoing_sql.add_attachment(db, draft_id=world.drafts[name],
                                              filename="a.txt", content_type="text/plain",
                                              data=b"a")
            await outgoing_sql.queue(db, draft_id=world.failed[name], raw=b"x")
            await outgoing_sql.mark_failed(db, world.failed[name], error="refused")
            await templates_sql.put_signature(
                db, scope="personal", agent_id=agent.id,
                account_id=world.accounts[ALICE_MAIL], body=f"-- {name}",
                updated_by=agent.id)


async def grant_bob(world: World, phase: str) -> None:
    """Put bob's access to alice's mailbox in `phase`: before (none), read (a read-only
    grant), act (read and act), revoked (granted, then taken back). Alice does it."""
    service, alice = world.service, world.agent("alice")
    if phase == "before":
        return
    await service.grant_account(alice, ALICE_MAIL, "bob", can_act=phase == "act")
    if phase == "revoked":
        await service.revoke_account(alice, ALICE_MAIL, "bob")
