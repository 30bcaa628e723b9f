"""The triage keys driven with Pilot: p, c, b, L, C, d, a, t and the block list. Each
test presses the key, answers the dialog it opens, then checks the store and the screen."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from engine.listing import Listing
from engine.models import Agent, MessageSummary
from engine.service import LocalService
from tests.tui.test_console import INBOX, make_app, plain, screen_of, settle
from tui.app import FrontdeskApp
from tui.screens.blocks import BlocksScreen
from tui.screens.customer_form import CustomerForm
from tui.screens.customer_picker import CustomerPicker
from tui.screens.dialogs import Choice, Confirm
from tui.screens.timeline import TimelineScreen
from tui.widgets.message_list import MessageList


async def until(pilot: Pilot[None], condition: Callable[[], bool], limit: float = 10) -> None:
    """Let the app run until `condition` holds (dialogs keep their worker waiting, so
    waiting for every worker to finish would never return)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the console never got there"
        await pilot.pause(0.02)


def notes(app: FrontdeskApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def select(app: FrontdeskApp, pilot: Pilot[None],
                 wanted: Callable[[MessageSummary], bool]) -> MessageSummary:
    """Put the cursor on the first loaded inbox row that is `wanted`."""
    messages = app.screen.query_one(MessageList)
    for row in range(messages.total):
        found = messages.message_at(row)
        if found is not None and wanted(found):
            messages.move_cursor(row)
            await settle(app, pilot)
            assert messages.selected == found
            return found
    raise AssertionError("no such message in the loaded rows")


async def four_rows_with_a_conversation(
        service: LocalService, agent: Agent, messages: MessageList,
) -> tuple[int, list[MessageSummary]]:
    """The first row of four loaded rows in a row, all of accounts the agent may act on
    (its own and shared ones), two of which are of one thread; and those rows."""
    actable = {a.id for a in await service.list_accounts(agent)
               if a.kind == "shared" or a.owner_agent_id == agent.id}
    loaded = [messages.message_at(r) for r in range(min(messages.total, 400))]
    for start in range(len(loaded) - 3):
        rows = [m for m in loaded[start:start + 4] if m is not None]
        threads = {m.thread_id if m.thread_id is not None else -m.id for m in rows}
        if len(rows) == 4 and len(threads) < 4 and all(m.account_id in actable
                                                        for m in rows):
            return start, rows
    raise AssertionError("no four rows in a row hold a conversation")


async def pick(app: FrontdeskApp, pilot: Pilot[None], typed: str, customer_id: int) -> None:
    """p, then type into the picker until it offers exactly that customer; Enter."""
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, CustomerPicker))
    await pilot.press(*typed)
    picker = app.screen
    assert isinstance(picker, CustomerPicker)
    await until(pilot, lambda: [c.id for c in picker.found] == [customer_id])
    await pilot.press("enter")


async def test_c_adds_a_customer_prefilled_from_the_sender(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        unknown = await select(app, pilot, lambda m: m.customer_id is None and m.from_addr)
        card = await demo_service.sender_of(agent, unknown.id)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CustomerForm))
        form = app.screen
        assert form.query_one("#customer-name", Input).value == card.name
        assert form.query_one("#customer-addresses", Input).value == card.address
        form.query_one("#customer-company", Input).value = "Brightline Ltd"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("added" in n for n in notes(app)))
        found = await demo_service.sender_of(agent, unknown.id)
        assert found.customer is not None
        assert found.customer.company == "Brightline Ltd"
        assert card.address in found.customer.addresses
        # The list shows the sender as known from now on ("Author not found" goes).
        await until(pilot, lambda: (m := app.screen.query_one(MessageList).selected)
                    is not None and m.customer_id == found.customer.id)


async def test_p_pairs_with_a_picked_customer_and_asks_before_moving(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    hostile = await demo_service.add_customer(agent, name="[bold red]Zed Markup[/]",
                                              company="Q[/]", addresses=())
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        unknown = await select(app, pilot, lambda m: m.customer_id is None and m.from_addr)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, CustomerPicker))
        await pilot.press(*"zedmark")
        picker = app.screen
        assert isinstance(picker, CustomerPicker)
        await until(pilot, lambda: [c.id for c in picker.found] == [hostile.id])
        shown = picker.query_one("#picker-results", OptionList).get_option_at_index(0)
        assert "[bold red]Zed Markup[/]" in str(shown.prompt)  # shown as text, not markup
        await pilot.press("enter")
        await until(pilot, lambda: any("is now" in n for n in notes(app)))
        card = await demo_service.sender_of(agent, unknown.id)
        assert card.customer is not None and card.customer.id == hostile.id

        # Pairing that address with another customer asks first; "n" leaves it.
        other = await demo_service.add_customer(agent, name="Yolanda Other", addresses=())
        await pick(app, pilot, "yolanda", other.id)
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, type(screen_of(app))))
        card = await demo_service.sender_of(agent, unknown.id)
        assert card.customer is not None and card.customer.id == hostile.id
        # Again, and "y" moves it.
        await pick(app, pilot, "yolanda", other.id)
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: sum("is now" in n for n in notes(app)) == 2)
        card = await demo_service.sender_of(agent, unknown.id)
        assert card.customer is not None and card.customer.id == other.id


