"""Blocking IMAP steps of a sync. Each runs inside an ImapConnection's own thread, as
`await conn.call(step, ...)`; none is ever called on the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from imapclient import IMAPClient
from imapclient.imapclient import seq_to_parenstr_upper
from imapclient.response_parser import parse_fetch_response

from engine.mime import ENVELOPE_FIELDS, clean_msg_id
from engine.sync.batches import uid_set
from engine.sync.fetch_parser import parse_fetch


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    uidnext: int | None
    exists: int
    highestmodseq: int | None


class Fetched(NamedTuple):
    """One message of a header or body fetch. A tuple: thousands are made a second."""

    uid: int
    data: bytes
    flags: tuple[str, ...]
    internal_date: datetime | None
    size: int
    modseq: int | None


def uid_fetch(
    client: IMAPClient, uids: str, items: list[str], modifiers: list[str] | None = None
) -> dict[int, dict[bytes, Any]]:
    """UID FETCH over a sequence set such as "1:20000".

    IMAPClient.fetch keeps only the UIDs it can list from its argument, so a range loses
    every result; long explicit lists are what servers reject. This sends the same
    command through the same imaplib primitives IMAPClient itself uses.
    """
    return _uid_fetch(client, uids, items, modifiers)[0]


def _uid_fetch(
    client: IMAPClient, uids: str, items: list[str], modifiers: list[str] | None = None
) -> tuple[dict[int, dict[bytes, Any]], list[bytes]]:
    """UID FETCH, and the untagged VANISHED responses that came with it (QRESYNC)."""
    args: list[Any] = ["UID", "FETCH", uids, seq_to_parenstr_upper(items)]
    if modifiers:
        args.append(seq_to_parenstr_upper(modifiers))
    imap = client._imap
    tag = imap._command(*args)
    typ, data = imap._command_complete("FETCH", tag)
    if typ != "OK":
        raise IMAPClient.Error(f"UID FETCH failed: {data!r}"[:300])
    vanished = [v for v in imap.untagged_responses.pop("VANISHED", []) if isinstance(v, bytes)]
    typ, data = imap._untagged_response(typ, data, "FETCH")
    fast = parse_fetch(data)
    if fast is not None:
        return fast, vanished
    return dict(parse_fetch_response(data, False, True)), vanished


def parse_vanished(responses: list[bytes], high: int) -> list[int]:
    """UIDs named by VANISHED responses ("(EARLIER) 3:5,9"), up to `high`. Servers may
    name UIDs that were never seen here; a range is never expanded past `high`."""
    found: set[int] = set()
    for response in responses:
        text = response.decode("ascii", "replace").strip()
        if text.upper().startswith("(EARLIER)"):
            text = text[len("(EARLIER)"):].strip()
        for part in text.split(","):
            low_s, _, high_s = part.strip().partition(":")
            try:
                low = int(low_s)
                top = int(high_s) if high_s else low
            except ValueError:
                continue
            low, top = min(low, top), max(low, top)
            found.update(range(max(low, 1), min(top, high) + 1))
    return sorted(found)


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _flags(values: Any) -> tuple[str, ...]:
    return tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                 for v in values or ())


def enable_extensions(client: IMAPClient) -> tuple[str, ...]:
    """ENABLE CONDSTORE (and QRESYNC) when offered, so SELECT reports HIGHESTMODSEQ."""
    caps = {c.decode().upper() if isinstance(c, bytes) else str(c).upper()
            for c in client.capabilities()}
    wanted = [c for c in ("QRESYNC", "CONDSTORE") if c in caps]
    if not wanted or "ENABLE" not in caps:
        return ()
    return tuple(
        c.decode() if isinstance(c, bytes) else str(c) for c in client.enable(*wanted)
    )


def select(client: IMAPClient, folder: str) -> Selected:
    """EXAMINE the folder: read-only, so no fetch can ever change a flag by accident."""
    info = client.select_folder(folder, readonly=True)
    validity = _int(info.get(b"UIDVALIDITY"))
    if validity is None:
        raise ValueError(f"server gave no UIDVALIDITY for {folder!r}")
    return Selected(
        uidvalidity=validity,
        uidnext=_int(info.get(b"UIDNEXT")),
        exists=_int(info.get(b"EXISTS")) or 0,
        highestmodseq=_int(info.get(b"HIGHESTMODSEQ")),
    )


def search_uids(
    client: IMAPClient, low: int, high: int | None, *, unseen: bool = False,
    since: date | None = None,
) -> list[int]:
    """UIDs in [low, high] (high None = no upper bound) matching the import criteria."""
    if high is not None and high < low:
        return []
    criteria: list[Any] = ["UID", f"{low}:{high if high is not None else '*'}"]
    if unseen:
        criteria.append("UNSEEN")
    if since is not None:
        criteria += ["SINCE", since]
    found = client.search(criteria)
    # "n:*" always matches the highest UID, even below n.
    return sorted(u for u in found if u >= low and (high is None or u <= high))


HEADER_FIELDS = f"HEADER.FIELDS ({' '.join(f.upper() for f in ENVELOPE_FIELDS)})"


def fetch_headers(client: IMAPClient, uids: list[int], *, modseq: bool) -> list[Fetched]:
    """The header fields a message list needs, with flags, dates and sizes, in UID order.
    Only the fields the envelope parser reads are asked for: the whole block is five
    times the bytes to send and to parse. The body pass brings the rest."""
    items = [f"BODY.PEEK[{HEADER_FIELDS}]", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]
    if modseq:
        items.append("MODSEQ")
    data = uid_fetch(client, uid_set(uids), items)
    return [_fetched(uid, v, _header_key(v)) for uid, v in sorted(data.items())]


def _header_key(values: dict[bytes, Any]) -> bytes:
    """The response's name for the header section (servers echo the field list their own
    way)."""
    for key in values:
        if key.upper().startswith(b"BODY[HEADER"):
            return key
    return b"BODY[HEADER]"


def fetch_bodies(client: IMAPClient, uids: list[int]) -> list[Fetched]:
    """Whole messages, in UID order. PEEK: fetching never marks mail read."""
    data = uid_fetch(client, uid_set(uids), ["BODY.PEEK[]"])
    return [_fetched(uid, v, b"BODY[]") for uid, v in sorted(data.items())]


def _utc(value: Any) -> datetime | None:
    """INTERNALDATE as an aware UTC datetime. imapclient's own tzinfo class cannot be
    pickled, and values cross into the parsing processes."""
    if not isinstance(value, datetime):
        return None
    # Naive values (imapclient's normalised times) are local time; astimezone knows that.
    return value.astimezone(UTC)


def _fetched(uid: int, values: dict[bytes, Any], key: bytes) -> Fetched:
    raw = values.get(key) or b""
    return Fetched(
        uid=uid,
        data=bytes(raw),
        flags=_flags(values.get(b"FLAGS")),
        internal_date=_utc(values.get(b"INTERNALDATE")),
        size=int(values.get(b"RFC822.SIZE", len(raw))),
        modseq=_int(values.get(b"MODSEQ")),
    )


def fetch_flags(
    client: IMAPClient, high: int, *, changed_since: int | None
) -> dict[int, tuple[tuple[str, ...], int | None]]:
    """Flags (and MODSEQ) of UIDs 1..high; with CONDSTORE only those changed since a
    modseq."""
    if high < 1:
        return {}
    modifiers = [f"CHANGEDSINCE {changed_since}"] if changed_since is not None else None
    items = ["FLAGS", "MODSEQ"] if changed_since is not None else ["FLAGS"]
    data = uid_fetch(client, f"1:{high}", items, modifiers)
    return {uid: (_flags(v.get(b"FLAGS")), _int(v.get(b"MODSEQ"))) for uid, v in data.items()}


@dataclass(frozen=True)
class Changes:
    flags: dict[int, tuple[tuple[str, ...], int | None]]
    vanished: list[int]


def fetch_changes(client: IMAPClient, high: int, *, changed_since: int) -> Changes:
    """QRESYNC: the flags changed and the UIDs expunged since a modseq, in one command."""
    if high < 1:
        return Changes({}, [])
    data, vanished = _uid_fetch(client, f"1:{high}", ["FLAGS", "MODSEQ"],
                                [f"CHANGEDSINCE {changed_since} VANISHED"])
    flags = {uid: (_flags(v.get(b"FLAGS")), _int(v.get(b"MODSEQ"))) for uid, v in data.items()}
    return Changes(flags, parse_vanished(vanished, high))


def store_flags(
    client: IMAPClient, folder: str, uidvalidity: int, uids: list[int],
    add: tuple[str, ...], remove: tuple[str, ...],
) -> bool:
    """Set and clear flags on UIDs of a folder; False when the folder's UIDVALIDITY has
    changed (the UIDs no longer name those messages)."""
    info = client.select_folder(folder, readonly=False)
    if _int(info.get(b"UIDVALIDITY")) != uidvalidity:
        return False
    # Explicit UID lists: IMAPClient's STORE, like its FETCH, filters by the list it is
    # given; jobs carry at most one batch of UIDs.
    if uids and add:
        client.add_flags(sorted(uids), list(add), silent=True)
    if uids and remove:
        client.remove_flags(sorted(uids), list(remove), silent=True)
    return True


# -- moving and expunging single messages (delete, archive) --------------------------------


@dataclass(frozen=True)
class Placed:
    """Where a message is after a move job's attempt.

    `outcome` is "moved" (this attempt moved it), "found" (it had left the source
    folder, or the source changed UIDVALIDITY, and the destination holds it: an earlier
    attempt, or someone else, moved it) or "missing" (neither folder holds it). The
    destination key is None when the server did not report it and no Message-ID
    could find it.
    """

    outcome: str
    uidvalidity: int | None = None
    uid: int | None = None


def _uid_present(client: IMAPClient, uid: int) -> bool:
    return uid in client.search(["UID", str(uid)])


def parse_copyuid(responses: list[Any], uid: int) -> tuple[int, int] | None:
    """(destination UIDVALIDITY, new UID) of `uid` from COPYUID response codes
    ("1700000000 5:7 12:14", RFC 4315), or None when none names it."""
    for response in responses:
        text = response.decode("ascii", "replace") if isinstance(response, bytes) else str(response)
        parts = text.split()
        if len(parts) != 3:
            continue
        try:
            validity = int(parts[0])
            sources = _expand_set(parts[1])
            targets = _expand_set(parts[2])
        except ValueError:
            continue
        if len(sources) != len(targets):
            continue
        for source, target in zip(sources, targets, strict=True):
            if source == uid:
                return validity, target
    return None


# A COPYUID set names at most the UIDs one command moved; never expand a hostile range.
_MAX_SET = 10_000


def _expand_set(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        low_s, _, high_s = part.partition(":")
        low = int(low_s)
        high = int(high_s) if high_s else low
        step = 1 if high >= low else -1
        if abs(high - low) + len(out) >= _MAX_SET:
            raise ValueError("UID set too large")
        out.extend(range(low, high + step, step))
    return out


def _take_copyuid(client: IMAPClient) -> list[Any]:
    # imaplib files response codes ([COPYUID ...]) of tagged and untagged OKs alike under
    # untagged_responses, and keeps them until someone takes them.
    return list(client._imap.untagged_responses.pop("COPYUID", []))


def find_by_message_id(
    client: IMAPClient, folder: str, message_id: str
) -> tuple[int, int | None]:
    """(UIDVALIDITY, highest UID whose Message-ID is exactly `message_id`, or None) in a
    folder."""
    validity, uids = uids_by_message_id(client, folder, message_id)
    return validity, (uids[-1] if uids else None)


def uids_by_message_id(
    client: IMAPClient, folder: str, message_id: str
) -> tuple[int, list[int]]:
    """(UIDVALIDITY, the UIDs whose Message-ID is exactly `message_id`, ascending) in a
    folder; of the 50 highest hits at most. SEARCH HEADER matches substrings; each hit's
    header is checked."""
    info = client.select_folder(folder, readonly=True)
    validity = _int(info.get(b"UIDVALIDITY"))
    if validity is None:
        raise ValueError(f"server gave no UIDVALIDITY for {folder!r}")
    hits = sorted(client.search(["HEADER", "Message-ID", message_id]), reverse=True)[:50]
    if not hits:
        return validity, []
    data = client.fetch(hits, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    found = []
    for uid in hits:
        values = data.get(uid, {})
        raw = next((v for k, v in values.items() if k.upper().startswith(b"BODY[HEADER")), b"")
        header = bytes(raw or b"").decode("ascii", "replace")
        _name, _, value = header.partition(":")
        if clean_msg_id(value.replace("\r\n", " ").strip()) == message_id:
            found.append(uid)
    return validity, sorted(found)


def move_message(
    client: IMAPClient, source: str, uidvalidity: int, uid: int, dest: str,
    message_id: str | None, *, move: bool, uidplus: bool,
) -> Placed:
    """Move one message by UID: UID MOVE where the server has MOVE, else UID COPY, then
    \\Deleted and an expunge of that UID alone. Safe to run again after any interruption:
    a message no longer in the source is looked up in the destination by Message-ID."""
    info = client.select_folder(source, readonly=False)
    if _int(info.get(b"UIDVALIDITY")) != uidvalidity or not _uid_present(client, uid):
        if message_id is None:
            return Placed("missing")
        validity, found = find_by_message_id(client, dest, message_id)
        return Placed("found", validity, found) if found else Placed("missing")
    _take_copyuid(client)
    copied: tuple[int, int] | None
    if move:
        client.move([uid], dest)
        copied = parse_copyuid(_take_copyuid(client), uid)
    else:
        # An attempt may have stopped between COPY and the expunge: a copy already in the
        # destination is taken for this one rather than copying twice.
        earlier = None
        if message_id is not None:
            earlier = find_by_message_id(client, dest, message_id)
            client.select_folder(source, readonly=False)
        if earlier is not None and earlier[1] is not None:
            copied = (earlier[0], earlier[1])
        else:
            client.copy([uid], dest)
            copied = parse_copyuid(_take_copyuid(client), uid)
        _expunge_uid(client, uid, uidplus=uidplus)
    if copied is not None:
        return Placed("moved", copied[0], copied[1])
    if message_id is not None:
        validity, found = find_by_message_id(client, dest, message_id)
        return Placed("moved", validity, found)
    return Placed("moved")


def _expunge_uid(client: IMAPClient, uid: int, *, uidplus: bool) -> bool:
    """Flag one UID \\Deleted and expunge it alone. True when expunged."""
    return _expunge_uids(client, [uid], uidplus=uidplus)


def _expunge_uids(client: IMAPClient, uids: list[int], *, uidplus: bool) -> bool:
    """Flag UIDs \\Deleted and expunge them alone: UID EXPUNGE (UIDPLUS), or a plain
    EXPUNGE only when no other message of the folder is flagged \\Deleted (another
    client's pending deletes are not ours to carry out). True when expunged."""
    client.add_flags(uids, ["\\Deleted"], silent=True)
    if uidplus:
        client.uid_expunge(uids)
        return True
    if set(client.search(["DELETED"])) <= set(uids):
        client.expunge()
        return True
    return False


def expunge_uids(
    client: IMAPClient, folder: str, uidvalidity: int, uids: list[int], *, uidplus: bool
) -> str:
    """Delete messages of a folder for good: "expunged"; "flagged" when they could only
    be flagged \\Deleted (no UIDPLUS, and other messages wait for an expunge);
    "validity" when the folder changed UIDVALIDITY (the UIDs name other messages now)."""
    info = client.select_folder(folder, readonly=False)
    if _int(info.get(b"UIDVALIDITY")) != uidvalidity:
        return "validity"
    return "expunged" if _expunge_uids(client, sorted(uids), uidplus=uidplus) else "flagged"


def expunge_message(
    client: IMAPClient, folder: str, uidvalidity: int, uid: int, *, uidplus: bool
) -> str:
    """Delete one message for good: "expunged"; "flagged" when it could only be flagged
    \\Deleted (no UIDPLUS, and other messages wait for an expunge); "missing" when the
    folder no longer holds that UID; "validity" when the folder changed UIDVALIDITY."""
    info = client.select_folder(folder, readonly=False)
    if _int(info.get(b"UIDVALIDITY")) != uidvalidity:
        return "validity"
    if not _uid_present(client, uid):
        return "missing"
    return "expunged" if _expunge_uid(client, uid, uidplus=uidplus) else "flagged"
