"""The account setup wizard's decisions, apart from any screen: from what discovery found
and what the person answered, the settings that add the account (an AccountSpec), the
server to fix after a failed test (an AccountChange), the folders it syncs and what it
imports, how it sends (an SmtpChange) and its signature.

The wizard of the command line (`frontdesk account add NAME`) and the console's read
every answer through the parse_* functions here, so a bad answer gets the same one line
(InvalidInputError) in both. Pure: nothing here reads the network, the store or a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from engine import accounts
from engine.account_edit import AccountChange
from engine.accounts import PROTOCOLS, AccountSpec
from engine.errors import ImapAuthError, InvalidInputError, OAuthError, SecretError
from engine.imap.connection import ImapSettings
from engine.models import SmtpChange
from engine.pop3.client import Pop3AuthError, Pop3Settings
from engine.setup.address import is_host_name, is_ip_address, split_address
from engine.setup.choices import SMTP_CHOICES, SMTP_DISCOVERED, SMTP_NONE, SMTP_SYSTEM
from engine.setup.models import AuthHints, Discovery, ServerGuess
from engine.setup.presets import APP_PASSWORD, OAUTH2, PASSWORD

COMMAND = "command"  # the password comes from a command, run at each login; never stored
AUTH_METHODS = (PASSWORD, APP_PASSWORD, OAUTH2, COMMAND)
IMPORT_HELP = "all, unread, new-only or since:YYYY-MM-DD"
MAX_SIGNATURE_CHARS = 10_000

_AUTH_WORDS = {"password": PASSWORD, "pw": PASSWORD, "app": APP_PASSWORD,
               "app-password": APP_PASSWORD, "app_password": APP_PASSWORD,
               "app password": APP_PASSWORD, "oauth": OAUTH2, "oauth2": OAUTH2,
               "command": COMMAND, "password-command": COMMAND, "cmd": COMMAND}
_SECURITY_WORDS = {"ssl": "ssl", "tls": "ssl", "starttls": "starttls", "none": "none",
                   "plain": "none"}
_YES = ("y", "yes")
_NO = ("n", "no")


@dataclass(frozen=True)
class ServerAnswer:
    """The incoming server as the person accepted or typed it."""

    protocol: str  # imap | pop3
    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str

    def describe(self) -> str:
        """One line: "IMAP imap.example.org:993 (ssl), login alice"."""
        return (f"{self.protocol.upper()} {self.host}:{self.port} ({self.security}), "
                f"login {self.username}")


@dataclass(frozen=True)
class SetupAnswers:
    """What the wizard asked before saving the account. auth: one of AUTH_METHODS;
    oauth: the OAuth2 provider id with oauth2; password_command with command (the
    typed password itself is never part of the answers)."""

    name: str
    address: str
    server: ServerAnswer
    auth: str = PASSWORD
    oauth: str | None = None
    password_command: str | None = None
    display_name: str = ""
    shared: bool = False
    ca_file: str | None = None
    verify_cert: bool = True
    delete_after_import: bool = False  # POP3 only


class FolderLike(Protocol):
    """A folder as Service.account_folders gives it."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str | None: ...

    @property
    def selectable(self) -> bool: ...


# -- the address and the servers ----------------------------------------------------------


def parse_address(text: str) -> str:
    """The mailbox's address, checked; its domain lower-cased in ASCII form."""
    local, domain = split_address(text)
    return f"{local}@{domain}"


def suggest_name(address: str) -> str:
    """An account name made from the address's local part: letters, digits, '.', '_'
    and '-', starting with a letter or digit ("mail" when nothing is left)."""
    local = address.rpartition("@")[0] or address
    name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in local)
    name = name.lstrip("._-")[:64].rstrip("._-")
    return name or "mail"


def nothing_discovered(address: str, tried: tuple[str, ...] = ()) -> Discovery:
    """A Discovery that found nothing: for an address whose server the person gives."""
    _, domain = split_address(address)
    return Discovery(address=address, domain=domain, source=None, provider="", preset=None,
                     imap=None, pop3=None, smtp=None, auth=AuthHints(), tried=tried)


def incoming_protocol(found: Discovery) -> str:
    """The protocol to read the mailbox with: IMAP when an IMAP server was found or
    nothing was, POP3 when only a POP3 server was."""
    return "pop3" if found.imap is None and found.pop3 is not None else "imap"


def guess_for(found: Discovery, protocol: str) -> ServerGuess | None:
    """The server discovery found for `protocol`, if any."""
    return found.pop3 if protocol == "pop3" else found.imap


