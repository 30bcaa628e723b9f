"""SQL for changing an account's settings after it was added."""

from __future__ import annotations

from collections.abc import Mapping

from storage.db import Db

# The columns a change may write, and nothing else: the names are put into SQL text.
CHANGEABLE = frozenset({
    "display_name", "email", "imap_host", "imap_port", "imap_security", "imap_username",
    "verify_cert", "ca_file", "password_command", "check_every_minutes", "import_mode",
    "import_since", "mark_read_on_import", "write_read_status", "enabled",
})


async def update(db: Db, account_id: int, values: Mapping[str, object]) -> None:
    """Write `values` (column -> value) into the account's row."""
    unknown = set(values) - CHANGEABLE
    if unknown:
        raise ValueError(f"not an account setting: {sorted(unknown)}")
    if not values:
        return
    columns = sorted(values)
    assignments = ", ".join(f"{column} = ?" for column in columns)
    await db.execute(f"UPDATE accounts SET {assignments} WHERE id = ?",
                     (*(values[c] for c in columns), account_id))
