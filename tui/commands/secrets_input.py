"""Reading a password the way headless tools do: from stdin, never from argv."""

from __future__ import annotations

import getpass
import sys

from engine.errors import InvalidInputError


def read_password(prompt: str = "Password: ") -> str:
    """One line from stdin; at a terminal, asked for without echo."""
    tty = sys.stdin.isatty()
    value = getpass.getpass(prompt) if tty else sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise InvalidInputError("no password on standard input")
    return value