def suggested_server(found: Discovery, protocol: str) -> ServerAnswer | None:
    """The discovered server for `protocol` as an answer, None when there is none."""
    guess = guess_for(found, protocol)
    if guess is None:
        return None
    return ServerAnswer(protocol, guess.host, guess.port, guess.security, guess.username)


def default_port(protocol: str, security: str) -> int:
    """The usual port of `protocol` with `security`: 993/143 for IMAP, 995/110 for POP3."""
    return (Pop3Settings if protocol == "pop3" else ImapSettings).PORTS[security]


def parse_protocol(text: str) -> str:
    value = text.strip().lower()
    if value not in PROTOCOLS:
        raise InvalidInputError(f"protocol {text.strip()!r}: choose imap or pop3")
    return value


def parse_host(text: str) -> str:
    """A server's host name or IP address, lower-cased, without a trailing dot."""
    value = text.strip().rstrip(".").lower()
    if not value:
        raise InvalidInputError("no server given: type its host name, e.g. imap.example.org")
    if not (is_host_name(value) or is_ip_address(value)):
        raise InvalidInputError(
            f"server {text.strip()!r} is not a host name; type one such as imap.example.org")
    return value


def parse_security(text: str) -> str:
    """ssl (TLS from the start), starttls or none; "tls" and "plain" are understood."""
    value = _SECURITY_WORDS.get(text.strip().lower())
    if value is None:
        raise InvalidInputError(f"security {text.strip()!r}: choose ssl, starttls or none")
    return value


def parse_port(text: str, *, default: int) -> int:
    """A port number; an empty answer takes `default`."""
    value = text.strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise InvalidInputError(f"port {value!r}: give a number from 1 to 65535")
    return int(value)


def parse_username(text: str, *, default: str) -> str:
    """The login name; an empty answer takes `default`."""
    value = text.strip() or default
    if not value or not value.isprintable() or any(c.isspace() for c in value):
        raise InvalidInputError(f"login {value!r}: give the login name, without spaces")
    return value


def server_answer(protocol: str, host: str, port: str | int | None, security: str,
                  username: str, *, address: str) -> ServerAnswer:
    """The incoming server from typed (or flag) values, each checked; a port left out
    is the usual one for the security, a login left out is the address."""
    protocol = parse_protocol(protocol)
    security = parse_security(security)
    usual = default_port(protocol, security)
    number = parse_port("" if port is None else str(port), default=usual)
    return ServerAnswer(protocol, parse_host(host), number, security,
                        parse_username(username, default=address))


# -- signing in --------------------------------------------------------------------------


def auth_methods(found: Discovery, protocol: str) -> tuple[str, ...]:
    """How the account may sign in, the provider's preference first: among password,
    app_password and oauth2 (OAuth2 only for IMAP and a provider frontdesk has a client
    for); the password when nothing is known. A password command is always possible
    on top of these (COMMAND)."""
    hints = found.auth
    methods = [m for m in hints.methods if m in (PASSWORD, APP_PASSWORD, OAUTH2)]
    if protocol != "imap" or not hints.oauth:
        methods = [m for m in methods if m != OAUTH2]
    return tuple(dict.fromkeys(methods)) or (PASSWORD,)


def auth_label(method: str, found: Discovery) -> str:
    """The words for a sign-in method."""
    if method == OAUTH2:
        return f"OAuth2 ({found.auth.oauth})" if found.auth.oauth else "OAuth2"
    return {PASSWORD: "the mailbox password", APP_PASSWORD: "an app password",
            COMMAND: "a password command (run at each login, never stored)"}[method]


def parse_auth(text: str, offered: Sequence[str]) -> str:
    """One of `offered`, by its number (1, 2, ...) or its name (password, app, oauth2,
    command)."""
    value = text.strip().lower()
    if value.isdigit() and 0 < int(value) <= len(offered):
        return offered[int(value) - 1]
    method = _AUTH_WORDS.get(value)
    if method is None or method not in offered:
        names = ", ".join(m.replace("_", "-") for m in offered)
        raise InvalidInputError(f"sign-in {text.strip()!r}: choose {names} (or its number)")
    return method


def secret_label(method: str) -> str:
    """What the person types for `method`: "App password" or "Password"."""
    return "App password" if method == APP_PASSWORD else "Password"


def check_password(text: str) -> str:
    """A typed password: not empty, one line (kept as typed, spaces included)."""
    if not text:
        raise InvalidInputError("no password typed; type it, or choose another sign-in")
    if "\n" in text or "\r" in text:
        raise InvalidInputError("a password is one line")
    return text


