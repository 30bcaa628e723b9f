"""Public SSH keys, and the authorized_keys line that ties one to an agent.

A team sharing one SSH login (a gateway) tells agents apart by key: each key's line in
the login's authorized_keys forces `frontdesk --db DB --agent NAME`. The line is built
here from a key file the admin was handed, which is untrusted text: it must be exactly
one public key of a known type whose data names that same type, and nothing from it may
reach the options part of the line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shlex
from dataclasses import dataclass

from engine.errors import InvalidInputError

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
# An RSA key of 16384 bits is under 3 KB as text; anything far larger is not one key.
MAX_KEY_TEXT = 16_384
MAX_COMMENT = 200
_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


@dataclass(frozen=True)
class PublicKey:
    """One public key as found in a .pub file; the comment is cleaned to printable text."""

    type: str
    data: str  # the base64 key blob, as given
    comment: str

    @property
    def fingerprint(self) -> str:
        """The SHA256 fingerprint, written as ssh-keygen -l writes it."""
        digest = hashlib.sha256(base64.b64decode(self.data)).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def parse_public_key(text: str) -> PublicKey:
    """Read the one public key in `text` (a .pub file); InvalidInputError otherwise."""
    if len(text) > MAX_KEY_TEXT:
        raise InvalidInputError("the key file is far too large for one public key; "
                                "give the .pub file")
    if _PRIVATE.search(text):
        raise InvalidInputError("that is a private key; give the public one (the .pub file)")
    if "BEGIN SSH2 PUBLIC KEY" in text:
        raise InvalidInputError("that key is in RFC 4716 form; convert it first: "
                                "ssh-keygen -i -f FILE > FILE.pub")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise InvalidInputError(
            f"the key file must hold exactly one public key line, not {len(lines)}")
    key_type, data, comment = [*lines[0].split(None, 2), "", ""][:3]
    if key_type not in KEY_TYPES:
        raise InvalidInputError(
            f"key type {key_type[:40]!r} is not accepted: the line must start with "
            "ssh-ed25519, ssh-rsa, ecdsa-sha2-* or sk-* (and carry no options)")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("the key data is not base64; the key file is damaged") from None
    embedded = _embedded_type(blob)
    if embedded != key_type:
        raise InvalidInputError(
            f"the key data is not a {key_type} key; the key file is damaged")
    return PublicKey(key_type, data, _clean_comment(comment))


def forced_command(program: str, db_path: str | os.PathLike[str], agent: str) -> str:
    """The shell command a key is forced to run: frontdesk on this store as `agent`."""
    if not os.path.isabs(program):
        raise InvalidInputError(f"the frontdesk program must be given by its absolute path, "
                                f"not {program[:80]!r}")
    db_path = os.path.abspath(db_path)
    for what, value in (("the frontdesk program's path", program),
                        ("the database path", db_path), ("the agent name", agent)):
        if not value.isprintable():
            raise InvalidInputError(
                f"{what} holds a control character and cannot go in authorized_keys")
    return shlex.join([program, "--db", db_path, "--agent", agent])


def authorized_keys_line(command: str, key: PublicKey) -> str:
    """`restrict,pty,command="..." TYPE DATA COMMENT`: no forwarding of any kind, a
    terminal for the console, and only `command` may run.

    sshd reads the quoted option up to the first unescaped double quote and turns `\\"`
    back into `"`, leaving every other backslash alone; escaping each quote is therefore
    exact. `command` is shell-quoted, so it never ends in a backslash.
    """
    option = 'restrict,pty,command="' + command.replace('"', '\\"') + '"'
    return " ".join(part for part in (option, key.type, key.data, key.comment) if part)


def _embedded_type(blob: bytes) -> str | None:
    """The key type named at the start of a key blob (a length-prefixed string)."""
    if len(blob) < 4:
        return None
    size = int.from_bytes(blob[:4], "big")
    if size > 64 or len(blob) <= 4 + size:
        return None
    try:
        return blob[4:4 + size].decode("ascii")
    except UnicodeDecodeError:
        return None


def _clean_comment(comment: str) -> str:
    """Printable characters only, single spaces, bounded length: the comment is shown
    and copied about, and a terminal must never receive a control sequence from it."""
    kept = "".join(c for c in comment if c.isprintable())
    return " ".join(kept.split())[:MAX_COMMENT]
