"""Undoing a delete or an archive in the store: accounts without a server, access, and
mail that is not in Trash or Archive. (Against a server: the integration tests.)"""

from __future__ import annotations

from typing import Any

import pytest

from engine import message_actions, message_restore
from engine.errors import InvalidInputError, NotFoundError
from tests.listing_store import ListingStore
from tests.unit import test_message_actions as message_actions_tests

data = message_actions_tests.data


async def row(data: ListingStore, key: str) -> Any:
    return await data.team.store.reader.fetchone(
        "SELECT * FROM messages WHERE id = ?", (data.ids[key],))


async def test_a_local_delete_is_undone_in_the_store(data: ListingStore) -> None:
    store, bob = data.team.store, data.team.agents["bob"]
    before = await row(data, "invoice")
    await message_actions.delete(store, bob, data.ids["invoice"])
    back = await message_restore.restore(store, bob, data.ids["invoice"])
    assert (back.message_id, back.folder, back.job_id) == (data.ids["invoice"], "INBOX", None)
    assert (await row(data, "invoice"))["folder_id"] == before["folder_id"]
    actions = [r["action"] for r in await store.reader.fetchall(
        "SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["message.delete", "message.restore"]


async def test_a_local_delete_for_good_is_undone(data: ListingStore) -> None:
    store, bob = data.team.store, data.team.agents["bob"]
    await message_actions.delete(store, bob, data.ids["bob_private"])  # bob-mail: no Trash
    assert (await row(data, "bob_private"))["deleted"] == 1
    back = await message_restore.restore(store, bob, data.ids["bob_private"])
    assert back.folder == "INBOX"
    assert (await row(data, "bob_private"))["deleted"] == 0


async def test_mail_in_archive_goes_back_to_the_inbox(data: ListingStore) -> None:
    store, bob = data.team.store, data.team.agents["bob"]
    archived = await row(data, "archived")
    back = await message_restore.restore(store, bob, data.ids["archived"])
    assert back.folder == "INBOX"
    moved = await row(data, "archived")
    assert moved["folder_id"] != archived["folder_id"]
    assert moved["account_id"] == archived["account_id"]


async def test_mail_elsewhere_has_nothing_to_undo(data: ListingStore) -> None:
    store, bob = data.team.store, data.team.agents["bob"]
    with pytest.raises(InvalidInputError, match="nothing to undo"):
        await message_restore.restore(store, bob, data.ids["invoice"])
    assert await store.reader.fetchall("SELECT * FROM audit_log") == []


async def test_another_agents_personal_mail_is_not_found(data: ListingStore) -> None:
    store = data.team.store
    await message_actions.delete(store, data.team.agents["bob"], data.ids["bob_private"])
    with pytest.raises(NotFoundError, match="not found"):
        await message_restore.restore(store, data.team.agents["carol"],
                                      data.ids["bob_private"])
    assert (await row(data, "bob_private"))["deleted"] == 1
