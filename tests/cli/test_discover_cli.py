"""`frontdesk account discover` as a separate process, against a local DNS server and a
local HTTP server of autoconfig files (nothing leaves 127.0.0.1)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.servers.autoconfig_http import (
    AutoconfigServer,
    Page,
    config_xml,
    running_autoconfig_server,
)
from tests.servers.dns import DnsServer, running_dns

SRV = {
    "_imaps._tcp.example.test": [("SRV", "0 1 993 imap.example.test.")],
    "_submissions._tcp.example.test": [("SRV", "0 1 465 smtp.example.test.")],
}


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with running_dns(SRV) as server:
        yield server


@pytest.fixture
def web() -> Iterator[AutoconfigServer]:
    pages = {("*", "/config.xml"): Page(config_xml(username="%EMAILLOCALPART%",
                                                   display_name="Example Mail"))}
    with running_autoconfig_server(pages) as server:
        yield server


def discover(frontdesk: Run, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return frontdesk("account", "discover", *args, "--db", str(tmp_path / "s.db"))


def test_autoconfig_from_a_given_url(frontdesk: Run, tmp_path: Path, dns: DnsServer,
                                     web: AutoconfigServer) -> None:
    url = f"http://127.0.0.1:{web.port}/config.xml"
    result = discover(frontdesk, tmp_path, "alice@example.test", "--autoconfig-url", url,
                      "--dns-server", f"127.0.0.1:{dns.port}", "--timeout", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "alice@example.test: Example Mail, found by an autoconfig file"
    assert lines[1].split() == ["IMAP", "imap.example.test:993", "ssl", "login", "alice"]
    assert lines[2].split() == ["POP3", "pop.example.test:995", "ssl", "login", "alice"]
    assert lines[3].split() == ["SMTP", "smtp.example.test:587", "starttls", "login", "alice"]
    assert "sign-in: the mailbox password" in lines
    assert ("  frontdesk account add NAME --email alice@example.test --imap-host "
            "imap.example.test --imap-port 993 --security ssl --username alice "
            "--password-stdin") in lines
    assert lines[lines.index("tried:") + 1].startswith(f"  autoconfig {url}: IMAP")
    assert web.requests == [("127.0.0.1", "/config.xml")]
    assert result.stderr == ""


def test_srv_as_json(frontdesk: Run, tmp_path: Path, dns: DnsServer) -> None:
    result = discover(frontdesk, tmp_path, "bob@example.test", "--dns-server",
                      f"127.0.0.1:{dns.port}", "--no-ispdb", "--timeout", "1", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["source"], found["found"], found["preset"]) == ("srv", True, None)
    assert found["imap"] == {"protocol": "imap", "host": "imap.example.test", "port": 993,
                             "security": "ssl", "username": "bob@example.test", "auth": []}
    assert found["smtp"]["port"] == 465 and found["pop3"] is None
    assert "SRV _imaps._tcp.example.test: imap.example.test:993" in found["tried"]
    assert not any("thunderbird.net" in line for line in found["tried"])
    assert ("autoconfig.thunderbird.net", "A") not in dns.queries


def test_a_preset_shows_how_to_sign_in(frontdesk: Run, tmp_path: Path) -> None:
    result = discover(frontdesk, tmp_path, "carol@outlook.com")
    assert result.returncode == 0, result.stderr
    assert "carol@outlook.com: Microsoft 365 / Outlook.com, found by a provider preset" in (
        result.stdout)
    assert "sign-in: OAuth2 (--oauth microsoft)" in result.stdout
    assert "frontdesk account add NAME --email carol@outlook.com --oauth microsoft" in (
        result.stdout)
    as_json = json.loads(discover(frontdesk, tmp_path, "carol@outlook.com", "--json").stdout)
    assert as_json["preset"]["id"] == "microsoft" and as_json["auth"]["oauth"] == "microsoft"


def test_nothing_found_exits_1_with_one_line(frontdesk: Run, tmp_path: Path) -> None:
    with running_dns({}) as empty:
        result = discover(frontdesk, tmp_path, "dave@example.test", "--dns-server",
                          f"127.0.0.1:{empty.port}", "--timeout", "1")
        as_json = discover(frontdesk, tmp_path, "dave@example.test", "--dns-server",
                           f"127.0.0.1:{empty.port}", "--timeout", "1", "--json")
    assert_one_line_error(result, "no server found for example.test", "--imap-host")
    assert result.stdout.splitlines()[:3] == ["dave@example.test: no server found", "tried:",
                                              "  preset example.test: none"]
    assert "  guess smtp.example.test: no such host" in result.stdout.splitlines()
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["found"] is False


def test_a_dead_dns_server_is_named(frontdesk: Run, tmp_path: Path) -> None:
    with running_dns({}, mode="silent") as dead:
        result = discover(frontdesk, tmp_path, "erin@example.test", "--dns-server",
                          f"127.0.0.1:{dead.port}", "--timeout", "0.5")
    assert_one_line_error(result, "no server found")
    assert (f"  MX example.test: the DNS server 127.0.0.1:{dead.port} did not answer "
            "within 0.5 s") in result.stdout.splitlines()


@pytest.mark.parametrize(("args", "needle"), [
    (("not-an-address",), "is not an email address"),
    (("a@localhost",), "is not an email address"),
    (("a@example.test", "--dns-server", "dns.example.test"), "give an IP address"),
    (("a@example.test", "--timeout", "0"), "timeout"),
    (("a@example.test", "--autoconfig-url", "file:///etc/passwd"), "http"),
])
def test_bad_input_gets_one_line(frontdesk: Run, tmp_path: Path, args: tuple[str, ...],
                                 needle: str) -> None:
    result = discover(frontdesk, tmp_path, *args)
    assert_one_line_error(result, needle)
    assert result.stdout == ""
