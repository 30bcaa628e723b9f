import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.ingest import Incoming, ingest
from engine.service import LocalService
from storage import access
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team, make_gateway, make_mail


@dataclass
class Store:
    path: Path
    invoice: int  # in support, from a customer
    private: int  # in ann-mail

    def args(self, agent: str, *rest: str) -> tuple[str, ...]:
        return ("--db", str(self.path), "--agent", agent, *rest)


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    """build_team's store; ann also runs support; Jane is a customer with mail there."""
    path = tmp_path / "t.db"
    service = await LocalService.open(path)
    try:
        team = await build_team(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
        async with service.store.transaction() as db:
            await access.grant_agent(db, account_id=team.accounts["support"],
                                     agent_id=team.agents["ann"].id, can_act=True,
                                     granted_by=None)
        await service.add_customer(team.agents["ann"], name="Jane <b>Doe</b>",
                                   addresses=["jane@example.org"])
        ids = {}
        for key, account, sender in (("invoice", "support", "Jane <jane@example.org>"),
                                     ("private", "ann-mail", "f@example.net")):
            [ids[key]] = await ingest(
                service.store, account_id=team.accounts[account],
                folder_id=team.inboxes[account], items=[Incoming(make_mail(
                    f"{key} subject", sender=sender, message_id=f"<{key}@x>"))])
    finally:
        await service.close()
    return Store(path, ids["invoice"], ids["private"])


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_template_add_list_show_render_remove(
    frontdesk: Run, frontdesk_in: Run, store: Store, tmp_path: Path
) -> None:
    source = tmp_path / "welcome.j2"
    source.write_text("Dear {{ customer.name }},\nabout {{ message.subject }}\n"
                      "-- {{ agent.name }}, {{ account.name }}\n", encoding="utf-8")
    assert ok(frontdesk(*store.args("bob", "template", "add", "welcome", "--file",
                                    str(source)))) == "saved template welcome (plain)\n"
    html = "<p>Dear {{ customer.name }}</p>"
    assert ok(frontdesk_in(*store.args("carol", "template", "add", "html.v1", "--stdin",
                                       "--html"), stdin=html)) == (
        "saved template html.v1 (html)\n")

    lines = ok(frontdesk(*store.args("ann", "template", "list"))).splitlines()
    assert lines[0].split() == ["NAME", "FORMAT", "AUTHOR", "UPDATED"]
    assert [line.split()[:3] for line in lines[1:]] == [["html.v1", "html", "carol"],
                                                       ["welcome", "plain", "bob"]]
    listed = json.loads(ok(frontdesk(*store.args("ann", "template", "list", "--json"))))
    assert [(t["name"], t["format"], t["author"]) for t in listed] == [
        ("html.v1", "html", "carol"), ("welcome", "plain", "bob")]

    assert ok(frontdesk(*store.args("carol", "template", "show", "welcome"))) == (
        source.read_text(encoding="utf-8"))
    shown = json.loads(ok(frontdesk(*store.args("carol", "template", "show", "html.v1",
                                                "--json"))))
    assert (shown["name"], shown["format"], shown["body"]) == ("html.v1", "html", html)

    assert ok(frontdesk(*store.args("bob", "template", "render", "welcome", "--message",
                                    str(store.invoice)))) == (
        "Dear Jane <b>Doe</b>,\nabout invoice subject\n-- bob, support\n")
    assert ok(frontdesk(*store.args("bob", "template", "render", "welcome", "--account",
                                    "sales"))) == "Dear ,\nabout \n-- bob, sales\n"
    rendered = json.loads(ok(frontdesk(*store.args(
        "bob", "template", "render", "html.v1", "--message", str(store.invoice), "--json"))))
    assert rendered == {"text": "Dear Jane <b>Doe</b>",
                        "html": "<p>Dear Jane &lt;b&gt;Doe&lt;/b&gt;</p>"}

    assert ok(frontdesk(*store.args("ann", "template", "remove", "welcome"))) == (
        "removed template welcome\n")
    assert ok(frontdesk(*store.args("carol", "template", "remove", "html.v1"))) == (
        "removed template html.v1\n")
    assert json.loads(ok(frontdesk(*store.args("ann", "template", "list", "--json")))) == []


def test_template_errors_are_one_line(
    frontdesk: Run, frontdesk_in: Run, store: Store, tmp_path: Path
) -> None:
    def template(agent: str, *args: str, stdin: str = ""):
        return frontdesk_in(*store.args(agent, "template", *args), stdin=stdin)

    assert_one_line_error(template("bob", "add", "bad", "--stdin",
                                   stdin="Hello\n{{ customer.name }\n"),
                          "template bad: line 2:")
    assert_one_line_error(template("bob", "add", "evil", "--stdin",
                                   stdin="{{ ''.__class__.__mro__[1].__subclasses__() }}"),
                          "template evil: line 1: uses something templates may not reach")
    assert_one_line_error(template("bob", "add", "bad name", "--stdin", stdin="Hi"),
                          "is not a template name")
    missing = tmp_path / "missing.j2"
    assert_one_line_error(template("bob", "add", "x", "--file", str(missing)),
                          f"cannot read {missing}")
    latin1 = tmp_path / "latin1.j2"
    latin1.write_bytes("Grüße".encode("latin-1"))
    assert_one_line_error(template("bob", "add", "x", "--file", str(latin1)),
                          "is not UTF-8 text")
    assert_one_line_error(template("bob", "add", "big", "--stdin", stdin="x" * 70_000),
                          "longer than 65,536 characters")
    assert_one_line_error(template("bob", "show", "nope"), "no template named 'nope'")

    ok(template("bob", "add", "mine", "--stdin", stdin="{{ message.subject }}"))
    assert_one_line_error(template("carol", "remove", "mine"), "belongs to bob")
    assert_one_line_error(template("carol", "add", "mine", "--stdin", stdin="x"),
                          "belongs to bob")
    assert_one_line_error(template("carol", "render", "mine", "--message",
                                   str(store.private)),
                          f"message {store.private} not found")
    assert_one_line_error(template("carol", "render", "mine", "--account", "sales"),
                          "no account named 'sales'")

    for usage in (("add", "x"), ("add", "x", "--stdin", "--file", "f"),
                  ("render", "mine", "--message", "first")):
        result = template("bob", *usage)
        assert result.returncode == 2 and "usage:" in result.stderr
    names = json.loads(ok(template("bob", "list", "--json")))
    assert [t["name"] for t in names] == ["mine"]


def test_signatures(frontdesk: Run, frontdesk_in: Run, store: Store, tmp_path: Path) -> None:
    def signature(agent: str, *args: str, stdin: str = ""):
        return frontdesk_in(*store.args(agent, "signature", *args), stdin=stdin)

    result = signature("bob", "show", "--account", "support")
    assert result.returncode == 0 and result.stdout == ""
    assert "no signature for account support" in result.stderr

    assert ok(signature("bob", "set", "--stdin", stdin="-- \nBob\n")) == (
        "set your signature for every account\n")
    company = tmp_path / "company.j2"
    company.write_text("Acme, {{ account.email }}\n", encoding="utf-8")
    assert ok(signature("ann", "set", "--company", "--account", "support", "--file",
                        str(company))) == "set the company signature for account support\n"
    assert ok(signature("bob", "set", "--account", "support", "--stdin",
                        stdin="-- \nBob at {{ account.name }}")) == (
        "set your signature for account support\n")

    assert ok(signature("bob", "show", "--account", "support")) == (
        "-- \nBob at support\n\nAcme, support@acme.example\n")
    assert ok(signature("bob", "show", "--account", "sales")) == "-- \nBob\n"
    assert json.loads(ok(signature("carol", "show", "--account", "support", "--json"))) == {
        "account": "support", "signature": "Acme, support@acme.example"}

    everything = ok(signature("bob", "show"))
    headers = [line.split(" (updated ")[0] for line in everything.splitlines()
               if line.startswith("== ")]
    assert headers == ["== your signature for every account",
                       "== your signature for account support",
                       "== the company signature for account support"]
    assert "Bob at {{ account.name }}" in everything  # as written
    listed = json.loads(ok(signature("bob", "show", "--json")))
    assert [(g["scope"], g["account"]) for g in listed] == [
        ("personal", ""), ("personal", "support"), ("company", "support")]

    assert ok(signature("bob", "clear", "--account", "support")) == (
        "cleared your signature for account support\n")
    assert ok(signature("bob", "show", "--account", "support")) == (
        "-- \nBob\n\nAcme, support@acme.example\n")

    assert_one_line_error(signature("bob", "set", "--company", "--stdin", stdin="Bob Corp"),
                          "only an admin")
    assert_one_line_error(signature("bob", "clear", "--account", "support"),
                          "no personal signature for account support")
    assert_one_line_error(signature("carol", "set", "--account", "sales", "--stdin",
                                    stdin="Carol"), "no account named 'sales'")
    assert_one_line_error(signature("bob", "set", "--stdin", stdin="{{ x.__class__ }}"),
                          "personal signature for every account: line 1: uses something")
    assert_one_line_error(signature("bob", "show", "--account", "ann-mail"),
                          "no account named 'ann-mail'")
    result = signature("bob", "set", "--account", "support")
    assert result.returncode == 2 and "usage:" in result.stderr


def test_help(frontdesk: Run) -> None:
    result = frontdesk("template", "--help")
    assert result.returncode == 0
    assert all(word in result.stdout for word in ("add", "list", "show", "remove", "render"))
    result = frontdesk("signature", "--help")
    assert result.returncode == 0
    assert all(word in result.stdout for word in ("set", "show", "clear"))
