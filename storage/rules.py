"""SQL for rules on arrival: rules, out of office, processing modes, the queue of inbox
mail waiting for its rules, the auto-responses sent and what the rules did ("Why?").

Rules hang on a mailbox; the engine decides who may read or change them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage import raw_packs
from storage.access import ids_param
from storage.db import Db

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


@dataclass(frozen=True)
class RuleCondition:
    """One test on a message: `field` (from, to, cc, subject, body, header,
    has_attachment, account), `op` (contains, not_contains, equals, starts_with,
    ends_with, regex, any_of), `value`; `header` names the header for field "header"."""

    field: str
    op: str
    value: str = ""
    header: str = ""


@dataclass(frozen=True)
class Rule:
    """An auto-response rule (kind "respond") or a move filter (kind "filter") of one
    mailbox. A response is `body` (a template) or the saved template `template`."""

    id: int
    account_id: int
    account: str
    name: str
    kind: str  # respond | filter
    active: bool
    position: int
    conditions: tuple[RuleCondition, ...]
    actions: tuple[str, ...] = ()  # filter: move, mark_read, flag, block
    folder: str = ""  # filter: where "move" puts the message
    subject: str = ""  # respond: the subject template ("" = "Re: " + the subject)
    body: str = ""
    format: str = "plain"  # plain | html
    template: str = ""  # respond: a saved template's name, used instead of body
    period_days: int = 4
    enabled_at: str | None = None
    updated_at: str = ""


@dataclass(frozen=True)
class OutOfOffice:
    """An out-of-office reply: an agent's (its personal mailboxes) or a mailbox's."""

    id: int
    agent_id: int | None
    agent: str  # the agent's name; "" for a mailbox's
    account_id: int | None
    account: str  # the mailbox's name; "" for an agent's
    starts: str
    ends: str
    subject: str
    body: str
    format: str
    template: str
    updated_at: str


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule (or the processing mode, or an out of office) did with a message."""

    message_id: int
    source: str  # mode | filter | respond | ooo
    name: str
    matched: bool
    fired: bool
    detail: str
    outgoing_id: int | None
    at: str


@dataclass(frozen=True)
class Waiting:
    """A queued inbox message whose body is stored: ready for its rules."""

    message_id: int
    account_id: int
    codec: str
    data: bytes


_RULE = """SELECT r.id, r.account_id, a.name AS account, r.name, r.kind, r.active,
       r.position, r.conditions, r.actions, coalesce(r.folder, '') AS folder, r.subject,
       coalesce(t.body, r.body) AS body, coalesce(t.format, r.format) AS format,
       coalesce(t.name, '') AS template, r.period_days, r.enabled_at, r.updated_at
  FROM rules AS r JOIN accounts AS a ON a.id = r.account_id
  LEFT JOIN templates AS t ON t.id = r.template_id"""

_OOO = """SELECT o.id, o.agent_id, coalesce(g.name, '') AS agent, o.account_id,
       coalesce(a.name, '') AS account, o.starts, o.ends, o.subject,
       coalesce(t.body, o.body) AS body, coalesce(t.format, o.format) AS format,
       coalesce(t.name, '') AS template, o.updated_at
  FROM out_of_office AS o LEFT JOIN agents AS g ON g.id = o.agent_id
  LEFT JOIN accounts AS a ON a.id = o.account_id
  LEFT JOIN templates AS t ON t.id = o.template_id"""


def _rule(row: sqlite3.Row) -> Rule:
    return Rule(
        id=row["id"], account_id=row["account_id"], account=row["account"], name=row["name"],
        kind=row["kind"], active=bool(row["active"]), position=row["position"],
        conditions=tuple(RuleCondition(**c) for c in json.loads(row["conditions"])),
        actions=tuple(json.loads(row["actions"])), folder=row["folder"],
        subject=row["subject"], body=row["body"], format=row["format"],
        template=row["template"], period_days=row["period_days"],
        enabled_at=row["enabled_at"], updated_at=row["updated_at"],
    )


def _ooo(row: sqlite3.Row) -> OutOfOffice:
    return OutOfOffice(
        id=row["id"], agent_id=row["agent_id"], agent=row["agent"],
        account_id=row["account_id"], account=row["account"], starts=row["starts"],
        ends=row["ends"], subject=row["subject"], body=row["body"], format=row["format"],
        template=row["template"], updated_at=row["updated_at"],
    )


def _conditions(conditions: Iterable[RuleCondition]) -> str:
    return json.dumps([{"field": c.field, "op": c.op, "value": c.value, "header": c.header}
                       for c in conditions])


# Rules

