"""Writing mail: replies, forwards and new messages, from the first draft to the bytes sent.

Pure functions over the values in :mod:`engine.compose.models`; no I/O. Everything copied from
a received message into a header is cleaned again here, since that message came from a
stranger.
"""

from engine.compose.build import build_message, recipients, safe_filename
from engine.compose.headers import (
    clean_header_text,
    clean_references,
    forward_subject,
    make_message_id,
    references_for,
    reply_subject,
    valid_msg_id,
)
from engine.compose.models import Original, Outgoing, OutgoingAttachment, Prefill
from engine.compose.prefill import prefill_forward, prefill_new, prefill_reply
from engine.compose.quote import attribution, forward_body, quoted, reply_body, signature_block
from engine.compose.recipients import (
    addr_spec,
    format_mailbox,
    invalid_addresses,
    parse_address_list,
    reply_all,
    reply_to_addresses,
)

__all__ = [
    "Original",
    "Outgoing",
    "OutgoingAttachment",
    "Prefill",
    "addr_spec",
    "attribution",
    "build_message",
    "clean_header_text",
    "clean_references",
    "format_mailbox",
    "forward_body",
    "forward_subject",
    "invalid_addresses",
    "make_message_id",
    "parse_address_list",
    "prefill_forward",
    "prefill_new",
    "prefill_reply",
    "quoted",
    "recipients",
    "references_for",
    "reply_all",
    "reply_body",
    "reply_subject",
    "reply_to_addresses",
    "safe_filename",
    "signature_block",
    "valid_msg_id",
]
