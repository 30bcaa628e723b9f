"""The checks of config.toml that need the store, made on a read of it (Current): who
may declare what, whether the accounts, agents and templates named exist, whether a
password kept as "stored" is there to keep, and whether texts render."""

from __future__ import annotations

from dataclasses import fields

from engine.account_edit import AccountChange
from engine.errors import FrontdeskError
from engine.templates import check_renders
from tui.commands.rules_toml import check_response
from tui.config_file.current import Current
from tui.config_file.problems import Problem, did_you_mean
from tui.config_file.schema import AccountDecl, Declared

_CHANGEABLE = frozenset(f.name for f in fields(AccountChange))


def is_shared(decl: AccountDecl, current: Current) -> bool:
    """Whether the declared account is (or is to be) a shared one."""
    if decl.shared is not None:
        return decl.shared
    existing = current.managed.get(decl.name)
    return existing is not None and existing.kind == "shared"


def will_see(decl: AccountDecl, current: Current) -> bool:
    """Whether the agent will still see the account once its share is applied (deny
    lists, signatures and processing modes are read only on accounts one sees)."""
    if not is_shared(decl, current):
        return True
    access = current.access.get(decl.name)
    if access is None:  # a new shared account lists the admin adding it
        agents, roles = {current.agent.name}, set()
    else:
        agents = {e.who for e in access.entries if e.kind == "agent"}
        roles = {e.who for e in access.entries if e.kind == "role"}
    share = decl.share
    if share is not None and share.agents is not None:
        agents = set(share.agents)
    if share is not None and share.roles is not None:
        roles = set(share.roles)
    return current.agent.name in agents or current.agent.role in roles


async def check_store(declared: Declared, current: Current) -> list[Problem]:
    """Every problem of `declared` that only the store shows."""
    out: list[Problem] = []
    admin = current.admin
    if declared.imap_defaults is not None and not admin:
        out.append(Problem(declared.imap_defaults.path, "[imap_defaults] is for admins: "
                           "only an admin can set the IMAP defaults; remove it, or apply "
                           "the file as an admin"))
    system = declared.system_smtp
    if system is not None and not admin:
        out.append(Problem(system.path, "[smtp] is for admins: only an admin can set the "
                           "system SMTP; remove it, or apply the file as an admin"))
    elif system is not None and system.password_ref and not (
            current.system_smtp is not None and current.system_smtp.has_password):
        out.append(Problem((*system.path, "password_ref"), 'password_ref = "stored" in '
                           "[smtp]: no system SMTP password is stored; give "
                           'password_command = "CMD", or store one with `frontdesk smtp '
                           "system --host HOST --password-stdin`"))
    for decl in declared.accounts:
        out += _account(decl, declared, current)
        if decl.signature is not None and decl.signature.strip():
            try:
                await check_renders(decl.signature, current.agent, html=False,
                                    label=f"signature of {decl.name}")
            except FrontdeskError as exc:
                out.append(Problem((*decl.path, "signature"),
                                   f'signature of [[accounts]] "{decl.name}": {exc}'))
    declared_names = [a.name for a in declared.accounts]
    known = {*declared_names, *current.managed}
    for rule in declared.rules:
        name = rule.rule.account
        where = f'[[rules]] "{name}/{rule.rule.name}"'
        if name not in known:
            out.append(Problem((*rule.path, "account"), _unknown_account(
                name, where, declared_names, current)))
            continue
        try:
            await check_response(rule.rule, current.agent, current.templates)
        except FrontdeskError as exc:
            key = "template" if rule.rule.template else "body"
            out.append(Problem((*rule.path, key), f"{where}: {exc}"))
    for mode in declared.modes:
        owner = declared.account(mode.account)
        if mode.account not in known:
            out.append(Problem(mode.path, _unknown_account(
                mode.account, "[modes]", declared_names, current)))
        elif (owner is not None and not will_see(owner, current)) or (
                owner is None and mode.account not in current.visible):
            out.append(Problem(mode.path, f'[modes] "{mode.account}": you will not see '
                               f"{mode.account} once its share is applied, and a processing "
                               f"mode can be set only on an account you see; add "
                               f'"{current.agent.name}" to its share.agents'))
    return out


def _unknown_account(name: str, where: str, declared: list[str], current: Current) -> str:
    hint = did_you_mean(name, [*declared, *current.managed])
    return (f'account "{name}" of {where} is neither declared in [[accounts]] nor one you '
            f"configure{hint or '; declare it, or fix the name'}")


