"""Adding jobs. Always inside the transaction that records the change they carry out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from storage import Db
from storage import jobs as jobs_sql

FLAGS = "imap.flags"
MOVE = "imap.move"
EXPUNGE = "imap.expunge"
IMAP_APPEND = "imap.append"
SMTP_SEND = "smtp.send"
# Mirroring one draft to its account's Drafts folder (engine.jobs.draft_mirror).
DRAFT_MIRROR = "imap.draft"
# Jobs that take a message out of its folder on the server.
MESSAGE_REMOVALS = (MOVE, EXPUNGE)


async def enqueue_flags(
    db: Db,
    *,
    account_id: int,
    folder: str,
    uidvalidity: int,
    uids: Sequence[int],
    add: Sequence[str],
    remove: Sequence[str],
    created_by: int | None,
) -> int:
    """Queue setting `add` and clearing `remove` on UIDs of a folder."""
    return await jobs_sql.enqueue(
        db,
        account_id=account_id,
        kind=FLAGS,
        payload={
            "folder": folder,
            "uidvalidity": uidvalidity,
            "uids": sorted(set(uids)),
            "add": list(add),
            "remove": list(remove),
        },
        created_by=created_by,
    )


@dataclass(frozen=True)
class MoveSpec:
    """A move of one message: where it is on the server, where it goes, and the store
    row that already shows it there (`row`, in `dest_folder_id`)."""

    row: int
    source: str
    source_folder_id: int
    uidvalidity: int
    uid: int
    dest: str
    dest_folder_id: int
    message_id: str | None

    @classmethod
    def parse(cls, payload: Mapping[str, object]) -> MoveSpec:
        """Read a payload back; ValueError when it is malformed."""
        return cls(
            row=_int(payload, "row"), source=_str(payload, "source"),
            source_folder_id=_int(payload, "source_folder_id"),
            uidvalidity=_int(payload, "uidvalidity"), uid=_int(payload, "uid"),
            dest=_str(payload, "dest"), dest_folder_id=_int(payload, "dest_folder_id"),
            message_id=_optional_str(payload, "message_id"),
        )


@dataclass(frozen=True)
class ExpungeSpec:
    """Deleting one message for good; its store row (`row`) is already marked deleted."""

    row: int
    folder: str
    folder_id: int
    uidvalidity: int
    uid: int
    message_id: str | None

    @classmethod
    def parse(cls, payload: Mapping[str, object]) -> ExpungeSpec:
        """Read a payload back; ValueError when it is malformed."""
        return cls(
            row=_int(payload, "row"), folder=_str(payload, "folder"),
            folder_id=_int(payload, "folder_id"), uidvalidity=_int(payload, "uidvalidity"),
            uid=_int(payload, "uid"), message_id=_optional_str(payload, "message_id"),
        )


def _int(payload: Mapping[str, object], key: str) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number, not {value!r}")
    return value


def _str(payload: Mapping[str, object], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string, not {value!r}")
    return value


def _optional_str(payload: Mapping[str, object], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, not {value!r}")
    return value


async def enqueue_move(
    db: Db, *, account_id: int, spec: MoveSpec, created_by: int | None
) -> int:
    """Queue moving one message on the server."""
    return await jobs_sql.enqueue(db, account_id=account_id, kind=MOVE, payload=asdict(spec),
                                  created_by=created_by)


async def enqueue_expunge(
    db: Db, *, account_id: int, spec: ExpungeSpec, created_by: int | None
) -> int:
    """Queue deleting one message for good on the server."""
    return await jobs_sql.enqueue(db, account_id=account_id, kind=EXPUNGE,
                                  payload=asdict(spec), created_by=created_by)
