"""Gmail sign-in: the authorization code flow with PKCE (S256) and a loopback redirect,
then refresh with the stored refresh token.

Google offers no device flow for the mail scope. The browser ends on
`http://127.0.0.1:PORT/?code=...&state=...`: a `LoopbackListener` catches it when the
browser runs on this machine (or reaches it through `ssh -L`); otherwise the person
pastes the address the browser ended on.

Blocking; callers run these functions in a thread.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import socketserver
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from engine.errors import OAuthError, OAuthReauthError
from engine.oauth.config import GOOGLE_SCOPE, Grant, ProviderConfig
from engine.oauth.http import clean_text, host_of, network_error, provider_detail, session_for

LOOPBACK = "127.0.0.1"
_VERIFIER_BYTES = 48  # 64 characters of base64url: within RFC 7636's 43..128
_DONE_PAGE = b"Sign-in finished. You can close this window and return to the console.\n"
_POLL = 0.2  # seconds between checks of `cancelled` while waiting for the browser
_REQUEST_TIMEOUT = 5.0  # a browser connection that sends nothing is dropped after this
_DECLINED = "access_denied"


@dataclass(frozen=True)
class BrowserPrompt:
    """Where to send the browser, and what the answer must match."""

    url: str
    redirect_uri: str
    state: str = field(repr=False)
    verifier: str = field(repr=False)


# -- the flow ------------------------------------------------------------------------------


def start_browser_flow(
    config: ProviderConfig, *, login_hint: str | None = None, port: int = 0
) -> tuple[BrowserPrompt, LoopbackListener]:
    """Listen on the loopback address (`port`, 0 = any free one) and build the consent URL
    that redirects there. Close the listener when done (it is a context manager).

    Raises OAuthError when the port cannot be bound.
    """
    listener = LoopbackListener(port)
    try:
        prompt = browser_prompt(config, redirect_uri=listener.redirect_uri, login_hint=login_hint)
    except BaseException:
        listener.close()
        raise
    return prompt, listener


def browser_prompt(
    config: ProviderConfig, *, redirect_uri: str, login_hint: str | None = None
) -> BrowserPrompt:
    """A fresh consent URL (new state and PKCE verifier) redirecting to `redirect_uri`."""
    verifier = new_verifier()
    state = secrets.token_urlsafe(24)
    params = {
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": GOOGLE_SCOPE,
        "access_type": "offline",
        "prompt": "consent",
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        "state": state,
    }
    if login_hint:
        params["login_hint"] = login_hint
    url = f"{config.google_auth_uri}?{urlencode(params)}"
    return BrowserPrompt(url=url, redirect_uri=redirect_uri, state=state, verifier=verifier)


def finish_browser_flow(config: ProviderConfig, prompt: BrowserPrompt, redirect_url: str) -> Grant:
    """Redeem the code in `redirect_url` (the address the browser ended on, or just its
    query string) for tokens.

    Raises OAuthError when the sign-in was declined, the address carries no code or
    belongs to another sign-in, or Google refuses the code.
    """
    params = parse_redirect(redirect_url)
    code = _checked_code(params, prompt)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": prompt.verifier,
        "redirect_uri": prompt.redirect_uri,
    }
    answer = _post_token(config, data)
    if "error" in answer:
        host = host_of(config.google_token_uri)
        raise OAuthError(
            f"{host} refused the sign-in code ({_detail(answer)}); start the sign-in again"
        )
    refresh_token = answer.get("refresh_token")
    if not refresh_token:
        raise OAuthError(
            "Google sent no refresh token; remove the app's access from the Google account "
            "and sign in again"
        )
    return _grant(answer, str(refresh_token))


def refresh(config: ProviderConfig, state: str) -> Grant:
    """A new access token from the refresh token kept in `state`.

    Raises OAuthReauthError when `state` is unusable or Google no longer honours the
    refresh token (revoked, expired, password changed); OAuthError otherwise.
    """
    refresh_token = _stored_refresh_token(state)
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    answer = _post_token(config, data)
    if "error" in answer:
        host = host_of(config.google_token_uri)
        if answer.get("error") == "invalid_grant":
            raise OAuthReauthError(
                f"{host} no longer accepts the stored sign-in ({_detail(answer)}); sign in again"
            )
        raise OAuthError(
            f"{host} refused to refresh the token ({_detail(answer)}); "
            "check the client id and secret and try again"
        )
    return _grant(answer, str(answer.get("refresh_token") or refresh_token))


# -- pure helpers --------------------------------------------------------------------------


def new_verifier() -> str:
    """A random PKCE code verifier (64 characters of the unreserved alphabet)."""
    return secrets.token_urlsafe(_VERIFIER_BYTES)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def parse_redirect(text: str) -> dict[str, str]:
    """The query parameters of a pasted redirect address: the whole URL, or only its query
    string (with or without the leading "?"). Surrounding whitespace is ignored."""
    text = text.strip()
    if "://" in text:
        parts = urlsplit(text)
        # Some browsers show the code after "#" when a page rewrote the address.
        query = parts.query or parts.fragment
    else:
        # A bare query string, or an address pasted without its scheme, or a path.
        query = text.split("?", 1)[1] if "?" in text else text
    return {key: value for key, value in parse_qsl(query, keep_blank_values=True)}


def _checked_code(params: dict[str, str], prompt: BrowserPrompt) -> str:
    error = params.get("error")
    if error == _DECLINED:
        raise OAuthError("the sign-in was declined; start it again and allow access to mail")
    if error:
        detail = provider_detail(error, params.get("error_description"))
        raise OAuthError(f"Google refused the sign-in ({detail}); start it again")
    code = params.get("code")
    if not code:
        raise OAuthError(
            "no sign-in code in that address; paste the whole address the browser ended on"
        )
    if not secrets.compare_digest(params.get("state", "").encode(), prompt.state.encode()):
        raise OAuthError(
            "that address belongs to another sign-in (state mismatch, possibly forged); "
            "start the sign-in again"
        )
    return code


def _stored_refresh_token(state: str) -> str:
    try:
        stored = json.loads(state)
        token = stored["refresh_token"]
    except (ValueError, TypeError, KeyError):
        raise OAuthReauthError("the stored Google sign-in is unreadable; sign in again") from None
    if not isinstance(token, str) or not token:
        raise OAuthReauthError("the stored Google sign-in is unreadable; sign in again")
    return token


def _detail(answer: dict[str, Any]) -> str:
    return provider_detail(answer.get("error"), answer.get("error_description"))


def _grant(answer: dict[str, Any], refresh_token: str) -> Grant:
    token = answer.get("access_token")
    if not token:
        raise OAuthError("Google's answer holds no access token; try again later")
    expires_in = int(answer.get("expires_in") or 0)
    return Grant(
        access_token=str(token),
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        user=_email_of(answer.get("id_token")),
        state=json.dumps({"refresh_token": refresh_token}),
    )


def _email_of(id_token: object) -> str | None:
    """The email claim of an ID token received straight from the token endpoint over TLS
    (so its signature needs no check here), or None."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) and email else None


