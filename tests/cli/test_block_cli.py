import json
from pathlib import Path

import pytest

from engine.ingest import Incoming, ingest
from engine.service import LocalService
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team, dated, make_gateway, make_mail


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """build_team's store, with mail in support's INBOX from a pest and from a friend."""
    path = tmp_path / "b.db"
    service = await LocalService.open(path)
    try:
        team = await build_team(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
        for n, (subject, sender) in enumerate((("pest 1", "pest@spam.example"),
                                               ("pest 2", "x@mail.spam.example"),
                                               ("friend", "c@example.org"))):
            await ingest(service.store, account_id=team.accounts["support"],
                         folder_id=team.inboxes["support"], items=[Incoming(make_mail(
                             subject, sender=sender, message_id=f"<{n}@x>", when=dated(n)))])
    finally:
        await service.close()
    return path


def subjects(frontdesk: Run, db: Path, agent: str = "bob") -> set[str]:
    result = frontdesk("--db", str(db), "--agent", agent, "list", "--folder", "all", "--json")
    assert result.returncode == 0, result.stderr
    return {row["subject"] for row in json.loads(result.stdout)}


def blocks(frontdesk: Run, db: Path, agent: str = "bob") -> list[dict[str, object]]:
    result = frontdesk("--db", str(db), "--agent", agent, "block", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def listed(frontdesk: Run, db: Path) -> int:
    result = frontdesk("--db", str(db), "--agent", "bob", "list", "--folder", "all", "--json")
    assert result.returncode == 0, result.stderr
    return len(json.loads(result.stdout))


def test_block_list_and_unblock(frontdesk: Run, db: Path) -> None:
    before = listed(frontdesk, db)
    added = frontdesk("--db", str(db), "--agent", "bob", "block", "add", "Spam.Example",
                      "--account", "support")
    assert added.returncode == 0, added.stderr
    assert "blocked domain spam.example on account support" in added.stdout
    assert subjects(frontdesk, db) == {"friend"}
    hidden = before - listed(frontdesk, db)
    assert hidden > 1 and f"; {hidden} stored messages hidden" in added.stdout
    [entry] = blocks(frontdesk, db)
    assert (entry["account"], entry["kind"], entry["value"]) == ("support", "domain",
                                                               "spam.example")
    added = frontdesk("--db", str(db), "--agent", "ann", "block", "add", "pest@spam.example")
    assert added.returncode == 0, added.stderr
    assert "blocked address pest@spam.example on every account" in added.stdout

    table = frontdesk("--db", str(db), "--agent", "bob", "block", "list")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "ACCOUNT", "KIND", "VALUE", "CREATED"]
    assert "every account" in lines[1] and "pest@spam.example" in lines[1]
    assert "support" in lines[2] and "spam.example" in lines[2]

    removed = frontdesk("--db", str(db), "--agent", "bob", "block", "remove",
                        str(entry["id"]))
    assert removed.returncode == 0, removed.stderr
    assert f"unblocked domain spam.example on account support (entry {entry['id']}" in (
        removed.stdout)
    # What only the domain block hid shows again; pest@'s mail stays hidden.
    assert f"; {listed(frontdesk, db) - (before - hidden)} stored message" in removed.stdout
    # pest@ is still blocked on every account.
    assert subjects(frontdesk, db) == {"pest 2", "friend"}
    assert [e["value"] for e in blocks(frontdesk, db)] == ["pest@spam.example"]


def test_refusals_are_one_line_errors(frontdesk: Run, db: Path) -> None:
    def block(*args: str, agent: str = "bob"):
        return frontdesk("--db", str(db), "--agent", agent, "block", *args)

    assert_one_line_error(block("add", "spam.example"), "only an admin")
    assert_one_line_error(block("add", "acme.example", "--account", "support"),
                          "refusing to block acme.example:", "is on it")
    assert_one_line_error(block("add", "support@acme.example", "--account", "support"),
                          "refusing to block support@acme.example")
    assert_one_line_error(block("add", "spam.example", "--account", "sales", agent="carol"),
                          "no account named 'sales'")
    assert_one_line_error(block("add", "not a domain", "--account", "support"),
                          "is not a domain")
    assert_one_line_error(block("remove", "4242"), "block 4242 not found")
    assert blocks(frontdesk, db) == []
    assert subjects(frontdesk, db) == {"pest 1", "pest 2", "friend"}


def test_usage(frontdesk: Run, db: Path) -> None:
    result = frontdesk("--db", str(db), "--agent", "bob", "block", "remove", "first")
    assert result.returncode == 2 and "invalid int value" in result.stderr
    result = frontdesk("block", "--help")
    assert result.returncode == 0 and "add" in result.stdout and "remove" in result.stdout
