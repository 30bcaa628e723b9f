"""The IMAP defaults an admin sets for the whole store: host, port, security, CA file
and check interval for personal accounts that leave them empty.

The defaults are applied when an account's settings are read (storage.imap_defaults),
so changing them changes every account that left those fields empty. The check interval
is the exception: an account's row must hold one, so an account added without one takes
the default's value at that moment.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.access import require_admin
from engine.accounts import SECURITY
from engine.errors import InvalidInputError
from storage import Store, audit
from storage import imap_defaults as defaults_sql
from storage.imap_defaults import ImapDefaults

if TYPE_CHECKING:
    from engine.models import ImapDefaultsChange


async def current(store: Store, agent_id: int) -> ImapDefaults:
    """The defaults as set (every agent may read them: they say what `account add` may
    leave out)."""
    return await defaults_sql.get(store.reader)


async def change(store: Store, agent_id: int, wanted: ImapDefaultsChange) -> ImapDefaults:
    """Set (or with `clear`, first empty) the defaults; admins only."""
    await require_admin(store, agent_id, "set the IMAP defaults")
    await asyncio.to_thread(_validate, wanted)  # it stats --ca-file
    async with store.transaction() as db:
        before = ImapDefaults() if wanted.clear else await defaults_sql.get(db)
        after = _apply(before, wanted)
        if after.empty:
            await defaults_sql.clear(db)
        else:
            await defaults_sql.put(db, after, updated_by=agent_id)
        await audit.record(db, agent_id=agent_id, action="imap.defaults",
                           target_kind="imap_defaults",
                           detail={"host": after.host, "port": after.port,
                                   "security": after.security, "ca_file": after.ca_file,
                                   "check_every_minutes": after.check_every_minutes,
                                   "cleared": wanted.clear})
    return await defaults_sql.get(store.reader)


def _apply(before: ImapDefaults, wanted: ImapDefaultsChange) -> ImapDefaults:
    after = before
    if wanted.host is not None:
        after = replace(after, host=wanted.host.strip() or None)
    if wanted.port is not None:
        after = replace(after, port=wanted.port)
    if wanted.security is not None:
        after = replace(after, security=wanted.security)
    if wanted.ca_file is not None:
        after = replace(after, ca_file=wanted.ca_file.strip() or None)
    if wanted.check_every_minutes is not None:
        after = replace(after, check_every_minutes=wanted.check_every_minutes)
    return after


def _validate(wanted: ImapDefaultsChange) -> None:
    host = (wanted.host or "").strip()
    if host and (any(c.isspace() for c in host) or "/" in host):
        raise InvalidInputError(f"--host {wanted.host!r} is not a host name")
    if wanted.port is not None and not 0 < wanted.port < 65536:
        raise InvalidInputError(f"--port {wanted.port}: must be 1 to 65535")
    if wanted.security is not None and wanted.security not in SECURITY:
        raise InvalidInputError(f"--security {wanted.security!r}: choose ssl, starttls or none")
    if wanted.ca_file and not Path(wanted.ca_file).is_file():
        raise InvalidInputError(f"--ca-file {wanted.ca_file}: no such file")
    if wanted.check_every_minutes is not None and wanted.check_every_minutes < 1:
        raise InvalidInputError("--check-every must be at least 1 minute")
