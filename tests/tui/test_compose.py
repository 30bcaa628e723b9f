"""Writing mail driven with Pilot: r, R, f and m open the compose screen on a draft the
engine prefilled; typing autosaves; ctrl+s reviews and y queues it; Esc keeps it as a
draft that the next start offers again; the agent's editor, saved replies and
attachments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from engine.listing import Listing
from engine.models import Agent, Draft
from engine.service import LocalService
from storage import outgoing as outgoing_sql
from tests.tui.test_console import make_app, plain, settle
from tests.tui.test_triage import notes, select, until
from tui.app import FrontdeskApp
from tui.editor import run_command
from tui.screens.compose import AddressSuggester, ComposeScreen, TemplatePicker
from tui.screens.dialogs import Choice, Confirm
from tui.screens.drafts import DraftsScreen, OutboxScreen
from tui.screens.main import MainScreen
from tui.screens.review import AskPath, ReviewScreen, account_choices

INBOX = Listing(scope="unified:inbox")


def field(app: FrontdeskApp, name: str) -> str:
    return app.screen.query_one(f"#compose-{name}", Input).value


def body(app: FrontdeskApp) -> TextArea:
    return app.screen.query_one("#compose-body", TextArea)


def compose_screen(app: FrontdeskApp) -> ComposeScreen:
    assert isinstance(app.screen, ComposeScreen)
    return app.screen


async def press_on_message(app: FrontdeskApp, pilot: Pilot[None], key: str,
                           message_id: int | None = None) -> ComposeScreen:
    """Put the cursor on the message (the first one by default), press `key` and wait
    for the compose screen."""
    await settle(app, pilot)
    if message_id is not None:
        await select(app, pilot, lambda m: m.id == message_id)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
    await pilot.pause()
    return compose_screen(app)


async def first_with_cc(service: LocalService, agent: Agent) -> tuple[int, Draft]:
    """A message of the demo inbox whose reply-all has a Cc, and that reply-all."""
    for message in await service.list_listing(agent, INBOX, limit=40):
        made = await service.start_draft(agent, "reply_all", message_id=message.id)
        await service.discard_draft(agent, made.id)
        if made.cc:
            return message.id, made
    raise AssertionError("the demo inbox has no message with a Cc")


async def test_r_opens_a_prefilled_reply_that_autosaves_and_is_queued_with_y(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    first, *_ = await demo_service.list_listing(agent, INBOX, limit=1)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        compose = await press_on_message(app, pilot, "r")
        draft_id = compose.draft.id
        assert first.from_addr in field(app, "to")
        assert field(app, "subject").startswith("Re: ")
        assert field(app, "cc") == ""
        assert "wrote:" in body(app).text  # the quoted original, below the cursor
        assert app.focused is body(app) and body(app).cursor_location == (0, 0)

        await pilot.press(*"Thanks, fixed.")
        # Saved about a second after typing stops, without leaving the screen.
        saved = await demo_service.draft(agent, draft_id)
        assert not saved.body.startswith("Thanks, fixed.")
        await until(pilot, lambda: compose._saved.body.startswith("Thanks, fixed."))
        saved = await demo_service.draft(agent, draft_id)
        assert saved.body.startswith("Thanks, fixed.\n")

        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        shown = plain(app.screen.query_one("#review-headers", Static))
        assert saved.subject in shown and first.from_addr in shown
        assert "Thanks, fixed." in plain(app.screen.query_one("#review-body", Static))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(app, pilot)
        assert f"Queued: {saved.subject} — the engine sends it" in notes(app)
    (queued,) = [d for d in await demo_service.outbox(agent) if d.id == draft_id]
    assert queued.state == "queued"
    assert draft_id not in [d.id for d in await demo_service.list_drafts(agent)]


async def test_R_answers_everyone_and_f_forwards(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    message_id, expected = await first_with_cc(demo_service, agent)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await press_on_message(app, pilot, "R", message_id)
        assert field(app, "to") == ", ".join(expected.to)
        assert field(app, "cc") == ", ".join(expected.cc) != ""
        assert compose_screen(app).draft.kind == "reply_all"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await press_on_message(app, pilot, "f", message_id)
        assert field(app, "subject").startswith("Fwd: ")
        assert field(app, "to") == ""
        assert app.focused is app.screen.query_one("#compose-to", Input)
        # No recipient: the review says so and stays.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("y")
        await until(pilot, lambda: any("no recipient" in n for n in notes(app)))
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))


async def test_m_asks_for_the_account_and_esc_keeps_the_draft(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    accounts = await demo_service.list_accounts(agent)
    assert len(accounts) > 1  # the demo agent has no main account: m asks
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        compose = compose_screen(app)
        assert compose.draft.account == accounts[1].name
        assert accounts[1].email in plain(app.screen.query_one("#compose-title", Static))
        assert app.focused is app.screen.query_one("#compose-to", Input)
        await pilot.press(*"someone@example.org")
        await pilot.press("tab")
        await pilot.press("tab", "tab")
        await pilot.press(*"[bold]Hello[/bold]")
        await pilot.press("escape")  # saves at once, without waiting for the autosave
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert any(n.startswith("Kept in your drafts: [bold]Hello[/bold]")
                   for n in notes(app))
    (kept,) = await demo_service.list_drafts(agent)
    assert (kept.id, kept.kind, kept.to) == (compose.draft.id, "new", ("someone@example.org",))
    assert kept.subject == "[bold]Hello[/bold]"


async def test_the_next_start_offers_unsent_drafts_and_reopens_one(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    first, second = await demo_service.list_listing(agent, INBOX, limit=2)
    kept = await demo_service.start_draft(agent, "reply", message_id=first.id)
    await demo_service.save_draft(agent, kept.id, to=", ".join(kept.to), cc="", bcc="",
                                  subject="[red]Half[/red] written", body="So far…")
    other = await demo_service.start_draft(agent, "forward", message_id=second.id)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "2 unsent drafts: open them from the palette (Drafts)" in notes(app)
        commands = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Drafts: unsent mail", "Outbox: queued, sent and failed mail"} <= commands
        await app.run_action("screen.drafts")
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen)
                    and len(app.screen.entries) == 2)
        drafts = app.screen
        assert isinstance(drafts, DraftsScreen)
        listed = drafts.query_one("#draft-list", OptionList)
        labels = [str(listed.get_option_at_index(i).prompt) for i in range(2)]
        assert any("[red]Half[/red] written" in label for label in labels)  # as text

        # x discards the forward (after asking); Enter opens the other one.
        position = [d.id for d in drafts.entries].index(other.id)
        listed.highlighted = position
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, DraftsScreen)
                    and [d.id for d in app.screen.entries] == [kept.id])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        assert compose_screen(app).draft.id == kept.id
        assert field(app, "subject") == "[red]Half[/red] written"
        assert body(app).text == "So far…"
    assert [d.id for d in await demo_service.list_drafts(agent)] == [kept.id]


async def test_outbox_reopens_a_failed_message_as_a_draft(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    first, *_ = await demo_service.list_listing(agent, INBOX, limit=1)
    draft = await demo_service.start_draft(agent, "reply", message_id=first.id)
    await demo_service.send_draft(agent, draft.id)
    async with demo_service.store.transaction() as db:
        await outgoing_sql.mark_failed(db, draft.id, error="550 mailbox unavailable")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await app.run_action("screen.outbox")
        await until(pilot, lambda: isinstance(app.screen, OutboxScreen)
                    and len(app.screen.entries) == 1)
        label = str(app.screen.query_one("#draft-list", OptionList)
                    .get_option_at_index(0).prompt)
        assert "failed" in label and "550 mailbox unavailable" in label
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        assert compose_screen(app).draft.state == "draft"
    assert (await demo_service.draft(agent, draft.id)).state == "draft"


EDITOR_SCRIPT = """\
import sys
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
text = text.replace("Subject: Re: ", "Subject: Edited: ", 1)
text = text.rstrip("\\n") + "\\nWritten in the editor.\\n"
open(path, "w", encoding="utf-8").write(text)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 2 else 0)
"""


async def test_ctrl_o_round_trips_through_the_agents_editor(
        demo_service: LocalService, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT)
    monkeypatch.delenv("VISUAL", raising=False)
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        compose = await press_on_message(app, pilot, "r")
        subject = field(app, "subject")
        # Headless, the console cannot hand the terminal over: run the editor directly.
        compose.run_editor = run_command
        monkeypatch.setenv("EDITOR", f"{sys.executable} {script} 3")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: any("status 3" in n for n in notes(app)))
        assert field(app, "subject") == subject  # unchanged

        monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert field(app, "subject") == "Edited: " + subject.removeprefix("Re: ")
        assert body(app).text.endswith("\nWritten in the editor.")
        await until(pilot, lambda: compose._saved.subject.startswith("Edited: "))
    saved = await demo_service.draft(agent, compose.draft.id)
    assert saved.subject.startswith("Edited: ")
    assert saved.body.endswith("\nWritten in the editor.")
    assert saved.to == compose.draft.to


async def attach(app: FrontdeskApp, pilot: Pilot[None], path: Path) -> None:
    """ctrl+f, the path, Enter."""
    await pilot.press("ctrl+f")
    await until(pilot, lambda: isinstance(app.screen, AskPath))
    app.screen.query_one("#ask-path", Input).value = str(path)
    await pilot.press("enter")


async def test_ctrl_t_inserts_a_saved_reply_and_ctrl_f_attaches_a_file(
        demo_service: LocalService, tmp_path: Path) -> None:
    agent = await demo_service.login("tester")
    await demo_service.add_template(agent, "thanks", "Thanks {{ agent.name }}, noted.")
    attachment = tmp_path / "quote.txt"
    attachment.write_text("price list\n")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        compose = await press_on_message(app, pilot, "r")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, TemplatePicker))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen)
                    and "noted." in body(app).text)
        assert body(app).text.startswith("Thanks ")
        assert body(app).cursor_location[1] == len(body(app).text.split("\n")[0])

        await attach(app, pilot, tmp_path / "missing.txt")
        await until(pilot, lambda: any("is not a file" in n for n in notes(app)))
        await attach(app, pilot, attachment)
        await until(pilot, lambda: "quote.txt" in plain(
            app.screen.query_one("#compose-attachments", Static)))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert "quote.txt (11 B)" in plain(app.screen.query_one("#review-headers", Static))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    saved = await demo_service.draft(agent, compose.draft.id)
    assert saved.state == "draft"
    assert saved.body.startswith("Thanks ")
    assert [a.filename for a in saved.attachments] == ["quote.txt"]


async def test_an_html_saved_reply_goes_out_as_html_until_its_text_is_edited(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    await demo_service.add_template(agent, "shipped", "<p>Your order <b>shipped</b>.</p>",
                                    html=True)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        compose = await press_on_message(app, pilot, "r")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: isinstance(app.screen, TemplatePicker))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen)
                    and "shipped" in body(app).text)
        assert "<b>" not in body(app).text  # the agent edits the text version
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert "plain text and HTML" in plain(app.screen.query_one("#review-headers", Static))
        saved = await demo_service.draft(agent, compose.draft.id)
        assert saved.html_body is not None and "<b>shipped</b>" in saved.html_body
        assert "wrote:" in saved.html_body  # the quoted original, escaped, around it
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        body(app).move_cursor((0, body(app).text.index("shipped") + 2))
        await pilot.press("X")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert "plain text and HTML" not in plain(
            app.screen.query_one("#review-headers", Static))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert (await demo_service.draft(agent, compose.draft.id)).html_body is None


async def test_review_removes_an_attachment_and_changes_the_sender(
        demo_service: LocalService, tmp_path: Path) -> None:
    agent = await demo_service.login("tester")
    accounts = await demo_service.list_accounts(agent)
    assert len(accounts) >= 2
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for file in files:
        file.write_text(file.name)
    app = make_app(demo_service, agent)
    async with app.run_test(size=(100, 30)) as pilot:
        compose = await press_on_message(app, pilot, "r")
        for file in files:
            await demo_service.attach_file(agent, compose.draft.id, str(file))
        compose.draft = await demo_service.draft(agent, compose.draft.id)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("1")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen)
                    and "a.txt" not in plain(app.screen.query_one("#review-headers", Static)))
        assert "b.txt" in plain(app.screen.query_one("#review-headers", Static))

        other = next(a for a in accounts if a.id != compose.draft.account_id)
        keys = {name: key for name, key, _ in account_choices(accounts)}
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press(keys[other.name])
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen)
                    and f"({other.name})" in plain(
                        app.screen.query_one("#review-headers", Static)))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        assert other.email in plain(app.screen.query_one("#compose-title", Static))
    kept = await demo_service.draft(agent, compose.draft.id)
    assert kept.account == other.name and kept.from_addr == other.email
    assert [a.filename for a in kept.attachments] == ["b.txt"]


async def test_review_discards_after_asking(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = make_app(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        compose = await press_on_message(app, pilot, "r")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert compose.draft.id not in [d.id for d in await demo_service.list_drafts(agent)]


async def test_address_suggester_completes_the_part_after_the_last_comma(
        demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    known = (await demo_service.address_suggestions(agent, "sarah"))[0]
    suggester = AddressSuggester(demo_service, agent)
    # The part typed is completed as the candidate spells it.
    assert await suggester.get_suggestion("Sar") == known
    assert await suggester.get_suggestion("x@y.example, sar") == "x@y.example, " + known
    address = known.split("<")[1].rstrip(">")
    assert await suggester.get_suggestion("a@b.example,  " + address[:6]) == (
        "a@b.example,  " + address)
    assert await suggester.get_suggestion("sarah ") is None
    assert await suggester.get_suggestion("x@y.example, ") is None
    assert await suggester.get_suggestion("zzzzqqq") is None
