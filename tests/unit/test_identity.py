import json
from pathlib import Path

import pytest

from engine.errors import AccessDeniedError, UnknownAgentError
from engine.identity import resolve_agent
from engine.service import LocalService
from storage import agents, gateways


async def refusals(service: LocalService) -> list[dict]:
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, target_id, detail FROM audit_log WHERE action = 'agent.refused' "
        "ORDER BY id")
    return [{"agent_id": r[0], "target_id": r[1], **json.loads(r[2])} for r in rows]


@pytest.fixture
async def service(tmp_path: Path):
    """ann (admin, OS user ann), bob (OS user bob) and carol (no OS user)."""
    service = await LocalService.open(tmp_path / "i.db")
    async with service.store.transaction() as db:
        await agents.insert(db, name="ann", os_user="ann", role="admin")
        await agents.insert(db, name="bob", os_user="bob", role="agent")
        await agents.insert(db, name="carol", os_user=None, role="agent")
    yield service
    await service.close()


async def test_first_person_becomes_admin_then_strangers_are_refused(tmp_path: Path) -> None:
    service = await LocalService.open(tmp_path / "i.db")
    try:
        first = await resolve_agent(service.store, None, login="ann")
        assert (first.name, first.role, first.os_user) == ("ann", "admin", "ann")
        again = await resolve_agent(service.store, None, login="ann")
        assert again.id == first.id
        with pytest.raises(UnknownAgentError) as info:
            await resolve_agent(service.store, None, login="mallory")
        assert "mallory" in str(info.value) and "frontdesk agent add" in str(info.value)
        with pytest.raises(AccessDeniedError):
            await resolve_agent(service.store, "nobody-here", login="ann")
        assert await agents.count(service.store.reader) == 1
        rows = await service.store.reader.fetchall("SELECT action FROM audit_log ORDER BY id")
        assert [r[0] for r in rows] == ["agent.create", "agent.refused", "agent.refused"]
        stranger, probe = await refusals(service)
        assert (stranger["agent_id"], stranger["login"]) == (None, "mallory")
        assert (probe["agent_id"], probe["requested"]) == (first.id, "nobody-here")
    finally:
        await service.close()


async def test_first_agent_may_be_named(tmp_path: Path) -> None:
    service = await LocalService.open(tmp_path / "i.db")
    try:
        first = await resolve_agent(service.store, "desk", login="ann")
        assert (first.name, first.os_user, first.role) == ("desk", "ann", "admin")
        assert (await resolve_agent(service.store, "desk", login="ann")).id == first.id
    finally:
        await service.close()


async def test_naming_yourself_is_always_allowed(service: LocalService) -> None:
    assert (await resolve_agent(service.store, "bob", login="bob")).name == "bob"
    assert (await resolve_agent(service.store, None, login="bob")).name == "bob"
    assert await refusals(service) == []


async def test_naming_another_agent_needs_a_gateway(service: LocalService) -> None:
    with pytest.raises(AccessDeniedError) as info:
        await resolve_agent(service.store, "ann", login="bob")
    assert str(info.value) == ("OS user 'bob' may not act as agent 'ann'; an admin can make "
                               "'bob' a gateway: frontdesk agent gateway add bob")
    # An unknown name is refused the same way: no probing for agent names.
    with pytest.raises(AccessDeniedError, match="may not act as agent 'zed'"):
        await resolve_agent(service.store, "zed", login="bob")
    with pytest.raises(AccessDeniedError):
        await resolve_agent(service.store, "carol", login="helpdesk")
    bob = await agents.by_name(service.store.reader, "bob")
    ann = await agents.by_name(service.store.reader, "ann")
    assert bob is not None and ann is not None
    first, second, third = await refusals(service)
    assert (first["agent_id"], first["target_id"], first["attempted"]) == (bob.id, ann.id,
                                                                         "login")
    assert (second["target_id"], second["requested"]) == (None, "zed")
    assert (third["agent_id"], third["login"]) == (None, "helpdesk")
    assert "gateway add helpdesk" in third["reason"]


async def test_a_gateway_may_name_any_agent(service: LocalService) -> None:
    async with service.store.transaction() as db:
        await gateways.add(db, os_user="helpdesk", added_by=None)
    assert (await resolve_agent(service.store, "carol", login="helpdesk")).name == "carol"
    assert (await resolve_agent(service.store, "ann", login="helpdesk")).role == "admin"
    # A gateway learns that a name is unknown; nobody is created for it.
    with pytest.raises(UnknownAgentError, match="'zed' is not an agent"):
        await resolve_agent(service.store, "zed", login="helpdesk")
    assert await agents.count(service.store.reader) == 3
    # Without --agent the gateway is just an OS user, and not an agent.
    with pytest.raises(UnknownAgentError):
        await resolve_agent(service.store, None, login="helpdesk")
    async with service.store.transaction() as db:
        await gateways.remove(db, "helpdesk")
    with pytest.raises(AccessDeniedError):
        await resolve_agent(service.store, "carol", login="helpdesk")


async def test_deactivated_agent_is_refused(service: LocalService) -> None:
    async with service.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE name = 'bob'")
        await gateways.add(db, os_user="helpdesk", added_by=None)
    for requested, login in ((None, "bob"), ("bob", "bob"), ("bob", "helpdesk")):
        with pytest.raises(UnknownAgentError) as info:
            await resolve_agent(service.store, requested, login=login)
        assert "deactivated" in str(info.value)
    assert len(await refusals(service)) == 3
