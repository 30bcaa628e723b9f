"""What a new draft starts with: a reply, a forward or new mail."""

from __future__ import annotations

from collections.abc import Iterable

from engine.compose.headers import forward_subject, references_for, reply_subject, valid_msg_id
from engine.compose.models import Original, Prefill
from engine.compose.quote import forward_body, reply_body, signature_block
from engine.compose.recipients import reply_all

__all__ = ["prefill_forward", "prefill_new", "prefill_reply"]


def prefill_reply(
    original: Original, *, own: Iterable[str], signature: str = "", all: bool = False
) -> Prefill:
    """A reply to *original*, or with *all* a reply to everyone on it.

    Recipients follow :func:`engine.compose.recipients.reply_all` (the agent's own
    addresses, *own*, left out); a plain reply keeps only its To. The subject gains one "Re:",
    the body is top-posted over the quoted original, and In-Reply-To and References carry the
    original's IDs when they are valid.
    """
    to, cc = reply_all(original, own)
    return Prefill(
        to=to,
        cc=cc if all else (),
        subject=reply_subject(original.subject),
        body=reply_body(original, signature),
        in_reply_to=valid_msg_id(original.message_id),
        references=references_for(original),
    )


def prefill_forward(original: Original, *, signature: str = "") -> Prefill:
    """A forward of *original*: no recipients yet, "Fwd:" subject, the original text below
    the signature, and its attachments carried along.

    References is kept so the forward stays in the conversation; In-Reply-To is not, since a
    forward answers no one.
    """
    return Prefill(
        subject=forward_subject(original.subject),
        body=forward_body(original, signature),
        references=references_for(original),
        attachments=original.attachments,
    )


def prefill_new(signature: str = "") -> Prefill:
    """New mail: empty but for the signature, below an empty line for the cursor."""
    block = signature_block(signature)
    return Prefill(body="\n\n" + block + "\n" if block else "")
