"""Provider presets: found by domain, by MX host and by server host; consistent with the
OAuth2 presets accounts use; address and DNS-server parsing."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInputError
from engine.oauth.config import PRESETS, PROVIDERS
from engine.setup.address import parse_nameserver, split_address
from engine.setup.presets import (
    AUTH_METHODS,
    OAUTH2,
    PROVIDER_PRESETS,
    SECURITY,
    fill_username,
    preset_by_id,
    preset_for_domain,
    preset_for_host,
    preset_for_mx,
)
from engine.setup.presets import (
    Endpoint as E,
)


@pytest.mark.parametrize(("domain", "preset_id"), [
    ("gmail.com", "gmail"), ("googlemail.com", "gmail"), ("GMail.COM.", "gmail"),
    ("outlook.com", "microsoft"), ("hotmail.com", "microsoft"), ("live.com", "microsoft"),
    ("msn.com", "microsoft"), ("yahoo.com", "yahoo"), ("ymail.com", "yahoo"),
    ("rocketmail.com", "yahoo"), ("icloud.com", "icloud"), ("me.com", "icloud"),
    ("mac.com", "icloud"), ("fastmail.com", "fastmail"), ("fastmail.fm", "fastmail"),
])
def test_a_providers_domain_finds_its_preset(domain: str, preset_id: str) -> None:
    preset = preset_for_domain(domain)
    assert preset is not None and preset.id == preset_id


@pytest.mark.parametrize("domain", ["example.org", "gmail.com.evil.example", "mail.gmail.com",
                                    "notgmail.com", ""])
def test_other_domains_have_no_preset(domain: str) -> None:
    assert preset_for_domain(domain) is None


def test_the_servers_of_each_preset() -> None:
    gmail, microsoft = preset_by_id("gmail"), preset_by_id("microsoft")
    yahoo, icloud = preset_by_id("yahoo"), preset_by_id("icloud")
    fastmail = preset_by_id("fastmail")
    assert gmail and microsoft and yahoo and icloud and fastmail
    assert (gmail.imap, gmail.pop3, gmail.smtp) == (
        E("imap.gmail.com", 993, "ssl"), E("pop.gmail.com", 995, "ssl"),
        E("smtp.gmail.com", 587, "starttls"))
    assert (microsoft.imap, microsoft.pop3, microsoft.smtp) == (
        E("outlook.office365.com", 993, "ssl"), E("outlook.office365.com", 995, "ssl"),
        E("smtp.office365.com", 587, "starttls"))
    assert (yahoo.imap, yahoo.pop3, yahoo.smtp) == (
        E("imap.mail.yahoo.com", 993, "ssl"), E("pop.mail.yahoo.com", 995, "ssl"),
        E("smtp.mail.yahoo.com", 465, "ssl"))
    assert icloud.pop3 is None
    assert (icloud.imap, icloud.smtp) == (E("imap.mail.me.com", 993, "ssl"),
                                          E("smtp.mail.me.com", 587, "starttls"))
    assert (fastmail.imap, fastmail.pop3, fastmail.smtp) == (
        E("imap.fastmail.com", 993, "ssl"), E("pop.fastmail.com", 995, "ssl"),
        E("smtp.fastmail.com", 465, "ssl"))
    assert (gmail.oauth, microsoft.oauth) == ("google", "microsoft")
    assert gmail.auth == ("oauth2", "app_password") and microsoft.auth == ("oauth2",)
    for preset in (yahoo, icloud, fastmail):
        assert preset.auth == ("app_password",) and preset.oauth is None
        assert "https://" in preset.app_password_hint
    custom = preset_by_id("custom")
    assert custom is not None and custom.imap is None and custom.auth == ("password",)
    assert preset_by_id("nope") is None


def test_presets_are_well_formed_and_agree_with_the_oauth_presets() -> None:
    ids = [p.id for p in PROVIDER_PRESETS]
    assert len(ids) == len(set(ids))
    domains = [d for p in PROVIDER_PRESETS for d in p.domains]
    assert len(domains) == len(set(domains))
    for preset in PROVIDER_PRESETS:
        assert set(preset.auth) <= set(AUTH_METHODS) and preset.auth
        assert (OAUTH2 in preset.auth) == (preset.oauth is not None)
        assert preset.oauth is None or preset.oauth in PROVIDERS
        assert preset.username == "%EMAILADDRESS%"
        for endpoint in (preset.imap, preset.pop3, preset.smtp):
            assert endpoint is None or endpoint.security in SECURITY
        if preset.oauth is not None:
            servers = PRESETS[preset.oauth]
            assert preset.imap is not None and preset.smtp is not None
            assert (preset.imap.host, preset.imap.port) == (servers.imap_host,
                                                            servers.imap_port)
            assert (preset.smtp.host, preset.smtp.port, preset.smtp.security) == (
                servers.smtp_host, servers.smtp_port, servers.smtp_security)


@pytest.mark.parametrize(("mx", "preset_id"), [
    (["aspmx.l.google.com"], "gmail"),
    (["alt1.aspmx.l.google.com.", "aspmx2.googlemail.com"], "gmail"),
    (["smtp.google.com"], "gmail"),
    (["contoso-com.mail.protection.outlook.com"], "microsoft"),
    (["mx.example.org", "CONTOSO.mail.protection.outlook.com."], "microsoft"),
])
def test_a_hosted_domain_is_recognised_by_its_mx(mx: list[str], preset_id: str) -> None:
    hit = preset_for_mx(mx)
    assert hit is not None and hit[0].id == preset_id
    assert hit[1].endswith(("google.com", "googlemail.com", "outlook.com"))


@pytest.mark.parametrize("mx", [[], ["mx.example.org"], ["google.com.evil.example"],
                                ["notgoogle.com"], ["outlook.com"], ["mail.outlook.com"]])
def test_other_mx_hosts_are_no_provider(mx: list[str]) -> None:
    assert preset_for_mx(mx) is None


def test_a_server_host_names_its_preset() -> None:
    hit = preset_for_host("Outlook.Office365.com.")
    assert hit is not None and hit.id == "microsoft"
    assert preset_for_host("imap.example.org") is None


def test_username_templates_are_filled() -> None:
    template = "%EMAILLOCALPART%+x@%EMAILDOMAIN% (%EMAILADDRESS%)"
    assert fill_username(template, "al.ice@example.org") == (
        "al.ice+x@example.org (al.ice@example.org)")


@pytest.mark.parametrize(("address", "expected"), [
    ("alice@example.org", ("alice", "example.org")),
    ("  Alice.B+tag@Example.ORG ", ("Alice.B+tag", "example.org")),
    ("bob@bücher.example", ("bob", "xn--bcher-kva.example")),
])
def test_addresses_are_split(address: str, expected: tuple[str, str]) -> None:
    assert split_address(address) == expected


@pytest.mark.parametrize("address", [
    "", "alice", "@example.org", "alice@", "alice@localhost", "alice@127.0.0.1",
    "a b@example.org", "alice@exa mple.org", "alice@-bad-.org", "alice@exa\nmple.org",
    "al\x1bice@example.org", "<alice@example.org>", "a@" + "x" * 300 + ".org",
])
def test_bad_addresses_get_one_line(address: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        split_address(address)
    assert "\n" not in str(caught.value) and "not an email address" in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)), ("[::1]:5300", ("::1", 5300)), ("[2001:db8::1]", ("2001:db8::1", 53)),
])
def test_dns_servers_are_parsed(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example.org", "127.0.0.1:0", "127.0.0.1:70000",
                                  "127.0.0.1:x", "[::1", "[::1]x", "", "1.2.3.4:５３"])
def test_bad_dns_servers_get_one_line(text: str) -> None:
    with pytest.raises(InvalidInputError, match="DNS server"):
        parse_nameserver(text)
