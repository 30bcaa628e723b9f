"""From a Listing (scope, search, unread_only) to the filter storage runs.

Access is decided here: the filter only ever names accounts the agent may see now
(engine.access), and folders of those accounts; account: and folder: narrow that set,
they never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.access import visible_accounts
from engine.errors import InvalidInputError, NotFoundError
from engine.listing import Listing
from engine.models import Account
from engine.search.fts import all_of, any_of
from engine.search.query import SearchQuery, parse_query
from storage import Store, accounts
from storage import listing as listing_sql
from storage.listing import ListingFilter, ScopeFolder

UNIFIED_ROLES = ("inbox", "sent", "drafts", "spam", "trash", "archive")
SCOPE_HELP = "unified:ROLE (e.g. unified:inbox), ACCOUNT:FOLDER, folder:ID or all"


@dataclass(frozen=True)
class Visible:
    """What the agent may see now: account ids, accounts and their folders."""

    account_ids: frozenset[int]
    accounts: tuple[Account, ...]
    folders: tuple[ScopeFolder, ...]


async def visible(store: Store, agent_id: int) -> Visible:
    """The accounts and folders the agent may see."""
    ids = await visible_accounts(store, agent_id)
    return Visible(
        account_ids=ids,
        accounts=tuple(await accounts.list_visible(store.reader, ids)),
        folders=tuple(await listing_sql.scope_folders(store.reader, ids)),
    )


def scope_folders(seen: Visible, scope: str) -> frozenset[int] | None:
    """The folder ids a scope names (None: every folder). Raises InvalidInputError for a
    malformed scope and NotFoundError for a folder the agent cannot see."""
    spec = scope.strip()
    if spec.lower() == "all":
        return None
    kind, _, rest = spec.partition(":")
    if not rest:
        raise InvalidInputError(f"--folder {scope!r}: write {SCOPE_HELP}")
    if kind == "unified":
        role = rest.lower()
        if role not in UNIFIED_ROLES:
            raise InvalidInputError(
                f"--folder {scope!r}: unified folders are {', '.join(UNIFIED_ROLES)}"
            )
        return frozenset(f.id for f in seen.folders if f.role == role)
    if kind == "folder" and rest.isdigit():
        chosen = frozenset(f.id for f in seen.folders if f.id == int(rest))
    else:
        names = {a.id: a.name for a in seen.accounts}
        chosen = frozenset(
            f.id for f in seen.folders
            if names.get(f.account_id) == kind
            and (f.name == rest or rest.upper() == "INBOX" == f.name.upper())
        )
    if not chosen:
        raise NotFoundError(f"no folder {scope!r}; see `frontdesk account folders`")
    return chosen


def _account_named(account: Account, wanted: tuple[str, ...]) -> bool:
    return any(w.lower() in (account.name.lower(), account.email.lower()) for w in wanted)


def _folder_named(folder: ScopeFolder, wanted: tuple[str, ...]) -> bool:
    return any(w.lower() in (folder.name.lower(), (folder.role or "")) for w in wanted)


def build_filter(seen: Visible, listing: Listing) -> ListingFilter | None:
    """The storage filter of a listing; None when it can hold no row (e.g. is:read with
    unread_only). Raises InvalidInputError for a bad scope or query."""
    query = parse_query(listing.query)
    folder_ids = scope_folders(seen, listing.scope)
    unread = query.unread
    if listing.unread_only:
        if unread is False:
            return None
        unread = True
    account_ids = _narrow_accounts(seen, query)
    folder_ids = _narrow_folders(seen, query, folder_ids, account_ids)
    if not account_ids or (folder_ids is not None and not folder_ids):
        return None
    return ListingFilter(
        account_ids=account_ids,
        folder_ids=folder_ids,
        match=all_of(query.text),
        exclude=any_of(query.not_text),
        senders=query.senders,
        not_senders=query.not_senders,
        recipients=query.recipients,
        not_recipients=query.not_recipients,
        subjects=query.subjects,
        not_subjects=query.not_subjects,
        unread=unread,
        flagged=query.flagged,
        has_attachment=query.has_attachment,
        before=query.before.isoformat() if query.before else None,
        after=query.after.isoformat() if query.after else None,
    )


def _narrow_accounts(seen: Visible, query: SearchQuery) -> frozenset[int]:
    chosen = [a for a in seen.accounts if a.id in seen.account_ids]
    if query.accounts:
        chosen = [a for a in chosen if _account_named(a, query.accounts)]
    if query.not_accounts:
        chosen = [a for a in chosen if not _account_named(a, query.not_accounts)]
    return frozenset(a.id for a in chosen)


def _narrow_folders(
    seen: Visible, query: SearchQuery, scoped: frozenset[int] | None,
    account_ids: frozenset[int],
) -> frozenset[int] | None:
    if not query.folders and not query.not_folders:
        return scoped
    chosen = [f for f in seen.folders if f.account_id in account_ids
              and (scoped is None or f.id in scoped)]
    if query.folders:
        chosen = [f for f in chosen if _folder_named(f, query.folders)]
    if query.not_folders:
        chosen = [f for f in chosen if not _folder_named(f, query.not_folders)]
    return frozenset(f.id for f in chosen)
