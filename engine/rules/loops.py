"""When mail must not be answered automatically (RFC 3834, and what Dovecot's vacation
and the helpdesks check), and to whom an answer goes.

`refusal` returns the reason an auto-response is suppressed, as one line, or None.
The per-sender limits need the store and live in engine.rules.respond.
"""

from __future__ import annotations

from collections.abc import Collection

from engine.rules.facts import Facts

_BULK_PRECEDENCE = ("bulk", "list", "junk")
_SUPPRESS_VALUES = ("all", "oof", "autoreply")
_SYSTEM_LOCALS = ("mailer-daemon", "postmaster", "listserv", "majordomo", "noreply",
                  "no-reply", "do-not-reply", "donotreply")


def answer_to(facts: Facts) -> str:
    """Where an auto-response goes: the Return-Path (RFC 3834 section 4), else From.
    "" when the Return-Path is the null path."""
    if facts.return_path is not None:
        return facts.return_path
    return facts.sender


def _system_sender(address: str) -> str | None:
    local = address.rpartition("@")[0].lower()
    if not local:
        return None
    if local in _SYSTEM_LOCALS:
        return f"{address} is a system address"
    if local.endswith("-request"):
        return f"{address} is a list's -request address"
    if local.startswith("owner-") or local.endswith("-owner"):
        return f"{address} is a list owner's address"
    return None


def refusal(facts: Facts, *, mailbox: Collection[str], ours: Collection[str]) -> str | None:
    """Why this message gets no auto-response, or None. `mailbox` holds the addresses of
    the mailbox it arrived in; `ours` every address of the store's mailboxes and agents
    (lower-cased)."""
    auto = facts.header("auto-submitted")
    if auto and any(v.partition(";")[0].strip().lower() != "no" for v in auto):
        return f"it is automatic mail (Auto-Submitted: {auto[0][:60]})"
    if facts.has_header("x-autoreply") or facts.has_header("x-autorespond"):
        return "it is an automatic reply (X-Autoreply)"
    precedence = " ".join(facts.header("precedence")).strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"it is bulk mail (Precedence: {precedence})"
    lists = sorted(n for n in facts.headers if n.startswith("list-"))
    if lists:
        return f"it is list mail ({lists[0].title()})"
    if facts.has_header("x-loop"):
        return "it carries X-Loop: it went round once already"
    suppress = {v.strip().lower() for value in facts.header("x-auto-response-suppress")
                for v in value.split(",")}
    if suppress & set(_SUPPRESS_VALUES):
        return "its sender asked for no automatic replies (X-Auto-Response-Suppress)"
    if facts.return_path == "":
        return "it has an empty Return-Path (a bounce or a notification)"
    target = answer_to(facts)
    if not target or "@" not in target:
        return "it has no address to answer"
    for address in {target, facts.sender} - {""}:
        system = _system_sender(address)
        if system is not None:
            return system
        if address in ours:
            return f"{address} is one of our own addresses"
    addressed = set(facts.to) | set(facts.cc) | set(facts.delivered_to)
    if not addressed & {m.lower() for m in mailbox}:
        return "it is not addressed to this mailbox (Bcc, a list or a forward)"
    return None
