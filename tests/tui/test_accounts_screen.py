"""The accounts screen and the sign-in modal, driven with Pilot on the demo store with an
OAuth2 account added. The provider is not reached: a small wrapper of the real service
stands in for the four sign-in calls, and on success stores a grant as the engine does;
the real flow is tested against a fake authority elsewhere."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.content import Content
from textual.widgets import Input, OptionList, Static

from engine.accounts import AccountSpec
from engine.errors import InvalidInputError, OAuthError
from engine.models import Agent, OAuthProviderChange, SignInPrompt
from engine.oauth.config import Grant
from engine.oauth.tokens import store_grant
from engine.service import LocalService
from storage import settings as settings_sql
from storage.records import AccountSettings
from tests.tui.test_console import make_app, settle
from tests.tui.test_triage import notes, until
from tui.app import FrontdeskApp
from tui.palette import binding_commands
from tui.screens.accounts import AccountsScreen, local_time
from tui.screens.sign_in import SignInScreen

HOSTILE = "[bold]m365[/bold]"
DEVICE_URL = "https://microsoft.com/devicelogin"
DEVICE_CODE = "FDX-42Q"
BROWSER_URL = "https://accounts.example/auth?client_id=x&state=[red]s[/red]"
PASTED = "http://127.0.0.1:8765/?code=abc&state=s"


class SignInStub:
    """The real service, but sign-in answers come from the test: `kind` chooses the
    prompt, `begin_error` makes begin_sign_in fail, `outcome` is set to finish it."""

    def __init__(self, real: LocalService) -> None:
        self.real = real
        self.kind = "device"
        self.begin_error: Exception | None = None
        self.calls: list[tuple[str, str]] = []
        self.outcome: asyncio.Future[str | Exception] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def begin_sign_in(self, agent: Agent, name: str) -> SignInPrompt:
        self.calls.append(("begin", name))
        if self.begin_error is not None:
            raise self.begin_error
        self.outcome = asyncio.get_running_loop().create_future()
        device = self.kind == "device"
        return SignInPrompt(
            id="p1", account=name, provider="microsoft" if device else "google",
            kind=self.kind, url=DEVICE_URL if device else BROWSER_URL,
            code=DEVICE_CODE if device else None,
            message=f"Open the address and sign in as [i]{name}[/i].",
            redirect_uri=None if device else "http://127.0.0.1:8765/", expires_at=None)

    async def finish_sign_in(self, agent: Agent, prompt_id: str) -> AccountSettings:
        self.calls.append(("finish", prompt_id))
        assert self.outcome is not None
        result = await self.outcome
        if isinstance(result, Exception):
            raise result
        account = await settings_sql.by_name(self.real.store.reader, result)
        assert account is not None
        await store_grant(self.real.store, account, Grant(
            access_token="t", expires_at=datetime.now(UTC) + timedelta(hours=1),
            user="helpdesk@contoso.example", state="{}"))
        signed = await settings_sql.by_name(self.real.store.reader, result)
        assert signed is not None
        return signed

    async def paste_sign_in(self, agent: Agent, prompt_id: str, address: str) -> None:
        self.calls.append(("paste", address))
        assert self.outcome is not None
        self.outcome.set_result(HOSTILE)

    async def cancel_sign_in(self, agent: Agent, prompt_id: str) -> None:
        self.calls.append(("cancel", prompt_id))
        if self.outcome is not None and not self.outcome.done():
            self.outcome.set_result(OAuthError("sign-in cancelled"))


@pytest.fixture
async def stub(demo_service: LocalService) -> SignInStub:
    admin = await demo_service.login("tester")
    await demo_service.set_oauth_provider(
        admin, OAuthProviderChange(provider="microsoft", client_id="x", tenant="t"))
    added = await demo_service.add_account(admin, AccountSpec(
        name="m365", email="help@contoso.example", imap_host="127.0.0.1", imap_port=1,
        oauth="microsoft", shared=True), None)
    # Names are checked when added; one with markup characters can only be planted.
    async with demo_service.store.transaction() as db:
        await db.execute("UPDATE accounts SET name = ? WHERE id = ?", (HOSTILE, added.id))
    return SignInStub(demo_service)


def shown(screen: AccountsScreen) -> list[str]:
    options = screen.query_one("#accounts", OptionList)
    return [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]


def text_of(screen: Any, selector: str) -> str:
    rendered = screen.query_one(selector, Static).render()
    assert isinstance(rendered, Content)
    return rendered.plain


async def open_accounts(app: FrontdeskApp, pilot: Any) -> AccountsScreen:
    """Open the screen as the command palette does."""
    await settle(app, pilot)
    command = next(c for c in binding_commands(app, app.screen)
                   if c.title == "Accounts: sync health and sign-in")
    await command.callback()
    await until(pilot, lambda: isinstance(app.screen, AccountsScreen) and bool(app.screen.rows))
    screen = app.screen
    assert isinstance(screen, AccountsScreen)
    return screen


async def highlight(screen: AccountsScreen, pilot: Any, name: str) -> None:
    at = next(n for n, row in enumerate(screen.rows) if row.name == name)
    screen.query_one("#accounts", OptionList).highlighted = at
    await pilot.pause()


async def start_sign_in(app: FrontdeskApp, pilot: Any, screen: AccountsScreen,
                        stub: SignInStub) -> SignInScreen:
    await highlight(screen, pilot, HOSTILE)
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, SignInScreen)
                and ("finish", "p1") in stub.calls)
    modal = app.screen
    assert isinstance(modal, SignInScreen)
    return modal


async def test_lists_accounts_with_login_kind_and_state(stub: SignInStub) -> None:
    agent = await stub.login("tester")
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        rows = dict(zip((r.name for r in screen.rows), shown(screen), strict=True))
        assert set(rows) == {"alex", "dana", "support", HOSTILE}
        assert "password" in rows["support"] and rows["support"].endswith("ok")
        assert HOSTILE in rows[HOSTILE] and "microsoft" in rows[HOSTILE]
        assert rows[HOSTILE].endswith("sign-in needed")
        options = screen.query_one("#accounts", OptionList)
        options.highlighted = 0
        await pilot.press("j")
        assert options.highlighted == 1
        assert text_of(screen, "#account-detail").startswith(screen.rows[1].name)
        await pilot.press("k")
        assert options.highlighted == 0
        await highlight(screen, pilot, "dana")
        assert "Its owner dana configures it." in text_of(screen, "#account-detail")
        await highlight(screen, pilot, HOSTILE)
        detail = text_of(screen, "#account-detail")
        assert detail.startswith(f"{HOSTILE}  help@contoso.example")
        assert "nobody has signed it in yet" in detail and "c connects it" in detail

        await highlight(screen, pilot, "support")
        await pilot.press("c")
        await until(pilot, lambda: any("support logs in with a password" in n
                                       and "frontdesk account password support "
                                       "--password-stdin" in n for n in notes(app)))
        assert isinstance(app.screen, AccountsScreen) and stub.calls == []
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, AccountsScreen))


async def test_device_sign_in_shows_url_and_code_then_the_signed_in_state(
        stub: SignInStub) -> None:
    agent = await stub.login("tester")
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        modal = await start_sign_in(app, pilot, screen, stub)
        assert stub.calls[0] == ("begin", HOSTILE)
        assert text_of(modal, "#sign-in-title") == f"Sign in {HOSTILE}"
        assert f"sign in as [i]{HOSTILE}[/i]" in text_of(modal, "#sign-in-message")
        fields = text_of(modal, "#sign-in-fields")
        assert DEVICE_URL in fields and DEVICE_CODE in fields
        assert not modal.query_one("#sign-in-paste", Input).display

        assert stub.outcome is not None
        stub.outcome.set_result(HOSTILE)
        await until(pilot, lambda: app.screen is screen)
        assert any(n.startswith("Signed in as helpdesk@contoso.example") for n in notes(app))
        settings = next(s for s in await stub.account_settings(agent) if s.name == HOSTILE)
        assert settings.oauth_expires_at is not None
        until_text = f"token until {local_time(settings.oauth_expires_at)}"
        await until(pilot, lambda: any(row.startswith(HOSTILE) and until_text in row
                                       for row in shown(screen)))
        assert "c reconnects it" in text_of(screen, "#account-detail")
        assert "helpdesk@contoso.example" in text_of(screen, "#account-detail")


async def test_browser_sign_in_takes_the_pasted_address(stub: SignInStub) -> None:
    stub.kind = "browser"
    agent = await stub.login("tester")
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        modal = await start_sign_in(app, pilot, screen, stub)
        assert BROWSER_URL in text_of(modal, "#sign-in-fields")
        paste = modal.query_one("#sign-in-paste", Input)
        assert paste.display and paste.has_focus
        await pilot.press("enter")
        await pilot.pause()
        assert not any(call[0] == "paste" for call in stub.calls)
        await pilot.press(*PASTED, "enter")
        await until(pilot, lambda: app.screen is screen)
        assert ("paste", PASTED) in stub.calls
        assert ("cancel", "p1") not in stub.calls
        assert any(n.startswith("Signed in as ") for n in notes(app))


async def test_escape_cancels_the_sign_in_and_closes(stub: SignInStub) -> None:
    agent = await stub.login("tester")
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        modal = await start_sign_in(app, pilot, screen, stub)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert ("cancel", "p1") in stub.calls
        assert not modal.is_attached
        assert not [w for w in app.workers if w.node is modal and not w.is_finished]
        assert not any(n.startswith("Signed in") for n in notes(app))


async def test_closing_the_app_mid_sign_in_cancels_it(stub: SignInStub) -> None:
    agent = await stub.login("tester")
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        await start_sign_in(app, pilot, screen, stub)
    assert ("cancel", "p1") in stub.calls


async def test_begin_error_shows_in_one_line_literally(stub: SignInStub) -> None:
    stub.begin_error = InvalidInputError(
        "no OAuth2 client for [b]microsoft[/b]:\nrun `frontdesk oauth set microsoft`")
    agent = await stub.login("tester")
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        await highlight(screen, pilot, HOSTILE)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen)
                    and "[b]" in text_of(app.screen, "#sign-in-status"))
        modal = app.screen
        assert text_of(modal, "#sign-in-status") == (
            "no OAuth2 client for [b]microsoft[/b]: run `frontdesk oauth set microsoft`")
        assert modal.query_one("#sign-in-status").has_class("-error")
        assert text_of(modal, "#sign-in-keys") == "Esc: close"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert [call[0] for call in stub.calls] == ["begin"]


async def test_a_failed_sign_in_and_a_hostile_error_stay_literal(stub: SignInStub) -> None:
    agent = await stub.login("tester")
    account = next(s for s in await stub.account_settings(agent) if s.name == "support")
    async with stub.real.store.transaction() as db:
        await db.execute("UPDATE accounts SET last_error = ? WHERE id = ?",
                         ("LOGIN refused: [red]no[/red]\nsecond line", account.id))
    app = make_app(stub, agent)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_accounts(app, pilot)
        row = next(r for r in shown(screen) if r.startswith("support"))
        assert row.endswith("LOGIN refused: [red]no[/red] second line")
        modal = await start_sign_in(app, pilot, screen, stub)
        assert stub.outcome is not None
        stub.outcome.set_result(OAuthError("AADSTS70000: [bold]denied[/bold]"))
        await until(pilot, lambda: "AADSTS" in text_of(modal, "#sign-in-status"))
        assert text_of(modal, "#sign-in-status") == "AADSTS70000: [bold]denied[/bold]"
        assert app.screen is modal
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)


def test_token_time_is_local_with_the_date_when_not_today() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).astimezone()
    later = now + timedelta(days=2)
    assert local_time(later.astimezone(UTC).isoformat(), now) == later.strftime(
        "%Y-%m-%d %H:%M")
    assert local_time(now.astimezone(UTC).isoformat(), now) == now.strftime("%H:%M")
