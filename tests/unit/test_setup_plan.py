"""engine.setup.plan: from a Discovery and typed answers to the settings of a new
account, and the one-line refusal of each bad answer."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from engine.errors import ImapAuthError, ImapConnectError, InvalidInputError, OAuthError
from engine.models import SmtpChange
from engine.pop3.client import Pop3AuthError
from engine.setup import plan
from engine.setup.models import AuthHints, Discovery, ServerGuess
from engine.setup.plan import ServerAnswer, SetupAnswers
from engine.setup.presets import GMAIL, MICROSOFT_365, ProviderPreset

ADDRESS = "alice@example.org"
IMAP = ServerGuess("imap", "imap.example.org", 993, "ssl", "alice")
POP3 = ServerGuess("pop3", "pop.example.org", 995, "ssl", "alice")
SMTP = ServerGuess("smtp", "smtp.example.org", 587, "starttls", "alice")


NO_HINTS = AuthHints()


def found(*, imap: ServerGuess | None = IMAP, pop3: ServerGuess | None = None,
          smtp: ServerGuess | None = SMTP, auth: AuthHints = NO_HINTS,
          preset: ProviderPreset | None = None) -> Discovery:
    return Discovery(address=ADDRESS, domain="example.org", source="autoconfig",
                     provider="Example", preset=preset, imap=imap, pop3=pop3, smtp=smtp,
                     auth=auth, tried=())


@dataclass(frozen=True)
class Folder:
    name: str
    role: str | None = None
    selectable: bool = True


FOLDERS = [Folder("Archive", "archive"), Folder("INBOX", "inbox"), Folder("[Gmail]", None, False),
           Folder("Sent Items", "sent"), Folder("Projects")]


def answers(**changes: object) -> SetupAnswers:
    base = SetupAnswers(name="alice", address=ADDRESS,
                        server=ServerAnswer("imap", "imap.example.org", 993, "ssl", "alice"))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_protocol_follows_what_was_found() -> None:
    assert plan.incoming_protocol(found()) == "imap"
    assert plan.incoming_protocol(found(imap=None, pop3=POP3)) == "pop3"
    assert plan.incoming_protocol(found(imap=IMAP, pop3=POP3)) == "imap"
    assert plan.incoming_protocol(plan.nothing_discovered(ADDRESS)) == "imap"
    assert plan.suggested_server(found(imap=None, pop3=POP3), "pop3") == ServerAnswer(
        "pop3", "pop.example.org", 995, "ssl", "alice")
    assert plan.suggested_server(found(), "pop3") is None


def test_typed_server_fields_are_checked_one_by_one() -> None:
    assert plan.server_answer("imap", "Mail.Example.org.", None, "starttls", "",
                              address=ADDRESS) == ServerAnswer(
        "imap", "mail.example.org", 143, "starttls", ADDRESS)
    assert plan.server_answer("pop3", "10.0.0.5", "", "tls", "bob", address=ADDRESS).port == 995
    assert plan.parse_port("", default=993) == 993
    for bad, needle in [("0", "1 to 65535"), ("65536", "1 to 65535"), ("9x", "1 to 65535"),
                        ("-1", "1 to 65535")]:
        with pytest.raises(InvalidInputError, match=needle):
            plan.parse_port(bad, default=993)
    with pytest.raises(InvalidInputError, match="is not a host name"):
        plan.parse_host("imap example.org")
    with pytest.raises(InvalidInputError, match="no server given"):
        plan.parse_host("  ")
    with pytest.raises(InvalidInputError, match="choose ssl, starttls or none"):
        plan.parse_security("tls1.3")
    with pytest.raises(InvalidInputError, match="without spaces"):
        plan.parse_username("al ice", default=ADDRESS)
    with pytest.raises(InvalidInputError, match="is not an email address"):
        plan.parse_address("alice")
    assert plan.parse_address("Alice@Example.ORG") == "Alice@example.org"
    assert plan.suggest_name("first.last+tag@example.org") == "first.last-tag"
    assert plan.suggest_name("__é__@example.org") == "mail"
    assert plan.suggest_name("-x-@example.org") == "x"


def test_sign_in_methods_offer_oauth_only_where_it_can_work() -> None:
    gmail = found(auth=AuthHints(("oauth2", "app_password"), "google", "make one"),
                  preset=GMAIL)
    assert plan.auth_methods(gmail, "imap") == ("oauth2", "app_password")
    assert plan.auth_methods(gmail, "pop3") == ("app_password",)
    no_client = found(auth=AuthHints(("oauth2",), None))
    assert plan.auth_methods(no_client, "imap") == ("password",)
    assert plan.auth_methods(found(), "imap") == ("password",)
    offered = ("oauth2", "app_password")
    assert plan.parse_auth("2", offered) == "app_password"
    assert plan.parse_auth("OAuth", offered) == "oauth2"
    with pytest.raises(InvalidInputError, match="choose oauth2, app-password"):
        plan.parse_auth("password", offered)
    assert plan.auth_label("oauth2", gmail) == "OAuth2 (google)"
    assert plan.secret_label("app_password") == "App password"
    assert plan.check_password(" spaced pw ") == " spaced pw "
    with pytest.raises(InvalidInputError, match="no password typed"):
        plan.check_password("")


def test_the_spec_carries_the_answers() -> None:
    spec = plan.account_spec(answers(auth="command", password_command=" pass show mail ",
                                     ca_file="/ca.pem", shared=True, display_name="Sales"))
    assert (spec.name, spec.email, spec.imap_host, spec.imap_port, spec.security,
            spec.username) == ("alice", ADDRESS, "imap.example.org", 993, "ssl", "alice")
    assert spec.password_command == "pass show mail" and spec.oauth is None
    assert spec.shared and spec.ca_file == "/ca.pem" and spec.folders == ("INBOX",)
    oauth = plan.account_spec(answers(auth="oauth2", oauth="google"))
    assert oauth.oauth == "google" and oauth.password_command is None
    pop3 = plan.account_spec(answers(
        server=ServerAnswer("pop3", "pop.example.org", 995, "ssl", "alice"),
        delete_after_import=True))
    assert pop3.protocol == "pop3" and pop3.delete_after_import
    assert not plan.account_spec(answers(delete_after_import=True)).delete_after_import
    with pytest.raises(InvalidInputError, match="needs a provider"):
        plan.account_spec(answers(auth="oauth2"))
    with pytest.raises(InvalidInputError, match="POP3 account logs in with a password"):
        plan.account_spec(answers(auth="oauth2", oauth="google", server=ServerAnswer(
            "pop3", "pop.example.org", 995, "ssl", "alice")))
    with pytest.raises(InvalidInputError, match="no command given"):
        plan.account_spec(answers(auth="command", password_command="  "))
    change = plan.server_change(ServerAnswer("imap", "mail.example.org", 143, "starttls", "a"))
    assert change.given() == ("imap_host", "imap_port", "security", "username",
                              "verify_cert", "ca_file")
    assert change.ca_file == "" and change.verify_cert  # back to the system's CAs
    assert plan.server_change(ServerAnswer("imap", "h", 1, "ssl", "a"),
                              ca_file="/ca.pem").ca_file == "/ca.pem"


def test_folders_default_to_inbox_and_sent_and_are_chosen_by_name_or_number() -> None:
    assert [f.name for f in plan.listed_folders(FOLDERS)] == [
        "INBOX", "Archive", "Sent Items", "Projects"]
    assert plan.default_folders(FOLDERS) == ("INBOX", "Sent Items")
    assert plan.default_folders([Folder("INBOX", "inbox")]) == ("INBOX",)
    assert plan.default_folders([]) == ("INBOX",)
    assert plan.parse_folders("inbox, 4, sent items,INBOX", FOLDERS) == (
        "INBOX", "Projects", "Sent Items")
    with pytest.raises(InvalidInputError, match=r"no folder '\[Gmail\]'"):
        plan.parse_folders("[Gmail]", FOLDERS)  # not selectable
    with pytest.raises(InvalidInputError, match="no folder '9'"):
        plan.parse_folders("9", FOLDERS)
    with pytest.raises(InvalidInputError, match="at least one folder"):
        plan.parse_folders(" , ", FOLDERS)


def test_import_modes() -> None:
    assert plan.parse_import("ALL") == ("all", None)
    assert plan.parse_import("since:2024-05-01") == ("since", "2024-05-01")
    assert plan.parse_import("since 2024-05-01") == ("since", "2024-05-01")
    assert plan.parse_import("unread") == ("unread", None)
    with pytest.raises(InvalidInputError, match="POP3 keeps no read status"):
        plan.parse_import("unread", protocol="pop3")
    with pytest.raises(InvalidInputError, match="since:YYYY-MM-DD"):
        plan.parse_import("since:yesterday")
    with pytest.raises(InvalidInputError, match="choose all, unread"):
        plan.parse_import("everything")
    assert plan.import_change("since", "2024-05-01").given() == ("import_mode", "import_since")


def test_sending_logs_in_as_the_account_does() -> None:
    assert plan.smtp_choices(found()) == ("discovered", "system", "none")
    assert plan.smtp_choices(found(smtp=None)) == ("system", "none")
    assert plan.default_smtp(found(), system_set=False) == "discovered"
    assert plan.default_smtp(found(smtp=None), system_set=None) == "system"
    assert plan.default_smtp(found(smtp=None), system_set=False) == "none"
    assert "not set yet" in plan.smtp_label("system", found(), system_set=False)
    assert plan.parse_smtp("d", ("discovered", "system", "none")) == "discovered"
    assert plan.parse_smtp("3", ("discovered", "system", "none")) == "none"
    with pytest.raises(InvalidInputError, match="choose system, none"):
        plan.parse_smtp("discovered", ("system", "none"))

    typed = answers(server=ServerAnswer("imap", "imap.example.org", 993, "ssl", "alice@x"))
    change = plan.smtp_change("discovered", found(), typed, "pw")
    assert change is not None
    assert (change.host, change.port, change.security) == ("smtp.example.org", 587, "starttls")
    assert change.username == "alice@x"  # the same login as the account, as typed
    assert change.password == "pw" and change.password_command is None
    assert not change.server_saves_sent and change.ca_file is None
    other_login = found(smtp=replace(SMTP, username="alice-smtp"))
    assert plan.smtp_change("discovered", other_login, typed, "pw").username == "alice-smtp"  # type: ignore[union-attr]
    command = plan.smtp_change("discovered", found(), answers(auth="command",
                                                              password_command="cmd"), None)
    assert command is not None and command.password is None and command.password_command == "cmd"
    m365 = found(smtp=SMTP, preset=MICROSOFT_365)
    token = plan.smtp_change("discovered", m365, answers(auth="oauth2", oauth="microsoft"), None)
    assert token is not None and token.password is None and token.server_saves_sent
    same_host = found(smtp=replace(SMTP, host="imap.example.org"))
    trusted = plan.smtp_change("discovered", same_host, answers(ca_file="/ca.pem"), "pw")
    assert trusted is not None and trusted.ca_file == "/ca.pem"
    assert plan.smtp_change("system", found(), answers(), "pw") == SmtpChange(use_system=True)
    assert plan.smtp_change("none", found(), answers(), "pw") is None
    with pytest.raises(InvalidInputError, match="no SMTP server was found"):
        plan.smtp_change("discovered", found(smtp=None), answers(), "pw")


def test_signature_and_yes_no() -> None:
    assert plan.signature_text("\n  \nBob  \nSupport\n\n") == "Bob\nSupport"
    assert plan.signature_text(" \n\n") is None
    with pytest.raises(InvalidInputError, match="keep it under"):
        plan.signature_text("x" * (plan.MAX_SIGNATURE_CHARS + 1))
    assert plan.parse_yes_no("", default=True) is True
    assert plan.parse_yes_no("No", default=True) is False
    with pytest.raises(InvalidInputError, match="answer y or n"):
        plan.parse_yes_no("maybe", default=True)


def test_login_failures_are_told_from_server_failures() -> None:
    assert plan.is_login_failure(ImapAuthError("refused"))
    assert plan.is_login_failure(Pop3AuthError("refused"))
    assert plan.is_login_failure(OAuthError("expired"))
    assert not plan.is_login_failure(ImapConnectError("refused connection"))
