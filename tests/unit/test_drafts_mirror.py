"""Drafts mirrored to the server, without a server: who may turn it on, which changes
queue an imap.draft job (one at a time per draft), and what the job does with the
Drafts folder, on a stand-in IMAP client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.errors import AccessDeniedError, NotFoundError
from engine.jobs import draft_mirror
from engine.jobs.draft_mirror import Mirrored, MirrorSpec, mirror_once, run_draft_mirror
from engine.jobs.executor import HANDLERS
from engine.jobs.outcome import JobRejected
from engine.service import LocalService
from storage import access, folders
from storage import jobs as jobs_sql
from tests.store_factory import build_team


@pytest.fixture
async def team(tmp_path: Path):
    """build_team's store; bob-mail and ann-mail are on a server, with a Drafts folder."""
    service = await LocalService.open(tmp_path / "s.db")
    t = await build_team(service.store)
    async with service.store.transaction() as db:
        await db.execute("UPDATE accounts SET imap_host = 'imap.acme.example'")
        await folders.insert(db, account_id=t.accounts["bob-mail"], name="Drafts",
                             role="drafts")
    yield service, t
    await service.close()


async def _jobs(service: LocalService) -> list[tuple[int, str, dict[str, Any]]]:
    rows = await service.store.reader.fetchall(
        "SELECT account_id, state, payload FROM jobs WHERE kind = 'imap.draft' ORDER BY id")
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


async def test_only_the_owner_of_a_personal_account_may_mirror(team) -> None:
    service, t = team
    bob, carol, ann = t.agents["bob"], t.agents["carol"], t.agents["ann"]
    shown = await service.drafts_mirror(bob, "bob-mail")
    assert (shown.on, shown.kind, shown.drafts_folder) == (False, "personal", "Drafts")
    assert (await service.set_drafts_mirror(bob, "bob-mail", True)).on
    assert (await service.drafts_mirror(bob, "bob-mail")).on
    with pytest.raises(AccessDeniedError, match="'support' is shared"):
        await service.set_drafts_mirror(bob, "support", True)
    with pytest.raises(AccessDeniedError, match="'sales' is shared"):
        await service.set_drafts_mirror(bob, "sales", False)
    with pytest.raises(NotFoundError, match="no account named 'bob-mail'"):
        await service.drafts_mirror(ann, "bob-mail")  # another agent's mailbox stays hidden
    assert not (await service.drafts_mirror(bob, "support")).on
    with pytest.raises(NotFoundError, match="no account named 'bob-mail'"):
        await service.set_drafts_mirror(carol, "bob-mail", True)
    async with service.store.transaction() as db:
        await access.grant_agent(db, account_id=t.accounts["bob-mail"],
                                 agent_id=carol.id, can_act=True, granted_by=bob.id)
    with pytest.raises(AccessDeniedError, match="belongs to another agent"):
        await service.set_drafts_mirror(carol, "bob-mail", False)
    assert (await service.drafts_mirror(carol, "bob-mail")).on
    audit = await service.store.reader.fetchall(
        "SELECT agent_id, detail FROM audit_log WHERE action = 'account.drafts_mirror'")
    assert [(r[0], r[1]) for r in audit] == [(bob.id, '{"on": true}')]


async def test_each_change_queues_one_job_while_none_waits(team, tmp_path: Path) -> None:
    service, t = team
    bob = t.agents["bob"]
    mailbox = t.accounts["bob-mail"]
    draft = await service.start_draft(bob, "new", account="bob-mail")
    assert await _jobs(service) == []  # not mirrored yet
    await service.set_drafts_mirror(bob, "bob-mail", True)
    payload = {"outgoing": draft.id, "message_id": draft.message_id}
    assert await _jobs(service) == [(mailbox, "pending", payload)]  # the open draft
    await service.save_draft(bob, draft.id, to="x@y.example", cc="", bcc="", subject="a",
                             body="b")
    (tmp_path / "f.txt").write_text("file")
    await service.attach_file(bob, draft.id, str(tmp_path / "f.txt"))
    assert await _jobs(service) == [(mailbox, "pending", payload)]  # rides on it

    async with service.store.transaction() as db:  # the engine took it
        await jobs_sql.claim_due(db, account_id=mailbox, limit=10)
    await service.detach_file(bob, draft.id, 0)
    assert [j[1] for j in await _jobs(service)] == ["running", "pending"]
    await service.send_draft(bob, draft.id)
    await service.discard_draft(bob, (await service.start_draft(
        bob, "new", account="bob-mail")).id)
    states = [(j[1], j[2]["outgoing"]) for j in await _jobs(service)]
    assert states[:2] == [("running", draft.id), ("pending", draft.id)]
    assert len(states) == 3 and states[2][1] != draft.id  # the discarded draft's own


