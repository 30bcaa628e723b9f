"""A customer's timeline: every message to and from the customer across the accounts
the agent may see, newest first, with the customer's cases and leads. Enter reads the
highlighted message below the list."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import Agent, MessageSummary, Timeline
from engine.service import Service
from tui.screens.list_keys import LIST_KEYS
from tui.widgets.message_row import short_date
from tui.widgets.preview import Preview

PAGE = 200


def timeline_header(timeline: Timeline) -> Content:
    """The customer, then its cases and leads (customer and mail text: plain)."""
    c = timeline.customer
    parts: list[str | tuple[str, str]] = [(c.name, "bold")]
    if c.company:
        parts += [" · ", c.company]
    parts += ["\n", (", ".join(c.addresses) or "(no address)", "dim")]
    for case in timeline.cases:
        parts += ["\n", (f"{case.number} [{case.status}] ", "bold"), case.subject]
    for lead in timeline.leads:
        parts += ["\n", (f"lead [{lead.status}] ", "bold"), lead.name]
        if lead.company:
            parts += [" · ", lead.company]
    parts += ["\n", (f"{timeline.total} messages", "dim")]
    return Content.assemble(*parts)


def timeline_row(message: MessageSummary, addresses: tuple[str, ...],
                 badges: dict[int, str]) -> Content:
    direction = "from" if message.from_addr.lower() in addresses else "to  "
    return Content.assemble(
        (f"{short_date(message.date):>10} ", "dim"),
        (f"{badges.get(message.account_id, ''):<8} ", "italic"),
        (f"{direction} ", "dim"),
        message.subject or "(no subject)",
    )


class TimelineScreen(Screen[None]):
    BINDINGS = [
        *LIST_KEYS,
    ]

    def __init__(self, service: Service, agent: Agent, customer_id: int,
                 *, badges: dict[int, str] | None = None, html: bool = True) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.customer_id = customer_id
        self.badges = badges or {}
        self.html = html
        self.timeline: Timeline | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="timeline-body"):
            yield Static(Content("Loading…"), id="timeline-header", classes="screen-title")
            yield OptionList(id="timeline-messages")
            yield Preview(id="timeline-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="timeline", exit_on_error=False)
    async def load(self) -> None:
        try:
            timeline = await self.service.customer_timeline(
                self.agent, self.customer_id, limit=PAGE)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            self.dismiss(None)
            return
        self.timeline = timeline
        self.query_one("#timeline-header", Static).update(timeline_header(timeline))
        shown = self.query_one("#timeline-messages", OptionList)
        shown.clear_options()
        addresses = tuple(a.lower() for a in timeline.customer.addresses)
        shown.add_options(Option(timeline_row(m, addresses, self.badges), id=str(m.id))
                          for m in timeline.messages)
        if timeline.total > len(timeline.messages):
            shown.add_option(Option(
                Content(f"… {timeline.total - len(timeline.messages)} older messages; "
                        "see `frontdesk customer show`"), disabled=True))
        if not timeline.messages:
            shown.add_option(Option(Content("No messages to or from this customer."),
                                    disabled=True))
        else:
            shown.highlighted = 0
        shown.focus()


    @on(OptionList.OptionSelected, "#timeline-messages")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.read(int(event.option.id))

    @work(exclusive=True, group="timeline-read", exit_on_error=False)
    async def read(self, message_id: int) -> None:
        try:
            view = await self.service.open_message(self.agent, message_id)
        except FrontdeskError as exc:
            self.query_one(Preview).show_note(str(exc))
            return
        self.query_one(Preview).show(view, html=self.html)

    def action_close(self) -> None:
        self.dismiss(None)
