"""SASL client responses for OAuth2 bearer-token logins (XOAUTH2 and OAUTHBEARER).

Pure functions: they build the bytes a client sends (before base64); the protocol
clients (SMTP here, IMAP through imapclient) do the exchange.
"""

from __future__ import annotations

from engine.errors import InvalidInputError

# After a refused token the server sends its error as a challenge; the client answers
# with this to end the exchange (RFC 7628 3.2.3; XOAUTH2 expects an empty response).
OAUTHBEARER_ERROR_ACK = b"\x01"
XOAUTH2_ERROR_ACK = b""

_FORBIDDEN = frozenset("\x00\x01\r\n")


def xoauth2_response(user: str, token: str) -> bytes:
    """The XOAUTH2 initial response: ``user=USER^Aauth=Bearer TOKEN^A^A``."""
    _check(user, token)
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer_response(user: str, token: str) -> bytes:
    """The OAUTHBEARER (RFC 7628) initial response: ``n,a=USER,^Aauth=Bearer TOKEN^A^A``,
    with ``=`` and ``,`` in USER escaped as the GS2 header requires (RFC 5801)."""
    _check(user, token)
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    return f"n,a={authzid},\x01auth=Bearer {token}\x01\x01".encode()


def _check(user: str, token: str) -> None:
    """Refuse what would break the response's framing (never quoting the token)."""
    if not user or _FORBIDDEN.intersection(user):
        raise InvalidInputError(
            f"the login name {user!r} is empty or contains a control character: fix the "
            "account's username"
        )
    if not token or _FORBIDDEN.intersection(token) or " " in token:
        raise InvalidInputError(
            "the OAuth2 access token is empty or malformed: sign in to the account again"
        )
