"""Blocking senders and domains: the deny list, and hiding the mail it covers.

An entry applies to one account, or to every account (admins only). Its mail is not
imported from then on (engine.ingest), and stored mail it covers is marked blocked:
hidden from listings and counts, never destroyed, shown again when the entry goes.
A domain entry covers its subdomains too (storage/deny.py states the rule).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.access import require_act, visible_accounts
from engine.errors import AccessDeniedError, InvalidInputError, NotFoundError
from engine.names import domain_of
from storage import Db, Store, accounts, agents, audit, deny, messages

if TYPE_CHECKING:
    from engine.models import Agent, BlockEntry

KINDS = ("address", "domain")
MAX_ADDRESS = 254  # RFC 5321's limit on a path
MAX_DOMAIN = 253
# Labels without spaces, '@' or empty ones; a domain to block has at least two.
_DOMAIN = re.compile(r"[^\s@.]+(?:\.[^\s@.]+)+")
_ADDRESS_DOMAIN = re.compile(r"[^\s@.]+(?:\.[^\s@.]+)*")


def normalise(kind: str, value: str) -> str:
    """The value to store for an entry of `kind`, lower-cased; InvalidInputError when the
    kind is unknown or the value does not look like an address (local@domain) or a domain
    (a.b)."""
    if kind not in KINDS:
        raise InvalidInputError(f"cannot block by {_shown(kind)}: choose address or domain")
    text = value.strip().lower()
    if kind == "address":
        local, at, domain = text.rpartition("@")
        if (not at or not local or not _ADDRESS_DOMAIN.fullmatch(domain)
                or not text.isprintable() or any(c.isspace() for c in text)
                or len(text) > MAX_ADDRESS):
            raise InvalidInputError(
                f"{_shown(value)} is not an email address: give one like name@example.com"
            )
        return text
    if "@" in text:
        raise InvalidInputError(
            f"{_shown(value)} is not a domain: give it without '@', like example.com"
        )
    if not _DOMAIN.fullmatch(text) or not text.isprintable() or len(text) > MAX_DOMAIN:
        raise InvalidInputError(f"{_shown(value)} is not a domain: give one like example.com")
    return text


async def block(
    store: Store, agent: Agent, kind: str, value: str, *, account: str | None
) -> BlockEntry:
    """Deny `value` on the account named `account` (one the agent may see), or on every
    account when it is None (admins only). Stored mail it covers is hidden at once.
    Blocking what is already blocked returns the existing entry."""
    text = normalise(kind, value)
    if account is None:
        await _require_admin(store, agent, "only an admin can block on every account; "
                             "block on one account instead")
        return await _add(store, agent, kind, text, account_id=None)
    found = await accounts.by_name(store.reader, account)
    missing = f"no account named {account!r}; see `frontdesk account list`"
    if found is None:
        raise NotFoundError(missing)
    await require_act(store, agent.id, found.id, missing=missing)
    return await _add(store, agent, kind, text, account_id=found.id)


async def block_sender(store: Store, agent: Agent, message_id: int, kind: str) -> BlockEntry:
    """Block the sender of a message the agent can see (its address, or its domain) on
    the message's account."""
    if kind not in KINDS:
        raise InvalidInputError(f"cannot block by {_shown(kind)}: choose address or domain")
    visible = await visible_accounts(store, agent.id)
    head = await messages.headers(store.reader, message_id=message_id, account_ids=visible)
    if head is None:
        raise NotFoundError(f"message {message_id} not found")
    await require_act(store, agent.id, head.account_id,
                      missing=f"message {message_id} not found")
    address = head.from_addr.strip().lower()
    value = address if kind == "address" else domain_of(address)
    if "@" not in address or not value:
        raise InvalidInputError(f"message {message_id} has no sender address to block")
    return await _add(store, agent, kind, normalise(kind, value), account_id=head.account_id)


async def unblock(store: Store, agent: Agent, entry_id: int) -> BlockEntry:
    """Remove an entry the agent may see (one on every account: admins only); the stored
    mail it hid is shown again, unless another entry still covers it."""
    visible = await visible_accounts(store, agent.id)
    async with store.transaction() as db:
        entry = await deny.by_id(db, entry_id)
        if entry is None or (entry.account_id is not None and entry.account_id not in visible):
            raise NotFoundError(f"block {entry_id} not found")
        if entry.account_id is None:
            await _require_admin(store, agent, "only an admin can remove a block on every "
                                 "account")
        else:
            await require_act(store, agent.id, entry.account_id,
                              missing=f"block {entry_id} not found")
        await deny.delete(db, entry.id)
        shown = await deny.show_uncovered(db, account_id=entry.account_id, kind=entry.kind,
                                          value=entry.value)
        await _audit(db, agent, "block.remove", entry, shown=shown)
    return replace(entry, changed=shown)


async def entries(store: Store, agent: Agent) -> list[BlockEntry]:
    """Entries of the accounts the agent may see, and those on every account, newest
    first."""
    return await deny.entries_for(store.reader, await visible_accounts(store, agent.id))


async def _add(
    store: Store, agent: Agent, kind: str, value: str, *, account_id: int | None
) -> BlockEntry:
    visible = await visible_accounts(store, agent.id)
    async with store.transaction() as db:
        await _refuse_own_mailboxes(db, kind, value, visible)
        existing = await deny.find(db, account_id=account_id, kind=kind, value=value)
        if existing is not None:
            return existing
        entry_id = await deny.insert(db, account_id=account_id, kind=kind, value=value,
                                     created_by=agent.id)
        hidden = await deny.hide_covered(db, account_id=account_id, kind=kind, value=value)
        entry = await deny.by_id(db, entry_id)
        assert entry is not None  # inserted in this transaction
        await _audit(db, agent, "block.add", entry, hidden=hidden)
    return replace(entry, changed=hidden)


async def _refuse_own_mailboxes(db: Db, kind: str, value: str, visible: frozenset[int]) -> None:
    """Mail between the team's own mailboxes must keep flowing: refuse an entry that
    covers any account's address, the agent's or a colleague's. A mailbox the agent may
    not see is not named."""
    covered = await deny.accounts_covered(db, kind=kind, value=value)
    if not covered:
        return
    named = next((a for a in covered if a.id in visible), None)
    if kind == "address":
        whose = f"the mailbox {named.name}" if named else "a mailbox in this store"
        raise InvalidInputError(f"refusing to block {value}: it is the address of {whose}")
    which = f"the mailbox {named.email}" if named else "a mailbox in this store"
    raise InvalidInputError(f"refusing to block {value}: {which} is on it")


async def _require_admin(store: Store, agent: Agent, message: str) -> None:
    # The role is read from the store, as visible_accounts does: a demotion counts at once.
    current = await agents.by_id(store.reader, agent.id)
    if current is None or not current.active or current.role != "admin":
        raise AccessDeniedError(message)


async def _audit(db: Db, agent: Agent, action: str, entry: BlockEntry, **counts: int) -> None:
    """One audit row for the change, with how many stored messages it hid or showed."""
    await audit.record(
        db, agent_id=agent.id, action=action, target_kind="deny_list", target_id=entry.id,
        detail={"account_id": entry.account_id, "account": entry.account, "kind": entry.kind,
                "value": entry.value, **counts},
    )


def _shown(text: str) -> str:
    """A value from the person, quoted for a one-line message and cut when long."""
    return repr(text if len(text) <= 80 else text[:77] + "...")
