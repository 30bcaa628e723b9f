"""The cases the agent may see, most recently updated first, with the highlighted
case's messages below. x closes, o reopens, w sets pending (waiting on the customer),
P sets the priority, A gives the case to an agent. Subjects are mail text: plain
Content only."""

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
from engine.models import Agent, Case, MessageSummary
from engine.service import Service
from tui.screens.dialogs import Choice
from tui.screens.list_keys import LIST_KEYS
from tui.widgets.message_row import short_date

PRIORITY_CHOICES = [("low", "l", "low"), ("normal", "n", "normal"), ("high", "h", "high"),
                    ("urgent", "u", "urgent")]
NOBODY = "\x00nobody"  # the Choice value for "no assignee": no agent name holds NUL


def case_row(case: Case) -> Content:
    return Content.assemble(
        (f"{case.number} ", "bold"),
        (f"{case.status:<8}{case.priority:<7}", "dim"),
        (f"{case.assignee or '-':<10} ", "italic"),
        case.subject,
    )


def case_detail(case: Case, messages: list[MessageSummary]) -> Content:
    parts: list[str | tuple[str, str]] = [
        (case.number, "bold"), "  ", case.subject, "\n",
        (f"{case.status}, {case.priority} priority, "
         f"{'held by ' + case.assignee if case.assignee else 'unassigned'}; "
         f"updated {case.updated_at[:16].replace('T', ' ')}", "dim"),
    ]
    for message in messages:
        parts += ["\n", (f"{short_date(message.date):>10} ", "dim"),
                  message.from_name or message.from_addr, "  ",
                  (message.subject or "(no subject)", "italic")]
    if not messages:
        parts += ["\n", ("No message of this case is visible to you.", "dim")]
    return Content.assemble(*parts)


class CasesScreen(Screen[None]):
    BINDINGS = [
        Binding("x", "status('closed')", "Close"),
        Binding("o", "status('open')", "Reopen"),
        Binding("w", "status('pending')", "Pending"),
        Binding("P", "priority", "Priority"),
        Binding("A", "assign", "Assign"),
        *LIST_KEYS,
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.cases: list[Case] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="cases-body"):
            yield Static(Content("Cases"), classes="screen-title")
            yield OptionList(id="cases")
            yield Static(Content(""), id="case-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @property
    def current(self) -> Case | None:
        shown = self.query_one("#cases", OptionList)
        if not self.cases or shown.highlighted is None:
            return None
        return self.cases[min(shown.highlighted, len(self.cases) - 1)]

    @work(exclusive=True, group="cases", exit_on_error=False)
    async def load(self, keep: int | None = None) -> None:
        try:
            self.cases = await self.service.list_cases(self.agent)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        shown = self.query_one("#cases", OptionList)
        at = shown.highlighted or 0
        shown.clear_options()
        if not self.cases:
            shown.add_option(Option(Content("No cases yet: convert a thread with C."),
                                    disabled=True))
            self.query_one("#case-detail", Static).update(Content(""))
            return
        shown.add_options(Option(case_row(c), id=str(c.id)) for c in self.cases)
        if keep is not None:
            at = next((n for n, c in enumerate(self.cases) if c.id == keep), at)
        shown.highlighted = min(at, len(self.cases) - 1)
        shown.focus()

    @on(OptionList.OptionHighlighted, "#cases")
    def _highlighted(self) -> None:
        case = self.current
        if case is not None:
            self.show_detail(case)

    @work(exclusive=True, group="case-detail", exit_on_error=False)
    async def show_detail(self, case: Case) -> None:
        try:
            messages = await self.service.case_messages(self.agent, case.number)
        except FrontdeskError as exc:
            self.query_one("#case-detail", Static).update(Content(str(exc)))
            return
        self.query_one("#case-detail", Static).update(case_detail(case, messages))


    def action_status(self, status: str) -> None:
        case = self.current
        if case is not None:
            self.change(case, "status", status)

    def action_priority(self) -> None:
        case = self.current
        if case is not None:
            self.pick_priority(case)

    def action_assign(self) -> None:
        case = self.current
        if case is not None:
            self.pick_assignee(case)

    @work(group="case-change", exit_on_error=False)
    async def pick_priority(self, case: Case) -> None:
        chosen = await self.app.push_screen_wait(
            Choice(f"Priority of {case.number}:", PRIORITY_CHOICES))
        if chosen is not None:
            self.change(case, "priority", chosen)

    @work(group="case-change", exit_on_error=False)
    async def pick_assignee(self, case: Case) -> None:
        try:
            names = await self.service.case_assignees(self.agent, case.number)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        keys = "123456789abcdefghijklmnoprstuvwyz"
        choices = [(name, keys[n] if n < len(keys) else "", name)
                   for n, name in enumerate(names)]
        choices.append((NOBODY, "0", "nobody"))
        chosen = await self.app.push_screen_wait(
            Choice(f"Give {case.number} to:", choices))
        if chosen is not None:
            self.change(case, "assignee", None if chosen == NOBODY else chosen)

    @work(group="case-change", exit_on_error=False)
    async def change(self, case: Case, what: str, value: str | None) -> None:
        try:
            if what == "status":
                assert value is not None
                now = await self.service.set_case_status(self.agent, case.number, value)
                said = f"{now.number} is {now.status}."
            elif what == "priority":
                assert value is not None
                now = await self.service.set_case_priority(self.agent, case.number, value)
                said = f"{now.number} has {now.priority} priority."
            else:
                now = await self.service.assign_case(self.agent, case.number, value)
                said = (f"{now.number} is {now.assignee}'s." if now.assignee
                        else f"{now.number} has no assignee.")
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(said, title="Case", markup=False)
        self.load(keep=case.id)

    def action_close(self) -> None:
        self.dismiss(None)
