"""The POP3 client's pure pieces: reading lines, listings and CAPA, and what an error
message may say."""

import io
import poplib

import pytest

from engine.errors import InvalidInputError
from engine.pop3 import client as pop3_client
from engine.pop3.client import Pop3Settings, default_pop3_port, server_text


class _Lines(pop3_client._LongLines):
    def __init__(self, data: bytes) -> None:
        self.file = io.BytesIO(data)


def test_lines_longer_than_poplib_allows_are_read() -> None:
    long = b"x" * 100_000
    reader = _Lines(long + b"\r\nnext\n")
    assert reader._getline() == (long, len(long) + 2)
    assert reader._getline() == (b"next", 5)
    with pytest.raises(poplib.error_proto, match="EOF"):
        reader._getline()


def test_a_line_beyond_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pop3_client, "_MAX_LINE", 10)
    with pytest.raises(poplib.error_proto, match="too long"):
        _Lines(b"y" * 11 + b"\r\n")._getline()


def test_listing_lines_are_read_as_number_and_value() -> None:
    pairs = pop3_client._number_pairs([b"1 abc", b"2  def ", b"junk", b"3", b"x 4"])
    assert pairs == [(1, b"abc"), (2, b"def")]


def test_capa_is_parsed_and_sanitised() -> None:
    class Fake:
        def _longcmd(self, command: str) -> tuple[bytes, list[bytes], int]:
            assert command == "CAPA"
            return b"+OK", [b"TOP", b"SASL PLAIN LOGIN", b"uidl", b"X-\x1b[31mEVIL"], 0

    found = pop3_client._capabilities(Fake())  # type: ignore[arg-type]
    assert found["SASL"] == ("PLAIN", "LOGIN") and "UIDL" in found and "TOP" in found
    assert all("\x1b" not in name for name in found)


def test_server_text_never_carries_the_password_or_controls() -> None:
    exc = poplib.error_proto(b"-ERR [AUTH] bad hunter2 \x1b[2J" + b"z" * 400)
    text = server_text(exc, "hunter2")
    assert "hunter2" not in text and "***" in text and "\x1b" not in text
    assert len(text) <= 200


def test_login_failures_that_are_not_about_the_password_are_told_apart() -> None:
    assert pop3_client._NOT_CREDENTIALS.search("-ERR [SYS/TEMP] try later")
    assert pop3_client._NOT_CREDENTIALS.search("-ERR [IN-USE] mailbox locked")
    assert not pop3_client._NOT_CREDENTIALS.search("-ERR [AUTH] Authentication failed.")


def test_settings_are_checked() -> None:
    assert (default_pop3_port("ssl"), default_pop3_port("starttls")) == (995, 110)
    with pytest.raises(InvalidInputError):
        default_pop3_port("tls")
    with pytest.raises(InvalidInputError, match="out of range"):
        Pop3Settings(host="h", port=70000, security="ssl", username="u")
    assert Pop3Settings(host="h", port=995, security="ssl", username="u").address == "h:995"
