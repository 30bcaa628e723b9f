"""Doctor check of the local clock against a server's idea of the time.

A wrong clock breaks TLS certificate checks and OAuth2 tokens (both carry validity
times) and mis-dates what the engine records. No server is asked for the time outright;
two answers carry it as a side effect:

1. The `Date:` header of an HTTPS response from the OAuth2 provider of an account being
   checked (RFC 9110 makes every origin server with a clock send it). Nothing changes
   on the provider's side.
2. Else the INTERNALDATE an IMAP server stamps on a message it stores (RFC 3501: without
   a date in APPEND it is the time of storing). A folder with a random name is created,
   a tiny message appended to it, its INTERNALDATE fetched, and the folder deleted at
   once; no folder the engine syncs is touched, so nothing of it reaches the store.

Both times are whole seconds, truncated. The server set its time somewhere between
sending the request and receiving the answer (local clock readings `sent` and
`received`), so the local time to compare with is their middle, and the estimate is
good to half the round trip plus half a second (`estimate_skew`). A difference beyond
the 5-minute limit by more than that uncertainty is a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from engine.accounts import imap_settings, on_imap_server
from engine.doctor.report import OK, SKIPPED, WARN, DoctorCheck, check
from engine.imap.connection import ImapConnection
from engine.logins import credential_for
from engine.oauth.config import MICROSOFT, ProviderConfig
from engine.sanitize import sanitize_line
from storage import Store
from storage import oauth as oauth_sql
from storage.records import AccountSettings

SKEW = "clock.skew"
MAX_SKEW = 300.0  # seconds: 5 minutes, the tolerance Kerberos and many token checks allow
# Servers to try for an INTERNALDATE before giving up.
_MAX_IMAP_TRIES = 3
_APPENDUID = re.compile(rb"APPENDUID\s+\d+\s+(\d+)", re.IGNORECASE)
_PROBE = (
    b"From: frontdesk doctor <doctor@frontdesk.invalid>\r\n"
    b"To: frontdesk doctor <doctor@frontdesk.invalid>\r\n"
    b"Subject: frontdesk clock check\r\n"
    b"Message-ID: <clock-check@frontdesk.invalid>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"frontdesk doctor compares the local clock with this server's. The folder holding\r\n"
    b"this message is deleted as soon as its arrival time is read.\r\n"
)


@dataclass(frozen=True)
class SkewEstimate:
    """How far the server's clock is ahead of the local one (`offset`, seconds; negative:
    the local clock is ahead), good to +- `uncertainty` seconds; whose clock it is
    (`source`) and what told its time (`method`)."""

    offset: float
    uncertainty: float
    source: str
    method: str = ""


@dataclass(frozen=True)
class Stamp:
    """A server's time for an event, and the local clock just before and after it."""

    server_time: datetime  # timezone-aware
    sent: float  # local clock (seconds since the epoch) when the request left
    received: float  # local clock when the answer was in


def estimate_skew(stamp: Stamp, source: str, method: str = "", *,
                  resolution: float = 1.0) -> SkewEstimate:
    """The offset of the server's clock from ours, from a time the server wrote while we
    waited, truncated to `resolution` seconds."""
    if stamp.received < stamp.sent:
        raise ValueError("received before sent")
    server = stamp.server_time.timestamp() + resolution / 2
    local = (stamp.sent + stamp.received) / 2
    return SkewEstimate(offset=server - local,
                        uncertainty=(stamp.received - stamp.sent) / 2 + resolution / 2,
                        source=source, method=method)


def judge(estimate: SkewEstimate, *, limit: float = MAX_SKEW) -> DoctorCheck:
    """ok when the clocks may agree within `limit`, else a warning with what to do."""
    off = estimate.offset
    by = f", by {estimate.method}" if estimate.method else ""
    if abs(off) - estimate.uncertainty > limit:
        direction = "behind" if off > 0 else "ahead of"
        return check(SKEW, WARN, f"the local clock is {duration(abs(off))} {direction} "
                     f"{estimate.source}{by}; turn on time synchronisation (timedatectl "
                     "set-ntp true, or chrony/ntpd) or set the clock")
    return check(SKEW, OK, f"the local clock is within {duration(abs(off))} "
                 f"(+-{duration(estimate.uncertainty)}) of {estimate.source}{by}")


def duration(seconds: float) -> str:
    """A length of time for people: "0.4 s", "3 min 20 s", "2 h 5 min", "3 d 4 h"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


def http_date(value: str | None) -> datetime | None:
    """An HTTP `Date:` header as an aware datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