def check_command(text: str) -> str:
    """A password command: a shell command printing the password."""
    value = text.strip()
    if not value:
        raise InvalidInputError("no command given: type a command printing the password")
    return value


def account_spec(answers: SetupAnswers) -> AccountSpec:
    """The settings that add the account. It syncs the inbox until the folders are
    chosen (they can only be once the server listed them)."""
    server = answers.server
    if answers.auth not in AUTH_METHODS:
        raise InvalidInputError(f"sign-in {answers.auth!r} is not known")
    oauth = answers.oauth if answers.auth == OAUTH2 else None
    if answers.auth == OAUTH2 and oauth is None:
        raise InvalidInputError("OAuth2 needs a provider: microsoft or google")
    if server.protocol == "pop3" and oauth is not None:
        raise InvalidInputError("a POP3 account logs in with a password; choose IMAP for "
                                "OAuth2")
    command = check_command(answers.password_command or "") if answers.auth == COMMAND \
        else None
    return AccountSpec(
        name=answers.name,
        email=answers.address,
        imap_host=server.host,
        imap_port=server.port,
        security=server.security,
        username=server.username,
        display_name=answers.display_name,
        verify_cert=answers.verify_cert,
        ca_file=answers.ca_file,
        password_command=command,
        folders=("INBOX",),
        shared=answers.shared,
        oauth=oauth,
        protocol=server.protocol,
        delete_after_import=answers.delete_after_import and server.protocol == "pop3",
    )


def is_login_failure(error: Exception) -> bool:
    """Whether a failed connection test was the login (retype the password, sign in
    again) rather than the server (fix the host, port or security)."""
    return isinstance(error, ImapAuthError | Pop3AuthError | SecretError | OAuthError)


def server_change(server: ServerAnswer, *, ca_file: str | None = None,
                  verify_cert: bool = True) -> AccountChange:
    """The change that puts a corrected server (and the certificates it is trusted
    with) on the saved account."""
    return AccountChange(imap_host=server.host, imap_port=server.port,
                         security=server.security, username=server.username,
                         ca_file=ca_file or "", verify_cert=verify_cert)


# -- folders and import ------------------------------------------------------------------


def listed_folders(folders: Sequence[FolderLike]) -> list[FolderLike]:
    """The folders that can be synced, in the order the wizard lists and numbers them:
    the inbox first, then as the server listed them."""
    usable = [f for f in folders if f.selectable]
    return sorted(usable, key=lambda f: f.role != "inbox")


def default_folders(folders: Sequence[FolderLike]) -> tuple[str, ...]:
    """The folders to sync unless the person says otherwise: the inbox, and the Sent
    folder when the server has one."""
    usable = [f for f in folders if f.selectable]
    inbox = next((f.name for f in usable if f.role == "inbox"),
                 next((f.name for f in usable if f.name.upper() == "INBOX"), "INBOX"))
    sent = next((f.name for f in usable if f.role == "sent"), None)
    return (inbox,) if sent is None or sent == inbox else (inbox, sent)


def parse_folders(text: str, folders: Sequence[FolderLike]) -> tuple[str, ...]:
    """Comma-separated folder names (exact, else the one that matches ignoring case) or
    their numbers in listed_folders (1, 2, ...); at least one."""
    usable = [f.name for f in listed_folders(folders)]
    chosen: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part in usable:
            name = part
        elif part.isdigit() and 0 < int(part) <= len(usable):
            name = usable[int(part) - 1]
        else:
            same = [n for n in usable if n.lower() == part.lower()]
            if len(same) != 1:
                shown = ", ".join(usable[:8]) + (", …" if len(usable) > 8 else "")
                raise InvalidInputError(f"no folder {part!r}; choose among {shown}")
            name = same[0]
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InvalidInputError("choose at least one folder to sync (the inbox, say)")
    return tuple(chosen)


def parse_import(text: str, *, protocol: str = "imap") -> tuple[str, str | None]:
    """all | unread | new-only | since:YYYY-MM-DD -> (mode, since). POP3 keeps no read
    status, so it has no unread."""
    value = text.strip().lower()
    if value.startswith(("since:", "since ")):
        value = "since:" + value[6:].strip()
    try:
        mode, since = accounts.parse_import(value)
    except InvalidInputError:
        # The same rules, in the wizard's words rather than the --import option's.
        if value.startswith("since:"):
            raise InvalidInputError(
                f"import {text.strip()!r}: write the date as since:YYYY-MM-DD") from None
        raise InvalidInputError(f"import {text.strip()!r}: choose {IMPORT_HELP}") from None
    if mode == "unread" and protocol == "pop3":
        raise InvalidInputError("import unread: POP3 keeps no read status; choose all, "
                                "new-only or since:YYYY-MM-DD")
    return mode, since


