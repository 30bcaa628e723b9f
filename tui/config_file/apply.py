"""Making the store match a checked config.toml through the Service, the calls the
command line makes, so the engine checks and audits each change as it does there.

One line is printed per change ("account support: check_every 5 -> 10"); a dry run
prints the same lines and calls nothing that changes the store. What the file says the
same as the store is left alone, so applying a file twice changes nothing the second
time. A key left out of the file leaves its setting as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from engine.account_edit import AccountChange
from engine.errors import FrontdeskError, InvalidInputError
from engine.models import (
    AccountSettings,
    Agent,
    ImapDefaultsChange,
    SmtpChange,
    SmtpConfig,
)
from engine.service import Service
from engine.smtp.settings import default_port
from tui.commands.rules_toml import to_save
from tui.config_file.current import Current
from tui.config_file.schema import PLAIN_KEYS, AccountDecl, Declared, SmtpDecl
from tui.config_file.store_checks import is_shared
from tui.toml_edit import format_value

# Config key -> the AccountChange field that changes it.
# The AccountChange field of each plain setting the file gives (import is two fields,
# import_mode and import_since): the key's own name but for these.
_CHANGE_FIELD = {key: {"pop3_host": "imap_host", "pop3_port": "imap_port",
                       "check_every": "check_every_minutes"}.get(key, key)
                 for key in PLAIN_KEYS if key != "import"}


def shown(value: object) -> str:
    """A value as config.toml writes it; (none) for an unset one."""
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        value = list(value)
    return format_value(value)


def stored_setting(account: AccountSettings, key: str) -> Any:
    """An account's own value for a config key (None: unset, or from the defaults)."""
    inherited = account.inherited
    if key in ("imap_host", "pop3_host"):
        return None if "imap_host" in inherited else account.imap_host
    if key in ("imap_port", "pop3_port"):
        return None if "imap_port" in inherited else account.imap_port
    if key == "security":
        return None if "imap_security" in inherited else account.imap_security
    if key == "ca_file":
        return None if "ca_file" in inherited else account.ca_file
    if key == "username":
        return account.imap_username
    if key == "check_every":
        return account.check_every_minutes
    if key == "import":
        return (account.import_mode, account.import_since)
    return getattr(account, key)


@dataclass
class Report:
    """What applying did (or, in a dry run, would do)."""

    changes: int = 0


