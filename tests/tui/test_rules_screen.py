"""The rules screen, the rule form, a dry run's results and "Why?", driven with Pilot on
the demo store (tester is an admin: it configures the shared support mailbox and its own
alex). Each test acts through the screen, then checks the store and what is shown."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, OptionList, Select, Static

from engine.models import Agent, Rule, RuleCondition
from engine.service import LocalService
from tests.tui.test_console import make_app, settle
from tests.tui.test_triage import notes, select, until
from tui.app import FrontdeskApp
from tui.palette import binding_commands
from tui.screens.dialogs import Choice, Confirm
from tui.screens.main import MainScreen
from tui.screens.rule_form import ConditionRow, RuleForm
from tui.screens.rule_test import RuleTestScreen
from tui.screens.rules import RulesScreen
from tui.screens.why import NONE_RAN, WhyScreen

HOSTILE_NAME = "[bold]Loud[/bold] [@click=app.quit]quit[/]"
ESC_NAME = "\x1b]52;c;aGk=\x07\x1b[31m" + HOSTILE_NAME
HOSTILE_VALUE = "[red]refund[/red]\x1b[2J"


def rule(account: str, name: str, *conditions: RuleCondition, kind: str = "filter",
         **fields: Any) -> Rule:
    if kind == "filter":
        fields.setdefault("actions", ("flag",))
    else:
        fields.setdefault("body", "Thanks, we have your mail.")
    return Rule(id=0, account_id=0, account=account, name=name, kind=kind, active=True,
                position=0, conditions=conditions, **fields)


def rows(screen: RulesScreen) -> list[str]:
    options = screen.query_one("#rules", OptionList)
    return [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]


def plain(screen: Any, selector: str) -> str:
    content = screen.query_one(selector, Static).content
    assert isinstance(content, Content)
    return content.plain


def cells(table: DataTable[Any]) -> list[list[str]]:
    found: list[list[str]] = []
    for n in range(table.row_count):
        row = table.get_row_at(n)
        assert all(isinstance(cell, Text) for cell in row)  # never parsed as markup
        found.append([cell.plain for cell in row])
    return found


async def open_rules(app: FrontdeskApp, pilot: Pilot[None]) -> RulesScreen:
    """Open the screen as the command palette does."""
    await settle(app, pilot)
    command = next(c for c in binding_commands(app, app.screen)
                   if c.title == "Rules: auto-responses and filters")
    await command.callback()
    await until(pilot, lambda: isinstance(app.screen, RulesScreen) and app.screen.loaded)
    screen = app.screen
    assert isinstance(screen, RulesScreen)
    return screen


async def highlight(screen: RulesScreen, pilot: Pilot[None], name: str) -> None:
    at = next(n for n, r in enumerate(screen.rules) if r.name == name)
    screen.query_one("#rules", OptionList).highlighted = at
    await pilot.pause()


async def open_form(app: FrontdeskApp, pilot: Pilot[None], key: str = "a") -> RuleForm:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, RuleForm))
    form = app.screen
    assert isinstance(form, RuleForm)
    await pilot.pause()
    return form


async def add_condition(form: RuleForm, pilot: Pilot[None]) -> ConditionRow:
    before = len(form.query(ConditionRow))
    form.query_one("#add-condition", Button).press()
    await until(pilot, lambda: len(form.query(ConditionRow)) == before + 1)
    return list(form.query(ConditionRow))[-1]


async def fill(row: ConditionRow, pilot: Pilot[None], field: str, op: str, value: str,
               header: str = "") -> None:
    row.query_one(".condition-field", Select).value = field
    await pilot.pause()
    row.query_one(".condition-op", Select).value = op
    row.query_one(".condition-value", Input).value = value
    if header:
        row.query_one(".condition-header", Input).value = header
    await pilot.pause()


async def fresh_form(app: FrontdeskApp, pilot: Pilot[None], name: str,
                     kind: str) -> RuleForm:
    """The rules screen, then a with the support mailbox, the name typed and the kind."""
    await open_rules(app, pilot)
    form = await open_form(app, pilot)
    form.query_one("#rule-mailbox", Select).value = "support"
    await pilot.press(*name)
    form.query_one("#rule-kind", Select).value = kind
    await pilot.pause()
    return form


async def test_list_shows_each_rule_with_its_conditions_and_action(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    await demo_service.save_rule(agent, rule(
        "support", "Urgent", RuleCondition("subject", "contains", "urgent"),
        RuleCondition("header", "equals", "1", header="X-Priority"),
        actions=("move", "flag"), folder="Archive"))
    await demo_service.save_rule(agent, rule("alex", "Thanks", kind="respond",
                                             period_days=2))
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_rules(app, pilot)
        shown = {r.name: row for r, row in zip(screen.rules, rows(screen), strict=True)}
        assert set(shown) == {"Urgent", "Thanks"}
        urgent = shown["Urgent"]
        assert urgent.startswith("support") and "filter" in urgent and " on " in urgent
        assert "subject contains 'urgent' and heade… → " in urgent  # clipped
        assert urgent.endswith("move to Archive, flag")
        thanks = shown["Thanks"]
        assert thanks.startswith("alex") and "respond" in thanks
        assert "every message" in thanks
        assert thanks.endswith("answer: plain, every 2 days")

        await highlight(screen, pilot, "Urgent")
        detail = plain(screen, "#rule-detail")
        assert detail.startswith("Urgent  filter of support, on")
        assert "When: subject contains 'urgent'\n  and header X-Priority equals '1'" in detail
        assert "processing mode none" in detail
        await highlight(screen, pilot, "Thanks")
        detail = plain(screen, "#rule-detail")
        assert "Then: answer with plain text, at most once per sender every 2 days" in detail
        assert detail.endswith("Thanks, we have your mail.\nMailbox alex: processing mode "
                               "none (new threads stay plain mail); M changes it.")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_a_adds_a_filter_built_from_conditions(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await fresh_form(app, pilot, "Invoices", "filter")
        assert not form.query_one("#respond-fields").display
        assert form.query_one("#filter-fields").display

        first = await add_condition(form, pilot)
        await fill(first, pilot, "subject", "contains", "Invoice")
        assert not first.query_one(".condition-header", Input).display
        second = await add_condition(form, pilot)
        await fill(second, pilot, "header", "equals", "1", header="X-Priority")
        assert second.query_one(".condition-header", Input).display
        third = await add_condition(form, pilot)
        await fill(third, pilot, "from", "any_of", "a@example.org, @example.net")
        third.query_one(".remove-condition", Button).press()
        await until(pilot, lambda: len(form.query(ConditionRow)) == 2)

        form.query_one("#action-mark_read", Checkbox).value = True
        form.query_one("#action-flag", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen)
                    and any(r.name == "Invoices" for r in app.screen.rules))

        (saved,) = await demo_service.list_rules(agent, "support")
        assert saved.name == "Invoices" and saved.kind == "filter" and saved.active
        assert saved.conditions == (
            RuleCondition("subject", "contains", "Invoice", ""),
            RuleCondition("header", "equals", "1", "X-Priority"),
        )
        assert saved.actions == ("mark_read", "flag") and saved.folder == ""
        assert any("Rule Invoices of support saved (on)." in n for n in notes(app))

        # Edited: Enter opens the form on the highlighted rule, the mailbox fixed.
        screen = app.screen
        assert isinstance(screen, RulesScreen)
        await highlight(screen, pilot, "Invoices")
        form = await open_form(app, pilot, "enter")
        assert form.query_one("#rule-mailbox", Select).disabled
        assert form.query_one("#rule-name", Input).value == "Invoices"
        assert [r.condition() for r in form.query(ConditionRow)] == list(saved.conditions)
        form.query(ConditionRow).first().query_one(".remove-condition", Button).press()
        await until(pilot, lambda: len(form.query(ConditionRow)) == 1)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        (edited,) = await demo_service.list_rules(agent, "support")
        assert edited.id == saved.id
        assert edited.conditions == (RuleCondition("header", "equals", "1", "X-Priority"),)


async def test_space_switches_a_rule_and_x_removes_it_after_asking(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    saved = await demo_service.save_rule(agent, rule(
        "support", "Flag refunds", RuleCondition("subject", "contains", "refund")))
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_rules(app, pilot)

        async def active() -> bool:
            return (await demo_service.rule(agent, saved.id)).active

        await pilot.press("space")
        await until(pilot, lambda: bool(screen.rules) and not screen.rules[0].active)
        assert not await active()
        assert " off " in rows(screen)[0]
        await pilot.press("space")
        await until(pilot, lambda: screen.rules[0].active)
        assert await active()

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        assert [r.id for r in await demo_service.list_rules(agent)] == [saved.id]
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: not screen.rules)
        assert await demo_service.list_rules(agent) == []
        assert rows(screen) == ["No rules yet: a adds one."]


async def test_t_runs_a_saved_rule_dry(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    await demo_service.save_rule(agent, rule(
        "support", "Invoices", RuleCondition("subject", "contains", "invoice")))
    expected = await demo_service.test_rule(agent, (await demo_service.list_rules(agent))[0])
    assert any(r.matched for r in expected) and not all(r.matched for r in expected)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_rules(app, pilot)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, RuleTestScreen))
        results = app.screen
        table = results.query_one("#rule-test-table", DataTable)
        shown = cells(table)
        assert len(shown) == len(expected)
        assert [row[3] for row in shown] == ["yes" if r.matched else "no" for r in expected]
        matched = sum(r.matched for r in expected)
        assert plain(results, "#rule-test-summary").startswith(
            f"{len(expected)} messages tested: {matched} match")
        at = next(n for n, r in enumerate(expected) if r.matched)
        table.move_cursor(row=at)
        await pilot.pause()
        assert plain(results, "#rule-test-response") == "Would do: flag"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        assert (await demo_service.list_rules(agent))[0].name == "Invoices"


async def test_the_form_tests_an_unsaved_response_and_saves_nothing(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await fresh_form(app, pilot, "Ack", "respond")
        assert form.query_one("#respond-fields").display
        assert not form.query_one("#filter-fields").display
        await fill(await add_condition(form, pilot), pilot, "subject", "contains", "invoice")
        form.query_one("#rule-subject", Input).value = "We got it"
        form.query_one("#rule-body").load_text("Thanks for writing.\nThe team")  # type: ignore[attr-defined]
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, RuleTestScreen))
        results = app.screen
        assert isinstance(results, RuleTestScreen)
        assert plain(results, "#rule-test-title").startswith("Dry run of Ack on the last 50")
        at = next(n for n, r in enumerate(results.results) if r.fired)
        results.query_one("#rule-test-table", DataTable).move_cursor(row=at)
        await pilot.pause()
        response = plain(results, "#rule-test-response")
        assert response.startswith("Would answer ")
        assert "Subject: We got it\n\nThanks for writing.\nThe team" in response
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is form)
        assert await demo_service.list_rules(agent) == []
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        assert await demo_service.list_rules(agent) == []


async def test_an_engine_refusal_shows_in_one_line_and_saves_nothing(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await fresh_form(app, pilot, "Bad", "filter")
        await fill(await add_condition(form, pilot), pilot, "subject", "regex", "([")
        form.query_one("#action-flag", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(form.error_text))
        assert form.error_text.startswith("not a valid regex '(['")
        assert "\n" not in form.error_text
        assert form.query_one("#rule-error").has_class("-error")
        assert app.screen is form
        assert await demo_service.list_rules(agent) == []

        # The dry run refuses it the same way; then a filter without an action.
        form.show_error("")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: bool(form.error_text))
        assert form.error_text.startswith("not a valid regex") and app.screen is form
        await fill(form.query(ConditionRow).first(), pilot, "subject", "contains", "x")
        form.query_one("#action-flag", Checkbox).value = False
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "needs an action" in form.error_text)
        assert await demo_service.list_rules(agent) == []
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))


async def test_M_sets_the_processing_mode_of_the_rules_mailbox(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    await demo_service.save_rule(agent, rule("support", "Any", actions=("flag",)))
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_rules(app, pilot)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("c")
        await until(pilot, lambda: app.screen is screen and screen.modes.get("support")
                    == "case")
        assert await demo_service.processing_mode(agent, "support") == "case"
        assert "processing mode case (new threads become cases)" in plain(
            screen, "#rule-detail")


async def plant_hostile(service: LocalService, agent: Agent) -> Rule:
    """A rule whose name holds markup and (planted past the engine's checks) escape
    sequences, with a condition value holding both."""
    saved = await service.save_rule(agent, rule(
        "support", HOSTILE_NAME, RuleCondition("subject", "contains", HOSTILE_VALUE)))
    async with service.store.transaction() as db:
        await db.execute("UPDATE rules SET name = ? WHERE id = ?", (ESC_NAME, saved.id))
    return saved


async def test_hostile_rule_text_is_shown_literally(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    await plant_hostile(demo_service, agent)
    await demo_service.run_rules(agent, "support", last=1)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_rules(app, pilot)
        (row,) = rows(screen)
        detail = plain(screen, "#rule-detail")
        for text in (row, detail):
            assert "\x1b" not in text and "\x07" not in text
        assert HOSTILE_NAME in detail
        assert "[bold]Loud[/bold] [… filter" in row  # clipped, not interpreted
        assert "subject contains '[red]refund[/red]" in row
        assert "subject contains '[red]refund[/red]\\x1b[2J'" in detail
        form = await open_form(app, pilot, "e")
        assert plain(form, "#rule-form-title") == f"Edit rule {HOSTILE_NAME}"
        assert form.query_one("#rule-name", Input).value == HOSTILE_NAME
        value = form.query(ConditionRow).first().query_one(".condition-value", Input).value
        assert value == "[red]refund[/red]"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        question = app.screen.query_one(".dialog-text", Static).content
        assert isinstance(question, Content)
        assert question.plain == f"Remove the rule {HOSTILE_NAME} of support?"
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running


async def open_why(app: FrontdeskApp, pilot: Pilot[None], message_id: int) -> WhyScreen:
    await settle(app, pilot)
    await select(app, pilot, lambda m: m.id == message_id)
    await pilot.press("W")
    await until(pilot, lambda: isinstance(app.screen, WhyScreen)
                and not any(w.is_running for w in app.screen.workers))
    why = app.screen
    assert isinstance(why, WhyScreen)
    return why


async def test_W_shows_why_the_rules_did_what_they_did(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    await demo_service.save_rule(agent, rule("support", "Flag all"))
    await plant_hostile(demo_service, agent)
    outcomes = await demo_service.run_rules(agent, "support", last=1)
    message_id = outcomes[0].message_id
    stored = await demo_service.rule_outcomes(agent, message_id)
    assert len(stored) == 2
    app = make_app(demo_service, agent)
    async with app.run_test(size=(140, 40)) as pilot:
        why = await open_why(app, pilot, message_id)
        table = why.query_one("#why-table", DataTable)
        shown = cells(table)
        assert shown[0] == ["Flag all", "filter", "yes", "yes", "flag"]
        hostile = shown[1]
        assert "\x1b" not in hostile[0] and hostile[0].startswith("[bold]Loud[/bold]")
        assert hostile[1:4] == ["filter", "no", "no"]
        assert plain(why, "#why-status").startswith("Flag all  fired")
        table.move_cursor(row=1)
        await pilot.pause()
        status = plain(why, "#why-status")
        assert status.startswith(f"{HOSTILE_NAME}  did not match")
        assert "\x1b" not in status
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_W_on_a_message_no_rule_saw_says_so(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        first = screen.query_one("#messages").selected  # type: ignore[attr-defined]
        assert first is not None
        why = await open_why(app, pilot, first.id)
        assert plain(why, "#why-status") == NONE_RAN
        assert not why.query_one("#why-table", DataTable).display
        await pilot.press("q")
        await until(pilot, lambda: app.screen is screen)
