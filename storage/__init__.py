"""The SQLite store: connections, migrations and all of frontdesk's SQL."""

from storage.db import Db, Store
from storage.errors import (
    MigrationError,
    NotADatabaseError,
    SchemaTooNewError,
    StoreError,
    StoreUnavailableError,
)

__all__ = [
    "Db",
    "MigrationError",
    "NotADatabaseError",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
]
