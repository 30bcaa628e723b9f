"""config.toml read into what it declares (the format is described in tui.config_file),
with every problem that can be found without the store: unknown keys (and the closest
known one), values of the wrong type, values the engine would refuse (its own checks,
called key by key so each problem is named with its key), and passwords in clear.

Reading stats the CA files named: call it off the event loop.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path as FilePath
from typing import Any

from engine.account_sharing import ROLES as SHARE_ROLES
from engine.accounts import AccountSpec, parse_import, validate
from engine.blocking import normalise
from engine.errors import InvalidInputError
from engine.imap.roles import ROLES
from engine.models import Rule
from engine.rules.admin import MODES
from engine.sending.config import SECURITIES as SMTP_SECURITIES
from themes import theme_names
from tui.commands.rules_toml import CONDITION_KEYS, RULE_KEYS, read_rule
from tui.config import OPTION_NAMES
from tui.config_file.locator import Path
from tui.config_file.problems import Problem, did_you_mean
from tui.keymap import KeymapError, normalize_overrides, resolve_keymap

STR, INT, BOOL, STRS, TABLE, TABLES = (
    "a string", "a whole number", "true or false", "a list of strings", "a table",
    "a list of tables")
_EXAMPLES = {STR: '"..."', INT: "5", BOOL: "true", STRS: '["..."]', TABLE: "{ ... }",
             TABLES: "[[...]] tables"}

TOP_KEYS: dict[str, str] = {
    "theme": STR, "options": TABLE, "keymap": TABLE, "imap_defaults": TABLE,
    "smtp": TABLE, "accounts": TABLES, "rules": TABLES, "modes": TABLE,
}
IMAP_DEFAULTS_KEYS: dict[str, str] = {
    "host": STR, "port": INT, "security": STR, "ca_file": STR, "check_every": INT,
}
SYSTEM_SMTP_KEYS: dict[str, str] = {
    "host": STR, "port": INT, "security": STR, "username": STR, "password_command": STR,
    "password_ref": STR, "auth": BOOL, "ca_file": STR, "verify_cert": BOOL,
}
ACCOUNT_SMTP_KEYS: dict[str, str] = {
    **SYSTEM_SMTP_KEYS, "system": BOOL, "reply_to": STR, "server_saves_sent": BOOL,
}
SHARE_KEYS: dict[str, str] = {"agents": STRS, "roles": STRS, "read_only": BOOL}

_SPEC_FIELDS = frozenset(f.name for f in fields(AccountSpec))
# POP3 accounts, where the engine knows them: their server keys and options.
POP3 = "protocol" in _SPEC_FIELDS
_POP3_KEYS: dict[str, str] = {
    "protocol": STR, "pop3_host": STR, "pop3_port": INT, "delete_after_import": BOOL,
    "sent_to": STR,
}
ACCOUNT_KEYS: dict[str, str] = {
    "name": STR, "email": STR, "display_name": STR, "shared": BOOL,
    "imap_host": STR, "imap_port": INT, "security": STR, "username": STR,
    "verify_cert": BOOL, "ca_file": STR, "password_command": STR, "password_ref": STR,
    "oauth": STR, "folders": STRS, "roles": TABLE, "import": STR, "check_every": INT,
    "mark_read_on_import": BOOL, "write_read_status": BOOL, "enabled": BOOL,
    "mirror_drafts": BOOL, "deny": STRS, "signature": STR, "share": TABLE, "smtp": TABLE,
    **(_POP3_KEYS if POP3 else {}),
}
# Settings `account set` changes (engine.account_edit.AccountChange), by config key.
PLAIN_KEYS = ("display_name", "email", "imap_host", "pop3_host", "imap_port", "pop3_port",
              "security", "username", "verify_cert", "ca_file", "password_command",
              "check_every", "import", "mark_read_on_import", "write_read_status",
              "enabled")
RULE_ACCOUNT = "account"
PASSWORD_REF = "stored"

_SECRET = re.compile(
    r"(?:^|_)(?:password|passwd|passphrase|pass|pwd|secret|token|credentials?)(?:$|_)", re.I)
_NOT_SECRET = frozenset({"password_command", "password_ref"})
# The command line's options in the engine's messages, as this file's keys.
_FLAGS = {"--imap-host": "imap_host", "--imap-port": "imap_port", "--host": "pop3_host",
          "--port": "pop3_port", "--security": "security", "--email": "email",
          "--ca-file": "ca_file", "--import": "import", "--folders": "folders",
          "--oauth": "oauth", "--password-command": "password_command",
          "--protocol": "protocol", "--mark-read-on-import": "mark_read_on_import",
          "--no-write-read-status": "write_read_status",
          "--delete-after-import": "delete_after_import", "--sent-to": "sent_to",
          "--password-stdin": "password_ref", "--check-every": "check_every"}
_FLAG = re.compile("|".join(re.escape(f) for f in sorted(_FLAGS, key=len, reverse=True))
                   + r"(?![\w-])")
_BASE = AccountSpec(name="account", email="account@example.com")


@dataclass(frozen=True)
class ImapDefaultsDecl:
    """[imap_defaults]: the whole of the IMAP defaults (a key left out is unset)."""

    path: Path
    host: str | None = None
    port: int | None = None
    security: str | None = None
    ca_file: str | None = None
    check_every: int | None = None


@dataclass(frozen=True)
class SmtpDecl:
    """[smtp] (the system SMTP) or [accounts.smtp]: how mail is sent, no password."""

    path: Path
    use_system: bool = False
    host: str | None = None
    port: int | None = None
    security: str = "starttls"
    username: str | None = None
    password_command: str | None = None
    password_ref: bool = False  # keep the password stored
    auth: bool = True
    ca_file: str | None = None
    verify_cert: bool = True
    reply_to: str = ""
    server_saves_sent: bool = False


@dataclass(frozen=True)
class ShareDecl:
    """Who works a shared account: each list given replaces the store's."""

    path: Path
    agents: tuple[str, ...] | None
    roles: tuple[str, ...] | None
    read_only: bool


