"""The console's account setup wizard, the steps of `frontdesk account add NAME` in a
modal: the address (its servers are found at once), the servers to accept or correct,
how to sign in, a saved and tested account, the folders with their roles and what to
import, how it sends, a signature, and a first sync.

Keys: Enter in a field or ctrl+n goes on, ctrl+b goes back, Escape cancels. Discovery,
the connection test and the sync run in workers, with what is happening on the status
line. The account is saved when the sign-in step is passed, so it can be tested; Escape
after that asks whether to remove it. Every setting is built by engine.setup.plan, as
the command line builds it, and every refusal is the engine's one line, shown as plain
text (markup=False / Content): provider names, server replies and folder names are the
network's words.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Input, Static
from textual.worker import Worker, WorkerState

from engine.account_edit import AccountChange
from engine.accounts import AccountSpec, validate
from engine.errors import FrontdeskError, InvalidInputError
from engine.lock import EngineBusyError
from engine.models import Agent, Discovery, DiscoveryNetwork, SmtpChange
from engine.service import Service
from engine.setup import plan
from engine.setup.plan import SetupAnswers
from engine.setup.presets import OAUTH2
from engine.sync.progress import SyncEvent
from tui.commands.account_wizard_steps import system_smtp_set
from tui.screens.dialogs import Choice
from tui.screens.sign_in import SignInScreen
from tui.screens.wizard_steps import (
    AddressStep,
    FinishStep,
    FoldersStep,
    SendingStep,
    ServersStep,
    SignatureStep,
    SignInStep,
    Step,
)
from tui.widgets.form_fields import FormNote, one_line

STEPS = ("address", "servers", "sign-in", "folders", "sending", "signature", "finish")
KEYS = "Enter / ctrl+n: next    ctrl+b: back    Esc: cancel"


class AccountWizardScreen(ModalScreen[str | None]):
    """Dismissed with the new account's name once it is set up, None when cancelled.
    `network`: how discovery reaches DNS and autoconfig (the system's by default)."""

    DEFAULT_CSS = """
    AccountWizardScreen #wizard {
        height: 90%;
    }
    AccountWizardScreen #wizard-steps {
        height: 1fr;
    }
    AccountWizardScreen #wizard-status {
        height: auto;
        color: $text-muted;
    }
    AccountWizardScreen #wizard-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    AccountWizardScreen #wizard-buttons Button {
        margin-left: 1;
    }
    /* One line a field, so every step fits 80x24. */
    AccountWizardScreen FieldRow {
        margin-bottom: 1;
    }
    AccountWizardScreen Switch {
        border: none;
        height: 1;
        padding: 0;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+b", "back", "Back"),
    ]

    def __init__(self, service: Service, agent: Agent, *,
                 network: DiscoveryNetwork | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.agent = agent
        self.network = network
        self.step = 0
        self.busy = False
        self.closing = False
        self.address = ""
        self.account = ""  # the account's name
        self.found: Discovery | None = None
        self.answers: SetupAnswers | None = None
        self.password: str | None = None  # typed; kept until the SMTP step stores it
        self.created = False  # the account is saved in the store
        self.saved: SetupAnswers | None = None  # the answers the account was saved with
        self.connected = False
        self.signature_set = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-form", id="wizard"):
            yield Static(Content(""), classes="dialog-text", id="wizard-title")
            with ContentSwitcher(initial=STEPS[0], id="wizard-steps"):
                yield AddressStep(id="address")
                yield ServersStep(id="servers")
                yield SignInStep(id="sign-in")
                yield FoldersStep(id="folders")
                yield SendingStep(id="sending")
                yield SignatureStep(id="signature")
                yield FinishStep(id="finish")
            yield FormNote(id="wizard-note")
            yield Static(Content(""), id="wizard-status")
            with Horizontal(id="wizard-buttons"):
                yield Button(Content("Back"), id="wizard-back")
                yield Button(Content("Next"), variant="primary", id="wizard-next")
            yield Static(Content(KEYS), classes="dialog-keys")

    def on_mount(self) -> None:
        for widget in self.query("Input, Select, Button"):
            widget.compact = True  # type: ignore[attr-defined]
        self.show_step(0)

    # -- moving between steps -------------------------------------------------------------

    @property
    def note(self) -> FormNote:
        return self.query_one("#wizard-note", FormNote)

    def show_step(self, index: int) -> None:
        self.step = index
        step = self.query_one(f"#{STEPS[index]}", Step)
        self.query_one("#wizard-steps", ContentSwitcher).current = STEPS[index]
        self.query_one("#wizard-title", Static).update(Content.assemble(
            ("Add an account", "bold"), f"  step {index + 1} of {len(STEPS)}: {step.STEP_TITLE}"))
        self.query_one("#wizard-back", Button).disabled = index == 0
        self.query_one("#wizard-next", Button).label = Content(
            "Finish" if index == len(STEPS) - 1 else "Next")
        first = step.first_field()
        if first is not None:
            first.focus()

    @contextlib.contextmanager
    def working(self, text: str) -> Iterator[None]:
        """While a worker talks to the servers: the status says what it does, and the
        buttons wait."""
        self.busy = True
        self.set_status(text)
        for button in self.query(Button):
            button.disabled = True
        try:
            yield
        finally:
            self.busy = False
            self.set_status("")
            if not self.closing:
                self.query_one("#wizard-next", Button).disabled = False
                self.query_one("#wizard-back", Button).disabled = self.step == 0

    def set_status(self, text: str) -> None:
        self.query_one("#wizard-status", Static).update(Content(one_line(text)))

    def action_next(self) -> None:
        if self.busy or self.closing:
            return
        self.note.clear_note()
        try:
            getattr(self, "leave_" + STEPS[self.step].replace("-", "_"))()
        except InvalidInputError as exc:
            self.note.error(str(exc))

    def action_back(self) -> None:
        if not self.busy and not self.closing and self.step > 0:
            self.note.clear_note()
            self.show_step(self.step - 1)

    @on(Button.Pressed, "#wizard-next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#wizard-back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    # -- each step's Next -----------------------------------------------------------------

    def leave_address(self) -> None:
        address, name = self.query_one(AddressStep).read()
        validate(AccountSpec(name=name, email=address))  # the name, before anything else
        if self.created and (address, name) != (self.address, self.account):
            raise InvalidInputError(
                f"account {self.account} is saved already; Esc to start again with another "
                "address or name")
        self.address, self.account = address, name
        if self.found is not None and self.found.address == address:
            self.show_step(1)
            return
        self.discover(address)

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def discover(self, address: str) -> None:
        domain = address.rpartition("@")[2]
        with self.working(f"Looking up the mail servers of {domain}…"):
            try:
                taken = {a.name for a in await self.service.account_settings(self.agent)}
                if self.account in taken and not self.created:
                    raise InvalidInputError(f"an account named {self.account!r} exists "
                                            "already; choose another name")
                found = await self.service.discover_account(self.agent, address,
                                                            network=self.network)
            except FrontdeskError as exc:
                self.note.error(str(exc))
                return
        self.found = found
        servers = self.query_one(ServersStep)
        servers.fill(found, address)
        self.show_step(1)

    def leave_servers(self) -> None:
        assert self.found is not None
        server, ca_file, verify = self.query_one(ServersStep).read()
        if self.saved is not None and server.protocol != self.saved.server.protocol:
            raise InvalidInputError(
                f"account {self.account} is saved as {self.saved.server.protocol.upper()}; "
                "Esc to start again with another protocol")
        self.query_one(SignInStep).fill(self.found, server.protocol, saved=self.created)
        self.answers = SetupAnswers(name=self.account, address=self.address, server=server,
                                    ca_file=ca_file, verify_cert=verify)
        self.show_step(2)

    def leave_sign_in(self) -> None:
        assert self.answers is not None
        method, command, password, delete = self.query_one(SignInStep).read()
        assert self.found is not None
        answers = replace(
            self.answers, auth=method, oauth=self.found.auth.oauth if method == OAUTH2 else None,
            password_command=command, delete_after_import=delete)
        plan.account_spec(answers)  # refuse what cannot be saved
        if self.saved is not None and (method, delete) != (self.saved.auth,
                                                           self.saved.delete_after_import):
            raise InvalidInputError(f"account {self.account} is saved with another sign-in; "
                                    "Esc to start again")
        self.answers = answers
        if password is not None:
            self.password = password
        self.save_and_test(answers, password)

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def save_and_test(self, answers: SetupAnswers, password: str | None) -> None:
        """Save the account (or what changed in it), sign it in with OAuth2, test it and
        read its folders."""
        self.connected = False
        with self.working(f"Saving {self.account}…"):
            try:
                await self.save(answers, password)
            except FrontdeskError as exc:
                self.note.error(str(exc))
                return
        self.query_one(SignInStep).mark_saved()
        if answers.auth == OAUTH2:
            signed = await self.app.push_screen_wait(
                SignInScreen(self.service, self.agent, self.account))
            if not signed:
                self.note.error("not signed in: Next tries again, Esc cancels")
                return
        server = answers.server
        with self.working(f"Testing {server.host}:{server.port}…"):
            try:
                await self.service.test_account(self.agent, self.account)
                folders = [] if server.protocol == "pop3" else (
                    await self.service.account_folders(self.agent, self.account, refresh=True))
            except FrontdeskError as exc:
                fix = ("retype the password and Next" if plan.is_login_failure(exc)
                       else "Back corrects the server")
                self.note.error(f"{exc} ({fix})")
                return
        self.connected = True
        self.query_one(FoldersStep).fill(folders, server.protocol)
        self.set_status(f"Connected to {server.host}:{server.port}.")
        self.show_step(3)

    async def save(self, answers: SetupAnswers, password: str | None) -> None:
        saved = self.saved
        if saved is None:
            await self.service.add_account(self.agent, plan.account_spec(answers), password)
            self.created = True
            self.saved = answers
            return
        trust = (answers.ca_file, answers.verify_cert)
        if answers.server != saved.server or trust != (saved.ca_file, saved.verify_cert):
            await self.service.change_account(self.agent, self.account, plan.server_change(
                answers.server, ca_file=answers.ca_file, verify_cert=answers.verify_cert))
        if answers.password_command != saved.password_command and answers.password_command:
            await self.service.change_account(
                self.agent, self.account, AccountChange(password_command=answers.password_command))
        if password is not None:
            await self.service.set_account_password(self.agent, self.account, password)
        self.saved = answers

    def leave_folders(self) -> None:
        sync, mode, since = self.query_one(FoldersStep).read()
        self.save_folders(sync, mode, since)

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def save_folders(self, sync: tuple[str, ...], mode: str, since: str | None) -> None:
        assert self.answers is not None and self.found is not None
        with self.working("Saving the folders…"):
            try:
                if self.answers.server.protocol == "imap":
                    await self.service.configure_folders(self.agent, self.account, sync=list(sync))
                await self.service.change_account(self.agent, self.account,
                                                  plan.import_change(mode, since))
                system = await system_smtp_set(self.service, self.agent)
            except FrontdeskError as exc:
                self.note.error(str(exc))
                return
        self.query_one(SendingStep).fill(self.found, system)
        self.show_step(4)

    def leave_sending(self) -> None:
        assert self.answers is not None and self.found is not None
        choice = self.query_one(SendingStep).read()
        self.save_sending(plan.smtp_change(choice, self.found, self.answers, self.password))

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def save_sending(self, change: SmtpChange | None) -> None:
        if change is not None:
            with self.working("Saving how it sends…"):
                try:
                    await self.service.configure_smtp(self.agent, self.account, change)
                except FrontdeskError as exc:
                    self.note.error(str(exc))
                    return
        self.show_step(5)

    def leave_signature(self) -> None:
        self.save_signature(self.query_one(SignatureStep).read())

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def save_signature(self, body: str | None) -> None:
        with self.working("Saving the signature…"):
            try:
                if body is not None:
                    await self.service.set_signature(self.agent, body, account=self.account)
                    self.signature_set = True
                elif self.signature_set:
                    await self.service.clear_signature(self.agent, account=self.account)
                    self.signature_set = False
            except FrontdeskError as exc:
                self.note.error(str(exc))
                return
        self.query_one(FinishStep).fill(self.summary())
        self.show_step(6)

    def summary(self) -> Content:
        assert self.answers is not None
        server = self.answers.server
        return Content.assemble(
            (self.account, "bold"), f"  {one_line(self.address)}\n",
            f"{one_line(server.describe())}\n",
            "It is saved and connects. Finish closes the wizard.")

    def leave_finish(self) -> None:
        self.finish(self.query_one(FinishStep).sync_now)

    @work(exclusive=True, group="wizard", exit_on_error=False)
    async def finish(self, sync_now: bool) -> None:
        self.password = None
        finish = self.query_one(FinishStep)
        note = f"Account {self.account} is set up."
        if sync_now:
            with self.working(f"Syncing {self.account}…"):
                note = await self.first_sync(finish)
        self.closing = True
        self.app.notify(note, title="Accounts", markup=False)
        self.dismiss(self.account)

    async def first_sync(self, finish: FinishStep) -> str:
        """One sync of the new account, its progress on the finish step; when an engine
        already holds the store, it is asked to take the account in."""

        def progress(event: SyncEvent) -> None:
            if event.event == "folder" and event.total:
                finish.progress(f"{event.folder}: {event.phase} {event.done}/{event.total}")

        try:
            results = await self.service.sync(self.agent, account=self.account, once=True,
                                              progress=progress)
        except EngineBusyError:
            # The engine running (this console's, or `frontdesk sync`) syncs it now, with
            # the folders and options just chosen.
            await self.service.request_sync(self.agent)
            return f"Account {self.account} is set up; the running engine syncs it now."
        except FrontdeskError as exc:
            return f"Account {self.account} is set up; its first sync failed: {exc}"
        failed = next((r.error for r in results if r.error), None)
        if failed:
            return f"Account {self.account} is set up; its first sync failed: {failed}"
        new = sum(r.new for r in results)
        return f"Account {self.account} is set up: {new} messages synced."

    # -- cancelling -----------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.closing:
            return
        self.workers.cancel_group(self, "wizard")
        self.busy = False
        if not self.created:
            self.close_with(None)
            return
        self.app.push_screen(Choice(
            f"Account {self.account} is saved but not finished.",
            [("remove", "r", f"Remove {self.account} and close"),
             ("keep", "k", f"Keep {self.account} as it is and close"),
             ("stay", "c", "Continue setting it up")]), self._cancel_chosen)

    def _cancel_chosen(self, choice: str | None) -> None:
        if choice == "remove":
            self.remove_and_close()
        elif choice == "keep":
            self.app.notify(f"Account {self.account} is kept; finish it in Settings or with "
                            f"`frontdesk account folders|smtp {self.account}`.", markup=False)
            self.close_with(self.account)
        else:
            self.show_step(self.step)

    @work(group="wizard-close", exit_on_error=False)
    async def remove_and_close(self) -> None:
        self.closing = True
        self.password = None
        try:
            await self.service.remove_account(self.agent, self.account)
        except FrontdeskError as exc:
            self.app.notify(f"{exc}; remove it with `frontdesk account remove {self.account}`",
                            severity="error", markup=False)
        else:
            self.app.notify(f"Account {self.account} removed.", markup=False)
        self.dismiss(None)

    def close_with(self, result: str | None) -> None:
        self.closing = True
        self.password = None
        self.dismiss(result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure the steps did not expect becomes the step's error line."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.note.error(str(error) if isinstance(error, FrontdeskError)
                            else f"{type(error).__name__}: {error}")
