"""Signing an account in: start a provider's flow, show the person what to do, wait for
the outcome, keep the token.

Microsoft: the device code flow (a URL and a code to type on any device). Google: an
authorization code with PKCE; the browser is sent to a loopback address on this machine,
bound only while waiting, and the person may instead paste the address their browser
ended on (over SSH the browser usually runs on another machine).
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidInputError, NotFoundError, OAuthError
from engine.models import SignInPrompt
from engine.oauth.config import MICROSOFT, Grant, ProviderConfig
from engine.oauth.registry import config_for
from engine.oauth.tokens import iso_utc, store_grant
from storage import Store, audit
from storage import settings as settings_sql
from storage.records import AccountSettings

if TYPE_CHECKING:
    from engine.oauth.google import LoopbackListener

# How long a browser sign-in waits for the redirect before giving up.
BROWSER_WAIT = timedelta(minutes=10)
# How often a wait looks whether it was cancelled or an address was pasted.
_POLL_SECONDS = 0.2


@dataclass
class _Pending:
    agent_id: int
    account: AccountSettings
    config: ProviderConfig
    prompt: SignInPrompt
    flow: Any  # microsoft.DevicePrompt | google.BrowserPrompt
    listener: LoopbackListener | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    pasted: list[str] = field(default_factory=list)

    def stop_waiting(self) -> bool:
        return self.cancelled.is_set() or bool(self.pasted)


class SignIns:
    """The sign-ins in progress in this process, by prompt id."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: dict[str, _Pending] = {}

    async def begin(self, agent_id: int, account: AccountSettings) -> SignInPrompt:
        """Start the account's provider flow; the prompt says what the person must do."""
        if account.oauth_provider is None:
            raise InvalidInputError(
                f"account {account.name!r} signs in with a password, not OAuth2")
        config = await config_for(self._store, account.oauth_provider)
        prompt_id = secrets.token_urlsafe(12)
        # The provider modules are imported when first needed: they load slowly.
        if config.provider == MICROSOFT:
            from engine.oauth import microsoft

            device = await asyncio.to_thread(microsoft.start_device_flow, config)
            prompt = SignInPrompt(
                id=prompt_id, account=account.name, provider=config.provider, kind="device",
                url=device.verification_uri, code=device.user_code,
                message=(f"Open {device.verification_uri} on any device, enter the code "
                         f"{device.user_code} and sign in as {account.email} (or a "
                         "delegate of that mailbox)."),
                redirect_uri=None, expires_at=iso_utc(device.expires_at))
            pending = _Pending(agent_id, account, config, prompt, device)
        else:
            from engine.oauth import google

            browser, listener = await asyncio.to_thread(
                google.start_browser_flow, config, login_hint=account.email)
            prompt = SignInPrompt(
                id=prompt_id, account=account.name, provider=config.provider, kind="browser",
                url=browser.url, code=None,
                message=("Open the address in a browser and sign in as "
                         f"{account.email}. Then paste here the address the browser ends "
                         f"on (it starts with {browser.redirect_uri}), or forward the port "
                         f"with ssh -L {listener.port}:127.0.0.1:{listener.port}."),
                redirect_uri=browser.redirect_uri,
                expires_at=iso_utc(datetime.now(UTC) + BROWSER_WAIT))
            pending = _Pending(agent_id, account, config, prompt, browser, listener)
        self._pending[prompt_id] = pending
        return prompt

    async def finish(self, agent_id: int, prompt_id: str) -> AccountSettings:
        """Wait until the person signs in (or the prompt expires or is cancelled), then
        keep the token; the account syncs again."""
        pending = self._get(agent_id, prompt_id)
        try:
            grant = await self._wait(pending)
            await store_grant(self._store, pending.account, grant)
            async with self._store.transaction() as db:
                await audit.record(db, agent_id=agent_id, action="account.sign_in",
                                   target_kind="account", target_id=pending.account.id,
                                   detail={"provider": pending.config.provider,
                                           "user": grant.user})
        finally:
            self._drop(prompt_id)
        account = await settings_sql.by_id(self._store.reader, pending.account.id)
        assert account is not None
        return account

    def paste(self, agent_id: int, prompt_id: str, address: str) -> None:
        """The address the browser ended on, pasted by the person: `finish` goes on
        with it."""
        pending = self._get(agent_id, prompt_id)
        if pending.prompt.kind != "browser":
            raise InvalidInputError("this sign-in takes a code in the browser, not an address")
        pending.pasted.append(address)

    def cancel(self, agent_id: int, prompt_id: str) -> None:
        """Stop waiting; `finish` raises OAuthError "cancelled"."""
        pending = self._pending.get(prompt_id)
        if pending is not None and pending.agent_id == agent_id:
            pending.cancelled.set()

    def cancel_all(self) -> None:
        """Stop every wait and free every loopback port (the service is closing)."""
        for pending in self._pending.values():
            pending.cancelled.set()
            if pending.listener is not None:
                pending.listener.close()

    async def _wait(self, pending: _Pending) -> Grant:
        from engine.oauth import google, microsoft

        if pending.prompt.kind == "device":
            return await asyncio.to_thread(microsoft.finish_device_flow, pending.config,
                                           pending.flow, cancelled=pending.cancelled.is_set)
        assert pending.listener is not None
        deadline = datetime.now(UTC) + BROWSER_WAIT
        received = await asyncio.to_thread(
            pending.listener.wait, (deadline - datetime.now(UTC)).total_seconds(),
            pending.stop_waiting)
        pending.listener.close()  # the port is bound only while waiting
        if pending.cancelled.is_set():
            raise OAuthError("sign-in cancelled")
        address = received or (pending.pasted[0] if pending.pasted else None)
        if address is None:
            raise OAuthError("no sign-in within 10 minutes: start again")
        return await asyncio.to_thread(google.finish_browser_flow, pending.config,
                                       pending.flow, address)

    def _get(self, agent_id: int, prompt_id: str) -> _Pending:
        pending = self._pending.get(prompt_id)
        if pending is None or pending.agent_id != agent_id:
            raise NotFoundError("no such sign-in in progress: start it again")
        return pending

    def _drop(self, prompt_id: str) -> None:
        pending = self._pending.pop(prompt_id, None)
        if pending is not None and pending.listener is not None:
            pending.listener.close()

