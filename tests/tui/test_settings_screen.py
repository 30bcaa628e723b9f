"""The settings screen, driven with Pilot: opened from the command palette, each form
saved through the Service and checked in the store (or the config file), refusals shown
as the engine's one line with nothing saved, and who sees which sections. The store is
tests/access_world.py's (admin; alice with her personal alice-mail; bob; the shared
support); the folders test runs against the test Dovecot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static, Switch, TextArea

from engine.accounts import password_for
from engine.models import Agent
from engine.service import LocalService
from tests.access_world import ALICE_MAIL, SUPPORT, World, build_world
from tests.integration.sync_support import open_service, spec_for
from tests.servers.dovecot import DovecotServer
from tests.tui.test_console import make_app, settle
from tests.tui.test_triage import notes, until
from tui.app import FrontdeskApp
from tui.config import Options, load_config
from tui.palette import binding_commands
from tui.screens.main import MainScreen
from tui.screens.rules import RulesScreen
from tui.screens.settings import SectionList, SettingsScreen
from tui.screens.settings_account import AccountSection
from tui.screens.settings_folders import FoldersSection
from tui.screens.settings_section import SettingsSection
from tui.screens.wizard import AccountWizardScreen
from tui.widgets.form_fields import FormNote, SecretInput

TITLE = "Settings: console, accounts and administration"
HOSTILE = "[b]x[/b] [@click=app.quit]"
ADMIN_KEYS = ("admin", "imap-defaults", "system-smtp", "agents", "oauth")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    service = await LocalService.open(tmp_path / "store.db")
    yield await build_world(service, tmp_path)
    await service.close()


async def open_settings(app: FrontdeskApp, pilot: Pilot[None]) -> SettingsScreen:
    """Open the screen as the command palette does."""
    await settle(app, pilot)
    command = next(c for c in binding_commands(app, app.screen) if c.title == TITLE)
    await command.callback()
    await until(pilot, lambda: isinstance(app.screen, SettingsScreen) and app.screen.loaded)
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


def account_key(world: World, account: str, part: str) -> str:
    return f"account-{world.accounts[account]}-{part}"


async def show(screen: SettingsScreen, pilot: Pilot[None], key: str) -> Any:
    """Highlight a section in the list and wait until its form has read its values."""
    at = next(n for n, e in enumerate(screen.entries) if e.key == key)
    screen.query_one(SectionList).highlighted = at
    await until(pilot, lambda: key in screen.sections and screen.sections[key].loaded)
    await pilot.pause()
    return screen.sections[key]


def labels(screen: SettingsScreen) -> list[str]:
    shown = screen.query_one(SectionList)
    prompts = [shown.get_option_at_index(n).prompt for n in range(shown.option_count)]
    assert all(isinstance(p, Content) for p in prompts)  # never parsed as markup
    return [p.plain for p in prompts if isinstance(p, Content)]


def note_of(section: SettingsSection) -> FormNote:
    return section.query_one(".settings-note", FormNote)


async def answered(pilot: Pilot[None], section: SettingsSection) -> FormNote:
    """Wait for the form's answer (a refusal, or what was saved)."""
    note = note_of(section)
    await until(pilot, lambda: note.text != "" and not note.text.endswith("…"))
    return note


async def type_into(pilot: Pilot[None], field: Input, text: str) -> None:
    """Empty the field and type `text` into it key by key."""
    field.focus()
    field.value = ""
    await pilot.pause()
    await pilot.press(*("space" if c == " " else c for c in text))


def put(field: Input, text: str) -> None:
    """Fill a field at once (typing key by key is tested where it matters)."""
    field.focus()
    field.value = text


async def save(pilot: Pilot[None], section: SettingsSection) -> FormNote:
    note_of(section).clear_note()
    await pilot.press("ctrl+s")
    return await answered(pilot, section)


async def settings_of(service: LocalService, agent: Agent, name: str) -> Any:
    return next(s for s in await service.account_settings(agent) if s.name == name)


# -- opening, and the console's own options ----------------------------------------------


async def test_settings_open_from_the_command_palette(world: World) -> None:
    app = make_app(world.service, world.agent("alice"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands[TITLE] == "no key bound"
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"Settings")
        found = app.screen.query_one(CommandList)
        await until(pilot, lambda: found.option_count > 0
                    and TITLE in str(found.get_option_at_index(0).prompt))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen)
                    and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert screen.current is not None and screen.current.key == "console"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, SettingsScreen))