async def test_a_draft_moved_to_another_account_is_taken_out_of_the_first(team) -> None:
    service, t = team
    bob = t.agents["bob"]
    await service.set_drafts_mirror(bob, "bob-mail", True)
    draft = await service.start_draft(bob, "new", account="bob-mail")
    async with service.store.transaction() as db:
        await jobs_sql.claim_due(db, account_id=t.accounts["bob-mail"], limit=10)
    await service.save_draft(bob, draft.id, to="", cc="", bcc="", subject="s", body="b",
                             account="support")
    assert [(j[0], j[1]) for j in await _jobs(service)] == [
        (t.accounts["bob-mail"], "running"), (t.accounts["bob-mail"], "pending")]


async def test_drafts_others_write_from_the_account_are_not_mirrored(team) -> None:
    service, t = team
    bob, carol = t.agents["bob"], t.agents["carol"]
    async with service.store.transaction() as db:
        await access.grant_agent(db, account_id=t.accounts["bob-mail"],
                                 agent_id=carol.id, can_act=True, granted_by=bob.id)
    await service.set_drafts_mirror(bob, "bob-mail", True)
    await service.start_draft(carol, "new", account="bob-mail")
    await service.start_draft(bob, "new", account="support")
    assert await _jobs(service) == []


def test_a_malformed_payload_is_rejected() -> None:
    assert MirrorSpec.parse({"outgoing": 3, "message_id": "<a@b>"}) == MirrorSpec(3, "<a@b>")
    for payload in ({}, {"outgoing": "3", "message_id": "<a@b>"},
                    {"outgoing": True, "message_id": "<a@b>"}, {"outgoing": 3}):
        with pytest.raises(JobRejected, match="malformed payload"):
            MirrorSpec.parse(payload)


class FakeDrafts:
    """A Drafts folder behind the few IMAPClient calls mirror_once makes."""

    def __init__(self, held: dict[int, str], *, validity: int = 7) -> None:
        self.held = dict(held)  # UID -> Message-ID
        self.validity = validity
        self.flags: dict[int, set[str]] = {}
        self.calls: list[str] = []

    def select_folder(self, folder: str, readonly: bool = False) -> dict[bytes, Any]:
        self.calls.append(f"select {folder} {'ro' if readonly else 'rw'}")
        return {b"UIDVALIDITY": self.validity}

    def search(self, criteria: list[Any]) -> list[int]:
        if criteria[0] == "DELETED":
            return [u for u, f in self.flags.items() if "\\Deleted" in f]
        return [u for u, m in self.held.items() if criteria[2] in m]

    def fetch(self, uids: list[int], items: list[str]) -> dict[int, dict[bytes, bytes]]:
        key = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
        return {u: {key: f"Message-ID: {self.held[u]}\r\n\r\n".encode()} for u in uids}

    def append(self, folder: str, raw: bytes, flags: list[bytes]) -> bytes:
        uid = max(self.held, default=0) + 1
        self.held[uid] = raw.decode()
        self.flags[uid] = {f.decode() for f in flags}
        self.calls.append(f"append {uid}")
        return f"[APPENDUID {self.validity} {uid}] Append completed.".encode()

    def add_flags(self, uids: list[int], flags: list[str], silent: bool = False) -> None:
        for uid in uids:
            self.flags.setdefault(uid, set()).update(flags)

    def uid_expunge(self, uids: list[int]) -> None:
        self.calls.append(f"expunge {sorted(uids)}")
        for uid in uids:
            self.held.pop(uid)

    def expunge(self) -> None:
        gone = [u for u, f in self.flags.items() if "\\Deleted" in f]
        self.calls.append(f"expunge all {sorted(gone)}")
        for uid in gone:
            self.held.pop(uid, None)


