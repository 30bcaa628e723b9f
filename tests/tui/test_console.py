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