async def test_console_options_and_theme_are_saved_in_the_config_file(
        world: World, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# mine\n[keymap]\n"list.down" = "j,down"\n', encoding="utf-8")
    app = FrontdeskApp(world.service, world.agent("alice"), config_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, "console")
        await pilot.press("enter")  # into the form: the first switch
        assert app.focused is section.query_one("#console-auto_mark_read", Switch)
        await pilot.press("space", "tab", "tab", "space")  # auto-mark off, threads on
        section.query_one("#console-theme", Select).value = "frontdesk-light"
        note = await save(pilot, section)
        assert not note.is_error and "Saved in" in note.text
        assert app.options == Options(auto_mark_read=False, html=True, threads=True)
        assert app.theme == "frontdesk-light"
    saved = load_config(path)
    assert saved.options == Options(auto_mark_read=False, html=True, threads=True)
    assert saved.theme == "frontdesk-light"
    assert saved.keymap == {"list.down": "j,down"}
    assert "# mine\n" in path.read_text(encoding="utf-8")  # the rest of the file stays


async def test_keys_move_in_the_list_enter_a_form_and_come_back(world: World) -> None:
    alice = world.agent("alice")
    app = make_app(world.service, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(app, pilot)
        listed = screen.query_one(SectionList)
        assert app.focused is listed
        await pilot.press("j")  # Main account
        await pilot.press("j")  # Add an account: Enter opens the setup wizard
        await settle(app, pilot)
        assert screen.current is not None and screen.current.key == "add-account"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AccountWizardScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        listed.focus()
        await pilot.press("j")  # past alice-mail's title, to its Account section
        await settle(app, pilot)
        assert screen.current is not None
        assert screen.current.key == account_key(world, ALICE_MAIL, "settings")
        await pilot.press("enter")
        section = screen.section
        assert isinstance(section, AccountSection)
        assert app.focused is section.query_one("#acct-display_name", Input)
        await pilot.press("tab")
        assert app.focused is section.query_one("#acct-email", Input)
        await pilot.press("escape")
        assert app.focused is listed
        await pilot.press("k", "k", "k")
        assert screen.current is not None and screen.current.key == "console"
        rules = next(n for n, e in enumerate(screen.entries)
                     if e.key == account_key(world, ALICE_MAIL, "rules"))
        listed.highlighted = rules
        await settle(app, pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_console_section_follows_options_changed_from_the_palette(
        world: World) -> None:
    app = make_app(world.service, world.agent("alice"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, "console")
        assert section.query_one("#console-threads", Switch).value is False
        app.set_options(Options(auto_mark_read=False, threads=True))
        await until(pilot, lambda: section.query_one("#console-threads", Switch).value)


# -- an account's settings ---------------------------------------------------------------


async def test_display_name_and_check_interval_are_saved_through_the_service(
        world: World) -> None:
    service, alice = world.service, world.agent("alice")
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "settings"))
        assert isinstance(section, AccountSection) and not section.read_only
        await type_into(pilot, section.query_one("#acct-display_name", Input), "Alice Mail")
        await type_into(pilot, section.query_one("#acct-check_every_minutes", Input), "15")
        note = await save(pilot, section)
        assert note.text == "Saved: display name, check interval." and not note.is_error
        await until(pilot, lambda: any("Alice Mail" in label for label in labels(screen)))
    saved = await settings_of(service, alice, ALICE_MAIL)
    assert (saved.display_name, saved.check_every_minutes) == ("Alice Mail", 15)


async def test_a_bad_port_shows_the_cli_error_and_saves_nothing(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    before = await settings_of(service, alice, ALICE_MAIL)
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "settings"))
        await type_into(pilot, section.query_one("#acct-display_name", Input), "Renamed")
        await type_into(pilot, section.query_one("#acct-imap_port", Input), "70000")
        note = await save(pilot, section)
        assert note.is_error
        assert note.text == "--imap-port 70000: must be 1 to 65535"
        # What was typed stays, to be put right.
        assert section.query_one("#acct-imap_port", Input).value == "70000"
        assert section.query_one("#acct-display_name", Input).value == "Renamed"
    assert await settings_of(service, alice, ALICE_MAIL) == before


async def test_replacing_the_password_in_a_masked_field(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    secret = "s3cret-Pass"
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "settings"))
        field = section.query_one("#acct-password", SecretInput)
        assert field.password and field.value == ""
        await type_into(pilot, field, secret)
        assert field.value == secret
        assert secret not in field.render_line(0).text  # masked on screen
        note = await save(pilot, section)
        assert note.text == "Saved: password." and not note.is_error
        assert field.value == ""  # not kept once saved
    saved = await settings_of(service, alice, ALICE_MAIL)
    assert saved.has_password
    assert await password_for(service.store, saved) == secret


