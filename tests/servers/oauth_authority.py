"""A fake OAuth2 authority over HTTPS for integration tests, in a thread.

It speaks two dialects on one port:

- Microsoft (what msal needs): ``/{tenant}/v2.0/.well-known/openid-configuration``,
  ``/{tenant}/oauth2/v2.0/devicecode`` and ``/{tenant}/oauth2/v2.0/token`` (device code
  and rotating refresh tokens, with ``id_token`` and ``client_info`` so msal caches the
  account).
- Google: ``/o/oauth2/v2/auth`` (the consent page: it "signs in" at once and answers 302
  to the redirect URI, so a test plays the browser by reading ``Location``) and
  ``/token`` (authorization code with PKCE S256, refresh tokens that do not rotate).

Access tokens are HS256 JWTs from a `TokenSigner`; give a Dovecot the same issuer,
client id and key (`dovecot_validation()`) and they log in to IMAP.

Controls, all thread-safe:
``approve(user_code, email)`` / ``deny(user_code)`` a device code, or set
``auto_approve = email``; ``google_user`` (who signs in at the consent page; default
the ``login_hint``, else ``DEFAULT_USER``), ``google_deny`` (the person declines),
``google_id_token`` (add an ID token naming the user); ``lifetime`` (access tokens'
seconds), ``device_code_lifetime``, ``interval``; ``revoke(email)`` (every refresh
token of that user then fails with invalid_grant); ``client_secret`` (when set, the
token endpoints demand it). Counters: ``grants`` (tokens served, by grant type:
"device_code", "refresh_token", "authorization_code"), ``refusals`` (by error code).

A test module gets the fixtures by importing them::

    from tests.servers import oauth_authority as oauth_servers

    oauth_authority = oauth_servers.oauth_authority
    oauth_authority_factory = oauth_servers.oauth_authority_factory
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import socketserver
import ssl
import string
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from engine.oauth.config import GOOGLE, MICROSOFT, ProviderConfig
from tests.servers.certs import CertFiles, make_self_signed_cert
from tests.servers.dovecot import OAuthValidation
from tests.servers.jwt_tokens import TokenSigner, b64url

HOST = "127.0.0.1"
TENANT = "frontdesk-test"
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
CLIENT_ID = "frontdesk-test-client"
ISSUER = "https://oauth.frontdesk.test"
DEFAULT_USER = "alice@example.com"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
_AUTH_CODE_LIFETIME = 600.0
_USER_CODE_ALPHABET = string.ascii_uppercase + string.digits
# What Microsoft appends to its error descriptions; clients must not show it all.
_TRACE = "\r\nTrace ID: 0b5d5c9e-4f4e-4d7c-9c1a-5a2b3c4d5e6f\r\nTimestamp: 2024-01-01 00:00:00Z"


@dataclass
class _DeviceCode:
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    email: str | None = None
    denied: bool = False


@dataclass(frozen=True)
class _AuthCode:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    email: str
    expires_at: float


@dataclass(frozen=True)
class _Refresh:
    provider: str
    email: str
    client_id: str
    scope: str


class _Refused(Exception):
    """An OAuth error answer: HTTP status, error code, description."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status


