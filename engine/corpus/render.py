"""Turning an envelope plus body blocks into the raw bytes of one message: header order,
trace headers, the choice of charset and transfer encoding, alternatives and attachments."""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from engine.corpus.bodies import Block, render_html, render_text
from engine.corpus.encoding import (
    FOLD,
    Entity,
    Headers,
    WordStyle,
    address,
    address_list,
    fits,
    make_boundary,
    message_bytes,
    multipart,
    text_entity,
    unstructured,
)
from engine.corpus.people import MailClient

Mailbox = tuple[str | None, str]


@dataclass(slots=True)
class Envelope:
    """The header-level facts of one message; `date` is in the sender's time zone."""

    sender: Mailbox
    to: Sequence[Mailbox]
    subject: str
    date: datetime
    message_id: str
    cc: Sequence[Mailbox] = ()
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    extra: list[tuple[str, str]] = field(default_factory=list)  # ASCII, already folded
    subject_value: str | None = None  # a pre-encoded Subject, bypassing encoding
    reply_to: Mailbox | None = None


@dataclass(slots=True)
class Delivery:
    """Trace headers of mail that came in over SMTP (absent on mail we sent)."""

    recipient: str
    received_at: datetime  # UTC
    mx: str
    dkim: bool = True


def received_headers(rng: random.Random, sender_domain: str, delivery: Delivery,
                     sent_at: datetime) -> list[str]:
    host = f"mail-{rng.choice(('eu', 'us', 'ap'))}{rng.randint(1, 9)}.{sender_domain}"
    ip = f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(2, 254)}"
    smtp_id = f"{rng.getrandbits(48):012X}"
    hop_at = sent_at + timedelta(seconds=rng.randint(1, 4))
    store = delivery.mx.replace("mx1.", "imap.", 1)
    lmtp_at = delivery.received_at
    return [
        f"Return-Path: <bounces+{rng.getrandbits(32):08x}@{sender_domain}>",
        f"Delivered-To: {delivery.recipient}",
        f"Received: from {delivery.mx}{FOLD}by {store} with LMTP{FOLD}"
        f"id {_b64(rng, 12)}{FOLD}(envelope-from <bounces@{sender_domain}>)"
        f"{FOLD}for <{delivery.recipient}>; {format_datetime(lmtp_at)}",
        f"X-Spam-Status: No, score=-{rng.randint(1, 30) / 10:.1f} required=5.0{FOLD}"
        "tests=BAYES_00,DKIM_SIGNED,DKIM_VALID,DKIM_VALID_AU,DMARC_PASS,"
        f"{FOLD}RCVD_IN_DNSWL_NONE,SPF_HELO_NONE,SPF_PASS{FOLD}autolearn=ham "
        "autolearn_force=no version=4.0.1",
        f"Received: from {host} ({host} [{ip}]){FOLD}by {delivery.mx} (Postfix) with ESMTPS "
        f"id {smtp_id}{FOLD}for <{delivery.recipient}>; {format_datetime(delivery.received_at)}",
        f"Received: from [10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}]"
        f" by {host} with ESMTPSA id {rng.getrandbits(40):010x};{FOLD}"
        f"{format_datetime(hop_at)}",
        f"Authentication-Results: {delivery.mx};{FOLD}dkim="
        f"{'pass' if delivery.dkim else 'none'} header.d={sender_domain};{FOLD}"
        f"spf=pass smtp.mailfrom={sender_domain}",
    ]


def _b64(rng: random.Random, n: int) -> str:
    return base64.b64encode(rng.randbytes(n)).decode("ascii")


def _folded(text: str, width: int = 72) -> str:
    return FOLD.join(text[i:i + width] for i in range(0, len(text), width))


