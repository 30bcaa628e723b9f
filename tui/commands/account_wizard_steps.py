"""The steps of `frontdesk account add NAME` when it runs step by step
(tui.commands.account_wizard holds its flags): each step asks on the terminal what no
flag gave; the settings are built by engine.setup.plan."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.accounts import AccountSpec, validate
from engine.errors import AccessDeniedError, FrontdeskError, InvalidInputError
from engine.lock import EngineBusyError
from engine.sanitize import sanitize_line
from engine.setup import plan
from engine.setup.choices import DEFAULT_TIMEOUT
from engine.setup.plan import ServerAnswer, SetupAnswers
from engine.setup.presets import APP_PASSWORD, OAUTH2, PASSWORD
from tui.commands import discover, oauth
from tui.commands import sync as sync_command
from tui.commands.account_wizard import given
from tui.commands.output import print_json
from tui.commands.text_file import read_utf8

if TYPE_CHECKING:
    from engine.models import Agent, Discovery
    from engine.service import Service
    from tui.commands.wizard_prompts import Prompter

MAX_TESTS = 5
MAX_SIGNATURE_BYTES = 64_000


class AccountWizard:
    """One run of the steps, holding what was answered so far."""

    def __init__(self, args: argparse.Namespace, service: Service, agent: Agent,
                 ask: Prompter) -> None:
        self.args = args
        self.service = service
        self.agent = agent
        self.ask = ask
        self.name: str = args.name
        self.password: str | None = None  # typed; kept only until it is stored
        self.found: Discovery | None = None

    async def run(self) -> int:
        address = await self.address()
        await self.check_name(address)
        found = self.found = await self.discover(address)
        server = await self.server(found, address)
        answers = await self.sign_in_method(found, server, address)
        await self.save_and_test(answers)
        try:
            await self.folders_and_import(answers.server)
            await self.sending(found, answers)
            await self.signature()
            done = await self.first_sync()
        except (FrontdeskError, asyncio.CancelledError, KeyboardInterrupt) as exc:
            note = (f"account {self.name} is saved and connects; finish it with `frontdesk "
                    f"account folders|set|smtp {self.name}` or remove it with `frontdesk "
                    f"account remove {self.name}`")
            if isinstance(exc, FrontdeskError):
                raise FrontdeskError(f"{exc} ({note})") from None
            self.ask.say(note)
            raise
        self.password = None
        await self.finish(answers, done)
        return 0

    # -- the address and its servers -----------------------------------------------------

    async def address(self) -> str:
        if self.args.email:
            return plan.parse_address(self.args.email)
        return await self.ask.ask("Email address", plan.parse_address, flag="--email")

    async def check_name(self, address: str) -> None:
        """Refuse a bad or taken name before any question about the servers."""
        await asyncio.to_thread(validate, AccountSpec(name=self.name, email=address))
        if any(a.name == self.name for a in await self.service.account_settings(self.agent)):
            raise InvalidInputError(f"an account named {self.name!r} exists already; "
                                    "choose another name")

    async def discover(self, address: str) -> Discovery:
        if self.args.imap_host:
            self.ask.say(f"Using the server given: {self.args.imap_host}.")
            return plan.nothing_discovered(address)
        network = discover.network_of(argparse.Namespace(
            dns_server=self.args.dns_server, timeout=self.args.timeout or DEFAULT_TIMEOUT,
            autoconfig_url=self.args.autoconfig_url, ca_file=None,
            no_ispdb=self.args.no_ispdb))
        _, _, domain = address.rpartition("@")
        self.ask.say(f"Looking up the mail servers of {domain}…")
        found = await self.service.discover_account(self.agent, address, network=network)
        for line in describe_found(found):
            self.ask.say(line)
        return found

    async def server(self, found: Discovery, address: str) -> ServerAnswer:
        args = self.args
        protocol = args.protocol if given(args.protocol) else plan.incoming_protocol(found)
        if args.imap_host:
            return plan.server_answer(protocol, args.imap_host, args.imap_port,
                                      args.security or "ssl", args.username or "",
                                      address=address)
        suggested = plan.suggested_server(found, protocol)
        if suggested is None:
            self.ask.say(f"No {protocol.upper()} server was found: type it.")
            return await self.edit_server(None, found, address, protocol)
        suggested = self.with_flags(suggested)
        if protocol == "pop3" and found.imap is None:
            self.ask.say("Only a POP3 server was found: the account reads its inbox over POP3.")
        if self.ask.assume_yes or await self.ask.confirm(
                f"Use {suggested.describe()}?", default=True, flag="--yes or --imap-host"):
            return suggested
        return await self.edit_server(suggested, found, address, protocol)

    def with_flags(self, server: ServerAnswer) -> ServerAnswer:
        """The server found, with what --imap-port, --security and --username say."""
        args = self.args
        security = args.security or server.security
        port = args.imap_port or (server.port if security == server.security
                                  else plan.default_port(server.protocol, security))
        return replace(server, security=security, port=port,
                       username=args.username or server.username)

    async def edit_server(self, current: ServerAnswer | None, found: Discovery,
                          address: str, protocol: str) -> ServerAnswer:
        """Ask for each field of the incoming server, the current value as default."""
        ask = self.ask
        if found.imap is not None and found.pop3 is not None and not given(self.args.protocol):
            protocol = await ask.ask("Protocol (imap or pop3)", plan.parse_protocol,
                                     default=protocol, flag="--protocol")
            if current is not None and current.protocol != protocol:
                current = plan.suggested_server(found, protocol)
        flag = "--imap-host" if protocol == "imap" else "--host"
        host = await ask.ask("Incoming server", plan.parse_host,
                             default=current.host if current else "", flag=flag)
        security = await ask.ask("Security (ssl, starttls or none)", plan.parse_security,
                                 default=current.security if current else "ssl",
                                 flag="--security")
        usual = plan.default_port(protocol, security)
        keep = current is not None and current.security == security
        port = await ask.ask("Port", lambda text: plan.parse_port(text, default=usual),
                             default=str(current.port if keep and current else usual),
                             flag="--imap-port")
        username = await ask.ask(
            "Login", lambda text: plan.parse_username(text, default=address),
            default=current.username if current else address, flag="--username")
        return ServerAnswer(protocol, host, port, security, username)

    # -- signing in -----------------------------------------------------------------------

    async def sign_in_method(self, found: Discovery, server: ServerAnswer,
                             address: str) -> SetupAnswers:
        args = self.args
        method, provider, command = await self.method(found, server)
        answers = SetupAnswers(
            name=self.name, address=address, server=server, auth=method, oauth=provider,
            password_command=command, display_name=args.display_name, shared=args.shared,
            ca_file=args.ca_file, verify_cert=not args.no_verify_cert,
            delete_after_import=await self.delete_after_import(server))
        plan.account_spec(answers)  # refuse what cannot be saved before asking for more
        if method in (PASSWORD, APP_PASSWORD):
            label = plan.secret_label(method)
            self.password = await self.ask.secret(
                f"{label} for {server.username}: ", plan.check_password,
                flag="--password-stdin or --password-command")
        return answers

    async def method(self, found: Discovery,
                     server: ServerAnswer) -> tuple[str, str | None, str | None]:
        """(method, OAuth2 provider, password command)."""
        args = self.args
        if args.oauth:
            return OAUTH2, args.oauth, None
        if args.password_command:
            return plan.COMMAND, None, args.password_command
        offered = plan.auth_methods(found, server.protocol)
        if args.password_stdin:
            offered = tuple(m for m in offered if m != OAUTH2) or (PASSWORD,)
        if len(offered) == 1 or self.ask.assume_yes or args.password_stdin:
            method = offered[0]
        else:
            for number, choice in enumerate(offered, 1):
                self.ask.say(f"  {number}  {plan.auth_label(choice, found)}")
            method = await self.ask.ask(
                "Sign in with", lambda text: plan.parse_auth(text, offered), default="1",
                flag="--password-stdin, --password-command or --oauth")
        if method == APP_PASSWORD and found.auth.app_password_hint:
            self.ask.say(sanitize_line(found.auth.app_password_hint))
        return method, found.auth.oauth if method == OAUTH2 else None, None

    async def delete_after_import(self, server: ServerAnswer) -> bool:
        if server.protocol != "pop3":
            return False
        if self.args.delete_after_import or self.ask.assume_yes:
            return bool(self.args.delete_after_import)
        return await self.ask.confirm(
            "Delete mail from the POP3 server once it is stored here?", default=False,
            flag="--delete-after-import")

    # -- saving and testing ---------------------------------------------------------------

    async def save_and_test(self, answers: SetupAnswers) -> None:
        """Add the account and test it until it connects; an account that never
        connected is removed again."""
        args = self.args
        spec = replace(plan.account_spec(answers), check_every_minutes=args.check_every,
                       mark_read_on_import=args.mark_read_on_import,
                       write_read_status=False if args.no_write_read_status else None,
                       sent_to=args.sent_to)
        await self.service.add_account(self.agent, spec, self.password)
        self.ask.say(f"Saved account {self.name}.")
        try:
            if answers.auth == OAUTH2:
                await self.sign_in()
            await self.test_until_it_connects(answers)
        except (FrontdeskError, asyncio.CancelledError, KeyboardInterrupt) as exc:
            kept = await self.remove()
            if isinstance(exc, FrontdeskError):
                raise FrontdeskError(f"{exc}; {kept}") from None
            self.ask.say(kept)
            raise

    async def sign_in(self) -> None:
        for _ in range(MAX_TESTS):
            try:
                await oauth.sign_in(self.service, self.agent, self.name)
                return
            except FrontdeskError as exc:
                self.ask.say(f"  sign-in failed: {exc}")
                if self.ask.assume_yes or not await self.ask.confirm(
                        "Try signing in again?", default=True, flag="--oauth"):
                    raise
        raise FrontdeskError("the sign-in failed too often")

    async def test_until_it_connects(self, answers: SetupAnswers) -> None:
        server = answers.server
        for _ in range(MAX_TESTS):
            self.ask.say(f"Testing {server.describe()}…")
            try:
                report = await self.service.test_account(self.agent, self.name)
            except FrontdeskError as exc:
                self.ask.say(f"  failed: {exc}")
                if self.ask.assume_yes:
                    raise
                fixed = await self.fix(answers, server, exc)
                if fixed is None:
                    raise
                server = fixed
                continue
            self.ask.say(f"  ok: logged in to {report.host}:{report.port} as "
                         f"{report.username} in {report.seconds:.2f}s")
            return
        raise FrontdeskError(f"the connection test failed {MAX_TESTS} times")

    async def fix(self, answers: SetupAnswers, server: ServerAnswer,
                  error: FrontdeskError) -> ServerAnswer | None:
        """Retype the password, sign in again or correct the server, as the person
        chooses; None to give up. Returns the server as it now is."""
        retype = {PASSWORD: "p", APP_PASSWORD: "p", OAUTH2: "s"}.get(answers.auth)
        choices = {"e": "edit the server", "q": "give up"}
        if retype is not None:
            choices = {retype: "retype the password" if retype == "p" else "sign in again",
                       **choices}
        default = retype if retype is not None and plan.is_login_failure(error) else "e"
        options = [f"{words} ({key})" for key, words in choices.items()]
        shown = ", ".join(options[:-1]) + f" or {options[-1]}?"

        def parse(text: str) -> str:
            key = text.strip().lower()[:1]
            if key not in choices:
                raise InvalidInputError(f"{text.strip()!r}: answer {', '.join(choices)}")
            return key

        choice = await self.ask.ask(shown[0].upper() + shown[1:], parse, default=default,
                                    flag="the right --password-stdin or server flags")
        if choice == "q":
            return None
        if choice == "p":
            label = plan.secret_label(answers.auth)
            self.password = await self.ask.secret(f"{label} for {server.username}: ",
                                                  plan.check_password,
                                                  flag="--password-stdin")
            await self.service.set_account_password(self.agent, self.name, self.password)
            return server
        if choice == "s":
            await self.sign_in()
            return server
        assert self.found is not None
        fixed = await self.edit_server(server, self.found, answers.address, server.protocol)
        await self.service.change_account(self.agent, self.name, plan.server_change(
            fixed, ca_file=answers.ca_file, verify_cert=answers.verify_cert))
        return fixed

    async def remove(self) -> str:
        """Remove the account saved but never connected; what became of it."""
        try:
            await asyncio.shield(self.service.remove_account(self.agent, self.name))
        except FrontdeskError as exc:
            return (f"account {self.name} does not work and could not be removed ({exc}): "
                    f"remove it with `frontdesk account remove {self.name}`")
        return f"account {self.name} was not kept: run `frontdesk account add {self.name}` again"

    # -- folders, sending, signature, first sync ------------------------------------------

    async def folders_and_import(self, server: ServerAnswer) -> None:
        args, ask = self.args, self.ask
        if server.protocol == "pop3":
            self.ask.say("POP3: mail comes from the inbox only.")
        else:
            folders = await self.service.account_folders(self.agent, self.name, refresh=True)
            usable = plan.listed_folders(folders)
            width = max((len(sanitize_line(f.name)) for f in usable), default=0)
            ask.say("Folders on the server:")
            for number, folder in enumerate(usable, 1):
                ask.say(f"  {number:>2}  {sanitize_line(folder.name):<{width}}  "
                        f"{folder.role or ''}".rstrip())
            default = plan.default_folders(folders)
            if given(args.folders):
                chosen = plan.parse_folders(args.folders, folders)
            elif ask.assume_yes:
                chosen = default
            else:
                chosen = await ask.ask(
                    "Folders to sync (names or numbers, comma-separated)",
                    lambda text: plan.parse_folders(text, folders) if text else default,
                    shown=",".join(sanitize_line(n) for n in default), flag="--folders")
            await self.service.configure_folders(self.agent, self.name, sync=list(chosen))
            ask.say("Syncing " + ", ".join(sanitize_line(n) for n in chosen) + ".")
        if given(args.import_mode):
            mode, since = plan.parse_import(args.import_mode, protocol=server.protocol)
        elif ask.assume_yes:
            mode, since = "all", None
        else:
            choices = plan.IMPORT_HELP if server.protocol == "imap" else \
                "all, new-only or since:YYYY-MM-DD"
            mode, since = await ask.ask(
                f"Import which mail: {choices}",
                lambda text: plan.parse_import(text, protocol=server.protocol),
                default="all", flag="--import")
        if (mode, since) != ("all", None):
            await self.service.change_account(self.agent, self.name,
                                              plan.import_change(mode, since))

    async def sending(self, found: Discovery, answers: SetupAnswers) -> None:
        offered = plan.smtp_choices(found)
        chosen = self.args.smtp
        if chosen is not None and chosen not in offered:
            raise InvalidInputError(f"--smtp {chosen}: no SMTP server was found; give "
                                    "--smtp system or none")
        system = await system_smtp_set(self.service, self.agent)
        default = plan.default_smtp(found, system)
        if chosen is None and self.ask.assume_yes:
            chosen = default
        if chosen is None:
            for number, choice in enumerate(offered, 1):
                label = plan.smtp_label(choice, found, system)
                self.ask.say(f"  {number}  {sanitize_line(label)}")
            chosen = await self.ask.ask(
                "Send mail through", lambda text: plan.parse_smtp(text, offered),
                default=str(offered.index(default) + 1), flag="--smtp")
        change = plan.smtp_change(chosen, found, answers, self.password)
        if change is None:
            self.ask.say(f"No SMTP yet: replies wait in the outbox until `frontdesk account "
                         f"smtp {self.name}` sets one.")
            return
        await self.service.configure_smtp(self.agent, self.name, change)
        if change.use_system:
            self.ask.say("Sends through the system SMTP.")
        else:
            self.ask.say(f"Sends through {sanitize_line(change.host or '')}:{change.port}.")

    async def signature(self) -> None:
        path = self.args.signature_file
        if path is None and self.ask.assume_yes:
            return
        for _ in range(self.ask.tries):
            if path is not None:
                text = await asyncio.to_thread(read_signature_file, Path(path))
            else:
                text = await self.ask.block("Signature for replies from this account "
                                            "(an empty line ends it; none: just Enter):")
            try:
                body = plan.signature_text(text)
                if body is None:
                    return
                await self.service.set_signature(self.agent, body, account=self.name)
            except InvalidInputError as exc:
                if path is not None:
                    raise
                self.ask.say(f"  {exc}")
                continue
            self.ask.say("Signature saved.")
            return
        raise InvalidInputError(f"no usable signature after {self.ask.tries} tries; give "
                                "--signature-file FILE")

    async def first_sync(self) -> str:
        """The first sync, here or by the engine already running; what became of it."""
        not_yet = "not synced yet: run `frontdesk sync`"
        args = self.args
        if args.no_sync:
            return not_yet
        if not self.ask.assume_yes and not await self.ask.confirm(
                "Sync it now?", default=True, flag="--yes or --no-sync"):
            return not_yet
        try:
            failed = await sync_command.run_sync(
                argparse.Namespace(once=True, account=self.name, progress="auto"),
                self.service, self.agent)
        except EngineBusyError:
            # The engine running syncs it now, with the folders and options just chosen.
            await self.service.request_sync(self.agent)
            return "the frontdesk engine already running on this store syncs it now"
        if failed:
            raise FrontdeskError("the first sync failed; see `frontdesk status`")
        return "synced"

    async def finish(self, answers: SetupAnswers, done: str) -> None:
        if self.args.json:
            accounts = await self.service.account_settings(self.agent)
            print_json(next(a for a in accounts if a.name == self.name))
            return
        print(f"account {self.name} is set up ({answers.address}, "
              f"{answers.server.describe()}); {done}")


async def system_smtp_set(service: Service, agent: Agent) -> bool | None:
    """Whether the system SMTP is set; None when the agent may not know (only admins
    see it, and asking would leave a refusal in the audit log)."""
    if agent.role != "admin":
        return None
    try:
        return await service.system_smtp(agent) is not None
    except AccessDeniedError:
        return None


def describe_found(found: Discovery) -> list[str]:
    """What discovery found, briefly: provider, servers, sign-in and a few of the
    things tried. Provider names and tried lines come from the network: one clean line
    each."""
    lines: list[str] = []
    if found.found:
        provider = f" ({sanitize_line(found.provider)})" if found.provider else ""
        source = discover.SOURCE_TEXT.get(found.source or "", found.source or "")
        lines.append(f"Found{provider} by {source}:")
        for guess in (found.imap, found.pop3, found.smtp):
            if guess is not None:
                lines.append(f"  {guess.protocol.upper():<4}  "
                             f"{sanitize_line(guess.host)}:{guess.port}  {guess.security}  "
                             f"login {sanitize_line(guess.username)}")
        methods = [plan.auth_label(m, found) for m in found.auth.methods
                   if m in plan.AUTH_METHODS]
        if methods:
            lines.append("  sign-in: " + " or ".join(methods))
    else:
        lines.append(f"No server found for {found.domain}.")
    tried = [sanitize_line(t) for t in found.tried]
    if not found.found:
        return [*lines, "Tried:", *(f"  {t}" for t in tried)]
    kinds = ", ".join(dict.fromkeys(t.split(" ", 1)[0] for t in tried))
    lines.append(f"Tried {len(tried)} lookups ({kinds}); `frontdesk account discover "
                 f"{found.address}` shows each.")
    return lines


def read_signature_file(path: Path) -> str:
    text = read_utf8(path, MAX_SIGNATURE_BYTES)
    if len(text) > MAX_SIGNATURE_BYTES:
        raise InvalidInputError(f"{path} is too long for a signature")
    return text