class OAuthAuthority:
    """The fake authority on HOST:port (see the module docstring for its controls)."""

    def __init__(
        self,
        *,
        signer: TokenSigner | None = None,
        tenant: str = TENANT,
        client_secret: str | None = None,
        lifetime: float = 3600.0,
        certs: CertFiles | None = None,
    ) -> None:
        self.signer = signer or TokenSigner(issuer=ISSUER, audience=CLIENT_ID)
        self.client_id = self.signer.audience
        self.tenant = tenant
        self.client_secret = client_secret
        self.lifetime = lifetime
        self.device_code_lifetime = 900.0
        self.interval = 1  # msal sleeps `interval` whole seconds between polls; 0 would spin
        self.auto_approve: str | None = None
        self.google_user: str | None = None
        self.google_deny = False
        self.google_id_token = False
        self.grants: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self._device: dict[str, _DeviceCode] = {}
        self._codes: dict[str, _AuthCode] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._lock = threading.Lock()
        self._own_dir: Path | None = None
        if certs is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="fd-oauth-"))
            certs = make_self_signed_cert(self._own_dir / "tls")
        self.certs = certs
        self._server = _Server((HOST, 0), _Handler)
        self._server.authority = self
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    # -- addresses and configs ----------------------------------------------------------

    @property
    def ca_file(self) -> str:
        """The PEM file a client must trust to verify this server's certificate."""
        return str(self.certs.cert)

    @property
    def base_url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def microsoft_authority(self) -> str:
        """The msal authority URL (tenant included)."""
        return f"{self.base_url}/{self.tenant}"

    @property
    def google_auth_uri(self) -> str:
        return f"{self.base_url}/o/oauth2/v2/auth"

    @property
    def google_token_uri(self) -> str:
        return f"{self.base_url}/token"

    def microsoft_config(self, **overrides: Any) -> ProviderConfig:
        """A ProviderConfig pointing msal here; keyword arguments override fields."""
        fields: dict[str, Any] = {
            "provider": MICROSOFT,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "authority": self.microsoft_authority,
            "ca_file": self.ca_file,
        }
        fields.update(overrides)
        return ProviderConfig(**fields)

    def google_config(self, **overrides: Any) -> ProviderConfig:
        """A ProviderConfig pointing the Google flow here; keyword arguments override."""
        fields: dict[str, Any] = {
            "provider": GOOGLE,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "auth_uri": self.google_auth_uri,
            "token_uri": self.google_token_uri,
            "ca_file": self.ca_file,
        }
        fields.update(overrides)
        return ProviderConfig(**fields)

    def dovecot_validation(self, **kwargs: Any) -> OAuthValidation:
        """What a Dovecot needs to accept this authority's access tokens."""
        return OAuthValidation(
            issuer=self.signer.issuer, client_id=self.client_id, key=self.signer.key, **kwargs
        )

    # -- controls ------------------------------------------------------------------------

    def approve(self, user_code: str, email: str) -> None:
        """The person signs in as `email` with `user_code` (KeyError if unknown)."""
        with self._lock:
            self._device_by_user_code(user_code).email = email

    def deny(self, user_code: str) -> None:
        """The person declines the sign-in for `user_code` (KeyError if unknown)."""
        with self._lock:
            self._device_by_user_code(user_code).denied = True

    def revoke(self, email: str) -> int:
        """Revoke every refresh token issued to `email`; how many there were."""
        with self._lock:
            doomed = [rt for rt, grant in self._refresh.items() if grant.email == email]
            for rt in doomed:
                del self._refresh[rt]
            return len(doomed)

    @property
    def pending_user_codes(self) -> list[str]:
        """User codes issued and not yet redeemed, oldest first."""
        with self._lock:
            return [code.user_code for code in self._device.values()]

    def _device_by_user_code(self, user_code: str) -> _DeviceCode:
        for code in self._device.values():
            if code.user_code == user_code:
                return code
        raise KeyError(user_code)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Serve HTTPS in a daemon thread."""
        if self._thread is not None:
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certs.cert, self.certs.key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"oauth-authority-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and remove the certificate files this authority created."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._server.shutdown()
            thread.join(5.0)
        self._server.server_close()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> OAuthAuthority:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<OAuthAuthority {self.base_url}>"

    # -- Microsoft -----------------------------------------------------------------------

    def openid_configuration(self) -> dict[str, Any]:
        base = self.microsoft_authority
        return {
            "issuer": f"{self.base_url}/{TENANT_ID}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "response_types_supported": ["code"],
        }

    def device_code(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("client_id") != self.client_id:
            raise _Refused("unauthorized_client", "AADSTS700016: Application not found.")
        device_code = secrets.token_urlsafe(32)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        uri = f"{self.base_url}/devicelogin"
        with self._lock:
            self._device[device_code] = _DeviceCode(
                user_code=user_code,
                client_id=self.client_id,
                scope=form.get("scope", ""),
                expires_at=time.time() + self.device_code_lifetime,
                email=self.auto_approve,
            )
        return {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "expires_in": int(self.device_code_lifetime),
            "interval": self.interval,
            "message": (
                f"To sign in, use a web browser to open the page {uri} "
                f"and enter the code {user_code} to authenticate."
            ),
        }

    def microsoft_token(self, form: dict[str, str], headers: Any) -> dict[str, Any]:
        self._check_client(form, headers)
        grant_type = form.get("grant_type")
        if grant_type == DEVICE_GRANT:
            email, scope = self._redeem_device_code(form.get("device_code", ""))
            self._count("device_code")
        elif grant_type == "refresh_token":
            old = self._take_refresh(form.get("refresh_token", ""), MICROSOFT)
            email = old.email
            scope = form.get("scope") or old.scope
            self._count("refresh_token")
        else:
            raise _Refused("unsupported_grant_type", f"AADSTS70003: {grant_type}")
        return self._microsoft_tokens(email, _resource_scopes(scope))

    def _redeem_device_code(self, device_code: str) -> tuple[str, str]:
        with self._lock:
            code = self._device.get(device_code)
            if code is None:
                raise _Refused("bad_verification_code", "AADSTS70019: unknown device code")
            if time.time() > code.expires_at:
                del self._device[device_code]
                raise _Refused("expired_token", "AADSTS70020: The provided value is expired.")
            if code.denied:
                del self._device[device_code]
                raise _Refused("authorization_declined", "AADSTS70000: the user declined.")
            if code.email is None:
                raise _Refused(
                    "authorization_pending", "AADSTS70016: OAuth 2.0 device flow pending."
                )
            del self._device[device_code]
            return code.email, code.scope

    def _microsoft_tokens(self, email: str, scope: str) -> dict[str, Any]:
        lifetime = self.lifetime
        oid = _stable_id(email)
        id_token = self.signer.mint(
            email,
            lifetime=3600.0,
            extra={
                "iss": f"{self.base_url}/{TENANT_ID}/v2.0",
                "aud": self.client_id,
                "oid": oid,
                "tid": TENANT_ID,
                "preferred_username": email,
                "name": email.split("@")[0].title(),
                "ver": "2.0",
            },
        )
        client_info = b64url(json.dumps({"uid": oid, "utid": TENANT_ID}).encode())
        return {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": int(lifetime),
            "ext_expires_in": int(lifetime),
            "access_token": self.signer.mint(email, lifetime=lifetime),
            "refresh_token": self._new_refresh(MICROSOFT, email, scope),
            "id_token": id_token,
            "client_info": client_info,
        }

    # -- Google --------------------------------------------------------------------------

    def google_consent(self, query: dict[str, str]) -> str:
        """The redirect the consent page answers with (raises _Refused for a request
        Google would refuse without redirecting)."""
        if query.get("client_id") != self.client_id:
            raise _Refused("invalid_client", "The OAuth client was not found.", 401)
        redirect_uri = query.get("redirect_uri", "")
        if not _is_loopback(redirect_uri):
            raise _Refused("redirect_uri_mismatch", "redirect_uri must be a loopback address")
        state = query.get("state", "")
        if self.google_deny:
            return _with_query(redirect_uri, {"error": "access_denied", "state": state})
        if query.get("response_type") != "code":
            return _with_query(redirect_uri, {"error": "unsupported_response_type", "state": state})
        challenge = query.get("code_challenge", "")
        if query.get("code_challenge_method") != "S256" or not challenge:
            return _with_query(redirect_uri, {"error": "invalid_request", "state": state})
        email = self.google_user or query.get("login_hint") or DEFAULT_USER
        code = "4/" + secrets.token_urlsafe(32)
        scope = query.get("scope", "")
        with self._lock:
            self._codes[code] = _AuthCode(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                challenge=challenge,
                scope=scope,
                email=email,
                expires_at=time.time() + _AUTH_CODE_LIFETIME,
            )
        return _with_query(redirect_uri, {"state": state, "code": code, "scope": scope})

    def google_token(self, form: dict[str, str], headers: Any) -> dict[str, Any]:
        self._check_client(form, headers)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            code = self._redeem_auth_code(form)
            self._count("authorization_code")
            answer = self._google_tokens(code.email, code.scope)
            answer["refresh_token"] = self._new_refresh(GOOGLE, code.email, code.scope)
            return answer
        if grant_type == "refresh_token":
            old = self._peek_refresh(form.get("refresh_token", ""), GOOGLE)
            self._count("refresh_token")
            return self._google_tokens(old.email, old.scope)
        raise _Refused("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _redeem_auth_code(self, form: dict[str, str]) -> _AuthCode:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use
        if code is None or time.time() > code.expires_at:
            raise _Refused("invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _Refused("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise _Refused("invalid_grant", "Missing code verifier.")
        if not secrets.compare_digest(_s256(verifier), code.challenge):
            raise _Refused("invalid_grant", "Invalid code verifier.")
        return code

    def _google_tokens(self, email: str, scope: str) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "access_token": self.signer.mint(email, lifetime=self.lifetime),
            "expires_in": int(self.lifetime),
            "scope": scope,
            "token_type": "Bearer",
        }
        if self.google_id_token:
            answer["id_token"] = self.signer.mint(email, extra={"email_verified": True})
        return answer

    # -- shared --------------------------------------------------------------------------

    def _check_client(self, form: dict[str, str], headers: Any) -> None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = str(headers.get("Authorization") or "")
        if basic.startswith("Basic "):
            decoded = base64.b64decode(basic[6:]).decode("utf-8", "replace")
            client_id, _, secret = decoded.partition(":")
        if client_id != self.client_id:
            raise _Refused("invalid_client", "The OAuth client was not found.", 401)
        if self.client_secret is not None and not secrets.compare_digest(
            (secret or "").encode(), self.client_secret.encode()
        ):
            raise _Refused("invalid_client", "Invalid client secret is provided.", 401)

    def _new_refresh(self, provider: str, email: str, scope: str) -> str:
        token = f"rt-{provider[0]}-" + secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[token] = _Refresh(provider, email, self.client_id, scope)
        return token

    def _take_refresh(self, token: str, provider: str) -> _Refresh:
        """Redeem a rotating refresh token: it is spent once used."""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is not None and grant.provider == provider:
                del self._refresh[token]
                return grant
        raise _Refused(
            "invalid_grant",
            "AADSTS70000: The provided value for the input parameter 'refresh_token' or "
            "'assertion' is not valid." + _TRACE,
        )

    def _peek_refresh(self, token: str, provider: str) -> _Refresh:
        with self._lock:
            grant = self._refresh.get(token)
        if grant is None or grant.provider != provider:
            raise _Refused("invalid_grant", "Token has been expired or revoked.")
        return grant

    def _count(self, grant_type: str) -> None:
        with self._lock:
            self.grants[grant_type] += 1

    def refused(self, error: str) -> None:
        with self._lock:
            self.refusals[error] += 1


# -- HTTP ------------------------------------------------------------------------------------


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    authority: OAuthAuthority


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10.0

    def do_GET(self) -> None:
        authority = self.server.authority
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        ms = f"/{authority.tenant}"
        try:
            if parts.path == f"{ms}/v2.0/.well-known/openid-configuration":
                self._json(200, authority.openid_configuration())
            elif parts.path == "/o/oauth2/v2/auth":
                self._redirect(authority.google_consent(query))
            elif parts.path == "/devicelogin":
                self._text(200, "Enter the code shown by the application.\n")
            else:
                self._text(404, "Not found.\n")
        except _Refused as refused:
            authority.refused(refused.error)
            self._text(refused.status, f"Error {refused.status}: {refused.error}\n")

    def do_POST(self) -> None:
        authority = self.server.authority
        path = urlsplit(self.path).path
        ms = f"/{authority.tenant}/oauth2/v2.0"
        handlers: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            f"{ms}/devicecode": authority.device_code,
            f"{ms}/token": lambda form: authority.microsoft_token(form, self.headers),
            "/token": lambda form: authority.google_token(form, self.headers),
        }
        handler = handlers.get(path)
        if handler is None:
            self._text(404, "Not found.\n")
            return
        try:
            self._json(200, handler(self._form()))
        except _Refused as refused:
            authority.refused(refused.error)
            body = {"error": refused.error, "error_description": refused.description}
            self._json(refused.status, body)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        return dict(parse_qsl(body, keep_blank_values=True))

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines carry codes and tokens."""


