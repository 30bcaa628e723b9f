"""Mirroring one draft to its account's Drafts folder on the server (IMAP APPEND).

The job carries the draft's id and Message-ID and reads the draft when it runs. While
it is a draft of a mirroring account, its current bytes (built as sending builds them)
are appended with \\Draft and \\Seen, then the copies that were there before are deleted
(UID EXPUNGE); once it is sent, discarded or no longer mirrored, its copies are just
deleted. Copies are found by Message-ID, so a run that stopped between the APPEND and
the delete left two copies that the next run brings back to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient

from engine.errors import InvalidInputError
from engine.imap.connection import ImapConnection
from engine.jobs.append import parse_appenduid
from engine.jobs.outcome import JobRejected, Outcome
from engine.sending import drafts_mirror
from engine.sync import imap_ops as ops
from storage import Db, audit
from storage import outgoing as outgoing_sql
from storage import settings as settings_sql
from storage.records import Job

DRAFT_FLAGS = (b"\\Draft", b"\\Seen")


@dataclass(frozen=True)
class MirrorSpec:
    outgoing: int  # the draft's row (it may be gone)
    message_id: str  # the draft's Message-ID, fixed when it was started

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> MirrorSpec:
        """Read a payload back; JobRejected when it is malformed."""
        outgoing, message_id = payload.get("outgoing"), payload.get("message_id")
        if isinstance(outgoing, bool) or not isinstance(outgoing, int):
            raise JobRejected(f"malformed payload: outgoing {outgoing!r}")
        if not isinstance(message_id, str) or not message_id:
            raise JobRejected(f"malformed payload: message_id {message_id!r}")
        return cls(outgoing=outgoing, message_id=message_id)


@dataclass(frozen=True)
class Mirrored:
    """What one run did in the Drafts folder."""

    appended: bool
    uid: int | None  # the new copy's UID, when the server said (APPENDUID)
    older: int  # copies found before the APPEND
    removed: str  # "none", "expunged", "flagged" or "validity", as ops.expunge_uids says

    def note(self, folder: str) -> str | None:
        """Anything a person reading the log should know; None when all went as planned."""
        if self.removed == "flagged":
            return (f"{self.older} older copies flagged \\Deleted in {folder}; the server "
                    "expunges them with the folder's other deleted mail")
        if self.removed == "validity":
            return f"{folder} changed UIDVALIDITY; older copies are left for the next run"
        return None


def mirror_once(client: IMAPClient, folder: str, message_id: str, raw: bytes | None, *,
                uidplus: bool) -> Mirrored:
    """Leave in `folder` the one copy `raw` (None: no copy) of the message `message_id`:
    APPEND it, then delete the copies found before. Safe to run again after any
    interruption."""
    validity, older = ops.uids_by_message_id(client, folder, message_id)
    uid = None
    if raw is not None:
        given = parse_appenduid(client.append(folder, raw, flags=list(DRAFT_FLAGS)))
        uid = None if given is None else given[1]
    removed = "none"
    if older:
        removed = ops.expunge_uids(client, folder, validity, older, uidplus=uidplus)
    return Mirrored(appended=raw is not None, uid=uid, older=len(older), removed=removed)


def _noted(spec: MirrorSpec, account_id: int, note: str) -> Outcome:
    """Done without touching the server, for a reason kept in the audit log."""
    async def record(db: Db) -> None:
        await audit.record(db, agent_id=None, action="draft.mirror", target_kind="outgoing",
                           target_id=spec.outgoing,
                           detail={"account_id": account_id, "message_id": spec.message_id,
                                   "note": note})

    return Outcome(record=record, note=note)


async def run_draft_mirror(conn: ImapConnection, job: Job, reader: Db) -> Outcome:
    """Bring the account's Drafts folder in line with the draft as the store holds it."""
    spec = MirrorSpec.parse(job.payload)
    if job.account_id is None:
        raise JobRejected("an imap.draft job needs an account")
    account = await settings_sql.by_id(reader, job.account_id)
    if account is None:
        raise JobRejected(f"account {job.account_id} is gone")
    folder = await drafts_mirror.drafts_folder(reader, account.id)
    if folder is None:
        return _noted(spec, account.id, (
            f"account {account.name!r} has no Drafts folder on the server, so draft "
            f"{spec.outgoing} was not mirrored; give a folder the drafts role with "
            f"`frontdesk account folders {account.name} --role FOLDER=drafts`"))
    draft = await outgoing_sql.by_id(reader, spec.outgoing)
    raw = None
    if draft is not None and drafts_mirror.mirrored(draft, account, spec.message_id):
        from engine.sending.outbox import message_bytes

        try:
            raw = await message_bytes(reader, draft)
        except InvalidInputError as exc:
            # What the agent is typing may not be an address yet; the copy there stays
            # until the next save builds.
            return _noted(spec, account.id, f"draft {draft.id} was not mirrored: {exc}")
    done = await conn.call(mirror_once, folder.name, spec.message_id, raw,
                           uidplus=conn.has("UIDPLUS"))
    return Outcome(note=done.note(folder.name))
