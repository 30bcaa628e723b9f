"""The cases screen, driven with Pilot: x, o, w, P and A change the highlighted case in
the store and on the screen."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from engine.service import LocalService
from tests.tui.test_console import make_app, settle
from tests.tui.test_triage import select, until
from tui.screens.cases import CasesScreen
from tui.screens.dialogs import Choice


async def test_cases_screen_changes_status_priority_and_assignee(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        message = await select(app, pilot, lambda m: bool(m.subject))
        made = await demo_service.convert(agent, message.id, "case")

        await app.run_action("screen.cases")
        await until(pilot, lambda: isinstance(app.screen, CasesScreen)
                    and bool(app.screen.cases))
        screen = app.screen
        assert isinstance(screen, CasesScreen)
        shown = screen.query_one("#cases", OptionList)
        assert made.label in str(shown.get_option_at_index(0).prompt)
        detail = screen.query_one("#case-detail", Static)
        await until(pilot, lambda: made.label in str(detail.render()))

        async def case_now() -> tuple[str, str, str]:
            case = await demo_service.case(agent, made.label)
            return case.status, case.priority, case.assignee

        await pilot.press("x")
        await until(pilot, lambda: any(f"{made.label} is closed." in str(n.message)
                                       for n in app._notifications))
        assert (await case_now())[0] == "closed"
        await pilot.press("w")
        await until(pilot, lambda: any(f"{made.label} is pending." in str(n.message)
                                       for n in app._notifications))
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("u")
        await until(pilot, lambda: any("urgent priority" in str(n.message)
                                       for n in app._notifications))
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("0")
        await until(pilot, lambda: any("has no assignee" in str(n.message)
                                       for n in app._notifications))
        assert await case_now() == ("pending", "urgent", "")
        await until(pilot, lambda: "urgent" in str(shown.get_option_at_index(0).prompt))
        await pilot.press("o")
        await until(pilot, lambda: any(f"{made.label} is open." in str(n.message)
                                       for n in app._notifications))
        assert (await case_now())[0] == "open"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CasesScreen))