def mailer_trace(rng: random.Random, client: MailClient, domain: str, sent_at: datetime,
                 subject_hint: str, *, sent_copy: bool = False) -> list[str]:
    """Headers the sender's own mail system adds: Exchange Online and Gmail are verbose,
    and much of a real message's size is in them."""
    if client.key.startswith("outlook"):
        topic = subject_hint if subject_hint.isascii() else "message"
        utc = sent_at.astimezone(UTC)
        if sent_copy:
            # What Outlook keeps on its own copy in Sent: no transport or filter stamps.
            return [f"Thread-Topic: {topic[:60]}", f"Thread-Index: {_b64(rng, 22)}",
                    "Accept-Language: en-US", "Content-Language: en-US",
                    "X-MS-Has-Attach:", "X-MS-TNEF-Correlator:"]
        return [
            f"ARC-Seal: i=1; a=rsa-sha256; s=arcselector10001; d=microsoft.com; cv=none;{FOLD}"
            f"b={_folded(_b64(rng, 256))}",
            "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com;"
            f"{FOLD}s=arcselector10001;{FOLD}h=From:Date:Subject:Message-ID:Content-Type:"
            f"MIME-Version;{FOLD}bh={_b64(rng, 32)};{FOLD}b={_folded(_b64(rng, 256))}",
            f"ARC-Authentication-Results: i=1; mx.microsoft.com 1; spf=pass{FOLD}"
            f"smtp.mailfrom={domain}; dmarc=pass action=none{FOLD}header.from={domain}; "
            f"dkim=pass header.d={domain}; arc=none",
            f"Thread-Topic: {topic[:60]}",
            f"Thread-Index: {_b64(rng, 22)}",
            "Accept-Language: en-US, de-DE",
            "Content-Language: en-US",
            "X-MS-Has-Attach:",
            "X-MS-TNEF-Correlator:",
            f"X-MS-Exchange-Organization-Network-Message-Id:{FOLD}"
            f"{rng.getrandbits(128):032x}",
            f"X-MS-Office365-Filtering-Correlation-Id: {rng.getrandbits(128):032x}",
            "X-Microsoft-Antispam: BCL:0;ARA:13230040|1800799024|366016|376014|"
            f"{rng.getrandbits(30)};",
            f"X-Microsoft-Antispam-Message-Info:{FOLD}{_folded(_b64(rng, 600))}",
            "X-Forefront-Antispam-Report: CIP:255.255.255.255;CTRY:;LANG:en;SCL:1;SRV:;"
            f"{FOLD}IPV:NLI;SFV:NSPM;H:{rng.getrandbits(40):010X}.prod.outlook.com;PTR:;"
            f"CAT:NONE;{FOLD}SFS:(13230040)(1800799024)(366016)(376014);DIR:OUT;SFP:1101;",
            f"X-MS-Exchange-CrossTenant-OriginalArrivalTime: {utc:%d %b %Y %H:%M:%S}."
            f"{utc.microsecond // 1000:03d} (UTC)",
            f"X-MS-Exchange-CrossTenant-Id: {rng.getrandbits(128):032x}",
            "X-MS-Exchange-Transport-CrossTenantHeadersStamped: "
            f"{rng.getrandbits(40):010X}",
        ]
    if client.key.startswith("gmail") and not sent_copy:
        return [
            "X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"
            f"{FOLD}d=1e100.net; s=20230601; t={int(sent_at.timestamp())};{FOLD}"
            f"h=to:subject:message-id:date:from:mime-version;{FOLD}bh={_b64(rng, 32)};"
            f"{FOLD}b={_folded(_b64(rng, 256))}",
            f"X-Gm-Message-State: {_folded(_b64(rng, 90))}",
            f"X-Google-Smtp-Source: {_folded(_b64(rng, 66))}",
            f"X-Received: by 2002:a05:6a00:{rng.getrandbits(16):x} with SMTP id "
            f"{rng.getrandbits(48):x}mr{rng.getrandbits(24)};{FOLD}"
            f"{format_datetime(sent_at)}",
        ]
    return []


def dkim_signature(rng: random.Random, domain: str, signed_at: datetime) -> str:
    body_hash = base64.b64encode(rng.randbytes(32)).decode("ascii")
    sig = base64.b64encode(rng.randbytes(256)).decode("ascii")
    sig_lines = FOLD.join(sig[i:i + 70] for i in range(0, len(sig), 70))
    return (
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};{FOLD}"
        f"s=selector{rng.randint(1, 2)}; t={int(signed_at.timestamp())};{FOLD}"
        f"h=from:to:cc:subject:date:message-id:in-reply-to:references;{FOLD}"
        f"bh={body_hash};{FOLD}b={sig_lines}"
    )


