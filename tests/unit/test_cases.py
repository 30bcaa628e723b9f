"""Converting threads to leads and cases, and the life of a case, through the Service."""

import asyncio
import json
from pathlib import Path

import pytest

from engine import cases as cases_engine
from engine.errors import GoneError, InvalidInputError, NotFoundError
from engine.ingest import Incoming, ingest
from engine.service import LocalService
from storage import cases as cases_sql
from storage import customers
from storage import leads as leads_sql
from tests.store_factory import Team, build_team, dated, make_mail

JANE = '"Doe, Jane" <Jane@Cust.example>'


async def _mail(service: LocalService, t: Team, account: str, raw: bytes) -> int:
    (found,) = await ingest(service.store, account_id=t.accounts[account],
                            folder_id=t.inboxes[account], items=[Incoming(raw)])
    return found


async def _count(service: LocalService, sql: str, *params: object) -> int:
    return int(await service.store.reader.scalar(sql, params))


@pytest.fixture
async def team(tmp_path: Path):
    service = await LocalService.open(tmp_path / "s.db")
    t = await build_team(service.store)
    yield service, t
    await service.close()


@pytest.fixture
async def thread(team):
    """A support@ thread: Jane's question (earliest) and bob's reply. The reply is stored
    first, so the first message is not the lowest id."""
    service, t = team
    reply = await _mail(service, t, "support", make_mail(
        "Re: Printer on fire", sender="Bob <support@acme.example>", message_id="<r1@x>",
        in_reply_to="<q1@x>", when=dated(5)))
    question = await _mail(service, t, "support", make_mail(
        "Printer on fire", sender=JANE, message_id="<q1@x>", when=dated(1)))
    assert question > reply
    return service, t, question, reply


async def test_case_is_built_from_the_first_message(thread) -> None:
    service, t, question, reply = thread
    bob = t.agents["bob"]
    made = await service.convert(bob, reply, "case")
    assert (made.kind, made.label, made.created) == ("case", "C-000001", True)
    case = await service.case(bob, "C-000001")
    assert case.id == made.id
    assert case.subject == "Printer on fire"
    assert case.source_message_id == question
    assert (case.status, case.priority) == ("open", "normal")
    assert (case.assignee_id, case.assignee, case.created_by) == (bob.id, "bob", bob.id)
    assert case.customer_id is None
    view = await service.open_message(bob, reply)
    assert case.thread_ids == (view.thread_id,)


async def test_lead_is_built_from_the_first_message(thread) -> None:
    service, t, question, reply = thread
    bob = t.agents["bob"]
    made = await service.convert(bob, reply, "lead")
    assert (made.kind, made.label, made.created) == ("lead", "Jane Doe", True)
    (lead,) = await leads_sql.list_visible(service.store.reader, agent_id=bob.id,
                                           account_ids={t.accounts["support"]})
    assert lead.id == made.id
    assert (lead.name, lead.email, lead.company) == ("Jane Doe", "jane@cust.example", "")
    assert (lead.status, lead.customer_id, lead.created_by) == ("new", None, bob.id)
    assert lead.source_message_id == question


async def test_converting_again_returns_what_exists(thread) -> None:
    service, t, question, reply = thread
    bob, carol = t.agents["bob"], t.agents["carol"]
    first_case = await service.convert(bob, reply, "case")
    first_lead = await service.convert(bob, question, "lead")
    again_case = await service.convert(carol, question, "case")
    again_lead = await service.convert(carol, reply, "lead")
    assert (again_case.id, again_case.label, again_case.created) == (
        first_case.id, "C-000001", False)
    assert (again_lead.id, again_lead.created) == (first_lead.id, False)
    assert await _count(service, "SELECT count(*) FROM cases") == 1
    assert await _count(service, "SELECT count(*) FROM case_threads") == 1
    assert await _count(service, "SELECT count(*) FROM leads") == 1
    # Finding the existing one changes nothing, so nothing is audited.
    assert await _count(service, "SELECT count(*) FROM audit_log WHERE action LIKE "
                        "'convert.%'") == 2


