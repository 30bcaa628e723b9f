"""Doctor checks of the files on disk: the database, its directory, who may read them,
and the key file that seals stored passwords (engine.secrets). They only look; the one
thing written is an empty probe file in the directory, removed at once, because only
creating a file proves SQLite can create its journal files there (whatever the mode
bits say, root included: a read-only mount or an immutable directory refuses it)."""

from __future__ import annotations

import contextlib
import errno
import grp
import os
import pwd
import shlex
import stat
import tempfile
from pathlib import Path

from engine.doctor.report import FAIL, OK, SKIPPED, WARN, DoctorCheck, check
from engine.errors import SecretError
from engine.secrets import SecretBox, key_path_for
from storage.db import packs_directory

DATABASE = "files.database"
DIRECTORY = "files.directory"
PERMISSIONS = "files.permissions"
KEY = "files.key"
IDS = (DATABASE, DIRECTORY, PERMISSIONS, KEY)

# SQLite's companions of a database: they hold the same data and take the same care.
JOURNAL_SUFFIXES = ("-wal", "-shm", "-journal")


def file_checks(db_path: Path, *, secrets: int | None) -> list[DoctorCheck]:
    """Every file check of the store at `db_path`. `secrets`: how many encrypted secrets
    the store holds (None when it cannot be read), to judge a missing key file. Blocks
    (stat, open): run it in a thread."""
    return [database_check(db_path), directory_check(db_path.parent),
            permissions_check(db_path), key_check(db_path, secrets=secrets)]


def database_check(path: Path) -> DoctorCheck:
    """The database exists, is a regular file, and this user can read and write it."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return check(DATABASE, FAIL, f"no database at {path}; check --db and $FRONTDESK_DB, "
                     "or create it by adding an account (frontdesk account add)")
    except OSError as exc:
        return check(DATABASE, FAIL, f"cannot reach {path} ({_reason(exc)}); check the "
                     "permissions of the directories above it")
    if not stat.S_ISREG(st.st_mode):
        return check(DATABASE, FAIL, f"{path} is not a regular file; point --db at the "
                     "database file")
    for flags, doing in ((os.O_RDONLY, "read"), (os.O_WRONLY | os.O_APPEND, "write")):
        # Opening without writing changes nothing, and unlike os.access it also tells a
        # read-only mount or an immutable file from a writable one.
        try:
            os.close(os.open(path, flags | getattr(os, "O_CLOEXEC", 0)))
        except OSError as exc:
            return check(DATABASE, FAIL, f"cannot {doing} {path} as {_me()} ({_reason(exc)}); "
                         f"{_access_fix(path, st.st_uid, exc, 'chmod 600')}")
    return check(DATABASE, OK, f"{path} ({_size(st.st_size)}) is readable and writable "
                 f"by {_me()}")


def directory_check(directory: Path) -> DoctorCheck:
    """The database's directory exists, this user can create files in it (SQLite's
    journal files) and others cannot."""
    try:
        st = directory.stat()
    except OSError as exc:
        return check(DIRECTORY, FAIL, f"cannot reach directory {directory} ({_reason(exc)}); "
                     "create it or fix --db")
    if not stat.S_ISDIR(st.st_mode):
        return check(DIRECTORY, FAIL, f"{directory} is not a directory; fix --db")
    try:
        fd, probe = tempfile.mkstemp(prefix=".frontdesk-doctor-", dir=directory)
    except OSError as exc:
        return check(DIRECTORY, FAIL, f"directory {directory} is not writable by {_me()} "
                     f"({_reason(exc)}), and SQLite keeps its journal files there; "
                     f"{_access_fix(directory, st.st_uid, exc, 'chmod 700')}")
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    mode = stat.S_IMODE(st.st_mode)
    fix = f"run chmod 700 {_q(directory)}"
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        return check(DIRECTORY, FAIL, f"directory {directory} is writable by every user "
                     f"(mode {mode:04o}), who could replace the database; {fix}")
    if mode & stat.S_IWGRP:
        return check(DIRECTORY, WARN, f"directory {directory} is writable by group "
                     f"{_group(st.st_gid)} (mode {mode:04o}); {fix}")
    return check(DIRECTORY, OK, f"{directory} is writable by {_me()} (mode {mode:04o})")


def permissions_check(path: Path) -> DoctorCheck:
    """Neither the database, its journal files nor its pack directory (mail bodies) can
    be read by other users."""
    found: list[tuple[Path, os.stat_result]] = []
    for candidate in (path, *(path.with_name(path.name + s) for s in JOURNAL_SUFFIXES),
                      packs_directory(path)):
        with contextlib.suppress(OSError):
            found.append((candidate, candidate.stat()))
    if not found or found[0][0] != path:
        return check(PERMISSIONS, SKIPPED, f"no database at {path}")
    others = [(p, s) for p, s in found if s.st_mode & 0o007]
    group = [(p, s) for p, s in found if s.st_mode & 0o070]
    if others:
        return check(PERMISSIONS, FAIL, f"{_listing(path, others)} readable by every user; "
                     f"run {_chmod(others)}")
    if group:
        return check(PERMISSIONS, WARN, f"{_listing(path, group)} readable by group "
                     f"{_group(group[0][1].st_gid)}; run {_chmod(group)}")
    st = found[0][1]
    return check(PERMISSIONS, OK, f"only {_user(st.st_uid)} can read the database "
                 f"(mode {stat.S_IMODE(st.st_mode):04o})")


def _chmod(found: list[tuple[Path, os.stat_result]]) -> str:
    """The chmod commands that make `found` private: 600 for files, 700 for directories."""
    files = [_q(p) for p, st in found if not stat.S_ISDIR(st.st_mode)]
    dirs = [_q(p) for p, st in found if stat.S_ISDIR(st.st_mode)]
    return " and ".join(f"chmod {mode} {' '.join(paths)}"
                        for mode, paths in (("600", files), ("700", dirs)) if paths)


def key_check(db_path: Path, *, secrets: int | None) -> DoctorCheck:
    """The key file beside the database: there when secrets need it, a regular file of
    mode 0600 owned by the database's owner, holding a valid key."""
    key = key_path_for(db_path)
    try:
        st = key.stat()
    except FileNotFoundError:
        return _missing_key(key, secrets)
    except OSError as exc:
        return check(KEY, FAIL, f"cannot reach key file {key} ({_reason(exc)}); check the "
                     "directory's permissions")
    if not stat.S_ISREG(st.st_mode):
        return check(KEY, FAIL, f"key file {key} is not a regular file; remove it or "
                     "restore the key file from a backup")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        return check(KEY, FAIL, f"key file {key} is mode {mode:04o}; run chmod 600 {_q(key)}")
    try:
        owner = db_path.stat().st_uid
    except OSError:
        owner = os.geteuid()
    if st.st_uid != owner:
        return check(KEY, FAIL, f"key file {key} belongs to {_user(st.st_uid)}, the database "
                     f"to {_user(owner)}; run chown {_user(owner)} {_q(key)}")
    try:
        SecretBox.open(key, create=False)
    except SecretError as exc:
        return check(KEY, FAIL, str(exc))
    if mode != 0o600:
        return check(KEY, WARN, f"key file {key} is mode {mode:04o}; run chmod 600 {_q(key)}")
    return check(KEY, OK, f"key file {key} holds a valid key (mode 0600, owner "
                 f"{_user(st.st_uid)})")


