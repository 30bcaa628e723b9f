"""`frontdesk account add NAME` step by step, as a separate process: answers on stdin
line by line (or every step as a flag), the servers found by the local DNS responder
(SRV records naming the test Dovecot), the account saved, tested and synced against the
real Dovecot, and its mail listed by `frontdesk list`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.models import SmtpConfig
from engine.service import LocalService
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.integration.sync_support import Item, mail
from tests.servers.dns import DnsServer, running_dns
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"
WRONG = "not-the-password-1"


@pytest.fixture
def bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    dovecot.append_messages(USER, [Item(mail(f"wizard {i}", body=f"body {i}"))
                                   for i in range(3)])
    dovecot.append_messages(USER, [Item(mail("sent by bob"), folder="Sent")])
    return dovecot


@pytest.fixture
def srv(bob: DovecotServer) -> Iterator[DnsServer]:
    """example.com's IMAPS and submission as SRV records naming the test Dovecot."""
    records = {
        "_imaps._tcp.example.com": [("SRV", f"0 1 {bob.ssl_port} localhost.")],
        "_submission._tcp.example.com": [("SRV", "0 1 2587 localhost.")],
    }
    with running_dns(records) as server:
        yield server


def wizard(db: Path, dns: DnsServer, server: DovecotServer, *extra: str) -> list[str]:
    return ["--db", str(db), "account", "add", "bob", "--dns-server",
            f"127.0.0.1:{dns.port}", "--no-ispdb", "--timeout", "1", "--ca-file",
            str(server.cafile), *extra]


def lines(*answers: str) -> str:
    return "".join(f"{a}\n" for a in answers)