# -- HTTP ----------------------------------------------------------------------------------


def _post_token(config: ProviderConfig, data: dict[str, str]) -> dict[str, Any]:
    """POST `data` with the client's id (and secret) to the token endpoint; the JSON
    answer (with "error" when refused)."""
    data = {**data, "client_id": config.client_id}
    if config.client_secret:
        data["client_secret"] = config.client_secret
    url = config.google_token_uri
    host = host_of(url)
    with session_for(config) as session:
        try:
            response = session.post(url, data=data, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise network_error(exc, host) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and (answer.get("error") or response.ok):
        return answer
    if response.status_code >= 500:
        raise OAuthError(f"{host} answered HTTP {response.status_code}; try again later")
    raise OAuthError(
        f"{host} sent an unexpected answer (HTTP {response.status_code}: "
        f"{clean_text(response.text, 80)}); check the token endpoint setting"
    )


# -- the loopback listener -----------------------------------------------------------------


class _Server(socketserver.TCPServer):
    allow_reuse_address = True
    redirect: str | None = None


class _Handler(BaseHTTPRequestHandler):
    timeout = _REQUEST_TIMEOUT
    server: _Server

    def do_GET(self) -> None:
        params = parse_redirect(self.path)
        if not ({"code", "error", "state"} & params.keys()):
            self._answer(404, b"Not found.\n")
            return
        if self.server.redirect is None:
            port = self.server.server_address[1]
            self.server.redirect = f"http://{LOOPBACK}:{port}{self.path}"
        self._answer(200, _DONE_PAGE)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing: the request line carries the authorization code."""


class LoopbackListener:
    """A one-shot HTTP listener on 127.0.0.1 that catches the browser's redirect.

    Bound from creation until `close()` or a successful `wait()`; never on another address.
    """

    def __init__(self, port: int = 0) -> None:
        """Bind 127.0.0.1:`port` (0 = any free port); OAuthError if it is taken."""
        try:
            self._server: _Server | None = _Server((LOOPBACK, port), _Handler)
        except OSError as exc:
            raise OAuthError(
                f"cannot listen on {LOOPBACK}:{port} for the browser ({exc.strerror}); "
                "choose another port or paste the address instead"
            ) from None
        self._port = int(self._server.server_address[1])

    @property
    def port(self) -> int:
        """The port the browser is redirected to."""
        return self._port

    @property
    def redirect_uri(self) -> str:
        """The redirect URI to register in the consent URL."""
        return f"http://{LOOPBACK}:{self._port}/"

    @property
    def listening(self) -> bool:
        """Whether the port is still bound."""
        return self._server is not None

    def wait(self, timeout: float, cancelled: Callable[[], bool] = lambda: False) -> str | None:
        """The full redirect URL of the first request that carries a sign-in answer, or
        None after `timeout` seconds or once `cancelled()` is true. The browser is told it
        may close the window. After an answer the listener closes itself."""
        server = self._server
        if server is None:
            return None
        deadline = time.monotonic() + timeout
        while server.redirect is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or cancelled():
                return None
            server.timeout = min(_POLL, remaining)
            with contextlib.suppress(OSError):
                server.handle_request()
        url = server.redirect
        self.close()
        return url

    def close(self) -> None:
        """Release the port; safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.server_close()

    def __enter__(self) -> LoopbackListener:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "listening" if self.listening else "closed"
        return f"<LoopbackListener {LOOPBACK}:{self._port} {state}>"