def import_change(mode: str, since: str | None) -> AccountChange:
    """The change that sets the import mode chosen."""
    return AccountChange(import_mode=mode, import_since=since)


# -- sending and the signature -----------------------------------------------------------


def smtp_choices(found: Discovery) -> tuple[str, ...]:
    """How the account may send: the discovered server (when one was found), the
    system SMTP an admin sets, or not at all (replies then wait in the outbox)."""
    return ((SMTP_DISCOVERED,) if found.smtp is not None else ()) + (SMTP_SYSTEM, SMTP_NONE)


def default_smtp(found: Discovery, system_set: bool | None) -> str:
    """The sending choice offered first: the server found, else the system SMTP unless
    it is known to be unset (`system_set` None: not known), else none."""
    if found.smtp is not None:
        return SMTP_DISCOVERED
    return SMTP_NONE if system_set is False else SMTP_SYSTEM


def smtp_label(choice: str, found: Discovery, system_set: bool | None = None) -> str:
    """The words for a sending choice."""
    if choice == SMTP_DISCOVERED and found.smtp is not None:
        s = found.smtp
        return f"{s.host}:{s.port} ({s.security}), as found"
    if choice == SMTP_SYSTEM and system_set is False:
        return "the system SMTP (not set yet: an admin sets it with `frontdesk smtp system`)"
    return {SMTP_DISCOVERED: "the server found", SMTP_SYSTEM: "the system SMTP",
            SMTP_NONE: "none for now (set it later with `frontdesk account smtp`)"}[choice]


def parse_smtp(text: str, offered: Sequence[str]) -> str:
    """One of `offered`, by name, first letter or number."""
    value = text.strip().lower()
    if value.isdigit() and 0 < int(value) <= len(offered):
        return offered[int(value) - 1]
    for choice in offered:
        if value in (choice, choice[0]):
            return choice
    raise InvalidInputError(f"sending {text.strip()!r}: choose {', '.join(offered)}")


def smtp_change(choice: str, found: Discovery, answers: SetupAnswers,
                password: str | None) -> SmtpChange | None:
    """The SMTP setting for `choice` (None: leave sending unset). The discovered server
    logs in the way the account does: with its password (stored encrypted), its password
    command, or its OAuth2 token; with the account's login when discovery gave both
    servers the same one."""
    if choice not in SMTP_CHOICES:
        raise InvalidInputError(f"sending {choice!r}: choose {', '.join(SMTP_CHOICES)}")
    if choice == SMTP_NONE:
        return None
    if choice == SMTP_SYSTEM:
        return SmtpChange(use_system=True)
    smtp = found.smtp
    if smtp is None:
        raise InvalidInputError("no SMTP server was found: choose the system SMTP or none")
    incoming = guess_for(found, answers.server.protocol)
    same_login = incoming is not None and incoming.username == smtp.username
    username = answers.server.username if same_login else smtp.username
    secret = password if answers.auth in (PASSWORD, APP_PASSWORD) else None
    command = answers.password_command if answers.auth == COMMAND else None
    # The providers with OAuth2 (Gmail, Microsoft 365) file sent mail in Sent themselves.
    saves_sent = found.preset is not None and found.preset.oauth is not None
    # A CA trusted for the incoming server is the one to trust for the same host only.
    same_host = smtp.host == answers.server.host
    return SmtpChange(host=smtp.host, port=smtp.port, security=smtp.security,
                      username=username, password=secret, password_command=command,
                      ca_file=answers.ca_file if same_host else None,
                      verify_cert=answers.verify_cert or not same_host,
                      server_saves_sent=saves_sent)


def signature_text(text: str) -> str | None:
    """A typed signature without trailing blank lines and spaces; None when empty."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        return None
    body = "\n".join(lines)
    if len(body) > MAX_SIGNATURE_CHARS:
        raise InvalidInputError(
            f"the signature has {len(body)} characters; keep it under {MAX_SIGNATURE_CHARS}")
    return body


def parse_yes_no(text: str, *, default: bool) -> bool:
    """y/yes or n/no; an empty answer takes `default`."""
    value = text.strip().lower()
    if not value:
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise InvalidInputError(f"{text.strip()!r}: answer y or n")