@dataclass(frozen=True)
class AccountDecl:
    """One [[accounts]] table. `plain` holds the settings `account set` changes, as given
    (config key -> checked value; import as (mode, since)); None elsewhere: not given."""

    path: Path
    name: str
    email: str
    plain: dict[str, Any] = field(default_factory=dict)
    shared: bool | None = None
    protocol: str = "imap"
    password_ref: bool = False
    oauth: str | None = None
    folders: tuple[str, ...] | None = None
    roles: dict[str, str | None] | None = None
    deny: tuple[str, ...] | None = None
    signature: str | None = None
    share: ShareDecl | None = None
    smtp: SmtpDecl | None = None
    mirror_drafts: bool | None = None
    pop3: dict[str, Any] = field(default_factory=dict)
    valid: bool = True  # no problem found in its table

    def spec(self) -> AccountSpec:
        """What `account add` would be given for it (no password)."""
        given = self.plain
        host = given.get("pop3_host" if self.protocol == "pop3" else "imap_host")
        mode, since = given.get("import", ("all", None))
        values: dict[str, Any] = {
            "name": self.name, "email": self.email, "imap_host": host or "",
            "imap_port": given.get("pop3_port" if self.protocol == "pop3" else "imap_port"),
            "security": given.get("security"), "username": given.get("username"),
            "display_name": given.get("display_name", ""),
            "verify_cert": given.get("verify_cert", True), "ca_file": given.get("ca_file"),
            "password_command": given.get("password_command"),
            "folders": self.folders or ("INBOX",), "import_mode": mode,
            "import_since": since, "check_every_minutes": given.get("check_every"),
            "mark_read_on_import": given.get("mark_read_on_import", False),
            "shared": bool(self.shared), "oauth": self.oauth,
        }
        if "write_read_status" in given:
            values["write_read_status"] = given["write_read_status"]
        if POP3:
            values["protocol"] = self.protocol
            values.update(self.pop3)
        return AccountSpec(**values)


@dataclass(frozen=True)
class RuleDecl:
    """One [[rules]] table: a rule of its `account`; `active` None: not given."""

    path: Path
    rule: Rule
    active: bool | None


@dataclass(frozen=True)
class ModeDecl:
    path: Path
    account: str
    mode: str


