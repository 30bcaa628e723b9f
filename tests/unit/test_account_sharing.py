"""Personal and shared mailboxes: who may add, configure, grant and share an account, and
the admin's IMAP defaults as a fallback read at run time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from engine.access import actable_accounts, managed_accounts, visible_accounts
from engine.accounts import AccountSpec, imap_settings
from engine.errors import AccessDeniedError, InvalidInputError, NotFoundError
from engine.models import Agent, ImapDefaultsChange
from engine.service import LocalService
from storage import agents
from storage import settings as settings_sql
from storage.imap_defaults import ServerFields, fill

HOST = "imap.acme.example"


class Team:
    def __init__(self, service: LocalService, people: dict[str, Agent]) -> None:
        self.service = service
        self.people = people

    def __getitem__(self, name: str) -> Agent:
        return self.people[name]


@pytest.fixture
async def team(tmp_path: Path) -> AsyncIterator[Team]:
    """ann (admin), bob and carol (agents), each with an own email."""
    service = await LocalService.open(tmp_path / "s.db")
    people = {}
    async with service.store.transaction() as db:
        for name, role in (("ann", "admin"), ("bob", "agent"), ("carol", "agent")):
            people[name] = await agents.insert(db, name=name, os_user=name, role=role,
                                               email=f"{name}@acme.example")
    yield Team(service, people)
    await service.close()


def spec(name: str, email: str, **changes: Any) -> AccountSpec:
    values: dict[str, Any] = {"name": name, "email": email, "imap_host": HOST}
    values.update(changes)
    return AccountSpec(**values)


async def add(team: Team, who: str, name: str, email: str, **changes: Any) -> int:
    added = await team.service.add_account(team[who], spec(name, email, **changes), "pw")
    return added.id


async def audit_rows(team: Team, action: str) -> list[dict[str, Any]]:
    rows = await team.service.store.reader.fetchall(
        "SELECT agent_id, target_id, detail FROM audit_log WHERE action = ? ORDER BY id",
        (action,))
    return [{"agent_id": r[0], "target_id": r[1], **json.loads(r[2])} for r in rows]


async def refusal_count(team: Team, who: str) -> int:
    return int(await team.service.store.reader.scalar(
        "SELECT count(*) FROM audit_log WHERE action LIKE '%refused' AND agent_id = ?",
        (team[who].id,)))


async def names_seen(team: Team, who: str) -> set[str]:
    return {a.name for a in await team.service.list_accounts(team[who])}


async def same_as_missing(team: Team, who: str, call: Any, hidden: str) -> None:
    """`call(agent, name)` on a hidden account fails exactly as on a missing one."""
    with pytest.raises(NotFoundError) as on_hidden:
        await call(team[who], hidden)
    with pytest.raises(NotFoundError) as on_missing:
        await call(team[who], "no-such-account")
    assert str(on_hidden.value).replace(hidden, "?") == \
        str(on_missing.value).replace("no-such-account", "?")


# -- adding accounts -----------------------------------------------------------------


async def test_an_agent_adds_a_personal_account_only_for_an_address_it_owns(team) -> None:
    await add(team, "bob", "bob-mail", "BOB@acme.example")  # its own email, any case
    before = await refusal_count(team, "bob")
    with pytest.raises(AccessDeniedError) as info:
        await add(team, "bob", "ceo", "ceo@acme.example")
    assert "ceo@acme.example is not one of your addresses" in str(info.value)
    assert "frontdesk agent address add bob ceo@acme.example" in str(info.value)
    assert await refusal_count(team, "bob") == before + 1
    assert await settings_sql.by_name(team.service.store.reader, "ceo") is None

    async with team.service.store.transaction() as db:
        await agents.assign_address(db, agent_id=team["bob"].id, address="ceo@acme.example",
                                    assigned_by=team["ann"].id)
    await add(team, "bob", "ceo", "ceo@acme.example")
    assert await names_seen(team, "bob") == {"bob-mail", "ceo"}


async def test_an_admin_adds_any_address(team) -> None:
    account_id = await add(team, "ann", "bobs-old", "bob@acme.example")
    added = await settings_sql.by_id(team.service.store.reader, account_id)
    assert added is not None
    assert (added.kind, added.owner_agent_id) == ("personal", team["ann"].id)


async def test_only_an_admin_adds_a_shared_account_and_is_listed_on_it(team) -> None:
    with pytest.raises(AccessDeniedError, match="only an admin can add a shared account"):
        await add(team, "bob", "support", "bob@acme.example", shared=True)
    assert await refusal_count(team, "bob") == 1

    account_id = await add(team, "ann", "support", "support@acme.example", shared=True,
                           display_name="Support desk")
    added = await settings_sql.by_id(team.service.store.reader, account_id)
    assert added is not None
    assert (added.kind, added.owner_agent_id, added.display_name) == \
        ("shared", None, "Support desk")
    assert account_id in await actable_accounts(team.service.store, team["ann"].id)
    assert await names_seen(team, "bob") == set()
    access = await team.service.account_access(team["ann"], "support")
    assert [(e.who, e.kind, e.access) for e in access.entries] == [("ann", "agent", "act")]
    [row] = await audit_rows(team, "account.add")
    assert (row["agent_id"], row["target_id"], row["kind"]) == \
        (team["ann"].id, account_id, "shared")


# -- personal accounts: the owner's grants ----------------------------------------------


async def test_the_owner_grants_read_then_act_then_revokes(team) -> None:
    service = team.service
    account_id = await add(team, "bob", "bob-mail", "bob@acme.example")
    assert "bob-mail" not in await names_seen(team, "carol")

    await service.grant_account(team["bob"], "bob-mail", "carol")
    assert "bob-mail" in await names_seen(team, "carol")
    assert account_id not in await actable_accounts(service.store, team["carol"].id)
    [standing] = await service.account_standing(team["carol"])
    assert (standing.name, standing.owner, standing.access) == ("bob-mail", "bob", "read")

    access = await service.grant_account(team["bob"], "bob-mail", "carol", can_act=True)
    assert [(e.who, e.kind, e.access) for e in access.entries] == \
        [("bob", "owner", "owner"), ("carol", "agent", "act")]
    assert account_id in await actable_accounts(service.store, team["carol"].id)
    assert [s.access for s in await service.account_standing(team["bob"])] == ["owner"]

    await service.revoke_account(team["bob"], "bob-mail", "carol")
    assert "bob-mail" not in await names_seen(team, "carol")
    with pytest.raises(InvalidInputError, match="carol has no grant on bob-mail"):
        await service.revoke_account(team["bob"], "bob-mail", "carol")

    grants = await audit_rows(team, "account.grant")
    assert [(g["agent"], g["can_act"], g["target_id"]) for g in grants] == \
        [("carol", False, account_id), ("carol", True, account_id)]
    [revoked] = await audit_rows(team, "account.revoke")
    assert (revoked["agent_id"], revoked["agent"]) == (team["bob"].id, "carol")


async def test_a_grantee_sees_an_account_but_not_how_it_logs_in(team) -> None:
    service = team.service
    await service.add_account(
        team["bob"], spec("bob-mail", "bob@acme.example", username="bob.login",
                          password_command="pass show bob", ca_file=None), None)
    await service.grant_account(team["bob"], "bob-mail", "carol", can_act=True)
    [own] = await service.account_settings(team["bob"])
    [seen] = await service.account_settings(team["carol"])
    assert (own.imap_username, own.password_command) == ("bob.login", "pass show bob")
    assert seen.name == "bob-mail" and seen.imap_host == HOST
    assert (seen.imap_username, seen.password_command, seen.ca_file) == (None, None, None)


async def test_only_the_owner_configures_a_personal_account(team) -> None:
    service = team.service
    await add(team, "bob", "bob-mail", "bob@acme.example")
    await service.grant_account(team["bob"], "bob-mail", "carol", can_act=True)
    before = await refusal_count(team, "carol")
    with pytest.raises(AccessDeniedError, match="belongs to another agent; ask its owner"):
        await service.grant_account(team["carol"], "bob-mail", "ann")
    with pytest.raises(AccessDeniedError):
        await service.remove_account(team["carol"], "bob-mail")
    assert await refusal_count(team, "carol") == before + 2
    # An admin does not manage another's personal account, nor see it.
    await same_as_missing(team, "ann", service.remove_account, "bob-mail")
    await same_as_missing(team, "ann",
                          lambda a, n: service.grant_account(a, n, "ann"), "bob-mail")
    assert await settings_sql.by_name(service.store.reader, "bob-mail") is not None


async def test_an_account_the_agent_cannot_see_looks_missing_everywhere(team) -> None:
    service = team.service
    await add(team, "bob", "bob-mail", "bob@acme.example")
    before = await refusal_count(team, "carol")
    for call in (service.remove_account, service.account_access, service.test_account,
                 lambda a, n: service.grant_account(a, n, "carol", can_act=True),
                 lambda a, n: service.revoke_account(a, n, "bob"),
                 lambda a, n: service.share_account(a, n, roles=["agent"])):
        await same_as_missing(team, "carol", call, "bob-mail")
    assert await refusal_count(team, "carol") == before + 12  # hidden and missing alike
    assert await names_seen(team, "carol") == set()


async def test_grants_name_active_agents_other_than_the_owner(team) -> None:
    service = team.service
    await add(team, "bob", "bob-mail", "bob@acme.example")
    with pytest.raises(InvalidInputError, match="no agent named 'dave'"):
        await service.grant_account(team["bob"], "bob-mail", "dave")
    with pytest.raises(InvalidInputError, match="owner needs no grant"):
        await service.grant_account(team["bob"], "bob-mail", "bob")
    async with service.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE name = 'carol'")
    with pytest.raises(InvalidInputError, match="deactivated"):
        await service.grant_account(team["bob"], "bob-mail", "carol")
    with pytest.raises(InvalidInputError, match="personal account; its owner gives access"):
        await service.share_account(team["bob"], "bob-mail", agent_names=["ann"])


# -- shared accounts ------------------------------------------------------------------


async def test_share_sets_the_lists_and_members_may_act_unless_read_only(team) -> None:
    service = team.service
    account_id = await add(team, "ann", "support", "support@acme.example", shared=True)
    await service.share_account(team["ann"], "support", agent_names=["bob"])
    assert "support" in await names_seen(team, "bob")
    assert account_id in await actable_accounts(service.store, team["bob"].id)
    # The list is set, not added to: ann, listed on creation, is off it now...
    assert "support" not in await names_seen(team, "ann")
    # ...yet as an admin she still manages it.
    access = await service.share_account(team["ann"], "support", roles=["agent"],
                                         can_act=False)
    assert [(e.who, e.kind, e.access) for e in access.entries] == \
        [("bob", "agent", "act"), ("agent", "role", "read")]
    assert "support" in await names_seen(team, "carol")
    assert account_id not in await actable_accounts(service.store, team["carol"].id)
    assert [s.access for s in await service.account_standing(team["carol"])] == ["read"]

    await service.share_account(team["ann"], "support", agent_names=[], roles=[])
    assert await names_seen(team, "bob") == set() and await names_seen(team, "carol") == set()
    [*_, last] = await audit_rows(team, "account.share")
    assert (last["agents"], last["roles"], last["target_id"]) == ([], [], account_id)


async def test_members_work_a_shared_account_but_only_admins_change_it(team) -> None:
    service = team.service
    await add(team, "ann", "support", "support@acme.example", shared=True)
    await service.share_account(team["ann"], "support", agent_names=["bob"])
    before = await refusal_count(team, "bob")
    with pytest.raises(AccessDeniedError, match="only an admin can change the shared"):
        await service.share_account(team["bob"], "support", roles=["agent"])
    with pytest.raises(AccessDeniedError):
        await service.remove_account(team["bob"], "support")
    assert await refusal_count(team, "bob") == before + 2
    # A member sees who else works it; a non-member does not learn it exists.
    access = await service.account_access(team["bob"], "support")
    assert (access.kind, access.owner) == ("shared", None)
    await same_as_missing(team, "carol", service.account_access, "support")
    with pytest.raises(InvalidInputError, match="role 'boss'"):
        await service.share_account(team["ann"], "support", roles=["boss"])
    with pytest.raises(InvalidInputError, match="--agents, --roles or both"):
        await service.share_account(team["ann"], "support")


async def test_an_admin_manages_a_shared_account_it_is_not_listed_on(team) -> None:
    service = team.service
    await add(team, "ann", "support", "support@acme.example", shared=True)
    await service.share_account(team["ann"], "support", agent_names=["bob"])
    async with service.store.transaction() as db:
        admin = await agents.insert(db, name="dora", os_user="dora", role="admin")
    assert "support" not in {a.name for a in await service.list_accounts(admin)}
    assert (await service.account_access(admin, "support")).account == "support"
    await service.grant_account(admin, "support", "carol")
    assert "support" in await names_seen(team, "carol")
    # Her engine runs it; a member's engine does not (it is not theirs to configure).
    await add(team, "bob", "bob-mail", "bob@acme.example")
    assert [a.name for a in await managed_accounts(service.store, admin.id)] == ["support"]
    assert [a.name for a in await managed_accounts(service.store, team["bob"].id)] == \
        ["bob-mail"]
    await service.remove_account(admin, "support")
    assert await settings_sql.by_name(service.store.reader, "support") is None
    assert await names_seen(team, "bob") == {"bob-mail"}


# -- IMAP defaults --------------------------------------------------------------------


async def test_only_an_admin_sets_the_imap_defaults(team) -> None:
    service = team.service
    with pytest.raises(AccessDeniedError, match="only an admin can set the IMAP defaults"):
        await service.set_imap_defaults(team["bob"], ImapDefaultsChange(host="evil.example"))
    assert await refusal_count(team, "bob") == 1
    assert (await service.get_imap_defaults(team["bob"])).empty
    shown = await service.set_imap_defaults(team["ann"], ImapDefaultsChange(
        host=HOST, port=1993, security="ssl", check_every_minutes=9))
    assert (shown.host, shown.port, shown.security, shown.updated_by) == \
        (HOST, 1993, "ssl", "ann")
    assert (await service.get_imap_defaults(team["bob"])).port == 1993
    [row] = await audit_rows(team, "imap.defaults")
    assert (row["agent_id"], row["host"], row["port"]) == (team["ann"].id, HOST, 1993)
    with pytest.raises(InvalidInputError, match="--port 70000"):
        await service.set_imap_defaults(team["ann"], ImapDefaultsChange(port=70000))
    with pytest.raises(InvalidInputError, match="no such file"):
        await service.set_imap_defaults(team["ann"], ImapDefaultsChange(ca_file="/no/pem"))


async def test_an_account_without_a_host_needs_the_defaults(team) -> None:
    with pytest.raises(InvalidInputError, match="no IMAP server: give --imap-host"):
        await add(team, "bob", "bob-mail", "bob@acme.example", imap_host="")
    await team.service.set_imap_defaults(team["ann"], ImapDefaultsChange(host=HOST))
    with pytest.raises(InvalidInputError, match="a shared account needs --imap-host"):
        await add(team, "ann", "support", "support@acme.example", imap_host="",
                  shared=True)
    await add(team, "bob", "bob-mail", "bob@acme.example", imap_host="")


async def test_defaults_fill_empty_fields_when_read_and_follow_changes(team, tmp_path) -> None:
    service, reader = team.service, team.service.store.reader
    pem = tmp_path / "ca.pem"
    pem.write_text("not read here")
    await service.set_imap_defaults(team["ann"], ImapDefaultsChange(
        host=HOST, port=1143, security="starttls", ca_file=str(pem), check_every_minutes=9))
    mine = await add(team, "bob", "bob-mail", "bob@acme.example", imap_host="")
    other = await add(team, "carol", "carol-mail", "carol@acme.example",
                      imap_host="imap.elsewhere.example")
    shared = await add(team, "ann", "support", "support@acme.example", shared=True)

    row = await reader.fetchone("SELECT imap_host, imap_port, imap_security, ca_file, "
                                "check_every_minutes FROM accounts WHERE id = ?", (mine,))
    assert tuple(row) == (None, None, None, None, 9)  # the store keeps what bob gave
    used = await settings_sql.by_id(reader, mine)
    assert used is not None
    settings = imap_settings(used)
    assert (settings.host, settings.port, settings.security, settings.ca_file) == \
        (HOST, 1143, "starttls", str(pem))
    assert set(used.inherited) == {"imap_host", "imap_port", "imap_security", "ca_file"}

    # Another server: the defaults describe the default host, not this one.
    elsewhere = imap_settings(await settings_sql.by_id(reader, other))
    assert (elsewhere.port, elsewhere.security, elsewhere.ca_file) == (993, "ssl", None)
    # A shared account uses only its own settings.
    assert imap_settings(await settings_sql.by_id(reader, shared)).port == 993

    await service.set_imap_defaults(team["ann"], ImapDefaultsChange(
        host="imap2.acme.example", port=2143))
    moved = imap_settings(await settings_sql.by_id(reader, mine))
    assert (moved.host, moved.port) == ("imap2.acme.example", 2143)

    await service.set_imap_defaults(team["ann"], ImapDefaultsChange(clear=True))
    assert (await service.get_imap_defaults(team["ann"])).empty
    cleared = await settings_sql.by_id(reader, mine)
    assert cleared is not None and cleared.imap_host is None
    with pytest.raises(InvalidInputError, match="no IMAP server configured"):
        imap_settings(cleared)


def test_fill_takes_a_port_only_with_its_security() -> None:
    defaults = ServerFields(HOST, 1993, "ssl", "/ca.pem")
    own = ServerFields(None, None, "starttls", None)
    used = fill(own, defaults)
    assert (used.host, used.port, used.security, used.ca_file) == \
        (HOST, None, "starttls", "/ca.pem")
    assert used.inherited == ("imap_host", "ca_file")
    same = fill(ServerFields(HOST, None, None, None), defaults)
    assert (same.port, same.security, same.inherited) == \
        (1993, "ssl", ("imap_security", "imap_port", "ca_file"))
    assert fill(ServerFields("other.example", None, None, None), defaults) == \
        ServerFields("other.example", None, None, None)


async def test_visibility_helpers_agree_with_the_service(team) -> None:
    await add(team, "bob", "bob-mail", "bob@acme.example")
    await team.service.grant_account(team["bob"], "bob-mail", "carol")
    visible = await visible_accounts(team.service.store, team["carol"].id)
    assert {a.id for a in await team.service.list_accounts(team["carol"])} == set(visible)
