"""Opening an IMAP session for an account: its password, or its OAuth2 token."""

from __future__ import annotations

from engine.accounts import imap_settings, password_for
from engine.credentials import BearerToken, Credential
from engine.errors import ImapAuthError
from engine.imap.connection import ImapConnection
from storage import Store
from storage.records import AccountSettings


async def credential_for(store: Store, account: AccountSettings, *,
                         renew: bool = False) -> Credential:
    """What the account logs in with: a bearer token (renewed when due, or with `renew`)
    for an OAuth2 account, else its password."""
    if account.oauth_provider:
        from engine.oauth.tokens import bearer_for

        return await bearer_for(store, account, force=renew)
    return await password_for(store, account)


async def open_imap(store: Store, account: AccountSettings, *, name: str) -> ImapConnection:
    """A logged-in connection to the account's server; the caller closes it.

    A token the server refuses is renewed once and tried again (it may have been revoked
    early); a second refusal is final (ImapAuthError)."""
    credential = await credential_for(store, account)
    conn = ImapConnection(imap_settings(account), name=name)
    try:
        await conn.open(credential)
        return conn
    except ImapAuthError:
        if not isinstance(credential, BearerToken):
            raise
    conn = ImapConnection(imap_settings(account), name=name)
    await conn.open(await credential_for(store, account, renew=True))
    return conn