@pytest.mark.parametrize("kind", ["case", "lead"])
async def test_two_connections_converting_at_once_make_one(
    thread, tmp_path: Path, kind: str
) -> None:
    service, t, question, reply = thread
    other = await LocalService.open(tmp_path / "s.db")
    try:
        results = await asyncio.gather(
            service.convert(t.agents["bob"], reply, kind),
            other.convert(t.agents["carol"], question, kind),
        )
    finally:
        await other.close()
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].id == results[1].id
    table = "cases" if kind == "case" else "leads"
    assert await _count(service, f"SELECT count(*) FROM {table}") == 1


async def test_the_unique_thread_constraints_refuse_a_second_row(thread) -> None:
    """What a racing connection meets if it missed the first row: None, nothing written."""
    service, t, question, _ = thread
    thread_id = (await service.open_message(t.agents["bob"], question)).thread_id
    assert thread_id is not None
    for _ in range(2):
        async with service.store.transaction() as db:
            made_case = await cases_sql.create(
                db, subject="s", thread_id=thread_id, assignee_id=None, customer_id=None,
                source_message_id=question, created_by=None)
            made_lead = await leads_sql.insert(
                db, name="n", email="e", company="", customer_id=None, thread_id=thread_id,
                source_message_id=question, created_by=None)
    assert (made_case, made_lead) == (None, None)
    assert await _count(service, "SELECT count(*) FROM cases") == 1
    assert await _count(service, "SELECT count(*) FROM leads") == 1


async def test_later_mail_of_the_thread_is_the_cases_even_when_closed(thread) -> None:
    service, t, question, _ = thread
    bob = t.agents["bob"]
    made = await service.convert(bob, question, "case")
    await service.set_case_status(bob, made.label, "closed")
    late = await _mail(service, t, "support", make_mail(
        "Re: Printer on fire", sender=JANE, message_id="<late@x>", in_reply_to="<r1@x>",
        when=dated(9)))
    listed = await cases_engine.case_messages(service.store, bob, made.label)
    assert listed[0].id == question
    assert listed[-1].id == late
    assert len(listed) == 3
    case = await service.case(bob, made.label)
    assert case.status == "closed"  # not reopened by the new mail
    assert len(case.thread_ids) == 1


async def test_close_reopen_and_status_audit(thread) -> None:
    service, t, question, _ = thread
    bob = t.agents["bob"]
    made = await service.convert(bob, question, "case")
    async with service.store.transaction() as db:
        await db.execute("UPDATE cases SET updated_at = '2020-01-01T00:00:00Z'")
    closed = await service.set_case_status(bob, "c-1", "closed")
    assert closed.status == "closed"
    assert closed.updated_at > "2020-01-01T00:00:00Z"
    again = await service.set_case_status(bob, "1", "closed")  # a no-op success
    assert again.status == "closed"
    reopened = await service.set_case_status(bob, made.label, "open")
    assert reopened.status == "open"
    pending = await service.set_case_status(bob, made.label, "pending")
    assert pending.status == "pending"
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, target_kind, target_id, detail FROM audit_log "
        "WHERE action = 'case.status' ORDER BY id")
    changes = [(json.loads(r["detail"])["from"], json.loads(r["detail"])["to"]) for r in rows]
    assert changes == [("open", "closed"), ("closed", "open"), ("open", "pending")]
    assert {(r["agent_id"], r["target_kind"], r["target_id"]) for r in rows} == {
        (bob.id, "case", made.id)}


