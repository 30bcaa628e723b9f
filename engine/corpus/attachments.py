"""Attachment payloads: plausible file headers (PDF, PNG, JPEG, ZIP) followed by cheap
pseudo-random bytes, and real-looking CSV exports and log files."""

from __future__ import annotations

import random
import struct
from datetime import datetime, timedelta

from engine.corpus.encoding import Base64Pool, Entity, attachment_entity, random_base64

_PDF_HEAD = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\n"
    b"endobj\n4 0 obj\n<< /Length 0 /Filter /FlateDecode >>\nstream\n"
)
_PDF_TAIL = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
_JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00"
_ZIP_HEAD = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"

_LOG_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
_LOG_MESSAGES = (
    "request completed status=200 duration_ms=84",
    "request completed status=500 duration_ms=3012",
    "upstream timeout after 3000ms host=api-eu-3",
    "retrying request attempt=2 backoff_ms=400",
    "rate limit exceeded key=pk_live_***9f2 limit=600/min",
    "webhook delivery failed endpoint=https://hooks.customer.example/acme status=timeout",
    "token refreshed expires_in=3600",
    "sync batch imported rows=250 skipped=3",
    "csv row rejected line=1042 reason=\"Unexpected column 'SKU'\"",
)
_CSV_ROWS = (
    "Müller GmbH;Königstraße 27;Stuttgart;DE;1.240,00",
    "Łódź Logistics;ul. Piotrkowska 12;Łódź;PL;980,50",
    "Café Três;Rua Augusta 1508;São Paulo;BR;312,90",
    "Northwind;88 Pine Street;Portland;US;4,310.00",
    "Søndergaard ApS;Nørrebrogade 45;København;DK;2.050,00",
    "Åkesson AB;Götgatan 14;Stockholm;SE;799,00",
    "Peñalver S.L.;Calle de Alcalá 150;Madrid;ES;1.015,75",
)


def _binary(rng: random.Random, pool: Base64Pool, kind: str, size: int) -> bytes:
    """The base64 body of a binary file of about `size` bytes."""
    if kind == "png":
        width, height = rng.choice(((1440, 900), (1920, 1080), (2560, 1600), (828, 1792)))
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
        head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + ihdr + rng.randbytes(4)
        return random_base64(rng, pool, head, size, b"\x00\x00\x00\x00IEND\xaeB`\x82")
    if kind == "pdf":
        return random_base64(rng, pool, _PDF_HEAD, size, _PDF_TAIL)
    return random_base64(rng, pool, _JPEG_HEAD if kind == "jpg" else _ZIP_HEAD, size)


def _log(rng: random.Random, size: int, start: datetime) -> bytes:
    lines: list[str] = []
    when = start
    total = 0
    messages = rng.choices(_LOG_MESSAGES, k=size // 60 + 1)
    levels = rng.choices(_LOG_LEVELS, k=len(messages))
    for level, message in zip(levels, messages, strict=True):
        when += timedelta(milliseconds=137 * len(lines) % 9000 + 11)
        line = f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z {level:5} {message}"
        lines.append(line)
        total += len(line) + 1
        if total >= size:
            break
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv(rng: random.Random, size: int) -> bytes:
    rows = rng.choices(_CSV_ROWS, k=size // 45 + 1)
    lines = ["\ufeffCustomer;Street;City;Country;Amount"]
    lines.extend(f"{n:05d};{row}" for n, row in enumerate(rows, 1))
    return "\r\n".join(lines).encode("utf-8")[:size] + b"\r\n"


_MIME = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "zip": "application/zip",
    "csv": "text/csv; charset=utf-8", "log": "text/plain; charset=utf-8",
}


def filename(rng: random.Random, kind: str, when: datetime, ref: str, lang: str) -> str:
    """A file name such a file would have, sometimes non-ASCII (then RFC 2231-encoded)."""
    if kind == "pdf":
        if lang == "DE":
            return f"Rechnung_{ref}_Übersicht.pdf"
        return rng.choice((f"{ref}.pdf", f"Invoice_{ref}.pdf", "scan0001.pdf",
                           f"Contract {when:%Y-%m-%d}.pdf"))
    if kind == "png":
        if lang == "DE":
            return f"Bildschirmfoto {when:%Y-%m-%d} um {when:%H.%M.%S}.png"
        return rng.choice((f"Screenshot {when:%Y-%m-%d} at {when:%H.%M.%S}.png",
                           "image001.png", f"screenshot_{rng.randint(1, 99)}.png"))
    if kind == "jpg":
        return f"IMG_{rng.randint(1000, 9999)}.jpg"
    if kind == "csv":
        return rng.choice((f"export_{when:%Y%m%d}.csv", "customers.csv", "products_ö.csv"))
    if kind == "log":
        return f"api-errors-{when:%Y-%m-%d}.log"
    return f"logs-{when:%Y%m%d}.zip"


def make_attachment(rng: random.Random, pool: Base64Pool, kind: str, size: int,
                    when: datetime, ref: str, lang: str) -> Entity:
    """An attachment entity of roughly `size` bytes before base64."""
    name = filename(rng, kind, when, ref, lang)
    if kind == "csv":
        return attachment_entity(_csv(rng, size), _MIME[kind], name)
    if kind == "log":
        return attachment_entity(_log(rng, size, when - timedelta(hours=2)), _MIME[kind], name)
    return attachment_entity(b"", _MIME[kind], name, encoded=_binary(rng, pool, kind, size))
