"""The SASL responses for OAuth2 logins, byte for byte."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInputError
from engine.sasl import (
    OAUTHBEARER_ERROR_ACK,
    XOAUTH2_ERROR_ACK,
    oauthbearer_response,
    xoauth2_response,
)

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jIn0.c2ln"


def test_xoauth2_response() -> None:
    assert xoauth2_response("alice@example.com", TOKEN) == (
        b"user=alice@example.com\x01auth=Bearer " + TOKEN.encode() + b"\x01\x01"
    )


def test_oauthbearer_response_has_a_gs2_header() -> None:
    assert oauthbearer_response("alice@example.com", TOKEN) == (
        b"n,a=alice@example.com,\x01auth=Bearer " + TOKEN.encode() + b"\x01\x01"
    )


def test_oauthbearer_escapes_comma_and_equals_in_the_user() -> None:
    response = oauthbearer_response("a,b=c@example.com", TOKEN)
    assert response.startswith(b"n,a=a=2Cb=3Dc@example.com,\x01")


def test_non_ascii_user_is_utf8() -> None:
    assert xoauth2_response("zoë@example.com", TOKEN).startswith("user=zoë@".encode())


def test_answers_to_an_error_challenge() -> None:
    assert XOAUTH2_ERROR_ACK == b""
    assert OAUTHBEARER_ERROR_ACK == b"\x01"


@pytest.mark.parametrize("user", ["", "alice\x01@example.com", "alice\r\n@example.com"])
def test_unusable_user_is_refused(user: str) -> None:
    with pytest.raises(InvalidInputError, match="login name"):
        xoauth2_response(user, TOKEN)
    with pytest.raises(InvalidInputError, match="login name"):
        oauthbearer_response(user, TOKEN)


@pytest.mark.parametrize("token", ["", "abc\x01def", "abc def", "abc\ndef"])
def test_malformed_token_is_refused_without_quoting_it(token: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        xoauth2_response("alice@example.com", token)
    assert "sign in" in str(caught.value)
    assert not token or token not in str(caught.value)
