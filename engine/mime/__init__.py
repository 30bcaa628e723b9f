"""Parsing of untrusted mail into sanitised values for the UI and the index.

``parse_envelope`` is the fast per-message summary run at sync time; ``parse_body`` is the full
parse for previewing one message. Neither ever raises, and every string they return has been
through :mod:`engine.sanitize`.
"""

from engine.mime.addresses import Address, parse_addresses
from engine.mime.body import Attachment, MessageBody, attachment_bytes, parse_body
from engine.mime.envelope import (
    ENVELOPE_FIELDS,
    UNREADABLE_SUBJECT,
    BodySummary,
    Envelope,
    parse_envelope,
    summarise_body,
)
from engine.mime.html_text import html_to_text
from engine.mime.msgids import clean_msg_id, msg_id_list

__all__ = [
    "ENVELOPE_FIELDS",
    "UNREADABLE_SUBJECT",
    "Address",
    "Attachment",
    "BodySummary",
    "Envelope",
    "MessageBody",
    "attachment_bytes",
    "clean_msg_id",
    "html_to_text",
    "msg_id_list",
    "parse_addresses",
    "parse_body",
    "parse_envelope",
    "summarise_body",
]
