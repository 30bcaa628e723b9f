"""Adding or editing a rule on arrival: its mailbox, name and kind, the conditions (all
must hold; none: every message), then what it does: an auto-response (subject, body or a
saved template, plain or HTML, at most once per sender every so many days) or a filter
(move, mark read, flag, block). Save checks and stores it through the engine; Test runs
it dry over the mailbox's last inbox messages without saving. The engine's refusal
shows in one line; nothing is stored then.

Names, condition values and template text may hold anything a person typed: they are
sanitised before being shown, and placed as Content or in inputs, never as markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Select, Static, Switch, TextArea

from engine.errors import FrontdeskError
from engine.models import Account, Agent, Rule, RuleCondition
from engine.rules.admin import ACTIONS, KINDS
from engine.rules.conditions import FIELDS, OPERATORS, SAID
from engine.sanitize import sanitize, sanitize_line
from engine.service import Service
from tui.screens.rule_test import RuleTestScreen

TEST_LAST = 50
DEFAULT_PERIOD = 4
KIND_LABELS = {"respond": "auto-response", "filter": "filter"}
FIELD_LABELS = {"has_attachment": "has attachment"}
ACTION_LABELS = {"move": "move to the folder", "mark_read": "mark read", "flag": "flag",
                 "block": "block the sender"}
KEYS = "ctrl+s: save    ctrl+t: test (dry run)    Esc: cancel"


class FormError(Exception):
    """Something in the form the engine cannot be asked about yet (a period that is no
    number, no mailbox)."""


def error_line(exc: BaseException) -> str:
    """An error as one line of plain text."""
    return sanitize_line(str(exc)) or type(exc).__name__


def shown_value(condition: RuleCondition) -> str:
    """A condition's value for its one-line input: a list written one item a line
    becomes a comma-separated one (the same list to the engine)."""
    if condition.op == "any_of":
        return ", ".join(v for v in (sanitize_line(p) for p in
                                     sanitize(condition.value).split("\n")) if v)
    return sanitize_line(condition.value)


class ConditionRow(Horizontal):
    """One condition: field, operator, the header's name (for field "header" only) and
    the value; its Remove button takes the row away."""

    def __init__(self, condition: RuleCondition | None = None) -> None:
        super().__init__(classes="condition-row")
        self.initial = condition or RuleCondition(field="subject", op="contains")

    def compose(self) -> ComposeResult:
        start = self.initial
        field = start.field if start.field in FIELDS else "subject"
        op = start.op if start.op in OPERATORS else "contains"
        yield Select([(Content(FIELD_LABELS.get(f, f)), f) for f in FIELDS], value=field,
                     allow_blank=False, classes="condition-field")
        yield Select([(Content(SAID[o]), o) for o in OPERATORS], value=op,
                     allow_blank=False, classes="condition-op")
        yield Input(sanitize_line(start.header), placeholder="header name",
                    classes="condition-header")
        yield Input(shown_value(start), placeholder="value", classes="condition-value")
        yield Button("Remove", classes="remove-condition")

    def on_mount(self) -> None:
        self._show_header()

    @property
    def field(self) -> str:
        return str(self.query_one(".condition-field", Select).value)

    @on(Select.Changed, ".condition-field")
    def _field_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show_header()
        if self.field == "has_attachment":
            self.query_one(".condition-op", Select).value = "equals"
            value = self.query_one(".condition-value", Input)
            if value.value.strip().lower() not in ("yes", "no"):
                value.value = "yes"

    def _show_header(self) -> None:
        self.query_one(".condition-header", Input).display = self.field == "header"

    @on(Button.Pressed, ".remove-condition")
    async def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        await self.remove()

    def condition(self) -> RuleCondition:
        header = self.query_one(".condition-header", Input).value
        return RuleCondition(
            field=self.field, op=str(self.query_one(".condition-op", Select).value),
            value=self.query_one(".condition-value", Input).value,
            header=header if self.field == "header" else "")


class RuleForm(ModalScreen[Rule | None]):
    """Dismissed with the rule as saved, or None when cancelled. `mailboxes`: the
    mailboxes the agent configures (a new rule goes in one of them); an edited rule
    stays in its own."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+t", "test", "Test (dry run)"),
    ]

    def __init__(self, service: Service, agent: Agent, mailboxes: Sequence[Account],
                 rule: Rule | None = None, *, mailbox: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.agent = agent
        self.rule = rule
        self.mailboxes = list(mailboxes)
        if rule is not None and rule.account not in {m.name for m in self.mailboxes}:
            self.mailboxes.insert(0, Account(id=rule.account_id, name=rule.account,
                                             display_name="", email="", kind="",
                                             owner_agent_id=None))
        names = [m.name for m in self.mailboxes]
        if rule is not None:
            self.start_mailbox = rule.account
        elif mailbox in names:
            self.start_mailbox = mailbox
        else:
            self.start_mailbox = names[0] if names else ""

    # Layout

    def compose(self) -> ComposeResult:
        rule = self.rule
        kind = rule.kind if rule is not None and rule.kind in KINDS else "respond"
        title = (Content.assemble("Edit rule ", (sanitize_line(rule.name), "bold"))
                 if rule is not None else Content("Add a rule"))
        with Vertical(classes="dialog dialog-form", id="rule-form"):
            yield Static(title, classes="dialog-text", id="rule-form-title")
            with VerticalScroll(id="rule-form-fields"):
                yield from self._head(kind)
                yield Static(Content("Conditions: all must hold (none: every message)"),
                             classes="form-section")
                with Vertical(id="conditions"):
                    for condition in rule.conditions if rule is not None else ():
                        yield ConditionRow(condition)
                yield Button("Add condition", id="add-condition")
                with Vertical(id="respond-fields"):
                    yield from self._respond()
                with Vertical(id="filter-fields"):
                    yield from self._filter()
            yield Static(Content(""), id="rule-error")
            with Horizontal(id="rule-buttons"):
                yield Button("Save", id="rule-save", variant="primary")
                yield Button("Test", id="rule-test")
                yield Button("Cancel", id="rule-cancel")
            yield Static(Content(KEYS), classes="dialog-keys")

    def _labelled(self, label: str) -> Static:
        return Static(Content(label), classes="form-label")

    def _head(self, kind: str) -> ComposeResult:
        rule = self.rule
        with Horizontal(classes="form-row"):
            yield self._labelled("Mailbox")
            options = [(Content(sanitize_line(m.name)), m.name) for m in self.mailboxes]
            yield Select(options, value=self.start_mailbox if options else Select.BLANK,
                         allow_blank=not options, id="rule-mailbox",
                         disabled=rule is not None or not options)
        with Horizontal(classes="form-row"):
            yield self._labelled("Name")
            yield Input(sanitize_line(rule.name) if rule is not None else "",
                        placeholder="e.g. Thanks for writing", id="rule-name")
        with Horizontal(classes="form-row"):
            yield self._labelled("Kind")
            yield Select([(Content(KIND_LABELS[k]), k) for k in KINDS], value=kind,
                         allow_blank=False, id="rule-kind")
        with Horizontal(classes="form-row"):
            yield self._labelled("Active")
            yield Switch(rule.active if rule is not None else True, id="rule-active")

    def _respond(self) -> ComposeResult:
        rule = self.rule
        with Horizontal(classes="form-row"):
            yield self._labelled("Subject")
            yield Input(sanitize_line(rule.subject) if rule is not None else "",
                        placeholder="empty: Re: and the message's subject",
                        id="rule-subject")
        with Horizontal(classes="form-row"):
            yield self._labelled("Template")
            yield Input(sanitize_line(rule.template) if rule is not None else "",
                        placeholder="a saved template's name, instead of the body",
                        id="rule-template")
        yield self._labelled("Body (a template: {{ customer.name }} and the like)")
        # A rule answering with a saved template is read back with that template's text:
        # the template's name is what the rule holds, so the body stays empty.
        body = rule.body if rule is not None and not rule.template else ""
        yield TextArea(sanitize(body), id="rule-body")
        with Horizontal(classes="form-row"):
            yield self._labelled("HTML")
            yield Switch(rule is not None and rule.format == "html", id="rule-html")
        with Horizontal(classes="form-row"):
            yield self._labelled("Every (days)")
            yield Input(str(rule.period_days if rule is not None else DEFAULT_PERIOD),
                        type="integer", id="rule-period",
                        placeholder="answer a sender at most once in this many days")

    def _filter(self) -> ComposeResult:
        rule = self.rule
        actions = set(rule.actions) if rule is not None else set()
        with Horizontal(classes="form-row", id="rule-actions"):
            for action in ACTIONS:
                yield Checkbox(ACTION_LABELS.get(action, action), action in actions,
                               id=f"action-{action}")
        with Horizontal(classes="form-row"):
            yield self._labelled("Folder")
            yield Input(sanitize_line(rule.folder) if rule is not None else "",
                        placeholder="where a move puts the message", id="rule-folder")

    def on_mount(self) -> None:
        self._show_kind()
        self.query_one("#rule-name", Input).focus()
        self.load_folders()

    # Reacting to the form

    @property
    def kind(self) -> str:
        return str(self.query_one("#rule-kind", Select).value)

    @property
    def mailbox(self) -> str:
        if self.rule is not None:
            return self.rule.account
        value = self.query_one("#rule-mailbox", Select).value
        return value if isinstance(value, str) else ""

    @on(Select.Changed, "#rule-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show_kind()

    @on(Select.Changed, "#rule-mailbox")
    def _mailbox_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.load_folders()

    def _show_kind(self) -> None:
        self.query_one("#respond-fields").display = self.kind == "respond"
        self.query_one("#filter-fields").display = self.kind == "filter"

    @work(exclusive=True, group="rule-form-folders", exit_on_error=False)
    async def load_folders(self) -> None:
        """The mailbox's folders, offered as the folder input's suggestions."""
        account = next((m for m in self.mailboxes if m.name == self.mailbox), None)
        if account is None:
            return
        try:
            folders = await self.service.list_folders(self.agent)
        except FrontdeskError:
            return
        names = [f.name for f in folders if f.account_id == account.id]
        self.query_one("#rule-folder", Input).suggester = SuggestFromList(
            names, case_sensitive=False)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter in a field goes on to the next one; ctrl+s saves."""
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#add-condition")
    async def _add_condition(self, event: Button.Pressed) -> None:
        event.stop()
        row = ConditionRow()
        await self.query_one("#conditions", Vertical).mount(row)
        row.query_one(".condition-value", Input).focus()

    @on(Button.Pressed, "#rule-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#rule-test")
    def _test_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_test()

    @on(Button.Pressed, "#rule-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    # The rule written

    def conditions(self) -> tuple[RuleCondition, ...]:
        return tuple(row.condition() for row in self.query(ConditionRow))

    def spec(self) -> Rule:
        """The rule as the form holds it; FormError for what needs no engine to tell."""
        mailbox = self.mailbox
        if not mailbox:
            raise FormError("choose the mailbox the rule belongs to")
        rule = self.rule
        kind = self.kind
        base = Rule(
            id=rule.id if rule is not None else 0,
            account_id=rule.account_id if rule is not None else 0,
            account=mailbox,
            name=self.query_one("#rule-name", Input).value,
            kind=kind,
            active=self.query_one("#rule-active", Switch).value,
            position=rule.position if rule is not None else 0,
            conditions=self.conditions(),
            period_days=rule.period_days if rule is not None else DEFAULT_PERIOD,
        )
        if kind == "filter":
            actions = tuple(a for a in ACTIONS
                            if self.query_one(f"#action-{a}", Checkbox).value)
            return replace(base, actions=actions,
                           folder=self.query_one("#rule-folder", Input).value)
        typed = self.query_one("#rule-period", Input).value.strip()
        try:
            period = int(typed)
        except ValueError:
            raise FormError("the period is 1 to 365 days: give a number of days") from None
        return replace(
            base,
            subject=self.query_one("#rule-subject", Input).value,
            body=self.query_one("#rule-body", TextArea).text,
            template=self.query_one("#rule-template", Input).value.strip(),
            format="html" if self.query_one("#rule-html", Switch).value else "plain",
            period_days=period,
        )

    def show_error(self, text: str) -> None:
        error = self.query_one("#rule-error", Static)
        error.update(Content(text))
        error.set_class(bool(text), "-error")

    @property
    def error_text(self) -> str:
        """The error line as shown ("" when there is none)."""
        shown = self.query_one("#rule-error", Static).content
        return shown.plain if isinstance(shown, Content) else str(shown)

    def _spec_or_error(self) -> Rule | None:
        try:
            return self.spec()
        except FormError as exc:
            self.show_error(error_line(exc))
            return None

    # Actions

    def action_save(self) -> None:
        spec = self._spec_or_error()
        if spec is not None:
            self.save(spec)

    @work(exclusive=True, group="rule-form", exit_on_error=False)
    async def save(self, spec: Rule) -> None:
        self.show_error("")
        try:
            saved = await self.service.save_rule(self.agent, spec)
        except FrontdeskError as exc:
            self.show_error(error_line(exc))
            return
        self.dismiss(saved)

    def action_test(self) -> None:
        spec = self._spec_or_error()
        if spec is not None:
            self.test(spec)

    @work(exclusive=True, group="rule-form", exit_on_error=False)
    async def test(self, spec: Rule) -> None:
        self.show_error("")
        try:
            results = await self.service.test_rule(self.agent, spec, last=TEST_LAST)
        except FrontdeskError as exc:
            self.show_error(error_line(exc))
            return
        name = sanitize_line(spec.name) or "the rule"
        self.app.push_screen(RuleTestScreen(
            f"Dry run of {name} on the last {TEST_LAST} inbox messages of "
            f"{sanitize_line(spec.account)}", results))

    def action_cancel(self) -> None:
        self.dismiss(None)
