"""Service.doctor against real servers: an OAuth2 account whose token the (local, fake)
provider renews, then one whose grant was revoked after its token expired; the clock
compared with the provider's Date header; and the account checks covering only the
accounts the acting agent configures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import NotFoundError
from engine.models import Agent, DoctorReport, OAuthProviderChange, SmtpChange
from engine.service import LocalService
from storage import agents
from tests.integration.sync_support import Item, mail, spec_for
from tests.servers import oauth_authority as oauth_servers
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer, start_dovecot
from tests.servers.oauth_authority import OAuthAuthority
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.integration
ALICE = "alice@example.com"
BOB = "bob@example.com"
SUPPORT = "support@example.com"
CLIENT_SECRET = "client-secret-for-doctor-tests"

oauth_authority_factory = oauth_servers.oauth_authority_factory
smtp_server_factory = smtp_servers.smtp_server_factory


@pytest.fixture
def authority(oauth_authority_factory: Callable[..., OAuthAuthority]) -> OAuthAuthority:
    return oauth_authority_factory(client_secret=CLIENT_SECRET)


@pytest.fixture
def server(authority: OAuthAuthority, smtp_server_factory: Any) -> Iterator[DovecotServer]:
    """A Dovecot taking the authority's tokens for IMAP and for submission (relaying to
    an SMTP sink)."""
    sink: SmtpServer = smtp_server_factory("none", mechanisms=())
    started = start_dovecot(oauth=authority.dovecot_validation(),
                            submission_relay=(sink.host, sink.port))
    try:
        yield started
    finally:
        started.stop()


def checks(report: DoctorReport, account: str = "") -> dict[str, tuple[str, str]]:
    return {c.id: (c.status, c.detail) for c in report.checks if c.account == account}


async def signed_in(tmp_path: Path, server: DovecotServer, authority: OAuthAuthority
                    ) -> tuple[LocalService, Agent]:
    """A store whose admin added alice's mailbox as a Microsoft OAuth2 account, signed
    in, set it to send through the server's submission service, and synced it once."""
    service = await LocalService.open(tmp_path / "store.db")
    admin = await service.login("admin")
    await service.set_oauth_provider(admin, OAuthProviderChange(
        provider="microsoft", client_id=authority.client_id,
        authority=authority.microsoft_authority, ca_file=authority.ca_file,
        client_secret=CLIENT_SECRET))
    await service.add_account(admin, spec_for(server, ALICE, name="alice-ms",
                                              oauth="microsoft"), None)
    prompt = await service.begin_sign_in(admin, "alice-ms")
    authority.approve(prompt.code, ALICE)
    await service.finish_sign_in(admin, prompt.id)
    assert server.submission_port is not None
    await service.configure_smtp(admin, "alice-ms", SmtpChange(
        host=server.host, port=server.submission_port, security="starttls",
        ca_file=str(server.cafile), server_saves_sent=True))
    server.append_messages(ALICE, [Item(mail("Hello", to=ALICE))])
    [result] = await service.sync(admin)
    assert result.error is None
    return service, admin


async def test_a_renewable_token_is_ok_and_the_clock_is_read_from_the_provider(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path
) -> None:
    service, admin = await signed_in(tmp_path, server, authority)
    try:
        renewed_before = authority.grants["refresh_token"]
        report = await service.doctor(admin)
        alice = checks(report, "alice-ms")
        assert not report.failed
        assert {c.status for c in report.checks} == {"ok"}, report.checks
        assert set(alice) == {"account.oauth", "account.login", "account.smtp",
                              "account.sync", "account.jobs"}
        assert authority.grants["refresh_token"] == renewed_before + 1  # renewal was tried
        status, detail = alice["account.oauth"]
        assert f"renewed the token for {ALICE}; valid until 20" in detail
        assert "eyJ" not in " ".join(c.detail for c in report.checks)  # no token shown
        # The provider answered over HTTPS: its Date header told its time.
        status, detail = checks(report)["clock.skew"]
        assert status == "ok" and "by the Date of its HTTPS answer" in detail
        assert authority.base_url.removeprefix("https://").rstrip("/") in detail

        offline = await service.doctor(admin, offline=True)
        assert authority.grants["refresh_token"] == renewed_before + 1  # not asked again
        status, detail = checks(offline, "alice-ms")["account.oauth"]
        assert status == "ok" and "renewal not tried (--offline)" in detail
    finally:
        await service.close()


async def test_an_expired_token_that_cannot_be_renewed_is_a_problem(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path
) -> None:
    service, admin = await signed_in(tmp_path, server, authority)
    try:
        async with service.store.transaction() as db:
            await db.execute("UPDATE accounts SET oauth_expires_at = '2020-01-01T00:00:00Z'")
        assert authority.revoke(ALICE) >= 1
        report = await service.doctor(admin)
        assert report.failed
        alice = checks(report, "alice-ms")
        status, detail = alice["account.oauth"]
        assert status == "fail"
        assert detail.startswith("the access token expired at 2020-01-01T00:00:00Z and "
                                 "cannot be renewed")
        assert "run frontdesk account reconnect alice-ms" in detail
        # What needs the token waits for it instead of failing a second time.
        assert alice["account.login"][0] == "skipped"
        assert alice["account.smtp"][0] == "skipped"
        # Offline, the mark the failed renewal left is enough to tell.
        offline = await service.doctor(admin, offline=True)
        status, detail = checks(offline, "alice-ms")["account.oauth"]
        assert status == "fail" and "account reconnect alice-ms" in detail
        assert checks(offline, "alice-ms")["account.sync"][0] == "fail"
    finally:
        await service.close()


async def test_account_checks_cover_only_what_the_agent_configures(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    service = await LocalService.open(tmp_path / "store.db")
    try:
        admin = await service.login("admin")
        async with service.store.transaction() as db:
            bob = await agents.insert(db, name="bob", os_user=None, role="agent",
                                      email=BOB)
        await service.add_account(bob, spec_for(dovecot, BOB, name="bob-mail"),
                                  dovecot.users[BOB])
        await service.add_account(admin, spec_for(dovecot, SUPPORT, name="support",
                                                  shared=True), dovecot.users[SUPPORT])

        mine = await service.doctor(bob, offline=True)
        assert {c.account for c in mine.checks} == {"", "bob-mail"}
        theirs = await service.doctor(admin, offline=True)
        assert {c.account for c in theirs.checks} == {"", "support"}

        with pytest.raises(NotFoundError):
            await service.doctor(bob, account="support", offline=True)
        refused = [e for e in await service.audit_log(admin)
                   if e.action == "access.refused" and e.agent == "bob"]
        assert refused and json.loads(refused[0].detail)["method"] == "doctor"

        one = await service.doctor(bob, account="bob-mail")
        status, detail = checks(one, "bob-mail")["account.login"]
        assert status == "ok" and f"as {BOB}" in detail
    finally:
        await service.close()
