"""Hostile and malformed mail, to keep the console honest: terminal escape sequences,
Textual/Rich markup, bidi overrides, broken headers, a truncated multipart and a huge
subject. Every message stays appendable over IMAP: CRLF only, no NUL, a Message-ID."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from engine.corpus.bodies import Block, link_block
from engine.corpus.encoding import (
    FOLD,
    Entity,
    WordStyle,
    attachment_entity,
    encoded_words,
    message_bytes,
)
from engine.corpus.people import MailClient, Person
from engine.corpus.render import Delivery, Envelope, body_entity, header_block

HOSTILE_KINDS: tuple[str, ...] = (
    "escape_subject",
    "markup_body",
    "bidi_name",
    "broken_header",
    "truncated_multipart",
    "long_subject",
)
# Of these, only the two below are malformed MIME; the others are valid but nasty.
MALFORMED_KINDS: frozenset[str] = frozenset({"broken_header", "truncated_multipart"})

ESC_SUBJECT = (
    "Invoice overdue \x1b]8;;http://evil.example/pay\x07click here\x1b]8;;\x07 "
    "\x1b[2J\x1b[1;31mFINAL NOTICE\x1b[0m"
)
_ESC_BODY = (
    "Your account has been suspended. \x1b]0;root@acme: shutdown\x07Please confirm your "
    "details \x1b]8;;http://evil.example/login\x07at this address\x1b]8;;\x07 today.",
    "\x1b[2J\x1b[H\x1b[5;41mSECURITY WARNING\x1b[0m \x1b[?1049h\x1b[8mhidden text\x1b[0m",
)
MARKUP_BODY = (
    "Hello, please [@click=app.quit]click me[/] to download your invoice.",
    "[bold red]WARNING:[/bold red] your mailbox will be [blink]deleted[/blink] unless you "
    "[link=https://evil.example/verify]verify here[/link].",
    "Unbalanced tags should not break rendering: [/] [bold [italic]] [@click=screen.dismiss(] "
    "[/bold red] $(rm -rf ~) {{7*7}} <script>alert(1)</script>",
)
BIDI_NAME = "Acme Billing \u202Efdp.exe\u202C Team"
_BIDI_SUBJECT = "Your statement \u202Efdp.exe\u202C is ready \u2067(\u05e9\u05dc\u05d5\u05dd)\u2069"
LONG_SUBJECT_WORDS = (
    "Urgent follow-up regarding the outstanding items from our last call about the "
    "renewal, the invoices, the missing deliveries and the login problems of the team"
)


def _long_subject(rng: random.Random) -> str:
    parts = [LONG_SUBJECT_WORDS]
    while sum(map(len, parts)) < 2100:
        parts.append(f"(part {len(parts)}) and once more, {LONG_SUBJECT_WORDS.lower()}")
    # One long unbroken token, as produced by mailers that never fold.
    parts.append("x" * 300 + f"{rng.getrandbits(32):08x}")
    return " ".join(parts)


def _envelope(sender: Person, name: str | None, account: tuple[str, str], subject: str,
              when: datetime, message_id: str) -> Envelope:
    return Envelope(sender=(name if name is not None else sender.name, sender.email),
                    to=[account], subject=subject, date=when, message_id=message_id)


def hostile_message(
    rng: random.Random, kind: str, *, sender: Person, account: tuple[str, str],
    when: datetime, message_id: str, delivery: Delivery, client: MailClient,
) -> bytes:
    """The raw bytes of one hostile message of `kind` (one of HOSTILE_KINDS)."""
    style = WordStyle("B", "UTF-8")
    greeting = Block("p", "Hello,")
    sig = Block("sig", items=("Regards,", sender.name))
    if kind == "escape_subject":
        env = _envelope(sender, None, account, ESC_SUBJECT, when, message_id)
        # Encoded on purpose: ESC is 7-bit, so plain encoding would leave it bare.
        env.subject_value = FOLD.join(encoded_words(ESC_SUBJECT, method="B"))
        blocks = [greeting, *(Block("p", t) for t in _ESC_BODY), sig]
        return _plain(rng, env, blocks, style, delivery, client)
    if kind == "markup_body":
        env = _envelope(sender, "[@click=app.quit]Support[/]", account,
                        "[bold red]Action required[/] for your account", when, message_id)
        blocks = [greeting, *(Block("p", t) for t in MARKUP_BODY),
                  link_block("[b]Verify[/b] now", "https://evil.example/[@click=app.quit]"), sig]
        return _plain(rng, env, blocks, style, delivery, client, html=True)
    if kind == "bidi_name":
        env = _envelope(sender, BIDI_NAME, account, _BIDI_SUBJECT, when, message_id)
        blocks = [greeting, Block("p", "Please find your statement attached."),
                  link_block("View online", "https://billing.evil.example/statement"), sig]
        exe = attachment_entity(b"MZ\x90\x00" + rng.randbytes(3000),
                                "application/octet-stream", "statement_\u202Efdp.exe")
        return _plain(rng, env, blocks, style, delivery, client, attachments=[exe])
    if kind == "broken_header":
        return _broken_header(rng, sender, account, when, message_id, delivery, style)
    if kind == "truncated_multipart":
        env = _envelope(sender, None, account, "Scanned documents", when, message_id)
        blocks = [greeting, Block("p", "Here are the scanned documents you asked for."), sig]
        scan = attachment_entity(b"%PDF-1.4\n" + rng.randbytes(24000), "application/pdf",
                                 "scan_0042.pdf")
        # Cut the attachment mid-way and drop the closing delimiter, as a dropped
        # connection or a broken relay would.
        lines = scan.body.split(b"\r\n")
        scan.body = b"\r\n".join(lines[: len(lines) // 2]) + b"\r\n"
        headers = header_block(rng, env, style, delivery)
        entity = body_entity(rng, blocks, client=client, html=False, attachments=[scan],
                             close=False)
        return message_bytes(headers, entity)
    if kind == "long_subject":
        env = _envelope(sender, None, account, _long_subject(rng), when, message_id)
        blocks = [greeting, Block("p", "See subject."), sig]
        return _plain(rng, env, blocks, style, delivery, client)
    raise ValueError(f"unknown hostile kind {kind!r}")


def _plain(rng: random.Random, env: Envelope, blocks: list[Block], style: WordStyle,
           delivery: Delivery, client: MailClient, *, html: bool = False,
           attachments: Sequence[Entity] = ()) -> bytes:
    headers = header_block(rng, env, style, delivery)
    entity = body_entity(rng, blocks, client=client, html=html, attachments=attachments)
    return message_bytes(headers, entity)


def _broken_header(rng: random.Random, sender: Person, account: tuple[str, str],
                   when: datetime, message_id: str, delivery: Delivery,
                   style: WordStyle) -> bytes:
    env = _envelope(sender, None, account, "", when, message_id)
    good = header_block(rng, env, style, delivery)
    # Keep the trace headers, From, To and Message-ID; replace Subject and Date.
    lines = [line for line in good.lines if not line.startswith(("Subject:", "Date:"))]
    lines += [
        # An encoded word that never ends.
        "Subject: =?UTF-8?B?UmVjaG51bmcgZsO8ciBPa3RvYmVyIC0gYml0dGUgemFobGVu",
        "Date: Mon, 32 Foo 2026 25:61:00 +9999",
        "X-Mailer: LegacyERP 4.2 (build 1999)",
        "this line has no colon and breaks the header block",
        "X-Priority: 1 (Highest)",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
    ]
    body = (
        "Rechnung für Oktober anbei.\r\n\r\nThis message was produced by a mailer that "
        "writes broken headers.\r\nBoundary markers and encoded words above are "
        "intentionally malformed.\r\n"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body.encode("utf-8")