def test_the_new_copy_goes_in_before_the_old_ones_go() -> None:
    folder = FakeDrafts({3: "<d@x>", 4: "<other@x>", 5: "<d@x>", 6: "<d@x.more>"})
    done = mirror_once(folder, "Drafts", "<d@x>", b"<d@x>", uidplus=True)  # type: ignore[arg-type]
    assert done == Mirrored(appended=True, uid=7, older=2, removed="expunged")
    assert folder.calls == ["select Drafts ro", "append 7", "select Drafts rw",
                            "expunge [3, 5]"]
    assert folder.held == {4: "<other@x>", 6: "<d@x.more>", 7: "<d@x>"}
    assert folder.flags[7] == {"\\Draft", "\\Seen"} and done.note("Drafts") is None


def test_a_draft_no_longer_mirrored_only_loses_its_copies() -> None:
    folder = FakeDrafts({1: "<d@x>", 2: "<d@x>"})
    done = mirror_once(folder, "Drafts", "<d@x>", None, uidplus=True)  # type: ignore[arg-type]
    assert (done.appended, done.older, folder.held) == (False, 2, {})
    empty = mirror_once(folder, "Drafts", "<d@x>", None, uidplus=True)  # type: ignore[arg-type]
    assert empty == Mirrored(appended=False, uid=None, older=0, removed="none")


def test_without_uidplus_others_deleted_mail_is_not_expunged() -> None:
    folder = FakeDrafts({1: "<d@x>", 2: "<theirs@x>"})
    folder.flags[2] = {"\\Deleted"}  # another client's delete, waiting
    done = mirror_once(folder, "Drafts", "<d@x>", b"<d@x>", uidplus=False)  # type: ignore[arg-type]
    assert done.removed == "flagged" and 1 in folder.held and 2 in folder.held
    assert "flagged \\Deleted in Drafts" in (done.note("Drafts") or "")
    alone = FakeDrafts({1: "<d@x>"})
    assert mirror_once(alone, "Drafts", "<d@x>", b"<d@x>",  # type: ignore[arg-type]
                       uidplus=False).removed == "expunged"
    assert list(alone.held) == [2]


class NoServer:
    """A connection the job must not use."""

    def has(self, cap: str) -> bool:
        return True

    async def call(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the server was asked")


async def test_no_drafts_folder_is_a_note_not_a_retry(team) -> None:
    service, t = team
    bob = t.agents["bob"]
    await service.set_drafts_mirror(bob, "bob-mail", True)
    async with service.store.transaction() as db:
        await db.execute("UPDATE folders SET role = NULL WHERE name = 'Drafts'")
    draft = await service.start_draft(bob, "new", account="bob-mail")
    async with service.store.transaction() as db:
        [job] = await jobs_sql.claim_due(db, account_id=t.accounts["bob-mail"], limit=10)
    outcome = await run_draft_mirror(NoServer(), job, service.store.reader)  # type: ignore[arg-type]
    assert outcome.note is not None and "no Drafts folder" in outcome.note
    assert "--role FOLDER=drafts" in outcome.note
    assert outcome.record is not None
    async with service.store.transaction() as db:
        await outcome.record(db)
    [(target, detail)] = await service.store.reader.fetchall(
        "SELECT target_id, detail FROM audit_log WHERE action = 'draft.mirror'")
    assert target == draft.id and draft.message_id in detail


async def test_a_draft_whose_address_cannot_be_built_keeps_its_old_copy(team) -> None:
    service, t = team
    bob = t.agents["bob"]
    await service.set_drafts_mirror(bob, "bob-mail", True)
    draft = await service.start_draft(bob, "new", account="bob-mail")
    await service.save_draft(bob, draft.id, to="Jane <jane@", cc="", bcc="", subject="s",
                             body="b")
    async with service.store.transaction() as db:
        [job] = await jobs_sql.claim_due(db, account_id=t.accounts["bob-mail"], limit=10)
    outcome = await run_draft_mirror(NoServer(), job, service.store.reader)  # type: ignore[arg-type]
    assert outcome.note is not None and f"draft {draft.id} was not mirrored" in outcome.note


def test_the_job_kind_is_handled() -> None:
    assert HANDLERS["imap.draft"] is draft_mirror.run_draft_mirror