async def of_accounts(db: Db, account_ids: Iterable[int], *, active_only: bool = False,
                      kind: str | None = None) -> list[Rule]:
    """The rules of these mailboxes, by mailbox then position then id."""
    ids = ids_param(account_ids)
    where = "r.account_id IN (SELECT value FROM json_each(:ids))"
    if active_only:
        where += " AND r.active = 1"
    if kind is not None:
        where += " AND r.kind = :kind"
    rows = await db.fetchall(f"{_RULE} WHERE {where} ORDER BY a.name, r.position, r.id",
                             {"ids": ids, "kind": kind})
    return [_rule(r) for r in rows]


async def by_id(db: Db, rule_id: int) -> Rule | None:
    row = await db.fetchone(f"{_RULE} WHERE r.id = ?", (rule_id,))
    return None if row is None else _rule(row)


async def by_name(db: Db, account_id: int, name: str) -> Rule | None:
    row = await db.fetchone(f"{_RULE} WHERE r.account_id = ? AND r.name = ?",
                            (account_id, name))
    return None if row is None else _rule(row)


async def template_id(db: Db, name: str) -> int | None:
    value = await db.scalar("SELECT id FROM templates WHERE name = ?", (name,))
    return None if value is None else int(value)


async def insert_rule(db: Db, rule: Rule, *, template_id: int | None, agent_id: int | None) -> int:
    """A new rule; `rule.id`, `account` and `updated_at` are ignored. Switched on now
    when active."""
    position = rule.position or int(await db.scalar(
        "SELECT coalesce(max(position), 0) + 1 FROM rules WHERE account_id = ?",
        (rule.account_id,)))
    return await db.insert(
        f"""INSERT INTO rules (account_id, name, kind, active, position, conditions, actions,
               folder, subject, body, format, template_id, period_days, enabled_at,
               created_by, updated_by)
            VALUES (:account_id, :name, :kind, :active, :position, :conditions, :actions,
               :folder, :subject, :body, :format, :template_id, :period_days,
               CASE WHEN :active THEN {_NOW} END, :agent, :agent)""",
        {"account_id": rule.account_id, "name": rule.name, "kind": rule.kind,
         "active": int(rule.active), "position": position,
         "conditions": _conditions(rule.conditions), "actions": json.dumps(list(rule.actions)),
         "folder": rule.folder or None, "subject": rule.subject,
         "body": "" if template_id is not None else rule.body, "format": rule.format,
         "template_id": template_id, "period_days": rule.period_days, "agent": agent_id},
    )


async def update_rule(db: Db, rule: Rule, *, template_id: int | None, agent_id: int | None) -> None:
    """Replace what a rule says (not its mailbox). Switching it on sets enabled_at now;
    a rule that stays on keeps its enabled_at."""
    await db.execute(
        f"""UPDATE rules SET name = :name, kind = :kind, position = :position,
               conditions = :conditions, actions = :actions, folder = :folder,
               subject = :subject, body = :body, format = :format,
               template_id = :template_id, period_days = :period_days,
               enabled_at = CASE WHEN :active AND NOT active THEN {_NOW}
                                 WHEN :active THEN enabled_at END,
               active = :active, updated_by = :agent, updated_at = {_NOW}
             WHERE id = :id""",
        {"id": rule.id, "name": rule.name, "kind": rule.kind, "active": int(rule.active),
         "position": rule.position, "conditions": _conditions(rule.conditions),
         "actions": json.dumps(list(rule.actions)), "folder": rule.folder or None,
         "subject": rule.subject, "body": "" if template_id is not None else rule.body,
         "format": rule.format, "template_id": template_id, "period_days": rule.period_days,
         "agent": agent_id},
    )


async def set_active(db: Db, rule_id: int, active: bool, *, agent_id: int | None) -> bool:
    """Switch a rule on (enabled_at = now) or off; False when it already was."""
    changed = await db.execute(
        f"""UPDATE rules SET active = :active, updated_by = :agent, updated_at = {_NOW},
               enabled_at = CASE WHEN :active THEN {_NOW} END
             WHERE id = :id AND active <> :active""",
        {"id": rule_id, "active": int(active), "agent": agent_id},
    )
    return changed > 0


async def delete_rule(db: Db, rule_id: int) -> None:
    await db.execute("DELETE FROM rules WHERE id = ?", (rule_id,))


async def rules_using_template(db: Db, template: int) -> list[str]:
    """"account/rule" names of the rules and out-of-office replies using a template."""
    rows = await db.fetchall(
        """SELECT a.name || '/' || r.name FROM rules AS r JOIN accounts AS a
                ON a.id = r.account_id WHERE r.template_id = :t
           UNION ALL
           SELECT 'out of office of ' || coalesce(g.name, a.name) FROM out_of_office AS o
             LEFT JOIN agents AS g ON g.id = o.agent_id
             LEFT JOIN accounts AS a ON a.id = o.account_id WHERE o.template_id = :t""",
        {"t": template})
    return [r[0] for r in rows]


