"""OAuth2 accounts end to end, offline: a fake Microsoft / Google authority issues the
tokens, a real Dovecot validates them for IMAP and for its submission service (which
relays to an SMTP sink), and frontdesk signs in, syncs, renews and sends."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import NotFoundError, OAuthError
from engine.models import Agent, OAuthProviderChange, SmtpChange
from engine.service import LocalService
from storage import agents
from tests.cli.test_cli import assert_one_line_error
from tests.integration.sync_support import Item, mail, spec_for
from tests.servers import oauth_authority as oauth_servers
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer, OAuthValidation, start_dovecot
from tests.servers.oauth_authority import OAuthAuthority
from tests.servers.smtp import SmtpServer
from tests.store_factory import make_gateway

pytestmark = pytest.mark.integration
ALICE = "alice@example.com"
BOB = "bob@example.com"
SUPPORT = "support@example.com"
ROOT = Path(__file__).resolve().parents[2]
CLIENT_SECRET = "google-client-secret-for-tests"

oauth_authority_factory = oauth_servers.oauth_authority_factory
smtp_server_factory = smtp_servers.smtp_server_factory


@pytest.fixture
def authority(oauth_authority_factory: Callable[..., OAuthAuthority]) -> OAuthAuthority:
    return oauth_authority_factory(client_secret=CLIENT_SECRET)


@pytest.fixture
def sink(smtp_server_factory: Any) -> SmtpServer:
    return smtp_server_factory("none", mechanisms=())


@pytest.fixture
def server(authority: OAuthAuthority, sink: SmtpServer) -> Iterator[DovecotServer]:
    """A Dovecot that accepts the authority's tokens (and passwords), for IMAP and for
    submission relaying to the sink."""
    started = start_dovecot(oauth=authority.dovecot_validation(),
                            submission_relay=(sink.host, sink.port))
    try:
        yield started
    finally:
        started.stop()


async def open_store(tmp_path: Path) -> tuple[LocalService, Agent]:
    service = await LocalService.open(tmp_path / "store.db")
    admin = await service.login("admin")  # the store's first agent: an admin
    return service, admin


async def register(service: LocalService, admin: Agent, authority: OAuthAuthority,
                   provider: str) -> None:
    if provider == "microsoft":
        change = OAuthProviderChange(provider="microsoft", client_id=authority.client_id,
                                     authority=authority.microsoft_authority,
                                     ca_file=authority.ca_file, client_secret=CLIENT_SECRET)
    else:
        change = OAuthProviderChange(provider="google", client_id=authority.client_id,
                                     auth_uri=authority.google_auth_uri,
                                     token_uri=authority.google_token_uri,
                                     ca_file=authority.ca_file, client_secret=CLIENT_SECRET)
    await service.set_oauth_provider(admin, change)


async def add_oauth_account(service: LocalService, admin: Agent, server: DovecotServer,
                            user: str, name: str, provider: str = "microsoft") -> None:
    await service.add_account(admin, spec_for(server, user, name=name, oauth=provider), None)


async def device_sign_in(service: LocalService, agent: Agent, authority: OAuthAuthority,
                         name: str, user: str) -> Any:
    prompt = await service.begin_sign_in(agent, name)
    assert prompt.kind == "device" and prompt.code and prompt.url.startswith("https://")
    assert prompt.code in prompt.message
    authority.approve(prompt.code, user)
    return await service.finish_sign_in(agent, prompt.id)


def browser(url: str) -> str:
    """Play the browser at the consent page: where it is sent next."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    import ssl

    context = ssl.create_default_context(cafile=os.environ["FD_TEST_CA"])
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(
        context=context))
    try:
        opener.open(url, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302
        return exc.headers["Location"]
    raise AssertionError("the consent page did not redirect")


def jwt_free(directory: Path) -> bool:
    """No JWT (every token starts with "eyJ") in the store's files."""
    return all(b"eyJ" not in part.read_bytes() for part in directory.glob("store.db*"))


async def inbox_subjects(service: LocalService, agent: Agent, name: str) -> list[str]:
    """Subjects in the account's inbox ([] before its first sync found the folder)."""
    try:
        found = await service.list_by_spec(agent, f"{name}:INBOX", limit=50)
    except NotFoundError:
        return []
    return sorted(m.subject for m in found)


async def test_device_flow_signs_in_then_sync_logs_in_with_the_token(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path
) -> None:
    server.append_messages(ALICE, [Item(mail("Hello over OAuth", to=ALICE))])
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "microsoft")
        await add_oauth_account(service, admin, server, ALICE, "alice-ms")
        account = await device_sign_in(service, admin, authority, "alice-ms", ALICE)
        assert account.oauth_user == ALICE and account.has_token
        assert not account.auth_failed and account.oauth_expires_at
        [result] = await service.sync(admin)
        assert result.error is None
        assert await inbox_subjects(service, admin, "alice-ms") == ["Hello over OAuth"]
        # A second pass reuses the stored token: nothing asked of the authority.
        await service.sync(admin)
        assert authority.grants["refresh_token"] == 0
        [health] = await service.status(admin)
        assert (health.oauth_user, health.needs_sign_in) == (ALICE, False)
        assert health.token_expires_at == account.oauth_expires_at
        # Tokens are at rest only encrypted: no JWT in the database or its journal.
        assert jwt_free(tmp_path)
    finally:
        await service.close()


