"""Outgoing mail as RFC 5322 bytes, ready for SMTP and the Sent folder.

The message is built with ``email.policy.SMTP`` (CRLF line ends, folded headers) restricted to
7-bit output, so non-ASCII text is sent as quoted-printable or base64 and needs no 8BITMIME.
Every header value passes through :func:`engine.compose.headers.clean_header_text` or
:func:`engine.compose.headers.valid_msg_id` first; as a last line of defence the finished
header block is read back and refused if it holds any field that was not set on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime

from engine.compose.headers import clean_header_text, clean_references, valid_msg_id
from engine.compose.models import Outgoing, OutgoingAttachment
from engine.compose.recipients import (
    MAX_NAME_CHARS,
    ascii_addr,
    parse_address_list,
    split_mailbox,
)
from engine.errors import InvalidInputError

__all__ = ["USER_AGENT", "build_message", "recipients", "safe_filename"]

USER_AGENT = "frontdesk"
MAX_FILENAME_CHARS = 120
"""Characters of an attachment's name; encoded for non-ASCII names, it stays a few lines."""
FALLBACK_FILENAME = "attachment"

_POLICY = policy.SMTP.clone(cte_type="7bit")
# Type and subtype tokens (RFC 6838 restricted-name). multipart/* and message/* are left out:
# they cannot be sent as an opaque base64 body.
_MIME_TYPE = re.compile(r"([a-z0-9][a-z0-9!#$&^_.+-]{0,126})/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})")
_SURROGATES = re.compile("[\ud800-\udfff]")
# Fields the email package adds itself when the body is set.
_CONTENT_FIELDS = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


def _refusal(mailbox: str) -> InvalidInputError:
    shown = clean_header_text(mailbox, limit=100) or "(empty)"
    return InvalidInputError(f"Not a valid address: {shown}. Correct it and send again.")


def _address(mailbox: str) -> Address:
    """One mailbox as an email.headerregistry.Address, the domain in its ASCII form."""
    parsed = split_mailbox(mailbox)
    addr = ascii_addr(parsed[1]) if parsed else None
    if parsed is None or addr is None:
        raise _refusal(mailbox)
    local, _, domain = addr.partition("@")
    try:
        return Address(
            display_name=clean_header_text(parsed[0], limit=MAX_NAME_CHARS),
            username=local,
            domain=domain,
        )
    except ValueError as error:  # header defects are ValueErrors too
        raise _refusal(mailbox) from error


def _addresses(mailboxes: Iterable[str]) -> list[Address]:
    return [_address(mailbox) for mailbox in mailboxes if mailbox.strip()]


def recipients(outgoing: Outgoing) -> list[str]:
    """The envelope recipients (SMTP ``RCPT TO``): the addresses of To, Cc and Bcc, each
    once ignoring case, in that order.

    Raises InvalidInputError naming the first mailbox mail cannot be sent to.
    """
    found: list[str] = []
    seen: set[str] = set()
    for address in _addresses([*outgoing.to, *outgoing.cc, *outgoing.bcc]):
        if address.addr_spec.lower() not in seen:
            seen.add(address.addr_spec.lower())
            found.append(address.addr_spec)
    return found


def safe_filename(filename: str) -> str:
    """An attachment name without directories, control characters or leading dots, bounded;
    ``attachment`` when nothing is left."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = clean_header_text(name, limit=MAX_FILENAME_CHARS).lstrip(". ").rstrip(". ")
    return name or FALLBACK_FILENAME


def _mime_type(content_type: str) -> tuple[str, str]:
    match = _MIME_TYPE.fullmatch(content_type.partition(";")[0].strip().lower())
    if match is None or match.group(1) in ("multipart", "message"):
        return "application", "octet-stream"
    return match.group(1), match.group(2)


def _text(text: str) -> str:
    """Body text the utf-8 codec accepts: undecodable leftovers become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def _attach(message: EmailMessage, attachment: OutgoingAttachment) -> None:
    maintype, subtype = _mime_type(attachment.content_type)
    message.add_attachment(
        bytes(attachment.data),
        maintype=maintype,
        subtype=subtype,
        filename=safe_filename(attachment.filename),
    )


def _drop_part_mime_version(part: MIMEPart) -> None:
    """MIME-Version belongs to the message only; the email package adds it to every part
    it creates."""
    del part["MIME-Version"]
    if part.is_multipart():
        for child in part.iter_parts():
            _drop_part_mime_version(child)


def _check_header_block(data: bytes, expected: Iterable[str]) -> None:
    """Refuse the message unless its header block holds each expected field exactly once
    and nothing else: no value can have smuggled in a field of its own."""
    head = data.split(b"\r\n\r\n", 1)[0]
    names = [
        line.split(b":", 1)[0].decode("ascii", "replace").lower()
        for line in head.split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t")
    ]
    wanted = {name.lower() for name in expected}
    unexpected = set(names) - wanted - _CONTENT_FIELDS
    if unexpected or len(names) != len(set(names)) or not wanted <= set(names):
        raise InvalidInputError(
            "The message could not be built safely: a header value was refused. "
            "Check the subject and addresses."
        )


def _from_address(outgoing: Outgoing) -> Address:
    address = _address(outgoing.from_addr)
    name = clean_header_text(outgoing.from_name, limit=MAX_NAME_CHARS) or address.display_name
    return Address(display_name=name, username=address.username, domain=address.domain)


def build_message(outgoing: Outgoing) -> bytes:
    """*outgoing* as RFC 5322 bytes with CRLF line ends, every line within 998 bytes.

    Headers: Date (``outgoing.date`` or now, in UTC), From, Reply-To, To, Cc (each only when
    set), Subject, Message-ID, In-Reply-To and References (only their valid IDs),
    MIME-Version and ``User-Agent: frontdesk``. Bcc is never written; pass it to the server
    through :func:`recipients`. The body is text/plain (utf-8); with ``html_body`` it is a
    multipart/alternative of the plain then the HTML text, and attachments wrap either in
    multipart/mixed.

    Raises InvalidInputError for an address mail cannot be sent to, and ValueError when
    ``message_id`` is not a valid ID (it comes from make_message_id, never from a person).
    """
    message_id = valid_msg_id(outgoing.message_id)
    if message_id is None:
        raise ValueError(f"not a valid Message-ID: {outgoing.message_id!r}")
    when = outgoing.date or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)

    message = EmailMessage(policy=_POLICY)
    message["Date"] = format_datetime(when.astimezone(UTC))
    message["From"] = _from_address(outgoing)
    reply_to = _addresses(parse_address_list(outgoing.reply_to))
    if reply_to:
        message["Reply-To"] = reply_to
    to = _addresses(outgoing.to)
    if to:
        message["To"] = to
    cc = _addresses(outgoing.cc)
    if cc:
        message["Cc"] = cc
    message["Subject"] = clean_header_text(outgoing.subject)
    message["Message-ID"] = message_id
    in_reply_to = valid_msg_id(outgoing.in_reply_to)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    references = clean_references(outgoing.references)
    if references:
        message["References"] = references
    message["User-Agent"] = USER_AGENT
    if outgoing.auto_reply:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    expected = list(message.keys())

    message.set_content(_text(outgoing.body), subtype="plain", charset="utf-8")
    if outgoing.html_body is not None:
        message.add_alternative(_text(outgoing.html_body), subtype="html", charset="utf-8")
    for attachment in outgoing.attachments:
        _attach(message, attachment)
    for part in message.iter_parts() if message.is_multipart() else ():
        _drop_part_mime_version(part)

    data = message.as_bytes()
    _check_header_block(data, expected)
    return data
