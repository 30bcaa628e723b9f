"""The doctor's file checks on real files: the database, its directory, who may read
them, and the key file beside the database."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from engine.doctor.files import (
    database_check,
    directory_check,
    file_checks,
    key_check,
    permissions_check,
)
from engine.secrets import SecretBox, key_path_for

AS_ROOT = os.geteuid() == 0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database file (its content does not matter here) and its key, as created."""
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    path = directory / "frontdesk.db"
    path.write_bytes(b"x" * 3000)
    path.chmod(0o600)
    SecretBox.open(key_path_for(path))
    return path


def me() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def test_a_healthy_store_is_all_ok(db: Path) -> None:
    found = file_checks(db, secrets=2)
    assert [(c.id, c.status) for c in found] == [
        ("files.database", "ok"), ("files.directory", "ok"), ("files.permissions", "ok"),
        ("files.key", "ok")]
    assert found[0].detail == f"{db} (2.9 KB) is readable and writable by {me()}"
    assert found[1].detail == f"{db.parent} is writable by {me()} (mode 0700)"
    assert not [p for p in db.parent.iterdir() if p.name.startswith(".frontdesk-doctor")]


def test_a_key_file_others_may_read_says_to_chmod_it(db: Path) -> None:
    key = key_path_for(db)
    key.chmod(0o644)
    found = key_check(db, secrets=1)
    assert (found.status, found.detail) == (
        "fail", f"key file {key} is mode 0644; run chmod 600 {key}")
    key.chmod(0o604)
    assert key_check(db, secrets=1).detail == f"key file {key} is mode 0604; run chmod 600 {key}"
    key.chmod(0o400)  # readable, but not as created
    assert key_check(db, secrets=1).status == "warn"


def test_a_damaged_or_odd_key_file_is_a_problem(db: Path) -> None:
    key = key_path_for(db)
    key.write_bytes(b"not a key\n")
    found = key_check(db, secrets=1)
    assert found.status == "fail" and "damaged or not a frontdesk key" in found.detail
    key.unlink()
    key.mkdir()
    found = key_check(db, secrets=1)
    assert found.status == "fail" and "is not a regular file" in found.detail


def test_a_missing_key_file_matters_only_when_secrets_need_it(db: Path) -> None:
    key = key_path_for(db)
    key.unlink()
    needed = key_check(db, secrets=3)
    assert needed.status == "fail"
    assert f"key file {key} is missing and the store holds 3 encrypted secrets" in needed.detail
    assert "restore it from a backup" in needed.detail
    assert key_check(db, secrets=0).status == "ok"
    assert key_check(db, secrets=None).status == "warn"  # the store could not be read


@pytest.mark.skipif(not AS_ROOT, reason="only root can give a file to another user")
def test_a_key_file_of_another_user_says_to_chown_it(db: Path) -> None:
    key = key_path_for(db)
    nobody = pwd.getpwnam("nobody")
    os.chown(key, nobody.pw_uid, nobody.pw_gid)
    found = key_check(db, secrets=1)
    assert (found.status, found.detail) == (
        "fail", f"key file {key} belongs to nobody, the database to root; "
        f"run chown root {key}")


def test_a_database_others_may_read_is_a_problem(db: Path) -> None:
    db.chmod(0o640)
    found = permissions_check(db)
    assert found.status == "warn" and "readable by group" in found.detail
    wal = db.with_name(db.name + "-wal")
    wal.write_bytes(b"")
    wal.chmod(0o644)
    found = permissions_check(db)
    assert (found.status, found.detail) == (
        "fail", f"the -wal file of {db} (mode 0644) is readable by every user; "
        f"run chmod 600 {wal}")
    db.chmod(0o604)
    found = permissions_check(db)
    assert found.detail == (f"{db} and its -wal file (mode 0604, 0644) are readable by every "
                            f"user; run chmod 600 {db} {wal}")


def test_a_missing_database_is_a_problem_and_nothing_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "frontdesk.db"
    found = file_checks(missing, secrets=0)
    assert [(c.id, c.status) for c in found] == [
        ("files.database", "fail"), ("files.directory", "fail"),
        ("files.permissions", "skipped"), ("files.key", "ok")]
    assert f"no database at {missing}" in found[0].detail
    assert not missing.parent.exists()
    assert database_check(tmp_path).status == "fail"  # a directory is no database


def test_a_directory_others_may_write_is_a_problem(db: Path) -> None:
    directory = db.parent
    directory.chmod(0o777)
    found = directory_check(directory)
    assert (found.status, found.detail) == (
        "fail", f"directory {directory} is writable by every user (mode 0777), who could "
        f"replace the database; run chmod 700 {directory}")
    directory.chmod(0o770)
    assert directory_check(directory).status == "warn"
    directory.chmod(0o1777)  # sticky: others cannot replace our files
    assert directory_check(directory).status == "warn"
    directory.chmod(0o700)


@pytest.mark.skipif(AS_ROOT, reason="root reads and writes whatever the mode bits say")
def test_a_database_this_user_cannot_write_is_a_problem(db: Path) -> None:
    db.chmod(0o400)
    found = database_check(db)
    assert found.status == "fail"
    assert found.detail == (f"cannot write {db} as {me()} (permission denied); "
                            f"run chmod 600 {db}")
    db.parent.chmod(0o500)
    try:
        found = directory_check(db.parent)
    finally:
        db.parent.chmod(0o700)
    assert found.status == "fail" and f"run chmod 700 {db.parent}" in found.detail
