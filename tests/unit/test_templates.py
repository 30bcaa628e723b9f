"""Saved replies and signatures through the Service: who may write and remove them,
refusals at save time, rendering for a message the agent may (not) see, signature
precedence, and the audit log."""

import json
from pathlib import Path

import pytest

from engine import templates
from engine.errors import AccessDeniedError, InvalidInputError, NotFoundError
from engine.ingest import Incoming, ingest
from engine.service import LocalService
from engine.templating import TemplateError
from storage import access
from tests.store_factory import Team, build_team, make_mail


class Setup:
    def __init__(self, service: LocalService, team: Team, ids: dict[str, int]) -> None:
        self.service = service
        self.team = team
        self.ids = ids

    def __getattr__(self, name: str):
        return self.team.agents[name]

    async def audit(self, prefix: str) -> list[tuple[str, str | None, dict[str, object]]]:
        rows = await self.service.store.reader.fetchall(
            "SELECT a.action, g.name, a.detail FROM audit_log AS a "
            "LEFT JOIN agents AS g ON g.id = a.agent_id WHERE a.action LIKE ? ORDER BY a.id",
            (f"{prefix}.%",))
        return [(r[0], r[1], json.loads(r[2])) for r in rows]


@pytest.fixture
async def setup(tmp_path: Path):
    service = await LocalService.open(tmp_path / "t.db")
    team = await build_team(service.store)
    # ann (admin) sees only her own mailbox until granted; she runs support too.
    async with service.store.transaction() as db:
        await access.grant_agent(db, account_id=team.accounts["support"],
                                 agent_id=team.agents["ann"].id, can_act=True, granted_by=None)
    await service.add_customer(team.agents["ann"], name="Jane <script>x</script>",
                               company="Example Ltd", addresses=["jane@example.org"])
    ids = {}
    for key, account, sender in (("invoice", "support", "Jane <jane@example.org>"),
                                 ("private", "ann-mail", "Friend <f@example.net>")):
        [ids[key]] = await ingest(
            service.store, account_id=team.accounts[account], folder_id=team.inboxes[account],
            items=[Incoming(make_mail(f"{key} subject", sender=sender,
                                      message_id=f"<{key}@x>"))],
        )
    yield Setup(service, team, ids)
    await service.close()


async def test_add_list_show_replace_and_remove(setup) -> None:
    s, svc = setup, setup.service
    saved = await svc.add_template(s.bob, "welcome", "Hello {{ customer.name }}\r\n")
    assert (saved.name, saved.format, saved.body, saved.author) == (
        "welcome", "plain", "Hello {{ customer.name }}\n", "bob")
    await svc.add_template(s.carol, "bye.v2", "<p>Bye</p>", html=True)
    assert [t.name for t in await svc.list_templates(s.ann)] == ["bye.v2", "welcome"]
    assert (await svc.template(s.carol, "welcome")).body == "Hello {{ customer.name }}\n"

    # Its author may replace it; the creator stays.
    replaced = await svc.add_template(s.bob, "welcome", "<p>Hi</p>", html=True)
    assert (replaced.id, replaced.format, replaced.author) == (saved.id, "html", "bob")
    # Another agent may not, nor remove it.
    with pytest.raises(AccessDeniedError, match="template welcome belongs to bob"):
        await svc.add_template(s.carol, "welcome", "mine now")
    with pytest.raises(AccessDeniedError, match="only its author or an admin"):
        await svc.remove_template(s.carol, "welcome")
    assert (await svc.template(s.bob, "welcome")).body == "<p>Hi</p>"

    # An admin may.
    removed = await svc.remove_template(s.ann, "welcome")
    assert removed.name == "welcome"
    with pytest.raises(NotFoundError, match="no template named 'welcome'"):
        await svc.template(s.bob, "welcome")
    with pytest.raises(NotFoundError):
        await svc.remove_template(s.ann, "welcome")
    assert await s.audit("template") == [
        ("template.add", "bob", {"name": "welcome", "format": "plain", "replaced": False}),
        ("template.add", "carol", {"name": "bye.v2", "format": "html", "replaced": False}),
        ("template.add", "bob", {"name": "welcome", "format": "html", "replaced": True}),
        ("template.remove", "ann", {"name": "welcome", "format": "html"}),
    ]


async def test_bob_cannot_remove_anns_but_ann_can(setup) -> None:
    s, svc = setup, setup.service
    await svc.add_template(s.ann, "policy", "Our policy.")
    with pytest.raises(AccessDeniedError):
        await svc.remove_template(s.bob, "policy")
    with pytest.raises(AccessDeniedError):
        await svc.add_template(s.bob, "policy", "Bob's policy.")
    await svc.remove_template(s.ann, "policy")
    assert await svc.list_templates(s.bob) == []


