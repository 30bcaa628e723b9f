"""An OAuth2 account's access token: kept encrypted in the store with what refreshes it,
renewed before it expires, and the account marked when the provider stops honouring it.

The stored blob (account_secrets, purpose "oauth_refresh_token") is JSON, encrypted:
{"access_token", "expires_at", "user", "state"}, where "state" is the provider module's
own (msal's token cache, or Google's refresh token).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from weakref import WeakValueDictionary

from engine.credentials import BearerToken
from engine.errors import OAuthError, OAuthReauthError, SecretError
from engine.oauth.config import MICROSOFT, Grant, ProviderConfig
from engine.oauth.registry import config_for
from engine.secrets import seal, unseal
from storage import Store
from storage import oauth as oauth_sql
from storage import settings as settings_sql
from storage.records import AccountSettings

# Renew this long before the provider's expiry: a login must not race the clock.
RENEW_MARGIN = timedelta(minutes=5)

# One refresh at a time per account (the sync and IDLE connections log in together).
_locks: WeakValueDictionary[tuple[str, int], asyncio.Lock] = WeakValueDictionary()


def reconnect_hint(account: AccountSettings) -> str:
    """The command that signs an account in again."""
    return f"frontdesk account reconnect {account.name}"


def state_context(account_id: int) -> str:
    """What an account's token blob is bound to when encrypted."""
    return f"account:{account_id}:{oauth_sql.TOKEN_STATE}"


async def store_grant(store: Store, account: AccountSettings, grant: Grant) -> None:
    """Keep a new grant (encrypted) and its expiry; the account may sync again."""
    blob = json.dumps({"access_token": grant.access_token,
                       "expires_at": grant.expires_at.isoformat(),
                       "user": grant.user, "state": grant.state})
    sealed = await seal(store.path, blob, context=state_context(account.id))
    async with store.transaction() as db:
        await oauth_sql.record_grant(db, account.id, user=grant.user,
                                     expires_at=iso_utc(grant.expires_at), state=sealed)
        await settings_sql.clear_auth_failure(db, account.id)


async def bearer_for(store: Store, account: AccountSettings, *,
                     force: bool = False) -> BearerToken:
    """A valid access token for the account's login, renewed first when it expires
    within RENEW_MARGIN (or with `force`: the server refused the one we had).

    Raises OAuthReauthError (and marks the account) when the provider refuses to renew
    it, OAuthError when the provider cannot be reached (try again later)."""
    if account.oauth_provider is None:
        raise OAuthError(f"account {account.name!r} does not sign in with OAuth2")
    key = (str(store.path), account.id)
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    async with lock:
        saved = await _load(store, account)
        expires = datetime.fromisoformat(saved["expires_at"])
        if force or expires - RENEW_MARGIN <= datetime.now(UTC):
            saved = await _renew(store, account, saved)
    user = saved.get("user") or account.oauth_user or account.email
    return BearerToken(user=user, token=saved["access_token"], account=account.name)


async def _load(store: Store, account: AccountSettings) -> dict[str, str]:
    blob = await settings_sql.get_secret(store.reader, account.id, oauth_sql.TOKEN_STATE)
    if blob is None:
        raise await _needs_sign_in(store, account, "it is not signed in")
    try:
        saved = json.loads(await unseal(store.path, blob, context=state_context(account.id)))
    except SecretError:
        raise await _needs_sign_in(store, account, "its stored token cannot be read") from None
    return dict(saved)


async def _renew(store: Store, account: AccountSettings,
                 saved: dict[str, str]) -> dict[str, str]:
    config = await config_for(store, account.oauth_provider or "")
    try:
        grant = await asyncio.to_thread(_refresh, config, saved["state"],
                                        saved.get("user") or account.oauth_user)
    except OAuthReauthError as exc:
        raise await _needs_sign_in(store, account, str(exc)) from None
    if grant.user is None:
        grant = Grant(grant.access_token, grant.expires_at, saved.get("user"), grant.state)
    await store_grant(store, account, grant)
    return {"access_token": grant.access_token, "expires_at": grant.expires_at.isoformat(),
            "user": grant.user or "", "state": grant.state}


def _refresh(config: ProviderConfig, state: str, user: str | None) -> Grant:
    # Imported here: the provider libraries cost a fifth of a second to load, which
    # commands and accounts that never refresh a token should not pay.
    if config.provider == MICROSOFT:
        from engine.oauth import microsoft

        return microsoft.refresh(config, state, user, force=True)
    from engine.oauth import google

    return google.refresh(config, state)


async def _needs_sign_in(store: Store, account: AccountSettings, why: str) -> OAuthReauthError:
    """Mark the account (sync stops retrying it) and say what to run."""
    error = OAuthReauthError(
        f"account {account.name} needs to be signed in again ({why.rstrip('.')}): run "
        f"{reconnect_hint(account)}")
    async with store.transaction() as db:
        await settings_sql.record_error(db, account.id, str(error), auth_failed=True)
    return error


def iso_utc(moment: datetime) -> str:
    """`moment` as the store writes times: UTC, to the second, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