def header_block(rng: random.Random, env: Envelope, style: WordStyle,
                 delivery: Delivery | None, client: MailClient | None = None) -> Headers:
    """Trace headers (if delivered), then the originator's headers in a mailer's order."""
    headers = Headers()
    sender_domain = env.sender[1].rsplit("@", 1)[-1]
    if delivery is not None:
        headers.extend(received_headers(rng, sender_domain, delivery, env.date))
        if delivery.dkim:
            headers.lines.append(dkim_signature(rng, sender_domain, env.date))
        if client is not None:
            headers.extend(mailer_trace(rng, client, sender_domain, env.date, env.subject))
    elif client is not None:
        headers.extend(mailer_trace(rng, client, sender_domain, env.date, env.subject,
                                    sent_copy=True))
    headers.add("From", address(env.sender[0], env.sender[1], style))
    headers.add("To", address_list(env.to, style))
    if env.cc:
        headers.add("Cc", address_list(env.cc, style))
    if env.reply_to is not None:
        headers.add("Reply-To", address(env.reply_to[0], env.reply_to[1], style))
    subject = env.subject_value
    if subject is None:
        subject = unstructured("Subject", env.subject, style)
    headers.add("Subject", subject)
    headers.add("Date", format_datetime(env.date))
    headers.add("Message-ID", env.message_id)
    if env.in_reply_to:
        headers.add("In-Reply-To", env.in_reply_to)
    if env.references:
        headers.add("References", FOLD.join(env.references))
    for name, value in env.extra:
        headers.add(name, value)
    return headers


def choose_text_encoding(rng: random.Random, text: str, client: MailClient) -> tuple[str, str]:
    """(charset, transfer encoding) for a text body, the way `client` would pick them."""
    if text.isascii():
        return ("us-ascii" if rng.random() < 0.3 else "utf-8"), "7bit"
    legacy = client.legacy_charset
    if legacy and rng.random() < 0.75 and fits(text, legacy):
        return legacy, client.text_cte
    cte = client.text_cte
    if rng.random() < 0.15:
        cte = rng.choice(("quoted-printable", "base64", "8bit"))
    return "utf-8", cte


def body_entity(rng: random.Random, blocks: list[Block], *, client: MailClient, html: bool,
                attachments: Sequence[Entity] = (), close: bool = True,
                text: str | None = None) -> Entity:
    """The message's root entity: text, text+HTML alternative, with attachments if any.

    `text` is render_text(blocks) when the caller already has it.
    """
    if text is None:
        text = render_text(blocks)
    charset, cte = choose_text_encoding(rng, text, client)
    entity = text_entity(text, charset=charset, cte=cte)
    if html:
        markup = render_html(blocks, style=client.quote_style, charset=charset)
        html_cte = "base64" if cte == "base64" else "quoted-printable"
        alternative = text_entity(markup, subtype="html", charset=charset, cte=html_cte)
        boundary = make_boundary(rng, client.boundary_style)
        entity = multipart("alternative", boundary, [entity, alternative])
    if attachments:
        boundary = make_boundary(rng, client.boundary_style)
        entity = multipart("mixed", boundary, [entity, *attachments], close=close,
                           preamble=client.boundary_style in ("thunderbird", "outlook"))
    return entity


def render_message(rng: random.Random, env: Envelope, blocks: list[Block], *,
                   client: MailClient, style: WordStyle, html: bool,
                   delivery: Delivery | None, attachments: Sequence[Entity] = (),
                   text: str | None = None) -> bytes:
    """The complete RFC 5322 message with CRLF line ends."""
    if client.header is not None:
        env.extra.insert(0, client.header)
    headers = header_block(rng, env, style, delivery, client)
    entity = body_entity(rng, blocks, client=client, html=html, attachments=attachments,
                         text=text)
    return message_bytes(headers, entity)