async def test_b_blocks_the_sender_and_the_block_list_unblocks(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        messages = app.screen.query_one(MessageList)
        total = messages.total
        target = await select(app, pilot, lambda m: bool(m.from_addr))
        listing = Listing(scope="unified:inbox", query=f"from:{target.from_addr}")
        from_sender = await demo_service.count_listing(agent, listing)
        assert from_sender >= 1
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("a")
        await until(pilot, lambda: messages.total == total - from_sender)
        assert await demo_service.count_listing(agent, listing) == 0
        (entry,) = await demo_service.list_blocks(agent)
        assert entry.value == target.from_addr.lower() and entry.kind == "address"

        await app.run_action("screen.blocks")
        await until(pilot, lambda: isinstance(app.screen, BlocksScreen)
                    and bool(app.screen.entries))
        shown = app.screen.query_one("#blocks", OptionList)
        assert target.from_addr.lower() in str(shown.get_option_at_index(0).prompt)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, BlocksScreen)
                    and not app.screen.entries)
        await pilot.press("escape")
        await until(pilot, lambda: messages.total == total)
        assert await demo_service.list_blocks(agent) == []


async def test_L_and_C_convert_the_thread_once(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert await demo_service.list_cases(agent) == []
        await pilot.press("C")
        await until(pilot, lambda: any("is now case" in n for n in notes(app)))
        (case,) = await demo_service.list_cases(agent)
        assert case.number in notes(app)[-1]
        await pilot.press("C")
        await until(pilot, lambda: any("already case" in n for n in notes(app)))
        assert [c.id for c in await demo_service.list_cases(agent)] == [case.id]
        await pilot.press("L")
        await until(pilot, lambda: any("is now lead" in n for n in notes(app)))


async def test_d_and_a_move_the_message_to_trash_and_archive(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    trash = Listing(scope="unified:trash")
    archive = Listing(scope="unified:archive")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        messages = app.screen.query_one(MessageList)
        total = messages.total
        first = messages.selected
        assert first is not None
        in_trash = await demo_service.count_listing(agent, trash)
        await pilot.press("d")
        await until(pilot, lambda: messages.total == total - 1)
        assert await demo_service.position_in_listing(agent, INBOX, first.id) is None
        assert await demo_service.position_in_listing(agent, trash, first.id) is not None
        assert await demo_service.count_listing(agent, trash) == in_trash + 1
        await until(pilot, lambda: messages.selected is not None)
        second = messages.selected
        assert second is not None and second.id != first.id
        await pilot.press("a")
        await until(pilot, lambda: messages.total == total - 2)
        assert await demo_service.position_in_listing(agent, archive, second.id) is not None


async def test_U_undoes_the_last_delete_or_archive(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        messages = app.screen.query_one(MessageList)
        total = messages.total
        await pilot.press("U")
        await until(pilot, lambda: any("Nothing to undo" in n for n in notes(app)))
        first = messages.selected
        assert first is not None
        await pilot.press("v", "v")  # mark two, delete both
        await pilot.press("d")
        await until(pilot, lambda: messages.total == total - 2)
        assert any("U undoes" in n for n in notes(app))
        await pilot.press("U")
        await until(pilot, lambda: messages.total == total)
        assert any("Back in INBOX: 2 messages." in n for n in notes(app))
        assert await demo_service.position_in_listing(agent, INBOX, first.id) is not None
        await pilot.press("U")  # one undo per action
        await until(pilot, lambda: sum("Nothing to undo" in n for n in notes(app)) == 2)
        assert messages.total == total


async def test_t_shows_the_customer_timeline(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        unknown = await select(app, pilot, lambda m: m.customer_id is None)
        await pilot.press("t")
        await until(pilot, lambda: any("Author not found" in n for n in notes(app)))
        assert not isinstance(app.screen, TimelineScreen)
        known = await select(app, pilot, lambda m: m.customer_id is not None)
        assert known.id != unknown.id and known.customer_id is not None
        timeline = await demo_service.customer_timeline(agent, known.customer_id)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen)
                    and app.screen.timeline is not None)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        header = plain(screen.query_one("#timeline-header", Static))
        assert timeline.customer.name in header
        assert f"{timeline.total} messages" in header
        rows = screen.query_one("#timeline-messages", OptionList)
        assert rows.option_count >= len(timeline.messages) > 0
        assert known.id in [m.id for m in timeline.messages]
        await pilot.press("enter")
        await until(pilot, lambda: timeline.messages[0].subject[:20]
                    in plain(screen.query_one("#preview-headers", Static)))
        last = len(timeline.messages) - 1
        await pilot.press("j")  # j and k move in the list as its arrow keys do
        await until(pilot, lambda: rows.highlighted == min(1, last))
        await pilot.press("k")
        await until(pilot, lambda: rows.highlighted == 0)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TimelineScreen))


async def test_v_marks_messages_and_actions_take_the_marked_ones(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        messages = app.screen.query_one(MessageList)
        first, second = messages.message_at(0), messages.message_at(1)
        assert first is not None and second is not None
        await pilot.press("v", "v")
        await settle(app, pilot)
        assert [m.id for m in messages.marked] == [first.id, second.id]
        assert messages.cursor_row == 2
        assert "2 marked" in screen_of(app).status_text
        # Esc clears the marks; marking again and converting makes one case per thread.
        await pilot.press("escape")
        await settle(app, pilot)
        assert messages.marked == [] and "marked" not in screen_of(app).status_text
        # Rows of one thread make one case: four rows in a row, of accounts the agent
        # may act on, two of them of one conversation.
        start, rows = await four_rows_with_a_conversation(demo_service, agent, messages)
        threads = {m.thread_id if m.thread_id is not None else -m.id for m in rows}
        messages.move_cursor(start)
        await settle(app, pilot)
        await pilot.press("v", "v", "v", "v", "C")
        await until(pilot, lambda: sum("is now case" in n for n in notes(app))
                    == len(threads))
        cases = await demo_service.list_cases(agent)
        assert len(cases) == len(threads)
        assert messages.marked == []
