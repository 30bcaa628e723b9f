"""SQL for OAuth2: provider registrations and the OAuth fields of accounts.

The token state of an account is ciphertext in account_secrets (see storage.settings).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Db
from storage.settings import put_secret

TOKEN_STATE = "oauth_refresh_token"


@dataclass(frozen=True)
class ProviderRow:
    """An admin's client registration with one provider (the secret apart)."""

    provider: str
    client_id: str
    tenant: str | None
    authority: str | None
    auth_uri: str | None
    token_uri: str | None
    ca_file: str | None
    has_secret: bool
    updated_at: str


async def provider(db: Db, name: str) -> ProviderRow | None:
    """The registration of `name` ("microsoft" | "google"), if any."""
    rows = await providers(db, name)
    return rows[0] if rows else None


async def providers(db: Db, only: str | None = None) -> list[ProviderRow]:
    """Every registration, by provider name (or just `only`)."""
    rows = await db.fetchall(
        "SELECT p.*, EXISTS (SELECT 1 FROM oauth_client_secrets AS s "
        "WHERE s.provider = p.provider) AS has_secret FROM oauth_providers AS p "
        "WHERE ? IS NULL OR p.provider = ? ORDER BY p.provider",
        (only, only),
    )
    return [
        ProviderRow(
            provider=r["provider"], client_id=r["client_id"], tenant=r["tenant"],
            authority=r["authority"], auth_uri=r["auth_uri"], token_uri=r["token_uri"],
            ca_file=r["ca_file"], has_secret=bool(r["has_secret"]), updated_at=r["updated_at"],
        )
        for r in rows
    ]


async def put_provider(db: Db, row: ProviderRow, *, agent_id: int | None) -> None:
    """Create or replace a registration (its secret is set apart, see put_client_secret)."""
    await db.execute(
        "INSERT INTO oauth_providers (provider, client_id, tenant, authority, auth_uri, "
        "token_uri, ca_file, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (provider) DO UPDATE SET client_id = excluded.client_id, "
        "tenant = excluded.tenant, authority = excluded.authority, "
        "auth_uri = excluded.auth_uri, token_uri = excluded.token_uri, "
        "ca_file = excluded.ca_file, updated_by = excluded.updated_by, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (row.provider, row.client_id, row.tenant, row.authority, row.auth_uri,
         row.token_uri, row.ca_file, agent_id),
    )


async def remove_provider(db: Db, name: str) -> bool:
    """Delete a registration and its secret; False if there was none."""
    return await db.execute("DELETE FROM oauth_providers WHERE provider = ?", (name,)) > 0


async def put_client_secret(db: Db, name: str, ciphertext: bytes | None) -> None:
    """Set (ciphertext) or clear (None) a provider's client secret."""
    if ciphertext is None:
        await db.execute("DELETE FROM oauth_client_secrets WHERE provider = ?", (name,))
        return
    await db.execute(
        "INSERT INTO oauth_client_secrets (provider, ciphertext) VALUES (?, ?) "
        "ON CONFLICT (provider) DO UPDATE SET ciphertext = excluded.ciphertext, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (name, ciphertext),
    )


async def client_secret(db: Db, name: str) -> bytes | None:
    """The ciphertext of a provider's client secret, if set."""
    value = await db.scalar(
        "SELECT ciphertext FROM oauth_client_secrets WHERE provider = ?", (name,))
    return None if value is None else bytes(value)


async def accounts_using(db: Db, name: str) -> list[str]:
    """Names of the accounts that log in through provider `name`."""
    rows = await db.fetchall(
        "SELECT name FROM accounts WHERE oauth_provider = ? ORDER BY name", (name,))
    return [r["name"] for r in rows]


async def set_account_provider(db: Db, account_id: int, name: str | None) -> None:
    """Make an account log in through provider `name` (None: back to a password)."""
    await db.execute(
        "UPDATE accounts SET oauth_provider = ?, oauth_user = NULL, oauth_expires_at = NULL "
        "WHERE id = ?",
        (name, account_id),
    )


async def record_grant(
    db: Db, account_id: int, *, user: str | None, expires_at: str, state: bytes
) -> None:
    """A new or refreshed token: its owner, its expiry and the encrypted token state."""
    await db.execute(
        "UPDATE accounts SET oauth_user = COALESCE(?, oauth_user), oauth_expires_at = ? "
        "WHERE id = ?",
        (user, expires_at, account_id),
    )
    await put_secret(db, account_id, TOKEN_STATE, state)


async def drop_token(db: Db, account_id: int) -> None:
    """Forget an account's token state (signing in again starts afresh)."""
    await db.execute(
        "DELETE FROM account_secrets WHERE account_id = ? AND purpose = ?",
        (account_id, TOKEN_STATE))
    await db.execute("UPDATE accounts SET oauth_expires_at = NULL WHERE id = ?", (account_id,))
