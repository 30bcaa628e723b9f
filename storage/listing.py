"""SQL for message listings: a count, a page and a row's position, for one filter.

A listing is ordered newest first (date DESC, id DESC). In conversation mode it holds one
row per thread (a message without a thread is its own row): the thread's newest message
among those the filter keeps, with `thread_count` = how many of its messages it keeps.

Every statement filters by the account ids in the filter, and leaves deleted and blocked
mail out. Paging walks a covering index (migrations 0003 and 0004, rebuilt with `blocked`
by 0005) and reads table rows only for the page returned, so deep pages and counts stay
fast on large folders. A count with a full-text match is driven by the search index
instead: its matches are fewer than the rows an index walk would visit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.access import ids_param
from storage.db import Db
from storage.messages import SUMMARY_COLUMNS, SUMMARY_JOIN, summary
from storage.records import MessageSummary

_DATE_INDEX = "messages_list_date"
_FOLDER_INDEX = "messages_list_folder"
_THREAD_INDEX = "messages_list_thread"
_TEXT_INDEX = "messages_list_text"
_ORDER = "ORDER BY m.date DESC, m.id DESC"


@dataclass(frozen=True)
class ListingFilter:
    """Which messages a listing holds. Built by the engine from a scope and a search.

    match / exclude are FTS5 expressions whose terms are quoted FTS5 strings
    (engine.search.fts); every other text value is matched as a plain substring.
    before / after are days, "YYYY-MM-DD" (UTC): before excludes that day, after
    includes it.
    """

    account_ids: frozenset[int]
    folder_ids: frozenset[int] | None = None  # None: every folder of those accounts
    match: str | None = None
    exclude: str | None = None
    senders: tuple[str, ...] = ()
    not_senders: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    not_recipients: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    not_subjects: tuple[str, ...] = ()
    unread: bool | None = None
    flagged: bool | None = None
    has_attachment: bool | None = None
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class ScopeFolder:
    """A folder as a listing's scope needs it: no counts, so it is cheap to read."""

    id: int
    account_id: int
    name: str
    role: str | None


async def scope_folders(db: Db, account_ids: Iterable[int]) -> list[ScopeFolder]:
    """Every folder of these accounts."""
    rows = await db.fetchall(
        "SELECT id, account_id, name, role FROM folders "
        "WHERE account_id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (ids_param(account_ids),),
    )
    return [ScopeFolder(r["id"], r["account_id"], r["name"], r["role"]) for r in rows]


