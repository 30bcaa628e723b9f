"""`frontdesk oauth set|list|remove`, `account add --oauth` and the token line of
`status`, as separate processes (no provider is reached: these need none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.service import LocalService
from storage import agents
from tests.cli.conftest import Run
from tests.cli.test_access_cli import Cli
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import make_gateway

SECRET = "s3cret-client-value-Zq"


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """ann (admin) and bob (agent); the tests' OS user is a gateway."""
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        async with service.store.transaction() as conn:
            for name, role in (("ann", "admin"), ("bob", "agent")):
                await agents.insert(conn, name=name, os_user=None, role=role,
                                    email=f"{name}@acme.example")
        await make_gateway(service.store)
    finally:
        await service.close()
    return path


@pytest.fixture
def cli(frontdesk_in: Run, db: Path) -> Cli:
    return Cli(frontdesk_in, db)


def test_only_an_admin_registers_a_client(cli: Cli) -> None:
    refused = cli("bob", "oauth", "set", "microsoft", "--client-id", "abc", "--tenant", "t1")
    assert_one_line_error(refused, "only an admin")
    assert cli.json("bob", "oauth", "list") == []


def test_microsoft_registration_is_listed_without_its_secret(cli: Cli, db: Path) -> None:
    assert_one_line_error(cli("ann", "oauth", "set", "microsoft", "--client-id", "abc"),
                          "--tenant")
    out = cli.ok("ann", "oauth", "set", "microsoft", "--client-id", "abc", "--tenant",
                 "contoso.example", "--client-secret-stdin", stdin=SECRET + "\n")
    assert "microsoft: client abc registered with its secret" in out
    (row,) = cli.json("bob", "oauth", "list")  # every agent may see what is set up
    assert (row["provider"], row["client_id"], row["tenant"], row["has_secret"]) == (
        "microsoft", "abc", "contoso.example", True)
    assert SECRET not in json.dumps(row)
    assert SECRET.encode() not in db.read_bytes()  # encrypted at rest

    cli.ok("ann", "oauth", "set", "microsoft", "--client-id", "abc", "--tenant", "t2")
    assert cli.json("ann", "oauth", "list")[0]["has_secret"]  # kept when not given
    cli.ok("ann", "oauth", "set", "microsoft", "--client-id", "abc", "--tenant", "t2",
           "--no-client-secret")
    assert not cli.json("ann", "oauth", "list")[0]["has_secret"]


@pytest.mark.parametrize(("args", "needle"), [
    (("google", "--client-id", "g1"), "--client-secret-stdin"),
    (("microsoft", "--client-id", "a", "--authority", "http://login.example/t"), "https://"),
    (("google", "--client-id", "g", "--auth-uri", "https://a.example/auth"), "together"),
    (("microsoft", "--client-id", "a", "--tenant", "t", "--token-uri", "https://x.example"),
     "for google"),
    (("microsoft", "--client-id", "a b", "--tenant", "t"), "--client-id"),
    (("microsoft", "--client-id", "a", "--tenant", "t", "--ca-file", "/nope.pem"),
     "no such file"),
])
def test_bad_registrations_get_one_line(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    assert_one_line_error(cli("ann", "oauth", "set", *args), needle)


def test_an_oauth_account_needs_a_registered_client(cli: Cli) -> None:
    result = cli("bob", "account", "add", "bob-ms", "--email", "bob@acme.example",
                 "--oauth", "microsoft")
    assert_one_line_error(result, "no OAuth2 client is registered for microsoft",
                          "frontdesk oauth set microsoft")


def test_an_oauth_account_added_for_later_sign_in(cli: Cli) -> None:
    cli.ok("ann", "oauth", "set", "google", "--client-id", "g1", "--client-secret-stdin",
           stdin=SECRET + "\n")
    out = cli.ok("bob", "account", "add", "bob-gm", "--email", "bob@acme.example",
                 "--oauth", "google", "--no-sign-in")
    assert "sign it in with `frontdesk account reconnect bob-gm`" in out
    (account,) = cli.json("bob", "account", "list")
    # The provider's servers, since none was named.
    assert (account["imap_host"], account["imap_port"], account["oauth_provider"]) == (
        "imap.gmail.com", 993, "google")
    assert not account["has_token"]
    status = cli.ok("bob", "status")
    assert "bob-gm: google sign-in needed: run `frontdesk account reconnect bob-gm`" in status
    (health,) = cli.json("bob", "status")
    assert health["needs_sign_in"] is True

    refused = cli("ann", "oauth", "remove", "google")
    assert_one_line_error(refused, "bob-gm", "remove them first")
    cli.ok("bob", "account", "remove", "bob-gm")
    cli.ok("ann", "oauth", "remove", "google")
    assert cli.json("ann", "oauth", "list") == []


def test_oauth_and_a_password_do_not_mix(cli: Cli) -> None:
    cli.ok("ann", "oauth", "set", "microsoft", "--client-id", "abc", "--tenant", "t")
    result = cli("bob", "account", "add", "bob-ms", "--email", "bob@acme.example",
                 "--oauth", "microsoft", "--password-stdin", stdin="pw\n")
    assert result.returncode == 2  # argparse: one or the other
    assert "not allowed with argument" in result.stderr
    assert_one_line_error(
        cli("bob", "account", "add", "bob-pw", "--email", "bob@acme.example",
            "--imap-host", "imap.acme.example", "--password-stdin", "--no-sign-in",
            stdin="pw\n"), "--no-sign-in goes with --oauth")


def test_reconnect_of_a_password_account_says_so(cli: Cli) -> None:
    cli.ok("bob", "account", "add", "bob-pw", "--email", "bob@acme.example", "--imap-host",
           "imap.acme.example", "--password-stdin", stdin="pw\n")
    assert_one_line_error(cli("bob", "account", "reconnect", "bob-pw"),
                          "signs in with a password")
