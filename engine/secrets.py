"""Secrets at rest: passwords and OAuth refresh tokens.

No secret is ever written in clear to disk, logs, argv or the environment. A secret is
either encrypted with a per-store key (a 0600 file beside the database, see `SecretBox`)
or fetched on demand from a configured `password_command` and never stored.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import errno
import os
import signal
import stat
import subprocess
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import SecretError

KEY_SUFFIX = ".key"

_KEY_HEADER = b"frontdesk-secret-key v1"
_KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12  # 96-bit nonce: the size GCM is specified and analysed for
_TAG_BYTES = 16
_BLOB_VERSION = 1
# Bound the read so a huge or endless file cannot stall startup; a real key file is ~70 bytes.
_KEY_FILE_MAX = 4096
# How long a process that lost the creation race waits for the winner's key to be complete.
# Only matters on file systems without hard links, where creation is not all-at-once.
_RACE_WAIT = 2.0
_STDERR_MAX = 200
_MASK = "********"


def key_path_for(db_path: Path) -> Path:
    """The key file beside the database: `frontdesk.db` -> `frontdesk.db.key`, same directory."""
    return db_path.with_name(db_path.name + KEY_SUFFIX)


async def seal(db_path: Path, plaintext: str, *, context: str) -> bytes:
    """Encrypt `plaintext` with the store's key (created when missing), bound to
    `context`; the key file is read off the event loop."""
    box = await asyncio.to_thread(SecretBox.open, key_path_for(db_path))
    return box.encrypt(plaintext, context=context)


async def unseal(db_path: Path, blob: bytes, *, context: str) -> str:
    """Decrypt a blob from `seal` with the same `context`; SecretError on any failure
    (the key file missing included)."""
    box = await asyncio.to_thread(SecretBox.open, key_path_for(db_path), create=False)
    return box.decrypt(blob, context=context)


def mask(secret: str) -> str:
    """What to show wherever a secret must be mentioned: fixed, so not even its length leaks."""
    return _MASK


class SecretBox:
    """Encrypts and decrypts small secrets with a per-store key (AES-256-GCM, random 96-bit nonce).

    Blob layout: version byte (1) + nonce (12) + ciphertext + GCM tag (16). The caller's
    `context` is authenticated as associated data, so a blob only decrypts for the row and
    field it was written for.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        """Wrap a raw 32-byte key; normally reached through `SecretBox.open`."""
        if len(key) != _KEY_BYTES:
            raise ValueError(f"key must be {_KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        # Never let the key near a log line or traceback.
        return "SecretBox(<key hidden>)"

    @classmethod
    def open(cls, key_path: Path, *, create: bool = True) -> SecretBox:
        """Load the key at `key_path`, creating it (mode 0600, atomically) when missing.

        Raises SecretError when the file is missing and `create` is false, is not a regular
        file, is accessible to group or others, or does not hold a valid key.
        """
        key_path = Path(key_path)
        try:
            return cls(_read_key(key_path))
        except FileNotFoundError:
            if not create:
                raise SecretError(
                    f"key file {key_path} does not exist; stored passwords cannot be read "
                    "until it is restored or the passwords are set again"
                ) from None
        except SecretError:
            # Without hard links another process creates the file before it writes the
            # key: an empty file may be one being created right now.
            if not _is_empty(key_path):
                raise
            return cls(_read_after_lost_race(key_path))
        return cls(_create_key(key_path))

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        """Encrypt `plaintext`, bound to `context` (e.g. "account:12:imap_password")."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(context))
        return bytes([_BLOB_VERSION]) + nonce + sealed

    def decrypt(self, blob: bytes, *, context: str) -> str:
        """Decrypt a blob from `encrypt` with the same `context`; SecretError on any failure."""
        aad = _aad(context)
        try:
            data = bytes(blob)
            if len(data) < 1 + _NONCE_BYTES + _TAG_BYTES or data[0] != _BLOB_VERSION:
                raise ValueError("malformed blob")
            nonce = data[1 : 1 + _NONCE_BYTES]
            plain = self._aead.decrypt(nonce, data[1 + _NONCE_BYTES :], aad)
            return plain.decode("utf-8")
        except (InvalidTag, ValueError, TypeError):
            # `from None`: the cause adds nothing for the person and keeps data out of tracebacks.
            raise SecretError(
                "stored secret cannot be decrypted (wrong key file or altered data); "
                "set the password again"
            ) from None


def _aad(context: str) -> bytes:
    if not context:
        # An empty context would let a blob move between rows: a programming error.
        raise ValueError("context must name what the secret is for")
    # The prefix keeps these blobs from ever matching AAD another format might use.
    return b"frontdesk-secret v1\x00" + context.encode("utf-8")


# -- key file ------------------------------------------------------------------------------


def _damaged(path: Path, why: str) -> SecretError:
    return SecretError(
        f"key file {path} is damaged or not a frontdesk key ({why}); restore it from a backup, "
        "or delete it and set the passwords again"
    )


def _read_key(path: Path) -> bytes:
    """Read and validate an existing key file; FileNotFoundError passes through."""
    # O_NONBLOCK so a FIFO planted at the path is refused instead of hanging us forever.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SecretError(f"cannot open key file {path} ({exc.strerror}); check it") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SecretError(f"key file {path} is not a regular file; remove it or fix the path")
        if st.st_mode & 0o077:
            word = "readable" if st.st_mode & 0o044 else "writable"
            raise SecretError(f"key file {path} is {word} by others; run chmod 600 {path}")
        if st.st_size > _KEY_FILE_MAX:
            raise _damaged(path, "wrong size")
        raw = os.read(fd, _KEY_FILE_MAX + 1)
    except OSError as exc:
        raise SecretError(f"cannot read key file {path} ({exc.strerror}); check it") from None
    finally:
        os.close(fd)
    return _parse_key(path, raw)


def _parse_key(path: Path, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    if len(lines) < 2 or lines[0].rstrip(b"\r") != _KEY_HEADER:
        raise _damaged(path, "bad header")
    if any(line.strip() for line in lines[2:]):
        raise _damaged(path, "unexpected data after the key")
    try:
        key = base64.b64decode(lines[1].strip(), validate=True)
    except (binascii.Error, ValueError):
        raise _damaged(path, "bad encoding") from None
    if len(key) != _KEY_BYTES:
        raise _damaged(path, "wrong size")
    return key


def _create_key(path: Path) -> bytes:
    """Create a fresh key at `path`, or return the key another process created first."""
    key = os.urandom(_KEY_BYTES)
    content = _KEY_HEADER + b"\n" + base64.b64encode(key) + b"\n"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = _publish_linked(path, content)
    except OSError as exc:
        raise SecretError(
            f"cannot create key file {path} ({exc.strerror}); check the directory"
        ) from None
    return key if created else _read_after_lost_race(path)


def _write_new(path: Path, content: bytes) -> None:
    """Write `content` to a new file at `path`; FileExistsError if it is already there."""
    # Created 0600 from the first instant: there is never a moment others could read it.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        # The umask may have trimmed the mode further; settle on exactly 0600 (never wider).
        os.fchmod(fd, 0o600)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish_linked(path: Path, content: bytes) -> bool:
    """Publish the key all-at-once; True if ours won, False if another process's key exists.

    The key is written in full to a private temporary file and hard-linked into place:
    link() refuses to replace an existing name, and a reader never sees a half-written key.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    _write_new(tmp, content)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # No hard links here (some network and FUSE file systems): fall back to creating
        # the name directly; a racing reader may then briefly see it incomplete.
        try:
            _write_new(path, content)
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    # Make the new name survive a crash; a best effort, as not every platform allows it.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_empty(path: Path) -> bool:
    try:
        return path.lstat().st_size == 0
    except OSError:
        return False


def _read_after_lost_race(path: Path) -> bytes:
    deadline = time.monotonic() + _RACE_WAIT
    while True:
        try:
            return _read_key(path)
        except (SecretError, FileNotFoundError) as exc:
            # Only the no-hard-link fallback can show a partial key; give the winner time.
            if time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            if isinstance(exc, SecretError):
                raise
            # Exists for link() yet not for open(): a dangling symlink sits at the path.
            raise SecretError(
                f"key file {path} is a broken link; remove it or fix the path"
            ) from None


# -- password commands ---------------------------------------------------------------------


def run_password_command(command: str, *, timeout: float = 30.0) -> str:
    """Run a configured password command via `/bin/sh -c` and return its first output line.

    Like mbsync's PassCmd: e.g. "pass show mail/support". stdin is /dev/null; the result is
    never stored. Raises SecretError naming the command, its exit status and the last line
    of its stderr (never its stdout) on failure, timeout or empty output.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    shown = _one_line(command)
    try:
        # A session of its own, so a timeout can kill the whole pipeline (pass | head ...),
        # not just the shell, and so the command cannot read the console's terminal.
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise SecretError(
            f"password command {shown} could not be started ({exc.strerror}); "
            "check that /bin/sh exists"
        ) from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise SecretError(
            f"password command {shown} timed out after {timeout:g}s; "
            "make sure it runs without prompting"
        ) from None
    except BaseException:
        _kill_group(proc)
        raise

    first = out.split(b"\n", 1)[0]
    if first.endswith(b"\r"):
        first = first[:-1]
    if proc.returncode != 0:
        status = (
            f"exit status {proc.returncode}"
            if proc.returncode > 0
            else f"killed by signal {-proc.returncode}"
        )
        detail = _last_stderr_line(err, out)
        suffix = f": {detail}" if detail else ""
        raise SecretError(f"password command {shown} failed ({status}){suffix}")
    if not first:
        detail = _last_stderr_line(err, out)
        suffix = f" ({detail})" if detail else ""
        raise SecretError(
            f"password command {shown} printed no password{suffix}; "
            "it must print the password on its first line"
        )
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError(
            f"password command {shown} printed a password that is not UTF-8"
        ) from None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        # Drain and reap; whatever it printed is discarded unread.
        proc.communicate(timeout=2.0)
    except subprocess.TimeoutExpired:
        # A daemonised grandchild escaped the group and holds the pipes: stop waiting on it.
        proc.kill()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()


def _one_line(text: str, limit: int = _STDERR_MAX) -> str:
    """Quote `text` for a one-line message, escaping newlines and terminal controls."""
    quoted = repr(text)
    return quoted if len(quoted) <= limit else quoted[: limit - 1] + "…"


def _last_stderr_line(err: bytes, out: bytes) -> str:
    text = err.decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    line = "".join(ch if ch.isprintable() else "?" for ch in lines[-1])
    # A command that echoes its password to stderr too must not leak it through us.
    for candidate in out.decode("utf-8", errors="replace").splitlines():
        candidate = candidate.strip()
        if len(candidate) >= 4 and candidate in line:
            line = line.replace(candidate, _MASK)
    if len(line) > _STDERR_MAX:
        line = line[: _STDERR_MAX - 1] + "…"
    return line