@dataclass(frozen=True)
class Declared:
    """What config.toml declares beyond the console's own settings."""

    accounts: tuple[AccountDecl, ...] = ()
    imap_defaults: ImapDefaultsDecl | None = None
    system_smtp: SmtpDecl | None = None
    rules: tuple[RuleDecl, ...] = ()
    modes: tuple[ModeDecl, ...] = ()

    def account(self, name: str) -> AccountDecl | None:
        return next((a for a in self.accounts if a.name == name), None)


def read_config(text: str) -> tuple[Declared, list[Problem]]:
    """What the text declares, and every problem found in it without the store."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        at = re.search(r"line (\d+)", reason)
        return Declared(), [Problem((), f"not valid TOML ({reason}); fix the line",
                                    line=int(at.group(1)) if at else 1)]
    out: list[Problem] = []
    top = _Table(out, data, (), "at the top level", TOP_KEYS)
    _console(out, top)
    accounts: list[AccountDecl] = []
    for index, table in enumerate(top.get("accounts") or ()):
        found = _account(out, table, index, accounts)
        if found is not None:
            accounts.append(found)
    defaults = top.get("imap_defaults")
    smtp = top.get("smtp")
    declared = Declared(
        accounts=tuple(accounts),
        imap_defaults=None if defaults is None else _imap_defaults(out, defaults),
        system_smtp=None if smtp is None else _smtp(
            out, smtp, ("smtp",), "[smtp]", SYSTEM_SMTP_KEYS, oauth=False),
        rules=_rules(out, top.get("rules") or []),
        modes=_modes(out, top.get("modes") or {}),
    )
    return declared, out


# -- reading one table ------------------------------------------------------------------

class _Table:
    """One table's keys checked against `keys` (name -> kind): unknown keys, passwords in
    clear and values of the wrong kind are problems; get() returns only values that fit."""

    def __init__(self, out: list[Problem], table: Mapping[str, Any], path: Path, where: str,
                 keys: Mapping[str, str] | None) -> None:
        """`keys` None: any key (the caller checks them)."""
        self.out, self.table, self.path, self.where = out, table, path, where
        self.keys: Mapping[str, str] = keys or {}
        self.at = where if where.startswith("at ") else f"in {where}"
        self.bad = False
        for key, value in table.items() if keys is not None else ():
            kind = self.keys.get(key)
            if kind is not None:
                if not _fits(value, kind):
                    self.problem(key, f"{key} {self.at} must be {kind}, not "
                                 f"{_kind_of(value)}; e.g. {key} = {_EXAMPLES[kind]}")
            elif _is_secret(key):
                self.problem(key, f'a password in clear ("{key}") {self.at} is refused; '
                             'remove it and give password_command = "CMD" (a command '
                             'that prints it), or password_ref = "stored" to keep the '
                             "one stored")
            else:
                self.problem(key, f'unknown key "{key}" {self.at}'
                             + (did_you_mean(key, self.keys) or
                                f"; the keys are: {', '.join(self.keys)}"))

    def problem(self, key: str | int | Path, text: str) -> None:
        self.bad = True
        sub = key if isinstance(key, tuple) else (key,)
        self.out.append(Problem(self.path + sub, text))

    def get(self, key: str) -> Any:
        value = self.table.get(key)
        kind = self.keys.get(key)
        return value if value is not None and kind and _fits(value, kind) else None

    def text(self, key: str) -> str | None:
        value = self.get(key)
        return value.strip() if isinstance(value, str) else None

    def engine(self, key: str | Path, check: Callable[[], object], *,
               names: Mapping[str, str] | None = None) -> bool:
        """Run one of the engine's checks; its refusal becomes a problem at `key`, its
        words for the command line's options this table's keys (`names`: renames)."""
        try:
            check()
        except InvalidInputError as exc:
            said = _as_keys(str(exc))
            for old, new in (names or {}).items():
                said = re.sub(rf"\b{old}\b", new, said)
            self.problem(key, f"{self.where}: {said}")
            return False
        return True

    @property
    def secrets(self) -> bool:
        """Whether a key of the table looks like a password (reported already)."""
        return any(_is_secret(k) for k in self.table)


def _fits(value: Any, kind: str) -> bool:
    if kind == STR:
        return isinstance(value, str)
    if kind == INT:
        return type(value) is int
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == STRS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == TABLE:
        return isinstance(value, dict)
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, str):
        return STR
    if isinstance(value, dict):
        return TABLE
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _is_secret(key: str) -> bool:
    return key not in _NOT_SECRET and bool(_SECRET.search(key))


def _as_keys(message: str) -> str:
    """An engine message with the command line's options named as this file's keys."""
    return _FLAG.sub(lambda m: _FLAGS[m.group(0)], message)


# -- the console's settings -------------------------------------------------------------

def _console(out: list[Problem], top: _Table) -> None:
    theme = top.get("theme")
    if theme is not None and theme not in theme_names():
        top.problem("theme", f'unknown theme "{theme}"' + (
            did_you_mean(theme, theme_names())
            or f"; the themes are: {', '.join(theme_names())}"))
    options = top.get("options")
    if options is not None:
        _Table(out, options, ("options",), "[options]", dict.fromkeys(OPTION_NAMES, BOOL))
    keymap = top.get("keymap")
    if keymap is None:
        return
    table = _Table(out, keymap, ("keymap",), "[keymap]", None)
    valid: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str):
            table.problem(binding_id, f'[keymap] "{binding_id}" must be a string of keys, '
                          'e.g. "j,down"')
            continue
        try:
            normalize_overrides({binding_id: keys})
        except KeymapError as exc:
            table.problem(binding_id, f"[keymap]: {_keymap_message(exc)}")
            continue
        valid[binding_id] = keys
    try:
        resolve_keymap(valid)
    except KeymapError as exc:
        named = [b for b in valid if f" {b}" in str(exc) or f'"{b}"' in str(exc)]
        table.problem(named[-1] if named else (), f"[keymap]: {_keymap_message(exc)}")


def _keymap_message(exc: KeymapError) -> str:
    return str(exc).removeprefix("keymap: ")


# -- store-wide settings ----------------------------------------------------------------

def _imap_defaults(out: list[Problem], data: dict[str, Any]) -> ImapDefaultsDecl:
    path: Path = ("imap_defaults",)
    table = _Table(out, data, path, "[imap_defaults]", IMAP_DEFAULTS_KEYS)
    host, port, security = table.text("host"), table.get("port"), table.get("security")
    ca_file, every = table.text("ca_file"), table.get("check_every")
    names = {"imap_host": "host", "imap_port": "port"}
    if host:
        table.engine("host", lambda: validate(replace(_BASE, imap_host=host)), names=names)
    if port is not None:
        table.engine("port", lambda: validate(replace(_BASE, imap_port=port)), names=names)
    if security is not None:
        table.engine("security", lambda: validate(replace(_BASE, security=security)))
    if ca_file:
        table.engine("ca_file", lambda: validate(replace(_BASE, ca_file=ca_file)))
        ca_file = str(FilePath(ca_file))
    if every is not None:
        table.engine("check_every", lambda: validate(replace(_BASE, check_every_minutes=every)))
    return ImapDefaultsDecl(path, host or None, port, security, ca_file or None, every)


def _smtp(out: list[Problem], data: dict[str, Any], path: Path, where: str,
          keys: Mapping[str, str], *, oauth: bool) -> SmtpDecl:
    """[smtp] or [accounts.smtp]; `oauth`: the account logs in with a token, which its
    provider's SMTP takes too."""
    table = _Table(out, data, path, where, keys)
    use_system = bool(table.get("system"))
    host, port = table.text("host"), table.get("port")
    security = table.get("security") or "starttls"
    command, ref = table.get("password_command"), table.get("password_ref")
    auth = table.get("auth")
    if use_system:
        extra = [k for k in data if k not in ("system", "reply_to", "server_saves_sent")]
        if extra:
            table.problem(extra[0], f"{where} sends through the system SMTP (system = "
                          f"true): {', '.join(extra)} belong to the system SMTP, in [smtp]; "
                          "remove them")
    else:
        if not host and "host" not in data:
            table.problem((), f"{where} needs host (the SMTP server); or, for an account, "
                          "system = true to send through the system SMTP")
        elif not host:
            table.problem("host", f"host in {where} is empty; give the SMTP server's name")
        if security not in SMTP_SECURITIES:
            table.problem("security", f'security "{security}" in {where} is not known; '
                          f"choose {', '.join(SMTP_SECURITIES)}")
        if port is not None and not 0 < port < 65536:
            table.problem("port", f"port {port} in {where} is not a port; give 1 to 65535")
        _password_keys(table, command, ref, auth is False, oauth=oauth, what="SMTP")
    reply_to = table.text("reply_to") or ""
    if reply_to and "@" not in reply_to:
        table.problem("reply_to", f'reply_to "{reply_to}" in {where} is not an address; '
                      "give one like support@example.com")
    ca_file = table.text("ca_file")
    if ca_file and not FilePath(ca_file).is_file():
        table.problem("ca_file", f"ca_file {ca_file} in {where}: no such file; give the "
                      "path of a PEM CA bundle")
    return SmtpDecl(
        path=path, use_system=use_system, host=host, port=port, security=security,
        username=table.text("username") or None, password_command=command or None,
        password_ref=ref == PASSWORD_REF, auth=auth is not False, ca_file=ca_file or None,
        verify_cert=table.get("verify_cert") is not False, reply_to=reply_to,
        server_saves_sent=bool(table.get("server_saves_sent")),
    )


