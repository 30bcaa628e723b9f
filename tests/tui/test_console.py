from textual.content import Content
from textual.widgets import Static

from engine.ingest import Incoming, ingest
from engine.service import LocalService
from storage import folders as folder_sql
from tui.app import FrontdeskApp
from tui.widgets.folder_tree import FolderTree
from tui.widgets.message_list import MessageList


def plain(widget: Static) -> str:
    content = widget.content
    assert isinstance(content, Content)
    return content.plain


async def test_console_shows_accounts_list_and_preview(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    accounts = await demo_service.list_accounts(agent)
    app = FrontdeskApp(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one(FolderTree)
        labels = [str(node.label) for node in tree.root.children]
        assert len(labels) == len(accounts) == 3
        assert any("(shared)" in label for label in labels)
        table = app.screen.query_one(MessageList)
        # The tree lists accounts in the Service's order; the first folder of the first
        # account opens on start.
        first_folder = next(f for f in await demo_service.list_folders(agent)
                            if f.account_id == accounts[0].id)
        expected = await demo_service.list_messages(agent, first_folder.id, limit=2)
        assert table.row_count == min(first_folder.total, 300)
        assert table.total == first_folder.total
        await app.workers.wait_for_complete()
        await pilot.pause()
        headers = plain(app.screen.query_one("#preview-headers", Static))
        assert expected[0].subject[:40] in headers
        await pilot.press("j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.cursor_row == 1
        headers = plain(app.screen.query_one("#preview-headers", Static))
        assert expected[1].subject[:40] in headers
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_hostile_mail_is_shown_as_text(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    store = demo_service.store
    accounts = await demo_service.list_accounts(agent)
    inbox = next(f for f in await demo_service.list_folders(agent)
                 if f.account_id == accounts[0].id)  # the folder the console opens first
    # Raw bytes, so the hostile encoded words reach the parser exactly as written.
    hostile = (
        b"From: =?utf-8?q?Eve_=E2=80=AE_=5Bb=5Dboss=5B/b=5D?= <eve@evil.example>\r\n"
        b"To: support@acme.example\r\n"
        b"Subject: =?utf-8?q?=1B]8;;http://evil/=07click=1B]8;;=07_=1B[2J_"
        b"=5B@click=3Dapp.quit=5Dx=5B/=5D?=\r\n"
        b"Date: Sun, 01 Nov 2026 09:00:00 +0000\r\n"
        b"Message-ID: <hostile@evil.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Press [@click=app.quit]here[/] \x1b[31mnow\x1b[0m\r\n"
    )
    assert await folder_sql.account_of(store.reader, inbox.id) == inbox.account_id
    await ingest(store, account_id=inbox.account_id, folder_id=inbox.id, items=[
        Incoming(hostile, internal_date=None)])
    app = FrontdeskApp(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(MessageList)
        rows = await demo_service.list_messages(agent, inbox.id, limit=500)
        index = next(i for i, r in enumerate(rows) if r.from_addr == "eve@evil.example")
        table.move_cursor(row=index)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        headers = plain(app.screen.query_one("#preview-headers", Static))
        body = plain(app.screen.query_one("#preview-body", Static))
        for text in (headers, body):
            assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "[@click=app.quit]" in body  # literal text, not an action
        assert "[b]boss[/b]" in headers
        await pilot.click("#preview-body")
        await pilot.pause()
        assert app.is_running


async def test_keys_move_between_panes_and_show_help(demo_service: LocalService) -> None:
    from tui.widgets.preview import Preview

    agent = await demo_service.login("tester")
    app = FrontdeskApp(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.focused, MessageList)
        await pilot.press("enter")
        assert isinstance(app.focused, Preview)
        await pilot.press("escape")
        assert isinstance(app.focused, MessageList)
        await pilot.press("tab")
        assert not isinstance(app.focused, MessageList)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, MessageList)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_choosing_another_folder_lists_its_mail(demo_service: LocalService) -> None:
    agent = await demo_service.login("tester")
    app = FrontdeskApp(demo_service, agent)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen.query_one(FolderTree)
        sent = next(node for account in tree.root.children for node in account.children
                    if node.data is not None and str(node.label).startswith("Sent"))
        tree.move_cursor(sent)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sent.data is not None
        expected = await demo_service.count_messages(agent, sent.data.folder_id)
        table = app.screen.query_one(MessageList)
        assert expected > 0 and table.total == expected
        assert table.row_count == min(expected, 300)


async def test_list_loads_further_pages_near_the_end(demo_service: LocalService,
                                                     monkeypatch) -> None:
    import tui.screens.main as main_screen

    monkeypatch.setattr(main_screen, "PAGE", 20)
    monkeypatch.setattr(main_screen, "PREFETCH_MARGIN", 5)
    agent = await demo_service.login("tester")
    app = FrontdeskApp(demo_service, agent)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(MessageList)
        assert table.total > 40, "the demo folder must hold more than two pages"
        assert table.row_count == 20
        await pilot.press("G")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 40
        keys = [row.value for row in table.rows]
        assert len(set(keys)) == 40  # no row loaded twice
