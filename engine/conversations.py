"""Joining messages into threads by their Message-ID, In-Reply-To and References.

Pure logic: the caller looks up which IDs the store already knows, this module decides
each message's thread, and the caller writes the result in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ThreadKeys:
    """The IDs one message brings: its own and those it refers to."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str

    def referenced(self) -> list[str]:
        """Parents, nearest first: In-Reply-To, then References from the end."""
        out: list[str] = []
        if self.in_reply_to:
            out.append(self.in_reply_to)
        out.extend(reversed(self.references))
        return out

    def all_ids(self) -> list[str]:
        ids = self.referenced()
        if self.message_id:
            ids.append(self.message_id)
        return ids


@dataclass
class ThreadPlan:
    """Per message either an existing thread id (>= 1) or a new thread (-1 - index into
    new_subjects); plus every (Message-ID, slot) pair to record."""

    slots: list[int] = field(default_factory=list)
    new_subjects: list[str] = field(default_factory=list)
    refs: list[tuple[str, int]] = field(default_factory=list)

    def resolve(self, new_ids: Sequence[int]) -> tuple[list[int], list[tuple[str, int]]]:
        """Replace new-thread slots with the ids the store gave them."""

        def real(slot: int) -> int:
            return slot if slot > 0 else new_ids[-1 - slot]

        return [real(s) for s in self.slots], [(mid, real(s)) for mid, s in self.refs]


def plan_threads(messages: Sequence[ThreadKeys], known: Mapping[str, int]) -> ThreadPlan:
    """Decide the thread of each message, in order. `known` maps Message-IDs already in
    the store to their threads; messages of the same batch can join each other."""
    plan = ThreadPlan()
    local: dict[str, int] = {}
    for keys in messages:
        slot = 0
        for candidate in ([keys.message_id] if keys.message_id else []) + keys.referenced():
            slot = local.get(candidate) or known.get(candidate, 0)
            if slot:
                break
        if not slot:
            plan.new_subjects.append(keys.subject)
            slot = -len(plan.new_subjects)
        plan.slots.append(slot)
        for mid in keys.all_ids():
            if mid not in local and mid not in known:
                local[mid] = slot
                plan.refs.append((mid, slot))
    return plan