@pytest.mark.parametrize("name", ["", "has space", "a/b", "x" * 65, "ünï", "semi;colon"])
async def test_bad_names_are_refused(setup, name: str) -> None:
    with pytest.raises(InvalidInputError, match="is not a template name"):
        await setup.service.add_template(setup.bob, name, "Hello")


@pytest.mark.parametrize(("body", "needle"), [
    ("Hello {{ customer.name", "template t: line 1:"),
    ("ok\n{{ ''.__class__.__mro__ }}", "template t: line 2: uses something templates"),
    # Renders with no data, fails with data: refused now, not when a reply is written.
    ("{{ customer.name + 1 }}", "template t: line 1:"),
    ("{% include 'other' %}", "is not available"),
    ("   \n", "the body is empty"),
])
async def test_broken_templates_are_refused_when_saved(setup, body: str, needle: str) -> None:
    s = setup
    with pytest.raises(InvalidInputError) as info:
        await s.service.add_template(s.bob, "t", body)
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert await s.service.list_templates(s.bob) == []
    assert await s.audit("template") == []


async def test_rendering_for_a_message(setup) -> None:
    s, svc = setup, setup.service
    await svc.add_template(
        s.bob, "reply",
        "Dear {{ customer.name }} of {{ customer.company }},\n"
        "re: {{ message.subject }} ({{ message.from_addr }})\n"
        "{{ agent.name }} for {{ account.name }} <{{ account.email }}>",
    )
    rendered = await svc.render_template(s.bob, "reply", message_id=s.ids["invoice"])
    assert rendered.html is None
    assert rendered.text == (
        "Dear Jane <script>x</script> of Example Ltd,\n"
        "re: invoice subject (jane@example.org)\n"
        "bob for support <support@acme.example>")
    # Another account to reply from wins over the message's.
    other = await svc.render_template(s.bob, "reply", message_id=s.ids["invoice"],
                                      account="sales")
    assert other.text.endswith("bob for sales <sales@acme.example>")
    # With no message and no account, what is missing renders empty.
    bare = await svc.render_template(s.bob, "reply")
    assert bare.text == "Dear  of ,\nre:  ()\nbob for  <>"


async def test_an_html_template_renders_escaped_with_a_text_version(setup) -> None:
    s, svc = setup, setup.service
    await svc.add_template(
        s.carol, "html-reply",
        "<p>Dear <b>{{ customer.name }}</b>,</p><p>see <a href=\"https://acme.example/faq\">"
        "our FAQ</a></p>", html=True)
    rendered = await svc.render_template(s.carol, "html-reply", message_id=s.ids["invoice"])
    assert rendered.html == (
        "<p>Dear <b>Jane &lt;script&gt;x&lt;/script&gt;</b>,</p><p>see "
        "<a href=\"https://acme.example/faq\">our FAQ</a></p>")
    assert rendered.text == (
        "Dear Jane <script>x</script>,\n\nsee our FAQ [1]\n\n[1] https://acme.example/faq")


async def test_rendering_against_what_the_agent_cannot_see(setup) -> None:
    s, svc = setup, setup.service
    await svc.add_template(s.carol, "reply", "{{ message.subject }}")
    # ann-mail is ann's: carol cannot tell it from a message that does not exist.
    with pytest.raises(NotFoundError) as info:
        await svc.render_template(s.carol, "reply", message_id=s.ids["private"])
    assert str(info.value) == f"message {s.ids['private']} not found"
    with pytest.raises(NotFoundError):
        await svc.render_template(s.carol, "reply", message_id=999_999)
    with pytest.raises(NotFoundError, match="no account named 'sales'"):
        await svc.render_template(s.carol, "reply", account="sales")
    with pytest.raises(NotFoundError, match="no template named 'nope'"):
        await svc.render_template(s.carol, "nope", message_id=s.ids["invoice"])
    assert (await svc.render_template(s.ann, "reply", message_id=s.ids["private"])).text == (
        "private subject")