# Processing mode

async def processing_mode(db: Db, account_id: int) -> tuple[str, str | None]:
    """(mode, since): none | lead | case, and when it was chosen."""
    row = await db.fetchone(
        "SELECT processing_mode, processing_mode_since FROM accounts WHERE id = ?",
        (account_id,))
    return ("none", None) if row is None else (row[0], row[1])


async def set_processing_mode(db: Db, account_id: int, mode: str) -> bool:
    """Set the mode (its `since` is now); False when it already was."""
    changed = await db.execute(
        f"""UPDATE accounts SET processing_mode = :mode,
               processing_mode_since = CASE WHEN :mode = 'none' THEN NULL ELSE {_NOW} END
             WHERE id = :id AND processing_mode <> :mode""",
        {"id": account_id, "mode": mode})
    return changed > 0


# Out of office

async def out_of_office_for(db: Db, *, agent_id: int | None = None,
                            account_id: int | None = None) -> OutOfOffice | None:
    if agent_id is not None:
        row = await db.fetchone(f"{_OOO} WHERE o.agent_id = ?", (agent_id,))
    else:
        row = await db.fetchone(f"{_OOO} WHERE o.account_id = ?", (account_id,))
    return None if row is None else _ooo(row)


async def out_of_office_list(db: Db, *, agent_id: int,
                             account_ids: Iterable[int]) -> list[OutOfOffice]:
    """The agent's own out of office and those of these mailboxes."""
    rows = await db.fetchall(
        f"""{_OOO} WHERE o.agent_id = :agent
               OR o.account_id IN (SELECT value FROM json_each(:ids))
             ORDER BY o.agent_id IS NULL, a.name""",
        {"agent": agent_id, "ids": ids_param(account_ids)})
    return [_ooo(r) for r in rows]


async def put_out_of_office(db: Db, *, agent_id: int | None, account_id: int | None,
                            starts: str, ends: str, subject: str, body: str, format: str,
                            template_id: int | None, updated_by: int | None) -> int:
    """Set (replace) an out of office. A replacement is a new period: the senders already
    answered in the old one are answered again."""
    await delete_out_of_office(db, agent_id=agent_id, account_id=account_id)
    return await db.insert(
        """INSERT INTO out_of_office (agent_id, account_id, starts, ends, subject, body,
               format, template_id, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (agent_id, account_id, starts, ends, subject,
         "" if template_id is not None else body, format, template_id, updated_by))


async def delete_out_of_office(db: Db, *, agent_id: int | None,
                               account_id: int | None) -> bool:
    if agent_id is not None:
        changed = await db.execute("DELETE FROM out_of_office WHERE agent_id = ?", (agent_id,))
    else:
        changed = await db.execute("DELETE FROM out_of_office WHERE account_id = ?",
                                   (account_id,))
    return changed > 0


# The queue of inbox mail waiting for its rules

async def queue(db: Db, account_id: int, message_ids: Iterable[int]) -> None:
    await db.executemany(
        "INSERT OR IGNORE INTO rule_queue (message_id, account_id) VALUES (?, ?)",
        [(m, account_id) for m in message_ids])


async def waiting(db: Db, account_id: int, *, limit: int) -> list[Waiting]:
    """Queued messages of the account whose body is stored, oldest first."""
    rows = await db.fetchall(
        f"""SELECT q.message_id, q.account_id, {raw_packs.COLUMNS}
              FROM rule_queue AS q JOIN message_raw AS r ON r.message_id = q.message_id
             WHERE q.account_id = ? ORDER BY q.message_id LIMIT ?""",
        (account_id, limit))
    return [Waiting(r[0], r[1], *await raw_packs.stored(db, r[0], *r[2:])) for r in rows]


async def take(db: Db, message_id: int) -> bool:
    """Take a message off the queue; False when it was not on it (done already)."""
    return await db.execute("DELETE FROM rule_queue WHERE message_id = ?", (message_id,)) > 0


async def queued_count(db: Db, account_id: int) -> int:
    return int(await db.scalar("SELECT count(*) FROM rule_queue WHERE account_id = ?",
                               (account_id,)))


# Auto-responses sent, and what the rules did

async def last_response(db: Db, *, recipient: str, rule_id: int | None = None,
                        ooo_id: int | None = None, since: str) -> str | None:
    """When the latest auto-response to `recipient` since `since` was queued, of the rule
    or the out of office given (of any when neither is)."""
    where = "recipient = :to AND sent_at >= :since"
    if rule_id is not None:
        where += " AND rule_id = :rule"
    if ooo_id is not None:
        where += " AND ooo_id = :ooo"
    value = await db.scalar(f"SELECT max(sent_at) FROM auto_responses WHERE {where}",
                            {"to": recipient, "since": since, "rule": rule_id, "ooo": ooo_id})
    return None if value is None else str(value)


async def responses_since(db: Db, *, recipient: str, since: str) -> int:
    return int(await db.scalar(
        "SELECT count(*) FROM auto_responses WHERE recipient = ? AND sent_at >= ?",
        (recipient, since)))


async def record_response(db: Db, *, account_id: int, rule_id: int | None,
                          ooo_id: int | None, recipient: str, message_id: int,
                          outgoing_id: int) -> None:
    await db.insert(
        """INSERT INTO auto_responses (account_id, rule_id, ooo_id, recipient, message_id,
               outgoing_id) VALUES (?, ?, ?, ?, ?, ?)""",
        (account_id, rule_id, ooo_id, recipient, message_id, outgoing_id))


async def record_outcomes(db: Db, message_id: int,
                          outcomes: Sequence[tuple[int | None, RuleOutcome]]) -> None:
    """Store what happened to a message (replacing what an earlier run stored)."""
    await db.execute("DELETE FROM rule_outcomes WHERE message_id = ?", (message_id,))
    await db.executemany(
        """INSERT INTO rule_outcomes (message_id, rule_id, source, name, matched, fired,
               detail, outgoing_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [(message_id, rule_id, o.source, o.name, int(o.matched), int(o.fired), o.detail,
          o.outgoing_id) for rule_id, o in outcomes])


async def outcomes(db: Db, message_id: int) -> list[RuleOutcome]:
    rows = await db.fetchall(
        """SELECT message_id, source, name, matched, fired, detail, outgoing_id, at
             FROM rule_outcomes WHERE message_id = ? ORDER BY id""", (message_id,))
    return [RuleOutcome(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6], r[7])
            for r in rows]


