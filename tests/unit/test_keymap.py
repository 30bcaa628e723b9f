import re
from pathlib import Path

import pytest

from engine.errors import FrontdeskError
from tui.keymap import (
    KEY_TABLE,
    KeymapError,
    binding,
    default_keymap,
    live_ids,
    normalize_key,
    resolve_keymap,
)

ROOT = Path(__file__).resolve().parents[2]

REQUIRED_IDS = {
    "app.quit": "q", "app.help": "question_mark", "app.palette": "colon,ctrl+p",
    "app.sync_now": "dollar_sign", "main.back": "escape", "main.next_pane": "tab",
    "main.prev_pane": "shift+tab", "main.search": "slash", "main.next_result": "n",
    "main.prev_result": "N", "main.threads": "T", "main.toggle_read": "u", "main.flag": "F",
    "main.unread_only": "", "list.down": "j,down", "list.up": "k,up", "list.top": "g,home",
    "list.bottom": "G,end", "list.half_down": "ctrl+d", "list.half_up": "ctrl+u",
    "list.open": "enter", "list.mark": "v", "message.reply": "r", "message.reply_all": "R",
    "message.forward": "f", "message.new": "m", "message.delete": "d", "message.archive": "a",
    "message.undo": "U", "message.drafts": "", "message.outbox": "", "customer.pair": "p",
    "customer.add": "c", "sender.block": "b",
    "convert.lead": "L", "convert.case": "C", "customer.timeline": "t", "sender.blocks": "",
    "case.list": "", "account.list": "", "message.why": "W", "rules.list": "",
    "settings.open": "", "account.add": "",
}


def test_default_map_holds_every_id_with_its_documented_keys() -> None:
    assert default_keymap() == REQUIRED_IDS


def test_defaults_have_no_collision() -> None:
    keys = [key for spec in KEY_TABLE for key in spec.keys.split(",") if key]
    assert len(keys) == len(set(keys))
    assert resolve_keymap({}) == default_keymap()


def test_every_binding_is_live_and_keys_stay_taken() -> None:
    live = set(live_ids())
    assert "list.down" in live and "main.unread_only" in live
    assert {"message.reply", "message.new", "message.drafts", "message.outbox"} <= live
    assert {"customer.timeline", "message.delete", "sender.blocks"} <= live
    reserved = re.escape('"r" is bound to both list.down and message.reply')
    with pytest.raises(KeymapError, match=reserved):
        resolve_keymap({"list.down": "r"})


def test_remap_replaces_only_that_binding() -> None:
    resolved = resolve_keymap({"list.down": "x,ctrl+n", "app.quit": "ctrl+q"})
    assert resolved["list.down"] == "x,ctrl+n"
    assert resolved["app.quit"] == "ctrl+q"
    assert resolved["list.up"] == "k,up"


def test_a_freed_key_can_be_taken_by_another_binding() -> None:
    resolved = resolve_keymap({"list.down": "down", "main.flag": "j"})
    assert resolved["main.flag"] == "j"


def test_collision_names_both_ids_and_the_key() -> None:
    with pytest.raises(KeymapError) as caught:
        resolve_keymap({"main.flag": "x", "list.down": "x"})
    message = str(caught.value)
    assert message == 'keymap: "x" is bound to both main.flag and list.down; choose another key'
    assert isinstance(caught.value, FrontdeskError)


def test_collision_with_a_default_key() -> None:
    with pytest.raises(KeymapError, match=r'"k" is bound to both main.flag and list.up'):
        resolve_keymap({"main.flag": "k"})


def test_textual_builtin_quit_key_is_kept_for_quit() -> None:
    assert resolve_keymap({"app.quit": "ctrl+q"})["app.quit"] == "ctrl+q"
    with pytest.raises(KeymapError, match=r"ctrl\+q.*quit key.*list\.down"):
        resolve_keymap({"list.down": "ctrl+q"})


def test_unknown_id_says_where_the_ids_are() -> None:
    with pytest.raises(KeymapError) as caught:
        resolve_keymap({"list.dwn": "j"})
    message = str(caught.value)
    assert '"list.dwn"' in message and "list.down" in message and "README" in message
    assert "\n" not in message


@pytest.mark.parametrize("keys", ["", "j,,k", "jj", "ctrl+", "hyperdrive+x", "ctrl+ctrl+x"])
def test_invalid_keys_are_refused(keys: str) -> None:
    with pytest.raises(KeymapError, match=re.escape("list.down")):
        resolve_keymap({"list.down": keys})


@pytest.mark.parametrize(("typed", "name"), [
    ("$", "dollar_sign"), ("?", "question_mark"), ("/", "slash"), (":", "colon"),
    ("N", "N"), ("shift+n", "N"), ("Enter", "enter"), ("ctrl+D", "ctrl+d"),
    ("shift+ctrl+up", "ctrl+shift+up"), ("-", "minus"), ("dollar_sign", "dollar_sign"),
    ("f5", "f5"),
])
def test_literal_characters_and_spellings_are_normalised(typed: str, name: str) -> None:
    assert normalize_key(typed) == name


def test_literal_dollar_in_a_remap_is_normalised_and_collides_by_name() -> None:
    assert resolve_keymap({"app.sync_now": "S"})["app.sync_now"] == "S"
    resolved = resolve_keymap({"app.sync_now": "S", "main.flag": " $ "})
    assert resolved["main.flag"] == "dollar_sign"
    taken = re.escape('"dollar_sign" is bound to both app.sync_now')
    with pytest.raises(KeymapError, match=taken):
        resolve_keymap({"main.flag": "$"})


def test_binding_helper_uses_the_table() -> None:
    made = binding("list.down", "cursor_down", show=False)
    assert (made.key, made.id, made.description, made.show) == (
        "j,down", "list.down", "Down", False)
    with pytest.raises(ValueError):
        binding("main.unread_only", "toggle_unread_only")


def test_readme_lists_every_binding_id_with_its_default_keys() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| `?([^`|]*?)`? \|", section, re.M))
    assert rows == default_keymap()