def _account(decl: AccountDecl, declared: Declared, current: Current) -> list[Problem]:
    out: list[Problem] = []
    path, name, where = decl.path, decl.name, f'[[accounts]] "{decl.name}"'
    existing = current.managed.get(name)
    shared = is_shared(decl, current)
    agent = current.agent
    if existing is None and name in current.visible:
        return [Problem((*path, "name"), f"{where}: you see {name} but do not configure "
                        "it (its owner does, or an admin for a shared one); remove it "
                        "from the file")]
    if existing is None:
        out += _new_account(decl, declared, current, shared)
    else:
        out += _existing_account(decl, current)
    inferred = decl.shared is None  # read_config reports what shared = true|false says
    if decl.share is not None:
        if inferred and not shared:
            out.append(Problem((*path, "share"), f"share in {where}: it is a personal "
                               "account; its owner grants access with `frontdesk account "
                               "grant`, and shared = true makes a shared one"))
        for n, member in enumerate(decl.share.agents or ()):
            if member not in current.agents:
                out.append(Problem((*decl.share.path, "agents", n), f'unknown agent '
                                   f'"{member}" in share of "{name}"'
                                   + (did_you_mean(member, current.agents)
                                      or "; see `frontdesk agent list`")))
    if decl.mirror_drafts and shared and inferred:
        out.append(Problem((*path, "mirror_drafts"), f"{where} is shared: shared accounts "
                           "never mirror drafts; remove mirror_drafts"))
    hidden = [k for k in ("deny", "signature") if getattr(decl, k) is not None]
    if hidden and not will_see(decl, current):
        out.append(Problem((*path, hidden[0]), f"{where}: {' and '.join(hidden)} can be set "
                           f"only on an account you see, and its share leaves you out; add "
                           f'"{agent.name}" to share.agents (or "{agent.role}" to '
                           "share.roles), or remove them"))
    sent_to = decl.pop3.get("sent_to")
    if sent_to and declared.account(sent_to) is None and sent_to not in current.managed:
        out.append(Problem((*path, "sent_to"), _unknown_account(
            sent_to, f"sent_to of {where}", [a.name for a in declared.accounts], current)))
    return out


def _new_account(decl: AccountDecl, declared: Declared, current: Current,
                 shared: bool) -> list[Problem]:
    out: list[Problem] = []
    path, name, where = decl.path, decl.name, f'[[accounts]] "{decl.name}"'
    agent = current.agent
    if shared and not current.admin:
        out.append(Problem((*path, "shared"), f"{where}: only an admin can add a shared "
                           "account; ask one, or make it a personal one of yours"))
    if (not shared and not current.admin and decl.email
            and decl.email.lower() not in current.addresses):
        out.append(Problem((*path, "email"), f"{where}: {decl.email} is not one of your "
                           "addresses; ask an admin to assign it to you (frontdesk agent "
                           f"address add {agent.name} {decl.email})"))
    if decl.password_ref:
        out.append(Problem((*path, "password_ref"), f'{where} is not in the store, so it '
                           'has no stored password to keep; give password_command = "CMD" '
                           f"(a command that prints it), or add it first with `frontdesk "
                           f"account add {name} --password-stdin ...`"))
    host_key = "pop3_host" if decl.protocol == "pop3" else "imap_host"
    defaults = declared.imap_defaults
    default_host = (defaults.host if defaults is not None
                    else getattr(current.imap_defaults, "host", None))
    if not decl.plain.get(host_key) and decl.oauth is None and (
            shared or decl.protocol == "pop3" or not default_host):
        out.append(Problem(path, f"{where} has no {host_key}: give the server"
                           + ("" if shared or decl.protocol == "pop3" else
                              ", or set one for everyone in [imap_defaults]")))
    if decl.smtp is not None and decl.smtp.password_ref:
        out.append(Problem((*decl.smtp.path, "password_ref"), f'password_ref = "stored" in '
                           f'[accounts.smtp] of "{name}": the account is new, so no SMTP '
                           'password is stored; give password_command = "CMD"'))
    return out


def _existing_account(decl: AccountDecl, current: Current) -> list[Problem]:
    out: list[Problem] = []
    path, name, where = decl.path, decl.name, f'[[accounts]] "{decl.name}"'
    existing = current.managed[name]
    if decl.shared is not None and decl.shared != (existing.kind == "shared"):
        out.append(Problem((*path, "shared"), f"{where} is a {existing.kind} account in the "
                           "store, and that cannot change; remove the account and add it "
                           "again, or fix shared"))
    protocol = getattr(existing, "protocol", "imap")
    if decl.protocol != protocol:
        out.append(Problem((*path, "protocol"), f"{where} is a {protocol} account in the "
                           "store, and that cannot change; remove it and add it again"))
    if decl.oauth != existing.oauth_provider:
        said = (f"signs in with {existing.oauth_provider} (oauth)"
                if existing.oauth_provider else "logs in with a password")
        out.append(Problem((*path, "oauth") if decl.oauth else path, f"{where} {said} in the "
                           "store, and that cannot change here; "
                           + (f'write oauth = "{existing.oauth_provider}"'
                              if existing.oauth_provider else "remove oauth")))
    if decl.password_ref and not existing.has_password and not existing.oauth_provider:
        out.append(Problem((*path, "password_ref"), f'{where}: password_ref = "stored" but '
                           f"no password is stored for {name}; give password_command = "
                           f'"CMD", or store one with `frontdesk account password {name} '
                           "--password-stdin`"))
    smtp = current.smtp.get(name)
    if (decl.smtp is not None and decl.smtp.password_ref
            and not (smtp is not None and smtp.has_password)):
        out.append(Problem((*decl.smtp.path, "password_ref"), f'password_ref = "stored" in '
                           f'[accounts.smtp] of "{name}": no SMTP password is stored for it; '
                           'give password_command = "CMD", or store one with `frontdesk '
                           f"account smtp {name} ... --password-stdin`"))
    for key, value in decl.pop3.items():
        stored = getattr(existing, "sent_account" if key == "sent_to" else key, None)
        if value != stored and key not in _CHANGEABLE:
            out.append(Problem((*path, key), f"{where}: {key} cannot change on an account "
                               "in the store; remove the account and add it again, or write "
                               "what it is now"))
    return out
