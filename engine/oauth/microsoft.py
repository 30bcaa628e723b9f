"""Microsoft 365 sign-in with msal: the device code flow, then silent refresh from msal's
serialized token cache (kept, encrypted, as `Grant.state`).

Blocking (msal polls with time.sleep); callers run these functions in a thread.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msal
import requests
from msal.exceptions import MsalServiceError

from engine.errors import OAuthError, OAuthReauthError
from engine.oauth.config import MICROSOFT_SCOPES, Grant, ProviderConfig
from engine.oauth.http import host_of, network_error, provider_detail, session_for

# msal adds these to every request itself and refuses them from the caller.
_RESERVED_SCOPES = ("openid", "profile", "offline_access")
# The provider wants a person at a browser: no retry will help.
_REAUTH_ERRORS = frozenset(
    {"invalid_grant", "interaction_required", "consent_required", "login_required"}
)
_PENDING_ERRORS = frozenset({"authorization_pending", "slow_down"})
_EXPIRED_ERRORS = frozenset({"expired_token", "code_expired"})
_DECLINED_ERRORS = frozenset({"authorization_declined", "access_denied"})


@dataclass(frozen=True)
class DevicePrompt:
    """What to show the person for a device code sign-in, and msal's flow to finish it."""

    verification_uri: str
    user_code: str
    message: str  # the provider's own instructions, one line
    expires_at: datetime  # timezone-aware, UTC: the code is useless after this
    flow: dict[str, Any] = field(repr=False, compare=False)


def start_device_flow(config: ProviderConfig) -> DevicePrompt:
    """Ask the authority for a device code for the mail scopes.

    Raises OAuthError when the authority cannot be reached or refuses (a wrong client id,
    public client flows not allowed for the app registration, ...).
    """
    host = host_of(config.microsoft_authority)
    with _application(config, None) as app:
        flow = _initiate(app)
    if not flow.get("user_code") or not flow.get("device_code"):
        raise OAuthError(
            f"{host} would not start a sign-in ({_detail(flow)}); "
            "check the client id and that the app registration allows public client flows"
        )
    uri = str(flow.get("verification_uri") or flow.get("verification_url") or "")
    code = str(flow["user_code"])
    message = " ".join(str(flow.get("message") or "").split())
    return DevicePrompt(
        verification_uri=uri,
        user_code=code,
        message=message or f"To sign in, open {uri} and enter the code {code}.",
        expires_at=datetime.fromtimestamp(float(flow["expires_at"]), UTC),
        flow=flow,
    )


def finish_device_flow(
    config: ProviderConfig,
    prompt: DevicePrompt,
    *,
    cancelled: Callable[[], bool] = lambda: False,
) -> Grant:
    """Poll until the person has signed in with `prompt`'s code, then return the Grant.

    Blocks until the sign-in completes, the code expires, or `cancelled()` turns true
    (checked about once a second). Raises OAuthError for all three failures and when the
    authority refuses; a prompt can be finished once.
    """
    host = host_of(config.microsoft_authority)
    flow = dict(prompt.flow)  # msal writes its polling state into the flow

    def stop(current: dict[str, Any]) -> bool:
        return cancelled() or float(current.get("expires_at", 0)) < time.time()

    cache = msal.SerializableTokenCache()
    with _application(config, cache) as app:
        result = _poll(app, flow, stop)
        if result.get("access_token"):
            return _grant(app, cache, result, None)
    if cancelled():
        raise OAuthError("sign-in cancelled")
    raise _device_refusal(result, host)


def refresh(
    config: ProviderConfig,
    state: str,
    user: str | None,
    *,
    force: bool = False,
) -> Grant:
    """An access token for `user` (or the only account) from the cache in `state`.

    msal answers from the cache while the access token has more than five minutes left
    and redeems the refresh token otherwise; `force` always redeems it. The returned
    Grant's state holds the possibly rotated refresh token: keep it.

    Raises OAuthReauthError when no usable sign-in is stored or the authority no longer
    honours it; OAuthError for network trouble and other refusals.
    """
    host = host_of(config.microsoft_authority)
    who = user or "the account"
    cache = _load_cache(state)
    with _application(config, cache) as app:
        account = _account(app, user)
        result = app.acquire_token_silent_with_error(
            list(MICROSOFT_SCOPES), account, force_refresh=force
        )
        if result and result.get("access_token"):
            return _grant(app, cache, result, account)
    if not result:
        raise OAuthReauthError(f"no refresh token is stored for {who}; sign in again")
    raise _refresh_refusal(result, host, who)


# -- msal ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _application(
    config: ProviderConfig, cache: msal.SerializableTokenCache | None
) -> Iterator[Any]:
    """An msal application for `config` (it reads the authority's metadata on creation);
    network and protocol failures inside the block become OAuthError."""
    host = host_of(config.microsoft_authority)
    session = session_for(config)
    try:
        with _translated(host):
            yield _build(config, session, cache, host)
    finally:
        session.close()


