"""What a message list shows: a scope, an optional search, and how rows are grouped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Listing:
    """One message list, as the console and `frontdesk list` ask for it.

    scope: "unified:ROLE" (that role's folder in every visible account), "ACCOUNT:FOLDER",
    "folder:ID" (one folder by id) or "all" (every visible message).
    query: the search language (from:, to:, subject:, account:, folder:, is:unread,
    is:flagged, has:attachment, before:, after:, "quoted phrases", words); "" for none.
    unread_only: only unread messages. threads: one row per conversation (its newest
    message, with thread_count set).
    """

    scope: str = "unified:inbox"
    query: str = ""
    unread_only: bool = False
    threads: bool = False