async def test_priority_and_assignee_changes_are_audited(thread) -> None:
    service, t, question, _ = thread
    bob, carol = t.agents["bob"], t.agents["carol"]
    made = await service.convert(bob, question, "case")
    assert (await service.set_case_priority(bob, "c-1", "high")).priority == "high"
    assert (await service.set_case_priority(bob, "c-1", "high")).priority == "high"  # no-op
    assert await service.case_assignees(bob, "c-1") == ["bob", "carol"]  # ann: no support@
    given = await service.assign_case(bob, "c-1", "carol")
    assert (given.assignee, given.assignee_id) == ("carol", carol.id)
    # carol may now change it too; nobody holds it after
    assert (await service.assign_case(carol, "c-1", None)).assignee == ""
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, action, detail FROM audit_log WHERE target_kind = 'case' "
        "AND action IN ('case.priority', 'case.assign') ORDER BY id")
    assert [(r["agent_id"], r["action"], json.loads(r["detail"])["from"],
             json.loads(r["detail"])["to"]) for r in rows] == [
        (bob.id, "case.priority", "normal", "high"),
        (bob.id, "case.assign", "bob", "carol"),
        (carol.id, "case.assign", "carol", None),
    ]
    assert made.id == given.id


async def test_assigning_refuses_who_cannot_see_the_mail(thread) -> None:
    service, t, question, _ = thread
    bob = t.agents["bob"]
    await service.convert(bob, question, "case")
    with pytest.raises(InvalidInputError, match="ann cannot see the mail of case C-000001"):
        await service.assign_case(bob, "c-1", "ann")
    with pytest.raises(NotFoundError, match="agent 'nobody' not found"):
        await service.assign_case(bob, "c-1", "nobody")
    with pytest.raises(InvalidInputError, match="is not one of low, normal, high, urgent"):
        await service.set_case_priority(bob, "c-1", "asap")
    with pytest.raises(NotFoundError):  # ann cannot see the case at all
        await service.set_case_priority(t.agents["ann"], "c-1", "low")
    case = await service.case(bob, "c-1")
    assert (case.assignee, case.priority) == ("bob", "normal")


async def test_lead_status_changes_are_audited(thread) -> None:
    service, t, question, _ = thread
    bob = t.agents["bob"]
    made = await service.convert(bob, question, "lead")
    assert (await service.set_lead_status(bob, made.id, "contacted")).status == "contacted"
    assert (await service.set_lead_status(bob, made.id, "contacted")).status == "contacted"
    assert [lead.id for lead in await service.list_leads(bob, status="contacted")] == [made.id]
    assert await service.list_leads(t.agents["ann"]) == []
    with pytest.raises(NotFoundError):
        await service.set_lead_status(t.agents["ann"], made.id, "won")
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, target_id, detail FROM audit_log WHERE action = 'lead.status'")
    assert [(r["agent_id"], r["target_id"], json.loads(r["detail"])) for r in rows] == [
        (bob.id, made.id, {"from": "new", "to": "contacted"})]


async def test_conversions_are_audited(thread) -> None:
    service, t, question, reply = thread
    bob = t.agents["bob"]
    case = await service.convert(bob, reply, "case")
    lead = await service.convert(bob, reply, "lead")
    rows = await service.store.reader.fetchall(
        "SELECT agent_id, action, target_kind, target_id, detail FROM audit_log "
        "WHERE action LIKE 'convert.%' ORDER BY id")
    assert [(r["agent_id"], r["action"], r["target_kind"], r["target_id"]) for r in rows] == [
        (bob.id, "convert.case", "case", case.id), (bob.id, "convert.lead", "lead", lead.id)]
    details = [json.loads(r["detail"]) for r in rows]
    assert details[0]["number"] == "C-000001"
    assert all((d["message_id"], d["source_message_id"]) == (reply, question)
               for d in details)


async def test_a_paired_sender_gives_company_and_customer(thread) -> None:
    service, t, _, reply = thread
    async with service.store.transaction() as db:
        customer_id = await customers.insert(db, name="Jane Doe", company="Cust Ltd",
                                             addresses=["jane@cust.example"], created_by=None)
    bob = t.agents["bob"]
    await service.convert(bob, reply, "lead")
    made = await service.convert(bob, reply, "case")
    (lead,) = await leads_sql.list_visible(service.store.reader, agent_id=bob.id,
                                           account_ids=set(), customer_id=customer_id)
    assert (lead.company, lead.customer_id) == ("Cust Ltd", customer_id)
    assert (await service.case(bob, made.label)).customer_id == customer_id