def _build(
    config: ProviderConfig,
    session: requests.Session,
    cache: msal.SerializableTokenCache | None,
    host: str,
) -> Any:
    kwargs: dict[str, Any] = {
        "authority": config.microsoft_authority,
        "http_client": session,
        "token_cache": cache,
    }
    if config.authority:
        # A private authority is unknown to Microsoft's instance discovery service.
        kwargs["instance_discovery"] = False
    try:
        if config.client_secret:
            return msal.ConfidentialClientApplication(
                config.client_id, client_credential=config.client_secret, **kwargs
            )
        return msal.PublicClientApplication(config.client_id, **kwargs)
    except (ValueError, RuntimeError):
        # msal's message quotes the discovery response; the person needs only this.
        raise OAuthError(
            f"{host} did not answer as a Microsoft sign-in authority; "
            "check the tenant or authority setting"
        ) from None


@contextlib.contextmanager
def _translated(host: str) -> Iterator[None]:
    try:
        yield
    except requests.RequestException as exc:
        raise network_error(exc, host) from None
    except MsalServiceError:
        raise OAuthError(f"{host} had a server error; try again later") from None
    except json.JSONDecodeError:
        raise OAuthError(
            f"{host} sent an answer that is not OAuth JSON; check the authority setting"
        ) from None


def _initiate(app: Any) -> dict[str, Any]:
    if isinstance(app, msal.PublicClientApplication):
        flow: dict[str, Any] = app.initiate_device_flow(scopes=list(MICROSOFT_SCOPES))
        return flow
    # msal offers the device flow on public clients only; its OAuth client underneath
    # runs it with the client secret in the body and fills the token cache all the same.
    flow = app.client.initiate_device_flow(scope=_with_reserved(MICROSOFT_SCOPES))
    return flow


def _poll(app: Any, flow: dict[str, Any], stop: Callable[[dict[str, Any]], bool]) -> Any:
    if isinstance(app, msal.PublicClientApplication):
        return app.acquire_token_by_device_flow(flow, exit_condition=stop)
    return app.client.obtain_token_by_device_flow(flow, exit_condition=stop)


def _with_reserved(scopes: Sequence[str]) -> list[str]:
    return sorted(set(scopes) | set(_RESERVED_SCOPES))


def _load_cache(state: str) -> msal.SerializableTokenCache:
    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(state or None)
    except (ValueError, TypeError, AttributeError):
        raise OAuthReauthError(
            "the stored Microsoft sign-in is unreadable; sign in again"
        ) from None
    return cache


def _account(app: Any, user: str | None) -> dict[str, Any]:
    accounts: list[dict[str, Any]] = app.get_accounts(username=user) if user else app.get_accounts()
    if not accounts:
        who = user or "this account"
        raise OAuthReauthError(f"no Microsoft sign-in is stored for {who}; sign in again")
    if len(accounts) > 1:
        raise OAuthReauthError(
            "the stored Microsoft sign-in holds several accounts and none was named; sign in again"
        )
    return accounts[0]


def _grant(
    app: Any,
    cache: msal.SerializableTokenCache,
    result: dict[str, Any],
    account: dict[str, Any] | None,
) -> Grant:
    expires_in = int(result.get("expires_in") or 0)
    return Grant(
        access_token=str(result["access_token"]),
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        user=_username(app, result, account),
        state=cache.serialize(),
    )


def _username(app: Any, result: dict[str, Any], account: dict[str, Any] | None) -> str | None:
    claims = result.get("id_token_claims") or {}
    name = claims.get("preferred_username") or claims.get("email")
    if not name and account is not None:
        name = account.get("username")
    if not name:
        accounts = app.get_accounts()
        if len(accounts) == 1:
            name = accounts[0].get("username")
    return str(name) if name else None


# -- refusals ------------------------------------------------------------------------------


def _detail(result: dict[str, Any]) -> str:
    return provider_detail(result.get("error"), result.get("error_description"))


def _device_refusal(result: dict[str, Any], host: str) -> OAuthError:
    error = result.get("error")
    if error in _PENDING_ERRORS or error in _EXPIRED_ERRORS:
        return OAuthError("the sign-in code expired before it was used; start the sign-in again")
    if error in _DECLINED_ERRORS:
        return OAuthError("the sign-in was declined; start it again and approve the request")
    return OAuthError(
        f"{host} refused the sign-in ({_detail(result)}); check the app registration and try again"
    )


def _refresh_refusal(result: dict[str, Any], host: str, who: str) -> OAuthError:
    if result.get("error") in _REAUTH_ERRORS:
        return OAuthReauthError(
            f"{host} no longer accepts the stored sign-in for {who} ({_detail(result)}); "
            "sign in again"
        )
    return OAuthError(
        f"{host} refused to refresh the token for {who} ({_detail(result)}); "
        "check the app registration and try again"
    )