class Applier:
    """Applies `declared` over `current` as `agent`; `say` prints a change or a note,
    `warn` a warning."""

    def __init__(self, service: Service, current: Current, declared: Declared, *,
                 dry_run: bool, prune: bool, say: Callable[[str], None],
                 warn: Callable[[str], None]) -> None:
        self.service, self.current, self.declared = service, current, declared
        self.agent: Agent = current.agent
        self.dry_run, self.prune = dry_run, prune
        self._say, self._warn = say, warn
        self.report = Report()

    async def run(self) -> Report:
        await self._imap_defaults()
        await self._system_smtp()
        for decl in self.declared.accounts:
            await self._account(decl)
        await self._modes()
        await self._rules()
        await self._not_in_config()
        return self.report

    # -- printing and changing ----------------------------------------------------------

    def change(self, line: str) -> None:
        self.report.changes += 1
        self._say(line)

    def note(self, line: str) -> None:
        self._say(line)

    def warn(self, line: str) -> None:
        self._warn(line)

    async def call(self, label: str, action: Callable[[], Awaitable[object]]) -> None:
        """Run a change unless this is a dry run; a refusal names what was being done."""
        if self.dry_run:
            return
        try:
            await action()
        except FrontdeskError as exc:
            done = self.report.changes - 1
            raise InvalidInputError(
                f"{label}: {exc} ({done} change{'' if done == 1 else 's'} made before "
                "this one; fix it and apply again)") from None

    # -- store-wide settings -------------------------------------------------------------

    async def _imap_defaults(self) -> None:
        want = self.declared.imap_defaults
        if want is None:
            return
        now = self.current.imap_defaults
        pairs = (("host", now.host, want.host), ("port", now.port, want.port),
                 ("security", now.security, want.security),
                 ("ca_file", now.ca_file, want.ca_file),
                 ("check_every", now.check_every_minutes, want.check_every))
        differ = [(key, old, new) for key, old, new in pairs if old != new]
        for key, old, new in differ:
            self.change(f"imap defaults: {key} {shown(old)} -> {shown(new)}")
        if differ:
            # The table is the whole of the defaults: start empty, set what it gives.
            await self.call("imap defaults", lambda: self.service.set_imap_defaults(
                self.agent, ImapDefaultsChange(
                    host=want.host, port=want.port, security=want.security,
                    ca_file=want.ca_file, check_every_minutes=want.check_every,
                    clear=True)))

    async def _system_smtp(self) -> None:
        want = self.declared.system_smtp
        if want is None:
            return
        differ = smtp_differences(want, self.current.system_smtp, system=True)
        self._smtp_lines("system smtp", want, differ)
        if differ:
            await self.call("system smtp", lambda: self.service.configure_system_smtp(
                self.agent, smtp_change(want)))

    def _smtp_lines(self, label: str, want: SmtpDecl,
                    differ: Sequence[tuple[str, object, object]]) -> None:
        if differ and differ[0][0] == "":
            server = ("the system SMTP" if want.use_system else
                      f"{want.host}:{want.port or default_port(want.security)} "
                      f"({want.security})")
            self.change(f"{label}: set to {server}")
            return
        for key, old, new in differ:
            if key == "login":
                self.change(f"{label}: login {old} -> {new}")
            elif key == "password_command":
                self.change(f"{label}: password_command changed")
            else:
                self.change(f"{label}: {key} {shown(old)} -> {shown(new)}")

    # -- accounts --------------------------------------------------------------------------

    async def _account(self, decl: AccountDecl) -> None:
        existing = self.current.managed.get(decl.name)
        shared = is_shared(decl, self.current)
        if existing is None:
            await self._add(decl)
        else:
            await self._settings(decl, existing)
        await self._folders(decl, existing)
        await self._smtp(decl, existing)
        await self._deny(decl, existing)
        await self._signature(decl, shared)
        await self._mirror(decl, existing)
        await self._share(decl)  # last: it may take the account out of the agent's sight

    async def _add(self, decl: AccountDecl) -> None:
        spec = decl.spec()
        kind = "shared account" if spec.shared else "account"
        server = f" on {spec.imap_host}" if spec.imap_host else ""
        self.change(f"account {decl.name}: add ({kind} {spec.email}{server})")
        await self.call(f"account {decl.name}",
                        lambda: self.service.add_account(self.agent, spec, None))
        if decl.plain.get("enabled") is False:  # `account add` always adds it enabled
            self.change(f"account {decl.name}: enabled true -> false")
            await self.call(f"account {decl.name}", lambda: self.service.change_account(
                self.agent, decl.name, AccountChange(enabled=False)))
        if decl.oauth is not None:
            self.note(f"account {decl.name}: sign it in with `frontdesk account reconnect "
                      f"{decl.name}`")

    async def _settings(self, decl: AccountDecl, existing: AccountSettings) -> None:
        values: dict[str, Any] = {}
        for key, want in decl.plain.items():
            if key == "password_command" and decl.oauth is not None:
                continue
            old = stored_setting(existing, key)
            if key in ("imap_host", "pop3_host", "ca_file"):
                want = want or None
            if want == old:
                continue
            if key == "password_command":
                self.change(f"account {decl.name}: password_command "
                            + ("set" if old is None else "changed"))
            elif key == "import":
                self.change(f"account {decl.name}: import {shown(_import(old))} -> "
                            f"{shown(_import(want))}")
            else:
                self.change(f"account {decl.name}: {key} {shown(old)} -> {shown(want)}")
            if key == "import":
                values["import_mode"], values["import_since"] = want
            else:
                values[_CHANGE_FIELD[key]] = "" if want is None else want
        if decl.password_ref and existing.password_command and decl.oauth is None:
            self.change(f"account {decl.name}: password_command removed (the stored "
                        "password is used)")
            values["password_command"] = ""
        for key, want in decl.pop3.items():
            old = getattr(existing, "sent_account" if key == "sent_to" else key, None)
            if want != old:
                self.change(f"account {decl.name}: {key} {shown(old)} -> {shown(want)}")
                values[key] = want
        if values:
            change = AccountChange(**values)
            await self.call(f"account {decl.name}", lambda: self.service.change_account(
                self.agent, decl.name, change))

    async def _folders(self, decl: AccountDecl, existing: AccountSettings | None) -> None:
        sync_now = tuple(existing.sync_folders if existing else decl.spec().folders)
        want_sync = decl.folders
        sync_differs = want_sync is not None and tuple(want_sync) != sync_now
        roles = decl.roles or {}
        if not sync_differs and not roles:
            return
        stored = ([] if existing is None else
                  await self.service.account_folders(self.agent, decl.name, refresh=False))
        if not sync_differs and not _role_changes(roles, stored):
            return
        if not self.dry_run:
            try:
                stored = await self.service.account_folders(self.agent, decl.name,
                                                            refresh=True)
            except FrontdeskError as exc:
                self.warn(f"account {decl.name}: cannot read its folders from the server "
                          f"({exc}); its folders and roles are left as they are")
                return
            on_server = {f.name for f in stored}
            missing = [f for f in (*(want_sync or ()), *roles)
                       if f not in on_server and f.upper() != "INBOX"]
            if missing:
                self.warn(f'account {decl.name}: no folder "{missing[0]}" on the server; '
                          "its folders and roles are left as they are (see `frontdesk "
                          f"account folders {decl.name}`)")
                return
        changes = _role_changes(roles, stored)
        if sync_differs:
            self.change(f"account {decl.name}: folders {shown(sync_now)} -> "
                        f"{shown(want_sync)}")
        for folder, (old, new) in changes.items():
            self.change(f'account {decl.name}: role of "{folder}" {old or "none"} -> '
                        f"{new or 'none'}")
        if sync_differs or changes:
            await self.call(f"account {decl.name}", lambda: self.service.configure_folders(
                self.agent, decl.name, sync=list(want_sync) if sync_differs and want_sync
                else None, roles={f: new for f, (_, new) in changes.items()} or None))

    async def _smtp(self, decl: AccountDecl, existing: AccountSettings | None) -> None:
        want = decl.smtp
        if want is None:
            return
        now = self.current.smtp.get(decl.name) if existing is not None else None
        differ = smtp_differences(want, now, system=False)
        self._smtp_lines(f"account {decl.name}: smtp", want, differ)
        if differ:
            await self.call(f"account {decl.name}: smtp", lambda: self.service.configure_smtp(
                self.agent, decl.name, smtp_change(want)))

    async def _deny(self, decl: AccountDecl, existing: AccountSettings | None) -> None:
        if decl.deny is None:
            return
        entries = {e.value: e for e in self.current.blocks
                   if existing is not None and e.account_id == existing.id}
        for value in decl.deny:
            if value in entries:
                continue
            self.change(f"account {decl.name}: deny + {value}")
            kind = "address" if "@" in value else "domain"
            await self.call(f"account {decl.name}: deny", partial(
                self.service.block, self.agent, kind, value, account=decl.name))
        for value, entry in entries.items():
            if value in decl.deny:
                continue
            self.change(f"account {decl.name}: deny - {value}")
            await self.call(f"account {decl.name}: deny", partial(
                self.service.unblock, self.agent, entry.id))

    async def _signature(self, decl: AccountDecl, shared: bool) -> None:
        if decl.signature is None:
            return
        want = decl.signature.replace("\r\n", "\n").replace("\r", "\n")
        now = self.current.signature(decl.name, shared=shared)
        label = f"account {decl.name}: signature"
        if not want.strip():
            if now is not None:
                self.change(f"{label} cleared")
                await self.call(label, lambda: self.service.clear_signature(
                    self.agent, account=decl.name, company=shared))
            return
        if want == now:
            return
        self.change(f"{label} {'set' if now is None else 'changed'}")
        await self.call(label, lambda: self.service.set_signature(
            self.agent, want, account=decl.name, company=shared))

    async def _mirror(self, decl: AccountDecl, existing: AccountSettings | None) -> None:
        want = decl.mirror_drafts
        now = existing.mirror_drafts if existing is not None else False
        if want is None or want == now:
            return
        self.change(f"account {decl.name}: mirror_drafts {shown(now)} -> {shown(want)}")
        await self.call(f"account {decl.name}", lambda: self.service.set_drafts_mirror(
            self.agent, decl.name, want))

    async def _share(self, decl: AccountDecl) -> None:
        share = decl.share
        if share is None:
            return
        access = self.current.access.get(decl.name)
        if access is None:  # a new shared account lists the admin adding it
            entries: list[tuple[str, str, str]] = [("agent", self.agent.name, "act")]
        else:
            entries = [(e.kind, e.who, e.access) for e in access.entries]
        level = "read" if share.read_only else "act"
        differ = False
        access_differs = False
        for kind, wanted in (("agent", share.agents), ("role", share.roles)):
            if wanted is None:
                continue
            now = sorted(who for k, who, _ in entries if k == kind)
            if now != sorted(wanted):
                differ = True
                self.change(f"account {decl.name}: share {kind}s {shown(now)} -> "
                            f"{shown(sorted(wanted))}")
            access_differs |= any(a != level for k, _, a in entries if k == kind)
        if access_differs:
            differ = True
            self.change(f"account {decl.name}: share read_only {shown(not share.read_only)} "
                        f"-> {shown(share.read_only)}")
        if differ:
            await self.call(f"account {decl.name}: share", lambda: self.service.share_account(
                self.agent, decl.name, agent_names=share.agents, roles=share.roles,
                can_act=not share.read_only))

    # -- rules, modes, and what the file leaves out ---------------------------------------

    async def _modes(self) -> None:
        for mode in self.declared.modes:
            now = self.current.modes.get(mode.account, "none")
            if now == mode.mode:
                continue
            self.change(f"account {mode.account}: processing mode {now} -> {mode.mode}")
            await self.call(f"account {mode.account}", partial(
                self.service.set_processing_mode, self.agent, mode.account, mode.mode))

    async def _rules(self) -> None:
        stored = {(r.account, r.name): r for r in self.current.rules}
        for declared in self.declared.rules:
            rule = declared.rule
            old = stored.get((rule.account, rule.name))
            spec, changed = to_save(rule, declared.active, old)
            label = f"rule {rule.account}/{rule.name}"
            if old is None:
                self.change(f"{label}: add ({rule.kind}, {'on' if spec.active else 'off'})")
            elif changed:
                self.change(f"{label}: change")
            else:
                continue
            await self.call(label, partial(self.service.save_rule, self.agent, spec))
        named = {(r.rule.account, r.rule.name) for r in self.declared.rules}
        accounts = {a.name for a in self.declared.accounts}
        for key, rule in stored.items():
            if rule.account not in accounts or key in named:
                continue
            label = f"rule {rule.account}/{rule.name}"
            if not self.prune:
                self.note(f"{label}: not in the config; left alone (--prune removes it)")
                continue
            self.change(f"{label}: removed (not in the config)")
            await self.call(label, partial(self.service.remove_rule, self.agent, rule.id))

    async def _not_in_config(self) -> None:
        declared = {a.name for a in self.declared.accounts}
        for name in sorted(set(self.current.managed) - declared):
            if not self.prune:
                self.note(f"account {name}: not in the config; left alone (--prune removes "
                          "it, and its mail, from the store)")
                continue
            self.change(f"account {name}: removed with its mail from the store (not in the "
                        "config; the server is untouched)")
            await self.call(f"account {name}", partial(
                self.service.remove_account, self.agent, name))


