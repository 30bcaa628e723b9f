"""Mozilla autoconfig files (Thunderbird's config-v1.1.xml): parsing the format, filling
username templates, mapping socketType, where to look, and hostile files refused with
InvalidInputError and nothing else."""

from __future__ import annotations

import random

import pytest

from engine.errors import InvalidInputError
from engine.setup.autoconfig import (
    ConfigServer,
    candidate_urls,
    describe_servers,
    parse_config,
    to_guess,
)
from engine.setup.models import DiscoveryNetwork, ServerGuess

ADDRESS = "jane.doe@example.org"

# The shape of a file in Thunderbird's ISPDB: comments, documentation, several servers
# per direction, a server type Thunderbird reads and frontdesk does not.
ISPDB_STYLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a provider's settings -->
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <domain>example.net</domain>
    <displayName>Example Mail &amp; Co</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="exchange">
      <hostname>outlook.example.org</hostname>
      <port>443</port>
      <username>%EMAILADDRESS%</username>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname>
      <port>110</port>
      <socketType>plain</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-encrypted</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILDOMAIN%\\%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <documentation url="https://example.org/help/imap">
      <descr lang="en">How to set up mail</descr>
    </documentation>
  </emailProvider>
  <webMail><loginPage url="https://mail.example.org/"/></webMail>
</clientConfig>
"""


def test_a_file_in_the_ispdb_format_is_read() -> None:
    config = parse_config(ISPDB_STYLE)
    assert (config.provider_id, config.display_name) == ("example.org", "Example Mail & Co")
    assert config.domains == ("example.org", "example.net")
    assert [(s.protocol, s.hostname, s.port, s.security) for s in config.incoming] == [
        ("imap", "imap.%EMAILDOMAIN%", 993, "ssl"),
        ("imap", "imap.example.org", 143, "starttls"),
        ("pop3", "pop.example.org", 110, "none"),
    ]
    assert config.incoming[0].authentication == ("OAuth2", "password-cleartext")
    (smtp,) = config.outgoing
    assert (smtp.hostname, smtp.port, smtp.security) == ("smtp.example.org", 465, "ssl")


def test_templates_are_filled_for_the_address() -> None:
    config = parse_config(ISPDB_STYLE)
    assert to_guess(config.incoming[0], ADDRESS) == ServerGuess(
        "imap", "imap.example.org", 993, "ssl", "jane.doe", ("OAuth2", "password-cleartext"))
    assert _guess(config.incoming[2]).username == ADDRESS
    assert _guess(config.outgoing[0]).username == "example.org\\jane.doe"
    assert describe_servers(config, ADDRESS).startswith(
        "IMAP imap.example.org:993 ssl, IMAP imap.example.org:143 starttls")


def _guess(server: ConfigServer) -> ServerGuess:
    guess = to_guess(server, ADDRESS)
    assert guess is not None
    return guess


@pytest.mark.parametrize(("given", "expected"), [
    ("SSL", "ssl"), ("ssl", "ssl"), ("STARTTLS", "starttls"), ("plain", "none"),
])
def test_socket_types_map_to_security(given: str, expected: str) -> None:
    config = parse_config(_file(socket=given))
    assert config.incoming[0].security == expected


def _file(*, host: str = "mail.example.org", port: str = "993", socket: str = "SSL",
          username: str = "%EMAILADDRESS%", kind: str = "imap", extra: str = "") -> bytes:
    return f"""<clientConfig version="1.1"><emailProvider id="example.org">
