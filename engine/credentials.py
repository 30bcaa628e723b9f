"""What a server login needs: a password, or an OAuth2 bearer token and whom it is for."""

from __future__ import annotations

from dataclasses import dataclass

from engine.secrets import mask


@dataclass(frozen=True, repr=False)
class BearerToken:
    """An OAuth2 access token for a SASL XOAUTH2 / OAUTHBEARER login as `user`.

    `repr` masks the token, so it can sit in a log line or a traceback without leaking.
    """

    user: str
    token: str
    account: str = ""  # the account's name, for the "sign in again" hint

    def __repr__(self) -> str:
        return (f"BearerToken(user={self.user!r}, token={mask(self.token)!r}, "
                f"account={self.account!r})")


# A login secret: a password, or a bearer token.
Credential = str | BearerToken


def secret_text(credential: Credential | None) -> str | None:
    """The secret inside a credential, to scrub from server text quoted in errors."""
    if isinstance(credential, BearerToken):
        return credential.token
    return credential
