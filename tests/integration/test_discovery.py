"""discover() against a local DNS server and local HTTP(S) servers of autoconfig files,
and a real Dovecot for guessed host names: nothing here leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from engine.errors import InvalidInputError
from engine.service import LocalService
from engine.setup.discover import discover
from engine.setup.models import Discovery, DiscoveryNetwork, PortProbe, ServerGuess
from tests.servers.autoconfig_http import (
    CONFIG_PATH,
    WELL_KNOWN_PATH,
    AutoconfigServer,
    Page,
    config_xml,
    start_autoconfig_server,
)
from tests.servers.certs import make_self_signed_cert
from tests.servers.dns import DnsServer, Records, start_dns
from tests.servers.dovecot import DovecotServer, free_ports

pytestmark = pytest.mark.integration

ADDRESS = "alice@example.test"
LOCAL = [("A", "127.0.0.1")]
AUTOCONFIG_HOST = "autoconfig.example.test"
SRV_RECORDS: Records = {
    "_imaps._tcp.example.test": [("SRV", "10 1 993 imap.example.test.")],
    "_imap._tcp.example.test": [("SRV", "0 0 0 .")],
    "_submission._tcp.example.test": [("SRV", "5 1 587 smtp.example.test.")],
}
TIMEOUT = 1.0


@pytest.fixture
def dns() -> Iterator[Callable[..., DnsServer]]:
    started: list[DnsServer] = []

    def start(records: Records, *, mode: str = "answer") -> DnsServer:
        server = start_dns(records, mode=mode)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def web() -> Iterator[Callable[..., AutoconfigServer]]:
    started: list[AutoconfigServer] = []

    def start(pages: Mapping[tuple[str, str], Page], **kwargs: Any) -> AutoconfigServer:
        server = start_autoconfig_server(pages, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def network(dns_server: DnsServer, **kwargs: Any) -> DiscoveryNetwork:
    """Only local servers: the test DNS, no ISPDB, no real port guessed."""
    options: dict[str, Any] = {"nameserver": dns_server.nameserver, "timeout": TIMEOUT,
                               "ispdb": False, "probes": (), **kwargs}
    return DiscoveryNetwork(**options)


def closed_port() -> int:
    return free_ports(1)[0]


def lines_starting(found: Discovery, prefix: str) -> list[str]:
    return [line for line in found.tried if line.startswith(prefix)]


async def test_autoconfig_from_autoconfig_domain_over_http(dns: Any, web: Any) -> None:
    server = web({(AUTOCONFIG_HOST, CONFIG_PATH): Page(config_xml(
        username="%EMAILLOCALPART%"))})
    dns_server = dns({AUTOCONFIG_HOST: LOCAL, "example.test": [("MX", "10 mx.example.test.")],
                      **SRV_RECORDS})
    found = await discover(ADDRESS, network=network(
        dns_server, http_port=server.port, https_port=closed_port()))
    assert (found.source, found.provider, found.preset) == ("autoconfig", "Example Mail", None)
    assert found.imap == ServerGuess("imap", "imap.example.test", 993, "ssl", "alice",
                                     ("password-cleartext",))
    assert found.pop3 == ServerGuess("pop3", "pop.example.test", 995, "ssl", "alice",
                                     ("password-cleartext",))
    assert found.smtp == ServerGuess("smtp", "smtp.example.test", 587, "starttls", "alice",
                                     ("password-cleartext",))
    assert found.auth.methods == ("password",) and found.auth.oauth is None
    assert found.tried[:2] == ("preset example.test: none",
                               "MX example.test: mx.example.test (no provider preset)")
    https_line, http_line = found.tried[2:]  # stopped there: no SRV asked
    assert https_line.startswith("autoconfig https://autoconfig.example.test:")
    assert "cannot connect" in https_line and "connection refused" in https_line
    assert http_line == (
        f"autoconfig http://autoconfig.example.test:{server.port}/mail/config-v1.1.xml"
        "?emailaddress=alice%40example.test: IMAP imap.example.test:993 ssl, "
        "POP3 pop.example.test:995 ssl, SMTP smtp.example.test:587 starttls")
    query = "?emailaddress=alice%40example.test"
    assert server.requests == [(AUTOCONFIG_HOST, CONFIG_PATH + query)]
    assert ("_imaps._tcp.example.test", "SRV") not in dns_server.queries


async def test_autoconfig_over_https_trusts_only_the_ca_given(dns: Any, web: Any) -> None:
    cert = make_self_signed_cert(Path(tempfile.mkdtemp()), dns_names=(AUTOCONFIG_HOST,))
    server = web({(AUTOCONFIG_HOST, CONFIG_PATH): Page(config_xml())}, cert=cert)
    dns_server = dns({AUTOCONFIG_HOST: LOCAL})
    untrusted = await discover(ADDRESS, network=network(
        dns_server, https_port=server.port, http_port=closed_port()))
    assert untrusted.source is None
    (line,) = [t for t in untrusted.tried if t.startswith("autoconfig https://autoconfig.")]
    assert "TLS certificate of autoconfig.example.test not trusted" in line

    found = await discover(ADDRESS, network=network(
        dns_server, https_port=server.port, ca_file=str(cert.cert)))
    assert found.source == "autoconfig" and found.imap is not None
    assert found.tried[-1].startswith(f"autoconfig https://autoconfig.example.test:{server.port}/")


async def test_a_certificate_for_another_name_is_refused(dns: Any, web: Any) -> None:
    cert = make_self_signed_cert(Path(tempfile.mkdtemp()), dns_names=("other.example",))
    server = web({("*", CONFIG_PATH): Page(config_xml())}, cert=cert)
    found = await discover(ADDRESS, network=network(
        dns({AUTOCONFIG_HOST: LOCAL}), https_port=server.port, http_port=closed_port(),
        ca_file=str(cert.cert)))
    assert found.source is None
    (line,) = lines_starting(found, "autoconfig https://autoconfig.")
    assert line.endswith("TLS certificate of autoconfig.example.test not trusted (Hostname "
                         "mismatch, certificate is not valid for 'autoconfig.example.test')")


async def test_the_well_known_path_a_redirect_and_a_chunked_body(dns: Any, web: Any
                                                                   ) -> None:
    cert = make_self_signed_cert(Path(tempfile.mkdtemp()), dns_names=("example.test",))
    server = web({("example.test", WELL_KNOWN_PATH): Page(status=302, location="/moved.xml"),
                  ("example.test", "/moved.xml"): Page(config_xml(), chunked=True)}, cert=cert)
    found = await discover(ADDRESS, network=network(
        dns({"example.test": LOCAL}), https_port=server.port, http_port=closed_port(),
        ca_file=str(cert.cert)))
    assert found.source == "autoconfig"
    assert found.imap is not None and found.imap.host == "imap.example.test"
    assert [line.rpartition(": ")[2] for line in lines_starting(found, "autoconfig")] == [
        "no such host autoconfig.example.test", "no such host autoconfig.example.test",
        "IMAP imap.example.test:993 ssl, POP3 pop.example.test:995 ssl, "
        "SMTP smtp.example.test:587 starttls"]
    assert server.requests == [("example.test", WELL_KNOWN_PATH), ("example.test", "/moved.xml")]


async def test_an_explicit_url_is_fetched_even_over_plain_http(dns: Any, web: Any) -> None:
    server = web({("*", "/a.xml"): Page(status=307, location="b.xml"),
                  ("*", "/b.xml"): Page(config_xml(), length=False)})
    url = f"http://config.example.test:{server.port}/a.xml"
    found = await discover(ADDRESS, network=network(
        dns({"config.example.test": LOCAL}), autoconfig_url=url))
    assert found.source == "autoconfig"
    assert found.tried[0].startswith(f"autoconfig {url}: IMAP imap.example.test:993 ssl")
    assert [p for _, p in server.requests] == ["/a.xml", "/b.xml"]


async def test_a_redirect_from_https_down_to_http_is_refused(dns: Any, web: Any) -> None:
    cert = make_self_signed_cert(Path(tempfile.mkdtemp()), dns_names=(AUTOCONFIG_HOST,))
    plain = web({("*", "/config.xml"): Page(config_xml())})
    secure = web({(AUTOCONFIG_HOST, CONFIG_PATH): Page(
        status=301, location=f"http://{AUTOCONFIG_HOST}:{plain.port}/config.xml")}, cert=cert)
    found = await discover(ADDRESS, network=network(
        dns({AUTOCONFIG_HOST: LOCAL}), https_port=secure.port, http_port=closed_port(),
        ca_file=str(cert.cert)))
    assert found.source is None
    assert any("from https to http" in line for line in found.tried)
    assert plain.requests == []


HOSTILE = [
    (Page(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig/>'),
     "declares a DOCTYPE or entities"),
    (Page(b"x" * 200_000), "larger than 64 KiB"),
    (Page(b"<clientConfig>" + b"y" * 200_000, length=False), "larger than 64 KiB"),
    (Page(b"\x89PNG\r\n\x1a\n\x00\x00garbage"), "not valid utf-8"),
    (Page(b"<html>It works!</html>"), "no <clientConfig>"),
    (Page(b"", status=500), "HTTP 500"),
    (Page(status=302, location="/loop"), "more than 3 redirects"),
]


@pytest.mark.parametrize(("page", "needle"), HOSTILE)
async def test_hostile_autoconfig_answers_are_lines_and_srv_follows(
        dns: Any, web: Any, page: Page, needle: str) -> None:
    server = web({(AUTOCONFIG_HOST, CONFIG_PATH): page, (AUTOCONFIG_HOST, "/loop"): page})
    found = await discover(ADDRESS, network=network(
        dns({AUTOCONFIG_HOST: LOCAL, **SRV_RECORDS}), http_port=server.port,
        https_port=closed_port()))
    (line,) = lines_starting(found, "autoconfig http://")
    assert needle in line, line
    assert found.source == "srv"


async def test_a_slow_autoconfig_server_times_out(dns: Any, web: Any) -> None:
    server = web({(AUTOCONFIG_HOST, CONFIG_PATH): Page(config_xml(), delay=5)})
    started = time.monotonic()
    found = await discover(ADDRESS, network=network(
        dns({AUTOCONFIG_HOST: LOCAL, **SRV_RECORDS}), http_port=server.port,
        https_port=closed_port(), timeout=0.5))
    assert time.monotonic() - started < 3
    (line,) = lines_starting(found, "autoconfig http://")
    assert line.endswith(": timed out after 0.5 s")
    assert found.source == "srv"


async def test_srv_records_when_there_is_no_autoconfig(dns: Any) -> None:
    dns_server = dns({**SRV_RECORDS, "_pop3s._tcp.example.test": [
        ("SRV", "20 1 995 pop-b.example.test."), ("SRV", "10 1 1995 pop-a.example.test.")]})
    found = await discover(ADDRESS, network=network(dns_server))
    assert found.source == "srv" and found.provider == ""
    assert found.imap == ServerGuess("imap", "imap.example.test", 993, "ssl", ADDRESS)
    assert found.pop3 == ServerGuess("pop3", "pop-a.example.test", 1995, "ssl", ADDRESS)
    assert found.smtp == ServerGuess("smtp", "smtp.example.test", 587, "starttls", ADDRESS)
    assert lines_starting(found, "SRV") == [
        "SRV _imaps._tcp.example.test: imap.example.test:993",
        'SRV _imap._tcp.example.test: not offered (target ".")',
        "SRV _pop3s._tcp.example.test: pop-a.example.test:1995, pop-b.example.test:995",
        "SRV _pop3._tcp.example.test: none",
        "SRV _submissions._tcp.example.test: none",
        "SRV _submission._tcp.example.test: smtp.example.test:587",
    ]
    assert lines_starting(found, "autoconfig https://autoconfig.example.test/")[0].endswith(
        "no such host autoconfig.example.test")


@pytest.mark.parametrize(("mx", "preset_id", "provider", "host"), [
    ("1 aspmx.l.google.com.", "gmail", "Google Workspace", "imap.gmail.com"),
    ("0 example-test.mail.protection.outlook.com.", "microsoft", "Microsoft 365",
     "outlook.office365.com"),
])
async def test_a_domain_hosted_by_a_provider_is_found_by_mx(
        dns: Any, mx: str, preset_id: str, provider: str, host: str) -> None:
    dns_server = dns({"example.test": [("MX", mx), ("MX", "50 backup.example.test.")]})
    found = await discover(ADDRESS, network=network(dns_server))
    assert found.source == "mx" and found.preset is not None
    assert (found.preset.id, found.provider) == (preset_id, provider)
    assert found.imap is not None and found.imap.host == host
    assert found.auth.oauth == found.preset.oauth and found.auth.methods[0] == "oauth2"
    assert found.tried[-1].startswith("MX example.test: ") and found.tried[-1].endswith(
        f"-> {provider}")
    assert [q for q in dns_server.queries if q[1] != "MX"] == []  # nothing else asked


async def test_an_autoconfig_naming_a_providers_servers_gets_its_hints(
        dns: Any, web: Any) -> None:
    xml = config_xml(imap_host="outlook.office365.com", smtp_host="smtp.office365.com",
                     display_name="Contoso")
    server = web({(AUTOCONFIG_HOST, CONFIG_PATH): Page(xml)})
    found = await discover(ADDRESS, network=network(
        dns({AUTOCONFIG_HOST: LOCAL}), http_port=server.port, https_port=closed_port()))
    assert found.source == "autoconfig" and found.provider == "Contoso"
    assert found.preset is not None and found.preset.id == "microsoft"
    assert found.auth.oauth == "microsoft"


async def test_a_preset_domain_asks_nothing(dns: Any) -> None:
    dns_server = dns({})
    found = await discover("Bob@GMail.com", network=network(dns_server))
    assert (found.source, found.address, found.provider) == ("preset", "Bob@gmail.com", "Gmail")
    assert found.imap == ServerGuess("imap", "imap.gmail.com", 993, "ssl", "Bob@gmail.com")
    assert found.tried == ("preset gmail.com: Gmail",)
    assert dns_server.queries == []
    assert "apppasswords" in found.auth.app_password_hint


async def test_an_explicit_autoconfig_url_goes_first(dns: Any, web: Any) -> None:
    server = web({("*", "/known.xml"): Page(config_xml(imap_host="imap.elsewhere.example"))})
    url = f"http://127.0.0.1:{server.port}/known.xml"
    found = await discover("carol@gmail.com", network=network(dns({}), autoconfig_url=url))
    assert found.source == "autoconfig" and found.imap is not None
    assert found.imap.host == "imap.elsewhere.example"
    assert found.tried == (f"autoconfig {url}: IMAP imap.elsewhere.example:993 ssl, "
                           "POP3 pop.example.test:995 ssl, SMTP smtp.example.test:587 starttls",)


async def test_guesses_connect_to_a_real_imap_server(dns: Any, dovecot: DovecotServer
                                                     ) -> None:
    closed = closed_port()
    probes = (PortProbe("imap", closed, "ssl"), PortProbe("imap", dovecot.ssl_port, "ssl"),
              PortProbe("imap", dovecot.port, "starttls"), PortProbe("smtp", closed, "ssl"))
    dns_server = dns({"imap.example.test": LOCAL, "mail.example.test": LOCAL})
    found = await discover(ADDRESS, network=network(dns_server, probes=probes))
    assert found.source == "guess"
    assert found.imap == ServerGuess("imap", "imap.example.test", dovecot.ssl_port, "ssl",
                                     ADDRESS)
    assert (found.pop3, found.smtp) == (None, None)
    guesses = lines_starting(found, "guess")
    assert f"guess IMAP imap.example.test:{closed}: connection refused" in guesses
    assert f"guess IMAP imap.example.test:{dovecot.ssl_port}: open" in guesses
    assert f"guess IMAP mail.example.test:{dovecot.port}: open" in guesses
    assert f"guess SMTP mail.example.test:{closed}: connection refused" in guesses
    assert "guess smtp.example.test: no such host" in guesses
    assert "guess pop.example.test: no such host" in guesses


async def test_nothing_found_names_every_step(dns: Any) -> None:
    found = await discover(ADDRESS, network=network(dns({}), ispdb=True,
                                                    probes=(PortProbe("imap", 993, "ssl"),)))
    assert found.source is None and not found.found
    assert (found.imap, found.pop3, found.smtp) == (None, None, None)
    prefixes = [line.split(":")[0] for line in found.tried]
    assert prefixes == [
        "preset example.test", "MX example.test",
        "autoconfig https", "autoconfig http", "autoconfig https", "autoconfig https",
        "SRV _imaps._tcp.example.test", "SRV _imap._tcp.example.test",
        "SRV _pop3s._tcp.example.test", "SRV _pop3._tcp.example.test",
        "SRV _submissions._tcp.example.test", "SRV _submission._tcp.example.test",
        "guess imap.example.test", "guess mail.example.test", "guess pop.example.test",
        "guess pop3.example.test", "guess smtp.example.test",
    ]
    assert "autoconfig.thunderbird.net/v1.1/example.test" in found.tried[5]
    assert found.tried[1] == "MX example.test: none"


async def test_a_dns_server_that_never_answers(dns: Any) -> None:
    dns_server = dns({}, mode="silent")
    started = time.monotonic()
    found = await discover(ADDRESS, network=network(dns_server, timeout=0.5, ispdb=True))
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert found.source is None
    where = f"127.0.0.1:{dns_server.port}"
    assert found.tried[1] == f"MX example.test: the DNS server {where} did not answer within 0.5 s"
    rest = found.tried[2:]
    assert len(rest) == 4 + 6 + 5
    assert all(line.endswith(f"skipped: the DNS server {where} did not answer") for line in rest)


async def test_a_dns_server_that_refuses(dns: Any) -> None:
    found = await discover(ADDRESS, network=network(dns({}, mode="refuse")))
    assert found.tried[1].startswith("MX example.test: the DNS server 127.0.0.1:")
    assert found.tried[1].endswith("refused or failed the query")
    assert found.source is None


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"timeout": 0}, "timeout"),
    ({"timeout": 600}, "timeout"),
    ({"autoconfig_url": "ftp://example.test/x"}, "http"),
    ({"autoconfig_url": "https://user:pw@example.test/x"}, "password"),
    ({"ca_file": "/nonexistent/ca.pem"}, "CA file"),
    ({"nameserver": ("dns.example.test", 53)}, "DNS server"),
])
async def test_bad_settings_are_one_line(dns: Any, kwargs: dict[str, Any], needle: str
                                         ) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        await discover(ADDRESS, network=network(dns({}), **kwargs))


async def test_the_service_discovers_without_touching_mail(dns: Any, tmp_path: Path) -> None:
    service = await LocalService.open(tmp_path / "s.db")
    try:
        agent = await service.login()
        found = await service.discover_account(agent, ADDRESS, network=network(
            dns({**SRV_RECORDS})))
        assert found.source == "srv"
        with pytest.raises(InvalidInputError, match="not an email address"):
            await service.discover_account(agent, "nobody")
    finally:
        await service.close()


async def test_discovery_never_blocks_the_event_loop(dns: Any, web: Any) -> None:
    server = web({(AUTOCONFIG_HOST, CONFIG_PATH): Page(config_xml(), delay=0.6)})
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        found = await discover(ADDRESS, network=network(
            dns({AUTOCONFIG_HOST: LOCAL}), http_port=server.port, https_port=closed_port()))
    finally:
        ticker.cancel()
    assert found.source == "autoconfig"
    assert ticks >= 8