def like_pattern(value: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching `value` anywhere, taken literally."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _Conditions:
    """The WHERE terms of a filter, written for any table alias; the parameters are
    named and shared, so one statement can apply the filter to several aliases."""

    def __init__(self, f: ListingFilter) -> None:
        self.filter = f
        self.params: dict[str, Any] = {"accounts": ids_param(f.account_ids)}
        self._text: list[tuple[str, tuple[str, ...], bool]] = []
        if f.folder_ids is not None and len(f.folder_ids) == 1:
            self.params["folder"] = next(iter(f.folder_ids))
        elif f.folder_ids is not None:
            self.params["folders"] = ids_param(f.folder_ids)
        if f.match is not None:
            self.params["match"] = f.match
        if f.exclude is not None:
            self.params["exclude"] = f.exclude
        for key, values, negated, columns in (
            ("s", f.senders, False, ("from_addr", "from_name")),
            ("ns", f.not_senders, True, ("from_addr", "from_name")),
            ("r", f.recipients, False, ("to_addrs", "cc_addrs")),
            ("nr", f.not_recipients, True, ("to_addrs", "cc_addrs")),
            ("j", f.subjects, False, ("subject",)),
            ("nj", f.not_subjects, True, ("subject",)),
        ):
            for n, value in enumerate(values):
                name = f"{key}{n}"
                self.params[name] = like_pattern(value)
                self._text.append((name, columns, negated))
        for name, wanted in (("seen", None if f.unread is None else not f.unread),
                             ("flagged", f.flagged), ("attach", f.has_attachment)):
            if wanted is not None:
                self.params[name] = int(wanted)
        if f.before is not None:
            self.params["before"] = f.before
        if f.after is not None:
            self.params["after"] = f.after

    @property
    def one_folder(self) -> bool:
        return "folder" in self.params

    def index(self) -> str:
        """The covering index that walks this filter's rows in list order."""
        if self._text:
            return _TEXT_INDEX
        return _FOLDER_INDEX if self.one_folder else _DATE_INDEX

    def source(self) -> str:
        """messages AS m, with the index a count should read it by: none when a
        full-text match narrows the rows (SQLite then starts from the match)."""
        if "match" in self.params:
            return "messages AS m"
        return f"messages AS m INDEXED BY {self.index()}"

    def where(self, a: str) -> str:
        """The filter as a condition on rows of alias `a`."""
        terms = [f"{a}.account_id IN (SELECT value FROM json_each(:accounts))",
                 f"{a}.deleted = 0", f"{a}.blocked = 0"]
        if self.one_folder:
            terms.append(f"{a}.folder_id = :folder")
        elif "folders" in self.params:
            terms.append(f"{a}.folder_id IN (SELECT value FROM json_each(:folders))")
        for name, column in (("seen", "seen"), ("flagged", "flagged"),
                             ("attach", "has_attachments")):
            if name in self.params:
                terms.append(f"{a}.{column} = :{name}")
        if "before" in self.params:
            terms.append(f"{a}.date < :before")
        if "after" in self.params:
            terms.append(f"{a}.date >= :after")
        for name, columns, negated in self._text:
            either = " OR ".join(f"{a}.{c} LIKE :{name} ESCAPE '\\'" for c in columns)
            terms.append(f"NOT ({either})" if negated else f"({either})")
        if "match" in self.params:
            terms.append(f"{a}.id IN (SELECT rowid FROM message_fts "
                         "WHERE message_fts MATCH :match)")
        if "exclude" in self.params:
            terms.append(f"{a}.id NOT IN (SELECT rowid FROM message_fts "
                         "WHERE message_fts MATCH :exclude)")
        return " AND ".join(terms)

    def newest_of_thread(self, a: str, b: str) -> str:
        """True when row `a` is the newest row of its thread that the filter keeps."""
        return (
            f"({a}.thread_id IS NULL OR NOT EXISTS ("
            f"SELECT 1 FROM messages AS {b} INDEXED BY {_THREAD_INDEX} "
            f"WHERE {b}.thread_id = {a}.thread_id AND ({b}.date, {b}.id) > ({a}.date, {a}.id) "
            f"AND {self.where(b)}))"
        )

    def rows(self, threads: bool) -> str:
        """FROM and WHERE of the listing's rows, as alias m."""
        keep = self.where("m")
        if threads:
            keep += " AND " + self.newest_of_thread("m", "n")
        return f"FROM messages AS m INDEXED BY {self.index()} WHERE {keep}"


async def count(db: Db, f: ListingFilter, *, threads: bool = False) -> int:
    """How many rows the listing holds (threads, in conversation mode)."""
    c = _Conditions(f)
    if threads:
        sql = (f"SELECT count(DISTINCT coalesce(m.thread_id, -m.id)) FROM {c.source()} "
               f"WHERE {c.where('m')}")
    else:
        sql = f"SELECT count(*) FROM {c.source()} WHERE {c.where('m')}"
    return int(await db.scalar(sql, c.params))


async def page(
    db: Db, f: ListingFilter, *, threads: bool = False, offset: int = 0, limit: int = 200
) -> list[MessageSummary]:
    """Rows offset..offset+limit of the listing, newest first."""
    c = _Conditions(f)
    thread_count = "1"
    if threads:
        thread_count = (
            "CASE WHEN m.thread_id IS NULL THEN 1 ELSE ("
            f"SELECT count(*) FROM messages AS n INDEXED BY {_THREAD_INDEX} "
            f"WHERE n.thread_id = m.thread_id AND {c.where('n')}) END"
        )
    rows = await db.fetchall(
        f"""
        SELECT {SUMMARY_COLUMNS}, {thread_count} AS thread_count
          FROM (SELECT m.id {c.rows(threads)} {_ORDER} LIMIT :limit OFFSET :offset) AS page
          JOIN messages AS m ON m.id = page.id
          {SUMMARY_JOIN}
         {_ORDER}
        """,
        {**c.params, "limit": max(0, limit), "offset": max(0, offset)},
    )
    return [summary(r) for r in rows]


async def position(
    db: Db, f: ListingFilter, *, message_id: int, threads: bool = False
) -> int | None:
    """The 0-based row of `message_id` in the listing (in conversation mode, the row of
    its thread); None when the listing does not hold it."""
    c = _Conditions(f)
    target = await db.fetchone(
        f"SELECT m.id, m.date, m.thread_id FROM messages AS m WHERE m.id = :target "
        f"AND {c.where('m')}",
        {**c.params, "target": message_id},
    )
    if target is None:
        return None
    row_id, row_date = target["id"], target["date"]
    if threads and target["thread_id"] is not None:
        newest = await db.fetchone(
            f"SELECT m.id, m.date FROM messages AS m INDEXED BY {_THREAD_INDEX} "
            f"WHERE m.thread_id = :thread AND {c.where('m')} {_ORDER} LIMIT 1",
            {**c.params, "thread": target["thread_id"]},
        )
        if newest is None:  # the store changed between the two reads
            return None
        row_id, row_date = newest["id"], newest["date"]
    before = await db.scalar(
        f"SELECT count(*) {c.rows(threads)} AND (m.date, m.id) > (:date, :id)",
        {**c.params, "date": row_date, "id": row_id},
    )
    return int(before)


async def data_version(db: Db) -> int:
    """A number that changes whenever another connection commits to the store (the
    reader's PRAGMA data_version; the writer of this process counts as another)."""
    return int(await db.scalar("PRAGMA data_version"))
