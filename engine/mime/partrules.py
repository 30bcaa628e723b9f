"""Rules shared by both MIME walkers: what a part is, its filename, its transfer decoding.

The envelope scans bytes (``scan.py``) and the body walks a parsed tree (``parts.py``); both
classify through :func:`classify` so they agree on text, HTML and attachments.
"""

from __future__ import annotations

import binascii
import posixpath
import re
from typing import Literal

from engine.mime.headers import decode_words
from engine.mime.limits import MAX_FILENAME_CHARS
from engine.sanitize import sanitize_line

__all__ = ["PartKind", "classify", "decode_transfer", "filename_from"]

PartKind = Literal["plain", "html", "attachment", "container", "other", "nested"]
"""``plain``/``html``: body text; ``attachment``; ``container``: a multipart; ``other``: text/*
that is neither (e.g. a calendar); ``nested``: inside an attached message (belongs to it)."""

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]+")


def classify(
    content_type: str, disposition: str, filename: str, *, container: bool, nested: bool
) -> PartKind:
    """Kind of a part from its lower-cased content type and disposition.

    Attachments: disposition ``attachment``, any filename, or a main type other than text
    (an attached ``message/*`` included). A multipart that could not be split is shown as text.
    """
    maintype = content_type.partition("/")[0]
    if nested:
        return "nested"
    if container:
        return "attachment" if maintype == "message" else "container"
    if disposition == "attachment" or filename or maintype not in ("text", "multipart"):
        return "attachment"
    if content_type == "text/html":
        return "html"
    if content_type == "text/plain" or maintype == "multipart":
        return "plain"
    return "other"


def filename_from(disposition_params: dict[str, str], type_params: dict[str, str]) -> str:
    """The part's filename, decoded and sanitised, without directories; "" if none."""
    raw = disposition_params.get("filename") or type_params.get("name") or ""
    if not raw:
        return ""
    # Encoded words inside a quoted filename are invalid but what most mailers send.
    name = sanitize_line(decode_words(raw))
    # Only the last path component: a filename is never a path, even if the sender says so.
    name = posixpath.basename(name.replace("\\", "/")).strip()
    return name[:MAX_FILENAME_CHARS]


def _b64decode(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        # Junk, or cut mid-quantum (by us or a broken sender): keep the decodable prefix.
        data = _NOT_BASE64.sub(b"", data)
        if len(data) % 4 == 1:
            data = data[:-1]
        data += b"=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            return b""


def decode_transfer(data: bytes, encoding: str) -> bytes:
    """Undo a Content-Transfer-Encoding (base64, quoted-printable; others pass through)."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        return _b64decode(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data
