"""Plain values read from and written to the store. They carry no behaviour and no
connection, so they can cross every layer and be serialised as they are."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    os_user: str | None
    display_name: str
    email: str
    role: str  # "admin" | "agent"
    active: bool


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    display_name: str
    email: str
    kind: str  # "personal" | "shared"
    owner_agent_id: int | None


@dataclass(frozen=True)
class Folder:
    id: int
    account_id: int
    name: str
    role: str | None  # inbox | sent | drafts | trash | spam | archive
    total: int
    unread: int


@dataclass(frozen=True)
class MessageSummary:
    """One row of a message list."""

    id: int
    account_id: int
    folder_id: int
    thread_id: int | None
    subject: str
    from_name: str
    from_addr: str
    date: str  # ISO 8601 UTC
    seen: bool
    flagged: bool
    answered: bool
    has_attachments: bool
    snippet: str
    customer_id: int | None  # None: the sender matches no customer ("Author not found")
    parse_error: str | None


@dataclass(frozen=True)
class MessageHeaders:
    """The stored header fields of one message (the body comes from its raw bytes)."""

    id: int
    account_id: int
    folder_id: int
    thread_id: int | None
    message_id: str | None
    subject: str
    from_name: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    date: str
    seen: bool
    flagged: bool
    parse_error: str | None


@dataclass(frozen=True)
class NewMessage:
    """A message to insert. `raw_codec`/`raw_data` come from storage.raw_codec.compress."""

    account_id: int
    folder_id: int
    uidvalidity: int | None
    uid: int | None
    message_id: str | None
    in_reply_to: str | None
    thread_id: int | None
    subject: str
    from_name: str
    from_addr: str
    to_addrs: str
    cc_addrs: str
    date: str
    internal_date: str | None
    size: int
    seen: bool
    flagged: bool
    answered: bool
    draft: bool
    has_attachments: bool
    auto_submitted: bool
    list_mail: bool
    snippet: str
    parse_error: str | None
    raw_codec: str
    raw_data: bytes
    index_sender: str
    index_recipients: str
    index_body: str
