"""Shared pytest fixtures. Keep this file to fixtures; helpers live in tests/servers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.dovecot import DOVECOT_BIN, POP3_BIN, DovecotServer, start_dovecot


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_binary(path: Path, package: str) -> None:
    """Skip locally when a server is not installed; under CI a missing server is a failure."""
    if path.exists():
        return
    message = f"{path} not found (apt-get install {package})"
    if _ci():
        pytest.fail(f"{message}; required because CI is set", pytrace=False)
    pytest.skip(message)


# -- servers (session-scoped: one instance for the whole run) ----------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """Private Dovecot with alice, bob and support@example.com; support's INBOX is
    shared with alice. Tests share it: use own folders or dovecot.reset_user()."""
    require_binary(DOVECOT_BIN, "dovecot-imapd")
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot_factory() -> Iterator[Callable[..., DovecotServer]]:
    """Start extra, private Dovecots (start_dovecot kwargs); all are stopped after the test."""
    require_binary(DOVECOT_BIN, "dovecot-imapd")
    started: list[DovecotServer] = []

    def start(**kwargs: Any) -> DovecotServer:
        server = start_dovecot(**kwargs)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def dovecot_pop3() -> Iterator[DovecotServer]:
    """A private Dovecot for one test serving its mailboxes over POP3 as well as IMAP
    (pop3_port with STLS, pop3_ssl_port); users as the `dovecot` fixture's."""
    require_binary(DOVECOT_BIN, "dovecot-imapd")
    require_binary(POP3_BIN, "dovecot-pop3d")
    server = start_dovecot(pop3=True)
    try:
        yield server
    finally:
        server.stop()