async def test_an_agent_with_a_grant_sees_values_it_cannot_change(world: World) -> None:
    app = make_app(world.service, world.agent("bob"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        keys = [e.key for e in screen.entries]
        # alice's personal account is not bob's to see; the shared one is, read only.
        assert not any(k.startswith(f"account-{world.accounts[ALICE_MAIL]}") for k in keys)
        assert not any(ALICE_MAIL in label for label in labels(screen))
        assert account_key(world, SUPPORT, "folders") not in keys
        assert account_key(world, SUPPORT, "smtp") not in keys
        section = await show(screen, pilot, account_key(world, SUPPORT, "settings"))
        assert section.read_only
        assert section.query_one("#acct-display_name", Input).disabled
        assert not section.query(".settings-save")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert note_of(section).text == ""


# -- folders and roles, against a real server --------------------------------------------


def _server_folder(dovecot: DovecotServer, user: str, name: str, *, exists: bool) -> None:
    client = dovecot.connect(user)
    try:
        if client.folder_exists(name) != exists:
            (client.create_folder if exists else client.delete_folder)(name)
    finally:
        client.logout()


async def test_folders_to_sync_and_roles_from_the_server(
        tmp_path: Path, dovecot: DovecotServer) -> None:
    user = "bob@example.com"
    _server_folder(dovecot, user, "Settings Test", exists=True)
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(dovecot, user, name="bob"),
                                  dovecot.users[user])
        app = make_app(service, agent)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_settings(app, pilot)
            account_id = (await settings_of(service, agent, "bob")).id
            section = await show(screen, pilot, f"account-{account_id}-folders")
            assert isinstance(section, FoldersSection)
            await until(pilot, lambda: section.refreshed and any(
                row.folder == "Settings Test" for row in section.rows))
            await pilot.pause()
            row = next(r for r in section.rows if r.folder == "Settings Test")
            assert not row.sync and row.role == "none"
            row.query_one(".folder-sync", Checkbox).value = True
            row.query_one(".folder-role", Select).value = "archive"
            await pilot.pause()
            note = await save(pilot, section)
            assert not note.is_error, note.text
        folders = {f.name: f for f in await service.account_folders(agent, "bob",
                                                                    refresh=False)}
        assert folders["Settings Test"].sync_enabled
        assert folders["Settings Test"].role == "archive"
        assert "Settings Test" in (await settings_of(service, agent, "bob")).sync_folders
    finally:
        await service.close()
        _server_folder(dovecot, user, "Settings Test", exists=False)


# -- sending, signature, sharing ---------------------------------------------------------


async def test_smtp_settings_are_shown_and_saved(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "smtp"))
        # The world's setting: 127.0.0.1:1, no TLS, no login.
        assert section.query_one("#smtp-host", Input).value == "127.0.0.1"
        assert section.query_one("#smtp-login", Select).value == "none"
        put(section.query_one("#smtp-host", Input), "smtp.acme.example")
        put(section.query_one("#smtp-port", Input), "587")
        section.query_one("#smtp-security", Select).value = "starttls"
        section.query_one("#smtp-login", Select).value = "password"
        await pilot.pause()
        put(section.query_one("#smtp-password", SecretInput), "smtp-pw")
        note = await save(pilot, section)
        assert not note.is_error, note.text
        assert "smtp.acme.example:587 (starttls, stored password)" in note.text
        assert section.query_one("#smtp-password", SecretInput).value == ""
        config = await service.smtp_config(alice, ALICE_MAIL)
        assert (config.host, config.port, config.security, config.auth,
                config.has_password) == ("smtp.acme.example", 587, "starttls", True, True)

        section.query_one("#smtp-send", Select).value = "system"
        await pilot.pause()
        assert not section.query_one("#smtp-server").display
        note = await save(pilot, section)
        assert note.text == "Saved. Sends through the system SMTP."
        assert (await service.smtp_config(alice, ALICE_MAIL)).use_system