def _password_keys(table: _Table, command: str | None, ref: str | None, no_auth: bool, *,
                   oauth: bool, what: str) -> None:
    """One way to log in: a password command, the stored password, or (SMTP) none."""
    if ref is not None and ref != PASSWORD_REF:
        # The value is not repeated: it may be a password written in the wrong place.
        table.problem("password_ref", f'password_ref in {table.where} can only be "stored" '
                      "(keep the password stored for it); for another password give "
                      'password_command = "CMD", a command that prints it')
    if command is not None and not command.strip():
        table.problem("password_command", f"password_command in {table.where} is empty; "
                      "give a command that prints the password")
    given = [k for k in ("password_command", "password_ref") if k in table.table]
    if no_auth and given:
        table.problem(given[0], f"{table.where} has auth = false: it takes no "
                      f"{given[0]}; remove one of the two")
    elif len(given) > 1:
        table.problem(given[1], f"{table.where} gives both password_command and "
                      "password_ref; keep one")
    elif not given and not no_auth and not oauth and not table.secrets:
        table.problem((), f"{table.where} says no {what} password: give password_command = "
                      '"CMD" (a command that prints it), password_ref = "stored" to keep '
                      "the one stored, or auth = false")


# -- accounts ---------------------------------------------------------------------------

def _account(out: list[Problem], data: dict[str, Any], index: int,
             earlier: list[AccountDecl]) -> AccountDecl | None:
    path: Path = ("accounts", index)
    raw_name = data.get("name")
    named = raw_name.strip() if isinstance(raw_name, str) else ""
    where = f'[[accounts]] "{named}"' if named else f"[[accounts]] #{index + 1}"
    table = _Table(out, data, path, where, ACCOUNT_KEYS)
    name, email = table.text("name"), table.text("email")
    for key, value in (("name", name), ("email", email)):
        if value is None and key not in data:
            table.problem((), f"{where} has no {key}; every account needs name and email")
    if name is not None:
        table.engine("name", lambda: validate(replace(_BASE, name=name)))
        if any(a.name == name for a in earlier):
            table.problem("name", f'{where} is declared twice; rename or remove one')
    if email is not None:
        table.engine("email", lambda: validate(replace(_BASE, email=email)))
    protocol = table.get("protocol") or "imap"
    if POP3:
        table.engine("protocol", lambda: validate(replace(
            _BASE, protocol=protocol, imap_host="server.example")))
    plain = _plain_settings(table, data, protocol)
    oauth = table.get("oauth")
    if oauth is not None:
        table.engine("oauth", lambda: validate(replace(_BASE, oauth=oauth)))
    given = [k for k in ("password_command", "password_ref", "oauth") if k in data]
    if len(given) > 1:
        table.problem(given[1], f"{where} gives {' and '.join(given)}; keep one way to log "
                      "in")
    elif not given and not table.secrets:
        table.problem((), f'{where} says no password: give password_command = "CMD" (a '
                      'command that prints it), password_ref = "stored" to keep the one '
                      'stored, or oauth = "microsoft" or "google"')
    else:
        _password_keys(table, table.get("password_command"), table.get("password_ref"),
                       False, oauth=True, what="IMAP")
    folders = table.get("folders")
    if folders is not None:
        folders = tuple(f.strip() for f in folders if f.strip())
        table.engine("folders", lambda: validate(replace(_BASE, folders=folders)))
    shared = table.get("shared")
    share = table.get("share")
    mirror = table.get("mirror_drafts")
    if mirror and shared:
        table.problem("mirror_drafts", f"{where} is shared: shared accounts never mirror "
                      "drafts; remove mirror_drafts")
    if share is not None and shared is False:
        table.problem("share", f"share in {where}: it is a personal account (shared = "
                      "false); its owner grants access with `frontdesk account grant`")
    smtp = table.get("smtp")
    decl = AccountDecl(
        path=path, name=name or "", email=email or "", plain=plain, shared=shared,
        protocol=protocol, password_ref=table.get("password_ref") == PASSWORD_REF,
        oauth=oauth, folders=folders, roles=_roles(table, table.get("roles")),
        deny=_deny(table, table.get("deny")), signature=table.get("signature"),
        share=None if share is None else _share(out, share, (*path, "share"), where),
        smtp=None if smtp is None else _smtp(
            out, smtp, (*path, "smtp"), f'[accounts.smtp] of "{name}"', ACCOUNT_SMTP_KEYS,
            oauth=oauth is not None),
        mirror_drafts=mirror,
        pop3={k: table.get(k) for k in ("delete_after_import", "sent_to")
              if POP3 and table.get(k) is not None},
    )
    decl = replace(decl, valid=not table.bad)
    if decl.valid and name and email:
        table.engine((), lambda: validate(decl.spec()))  # what the keys say together
        decl = replace(decl, valid=not table.bad)
    return decl if name else None


