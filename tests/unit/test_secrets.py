"""engine.secrets: the key file, AES-GCM blobs and password commands."""

from __future__ import annotations

import base64
import errno
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine import secrets as secrets_mod
from engine.errors import SecretError
from engine.secrets import SecretBox, key_path_for, mask, run_password_command

ROOT = Path(__file__).resolve().parents[2]
CTX = "account:12:imap_password"


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return key_path_for(tmp_path / "frontdesk.db")


@pytest.fixture
def box(key_path: Path) -> SecretBox:
    return SecretBox.open(key_path)


# -- key path and mask ---------------------------------------------------------------------


def test_key_path_sits_beside_the_database(tmp_path: Path) -> None:
    assert key_path_for(tmp_path / "frontdesk.db") == tmp_path / "frontdesk.db.key"


def test_mask_hides_everything() -> None:
    assert mask("s3cret") == "********"
    assert mask("") == "********"
    assert mask("x" * 100) == "********"


# -- encryption ----------------------------------------------------------------------------


def test_round_trip(box: SecretBox) -> None:
    for text in ("s3cret", "", "pässwörd ✓ with spaces  ", "x" * 5000):
        assert box.decrypt(box.encrypt(text, context=CTX), context=CTX) == text


def test_blob_layout(box: SecretBox) -> None:
    blob = box.encrypt("abc", context=CTX)
    assert blob[0] == 1
    assert len(blob) == 1 + 12 + 3 + 16


def test_same_text_encrypts_differently(box: SecretBox) -> None:
    a = box.encrypt("s3cret", context=CTX)
    b = box.encrypt("s3cret", context=CTX)
    assert a != b
    assert a[1:13] != b[1:13]  # fresh nonce each time


def test_wrong_context_fails(box: SecretBox) -> None:
    blob = box.encrypt("s3cret", context="account:12:imap_password")
    with pytest.raises(SecretError, match="cannot be decrypted"):
        box.decrypt(blob, context="account:13:imap_password")


@pytest.mark.parametrize("index", [0, 1, 12, 13, -1])
def test_tampered_byte_fails(box: SecretBox, index: int) -> None:
    blob = bytearray(box.encrypt("s3cret", context=CTX))
    blob[index] ^= 0x01
    with pytest.raises(SecretError, match="set the password again"):
        box.decrypt(bytes(blob), context=CTX)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + b"\x00" * 20, b"garbage" * 10])
def test_malformed_blob_fails(box: SecretBox, blob: bytes) -> None:
    with pytest.raises(SecretError, match="cannot be decrypted"):
        box.decrypt(blob, context=CTX)


def test_other_key_fails(tmp_path: Path) -> None:
    one = SecretBox.open(tmp_path / "one.db.key")
    two = SecretBox.open(tmp_path / "two.db.key")
    with pytest.raises(SecretError, match="cannot be decrypted"):
        two.decrypt(one.encrypt("s3cret", context=CTX), context=CTX)


def test_error_messages_carry_no_secret(box: SecretBox, key_path: Path) -> None:
    blob = box.encrypt("hunter2-plain", context=CTX)
    with pytest.raises(SecretError) as info:
        box.decrypt(blob, context="other")
    key_b64 = key_path.read_text().splitlines()[1]
    assert "hunter2" not in str(info.value)
    assert key_b64 not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert key_b64 not in repr(box)


def test_empty_context_is_a_programming_error(box: SecretBox) -> None:
    with pytest.raises(ValueError):
        box.encrypt("s3cret", context="")


# -- key file ------------------------------------------------------------------------------


def test_key_file_created_0600_with_header(key_path: Path) -> None:
    SecretBox.open(key_path)
    assert key_path.stat().st_mode & 0o777 == 0o600
    header, encoded, *rest = key_path.read_bytes().split(b"\n")
    assert header == b"frontdesk-secret-key v1"
    assert len(base64.b64decode(encoded)) == 32
    assert rest == [b""]
    # No temporary file is left behind.
    assert sorted(p.name for p in key_path.parent.iterdir()) == [key_path.name]


def test_key_file_0600_even_under_a_permissive_umask(key_path: Path) -> None:
    old = os.umask(0)
    try:
        SecretBox.open(key_path)
    finally:
        os.umask(old)
    assert key_path.stat().st_mode & 0o777 == 0o600


def test_key_reused_on_second_open(key_path: Path) -> None:
    blob = SecretBox.open(key_path).encrypt("s3cret", context=CTX)
    before = key_path.read_bytes()
    assert SecretBox.open(key_path).decrypt(blob, context=CTX) == "s3cret"
    assert key_path.read_bytes() == before


def test_missing_key_without_create_is_refused(key_path: Path) -> None:
    with pytest.raises(SecretError, match="does not exist"):
        SecretBox.open(key_path, create=False)
    assert not key_path.exists()


def test_missing_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "frontdesk.db.key"
    SecretBox.open(path)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_readable_by_others_is_refused(key_path: Path, mode: int) -> None:
    SecretBox.open(key_path)
    key_path.chmod(mode)
    with pytest.raises(SecretError, match="chmod 600") as info:
        SecretBox.open(key_path)
    assert "readable by others" in str(info.value)
    assert str(key_path) in str(info.value)