async def test_a_token_about_to_expire_is_renewed_silently(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path
) -> None:
    authority.lifetime = 120  # inside the renewal margin: renewed before each login
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "microsoft")
        await add_oauth_account(service, admin, server, ALICE, "alice-ms")
        first = await device_sign_in(service, admin, authority, "alice-ms", ALICE)
        server.append_messages(ALICE, [Item(mail("After renewal", to=ALICE))])
        [result] = await service.sync(admin)
        assert result.error is None
        assert authority.grants["refresh_token"] >= 1
        [health] = await service.status(admin)
        assert health.token_expires_at and health.token_expires_at >= (
            first.oauth_expires_at or "")
        assert "After renewal" in await inbox_subjects(service, admin, "alice-ms")
    finally:
        await service.close()


async def test_a_revoked_grant_marks_its_account_and_the_others_keep_syncing(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path
) -> None:
    authority.lifetime = 120
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "microsoft")
        await add_oauth_account(service, admin, server, ALICE, "alice-ms")
        await add_oauth_account(service, admin, server, BOB, "bob-ms")
        await device_sign_in(service, admin, authority, "alice-ms", ALICE)
        await device_sign_in(service, admin, authority, "bob-ms", BOB)
        assert authority.revoke(ALICE) >= 1
        server.append_messages(BOB, [Item(mail("Bob still gets mail", to=BOB))])
        results = {r.account: r for r in await service.sync(admin)}
        assert results["bob-ms"].error is None
        assert "Bob still gets mail" in await inbox_subjects(service, admin, "bob-ms")
        alice = results["alice-ms"]
        assert alice.auth_failed
        assert "needs to be signed in again" in (alice.error or "")
        assert "frontdesk account reconnect alice-ms" in (alice.error or "")
        health = {h.name: h for h in await service.status(admin)}
        assert health["alice-ms"].needs_sign_in and not health["bob-ms"].needs_sign_in

        # A running engine does not hammer the provider: one attempt, then it waits.
        refusals = authority.refusals["invalid_grant"]
        stop = asyncio.Event()
        task = asyncio.create_task(service.sync(admin, once=False, stop=stop))
        await asyncio.sleep(3)
        assert authority.refusals["invalid_grant"] - refusals <= 1

        # Signing in again lets it sync at once, without restarting the engine.
        await device_sign_in(service, admin, authority, "alice-ms", ALICE)
        server.append_messages(ALICE, [Item(mail("Back again", to=ALICE))])
        await service.request_sync(admin)
        for _ in range(100):
            if "Back again" in await inbox_subjects(service, admin, "alice-ms"):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        assert "Back again" in await inbox_subjects(service, admin, "alice-ms")
    finally:
        await service.close()


async def test_a_token_the_server_refuses_is_renewed_once_then_reported(
    authority: OAuthAuthority, sink: SmtpServer, tmp_path: Path
) -> None:
    # This Dovecot trusts another key: every token of the authority is badly signed.
    other = start_dovecot(oauth=OAuthValidation(authority.signer.issuer, authority.client_id,
                                                 key=b"k" * 32))
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "microsoft")
        await add_oauth_account(service, admin, other, ALICE, "alice-ms")
        await device_sign_in(service, admin, authority, "alice-ms", ALICE)
        [result] = await service.sync(admin)
        assert result.auth_failed
        assert "refused the OAuth2 token" in (result.error or "")
        assert "frontdesk account reconnect alice-ms" in (result.error or "")
        assert authority.grants["refresh_token"] == 1  # renewed once, not in a loop
    finally:
        await service.close()
        other.stop()