def accounts(frontdesk: Run, db: Path) -> dict[str, dict]:
    listed = frontdesk("--db", str(db), "account", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {a["name"]: a for a in json.loads(listed.stdout)}


def subjects(frontdesk: Run, db: Path, folder: str) -> list[str]:
    listed = frontdesk("--db", str(db), "list", "--folder", folder, "--json")
    assert listed.returncode == 0, listed.stderr
    return sorted(row["subject"] for row in json.loads(listed.stdout))


async def smtp_of(db: Path) -> SmtpConfig:
    """The account's SMTP setting, read through the Service as the CLI's user."""
    service = await LocalService.open(db)
    try:
        return await service.smtp_config(await service.login(), "bob")
    finally:
        await service.close()


def assert_last_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """The wizard fails with one line at the end of what it said on stderr."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("frontdesk: "), result.stderr
    for needle in needles:
        assert needle in last, last


async def test_answers_on_stdin_make_a_synced_account(frontdesk_in: Run, frontdesk: Run,
                                                bob: DovecotServer, srv: DnsServer,
                                                tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    password = bob.users[USER]
    result = frontdesk_in(*wizard(db, srv, bob), stdin=lines(
        USER,  # address
        "",  # use the servers found: yes
        password,
        "",  # folders: the default, INBOX and Sent
        "",  # import: all
        "",  # send through the server found
        "Bob Example", "Support desk", "",  # the signature, ended by an empty line
        "",  # sync now: yes
    ))
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout + result.stderr
    said = result.stderr
    assert "Looking up the mail servers of example.com…" in said
    assert "Found by DNS SRV records:" in said
    assert f"  IMAP  localhost:{bob.ssl_port}  ssl  login {USER}" in said
    assert "Tried 11 lookups (preset, MX, autoconfig, SRV)" in said
    assert "ok: logged in to localhost" in said
    folder_lines = [line.split() for line in said.splitlines()]
    assert ["1", "INBOX", "inbox"] in folder_lines
    assert any(row[1:] == ["Sent", "sent"] for row in folder_lines if len(row) == 3)
    assert "bob: 4 new messages" in said  # the first sync's progress
    assert result.stdout.startswith(f"account bob is set up ({USER}, IMAP localhost:")

    account = accounts(frontdesk, db)["bob"]
    assert account["sync_folders"] == ["INBOX", "Sent"]
    assert (account["imap_host"], account["imap_port"]) == ("localhost", bob.ssl_port)
    assert account["import_mode"] == "all" and account["last_sync_at"]
    assert subjects(frontdesk, db, "unified:inbox") == [f"wizard {i}" for i in range(3)]
    assert subjects(frontdesk, db, "bob:Sent") == ["sent by bob"]
    signature = frontdesk("--db", str(db), "signature", "show", "--account", "bob")
    assert signature.stdout.strip() == "Bob Example\nSupport desk"
    smtp = await smtp_of(db)
    assert (smtp.host, smtp.port, smtp.security) == ("localhost", 2587, "starttls")
    assert smtp.has_password and smtp.username == USER


def test_a_wrong_password_is_typed_again(frontdesk_in: Run, frontdesk: Run,
                                         bob: DovecotServer, srv: DnsServer,
                                         tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    result = frontdesk_in(*wizard(db, srv, bob), stdin=lines(
        USER, "y", WRONG,
        "",  # after the refused login the default is to retype the password
        bob.users[USER],
        "1",  # folders by number: INBOX only
        "since:2001-02-03", "none", "", "n",
    ))
    assert result.returncode == 0, result.stderr
    said = result.stderr
    assert said.count("  failed: ") == 1
    assert "Retype the password (p), edit the server (e) or give up (q)? [p]" in said
    assert said.index("  failed: ") < said.index("ok: logged in")
    assert "No SMTP yet" in said
    assert result.stdout.strip().endswith("not synced yet: run `frontdesk sync`")
    account = accounts(frontdesk, db)["bob"]
    assert account["sync_folders"] == ["INBOX"] and account["last_sync_at"] is None
    assert (account["import_mode"], account["import_since"]) == ("since", "2001-02-03")
    assert frontdesk("--db", str(db), "account", "test", "bob").returncode == 0


def test_nothing_found_asks_for_the_server_and_a_bad_port_again(
        frontdesk_in: Run, frontdesk: Run, bob: DovecotServer, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    with running_dns({}) as empty:
        result = frontdesk_in(*wizard(db, empty, bob), stdin=lines(
            USER,
            "127.0.0.1",  # the server
            "tls",  # security: understood as ssl
            "99999",  # a port out of range: asked again
            str(bob.ssl_port),
            "",  # login: the address
            bob.users[USER],
            "INBOX", "", "", "", "y",
        ))
    assert result.returncode == 0, result.stderr
    said = result.stderr
    assert "No server found for example.com." in said
    assert "  guess imap.example.com: no such host" in said.splitlines()
    assert "No IMAP server was found: type it." in said
    assert "port '99999': give a number from 1 to 65535" in said
    assert "  1  the system SMTP" in said  # no server found to send through
    account = accounts(frontdesk, db)["bob"]
    assert (account["imap_host"], account["imap_port"]) == ("127.0.0.1", bob.ssl_port)
    assert account["imap_security"] == "ssl"
    assert subjects(frontdesk, db, "unified:inbox") == [f"wizard {i}" for i in range(3)]


async def test_every_step_as_a_flag_needs_no_stdin(frontdesk: Run, bob: DovecotServer,
                                            srv: DnsServer, tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    secret = tmp_path / "pw"
    secret.write_text(bob.users[USER] + "\n")
    secret.chmod(0o600)
    signature = tmp_path / "sig.txt"
    signature.write_text("Bob\n-- \nfrontdesk\n", encoding="utf-8")
    result = frontdesk(*wizard(db, srv, bob, "--wizard", "--yes", "--email", USER,
                               "--password-command", f"cat {secret}", "--folders", "Sent,INBOX",
                               "--import", "new-only", "--smtp", "discovered",
                               "--signature-file", str(signature), "--json"))
    assert result.returncode == 0, result.stderr
    added = json.loads(result.stdout)
    assert added["sync_folders"] == ["Sent", "INBOX"] and added["import_mode"] == "new-only"
    assert added["password_command"] == f"cat {secret}" and added["has_password"] is False
    assert added["last_sync_at"]  # --yes syncs
    assert bob.users[USER] not in result.stdout + result.stderr
    shown = frontdesk("--db", str(db), "signature", "show", "--account", "bob")
    assert shown.stdout.strip() == "Bob\n--\nfrontdesk"
    assert subjects(frontdesk, db, "unified:inbox") == []  # new-only: nothing from before
    smtp = await smtp_of(db)
    assert smtp.password_command == f"cat {secret}" and not smtp.has_password


def test_a_login_that_never_works_leaves_no_account(frontdesk_in: Run, frontdesk: Run,
                                                   bob: DovecotServer, srv: DnsServer,
                                                   tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    scripted = frontdesk_in(*wizard(db, srv, bob, "--wizard", "--yes", "--email", USER,
                                    "--password-stdin"), stdin=lines(WRONG))
    assert_last_line_error(scripted, "account bob was not kept")
    assert "Saved account bob." in scripted.stderr
    assert accounts(frontdesk, db) == {}

    gave_up = frontdesk_in(*wizard(db, srv, bob), stdin=lines(USER, "", WRONG, "q"))
    assert_last_line_error(gave_up, "was not kept")
    ended = frontdesk_in(*wizard(db, srv, bob), stdin=lines(USER, "", WRONG))
    assert_last_line_error(ended, "standard input ended", "was not kept")
    assert accounts(frontdesk, db) == {}


def test_bad_answers_and_missing_flags_end_in_one_line(frontdesk_in: Run, frontdesk: Run,
                                                      srv: DnsServer, bob: DovecotServer,
                                                      tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    no_input = frontdesk(*wizard(db, srv, bob))
    assert_last_line_error(no_input, "no answer to 'Email address'", "--email")
    thrice = frontdesk_in(*wizard(db, srv, bob), stdin=lines("a", "b@", "@c"))
    assert_last_line_error(thrice, "no usable answer after 3 tries", "--email")
    assert thrice.stderr.count("is not an email address") >= 3
    bad_name = frontdesk_in("--db", str(db), "account", "add", "no/slash", stdin=USER + "\n")
    assert_last_line_error(bad_name, "account name 'no/slash'")

    assert_one_line_error(frontdesk("--db", str(db), "account", "add", "bob", "--imap-host",
                                    "localhost", "--password-stdin"), "--email is needed")
    assert_one_line_error(frontdesk("--db", str(db), "account", "add", "bob", "--email", USER,
                                    "--imap-host", "localhost"), "--password-stdin")
    assert_one_line_error(frontdesk("--db", str(db), "account", "add", "bob", "--email", USER,
                                    "--imap-host", "localhost", "--password-stdin", "--smtp",
                                    "none"), "--smtp is for the step-by-step setup")
    assert accounts(frontdesk, db) == {}
