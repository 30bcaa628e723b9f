"""IMAP access: a threaded connection driven from asyncio, folder roles, IDLE."""

from engine.imap.connection import ImapConnection, ImapSettings, default_port
from engine.imap.folders import ConnectionReport, list_folders, test_connection
from engine.imap.idle import IdleResult, idle_once
from engine.imap.roles import ROLES, RemoteFolder, assign_roles

__all__ = [
    "ROLES",
    "ConnectionReport",
    "IdleResult",
    "ImapConnection",
    "ImapSettings",
    "RemoteFolder",
    "assign_roles",
    "default_port",
    "idle_once",
    "list_folders",
    "test_connection",
]
