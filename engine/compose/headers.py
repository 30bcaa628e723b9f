"""Header values for outgoing mail, made safe from the received mail they are copied from.

A subject, a name or a Message-ID taken from a stranger's message can carry a line break, either
literally or inside an RFC 2047 encoded word (``=?utf-8?q?Hi=0D=0ABcc:_x@evil.example?=``) that
``email.policy`` decodes when the header is set and then writes out raw. Either way it would
start a header of the sender's choosing in our reply. Every value is therefore decoded, cleaned
and bounded here before it is set, and message IDs are accepted only in their plain form.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from email import policy

from engine.compose.models import Original

__all__ = [
    "FALLBACK_ID_DOMAIN",
    "clean_header_text",
    "clean_references",
    "forward_subject",
    "make_message_id",
    "references_for",
    "reply_subject",
    "valid_msg_id",
]

MAX_HEADER_TEXT_CHARS = 998
"""RFC 5322 line limit; longer values are folded by the policy, so this bounds content."""
MAX_MSG_ID_CHARS = 250
MAX_REFERENCES_CHARS = 900
"""References stays short enough to fit one line even where folding is not done."""
MAX_INPUT_CHARS = 16 * 1024
"""Input to decoding: the stdlib header parser is a Python-level loop."""
FALLBACK_ID_DOMAIN = "frontdesk.invalid"

# C0 (tab included: a header value is one line), DEL, C1, line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATES = re.compile("[\ud800-\udfff]")
_DECODE_ROUNDS = 3
_HEADER_FACTORY = policy.default.header_factory

# atext of RFC 5322 plus dots, on both sides of one "@". "=?" is refused separately: the
# policy's parser decodes an encoded word even in the middle of an ID.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]"
_MSG_ID = re.compile(rf"<{_ATEXT}+@{_ATEXT}+>")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")

# "Re:", "RE :", "Re[2]:", "Re(2):", "Aw:", "Sv:", "Antw:", "Odp:", "回复：", repeated.
_REPLY_PREFIXES = re.compile(
    r"(?:(?:re|aw|sv|antw|odp|回复|答复)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.IGNORECASE
)
# "Fwd:", "Fw:", "FWD:", "WG:", "RV:", "转发：", repeated.
_FORWARD_PREFIXES = re.compile(
    r"(?:(?:fwd?|wg|rv|转发)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.IGNORECASE
)


def _one_line(text: str) -> str:
    """Controls to spaces, lone surrogates (undecodable bytes) to U+FFFD, whitespace collapsed."""
    text = _SURROGATES.sub("\ufffd", text)
    return " ".join(_CONTROLS.sub(" ", text).split())


def _policy_decoded(text: str) -> str | None:
    """*text* as ``email.policy`` reads it when set as a header: encoded words decoded."""
    try:
        return str(_HEADER_FACTORY("subject", text))
    except Exception:  # the parser is not meant to raise; if it does, the value is unusable
        return None


def _cut(text: str, limit: int) -> str:
    """At most *limit* characters, never ending between a letter and its combining marks."""
    if len(text) <= limit:
        return text
    end = max(limit, 0)
    while end > 0 and unicodedata.combining(text[end]):
        end -= 1
    return text[:end].rstrip()


def clean_header_text(value: str, *, limit: int = MAX_HEADER_TEXT_CHARS) -> str:
    """One line of text that is safe as a header value, at most *limit* characters.

    RFC 2047 encoded words are decoded first, as ``email.policy`` would decode them when the
    value is set; then CR, LF, tab and every other control character become a space and runs
    of whitespace collapse to one. Encoded words nested inside encoded words are decoded
    too, a few levels deep; deeper ones are broken up (``=?`` becomes ``= ?``) so nothing is
    left for the policy to decode.
    """
    text = _one_line(value[:MAX_INPUT_CHARS])
    for _ in range(_DECODE_ROUNDS):
        if "=?" not in text:
            break
        decoded = _policy_decoded(text)
        if decoded is None:
            break
        decoded = _one_line(decoded)
        if decoded == text:
            break
        text = decoded
    text = _cut(text, limit)
    if "=?" in text:
        decoded = _policy_decoded(text)
        if decoded is None or _one_line(decoded) != text:
            text = _cut(text.replace("=?", "= ?"), limit)
    return text


def valid_msg_id(value: str | None) -> str | None:
    """*value* when it is exactly one plain ``<left@right>`` message ID, else None.

    Outer whitespace is ignored. Inside the brackets only RFC 5322 atom characters and dots
    are accepted (so no whitespace, controls, brackets or non-ASCII), with one "@", no
    encoded-word opener ``=?``, and at most MAX_MSG_ID_CHARS characters in all.
    """
    if not value:
        return None
    value = value.strip()
    if len(value) > MAX_MSG_ID_CHARS or "=?" in value or not _MSG_ID.fullmatch(value):
        return None
    return value


def _join_ids(ids: Iterable[str | None]) -> str:
    """Valid IDs, deduplicated in order, joined; trimmed to the first and the newest ones
    when too long, as RFC 5322 section 3.6.4 recommends."""
    kept: list[str] = []
    seen: set[str] = set()
    for candidate in ids:
        msg_id = valid_msg_id(candidate)
        if msg_id is not None and msg_id not in seen:
            seen.add(msg_id)
            kept.append(msg_id)
    joined = " ".join(kept)
    if len(joined) <= MAX_REFERENCES_CHARS:
        return joined
    newest: list[str] = []
    size = len(kept[0])
    for msg_id in reversed(kept[1:]):
        size += 1 + len(msg_id)
        if size > MAX_REFERENCES_CHARS:
            break
        newest.append(msg_id)
    return " ".join([kept[0], *reversed(newest)])


def references_for(original: Original) -> str:
    """The References header of a reply to *original*: its References (or, lacking them,
    its In-Reply-To) followed by its Message-ID; only valid IDs, each once, bounded."""
    ids: list[str | None] = list(original.references)
    if not ids:
        ids.append(original.in_reply_to)
    ids.append(original.message_id)
    return _join_ids(ids)


def clean_references(value: str) -> str:
    """A References value with only its valid IDs, each once, bounded like references_for."""
    return _join_ids(value[:MAX_INPUT_CHARS].split())


def _prefixed(prefix: str, subject: str, existing: re.Pattern[str]) -> str:
    text = clean_header_text(subject)
    match = existing.match(text)
    if match is not None:
        text = text[match.end() :]
    return clean_header_text(f"{prefix} {text}")


def reply_subject(subject: str) -> str:
    """The subject of a reply: one "Re: " in front, replacing any reply prefixes already
    there ("RE:", "Re[2]:", "Aw:", "Sv:", stacked "Re: Re:"). Cleaned to one line."""
    return _prefixed("Re:", subject, _REPLY_PREFIXES)


def forward_subject(subject: str) -> str:
    """The subject of a forward: one "Fwd: " in front, replacing any forward prefixes
    already there ("Fw:", "FWD:", "WG:"). Cleaned to one line."""
    return _prefixed("Fwd:", subject, _FORWARD_PREFIXES)


def _id_domain(value: str) -> str | None:
    domain = value.rpartition("@")[2].strip().strip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(domain) > 200 or len(labels) < 2:
        return None
    if not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return None
    return domain


def make_message_id(domain: str) -> str:
    """A new random Message-ID, ``<32 hex digits@domain>``.

    *domain* is the sending domain, or the From address it is taken from; when it is not a
    usable DNS name, FALLBACK_ID_DOMAIN is used.
    """
    return f"<{uuid.uuid4().hex}@{_id_domain(domain) or FALLBACK_ID_DOMAIN}>"
