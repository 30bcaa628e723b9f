"""`frontdesk customer add|list|show|pair`, run as the installed command would be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.service import LocalService
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import make_gateway
from tests.unit.test_customers import JANE_ADDR, build_mailroom


@pytest.fixture
async def store(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        _, ids = await build_mailroom(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
    finally:
        await service.close()
    return path, ids


def as_json(frontdesk: Run, db: Path, agent: str, *args: str) -> Any:
    result = frontdesk("--db", str(db), "--agent", agent, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_add_then_list_and_search(frontdesk: Run, store) -> None:
    db, _ = store
    added = frontdesk("--db", str(db), "--agent", "bob", "customer", "add", "Jane Doe",
                      "--company", "Client Ltd", "--email", "Jane.Doe@Client.example",
                      "--email", "j2@client.example", "--notes", "VIP")
    assert added.returncode == 0, added.stderr
    assert "Jane Doe" in added.stdout and JANE_ADDR in added.stdout
    other = as_json(frontdesk, db, "carol", "customer", "add", "Globex Buyer",
                    "--company", "Globex")
    assert other["name"] == "Globex Buyer" and other["addresses"] == []

    everyone = as_json(frontdesk, db, "carol", "customer", "list")
    assert [c["name"] for c in everyone] == ["Globex Buyer", "Jane Doe"]
    jane = everyone[1]
    assert jane["addresses"] == ["j2@client.example", JANE_ADDR]
    assert jane["company"] == "Client Ltd" and jane["notes"] == "VIP"
    found = as_json(frontdesk, db, "carol", "customer", "list", "--search", "jdoe")
    assert [c["id"] for c in found] == [jane["id"]]
    assert as_json(frontdesk, db, "carol", "customer", "list", "--limit", "1") == [everyone[0]]

    table = frontdesk("--db", str(db), "--agent", "carol", "customer", "list",
                      "--search", "glob")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "COMPANY", "ADDRESSES"]
    assert len(lines) == 2 and "Globex Buyer" in lines[1]


def test_pair_by_message_and_by_address(frontdesk: Run, store) -> None:
    db, ids = store
    jane = as_json(frontdesk, db, "bob", "customer", "add", "Jane")
    before = as_json(frontdesk, db, "bob", "list", "--folder", "all")
    assert all(r["customer_id"] is None for r in before)

    paired = frontdesk("--db", str(db), "--agent", "bob", "customer", "pair",
                       "--message", str(ids["order"]), str(jane["id"]))
    assert paired.returncode == 0, paired.stderr
    assert JANE_ADDR in paired.stdout
    after = {r["id"]: r["customer_id"]
             for r in as_json(frontdesk, db, "bob", "list", "--folder", "all")}
    assert {k for k, v in after.items() if v == jane["id"]} == {
        ids["order"], ids["bob_private"], ids["sales"]}

    zed = as_json(frontdesk, db, "bob", "customer", "add", "Zed")
    refused = frontdesk("--db", str(db), "--agent", "bob", "customer", "pair", JANE_ADDR,
                        str(zed["id"]))
    assert_one_line_error(refused, f"customer {jane['id']} (Jane)", "--move")
    moved = as_json(frontdesk, db, "bob", "customer", "pair", JANE_ADDR, str(zed["id"]),
                    "--move")
    assert moved["addresses"] == [JANE_ADDR]
    shown = as_json(frontdesk, db, "bob", "customer", "show", str(jane["id"]))
    assert shown["customer"]["addresses"] == []


def test_show_lists_the_timeline_the_agent_may_see(frontdesk: Run, store) -> None:
    db, ids = store
    jane = as_json(frontdesk, db, "bob", "customer", "add", "Jane", "--email", JANE_ADDR)
    for_bob = as_json(frontdesk, db, "bob", "customer", "show", str(jane["id"]))
    assert [m["id"] for m in for_bob["messages"]] == [
        ids[k] for k in ("sales", "bob_private", "cc", "answer", "order")]
    assert for_bob["total"] == 5
    for_carol = as_json(frontdesk, db, "carol", "customer", "show", str(jane["id"]),
                        "--limit", "2")
    assert [m["id"] for m in for_carol["messages"]] == [ids["cc"], ids["answer"]]
    assert for_carol["total"] == 3

    text = frontdesk("--db", str(db), "--agent", "carol", "customer", "show",
                     str(jane["id"]))
    assert text.returncode == 0, text.stderr
    assert f"Customer {jane['id']}: Jane" in text.stdout
    assert "Messages: 3 of 3" in text.stdout
    assert "Re: Order 1" in text.stdout and "support" in text.stdout
    assert "Private to bob" not in text.stdout and "Sales question" not in text.stdout


def test_errors_are_one_line_and_usage_errors_exit_2(frontdesk: Run, store) -> None:
    db, ids = store
    base = ("--db", str(db), "--agent", "carol", "customer")
    assert_one_line_error(frontdesk(*base, "show", "999"), "customer 999 not found")
    assert_one_line_error(frontdesk(*base, "add", "  "), "name")
    jane = as_json(frontdesk, db, "carol", "customer", "add", "Jane")
    assert_one_line_error(frontdesk(*base, "pair", "not an address", str(jane["id"])),
                          "not an email address")
    assert_one_line_error(
        frontdesk(*base, "pair", "--message", str(ids["bob_private"]), str(jane["id"])),
        "not found")
    neither = frontdesk(*base, "pair", str(jane["id"]))
    assert neither.returncode == 2
    assert "--message" in neither.stderr
    both = frontdesk(*base, "pair", "--message", "1", JANE_ADDR, str(jane["id"]))
    assert both.returncode == 2
    assert "not both" in both.stderr
    assert frontdesk(*base, "show", "nine").returncode == 2