async def test_signature_precedence(setup) -> None:
    s, svc = setup, setup.service
    assert await svc.signature(s.bob, "support") == ""
    await svc.set_signature(s.bob, "-- \nBob, everywhere")
    assert await svc.signature(s.bob, "support") == "-- \nBob, everywhere"
    await svc.set_signature(s.bob, "-- \nBob at {{ account.name }}\n", account="support")
    assert await svc.signature(s.bob, "support") == "-- \nBob at support"
    assert await svc.signature(s.bob, "sales") == "-- \nBob, everywhere"

    await svc.set_signature(s.ann, "Acme Inc.", company=True)
    assert await svc.signature(s.bob, "sales") == "-- \nBob, everywhere\n\nAcme Inc."
    await svc.set_signature(s.ann, "Acme Support, {{ account.email }}", account="support",
                            company=True)
    assert await svc.signature(s.bob, "support") == (
        "-- \nBob at support\n\nAcme Support, support@acme.example")
    assert await svc.signature(s.bob, "sales") == "-- \nBob, everywhere\n\nAcme Inc."
    # carol has none of her own: the company one alone.
    assert await svc.signature(s.carol, "support") == "Acme Support, support@acme.example"

    # Setting again replaces; clearing falls back to the every-account one.
    await svc.set_signature(s.bob, "Bob (support)", account="support")
    assert (await svc.signature(s.bob, "support")).startswith("Bob (support)\n\n")
    cleared = await svc.clear_signature(s.bob, account="support")
    assert (cleared.scope, cleared.account, cleared.body) == ("personal", "support",
                                                             "Bob (support)")
    assert await svc.signature(s.bob, "support") == (
        "-- \nBob, everywhere\n\nAcme Support, support@acme.example")
    with pytest.raises(NotFoundError, match="no personal signature for account support"):
        await svc.clear_signature(s.bob, account="support")

    listed = await svc.list_signatures(s.bob)
    assert [(g.scope, g.account, g.agent_id) for g in listed] == [
        ("personal", "", s.bob.id), ("company", "", None), ("company", "support", None)]
    # carol cannot see sales: a company signature there would not be listed for her.
    assert [g.scope for g in await svc.list_signatures(s.carol)] == ["company", "company"]

    support = s.team.accounts["support"]
    assert await s.audit("signature") == [
        ("signature.set", "bob", {"scope": "personal", "account_id": None, "account": ""}),
        ("signature.set", "bob", {"scope": "personal", "account_id": support,
                                  "account": "support"}),
        ("signature.set", "ann", {"scope": "company", "account_id": None, "account": ""}),
        ("signature.set", "ann", {"scope": "company", "account_id": support,
                                  "account": "support"}),
        ("signature.set", "bob", {"scope": "personal", "account_id": support,
                                  "account": "support"}),
        ("signature.clear", "bob", {"scope": "personal", "account_id": support,
                                    "account": "support"}),
    ]


async def test_company_signatures_are_for_admins(setup) -> None:
    s, svc = setup, setup.service
    with pytest.raises(AccessDeniedError, match="only an admin"):
        await svc.set_signature(s.bob, "Bob Corp", company=True)
    with pytest.raises(AccessDeniedError, match="only an admin"):
        await svc.set_signature(s.bob, "Bob Corp", account="support", company=True)
    await svc.set_signature(s.ann, "Acme", company=True)
    with pytest.raises(AccessDeniedError):
        await svc.clear_signature(s.bob, company=True)
    assert await svc.signature(s.bob, "support") == "Acme"
    await svc.clear_signature(s.ann, company=True)
    assert await svc.signature(s.bob, "support") == ""


async def test_signatures_refused_for_accounts_not_seen_and_broken_bodies(setup) -> None:
    s, svc = setup, setup.service
    with pytest.raises(NotFoundError, match="no account named 'ann-mail'"):
        await svc.set_signature(s.bob, "Bob", account="ann-mail")
    with pytest.raises(NotFoundError):
        await svc.signature(s.carol, "sales")
    with pytest.raises(TemplateError, match=r"^personal signature for every account: line 2:"):
        await svc.set_signature(s.bob, "Bob\n{% for %}")
    assert await svc.list_signatures(s.bob) == []


async def test_signature_for_a_reply_uses_the_message(setup) -> None:
    s, svc = setup, setup.service
    await svc.set_signature(s.bob, "Thanks, {{ customer.name|default('there') }}!")
    assert await svc.signature(s.bob, "support") == "Thanks, there!"
    found = await templates.reply_context(svc.store, s.bob, message_id=s.ids["invoice"],
                                          account=None)
    assert found.account is not None and found.account.name == "support"
    text = await templates.signature_for(svc.store, s.bob, found.account.id,
                                         customer=found.customer, message=found.message)
    assert text == "Thanks, Jane <script>x</script>!"


async def test_a_deactivated_agent_can_do_nothing(setup) -> None:
    s, svc = setup, setup.service
    await svc.add_template(s.bob, "welcome", "Hi")
    async with svc.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE name = 'bob'")
    with pytest.raises(AccessDeniedError, match="deactivated"):
        await svc.list_templates(s.bob)
    with pytest.raises(AccessDeniedError):
        await svc.remove_template(s.bob, "welcome")
    with pytest.raises(AccessDeniedError):
        await svc.set_signature(s.bob, "Bob")
