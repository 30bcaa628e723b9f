"""The steps of the console's account setup wizard (tui.screens.wizard), one widget
each: what it shows, and `read()`, which returns its answers checked by
engine.setup.plan or raises the engine's one-line InvalidInputError.

Provider names, what discovery tried, server replies and folder names come from the
network: they are shown as plain Content only, never as markup."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Select, SelectionList, Static, Switch, TextArea

from engine.errors import InvalidInputError
from engine.models import Discovery
from engine.setup import plan
from engine.setup.plan import FolderLike, ServerAnswer
from engine.setup.presets import APP_PASSWORD, OAUTH2
from tui.commands.discover import SOURCE_TEXT
from tui.widgets.form_fields import FieldRow, SecretInput, one_line, plain

SECURITY_CHOICES = [(Content("ssl (TLS from the start)"), "ssl"),
                    (Content("starttls"), "starttls"), (Content("none (plain text)"), "none")]
PROTOCOL_CHOICES = [(Content("IMAP"), "imap"), (Content("POP3 (the inbox only)"), "pop3")]
IMPORT_CHOICES = [(Content("all mail"), "all"), (Content("unread mail only"), "unread"),
                  (Content("only mail arriving from now on"), "new-only"),
                  (Content("mail since a date"), "since")]


class Step(VerticalScroll):
    """One step: a title and its fields."""

    DEFAULT_CSS = """
    Step {
        height: 1fr;
    }
    Step .wizard-intro {
        margin-bottom: 1;
    }
    Step Input, Step Select {
        width: 1fr;
    }
    """

    STEP_TITLE = ""

    def first_field(self) -> Widget | None:
        """The widget to focus when the step is shown."""
        found = self.query("Input, Select, SelectionList, TextArea, Switch")
        return next((w for w in found if w.display and not w.disabled), None)


class AddressStep(Step):
    STEP_TITLE = "Address"

    def compose(self) -> ComposeResult:
        yield Static(Content("Type the mailbox's address: its servers are found from it."),
                     classes="wizard-intro")
        yield FieldRow("Email address", Input(id="wizard-address",
                                              placeholder="alice@example.org"))
        yield FieldRow("Account name", Input(id="wizard-name",
                                             placeholder="empty: from the address"),
                       hint="letters, digits, . _ -")

    def read(self) -> tuple[str, str]:
        """(address, account name)."""
        address = plan.parse_address(self.query_one("#wizard-address", Input).value)
        name = self.query_one("#wizard-name", Input).value.strip() or plan.suggest_name(address)
        return address, name


class ServersStep(Step):
    """What discovery found, and the incoming server to use, editable."""

    STEP_TITLE = "Servers"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.found: Discovery | None = None
        self.address = ""

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="wizard-found", classes="wizard-intro")
        yield FieldRow("Protocol", Select(PROTOCOL_CHOICES, value="imap", allow_blank=False,
                                          id="wizard-protocol"))
        yield FieldRow("Incoming server", Input(id="wizard-host",
                                                placeholder="imap.example.org"))
        yield FieldRow("Security", Select(SECURITY_CHOICES, value="ssl", allow_blank=False,
                                          id="wizard-security"))
        yield FieldRow("Port", Input(id="wizard-port", type="integer",
                                     placeholder="empty: the usual port"))
        yield FieldRow("Login", Input(id="wizard-login", placeholder="empty: the address"))
        yield FieldRow("CA file", Input(id="wizard-ca-file",
                                        placeholder="a PEM bundle to trust; empty: the system's"))
        yield FieldRow("Verify certificate", Switch(True, id="wizard-verify"))
        yield Static(Content("Tried:"), classes="wizard-intro")
        yield Static(Content(""), id="wizard-tried")

    def first_field(self) -> Widget | None:
        return self.query_one("#wizard-host", Input)

    def fill(self, found: Discovery, address: str) -> None:
        self.found, self.address = found, address
        self.query_one("#wizard-found", Static).update(found_summary(found))
        self.query_one("#wizard-tried", Static).update(
            Content("\n".join(one_line(t) for t in found.tried)))
        protocol = plan.incoming_protocol(found)
        self.query_one("#wizard-protocol", Select).value = protocol
        self.put(plan.suggested_server(found, protocol))

    def put(self, server: ServerAnswer | None) -> None:
        """Show `server` in the fields (empty fields when there is none)."""
        self.query_one("#wizard-host", Input).value = server.host if server else ""
        self.query_one("#wizard-security", Select).value = server.security if server else "ssl"
        self.query_one("#wizard-port", Input).value = str(server.port) if server else ""
        self.query_one("#wizard-login", Input).value = server.username if server else ""

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "wizard-protocol" and self.found is not None:
            suggested = plan.suggested_server(self.found, str(event.value))
            if suggested is not None:
                self.put(suggested)
            elif self.query_one("#wizard-port", Input).value:
                self.query_one("#wizard-port", Input).value = ""

    def read(self) -> tuple[ServerAnswer, str | None, bool]:
        """(the server, a CA file to trust or None, whether to verify its certificate)."""
        server = plan.server_answer(
            str(self.query_one("#wizard-protocol", Select).value),
            self.query_one("#wizard-host", Input).value,
            self.query_one("#wizard-port", Input).value,
            str(self.query_one("#wizard-security", Select).value),
            self.query_one("#wizard-login", Input).value, address=self.address)
        ca_file = self.query_one("#wizard-ca-file", Input).value.strip() or None
        return server, ca_file, bool(self.query_one("#wizard-verify", Switch).value)


def found_summary(found: Discovery) -> Content:
    """Who the provider is, where the servers came from, and what was found."""
    if not found.found:
        return Content.assemble(("No server found", "bold"), f" for {found.domain}: type the "
                                "incoming server below.")
    parts: list[str | tuple[str, str]] = ["Found by ", SOURCE_TEXT.get(found.source or "", "")]
    if found.provider:
        parts += [": ", (one_line(found.provider), "bold")]
    for guess in (found.imap, found.pop3, found.smtp):
        if guess is not None:
            parts += ["\n", (f"{guess.protocol.upper():<5}", "dim"),
                      one_line(f"{guess.host}:{guess.port} ({guess.security}), login "
                               f"{guess.username}")]
    return Content.assemble(*parts)


class SignInStep(Step):
    """How the account logs in, and its password."""

    STEP_TITLE = "Sign-in"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.offered: tuple[str, ...] = ()
        self.found: Discovery | None = None
        self.saved = False

    def compose(self) -> ComposeResult:
        yield FieldRow("Sign in with", Select([(Content("the mailbox password"), plan.PASSWORD)],
                                              allow_blank=False, id="wizard-method"))
        yield Static(Content(""), id="wizard-hint", classes="wizard-intro")
        yield FieldRow("Password", SecretInput(id="wizard-password",
                                               placeholder="the mailbox's password"),
                       id="wizard-password-row")
        yield FieldRow("Password command", Input(
            id="wizard-command", placeholder="a command printing the password"),
            id="wizard-command-row")
        yield FieldRow("Delete after import", Switch(False, id="wizard-delete"),
                       hint="POP3: remove mail from the server once stored here",
                       id="wizard-delete-row")

    def fill(self, found: Discovery, protocol: str, *, saved: bool) -> None:
        """The methods for what was found; `saved`: the account exists, so an empty
        password keeps the one stored."""
        self.found, self.saved = found, saved
        offered = (*plan.auth_methods(found, protocol), plan.COMMAND)
        method = self.query_one("#wizard-method", Select)
        if offered != self.offered:
            self.offered = offered
            method.set_options([(plain(plan.auth_label(m, found)), m) for m in offered])
            method.value = offered[0]
        self.query_one("#wizard-password", SecretInput).placeholder = (
            "empty: keep the one saved" if saved else "the mailbox's password")
        self.query_one("#wizard-delete-row").display = protocol == "pop3"
        self.show_parts()

    def first_field(self) -> Widget | None:
        """The password (or command) to type: the method chosen is usually right."""
        for row, field in (("#wizard-password-row", "#wizard-password"),
                           ("#wizard-command-row", "#wizard-command")):
            if self.query_one(row).display:
                return self.query_one(field)
        return super().first_field()

    @property
    def method(self) -> str:
        value = self.query_one("#wizard-method", Select).value
        return value if isinstance(value, str) else plan.PASSWORD

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "wizard-method":
            self.show_parts()

    def show_parts(self) -> None:
        method = self.method
        self.query_one("#wizard-password-row").display = method not in (OAUTH2, plan.COMMAND)
        self.query_one("#wizard-command-row").display = method == plan.COMMAND
        self.query_one("#wizard-password-row > .field-label", Static).update(
            Content(plan.secret_label(method)))
        hint = ""
        if method == APP_PASSWORD and self.found is not None:
            hint = self.found.auth.app_password_hint
        elif method == OAUTH2:
            hint = "Next saves the account and opens the provider's sign-in."
        self.query_one("#wizard-hint", Static).update(plain(hint))

    def read(self) -> tuple[str, str | None, str | None, bool]:
        """(method, password command, typed password or None, delete after import)."""
        method = self.method
        command = self.query_one("#wizard-command", Input).value if method == plan.COMMAND \
            else None
        password = None
        if method not in (OAUTH2, plan.COMMAND):
            typed = self.query_one("#wizard-password", SecretInput).value
            if typed or not self.saved:
                password = plan.check_password(typed)
        delete = self.query_one("#wizard-delete", Switch).value
        return method, command, password, bool(delete)

    def mark_saved(self) -> None:
        """The account is saved with the password typed: forget it; left empty from now
        on, the saved one is kept."""
        self.saved = True
        field = self.query_one("#wizard-password", SecretInput)
        field.forget()
        field.placeholder = "empty: keep the one saved"


class FoldersStep(Step):
    """The folders the server has, with their roles: which ones to sync; and what the
    first sync imports."""

    STEP_TITLE = "Folders"

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.protocol = "imap"

    def compose(self) -> ComposeResult:
        yield Static(Content("Space marks the folders to sync; the role says what each "
                             "one is for."), id="wizard-folders-intro",
                     classes="wizard-intro")
        yield SelectionList[str](id="wizard-folders")
        yield FieldRow("Import", Select(IMPORT_CHOICES, value="all", allow_blank=False,
                                        id="wizard-import"))
        yield FieldRow("Since", Input(id="wizard-since", placeholder="YYYY-MM-DD"),
                       id="wizard-since-row")

    def fill(self, folders: Sequence[FolderLike], protocol: str) -> None:
        self.protocol = protocol
        shown = self.query_one("#wizard-folders", SelectionList)
        shown.clear_options()
        intro = self.query_one("#wizard-folders-intro", Static)
        if protocol == "pop3":
            intro.update(Content("POP3: mail comes from the inbox only."))
            shown.display = False
            choices = [c for c in IMPORT_CHOICES if c[1] != "unread"]
        else:
            chosen = set(plan.default_folders(folders))
            shown.add_options([(folder_label(f), f.name, f.name in chosen)
                               for f in plan.listed_folders(folders)])
            shown.display = True
            choices = IMPORT_CHOICES
        self.query_one("#wizard-import", Select).set_options(choices)
        self.query_one("#wizard-import", Select).value = "all"
        self.show_since()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "wizard-import":
            self.show_since()

    def show_since(self) -> None:
        chosen = self.query_one("#wizard-import", Select).value
        self.query_one("#wizard-since-row").display = chosen == "since"

    def read(self) -> tuple[tuple[str, ...], str, str | None]:
        """(folders to sync, import mode, since)."""
        mode = str(self.query_one("#wizard-import", Select).value)
        if mode == "since":
            mode = "since:" + self.query_one("#wizard-since", Input).value.strip()
        imported = plan.parse_import(mode, protocol=self.protocol)
        if self.protocol == "pop3":
            return ("INBOX",), *imported
        shown = self.query_one("#wizard-folders", SelectionList)
        chosen = set(shown.selected)
        names = tuple(str(shown.get_option_at_index(n).value) for n in
                      range(shown.option_count) if shown.get_option_at_index(n).value in chosen)
        if not names:
            raise InvalidInputError("mark at least one folder to sync (the inbox, say)")
        return (names, *imported)


def folder_label(folder: FolderLike) -> Content:
    """A folder's name as the server gave it, then its role."""
    return Content.assemble(one_line(folder.name), ("  " + folder.role, "dim")
                            if folder.role else "")