def _plain_settings(table: _Table, data: dict[str, Any], protocol: str) -> dict[str, Any]:
    """The settings `account set` changes, as given and checked by the engine."""
    pop3 = protocol == "pop3"
    host_key, port_key = ("pop3_host", "pop3_port") if pop3 else ("imap_host", "imap_port")
    for wrong in (("imap_host", "imap_port") if pop3 else ("pop3_host", "pop3_port")):
        if wrong in data:
            table.problem(wrong, f"{wrong} in {table.where}: this is "
                          f"{'a POP3' if pop3 else 'an IMAP'} account; name its server "
                          f"with {host_key} and {port_key}")
    plain: dict[str, Any] = {}
    checks: dict[str, Callable[[Any], AccountSpec]] = {
        host_key: lambda v: replace(_BASE, imap_host=v),
        port_key: lambda v: replace(_BASE, imap_port=v),
        "security": lambda v: replace(_BASE, security=v),
        "ca_file": lambda v: replace(_BASE, ca_file=v or None),
        "check_every": lambda v: replace(_BASE, check_every_minutes=v),
    }
    servers = {"imap_host", "imap_port", "pop3_host", "pop3_port"} - {host_key, port_key}
    for key in PLAIN_KEYS:
        value = table.get(key) if key in table.keys else None
        if value is None or key in servers:
            continue
        if isinstance(value, str):
            value = value.strip()
        check = checks.get(key)
        if check is not None and not table.engine(key, _checking(check, value)):
            continue
        if key == "ca_file" and value:
            value = str(FilePath(value))
        if key == "import":
            try:
                value = parse_import(value)
            except InvalidInputError as exc:
                table.problem(key, f"{table.where}: {_as_keys(str(exc))}")
                continue
        if key in ("display_name", "username") and not value:
            table.problem(key, f"{key} in {table.where} is empty; leave it out or give "
                          + ("the name shown for it" if key == "display_name" else
                             "the login name"))
            continue
        plain[key] = value
    return plain