async def test_signature_is_saved_and_a_bad_template_refused(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "signature"))
        area = section.query_one("#signature-own", TextArea)
        assert area.text == "-- alice"
        area.text = "{{ broken"
        note = await save(pilot, section)
        assert note.is_error and "\n" not in note.text
        assert area.text == "{{ broken"
        area.text = "Best, {{ agent.name }}"
        note = await save(pilot, section)
        assert note.text == "Your signature saved." and not note.is_error
        preview = section.query_one("#signature-preview", Static).content
        assert isinstance(preview, Content) and "Best, alice" in preview.plain
    mine = [s for s in await service.list_signatures(alice)
            if s.account == ALICE_MAIL and s.agent_id == alice.id]
    assert [s.body for s in mine] == ["Best, {{ agent.name }}"]


async def test_grant_and_revoke(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "sharing"))
        section.query_one("#grant-agent", Select).value = "bob"
        section.query_one("#grant-act", Switch).value = True
        await pilot.pause()
        note_of(section).clear_note()
        section.query_one(".grant-add", Button).press()
        note = await answered(pilot, section)
        assert note.text == "bob may now read and act on alice-mail."
        access = await service.account_access(alice, ALICE_MAIL)
        assert [(e.who, e.access) for e in access.entries if e.kind == "agent"] == [
            ("bob", "act")]

        entries = section.query_one("#access-entries", OptionList)
        at = next(n for n, e in enumerate(access.entries) if e.who == "bob")
        entries.focus()
        entries.highlighted = at
        note_of(section).clear_note()
        await pilot.press("x")
        note = await answered(pilot, section)
        assert note.text == "bob's grant on alice-mail is withdrawn."
        access = await service.account_access(alice, ALICE_MAIL)
        assert not [e for e in access.entries if e.kind == "agent"]


async def test_deny_list_of_an_account_blocks_and_unblocks(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "blocks"))
        section.query_one("#block-kind", Select).value = "domain"
        put(section.query_one("#block-value", Input), "spam.example")
        note_of(section).clear_note()
        await pilot.press("enter")
        note = await answered(pilot, section)
        assert note.text.startswith("Blocked domain spam.example"), note.text
        blocked = {(b.kind, b.value) for b in await service.list_blocks(alice)
                   if b.account == ALICE_MAIL}
        assert blocked == {("address", "pest@spam.example"), ("domain", "spam.example")}
        await until(pilot, lambda: len(section.entries) == 2)
        entries = section.query_one("#block-entries", OptionList)
        entries.focus()
        entries.highlighted = next(n for n, e in enumerate(section.entries)
                                   if e.value == "spam.example")
        note_of(section).clear_note()
        await pilot.press("x")
        note = await answered(pilot, section)
        assert note.text == "Unblocked spam.example: its mail shows again."
    assert [b.value for b in await service.list_blocks(alice)
            if b.account == ALICE_MAIL] == ["pest@spam.example"]


# -- administration ----------------------------------------------------------------------


async def test_admin_sections_only_for_admins(world: World) -> None:
    for name, admin in (("admin", True), ("alice", False), ("bob", False)):
        app = make_app(world.service, world.agent(name))
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_settings(app, pilot)
            keys = {e.key for e in screen.entries}
            shown = " ".join(labels(screen))
            if admin:
                assert set(ADMIN_KEYS) <= keys and "IMAP defaults" in shown
                # The admin configures the shared account, not alice's personal one.
                assert account_key(world, SUPPORT, "smtp") in keys
                assert not any(k.startswith(f"account-{world.accounts[ALICE_MAIL]}")
                               for k in keys)
            else:
                assert not set(ADMIN_KEYS) & keys
                for title in ("Administration", "IMAP defaults", "System SMTP", "Agents",
                              "OAuth2"):
                    assert title not in shown
                assert not screen.query("#imapd-host") and not screen.query("#agent-list")


