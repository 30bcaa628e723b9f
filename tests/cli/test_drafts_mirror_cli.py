"""`frontdesk account drafts NAME [--mirror on|off]`: shown to anyone who sees the
account, set by its owner only, refused in one line for a shared account."""

import json
from pathlib import Path

import pytest

from engine.identity import os_user
from engine.service import LocalService
from storage import access
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team


@pytest.fixture
async def db(tmp_path: Path) -> str:
    """build_team's store, where carol may also see ann's mailbox; this login may act as
    any of its agents."""
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        team = await build_team(service.store)
        async with service.store.transaction() as tx:
            await access.grant_agent(tx, account_id=team.accounts["ann-mail"],
                                     agent_id=team.agents["carol"].id, can_act=True,
                                     granted_by=team.agents["ann"].id)
            await tx.execute("INSERT INTO agent_gateways (os_user) VALUES (?)", (os_user(),))
    finally:
        await service.close()
    return str(path)


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_the_owner_turns_the_mirror_on_and_off(frontdesk: Run, db: str) -> None:
    bob = ("--db", db, "--agent", "bob", "account", "drafts", "bob-mail")
    assert ok(frontdesk(*bob)) == (
        "drafts of bob-mail stay in frontdesk; mirror them with "
        "`frontdesk account drafts bob-mail --mirror on`\n")
    assert ok(frontdesk(*bob, "--mirror", "on")).startswith(
        "drafts of bob-mail are mirrored, but no Drafts folder is known yet")
    shown = json.loads(ok(frontdesk(*bob, "--json")))
    assert shown == {"account": "bob-mail", "kind": "personal", "on": True,
                     "drafts_folder": None}
    assert json.loads(ok(frontdesk(*bob, "--mirror", "off", "--json")))["on"] is False


def test_shared_and_other_agents_accounts_are_refused(frontdesk: Run, db: str) -> None:
    assert_one_line_error(
        frontdesk("--db", db, "--agent", "bob", "account", "drafts", "support", "--mirror",
                  "on"),
        "account 'support' is shared", "never mirrored")
    assert ok(frontdesk("--db", db, "--agent", "bob", "account", "drafts", "support")) == (
        "drafts of support are never mirrored: it is a shared account\n")
    assert_one_line_error(
        frontdesk("--db", db, "--agent", "carol", "account", "drafts", "bob-mail",
                  "--mirror", "on"),
        "no account named 'bob-mail'")
    assert_one_line_error(
        frontdesk("--db", db, "--agent", "ann", "account", "drafts", "bob-mail"),
        "no account named 'bob-mail'")
    assert_one_line_error(
        frontdesk("--db", db, "--agent", "carol", "account", "drafts", "ann-mail",
                  "--mirror", "on"),
        "account 'ann-mail' belongs to another agent")
    assert ok(frontdesk("--db", db, "--agent", "carol", "account", "drafts",
                        "ann-mail")).startswith("drafts of ann-mail stay in frontdesk")
    result = frontdesk("--db", db, "--agent", "bob", "account", "drafts", "bob-mail",
                       "--mirror", "maybe")
    assert result.returncode == 2 and "invalid choice: 'maybe'" in result.stderr
    shown = json.loads(ok(frontdesk("--db", db, "--agent", "bob", "account", "drafts",
                                    "bob-mail", "--json")))
    assert shown["on"] is False
