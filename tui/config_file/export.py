"""The current settings as a config.toml: the console's own (theme, options, key
remaps), and what the agent configures in the store. Never a secret: a password comes
out as the password_command that prints it, or as password_ref = "stored" when the
store keeps it. `config check` passes on what this writes, and `config apply` of it on
the same store changes nothing."""

from __future__ import annotations

from engine.models import AccessEntry, AccountSettings, SmtpConfig
from engine.service import Service
from tui.commands.rules_toml import multiline_string, rule_toml
from tui.config import OPTION_NAMES, Config
from tui.config_file.apply import stored_setting
from tui.config_file.current import Current
from tui.toml_edit import format_key, format_string, format_value

HEADER = ("# frontdesk: the whole setup. Check it with `frontdesk config check`, make the "
          "store match it\n# with `frontdesk config apply`. No secret is written here: "
          "passwords come from password_command,\n# or stay where they are stored "
          '(password_ref = "stored").')


async def export_config(service: Service, current: Current, console: Config) -> str:
    """config.toml for the store as `current` reads it and the console's `console`."""
    blocks = [HEADER, _console(console)]
    if current.admin:
        blocks.append(_imap_defaults(current))
        if current.system_smtp is not None and current.system_smtp.host:
            blocks.append(_smtp("[smtp]", current.system_smtp, system=True))
    for name in sorted(current.managed):
        blocks.append(await _account(service, current, current.managed[name]))
    modes = [f"{format_key(name)} = {format_string(current.modes[name])}"
             for name in sorted(current.managed) if name in current.modes]
    if modes:
        blocks.append("\n".join(["[modes]", *modes]))
    rules = sorted((r for r in current.rules if r.account in current.managed),
                   key=lambda r: (r.account, r.position, r.id))
    blocks.extend(rule_toml(r, header="[[rules]]", account=True) for r in rules)
    return "\n\n".join(b for b in blocks if b) + "\n"


def _console(console: Config) -> str:
    lines = [f"theme = {format_string(console.theme)}", "", "[options]"]
    lines += [f"{name} = {format_value(getattr(console.options, name))}"
              for name in OPTION_NAMES]
    if console.keymap:
        lines += ["", "[keymap]"]
        lines += [f"{format_string(k)} = {format_string(v)}" for k, v in console.keymap.items()]
    return "\n".join(lines)


def _imap_defaults(current: Current) -> str:
    found = current.imap_defaults
    lines = ["[imap_defaults]  # the IMAP server personal accounts fall back on"]
    for key, value in (("host", found.host), ("port", found.port),
                       ("security", found.security), ("ca_file", found.ca_file),
                       ("check_every", found.check_every_minutes)):
        if value is not None:
            lines.append(f"{key} = {format_value(value)}")
    return "\n".join(lines)


def _smtp(header: str, config: SmtpConfig, *, system: bool) -> str:
    lines = [header]
    if config.use_system:
        lines.append("system = true")
    else:
        lines.append(f"host = {format_string(config.host or '')}")
        if config.port is not None:
            lines.append(f"port = {config.port}")
        lines.append(f"security = {format_string(config.security or 'starttls')}")
        if config.username:
            lines.append(f"username = {format_string(config.username)}")
        if not config.auth:
            lines.append("auth = false")
        elif config.password_command:
            lines.append(f"password_command = {format_string(config.password_command)}")
        elif config.has_password:
            lines.append('password_ref = "stored"')
        if config.ca_file:
            lines.append(f"ca_file = {format_string(config.ca_file)}")
        lines.append(f"verify_cert = {format_value(config.verify_cert)}")
    if not system:
        lines.append(f"reply_to = {format_string(config.reply_to)}")
        lines.append(f"server_saves_sent = {format_value(config.server_saves_sent)}")
    return "\n".join(lines)


async def _account(service: Service, current: Current, account: AccountSettings) -> str:
    name = account.name
    shared = account.kind == "shared"
    pop3 = getattr(account, "protocol", "imap") == "pop3"
    server = "pop3" if pop3 else "imap"
    lines = ["[[accounts]]", f"name = {format_string(name)}",
             f"email = {format_string(account.email)}",
             f"display_name = {format_string(account.display_name)}",
             f"shared = {format_value(shared)}"]
    if pop3:
        lines.append('protocol = "pop3"')
    for key, wrote in (("imap_host", f"{server}_host"), ("imap_port", f"{server}_port"),
                       ("security", "security"), ("username", "username"),
                       ("ca_file", "ca_file")):
        value = stored_setting(account, key)
        if value is not None:
            lines.append(f"{wrote} = {format_value(value)}")
    lines.append(f"verify_cert = {format_value(account.verify_cert)}")
    if account.oauth_provider:
        lines.append(f"oauth = {format_string(account.oauth_provider)}")
    elif account.password_command:
        lines.append(f"password_command = {format_string(account.password_command)}")
    else:
        lines.append('password_ref = "stored"')
    lines.append(f"folders = {format_value(list(account.sync_folders))}")
    roles = {f.name: f.role or "none"
             for f in await service.account_folders(current.agent, name, refresh=False)
             if f.role_source == "user"}
    if roles:
        lines.append(f"roles = {format_value(roles)}")
    since = f":{account.import_since}" if account.import_mode == "since" else ""
    lines.append(f"import = {format_string(account.import_mode + since)}")
    lines.append(f"check_every = {account.check_every_minutes}")
    lines.append(f"mark_read_on_import = {format_value(account.mark_read_on_import)}")
    if not pop3:
        lines.append(f"write_read_status = {format_value(account.write_read_status)}")
    lines.append(f"enabled = {format_value(account.enabled)}")
    if pop3:
        lines.append("delete_after_import = "
                     + format_value(bool(getattr(account, "delete_after_import", False))))
        sent_to = getattr(account, "sent_account", None)
        if sent_to:
            lines.append(f"sent_to = {format_string(sent_to)}")
    if not shared:
        lines.append(f"mirror_drafts = {format_value(account.mirror_drafts)}")
    if name in current.visible:
        deny = [e.value for e in current.blocks if e.account_id == account.id]
        lines.append(f"deny = {format_value(deny)}")
        signature = current.signature(name, shared=shared)
        if signature is not None:
            lines.append(f"signature = {multiline_string(signature)}")
    access = current.access.get(name)
    if shared and access is not None:
        lines.append(_share(access.entries))
    smtp = current.smtp.get(name)
    if smtp is not None and (smtp.host or smtp.use_system):
        lines += ["", _smtp("[accounts.smtp]", smtp, system=False)]
    return "\n".join(lines)


def _share(entries: tuple[AccessEntry, ...]) -> str:
    members = [e for e in entries if e.kind in ("agent", "role")]
    agents = sorted(e.who for e in members if e.kind == "agent")
    roles = sorted(e.who for e in members if e.kind == "role")
    read_only = bool(members) and all(e.access == "read" for e in members)
    table = {"agents": agents, "roles": roles, "read_only": read_only}
    line = f"share = {format_value(table)}"
    if any(e.access != ("read" if read_only else "act") for e in members):
        line += "  # some have other access: see `frontdesk account access`"
    return line