# -- helpers ---------------------------------------------------------------------------------


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _stable_id(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:32]


def _resource_scopes(scope: str) -> str:
    """The granted scope as Microsoft reports it: the resource scopes asked for."""
    return " ".join(s for s in scope.split() if s not in _RESERVED_SCOPES)


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost")


def _with_query(uri: str, params: dict[str, str]) -> str:
    joiner = "&" if urlsplit(uri).query else "?"
    return uri + joiner + urlencode(params)


def start_oauth_authority(**kwargs: Any) -> OAuthAuthority:
    """A started OAuthAuthority (see its arguments); close() it when done."""
    authority = OAuthAuthority(**kwargs)
    try:
        authority.start()
    except BaseException:
        authority.close()
        raise
    return authority


# -- fixtures (import them into the test module that uses them) ------------------------------


@pytest.fixture
def oauth_authority_factory() -> Iterator[Callable[..., OAuthAuthority]]:
    """Start fake authorities (start_oauth_authority arguments); all closed after the test."""
    started: list[OAuthAuthority] = []

    def start(**kwargs: Any) -> OAuthAuthority:
        authority = start_oauth_authority(**kwargs)
        started.append(authority)
        return authority

    try:
        yield start
    finally:
        for authority in started:
            authority.close()


@pytest.fixture
def oauth_authority(
    oauth_authority_factory: Callable[..., OAuthAuthority],
) -> OAuthAuthority:
    """A fresh fake authority for one test (public client: no client secret)."""
    return oauth_authority_factory()