async def test_admin_sets_imap_defaults_and_an_oauth_secret_stays_hidden(
        world: World) -> None:
    service, admin = world.service, world.agent("admin")
    app = make_app(service, admin)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, "imap-defaults")
        put(section.query_one("#imapd-host", Input), "imap.acme.example")
        put(section.query_one("#imapd-port", Input), "99999")
        note = await save(pilot, section)
        assert note.is_error and note.text == "--port 99999: must be 1 to 65535"
        assert (await service.get_imap_defaults(admin)).empty
        put(section.query_one("#imapd-port", Input), "993")
        note = await save(pilot, section)
        assert note.text == "Saved the IMAP defaults."
        defaults = await service.get_imap_defaults(admin)
        assert (defaults.host, defaults.port) == ("imap.acme.example", 993)

        section = await show(screen, pilot, "oauth")
        section.query_one("#oauth-provider", Select).value = "google"
        await pilot.pause()
        put(section.query_one("#oauth-client_id", Input), "client-1")
        secret = section.query_one("#oauth-secret", SecretInput)
        await type_into(pilot, secret, "hush-hush")
        assert "hush-hush" not in secret.render_line(0).text
        note = await save(pilot, section)
        assert note.text == "google: client client-1 registered with its secret."
        assert secret.value == ""
        assert "hush-hush" not in " ".join(str(n) for n in notes(app))
        (row,) = await service.oauth_providers(admin)
        assert (row.provider, row.client_id, row.has_secret) == ("google", "client-1", True)


async def test_admin_adds_an_agent_and_changes_its_role(world: World) -> None:
    service, admin = world.service, world.agent("admin")
    app = make_app(service, admin)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        section = await show(screen, pilot, "agents")
        put(section.query_one("#new-agent-name", Input), "carol")
        section.query_one("#new-agent-no-os-user", Switch).value = True
        note_of(section).clear_note()
        section.query_one(".agent-add", Button).press()
        note = await answered(pilot, section)
        assert note.text == "carol is added as agent.", note.text
        listed = section.query_one("#agent-list", OptionList)
        await until(pilot, lambda: any(a.name == "carol" for a in section.agents))
        at = next(n for n, a in enumerate(section.agents) if a.name == "carol")
        listed.highlighted = at
        # The form shows the highlighted agent's role once its details are read: set the
        # new role after that, or the reading would put the old one back.
        detail = section.query_one("#agent-detail", Static)
        await until(pilot, lambda: "carol" in str(detail.content))
        await pilot.pause()
        section.query_one("#agent-role", Select).value = "admin"
        note_of(section).clear_note()
        section.query_one(".agent-set-role", Button).press()
        note = await answered(pilot, section)
        assert note.text == "carol is an admin."
    assert {a.name: a.role for a in await service.list_agents(admin)}["carol"] == "admin"


# -- untrusted text ----------------------------------------------------------------------


async def test_a_hostile_display_name_is_shown_as_written(world: World) -> None:
    service, alice = world.service, world.agent("alice")
    async with service.store.transaction() as db:
        await db.execute("UPDATE accounts SET display_name = ? WHERE id = ?",
                         (HOSTILE, world.accounts[ALICE_MAIL]))
    app = make_app(service, alice)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(app, pilot)
        assert any(HOSTILE in label for label in labels(screen))
        section = await show(screen, pilot, account_key(world, ALICE_MAIL, "settings"))
        heading = section.query_one(".settings-heading", Static).content
        assert isinstance(heading, Content) and HOSTILE in heading.plain
        assert section.query_one("#acct-display_name", Input).value == HOSTILE
        # Were the name markup, its [@click] would quit on a click past it.
        listed = labels(screen)
        row = next(n for n, label in enumerate(listed) if HOSTILE in label)
        column = listed[row].index(HOSTILE) + len(HOSTILE) + 2
        await pilot.click(SectionList, offset=(column, row + 1))
        await pilot.click(section.query_one(".settings-heading", Static),
                          offset=(len("Account alice-mail  ") + len(HOSTILE) - 1, 0))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SettingsScreen)
        # Saving something else leaves the name as it is.
        put(section.query_one("#acct-check_every_minutes", Input), "7")
        note = await save(pilot, section)
        assert note.text == "Saved: check interval."
    saved = await settings_of(service, alice, ALICE_MAIL)
    assert (saved.display_name, saved.check_every_minutes) == (HOSTILE, 7)
