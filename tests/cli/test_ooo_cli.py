import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.service import LocalService
from storage import access
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team, make_gateway


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """build_team's store; ann (admin) also works in support."""
    path = tmp_path / "o.db"
    service = await LocalService.open(path)
    try:
        team = await build_team(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
        async with service.store.transaction() as db:
            await access.grant_agent(db, account_id=team.accounts["support"],
                                     agent_id=team.agents["ann"].id, can_act=True,
                                     granted_by=None)
    finally:
        await service.close()
    return path


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def shown(frontdesk: Run, db: Path, agent: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(frontdesk(
        "--db", str(db), "--agent", agent, "ooo", "show", "--json")))
    return found


def test_set_show_clear_own(frontdesk: Run, frontdesk_in: Run, db: Path) -> None:
    def ooo(*rest: str, agent: str = "bob") -> Any:
        return frontdesk("--db", str(db), "--agent", agent, "ooo", *rest)

    empty = ooo("show")
    assert ok(empty) == "" and "no out of office" in empty.stderr

    said = ok(ooo("set", "--from", "2026-12-20", "--until", "2027-01-02",
                  "--body", "Away until {{ 'January' }}.", "--subject", "Away"))
    assert said == "set your out of office from 2026-12-20T00:00:00Z until " \
        "2027-01-02T23:59:59Z\n"
    [mine] = shown(frontdesk, db, "bob")
    assert (mine["agent"], mine["account"], mine["starts"], mine["ends"], mine["subject"],
            mine["body"], mine["format"]) == (
        "bob", "", "2026-12-20T00:00:00Z", "2027-01-02T23:59:59Z", "Away",
        "Away until {{ 'January' }}.", "plain")
    assert shown(frontdesk, db, "carol") == []  # another agent's own is not shown

    lines = ok(ooo("show")).splitlines()
    assert lines[0].split() == ["FOR", "FROM", "UNTIL", "NOW", "SUBJECT", "TEXT"]
    now = datetime.now(UTC)
    state = ("ahead" if now < datetime(2026, 12, 20, tzinfo=UTC) else
             "away" if now < datetime(2027, 1, 3, tzinfo=UTC) else "over")
    assert lines[1].split() == ["agent", "bob", "2026-12-20T00:00:00Z",
                                "2027-01-02T23:59:59Z", state, "Away", "Away", "until",
                                "{{", "'January'", "}}."]

    # Setting again replaces it; the text may come from standard input, as HTML.
    ok(frontdesk_in("--db", str(db), "--agent", "bob", "ooo", "set", "--from",
                    "2027-03-01T09:00", "--until", "2027-03-02T17:00+01:00", "--body-file",
                    "-", "--html", stdin="<p>Back on Monday</p>\n"))
    [mine] = shown(frontdesk, db, "bob")
    assert (mine["starts"], mine["ends"], mine["format"], mine["body"]) == (
        "2027-03-01T09:00:00Z", "2027-03-02T16:00:00Z", "html", "<p>Back on Monday</p>\n")

    assert ok(ooo("clear")) == "cleared your out of office\n"
    assert shown(frontdesk, db, "bob") == []
    again = ooo("clear")
    assert ok(again) == "" and "your out of office was not set" in again.stderr


def test_mailbox_out_of_office(frontdesk: Run, frontdesk_in: Run, db: Path) -> None:
    ok(frontdesk_in("--db", str(db), "--agent", "ann", "template", "add", "closed",
                    "--stdin", stdin="We are closed."))
    said = ok(frontdesk("--db", str(db), "--agent", "ann", "ooo", "set", "--account",
                        "support", "--from", "2026-12-24", "--until", "2026-12-26",
                        "--template", "closed"))
    assert said.startswith("set the out of office of the mailbox support from 2026-12-24")
    # Whoever sees the mailbox sees its out of office.
    [theirs] = shown(frontdesk, db, "carol")
    assert (theirs["account"], theirs["agent"], theirs["template"], theirs["body"]) == (
        "support", "", "closed", "We are closed.")
    line = ok(frontdesk("--db", str(db), "--agent", "carol", "ooo", "show")).splitlines()[1]
    assert line.startswith("mailbox support") and line.rstrip().endswith("template closed")
    assert shown(frontdesk, db, "ann")[0]["account"] == "support"

    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "ooo", "clear",
                                    "--account", "support"), "only an admin")
    assert ok(frontdesk("--db", str(db), "--agent", "ann", "ooo", "clear", "--account",
                        "support")) == "cleared the out of office of the mailbox support\n"
    assert shown(frontdesk, db, "carol") == []


@pytest.mark.parametrize(("options", "needles"), [
    (("--from", "2026-13-01", "--until", "2026-12-31", "--body", "x"),
     ("the start '2026-13-01' is not a date",)),
    (("--from", "2026-12-01", "--until", "next week", "--body", "x"),
     ("the end 'next week' is not a date",)),
    (("--from", "2026-12-10", "--until", "2026-12-01", "--body", "x"),
     ("ends before it starts",)),
    (("--from", "2026-12-01", "--until", "2026-12-02", "--body", "  "), ("needs its text",)),
    (("--from", "2026-12-01", "--until", "2026-12-02", "--template", "nope"),
     ("no template named 'nope'",)),
    (("--from", "2026-12-01", "--until", "2026-12-02", "--body", "{% if %}"),
     ("out of office",)),
    (("--from", "2026-12-01", "--until", "2026-12-02", "--body", "x", "--account",
      "support"), ("only an admin",)),
    (("--from", "2026-12-01", "--until", "2026-12-02", "--body", "x", "--account",
      "sales"), ("no account named 'sales'",)),
    (("--from", "2026-12-01", "--until", "2026-12-02", "--body-file", "/no/such/file"),
     ("cannot read /no/such/file",)),
])
def test_bad_out_of_office(frontdesk: Run, db: Path, options: tuple[str, ...],
                           needles: tuple[str, ...]) -> None:
    result = frontdesk("--db", str(db), "--agent", "carol", "ooo", "set", *options)
    assert_one_line_error(result, *needles)
    assert shown(frontdesk, db, "carol") == []


def test_usage(frontdesk: Run, db: Path) -> None:
    result = frontdesk("--db", str(db), "--agent", "bob", "ooo", "set", "--from",
                       "2026-12-01", "--until", "2026-12-02")
    assert result.returncode == 2 and "--body" in result.stderr
    result = frontdesk("ooo", "--help")
    assert result.returncode == 0
    assert all(action in result.stdout for action in ("set", "clear", "show"))
