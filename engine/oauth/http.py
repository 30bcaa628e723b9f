"""HTTP for sign-ins: a requests Session that trusts only what the admin configured, and
one-line messages for what can go wrong on the wire or at the provider.

Blocking; callers run it in a thread.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from engine.errors import OAuthError
from engine.oauth.config import ProviderConfig
from engine.secrets import mask

# (connect, read) seconds for every request; a provider that stalls fails instead of
# holding a sign-in or a mail sync forever.
DEFAULT_TIMEOUT = (10.0, 30.0)
_DETAIL_MAX = 160
# Runs this long of token alphabet are treated as possible secrets in provider text.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-.~+/]{40,}={0,2}")
# Microsoft appends "Trace ID: ... Correlation ID: ... Timestamp: ..." to its descriptions.
_TRACE_TAIL = re.compile(r"\s*(Trace ID|Correlation ID|Timestamp):.*$", re.IGNORECASE | re.DOTALL)


class OAuthSession(requests.Session):
    """A Session whose requests time out unless the caller says otherwise."""

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        """As requests.Session.request, with the session's timeout as the default."""
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def session_for(config: ProviderConfig) -> OAuthSession:
    """A Session for `config`'s endpoints: verifies TLS against `config.ca_file` (else the
    default CA bundle), ignores environment variables (a CA bundle or proxy set there
    cannot override the admin's setting), and retries a failed connect once.

    Raises OAuthError when the configured CA file is missing.
    """
    if config.ca_file and not os.path.isfile(config.ca_file):
        raise OAuthError(
            f"CA file {config.ca_file} does not exist; fix the provider's CA file setting"
        )
    session = OAuthSession()
    session.trust_env = False
    session.verify = config.ca_file or True
    # Connect errors only (read=False): a token request is never sent twice.
    adapter = HTTPAdapter(max_retries=1)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def host_of(url: str) -> str:
    """The host (and port, when given) of `url`, for messages."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url


def clean_text(text: object, limit: int = _DETAIL_MAX) -> str:
    """Provider text made fit for a one-line message: one line, printable, short, and
    with anything that looks like a token masked."""
    line = " ".join(str(text).split())
    line = "".join(ch if ch.isprintable() else "?" for ch in line)
    line = _TOKEN_LIKE.sub(lambda m: mask(m.group()), line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def provider_detail(error: object, description: object = None) -> str:
    """`error: description` from an OAuth error response, cleaned and shortened."""
    code = clean_text(error or "unknown_error", 60)
    if not description:
        return code
    text = _TRACE_TAIL.sub("", str(description))
    text = clean_text(text)
    return f"{code}: {text}" if text else code


def network_error(exc: requests.RequestException, host: str) -> OAuthError:
    """A one-line OAuthError for a failed request to `host`."""
    if isinstance(exc, requests.exceptions.SSLError):
        return OAuthError(
            f"TLS with {host} failed (certificate not trusted or handshake refused); "
            "check the CA file setting and the system clock"
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return OAuthError(f"{host} did not answer in time; check the network and try again")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return OAuthError(f"cannot reach {host}; check the network and try again")
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        return OAuthError(f"{host} answered HTTP {status}; try again later")
    return OAuthError(f"request to {host} failed ({type(exc).__name__}); try again later")
