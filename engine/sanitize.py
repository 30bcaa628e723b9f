"""Make untrusted text safe to put on a terminal.

Mail text comes from strangers and ends up in a Textual UI. Textual's ``Content``/``Text`` do not
strip ESC or C1 control characters, so a subject such as ``"\\x1b]52;c;...\\x07"`` would reach the
terminal as a real escape sequence (clipboard writes, title changes, hyperlinks, cursor movement,
hiding text, on some terminals even answer-back). Everything decoded from a message therefore goes
through :func:`sanitize` (multi-line text) or :func:`sanitize_line` (one-line fields) *after* all
MIME/charset/HTML decoding, so nothing a decoder produces can smuggle a control sequence past it.

What is removed:

* escape sequences with their payload: CSI (``ESC [`` / U+009B), and the string controls OSC, DCS,
  SOS, PM, APC (``ESC ]``, ``ESC P``, ``ESC X``, ``ESC ^``, ``ESC _`` and their 8-bit forms) up to
  their terminator (BEL or ST); any other ESC with what a terminal would treat as its sequence;
* C0 controls except tab and newline (CR LF and lone CR become LF), DEL, all C1 controls;
* bidi controls (they let a sender visually reorder text, e.g. ``invoice\\u202efdp.exe``) and
  invisible format characters that serve only to spoof; U+2028/U+2029 become newlines;
* lone surrogates (they cannot be encoded for the terminal) become U+FFFD.

Zero-width joiner/non-joiner (U+200D/U+200C) are kept: emoji sequences and several scripts
(Persian, Indic) need them, and they do not reorder or hide text.

This is not a markup escaper: ``[bold]`` stays literal text. The UI must never interpret message
text as markup.

Everything here is linear time: the patterns only use bounded or possessive repetition over
character classes that exclude the next introducer, so an unterminated sequence is scanned once.
"""

from __future__ import annotations

import re

__all__ = ["sanitize", "sanitize_line"]

# One alternation so each sequence is removed in a single left-to-right pass.
_SEQUENCE = re.compile(
    # String controls. The payload class excludes ESC, BEL and every C1 code point, so a scan
    # stops at the next introducer and the next search starts from there: no re-scanning. When
    # no terminator follows, only the introducer goes; the rest is shown as plain text (after the
    # remaining controls are stripped) rather than silently hiding the rest of the message.
    "(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])(?:[^\x07\x1b\x80-\x9f]*+(?:\x07|\x1b\\\\|\x9c))?"
    # CSI: parameter bytes, intermediate bytes, final byte (ECMA-48 5.4).
    "|(?:\x1b\\[|\x9b)[0-?]*+[ -/]*+[@-~]?"
    # Any other ESC: intermediates plus one final byte, or a lone ESC.
    "|\x1b[ -/]*+[0-~]?"
)

_NEWLINES = re.compile("[\u2028\u2029]")

# C0 except \t \n (\r is already gone), DEL, C1, bidi controls, invisible spoofing formats.
_STRIP = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u180e\u200b\u2060-\u2064\ufeff\ufff9-\ufffb"  # zero-width / invisible operators / BOM
    "]+"
)

_SURROGATE = re.compile("[\ud800-\udfff]")

# Anything sanitize() would change; most text has none of it, and one C-level scan is cheap.
_NEEDS_WORK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def sanitize(text: str) -> str:
    """Return *text* with terminal control sequences and spoofing characters removed.

    Keeps tabs and newlines (normalised to ``\\n``) and all ordinary Unicode. Idempotent.
    """
    if "\r" in text:  # CRLF is the norm in mail; handle it without the general path
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _NEEDS_WORK.search(text):
        return text
    text = _SEQUENCE.sub("", text)
    text = _NEWLINES.sub("\n", text)
    text = _STRIP.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def sanitize_line(text: str) -> str:
    """Sanitise a one-line field (subject, name, address, filename).

    As :func:`sanitize`, then every run of whitespace (including tabs and newlines, so an encoded
    CRLF cannot start a fake header line on screen) becomes a single space, trimmed at both ends.
    """
    # Printable text holds nothing sanitize() removes (every such character is a control,
    # a format character, a separator or a surrogate) and no whitespace but the space: if
    # its spaces are single and inside, it is its own result. Most fields are.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(sanitize(text).split())
