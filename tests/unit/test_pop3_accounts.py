"""POP3 account settings: what is refused (one line each), the defaults, and which
accounts have an IMAP server to write back to."""

from dataclasses import replace

import pytest

from engine.accounts import (
    AccountSpec,
    imap_settings,
    on_imap_server,
    pop3_settings,
    validate,
)
from engine.errors import InvalidInputError
from storage.records import AccountSettings


def pop3(**changes: object) -> AccountSpec:
    values: dict[str, object] = dict(name="bob", email="bob@example.com", protocol="pop3",
                                     imap_host="pop.example.com")
    values.update(changes)
    return AccountSpec(**values)  # type: ignore[arg-type]


def settings(**changes: object) -> AccountSettings:
    base = AccountSettings(
        id=1, name="bob", display_name="bob", email="bob@example.com", kind="personal",
        owner_agent_id=1, imap_host="mail.example.com", imap_port=None, imap_security=None,
        imap_username=None, verify_cert=True, ca_file=None, password_command=None,
        check_every_minutes=5, import_mode="all", import_since=None,
        mark_read_on_import=False, write_read_status=True, sync_folders=("INBOX",),
        enabled=True, last_sync_at=None, last_error=None, last_error_at=None,
        auth_failed=False, has_password=True)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_plain_pop3_spec_is_accepted() -> None:
    assert validate(pop3()).protocol == "pop3"
    assert validate(pop3(folders=("inbox",), import_mode="since", import_since="2026-01-01"))


@pytest.mark.parametrize(("changes", "needle"), [
    ({"folders": ("INBOX", "Sent")}, "inbox only"),
    ({"mark_read_on_import": True}, "--mark-read-on-import"),
    ({"write_read_status": False}, "--no-write-read-status"),
    ({"import_mode": "unread"}, "--import unread"),
    ({"oauth": "google", "password_command": None}, "--oauth is for IMAP"),
    ({"imap_host": ""}, "needs --host"),
    ({"imap_host": "pop example"}, "--host 'pop example'"),
    ({"imap_port": 0}, "--port 0"),
    ({"protocol": "nntp"}, "choose imap or pop3"),
])
def test_what_pop3_cannot_do_is_refused_in_one_line(changes: dict[str, object],
                                                    needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        validate(pop3(**changes))
    assert needle in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("changes", [{"delete_after_import": True}, {"sent_to": "other"}])
def test_pop3_options_are_refused_on_imap(changes: dict[str, object]) -> None:
    spec = AccountSpec(name="bob", email="bob@example.com", imap_host="imap.example.com",
                       **changes)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="for POP3 accounts"):
        validate(spec)


@pytest.mark.parametrize(("security", "port"), [(None, 995), ("ssl", 995),
                                                ("starttls", 110), ("none", 110)])
def test_pop3_default_ports(security: str | None, port: int) -> None:
    account = settings(protocol="pop3", imap_security=security, imap_username="login")
    made = pop3_settings(account)
    assert (made.port, made.security, made.username) == (port, security or "ssl", "login")
    assert pop3_settings(replace(account, imap_port=1100)).port == 1100


def test_a_pop3_account_is_no_imap_account() -> None:
    account = settings(protocol="pop3")
    assert not on_imap_server(account)
    assert on_imap_server(settings())
    assert not on_imap_server(settings(imap_host=None))  # local-only (demo) mail
    with pytest.raises(InvalidInputError, match="POP3 account"):
        imap_settings(account)
    with pytest.raises(InvalidInputError, match="no POP3 server"):
        pop3_settings(settings(protocol="pop3", imap_host=None))