async def test_the_first_message_is_the_first_the_agent_may_see(team) -> None:
    """A thread spanning ann's personal mail and support@: carol cannot see ann's part,
    so her case starts at the first support@ message."""
    service, t = team
    await _mail(service, t, "ann-mail", make_mail(
        "Private start", sender=JANE, message_id="<p1@x>", when=dated(1)))
    support = await _mail(service, t, "support", make_mail(
        "Re: Private start", sender="Other <o@cust.example>", message_id="<p2@x>",
        in_reply_to="<p1@x>", when=dated(2)))
    made = await service.convert(t.agents["carol"], support, "case")
    case = await service.case(t.agents["carol"], made.label)
    assert (case.source_message_id, case.subject) == (support, "Re: Private start")


async def test_deleted_mail_is_neither_source_nor_convertible(thread) -> None:
    service, t, question, reply = thread
    async with service.store.transaction() as db:
        await db.execute("UPDATE messages SET deleted = 1 WHERE id = ?", (question,))
    made = await service.convert(t.agents["bob"], reply, "case")
    assert (await service.case(t.agents["bob"], made.label)).source_message_id == reply
    with pytest.raises(GoneError) as info:
        await service.convert(t.agents["bob"], question, "lead")
    assert str(info.value) == (
        f"message {question} is gone: another agent deleted it or it vanished from the "
        "server; nothing changed")
    assert await _count(service, "SELECT count(*) FROM leads") == 0


async def test_a_message_without_a_thread_gets_its_own(team) -> None:
    service, t = team
    lone = await _mail(service, t, "support", make_mail(
        "", sender=JANE, message_id="<lone@x>", when=dated(1)))
    async with service.store.transaction() as db:
        await db.execute("DELETE FROM threads")  # messages.thread_id becomes NULL
    bob = t.agents["bob"]
    assert (await service.open_message(bob, lone)).thread_id is None
    made = await service.convert(bob, lone, "case")
    case = await service.case(bob, made.label)
    thread_id = (await service.open_message(bob, lone)).thread_id
    assert thread_id is not None and case.thread_ids == (thread_id,)
    assert case.subject == "(no subject)"
    reply = await _mail(service, t, "support", make_mail(
        "Re:", sender="Bob <support@acme.example>", message_id="<lone-r@x>",
        in_reply_to="<lone@x>", when=dated(2)))
    assert (await service.open_message(bob, reply)).thread_id == thread_id


async def test_refusals(thread) -> None:
    service, t, question, _ = thread
    bob, carol = t.agents["bob"], t.agents["carol"]
    secret = await _mail(service, t, "bob-mail", make_mail("secret", message_id="<s@x>"))
    with pytest.raises(NotFoundError) as hidden:
        await service.convert(carol, secret, "case")
    with pytest.raises(NotFoundError) as missing:
        await service.convert(carol, 99999, "case")
    assert str(hidden.value) == f"message {secret} not found"
    assert str(missing.value) == "message 99999 not found"
    assert not isinstance(hidden.value, GoneError)
    with pytest.raises(InvalidInputError, match="choose lead or case"):
        await service.convert(bob, question, "ticket")
    made = await service.convert(bob, question, "case")
    with pytest.raises(InvalidInputError, match="open, pending, closed"):
        await service.set_case_status(bob, made.label, "done")
    with pytest.raises(InvalidInputError, match="open, pending, closed"):
        await service.list_cases(bob, status="resolved")
    for garbage in ("xyz", "C-", "C12", "C-1x", "-1", "", "1" * 30):
        with pytest.raises(InvalidInputError) as info:
            await service.case(bob, garbage)
        assert "\n" not in str(info.value)
    with pytest.raises(NotFoundError, match="case C-000002 not found"):
        await service.case(bob, "C-000002")
    assert await _count(service, "SELECT count(*) FROM cases") == 1


