"""`frontdesk delete`, `archive` and `restore`: one line out, errors one line, exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.service import LocalService
from storage import folders
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.listing_store import ListingStore, build_listing_store
from tests.store_factory import make_gateway


@pytest.fixture
async def store(tmp_path: Path) -> tuple[Path, ListingStore]:
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        data = await build_listing_store(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
        async with service.store.transaction() as db:
            data.folders[("support", "Trash")] = await folders.insert(
                db, account_id=data.team.accounts["support"], name="Trash", role="trash")
            # support is on a server: its moves go through queued jobs
            await db.execute("UPDATE accounts SET imap_host = 'imap.example' WHERE id = ?",
                             (data.team.accounts["support"],))
    finally:
        await service.close()
    return path, data


def run(frontdesk: Run, db: Path, *args: str, agent: str = "bob") -> str:
    result = frontdesk("--db", str(db), "--agent", agent, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def ids_in(frontdesk: Run, db: Path, spec: str) -> set[int]:
    rows = json.loads(run(frontdesk, db, "list", "--folder", spec, "--json"))
    return {int(r["id"]) for r in rows}


def test_delete_moves_to_trash_and_says_the_server_follows(frontdesk: Run, store) -> None:
    db, data = store
    target = data.ids["invoice"]
    out = run(frontdesk, db, "delete", str(target))
    assert out == (f"message {target} moved to Trash (the server follows within seconds "
                   "when the engine runs)\n")
    assert target not in ids_in(frontdesk, db, "support:INBOX")
    assert target in ids_in(frontdesk, db, "support:Trash")
    # moving still pending on the server: acting again is refused, in one line
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "delete", str(target)),
                          f"message {target} is gone", "nothing changed")


def test_archive_moves_to_archive(frontdesk: Run, store) -> None:
    db, data = store
    target = data.ids["reset"]
    out = run(frontdesk, db, "archive", str(target))
    assert out.startswith(f"message {target} moved to Archive (the server follows")
    assert target in ids_in(frontdesk, db, "support:Archive")


def test_delete_without_trash_deletes_for_good(frontdesk: Run, store) -> None:
    db, data = store
    target = data.ids["bob_private"]
    assert run(frontdesk, db, "delete", str(target)) == f"message {target} deleted for good\n"
    assert target not in ids_in(frontdesk, db, "bob-mail:INBOX")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "delete", str(target)),
                          f"message {target} is gone: another agent deleted or moved it")


def test_errors_are_one_line(frontdesk: Run, store) -> None:
    db, data = store
    assert_one_line_error(
        frontdesk("--db", str(db), "--agent", "bob", "archive", str(data.ids["bob_private"])),
        "has no Archive folder", "frontdesk account folders bob-mail --role FOLDER=archive")
    assert_one_line_error(
        frontdesk("--db", str(db), "--agent", "carol", "delete", str(data.ids["bob_private"])),
        f"message {data.ids['bob_private']} not found")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "archive", "999999"),
                          "message 999999 not found")
    usage = frontdesk("--db", str(db), "delete", "nope")
    assert usage.returncode == 2 and "invalid int value" in usage.stderr


def test_restore_undoes_a_delete_and_refuses_in_one_line(frontdesk: Run, store) -> None:
    db, data = store
    target = data.ids["invoice"]
    run(frontdesk, db, "delete", str(target))
    # the server job had not run: it is withdrawn, nothing is left for the server to do
    assert run(frontdesk, db, "restore", str(target)) == f"message {target} moved to INBOX\n"
    assert target in ids_in(frontdesk, db, "support:INBOX")
    assert target not in ids_in(frontdesk, db, "support:Trash")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "restore", str(target)),
                          f"message {target} is in INBOX, not in Trash or Archive")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "restore", "999999"),
                          "message 999999 not found")
