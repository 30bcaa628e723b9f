import json
from pathlib import Path

import pytest

from engine.service import LocalService
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
    finally:
        await service.close()
    return path, data


def listed(frontdesk: Run, db: Path, agent: str, *args: str) -> list[dict[str, object]]:
    result = frontdesk("--db", str(db), "--agent", agent, "list", *args, "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_search_without_folder_searches_every_folder(frontdesk: Run, store) -> None:
    db, data = store
    rows = listed(frontdesk, db, "bob", "--search", "from:alice")
    assert {data.key_of(int(r["id"])) for r in rows} == {"archived", "invoice", "reply",
                                                         "sales_lead"}
    dates = [str(r["date"]) for r in rows]
    assert dates == sorted(dates, reverse=True)
    inbox = listed(frontdesk, db, "bob", "--folder", "unified:inbox", "--search", "from:alice")
    assert {data.key_of(int(r["id"])) for r in inbox} == {"invoice", "reply", "sales_lead"}


def test_unread_threads_and_limit(frontdesk: Run, store) -> None:
    db, data = store
    unread = listed(frontdesk, db, "bob", "--unread")
    assert unread and all(r["seen"] is False for r in unread)
    threads = {data.key_of(int(r["id"])): r["thread_count"]
               for r in listed(frontdesk, db, "bob", "--threads", "--search", "invoice")}
    assert threads == {"reply": 2}
    assert len(listed(frontdesk, db, "bob", "--folder", "all", "--limit", "2")) == 2
    table = frontdesk("--db", str(db), "--agent", "bob", "list", "--threads", "--search",
                      'subject:"invoice 42"')
    assert table.returncode == 0, table.stderr
    assert "(2) Re: Invoice 42 is wrong" in table.stdout


def test_search_never_shows_mail_the_agent_may_not_see(frontdesk: Run, store) -> None:
    db, data = store
    rows = listed(frontdesk, db, "carol", "--search", "zeppelin")
    assert {data.key_of(int(r["id"])) for r in rows} == {"archived", "invoice"}
    assert listed(frontdesk, db, "carol", "--search", "account:bob-mail") == []


def test_bad_queries_are_one_line_errors(frontdesk: Run, store) -> None:
    db, _ = store
    assert_one_line_error(
        frontdesk("--db", str(db), "--agent", "bob", "list", "--search", "colour:red"),
        "unknown operator colour:", "from:")
    assert_one_line_error(
        frontdesk("--db", str(db), "--agent", "bob", "list", "--search", 'subject:"late'),
        "never closed")
    assert_one_line_error(
        frontdesk("--db", str(db), "--agent", "bob", "list", "--search", "before:2026-02-30"),
        "YYYY-MM-DD")
    assert_one_line_error(
        frontdesk("--db", str(db), "--agent", "bob", "list", "--folder", "sales:Nope"),
        "no folder")


def test_a_reader_that_stops_early_is_not_an_error(cli_env: dict[str, str], store) -> None:
    """`frontdesk list --json | head -c 10`: no traceback, exit 0."""
    import subprocess
    import sys

    from tests.cli.conftest import ROOT

    db, _ = store
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(db), "--agent", "bob", "list",
         "--folder", "all", "--limit", "100000", "--json"],
        cwd=ROOT, env={**cli_env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(1) == b"["
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
