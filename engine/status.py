"""Sync health of accounts, for `frontdesk status` and the console's status bar."""

from __future__ import annotations

from dataclasses import dataclass

from storage import Store
from storage import folder_state as folder_sql
from storage import folders as folders_sql
from storage import jobs as jobs_sql
from storage.records import AccountSettings


@dataclass(frozen=True)
class FolderHealth:
    name: str
    role: str | None
    synced: bool
    messages: int
    unread: int
    last_sync_at: str | None
    last_error: str | None


@dataclass(frozen=True)
class AccountHealth:
    name: str
    email: str
    last_sync_at: str | None
    last_error: str | None
    last_error_at: str | None
    auth_failed: bool
    messages: int
    unread: int
    jobs_pending: int
    jobs_failed: int
    folders: tuple[FolderHealth, ...]
    # OAuth2 accounts: the provider, whom the token is for, when the access token
    # expires (it is renewed before then), and whether someone must sign in again.
    oauth_provider: str | None = None
    oauth_user: str | None = None
    token_expires_at: str | None = None
    needs_sign_in: bool = False

    @property
    def healthy(self) -> bool:
        return self.last_error is None and not any(f.last_error for f in self.folders)


async def account_health(
    store: Store, account: AccountSettings, *, counts: bool = True
) -> AccountHealth:
    """Counts (unless not wanted), last success, last errors and pending jobs of one
    account."""
    found = await folders_sql.list_visible(store.reader, [account.id]) if counts else []
    counted = {f.id: f for f in found}
    states = await folder_sql.of_account(store.reader, account.id)
    jobs = await jobs_sql.counts(store.reader, account.id)
    folders = tuple(
        FolderHealth(
            name=f.name, role=f.role, synced=f.sync_enabled,
            messages=counted[f.id].total if f.id in counted else 0,
            unread=counted[f.id].unread if f.id in counted else 0,
            last_sync_at=f.last_sync_at, last_error=f.last_error,
        )
        for f in states if f.present
    )
    return AccountHealth(
        name=account.name, email=account.email, last_sync_at=account.last_sync_at,
        last_error=account.last_error, last_error_at=account.last_error_at,
        auth_failed=account.auth_failed,
        messages=sum(f.messages for f in folders), unread=sum(f.unread for f in folders),
        jobs_pending=jobs.get("pending", 0) + jobs.get("running", 0),
        jobs_failed=jobs.get("failed", 0), folders=folders,
        oauth_provider=account.oauth_provider, oauth_user=account.oauth_user,
        token_expires_at=account.oauth_expires_at,
        needs_sign_in=bool(account.oauth_provider) and (
            account.auth_failed or not account.has_token),
    )
