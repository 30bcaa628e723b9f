from pathlib import Path

import pytest

from engine.errors import UnknownAgentError
from engine.service import LocalService
from storage import agents


async def test_first_person_becomes_admin_then_strangers_are_refused(tmp_path: Path) -> None:
    service = await LocalService.open(tmp_path / "i.db")
    try:
        from engine.identity import resolve_agent

        first = await resolve_agent(service.store, None, login="ann")
        assert (first.name, first.role, first.os_user) == ("ann", "admin", "ann")
        again = await resolve_agent(service.store, None, login="ann")
        assert again.id == first.id
        with pytest.raises(UnknownAgentError) as info:
            await resolve_agent(service.store, None, login="mallory")
        assert "mallory" in str(info.value) and "--agent" in str(info.value)
        with pytest.raises(UnknownAgentError):
            await resolve_agent(service.store, "nobody-here", login="ann")
        assert await agents.count(service.store.reader) == 1
        rows = await service.store.reader.fetchall("SELECT action FROM audit_log")
        assert [r[0] for r in rows] == ["agent.create"]
    finally:
        await service.close()


async def test_named_agent_and_deactivated_agent(tmp_path: Path) -> None:
    service = await LocalService.open(tmp_path / "i.db")
    try:
        async with service.store.transaction() as db:
            await agents.insert(db, name="ann", os_user="ann", role="admin")
            await agents.insert(db, name="bob", os_user=None, role="agent")
            await db.execute("UPDATE agents SET active = 0 WHERE name = 'bob'")
        from engine.identity import resolve_agent

        assert (await resolve_agent(service.store, "ann", login="whoever")).name == "ann"
        with pytest.raises(UnknownAgentError) as info:
            await resolve_agent(service.store, "bob", login="whoever")
        assert "deactivated" in str(info.value)
    finally:
        await service.close()