def _checking(spec: Callable[[Any], AccountSpec], value: Any) -> Callable[[], object]:
    return lambda: validate(spec(value))


def _roles(table: _Table, roles: dict[str, Any] | None) -> dict[str, str | None] | None:
    if roles is None:
        return None
    found: dict[str, str | None] = {}
    taken: dict[str, str] = {}
    allowed = (*ROLES, "none")
    for folder, role in roles.items():
        where = ("roles", folder)
        if not isinstance(role, str) or role.strip().lower() not in allowed:
            shown = role if isinstance(role, str) else _kind_of(role)
            close = did_you_mean(role.lower(), allowed) if isinstance(role, str) else ""
            table.problem(where, f'role "{shown}" of folder "{folder}" in {table.where} is '
                          f"not a role{close or ';'} choose one of {', '.join(allowed)}")
            continue
        value = role.strip().lower()
        if value != "none" and value in taken:
            table.problem(where, f'{table.where} gives the role {value} to "{taken[value]}" '
                          f'and "{folder}"; a role goes to one folder')
            continue
        taken[value] = folder
        found[folder] = None if value == "none" else value
    return found


def _deny(table: _Table, values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    found: list[str] = []
    for n, value in enumerate(values):
        kind = "address" if "@" in value else "domain"
        try:
            text = normalise(kind, value)
        except InvalidInputError as exc:
            table.problem(("deny", n), f"deny of {table.where}: {exc}")
            continue
        if text not in found:
            found.append(text)
    return tuple(found)


def _share(out: list[Problem], data: dict[str, Any], path: Path, account: str) -> ShareDecl:
    where = f"share of {account.removeprefix('[[accounts]] ')}"
    table = _Table(out, data, path, where, SHARE_KEYS)
    agents, roles = table.get("agents"), table.get("roles")
    if agents is None and roles is None and not table.bad:
        table.problem((), f"{where} names nobody; give agents, roles or both")
    for n, role in enumerate(roles or ()):
        if role not in SHARE_ROLES:
            table.problem(("roles", n), f'role "{role}" in {where} is not known; choose '
                          f"{' or '.join(SHARE_ROLES)}" + did_you_mean(role, SHARE_ROLES))
    return ShareDecl(
        path=path,
        agents=None if agents is None else tuple(dict.fromkeys(a.strip() for a in agents)),
        roles=None if roles is None else tuple(dict.fromkeys(roles)),
        read_only=bool(table.get("read_only")),
    )


# -- rules and processing modes ---------------------------------------------------------

def _rules(out: list[Problem], tables: list[dict[str, Any]]) -> tuple[RuleDecl, ...]:
    found: list[RuleDecl] = []
    for index, data in enumerate(tables):
        path: Path = ("rules", index)
        account, name = data.get(RULE_ACCOUNT), data.get("name")
        label = (f"{account.strip()}/{name.strip()}" if isinstance(account, str)
                 and isinstance(name, str) else f"#{index + 1}")
        where = f'[[rules]] "{label}"' if "/" in label else f"[[rules]] {label}"
        if not isinstance(account, str) or not account.strip():
            out.append(Problem(path + ((RULE_ACCOUNT,) if RULE_ACCOUNT in data else ()),
                               f"{where} names no account; give account = NAME, the "
                               "account the rule belongs to"))
            account = ""
        rule, active, problems = read_rule(data, account.strip(), ignore=(RULE_ACCOUNT,))
        for problem in problems:
            at: Path = path
            said = where
            if problem.condition is not None:
                at += ("conditions", problem.condition)
                said = f"condition {problem.condition + 1} of {where}"
            if problem.key is not None:
                at += (problem.key,)
            text = problem.message
            if text.startswith("unknown key "):
                known = (CONDITION_KEYS if problem.condition is not None
                         else (RULE_ACCOUNT, *RULE_KEYS))
                text += did_you_mean(problem.key or "", known)
            out.append(Problem(at, f"{said}: {text}"))
        if rule is None or not account.strip():
            continue
        if any(r.rule.account == rule.account and r.rule.name == rule.name for r in found):
            out.append(Problem((*path, "name"), f"{where} is in the file twice; rename "
                               "or remove one"))
            continue
        found.append(RuleDecl(path, rule, active))
    return tuple(found)


def _modes(out: list[Problem], data: dict[str, Any]) -> tuple[ModeDecl, ...]:
    found = []
    for account, mode in data.items():
        if not isinstance(mode, str) or mode not in MODES:
            shown = f'"{mode}"' if isinstance(mode, str) else _kind_of(mode)
            out.append(Problem(("modes", account), f'the processing mode {shown} of '
                               f'"{account}" in [modes] is not known; choose '
                               f"{', '.join(MODES)}"))
            continue
        found.append(ModeDecl(("modes", account), account, mode))
    return tuple(found)
