"""Writing a draft in the agent's own editor ($VISUAL, else $EDITOR, else vi).

The draft goes to a private file as a small header block and the body:

    To: ...
    Cc: ...
    Bcc: ...
    Subject: ...

    body

and is read back the same way when the editor exits. The format and parse functions are
pure; `edit_draft` does the file round trip around any way of running the command (the
console suspends itself for it; tests run it directly).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import FrontdeskError

FALLBACK_EDITOR = "vi"
HEADERS = ("To", "Cc", "Bcc", "Subject")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$")


class EditorError(FrontdeskError):
    """The editor could not run, or exited with an error: the draft is unchanged."""


@dataclass(frozen=True)
class DraftText:
    """What the agent can change in a draft, as typed (addresses comma-separated)."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""


def _one_line(value: str) -> str:
    return " ".join(value.splitlines()).strip()


def format_draft(text: DraftText) -> str:
    """The file the editor opens: the header block, a blank line, the body. A newline
    is added after the body (editors add one anyway) and taken off again by
    `parse_draft`, so an unchanged file reads back the same."""
    lines = [f"{name}: {_one_line(getattr(text, name.lower()))}" for name in HEADERS]
    return "\n".join(lines) + "\n\n" + text.body + "\n"


def parse_draft(content: str, before: DraftText) -> DraftText:
    """The draft as edited. When the file starts with a header block (header lines up to
    the first blank line), To, Cc, Bcc and Subject come from it (a header taken out is
    empty; other headers are ignored) and the body is what follows. A file without one
    is all body, the headers as they were in `before`."""
    content = content.replace("\r\n", "\n")
    if content.endswith("\n"):
        content = content[:-1]
    head, blank, body = content.partition("\n\n")
    if not blank:
        head, body = "", content
        if content.endswith("\n") and _header_block(content[:-1]) is not None:
            head, body = content[:-1], ""  # headers only, the final newline taken off
    fields = _header_block(head) if head else None
    if fields is None:
        return replace(before, body=content)
    return DraftText(body=body, **fields)


def _header_block(head: str) -> dict[str, str] | None:
    """The known fields of a header block, or None when `head` is not one: a line that
    is neither a header nor a folded continuation of one, or no known header at all (a
    body that starts "Note: ..." stays body)."""
    found: dict[str, str] = {name.lower(): "" for name in HEADERS}
    current: str | None = None
    known = False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and current is not None:
            if current in found:
                found[current] = f"{found[current]} {line.strip()}".strip()
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return None
        current = match.group(1).lower()
        if current in found:
            known = True
            found[current] = match.group(2).strip()
    return found if known else None


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run, split as a shell would ("code -w" is two words)."""
    env = os.environ if environ is None else environ
    chosen = (env.get("VISUAL") or env.get("EDITOR") or "").strip() or FALLBACK_EDITOR
    try:
        words = shlex.split(chosen)
    except ValueError as exc:
        raise EditorError(f"cannot read the editor command {chosen!r}: {exc}") from None
    return words or [FALLBACK_EDITOR]


def run_command(argv: Sequence[str]) -> int:
    """Run the editor in this terminal and wait for it; its exit status."""
    try:
        return subprocess.run(list(argv), check=False).returncode
    except FileNotFoundError:
        raise EditorError(
            f"editor {argv[0]!r} not found; set $EDITOR (or $VISUAL) to one that is "
            "installed") from None
    except OSError as exc:
        raise EditorError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None


def edit_draft(text: DraftText, run: Callable[[Sequence[str]], int], *,
               environ: Mapping[str, str] | None = None) -> DraftText:
    """Open `text` in the editor through `run` and return it as edited. The file lives
    in a private temporary directory (0700, the file 0600) and is removed afterwards.
    Raises EditorError when the editor fails or exits non-zero."""
    command = editor_command(environ)
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-draft-"))
    try:
        path = folder / "draft.txt"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(format_draft(text))
        status = run([*command, str(path)])
        if status != 0:
            raise EditorError(
                f"the editor ({command[0]}) exited with status {status}; the draft is "
                "unchanged")
        edited = path.read_text(encoding="utf-8", errors="replace")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return parse_draft(edited, text)
