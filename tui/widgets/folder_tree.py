"""The accounts-and-folders pane."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree

from engine.models import Account, Folder

ROLE_LABELS = {
    "inbox": "Inbox",
    "drafts": "Drafts",
    "sent": "Sent",
    "archive": "Archive",
    "spam": "Spam",
    "trash": "Trash",
}


@dataclass(frozen=True)
class FolderRef:
    folder_id: int
    account_id: int
    label: str


class FolderTree(Tree[FolderRef | None]):
    """Each account the agent may see, with its folders and unread counts."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="folders.down"),
        Binding("k", "cursor_up", "Up", show=False, id="folders.up"),
    ]

    class FolderChosen(Message):
        """The agent moved to a folder."""

        def __init__(self, folder: FolderRef) -> None:
            super().__init__()
            self.folder = folder

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Mailboxes"), id=id)
        self.show_root = False
        self.guide_depth = 2

    def load(self, accounts: list[Account], folders: list[Folder]) -> FolderRef | None:
        """Fill the tree; return the first folder (the first inbox), if any."""
        self.clear()
        first: FolderRef | None = None
        by_account: dict[int, list[Folder]] = {}
        for folder in folders:
            by_account.setdefault(folder.account_id, []).append(folder)
        for account in accounts:
            # Labels are Text, never markup strings: names come from outside.
            label = Text(account.display_name or account.name, style="bold")
            if account.kind == "shared":
                label.append(" (shared)", style="italic")
            node = self.root.add(label, data=None, expand=True)
            for folder in by_account.get(account.id, []):
                name = ROLE_LABELS.get(folder.role or "", folder.name)
                text = Text(name)
                if folder.unread:
                    text.append(f" {folder.unread}", style="bold")
                ref = FolderRef(folder.id, account.id, f"{account.name}/{name}")
                node.add_leaf(text, data=ref)
                if first is None:
                    first = ref
        return first

    @on(Tree.NodeHighlighted)
    @on(Tree.NodeSelected)
    def _chosen(self, event: Tree.NodeHighlighted[FolderRef | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.FolderChosen(event.node.data))
