"""The admin's OAuth2 client registration per provider (`frontdesk oauth set`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from engine.access import require_admin
from engine.errors import ConflictError, InvalidInputError, NotFoundError
from engine.models import OAuthProviderChange
from engine.oauth.config import GOOGLE, MICROSOFT, PROVIDERS, ProviderConfig
from engine.secrets import seal, unseal
from storage import Store, audit
from storage import oauth as oauth_sql
from storage.oauth import ProviderRow


def secret_context(provider: str) -> str:
    """What a provider's client secret is bound to when encrypted."""
    return f"oauth:{provider}:client_secret"


async def providers(store: Store, agent_id: int) -> list[ProviderRow]:
    """Every registration (no secret): any agent may read which providers are set up."""
    return await oauth_sql.providers(store.reader)


async def set_provider(store: Store, agent_id: int, change: OAuthProviderChange) -> ProviderRow:
    """Create or replace a provider's registration; admins only."""
    await require_admin(store, agent_id, "register an OAuth2 client")
    change = await asyncio.to_thread(_validated, change)
    before = await oauth_sql.provider(store.reader, change.provider)
    keeps_secret = change.client_secret is None and before is not None and before.has_secret
    if change.provider == GOOGLE and not (change.client_secret or keeps_secret):
        raise InvalidInputError(
            "Google needs the client secret of the OAuth client: pass --client-secret-stdin")
    sealed: bytes | None = None
    if change.client_secret:
        sealed = await seal(store.path, change.client_secret,
                            context=secret_context(change.provider))
    row = ProviderRow(provider=change.provider, client_id=change.client_id,
                      tenant=change.tenant, authority=change.authority,
                      auth_uri=change.auth_uri, token_uri=change.token_uri,
                      ca_file=change.ca_file, has_secret=False, updated_at="")
    async with store.transaction() as db:
        await oauth_sql.put_provider(db, row, agent_id=agent_id)
        if sealed is not None or change.client_secret == "":
            await oauth_sql.put_client_secret(db, change.provider, sealed)
        await audit.record(db, agent_id=agent_id, action="oauth.set", target_kind="oauth",
                           detail={"provider": change.provider, "client_id": change.client_id,
                                   "tenant": change.tenant, "authority": change.authority,
                                   "auth_uri": change.auth_uri, "token_uri": change.token_uri,
                                   "secret": "set" if sealed else
                                   "removed" if change.client_secret == "" else "kept"})
    after = await oauth_sql.provider(store.reader, change.provider)
    assert after is not None
    return after


async def remove_provider(store: Store, agent_id: int, provider: str) -> None:
    """Delete a registration; refused while accounts still sign in through it."""
    await require_admin(store, agent_id, "remove an OAuth2 client")
    _check_name(provider)
    users = await oauth_sql.accounts_using(store.reader, provider)
    if users:
        raise ConflictError(
            f"accounts {', '.join(users)} sign in through {provider}; remove them first")
    async with store.transaction() as db:
        if not await oauth_sql.remove_provider(db, provider):
            raise NotFoundError(f"no OAuth2 client is registered for {provider}")
        await audit.record(db, agent_id=agent_id, action="oauth.remove", target_kind="oauth",
                           detail={"provider": provider})


async def config_for(store: Store, provider: str) -> ProviderConfig:
    """The registration of `provider` with its secret decrypted, for a sign-in or a
    refresh; InvalidInputError saying how to register one when there is none."""
    row = await oauth_sql.provider(store.reader, provider)
    if row is None:
        raise InvalidInputError(f"no OAuth2 client is registered for {provider}: an admin "
                                f"runs {_how_to_register(provider)}")
    secret = None
    blob = await oauth_sql.client_secret(store.reader, provider)
    if blob is not None:
        secret = await unseal(store.path, blob, context=secret_context(provider))
    return ProviderConfig(provider=row.provider, client_id=row.client_id, client_secret=secret,
                          tenant=row.tenant, authority=row.authority, auth_uri=row.auth_uri,
                          token_uri=row.token_uri, ca_file=row.ca_file)


def _how_to_register(provider: str) -> str:
    if provider == MICROSOFT:
        return "frontdesk oauth set microsoft --client-id ID --tenant TENANT"
    return "frontdesk oauth set google --client-id ID --client-secret-stdin"


def _check_name(provider: str) -> None:
    if provider not in PROVIDERS:
        raise InvalidInputError(f"unknown OAuth2 provider {provider!r}: choose "
                                f"{' or '.join(PROVIDERS)}")


def _validated(change: OAuthProviderChange) -> OAuthProviderChange:
    _check_name(change.provider)
    client_id = change.client_id.strip()
    if not client_id or any(c.isspace() for c in client_id):
        raise InvalidInputError("--client-id is empty or has spaces: give the application "
                                "(client) id of the registration")
    if change.provider == MICROSOFT:
        if change.auth_uri or change.token_uri:
            raise InvalidInputError("--auth-uri and --token-uri are for google; microsoft "
                                    "takes --authority")
        if not (change.tenant or change.authority):
            raise InvalidInputError("--tenant is missing: give the directory (tenant) id, "
                                    "or 'organizations'")
    else:
        if change.tenant or change.authority:
            raise InvalidInputError("--tenant and --authority are for microsoft; google "
                                    "takes --auth-uri and --token-uri")
        if bool(change.auth_uri) != bool(change.token_uri):
            raise InvalidInputError("give --auth-uri and --token-uri together")
    for flag, url in (("--authority", change.authority), ("--auth-uri", change.auth_uri),
                      ("--token-uri", change.token_uri)):
        if url and (urlsplit(url).scheme != "https" or not urlsplit(url).hostname):
            raise InvalidInputError(f"{flag} {url!r}: give an https:// address")
    if change.ca_file and not Path(change.ca_file).is_file():
        raise InvalidInputError(f"--ca-file {change.ca_file}: no such file")
    tenant = (change.tenant or "").strip() or None
    if tenant and ("/" in tenant or any(c.isspace() for c in tenant)):
        raise InvalidInputError(f"--tenant {change.tenant!r}: give a tenant id or domain")
    return OAuthProviderChange(
        provider=change.provider, client_id=client_id, tenant=tenant,
        authority=(change.authority or "").rstrip("/") or None,
        auth_uri=change.auth_uri or None, token_uri=change.token_uri or None,
        ca_file=change.ca_file or None, client_secret=change.client_secret)
