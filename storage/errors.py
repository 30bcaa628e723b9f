"""Errors raised by the store. Each carries one line fit to show the person at the edge."""

from __future__ import annotations


class StoreError(Exception):
    """A store could not be opened or used."""


class StoreUnavailableError(StoreError):
    """The database file or its directory cannot be created, read or written."""


class NotADatabaseError(StoreError):
    """The file exists but is not a usable SQLite database."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer frontdesk than this one."""

    def __init__(self, path: str, found: int, known: int) -> None:
        super().__init__(
            f"{path} has schema version {found}, newer than this frontdesk understands "
            f"({known}); upgrade frontdesk or open another database with --db"
        )
        self.found = found
        self.known = known


class MigrationError(StoreError):
    """A migration failed; it was rolled back and the store left as it was."""
