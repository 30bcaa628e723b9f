"""Refusals on the command line (one line, exit 1) and `frontdesk audit`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.service import LocalService
from tests.access_world import ALICE_MAIL, ALICE_SECRET, build_world
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import make_gateway


@pytest.fixture
async def store(tmp_path: Path) -> tuple[Path, int]:
    """The access world (tests/access_world.py); the path and alice's secret's id."""
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        world = await build_world(service, tmp_path)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
    finally:
        await service.close()
    return path, world.mail[ALICE_SECRET]


def run_as(frontdesk: Run, db: Path, agent: str, *args: str):
    return frontdesk("--db", str(db), "--agent", agent, *args)


def test_refusals_are_one_line_and_audited(frontdesk: Run, store) -> None:
    db, secret = store
    assert_one_line_error(run_as(frontdesk, db, "bob", "delete", str(secret)),
                          f"message {secret} not found")
    granted = run_as(frontdesk, db, "alice", "account", "grant", ALICE_MAIL, "--to", "bob")
    assert granted.returncode == 0, granted.stderr
    assert_one_line_error(
        run_as(frontdesk, db, "bob", "archive", str(secret)),
        "read-only access to account 'alice-mail'",
        "frontdesk account grant alice-mail --to bob --act")

    shown = run_as(frontdesk, db, "alice", "audit", "--json")
    assert shown.returncode == 0, shown.stderr
    refused = [r for r in json.loads(shown.stdout) if r["action"] == "access.refused"]
    assert [(r["agent"], r["target_kind"], r["target_id"], r["detail"]["method"])
            for r in refused] == [("bob", "message", secret, "archive_message"),
                                  ("bob", "message", secret, "delete_message")]


def test_audit_prints_a_table_newest_first(frontdesk: Run, store) -> None:
    db, _ = store
    shown = run_as(frontdesk, db, "admin", "audit", "--limit", "2")
    assert shown.returncode == 0, shown.stderr
    header, *rows = shown.stdout.splitlines()
    assert header.split() == ["ID", "AT", "AGENT", "ACTION", "TARGET", "DETAIL"]
    assert len(rows) == 2
    assert int(rows[0].split()[0]) > int(rows[1].split()[0])
    older = run_as(frontdesk, db, "admin", "audit", "--before", rows[1].split()[0],
                   "--json")
    assert all(r["id"] < int(rows[1].split()[0]) for r in json.loads(older.stdout))
    # bob wrote nothing and sees nothing of alice's yet.
    assert run_as(frontdesk, db, "bob", "audit", "--json").stdout.strip() == "[]"


def test_audit_usage_errors_exit_2(frontdesk: Run, store) -> None:
    db, _ = store
    result = run_as(frontdesk, db, "alice", "audit", "--limit", "0")
    assert result.returncode == 2
    assert "must be at least 1" in result.stderr
