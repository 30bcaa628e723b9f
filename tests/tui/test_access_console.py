"""bob's console, driven with Pilot: alice's mail is nowhere on it (list, folder tree and
counts, search) until alice grants him access, and there once she has, without bob
doing anything (the console's live refresh)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine.service import LocalService
from tests.access_world import (
    ALICE_MAIL,
    ALICE_SECRET,
    ALICE_UNREAD,
    SEARCH_WORD,
    SUPPORT_QUESTION,
    SUPPORT_UNREAD,
    World,
    build_world,
)
from tests.tui.test_console import make_app, row_text, screen_of, settle
from tests.tui.test_triage import until
from tui.app import FrontdeskApp
from tui.widgets.folder_tree import FolderTree
from tui.widgets.message_list import MessageList


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    service = await LocalService.open(tmp_path / "store.db")
    yield await build_world(service, tmp_path)
    await service.close()


def listed(app: FrontdeskApp) -> set[str]:
    """The subjects the message list holds, and the text of its rows on screen."""
    messages = app.screen.query_one(MessageList)
    held = {m.subject for row in range(messages.total)
            if (m := messages.message_at(row)) is not None}
    shown = " | ".join(row_text(messages, row) for row in range(messages.total))
    return held | ({ALICE_SECRET} if "Alice" in shown else set())


def tree_text(app: FrontdeskApp) -> str:
    tree = app.screen.query_one(FolderTree)
    labels = []
    pending = [tree.root]
    while pending:
        node = pending.pop()
        labels.append(str(node.label))
        pending.extend(node.children)
    return " | ".join(labels)


async def search(app: FrontdeskApp, pilot: Pilot[None], query: str) -> set[str]:
    await pilot.press("slash", *query, "enter")
    await settle(app, pilot)
    assert screen_of(app).search == query
    found = listed(app)
    await pilot.press("escape")
    await settle(app, pilot)
    assert screen_of(app).search is None
    return found


async def test_alices_mail_reaches_bobs_console_only_with_her_grant(world: World) -> None:
    service, alice, bob = world.service, world.agent("alice"), world.agent("bob")
    inbox = f"folder:{world.folders[(ALICE_MAIL, 'INBOX')]}"
    app = make_app(service, bob)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(FolderTree)
        assert listed(app) == {SUPPORT_QUESTION}
        assert ALICE_MAIL not in tree_text(app)
        assert tree.unread_of("unified:inbox") == SUPPORT_UNREAD
        assert tree.unread_of(inbox) is None
        assert await search(app, pilot, SEARCH_WORD) == {SUPPORT_QUESTION}

        await service.grant_account(alice, ALICE_MAIL, "bob")
        await until(pilot, lambda: ALICE_MAIL in tree_text(app))
        await settle(app, pilot)
        assert tree.unread_of("unified:inbox") == SUPPORT_UNREAD + ALICE_UNREAD
        assert tree.unread_of(inbox) == ALICE_UNREAD
        assert ALICE_SECRET in listed(app)
        assert ALICE_SECRET in await search(app, pilot, SEARCH_WORD)

        await service.revoke_account(alice, ALICE_MAIL, "bob")
        await until(pilot, lambda: ALICE_MAIL not in tree_text(app))
        await settle(app, pilot)
        assert tree.unread_of("unified:inbox") == SUPPORT_UNREAD
        assert listed(app) == {SUPPORT_QUESTION}
        assert await search(app, pilot, SEARCH_WORD) == {SUPPORT_QUESTION}
