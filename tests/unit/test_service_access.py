"""No agent sees another's personal mail without a grant, through any Service path."""

from pathlib import Path

import pytest

from engine.errors import NotFoundError
from engine.ingest import Incoming, ingest
from engine.service import LocalService
from storage import access, agents
from tests.store_factory import Team, build_team, make_mail


@pytest.fixture
async def team(tmp_path: Path):
    service = await LocalService.open(tmp_path / "s.db")
    t = await build_team(service.store)
    for name, folder in t.inboxes.items():
        await ingest(service.store, account_id=t.accounts[name], folder_id=folder, items=[
            Incoming(make_mail(f"secret of {name}", message_id=f"<{name}@x>"), ("\\Seen",)),
        ])
    yield service, t
    await service.close()


async def _visible_names(service: LocalService, t: Team, who: str) -> set[str]:
    return {a.name for a in await service.list_accounts(t.agents[who])}


async def test_each_agent_sees_exactly_its_accounts(team) -> None:
    service, t = team
    assert await _visible_names(service, t, "ann") == {"ann-mail"}  # admin role not listed
    assert await _visible_names(service, t, "bob") == {"bob-mail", "support", "sales"}
    assert await _visible_names(service, t, "carol") == {"support"}


async def test_folders_follow_accounts(team) -> None:
    service, t = team
    folders = await service.list_folders(t.agents["carol"])
    assert {f.account_id for f in folders} == {t.accounts["support"]}
    assert folders[0].total == 1


@pytest.mark.parametrize("owner", ["ann-mail", "sales"])
async def test_hidden_mail_is_unreachable_on_every_path(team, owner: str) -> None:
    service, t = team
    carol = t.agents["carol"]
    folder = t.inboxes[owner]
    with pytest.raises(NotFoundError):
        await service.list_messages(carol, folder)
    with pytest.raises(NotFoundError):
        await service.count_messages(carol, folder)
    # Message ids are guessable: opening one directly must fail the same way.
    ann = t.agents["ann"] if owner == "ann-mail" else t.agents["bob"]
    mine = await service.list_messages(ann, folder)
    assert mine and mine[0].subject == f"secret of {owner}"
    with pytest.raises(NotFoundError) as info:
        await service.open_message(carol, mine[0].id)
    assert "secret" not in str(info.value)


async def test_grant_opens_and_deactivation_closes(team) -> None:
    service, t = team
    async with service.store.transaction() as db:
        await access.grant_agent(db, account_id=t.accounts["ann-mail"],
                                 agent_id=t.agents["carol"].id, can_act=False,
                                 granted_by=t.agents["ann"].id)
    assert "ann-mail" in await _visible_names(service, t, "carol")
    view = await service.open_message(
        t.agents["carol"],
        (await service.list_messages(t.agents["carol"], t.inboxes["ann-mail"]))[0].id,
    )
    assert view.subject == "secret of ann-mail"
    async with service.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE name = 'carol'")
    assert await _visible_names(service, t, "carol") == set()


async def test_role_grant_on_a_personal_account_gives_nothing(team) -> None:
    service, t = team
    async with service.store.transaction() as db:
        await access.grant_role(db, account_id=t.accounts["ann-mail"], role="agent",
                                can_act=False, granted_by=t.agents["ann"].id)
    assert "ann-mail" not in await _visible_names(service, t, "carol")


async def test_caller_cannot_raise_its_role(team) -> None:
    """The role is read from the store, not from the Agent value the caller passes."""
    service, t = team
    from dataclasses import replace

    forged = replace(t.agents["carol"], role="admin")
    assert {a.name for a in await service.list_accounts(forged)} == {"support"}
    assert (await agents.by_name(service.store.reader, "carol")).role == "agent"