def _missing_key(key: Path, secrets: int | None) -> DoctorCheck:
    if secrets:
        return check(KEY, FAIL, f"key file {key} is missing and the store holds {secrets} "
                     "encrypted secrets it alone can read; restore it from a backup, or set "
                     "the passwords again (frontdesk account password NAME --password-stdin)")
    if secrets == 0:
        return check(KEY, OK, f"no key file yet ({key}): none is needed until a password "
                     "or token is stored, and it is then created with mode 0600")
    return check(KEY, WARN, f"no key file at {key}; fine if no password or token was ever "
                 "stored, else restore it from a backup")


# -- wording -------------------------------------------------------------------------------


def _access_fix(path: Path, owner: int, exc: OSError, chmod: str) -> str:
    """What to run when this user cannot use `path` (owned by `owner`)."""
    if exc.errno == errno.EROFS:
        return "its file system is mounted read-only: remount it read-write or move the store"
    if exc.errno == errno.EPERM:
        return f"it may be immutable: check with lsattr -d {_q(path)} (chattr -i removes that)"
    if owner != os.geteuid():
        return (f"it belongs to {_user(owner)}: run frontdesk as {_user(owner)}, or run "
                f"chown {_me()} {_q(path)}")
    return f"run {chmod} {_q(path)}"


def _listing(path: Path, found: list[tuple[Path, os.stat_result]]) -> str:
    """E.g. "/x/f.db (mode 0644) is", "/x/f.db and its -wal, -shm files (mode 0644) are"."""
    modes = sorted({f"{stat.S_IMODE(s.st_mode):04o}" for _p, s in found})
    names = [p.name[len(path.name):] for p, _s in found if p != path]
    files = f"{', '.join(names)} file{'s' if len(names) > 1 else ''}"
    if found[0][0] != path:
        subject = f"the {files} of {path}"
    else:
        subject = f"{path} and its {files}" if names else str(path)
    return f"{subject} (mode {', '.join(modes)}) {'is' if len(found) == 1 else 'are'}"


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def _me() -> str:
    return _user(os.geteuid())


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
