"""Doctor checks of one account: its OAuth2 token, its IMAP login (what `frontdesk account
test` does), its SMTP server, the last sync error recorded, and its queue of server
changes. Network checks use short timeouts; offline they are skipped, or judged from
what the store holds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.accounts import imap_settings, password_for, pop3_settings
from engine.doctor.report import FAIL, OK, SKIPPED, WARN, DoctorCheck, check
from engine.errors import FrontdeskError, ImapAuthError, OAuthReauthError
from engine.imap.folders import test_connection
from engine.logins import credential_for
from engine.oauth.tokens import bearer_for, reconnect_hint
from engine.pop3.check import check_pop3
from engine.pop3.client import Pop3AuthError
from engine.sending.config import sending_settings
from engine.smtp.client import check as smtp_check
from engine.smtp.settings import default_port
from engine.status import account_health
from storage import Store
from storage import health as health_sql
from storage import settings as settings_sql
from storage import smtp as smtp_sql
from storage.records import AccountSettings

log = logging.getLogger(__name__)

OAUTH = "account.oauth"
LOGIN = "account.login"
SMTP = "account.smtp"
SYNC = "account.sync"
JOBS = "account.jobs"
NONE = "accounts.configured"

# Jobs waiting longer than this while nothing runs them mean no engine is running.
STALE_JOBS = timedelta(minutes=15)


async def account_checks(store: Store, account: AccountSettings, *, offline: bool,
                         socket_timeout: float) -> list[DoctorCheck]:
    """Every check of one account, in order; the token first, as the logins need it."""
    name = account.name
    # Read before the network checks, which may record errors of their own.
    recorded = await _guarded(SYNC, name, None, sync_check(store, account))
    found: list[DoctorCheck] = []
    token_ok = True
    wait = socket_timeout
    if account.oauth_provider:
        token = await _guarded(OAUTH, name, wait, oauth_check(store, account, offline=offline))
        found.append(token)
        token_ok = token.status != FAIL
    found.append(await _guarded(LOGIN, name, wait, login_check(
        store, account, offline=offline, socket_timeout=wait, token_ok=token_ok)))
    found.append(await _guarded(SMTP, name, wait, smtp_server_check(
        store, account, offline=offline, socket_timeout=wait, token_ok=token_ok)))
    found.append(recorded)
    found.append(await _guarded(JOBS, name, None, jobs_check(store, account)))
    return found


def no_accounts() -> DoctorCheck:
    """There is no account to check."""
    return check(NONE, WARN, "no account to check: add one with frontdesk account add NAME "
                 "--email ADDRESS ...")


async def oauth_check(store: Store, account: AccountSettings, *,
                      offline: bool) -> DoctorCheck:
    """An OAuth2 account has a token and the provider still renews it (offline: the
    token is there, not refused, and not expired)."""
    name, hint = account.name, reconnect_hint(account)
    if not account.has_token:
        return check(OAUTH, FAIL, f"not signed in to {account.oauth_provider}; run {hint}", name)
    expires = _parse_time(account.oauth_expires_at)
    expired = expires is not None and expires <= datetime.now(UTC)
    if offline:
        if account.auth_failed:
            return check(OAUTH, FAIL, account.last_error or f"the provider refused the token; "
                         f"run {hint}", name)
        if expired:
            return check(OAUTH, WARN, f"the access token expired at {account.oauth_expires_at}"
                         "; it is renewed when next used (run without --offline to try "
                         "now)", name)
        return check(OAUTH, OK, f"token for {account.oauth_user or account.email} valid until "
                     f"{account.oauth_expires_at}; renewal not tried (--offline)", name)
    try:
        # Renewing is the only way to learn whether the provider still honours the
        # grant; the new token is kept, as a sync would keep it.
        bearer = await bearer_for(store, account, force=True)
    except OAuthReauthError as exc:
        said = f"the access token expired at {account.oauth_expires_at} and " if expired else ""
        return check(OAUTH, FAIL, f"{said}cannot be renewed: {exc}", name)
    except FrontdeskError as exc:
        return check(OAUTH, FAIL, f"cannot renew the token: {exc}", name)
    fresh = await settings_sql.by_id(store.reader, account.id)
    until = fresh.oauth_expires_at if fresh is not None else None
    return check(OAUTH, OK, f"{account.oauth_provider} renewed the token for {bearer.user}; "
                 f"valid until {until}", name)


async def login_check(store: Store, account: AccountSettings, *, offline: bool,
                      socket_timeout: float, token_ok: bool = True) -> DoctorCheck:
    """Connect, log in and list the folders, as `frontdesk account test` does."""
    name = account.name
    if offline:
        return check(LOGIN, SKIPPED, "not tried (--offline)", name)
    if not account.enabled:
        return check(LOGIN, SKIPPED, "the account is disabled; it does not sync", name)
    if not token_ok:
        return check(LOGIN, SKIPPED, "needs a valid token first (see account.oauth)", name)
    if account.protocol == "pop3":
        return await _pop3_login_check(store, account, socket_timeout)
    try:
        settings = replace(imap_settings(account), timeout=socket_timeout)
        report = await test_connection(settings, await credential_for(store, account))
    except ImapAuthError as exc:
        return check(LOGIN, FAIL, _auth_detail(account, exc), name)
    except FrontdeskError as exc:
        return check(LOGIN, FAIL, str(exc), name)
    return check(LOGIN, OK, f"logged in to {report.host}:{report.port} ({report.security}) as "
                 f"{report.username} in {report.seconds:.2f} s; {len(report.folders)} folders",
                 name)


async def smtp_server_check(store: Store, account: AccountSettings, *, offline: bool,
                            socket_timeout: float, token_ok: bool = True) -> DoctorCheck:
    """The account has somewhere to send from; online, its server greets (EHLO) and
    takes the login. Nothing is sent."""
    name = account.name
    config = await smtp_sql.of_account(store.reader, account.id)
    if config is None or not (config.use_system or config.host):
        return check(SMTP, WARN, f"no SMTP server set, so replies from {name} cannot be sent; "
                     f"set one with frontdesk account smtp {name} --host HOST ... (or "
                     "--system)", name)
    system = await smtp_sql.system(store.reader) if config.use_system else None
    if config.use_system and system is None:
        return check(SMTP, FAIL, f"{name} sends through the system SMTP, which is not set; an "
                     "admin sets it with frontdesk smtp system --host HOST ...", name)
    where = system or config
    address = f"{where.host}:{where.port or default_port(where.security or 'starttls')}"
    if offline:
        return check(SMTP, OK, f"sends through {address} ({where.security}); not contacted "
                     "(--offline)", name)
    if not token_ok and not config.use_system and not config.has_password \
            and not config.password_command:
        return check(SMTP, SKIPPED, "needs a valid token first (see account.oauth)", name)
    try:
        settings = replace(await sending_settings(store, account.id),
                           timeout=socket_timeout)
        await asyncio.to_thread(smtp_check, settings)
    except FrontdeskError as exc:
        return check(SMTP, FAIL, str(exc), name)
    login = f", logged in as {settings.username}" if settings.auth else ""
    return check(SMTP, OK, f"{settings.address} ({settings.security}) answered EHLO{login}; "
                 "nothing sent", name)


async def sync_check(store: Store, account: AccountSettings) -> DoctorCheck:
    """The last sync error the engine recorded for the account and its folders."""
    name = account.name
    health = await account_health(store, account, counts=False)
    when = f" at {health.last_error_at}" if health.last_error_at else ""
    if health.auth_failed:
        return check(SYNC, FAIL, f"sync stopped{when}: {health.last_error}", name)
    if health.last_error:
        return check(SYNC, WARN, f"the last sync failed{when}: {health.last_error}", name)
    broken = [f for f in health.folders if f.synced and f.last_error]
    if broken:
        more = f" (and {len(broken) - 1} more folders)" if len(broken) > 1 else ""
        return check(SYNC, WARN, f"folder {broken[0].name}: {broken[0].last_error}{more}", name)
    if not account.enabled:
        return check(SYNC, SKIPPED, "the account is disabled; it does not sync", name)
    if health.last_sync_at is None:
        return check(SYNC, WARN, "never synced; start the engine with frontdesk sync", name)
    return check(SYNC, OK, f"last synced at {health.last_sync_at} without error", name)


async def jobs_check(store: Store, account: AccountSettings, *,
                     now: datetime | None = None) -> DoctorCheck:
    """Server changes (flags, moves, sends) waiting too long, or failed for good."""
    name = account.name
    backlog = await health_sql.job_backlog(store.reader, account.id)
    oldest = _parse_time(backlog.oldest_pending)
    now = now or datetime.now(UTC)
    if backlog.failed:
        return check(JOBS, WARN, f"{backlog.failed} server changes (flags, moves or sends) "
                     "failed for good; see frontdesk status and frontdesk outbox", name)
    if backlog.pending and oldest is not None and now - oldest > STALE_JOBS:
        return check(JOBS, WARN, f"{backlog.pending} server changes waiting since "
                     f"{backlog.oldest_pending}; is the engine running? start it with "
                     "frontdesk sync", name)
    if backlog.pending:
        return check(JOBS, OK, f"{backlog.pending} server changes queued", name)
    return check(JOBS, OK, "no server change waiting or failed", name)


# -- helpers -------------------------------------------------------------------------------


async def _guarded(id: str, account: str, socket_timeout: float | None,
                   work: Coroutine[Any, Any, DoctorCheck]) -> DoctorCheck:
    """Run one check, within a bound when it uses the network (`socket_timeout` given);
    a check that overruns or breaks is reported as failed, never lost."""
    limit = None if socket_timeout is None else socket_timeout * 2 + 5  # renewal + connect
    try:
        return await asyncio.wait_for(work, limit)
    except TimeoutError:
        return check(id, FAIL, f"no answer within {limit:g} s; check the network, the host "
                     "and the port", account)
    except Exception as exc:  # one broken check must not hide the others
        log.debug("doctor check %s of %s failed", id, account, exc_info=True)
        return check(id, FAIL, f"the check itself failed ({type(exc).__name__}: {exc}); "
                     "see the store.* checks, and frontdesk account test", account)


async def _pop3_login_check(store: Store, account: AccountSettings,
                            socket_timeout: float) -> DoctorCheck:
    """Connect, log in and count the mail waiting, as `frontdesk account test` does for a
    POP3 account."""
    name = account.name
    try:
        settings = replace(pop3_settings(account), timeout=socket_timeout)
        report = await check_pop3(settings, await password_for(store, account))
    except Pop3AuthError as exc:
        return check(LOGIN, FAIL, _auth_detail(account, exc), name)
    except FrontdeskError as exc:
        return check(LOGIN, FAIL, str(exc), name)
    return check(LOGIN, OK, f"logged in to {report.host}:{report.port} ({report.security}, "
                 f"POP3) as {report.username} in {report.seconds:.2f} s; {report.messages} "
                 "messages on the server", name)


def _auth_detail(account: AccountSettings, exc: ImapAuthError | Pop3AuthError) -> str:
    """The server's refusal, with how to change what was refused."""
    text = str(exc).split("; check it with", 1)[0].rstrip("; ")
    if account.oauth_provider:
        return str(exc)
    if account.password_command:
        return (f"{text}; fix its password command (frontdesk account set {account.name} "
                "--password-command CMD)")
    return (f"{text}; set the right password with frontdesk account password "
            f"{account.name} --password-stdin")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
