"""Filing a sent message in the account's Sent folder on the server (IMAP APPEND).

The store already shows the copy (a row without a server key, stored when the message
was sent). The job appends it unless the folder holds it already, found by its
Message-ID, so a job run again after a crash never files a second copy; then the row
takes the key the server gave it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient

from engine.imap.connection import ImapConnection
from engine.jobs.outcome import JobRejected, Outcome
from engine.sync import imap_ops as ops
from storage import Db, messages
from storage import outgoing as outgoing_sql
from storage.records import Job

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


@dataclass(frozen=True)
class AppendSpec:
    outgoing: int  # the outbox row holding the bytes
    row: int | None  # the Sent copy's message row, None when the store holds none
    folder: str
    folder_id: int
    message_id: str

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> AppendSpec:
        try:
            row = payload.get("row")
            return cls(outgoing=int(payload["outgoing"]),
                       row=None if row is None else int(row), folder=str(payload["folder"]),
                       folder_id=int(payload["folder_id"]),
                       message_id=str(payload["message_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise JobRejected(f"malformed payload: {exc}") from exc


def parse_appenduid(response: Any) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) from an APPEND's `[APPENDUID v u]` (RFC 4315), if given."""
    text = response if isinstance(response, bytes) else str(response).encode()
    found = _APPENDUID.search(text)
    return None if found is None else (int(found.group(1)), int(found.group(2)))


def append_once(client: IMAPClient, folder: str, raw: bytes, message_id: str) -> ops.Placed:
    """APPEND `raw` (seen) to `folder` unless a message with its Message-ID is there."""
    validity, found = ops.find_by_message_id(client, folder, message_id)
    if found is not None:
        return ops.Placed("found", validity, found)
    response = client.append(folder, raw, flags=[b"\\Seen"])
    given = parse_appenduid(response)
    if given is not None:
        return ops.Placed("moved", given[0], given[1])
    validity, found = ops.find_by_message_id(client, folder, message_id)
    return ops.Placed("moved", validity, found)


async def run_append(conn: ImapConnection, job: Job, reader: Db) -> Outcome:
    spec = AppendSpec.parse(job.payload)
    raw = await outgoing_sql.raw(reader, spec.outgoing)
    if raw is None:
        raise JobRejected(f"outbox message {spec.outgoing} is gone; nothing to file")
    placed = await conn.call(append_once, spec.folder, raw, spec.message_id)

    async def place(db: Db) -> None:
        if spec.row is not None and placed.uid is not None and placed.uidvalidity is not None:
            await messages.place_moved(db, message_id=spec.row, folder_id=spec.folder_id,
                                       uidvalidity=placed.uidvalidity, uid=placed.uid)

    note = None if placed.outcome == "moved" else f"{spec.folder} held it already"
    return Outcome(record=place, note=note)
