"""mbsync (Debian `isync`) as the peer: a private config and a Maildir per target.

The config mirrors the fastest fair setting against a local server: plain IMAP on
loopback (frontdesk connects the same way), COMPRESS disabled, one-way `Sync Pull`
(a download, like frontdesk's sync), and isync's default FSync (durable, as a mail
client would run it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MBSYNC = shutil.which("mbsync") or "/usr/bin/mbsync"
# The capability name isync matches DisableExtension against (drv_imap.c cap_list).
COMPRESS_CAP = "COMPRESS=DEFLATE"


@dataclass(frozen=True)
class MbsyncTarget:
    root: Path
    config: Path
    maildir: Path

    def argv(self) -> list[str]:
        # -a: every channel in the config (there is one); -q: no per-folder chatter.
        return [MBSYNC, "-c", str(self.config), "-a", "-q"]


def version() -> str:
    out = subprocess.run([MBSYNC, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or out.stderr.strip()


def _version_tuple(text: str) -> tuple[int, ...]:
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(p) for p in found.groups(default="0")) if found else (0,)


def settings(fsync: bool) -> dict[str, Any]:
    """The config choices, for the JSON report."""
    ver = _version_tuple(version())
    return {
        # isync 1.5 renamed SSLType to TLSType (the old keyword still parses there).
        "tls": "TLSType None" if ver >= (1, 5) else "SSLType None",
        # isync has COMPRESS since 1.2 and no on/off switch before 1.5, so it is turned
        # off by disabling the extension.
        "compress": f"DisableExtension {COMPRESS_CAP}",
        # With no TLS, isync's AuthMechs '*' refuses to send a password; LOGIN is built
        # in (no SASL module needed) and is what imapclient's login() sends too.
        "auth": "AuthMechs LOGIN",
        "sync": "Pull (far -> near: new messages and flag changes; nothing pushed)",
        "create": "Near",
        "fsync": fsync,
        "store": "Maildir, SubFolders Verbatim, SyncState *",
    }


def write_config(
    root: Path, *, host: str, port: int, user: str, password: str, fsync: bool
) -> MbsyncTarget:
    """A fresh target under *root*: config (0600, it holds the password) and an empty Maildir."""
    root.mkdir(parents=True, exist_ok=True)
    maildir = root / "Maildir"
    maildir.mkdir()
    tls = settings(fsync)["tls"]
    # The password comes from the bench's own random token (URL-safe: no quoting issues).
    text = f"""\
FSync {"yes" if fsync else "no"}

IMAPAccount bench
Host {host}
Port {port}
User {user}
Pass "{password}"
{tls}
AuthMechs LOGIN
DisableExtension {COMPRESS_CAP}
Timeout 120

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns *
Create Near
Sync Pull
SyncState *
"""
    config = root / "mbsyncrc"
    config.touch(mode=0o600)
    config.write_text(text)
    return MbsyncTarget(root=root, config=config, maildir=maildir)


@dataclass(frozen=True)
class MaildirCount:
    messages: int
    per_folder: dict[str, int]
    inbox_flagged: int
    inbox_seen: int


def count(maildir: Path) -> MaildirCount:
    """Messages in every cur/ and new/ below *maildir*, and INBOX's F/S info flags."""
    per_folder: dict[str, int] = {}
    flagged = seen = 0
    for sub in sorted(maildir.rglob("*")):
        if sub.name not in ("cur", "new") or not sub.is_dir():
            continue
        folder = str(sub.parent.relative_to(maildir))
        files = [p.name for p in sub.iterdir() if p.is_file()]
        per_folder[folder] = per_folder.get(folder, 0) + len(files)
        if folder == "INBOX":
            for name in files:
                info = name.rpartition(":2,")[2] if ":2," in name else ""
                flagged += "F" in info
                seen += "S" in info
    return MaildirCount(sum(per_folder.values()), per_folder, flagged, seen)
