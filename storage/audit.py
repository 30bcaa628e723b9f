"""SQL for the audit log: who did what, when."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Db


async def record(
    db: Db,
    *,
    agent_id: int | None,
    action: str,
    target_kind: str = "",
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit row inside the caller's transaction; return its id."""
    return await db.insert(
        "INSERT INTO audit_log (agent_id, action, target_kind, target_id, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (agent_id, action, target_kind, target_id, json.dumps(detail or {})),
    )