async def test_gmail_sign_in_with_a_pasted_address_then_sync(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FD_TEST_CA", authority.ca_file)
    server.append_messages(ALICE, [Item(mail("Gmail hello", to=ALICE))])
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "google")
        await add_oauth_account(service, admin, server, ALICE, "alice-gm", "google")
        prompt = await service.begin_sign_in(admin, "alice-gm")
        assert prompt.kind == "browser" and prompt.redirect_uri
        assert prompt.redirect_uri.startswith("http://127.0.0.1:")
        waiting = asyncio.create_task(service.finish_sign_in(admin, prompt.id))
        landed = await asyncio.to_thread(browser, prompt.url)
        assert landed.startswith(prompt.redirect_uri)
        await service.paste_sign_in(admin, prompt.id, f"  {landed}\n")
        account = await waiting
        assert account.has_token and not account.auth_failed
        [result] = await service.sync(admin)
        assert result.error is None
        assert await inbox_subjects(service, admin, "alice-gm") == ["Gmail hello"]
    finally:
        await service.close()


async def test_gmail_sign_in_through_the_loopback_and_a_forged_state(
    server: DovecotServer, authority: OAuthAuthority, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FD_TEST_CA", authority.ca_file)
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "google")
        await add_oauth_account(service, admin, server, ALICE, "alice-gm", "google")
        # A pasted address whose state is not ours is refused, and nothing is stored.
        prompt = await service.begin_sign_in(admin, "alice-gm")
        waiting = asyncio.create_task(service.finish_sign_in(admin, prompt.id))
        landed = await asyncio.to_thread(browser, prompt.url)
        forged = landed.replace("state=", "state=x")
        await service.paste_sign_in(admin, prompt.id, forged)
        with pytest.raises(OAuthError, match="state"):
            await waiting
        [health] = await service.status(admin)
        assert health.needs_sign_in
        # The browser reaching this machine (ssh -L) completes it with no paste.
        prompt = await service.begin_sign_in(admin, "alice-gm")
        waiting = asyncio.create_task(service.finish_sign_in(admin, prompt.id))
        landed = await asyncio.to_thread(browser, prompt.url)
        await asyncio.to_thread(urllib.request.urlopen, landed, timeout=10)
        account = await waiting
        assert account.has_token
        with pytest.raises(OSError):  # the port is closed once the sign-in is over
            await asyncio.to_thread(urllib.request.urlopen, landed, timeout=2)
    finally:
        await service.close()


async def test_mail_goes_out_through_smtp_with_the_token(
    server: DovecotServer, authority: OAuthAuthority, sink: SmtpServer, tmp_path: Path
) -> None:
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "microsoft")
        await add_oauth_account(service, admin, server, ALICE, "alice-ms")
        await device_sign_in(service, admin, authority, "alice-ms", ALICE)
        assert server.submission_port is not None
        # No password: SMTP logs in with the account's token.
        await service.configure_smtp(admin, "alice-ms", SmtpChange(
            host=server.host, port=server.submission_port, security="starttls",
            ca_file=str(server.cafile), server_saves_sent=True))
        draft = await service.start_draft(admin, "new", account="alice-ms")
        draft = await service.save_draft(admin, draft.id, to="carla@customer.example",
                                         cc="", bcc="", subject="Token mail", body="Hi.")
        await service.send_draft(admin, draft.id)
        await service.sync(admin)
        [got] = sink.received
        assert got.sender == ALICE and b"Subject: Token mail" in got.raw
    finally:
        await service.close()


