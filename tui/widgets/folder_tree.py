"""The accounts-and-folders pane: unified folders on top, then each account's folders."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from engine.models import Account, Folder
from tui import keymap

ROLE_LABELS = {
    "inbox": "Inbox",
    "sent": "Sent",
    "drafts": "Drafts",
    "spam": "Spam",
    "trash": "Trash",
    "archive": "Archive",
}
# The unified folders, in the order they are listed.
UNIFIED_ROLES = tuple(ROLE_LABELS)
UNIFIED_TITLE = "All accounts"


@dataclass(frozen=True)
class FolderRef:
    """A place the list can show: `scope` is a Listing scope ("unified:inbox",
    "folder:12"); `label` names it in the status line."""

    scope: str
    label: str
    account_id: int | None = None

    @property
    def folder_id(self) -> int | None:
        kind, _, rest = self.scope.partition(":")
        return int(rest) if kind == "folder" and rest.isdigit() else None


@dataclass(frozen=True)
class FolderEntry:
    """One line of the tree: where it leads, its name, its unread count."""

    ref: FolderRef
    name: str
    unread: int


def _folder_label(name: str, unread: int) -> Text:
    # Labels are Text, never markup strings: folder and account names come from outside.
    text = Text(name)
    if unread:
        text.append(f" {unread}", style="bold")
    return text


def _account_label(account: Account) -> Text:
    label = Text(account.display_name or account.name, style="bold")
    if account.kind == "shared":
        label.append(" (shared)", style="italic")
    return label


class FolderTree(Tree[FolderRef | None]):
    """Unified folders merged across every visible account, then each account with its
    folders; every folder with its unread count."""

    # The list's movement keys (same ids, so a remap moves both panes alike).
    BINDINGS = [
        keymap.binding("list.down", "cursor_down", show=False),
        keymap.binding("list.up", "cursor_up", show=False),
        keymap.binding("list.top", "cursor_top", show=False),
        keymap.binding("list.bottom", "cursor_bottom", show=False),
    ]

    class FolderChosen(Message):
        """The agent moved to a folder (`opened`: pressed Enter on it)."""

        def __init__(self, folder: FolderRef, opened: bool = False) -> None:
            super().__init__()
            self.folder = folder
            self.opened = opened

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Mailboxes"), id=id)
        self.show_root = False
        self.guide_depth = 2
        self._folder_nodes: dict[str, TreeNode[FolderRef | None]] = {}
        self._shape: list[tuple[str, str]] = []
        self._labels: dict[str, Text] = {}
        self._unread: dict[str, int] = {}

    @staticmethod
    def entries(accounts: list[Account],
                folders: list[Folder]) -> tuple[list[FolderEntry], dict[int, list[FolderEntry]]]:
        """The unified folders (roles some account has, unread summed over that role's
        folders) and each account's folders."""
        visible = {a.id for a in accounts}
        unified: list[FolderEntry] = []
        for role in UNIFIED_ROLES:
            members = [f for f in folders if f.role == role and f.account_id in visible]
            if members:
                ref = FolderRef(f"unified:{role}", ROLE_LABELS[role])
                unified.append(FolderEntry(ref, ROLE_LABELS[role], sum(f.unread for f in members)))
        names = {a.id: a.name for a in accounts}
        per_account: dict[int, list[FolderEntry]] = {}
        for folder in folders:
            if folder.account_id not in visible:
                continue
            name = ROLE_LABELS.get(folder.role or "", folder.name)
            ref = FolderRef(f"folder:{folder.id}", f"{names[folder.account_id]}/{name}",
                            folder.account_id)
            per_account.setdefault(folder.account_id, []).append(
                FolderEntry(ref, name, folder.unread))
        return unified, per_account

    def load(self, accounts: list[Account], folders: list[Folder]) -> FolderRef | None:
        """Fill the tree (or update its counts in place when the folders are the same);
        return the folder to start on: the unified Inbox, else the first folder."""
        unified, per_account = self.entries(accounts, folders)
        shape = [("account", str(a.id)) for a in accounts]
        shape += [("folder", e.ref.scope) for e in unified]
        shape += [("folder", e.ref.scope) for a in accounts for e in per_account.get(a.id, [])]
        if shape == self._shape:
            for entry in [*unified, *(e for a in accounts for e in per_account.get(a.id, []))]:
                self._relabel(entry)
        else:
            self._rebuild(accounts, unified, per_account)
            self._shape = shape
        if unified:
            return unified[0].ref
        for account in accounts:
            if per_account.get(account.id):
                return per_account[account.id][0].ref
        return None

    def _rebuild(self, accounts: list[Account], unified: list[FolderEntry],
                 per_account: dict[int, list[FolderEntry]]) -> None:
        current = self.current_scope
        self.clear()
        self._folder_nodes.clear()
        self._labels.clear()
        self._unread.clear()
        if unified:
            top = self.root.add(Text(UNIFIED_TITLE, style="bold"), data=None, expand=True)
            for entry in unified:
                self._add(top, entry)
        for account in accounts:
            node = self.root.add(_account_label(account), data=None, expand=True)
            for entry in per_account.get(account.id, []):
                self._add(node, entry)
        if current is not None:
            self.select_scope(current)

    def _add(self, parent: TreeNode[FolderRef | None], entry: FolderEntry) -> None:
        label = _folder_label(entry.name, entry.unread)
        self._folder_nodes[entry.ref.scope] = parent.add_leaf(label, data=entry.ref)
        self._labels[entry.ref.scope] = label
        self._unread[entry.ref.scope] = entry.unread

    def _relabel(self, entry: FolderEntry) -> None:
        label = _folder_label(entry.name, entry.unread)
        node = self._folder_nodes.get(entry.ref.scope)
        if node is not None and self._labels.get(entry.ref.scope) != label:
            node.set_label(label)
            self._labels[entry.ref.scope] = label
        self._unread[entry.ref.scope] = entry.unread

    @property
    def current_scope(self) -> str | None:
        node = self.cursor_node
        return node.data.scope if node is not None and node.data is not None else None

    def select_scope(self, scope: str) -> bool:
        """Put the cursor on the folder listing `scope`; False when there is none."""
        node = self._folder_nodes.get(scope)
        if node is None:
            return False
        # A node gets its line when the tree is next laid out.
        self.call_after_refresh(self.move_cursor, node)
        return True

    def node_for(self, scope: str) -> TreeNode[FolderRef | None] | None:
        return self._folder_nodes.get(scope)

    def unread_of(self, scope: str) -> int | None:
        """The unread count shown for a folder (None when the tree does not list it)."""
        return self._unread.get(scope)

    def action_cursor_top(self) -> None:
        self.cursor_line = 0

    def action_cursor_bottom(self) -> None:
        self.cursor_line = self.last_line

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[FolderRef | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.FolderChosen(event.node.data))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[FolderRef | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.FolderChosen(event.node.data, opened=True))
