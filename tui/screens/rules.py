"""The rules on arrival of the mailboxes the agent sees: auto-responses and filters, in
the order they run, with the highlighted rule in full below and its mailbox's processing
mode. a adds a rule, e or Enter edits it, space switches it on or off, x removes it, t
runs it dry over the mailbox's last inbox messages, M sets what the mailbox's new
threads become (nothing, leads or cases). Whoever configures a mailbox changes its
rules; the engine says no to anyone else.

Rule names, condition values and response text are untrusted: sanitised, plain Content
only."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import Account, Agent, Rule
from engine.rules.conditions import describe
from engine.sanitize import sanitize, sanitize_line
from engine.service import Service
from tui.screens.dialogs import Choice, Confirm
from tui.screens.rule_form import TEST_LAST, RuleForm
from tui.screens.rule_test import RuleTestScreen, clipped

MAILBOX_WIDTH = 12
NAME_WIDTH = 20
CONDITIONS_WIDTH = 36
ACTION_WIDTH = 28
BODY_LINES = 6
MODE_CHOICES = [
    ("none", "n", "none: new threads stay plain mail"),
    ("lead", "l", "lead: each new thread becomes a lead"),
    ("case", "c", "case: each new thread becomes a case"),
]
MODE_SAID = {"none": "new threads stay plain mail", "lead": "new threads become leads",
             "case": "new threads become cases"}


def may_manage(agent: Agent, account: Account) -> bool:
    """Whether the agent configures the mailbox (and so changes its rules): its own
    personal mailbox, or a shared one when the agent is an admin."""
    if account.kind == "shared":
        return agent.role == "admin"
    return account.owner_agent_id == agent.id


def conditions_line(rule: Rule) -> str:
    """The conditions in words, joined by "and"; "every message" when there is none."""
    if not rule.conditions:
        return "every message"
    return " and ".join(sanitize_line(describe(c)) for c in rule.conditions)


def action_line(rule: Rule, *, short: bool = False) -> str:
    """What the rule does, in a few words (`short`: fewer, for the list)."""
    if rule.kind == "filter":
        said = [f"move to {sanitize_line(rule.folder)}" if a == "move" else
                "mark read" if a == "mark_read" else
                "block the sender" if a == "block" else sanitize_line(a)
                for a in rule.actions]
        return ", ".join(said) or "nothing"
    text = (f"template {sanitize_line(rule.template)}" if rule.template
            else f"{rule.format} text")
    days = "day" if rule.period_days == 1 else f"{rule.period_days} days"
    if short:
        return f"answer: {text.removesuffix(' text')}, every {days}"
    return f"answer with {text}, at most once per sender every {days}"


def rule_label(rule: Rule) -> Content:
    return Content.assemble(
        (f"{clipped(rule.account, MAILBOX_WIDTH):<{MAILBOX_WIDTH}} ", "dim"),
        (f"{clipped(rule.name, NAME_WIDTH):<{NAME_WIDTH}} ", "bold"),
        (f"{'respond' if rule.kind == 'respond' else 'filter':<8}", "italic"),
        (f"{'on' if rule.active else 'off':<4}", "" if rule.active else "dim"),
        f"{clipped(conditions_line(rule), CONDITIONS_WIDTH)} → ",
        (clipped(action_line(rule, short=True), ACTION_WIDTH), "dim"),
    )


def rule_detail(rule: Rule, mode: str | None) -> Content:
    state = "on" if rule.active else "off"
    since = (f", acting on mail arriving since {rule.enabled_at[:16].replace('T', ' ')}"
             if rule.active and rule.enabled_at else "")
    kind = "auto-response" if rule.kind == "respond" else "filter"
    parts: list[str | tuple[str, str]] = [
        (sanitize_line(rule.name), "bold"), "  ",
        (f"{kind} of {sanitize_line(rule.account)}, {state}{since}", "dim"), "\n",
        ("When: ", "dim"),
    ]
    if rule.conditions:
        for n, condition in enumerate(rule.conditions):
            parts += ["" if n == 0 else "  and ", sanitize_line(describe(condition)), "\n"]
    else:
        parts += ["every message", "\n"]
    parts += [("Then: ", "dim"), action_line(rule)]
    if rule.kind == "respond":
        subject = sanitize_line(rule.subject) or "Re: and the message's subject"
        parts += ["\n", ("Subject: ", "dim"), subject]
        if not rule.template:
            lines = sanitize(rule.body).splitlines()
            more = ["\n…"] if len(lines) > BODY_LINES else []
            parts += ["\n", "\n".join(lines[:BODY_LINES]), *more]
    if mode is not None:
        parts += ["\n", (f"Mailbox {sanitize_line(rule.account)}: processing mode {mode} "
                         f"({MODE_SAID.get(mode, mode)}); M changes it.", "dim")]
    return Content.assemble(*parts)


class RulesScreen(Screen[None]):
    """a adds, e or Enter edits, space switches on or off, x removes, t tests, M sets the
    mailbox's processing mode, r reloads."""

    BINDINGS = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("space", "switch", "On / off"),
        Binding("x", "remove", "Remove"),
        Binding("t", "test", "Test"),
        Binding("M", "mode", "Processing mode"),
        Binding("r", "reload", "Reload"),
        Binding("escape,q", "close", "Back"),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.rules: list[Rule] = []
        self.accounts: list[Account] = []
        self.modes: dict[str, str] = {}
        self.loaded = False  # once the first load has shown the rules

    def compose(self) -> ComposeResult:
        with Vertical(id="rules-body"):
            yield Static(Content("Rules on arrival: auto-responses and filters"),
                         classes="screen-title")
            yield OptionList(id="rules")
            yield Static(Content(""), id="rule-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @property
    def current(self) -> Rule | None:
        shown = self.query_one("#rules", OptionList)
        if not self.rules or shown.highlighted is None:
            return None
        return self.rules[min(shown.highlighted, len(self.rules) - 1)]

    @property
    def managed(self) -> list[Account]:
        """The mailboxes the agent configures."""
        return [a for a in self.accounts if may_manage(self.agent, a)]

    def _failed(self, exc: FrontdeskError, title: str = "Rules") -> None:
        self.notify(sanitize_line(str(exc)), title=title, severity="error", markup=False)

    @work(exclusive=True, group="rules", exit_on_error=False)
    async def load(self, keep: int | None = None) -> None:
        try:
            rules = await self.service.list_rules(self.agent)
            accounts = await self.service.list_accounts(self.agent)
            modes = {name: await self.service.processing_mode(self.agent, name)
                     for name in dict.fromkeys(r.account for r in rules)}
        except FrontdeskError as exc:
            self._failed(exc)
            return
        if keep is None and self.current is not None:
            keep = self.current.id
        self.rules, self.accounts, self.modes = rules, accounts, modes
        self.loaded = True
        shown = self.query_one("#rules", OptionList)
        at = shown.highlighted or 0
        shown.clear_options()
        if not rules:
            shown.add_option(Option(Content("No rules yet: a adds one."), disabled=True))
            self.query_one("#rule-detail", Static).update(Content(""))
            shown.focus()
            return
        shown.add_options(Option(rule_label(r), id=str(r.id)) for r in rules)
        if keep is not None:
            at = next((n for n, r in enumerate(rules) if r.id == keep), at)
        shown.highlighted = min(at, len(rules) - 1)
        self.show_detail()
        shown.focus()

    @on(OptionList.OptionHighlighted, "#rules")
    def show_detail(self) -> None:
        rule = self.current
        if rule is not None:
            self.query_one("#rule-detail", Static).update(
                rule_detail(rule, self.modes.get(rule.account)))

    @on(OptionList.OptionSelected, "#rules")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

    def action_move(self, way: str) -> None:
        shown = self.query_one("#rules", OptionList)
        if way == "down":
            shown.action_cursor_down()
        else:
            shown.action_cursor_up()

    def action_reload(self) -> None:
        self.load()

    # Adding and editing

    def action_add(self) -> None:
        managed = self.managed
        if not managed:
            self.notify("You configure no mailbox: a mailbox's rules are set by its owner, "
                        "or by an admin for a shared one.", title="Rules", markup=False)
            return
        current = self.current
        self.app.push_screen(
            RuleForm(self.service, self.agent, managed,
                     mailbox=current.account if current is not None else None),
            self._saved)

    def action_edit(self) -> None:
        rule = self.current
        if rule is not None:
            self.app.push_screen(RuleForm(self.service, self.agent, self.managed, rule),
                                 self._saved)

    def _saved(self, saved: Rule | None) -> None:
        if saved is None:
            return
        state = "on" if saved.active else "off"
        self.notify(f"Rule {sanitize_line(saved.name)} of {sanitize_line(saved.account)} "
                    f"saved ({state}).", title="Rules", markup=False)
        self.load(keep=saved.id)

    # Switching, removing, testing

    def action_switch(self) -> None:
        rule = self.current
        if rule is not None:
            self.set_active(rule, not rule.active)

    @work(group="rules-change", exit_on_error=False)
    async def set_active(self, rule: Rule, active: bool) -> None:
        try:
            now = await self.service.set_rule_active(self.agent, rule.id, active)
        except FrontdeskError as exc:
            self._failed(exc)
            return
        said = ("on: it acts on mail arriving from now on" if now.active else "off")
        self.notify(f"Rule {sanitize_line(now.name)} is {said}.", title="Rules",
                    markup=False)
        self.load(keep=rule.id)

    def action_remove(self) -> None:
        rule = self.current
        if rule is not None:
            self.remove_rule(rule)

    @work(group="rules-change", exit_on_error=False)
    async def remove_rule(self, rule: Rule) -> None:
        sure = await self.app.push_screen_wait(Confirm(
            f"Remove the rule {sanitize_line(rule.name)} of {sanitize_line(rule.account)}?",
            yes="remove it", no="keep it"))
        if not sure:
            return
        try:
            await self.service.remove_rule(self.agent, rule.id)
        except FrontdeskError as exc:
            self._failed(exc)
            return
        self.notify(f"Rule {sanitize_line(rule.name)} removed.", title="Rules", markup=False)
        self.load()

    def action_test(self) -> None:
        rule = self.current
        if rule is not None:
            self.test(rule)

    @work(exclusive=True, group="rules-test", exit_on_error=False)
    async def test(self, rule: Rule) -> None:
        try:
            results = await self.service.test_rule(self.agent, rule, last=TEST_LAST)
        except FrontdeskError as exc:
            self._failed(exc, "Test")
            return
        self.app.push_screen(RuleTestScreen(
            f"Dry run of {sanitize_line(rule.name)} on the last {TEST_LAST} inbox messages "
            f"of {sanitize_line(rule.account)}", results))

    # The processing mode

    def action_mode(self) -> None:
        self.pick_mode()

    @work(group="rules-change", exit_on_error=False)
    async def pick_mode(self) -> None:
        rule = self.current
        if rule is not None:
            mailbox = rule.account
        else:
            managed = [a.name for a in self.managed]
            if not managed:
                self.notify("You configure no mailbox.", title="Processing mode",
                            markup=False)
                return
            mailbox = managed[0]
            if len(managed) > 1:
                keys = "123456789"
                picked = await self.app.push_screen_wait(Choice(
                    "Processing mode of which mailbox?",
                    [(name, keys[n] if n < len(keys) else "", sanitize_line(name))
                     for n, name in enumerate(managed)]))
                if picked is None:
                    return
                mailbox = picked
        try:
            mode = await self.service.processing_mode(self.agent, mailbox)
        except FrontdeskError as exc:
            self._failed(exc, "Processing mode")
            return
        chosen = await self.app.push_screen_wait(Choice(
            f"New threads of {sanitize_line(mailbox)} become (now: {mode}):", MODE_CHOICES))
        if chosen is None:
            return
        try:
            changed = await self.service.set_processing_mode(self.agent, mailbox, chosen)
        except FrontdeskError as exc:
            self._failed(exc, "Processing mode")
            return
        said = MODE_SAID.get(chosen, chosen)
        self.notify(f"{sanitize_line(mailbox)}: {said}." if changed
                    else f"{sanitize_line(mailbox)}: {said} already.",
                    title="Processing mode", markup=False)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