async def test_a_delegate_sends_from_a_shared_mailbox_with_its_own_token(
    server: DovecotServer, authority: OAuthAuthority, sink: SmtpServer, tmp_path: Path
) -> None:
    """Microsoft's shared mailboxes: the IMAP login names the shared address, the token
    is the delegate's, SMTP logs in as the delegate and the mail is From the shared
    address."""
    service, admin = await open_store(tmp_path)
    try:
        await register(service, admin, authority, "microsoft")
        await service.add_account(admin, spec_for(server, SUPPORT, name="support",
                                                  oauth="microsoft", shared=True), None)
        account = await device_sign_in(service, admin, authority, "support", ALICE)
        assert (account.email, account.oauth_user) == (SUPPORT, ALICE)
        [settings] = [a for a in await service.account_settings(admin) if a.name == "support"]
        assert settings.imap_username == SUPPORT  # IMAP opens the shared mailbox
        assert server.submission_port is not None
        await service.configure_smtp(admin, "support", SmtpChange(
            host=server.host, port=server.submission_port, security="starttls",
            ca_file=str(server.cafile), server_saves_sent=True))
        draft = await service.start_draft(admin, "new", account="support")
        draft = await service.save_draft(admin, draft.id, to="carla@customer.example",
                                         cc="", bcc="", subject="From the team", body="Hi.")
        await service.send_draft(admin, draft.id)
        await service.sync(admin)  # the IMAP part fails here (Dovecot knows no delegates)
        [got] = sink.received
        assert got.sender == SUPPORT and b"From: " in got.raw and SUPPORT.encode() in got.raw
        log = server.log_tail(200)
        assert f"user=<{ALICE}>" in log  # submission authenticated the delegate
    finally:
        await service.close()


# -- the command line ----------------------------------------------------------------------


def run_cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, input=stdin)


@pytest.fixture
async def cli_db(tmp_path: Path, authority: OAuthAuthority) -> Path:
    path = tmp_path / "cli.db"
    service = await LocalService.open(path)
    try:
        admin = await service.login("admin")
        async with service.store.transaction() as db:
            await agents.insert(db, name="alice", os_user=None, role="agent", email=ALICE)
        await make_gateway(service.store)
        await register(service, admin, authority, "microsoft")
        await register(service, admin, authority, "google")
    finally:
        await service.close()
    return path


def test_account_add_signs_in_at_the_terminal_then_status_shows_the_token(
    server: DovecotServer, authority: OAuthAuthority, cli_db: Path
) -> None:
    authority.auto_approve = ALICE  # the person signs in on their phone at once
    added = run_cli(cli_db, "--agent", "alice", "account", "add", "alice-ms", "--email", ALICE,
                    "--imap-host", server.host, "--imap-port", str(server.ssl_port),
                    "--ca-file", str(server.cafile), "--oauth", "microsoft")
    assert added.returncode == 0, added.stderr
    assert "enter the code" in added.stdout and "code:" in added.stdout
    assert f"signed in as {ALICE}" in added.stdout
    synced = run_cli(cli_db, "--agent", "alice", "sync", "--once", "--progress", "none")
    assert synced.returncode == 0, synced.stderr
    status = run_cli(cli_db, "--agent", "alice", "status")
    assert f"alice-ms: microsoft token for {ALICE} valid until" in status.stdout
    # Nothing secret in what was printed.
    for text in (added.stdout, added.stderr, status.stdout):
        assert "eyJ" not in text  # no JWT


def test_reconnect_takes_a_pasted_address_from_stdin(
    server: DovecotServer, authority: OAuthAuthority, cli_db: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FD_TEST_CA", authority.ca_file)
    added = run_cli(cli_db, "--agent", "alice", "account", "add", "alice-gm", "--email", ALICE,
                    "--imap-host", server.host, "--imap-port", str(server.ssl_port),
                    "--ca-file", str(server.cafile), "--oauth", "google", "--no-sign-in")
    assert added.returncode == 0, added.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(cli_db), "--agent", "alice", "account",
         "reconnect", "alice-gm"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    url = ""
    for line in proc.stdout:
        if line.strip().startswith("address:"):
            url = line.split("address:", 1)[1].strip()
            break
    landed = browser(url)
    proc.stdin.write(landed + "\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "signed in as" in out
    status = json.loads(run_cli(cli_db, "--agent", "alice", "status", "--json").stdout)
    assert status[0]["needs_sign_in"] is False


def test_a_declined_sign_in_is_one_line_and_says_what_to_run(
    server: DovecotServer, authority: OAuthAuthority, cli_db: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FD_TEST_CA", authority.ca_file)
    authority.google_deny = True
    run_cli(cli_db, "--agent", "alice", "account", "add", "alice-gm", "--email", ALICE,
            "--imap-host", server.host, "--oauth", "google", "--no-sign-in")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(cli_db), "--agent", "alice", "account",
         "reconnect", "alice-gm"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    url = next(line.split("address:", 1)[1].strip() for line in proc.stdout
               if line.strip().startswith("address:"))
    proc.stdin.write(browser(url) + "\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=30)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert_one_line_error(result, "declined", "frontdesk account reconnect alice-gm")