async def clock_check(store: Store, accounts: Sequence[AccountSettings], *, offline: bool,
                      socket_timeout: float) -> DoctorCheck:
    """Compare the local clock with the first server that tells its time (see the
    module docstring); skipped offline or when no server answers."""
    if offline:
        return check(SKEW, SKIPPED, "not compared with a server (--offline)")
    try:
        sources = await _sources(store, accounts, socket_timeout)
    except Exception as exc:  # the store could not say which servers there are
        return check(SKEW, SKIPPED, f"no server to compare the clock with ({exc})")
    if not sources:
        return check(SKEW, SKIPPED, "no server to compare the clock with: no account "
                     "with an IMAP server to check")
    reasons: list[str] = []
    for name, measure in sources:
        try:
            estimate = await asyncio.wait_for(measure(), socket_timeout * 2 + 5)
        except TimeoutError:
            reasons.append(f"{name}: no answer in time")
        except Exception as exc:  # any failure means: try the next server
            reasons.append(f"{name}: {sanitize_line(str(exc)) or type(exc).__name__}")
        else:
            return judge(estimate)
    return check(SKEW, SKIPPED, f"no server told its time ({reasons[0]}); see the account "
                 "checks above")


Measure = Callable[[], Awaitable[SkewEstimate]]


async def _sources(store: Store, accounts: Sequence[AccountSettings],
                   socket_timeout: float) -> list[tuple[str, Measure]]:
    """(name, measurement) of every server to try, providers first."""
    found: list[tuple[str, Measure]] = []
    for provider in dict.fromkeys(a.oauth_provider for a in accounts if a.oauth_provider):
        row = await oauth_sql.provider(store.reader, provider)
        if row is None:
            continue
        config = ProviderConfig(provider=row.provider, client_id=row.client_id,
                                tenant=row.tenant, authority=row.authority,
                                auth_uri=row.auth_uri, token_uri=row.token_uri,
                                ca_file=row.ca_file)

        def measure_http(config: ProviderConfig = config) -> Awaitable[SkewEstimate]:
            return asyncio.to_thread(_http_skew, config, socket_timeout)

        found.append((provider, measure_http))
    usable = [a for a in accounts if a.enabled and on_imap_server(a) and not a.auth_failed]
    for account in usable[:_MAX_IMAP_TRIES]:

        def measure_imap(account: AccountSettings = account) -> Awaitable[SkewEstimate]:
            return _imap_skew(store, account, socket_timeout)

        found.append((account.name, measure_imap))
    return found


# -- HTTP Date -----------------------------------------------------------------------------


def _http_skew(config: ProviderConfig, socket_timeout: float) -> SkewEstimate:
    """Blocking: one GET to a provider endpoint, for its Date header."""
    # Imported here: requests takes a moment to load, and only OAuth2 installations ask.
    from engine.oauth.http import host_of, network_error, session_for

    if config.provider == MICROSOFT:
        url = f"{config.microsoft_authority}/v2.0/.well-known/openid-configuration"
    else:
        url = config.google_token_uri
    import requests

    with session_for(config) as session:
        sent = time.time()
        try:
            answer = session.get(url, timeout=(socket_timeout, socket_timeout),
                                 allow_redirects=False)
        except requests.RequestException as exc:
            raise network_error(exc, host_of(url)) from None
        received = time.time()
        answer.close()
    server_time = http_date(answer.headers.get("Date"))
    if server_time is None:
        raise ValueError(f"{host_of(url)} sent no Date header")
    return estimate_skew(Stamp(server_time, sent, received), host_of(url),
                         "the Date of its HTTPS answer")


# -- IMAP INTERNALDATE ---------------------------------------------------------------------


async def _imap_skew(store: Store, account: AccountSettings, socket_timeout: float) -> SkewEstimate:
    settings = replace(imap_settings(account), timeout=socket_timeout)
    credential = await credential_for(store, account)
    async with ImapConnection(settings, name=f"doctor-clock-{account.name}") as conn:
        await conn.open(credential)
        stamp = await conn.call(_stamp_message)
    return estimate_skew(stamp, settings.address, "the arrival time it gave a message")


def _stamp_message(client: Any) -> Stamp:
    """In the connection's thread: store a message in a new folder, read the time the
    server gave it, delete the folder."""
    name = f"{_personal_prefix(client)}frontdesk-clock-{secrets.token_hex(4)}"
    client.create_folder(name)
    try:
        sent = time.time()
        answer = client.append(name, _PROBE, flags=("\\Seen",))
        received = time.time()
        client.select_folder(name, readonly=True)
        try:
            found = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
            normalise, client.normalise_times = client.normalise_times, False
            try:
                fetched = client.fetch([int(found[1])] if found else "1:*", ["INTERNALDATE"])
            finally:
                client.normalise_times = normalise
        finally:
            with contextlib.suppress(Exception):
                client.close_folder()
    finally:
        with contextlib.suppress(Exception):
            client.delete_folder(name)
    for data in fetched.values():
        value = data.get(b"INTERNALDATE")
        if isinstance(value, datetime):
            if value.tzinfo is None:  # no zone given: the server's local time, as ours
                value = value.astimezone()
            return Stamp(value, sent, received)
    raise ValueError("the server gave the message no arrival time")


def _personal_prefix(client: Any) -> str:
    """Where this login may create folders ("" on most servers, "INBOX." on some)."""
    if not client.has_capability("NAMESPACE"):
        return ""
    personal = client.namespace().personal or ()
    if not personal:
        return ""
    prefix = personal[0][0]
    return prefix.decode("utf-8", "replace") if isinstance(prefix, bytes) else str(prefix)
