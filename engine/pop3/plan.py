"""What one POP3 pass fetches, records and deletes, decided from the server's UIDL
listing and the UIDLs the store knows. Pure logic, no I/O.

A UIDL the store knows is never fetched again, whatever became of its message. The
first pass of an account records every UIDL then listed: as pending (the first import
fetches them, and no rule ever runs on them, even when a crash makes a later pass finish
the job) or, importing new mail only, as skipped. Mail listed later is new mail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from engine.sync.batches import by_bytes
from storage.records import Pop3Uidl

if TYPE_CHECKING:
    from engine.pop3.client import Listed

PENDING, STORED, SKIPPED, DENIED = "pending", "stored", "skipped", "denied"


@dataclass(frozen=True)
class Wanted:
    """A message to fetch; `first_import`: listed when the first import began."""

    item: Listed
    first_import: bool


@dataclass(frozen=True)
class Plan:
    first_seen: tuple[tuple[str, str], ...]  # (uidl, state) to record before fetching
    wanted: tuple[Wanted, ...]
    gone: tuple[str, ...]  # known UIDLs the server no longer lists


def plan_pass(
    listed: Sequence[Listed], known: Mapping[str, Pop3Uidl], *, first: bool, mode: str
) -> Plan:
    """The pass over `listed`, given the UIDLs `known` to the store. `first`: the
    account's first pass; `mode` its import mode (all, since, new-only)."""
    on_server = {item.uidl for item in listed}
    gone = tuple(sorted(uidl for uidl, row in known.items()
                        if not row.deleted_on_server and uidl not in on_server))
    states = {uidl: row.state for uidl, row in known.items()}
    first_seen: list[tuple[str, str]] = []
    if first:
        initial = SKIPPED if mode == "new-only" else PENDING
        first_seen = [(item.uidl, initial) for item in listed if item.uidl not in states]
        states.update(first_seen)
    wanted = []
    for item in listed:
        state = states.get(item.uidl)
        if state is None or state == PENDING:
            wanted.append(Wanted(item, first_import=state == PENDING))
    return Plan(tuple(first_seen), tuple(wanted), gone)


def deletable(listed: Sequence[Listed], known: Mapping[str, Pop3Uidl]) -> list[Listed]:
    """With delete-after-import: the listed messages already committed to the store.
    Mail left out by the import mode or the deny list stays on the server."""
    return [item for item in listed
            if (row := known.get(item.uidl)) is not None and row.state == STORED]


def older_than(sent: datetime | None, since: date) -> bool:
    """Whether a message whose Date header says `sent` is left out by since:DATE. A
    message without a usable date is imported: better kept than lost."""
    if sent is None:
        return False
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    return sent.astimezone(UTC).date() < since


def batches(wanted: Sequence[Wanted], *, count: int, octets: int) -> list[list[Wanted]]:
    """`wanted` in order, cut into runs of at most `count` messages and about `octets`
    (a message bigger than that goes alone)."""
    return list(by_bytes(((w, w.item.size) for w in wanted), max_messages=count,
                         max_bytes=octets))