<incomingServer type="{kind}"><hostname>{host}</hostname><port>{port}</port>
<socketType>{socket}</socketType><username>{username}</username>
<authentication>password-cleartext</authentication></incomingServer>{extra}
</emailProvider></clientConfig>""".encode()


GOOD_SERVER = ('<incomingServer type="imap"><hostname>ok.example.org</hostname><port>993'
               '</port><socketType>SSL</socketType></incomingServer>')


@pytest.mark.parametrize("bad", [
    {"socket": "TLS"}, {"socket": ""}, {"port": "0"}, {"port": "70000"}, {"port": "99x"},
    {"port": "٩٩٣"}, {"port": "²"}, {"host": "imap example.org"}, {"host": ""},
    {"host": "imap.%REALNAME%.org"}, {"host": "imap.exam!ple.org"}, {"kind": "exchange"},
])
def test_unusable_servers_are_left_out(bad: dict[str, str]) -> None:
    config = parse_config(_file(**bad, extra=GOOD_SERVER))
    assert [s.hostname for s in config.incoming] == ["ok.example.org"]
    with pytest.raises(InvalidInputError, match="no usable IMAP or POP3"):
        parse_config(_file(**bad))


def test_an_odd_username_falls_back_to_the_address() -> None:
    for username in ("%REALNAME%", "a b", "x" * 300):
        config = parse_config(_file(username=username))
        assert _guess(config.incoming[0]).username == ADDRESS
    config = parse_config(_file(username=""))
    assert config.incoming[0].username == "%EMAILADDRESS%"


def test_a_namespace_and_a_latin1_file_are_read() -> None:
    namespaced = _file().replace(b"<clientConfig", b'<clientConfig xmlns="urn:x"')
    assert parse_config(namespaced).incoming[0].hostname == "mail.example.org"
    latin = (b'<?xml version="1.0" encoding="ISO-8859-1"?>' + _file().replace(
        b'id="example.org">', b'id="example.org"><displayName>Caf\xe9</displayName>'))
    assert parse_config(latin).display_name == "Café"


def test_the_display_name_is_made_safe_for_the_terminal() -> None:
    data = _file().replace(b'id="example.org">',
                           b'id="example.org"><displayName>Evil\n\tMail&#x202e;&#x200f;'
                           b'</displayName>')
    assert parse_config(data).display_name == "Evil Mail"
    # XML itself forbids control characters such as ESC, even as character references.
    for escape in (b"\x1b[31m", b"&#27;[31m"):
        with pytest.raises(InvalidInputError, match="not well-formed"):
            parse_config(data.replace(b"Evil", b"Evil" + escape))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<clientConfig><emailProvider id="x"><displayName>&lol2;</displayName></emailProvider>
</clientConfig>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<clientConfig><emailProvider id="x"><displayName>&xxe;</displayName></emailProvider>
</clientConfig>"""


@pytest.mark.parametrize(("data", "needle"), [
    (BILLION_LAUGHS, "DOCTYPE"),
    (XXE, "DOCTYPE"),
    (b'<!doctype clientConfig SYSTEM "http://evil.example/x.dtd"><clientConfig/>', "DOCTYPE"),
    (_file() + b" " * 70_000, "larger than 64 KiB"),
    (b"\x00\xff\xfe garbage \x89PNG", "not valid utf-8"),
    (b"<clientConfig><emailProvider>", "not well-formed"),
    (b"", "not well-formed"),
    (b"just text", "not well-formed"),
    (b"<html><body>It works!</body></html>", "no <clientConfig>"),
    (b"<clientConfig version='1.1'/>", "no <emailProvider>"),
    ('<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + b"", "not valid utf-8"),
    (b'<?xml version="1.0" encoding="UTF-16"?><clientConfig/>', "unsupported encoding"),
    (b'<?xml version="1.0" encoding="bogus-8"?><clientConfig/>', "unsupported encoding"),
])
def test_hostile_or_broken_files_are_refused_with_one_line(data: bytes, needle: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_config(data)
    assert needle in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "root:" not in str(caught.value)


def test_mangled_files_raise_nothing_but_invalid_input() -> None:
    rng = random.Random(7)
    for _ in range(400):
        data = bytearray(ISPDB_STYLE)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.4:
                data[at] = rng.randrange(256)
            elif choice < 0.7:
                del data[at:at + rng.randint(1, 40)]
            else:
                data[at:at] = rng.choice([b"<", b">", b"&", b"%", b"]]>", b"<![CDATA[", b"\x00"])
        try:
            config = parse_config(bytes(data))
        except InvalidInputError:
            continue
        for server in config.incoming:
            guess = to_guess(server, ADDRESS)
            assert guess is None or (guess.host.isascii() and 0 < guess.port < 65536)


def test_candidate_urls_in_order() -> None:
    urls = candidate_urls(ADDRESS, "example.org", DiscoveryNetwork())
    assert urls == (
        "https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=jane.doe%40example.org",
        "http://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=jane.doe%40example.org",
        "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
        "https://autoconfig.thunderbird.net/v1.1/example.org",
    )
    tests = candidate_urls(ADDRESS, "example.org", DiscoveryNetwork(
        http_port=8080, https_port=8443, ispdb=False))
    assert tests == (
        "https://autoconfig.example.org:8443/mail/config-v1.1.xml?emailaddress=jane.doe%40example.org",
        "http://autoconfig.example.org:8080/mail/config-v1.1.xml?emailaddress=jane.doe%40example.org",
        "https://example.org:8443/.well-known/autoconfig/mail/config-v1.1.xml",
    )
    known = "https://config.example.net/x.xml"
    assert candidate_urls(ADDRESS, "example.org", DiscoveryNetwork(autoconfig_url=known)) == (
        known,)