@dataclass(frozen=True)
class Target:
    """What applying rules needs of one stored message."""

    id: int
    account_id: int
    folder_id: int
    folder_role: str | None
    thread_id: int | None
    uidvalidity: int | None
    uid: int | None
    message_id: str | None
    subject: str
    from_name: str
    from_addr: str
    date: str
    arrived: str  # the server's INTERNALDATE, else the Date header
    deleted: bool
    customer_id: int | None


async def target(db: Db, message_id: int) -> Target | None:
    row = await db.fetchone(
        """SELECT m.id, m.account_id, m.folder_id, f.role, m.thread_id, m.uidvalidity, m.uid,
                  m.message_id, m.subject, m.from_name, m.from_addr, m.date,
                  coalesce(m.internal_date, m.date), m.deleted,
                  (SELECT ca.customer_id FROM customer_addresses AS ca
                    WHERE ca.address = m.from_addr COLLATE NOCASE LIMIT 1)
             FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
            WHERE m.id = ?""", (message_id,))
    if row is None:
        return None
    return Target(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                  row[9], row[10], row[11], row[12], bool(row[13]), row[14])


async def starts_thread(db: Db, message_id: int, thread_id: int | None) -> bool:
    """Whether no message of the thread was stored before this one."""
    if thread_id is None:
        return True
    return await db.scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM messages WHERE thread_id = ? AND id < ?)",
        (thread_id, message_id)) == 1


async def our_addresses(db: Db) -> frozenset[str]:
    """Every address of the store's mailboxes and agents, lower-cased."""
    rows = await db.fetchall(
        """SELECT lower(email) FROM accounts
           UNION SELECT lower(imap_username) FROM accounts WHERE imap_username LIKE '%@%'
           UNION SELECT lower(email) FROM agents WHERE email <> ''
           UNION SELECT lower(address) FROM agent_addresses""")
    return frozenset(r[0] for r in rows if r[0])


async def inbox_messages(db: Db, account_id: int, *, limit: int) -> list[int]:
    """The ids of the account's latest inbox messages, newest first."""
    rows = await db.fetchall(
        """SELECT m.id FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
            WHERE m.account_id = ? AND f.role = 'inbox' AND m.deleted = 0
            ORDER BY m.date DESC, m.id DESC LIMIT ?""", (account_id, limit))
    return [r[0] for r in rows]


async def raw_of(db: Db, message_id: int) -> tuple[str, bytes] | None:
    row = await db.fetchone(f"SELECT {raw_packs.COLUMNS} FROM message_raw AS r "
                            "WHERE r.message_id = ?", (message_id,))
    return None if row is None else await raw_packs.stored(db, message_id, *row)
