"""Every key binding of the console: its id, default keys, description and whether it
is live yet; and the checks applied to the remaps in the config's [keymap] table.

All ids in the table are active together on the main screen, so a key may belong to
one id only. Keys of ids that are not live yet are reserved, so a remap made today
keeps working when those features arrive.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, REPLACED_KEYS, Keys, key_to_character

from engine.errors import InvalidInputError

MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")

# Keys that Textual binds on every screen: giving them to a binding would be shadowed.
BUILTIN_KEYS: dict[str, tuple[str, str]] = {
    "ctrl+q": ("Textual's quit key", "app.quit"),
    "ctrl+c": ("Textual's copy key", ""),
}


class KeymapError(InvalidInputError):
    """A [keymap] entry names an unknown binding, an invalid key, or a taken key."""


@dataclass(frozen=True)
class KeySpec:
    """One binding: `keys` is a comma-separated list of Textual key names ("" for a
    binding reached from the command palette only). `action` is set for bindings that
    have no key by default, so the app can bind one when the config gives it."""

    id: str
    keys: str
    description: str
    live: bool = True
    action: str | None = None


KEY_TABLE: tuple[KeySpec, ...] = (
    KeySpec("app.quit", "q", "Quit"),
    KeySpec("app.help", "question_mark", "Help"),
    KeySpec("app.palette", "colon,ctrl+p", "Commands"),
    KeySpec("app.sync_now", "dollar_sign", "Sync now"),
    KeySpec("main.back", "escape", "Back"),
    KeySpec("main.next_pane", "tab", "Next pane"),
    KeySpec("main.prev_pane", "shift+tab", "Previous pane"),
    KeySpec("main.search", "slash", "Search"),
    KeySpec("main.next_result", "n", "Next result"),
    KeySpec("main.prev_result", "N", "Previous result"),
    KeySpec("main.threads", "T", "Thread view"),
    KeySpec("main.toggle_read", "u", "Toggle read"),
    KeySpec("main.flag", "F", "Flag"),
    KeySpec("main.unread_only", "", "Show only unread messages",
            action="screen.toggle_unread_only"),
    KeySpec("list.down", "j,down", "Down"),
    KeySpec("list.up", "k,up", "Up"),
    KeySpec("list.top", "g,home", "Top"),
    KeySpec("list.bottom", "G,end", "Bottom"),
    KeySpec("list.half_down", "ctrl+d", "Half page down"),
    KeySpec("list.half_up", "ctrl+u", "Half page up"),
    KeySpec("list.open", "enter", "Open"),
    KeySpec("list.mark", "v", "Mark / unmark (actions take the marked messages)"),
    KeySpec("message.reply", "r", "Reply"),
    KeySpec("message.reply_all", "R", "Reply all"),
    KeySpec("message.forward", "f", "Forward"),
    KeySpec("message.new", "m", "New mail"),
    KeySpec("message.delete", "d", "Delete (to Trash)"),
    KeySpec("message.archive", "a", "Archive"),
    KeySpec("message.undo", "U", "Undo the last delete or archive"),
    KeySpec("message.drafts", "", "Drafts: unsent mail", action="screen.drafts"),
    KeySpec("message.outbox", "", "Outbox: queued, sent and failed mail",
            action="screen.outbox"),
    KeySpec("customer.pair", "p", "Pair sender to customer"),
    KeySpec("customer.add", "c", "Add customer from sender"),
    KeySpec("sender.block", "b", "Block sender or domain"),
    KeySpec("convert.lead", "L", "Convert to lead"),
    KeySpec("convert.case", "C", "Convert to case"),
    KeySpec("customer.timeline", "t", "Customer timeline"),
    KeySpec("message.why", "W", "Why? What the rules did with the message"),
    KeySpec("sender.blocks", "", "Block list: review and unblock", action="screen.blocks"),
    KeySpec("case.list", "", "Cases: close, reopen, set priority, assign",
            action="screen.cases"),
    KeySpec("account.list", "", "Accounts: sync health and sign-in",
            action="screen.accounts"),
    KeySpec("rules.list", "", "Rules: auto-responses and filters", action="screen.rules"),
    KeySpec("account.add", "", "Add an account: set up a mailbox step by step",
            action="screen.account_wizard"),
    KeySpec("settings.open", "", "Settings: console, accounts and administration",
            action="screen.settings"),
)

SPECS: dict[str, KeySpec] = {spec.id: spec for spec in KEY_TABLE}


def default_keymap() -> dict[str, str]:
    """Every binding id with its default keys, in table order."""
    return {spec.id: spec.keys for spec in KEY_TABLE}


def live_ids() -> list[str]:
    """The ids of bindings that do something today."""
    return [spec.id for spec in KEY_TABLE if spec.live]


def binding(binding_id: str, action: str, *, show: bool = True,
            priority: bool = False) -> Binding:
    """A Textual Binding for `binding_id` with the table's default keys and description,
    so widgets declare their keys from this one table."""
    spec = SPECS[binding_id]
    if not spec.keys:
        raise ValueError(f"{binding_id} has no default key; it is reached from the palette")
    return Binding(spec.keys, action, spec.description, show=show, priority=priority,
                   id=binding_id)


@cache
def _named_keys() -> frozenset[str]:
    names = set()
    for key in Keys:
        value = key.value
        if not value.startswith("<"):
            names.add(value.rpartition("+")[2])
    return frozenset(names)


def _character_key(character: str) -> str:
    """The Textual name of one typed character: "$" -> "dollar_sign", "j" -> "j"."""
    if character.isalnum():
        return character
    try:
        name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        name = "tab" if character == "\t" else character
    return KEY_NAME_REPLACEMENTS.get(name, name)


def _is_named_key(name: str) -> bool:
    if name in _named_keys():
        return True
    return key_to_character(REPLACED_KEYS.get(name, name)) is not None


def normalize_key(key: str) -> str | None:
    """One key in Textual's form ("?" -> "question_mark", "ctrl+D" -> "ctrl+d",
    "shift+n" -> "N"), or None if it is not a key Textual knows."""
    key = key.strip()
    if not key:
        return None
    if len(key) == 1:
        return _character_key(key)
    *mods, base = key.split("+")
    if not base:
        if not key.endswith("++"):
            return None
        # "ctrl++" is ctrl with the plus key.
        mods, base = key[:-2].split("+"), "+"
    modifiers = [m.strip().lower() for m in mods]
    if any(m not in MODIFIERS for m in modifiers) or len(set(modifiers)) != len(modifiers):
        return None
    base = base.strip()
    if len(base) == 1:
        if modifiers and base.isalpha():
            # Textual reports alt+N as "alt+shift+n"; a terminal sends ctrl+N as ctrl+n.
            if base.isupper() and "alt" in modifiers and "shift" not in modifiers:
                modifiers.append("shift")
            base = base.lower()
        base = _character_key(base)
    else:
        base = base.lower()
        if not _is_named_key(base):
            return None
    if modifiers == ["shift"] and len(base) == 1 and base.isalpha():
        return base.upper()
    # Textual reports modifiers in alphabetical order ("ctrl+shift+up", "alt+shift+n").
    return "+".join([*sorted(modifiers), base])


def _normalize_keys(binding_id: str, keys: str) -> str:
    normalized: list[str] = []
    for part in keys.split(","):
        if not part.strip():
            raise KeymapError(
                f'keymap: "{binding_id}" has an empty key; write keys separated by '
                'commas, e.g. "j,down"'
            )
        key = normalize_key(part)
        if key is None:
            raise KeymapError(
                f'keymap: "{binding_id}" = "{part.strip()}" is not a key; use Textual key '
                'names such as "j", "G", "ctrl+d", "down", "enter", "dollar_sign" or "$"'
            )
        if key not in normalized:
            normalized.append(key)
    return ",".join(normalized)


def normalize_overrides(overrides: Mapping[str, str]) -> dict[str, str]:
    """The remaps with known ids and keys in Textual's form; no collision check."""
    result: dict[str, str] = {}
    for binding_id, keys in overrides.items():
        if binding_id not in SPECS:
            close = difflib.get_close_matches(binding_id, SPECS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise KeymapError(
                f'keymap: unknown binding id "{binding_id}"; {hint}the ids are listed '
                'in the README, section "Configuration"'
            )
        result[binding_id] = _normalize_keys(binding_id, keys)
    return result


def resolve_keymap(overrides: Mapping[str, str]) -> dict[str, str]:
    """The default keymap with `overrides` applied, every key in Textual's form.

    Raises KeymapError for an unknown id, a key that is not a key, or a key bound to
    two ids (one line naming both ids and the key)."""
    resolved = {spec.id: spec.keys for spec in KEY_TABLE}
    resolved.update(normalize_overrides(overrides))
    owner: dict[str, str] = {}
    for binding_id, keys in resolved.items():
        for key in filter(None, keys.split(",")):
            builtin = BUILTIN_KEYS.get(key)
            if builtin is not None and builtin[1] != binding_id:
                raise KeymapError(
                    f'keymap: "{key}" is {builtin[0]}; choose another key for {binding_id}'
                )
            if key in owner:
                raise KeymapError(
                    f'keymap: "{key}" is bound to both {owner[key]} and {binding_id}; '
                    "choose another key"
                )
            owner[key] = binding_id
    return resolved