def test_key_writable_by_others_is_refused(key_path: Path) -> None:
    SecretBox.open(key_path)
    key_path.chmod(0o620)
    with pytest.raises(SecretError, match="chmod 600"):
        SecretBox.open(key_path)


def _write_key_file(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    path.chmod(0o600)


def test_truncated_key_is_refused(key_path: Path) -> None:
    SecretBox.open(key_path)
    data = key_path.read_bytes()
    _write_key_file(key_path, data[: len(data) // 2])
    with pytest.raises(SecretError, match="damaged"):
        SecretBox.open(key_path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"frontdesk-secret-key v1\n",
        b"frontdesk-secret-key v1\n" + base64.b64encode(b"k" * 16) + b"\n",
        b"frontdesk-secret-key v1\n" + base64.b64encode(b"k" * 33) + b"\n",
        b"frontdesk-secret-key v1\nnot base64!!\n",
        b"something else\n" + base64.b64encode(b"k" * 32) + b"\n",
        b"frontdesk-secret-key v1\n" + base64.b64encode(b"k" * 32) + b"\nextra\n",
        b"x" * 10_000,
    ],
)
def test_malformed_key_file_is_refused(key_path: Path, content: bytes) -> None:
    _write_key_file(key_path, content)
    with pytest.raises(SecretError, match="damaged"):
        SecretBox.open(key_path)
    assert key_path.read_bytes() == content  # never overwritten


def test_hand_written_key_file_is_accepted(key_path: Path) -> None:
    _write_key_file(key_path, b"frontdesk-secret-key v1\n" + base64.b64encode(b"k" * 32) + b"\n")
    blob = SecretBox(b"k" * 32).encrypt("s3cret", context=CTX)
    assert SecretBox.open(key_path).decrypt(blob, context=CTX) == "s3cret"


def test_directory_at_key_path_is_refused(key_path: Path) -> None:
    key_path.mkdir(mode=0o700)
    with pytest.raises(SecretError, match="not a regular file"):
        SecretBox.open(key_path)


def test_fifo_at_key_path_is_refused_without_hanging(key_path: Path) -> None:
    os.mkfifo(key_path, 0o600)
    with pytest.raises(SecretError, match="not a regular file"):
        SecretBox.open(key_path)


def test_dangling_symlink_is_refused(key_path: Path) -> None:
    key_path.symlink_to(key_path.parent / "nowhere")
    with pytest.raises(SecretError, match=r"key file .* broken link"):
        SecretBox.open(key_path)
    assert not (key_path.parent / "nowhere").exists()


_OPEN_AND_ENCRYPT = """
import base64, sys, time
from pathlib import Path
from engine.secrets import SecretBox
start = float(sys.argv[2])
while time.time() < start:
    pass
box = SecretBox.open(Path(sys.argv[1]))
print(base64.b64encode(box.encrypt("s3cret", context="race")).decode())
"""


def test_concurrent_creation_ends_with_one_shared_key(tmp_path: Path) -> None:
    for round_ in range(3):
        key_path = tmp_path / f"r{round_}.db.key"
        start = time.time() + 1.0  # let every interpreter finish starting, then go together
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN_AND_ENCRYPT, str(key_path), str(start)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        blobs = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            blobs.append(base64.b64decode(out.strip()))
        box = SecretBox.open(key_path, create=False)
        assert {box.decrypt(b, context="race") for b in blobs} == {"s3cret"}
        assert key_path.stat().st_mode & 0o777 == 0o600
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_creation_without_hard_links_still_shares_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(secrets_mod.os, "link", no_link)
    key_path = tmp_path / "frontdesk.db.key"
    barrier = threading.Barrier(8)
    boxes: list[SecretBox] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            boxes.append(SecretBox.open(key_path))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    blob = boxes[0].encrypt("s3cret", context=CTX)
    assert all(b.decrypt(blob, context=CTX) == "s3cret" for b in boxes)
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [key_path.name]


def test_loser_waits_for_a_half_written_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate the no-hard-link fallback: another process has created the file but has not
    # yet written the key when we lose the race.
    key_path = tmp_path / "frontdesk.db.key"
    content = b"frontdesk-secret-key v1\n" + base64.b64encode(b"w" * 32) + b"\n"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def finish() -> None:
        time.sleep(0.2)
        os.write(fd, content)
        os.close(fd)

    monkeypatch.setattr(secrets_mod, "_read_key", _missing_once(secrets_mod._read_key))
    writer = threading.Thread(target=finish)
    writer.start()
    try:
        box = SecretBox.open(key_path)
    finally:
        writer.join()
    blob = SecretBox(b"w" * 32).encrypt("s3cret", context=CTX)
    assert box.decrypt(blob, context=CTX) == "s3cret"


def _missing_once(real: Callable[[Path], bytes]) -> Callable[[Path], bytes]:
    calls = {"n": 0}

    def fake(path: Path) -> bytes:
        calls["n"] += 1
        if calls["n"] == 1:
            raise FileNotFoundError(path)  # "not there yet" as seen before the race
        return real(path)

    return fake


# -- password commands ---------------------------------------------------------------------


def test_password_command_returns_first_line() -> None:
    assert run_password_command("printf 's3cret\\nsecond'") == "s3cret"


def test_password_command_keeps_inner_spaces_and_strips_crlf() -> None:
    assert run_password_command("printf ' pa ss \\r\\n'") == " pa ss "
    assert run_password_command("printf 'no-newline'") == "no-newline"


def test_password_command_runs_through_the_shell() -> None:
    assert run_password_command('x=abc; echo "$x" | tr a-z A-Z') == "ABC"


def test_password_command_stdin_is_devnull() -> None:
    # `cat` with no file reads stdin: with /dev/null it ends at once with no output.
    with pytest.raises(SecretError, match="printed no password"):
        run_password_command("cat", timeout=5)


def test_password_command_exit_status_is_reported() -> None:
    with pytest.raises(SecretError, match="exit status 3") as info:
        run_password_command("exit 3")
    assert "'exit 3'" in str(info.value)


def _detail(message: str) -> str:
    """The part of a failure message after the command and status."""
    return message.split("): ", 1)[1]


def test_password_command_stderr_last_line_is_reported() -> None:
    with pytest.raises(SecretError, match="oops"):
        run_password_command("echo oops >&2; exit 1")
    with pytest.raises(SecretError) as info:
        run_password_command("echo first >&2; echo gpg: decryption failed >&2; exit 2")
    message = str(info.value)
    assert _detail(message) == "gpg: decryption failed"
    assert "exit status 2" in message
    assert "\n" not in message


def test_password_command_stderr_is_bounded() -> None:
    with pytest.raises(SecretError) as info:
        run_password_command("printf '%0500d\\n' 0 | tr 0 e >&2; exit 1")
    detail = _detail(str(info.value))
    assert len(detail) <= 200
    assert detail.startswith("e" * 150)


def test_password_command_errors_never_show_stdout() -> None:
    # The command text is quoted in the message, so build the output from pieces.
    with pytest.raises(SecretError) as info:
        run_password_command("printf 'FAKE-%s\\n' PASSWORD-123; echo failed >&2; exit 1")
    assert "FAKE-PASSWORD-123" not in str(info.value)
    assert _detail(str(info.value)) == "failed"


def test_password_echoed_to_stderr_is_masked() -> None:
    with pytest.raises(SecretError) as info:
        run_password_command("p=FAKE-; p=${p}PASSWORD-123; echo $p; echo bad $p >&2; exit 1")
    assert "FAKE-PASSWORD-123" not in str(info.value)
    assert _detail(str(info.value)) == "bad ********"


def test_password_command_timeout_kills_the_pipeline() -> None:
    started = time.monotonic()
    with pytest.raises(SecretError, match=r"timed out after 0\.3s"):
        run_password_command("sleep 30 | cat", timeout=0.3)
    # The pipe-holding grandchildren were killed, not waited for.
    assert time.monotonic() - started < 5


def test_password_command_empty_output_is_refused() -> None:
    with pytest.raises(SecretError, match="printed no password"):
        run_password_command("true")
    with pytest.raises(SecretError, match="printed no password"):
        run_password_command("printf '\\nlater'")


def test_password_command_killed_by_signal() -> None:
    with pytest.raises(SecretError, match="killed by signal 9"):
        run_password_command("kill -9 $$")


def test_missing_shell_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_shell(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/bin/sh")

    monkeypatch.setattr(secrets_mod.subprocess, "Popen", no_shell)
    with pytest.raises(SecretError, match=r"'pass show x' could not be started"):
        run_password_command("pass show x")


def test_password_command_gets_no_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment is inherited (pass and gpg need HOME, GNUPGHOME, ...), nothing added.
    monkeypatch.setenv("FRONTDESK_TEST_MARK", "here")
    assert run_password_command('echo "$FRONTDESK_TEST_MARK"') == "here"
    extra = run_password_command("env | cut -d= -f1 | sort | tr '\\n' ,").split(",")
    assert (
        set(extra) - set(os.environ) - {"", "PWD", "SHLVL", "_", "OLDPWD", "COLUMNS", "LINES"}
        == set()
    )


def test_an_empty_key_file_being_written_is_waited_for(tmp_path: Path) -> None:
    """Without hard links the creator makes the file before it writes the key; a process
    opening the store at that moment waits for the key instead of calling it damaged."""
    key_path = tmp_path / "frontdesk.db.key"
    other = tmp_path / "other.key"
    SecretBox.open(other)  # a valid key file to copy in, as the creator would write it
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)
    writer = threading.Timer(0.3, lambda: key_path.write_bytes(other.read_bytes()))
    writer.start()
    try:
        box = SecretBox.open(key_path)
    finally:
        writer.join()
    assert box.decrypt(SecretBox.open(other).encrypt("x", context=CTX), context=CTX) == "x"
