"""The console's account setup wizard, driven with Pilot to a working account on the
real Dovecot: the servers found by the local DNS responder (SRV records) or a local
autoconfig file, the folders shown with their roles, the account saved with the folders
and import mode chosen and synced by the console's engine; Escape cancels cleanly; the
network's words (a provider's name, a folder's name) are shown literally."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Select, SelectionList, Static, TextArea

from engine.models import Agent, DiscoveryNetwork
from engine.service import LocalService
from tests.integration.sync_support import Item, mail
from tests.servers.autoconfig_http import Page, config_xml, running_autoconfig_server
from tests.servers.dns import DnsServer, running_dns
from tests.servers.dovecot import DovecotServer
from tests.tui.test_console import make_app, settle
from tests.tui.test_triage import until
from tui.app import FrontdeskApp
from tui.palette import binding_commands
from tui.screens.accounts import AccountsScreen
from tui.screens.dialogs import Choice
from tui.screens.wizard import AccountWizardScreen

pytestmark = pytest.mark.integration
USER = "bob@example.com"
HOSTILE_FOLDER = "[bold]Loud [@click=quit]"  # no "/": that is the folder separator
HOSTILE_PROVIDER = "[b]Evil Mail[/b] [@click=app.quit]"
PALETTE_TITLE = "Add an account: set up a mailbox step by step"


@pytest.fixture
def bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    dovecot.append_messages(USER, [Item(mail(f"console {i}")) for i in range(3)])
    dovecot.append_messages(USER, [Item(mail("sent by bob"), folder="Sent")])
    dovecot.append_messages(USER, [Item(mail("loud"), folder=HOSTILE_FOLDER)])
    return dovecot


@pytest.fixture
def srv(bob: DovecotServer) -> Iterator[DnsServer]:
    records = {
        "_imaps._tcp.example.com": [("SRV", f"0 1 {bob.ssl_port} localhost.")],
        "_submission._tcp.example.com": [("SRV", "0 1 2587 localhost.")],
    }
    with running_dns(records) as server:
        yield server


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[LocalService]:
    opened = await LocalService.open(tmp_path / "wizard.db")
    yield opened
    await opened.close()


def network_of(dns: DnsServer, **changes: Any) -> DiscoveryNetwork:
    return DiscoveryNetwork(nameserver=dns.nameserver, timeout=1.0, ispdb=False, **changes)


def text_of(screen: Any, selector: str) -> str:
    rendered = screen.query_one(selector, Static).render()
    assert isinstance(rendered, Content)  # never parsed as markup
    return rendered.plain


def folder_prompts(wizard: AccountWizardScreen) -> list[str]:
    shown = wizard.query_one("#wizard-folders", SelectionList)
    prompts = [shown.get_option_at_index(n).prompt for n in range(shown.option_count)]
    assert all(isinstance(p, Content) for p in prompts)
    return [p.plain for p in prompts if isinstance(p, Content)]


async def open_wizard(app: FrontdeskApp, pilot: Pilot[None], service: LocalService,
                      agent: Agent, network: DiscoveryNetwork) -> AccountWizardScreen:
    await settle(app, pilot)
    wizard = AccountWizardScreen(service, agent, network=network)
    app.push_screen(wizard)
    await until(pilot, lambda: app.screen is wizard)
    await pilot.pause()
    return wizard


async def to_folders(pilot: Pilot[None], wizard: AccountWizardScreen,
                     bob: DovecotServer) -> None:
    """Type the address, accept the servers found, type the password: the account is
    saved and tested, and the folders shown."""
    wizard.query_one("#wizard-address", Input).value = USER
    await pilot.press("enter")
    await until(pilot, lambda: wizard.step == 1)
    wizard.query_one("#wizard-ca-file", Input).value = str(bob.cafile)
    await pilot.press("ctrl+n")
    await until(pilot, lambda: wizard.step == 2)
    wizard.query_one("#wizard-password", Input).value = bob.users[USER]
    await pilot.press("enter")
    await until(pilot, lambda: wizard.step == 3, limit=20)


async def wait_for(pilot: Pilot[None], check: Any, limit: float = 20) -> Any:
    """Poll an async check until it gives something true."""
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await pilot.pause(0.1)


async def test_the_wizard_sets_up_a_synced_account(service: LocalService, bob: DovecotServer,
                                                   srv: DnsServer) -> None:
    agent = await service.login("tester")
    app = make_app(service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        wizard = await open_wizard(app, pilot, service, agent, network_of(srv))
        assert "step 1 of 7: Address" in text_of(wizard, "#wizard-title")
        wizard.query_one("#wizard-address", Input).value = USER
        await pilot.press("enter")
        await until(pilot, lambda: wizard.step == 1)
        found = text_of(wizard, "#wizard-found")
        assert found.startswith("Found by DNS SRV records")
        assert f"IMAP localhost:{bob.ssl_port} (ssl), login {USER}" in found
        assert "SRV _imaps._tcp.example.com: localhost:" in text_of(wizard, "#wizard-tried")
        assert wizard.query_one("#wizard-host", Input).value == "localhost"
        assert wizard.query_one("#wizard-port", Input).value == str(bob.ssl_port)
        wizard.query_one("#wizard-ca-file", Input).value = str(bob.cafile)

        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == 2)
        wizard.query_one("#wizard-password", Input).value = "wrong-password-1"
        await pilot.press("enter")
        await until(pilot, lambda: "refused the password" in wizard.note.text, limit=20)
        assert wizard.step == 2 and wizard.created and "retype the password" in wizard.note.text
        wizard.query_one("#wizard-password", Input).value = bob.users[USER]
        await pilot.press("enter")
        await until(pilot, lambda: wizard.step == 3, limit=20)

        prompts = folder_prompts(wizard)
        assert prompts[0] == "INBOX  inbox"
        assert "Sent  sent" in prompts and "Trash  trash" in prompts
        assert HOSTILE_FOLDER in prompts  # shown as its name, not as markup
        shown = wizard.query_one("#wizard-folders", SelectionList)
        assert sorted(shown.selected) == ["INBOX", "Sent"]
        shown.select(HOSTILE_FOLDER)
        wizard.query_one("#wizard-import", Select).value = "since"
        await pilot.pause()
        wizard.query_one("#wizard-since", Input).value = "2001-02-03"
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == 4)
        assert wizard.query_one("#wizard-smtp", Select).value == "discovered"
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == 5)
        wizard.query_one("#wizard-signature", TextArea).text = "Bob\nSupport desk\n"
        await pilot.press("ctrl+n")
        await until(pilot, lambda: wizard.step == 6)
        assert "It is saved and connects" in text_of(wizard, "#wizard-summary")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.screen is not wizard, limit=20)

        account = next(a for a in await service.account_settings(agent) if a.name == "bob")
        assert account.sync_folders == ("INBOX", "Sent", HOSTILE_FOLDER)
        assert (account.import_mode, account.import_since) == ("since", "2001-02-03")
        assert (account.imap_host, account.imap_port) == ("localhost", bob.ssl_port)
        assert await service.signature(agent, "bob") == "Bob\nSupport desk"
        smtp = await service.smtp_config(agent, "bob")
        assert (smtp.host, smtp.port, smtp.has_password) == ("localhost", 2587, True)

        async def synced() -> bool:
            health = await service.status(agent)
            return bool(health) and health[0].messages == 5

        await wait_for(pilot, synced)  # the console's engine, restarted, synced it


async def test_escape_cancels_and_removes_what_it_saved(service: LocalService,
                                                        bob: DovecotServer,
                                                        srv: DnsServer) -> None:
    agent = await service.login("tester")
    app = make_app(service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        wizard = await open_wizard(app, pilot, service, agent, network_of(srv))
        wizard.query_one("#wizard-address", Input).value = USER
        await pilot.press("escape")  # nothing saved yet: it just closes
        await until(pilot, lambda: app.screen is not wizard)
        assert await service.account_settings(agent) == []

        wizard = await open_wizard(app, pilot, service, agent, network_of(srv))
        await to_folders(pilot, wizard, bob)
        assert [a.name for a in await service.account_settings(agent)] == ["bob"]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("c")  # continue: back in the wizard, on the same step
        await until(pilot, lambda: app.screen is wizard)
        assert wizard.step == 3
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("r")
        await until(pilot, lambda: app.screen is not wizard and not isinstance(
            app.screen, Choice))
        await settle(app, pilot)
        assert await service.account_settings(agent) == []


async def test_a_hostile_provider_name_is_shown_as_written(service: LocalService,
                                                           bob: DovecotServer) -> None:
    xml = config_xml("example.com", imap_host="localhost", imap_port=bob.ssl_port,
                     display_name=HOSTILE_PROVIDER)
    agent = await service.login("tester")
    app = make_app(service, agent)
    with running_dns({}) as dns, running_autoconfig_server(
            {("*", "/config.xml"): Page(xml)}) as web:
        network = network_of(dns, autoconfig_url=web.url("127.0.0.1", "/config.xml"))
        async with app.run_test(size=(120, 40)) as pilot:
            wizard = await open_wizard(app, pilot, service, agent, network)
            wizard.query_one("#wizard-address", Input).value = USER
            await pilot.press("enter")
            await until(pilot, lambda: wizard.step == 1)
            found = text_of(wizard, "#wizard-found")
            assert found.startswith(f"Found by an autoconfig file: {HOSTILE_PROVIDER}")
            assert app.is_running  # [@click=app.quit] did nothing
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is not wizard)
    assert await service.account_settings(agent) == []


async def test_nothing_found_asks_for_the_server(service: LocalService,
                                                 bob: DovecotServer) -> None:
    agent = await service.login("tester")
    app = make_app(service, agent)
    with running_dns({}) as dns:
        async with app.run_test(size=(120, 40)) as pilot:
            wizard = await open_wizard(app, pilot, service, agent, network_of(dns))
            wizard.query_one("#wizard-address", Input).value = "not an address"
            await pilot.press("enter")
            assert "is not an email address" in wizard.note.text and wizard.step == 0
            wizard.query_one("#wizard-address", Input).value = USER
            await pilot.press("enter")
            await until(pilot, lambda: wizard.step == 1, limit=20)
            assert text_of(wizard, "#wizard-found").startswith("No server found for example.com")
            assert wizard.query_one("#wizard-host", Input).value == ""
            await pilot.press("ctrl+n")
            assert "no server given" in wizard.note.text and wizard.step == 1
            wizard.query_one("#wizard-host", Input).value = "127.0.0.1"
            wizard.query_one("#wizard-port", Input).value = "99999"
            await pilot.press("ctrl+n")
            assert "port '99999'" in wizard.note.text and wizard.step == 1
            wizard.query_one("#wizard-port", Input).value = str(bob.ssl_port)
            await pilot.press("ctrl+n")
            await until(pilot, lambda: wizard.step == 2)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is not wizard)


async def test_reached_from_the_palette_and_the_accounts_screen(service: LocalService) -> None:
    agent = await service.login("tester")
    app = make_app(service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        command = next(c for c in binding_commands(app, app.screen) if c.title == PALETTE_TITLE)
        await command.callback()
        await until(pilot, lambda: isinstance(app.screen, AccountWizardScreen))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, AccountWizardScreen))
        accounts = AccountsScreen(service, agent)
        app.push_screen(accounts)
        await until(pilot, lambda: app.screen is accounts)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AccountWizardScreen))
