"""The values that cross the Service boundary: plain, frozen, serialisable dataclasses.

Rows read from the store are already such values (storage.records); they are re-exported
here so the console imports everything it shows from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.mime import Attachment
from storage.records import (
    Account,
    Agent,
    BlockEntry,
    Case,
    Customer,
    Draft,
    DraftAttachment,
    Folder,
    Lead,
    MessageSummary,
    SmtpConfig,
)
from storage.templates import Signature, Template

__all__ = [
    "Account",
    "Agent",
    "Attachment",
    "BlockEntry",
    "Case",
    "Conversion",
    "Customer",
    "Draft",
    "DraftAttachment",
    "Folder",
    "Lead",
    "MessageRemoved",
    "MessageSummary",
    "MessageView",
    "RenderedTemplate",
    "SenderCard",
    "Signature",
    "SmtpChange",
    "SmtpConfig",
    "StoreInfo",
    "Template",
    "Timeline",
]


@dataclass(frozen=True)
class MessageView:
    """One message opened for reading. Every string is sanitised for the terminal."""

    id: int
    account_id: int
    folder_id: int
    thread_id: int | None
    subject: str
    headers: tuple[tuple[str, str], ...]
    text: str
    html_text: str | None
    links: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    parse_error: str | None


@dataclass(frozen=True)
class StoreInfo:
    """What the console shows about the open store."""

    path: str
    agent: Agent
    demo: bool


@dataclass(frozen=True)
class SenderCard:
    """The sender of a message, as the triage actions need it: the display name parsed
    into a customer name, the address and its domain, and the customer it belongs to."""

    message_id: int
    account_id: int
    name: str  # from the display name; the address's local part when there is none
    address: str  # lower-cased; "" when the message has no usable sender
    domain: str
    customer: Customer | None


@dataclass(frozen=True)
class Conversion:
    """What converting a thread made, or found already made (created False)."""

    kind: str  # lead | case
    id: int
    label: str  # the case number, or the lead's name
    created: bool


@dataclass(frozen=True)
class Timeline:
    """A customer's mail across the accounts the agent may see, newest first, with the
    cases and leads the agent may see."""

    customer: Customer
    messages: tuple[MessageSummary, ...]
    total: int  # how many messages in all (messages holds one page)
    cases: tuple[Case, ...]
    leads: tuple[Lead, ...]


@dataclass(frozen=True)
class MessageRemoved:
    """What became of a message: moved to `folder` (its name), or, with folder None,
    deleted for good. `job_id` is the queued server job (None: not on a server)."""

    message_id: int
    folder: str | None
    job_id: int | None


@dataclass(frozen=True)
class SmtpChange:
    """What `frontdesk account smtp` asks for. password: a new one to store; None keeps
    the stored one (or none, with password_command or no_auth)."""

    host: str | None = None
    port: int | None = None
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown
    password_command: str | None = None
    no_auth: bool = False
    ca_file: str | None = None
    verify_cert: bool = True
    reply_to: str = ""
    use_system: bool = False
    server_saves_sent: bool = False


@dataclass(frozen=True)
class RenderedTemplate:
    """A saved reply filled in. `html` is set for an HTML template; `text` is always set
    (for an HTML template, its text version), so a plain part always exists."""

    text: str
    html: str | None
