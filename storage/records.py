"""Plain values read from and written to the store. They carry no behaviour and no
connection, so they can cross every layer and be serialised as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


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
    thread_count: int = 1  # in a conversation listing: how many messages the thread holds


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
    uidvalidity: int | None
    uid: int | None
    has_body: bool


class NewMessage(NamedTuple):
    """A message to insert: its columns (in the order storage.messages inserts them),
    then its raw bytes, search text and attachments. Where it goes (account, folder,
    thread) is given when it is inserted. A tuple: it is built where the mail is parsed,
    often another process, and crosses back several times faster than a dataclass.
    `raw_codec`/`raw_data` come from storage.raw_codec.compress."""

    uidvalidity: int | None
    uid: int | None
    modseq: int | None
    message_id: str | None
    in_reply_to: str | None
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
    raw_codec: str | None  # None with raw_data None: headers only, the body comes later
    raw_data: bytes | None
    index_sender: str
    index_recipients: str
    index_body: str
    attachments: tuple[tuple[str, str, int], ...] = ()  # (filename, content type, size)


# The fields of NewMessage that are columns of `messages`, in its order.
NEW_MESSAGE_COLUMNS = NewMessage._fields[: NewMessage._fields.index("parse_error") + 1]


class BodyUpdate(NamedTuple):
    """The body of a message stored with headers only. A tuple, like NewMessage: made in
    the parse workers, it crosses back cheaply."""

    message_id: int
    raw_codec: str
    raw_data: bytes  # empty when the bytes are in a pack file (storage.raw_packs)
    size: int
    index_body: str
    snippet: str
    parse_error: str | None
    attachments: tuple[tuple[str, str, int], ...]
    raw_pack: str | None = None
    raw_offset: int = 0
    raw_length: int = 0


@dataclass(frozen=True)
class AccountSettings:
    """Everything sync needs to know about an account (never the password itself)."""

    id: int
    name: str
    display_name: str
    email: str
    kind: str
    owner_agent_id: int | None
    imap_host: str | None
    imap_port: int | None
    imap_security: str | None
    imap_username: str | None
    verify_cert: bool
    ca_file: str | None
    password_command: str | None
    check_every_minutes: int
    import_mode: str
    import_since: str | None
    mark_read_on_import: bool
    write_read_status: bool
    sync_folders: tuple[str, ...]
    enabled: bool
    last_sync_at: str | None
    last_error: str | None
    last_error_at: str | None
    auth_failed: bool
    has_password: bool
    # Drafts are copied to the account's Drafts folder on the server (personal accounts).
    mirror_drafts: bool = False
    # Server fields this (personal) account leaves empty and takes from the IMAP
    # defaults: "imap_host", "imap_port", "imap_security", "ca_file".
    inherited: tuple[str, ...] = ()
    # OAuth2: the provider it logs in through (None: a password), whom the token was
    # issued to, and when the stored access token expires (UTC ISO).
    oauth_provider: str | None = None
    oauth_user: str | None = None
    oauth_expires_at: str | None = None
    has_token: bool = False
    # "imap", or "pop3": the server in imap_host/imap_port/imap_security is a POP3 one,
    # the account has an inbox only and nothing is written back but deletions.
    protocol: str = "imap"
    # POP3: delete each message from the server once it is in the store.
    delete_after_import: bool = False
    # POP3: the IMAP account (same owner) whose Sent folder files copies of mail sent
    # from this one, and its name; None: they are filed nowhere on a server.
    sent_account_id: int | None = None
    sent_account: str | None = None


@dataclass(frozen=True)
class Pop3Uidl:
    """A UIDL a POP3 server listed for an account, and what became of its message:
    state pending (first import, not handled yet) | stored | skipped | denied."""

    uidl: str
    state: str
    message_id: int | None
    deleted_on_server: bool


@dataclass(frozen=True)
class FolderState:
    """A folder with its sync state."""

    id: int
    account_id: int
    name: str
    delimiter: str | None
    role: str | None
    role_source: str
    sync_enabled: bool
    selectable: bool
    present: bool
    uidvalidity: int | None
    uidnext: int | None
    highestmodseq: int | None
    synced_uid: int
    initial_until: int | None
    last_sync_at: str | None
    last_error: str | None
    last_error_at: str | None


@dataclass(frozen=True)
class FlagState:
    """Flags of one message as the server reports them."""

    uid: int
    seen: bool
    flagged: bool
    answered: bool
    draft: bool
    deleted: bool
    keywords: str
    modseq: int | None


@dataclass(frozen=True)
class Job:
    """One durable server effect."""

    id: int
    account_id: int | None
    kind: str
    payload: dict[str, object]
    state: str
    attempts: int
    max_attempts: int
    next_attempt_at: str
    last_error: str | None


@dataclass(frozen=True)
class Customer:
    """A customer of the team: shared by every agent (a CRM record, not mail)."""

    id: int
    name: str
    company: str
    notes: str
    addresses: tuple[str, ...]  # lower-cased, sorted
    created_by: int | None
    created_at: str


@dataclass(frozen=True)
class Lead:
    id: int
    name: str
    email: str
    company: str
    status: str  # new | contacted | qualified | lost | won
    customer_id: int | None
    thread_id: int | None
    source_message_id: int | None
    created_by: int | None
    created_at: str


@dataclass(frozen=True)
class Case:
    id: int
    number: str  # "C-000123"
    subject: str
    status: str  # open | pending | closed
    priority: str  # low | normal | high | urgent
    assignee_id: int | None
    assignee: str  # the assignee's agent name; "" when unassigned
    customer_id: int | None
    source_message_id: int | None
    thread_ids: tuple[int, ...]
    created_by: int | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class BlockEntry:
    """A deny-list entry: mail from it is not imported, and stored mail from it is hidden."""

    id: int
    account_id: int | None  # None: every account
    account: str  # the account's name; "" for every account
    kind: str  # address | domain
    value: str  # lower-cased
    created_by: int | None
    created_at: str
    changed: int = 0  # stored messages this block hid, or this unblock showed again


@dataclass(frozen=True)
class DraftAttachment:
    idx: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Draft:
    """A message being written (state draft) or sent through the outbox (queued, sent,
    failed). Addresses are as the agent typed them, one mailbox each."""

    id: int
    account_id: int
    account: str  # the account's name
    from_addr: str  # the account's address
    from_name: str  # the account's display name
    agent_id: int | None
    kind: str  # new | reply | reply_all | forward
    source_id: int | None  # the message answered or forwarded
    state: str  # draft | queued | sent | failed
    message_id: str  # the Message-ID header it is sent with
    in_reply_to: str | None
    references: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    body: str
    html_body: str | None
    error: str | None  # why sending failed for good, and what to do
    attachments: tuple[DraftAttachment, ...]
    thread_id: int | None
    created_at: str
    updated_at: str
    queued_at: str | None
    sent_at: str | None


@dataclass(frozen=True)
class SmtpConfig:
    """How an account sends (or the system SMTP, account_id None). Never the password."""

    account_id: int | None
    host: str | None
    port: int | None
    security: str | None  # ssl | starttls | none
    auth: bool
    username: str | None
    password_command: str | None
    ca_file: str | None
    verify_cert: bool
    use_system: bool  # send through the system SMTP
    reply_to: str
    server_saves_sent: bool  # the server files sent mail itself: no APPEND to Sent
    has_password: bool
