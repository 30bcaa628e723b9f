"""The values composing works on: the message answered, a draft's first content, and the
message to send.

Addresses are header-style mailboxes, one per item: ``"Jane Doe <jane@x.example>"`` or a bare
``"jane@x.example"`` (see :func:`engine.compose.recipients.format_mailbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Original", "Outgoing", "OutgoingAttachment", "Prefill"]


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    """A file to attach, with its bytes."""

    filename: str
    """As the recipient sees it; sanitised again when the message is built."""
    content_type: str
    """``maintype/subtype``; anything unusable is sent as ``application/octet-stream``."""
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Original:
    """What a reply or forward needs of the message answered.

    Every string comes from a stranger's mail: the compose functions clean each one again
    before it reaches a header.
    """

    message_id: str | None = None
    """Its Message-ID header, ``<...@...>``."""
    references: tuple[str, ...] = ()
    """Its References header, split into message IDs, oldest first."""
    in_reply_to: str | None = None
    subject: str = ""
    """Decoded (RFC 2047) subject."""
    from_name: str = ""
    from_addr: str = ""
    reply_to: tuple[str, ...] = ()
    """Mailboxes of its Reply-To header."""
    to: tuple[str, ...] = ()
    """Mailboxes of its To header."""
    cc: tuple[str, ...] = ()
    """Mailboxes of its Cc header."""
    date: str = ""
    """ISO 8601, UTC: ``"2026-10-01T09:00:00Z"``; "" when unknown."""
    text: str = ""
    """The decoded plain-text body."""
    attachments: tuple[OutgoingAttachment, ...] = ()
    """Carried along by a forward."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Prefill:
    """What a new draft starts with."""

    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    in_reply_to: str | None = None
    """The Message-ID answered, validated; None for new mail and forwards."""
    references: str = ""
    """The References header value; "" when none."""
    attachments: tuple[OutgoingAttachment, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """A message ready to be built into bytes by :func:`engine.compose.build.build_message`."""

    message_id: str
    """From :func:`engine.compose.headers.make_message_id`, kept so the sent copy can be found."""
    from_addr: str
    from_name: str = ""
    reply_to: str = ""
    """A mailbox list as typed; "" for none."""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    """Envelope recipients only: never written into the message."""
    subject: str = ""
    body: str = ""
    html_body: str | None = None
    """When set, sent as the alternative to ``body``."""
    in_reply_to: str | None = None
    references: str = ""
    date: datetime | None = None
    """None: now. A naive datetime is taken as UTC."""
    attachments: tuple[OutgoingAttachment, ...] = ()
    auto_reply: bool = False
    """An automatic answer: marked ``Auto-Submitted: auto-replied`` (RFC 3834) and asking
    other responders not to answer it (``X-Auto-Response-Suppress: All``)."""