class SendingStep(Step):
    STEP_TITLE = "Sending"

    def compose(self) -> ComposeResult:
        yield Static(Content("How mail from this account goes out."), classes="wizard-intro")
        yield FieldRow("Send through", Select([(Content("none for now"), plan.SMTP_NONE)],
                                              allow_blank=False, id="wizard-smtp"))

    def fill(self, found: Discovery, system_set: bool | None) -> None:
        """The choices; `system_set`: whether the system SMTP is set (None: unknown)."""
        offered = plan.smtp_choices(found)
        choice = self.query_one("#wizard-smtp", Select)
        choice.set_options([(plain(plan.smtp_label(c, found, system_set)), c)
                            for c in offered])
        choice.value = plan.default_smtp(found, system_set)

    def read(self) -> str:
        return str(self.query_one("#wizard-smtp", Select).value)


class SignatureStep(Step):
    STEP_TITLE = "Signature"

    def compose(self) -> ComposeResult:
        yield Static(Content("Your signature for replies from this account (optional; "
                             "a template, as in `frontdesk signature set`)."),
                     classes="wizard-intro")
        yield TextArea(id="wizard-signature", soft_wrap=True, tab_behavior="focus")

    def read(self) -> str | None:
        return plan.signature_text(self.query_one("#wizard-signature", TextArea).text)


class FinishStep(Step):
    STEP_TITLE = "Finish"

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="wizard-summary", classes="wizard-intro")
        yield FieldRow("Sync now", Switch(True, id="wizard-sync"),
                       hint="the first sync of the folders chosen")
        yield Static(Content(""), id="wizard-progress")

    def fill(self, summary: Content) -> None:
        self.query_one("#wizard-summary", Static).update(summary)

    @property
    def sync_now(self) -> bool:
        return bool(self.query_one("#wizard-sync", Switch).value)

    def progress(self, text: str) -> None:
        self.query_one("#wizard-progress", Static).update(plain(text))
