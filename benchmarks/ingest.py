"""Ingest benchmark: generated support mail into a fresh store, side by side with the
naive parse a mail client would do (email's policy.default on every message).

Prints one JSON object. Never run as a test.

    python -m benchmarks.ingest --messages 5000
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from engine.corpus import DEFAULT_ACCOUNTS, CorpusProfile, generate_corpus
from engine.ingest import Incoming, ingest
from engine.mime import parse_body, parse_envelope
from engine.service import LocalService
from storage import accounts, agents, folders


def _naive_parse(raws: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                part.get_content()
        _ = (msg["subject"], msg["from"], msg["to"], msg["date"], msg["message-id"])
    return time.perf_counter() - start


def _fast_parse(raws: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in raws:
        parse_envelope(raw)
    return time.perf_counter() - start


def _size_of(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("bench.db*"))


async def _ingest(raws: list[bytes], batch: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        service = await LocalService.open(Path(tmp) / "bench.db")
        store = service.store
        async with store.transaction() as db:
            me = await agents.insert(db, name="bench", os_user=None, role="admin")
            acct = await accounts.insert(db, name="support", email=DEFAULT_ACCOUNTS[-1].email,
                                         kind="personal", owner_agent_id=me.id)
            folder = await folders.insert(db, account_id=acct.id, name="INBOX", role="inbox")
        start = time.perf_counter()
        for i in range(0, len(raws), batch):
            items = [Incoming(r, uid=i + n + 1, uidvalidity=1)
                     for n, r in enumerate(raws[i:i + batch])]
            await ingest(store, account_id=acct.id, folder_id=folder, items=items)
        seconds = time.perf_counter() - start
        page = []
        for _ in range(20):
            t = time.perf_counter()
            rows = await service.list_messages(me, folder, offset=0, limit=300)
            page.append(time.perf_counter() - t)
        opened = []
        for row in rows[:50]:
            t = time.perf_counter()
            await service.open_message(me, row.id)
            opened.append(time.perf_counter() - t)
        db_bytes = await asyncio.to_thread(_size_of, Path(tmp))
        await service.close()
    return {
        "seconds": round(seconds, 3),
        "msg_per_s": round(len(raws) / seconds),
        "store_mb": round(db_bytes / 1e6, 1),
        "list_page_300_ms_median": round(statistics.median(page) * 1000, 2),
        "open_message_ms_median": round(statistics.median(opened) * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)

    t = time.perf_counter()
    raws = [m.raw for m in generate_corpus(args.messages, seed=args.seed,
                                           profile=CorpusProfile())]
    generated = time.perf_counter() - t
    sample = raws[: min(len(raws), 2000)]
    naive = _naive_parse(sample)
    fast = _fast_parse(sample)
    t = time.perf_counter()
    for raw in sample[:200]:
        parse_body(raw)
    full = time.perf_counter() - t
    result = {
        "benchmark": "ingest",
        "python": sys.version.split()[0],
        "corpus": {
            "messages": len(raws),
            "mb": round(sum(map(len, raws)) / 1e6, 1),
            "median_kb": round(statistics.median(map(len, raws)) / 1024, 1),
            "generate_s": round(generated, 2),
        },
        "parse": {
            "sample": len(sample),
            "frontdesk_envelope_msg_per_s": round(len(sample) / fast),
            "peer_policy_default_msg_per_s": round(len(sample) / naive),
            "speedup_vs_peer": round(naive / fast, 1),
            "frontdesk_full_body_msg_per_s": round(min(200, len(sample)) / full),
        },
        "ingest": asyncio.run(_ingest(raws, args.batch)),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
