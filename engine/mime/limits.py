"""Bounds applied while parsing untrusted mail.

Every size, count and depth the MIME code enforces lives here so the limits can be reviewed (and
tuned) in one place. Mail comes from strangers: any value left unbounded is a way to make sync or
the preview stall, or to exhaust memory.
"""

from __future__ import annotations

# --- Header block --------------------------------------------------------------------------------
MAX_HEADER_BLOCK_BYTES = 256 * 1024
"""Only this much of the header block is parsed; the rest is ignored."""
MAX_HEADER_FIELDS = 1000
"""Header fields kept from one header block."""
MAX_HEADER_VALUE_BYTES = 64 * 1024
"""One unfolded header value (References is the only one legitimately this long)."""
MAX_DECODE_HEADER_CHARS = 16 * 1024
"""Input to RFC 2047 / address parsing for one header; both are Python-level loops."""
MAX_PART_HEADER_CHARS = 2048
"""MIME part header values (Content-Type & co.) as seen by the stdlib parser; the stdlib's
parameter parsing is quadratic, so this must stay small."""

# --- Values --------------------------------------------------------------------------------------
MAX_SUBJECT_CHARS = 1000
MAX_MSGID_CHARS = 998
"""RFC 5322 line-length limit; a longer Message-ID cannot be written back into a reply."""
MAX_REFERENCES = 50
MAX_ADDRESSES = 500
"""Addresses kept from one header (To/Cc of a mass mailing)."""
MAX_ADDRESS_PART_CHARS = 1000
"""One display name or address."""
MAX_DISPLAY_HEADER_CHARS = 8000
MAX_FILENAME_CHARS = 255
MAX_CONTENT_TYPE_CHARS = 255
MAX_ERROR_CHARS = 300

# --- MIME structure ------------------------------------------------------------------------------
MAX_MIME_DEPTH = 20
MAX_MIME_PARTS = 200

# --- Bodies --------------------------------------------------------------------------------------
ENVELOPE_SCAN_BYTES = 4 * 1024 * 1024
"""Bytes of the body parsed at sync time; text parts come first in practice, so this only cuts
into large attachments."""
ENVELOPE_TEXT_MAX_CHARS = 64 * 1024
ENVELOPE_PART_MAX_ENCODED = 512 * 1024
"""Encoded text of one part decoded for the envelope (enough for 64 KB of any script)."""
ENVELOPE_HTML_MAX_CHARS = 256 * 1024
SNIPPET_CHARS = 200

BODY_TEXT_MAX_CHARS = 1024 * 1024
BODY_PART_MAX_ENCODED = 8 * 1024 * 1024
FALLBACK_RAW_MAX_BYTES = 1024 * 1024
"""Raw bytes shown when a message cannot be parsed at all."""

# --- HTML ----------------------------------------------------------------------------------------
HTML_MAX_INPUT_CHARS = 2 * 1024 * 1024
MAX_LINKS = 500
MAX_LINK_CHARS = 4096

TRUNCATION_NOTE = "[… truncated]"
"""Appended (on its own paragraph) wherever text was cut at a bound."""
