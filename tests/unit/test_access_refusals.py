"""Refusals: what they say, that a probe learns nothing from them, and the audit log
that records them and that each agent reads (its own rows, and those about what it may
see)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.errors import AccessDeniedError, NotFoundError
from engine.service import LocalService
from storage import audit
from tests.access_world import (
    ALICE_MAIL,
    ALICE_SECRET,
    SUPPORT,
    World,
    build_world,
    grant_bob,
)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    service = await LocalService.open(tmp_path / "store.db")
    yield await build_world(service, tmp_path)
    await service.close()


async def test_a_read_grant_refuses_actions_with_what_to_do(world: World) -> None:
    await grant_bob(world, "read")
    bob = world.agent("bob")
    secret = world.mail[ALICE_SECRET]
    with pytest.raises(AccessDeniedError) as info:
        await world.service.delete_message(bob, secret)
    assert str(info.value) == (
        "you have read-only access to account 'alice-mail'; ask its owner (alice): "
        "frontdesk account grant alice-mail --to bob --act")
    # Nothing changed: the message is where it was, unflagged, unread.
    (row,) = [m for m in await world.service.list_by_spec(bob, "alice-mail:INBOX")
              if m.id == secret]
    assert not row.seen and not row.flagged


async def test_a_hidden_message_fails_as_a_missing_one_does(world: World) -> None:
    bob, service = world.agent("bob"), world.service
    secret = world.mail[ALICE_SECRET]
    missing = secret + 10_000
    for call in (service.open_message, service.sender_of, service.delete_message,
                 service.restore_message):
        errors = []
        for message_id in (secret, missing):
            with pytest.raises(NotFoundError) as info:
                await call(bob, message_id)
            errors.append((type(info.value), str(info.value).replace(str(message_id), "N")))
        assert errors[0] == errors[1], call.__name__


async def test_the_owner_reads_the_refused_probes_of_her_mail(world: World) -> None:
    service, alice, bob = world.service, world.agent("alice"), world.agent("bob")
    secret = world.mail[ALICE_SECRET]
    with pytest.raises(NotFoundError):
        await service.set_flagged(bob, secret, True)
    (probe,) = [r for r in await service.audit_log(alice)
                if r.action == "access.refused"]
    assert (probe.agent, probe.target_kind, probe.target_id) == ("bob", "message", secret)
    assert json.loads(probe.detail) == {"method": "set_flagged",
                                        "error": f"message {secret} not found"}
    # bob reads his own refusal, but nothing of alice's.
    mine = await service.audit_log(bob)
    assert [r.id for r in mine if r.action == "access.refused"] == [probe.id]
    assert {r.agent for r in mine} == {"bob"}


async def test_each_agent_reads_its_own_rows_and_rows_about_what_it_sees(
        world: World) -> None:
    service = world.service
    admin, alice, bob = (world.agent(n) for n in ("admin", "alice", "bob"))
    await service.block(admin, "address", "x@spam.example", account=SUPPORT)
    everything = await service.audit_log(admin, limit=10_000)
    assert {r.agent for r in everything} == {"alice", "admin"}
    alices = await service.audit_log(alice, limit=10_000)
    assert {r.id for r in alices} < {r.id for r in everything}
    assert any(r.action == "convert.lead" for r in alices)
    assert not any(r.action == "convert.lead" for r in await service.audit_log(bob))
    await grant_bob(world, "read")
    during = await service.audit_log(bob, limit=10_000)
    assert {"convert.case", "convert.lead", "account.grant"} <= {r.action for r in during}
    await service.revoke_account(alice, ALICE_MAIL, "bob")
    after = {r.action for r in await service.audit_log(bob, limit=10_000)}
    assert "convert.case" not in after and "account.revoke" not in after
    # Newest first, and paging back with before_id.
    first, second = await service.audit_log(admin, limit=2)
    assert first.id > second.id
    (older,) = await service.audit_log(admin, limit=1, before_id=first.id)
    assert older == second


async def test_a_failed_audit_write_leaves_the_refusal_as_it_was(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(NotFoundError, match="not found"):
        await world.service.open_message(world.agent("bob"), world.mail[ALICE_SECRET])


async def test_a_case_whose_mail_its_assignee_no_longer_sees_cannot_be_changed(
        world: World) -> None:
    service, alice, bob = world.service, world.agent("alice"), world.agent("bob")
    await grant_bob(world, "act")
    assert (await service.assign_case(alice, world.case, "bob")).assignee == "bob"
    await service.revoke_account(alice, ALICE_MAIL, "bob")
    # bob still sees the case given to him, but not its mail, and may not change it.
    assert (await service.case(bob, world.case)).assignee == "bob"
    assert await service.case_messages(bob, world.case) == []
    with pytest.raises(AccessDeniedError, match="no longer see the mail of case"):
        await service.set_case_status(bob, world.case, "closed")
    assert (await service.case(alice, world.case)).status == "open"