@pytest.mark.parametrize("ref", ["C-000001", "c-1", "C-01", " 1 "])
async def test_case_refs(thread, ref: str) -> None:
    service, t, question, _ = thread
    made = await service.convert(t.agents["bob"], question, "case")
    assert (await service.case(t.agents["bob"], ref)).id == made.id


async def test_cases_are_visible_only_to_those_who_may(team) -> None:
    service, t = team
    ann, bob, carol = t.agents["ann"], t.agents["bob"], t.agents["carol"]
    private = await _mail(service, t, "ann-mail", make_mail(
        "Ann's customer", message_id="<a@x>", when=dated(1)))
    shared = await _mail(service, t, "support", make_mail(
        "Shared question", message_id="<b@x>", when=dated(2)))
    mine = await service.convert(ann, private, "case")
    theirs = await service.convert(carol, shared, "case")
    assert [c.number for c in await service.list_cases(ann)] == [mine.label]
    assert [c.number for c in await service.list_cases(bob)] == [theirs.label]
    for ref in (mine.label, str(mine.id)):
        with pytest.raises(NotFoundError):
            await service.case(bob, ref)
        with pytest.raises(NotFoundError):
            await service.set_case_status(bob, ref, "closed")
    assert (await service.case(ann, mine.label)).status == "open"
    # The assignee sees a case made from mail it cannot see.
    async with service.store.transaction() as db:
        await db.execute("UPDATE cases SET assignee_id = ? WHERE id = ?", (carol.id, mine.id))
    assert (await service.case(carol, mine.label)).assignee == "carol"
    # A deactivated agent sees nothing, not even its own cases.
    async with service.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE id = ?", (carol.id,))
    assert await service.list_cases(carol) == []


async def test_list_is_newest_first_and_filters_by_status(team) -> None:
    service, t = team
    bob = t.agents["bob"]
    made = []
    for n in range(3):
        found = await _mail(service, t, "support", make_mail(
            f"Question {n}", message_id=f"<q{n}@x>", when=dated(n)))
        made.append(await service.convert(bob, found, "case"))
    assert [m.label for m in made] == ["C-000001", "C-000002", "C-000003"]
    async with service.store.transaction() as db:
        for conversion, when in zip(made, ("2020-01-03", "2020-01-01", "2020-01-02"),
                                    strict=True):
            await db.execute("UPDATE cases SET updated_at = ? WHERE id = ?",
                             (f"{when}T00:00:00Z", conversion.id))
    listed = await service.list_cases(bob)
    assert [c.number for c in listed] == ["C-000001", "C-000003", "C-000002"]
    await service.set_case_status(bob, "C-000002", "closed")
    assert [c.number for c in await service.list_cases(bob, status="closed")] == ["C-000002"]
    assert [c.number for c in await service.list_cases(bob, status="open")] == [
        "C-000001", "C-000003"]
    assert (await service.list_cases(bob))[0].number == "C-000002"  # just updated


async def test_a_message_vanishing_mid_conversion_is_gone(thread, monkeypatch) -> None:
    service, t, question, _ = thread
    real = cases_sql.source_message
    calls = []

    async def then_vanish(db, **kwargs):
        found = await real(db, **kwargs)
        if not calls:  # seen by the first look; expunged before the transaction
            calls.append(found)
            async with service.store.transaction() as writer:
                await writer.execute("DELETE FROM messages WHERE id = ?", (question,))
        return found

    monkeypatch.setattr(cases_sql, "source_message", then_vanish)
    with pytest.raises(GoneError, match=f"message {question} is gone"):
        await service.convert(t.agents["bob"], question, "case")
    assert await _count(service, "SELECT count(*) FROM cases") == 0