def _import(value: tuple[str, str | None]) -> str:
    mode, since = value
    return f"since:{since}" if mode == "since" else mode


class _Folder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str | None: ...


def _role_changes(roles: dict[str, str | None], stored: Sequence[_Folder]
                  ) -> dict[str, tuple[str | None, str | None]]:
    """Folder -> (role now, role wanted) for each folder whose role is to change."""
    now = {f.name: f.role for f in stored}
    return {folder: (now.get(folder), role) for folder, role in roles.items()
            if folder not in now or now[folder] != role}


def smtp_change(want: SmtpDecl) -> SmtpChange:
    """What configure_smtp is given for a declared SMTP: no password (a stored one is
    kept when the file says password_ref = "stored")."""
    return SmtpChange(
        host=want.host, port=want.port, security=want.security, username=want.username,
        password=None, password_command=want.password_command, no_auth=not want.auth,
        ca_file=want.ca_file, verify_cert=want.verify_cert, reply_to=want.reply_to,
        use_system=want.use_system, server_saves_sent=want.server_saves_sent)


def smtp_login(config: SmtpConfig | SmtpDecl) -> str:
    """How an SMTP server is logged in to, in words (never the secret)."""
    if not config.auth:
        return "none"
    if config.password_command:
        return "password_command"
    if isinstance(config, SmtpDecl):
        return "stored password" if config.password_ref else "token"
    return "stored password" if config.has_password else "token"


def smtp_differences(want: SmtpDecl, now: SmtpConfig | None, *, system: bool
                     ) -> list[tuple[str, object, object]]:
    """(key, now, wanted) for each difference; [("", None, None)] when no SMTP is set
    yet. The password command itself is compared but never shown."""
    if now is None or (now.host is None and not now.use_system):
        return [("", None, None)]
    pairs: list[tuple[str, object, object]] = []
    if not system:
        pairs.append(("system", now.use_system, want.use_system))
        pairs += [("reply_to", now.reply_to, want.reply_to),
                  ("server_saves_sent", now.server_saves_sent, want.server_saves_sent)]
    if not want.use_system:
        pairs += [
            ("host", now.host, want.host),
            ("port", now.port, want.port or default_port(want.security)),
            ("security", now.security, want.security),
            ("username", now.username, want.username),
            ("ca_file", now.ca_file, want.ca_file),
            ("verify_cert", now.verify_cert, want.verify_cert),
            ("login", smtp_login(now), smtp_login(want)),
        ]
        if smtp_login(now) == smtp_login(want) == "password_command":
            pairs.append(("password_command", now.password_command, want.password_command))
    return [(key, old, new) for key, old, new in pairs if old != new]
